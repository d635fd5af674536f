"""Sessions, CSRF, security headers and role checks for the HTML side of the app."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from engine.actors import Actor
from engine.services.accounts import close_session
from engine.services.accounts import open_session
from engine.services.context import EngineContext
from engine.services.request_start import start_request

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
STAFF_GROUPS_EXCLUDED = {"applicant"}


def engine() -> EngineContext:
    return current_app.extensions["onewindow"]


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _check_csrf() -> None:
    """Every state-changing browser request must echo the session's token (API calls use bearer tokens)."""
    if request.method in SAFE_METHODS or request.path.startswith("/api/"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="CSRF 校验失败：页面已过期或请求来源不可信，请刷新页面后重试")


def bearer_token() -> str:
    """The token of an ``Authorization: Bearer …`` header ("" for none or another scheme)."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _start_request() -> None:
    """Who asks (the session's actor; on the API, the bearer token's) and the calendar version, read
    together in one unit of work (``request_start``); static files skip it."""
    g.actor = g.token_actor = None
    if request.endpoint == "static":
        return
    session_token = session.get("sid") or ""
    api_token = bearer_token() if request.path.startswith("/api/") else ""
    if not session_token and not api_token:
        try:
            start_request(engine())
        except Exception:  # noqa: BLE001 - the request's own queries report an unreachable database properly
            current_app.logger.warning("calendar version not readable", exc_info=True)
        return
    started = start_request(engine(), session_token=session_token, api_token=api_token)
    g.actor, g.token_actor = started.session_actor, started.token_actor
    if session_token and g.actor is None:
        session.clear()


def _headers(response: Any) -> Any:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "frame-ancestors 'self'; form-action 'self'; base-uri 'self'")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_request)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["is_staff"] = is_staff
    app.jinja_env.globals["has_any"] = lambda *groups: g.get("actor") is not None and g.actor.in_any(set(groups))


def sign_in_session(actor: Actor) -> None:
    """A fresh server-side session (no fixation); the cookie carries only its random token."""
    session.clear()
    session["sid"] = open_session(engine(), actor)
    session.permanent = True
    csrf_token()


def sign_out_session() -> None:
    """End the session on the server too, so a copied cookie stops working."""
    token = session.get("sid")
    if token:
        close_session(engine(), token)
    session.clear()


def requires(*groups: str, staff: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Sign-in required; with ``groups``, the actor must be in one of them; ``staff`` excludes applicants."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            actor: Actor | None = g.get("actor")
            if actor is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if groups and not actor.in_any(groups):
                return render_template("errors/error.html", status=403, message="您无权访问此页面"), 403
            if staff and not (actor.groups - STAFF_GROUPS_EXCLUDED):
                return render_template("errors/error.html", status=403, message="此页面仅供工作人员使用"), 403
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        abort(401)
    return actor


def is_staff(actor: Actor | None) -> bool:
    return actor is not None and bool(actor.groups - STAFF_GROUPS_EXCLUDED - {"designer"})
