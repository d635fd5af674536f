"""The REST API (``/api/v1``): JSON over the same engine services, and the same projections, as the pages.

Systems authenticate with ``Authorization: Bearer <token>`` (tokens are issued on the account page).
A signed-in browser session may read (GET) as well; every state-changing call needs the bearer
token, because the API skips the CSRF check that protects the pages' forms. Each view declares its
operation (``webapp.views.openapi.operation``) with the pydantic schemas of ``api_schemas``, which
validate the query and body, shape the answer and generate ``/api/v1/openapi.json``. Engine errors
become JSON in ``webapp.errors``: ``{"error", "code", "message", "errors"?, "incident"?}``; the document
lists each status's ``code`` values from ``webapp.errors.ERROR_CODES`` and which of them to retry.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import current_app
from flask import g
from flask import request
from flask import url_for
from flask.blueprints import BlueprintSetupState

from engine.actors import Actor
from engine.services import casework
from engine.services import deadline_requests as legal
from engine.services import deadline_views as legal_views
from engine.services import service_of_documents
from engine.services import task_actions
from engine.services import tasks
from engine.services.applications import file_application
from engine.services.deploy import list_matters
from engine.services.deploy import matter_guide
from engine.services.submissions import FormInput
from engine.services.submissions import submit_task
from webapp.errors import ERROR_CODES
from webapp.security import SAFE_METHODS
from webapp.security import engine
from webapp.views import api_schemas as s
from webapp.views.openapi import openapi_document
from webapp.views.openapi import operation
from webapp.views.work import format_page_key
from webapp.views.work import parse_page_key

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}
UNAUTHORIZED = {"error": "unauthorized", "message": "需要有效的访问令牌"}


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
    if request.headers.get("Authorization", ""):
        actor = g.get("token_actor")  # looked up with the session and calendar (webapp.security)
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


# -- shaping ---------------------------------------------------------------------------------------


def _fields(view: Any) -> dict[str, Any]:
    """A frozen engine view's fields by name (not recursively: the schemas read nested views themselves)."""
    return {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}


def _detail(case: casework.CaseProjection) -> s.CaseDetail:
    """The projection as the API's case body: the summary's fields at the top, then the rest."""
    parts = {key: value for key, value in _fields(case).items() if key not in ("summary", "forms", "metadata")}
    return s.CaseDetail.model_validate({**_fields(case.summary), **parts, "audience": case.audience.value})


# -- matters -------------------------------------------------------------------------------------


@bp.get("/matters")
@operation("listMatters", "事项列表", s.MatterList)
def matters():  # type: ignore[no-untyped-def]
    return s.MatterList(items=list_matters(engine()))


@bp.get("/matters/<code>")
@operation("getMatter", "办事指南", s.MatterGuide, errors=(404,))
def matter(code: str):  # type: ignore[no-untyped-def]
    guide = matter_guide(engine(), code)
    return s.MatterGuide.model_validate({**_fields(guide.matter), "task_names": guide.task_names,
                                         "stages": [asdict(step) for step in guide.steps]})


@bp.post("/matters/<code>/cases")
@operation("startCase", "申办（以令牌所属用户身份）", s.CaseDetail, status=201, errors=(400, 403, 404, 422),
           body=s.StartCaseBody, description="data 可预填申请人表单的字段，逐项按表单规则校验；其他字段返回 422。")
def start(code: str, body: s.StartCaseBody):  # type: ignore[no-untyped-def]
    """Start a case as the token's actor; ``data`` prefills the applicant's forms (checked first)."""
    filed = file_application(engine(), code, _actor(), prefill=body.data)
    return _detail(filed.case), {"Location": url_for("api.case", case_id=filed.case_id)}


# -- cases ---------------------------------------------------------------------------------------


