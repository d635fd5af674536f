"""Administration of the organisation (机关、科室、岗位、窗口、工作人员) and its audit log; administrators only.

Views parse the form, call one organisation service and render; the services check the role again
and write the admin audit log in the same transaction as each change.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from engine.errors import FormDataInvalid
from engine.services.organisation import staff
from engine.services.organisation import views
from engine.services.organisation.importing import import_organisation
from engine.services.organisation.seals import seal_overview
from engine.services.organisation.seals import set_organ_seal
from engine.services.organisation.structure import KINDS
from engine.services.organisation.structure import save_unit
from engine.services.organisation.vocabulary import POST_KINDS
from engine.services.organisation.vocabulary import STAFF_ROLES
from engine.services.organisation.vocabulary import WINDOW_KINDS
from engine.tabular import ImportRefused
from engine.tabular import TableUnreadable
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")
ADMINS = ("admin",)
#: Form fields that carry lists (a multi-select sends the key once per choice).
_LIST_FIELDS = ("roles", "posts", "windows")


def _form() -> dict[str, Any]:
    values: dict[str, Any] = {key: request.form.get(key, "") for key in request.form if key != "csrf_token"}
    for key in _LIST_FIELDS:
        if key in request.form:
            values[key] = "、".join(v for v in request.form.getlist(key) if v)
    return values


def _overview(status: int = 200, **extra: Any) -> Any:
    return render_template("admin/organisation.html", view=views.organisation_overview(engine()), kinds=KINDS,
                           post_kinds=POST_KINDS, window_kinds=WINDOW_KINDS, **extra), status


@bp.get("/")
@requires(*ADMINS)
def organisation():  # type: ignore[no-untyped-def]
    return _overview()


@bp.get("/units/<kind>/<code>")
@requires(*ADMINS)
def unit(kind: str, code: str):  # type: ignore[no-untyped-def]
    values = views.unit_form_values(engine(), kind, code)
    if values is None:
        abort(404)
    return render_template("admin/unit.html", kind=KINDS[kind], values=values, errors={}, editing=True,
                           view=views.organisation_overview(engine()), post_kinds=POST_KINDS,
                           window_kinds=WINDOW_KINDS, log=views.audit_entries(engine(), subject=f"{kind}:{code}"),
                           seal=seal_overview(engine()).get(code) if kind == "organ" else None)


@bp.post("/units/<kind>")
@requires(*ADMINS)
def save(kind: str):  # type: ignore[no-untyped-def]
    if kind not in KINDS:
        abort(404)
    try:
        outcome = save_unit(engine(), current_actor(), kind, _form())
    except FormDataInvalid as exc:
        return render_template("admin/unit.html", kind=KINDS[kind], values=exc.values, errors=exc.errors,
                               editing=bool(request.form.get("editing")), view=views.organisation_overview(engine()),
                               post_kinds=POST_KINDS, window_kinds=WINDOW_KINDS, log=[]), 422
    labels = {"added": "已新增", "changed": "已保存", "unchanged": "未作修改"}
    flash(f"{KINDS[kind].label}“{outcome.code}”{labels[outcome.outcome]}")
    return redirect(url_for("admin.unit", kind=kind, code=outcome.code))


@bp.post("/units/<kind>/<code>/members")
@requires(*ADMINS)
def members(kind: str, code: str):  # type: ignore[no-untyped-def]
    """Holders of a post or clerks of a window, exactly as listed (one username per line or comma)."""
    if kind not in ("post", "window") or "members" not in request.form:
        abort(404 if kind not in ("post", "window") else 422)
    if views.unit_form_values(engine(), kind, code) is None:
        abort(404)
    usernames = staff.split_list(request.form["members"])
    try:
        changed = staff.set_members(engine(), current_actor(), kind, code, usernames)
    except FormDataInvalid as exc:
        flash(exc.errors.get("members", exc.message))
        return redirect(url_for("admin.unit", kind=kind, code=code)), 303
    flash(f"已更新人员：{'、'.join(changed)}" if changed else "人员未变化")
    return redirect(url_for("admin.unit", kind=kind, code=code))


@bp.post("/units/organ/<code>/seal")
@requires(*ADMINS)
def organ_seal(code: str):  # type: ignore[no-untyped-def]
    """Set the organ's seal image (PNG or SVG): documents issued from now on carry it."""
    upload = request.files.get("seal")
    if upload is None or not upload.filename:
        abort(422)
    try:
        set_organ_seal(engine(), current_actor(), code, upload.read())
    except FormDataInvalid as exc:
        flash(exc.errors.get("seal", exc.message))
        return redirect(url_for("admin.unit", kind="organ", code=code)), 303
    flash("印章已设置：此后制发的文书加盖此印章（已制发的文书不变）")
    return redirect(url_for("admin.unit", kind="organ", code=code))


