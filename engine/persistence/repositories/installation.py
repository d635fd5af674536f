"""What kind of installation a database is (demo or production), and its first administrator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select

from engine.persistence.records import UserRecord
from engine.persistence.repositories import like_group

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AccountCounts:
    #: Accounts created by ``--demo`` (their shared password is public).
    demo: int
    #: Every other account: administrators, staff and registered applicants.
    real: int
    #: Real accounts in the ``admin`` group.
    real_admins: int


def account_counts(uow: UnitOfWork) -> AccountCounts:
    session = uow.session
    demo = session.scalar(select(func.count(UserRecord.id)).where(UserRecord.is_demo.is_(True))) or 0
    real = session.scalar(select(func.count(UserRecord.id)).where(UserRecord.is_demo.is_(False))) or 0
    admins = session.scalar(select(func.count(UserRecord.id)).where(
        UserRecord.is_demo.is_(False),
        literal(",").concat(UserRecord.groups).concat(",").like(like_group("admin"), escape="\\"))) or 0
    return AccountCounts(demo=int(demo), real=int(real), real_admins=int(admins))


def has_demo_accounts(uow: UnitOfWork) -> bool:
    return uow.session.scalar(select(UserRecord.id).where(UserRecord.is_demo.is_(True)).limit(1)) is not None


def add_staff_account(uow: UnitOfWork, *, username: str, display_name: str, password_hash: str,
                      groups: tuple[str, ...], department: str, now: datetime) -> None:
    uow.session.add(UserRecord(username=username, display_name=display_name, password_hash=password_hash,
                               groups=",".join(groups), department=department, credit_code="", is_demo=False,
                               kind="staff", is_active=True, created_at=now))
