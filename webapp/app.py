"""Application factory. Configuration is read here and handed to the engine explicitly.

Production is the default. Whether an installation is a demo is read from its database (it holds
demo accounts, created only by ``onewindow init --demo``); outside a demo the app refuses to start
without a real secret key and without a history key, and its session cookies are ``Secure``. A demo
shows a 演示环境 banner and generates both keys into ``instance/`` (``webapp.keys``).

Environment: ``ONEWINDOW_SECRET_KEY`` (required in production, the same on every app server),
``ONEWINDOW_HISTORY_KEY`` (required in production, the same in every process, see ``webapp.keys``),
``ONEWINDOW_SECURE_COOKIES`` (``1``/``0`` overrides the default: on in production, off in a demo
served on http://127.0.0.1), ``ONEWINDOW_PROXY_HOPS`` (reverse proxies in front of the app).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask import send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.clock import Clock
from engine.services.accounts import DEMO_PASSWORD
from engine.services.calendar import reload_calendar
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from engine.state_names import DRAFT_NUMBER_LABEL
from webapp import china_time
from webapp import errors
from webapp import input_guard
from webapp import keys
from webapp import security
from webapp import ui_names
from webapp.keys import StartupRefused
from webapp.views import admin
from webapp.views import admin_catalogue
from webapp.views import api
from webapp.views import api_operations  # noqa: F401 - registers its routes on api.bp
from webapp.views import audit
from webapp.views import auth
from webapp.views import board
from webapp.views import cases
from webapp.views import designer
from webapp.views import health
from webapp.views import legal_time
from webapp.views import matters
from webapp.views import operations
from webapp.views import query
from webapp.views import work

#: Shortest ``ONEWINDOW_SECRET_KEY`` accepted: it signs every session cookie.
MIN_SECRET_LENGTH = 32
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _secret_key(instance_path: Path, demo: bool) -> str:
    configured = os.environ.get("ONEWINDOW_SECRET_KEY", "")
    if configured:
        if len(configured) < MIN_SECRET_LENGTH and not demo:
            raise StartupRefused(f"ONEWINDOW_SECRET_KEY 太短（{len(configured)} 个字符），至少需要 {MIN_SECRET_LENGTH} "
                                 "个随机字符，例如 python3 -c 'import secrets; print(secrets.token_hex(32))' 的输出")
        return configured
    if demo:
        # Kept in ``instance/`` so sessions survive restarts (one machine only).
        return keys.demo_key(instance_path, keys.SECRET_KEY_FILE)
    raise StartupRefused(
        "拒绝启动：生产环境必须配置会话密钥。请设置环境变量 ONEWINDOW_SECRET_KEY（至少 32 个随机字符，"
        "例如 python3 -c 'import secrets; print(secrets.token_hex(32))' 的输出；多台服务器须使用同一个值）。"
        "只想试用？运行 make run（onewindow init --demo 创建演示环境）。")


def _secure_cookies(demo: bool) -> bool:
    configured = os.environ.get("ONEWINDOW_SECURE_COOKIES", "").strip().lower()
    if configured in ("1", "true", "yes", "on"):
        return True
    if configured in ("0", "false", "no", "off"):
        return False
    return not demo


def create_app(config: Mapping[str, Any] | None = None, *, clock: Clock | None = None,
               instance_path: Path | None = None) -> Flask:
    """The app. ``config`` may set ``ONEWINDOW_DEMO`` (else read from the database) and any Flask key;
    ``instance_path`` (default ``instance/``) holds a demo's generated secret and history keys.

    :raise StartupRefused: production without a usable secret key or without a history key.
    """
    config = dict(config or {})
    instance = instance_path or keys.INSTANCE_DIR
    app = Flask(__name__, instance_path=str(instance))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=60 * 1024 * 1024,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        JSON_AS_ASCII=False,
    )
    app.config.update(config)
    hops = int(os.environ.get("ONEWINDOW_PROXY_HOPS", "0") or 0)
    if hops:
        # Behind a reverse proxy: take the client address from X-Forwarded-For, so the sign-in rate
        # limit counts real clients instead of the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    settings: EngineSettings = app.config.get("ENGINE_SETTINGS") or EngineSettings()
    ctx = EngineContext.create(settings, clock)
    try:
        demo = bool(config["ONEWINDOW_DEMO"]) if "ONEWINDOW_DEMO" in config else keys.is_demo(ctx)
        app.config["ONEWINDOW_DEMO"] = demo
        if "SESSION_COOKIE_SECURE" not in config:
            app.config["SESSION_COOKIE_SECURE"] = _secure_cookies(demo)
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path), demo)
    except StartupRefused:
        ctx.dispose()
        raise
    ctx = keys.serving_context(ctx, demo, Path(app.instance_path))
    try:
        reload_calendar(ctx)
    except Exception:  # noqa: BLE001 - a database not yet initialised still serves; init seeds the calendar
        app.logger.warning("calendar tables not readable; using the bundled State Council calendar")
    app.extensions["onewindow"] = ctx
    input_guard.init_app(app)
    errors.register(app)
    china_time.init_app(app)
    ui_names.init_app(app)
    security.init_app(app)
    app.context_processor(lambda: {"demo_mode": app.config["ONEWINDOW_DEMO"], "demo_password": DEMO_PASSWORD})
    app.add_template_filter(_case_no, "case_no")
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    for blueprint in (matters.bp, auth.bp, cases.bp, work.bp, board.bp, audit.bp, designer.bp, api.bp, health.bp,
                      legal_time.bp, admin.bp, admin_catalogue.bp, operations.bp, query.bp):
        app.register_blueprint(blueprint)
    return app


def _case_no(number: str | None) -> str:
    """A 办件编号 as pages show it; a draft has none until it is submitted."""
    return number or DRAFT_NUMBER_LABEL


def _favicon():  # type: ignore[no-untyped-def]
    """Browsers ask for ``/favicon.ico`` on every site (pages link the SVG one too)."""
    return send_from_directory(STATIC_DIR, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)


def engine_context(app: Flask) -> EngineContext:
    return app.extensions["onewindow"]
