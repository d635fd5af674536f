"""People who sign in, their sign-in attempts, API tokens and browser sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import ApiTokenRecord
from engine.persistence.records import LoginAttemptRecord
from engine.persistence.records import UserRecord
from engine.persistence.records import WebSessionRecord
from engine.persistence.repositories.organisation import held_codes_of
from engine.persistence.repositories.shared_versions import VERSIONS
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

USERS = UserRecord.__table__
ATTEMPTS = LoginAttemptRecord.__table__
TOKENS = ApiTokenRecord.__table__
SESSIONS = WebSessionRecord.__table__


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    username: str
    display_name: str
    password_hash: str
    #: Comma-separated roles / candidate groups.
    groups: str
    department: str
    credit_code: str
    kind: str
    id_number: str
    mobile: str
    is_demo: bool
    is_active: bool
    created_at: datetime
    email: str = ""


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    display_name: str
    password_hash: str
    groups: str
    department: str = ""
    credit_code: str = ""
    kind: str = "staff"
    id_number: str = ""
    mobile: str = ""
    is_demo: bool = False
    email: str = ""


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    username: str
    is_revoked: bool
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WebSessionRow:
    id: int
    username: str
    expires_at: datetime
    closed_at: datetime | None


def _user(values: Mapping[str, Any]) -> UserRow:
    return UserRow(**{column.name: values[column.name] for column in USERS.c})


def user_by_username(uow: UnitOfWork, username: str) -> UserRow | None:
    found = connection(uow).execute(select(*USERS.c).where(USERS.c.username == username)).mappings().first()
    return _user(found) if found is not None else None


def existing_usernames(uow: UnitOfWork, usernames: list[str]) -> set[str]:
    query = select(USERS.c.username).where(USERS.c.username.in_(usernames))
    return set(connection(uow).execute(query).scalars())


def insert_users(uow: UnitOfWork, users: list[NewUser], now: datetime) -> None:
    """Create accounts (active); a taken username fails on the unique constraint."""
    if users:
        connection(uow).execute(insert(USERS), [
            {"username": u.username, "display_name": u.display_name, "password_hash": u.password_hash,
             "groups": u.groups, "department": u.department, "credit_code": u.credit_code, "kind": u.kind,
             "id_number": u.id_number, "mobile": u.mobile, "email": u.email, "is_demo": u.is_demo, "is_active": True,
             "created_at": now} for u in users])


# -- sign-in attempts ----------------------------------------------------------------------------


def record_login_attempt(uow: UnitOfWork, username: str, ip: str, now: datetime, succeeded: bool) -> None:
    connection(uow).execute(insert(ATTEMPTS).values(username=username, ip=ip, attempted_at=now, succeeded=succeeded))


def recent_login_failures(uow: UnitOfWork, since: datetime, username: str | None = None,
                          ip: str | None = None) -> int:
    query = select(func.count(ATTEMPTS.c.id)).where(ATTEMPTS.c.attempted_at >= since,
                                                    ATTEMPTS.c.succeeded.is_(False))
    if username is not None:
        query = query.where(ATTEMPTS.c.username == username)
    if ip is not None:
        query = query.where(ATTEMPTS.c.ip == ip)
    return int(connection(uow).execute(query).scalar() or 0)


# -- API tokens ----------------------------------------------------------------------------------


def insert_api_token(uow: UnitOfWork, token_hash: str, username: str, name: str, now: datetime) -> None:
    connection(uow).execute(insert(TOKENS).values(token_hash=token_hash, username=username, name=name,
                                                  created_at=now, is_revoked=False))


def api_token(uow: UnitOfWork, token_hash: str) -> TokenRow | None:
    query = select(TOKENS.c.id, TOKENS.c.username, TOKENS.c.is_revoked, TOKENS.c.last_used_at).where(
        TOKENS.c.token_hash == token_hash)
    found = connection(uow).execute(query).mappings().first()
    return TokenRow(**found) if found is not None else None


def touch_api_token(uow: UnitOfWork, token_id: int, now: datetime, *, unless_since: datetime | None = None) -> None:
    """Note the token's use; with ``unless_since``, only if it was not noted since then (fewer writes)."""
    query = update(TOKENS).where(TOKENS.c.id == token_id)
    if unless_since is not None:
        query = query.where(or_(TOKENS.c.last_used_at.is_(None), TOKENS.c.last_used_at < unless_since))
    connection(uow).execute(query.values(last_used_at=now))


# -- browser sessions ----------------------------------------------------------------------------


