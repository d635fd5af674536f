"""Map engine errors to HTTP once (views never translate errors themselves)."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from flask import request

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

    @app.errorhandler(404)
    def not_found(_error):  # type: ignore[no-untyped-def]
        return render_template("errors/error.html", status=404, message="页面不存在"), 404
