"""Map engine errors to HTTP once (views never translate errors themselves)."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from engine import errors as e

STATUS = {
    e.MatterNotFound: 404, e.CaseNotFound: 404, e.TaskNotFound: 404,
    e.NotAllowed: 403, e.TaskNotReady: 409, e.ConcurrentUpdate: 409,
    e.FormDataInvalid: 422, e.DefinitionInvalid: 422, e.UnsafeXml: 422,
}


def _status_of(error: e.EngineError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def register(app: Flask) -> None:
    @app.errorhandler(e.EngineError)
    def engine_error(error: e.EngineError):  # type: ignore[no-untyped-def]
        status = _status_of(error)
        if request.path.startswith("/api/"):
            body = {"error": type(error).__name__, "message": error.message}
            if isinstance(error, e.FormDataInvalid):
                body["errors"] = error.errors
            return body, status
        return render_template("errors/error.html", status=status, message=error.message), status

    messages = {400: "请求无效", 401: "请先登录", 403: "您无权访问此页面", 404: "页面不存在", 405: "不支持的请求方式",
                413: "上传内容过大", 422: "提交的内容有误", 500: "系统内部错误"}

    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        message = error.description if status in (400, 413) and error.description and \
            not error.description.startswith(("The ", "A ")) else messages.get(status, "请求出错")
        if request.path.startswith("/api/"):
            return {"error": error.name, "message": message}, status
        return render_template("errors/error.html", status=status, message=message), status

    for code in (400, 401, 403, 404, 405, 413):
        app.register_error_handler(code, http_error)