@bp.get("/cases")
@operation("listCases", "可见办件列表", s.CaseList, errors=(400,), query=s.CaseQuery)
def cases(query: s.CaseQuery):  # type: ignore[no-untyped-def]
    return s.CaseList(items=casework.list_cases(engine(), _actor(), matter_code=query.matter, search=query.q,
                                                status=query.status, limit=query.limit))


@bp.get("/cases/<int:case_id>")
@operation("getCase", "办件详情", s.CaseDetail, errors=(404,),
           description="按调用者的身份投影：申请人只见本人的申请与补正、送达的文书、状态和期限；工作人员另见各部门意见与办理数据。")
def case(case_id: int):  # type: ignore[no-untyped-def]
    return _detail(casework.case_projection(engine(), case_id, _actor()))


@bp.get("/cases/<int:case_id>/history")
@operation("getCaseHistory", "办理记录", s.CaseHistory, errors=(404,),
           description="申请人得到办理进程（audience=applicant）；工作人员与审计得到完整的哈希链记录（audience=staff）。")
def history(case_id: int):  # type: ignore[no-untyped-def]
    audience, items = casework.case_timeline(engine(), case_id, _actor())
    return s.CaseHistory.model_validate({"audience": audience.value, "items": items})


@bp.get("/cases/<int:case_id>/documents/<int:document_id>")
@operation("getDocument", "文书正文", s.DocumentContent, errors=(404,))
def document(case_id: int, document_id: int):  # type: ignore[no-untyped-def]
    return s.DocumentContent.model_validate(casework.case_document(engine(), case_id, document_id, _actor()))


@bp.post("/cases/<int:case_id>/documents/<int:document_id>/service")
@operation("recordDelivery", "登记文书送达", s.DocumentService, errors=(400, 403, 404, 422), body=s.DeliveryBody,
           body_required=True,
           description="与办件页面的送达登记相同：窗口或督办人员登记窗口领取（领取人姓名、身份证号）"
                       "或邮寄（EMS 运单号），记入办理记录；已送达的不能重复登记（422），无需送达的文书为 403。"
                       "电子送达不登记，以申请人本人首次查看文书的时间为送达时间。")
def record_delivery(case_id: int, document_id: int, body: s.DeliveryBody):  # type: ignore[no-untyped-def]
    served = service_of_documents.record_delivery(engine(), case_id, document_id, _actor(), body.model_dump())
    return s.DocumentService.model_validate(served)


# -- tasks ---------------------------------------------------------------------------------------


@bp.get("/tasks")
@operation("listTasks", "待办任务（本人的及所在岗位未签收的）", s.TaskList, errors=(400,), query=s.TaskQuery)
def worklist(query: s.TaskQuery):  # type: ignore[no-untyped-def]
    """One page of the actor's open tasks, oldest first; ``next_after`` continues where it stopped."""
    items = tasks.list_worklist(engine(), _actor(), matter_code=query.matter, limit=query.limit,
                                after=parse_page_key(query.after))
    last = items[-1] if len(items) == query.limit else None
    return s.TaskList(items=items, next_after=format_page_key((last.created_at, last.id)) if last else "")


@bp.post("/cases/<int:case_id>/tasks/<task_uuid>/claim")
@operation("claimTask", "签收任务", s.Task, errors=(403, 404, 409))
def claim(case_id: int, task_uuid: str):  # type: ignore[no-untyped-def]
    return s.Task.model_validate(task_actions.claim_task(engine(), case_id, task_uuid, _actor()))


@bp.post("/cases/<int:case_id>/tasks/<task_uuid>/release")
@operation("releaseTask", "退回岗位队列", s.Task, errors=(403, 404, 409))
def release(case_id: int, task_uuid: str):  # type: ignore[no-untyped-def]
    return s.Task.model_validate(task_actions.release_task(engine(), case_id, task_uuid, _actor()))


