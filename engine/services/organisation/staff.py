"""Staff accounts, the posts they hold and the windows they serve at; leaving hands work back.

When someone stops being able to work a task they hold (deactivated, or taken off the post the
task is offered to), the task goes back to its queue or to the colleague an administrator names,
with a history row on the case, in the same transaction as the change. Nobody's claimed work is
stranded with a person who can no longer open it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from engine.actors import Actor
from engine.actors import may_work
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.forms import is_valid_email
from engine.forms import is_valid_mobile
from engine.hidden_chars import name_problem
from engine.history import to_json
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.conflicts import translate_duplicates
from engine.persistence.repositories import accounts
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.accounts import NewUser
from engine.persistence.repositories.accounts import UserRow
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.tasks import assign_row
from engine.persistence.repositories.tasks import open_tasks_held_by
from engine.persistence.repositories.tasks import release_row
from engine.persistence.rows import TaskRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.accounts import hash_password
from engine.services.context import EngineContext
from engine.services.organisation.audit import record_change
from engine.services.organisation.audit import require_admin
from engine.services.organisation.groups import user_groups
from engine.services.organisation.structure import AREA
from engine.services.organisation.structure import STATUS_ACTIVE
from engine.services.organisation.structure import STATUS_INACTIVE
from engine.services.organisation.vocabulary import STAFF_ROLES

#: Field key -> Chinese label (also the CSV headers of a staff import).
STAFF_FIELDS = {"username": "用户名", "display_name": "姓名", "department": "所在部门", "roles": "角色",
                "posts": "岗位", "windows": "窗口", "mobile": "手机号", "email": "电子邮箱", "status": "状态"}
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
#: Stored instead of a hash for accounts created without a password: argon2 never verifies it.
NO_PASSWORD = "!no-password"


def split_list(text: str | Iterable[str]) -> list[str]:
    """A list cell ("a、b，c" or "a,b") or a form's multi-select as a list without blanks or repeats."""
    items = _LIST_SEPARATORS.split(text) if isinstance(text, str) else [str(t).strip() for t in text]
    return list(dict.fromkeys(item for item in items if item))


@dataclass(frozen=True)
class StaffChange:
    """What saving a staff account did."""

    username: str
    outcome: str  # added / changed / unchanged
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: The initial password of an account created from a page: shown once, only its hash is kept.
    password: str | None = None
    #: (case number, task name, new holder or None) for every task handed back.
    handed_back: tuple[tuple[str, str, str | None], ...] = ()


