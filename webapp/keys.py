"""Keys every process of one installation must share: the session secret and the history key.

Outside a demo both come from the environment and a process that would serve without one refuses
to start: without ``ONEWINDOW_SECRET_KEY`` anyone could forge sessions, and without
``ONEWINDOW_HISTORY_KEY`` a server or timer worker would write unsigned chain heads, so rewriting a
case's whole history would pass ``verify``. A demo generates each key once into ``instance/`` so the
app, its timer worker and the CLI on that machine agree without any setup.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

from engine.services.bootstrap import is_demo_installation
from engine.services.context import EngineContext
from engine.settings import PROJECT_ROOT

#: Where a demo keeps its generated keys (and, by default, its SQLite file and uploads).
INSTANCE_DIR = PROJECT_ROOT / "instance"
SECRET_KEY_FILE = "secret_key"
HISTORY_KEY_FILE = "history_key"


class StartupRefused(RuntimeError):
    """The app will not serve as configured; the message says what to do (Chinese)."""


#: Shortest ``ONEWINDOW_HISTORY_KEY`` accepted outside a demo (the same rule as the secret key).
MIN_KEY_LENGTH = 32
_HOW = ("至少 32 个随机字符，例如 python3 -c 'import secrets; print(secrets.token_hex(32))' 的输出；"
        "所有应用服务器、定时器进程和命令行须使用同一个值，且不得存放在数据库中")
HISTORY_KEY_REFUSAL = (
    f"拒绝启动：生产环境必须配置办理记录签名密钥。请设置环境变量 ONEWINDOW_HISTORY_KEY（{_HOW}）。"
    "已有办理记录的数据库设置密钥后请运行一次 onewindow verify --sign-unsigned。"
    "只想试用？运行 make run（onewindow init --demo 创建演示环境）。")


def demo_key(instance: Path, name: str) -> str:
    """The demo's key ``name``, generated on first use. Creation is atomic (a complete file is
    linked into place), so an app and its worker starting together never read half a key or
    end up with two."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        draft.write_text(secrets.token_hex(32), encoding="utf-8")
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process of this demo won: use its key
        finally:
            draft.unlink()
    return path.read_text(encoding="utf-8").strip()


def is_demo(ctx: EngineContext) -> bool:
    """Whether the database is a demo; one not yet initialised is not (production rules apply)."""
    try:
        return is_demo_installation(ctx)
    except Exception:  # noqa: BLE001 - tables missing: not a demo
        return False


def _keyed(ctx: EngineContext, key: str) -> EngineContext:
    """The same context with the history key set (its units of work sign with it)."""
    keyed = EngineContext.create(dataclasses.replace(ctx.settings, history_key=key), ctx.clock)
    ctx.dispose()
    return keyed


def serving_context(ctx: EngineContext, demo: bool, instance: Path = INSTANCE_DIR) -> EngineContext:
    """The context an app server or timer worker writes cases with: keyed, or refused.

    :raise StartupRefused: outside a demo without ``ONEWINDOW_HISTORY_KEY`` or with a short one
        (``ctx`` is disposed).
    """
    configured = ctx.settings.history_key
    if configured and (demo or len(configured) >= MIN_KEY_LENGTH):
        return ctx
    if configured:
        ctx.dispose()
        raise StartupRefused(f"ONEWINDOW_HISTORY_KEY 太短（{len(configured)} 个字符）：{_HOW}")
    if not demo:
        ctx.dispose()
        raise StartupRefused(HISTORY_KEY_REFUSAL)
    return _keyed(ctx, demo_key(instance, HISTORY_KEY_FILE))


def command_context(ctx: EngineContext, instance: Path = INSTANCE_DIR) -> EngineContext:
    """A CLI command's context: on a demo without a configured key, the demo's key if it has one
    (so ``verify`` checks what the demo app signed, and ``calendar close`` keeps heads signed)."""
    path = instance / HISTORY_KEY_FILE
    if ctx.settings.history_key or not path.exists() or not is_demo(ctx):
        return ctx
    return _keyed(ctx, path.read_text(encoding="utf-8").strip())


def writing_context(ctx: EngineContext, instance: Path = INSTANCE_DIR) -> EngineContext:
    """The context of a CLI command that changes cases (their heads are re-signed): on a demo as
    ``command_context``; in production only with the history key, or the heads it saves would be
    unsigned and fail ``verify`` from then on.

    :raise StartupRefused: production without a usable ``ONEWINDOW_HISTORY_KEY`` (``ctx`` is disposed).
    """
    if is_demo(ctx):
        return command_context(ctx, instance)
    return serving_context(ctx, demo=False, instance=instance)
