"""The organisation: organs, departments (科室), posts (岗位) and who holds them, windows and their clerks,
and the append-only admin audit log.

A person's candidate groups are read from here each time they act (``groups_of_user``), so adding
someone to a post shows them that post's open tasks on their next page, and removing them hides them.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.organisation_records import AdminAuditRecord
from engine.persistence.organisation_records import OrganRecord
from engine.persistence.organisation_records import OrgDepartmentRecord
from engine.persistence.organisation_records import PostMemberRecord
from engine.persistence.organisation_records import PostRecord
from engine.persistence.organisation_records import WindowClerkRecord
from engine.persistence.organisation_records import WindowRecord
from engine.persistence.records import UserRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

ORGANS = OrganRecord.__table__
DEPARTMENTS = OrgDepartmentRecord.__table__
POSTS = PostRecord.__table__
MEMBERS = PostMemberRecord.__table__
WINDOWS = WindowRecord.__table__
CLERKS = WindowClerkRecord.__table__
AUDIT = AdminAuditRecord.__table__
USERS = UserRecord.__table__


@dataclass(frozen=True, slots=True)
class OrganRow:
    id: int
    code: str
    name: str
    short_name: str
    credit_code: str
    address: str
    phone: str
    review_organ: str
    court: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    id: int
    code: str
    organ_id: int
    organ_code: str
    name: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class PostRow:
    id: int
    code: str
    name: str
    department_id: int
    department_code: str
    organ_code: str
    kind: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class WindowRow:
    id: int
    code: str
    name: str
    kind: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A person in a post or at a window: enough to list them."""

    #: Code of the post or window.
    code: str
    user_id: int
    username: str
    display_name: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    occurred_at: datetime
    actor_id: str
    actor_role: str
    area: str
    event_type: str
    subject: str
    summary: str
    data_before: str | None
    data_after: str | None


def _rows(uow: UnitOfWork, query: Any, cls: type) -> list[Any]:
    return [cls(**values) for values in connection(uow).execute(query).mappings()]


# -- organs --------------------------------------------------------------------------------------


def organs(uow: UnitOfWork) -> list[OrganRow]:
    return _rows(uow, select(*ORGANS.c).order_by(ORGANS.c.id), OrganRow)


def organ_by_code(uow: UnitOfWork, code: str) -> OrganRow | None:
    found = _rows(uow, select(*ORGANS.c).where(ORGANS.c.code == code), OrganRow)
    return found[0] if found else None


def insert_organ(uow: UnitOfWork, values: Mapping[str, Any]) -> int:
    return int(connection(uow).execute(insert(ORGANS).values(**values).returning(ORGANS.c.id)).scalar_one())


def update_organ(uow: UnitOfWork, organ_id: int, values: Mapping[str, Any]) -> None:
    connection(uow).execute(update(ORGANS).where(ORGANS.c.id == organ_id).values(**values))


# -- departments ---------------------------------------------------------------------------------

_DEPARTMENT_COLUMNS = (*DEPARTMENTS.c, ORGANS.c.code.label("organ_code"))


def departments(uow: UnitOfWork) -> list[DepartmentRow]:
    query = (select(*_DEPARTMENT_COLUMNS).join(ORGANS, ORGANS.c.id == DEPARTMENTS.c.organ_id)
             .order_by(DEPARTMENTS.c.organ_id, DEPARTMENTS.c.id))
    return _rows(uow, query, DepartmentRow)


def department_by_code(uow: UnitOfWork, code: str) -> DepartmentRow | None:
    query = (select(*_DEPARTMENT_COLUMNS).join(ORGANS, ORGANS.c.id == DEPARTMENTS.c.organ_id)
             .where(DEPARTMENTS.c.code == code))
    found = _rows(uow, query, DepartmentRow)
    return found[0] if found else None


def insert_department(uow: UnitOfWork, values: Mapping[str, Any]) -> int:
    statement = insert(DEPARTMENTS).values(**values).returning(DEPARTMENTS.c.id)
    return int(connection(uow).execute(statement).scalar_one())


def update_department(uow: UnitOfWork, department_id: int, values: Mapping[str, Any]) -> None:
    connection(uow).execute(update(DEPARTMENTS).where(DEPARTMENTS.c.id == department_id).values(**values))


# -- posts ---------------------------------------------------------------------------------------

_POST_COLUMNS = (*POSTS.c, DEPARTMENTS.c.code.label("department_code"), ORGANS.c.code.label("organ_code"))


def _post_query() -> Any:
    return (select(*_POST_COLUMNS).join(DEPARTMENTS, DEPARTMENTS.c.id == POSTS.c.department_id)
            .join(ORGANS, ORGANS.c.id == DEPARTMENTS.c.organ_id))


