"""Staged uploads: written by one request, read back (by their owner, before expiry) by the next."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select

from engine.persistence.sql import connection
from engine.persistence.staging_records import ImportStagingRecord

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

STAGING = ImportStagingRecord.__table__


def stage_files(uow: UnitOfWork, token: str, owner: str, files_json: str, now: datetime,
                expires_at: datetime) -> None:
    """Keep one upload under ``token``, and forget every upload that has expired."""
    conn = connection(uow)
    conn.execute(delete(STAGING).where(STAGING.c.expires_at <= now))
    conn.execute(insert(STAGING).values(token=token, owner=owner, files_json=files_json, created_at=now,
                                        expires_at=expires_at))


def staged_files(uow: UnitOfWork, token: str, owner: str, now: datetime) -> str | None:
    """The JSON of the owner's upload under ``token`` while it has not expired, else None."""
    query = select(STAGING.c.files_json).where(STAGING.c.token == token, STAGING.c.owner == owner,
                                               STAGING.c.expires_at > now)
    return connection(uow).execute(query).scalar()


def drop_staged(uow: UnitOfWork, token: str) -> None:
    connection(uow).execute(delete(STAGING).where(STAGING.c.token == token))
