"""The REST API (``/api/v1``): JSON over the same engine services as the pages.

Systems authenticate with ``Authorization: Bearer <token>`` (tokens are issued on the account page).
A signed-in browser session may read (GET) as well; every state-changing call needs the bearer
token, because the API skips the CSRF check that protects the pages' forms. Engine errors become
JSON in ``webapp.errors``: ``{"error", "message", "errors"?}`` with 404/403/409/422.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint
from flask import abort
from flask import g
from flask import request
from flask import url_for
from flask.blueprints import BlueprintSetupState

from engine.actors import Actor
from engine.clock import CHINA_TZ
from engine.services import casework
from engine.services import deadline_requests as legal
from engine.services import tasks
from engine.services.accounts import actor_for_token
from engine.services.cases import case_history
from engine.services.cases import start_case
from engine.services.deploy import list_matters
from engine.services.deploy import matter_guide
from engine.services.uploads import resolve_refs
from engine.services.views import MatterView
from webapp.security import SAFE_METHODS
from webapp.security import engine

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}
UNAUTHORIZED = {"error": "unauthorized", "message": "需要有效的访问令牌"}
MAX_LIST = 200


@bp.record_once
def _json_in_utf8(state: BlueprintSetupState) -> None:
    """Chinese stays readable in every JSON body of the app (Flask 3 ignores ``JSON_AS_ASCII``)."""
    state.app.json.ensure_ascii = False  # type: ignore[attr-defined]


# -- authentication ------------------------------------------------------------------------------


def _unauthorized():  # type: ignore[no-untyped-def]
    return UNAUTHORIZED, 401, {"WWW-Authenticate": 'Bearer realm="onewindow"'}


@bp.before_request
def _authenticate():  # type: ignore[no-untyped-def]
    """Bearer token first; else, for reads only, the browser session. Anything else is a 401."""
    g.api_actor = None
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        actor = actor_for_token(engine(), token) if scheme.lower() == "bearer" and token else None
        if actor is None:
            return _unauthorized()
        g.api_actor = actor
        return None
    if request.method in SAFE_METHODS and g.get("actor") is not None:
        g.api_actor = g.actor
        return None
    return _unauthorized()


@bp.after_request
def _no_store(response):  # type: ignore[no-untyped-def]
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _actor() -> Actor:
    actor = g.get("api_actor")
    if actor is None:  # pragma: no cover - _authenticate guarantees it
        abort(401)
    return actor


def _body_data() -> dict[str, Any]:
    """The ``data`` object of a JSON body; an empty body means no data."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        abort(400, description="请求体须为 JSON 对象")
    data = body.get("data", {})
    if data is None:
        return {}
    if not isinstance(data, dict):
        abort(400, description="“data”须为 JSON 对象")
    return data


# -- serialization -------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """Dataclasses, dates and containers as plain JSON values (dates and times as ISO 8601 strings).

    Moments carry China time's offset (``2025-09-26T23:30:00+08:00``): the same instant as the stored
    UTC, readable as the hall's local time, and never mistaken for it when it is not.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(CHINA_TZ).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(to_json(v) for v in value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _matter(matter: MatterView) -> dict[str, Any]:
    return {"code": matter.code, "name": matter.name, "department": matter.department,
            "case_type": matter.case_type, "statutory_limit_wd": matter.statutory_limit_wd,
            "promised_limit_wd": matter.promised_limit_wd, "version": matter.version}


def _summary(summary: casework.CaseSummary) -> dict[str, Any]:
    body = to_json(summary)
    if summary.deadlines is not None:
        body["deadlines"]["is_paused"] = summary.deadlines.is_paused
    return body


def _document(doc: Any, *, with_html: bool = False) -> dict[str, Any]:
    body = {"id": doc.id, "doc_key": doc.doc_key, "title": doc.title, "document_no": doc.document_no,
            "permit": doc.permit, "element_id": doc.element_id, "sha256": doc.sha256,
            "issued_at": to_json(doc.issued_at)}
    if with_html:
        body["html"] = doc.html
    return body


def _detail(detail: casework.CaseDetail) -> dict[str, Any]:
    return {**_summary(detail.summary), "open_tasks": to_json(detail.open_tasks),
            "documents": [_document(d) for d in detail.documents], "data": to_json(detail.data)}


def _limit() -> int:
    raw = request.args.get("limit", "")
    if not raw:
        return MAX_LIST
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIST:
        abort(400, description=f"limit 须为 1–{MAX_LIST} 的整数")
    return int(raw)


