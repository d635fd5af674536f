"""Housekeeping of sign-in records: rate-limit attempts and server-side sessions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy import or_

from engine.persistence.records import LoginAttemptRecord
from engine.persistence.records import WebSessionRecord

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork


def delete_login_attempts_before(uow: UnitOfWork, before: datetime) -> int:
    """Remove sign-in attempts older than ``before``; returns how many went."""
    result = uow.session.execute(delete(LoginAttemptRecord).where(LoginAttemptRecord.attempted_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_sessions_ended_before(uow: UnitOfWork, before: datetime) -> int:
    """Remove sessions that expired or were closed before ``before``; returns how many went."""
    result = uow.session.execute(delete(WebSessionRecord).where(or_(
        WebSessionRecord.expires_at < before, WebSessionRecord.closed_at < before)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
