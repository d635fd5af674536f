"""What kind of installation a database is: a demo (it holds demo accounts) or production."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select

from engine.persistence.records import UserRecord
from engine.persistence.sql import LIKE_ESCAPE
from engine.persistence.sql import connection
from engine.persistence.sql import group_pattern

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

USERS = UserRecord.__table__


@dataclass(frozen=True, slots=True)
class AccountCounts:
    #: Accounts created by ``--demo`` (their shared password is public).
    demo: int
    #: Every other account: administrators, staff and registered applicants.
    real: int
    #: Real accounts in the ``admin`` group.
    real_admins: int


def account_counts(uow: UnitOfWork) -> AccountCounts:
    in_admin = (literal(",").concat(USERS.c.groups).concat(",")).like(group_pattern("admin"), escape=LIKE_ESCAPE)
    real = USERS.c.is_demo.is_(False)
    query = select(func.count().filter(USERS.c.is_demo.is_(True)), func.count().filter(real),
                   func.count().filter(real & in_admin))
    demo, real_count, admins = connection(uow).execute(query).one()
    return AccountCounts(demo=int(demo), real=int(real_count), real_admins=int(admins))


def has_demo_accounts(uow: UnitOfWork) -> bool:
    query = select(USERS.c.id).where(USERS.c.is_demo.is_(True)).limit(1)
    return connection(uow).execute(query).first() is not None
