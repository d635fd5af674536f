"""Plain rows the repositories hand to services: no ORM object ever leaves ``engine/persistence``.

The rows several areas share live here (a case, its worklist rows, its history, its definition);
rows only one area uses live in that area's repository module. A case and a worklist row are
mutable because a step changes them and saves them back; everything else is frozen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class CaseRow:
    """A case (办件) as a step reads and writes it; ``state`` is loaded only when a step needs it.

    ``lock_version`` is the version this copy was read at: saving it checks and bumps it, so two
    writers can never both win (``repositories.cases.save_case``).
    """

    id: int
    #: None while the case is a draft (status ``draft``): numbered on submission.
    case_number: str | None
    definition_id: int
    matter_code: str
    status: str
    title: str
    owner_id: str | None
    started_by: str
    serializer_version: str
    next_timer_due: datetime | None
    error: str | None
    blzt: int | None
    received_at: datetime
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    history_seq: int
    history_hash: str
    lock_version: int
    state: bytes | None = None
    #: The 事项库 entry version the case started on (None for cases started before the catalogue).
    catalogue_version_id: int | None = None
    #: The current deadline records in brief (``repositories.counters.DeadlineBrief``); services set
    #: them with each deadline revision, ``save_case`` writes them.
    deadline_accepted_on: date | None = None
    deadline_promised_due: date | None = None
    deadline_closed_on: date | None = None
    deadline_paused: bool = False
    #: The statistics buckets the case counted in when it was read (``repositories.counters``).
    counted: Any = None
    #: HMAC of the chain head (``engine.history.head_mac``); None when no history key is configured.
    history_mac: str | None = None
    #: The latest 好差评 level and 统一社会信用代码 submitted on the case (``engine.case_facts``), moved by
    #: ``append_history`` with the row that submitted them.
    rating: str | None = None
    credit_code: str = ""


@dataclass(slots=True)
class TaskRow:
    """A worklist row (a user task the workflow holds READY, or held)."""

    id: int
    case_id: int
    task_uuid: str
    element_id: str
    name: str
    lane: str
    #: Comma-wrapped group list (",zj_cb,zj_sh,"), as stored.
    candidate_groups: str
    assignee: str | None
    form_key: str
    state: str
    created_at: datetime
    due_at: datetime | None
    claimed_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(g for g in self.candidate_groups.split(",") if g)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One stored row of a case's hash-chained history, exactly as stored (JSON columns as text)."""

    id: int
    case_id: int
    seq: int
    occurred_at: datetime
    event_type: str
    actor_id: str
    actor_role: str
    element_id: str
    element_name: str
    task_uuid: str
    from_state: str
    to_state: str
    data_before: str | None
    data_after: str | None
    payload: str | None
    prev_hash: str
    row_hash: str


@dataclass(frozen=True, slots=True)
class DefinitionRow:
    """One deployed version of a matter; ``files_json`` only when the caller asked for the files."""

    id: int
    matter_code: str
    version: int
    content_hash: str
    metadata_json: str
    deployed_at: datetime
    deployed_by: str
    files_json: str | None = None

    @property
    def metadata(self) -> dict[str, Any]:
        """The parsed ``matter.toml`` (a fresh dict: callers may not change the row through it)."""
        return json.loads(self.metadata_json)
