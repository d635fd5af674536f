"""Worklist rows a clerk can act on without opening each case: whose case, which project, how long left.

Camunda Tasklist users expect a row to say who applied, for which project, under which matter, at which
step of which department, when it arrived and how many working days remain. A 43-character 办件编号 and a
step name do not. Everything here is read in a constant number of queries whatever the list's length.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from engine.actors import Actor
from engine.catalogue.entry import PATTERN_PROCESS
from engine.clock import CHINA_TZ
from engine.legal_time import reception_due
from engine.persistence.repositories import definitions
from engine.persistence.repositories.accounts import users_by_usernames
from engine.persistence.repositories.catalogue import entry_versions
from engine.persistence.repositories.history import first_submissions
from engine.persistence.repositories.history import last_submissions_by
from engine.persistence.repositories.tasks import worklist
from engine.persistence.rows import CaseRow
from engine.services.context import EngineContext
from engine.services.tasks import due_of_work
from engine.services.views import TaskView

#: Which application fields name the case for a clerk (project, shop, property …) and its applicant (for one
#: filed without an account, 窗口代录): each matter says so in ``matter.toml`` (``[worklist] project_keys``,
#: ``applicant_keys``; the pattern's serves every entry it runs); these are used when it does not.
DEFAULT_PROJECT_KEYS = ("project_name",)
DEFAULT_APPLICANT_KEYS = ("applicant_name",)
#: A project cell shows one line of at most this many characters (a field may be a paragraph).
PROJECT_CHARS = 40
#: 办理状态 codes of a case not yet accepted: its window tasks are 受理 work (待受理), others are 出件 etc.
NOT_ACCEPTED = (None, 1)


@dataclass(frozen=True)
class WorkRow:
    task: TaskView
    applicant: str
    project: str
    matter_name: str
    matter_short: str
    #: The department (lane) the step belongs to.
    department: str
    due: date | None
    #: normal / yellow / red
    state: str
    #: Working days to ``due`` (0 on the day, negative once past).
    days_left: int | None
    #: True while the case waits to be accepted (the window's 待受理 list).
    reception: bool
    #: (created_at, task id): where the next page starts (keyset paging).
    page_key: tuple[datetime, int]


def short_matter_name(name: str) -> str:
    """A name that fits a table cell: a short bracketed alias (两证打包审), else the name before it, cut at 12."""
    head, _, tail = name.partition("（")
    alias = tail.rstrip("）")
    if alias and len(alias) <= 6:
        return alias
    head = head.strip()
    return head if len(head) <= 12 else head[:11] + "…"


def row_keys(metadata: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(project keys, applicant keys) of a matter's stored metadata, or the defaults."""
    table = (metadata.get("extra") or {}).get("worklist") or {}
    return (tuple(table.get("project_keys") or DEFAULT_PROJECT_KEYS),
            tuple(table.get("applicant_keys") or DEFAULT_APPLICANT_KEYS))


def _first_filled(values: dict[str, object], keys: tuple[str, ...]) -> str:
    text = next((str(values[k]).strip() for k in keys if isinstance(values.get(k), str) and str(values[k]).strip()),
                "")
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= PROJECT_CHARS else line[:PROJECT_CHARS - 1] + "…"


def work_rows(ctx: EngineContext, actor: Actor, *, matter_code: str | None = None, limit: int = 200,
              after: tuple[datetime, int] | None = None, search: str = "") -> list[WorkRow]:
    """The actor's open tasks (theirs and their groups' queues), oldest first, each with what a clerk reads.

    :param after: the ``page_key`` of the last row of the previous page (keyset paging).
    :param search: only tasks whose step name or case number contains it.
    """
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        pairs = worklist(uow, sorted(actor.groups), actor.user_id, matter_code=matter_code, limit=limit,
                         after=after, search=search)
        cases = {case.id: case for _row, case in pairs}
        dues = due_of_work(ctx, uow, pairs, today)
        metadata = definitions.definitions_metadata(uow, {case.definition_id for case in cases.values()})
        owners = users_by_usernames(uow, sorted({c.owner_id for c in cases.values() if c.owner_id}))
        applications = first_submissions(uow, sorted(cases))
        # A pattern-run case is its 事项库 entry's matter, not the pattern's (as on every case page).
        entries = entry_versions(uow, {c.catalogue_version_id for c in cases.values()
                                       if c.catalogue_version_id is not None and c.matter_code == PATTERN_PROCESS})
        waiting = {c.id: c.owner_id for c in cases.values() if c.blzt in NOT_ACCEPTED and c.owner_id}
        resubmitted = last_submissions_by(uow, waiting)
    rows = []
    for (task_row, case), (due, state) in zip(pairs, dues, strict=True):
        if due is None and case.blzt in NOT_ACCEPTED:
            due = _reception_due(ctx, case, resubmitted.get(case.id))
            state = str(ctx.calendar.deadline_state(due, today))
        first = applications.get(case.id)
        values = json.loads(first.data_after or "{}") if first is not None else {}
        owner = owners.get(case.owner_id or "")
        project_keys, applicant_keys = row_keys(metadata[case.definition_id])
        applicant = (owner.display_name if owner is not None and owner.display_name else
                     _first_filled(values, applicant_keys) or case.title or "—")
        entry = entries.get(case.catalogue_version_id or 0)
        name = entry.entry.name if entry is not None else metadata[case.definition_id]["name"]
        rows.append(WorkRow(task=TaskView.of(task_row, case), applicant=applicant,
                            project=_first_filled(values, project_keys) or case.title or "—", matter_name=name,
                            matter_short=short_matter_name(name), department=task_row.lane, due=due, state=state,
                            days_left=_days_left(ctx, today, due), reception=case.blzt in NOT_ACCEPTED,
                            page_key=(task_row.created_at, task_row.id)))
    return rows


def _reception_due(ctx: EngineContext, case: CaseRow, resubmitted: datetime | None) -> date:
    """A case awaiting acceptance: the window's 一次性告知 deadline (art. 32), counted from the latest receipt of
    materials: the application, or the applicant's latest submission (a 补正 at reception) if later."""
    received = max(case.received_at, resubmitted) if resubmitted is not None else case.received_at
    return reception_due(ctx.calendar, ctx.legal.closing, received)


def _days_left(ctx: EngineContext, today: date, due: date | None) -> int | None:
    if due is None:
        return None
    if due >= today:
        return ctx.calendar.workdays_between(today, due)
    return -ctx.calendar.workdays_between(due, today)