# -- matters -------------------------------------------------------------------------------------


@bp.get("/matters")
def matters():  # type: ignore[no-untyped-def]
    return {"items": [_matter(m) for m in list_matters(engine())]}


@bp.get("/matters/<code>")
def matter(code: str):  # type: ignore[no-untyped-def]
    guide = matter_guide(engine(), code)
    return {**_matter(guide.matter), "definition_id": guide.matter.definition_id,
            "content_hash": guide.matter.content_hash, "metadata": to_json(guide.matter.metadata),
            "task_names": list(guide.task_names)}


@bp.post("/matters/<code>/cases")
def start(code: str):  # type: ignore[no-untyped-def]
    """Start a case as the token's actor; ``data`` prefills the applicant's forms (checked first)."""
    ctx, actor = engine(), _actor()
    raw = _body_data()
    prefill = casework.application_prefill(ctx, code, raw) if raw else {}
    view = start_case(ctx, code, actor, prefill)
    body = _detail(casework.case_detail(ctx, view.id, actor))
    return body, 201, {"Location": url_for("api.case", case_id=view.id)}


# -- cases ---------------------------------------------------------------------------------------


@bp.get("/cases")
def cases():  # type: ignore[no-untyped-def]
    rows = casework.list_cases(engine(), _actor(), matter_code=request.args.get("matter") or None,
                               search=request.args.get("q", ""), status=request.args.get("status") or None,
                               limit=_limit())
    return {"items": [_summary(row) for row in rows]}


@bp.get("/cases/<int:case_id>")
def case(case_id: int):  # type: ignore[no-untyped-def]
    return _detail(casework.case_detail(engine(), case_id, _actor()))


@bp.get("/cases/<int:case_id>/history")
def history(case_id: int):  # type: ignore[no-untyped-def]
    ctx = engine()
    casework.case_detail(ctx, case_id, _actor())  # access check: 404 for cases the actor may not see
    return {"items": to_json(case_history(ctx, case_id))}


@bp.get("/cases/<int:case_id>/documents/<int:document_id>")
def document(case_id: int, document_id: int):  # type: ignore[no-untyped-def]
    detail = casework.case_detail(engine(), case_id, _actor())
    doc = next((d for d in detail.documents if d.id == document_id), None)
    if doc is None:
        abort(404)
    return _document(doc, with_html=True)


# -- tasks ---------------------------------------------------------------------------------------


@bp.get("/tasks")
def worklist():  # type: ignore[no-untyped-def]
    rows = tasks.list_worklist(engine(), _actor(), matter_code=request.args.get("matter") or None)
    return {"items": to_json(rows)}


@bp.post("/cases/<int:case_id>/tasks/<task_uuid>/claim")
def claim(case_id: int, task_uuid: str):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    casework.case_detail(ctx, case_id, actor)  # the same 404 as reading a case the actor may not see
    return to_json(tasks.claim_task(ctx, case_id, task_uuid, actor))


@bp.post("/cases/<int:case_id>/tasks/<task_uuid>/release")
def release(case_id: int, task_uuid: str):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    casework.case_detail(ctx, case_id, actor)
    return to_json(tasks.release_task(ctx, case_id, task_uuid, actor))


@bp.post("/cases/<int:case_id>/tasks/<task_uuid>/complete")
def complete(case_id: int, task_uuid: str):  # type: ignore[no-untyped-def]
    """Submit a task's form. Files are referenced as ``[{"id": <upload id>}]`` and re-read from our records."""
    ctx, actor = engine(), _actor()
    page = casework.task_page(ctx, case_id, task_uuid, actor)  # visibility, task and work checks
    values = _body_data()
    for form_field in page.form.fields:
        if form_field.type == "filepicker" and form_field.key in values:
            refs = values[form_field.key]
            values[form_field.key] = resolve_refs(ctx, refs if isinstance(refs, list) else [], actor, case_id)
    tasks.complete_task(ctx, case_id, task_uuid, values, actor)
    return _detail(casework.case_detail(ctx, case_id, actor))


# -- legal time: deadlines, extensions (art. 42), 特别程序 (art. 45) ---------------------------------


def _legal_time(view: legal.CaseLegalTime) -> dict[str, Any]:
    return {"case_id": view.case_id, "case_number": view.case_number, "deadlines": _deadlines(view.deadlines),
            "records": [record.to_json() for record in view.records],
            "extension_requests": to_json(view.options.requests)}


