"""Staff worklists: department queues by candidate group, and the one window (无差别一窗受理)."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask import request

from engine.services.catalogue.offering import search_matters
from engine.services.deadline_views import pending_extensions
from engine.services.deploy import list_matters
from engine.services.work_rows import work_rows
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
    items = work_rows(engine(), actor, matter_code=matter)
    if search:
        items = [i for i in items if any(search in text for text in (i.task.case_number, i.task.name, i.applicant,
                                                                      i.project, i.department))]
    if request.args.get("due") in ("yellow", "red"):
        items = [i for i in items if i.state == request.args["due"]]
    mine = [i for i in items if i.task.assignee == actor.user_id]
    queue = [i for i in items if i.task.assignee is None]
    return render_template("work/worklist.html", mine=mine, queue=queue, matters=list_matters(engine()),
                           matter=matter or "", q=search, extensions=pending_extensions(engine(), actor))


@bp.get("/window")
@requires("window_clerk", "fallback_clerk")
def window():  # type: ignore[no-untyped-def]
    actor = current_actor()
    items = [r for r in work_rows(engine(), actor) if actor.in_any(r.task.candidate_groups)]
    query = request.args.get("q", "")[:100]
    # 窗口领证 and other work on accepted cases is not 受理: it gets a list of its own.
    return render_template("work/window.html", reception=[r for r in items if r.reception],
                           others=[r for r in items if not r.reception], matters=search_matters(engine(), query),
                           q=query)


@bp.post("/window/walk-in")
@requires("window_clerk")
def walk_in():  # type: ignore[no-untyped-def]
    """A clerk files an application for someone at the counter; the matter comes from the form."""
    from webapp.views.cases import apply

    return apply(request.form.get("matter", ""))
