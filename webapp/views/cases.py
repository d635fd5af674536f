"""Applicants' and everyone's case pages: apply, my cases, case detail, task forms, documents, files."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for

from engine.errors import ConcurrentUpdate
from engine.errors import EngineError
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.forms import validate_submission
from engine.services import casework
from engine.services import tasks
from engine.services.accounts import actor_for
from engine.services.cases import case_documents
from engine.services.cases import start_case
from engine.services.uploads import open_upload
from engine.state_names import CASE_STATUS_NAMES
from webapp.formdata import parse_submission
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import is_staff
from webapp.security import requires

bp = Blueprint("cases", __name__)


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
    """Start a case; a window clerk may file for a walk-in applicant (代办/窗口录入)."""
    actor = current_actor()
    owner = actor.user_id
    title = ""
    on_behalf = request.form.get("applicant_username", "").strip()
    if on_behalf:
        if not actor.in_any({"window_clerk"}):
            abort(403)
        applicant = actor_for(engine(), on_behalf)
        if applicant is None or "applicant" not in applicant.groups:
            flash(f"申请人账号“{on_behalf}”不存在")
            return redirect(url_for("work.window"))
        owner = applicant.user_id
        title = f"窗口代录：{applicant.name}"
    elif request.form.get("walk_in_name", "").strip():
        if not actor.in_any({"window_clerk"}):
            abort(403)  # only the window labels a case as entered at the counter (窗口代录)
        title = f"窗口代录：{request.form['walk_in_name'].strip()[:80]}"
    view = start_case(engine(), code, actor, {}, owner_id=owner, title=title)
    mine = [t for t in view.open_tasks if "applicant" in t.candidate_groups or actor.in_any(t.candidate_groups)]
    if mine:
        return redirect(url_for("cases.task", case_id=view.id, task_uuid=mine[0].task_uuid))
    return redirect(url_for("cases.detail", case_id=view.id))


@bp.get("/my/cases")
@requires("applicant")
def mine():  # type: ignore[no-untyped-def]
    actor = current_actor()
    own = [c for c in casework.list_cases(engine(), actor) if c.owner_id == actor.user_id]
    return render_template("cases/mine.html", cases=own)


@bp.get("/cases")
@requires(staff=True)
def all_cases():  # type: ignore[no-untyped-def]
    matter = request.args.get("matter") or None
    status = request.args.get("status") or None
    search = request.args.get("q", "")
    rows = casework.list_cases(engine(), current_actor(), matter_code=matter, search=search, status=status)
    return render_template("cases/list.html", cases=rows, q=search, matter=matter or "", status=status or "",
                           statuses=CASE_STATUS_NAMES)


@bp.get("/cases/<int:case_id>")
@requires()
def detail(case_id: int):  # type: ignore[no-untyped-def]
    actor = current_actor()
    case = casework.case_detail(engine(), case_id, actor)
    workable = [t for t in case.open_tasks if _may_open(t, actor, case)]
    return render_template("cases/detail.html", case=case, workable=workable)


def _may_open(task, actor, case) -> bool:  # type: ignore[no-untyped-def]
    from engine.actors import may_work

    return task.assignee in (None, actor.user_id) and may_work(task.candidate_groups, actor,
                                                                 (case.summary.owner_id,))


@bp.route("/cases/<int:case_id>/tasks/<task_uuid>", methods=["GET", "POST"])
@requires()
def task(case_id: int, task_uuid: str):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), current_actor()
    page = casework.task_page(ctx, case_id, task_uuid, actor)
    if request.method == "GET":
        return render_template("cases/task.html", page=page, values=page.values, errors={})
    values, upload_errors = parse_submission(ctx, page.form, request.form, request.files, actor, case_id)
    if request.form.get("action") == "draft":
        casework.save_draft(ctx, case_id, task_uuid, actor, values)
        flash("已暂存，可稍后继续填写")
        return redirect(url_for("cases.task", case_id=case_id, task_uuid=task_uuid))
    if upload_errors:
        errors = {**validate_submission(page.form, values).errors, **upload_errors}
        return render_template("cases/task.html", page=page, values=values, errors=errors), 422
    try:
        view = tasks.complete_task(ctx, case_id, task_uuid, values, actor)
    except FormDataInvalid as exc:
        return render_template("cases/task.html", page=page, values={**values, **exc.values}, errors=exc.errors), 422
    except ConcurrentUpdate as exc:
        casework.save_draft(ctx, case_id, task_uuid, actor, values)
        return render_template("cases/task.html", page=page, values=values, errors={},
                               conflict=exc.message + "（您填写的内容已暂存）"), 409
    flash(f"“{page.task.name}”已提交")
    mine = [t for t in view.open_tasks if _may_open(t, actor, page.case)]
    if mine:
        return redirect(url_for("cases.task", case_id=case_id, task_uuid=mine[0].task_uuid))
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.post("/cases/<int:case_id>/tasks/<task_uuid>/<action>")
@requires(staff=True)
def task_action(case_id: int, task_uuid: str, action: str):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), current_actor()
    if action == "claim":
        tasks.claim_task(ctx, case_id, task_uuid, actor)
        flash("已签收")
        return redirect(url_for("cases.task", case_id=case_id, task_uuid=task_uuid))
    if action == "release":
        tasks.release_task(ctx, case_id, task_uuid, actor)
        flash("已退回至岗位队列")
    elif action == "delegate":
        target = actor_for(ctx, request.form.get("to", "").strip())
        if target is None:
            raise NotAllowed("转办对象不存在")
        tasks.delegate_task(ctx, case_id, task_uuid, actor, target)
        flash(f"已转办给 {target.name}")
    else:
        abort(404)
    return redirect(url_for("work.worklist"))


@bp.get("/cases/<int:case_id>/documents/<int:document_id>")
@requires()
def document(case_id: int, document_id: int) -> Response:
    casework.case_detail(engine(), case_id, current_actor())  # access check
    doc = next((d for d in case_documents(engine(), case_id) if d.id == document_id), None)
    if doc is None:
        abort(404)
    response = Response(doc.html, mimetype="text/html")
    response.headers["X-Document-SHA256"] = doc.sha256
    return response


@bp.get("/files/<int:upload_id>")
@requires()
def download(upload_id: int):  # type: ignore[no-untyped-def]
    try:
        stored, path = open_upload(engine(), upload_id, current_actor())
    except EngineError:
        abort(404)
    return send_file(path, mimetype=stored.content_type, as_attachment=True, download_name=stored.name)