def _deadlines(deadlines: Any) -> Any:
    if deadlines is None:
        return None
    body = to_json(deadlines)
    body["is_paused"] = deadlines.is_paused
    return body


def _body() -> dict[str, Any]:
    """The JSON object of a body whose fields are the call's parameters (not a form's ``data``)."""
    body = request.get_json(force=True, silent=True) if request.get_data(cache=True) else {}
    if not isinstance(body, dict):
        abort(400, description="请求体须为 JSON 对象")
    return body


@bp.get("/cases/<int:case_id>/deadlines")
def deadlines(case_id: int):  # type: ignore[no-untyped-def]
    return _legal_time(legal.case_legal_time(engine(), case_id, _actor()))


@bp.post("/cases/<int:case_id>/extensions")
def request_extension(case_id: int):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    legal.case_legal_time(ctx, case_id, actor)  # 404 for a case the actor may not see
    body = _body()
    made = legal.request_extension(ctx, case_id, actor, days=body.get("days"), reason=str(body.get("reason") or ""),
                                   permit=str(body.get("permit") or ""))
    return to_json(made), 201, {"Location": url_for("api.extension", request_id=made.id)}


@bp.get("/extensions")
def extensions():  # type: ignore[no-untyped-def]
    return {"items": to_json(legal.pending_extensions(engine(), _actor()))}


@bp.get("/extensions/<int:request_id>")
def extension(request_id: int):  # type: ignore[no-untyped-def]
    page = legal.extension_request(engine(), request_id, _actor())
    return {**to_json(page.request), "case_number": page.case_number, "may_decide": page.may_decide,
            "deadlines": _deadlines(page.deadlines)}


@bp.post("/extensions/<int:request_id>/decision")
def decide_extension(request_id: int):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    legal.extension_request(ctx, request_id, actor)  # 404 before 403
    body = _body()
    approve = body.get("approve")
    if not isinstance(approve, bool):
        abort(400, description="“approve”须为 true 或 false")
    return to_json(legal.decide_extension(ctx, request_id, actor, approve=approve, note=str(body.get("note") or "")))


@bp.post("/cases/<int:case_id>/special-procedures")
def start_special_procedure(case_id: int):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    legal.case_legal_time(ctx, case_id, actor)
    body = _body()
    legal.start_special_procedure(ctx, case_id, actor, kind=str(body.get("kind") or ""),
                                  reason=str(body.get("reason") or ""), expected_days=body.get("expected_days"),
                                  permit=str(body.get("permit") or ""))
    return _legal_time(legal.case_legal_time(ctx, case_id, actor)), 201


@bp.post("/cases/<int:case_id>/special-procedures/end")
def end_special_procedure(case_id: int):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    legal.case_legal_time(ctx, case_id, actor)
    body = _body()
    legal.end_special_procedure(ctx, case_id, actor, result=str(body.get("result") or ""),
                                permit=str(body.get("permit") or ""))
    return _legal_time(legal.case_legal_time(ctx, case_id, actor))


# -- OpenAPI -------------------------------------------------------------------------------------


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _items(name: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items"],
            "properties": {"items": {"type": "array", "items": _ref(name)}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
             422: "Invalid"}
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in codes}


def _param(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "schema": schema, "description": description}


_STR = {"type": "string"}
_INT = {"type": "integer"}
_DATE = {"type": "string", "format": "date"}
_TIME = {"type": "string", "format": "date-time"}
_CASE_ID = _param("case_id", "path", _INT, "办件内部编号")
_TASK_UUID = _param("task_uuid", "path", _STR, "任务标识（task_uuid）")
_REQUEST_ID = _param("request_id", "path", _INT, "延期申请编号")


def _JSON_BODY(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:  # noqa: N802 - reads like a constant
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "properties": properties}}}}


_DATA_BODY = {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"data": {"type": "object", "additionalProperties": True}}}}}}


