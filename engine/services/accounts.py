"""Accounts: argon2 password hashes and the clearly-marked demo accounts ``make run`` creates."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

from engine.actors import Actor
from engine.errors import ConcurrentUpdate
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.forms import is_valid_email
from engine.forms import is_valid_mobile
from engine.forms import is_valid_resident_id
from engine.forms import is_valid_uscc
from engine.hidden_chars import name_problem
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.conflicts import translate_duplicates
from engine.persistence.repositories import accounts as stored
from engine.persistence.repositories import sign_ins
from engine.persistence.repositories.accounts import Identity
from engine.persistence.repositories.accounts import NewUser
from engine.persistence.repositories.accounts import UserRow
from engine.services.context import EngineContext
from engine.services.organisation.groups import user_groups
from engine.services.organisation.vocabulary import groups_of
from engine.settings import PasswordHashing

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

DEMO_PASSWORD = "demo-1234"
"""Shared by every demo account and printed in the README: demo accounts are for trying the app only."""


@dataclass(frozen=True)
class DemoAccount:
    """A demo account. ``groups`` are what the person may do: roles (``admin``, ``designer``, …) stay on
    the account, post codes (``zj_chengban``) make them a holder of that post of the sample hall, and
    ``window_clerk`` / ``fallback_clerk`` seat them at ``window`` (default: the first window of that kind).
    """

    username: str
    display_name: str
    groups: tuple[str, ...]
    department: str = ""
    credit_code: str = ""
    window: str = ""

    @property
    def kind(self) -> str:
        if "applicant" not in self.groups:
            return "staff"
        return "enterprise" if self.credit_code else "citizen"


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("demo_citizen", "【演示】张三（个人申请人）", ("applicant",)),
    DemoAccount("demo_enterprise", "【演示】滨江建设有限公司（企业申请人）", ("applicant",),
                credit_code="91350100M000100Y43"),
    DemoAccount("demo_enterprise2", "【演示】临江置业有限公司（企业申请人）", ("applicant",),
                credit_code="91320100MA1N2B3C40"),
    DemoAccount("demo_window", "【演示】综合受理窗口 王芳", ("window_clerk",), "政务服务中心"),
    DemoAccount("demo_fallback", "【演示】兜底窗口 李强", ("window_clerk", "fallback_clerk"), "政务服务中心"),
    DemoAccount("demo_supervisor", "【演示】窗口负责人 周敏", ("supervisor", "window_supervisor"),
                "政务服务中心"),
    DemoAccount("demo_agent", "【演示】项目代办员 吴刚", ("project_agent",), "政务服务中心"),
    DemoAccount("demo_zj_cb", "【演示】住建局 承办 孙丽", ("zj_chengban", "zj_review"), "住房和城乡建设局"),
    DemoAccount("demo_zj_sh", "【演示】住建局 审核 郑强", ("zj_shenhe",), "住房和城乡建设局"),
    DemoAccount("demo_zj_pz", "【演示】住建局 批准 冯军", ("zj_pizhun",), "住房和城乡建设局"),
    DemoAccount("demo_cg_cb", "【演示】城管局 承办 陈静", ("cg_chengban",), "城市管理局"),
    DemoAccount("demo_cg_sh", "【演示】城管局 审核 褚红", ("cg_shenhe",), "城市管理局"),
    DemoAccount("demo_cg_pz", "【演示】城管局 批准 卫东", ("cg_pizhun",), "城市管理局"),
    # 作出决定部门的负责人: the only approvers of an extension (行政许可法 art. 42), per matter.toml [decision].
    DemoAccount("demo_zj_fzr", "【演示】住建局 负责人 高峰", ("zj_fzr",), "住房和城乡建设局"),
    DemoAccount("demo_cg_fzr", "【演示】城管局 负责人 林涛", ("cg_fzr",), "城市管理局"),
    DemoAccount("demo_rf", "【演示】人防办 审查 蒋华", ("rf_review",), "人民防空办公室"),
    DemoAccount("demo_fg", "【演示】发改委 审查 沈涛", ("fg_review",), "发展和改革委员会"),
    DemoAccount("demo_zrgh", "【演示】自然资源和规划局 审查 韩梅", ("zrgh_review",), "自然资源和规划局"),
    DemoAccount("demo_jg", "【演示】监管执法 核查 杨帆", ("jg_inspector",), "综合行政执法局"),
    DemoAccount("demo_xzsp_fzr", "【演示】行政审批局 负责人 顾明", ("xzsp_fzr",), "行政审批局"),
    DemoAccount("demo_scjg_review", "【演示】市场监管局 审查员 赵敏", ("scjg_review",), "市场监督管理局"),
    DemoAccount("demo_scjg_chief", "【演示】市场监管局 科长 钱伟", ("scjg_chief",), "市场监督管理局"),
    DemoAccount("demo_scjg_fzr", "【演示】市场监管局 负责人 邓华", ("scjg_fzr",), "市场监督管理局"),
    DemoAccount("demo_ws_review", "【演示】卫健委 审查员 朱琳", ("ws_review",), "卫生健康委员会"),
    DemoAccount("demo_wsjd1", "【演示】卫生监督员 秦岭", ("wsjd_inspector",), "卫生健康委员会"),
    DemoAccount("demo_wsjd2", "【演示】卫生监督员 尤佳", ("wsjd_inspector",), "卫生健康委员会"),
    DemoAccount("demo_ws_chief", "【演示】卫健委 科长 许诺", ("ws_chief",), "卫生健康委员会"),
    DemoAccount("demo_ws_fzr", "【演示】卫健委 负责人 唐宁", ("ws_fzr",), "卫生健康委员会"),
    DemoAccount("demo_fc", "【演示】住建交易 核验 何平", ("fc_trade",), "住房和城乡建设局"),
    DemoAccount("demo_tax", "【演示】税务 核税 吕洋", ("tax_assess",), "税务局"),
    DemoAccount("demo_djjg", "【演示】不动产登记 施雨", ("djjg_review", "djjg_register", "djjg_certify"),
                "不动产登记中心"),
    DemoAccount("demo_designer", "【演示】流程设计员", ("designer",), "审批局"),
    DemoAccount("demo_auditor", "【演示】审计员", ("auditor",), "审计"),
    DemoAccount("demo_admin", "【演示】系统管理员", ("admin",), "审批局"),
)


@functools.lru_cache(maxsize=4)
def _hasher(params: PasswordHashing) -> PasswordHasher:
    return PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_cost_kib,
                          parallelism=params.parallelism)


def hash_password(ctx: EngineContext, password: str) -> str:
    """A new argon2id hash with the parameters the settings give (production strength by default)."""
    return _hasher(ctx.settings.password_hashing).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check against the stored hash, whose own parameters argon2 reads (old hashes keep working)."""
    try:
        return _hasher(PasswordHashing()).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def ensure_demo_accounts(ctx: EngineContext) -> list[str]:
    """Create missing demo accounts, and the sample hall's organisation they work in (idempotent).

    Returns the usernames created. Implemented with the organisation (``organisation.demo``), where
    each demo account's groups become roles, posts and windows.
    """
    from engine.services.organisation.demo import ensure_demo_accounts as ensure

    return ensure(ctx)