def posts(uow: UnitOfWork) -> list[PostRow]:
    return _rows(uow, _post_query().order_by(ORGANS.c.id, DEPARTMENTS.c.id, POSTS.c.id), PostRow)


def post_by_code(uow: UnitOfWork, code: str) -> PostRow | None:
    found = _rows(uow, _post_query().where(POSTS.c.code == code), PostRow)
    return found[0] if found else None


def insert_post(uow: UnitOfWork, values: Mapping[str, Any]) -> int:
    return int(connection(uow).execute(insert(POSTS).values(**values).returning(POSTS.c.id)).scalar_one())


def update_post(uow: UnitOfWork, post_id: int, values: Mapping[str, Any]) -> None:
    connection(uow).execute(update(POSTS).where(POSTS.c.id == post_id).values(**values))


def post_members(uow: UnitOfWork, post_ids: Iterable[int] | None = None) -> list[MemberRow]:
    """Holders of the given posts (all posts when None), by post then by when they joined."""
    query = (select(POSTS.c.code, USERS.c.id.label("user_id"), USERS.c.username, USERS.c.display_name,
                    USERS.c.is_active)
             .select_from(MEMBERS).join(POSTS, POSTS.c.id == MEMBERS.c.post_id)
             .join(USERS, USERS.c.id == MEMBERS.c.user_id).order_by(POSTS.c.id, MEMBERS.c.id))
    if post_ids is not None:
        query = query.where(MEMBERS.c.post_id.in_(list(post_ids)))
    return _rows(uow, query, MemberRow)


def add_post_member(uow: UnitOfWork, post_id: int, user_id: int, now: datetime) -> None:
    connection(uow).execute(insert(MEMBERS).values(post_id=post_id, user_id=user_id, since=now))


def remove_post_member(uow: UnitOfWork, post_id: int, user_id: int) -> bool:
    result = connection(uow).execute(delete(MEMBERS).where(MEMBERS.c.post_id == post_id,
                                                           MEMBERS.c.user_id == user_id))
    return result.rowcount == 1


def posts_of_user(uow: UnitOfWork, user_id: int) -> list[PostRow]:
    """The posts a person holds (active or not: the caller decides what an inactive post means)."""
    query = _post_query().join(MEMBERS, MEMBERS.c.post_id == POSTS.c.id).where(MEMBERS.c.user_id == user_id)
    return _rows(uow, query.order_by(POSTS.c.id), PostRow)


# -- windows -------------------------------------------------------------------------------------


def windows(uow: UnitOfWork) -> list[WindowRow]:
    return _rows(uow, select(*WINDOWS.c).order_by(WINDOWS.c.id), WindowRow)


def window_by_code(uow: UnitOfWork, code: str) -> WindowRow | None:
    found = _rows(uow, select(*WINDOWS.c).where(WINDOWS.c.code == code), WindowRow)
    return found[0] if found else None


def insert_window(uow: UnitOfWork, values: Mapping[str, Any]) -> int:
    return int(connection(uow).execute(insert(WINDOWS).values(**values).returning(WINDOWS.c.id)).scalar_one())


def update_window(uow: UnitOfWork, window_id: int, values: Mapping[str, Any]) -> None:
    connection(uow).execute(update(WINDOWS).where(WINDOWS.c.id == window_id).values(**values))


def window_clerks(uow: UnitOfWork, window_ids: Iterable[int] | None = None) -> list[MemberRow]:
    query = (select(WINDOWS.c.code, USERS.c.id.label("user_id"), USERS.c.username, USERS.c.display_name,
                    USERS.c.is_active)
             .select_from(CLERKS).join(WINDOWS, WINDOWS.c.id == CLERKS.c.window_id)
             .join(USERS, USERS.c.id == CLERKS.c.user_id).order_by(WINDOWS.c.id, CLERKS.c.id))
    if window_ids is not None:
        query = query.where(CLERKS.c.window_id.in_(list(window_ids)))
    return _rows(uow, query, MemberRow)


def add_window_clerk(uow: UnitOfWork, window_id: int, user_id: int, now: datetime) -> None:
    connection(uow).execute(insert(CLERKS).values(window_id=window_id, user_id=user_id, since=now))


def remove_window_clerk(uow: UnitOfWork, window_id: int, user_id: int) -> bool:
    result = connection(uow).execute(delete(CLERKS).where(CLERKS.c.window_id == window_id,
                                                          CLERKS.c.user_id == user_id))
    return result.rowcount == 1