def clean_staff(uow: UnitOfWork, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a staff account's fields; posts and windows must exist, roles must be staff roles."""
    errors: dict[str, str] = {}

    def text(key: str) -> str:
        return str(values.get(key) or "").strip()

    username, display_name = text("username"), text("display_name")
    if not _USERNAME.match(username):
        errors["username"] = "用户名为 3–32 位字母、数字、下划线、点或连字符"
    if not display_name or len(display_name) > 100:
        errors["display_name"] = "请填写姓名（不超过 100 字）"
    elif (problem := name_problem(display_name)) is not None:
        errors["display_name"] = f"姓名{problem}"
    department = text("department")
    if len(department) > 100 or (department and name_problem(department)):
        errors["department"] = "所在部门不能超过 100 字，且不能含不可见字符"
    mobile = text("mobile")
    if mobile and not is_valid_mobile(mobile):
        errors["mobile"] = "手机号码格式不正确"
    # An import without an 电子邮箱 column keeps the addresses already stored (None: not given).
    email = text("email") if "email" in values else None
    if email and not is_valid_email(email):
        errors["email"] = "电子邮箱格式不正确"
    by_name = {name: code for code, name in STAFF_ROLES.items()}
    roles = [by_name.get(r, r) for r in split_list(values.get("roles") or "")]
    unknown_roles = [r for r in roles if r not in STAFF_ROLES]
    if unknown_roles:
        errors["roles"] = f"未知角色：{'、'.join(unknown_roles)}（可选：{'、'.join(STAFF_ROLES)}）"
    posts = split_list(values.get("posts") or "")
    missing_posts = [p for p in posts if org.post_by_code(uow, p) is None]
    if missing_posts:
        errors["posts"] = f"岗位不存在：{'、'.join(missing_posts)}"
    windows = split_list(values.get("windows") or "")
    missing_windows = [w for w in windows if org.window_by_code(uow, w) is None]
    if missing_windows:
        errors["windows"] = f"窗口不存在：{'、'.join(missing_windows)}"
    status = text("status") or STATUS_ACTIVE
    if status not in (STATUS_ACTIVE, STATUS_INACTIVE):
        errors["status"] = f"状态应为“{STATUS_ACTIVE}”或“{STATUS_INACTIVE}”"
    return {"username": username, "display_name": display_name, "department": department, "roles": roles,
            "posts": posts, "windows": windows, "mobile": mobile, "email": email,
            "is_active": status != STATUS_INACTIVE}, errors


def _lookup_user(uow: UnitOfWork, username: str) -> UserRow:
    user = accounts.user_by_username(uow, username)
    if user is None or user.kind != "staff":
        raise NotAllowed(f"未找到工作人员账号：{username}")
    return user


def _hand_back(uow: UnitOfWork, admin: Actor, now: datetime, user: UserRow, user_after: Actor | None,
               successor: Actor | None, reason: str) -> list[tuple[str, str, str | None]]:
    """Release (or give to ``successor``) every open task ``user`` holds but ``user_after`` may not work.

    ``user_after`` None means the account is being deactivated: it may work nothing. One history row
    per task on its case, each case saved (its lock checked), all in the caller's transaction.
    """
    held: dict[int, list[TaskRow]] = {}
    for row in open_tasks_held_by(uow, user.username):
        held.setdefault(row.case_id, []).append(row)
    moved = []
    for case_id, rows in held.items():
        case = lock_case(uow, case_id)
        if case is None:
            continue
        parties = (case.owner_id, case.started_by)
        touched = False
        for row in rows:
            if user_after is not None and may_work(row.groups, user_after, parties):
                continue
            to = successor.user_id if successor is not None and may_work(row.groups, successor, ()) \
                and "applicant" not in row.groups else None
            if to is None:
                release_row(uow, row, user.username)
                event = "task_released"
            else:
                assign_row(uow, row, to, now)
                event = "task_delegated"
            append_history(uow, case, occurred_at=now, event_type=event, actor_id=admin.user_id,
                           actor_role=admin.role_label, element_id=row.element_id, element_name=row.name,
                           task_uuid=row.task_uuid, data_before=to_json({"assignee": user.username}),
                           data_after=to_json({"assignee": to, "reason": reason}))
            moved.append((case.case_number, row.name, to))
            touched = True
        if touched:
            case.updated_at = now
            save_case(uow, case)
    return moved


def _actor(uow: UnitOfWork, username: str) -> Actor | None:
    user = accounts.user_by_username(uow, username)
    if user is None or not user.is_active:
        return None
    return Actor(user.username, user.display_name, user_groups(uow, user), user.department)


def _sync(uow: UnitOfWork, admin: Actor, now: datetime, user: UserRow, *, kind: str, wanted: list[str]) -> list[str]:
    """Make the user's posts (``kind="post"``) or windows exactly ``wanted``; audit each change."""
    if kind == "post":
        current = {p.code: p.id for p in org.posts_of_user(uow, user.id)}
        find, add, remove, label = org.post_by_code, org.add_post_member, org.remove_post_member, "岗位"
    else:
        current = {w.code: w.id for w in org.windows_of_user(uow, user.id)}
        find, add, remove, label = org.window_by_code, org.add_window_clerk, org.remove_window_clerk, "窗口"
    changed = []
    for code in wanted:
        if code not in current:
            unit = find(uow, code)
            add(uow, unit.id, user.id, now)
            record_change(uow, admin, now, area=AREA, event_type=f"{kind}_member_added", subject=f"{kind}:{code}",
                          summary=f"{user.display_name}（{user.username}）加入{label}“{unit.name}”",
                          after={"username": user.username})
            changed.append(f"+{code}")
    for code, unit_id in current.items():
        if code not in wanted:
            remove(uow, unit_id, user.id)
            record_change(uow, admin, now, area=AREA, event_type=f"{kind}_member_removed", subject=f"{kind}:{code}",
                          summary=f"{user.display_name}（{user.username}）离开{label}“{code}”",
                          before={"username": user.username})
            changed.append(f"-{code}")
    return changed


def apply_staff(uow: UnitOfWork, admin: Actor, now: datetime, clean: dict[str, Any], *,
                password_hash: str | None = None,
                successor: str | None = None, dry_run: bool = False) -> StaffChange:
    """Create or change a staff account from checked values; hand back work it can no longer do."""
    existing = accounts.user_by_username(uow, clean["username"])
    if existing is not None and existing.kind != "staff":
        raise FormDataInvalid({"username": "该用户名属于申请人账号，不能设为工作人员"}, clean)
    email = clean.get("email")
    if email is None:
        email = existing.email if existing is not None else ""
    profile = {"display_name": clean["display_name"], "department": clean["department"],
               "groups": ",".join(clean["roles"]), "mobile": clean["mobile"], "email": email,
               "is_active": clean["is_active"]}
    before: dict[str, Any] = {}
    if existing is not None:
        before = {"display_name": existing.display_name, "department": existing.department, "groups": existing.groups,
                  "mobile": existing.mobile, "email": existing.email, "is_active": existing.is_active,
                  "posts": [p.code for p in org.posts_of_user(uow, existing.id)],
                  "windows": [w.code for w in org.windows_of_user(uow, existing.id)]}
    after = {**profile, "posts": clean["posts"], "windows": clean["windows"]}
    changes = {k: (before.get(k), v) for k, v in after.items()
               if existing is not None and (sorted(before[k]) != sorted(v) if isinstance(v, list) else before[k] != v)}
    outcome = "added" if existing is None else ("changed" if changes else "unchanged")
    if dry_run or outcome == "unchanged":
        return StaffChange(clean["username"], outcome, changes)
    if existing is None:
        with translate_duplicates(f"用户名 {clean['username']} 已被占用"):
            accounts.insert_users(uow, [NewUser(username=clean["username"], display_name=clean["display_name"],
                                                password_hash=password_hash or NO_PASSWORD,
                                                groups=profile["groups"], department=clean["department"],
                                                mobile=clean["mobile"], email=email)], now)
        record_change(uow, admin, now, area=AREA, event_type="user_created", subject=f"user:{clean['username']}",
                      summary=f"新增工作人员“{clean['display_name']}”（{clean['username']}）", after=after)
    else:
        profile_changes = {k: v for k, v in changes.items() if k in profile}
        if profile_changes:
            accounts.update_user(uow, existing.id, profile)
            record_change(uow, admin, now, area=AREA,
                          event_type="user_deactivated" if "is_active" in profile_changes and not clean["is_active"]
                          else "user_changed", subject=f"user:{clean['username']}",
                          summary=f"修改工作人员“{clean['display_name']}”（{clean['username']}）："
                                  + "、".join(STAFF_FIELDS.get({"groups": "roles", "is_active": "status"}.get(k, k), k)
                                             for k in profile_changes),
                          before={k: v[0] for k, v in profile_changes.items()},
                          after={k: v[1] for k, v in profile_changes.items()})
    user = accounts.user_by_username(uow, clean["username"])
    assert user is not None
    _sync(uow, admin, now, user, kind="post", wanted=clean["posts"])
    _sync(uow, admin, now, user, kind="window", wanted=clean["windows"])
    handed_back: list[tuple[str, str, str | None]] = []
    if existing is not None:
        after_actor = _actor(uow, user.username) if clean["is_active"] else None
        successor_actor = _actor(uow, successor) if successor else None
        reason = "人员停用" if not clean["is_active"] else "岗位调整"
        handed_back = _hand_back(uow, admin, now, user, after_actor, successor_actor, reason)
    return StaffChange(clean["username"], outcome, changes, None, tuple(handed_back))


def save_staff(ctx: EngineContext, admin: Actor, values: Mapping[str, Any], *,
               successor: str | None = None) -> StaffChange:
    """Create or change one staff account from the page; a new account gets a one-time password.

    :raise NotAllowed: the actor is not an administrator.
    :raise FormDataInvalid: field errors in Chinese, values kept; nothing changed.
    """
    require_admin(admin)
    with ctx.uow() as uow, translate_conflicts():
        clean, errors = clean_staff(uow, values)
        if successor and not errors and _actor(uow, successor) is None:
            errors["successor"] = f"接手人员“{successor}”不存在或已停用"
        if errors:
            raise FormDataInvalid(errors, {k: str(values.get(k) or "") for k in STAFF_FIELDS})
        is_new = accounts.user_by_username(uow, clean["username"]) is None
        password = secrets.token_urlsafe(12) if is_new else None
        result = apply_staff(uow, admin, ctx.clock.now(), clean, successor=successor,
                             password_hash=hash_password(ctx, password) if password else None)
        uow.commit()
    if password is not None:
        return StaffChange(result.username, result.outcome, result.changes, password, result.handed_back)
    return result


def staff_values(uow: UnitOfWork, user: UserRow) -> dict[str, Any]:
    """A stored account as the values ``clean_staff`` reads (the page's form, an export row)."""
    return {"username": user.username, "display_name": user.display_name, "department": user.department,
            "roles": [r for r in user.groups.split(",") if r], "mobile": user.mobile, "email": user.email,
            "posts": [p.code for p in org.posts_of_user(uow, user.id)],
            "windows": [w.code for w in org.windows_of_user(uow, user.id)],
            "status": STATUS_ACTIVE if user.is_active else STATUS_INACTIVE}


def deactivate_staff(ctx: EngineContext, admin: Actor, username: str, successor: str | None = None) -> StaffChange:
    """Deactivate an account: it can no longer sign in; the tasks it held go back or to ``successor``."""
    require_admin(admin)
    if username == admin.user_id:
        raise NotAllowed("不能停用自己的账号")
    with ctx.uow() as uow:
        values = {**staff_values(uow, _lookup_user(uow, username)), "status": STATUS_INACTIVE}
    return save_staff(ctx, admin, values, successor=successor)


def set_members(ctx: EngineContext, admin: Actor, kind: str, code: str, usernames: list[str]) -> list[str]:
    """Make the holders of post (``kind="post"``) or clerks of window ``code`` exactly ``usernames``.

    Returns the usernames whose membership changed. Someone taken off hands back the tasks they held
    there; someone added sees the post's open tasks on their next page (groups are read per request).
    """
    require_admin(admin)
    with ctx.uow() as uow, translate_conflicts():
        unit = (org.post_by_code if kind == "post" else org.window_by_code)(uow, code)
        if unit is None:
            raise NotAllowed(f"未找到{'岗位' if kind == 'post' else '窗口'}：{code}")
        users = accounts.users_by_usernames(uow, usernames)
        unknown = [u for u in usernames if u not in users or users[u].kind != "staff"]
        if unknown:
            raise FormDataInvalid({"members": f"未找到工作人员账号：{'、'.join(unknown)}"}, {"members": usernames})
        members = (org.post_members if kind == "post" else org.window_clerks)(uow, [unit.id])
        current = {m.username for m in members}
        wanted = set(usernames)
        changed = sorted(current ^ wanted)
        now = ctx.clock.now()
        for username in changed:
            user = accounts.user_by_username(uow, username)
            assert user is not None
            held = [p.code for p in org.posts_of_user(uow, user.id)] if kind == "post" else \
                [w.code for w in org.windows_of_user(uow, user.id)]
            target = [c for c in held if c != code] + ([code] if username in wanted else [])
            _sync(uow, admin, now, user, kind=kind, wanted=target)
            if username not in wanted:
                _hand_back(uow, admin, now, user, _actor(uow, username), None, "岗位调整")
        uow.commit()
    return changed


def reset_password(ctx: EngineContext, admin: Actor, username: str) -> str:
    """A new random password for a staff account, returned once (audited, never logged)."""
    require_admin(admin)
    password = secrets.token_urlsafe(12)
    with ctx.uow() as uow:
        user = _lookup_user(uow, username)
        now = ctx.clock.now()
        accounts.update_user(uow, user.id, {"password_hash": hash_password(ctx, password)})
        record_change(uow, admin, now, area=AREA, event_type="user_password_reset", subject=f"user:{username}",
                      summary=f"重置工作人员“{user.display_name}”（{username}）的密码")
        uow.commit()
    return password