def insert_web_session(uow: UnitOfWork, token_hash: str, username: str, now: datetime, expires_at: datetime) -> None:
    connection(uow).execute(insert(SESSIONS).values(token_hash=token_hash, username=username, created_at=now,
                                                    expires_at=expires_at))


def web_session(uow: UnitOfWork, token_hash: str) -> WebSessionRow | None:
    query = (select(SESSIONS.c.id, SESSIONS.c.username, SESSIONS.c.expires_at, SESSIONS.c.closed_at)
             .where(SESSIONS.c.token_hash == token_hash))
    found = connection(uow).execute(query).mappings().first()
    return WebSessionRow(**found) if found is not None else None


def close_web_session(uow: UnitOfWork, session_id: int, now: datetime) -> None:
    connection(uow).execute(update(SESSIONS).where(SESSIONS.c.id == session_id, SESSIONS.c.closed_at.is_(None))
                            .values(closed_at=now))


# -- the request's sign-in lookup ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identity:
    """A browser session or API token found by its hash, with its account and what the account holds
    now (active posts' codes, active windows' kinds): everything a request needs to know who asks."""

    credential_id: int
    user: UserRow
    post_codes: tuple[str, ...]
    window_kinds: tuple[str, ...]
    #: API tokens only.
    is_revoked: bool = False
    last_used_at: datetime | None = None
    #: Browser sessions only.
    expires_at: datetime | None = None
    closed_at: datetime | None = None


def identity_by_token_hash(uow: UnitOfWork, kind: str, token_hash: str,
                           version_name: str | None = None) -> tuple[int | None, Identity | None]:
    """(the shared version ``version_name``, the session or token ``token_hash`` names) in one statement.

    ``kind`` is ``"session"`` or ``"token"``. Both are None when no such credential (or its account)
    exists: the caller then reads the version alone (the version is 0 if it never changed, None
    when no ``version_name`` is asked). Read on every signed-in request and every API
    call, so it is one round trip: the credential joined to its account and to the posts and windows
    the account holds (one row per post or window, read by the account's id, found by a scalar
    subquery, so the planner never reads anyone else's), the version as a scalar subquery beside them.
    """
    table = SESSIONS if kind == "session" else TOKENS
    extra = ([SESSIONS.c.expires_at, SESSIONS.c.closed_at] if kind == "session"
             else [TOKENS.c.is_revoked, TOKENS.c.last_used_at])
    user_id = (select(USERS.c.id).join(table, USERS.c.username == table.c.username)
               .where(table.c.token_hash == token_hash).scalar_subquery())
    held = held_codes_of(user_id)
    version = (select(VERSIONS.c.version).where(VERSIONS.c.name == version_name).scalar_subquery()
               if version_name is not None else literal(None))
    query = (select(version.label("shared_version"), table.c.id.label("credential_id"), *extra,
                    *[column.label(f"user_{column.name}") for column in USERS.c],
                    held.c.code.label("held_code"), held.c.kind.label("held_kind"), held.c.is_post.label("held_post"))
             .select_from(table.join(USERS, USERS.c.username == table.c.username)
                          .outerjoin(held, held.c.user_id == USERS.c.id))
             .where(table.c.token_hash == token_hash))
    rows = connection(uow).execute(query).mappings().all()
    if not rows:
        return None, None
    first = rows[0]
    user = UserRow(**{column.name: first[f"user_{column.name}"] for column in USERS.c})
    posts = tuple(row["held_code"] for row in rows if row["held_code"] is not None and row["held_post"])
    windows = tuple(row["held_kind"] for row in rows if row["held_code"] is not None and not row["held_post"])
    identity = Identity(first["credential_id"], user, posts, windows, **{column.name: first[column.name]
                                                                       for column in extra})
    found = first["shared_version"]
    return (int(found or 0) if version_name is not None else None), identity


# -- staff administration ------------------------------------------------------------------------


def staff_users(uow: UnitOfWork) -> list[UserRow]:
    """Every staff account (not applicants), by username."""
    query = select(*USERS.c).where(USERS.c.kind == "staff").order_by(USERS.c.username)
    return [_user(values) for values in connection(uow).execute(query).mappings()]


def users_by_usernames(uow: UnitOfWork, usernames: list[str]) -> dict[str, UserRow]:
    query = select(*USERS.c).where(USERS.c.username.in_(usernames))
    return {row.username: row for row in (_user(v) for v in connection(uow).execute(query).mappings())}


def update_user(uow: UnitOfWork, user_id: int, values: Mapping[str, Any]) -> None:
    """Change profile columns (display name, roles, department, mobile, e-mail, active, password hash)."""
    connection(uow).execute(update(USERS).where(USERS.c.id == user_id).values(**values))
