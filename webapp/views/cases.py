"""Applicants' and everyone's case pages: apply, my cases, case detail, task forms, documents, files."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import get_flashed_messages
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for

from engine.errors import EngineError
from engine.errors import FormDataInvalid
from engine.policy.service import WATCHING_GROUPS
from engine.services import casework
from engine.services import service_of_documents
from engine.services import task_actions
from engine.services.applications import UnknownApplicant
from engine.services.applications import file_application
from engine.services.guidance import case_guide
from engine.services.parties import WalkInApplicant
from engine.services.service_flags import message_centre
from engine.services.submissions import Outcome
from engine.services.submissions import submit_task
from engine.services.uploads import open_upload
from engine.state_names import CASE_STATUS_NAMES
from webapp.formdata import form_input
from webapp.input_guard import MAX_ID
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import is_staff
from webapp.security import requires

#: Cases per list page; the next page starts below the last case shown (keyset paging).
CASE_LIST_PAGE = 50

bp = Blueprint("cases", __name__)

#: The window's walk-in form fields, in ``WalkInApplicant``'s order.
WALK_IN_FIELDS = ("walk_in_name", "walk_in_id_type", "walk_in_id_number", "walk_in_mobile")


@bp.get("/home")
@requires()
def home():  # type: ignore[no-untyped-def]
    actor = current_actor()
    if "applicant" in actor.groups and not is_staff(actor):
        return redirect(url_for("cases.mine"))
    if actor.in_any({"window_clerk", "fallback_clerk"}):
        return redirect(url_for("work.window"))
    if actor.in_any({"auditor"}):
        return redirect(url_for("cases.all_cases"))
    if actor.in_any({"designer", "admin"}) and not is_staff(actor):
        return redirect(url_for("matters.index"))
    return redirect(url_for("work.worklist"))


@bp.post("/matters/<code>/apply")
@requires("applicant", "window_clerk")
def apply(code: str):  # type: ignore[no-untyped-def]
    """Start a case; a window clerk may file for a registered applicant (代办) or a walk-in (窗口代录)."""
    form = request.form
    walk_in = None
    if any(form.get(key, "").strip() for key in WALK_IN_FIELDS):
        walk_in = WalkInApplicant(*(form.get(key, "") for key in WALK_IN_FIELDS))
    try:
        filed = file_application(engine(), code, current_actor(),
                                 applicant_username=form.get("applicant_username", ""), walk_in=walk_in)
    except UnknownApplicant as exc:
        flash(exc.message)
        return redirect(url_for("work.window"))
    except FormDataInvalid as exc:
        flash("申请人信息有误：" + "；".join(exc.errors.values()))
        return redirect(url_for("work.window"))
    if filed.first_task:
        return redirect(url_for("cases.task", case_id=filed.case_id, task_uuid=filed.first_task))
    return redirect(url_for("cases.detail", case_id=filed.case_id))


@bp.get("/my/cases")
@requires("applicant")
def mine():  # type: ignore[no-untyped-def]
    own = casework.list_cases(engine(), current_actor(), own_only=True)
    return render_template("cases/mine.html", cases=own)


@bp.get("/my/messages")
@requires("applicant", *WATCHING_GROUPS)
def messages():  # type: ignore[no-untyped-def]
    """消息中心: every notice (documents served, 办理状态 changes) on the applicant's own cases; for
    supervisors, every certificate flagged for late service (行政许可法第四十四条)."""
    return render_template("cases/messages.html", messages=message_centre(engine(), current_actor()))


@bp.get("/cases")
@requires(staff=True)
def all_cases():  # type: ignore[no-untyped-def]
    matter = request.args.get("matter") or None
    status = request.args.get("status") or None
    search = request.args.get("q", "")
    before = request.args.get("before", "")
    before_id = int(before) if before.isascii() and before.isdigit() and len(before) < 12 else None
    if before_id is not None and before_id > MAX_ID:
        before_id = None  # no id column holds it: the first page
    rows = casework.list_cases(engine(), current_actor(), matter_code=matter, search=search, status=status,
                               limit=CASE_LIST_PAGE, before_id=before_id)
    return render_template("cases/list.html", cases=rows, q=search, matter=matter or "", status=status or "",
                           statuses=CASE_STATUS_NAMES, paged=before_id is not None,
                           next_before=rows[-1].id if len(rows) == CASE_LIST_PAGE else None)


@bp.get("/cases/<int:case_id>")
@requires()
def detail(case_id: int):  # type: ignore[no-untyped-def]
    guide = case_guide(engine(), case_id, current_actor())
    return render_template("cases/detail.html", guide=guide, case=guide.case,
                           submitted=bool(get_flashed_messages(category_filter=["submitted"])))


@bp.route("/cases/<int:case_id>/tasks/<task_uuid>", methods=["GET", "POST"])
@requires()
def task(case_id: int, task_uuid: str):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), current_actor()
    if request.method == "GET":
        page = casework.task_page(ctx, case_id, task_uuid, actor)
        return render_template("cases/task.html", page=page, values=page.values, errors={})
    result = submit_task(ctx, case_id, task_uuid, actor,
                         form_input(request.form, request.files, ctx.settings.max_upload_bytes))
    if result.outcome is Outcome.DRAFT_SAVED:
        flash("已暂存，可稍后继续填写")
        return redirect(url_for("cases.task", case_id=case_id, task_uuid=task_uuid))
    if result.outcome is Outcome.INVALID:
        return render_template("cases/task.html", page=result.page, values=result.values, errors=result.errors), 422
    if result.outcome is Outcome.INCIDENT:
        return render_template("cases/task.html", page=result.page, values=result.values, errors={},
                               conflict=result.message), 500
    if result.outcome is Outcome.CONFLICT:
        return render_template("cases/task.html", page=result.page, values=result.values, errors={},
                               conflict=result.message, changes=result.changes), 409
    if result.next_task:
        flash(f"“{result.task_name}”已提交")
        return redirect(url_for("cases.task", case_id=case_id, task_uuid=result.next_task))
    if result.case is not None and len(result.case.submissions) == 1:
        # The application itself: the case page opens as the 申报成功 page (number, what happens next).
        flash("申报成功", "submitted")
        return redirect(url_for("cases.detail", case_id=case_id))
    flash(f"“{result.task_name}”已提交")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.post("/cases/<int:case_id>/tasks/<task_uuid>/<action>")
@requires(staff=True)
def task_action(case_id: int, task_uuid: str, action: str):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), current_actor()
    if action == "claim":
        task_actions.claim_task(ctx, case_id, task_uuid, actor)
        flash("已签收")
        return redirect(url_for("cases.task", case_id=case_id, task_uuid=task_uuid))
    if action == "release":
        task_actions.release_task(ctx, case_id, task_uuid, actor)
        flash("已退回至岗位队列")
    elif action == "delegate":
        done = task_actions.delegate_task(ctx, case_id, task_uuid, actor, request.form.get("to", ""))
        flash(f"已转办给 {done.assignee}")
    else:
        abort(404)
    return redirect(url_for("work.worklist"))


@bp.get("/cases/<int:case_id>/documents/<int:document_id>")
@requires()
def document(case_id: int, document_id: int) -> Response:
    doc = casework.case_document(engine(), case_id, document_id, current_actor())
    response = Response(doc.html, mimetype="text/html")
    response.headers["X-Document-SHA256"] = doc.sha256
    return response


@bp.post("/cases/<int:case_id>/documents/<int:document_id>/service")
@requires(staff=True)
def record_service(case_id: int, document_id: int):  # type: ignore[no-untyped-def]
    """A clerk records how a document was served (window pickup with the receiver's ID, or EMS)."""
    values = {key: request.form.get(key, "") for key in ("channel", "receiver_name", "receiver_id_number",
                                                         "tracking_number")}
    try:
        service_of_documents.record_delivery(engine(), case_id, document_id, current_actor(), values)
    except FormDataInvalid as exc:
        flash("送达未登记：" + "；".join(exc.errors.values()))
        return redirect(url_for("cases.detail", case_id=case_id)), 303
    flash("已登记送达")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.get("/files/<int:upload_id>")
@requires()
def download(upload_id: int):  # type: ignore[no-untyped-def]
    try:
        stored, path = open_upload(engine(), upload_id, current_actor())
    except EngineError:
        abort(404)
    return send_file(path, mimetype=stored.content_type, as_attachment=True, download_name=stored.name)
