"""Forms saved but not submitted (暂存): one draft per person, case and task."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import DraftRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

DRAFTS = DraftRecord.__table__
#: Sent by every completed step: built once.
_DELETE_OF_TASK = delete(DRAFTS).where(DRAFTS.c.case_id == bindparam("case_id_"),
                                       DRAFTS.c.task_uuid == bindparam("task_uuid_"))


def _mine(owner: str, case_id: int, task_uuid: str):  # type: ignore[no-untyped-def]
    return (DRAFTS.c.owner == owner, DRAFTS.c.case_id == case_id, DRAFTS.c.task_uuid == task_uuid)


def draft_data(uow: UnitOfWork, owner: str, case_id: int, task_uuid: str) -> str | None:
    """The JSON text of the person's draft for the task, or None."""
    return connection(uow).execute(select(DRAFTS.c.data_json).where(*_mine(owner, case_id, task_uuid))).scalar()


def save_draft(uow: UnitOfWork, owner: str, case_id: int, task_uuid: str, data_json: str, now: datetime) -> None:
    """Create or replace the person's draft for the task."""
    conn = connection(uow)
    result = conn.execute(update(DRAFTS).where(*_mine(owner, case_id, task_uuid))
                          .values(data_json=data_json, updated_at=now))
    if result.rowcount == 0:
        conn.execute(insert(DRAFTS).values(owner=owner, case_id=case_id, task_uuid=task_uuid, data_json=data_json,
                                           updated_at=now))


def delete_drafts(uow: UnitOfWork, case_id: int, task_uuid: str) -> None:
    """Everybody's drafts of a task (it was submitted, so they are no longer needed)."""
    connection(uow).execute(_DELETE_OF_TASK, {"case_id_": case_id, "task_uuid_": task_uuid})
