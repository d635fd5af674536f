"""流程设计 pages: modeler, JSON save/validate/deploy, form editor, diff, migration, Camunda import, access."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask

from engine.actors import Actor
from engine.services import cases
from engine.services import tasks
from engine.services.design import matter_versions
from tests.conftest import FIXTURES
from tests.readback import get_case
from tests.webapp.test_journey import APPLICATION

CODE = "food_business"
BUNDLE = FIXTURES / "camunda_bundle"


def _json(user, path: str, body: dict[str, Any] | None = None, *, csrf: bool = True):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": user.csrf} if csrf else {}
    return user.client.post(path, data=json.dumps(body or {}), content_type="application/json", headers=headers)


def _no_external_or_inline_scripts(html: str) -> None:
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "no CDN or other external URLs"
    assert not re.search(r"cdn|unpkg|jsdelivr", html, re.I)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], "CSP script-src 'self': no inline scripts"


def test_designer_pages_render(login) -> None:  # type: ignore[no-untyped-def]
    user = login("demo_designer")
    home = user.get("/").get_data(as_text=True)
    assert 'href="/designer/"' in home and "流程设计" in home

    index = user.get("/designer/")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert f'data-matter="{CODE}"' in html and "食品经营许可" in html and "导入 Camunda Modeler 文件" in html

    page = user.get(f"/designer/{CODE}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for asset in ("vendor/bpmn-js/bpmn-modeler.production.min.js",
                  "vendor/bpmn-js-properties-panel/properties-panel.umd.js",
                  "vendor/bpmn-js-properties-panel/properties-panel.css", "vendor/bpmn-js/assets/bpmn-js.css",
                  "js/designer/modeler.js"):
        assert f"/static/{asset}" in html
    assert f'<meta name="csrf-token" content="{user.csrf}">' in html
    assert 'name="promised_limit_wd"' in html and 'value="5"' in html
    assert f'href="/designer/{CODE}/forms/food_application"' in html
    _no_external_or_inline_scripts(html)
    for path in ("js/designer/modeler.js", "js/designer/common.js", "js/designer/form_editor.js"):
        with user.get(f"/static/{path}") as response:
            assert response.status_code == 200

    draft = user.get(f"/designer/{CODE}/draft").get_json()
    assert draft["main_bpmn"] == "food_business.bpmn" and 'id="food_business"' in draft["bpmn"]
    assert draft["limits"]["statutory_limit_wd"] == 10

    form_page = user.get(f"/designer/{CODE}/forms/food_application")
    assert form_page.status_code == 200
    form_html = form_page.get_data(as_text=True)
    assert "/static/vendor/form-js/form-editor.umd.js" in form_html and "form-js-editor.css" in form_html
    _no_external_or_inline_scripts(form_html)
    schema = json.loads(user.get(f"/designer/{CODE}/forms/food_application/schema").get_data(as_text=True))
    assert isinstance(schema["components"], list)

    for path in (f"/designer/{CODE}/diff", f"/designer/{CODE}/migrate", "/designer/import"):
        response = user.get(path)
        assert response.status_code == 200, path
        _no_external_or_inline_scripts(response.get_data(as_text=True))
    assert user.get("/designer/no_such_matter").status_code == 404


def test_save_validate_deploy_through_the_json_endpoints(login, web_app: Flask) -> None:  # type: ignore[no-untyped-def]
    ctx = web_app.extensions["onewindow"]
    enterprise = Actor("demo_enterprise", groups=frozenset({"applicant"}))
    draft = cases.start_case(ctx, CODE, enterprise)
    running = tasks.complete_task(ctx, draft.id, draft.open_tasks[0].task_uuid, APPLICATION, enterprise)
    user = login("demo_designer")
    draft = user.get(f"/designer/{CODE}/draft").get_json()
    bpmn = draft["bpmn"].replace('name="批准"', 'name="审批决定"')

    saved = _json(user, f"/designer/{CODE}/draft", {"files": {draft["main_bpmn"]: bpmn},
                                                     "limits": {"promised_limit_wd": "4"}})
    assert saved.status_code == 200 and saved.get_json()["ok"], saved.get_data(as_text=True)
    assert saved.get_json()["limits"]["promised_limit_wd"] == 4

    broken = bpmn.replace('camunda:formKey="review_opinion" camunda:candidateGroups="scjg_review"',
                          'camunda:formKey="review_opinion"')
    answer = _json(user, f"/designer/{CODE}/validate", {"files": {draft["main_bpmn"]: broken}}).get_json()
    assert not answer["ok"] and [p["element_id"] for p in answer["problems"]] == ["review"]
    answer = _json(user, f"/designer/{CODE}/validate").get_json()
    assert answer == {"ok": True, "message": "校验通过，可以部署", "problems": []}

    bad = _json(user, f"/designer/{CODE}/draft", {"files": {"_common/reception.bpmn": "<x/>"}})
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["file"] == "_common/reception.bpmn"

    deployed = _json(user, f"/designer/{CODE}/deploy")
    body = deployed.get_json()
    assert deployed.status_code == 200 and body["ok"] and body["created"] and body["version"] == 2
    public = user.get("/").get_data(as_text=True)
    row = re.search(rf'<tr data-matter="{CODE}">(.*?)</tr>', public, re.S).group(1)
    assert "v2" in row and "4 个工作日" in row

    diff = user.get(f"/designer/{CODE}/diff?from=1&to=2").get_data(as_text=True)
    assert "名称：“批准” → “审批决定”" in diff and "承诺办结时限" in diff

    plan = user.get(f"/designer/{CODE}/migrate?to=2").get_data(as_text=True)
    assert f'data-case="{running.case_number}" data-movable="yes"' in plan
    moved = user.post(f"/designer/{CODE}/migrate", {"to": "2"}).get_data(as_text=True)
    assert f'data-case="{running.case_number}" data-movable="yes" data-migrated="yes"' in moved
    assert get_case(ctx, running.id).definition_id == matter_versions(ctx, CODE).latest.definition_id


def test_form_editor_saves_valid_schemas_and_previews_with_the_server_renderer(login) -> None:  # type: ignore[no-untyped-def]
    user = login("demo_designer")
    schema = {"type": "default", "id": "Form_note", "schemaVersion": 16, "components": [
        {"type": "textfield", "id": "f1", "key": "note_title", "label": "备注标题", "validate": {"required": True}},
        {"type": "select", "id": "f2", "key": "note_kind", "label": "类别",
         "values": [{"label": "一般", "value": "normal"}, {"label": "紧急", "value": "urgent"}]}]}
    preview = _json(user, f"/designer/{CODE}/forms/note/preview", {"schema": schema}).get_json()
    assert preview["ok"] and 'name="note_title"' in preview["html"] and "备注标题" in preview["html"]
    assert '<option value="urgent"' in preview["html"]

    invalid = {**schema, "components": [{"type": "textfield", "id": "f1", "key": "bad key!", "label": "X"}]}
    refused = _json(user, f"/designer/{CODE}/forms/note", {"schema": invalid})
    assert refused.status_code == 422 and not refused.get_json()["ok"] and refused.get_json()["errors"]
    assert not _json(user, f"/designer/{CODE}/forms/note/preview", {"schema": invalid}).get_json()["ok"]

    saved = _json(user, f"/designer/{CODE}/forms/note", {"schema": schema})
    assert saved.status_code == 200 and saved.get_json()["ok"]
    stored = json.loads(user.get(f"/designer/{CODE}/forms/note/schema").get_data(as_text=True))
    assert stored["components"][0]["key"] == "note_title"
    assert 'href="/designer/food_business/forms/note"' in user.get(f"/designer/{CODE}").get_data(as_text=True)
    discarded = user.post(f"/designer/{CODE}/discard")
    assert discarded.status_code == 302


def test_camunda_bundle_upload(login) -> None:  # type: ignore[no-untyped-def]
    user = login("demo_designer")
    metadata = {"code": "outdoor_ad", "name": "户外广告设施设置审批", "department": "城市管理局",
                "implementation_code": "11320700014252401B3000180009001", "case_type": "承诺件",
                "statutory_limit_wd": "20", "promised_limit_wd": "10"}

    def upload(files: dict[str, bytes]):  # type: ignore[no-untyped-def]
        from io import BytesIO

        data: dict[str, Any] = {**metadata, "files": [(BytesIO(content), name) for name, content in files.items()]}
        return user.post("/designer/import", data, content_type="multipart/form-data")

    bundle = {p.name: p.read_bytes() for p in sorted(BUNDLE.iterdir())}
    java = bundle["outdoor_ad.bpmn"].replace(b'<bpmn:scriptTask id="Activity_record" name="\xe7\x99\xbb\xe8\xae\xb0'
                                             b'\xe8\xae\xb8\xe5\x8f\xaf" scriptFormat="python">',
                                             '<bpmn:scriptTask id="Activity_record" name="登记许可" '
                                             'camunda:delegateExpression="${permitDelegate}">'.encode())
    assert java != bundle["outdoor_ad.bpmn"]
    refused = upload({**bundle, "outdoor_ad.bpmn": java})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'data-element="Activity_record"' in html and "camunda:delegateExpression" in html
    assert 'value="户外广告设施设置审批"' in html  # the form keeps what was typed

    accepted = upload(bundle)
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/designer/outdoor_ad")
    assert 'data-matter="outdoor_ad"' in user.get("/").get_data(as_text=True)


def test_applicants_are_refused_and_json_posts_need_the_csrf_header(login) -> None:  # type: ignore[no-untyped-def]
    applicant = login("demo_citizen")
    assert "流程设计" not in applicant.get("/").get_data(as_text=True)
    for path in ("/designer/", f"/designer/{CODE}", f"/designer/{CODE}/draft", f"/designer/{CODE}/diff",
                 f"/designer/{CODE}/migrate", f"/designer/{CODE}/forms/food_application", "/designer/import"):
        assert applicant.get(path).status_code == 403, path
    assert _json(applicant, f"/designer/{CODE}/deploy").status_code == 403
    assert _json(applicant, f"/designer/{CODE}/draft", {"files": {}}).status_code == 403

    user = login("demo_designer")
    for path in (f"/designer/{CODE}/validate", f"/designer/{CODE}/draft", f"/designer/{CODE}/deploy",
                 f"/designer/{CODE}/forms/note/preview"):
        response = _json(user, path, {"files": {}}, csrf=False)
        assert response.status_code == 400, path
        assert "CSRF" in response.get_data(as_text=True)
    assert login("demo_admin").get("/designer/").status_code == 200
    anonymous = user.client.application.test_client()
    assert anonymous.get("/designer/").status_code == 302


def test_the_import_preview_keeps_the_files_on_the_server_under_a_token(login) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    user = login("demo_designer")
    metadata = {"code": "outdoor_ad_staged", "name": "户外广告设施设置审批（暂存）", "department": "城市管理局",
                "implementation_code": "11320700014252401B3000180009002", "case_type": "承诺件",
                "statutory_limit_wd": "20", "promised_limit_wd": "10"}
    bundle = {p.name: p.read_bytes() for p in sorted(BUNDLE.iterdir())}
    files = [(BytesIO(content), name) for name, content in bundle.items()]
    preview = user.post("/designer/import", {**metadata, "action": "preview", "files": files},
                        content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "kept_data" not in html  # no file travels in the page any more
    token = re.search(r'name="staging_token" value="([^"]+)"', html).group(1)
    assert all(name in html for name in bundle)  # the page still lists what was uploaded
    assert bundle["outdoor_ad.bpmn"][:200].decode() not in html
    other = login("demo_admin")
    refused = other.post("/designer/import", {**metadata, "action": "deploy", "staging_token": token},
                         content_type="multipart/form-data")
    assert refused.status_code == 422 and "上传的文件已过期" in refused.get_data(as_text=True)  # not theirs
    forged = user.post("/designer/import", {**metadata, "action": "deploy", "staging_token": "x" * 43},
                       content_type="multipart/form-data")
    assert forged.status_code == 422 and "请重新选择文件" in forged.get_data(as_text=True)
    saved = user.post("/designer/import", {**metadata, "action": "deploy", "staging_token": token},
                      content_type="multipart/form-data")
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/designer/outdoor_ad_staged")
    again = user.post("/designer/import", {**metadata, "action": "deploy", "staging_token": token},
                      content_type="multipart/form-data")
    assert again.status_code == 422  # used up by the import
