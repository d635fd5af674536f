"""Accounts: argon2 password hashes and the clearly-marked demo accounts ``make run`` creates."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

from engine.actors import Actor
from engine.persistence import repositories as repo
from engine.persistence.records import UserRecord
from engine.services.context import EngineContext

_hasher = PasswordHasher()

DEMO_PASSWORD = "demo-1234"
"""Shared by every demo account and printed in the README: demo accounts are for trying the app only."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    groups: tuple[str, ...]
    department: str = ""
    credit_code: str = ""


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("demo_citizen", "【演示】张三（个人申请人）", ("applicant",)),
    DemoAccount("demo_enterprise", "【演示】滨江建设有限公司（企业申请人）", ("applicant",),
                credit_code="91350100M000100Y43"),
    DemoAccount("demo_window", "【演示】综合受理窗口 王芳", ("window_clerk",), "政务服务中心"),
    DemoAccount("demo_fallback", "【演示】兜底窗口 李强", ("window_clerk", "fallback_clerk"), "政务服务中心"),
    DemoAccount("demo_scjg_review", "【演示】市场监管局 审查员 赵敏", ("scjg_review",), "市场监督管理局"),
    DemoAccount("demo_scjg_chief", "【演示】市场监管局 科长 钱伟", ("scjg_chief",), "市场监督管理局"),
    DemoAccount("demo_designer", "【演示】流程设计员", ("designer",), "审批局"),
    DemoAccount("demo_auditor", "【演示】审计员", ("auditor",), "审计"),
    DemoAccount("demo_admin", "【演示】系统管理员", ("admin",), "审批局"),
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def ensure_demo_accounts(ctx: EngineContext) -> list[str]:
    """Create missing demo accounts (idempotent); return the usernames created."""
    created: list[str] = []
    with ctx.uow() as uow:
        for account in DEMO_ACCOUNTS:
            if repo.user_by_username(uow.session, account.username) is not None:
                continue
            uow.session.add(UserRecord(username=account.username, display_name=account.display_name,
                                       password_hash=hash_password(DEMO_PASSWORD), groups=",".join(account.groups),
                                       department=account.department, credit_code=account.credit_code, is_demo=True,
                                       is_active=True, created_at=ctx.clock.now()))
            created.append(account.username)
        uow.commit()
    return created


def authenticate(ctx: EngineContext, username: str, password: str) -> Actor | None:
    """The actor for valid credentials, else None (same answer for unknown user and wrong password)."""
    with ctx.uow() as uow:
        user = repo.user_by_username(uow.session, username)
        if user is None or not user.is_active:
            _hasher.hash(password)  # spend the same time as a real check
            return None
        if not verify_password(user.password_hash, password):
            return None
        return Actor(user.username, user.display_name, frozenset(g for g in user.groups.split(",") if g),
                     user.department)
