"""The 事项库 on pages: list, add, edit (each save a new version), import with a dry run, export, and the
published files entries refer to. Administrators only, except downloading a published file.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for

from engine.catalogue.columns import COLUMNS
from engine.catalogue.entry import CASE_TYPES
from engine.catalogue.entry import LEVELS
from engine.catalogue.entry import MATTER_TYPES
from engine.catalogue.entry import ONLINE_DEPTHS
from engine.catalogue.entry import PATTERN_PROCESS
from engine.catalogue.provisions import provisions_of
from engine.errors import FormDataInvalid
from engine.errors import MatterNotFound
from engine.services.catalogue import editing
from engine.services.catalogue.files import list_catalogue_files
from engine.services.catalogue.files import open_catalogue_file
from engine.services.catalogue.files import store_catalogue_file
from engine.services.catalogue.tables import export_catalogue
from engine.services.catalogue.tables import guide_rows
from engine.services.catalogue.tables import import_catalogue
from engine.services.deploy import list_matters
from engine.services.organisation.views import organisation_overview
from engine.services.uploads import UploadRejected
from engine.tabular import ImportRefused
from engine.tabular import TableUnreadable
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import requires

bp = Blueprint("admin_catalogue", __name__)
ADMINS = ("admin",)
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: New entries start from these (the rest of the form is empty).
NEW_ENTRY = {"matter_type": "行政许可", "level": "县级", "case_type": "承诺件", "extension_limit_wd": "10",
             "fees": "不收费", "visits": "0", "online_depth": "四级", "process": PATTERN_PROCESS, "site_check": "否",
             "active": "在用", "complaint_phone": "12345"}


def _index(status: int = 200, **extra: Any) -> Any:
    query = request.args.get("q", "").strip()
    return render_template("admin/catalogue.html", entries=editing.list_entries(engine(), query=query or None),
                           q=query, **extra), status


@bp.get("/admin/catalogue")
@requires(*ADMINS)
def index():  # type: ignore[no-untyped-def]
    return _index()


def _form_page(values: dict[str, str], errors: dict[str, str], code: str | None, status: int = 200) -> Any:
    history = editing.entry_history(engine(), code) if code else []
    return render_template("admin/catalogue_entry.html", values=values, errors=errors, code=code, columns=COLUMNS,
                           history=history, view=organisation_overview(engine()),
                           processes=[m.code for m in list_matters(engine())], matter_types=list(MATTER_TYPES),
                           levels=list(LEVELS), case_types=CASE_TYPES, depths=ONLINE_DEPTHS,
                           notes=dict(guide_rows()), pattern=PATTERN_PROCESS,
                           provisions=provisions_of(str(values.get("legal_basis") or "").splitlines())), status


@bp.get("/admin/catalogue/new")
@requires(*ADMINS)
def new():  # type: ignore[no-untyped-def]
    return _form_page(dict(NEW_ENTRY), {}, None)


def _submitted() -> dict[str, str]:
    return {key: request.form.get(key, "") for key in COLUMNS}


@bp.post("/admin/catalogue/new")
@requires(*ADMINS)
def create():  # type: ignore[no-untyped-def]
    try:
        change = editing.save_entry(engine(), current_actor(), _submitted())
    except FormDataInvalid as exc:
        return _form_page(dict(exc.values), exc.errors, None, 422)
    flash(f"已新增事项“{change.name}”（{change.code}），第 {change.version} 版")
    return redirect(url_for("admin_catalogue.entry", code=change.code))


@bp.get("/admin/catalogue/<code>")
@requires(*ADMINS)
def entry(code: str):  # type: ignore[no-untyped-def]
    try:
        values = editing.entry_form_values(engine(), code)
    except MatterNotFound:
        abort(404)
    return _form_page(values, {}, code)


@bp.post("/admin/catalogue/<code>")
@requires(*ADMINS)
def update(code: str):  # type: ignore[no-untyped-def]
    try:
        change = editing.save_entry(engine(), current_actor(), _submitted(), editing=code)
    except MatterNotFound:
        abort(404)
    except FormDataInvalid as exc:
        return _form_page(dict(exc.values), exc.errors, code, 422)
    if change.outcome == "unchanged":
        flash("内容未变化，未生成新版本")
    else:
        flash(f"已保存为第 {change.version} 版：{'、'.join(change.changes)}")
    return redirect(url_for("admin_catalogue.entry", code=code))


@bp.get("/admin/catalogue/export/<fmt>")
@requires(*ADMINS)
def export(fmt: str):  # type: ignore[no-untyped-def]
    if fmt not in EXPORT_TYPES:
        abort(404)
    return Response(export_catalogue(engine(), fmt), mimetype=EXPORT_TYPES[fmt],
                    headers={"Content-Disposition": f"attachment; filename=catalogue.{fmt}"})


@bp.post("/admin/catalogue/import")
@requires(*ADMINS)
def import_file():  # type: ignore[no-untyped-def]
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index(422, import_problems=["请选择要导入的 CSV 或 XLSX 文件"])
    try:
        result = import_catalogue(engine(), current_actor(), upload.read(), upload.filename,
                                  dry_run=bool(request.form.get("dry_run")))
    except ImportRefused as exc:
        return _index(422, import_problems=[str(p) for p in exc.problems])
    except TableUnreadable as exc:
        return _index(422, import_problems=[exc.message])
    return _index(import_result=result)


@bp.get("/admin/catalogue/files")
@requires(*ADMINS)
def files():  # type: ignore[no-untyped-def]
    return render_template("admin/catalogue_files.html", files=list_catalogue_files(engine()), error=None)


@bp.post("/admin/catalogue/files")
@requires(*ADMINS)
def upload_file():  # type: ignore[no-untyped-def]
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise UploadRejected("请选择要上传的文件")
        row = store_catalogue_file(engine(), current_actor(), upload.read(), upload.filename)
    except UploadRejected as exc:
        return render_template("admin/catalogue_files.html", files=list_catalogue_files(engine()),
                               error=exc.message), 422
    flash(f"已上传。在申请材料中引用：{row.ref}")
    return redirect(url_for("admin_catalogue.files"))


@bp.get("/catalogue/files/<sha256>")
def download(sha256: str):  # type: ignore[no-untyped-def]
    """A published blank form, sample or result sample (public, like the guide that links it)."""
    found = open_catalogue_file(engine(), sha256)
    if found is None:
        abort(404)
    row, path = found
    return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.name)