def _obj(required: list[str], properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": required, "properties": properties}
    if description:
        schema["description"] = description
    return schema


_MATTER_PROPS = {"code": _STR, "name": _STR, "department": _STR, "case_type": _STR, "statutory_limit_wd": _INT,
                 "promised_limit_wd": _INT, "version": _INT}
_PERMIT_PROPS = {"key": _STR, "name": _STR, "statutory_due": _DATE, "promised_due": _DATE,
                 "paused": {"type": "array", "description": "补正/特别程序暂停区间 [开始, 结束]，未结束时结束为 null",
                            "items": {"type": "array", "prefixItems": [_DATE, _nullable(_DATE)]}},
                 "statutory_state": _STR, "promised_state": _STR}
_SUMMARY_PROPS = {"id": _INT, "case_number": _STR, "matter_code": _STR, "matter_name": _STR, "title": _STR,
                  "status": _STR, "blzt": _nullable(_INT), "status_name": _STR, "owner_id": _nullable(_STR),
                  "received_at": _TIME, "completed_at": _nullable(_TIME),
                  "current_steps": {"type": "array", "items": _STR},
                  "deadlines": _nullable(_ref("Deadlines"))}
_TASK_PROPS = {"id": _INT, "case_id": _INT, "case_number": _STR, "task_uuid": _STR, "element_id": _STR,
               "name": _STR, "lane": _STR, "candidate_groups": {"type": "array", "items": _STR},
               "assignee": _nullable(_STR), "form_key": _STR, "state": _STR, "created_at": _TIME,
               "due_at": _nullable(_TIME), "matter_code": _STR}
_DOCUMENT_PROPS = {"id": _INT, "doc_key": _STR, "title": _STR, "document_no": _STR, "permit": _STR,
                   "element_id": _STR, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                   "issued_at": _TIME}
_EXTENSION_PROPS = {"id": _INT, "case_id": _INT, "permit": _STR, "permit_name": _STR, "days": _INT, "reason": _STR,
                    "requested_by": _STR, "requested_at": _TIME, "status": {"enum": ["pending", "approved", "refused"]},
                    "decided_by": _nullable(_STR), "decided_at": _nullable(_TIME), "decision_note": _STR,
                    "approver_title": _STR}
_HISTORY_PROPS = {"seq": _INT, "occurred_at": _TIME, "event_type": _STR, "actor_id": _STR, "actor_role": _STR,
                  "element_id": _STR, "element_name": _STR, "task_uuid": _STR, "from_state": _STR, "to_state": _STR,
                  "data_before": {}, "data_after": {}, "payload": {}, "row_hash": _STR}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(["error", "message"], {
        "error": _STR, "message": {"type": "string", "description": "中文说明"},
        "errors": {"type": "object", "additionalProperties": _STR, "description": "字段 → 错误说明（仅 422）"}}),
    "Matter": _obj(list(_MATTER_PROPS), _MATTER_PROPS, "事项（最新部署版本）"),
    "MatterGuide": {"allOf": [_ref("Matter"), _obj(
        ["definition_id", "content_hash", "metadata", "task_names"],
        {"definition_id": _INT, "content_hash": _STR, "metadata": {"type": "object"},
         "task_names": {"type": "array", "items": _STR}})], "description": "办事指南"},
    "PermitDeadline": _obj(list(_PERMIT_PROPS), _PERMIT_PROPS),
    "Deadlines": _obj(
        ["accepted_on", "statutory_due", "promised_due", "extension_wd", "paused", "provisional",
         "statutory_state", "promised_state", "finished", "is_paused", "permits"],
        {"accepted_on": _DATE, "statutory_due": _DATE, "promised_due": _DATE, "extension_wd": _INT,
         "paused": _PERMIT_PROPS["paused"], "provisional": {"type": "boolean"}, "statutory_state": _STR,
         "promised_state": _STR, "finished": {"type": "boolean"}, "is_paused": {"type": "boolean"},
         "permits": {"type": "array", "items": _ref("PermitDeadline")}}, "办理时限（工作日已换算为日期）"),
    "CaseSummary": _obj(list(_SUMMARY_PROPS), _SUMMARY_PROPS, "办件概要"),
    "Task": _obj(list(_TASK_PROPS), _TASK_PROPS, "人工任务"),
    "Document": _obj(list(_DOCUMENT_PROPS), _DOCUMENT_PROPS, "已出具的文书（不含正文）"),
    "DocumentContent": {"allOf": [_ref("Document"), _obj(["html"], {"html": _STR})],
                        "description": "文书正文；sha256 为 UTF-8 正文的摘要"},
    "CaseDetail": {"allOf": [_ref("CaseSummary"), _obj(["open_tasks", "documents", "data"], {
        "open_tasks": {"type": "array", "items": _ref("Task")},
        "documents": {"type": "array", "items": _ref("Document")},
        "data": {"type": "object", "additionalProperties": True}})], "description": "办件详情"},
    "HistoryEvent": _obj(list(_HISTORY_PROPS), _HISTORY_PROPS, "办理记录（哈希链）"),
    "ExtensionRequest": _obj(list(_EXTENSION_PROPS), _EXTENSION_PROPS, "延长办理期限申请（行政许可法第四十二条）"),
    "ExtensionRequestDetail": {"allOf": [_ref("ExtensionRequest"), _obj(
        ["case_number", "may_decide", "deadlines"],
        {"case_number": _STR,
         "may_decide": {"type": "boolean", "description": "调用者可否批准（作出决定部门的负责人）"},
         "deadlines": _nullable(_ref("Deadlines"))})], "description": "延期申请及其办件的期限记录"},
    "LegalTime": _obj(["case_id", "case_number", "deadlines", "records", "extension_requests"], {
        "case_id": _INT, "case_number": _STR, "deadlines": _nullable(_ref("Deadlines")),
        "records": {"type": "array", "items": {"type": "object"},
                    "description": "存储的期限记录（本件及各证照）：受理日期、所用时限、暂停（含依据）、"
                                   "延期、办结日期"},
        "extension_requests": {"type": "array", "items": _ref("ExtensionRequest")}}, "办件的办理期限"),
}

