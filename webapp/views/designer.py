"""流程设计: the BPMN modeler, form editor, version diff, case migration and Camunda import pages.

Each view calls one engine service. The JSON endpoints (save, validate, deploy, form save and
preview) answer engine errors as JSON (``{"ok": false, "message": ..., "problems": [...]}``) so the
page can show them next to the diagram; the HTML pages get the usual error page.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.errors import EngineError
from engine.errors import FormDataInvalid
from engine.services import design
from webapp.errors import STATUS
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import requires

bp = Blueprint("designer", __name__, url_prefix="/designer")
DESIGNERS = ("designer", "admin")
IMPORT_FIELDS = ("code", "name", "department", "implementation_code", "case_type", "statutory_limit_wd",
                 "promised_limit_wd", "extension_limit_wd", "fee", "legal_basis")


def _problems(problems: list[DefinitionProblem]) -> list[dict[str, str]]:
    return [{"file": p.file, "element_id": p.element_id, "problem": p.problem} for p in problems]


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


@bp.errorhandler(EngineError)
def engine_error(error: EngineError):  # type: ignore[no-untyped-def]
    status = next((STATUS[cls] for cls in type(error).__mro__ if cls in STATUS), 500)
    if _wants_json():
        problems = _problems(error.problems) if isinstance(error, DefinitionInvalid) else []
        return jsonify(ok=False, message=error.message, problems=problems), status
    return render_template("errors/error.html", status=status, message=error.message), status


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="请求内容应为 JSON 对象")
    return body


def _files_patch(body: dict[str, Any]) -> dict[str, str]:
    files = body.get("files") or {}
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        abort(400, description="files 应为“文件名: 文本”的 JSON 对象")
    return files


# -- pages ---------------------------------------------------------------------------------------


@bp.get("/")
@requires(*DESIGNERS)
def index():  # type: ignore[no-untyped-def]
    return render_template("designer/index.html", matters=design.designer_overview(engine()), values={},
                           problems=[])


@bp.get("/<code>")
@requires(*DESIGNERS)
def modeler(code: str):  # type: ignore[no-untyped-def]
    return render_template("designer/modeler.html", draft=design.open_draft(engine(), code, current_actor()),
                           limit_labels=design.LIMIT_LABELS)


@bp.get("/<code>/draft")
@requires(*DESIGNERS)
def draft(code: str):  # type: ignore[no-untyped-def]
    view = design.open_draft(engine(), code, current_actor())
    return jsonify(ok=True, main_bpmn=view.main_bpmn, bpmn=view.bpmn_xml, limits=view.limits, saved=view.saved,
                   base_version=view.base_version, latest_version=view.latest_version, form_keys=view.form_keys)


def _version_arg(name: str, latest: int, default: int) -> int:
    """A version number from the request, or ``default`` unless it names an existing version (a number
    out of range would otherwise reach the database as an overflow)."""
    value = request.values.get(name, type=int)
    return value if value is not None and 1 <= value <= latest else default


@bp.get("/<code>/diff")
@requires(*DESIGNERS)
def diff(code: str):  # type: ignore[no-untyped-def]
    matter = design.matter_versions(engine(), code)
    latest = matter.latest.version
    v_from = _version_arg("from", latest, max(latest - 1, 1))
    v_to = _version_arg("to", latest, latest)
    result = design.diff_versions(engine(), code, v_from, v_to)
    return render_template("designer/diff.html", matter=matter, diff=result)


@bp.route("/<code>/migrate", methods=["GET", "POST"])
@requires(*DESIGNERS)
def migrate(code: str):  # type: ignore[no-untyped-def]
    matter = design.matter_versions(engine(), code)
    to_version = _version_arg("to", matter.latest.version, matter.latest.version)
    if request.method == "POST":
        results = design.migrate_cases(engine(), code, to_version, current_actor())
        moved = sum(1 for r in results if r.migrated)
        flash(f"已将 {moved} 件办件迁移到第 {to_version} 版，{len(results) - moved} 件保留原版本")
        return render_template("designer/migrate.html", matter=matter, to_version=to_version, plans=results,
                               done=True)
    plans = design.plan_migration(engine(), code, to_version, current_actor())
    return render_template("designer/migrate.html", matter=matter, to_version=to_version, plans=plans, done=False)


@bp.get("/<code>/forms/<key>")
@requires(*DESIGNERS)
def form_editor(code: str, key: str):  # type: ignore[no-untyped-def]
    return render_template("designer/form_editor.html", draft=design.open_draft(engine(), code, current_actor()),
                           key=key)


@bp.route("/import", methods=["GET", "POST"])
@requires(*DESIGNERS)
def import_bundle():  # type: ignore[no-untyped-def]
    """Upload, preview every translation (the files staged on the server under a token), then deploy."""
    if request.method == "GET":
        return render_template("designer/import.html", values={"case_type": "承诺件"}, problems=[],
                               translations=None, kept=[], token="")
    ctx, actor = engine(), current_actor()
    values = {key: request.form.get(key, "").strip() for key in IMPORT_FIELDS}
    files: dict[str, bytes] = {f.filename: f.read() for f in request.files.getlist("files") if f and f.filename}
    token = request.form.get("staging_token", "")[:64]
    try:
        if files:
            token = design.stage_upload(ctx, files, actor)
        else:  # the preview's confirmation names the files it showed by their token
            files = design.staged_upload(ctx, token, actor)
    except FormDataInvalid as exc:
        return render_template("designer/import.html", values=values, translations=None, kept=[], token="",
                               problems=[DefinitionProblem("", "", exc.errors["files"])]), 422
    kept = sorted(files)
    if request.form.get("action") == "preview":
        preview = design.prepare_camunda_import(ctx, files, values, actor)
        return render_template("designer/import.html", values=values, problems=list(preview.problems),
                               translations=list(preview.translations), kept=kept,
                               token=token), 422 if preview.problems else 200
    try:
        result = design.import_camunda_bundle(ctx, files, values, actor)
    except DefinitionInvalid as exc:
        return render_template("designer/import.html", values=values, problems=exc.problems, translations=None,
                               kept=kept, token=token), 422
    design.drop_upload(ctx, token)
    flash(f"已导入并部署“{values['name'] or result.matter_code}”第 {result.version} 版"
          if result.created else "内容与已部署的版本相同，未生成新版本")
    return redirect(url_for("designer.modeler", code=result.matter_code))


@bp.post("/new")
@requires(*DESIGNERS)
def create():  # type: ignore[no-untyped-def]
    """A new matter as a draft: from the general pattern, or a copy of a deployed matter."""
    values = {key: request.form.get(key, "").strip() for key in ("code", "name", "source")}
    try:
        draft = design.create_matter(engine(), current_actor(), values["code"], values["name"],
                                     values["source"] or "general_permit")
    except DefinitionInvalid as exc:
        return render_template("designer/index.html", matters=design.designer_overview(engine()),
                               values=values, problems=exc.problems), 422
    flash(f"已生成“{values['name']}”的草稿，可编辑流程图、表单和时限后部署")
    return redirect(url_for("designer.modeler", code=draft.matter_code))


@bp.post("/<code>/discard")
@requires(*DESIGNERS)
def discard(code: str):  # type: ignore[no-untyped-def]
    design.discard_draft(engine(), code, current_actor())
    flash("草稿已丢弃，已恢复为最新部署版本")
    return redirect(url_for("designer.modeler", code=code))


# -- JSON endpoints ------------------------------------------------------------------------------


@bp.post("/<code>/draft")
@requires(*DESIGNERS)
def save(code: str):  # type: ignore[no-untyped-def]
    body = _body()
    limits = body.get("limits") or None
    if limits is not None and not isinstance(limits, dict):
        abort(400, description="limits 应为 JSON 对象")
    view = design.save_draft(engine(), code, _files_patch(body), current_actor(), limits=limits)
    return jsonify(ok=True, message="草稿已保存", limits=view.limits, updated_at=view.updated_at.isoformat()
                   if view.updated_at else None, form_keys=view.form_keys)


@bp.post("/<code>/validate")
@requires(*DESIGNERS)
def validate(code: str):  # type: ignore[no-untyped-def]
    problems = design.validate_draft(engine(), code, current_actor(), _files_patch(_body()) or None)
    message = "校验通过，可以部署" if not problems else f"发现 {len(problems)} 个问题"
    return jsonify(ok=not problems, message=message, problems=_problems(problems))


@bp.post("/<code>/deploy")
@requires(*DESIGNERS)
def deploy(code: str):  # type: ignore[no-untyped-def]
    result = design.deploy_draft(engine(), code, current_actor())
    message = (f"已部署为第 {result.version} 版：新办件使用新版本，在办办件仍按原版本办理"
               if result.created else f"内容与第 {result.version} 版相同，未生成新版本")
    return jsonify(ok=True, message=message, version=result.version, created=result.created,
                   matter_url=url_for("matters.guide", code=result.matter_code),
                   diff_url=url_for("designer.diff", code=code, to=result.version),
                   migrate_url=url_for("designer.migrate", code=code, to=result.version))


@bp.get("/<code>/forms/<key>/schema")
@requires(*DESIGNERS)
def form_schema(code: str, key: str) -> Response:
    text = design.open_form(engine(), code, key, current_actor())
    return Response(text, mimetype="application/json")


@bp.post("/<code>/forms/<key>")
@requires(*DESIGNERS)
def save_form(code: str, key: str):  # type: ignore[no-untyped-def]
    schema = json.dumps(_body().get("schema"), ensure_ascii=False, indent=2)
    checked = design.save_form(engine(), code, key, schema, current_actor())
    status = 200 if checked.form is not None else 422
    return jsonify(ok=checked.form is not None, errors=list(checked.errors),
                   message="表单已保存到草稿" if checked.form is not None else "表单有误，未保存"), status


@bp.post("/<code>/forms/<key>/preview")
@requires(*DESIGNERS)
def preview_form(code: str, key: str):  # type: ignore[no-untyped-def]
    checked = design.check_form(json.dumps(_body().get("schema"), ensure_ascii=False), key)
    html = render_template("designer/_preview.html", form=checked.form) if checked.form is not None else ""
    return jsonify(ok=checked.form is not None, html=html, errors=list(checked.errors))