def windows_of_user(uow: UnitOfWork, user_id: int) -> list[WindowRow]:
    query = (select(*WINDOWS.c).join(CLERKS, CLERKS.c.window_id == WINDOWS.c.id)
             .where(CLERKS.c.user_id == user_id).order_by(WINDOWS.c.id))
    return _rows(uow, query, WindowRow)


def held_codes_of(user_id: Any) -> Any:
    """A subquery of (user_id, code, kind, is_post): the active posts and windows ``user_id`` holds.

    The same rule as ``held_codes``, for joining to a person read in the same statement (the
    request's sign-in lookup, ``accounts.identity_by_token_hash``). ``user_id`` may be an SQL
    expression (a scalar subquery): it filters each branch, so only that person's rows are read.
    """
    posts = (select(MEMBERS.c.user_id.label("user_id"), POSTS.c.code.label("code"), POSTS.c.kind.label("kind"),
                    literal(1).label("is_post"))
             .join(POSTS, MEMBERS.c.post_id == POSTS.c.id)
             .join(DEPARTMENTS, DEPARTMENTS.c.id == POSTS.c.department_id)
             .join(ORGANS, ORGANS.c.id == DEPARTMENTS.c.organ_id)
             .where(MEMBERS.c.user_id == user_id, POSTS.c.is_active.is_(True), DEPARTMENTS.c.is_active.is_(True),
                    ORGANS.c.is_active.is_(True)))
    windows = (select(CLERKS.c.user_id.label("user_id"), WINDOWS.c.code.label("code"), WINDOWS.c.kind.label("kind"),
                      literal(0).label("is_post"))
               .join(WINDOWS, CLERKS.c.window_id == WINDOWS.c.id)
               .where(CLERKS.c.user_id == user_id, WINDOWS.c.is_active.is_(True)))
    return posts.union_all(windows).subquery("held")


def held_codes(uow: UnitOfWork, user_id: int) -> tuple[list[str], list[str]]:
    """(codes of the active posts, kinds of the active windows) a person holds, in one round trip.

    Only active posts of active departments and organs count, so deactivating a department takes
    its queues away from everyone in it at once.
    """
    posts_query = (select(POSTS.c.code.label("code"), POSTS.c.kind.label("kind"), literal(1).label("is_post"))
                   .join(MEMBERS, MEMBERS.c.post_id == POSTS.c.id)
                   .join(DEPARTMENTS, DEPARTMENTS.c.id == POSTS.c.department_id)
                   .join(ORGANS, ORGANS.c.id == DEPARTMENTS.c.organ_id)
                   .where(MEMBERS.c.user_id == user_id, POSTS.c.is_active.is_(True),
                          DEPARTMENTS.c.is_active.is_(True), ORGANS.c.is_active.is_(True)))
    windows_query = (select(WINDOWS.c.code.label("code"), WINDOWS.c.kind.label("kind"), literal(0).label("is_post"))
                     .join(CLERKS, CLERKS.c.window_id == WINDOWS.c.id)
                     .where(CLERKS.c.user_id == user_id, WINDOWS.c.is_active.is_(True)))
    post_codes: list[str] = []
    window_kinds: list[str] = []
    for code, kind, is_post in connection(uow).execute(posts_query.union_all(windows_query)):
        if is_post:
            post_codes.append(code)
        else:
            window_kinds.append(kind)
    return post_codes, window_kinds


# -- the admin audit log (append only) ------------------------------------------------------------


def append_audit(uow: UnitOfWork, *, occurred_at: datetime, actor_id: str, actor_role: str, area: str,
                 event_type: str, subject: str, summary: str, data_before: str | None = None,
                 data_after: str | None = None) -> None:
    """Add one row; there is no function to change or delete one."""
    connection(uow).execute(insert(AUDIT).values(
        occurred_at=occurred_at, actor_id=actor_id, actor_role=actor_role[:200], area=area, event_type=event_type,
        subject=subject[:100], summary=summary[:500], data_before=data_before, data_after=data_after))


def append_audits(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Add many rows (``append_audit``'s keywords each) in one statement."""
    if rows:
        connection(uow).execute(insert(AUDIT), [
            {**row, "actor_role": row["actor_role"][:200], "subject": row["subject"][:100],
             "summary": row["summary"][:500]} for row in rows])


def audit_log(uow: UnitOfWork, *, area: str | None = None, subject: str | None = None,
              limit: int = 200) -> list[AuditRow]:
    """Newest first."""
    query = select(*AUDIT.c).order_by(AUDIT.c.id.desc()).limit(limit)
    if area is not None:
        query = query.where(AUDIT.c.area == area)
    if subject is not None:
        query = query.where(AUDIT.c.subject == subject)
    return _rows(uow, query, AuditRow)