@bp.post("/import")
@requires(*ADMINS)
def import_units():  # type: ignore[no-untyped-def]
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _overview(422, import_problems=["请选择要导入的 CSV 或 XLSX 文件"])
    try:
        result = import_organisation(engine(), current_actor(), upload.read(), upload.filename,
                                     dry_run=bool(request.form.get("dry_run")))
    except ImportRefused as exc:
        return _overview(422, import_problems=[str(p) for p in exc.problems])
    except TableUnreadable as exc:
        return _overview(422, import_problems=[exc.message])
    return _overview(import_result=result)


# -- staff ---------------------------------------------------------------------------------------


def _moved(to: str | None) -> str:
    return f"转交 {to}" if to else "退回待办"


def _staff_page(status: int = 200, **extra: Any) -> Any:
    extra.setdefault("values", {})
    extra.setdefault("errors", {})
    return render_template("admin/staff.html", people=views.staff_overview(engine()), roles=STAFF_ROLES,
                           view=views.organisation_overview(engine()), **extra), status


@bp.get("/staff")
@requires(*ADMINS)
def staff_list():  # type: ignore[no-untyped-def]
    return _staff_page()


@bp.get("/staff/<username>")
@requires(*ADMINS)
def person(username: str):  # type: ignore[no-untyped-def]
    values = views.staff_form_values(engine(), username)
    if values is None:
        abort(404)
    return _staff_page(values=values, editing=username, log=views.audit_entries(engine(), subject=f"user:{username}"))


@bp.post("/staff")
@requires(*ADMINS)
def save_person():  # type: ignore[no-untyped-def]
    editing = request.form.get("editing") or None
    try:
        change = staff.save_staff(engine(), current_actor(), _form(), successor=request.form.get("successor") or None)
    except FormDataInvalid as exc:
        return _staff_page(422, values=exc.values, errors=exc.errors, editing=editing)
    if change.password is not None:
        return _staff_page(created=change)
    flash(f"工作人员“{change.username}”{'已保存' if change.outcome != 'unchanged' else '未作修改'}"
          + "".join(f"；{number}“{task}”已{_moved(to)}" for number, task, to in change.handed_back))
    return redirect(url_for("admin.person", username=change.username))


@bp.post("/staff/<username>/deactivate")
@requires(*ADMINS)
def deactivate(username: str):  # type: ignore[no-untyped-def]
    """Stop an account; the tasks it held go back to their queues or to the named colleague."""
    if views.staff_form_values(engine(), username) is None:
        abort(404)
    if request.form.get("confirm") != "1":
        return _staff_page(422, errors={"confirm": "请勾选确认停用该账号"}, editing=username,
                           values=views.staff_form_values(engine(), username) or {})
    try:
        change = staff.deactivate_staff(engine(), current_actor(), username,
                                        successor=request.form.get("successor") or None)
    except FormDataInvalid as exc:
        return _staff_page(422, errors=exc.errors, editing=username,
                           values=views.staff_form_values(engine(), username) or {})
    moved = "；".join(f"{n}“{t}”{_moved(to)}" for n, t, to in change.handed_back)
    flash(f"已停用“{username}”" + (f"，在办任务：{moved}" if moved else "，该人员没有已签收的在办任务"))
    return redirect(url_for("admin.person", username=username))


@bp.post("/staff/<username>/password")
@requires(*ADMINS)
def reset_password(username: str):  # type: ignore[no-untyped-def]
    if views.staff_form_values(engine(), username) is None:
        abort(404)
    if request.form.get("confirm") != "1":
        return _staff_page(422, errors={"confirm": "请勾选确认重置密码"}, editing=username,
                           values=views.staff_form_values(engine(), username) or {})
    password = staff.reset_password(engine(), current_actor(), username)
    return _staff_page(password_reset=(username, password), editing=username,
                       values=views.staff_form_values(engine(), username) or {})


@bp.get("/log")
@requires(*ADMINS)
def log():  # type: ignore[no-untyped-def]
    area = request.args.get("area") or None
    return render_template("admin/log.html", entries=views.audit_entries(engine(), area=area, limit=500), area=area)
