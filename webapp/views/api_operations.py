"""REST routes of issue 14 on the API blueprint: messages from outside a case, and incidents.

Registered on ``webapp.views.api.bp`` (imported by ``webapp.app`` before the blueprint is), so they
share its bearer-token authentication, error answers and OpenAPI document.
"""

from __future__ import annotations

from engine.services.messages import send_message
from engine.services.operations import incidents
from webapp.security import engine
from webapp.views import api_schemas_operations as s
from webapp.views.api import _actor
from webapp.views.api import bp
from webapp.views.openapi import operation


@bp.post("/messages")
@operation("sendMessage", "发送流程消息或信号", s.MessageResult, errors=(403, 404, 409, 422), body=s.MessageBody,
           body_required=True,
           description="按关联键（办件编号、统一社会信用代码）送达等待该消息的办件，或由事项的消息启动事件新建办件；"
                       "没有办件等待时返回 404（消息不会被静默丢弃）；多个办件等待同一消息时返回 409，请用办件编号。")
def message(body: s.MessageBody):  # type: ignore[no-untyped-def]
    result = send_message(engine(), _actor(), body.name, kind=body.kind, correlation=body.correlation,
                          payload=body.payload, matter_code=body.matter)
    return s.MessageResult.model_validate(result)


@bp.get("/incidents")
@operation("listIncidents", "办件异常列表（运维管理员）", s.IncidentList, errors=(403,), query=s.IncidentQuery)
def incident_list(query: s.IncidentQuery):  # type: ignore[no-untyped-def]
    items = incidents.list_incidents(engine(), _actor(), status=query.status, matter_code=query.matter)
    return s.IncidentList.model_validate({"items": items})


@bp.post("/incidents/<int:incident_id>/retry")
@operation("retryIncident", "修正数据后重试出错的环节（运维管理员）", s.RetryResult, errors=(403, 404, 409, 422),
           body=s.RetryBody, body_required=True)
def incident_retry(incident_id: int, body: s.RetryBody):  # type: ignore[no-untyped-def]
    view = incidents.retry_incident(engine(), incident_id, body.data, _actor(), body.reason)
    return s.RetryResult(case_id=view.id, case_number=view.case_number, status=view.status, error=view.error)
