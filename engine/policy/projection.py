"""What each audience sees of a case's history and data: the applicant side never gets internal notes.

A department's opinions, its lookups (``pit_review``), the gateway variables, who on the staff
claimed what, state snapshots: all of that stays with the staff. The applicant side reads its own
submissions, the status codes, the documents served on it and deadline extensions with their
reasons (行政许可法 第四十二条: the applicant is told why). Everyone with access reads the issued
documents themselves; they are addressed to the applicant.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Protocol

from engine.policy.cases import TaskParties

#: History events the applicant side sees (``form_submitted`` only on its own tasks).
APPLICANT_EVENTS = frozenset({"case_started", "case_submitted", "form_submitted", "status_changed",
                              "document_issued", "deadline_extended", "case_completed"})

#: Data keys the applicant side sees besides its own form fields.
APPLICANT_DATA_KEYS = frozenset({"case_number"})


class HistoryLike(Protocol):
    """A stored history row, JSON columns as text (the repository's row or the ORM record)."""

    seq: int
    occurred_at: datetime
    event_type: str
    element_id: str
    element_name: str
    task_uuid: str
    to_state: str
    data_after: str | None


@dataclass(frozen=True)
class TimelineEvent:
    """One step of a case as its applicant sees it; ``details`` depends on ``event_type``.

    ``form_submitted``: the values the applicant submitted; ``status_changed``: ``blzt``, ``name``,
    ``permit``; ``document_issued``: ``doc_key``, ``document_no``, ``title``, ``permit``, ``sha256``;
    ``deadline_extended``: ``days``, ``reason``; ``case_started`` and ``case_completed``: nothing.
    """

    seq: int
    occurred_at: datetime
    event_type: str
    element_id: str
    element_name: str
    details: dict[str, Any]


def _loaded(text: str | None) -> Any:
    return json.loads(text) if text else None


def sees_event(row: HistoryLike, tasks: Mapping[str, TaskParties]) -> bool:
    """Whether the applicant side sees this history row."""
    if row.event_type not in APPLICANT_EVENTS:
        return False
    if row.event_type == "form_submitted":
        task = tasks.get(row.task_uuid)
        return task is not None and task.is_applicant_task
    return True


def applicant_timeline(rows: Iterable[HistoryLike], tasks: Mapping[str, TaskParties]) -> tuple[TimelineEvent, ...]:
    """The applicant-safe timeline: the rows the applicant side sees, with only what it may read of them."""
    events = []
    for row in rows:
        if not sees_event(row, tasks):
            continue
        after = _loaded(row.data_after)
        details = dict(after) if isinstance(after, dict) and row.event_type != "case_started" else {}
        events.append(TimelineEvent(seq=row.seq, occurred_at=row.occurred_at, event_type=row.event_type,
                                    element_id=row.element_id, element_name=row.element_name, details=details))
    return tuple(events)


def applicant_data(started: Mapping[str, Any], submissions: Iterable[Mapping[str, Any]],
                   applicant_fields: frozenset[str]) -> dict[str, Any]:
    """The case data the applicant side sees: its own form fields as it last submitted them, and the case number.

    Read from history (the data the case started with, then the applicant's own submissions in
    order), so showing it never restores the workflow, and restricted to the fields of the forms
    offered to the applicant, so a key that a department's form or a lookup set never slips through.
    """
    keys = applicant_fields | APPLICANT_DATA_KEYS
    data = {key: value for key, value in started.items() if key in keys}
    for values in submissions:
        data.update((key, value) for key, value in values.items() if key in keys)
    return data


def masked_case_number(case_number: str) -> str:
    """A case number as the public board shows it: the implementing code and the date, the sequence hidden."""
    return f"{case_number[:31]}…{case_number[-4:]}" if len(case_number) > 35 else "…" + case_number[-4:]