@bp.post("/cases/<int:case_id>/tasks/<task_uuid>/complete")
@operation("completeTask", "提交任务表单", s.CaseDetail, errors=(400, 403, 404, 409, 422, 500),
           body=s.CompleteTaskBody, body_required=True,
           description='文件字段传 [{"id": 上传编号}]，仅本人上传或本办件已有的文件有效。'
                       '流程在提交时出错（500，code 为 incident）：任务仍待办，填写内容已暂存，由管理员处理。'
                       '传 seen_seq（读取办件时的 history_seq），他人其后改动了本表单的字段则 409 stale_form。')
def complete(case_id: int, task_uuid: str, body: s.CompleteTaskBody):  # type: ignore[no-untyped-def]
    """Submit a task's form. Files are referenced as ``[{"id": <upload id>}]`` and re-read from our records."""
    result = submit_task(engine(), case_id, task_uuid, _actor(), FormInput(body.data, seen_seq=body.seen_seq),
                         with_page=False)
    result.raise_for_problem()
    assert result.case is not None
    return _detail(result.case)


# -- legal time: deadlines, extensions (art. 42), 特别程序 (art. 45) ---------------------------------


def _legal_time(view: legal_views.CaseLegalTime) -> s.LegalTime:
    return s.LegalTime.model_validate({"case_id": view.case_id, "case_number": view.case_number,
                                       "deadlines": view.deadlines, "records": list(view.records),
                                       "extension_requests": list(view.options.requests)})


@bp.get("/cases/<int:case_id>/deadlines")
@operation("getCaseDeadlines", "办理期限（存储的期限记录与延期申请）", s.LegalTime, errors=(404,),
           description="页面、文书与统计读取的同一份期限记录：受理日期、所用时限、暂停（补正、特别程序）及其法定依据、延期、办结日期。")
def case_deadlines(case_id: int):  # type: ignore[no-untyped-def]
    return _legal_time(legal_views.case_legal_time(engine(), case_id, _actor()))


@bp.post("/cases/<int:case_id>/extensions")
@operation("requestExtension", "申请延长办理期限", s.ExtensionRequest, status=201, errors=(403, 404, 422),
           body=s.ExtensionBody, body_required=True,
           description="作出决定部门的承办人员提出，须写明理由；在办件办结前、法定期限届满前提出，且不超过事项规定的可延长时限。"
                       "提出后待该部门负责人批准，期限不变。")
def request_extension(case_id: int, body: s.ExtensionBody):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    legal_views.case_legal_time(ctx, case_id, actor)  # 404 for a case the actor may not see
    made = legal.request_extension(ctx, case_id, actor, days=body.days, reason=body.reason, permit=body.permit)
    return s.ExtensionRequest.model_validate(made), {"Location": url_for("api.extension", request_id=made.id)}


@bp.get("/extensions")
@operation("listExtensionRequests", "待本人批准的延期申请", s.ExtensionRequestList)
def extensions():  # type: ignore[no-untyped-def]
    return s.ExtensionRequestList(items=legal_views.pending_extensions(engine(), _actor()))


@bp.get("/extensions/<int:request_id>")
@operation("getExtensionRequest", "延期申请", s.ExtensionRequestDetail, errors=(404,))
def extension(request_id: int):  # type: ignore[no-untyped-def]
    page = legal_views.extension_request(engine(), request_id, _actor())
    return s.ExtensionRequestDetail.model_validate({**_fields(page.request), "case_number": page.case_number,
                                                    "may_decide": page.may_decide, "deadlines": page.deadlines})


@bp.post("/extensions/<int:request_id>/decision")
@operation("decideExtension", "批准或不予批准延期", s.ExtensionRequest, errors=(403, 404), body=s.ExtensionDecisionBody,
           body_required=True,
           description="只有作出决定部门的负责人可以批准（不是窗口负责人，也不是系统管理员）；批准后期限记录随之变更，"
                       "并向申请人出具延长办理期限告知书。")
