"""Frozen, framework-free views returned by the services (never ORM objects)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.persistence.repositories.documents import DocumentRow
from engine.persistence.rows import CaseRow
from engine.persistence.rows import DefinitionRow
from engine.persistence.rows import HistoryRow
from engine.persistence.rows import TaskRow
from engine.state_names import blzt_name


@dataclass(frozen=True)
class MatterView:
    code: str
    name: str
    department: str
    case_type: str
    statutory_limit_wd: int
    promised_limit_wd: int
    version: int
    definition_id: int
    content_hash: str
    metadata: dict[str, Any]

    @classmethod
    def of(cls, record: DefinitionRow) -> MatterView:
        meta = record.metadata
        return cls(code=record.matter_code, name=meta["name"], department=meta["department"],
                   case_type=meta["case_type"], statutory_limit_wd=meta["statutory_limit_wd"],
                   promised_limit_wd=meta["promised_limit_wd"], version=record.version, definition_id=record.id,
                   content_hash=record.content_hash, metadata=meta)


@dataclass(frozen=True)
class DeployResult:
    matter_code: str
    version: int
    definition_id: int
    created: bool


@dataclass(frozen=True)
class TaskView:
    id: int
    case_id: int
    case_number: str | None  # None: a draft
    task_uuid: str
    element_id: str
    name: str
    lane: str
    candidate_groups: tuple[str, ...]
    assignee: str | None
    form_key: str
    state: str
    created_at: datetime
    due_at: datetime | None
    matter_code: str

    @classmethod
    def of(cls, row: TaskRow, case: CaseRow) -> TaskView:
        return cls(id=row.id, case_id=case.id, case_number=case.case_number, task_uuid=row.task_uuid,
                   element_id=row.element_id, name=row.name, lane=row.lane,
                   candidate_groups=row.groups, assignee=row.assignee,
                   form_key=row.form_key, state=row.state, created_at=row.created_at, due_at=row.due_at,
                   matter_code=case.matter_code)


@dataclass(frozen=True)
class CaseView:
    id: int
    case_number: str | None  # None: a draft
    matter_code: str
    definition_id: int
    status: str
    title: str
    owner_id: str | None
    received_at: datetime
    completed_at: datetime | None
    next_timer_due: datetime | None
    error: str | None
    data: dict[str, Any]
    open_tasks: tuple[TaskView, ...]
    lock_version: int
    blzt: int | None = None

    @property
    def status_name(self) -> str:
        return blzt_name(self.blzt)


@dataclass(frozen=True)
class HistoryView:
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
    data_before: Any
    data_after: Any
    payload: Any
    row_hash: str

    @classmethod
    def of(cls, row: HistoryRow) -> HistoryView:
        def load(text: str | None) -> Any:
            return json.loads(text) if text else None

        return cls(seq=row.seq, occurred_at=row.occurred_at, event_type=row.event_type, actor_id=row.actor_id,
                   actor_role=row.actor_role, element_id=row.element_id, element_name=row.element_name,
                   task_uuid=row.task_uuid, from_state=row.from_state, to_state=row.to_state,
                   data_before=load(row.data_before), data_after=load(row.data_after), payload=load(row.payload),
                   row_hash=row.row_hash)


@dataclass(frozen=True)
class DocumentView:
    id: int
    doc_key: str
    document_no: str
    title: str
    permit: str
    element_id: str
    html: str
    sha256: str
    issued_at: datetime

    @classmethod
    def of(cls, row: DocumentRow) -> DocumentView:
        return cls(id=row.id, doc_key=row.doc_key, document_no=row.document_no, title=row.title, permit=row.permit,
                   element_id=row.element_id, html=row.html, sha256=row.sha256, issued_at=row.issued_at)
