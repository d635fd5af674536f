"""The operations console (运维): search cases, incidents and their retry, suspend/resume, terminate,
token moves, bulk actions. Views parse the form, call one operations service and render; the services
check the configured operations groups (``ONEWINDOW_OPERATIONS_GROUPS``) and write history.
"""

from __future__ import annotations

import re

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from engine.errors import CaseSuspended
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.services.operations import console
from engine.services.operations import incidents
from engine.services.operations import interventions
from engine.state_names import CASE_STATUS_NAMES
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import requires

bp = Blueprint("operations", __name__, url_prefix="/ops")

ACTIONS = {"suspend": ("挂起", interventions.suspend_case), "resume": ("恢复", interventions.resume_case),
           "terminate": ("终止", interventions.terminate_case)}


def _search() -> console.ConsoleSearch:
    days = request.args.get("older_than_days", "")
    return console.ConsoleSearch(matter=request.args.get("matter", "").strip(),
                                 status=request.args.get("status", "").strip(),
                                 incident_only=request.args.get("incident") == "1",
                                 department=request.args.get("department", "").strip(),
                                 older_than_days=int(days) if re.fullmatch(r"[0-9]{1,5}", days) else 0)


@bp.get("/")
@requires()
def index():  # type: ignore[no-untyped-def]
    ctx, actor = engine(), current_actor()
    search = _search()
    return render_template("operations/index.html", rows=console.search_cases(ctx, actor, search), search=search,
                           incidents=incidents.list_incidents(ctx, actor), departments=console.departments(ctx),
                           statuses=console.STATUSES, status_names=CASE_STATUS_NAMES,
                           outbox=console.outbox_overview(ctx, actor))


@bp.get("/incidents/<int:incident_id>")
@requires()
def incident(incident_id: int):  # type: ignore[no-untyped-def]
    found = incidents.get_incident(engine(), current_actor(), incident_id)
    return render_template("operations/incident.html", incident=found, errors={}, values={})


@bp.post("/incidents/<int:incident_id>/retry")
@requires()
def retry(incident_id: int):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), current_actor()
    values = {"data": request.form.get("data", ""), "reason": request.form.get("reason", "")}
    try:
        view = incidents.retry_incident(ctx, incident_id, incidents.parse_fix(values["data"]), actor,
                                        values["reason"])
    except FormDataInvalid as exc:
        found = incidents.get_incident(ctx, actor, incident_id)
        return render_template("operations/incident.html", incident=found, errors=exc.errors, values=values), 422
    flash("已重试：办件" + ("仍有异常" if view.status == "failed" else "继续办理"))
    return redirect(url_for("operations.case", case_id=view.id))


@bp.get("/cases/<int:case_id>")
@requires()
def case(case_id: int):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), current_actor()
    found = incidents.case_incidents(ctx, actor, case_id)  # operators only; 404 for no such case
    errors: dict[str, str] = {}
    try:
        plan = interventions.plan_move(ctx, case_id, actor, request.args.get("target", ""))
    except FormDataInvalid as exc:  # a target that cannot hold a token: the reason, and the list again
        errors = exc.errors
        plan = interventions.plan_move(ctx, case_id, actor)
    except (NotAllowed, CaseSuspended):
        plan = None  # a finished or suspended case cannot be moved
    return render_template("operations/case.html", case_id=case_id, plan=plan, incidents=found, errors=errors,
                           calls=console.waiting_calls(ctx, actor, case_id))


@bp.post("/cases/<int:case_id>/<action>")
@requires()
def act(case_id: int, action: str):  # type: ignore[no-untyped-def]
    ctx, actor = engine(), current_actor()
    incidents.require_operator(ctx, actor)
    reason = request.form.get("reason", "")
    try:
        if action == "move":
            interventions.move_token(ctx, case_id, actor, request.form.get("target", ""), reason)
            label = "调整流程位置"
        elif action in ACTIONS:
            label, run = ACTIONS[action]
            run(ctx, case_id, actor, reason)
        else:
            return render_template("errors/error.html", status=404, message="页面不存在"), 404
    except FormDataInvalid as exc:
        try:
            plan = interventions.plan_move(ctx, case_id, actor)
        except (NotAllowed, CaseSuspended):
            plan = None
        return render_template("operations/case.html", case_id=case_id, plan=plan, errors=exc.errors,
                               incidents=incidents.case_incidents(ctx, actor, case_id),
                               calls=console.waiting_calls(ctx, actor, case_id)), 422
    flash(f"已{label}")
    return redirect(url_for("operations.case", case_id=case_id))


@bp.post("/bulk")
@requires()
def bulk():  # type: ignore[no-untyped-def]
    ctx, actor = engine(), current_actor()
    incidents.require_operator(ctx, actor)
    ids = [int(v) for v in request.form.getlist("case_id") if re.fullmatch(r"[0-9]{1,12}", v)]
    try:
        outcomes = interventions.bulk_action(ctx, actor, request.form.get("action", ""), ids,
                                             request.form.get("reason", ""))
    except FormDataInvalid as exc:
        flash("批量操作未执行：" + "；".join(exc.errors.values()))
        return redirect(url_for("operations.index"))
    done = sum(o.ok for o in outcomes)
    failed = "；".join(f"#{o.case_id} {o.message}" for o in outcomes if not o.ok)
    flash(f"批量操作完成 {done} 件" + (f"，未完成：{failed}" if failed else ""))
    return redirect(url_for("operations.index"))
