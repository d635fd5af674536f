"""Staff worklists: department queues by candidate group, and the one window (无差别一窗受理)."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask import request

from engine.services.deadline_views import pending_extensions
from engine.services.deploy import list_matters
from engine.services.service_of_documents import watched_services
from engine.services.tasks import list_work_items
from engine.services.tasks import list_worklist
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import requires

bp = Blueprint("work", __name__)


@bp.get("/work")
@requires(staff=True)
def worklist():  # type: ignore[no-untyped-def]
    actor = current_actor()
    matter = request.args.get("matter") or None
    search = request.args.get("q", "").strip()
    items = list_work_items(engine(), actor, matter_code=matter)
    if search:
        items = [i for i in items if search in i.task.case_number or search in i.task.name]
    if request.args.get("due") in ("yellow", "red"):
        items = [i for i in items if i.state == request.args["due"]]
    mine = [i for i in items if i.task.assignee == actor.user_id]
    queue = [i for i in items if i.task.assignee is None]
    return render_template("work/worklist.html", mine=mine, queue=queue, matters=list_matters(engine()),
                           matter=matter or "", q=search, extensions=pending_extensions(engine(), actor),
                           services=watched_services(engine(), actor))


@bp.get("/window")
@requires("window_clerk", "fallback_clerk")
def window():  # type: ignore[no-untyped-def]
    actor = current_actor()
    items = [t for t in list_worklist(engine(), actor) if actor.in_any(t.candidate_groups)]
    return render_template("work/window.html", items=items, matters=list_matters(engine()))


@bp.post("/window/walk-in")
@requires("window_clerk")
def walk_in():  # type: ignore[no-untyped-def]
    """A clerk files an application for someone at the counter; the matter comes from the form."""
    from webapp.views.cases import apply

    return apply(request.form.get("matter", ""))