RESPONSES: dict[str, Any] = {
    "BadRequest": _json(_ref("Error"), "请求体或参数格式不正确"),
    "Unauthorized": _json(_ref("Error"), "缺少或无效的访问令牌"),
    "Forbidden": _json(_ref("Error"), "无权执行此操作"),
    "NotFound": _json(_ref("Error"), "不存在，或无权查看"),
    "Conflict": _json(_ref("Error"), "任务已被处理或办件刚被他人更新"),
    "Invalid": _json(_ref("Error"), "表单填写有误，errors 列出各字段的问题"),
}


def _op(summary: str, ok: dict[str, Any], *errors: int, status: str = "200", **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {status: ok, **_errors(401, *errors)}, **extra}


PATHS: dict[str, Any] = {
    "/matters": {"get": _op("事项列表", _json(_items("Matter"), "事项"), operationId="listMatters")},
    "/matters/{code}": {
        "parameters": [_param("code", "path", _STR, "事项编码")],
        "get": _op("办事指南", _json(_ref("MatterGuide"), "事项及其指南"), 404, operationId="getMatter")},
    "/matters/{code}/cases": {
        "parameters": [_param("code", "path", _STR, "事项编码")],
        "post": _op("申办（以令牌所属用户身份）", _json(_ref("CaseDetail"), "已创建的办件"), 400, 403, 404, 422,
                    status="201", operationId="startCase", requestBody=_DATA_BODY,
                    description="data 可预填申请人表单的字段，逐项按表单规则校验；其他字段返回 422。")},
    "/cases": {"get": _op("可见办件列表", _json(_items("CaseSummary"), "办件"), 400, operationId="listCases",
                          parameters=[_param("matter", "query", _STR, "事项编码"),
                                      _param("status", "query", _STR, "状态（running、completed 等）"),
                                      _param("q", "query", _STR, "办件编号或标题检索"),
                                      _param("limit", "query", {"type": "integer", "minimum": 1,
                                                                "maximum": MAX_LIST}, "最多返回条数")])},
    "/cases/{case_id}": {
        "parameters": [_CASE_ID],
        "get": _op("办件详情", _json(_ref("CaseDetail"), "办件"), 404, operationId="getCase")},
    "/cases/{case_id}/history": {
        "parameters": [_CASE_ID],
        "get": _op("办理记录", _json(_items("HistoryEvent"), "按序号排列的记录"), 404, operationId="getCaseHistory")},
    "/cases/{case_id}/documents/{document_id}": {
        "parameters": [_CASE_ID, _param("document_id", "path", _INT, "文书编号")],
        "get": _op("文书正文", _json(_ref("DocumentContent"), "文书"), 404, operationId="getDocument")},
    "/tasks": {"get": _op("待办任务（本人的及所在岗位未签收的）", _json(_items("Task"), "任务"),
                          operationId="listTasks", parameters=[_param("matter", "query", _STR, "事项编码")])},
    "/cases/{case_id}/tasks/{task_uuid}/claim": {
        "parameters": [_CASE_ID, _TASK_UUID],
        "post": _op("签收任务", _json(_ref("Task"), "已签收的任务"), 403, 404, 409, operationId="claimTask")},
    "/cases/{case_id}/tasks/{task_uuid}/release": {
        "parameters": [_CASE_ID, _TASK_UUID],
        "post": _op("退回岗位队列", _json(_ref("Task"), "已退回的任务"), 403, 404, 409, operationId="releaseTask")},
    "/cases/{case_id}/tasks/{task_uuid}/complete": {
        "parameters": [_CASE_ID, _TASK_UUID],
        "post": _op("提交任务表单", _json(_ref("CaseDetail"), "提交后的办件"), 400, 403, 404, 409, 422,
                    operationId="completeTask", requestBody={**_DATA_BODY, "required": True},
                    description='文件字段传 [{"id": 上传编号}]，仅本人上传或本办件已有的文件有效。')},
    "/cases/{case_id}/deadlines": {
        "parameters": [_CASE_ID],
        "get": _op("办理期限（存储的期限记录与延期申请）", _json(_ref("LegalTime"), "期限"), 404,
                   operationId="getCaseDeadlines")},
    "/cases/{case_id}/extensions": {
        "parameters": [_CASE_ID],
        "post": _op("申请延长办理期限", _json(_ref("ExtensionRequest"), "待批准的申请"), 400, 403, 404, 422,
                    status="201", operationId="requestExtension", requestBody=_JSON_BODY(
                        {"permit": _STR, "days": _INT, "reason": _STR}, ["days", "reason"]),
                    description="作出决定部门的承办人员提出，须写明理由；两证打包的须指明 permit。"
                                "在办件办结前、法定期限届满前，且不超过事项规定的可延长时限。")},
    "/extensions": {"get": _op("待本人批准的延期申请", _json(_items("ExtensionRequest"), "申请"),
                               operationId="listExtensionRequests")},
    "/extensions/{request_id}": {
        "parameters": [_REQUEST_ID],
        "get": _op("延期申请", _json(_ref("ExtensionRequestDetail"), "申请"), 404, operationId="getExtensionRequest")},
    "/extensions/{request_id}/decision": {
        "parameters": [_REQUEST_ID],
        "post": _op("批准或不予批准延期", _json(_ref("ExtensionRequest"), "已处理的申请"), 400, 403, 404,
                    operationId="decideExtension", requestBody=_JSON_BODY(
                        {"approve": {"type": "boolean"}, "note": _STR}, ["approve"]),
                    description="只有作出决定部门的负责人可以批准（不是窗口负责人，也不是系统管理员）；"
                                "批准后期限记录随之变更，并向申请人出具延长办理期限告知书。")},
    "/cases/{case_id}/special-procedures": {
        "parameters": [_CASE_ID],
        "post": _op("启动特别程序（暂停计时）", _json(_ref("LegalTime"), "期限"), 400, 403, 404, 422, status="201",
                    operationId="startSpecialProcedure", requestBody=_JSON_BODY(
                        {"permit": _STR, "kind": _STR, "reason": _STR, "expected_days": _INT},
                        ["kind", "reason", "expected_days"]),
                    description="行政许可法第四十五条：事项规定的特别程序（如检验、检测、专家评审）所需时间不计入期限，"
                                "并出具特别程序告知书。")},
    "/cases/{case_id}/special-procedures/end": {
        "parameters": [_CASE_ID],
        "post": _op("结束特别程序（恢复计时）", _json(_ref("LegalTime"), "期限"), 400, 403, 404, 422,
                    operationId="endSpecialProcedure", requestBody=_JSON_BODY({"permit": _STR, "result": _STR},
                                                                              ["result"]))},
    "/openapi.json": {"get": {"summary": "本接口说明（OpenAPI 3.1）", "operationId": "getOpenApi", "security": [],
                              "responses": {"200": {"description": "OpenAPI 文档",
                                                    "content": {"application/json": {"schema": {
                                                        "type": "object"}}}}}}},
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "一窗通办 OneWindow API", "version": "1.0.0",
             "description": "使用 Authorization: Bearer <令牌> 调用；已登录的浏览器会话只能读取（GET）。"
                            "时间（date-time）均为北京时间，带 +08:00 偏移；日期（date）为北京时间的日历日。"
                            "错误统一返回 Error：404 不存在或无权查看，403 无权操作，409 冲突，422 表单有误。"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS, "responses": RESPONSES,
                   "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                      "description": "在账户页面签发的访问令牌（ow_…）"}}},
}


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    return OPENAPI
