"""Organ seal images: one per organ, set by an administrator, embedded in every document it signs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select

from engine.persistence.service_records import OrganSealRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

SEALS = OrganSealRecord.__table__


@dataclass(frozen=True, slots=True)
class SealRow:
    organ_id: int
    content_type: str
    data_uri: str
    is_demo: bool
    set_at: datetime
    set_by: str


_COLUMNS = (SEALS.c.organ_id, SEALS.c.content_type, SEALS.c.data_uri, SEALS.c.is_demo, SEALS.c.set_at,
            SEALS.c.set_by)


def seal_of(uow: UnitOfWork, organ_id: int) -> SealRow | None:
    found = connection(uow).execute(select(*_COLUMNS).where(SEALS.c.organ_id == organ_id)).mappings().first()
    return SealRow(**found) if found else None


def seals(uow: UnitOfWork) -> dict[int, SealRow]:
    """organ id -> its seal, for the organisation page."""
    return {row["organ_id"]: SealRow(**row) for row in connection(uow).execute(select(*_COLUMNS)).mappings()}


def set_seal(uow: UnitOfWork, organ_id: int, *, content_type: str, data_uri: str, is_demo: bool, now: datetime,
             actor_id: str) -> None:
    """Replace the organ's seal (documents already issued keep the seal they were frozen with)."""
    conn = connection(uow)
    conn.execute(delete(SEALS).where(SEALS.c.organ_id == organ_id))
    conn.execute(insert(SEALS).values(organ_id=organ_id, content_type=content_type, data_uri=data_uri,
                                      is_demo=is_demo, set_at=now, set_by=actor_id))