def _actor_of(uow: UnitOfWork | None, user: UserRow | NewUser) -> Actor:
    """The actor with the groups the organisation gives the account *now* (roles + posts + windows).

    A new account (``NewUser``, not yet read back) holds no posts or windows yet: its roles are all.
    """
    if uow is not None and isinstance(user, UserRow):
        groups = user_groups(uow, user)
    else:
        groups = frozenset(g for g in user.groups.split(",") if g)
    return Actor(user.username, user.display_name, groups, user.department)


def authenticate(ctx: EngineContext, username: str, password: str) -> Actor | None:
    """The actor for valid credentials, else None (same answer for unknown user and wrong password)."""
    with ctx.uow() as uow:
        user = stored.user_by_username(uow, username)
        if user is None or not user.is_active:
            hash_password(ctx, password)  # spend the same time as a real check
            return None
        if not verify_password(user.password_hash, password):
            return None
        return _actor_of(uow, user)


#: At most this many failed sign-ins per account, and per address, within the window.
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
FAILURE_WINDOW = timedelta(minutes=15)


class TooManyAttempts(NotAllowed):
    def __init__(self) -> None:
        super().__init__("登录失败次数过多，请 15 分钟后再试")


def sign_in(ctx: EngineContext, username: str, password: str, ip: str) -> Actor:
    """Check credentials under the rate limit and record the attempt.

    :raise TooManyAttempts: too many recent failures for this account or address (checked first,
        so a correct password does not help a guesser who is locked out).
    :raise NotAllowed: wrong username or password (one message for both).
    """
    now = ctx.clock.now()
    username = username.strip()[:64]
    with ctx.uow() as uow:
        since = now - FAILURE_WINDOW
        if stored.recent_login_failures(uow, username=username, since=since) >= MAX_FAILURES_PER_USER or \
                stored.recent_login_failures(uow, ip=ip, since=since) >= MAX_FAILURES_PER_IP:
            raise TooManyAttempts()
    actor = authenticate(ctx, username, password)
    with ctx.uow() as uow:
        stored.record_login_attempt(uow, username, ip[:64], now, succeeded=actor is not None)
        if actor is not None:
            _prune_sign_in_records(uow, now)
        uow.commit()
    if actor is None:
        raise NotAllowed("用户名或密码不正确")
    return actor


