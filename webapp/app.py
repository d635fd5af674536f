"""Application factory. Configuration is read here and handed to the engine explicitly."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.clock import Clock
from engine.services.calendar import reload_calendar
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from webapp import errors
from webapp import security
from webapp.views import api
from webapp.views import audit
from webapp.views import auth
from webapp.views import board
from webapp.views import cases
from webapp.views import designer
from webapp.views import matters
from webapp.views import work


def _secret_key(instance_path: Path) -> str:
    """A per-installation secret kept in ``instance/`` so sessions survive restarts."""
    configured = os.environ.get("ONEWINDOW_SECRET_KEY")
    if configured:
        return configured
    path = instance_path / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def create_app(config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("ONEWINDOW_SECURE_COOKIES", "0") == "1",
        MAX_CONTENT_LENGTH=60 * 1024 * 1024,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        JSON_AS_ASCII=False,
    )
    if config:
        app.config.update(config)
    hops = int(os.environ.get("ONEWINDOW_PROXY_HOPS", "0") or 0)
    if hops:
        # Behind a reverse proxy: take the client address from X-Forwarded-For, so the sign-in rate
        # limit counts real clients instead of the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))
    settings: EngineSettings = app.config.get("ENGINE_SETTINGS") or EngineSettings()
    ctx = EngineContext.create(settings, clock)
    try:
        reload_calendar(ctx)
    except Exception:  # noqa: BLE001 - a database not yet initialised still serves; init seeds the calendar
        app.logger.warning("calendar tables not readable; using the bundled State Council calendar")
    app.extensions["onewindow"] = ctx
    errors.register(app)
    security.init_app(app)
    for blueprint in (matters.bp, auth.bp, cases.bp, work.bp, board.bp, audit.bp, designer.bp, api.bp):
        app.register_blueprint(blueprint)
    return app


def engine_context(app: Flask) -> EngineContext:
    return app.extensions["onewindow"]
