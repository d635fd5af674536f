"""What others changed on a case since a person opened a task form ("stale submit").

A clerk opens a form, types for ten minutes, and meanwhile a colleague completes the task, or another
step writes a field this form shows. Submitting then would finish work already finished, or overwrite
a value the clerk never saw. The form carries the history ``seq`` it was opened at; on submit the
engine reads the history rows written after it by someone else, and the page says which step changed
which fields, by whom and when, beside everything the person typed (kept as their draft).

The history is the source: it is append-only and written with the state it describes, so the list
cannot miss a change that took effect. The applicant side sees only the rows its timeline shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.actors import Actor
from engine.persistence.repositories.accounts import users_by_usernames
from engine.persistence.repositories.history import events_of_cases
from engine.policy.projection import sees_event
from engine.services.access import task_parties
from engine.services.access import visible_case
from engine.services.cases import definition_for_case
from engine.services.catalogue.forms import case_form
from engine.services.context import EngineContext

#: History events that change what a task form is about (data, status, documents, who holds a task).
WATCHED = ("form_submitted", "status_changed", "document_issued", "document_served", "task_claimed",
           "task_released", "task_delegated", "deadline_extended", "case_suspended", "case_resumed", "case_terminated",
           "timers_fired")
#: Who the engine itself is, in history rows.
SYSTEM = "system"


@dataclass(frozen=True)
class CaseChange:
    """One change by someone else: which step, by whom, when, and which fields it wrote."""

    seq: int
    occurred_at: datetime
    event_type: str
    step: str
    by: str
    #: Labels (as that step's form names them) of the fields it changed.
    fields: tuple[str, ...]
    #: Changed fields no form labels (internal data), counted, not named.
    unnamed: int
    #: It changed a field of the form being submitted: submitting would overwrite that unseen.
    overlaps: bool


def _changed_keys(before_text: str | None, after_text: str | None) -> list[str]:
    after: Any = json.loads(after_text) if after_text else {}
    before: Any = json.loads(before_text) if before_text else {}
    if not isinstance(after, dict):
        return []
    before = before if isinstance(before, dict) else {}
    return [key for key, value in after.items() if before.get(key) != value]


def changes_since(ctx: EngineContext, case_id: int, actor: Actor, seen_seq: int,
                  form_keys: Iterable[str] = ()) -> tuple[CaseChange, ...]:
    """Changes others made to the case after history row ``seen_seq``, oldest first.

    :param form_keys: the fields of the form being submitted (a change to one of them ``overlaps``).
    :raise CaseNotFound: the case is not the actor's to see.
    """
    mine = set(form_keys)
    with ctx.uow() as uow:
        seen = visible_case(uow, case_id, actor)
        if seen.case.history_seq <= seen_seq:
            return ()
        rows = [row for row in events_of_cases(uow, [case_id], WATCHED, after_seq=seen_seq)
                if row.actor_id != actor.user_id]
        parties = {row.task_uuid: task_parties(row) for row in seen.tasks}
        if not seen.access.is_staff:
            rows = [row for row in rows if sees_event(row, parties)]
        people = users_by_usernames(uow, sorted({row.actor_id for row in rows} - {SYSTEM}))
        compiled = definition_for_case(ctx, uow, seen.case)
        form_of_task = {task.task_uuid: task.form_key for task in seen.tasks if task.form_key}
        labels: dict[str, dict[str, str]] = {}
        for row in rows:
            key = form_of_task.get(row.task_uuid, "")
            if row.event_type == "form_submitted" and key and key not in labels:
                form = case_form(uow, seen.case, compiled, key)
                labels[key] = {f.key: f.label for f in form.fields if f.label} if form is not None else {}
    changes = []
    for row in sorted(rows, key=lambda r: r.seq):
        keys = _changed_keys(row.data_before, row.data_after) if row.event_type == "form_submitted" else []
        named = labels.get(form_of_task.get(row.task_uuid, ""), {})
        person = people.get(row.actor_id)
        by = "系统" if row.actor_id == SYSTEM else (person.display_name if person else row.actor_id)
        changes.append(CaseChange(seq=row.seq, occurred_at=row.occurred_at, event_type=row.event_type,
                                  step=row.element_name, by=by, fields=tuple(named[k] for k in keys if k in named),
                                  unnamed=sum(1 for k in keys if k not in named), overlaps=bool(mine & set(keys))))
    return tuple(changes)
