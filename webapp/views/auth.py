"""Sign in, sign out, applicant registration, API tokens."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.services.accounts import create_api_token
from engine.services.accounts import own_contact
from engine.services.accounts import register_applicant
from engine.services.accounts import set_own_email
from engine.services.accounts import sign_in
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import requires
from webapp.security import sign_in_session
from webapp.security import sign_out_session

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only local paths: an attacker-supplied absolute URL must not become an open redirect. Browsers drop
    # tabs and newlines and read a backslash as "/", so "/<TAB>/evil.example" means "//evil.example".
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and target.isprintable():
        return target
    return url_for("cases.home")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "")
    try:
        actor = sign_in(engine(), username, request.form.get("password", ""), request.remote_addr or "")
    except NotAllowed as exc:
        return render_template("auth/login.html", error=exc.message, username=username,
                               next=request.form.get("next", "")), 401
    sign_in_session(actor)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    sign_out_session()
    return redirect(url_for("matters.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():  # type: ignore[no-untyped-def]
    if request.method == "GET":
        return render_template("auth/register.html", values={}, errors={})
    try:
        actor = register_applicant(engine(), request.form)
    except FormDataInvalid as exc:
        return render_template("auth/register.html", values=exc.values, errors=exc.errors), 422
    sign_in_session(actor)
    flash("注册成功，欢迎使用一窗通办")
    return redirect(url_for("cases.home"))


@bp.route("/account", methods=["GET", "POST"])
@requires()
def account():  # type: ignore[no-untyped-def]
    """我的账号: where notices reach the person (the e-mail address they set themselves)."""
    ctx, actor = engine(), current_actor()
    if request.method == "GET":
        return render_template("auth/account.html", contact=own_contact(ctx, actor), errors={})
    try:
        set_own_email(ctx, actor, request.form.get("email", "")[:300])
    except FormDataInvalid as exc:
        return render_template("auth/account.html", contact=own_contact(ctx, actor), errors=exc.errors,
                               typed=exc.values.get("email", "")), 422
    flash("已保存电子邮箱" if request.form.get("email", "").strip() else "已清除电子邮箱，将不再发送邮件通知")
    return redirect(url_for("auth.account"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@requires(staff=True)
def tokens():  # type: ignore[no-untyped-def]
    token = None
    if request.method == "POST":
        token = create_api_token(engine(), current_actor(), request.form.get("name", "API")[:100] or "API")
    return render_template("auth/tokens.html", token=token)
