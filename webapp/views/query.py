"""办件查询: a walk-in applicant follows, supplements and rates their case with its 查询码, without an account.

The look-up (``services.parties.open_with_query_code``) checks the code with the applicant's ID number
or mobile under a rate limit; a correct answer leaves a grant in the (signed) session for
``GRANT_MINUTES``: that case only, as its owner (``Relation.QUERY_CODE``). Every page then calls the
same services as the signed-in case pages, with the applicant as the actor.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from flask import Blueprint
from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from engine.services import casework
from engine.services.parties import QueryGrant
from engine.services.parties import QueryRefused
from engine.services.parties import TooManyQueryAttempts
from engine.services.parties import open_with_query_code
from engine.services.submissions import Outcome
from engine.services.submissions import submit_task
from webapp.formdata import form_input
from webapp.security import engine

bp = Blueprint("query", __name__)

GRANT_KEY = "query_grant"
GRANT_MINUTES = 30


def _grant() -> QueryGrant | None:
    """The session's grant, if it has not run out."""
    held = session.get(GRANT_KEY)
    if not isinstance(held, dict):
        return None
    try:
        until = datetime.fromisoformat(str(held["until"]))
        grant = QueryGrant(int(held["case_id"]), str(held["party_id"]), str(held["name"]))
    except (KeyError, TypeError, ValueError):
        session.pop(GRANT_KEY, None)
        return None
    if engine().clock.now() >= until:
        session.pop(GRANT_KEY, None)
        return None
    return grant


@bp.get("/query")
def lookup():  # type: ignore[no-untyped-def]
    return render_template("query/lookup.html", code="", error=None)


@bp.post("/query")
def open_case():  # type: ignore[no-untyped-def]
    code = request.form.get("query_code", "")
    try:
        grant = open_with_query_code(engine(), code, request.form.get("identity", ""), request.remote_addr or "")
    except TooManyQueryAttempts as exc:
        return render_template("query/lookup.html", code=code, error=exc.message), 429
    except QueryRefused as exc:
        return render_template("query/lookup.html", code=code, error=exc.message), 401
    until = engine().clock.now() + timedelta(minutes=GRANT_MINUTES)
    session[GRANT_KEY] = {"case_id": grant.case_id, "party_id": grant.party_id, "name": grant.name,
                          "until": until.isoformat()}
    return redirect(url_for("query.case"))


@bp.get("/query/case")
def case():  # type: ignore[no-untyped-def]
    grant = _grant()
    if grant is None:
        return redirect(url_for("query.lookup"))
    projection = casework.case_projection(engine(), grant.case_id, grant.actor)
    return render_template("query/case.html", case=projection, party=grant, query_mode=True)


@bp.route("/query/tasks/<task_uuid>", methods=["GET", "POST"])
def task(task_uuid: str):  # type: ignore[no-untyped-def]
    grant = _grant()
    if grant is None:
        return redirect(url_for("query.lookup"))
    ctx, actor = engine(), grant.actor
    if request.method == "GET":
        page = casework.task_page(ctx, grant.case_id, task_uuid, actor)
        return render_template("cases/task.html", page=page, values=page.values, errors={}, query_mode=True)
    result = submit_task(ctx, grant.case_id, task_uuid, actor,
                         form_input(request.form, request.files, ctx.settings.max_upload_bytes))
    if result.outcome is Outcome.DRAFT_SAVED:
        flash("已暂存，可稍后继续填写")
        return redirect(url_for("query.task", task_uuid=task_uuid))
    if result.outcome is Outcome.INVALID:
        return render_template("cases/task.html", page=result.page, values=result.values, errors=result.errors,
                               query_mode=True), 422
    if result.outcome is Outcome.CONFLICT:
        return render_template("cases/task.html", page=result.page, values=result.values, errors={},
                               conflict=result.message, changes=result.changes, query_mode=True), 409
    flash(f"“{result.task_name}”已提交")
    return redirect(url_for("query.case"))


@bp.get("/query/documents/<int:document_id>")
def document(document_id: int):  # type: ignore[no-untyped-def]
    grant = _grant()
    if grant is None:
        return redirect(url_for("query.lookup"))
    doc = casework.case_document(engine(), grant.case_id, document_id, grant.actor)
    response = Response(doc.html, mimetype="text/html")
    response.headers["X-Document-SHA256"] = doc.sha256
    return response


@bp.post("/query/end")
def end():  # type: ignore[no-untyped-def]
    session.pop(GRANT_KEY, None)
    flash("已退出办件查询")
    return redirect(url_for("query.lookup"))