#: Sign-in attempts and ended sessions are kept this long (for a security review), then deleted, so
#: neither table grows forever. Far longer than the rate-limit window and a session's lifetime.
SIGN_IN_RECORDS_KEPT = timedelta(days=30)


def _prune_sign_in_records(uow: UnitOfWork, now: datetime) -> tuple[int, int]:
    """Delete attempts and ended sessions older than ``SIGN_IN_RECORDS_KEPT`` (run on each sign-in)."""
    before = now - SIGN_IN_RECORDS_KEPT
    return sign_ins.delete_login_attempts_before(uow, before), sign_ins.delete_sessions_ended_before(uow, before)


def actor_for(ctx: EngineContext, username: str) -> Actor | None:
    """The current actor for a signed-in username (None if the account was disabled meanwhile)."""
    with ctx.uow() as uow:
        user = stored.user_by_username(uow, username)
        return _actor_of(uow, user) if user is not None and user.is_active else None


_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")


def register_applicant(ctx: EngineContext, form: Mapping[str, str]) -> Actor:
    """Create a citizen or enterprise applicant account from the registration form.

    :raise FormDataInvalid: field errors in Chinese, values kept (never the password).
    """
    values = {k: str(form.get(k, "")).strip() for k in ("username", "display_name", "kind", "id_number",
                                                          "credit_code", "mobile", "email")}
    password = str(form.get("password", ""))
    errors: dict[str, str] = {}
    if not _USERNAME.match(values["username"]):
        errors["username"] = "用户名为 3–32 位字母、数字、下划线、点或连字符"
    if not values["display_name"] or len(values["display_name"]) > 100:
        errors["display_name"] = "请填写姓名或单位名称"
    elif (problem := name_problem(values["display_name"])) is not None:
        errors["display_name"] = f"姓名或单位名称{problem}，请重新输入"
    if values["kind"] not in ("citizen", "enterprise"):
        errors["kind"] = "请选择个人或企业"
    if values["kind"] == "citizen" and not is_valid_resident_id(values["id_number"]):
        errors["id_number"] = "居民身份证号码不正确"
    if values["kind"] == "enterprise" and not is_valid_uscc(values["credit_code"]):
        errors["credit_code"] = "统一社会信用代码格式或校验位不正确"
    if not is_valid_mobile(values["mobile"]):
        errors["mobile"] = "手机号码格式不正确"
    if (problem := email_problem(values["email"])) is not None:
        errors["email"] = problem
    if len(password) < 10 or password.isdigit() or password.isalpha():
        errors["password"] = "密码至少 10 位，且须同时包含字母和数字"
    if password != str(form.get("password_confirm", "")):
        errors["password_confirm"] = "两次输入的密码不一致"
    with ctx.uow() as uow:
        if not errors and stored.user_by_username(uow, values["username"]) is not None:
            errors["username"] = "该用户名已被使用"
        if errors:
            raise FormDataInvalid(errors, values)
        user = NewUser(username=values["username"], display_name=values["display_name"],
                       password_hash=hash_password(ctx, password), groups="applicant",
                       credit_code=values["credit_code"].upper() if values["kind"] == "enterprise" else "",
                       id_number=values["id_number"].upper() if values["kind"] == "citizen" else "",
                       mobile=values["mobile"], kind=values["kind"], email=values["email"])
        with translate_duplicates("该用户名已被使用"):
            stored.insert_users(uow, [user], ctx.clock.now())
            uow.commit()
        return _actor_of(None, user)


def email_problem(email: str) -> str | None:
    """Why an e-mail address cannot be kept (None: it can; empty means "no e-mail notices")."""
    if email and (len(email) > 254 or not is_valid_email(email)):
        return "电子邮箱格式不正确"
    return None


@dataclass(frozen=True)
class Contact:
    """How notices reach a person besides the 消息中心."""

    mobile: str
    email: str


def own_contact(ctx: EngineContext, actor: Actor) -> Contact:
    with ctx.uow() as uow:
        user = stored.user_by_username(uow, actor.user_id)
    return Contact(user.mobile, user.email) if user is not None else Contact("", "")


