"""Housekeeping of sign-in records: rate-limit attempts and server-side sessions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy import or_

from engine.persistence.records import LoginAttemptRecord
from engine.persistence.records import WebSessionRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

ATTEMPTS = LoginAttemptRecord.__table__
SESSIONS = WebSessionRecord.__table__


def delete_login_attempts_before(uow: UnitOfWork, before: datetime) -> int:
    """Remove sign-in attempts older than ``before``; returns how many went."""
    return int(connection(uow).execute(delete(ATTEMPTS).where(ATTEMPTS.c.attempted_at < before)).rowcount or 0)


def delete_sessions_ended_before(uow: UnitOfWork, before: datetime) -> int:
    """Remove sessions that expired or were closed before ``before``; returns how many went."""
    ended = or_(SESSIONS.c.expires_at < before, SESSIONS.c.closed_at < before)
    return int(connection(uow).execute(delete(SESSIONS).where(ended)).rowcount or 0)