def decide_extension(request_id: int, body: s.ExtensionDecisionBody):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    legal_views.extension_request(ctx, request_id, actor)  # 404 before 403
    return s.ExtensionRequest.model_validate(legal.decide_extension(ctx, request_id, actor, approve=body.approve,
                                                                    note=body.note))


@bp.post("/cases/<int:case_id>/special-procedures")
@operation("startSpecialProcedure", "启动特别程序（暂停计时）", s.LegalTime, status=201, errors=(403, 404, 422),
           body=s.SpecialProcedureBody, body_required=True,
           description="行政许可法第四十五条：事项规定的特别程序所需时间不计入期限；出具特别程序告知书。")
def start_special_procedure(case_id: int, body: s.SpecialProcedureBody):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    legal_views.case_legal_time(ctx, case_id, actor)
    legal.start_special_procedure(ctx, case_id, actor, kind=body.kind, reason=body.reason,
                                  expected_days=body.expected_days, permit=body.permit)
    return _legal_time(legal_views.case_legal_time(ctx, case_id, actor))


@bp.post("/cases/<int:case_id>/special-procedures/end")
@operation("endSpecialProcedure", "结束特别程序（恢复计时）", s.LegalTime, errors=(403, 404, 422),
           body=s.SpecialProcedureEndBody, body_required=True,
           description="记录特别程序结束之日：该期间不计入期限，并出具告知书写明实际期间与调整后的办结日期。")
def end_special_procedure(case_id: int, body: s.SpecialProcedureEndBody):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), _actor()
    legal_views.case_legal_time(ctx, case_id, actor)
    legal.end_special_procedure(ctx, case_id, actor, result=body.result, permit=body.permit)
    return _legal_time(legal_views.case_legal_time(ctx, case_id, actor))


# -- OpenAPI -------------------------------------------------------------------------------------

PATH_PARAMETERS = {"code": "事项编码", "case_id": "办件内部编号", "task_uuid": "任务标识（task_uuid）",
                   "document_id": "文书编号", "request_id": "延期申请编号", "incident_id": "异常编号"}
ERROR_RESPONSES = {400: "请求体或参数格式不正确", 401: "缺少或无效的访问令牌", 403: "无权执行此操作",
                   404: "不存在，或无权查看", 409: "任务已办结或不可办理（勿重试），或办件刚被他人更新（可重试）",
                   413: "请求体超过大小上限", 422: "表单填写有误，errors 列出各字段的问题",
                   500: "系统内部错误，incident 为事件编号"}
INFO = {"title": "一窗通办 OneWindow API", "version": "1.0.0",
        "description": "使用 Authorization: Bearer <令牌> 调用；已登录的浏览器会话只能读取（GET）。"
                       "错误统一返回 Error，其 code 为稳定的错误码：每个错误状态下列出可能的 code，"
                       "x-retry-codes 为可原样重试的 code（如 conflict_retry，稍候随机等待后重试），"
                       "其余 code 重试无意义（如 task_already_done：任务已办结，请重新读取办件）。"
                       "时间（date-time）均为北京时间，带 +08:00 偏移；日期（date）为北京时间的日历日。"}
SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "description": "在账户页面签发的访问令牌（ow_…）"}


def api_document(app: Flask) -> dict[str, Any]:
    """This app's API document, built once from the route table and the schemas."""
    document = app.extensions.get("onewindow_openapi")
    if document is None:
        document = app.extensions["onewindow_openapi"] = openapi_document(
            app, bp.name, info=INFO, error_model=s.Error, error_responses=ERROR_RESPONSES,
            path_parameters=PATH_PARAMETERS, security_scheme=SECURITY_SCHEME, error_codes=ERROR_CODES)
    return document


@bp.get("/openapi.json")
@operation("getOpenApi", "本接口说明（OpenAPI 3.1）", None, public=True)
def openapi():  # type: ignore[no-untyped-def]
    return api_document(current_app._get_current_object())  # type: ignore[attr-defined]
