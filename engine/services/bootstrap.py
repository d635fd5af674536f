"""A new installation is production unless asked otherwise: one administrator, no demo accounts.

The database itself says which kind an installation is: it is a demo exactly when it holds demo
accounts (whose shared password is printed in the README). Every process, the web servers and the
CLI, reads that fact from the database instead of trusting a flag someone may forget to set, so a
demo cannot pass for production (the pages carry a 演示环境 banner) and a production database
never receives accounts with a public password.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from engine.errors import EngineError
from engine.persistence.conflicts import translate_duplicates
from engine.persistence.repositories import accounts
from engine.persistence.repositories import installation
from engine.persistence.repositories.accounts import NewUser
from engine.services.accounts import ensure_demo_accounts
from engine.services.accounts import hash_password
from engine.services.context import EngineContext

ADMIN_USERNAME = "admin"
ADMIN_GROUPS = ("admin",)
#: Shortest administrator password accepted from the environment.
MIN_ADMIN_PASSWORD = 12


class BootstrapRefused(EngineError):
    """The requested initialisation would weaken the installation; nothing was changed."""


@dataclass(frozen=True)
class AdminCreated:
    username: str
    password: str
    #: True when we generated the password (it must be shown once); False when the operator gave it.
    generated: bool


def is_demo_installation(ctx: EngineContext) -> bool:
    with ctx.uow() as uow:
        return installation.has_demo_accounts(uow)


def add_demo_accounts(ctx: EngineContext) -> list[str]:
    """The demo accounts (``init --demo``), refused on a database that already has real accounts.

    :raise BootstrapRefused: real accounts exist; adding accounts with a public password to them
        would open a production installation to anyone who read the README.
    """
    with ctx.uow() as uow:
        counts = installation.account_counts(uow)
    if counts.real:
        raise BootstrapRefused(f"该数据库已有 {counts.real} 个正式账号，不能再创建公开密码的演示账号；"
                               "演示请使用另一个数据库（DATABASE_URL）")
    return ensure_demo_accounts(ctx)


def ensure_administrator(ctx: EngineContext, password: str | None = None,
                         username: str = ADMIN_USERNAME) -> AdminCreated | None:
    """Create the first administrator of a production installation, once.

    Nothing happens (None) when a real administrator exists already, or when the database is a demo
    (it has ``demo_admin``). ``password`` comes from the operator (e.g. ``ONEWINDOW_ADMIN_PASSWORD``);
    without it a random one is generated and returned, to be shown once: only its hash is stored.

    :raise BootstrapRefused: the given password or username is unusable.
    """
    if password is not None and len(password) < MIN_ADMIN_PASSWORD:
        raise BootstrapRefused(f"管理员密码至少 {MIN_ADMIN_PASSWORD} 位")
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum() \
            or not username.isascii() or len(username) > 32:
        raise BootstrapRefused("管理员用户名只能包含字母、数字、下划线、点或连字符（至多 32 位）")
    with ctx.uow() as uow:
        counts = installation.account_counts(uow)
        if counts.real_admins or counts.demo:
            return None
        generated = password is None
        password = password or secrets.token_urlsafe(15)
        accounts.insert_users(uow, [NewUser(username=username, display_name="系统管理员",
                                            password_hash=hash_password(ctx, password), groups=",".join(ADMIN_GROUPS),
                                            department="系统管理")], ctx.clock.now())
        with translate_duplicates(f"用户名 {username} 已被占用，请用 ONEWINDOW_ADMIN_USERNAME 另选一个"):
            uow.commit()
    return AdminCreated(username, password, generated)