def set_own_email(ctx: EngineContext, actor: Actor, email: str) -> Contact:
    """A person sets (or clears) the address their e-mail notices go to.

    :raise FormDataInvalid: not an e-mail address (nothing changed).
    :raise NotAllowed: no such active account.
    """
    email = email.strip()
    if (problem := email_problem(email)) is not None:
        raise FormDataInvalid({"email": problem}, {"email": email})
    with ctx.uow() as uow:
        user = stored.user_by_username(uow, actor.user_id)
        if user is None or not user.is_active:
            raise NotAllowed("账号不存在或已停用")
        stored.update_user(uow, user.id, {"email": email})
        uow.commit()
    return Contact(user.mobile, email)


# -- API tokens ----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(ctx: EngineContext, actor: Actor, name: str) -> str:
    """A new bearer token for ``actor`` (returned once; only its hash is stored)."""
    token = "ow_" + secrets.token_urlsafe(32)
    with ctx.uow() as uow:
        stored.insert_api_token(uow, _token_hash(token), actor.user_id, name[:100], ctx.clock.now())
        uow.commit()
    return token


#: How stale a token's "last used" time may get: noting every request would make each API call a
#: write (on SQLite, one more turn at the single write lock) for a value people read in minutes.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def actor_for_token(ctx: EngineContext, token: str) -> Actor | None:
    """The token's actor (read-only, one statement), then its use noted as ``actor_of_token`` says."""
    with ctx.uow() as uow:
        _, identity = stored.identity_by_token_hash(uow, "token", _token_hash(token))
    return actor_of_token(ctx, identity)


def actor_of_token(ctx: EngineContext, identity: Identity | None) -> Actor | None:
    """The actor of a token found by ``stored.identity_by_token_hash`` (None: unknown, revoked, or the
    account disabled), then its use noted at most once a minute in a short write of its own, which
    may lose to a concurrent one without failing the request."""
    if identity is None or identity.is_revoked:
        return None
    actor = _identity_actor(identity)
    if actor is None:
        return None
    now = ctx.clock.now()
    if identity.last_used_at is not None and identity.last_used_at >= now - TOKEN_USE_RESOLUTION:
        return actor
    try:
        with ctx.uow(write=True) as uow, translate_conflicts():
            stored.touch_api_token(uow, identity.credential_id, now, unless_since=now - TOKEN_USE_RESOLUTION)
            uow.commit()
    except ConcurrentUpdate:
        pass  # another request noted the use at the same moment
    return actor


def _identity_actor(identity: Identity) -> Actor | None:
    """The actor with the groups the organisation gives the account now (as ``_actor_of``)."""
    user = identity.user
    if not user.is_active:
        return None
    return Actor(user.username, user.display_name, groups_of(user.groups, identity.post_codes, identity.window_kinds),
                 user.department)


# -- web sessions --------------------------------------------------------------------------------

SESSION_LIFETIME = timedelta(hours=8)


def open_session(ctx: EngineContext, actor: Actor) -> str:
    """Start a server-side session; the returned token goes into the (signed) cookie."""
    token = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        stored.insert_web_session(uow, _token_hash(token), actor.user_id, now, now + SESSION_LIFETIME)
        uow.commit()
    return token


def actor_for_session(ctx: EngineContext, token: str) -> Actor | None:
    """The signed-in actor, or None once the session was closed, expired or the account disabled."""
    with ctx.uow() as uow:
        _, identity = stored.identity_by_token_hash(uow, "session", _token_hash(token))
    return actor_of_session(ctx, identity)


def actor_of_session(ctx: EngineContext, identity: Identity | None) -> Actor | None:
    """The actor of a session found by ``stored.identity_by_token_hash``: None once it was closed,
    expired or its account disabled."""
    if identity is None or identity.closed_at is not None or identity.expires_at is None or \
            identity.expires_at <= ctx.clock.now():
        return None
    return _identity_actor(identity)


def token_hash(token: str) -> str:
    """How sessions and API tokens are stored and looked up: by the SHA-256 of the random token (an
    index lookup; the tokens carry 256 random bits, so no slow hash is needed)."""
    return _token_hash(token)


def close_session(ctx: EngineContext, token: str) -> None:
    with ctx.uow() as uow:
        record = stored.web_session(uow, _token_hash(token))
        if record is not None and record.closed_at is None:
            stored.close_web_session(uow, record.id, ctx.clock.now())
            uow.commit()
