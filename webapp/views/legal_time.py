"""Staff pages for a case's legal time: its stored deadline, 延期 (art. 42) and 特别程序 (art. 45).

Thin: each view parses the form, calls one service of ``engine.services.deadline_requests`` and
redirects back to the case's legal-time page, or shows the form again with its errors (422). Who may
do what is the services' decision (the deciding department's staff ask; only its head approves).
"""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from engine.errors import FormDataInvalid
from engine.services import deadline_requests as legal
from engine.services import deadline_views as legal_views
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import requires

bp = Blueprint("legal_time", __name__)


def _page(case_id: int, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          form: str = "", status: int = 200):  # type: ignore[no-untyped-def]
    view = legal_views.case_legal_time(engine(), case_id, current_actor())
    return render_template("legal_time/case.html", view=view, errors=errors or {}, values=values or {},
                           form=form), status


def _done(case_id: int, message: str):  # type: ignore[no-untyped-def]
    flash(message)
    return redirect(url_for("legal_time.case", case_id=case_id))


@bp.get("/cases/<int:case_id>/legal-time")
@requires(staff=True)
def case(case_id: int):  # type: ignore[no-untyped-def]
    return _page(case_id)


@bp.post("/cases/<int:case_id>/extensions")
@requires(staff=True)
def request_extension(case_id: int):  # type: ignore[no-untyped-def]
    form = request.form
    legal_views.case_legal_time(engine(), case_id, current_actor())  # 404 for a case the actor may not see
    try:
        made = legal.request_extension(engine(), case_id, current_actor(), days=form.get("days", ""),
                                       reason=form.get("reason", ""), permit=form.get("permit", ""))
    except FormDataInvalid as exc:
        return _page(case_id, exc.errors, dict(form), "extension", 422)
    return _done(case_id, f"已提出延期 {made.days} 个工作日的申请，待{made.approver_title}批准")


@bp.post("/cases/<int:case_id>/special-procedures")
@requires(staff=True)
def start_special(case_id: int):  # type: ignore[no-untyped-def]
    form = request.form
    legal_views.case_legal_time(engine(), case_id, current_actor())
    try:
        legal.start_special_procedure(engine(), case_id, current_actor(), kind=form.get("kind", ""),
                                      reason=form.get("reason", ""), expected_days=form.get("expected_days", ""),
                                      permit=form.get("permit", ""))
    except FormDataInvalid as exc:
        return _page(case_id, exc.errors, dict(form), "special", 422)
    return _done(case_id, f"已启动特别程序（{form.get('kind', '')}），办理期限暂停计算，特别程序告知书已出具")


@bp.post("/cases/<int:case_id>/special-procedures/end")
@requires(staff=True)
def end_special(case_id: int):  # type: ignore[no-untyped-def]
    form = request.form
    legal_views.case_legal_time(engine(), case_id, current_actor())
    try:
        legal.end_special_procedure(engine(), case_id, current_actor(), result=form.get("result", ""),
                                    permit=form.get("permit", ""))
    except FormDataInvalid as exc:
        return _page(case_id, exc.errors, dict(form), "special_end", 422)
    return _done(case_id, "特别程序已结束，办理期限恢复计算，告知书已出具")


@bp.get("/extensions")
@requires(staff=True)
def pending():  # type: ignore[no-untyped-def]
    requests = legal_views.pending_extensions(engine(), current_actor())
    return render_template("legal_time/pending.html", requests=requests)


@bp.get("/extensions/<int:request_id>")
@requires(staff=True)
def extension(request_id: int):  # type: ignore[no-untyped-def]
    page = legal_views.extension_request(engine(), request_id, current_actor())
    return render_template("legal_time/request.html", page=page)


@bp.post("/extensions/<int:request_id>/decision")
@requires(staff=True)
def decide(request_id: int):  # type: ignore[no-untyped-def]
    page = legal_views.extension_request(engine(), request_id, current_actor())  # 404 before 403
    approve = request.form.get("decision") == "approve"
    decided = legal.decide_extension(engine(), request_id, current_actor(), approve=approve,
                                     note=request.form.get("note", ""))
    flash("已批准延期，延长办理期限告知书已出具" if decided.status == "approved" else "已不予批准延期")
    return redirect(url_for("legal_time.extension", request_id=page.request.id))
