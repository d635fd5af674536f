"""Map engine and HTTP errors to responses once (views never translate errors themselves).

Under ``/api/`` every error is JSON, a crash included: ``{"error", "code", "message"}`` plus
``errors`` (field messages) for invalid form data and ``incident`` for a 500. ``code`` is stable and
machine-readable (``ERROR_CODES``), so a client can tell "the task is already done, stop" from "a
concurrent update won, send it again" without parsing Chinese text. Pages get the error template.
A crash is logged with an incident id that the answer repeats, so an operator can find the stack
trace a user reports; the trace itself never reaches the response.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask import Response
from flask import g
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from engine import errors as e
from engine.services.case_changes import changes_since
from webapp.formdata import SEEN_FIELD
from webapp.formdata import seen_seq
from webapp.security import engine

log = logging.getLogger("onewindow.errors")


@dataclass(frozen=True)
class ErrorCode:
    """One machine-readable error code of the JSON error body."""

    status: int
    #: What the code means, for the person reading the API documentation (Chinese).
    description: str
    #: Whether sending the same request again may succeed (``conflict_retry``: yes, after a short
    #: jittered pause; ``task_already_done``: no, the work is finished).
    retry: bool


#: Every ``code`` a JSON error body can carry. The OpenAPI document publishes this table.
ERROR_CODES: dict[str, ErrorCode] = {
    "bad_request": ErrorCode(400, "请求无效：参数、编码或请求体格式有误（如 JSON 嵌套过深、含空字符）", False),
    "unauthorized": ErrorCode(401, "未登录或访问令牌无效", False),
    "forbidden": ErrorCode(403, "无权执行此操作", False),
    "not_found": ErrorCode(404, "所请求的事项、办件、任务、文书或文件不存在，或无权查看", False),
    "method_not_allowed": ErrorCode(405, "该地址不支持此请求方式", False),
    "task_already_done": ErrorCode(409, "该任务已办结（可能已由他人办理），重试无意义；请重新读取办件", False),
    "task_not_ready": ErrorCode(409, "该任务当前不可办理（尚未到达或已取消），重试无意义；请重新读取办件", False),
    "conflict_retry": ErrorCode(409, "办件刚被他人同时更新，本次操作未保存；稍候（随机等待）后原样重试即可", True),
    "stale_form": ErrorCode(409, "读取办件后他人改动了本表单的字段（changes 列出），本次未提交、已暂存；"
                                 "请重新读取办件、核对后带新的 seen_seq 再提交，勿原样重试", False),
    "message_ambiguous": ErrorCode(409, "多个办件在等待该消息，请用办件编号指明其一", False),
    "case_suspended": ErrorCode(409, "办件已被挂起，恢复后才能继续办理；重试无意义", False),
    "payload_too_large": ErrorCode(413, "上传或提交的内容超过大小上限", False),
    "unsupported_media_type": ErrorCode(415, "请求体的内容类型不被接受", False),
    "invalid": ErrorCode(422, "提交的内容未通过校验，errors 中列出每个字段的问题", False),
    "too_many_requests": ErrorCode(429, "请求过于频繁，请稍后再试", True),
    "incident": ErrorCode(500, "办件在流程中出错，已记录为异常（incident 为编号），任务仍待办，提交内容已暂存", False),
    "internal": ErrorCode(500, "系统内部错误；已记录事件编号（incident），可凭此联系管理员", True),
    "unavailable": ErrorCode(503, "服务暂不可用（如数据库无法连接），稍后再试", True),
}

#: Engine errors by class (the most specific class in an error's MRO wins).
ENGINE_ERROR_CODES: dict[type[e.EngineError], str] = {
    e.MatterNotFound: "not_found", e.CaseNotFound: "not_found", e.TaskNotFound: "not_found",
    e.NotAllowed: "forbidden", e.TaskAlreadyDone: "task_already_done", e.TaskNotReady: "task_not_ready",
    e.ConcurrentUpdate: "conflict_retry", e.StaleSubmission: "stale_form", e.IncidentRaised: "incident",
    e.MessageNotCorrelated: "not_found", e.MessageAmbiguous: "message_ambiguous", e.CaseSuspended: "case_suspended",
    e.FormDataInvalid: "invalid", e.DefinitionInvalid: "invalid", e.UnsafeXml: "invalid",
}

#: Kept for callers that only need the HTTP status of an engine error class.
STATUS = {cls: ERROR_CODES[code].status for cls, code in ENGINE_ERROR_CODES.items()}

_CODE_BY_STATUS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                   405: "method_not_allowed", 409: "conflict_retry", 413: "payload_too_large",
                   415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests", 503: "unavailable"}

_MESSAGES = {400: "请求无效", 401: "请先登录", 403: "您无权访问此页面", 404: "页面不存在", 405: "不支持的请求方式",
             409: "操作冲突，请刷新后重试", 413: "上传内容过大", 415: "不支持的内容类型", 422: "提交的内容有误",
             429: "请求过于频繁，请稍后再试", 500: "系统内部错误", 503: "服务暂不可用"}


def code_of(error: e.EngineError) -> str:
    """The ``code`` of an engine error; an engine error no rule names is an internal error."""
    for cls in type(error).__mro__:
        if cls in ENGINE_ERROR_CODES:
            return ENGINE_ERROR_CODES[cls]
    return "internal"


def code_for_status(status: int) -> str:
    if status in _CODE_BY_STATUS:
        return _CODE_BY_STATUS[status]
    return "internal" if status >= 500 else "bad_request"


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _answer(status: int, code: str, error: str, message: str, **extra: Any):  # type: ignore[no-untyped-def]
    if _is_api():
        return {"error": error, "code": code, "message": message, **extra}, status
    return render_template("errors/error.html", status=status, message=message), status


def new_incident(error: BaseException) -> str:
    """Log ``error`` with its stack trace under a fresh incident id and return the id."""
    incident = uuid.uuid4().hex[:12]
    log.error("incident %s: %s %s failed", incident, request.method, request.path,
              exc_info=(type(error), error, error.__traceback__))
    return incident


#: Posted fields that are not what a person typed.
_NOT_TYPED = ("csrf_token", "action", SEEN_FIELD)


def _task_done_page(error: e.TaskAlreadyDone) -> str:
    """A task finished meanwhile (back button, second tab, a colleague): say when and by whom, link to the
    case, and show back what this person had just typed, so nothing they wrote is lost."""
    typed = [(key, value) for key in request.form if key not in _NOT_TYPED and not key.endswith(("__kept", "__drop"))
             for value in request.form.getlist(key) if value.strip()]
    seen = seen_seq(request.form) if request.method == "POST" else None
    changes = ()
    actor = g.get("actor")
    if seen is not None and error.case_id is not None and actor is not None:
        # A submit that came too late: also say what the others did since this page was opened.
        changes = changes_since(engine(), error.case_id, actor, seen, error.field_labels)
    return render_template("errors/task_done.html", error=error, typed=typed, changes=changes)


def register(app: Flask) -> None:
    @app.errorhandler(e.EngineError)
    def engine_error(error: e.EngineError):  # type: ignore[no-untyped-def]
        code = code_of(error)
        status = ERROR_CODES[code].status
        extra: dict[str, Any] = {}
        message = error.message
        if isinstance(error, e.FormDataInvalid):
            extra["errors"] = error.errors
        if isinstance(error, e.StaleSubmission):
            extra["changes"] = list(error.changes)
        if isinstance(error, e.IncidentRaised):
            extra["incident"] = str(error.incident_id)
        elif status >= 500:
            extra["incident"] = incident = new_incident(error)
            message = f"{message}（事件编号 {incident}）"
        if isinstance(error, e.TaskAlreadyDone) and error.case_id is not None and not _is_api():
            return _task_done_page(error), status
        return _answer(status, code, type(error).__name__, message, **extra)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        if status < 400:  # redirects raised as exceptions (RequestRedirect) pass through untouched
            return error
        described = error.description and not error.description.startswith(("The ", "A "))
        message = error.description if status in (400, 413) and described else _MESSAGES.get(status, "请求出错")
        answer = _answer(status, code_for_status(status), error.name, message)
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            return *answer, {"Allow": ", ".join(error.valid_methods)}  # type: ignore[attr-defined]
        return answer

    @app.errorhandler(Exception)
    def crash(error: Exception):  # type: ignore[no-untyped-def]
        incident = new_incident(error)
        return _answer(500, "internal", "InternalServerError",
                       f"系统内部错误，请稍后再试；如仍出错请联系管理员并提供事件编号 {incident}", incident=incident)

    app.after_request(_code_on_api_errors)


def _code_on_api_errors(response: Response) -> Response:
    """Give a JSON error a view returned by hand (e.g. the API's 401) its ``code`` too."""
    if response.status_code < 400 or not _is_api() or not response.is_json:
        return response
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "code" not in body:
        body["code"] = code_for_status(response.status_code)
        response.set_data(response.json_module.dumps(body))  # type: ignore[attr-defined]
    return response
