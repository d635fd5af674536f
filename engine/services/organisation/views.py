"""What the organisation pages show, and the look-ups other areas make (an organ by its code).

``organ_of`` is the one function documents use to find a deciding organ (name, credit code, 复议机关,
court) from the organ code a catalogue entry names.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

from engine.persistence.repositories import accounts
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.accounts import UserRow
from engine.persistence.repositories.organisation import AuditRow
from engine.persistence.repositories.organisation import DepartmentRow
from engine.persistence.repositories.organisation import MemberRow
from engine.persistence.repositories.organisation import OrganRow
from engine.persistence.repositories.organisation import PostRow
from engine.persistence.repositories.organisation import WindowRow
from engine.services.context import EngineContext
from engine.services.organisation.structure import KINDS
from engine.services.organisation.structure import status_text

R = TypeVar("R")


@dataclass(frozen=True)
class PostView:
    post: PostRow
    members: tuple[MemberRow, ...]


@dataclass(frozen=True)
class DepartmentView:
    department: DepartmentRow
    posts: tuple[PostView, ...]


@dataclass(frozen=True)
class OrganView:
    organ: OrganRow
    departments: tuple[DepartmentView, ...]


@dataclass(frozen=True)
class WindowView:
    window: WindowRow
    clerks: tuple[MemberRow, ...]


@dataclass(frozen=True)
class OrganisationView:
    organs: tuple[OrganView, ...]
    windows: tuple[WindowView, ...]

    @property
    def departments(self) -> list[DepartmentRow]:
        return [d.department for o in self.organs for d in o.departments]

    @property
    def posts(self) -> list[PostRow]:
        return [p.post for o in self.organs for d in o.departments for p in d.posts]


@dataclass(frozen=True)
class StaffView:
    user: UserRow
    posts: tuple[str, ...]
    windows: tuple[str, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(r for r in self.user.groups.split(",") if r)


def organisation_overview(ctx: EngineContext) -> OrganisationView:
    """Every organ with its departments and posts and their holders, and every window with its clerks.

    Rows are grouped by their parent's key once (linear): the 事项库 entry form renders this for a
    hall of hundreds of departments and posts, where scanning every list per parent was quadratic.
    """
    with ctx.uow() as uow:
        organs, departments, posts = org.organs(uow), org.departments(uow), org.posts(uow)
        members, clerks = org.post_members(uow), org.window_clerks(uow)
        windows = org.windows(uow)
    departments_of = _grouped(departments, lambda d: d.organ_id)
    posts_of = _grouped(posts, lambda p: p.department_id)
    members_of, clerks_of = _grouped(members, lambda m: m.code), _grouped(clerks, lambda c: c.code)
    views = tuple(OrganView(organ, tuple(
        DepartmentView(department, tuple(PostView(p, tuple(members_of.get(p.code, ())))
                                         for p in posts_of.get(department.id, ())))
        for department in departments_of.get(organ.id, ()))) for organ in organs)
    return OrganisationView(views, tuple(WindowView(w, tuple(clerks_of.get(w.code, ()))) for w in windows))


def _grouped(rows: Iterable[R], key: Callable[[R], Any]) -> dict[Any, list[R]]:
    """``rows`` by ``key``, each group in the rows' order (the order the pages list them in)."""
    groups: dict[Any, list[R]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


def unit_form_values(ctx: EngineContext, kind: str, code: str) -> dict[str, str] | None:
    """The edit form's values of one organ, department, post or window (None: no such unit)."""
    if kind not in KINDS:
        return None
    with ctx.uow() as uow:
        row = KINDS[kind].find(uow, code)
    if row is None:
        return None
    values: dict[str, Any] = asdict(row)
    values["status"] = status_text(values.pop("is_active"))
    return {key: str(values.get(key, "")) for key in KINDS[kind].fields}


def staff_overview(ctx: EngineContext) -> list[StaffView]:
    """Every staff account with the posts and windows it holds (three queries)."""
    with ctx.uow() as uow:
        users = accounts.staff_users(uow)
        members, clerks = org.post_members(uow), org.window_clerks(uow)
    posts_of, windows_of = _grouped(members, lambda m: m.user_id), _grouped(clerks, lambda c: c.user_id)
    return [StaffView(user, tuple(m.code for m in posts_of.get(user.id, ())),
                      tuple(c.code for c in windows_of.get(user.id, ()))) for user in users]


def staff_form_values(ctx: EngineContext, username: str) -> dict[str, str] | None:
    """The edit form of one staff account (lists as "、"-joined text), None when there is none."""
    from engine.services.organisation.staff import staff_values

    with ctx.uow() as uow:
        user = accounts.user_by_username(uow, username)
        if user is None or user.kind != "staff":
            return None
        values = staff_values(uow, user)
    return {key: "、".join(value) if isinstance(value, list) else str(value) for key, value in values.items()}


def audit_entries(ctx: EngineContext, *, area: str | None = None, subject: str | None = None,
                  limit: int = 200) -> list[AuditRow]:
    """The admin audit log, newest first."""
    with ctx.uow() as uow:
        return org.audit_log(uow, area=area, subject=subject, limit=limit)


def organ_of(ctx: EngineContext, code: str) -> OrganRow | None:
    """The organ with this code (the deciding organ a catalogue entry names), or None."""
    with ctx.uow() as uow:
        return org.organ_by_code(uow, code)
