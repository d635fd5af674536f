"""Staff worklists: department queues by candidate group, and the one window (无差别一窗受理)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from flask import Blueprint
from flask import render_template
from flask import request

from engine.services.catalogue.offering import search_matters
from engine.services.deadline_views import pending_extensions
from engine.services.deploy import list_matters
from engine.services.parties import ID_TYPES
from engine.services.work_rows import work_rows
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import requires

bp = Blueprint("work", __name__)

#: Rows per worklist page; the next page starts after the last row shown (keyset paging).
WORKLIST_PAGE = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def format_page_key(key: tuple[datetime, int]) -> str:
    """``<microseconds since 1970>-<task id>``: exact (no float rounding), and opaque enough for a URL."""
    created_at, task_id = key
    return f"{(created_at - _EPOCH) // timedelta(microseconds=1)}-{task_id}"


def parse_page_key(text: str) -> tuple[datetime, int] | None:
    """The key of ``format_page_key``; anything else starts at the first page."""
    micros, _, task_id = text.partition("-")
    digits = micros + task_id
    if not (micros and task_id and digits.isascii() and digits.isdigit()) or len(micros) > 18 or len(task_id) > 18:
        return None
    return _EPOCH + timedelta(microseconds=int(micros)), int(task_id)


@bp.get("/work")
@requires(staff=True)
def worklist():  # type: ignore[no-untyped-def]
    actor = current_actor()
    matter = request.args.get("matter") or None
    search = request.args.get("q", "").strip()
    after = parse_page_key(request.args.get("after", ""))
    items = work_rows(engine(), actor, matter_code=matter, limit=WORKLIST_PAGE, after=after, search=search)
    next_after = format_page_key(items[-1].page_key) if len(items) == WORKLIST_PAGE else ""
    if request.args.get("due") in ("yellow", "red"):
        items = [i for i in items if i.state == request.args["due"]]
    mine = [i for i in items if i.task.assignee == actor.user_id]
    queue = [i for i in items if i.task.assignee is None]
    return render_template("work/worklist.html", mine=mine, queue=queue, matters=list_matters(engine()),
                           matter=matter or "", q=search, extensions=pending_extensions(engine(), actor),
                           next_after=next_after, paged=after is not None)


@bp.get("/window")
@requires("window_clerk", "fallback_clerk")
def window():  # type: ignore[no-untyped-def]
    actor = current_actor()
    after = parse_page_key(request.args.get("after", ""))
    page = work_rows(engine(), actor, limit=WORKLIST_PAGE, after=after)
    next_after = format_page_key(page[-1].page_key) if len(page) == WORKLIST_PAGE else ""
    items = [r for r in page if actor.in_any(r.task.candidate_groups)]
    query = request.args.get("q", "")[:100]
    # 窗口领证 and other work on accepted cases is not 受理: it gets a list of its own.
    return render_template("work/window.html", reception=[r for r in items if r.reception],
                           others=[r for r in items if not r.reception], matters=search_matters(engine(), query),
                           q=query, next_after=next_after, paged=after is not None,
                           id_types=ID_TYPES)


@bp.post("/window/walk-in")
@requires("window_clerk")
def walk_in():  # type: ignore[no-untyped-def]
    """A clerk files an application for someone at the counter; the matter comes from the form."""
    from webapp.views.cases import apply

    return apply(request.form.get("matter", ""))
