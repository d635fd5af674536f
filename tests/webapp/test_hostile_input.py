"""Hostile input gets a clear 4xx in Chinese and changes nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.actors import Actor
from engine.clock import FixedClock
from engine.services.calendar import seed_calendar
from engine.services.deploy import deploy_path
from engine.services.uploads import store_upload
from engine.settings import EngineSettings
from tests.conftest import FAST_PASSWORD_HASHING
from tests.conftest import TEST_HISTORY_KEY
from tests.databases import migrated_database
from tests.webapp.conftest import PDF
from tests.webapp.conftest import User
from tests.webapp.test_api import API
from tests.webapp.test_api import ApiClient
from tests.webapp.test_hardening import quick_demo_accounts
from webapp import create_app


def make_app(url: str, tmp: Path) -> Flask:
    """The shipped matters, demo accounts and calendar on ``url`` (like tests/webapp's ``web_app``)."""
    settings = EngineSettings(database_url=url, uploads_dir=tmp / "uploads", password_hashing=FAST_PASSWORD_HASHING,
                              history_key=TEST_HISTORY_KEY)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "ENGINE_SETTINGS": settings},
                     clock=FixedClock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC)), instance_path=tmp / "instance")
    ctx = app.extensions["onewindow"]
    deploy_path(ctx, settings.processes_dir, Actor("designer", groups=frozenset({"designer"})))
    quick_demo_accounts(ctx)
    seed_calendar(ctx, Actor("admin", groups=frozenset({"admin"})))
    return app


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp(f"hostile_{request.param}")
    with migrated_database(request.param, tmp, request) as url:
        application = make_app(url, tmp)
        yield application
        application.extensions["onewindow"].dispose()


def _case_count(client: ApiClient) -> int:
    return len(client.get("/cases").get_json()["items"])


def _refused(response: Any, status: int = 400) -> dict[str, Any]:
    """A JSON refusal with a Chinese message."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["code"] == {400: "bad_request", 404: "not_found"}[status]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    return body


def _nested(depth: int) -> str:
    return '{"data": ' + '{"a": ' * depth + "1" + "}" * depth + "}"


def test_deep_json_is_refused_and_starts_nothing(app: Flask) -> None:
    citizen = ApiClient(app, "demo_citizen")
    before = _case_count(citizen)
    for depth in (1000, 100_000, 40):
        response = citizen.client.post(f"{API}/matters/food_business/cases", data=_nested(depth),
                                       headers={**citizen._headers(), "Content-Type": "application/json"})
        assert "嵌套" in _refused(response)["message"]
    assert _case_count(citizen) == before


@pytest.mark.parametrize("value", ["\ud800", "合\udfff同", "a\x00b", "gpj\u202eexe.pdf"])
def test_unstorable_or_disguising_text_in_json_is_refused(app: Flask, value: str) -> None:
    citizen = ApiClient(app, "demo_citizen")
    before = _case_count(citizen)
    response = citizen.client.post(f"{API}/matters/food_business/cases",
                                   data=json.dumps({"data": {"operator_name": value}}),  # \ud800 escaped
                                   headers={**citizen._headers(), "Content-Type": "application/json"})
    _refused(response)
    assert _case_count(citizen) == before
    infinite = citizen.client.post(f"{API}/matters/food_business/cases", data='{"data": {"premises_area_m2": NaN}}',
                                   headers={**citizen._headers(), "Content-Type": "application/json"})
    _refused(infinite)


def test_lone_surrogate_in_a_page_json_post_is_refused(app: Flask) -> None:
    designer = User(app, "demo_designer")
    response = designer.client.post("/designer/food_business/validate", data=json.dumps({"files": {"x": "\ud800"}}),
                                    headers={"X-CSRF-Token": designer.csrf, "Content-Type": "application/json"})
    assert response.status_code == 400 and "代理项" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/cases?q=%00", "/cases?matter=%00", "/work?matter=%00", "/cases/1/tasks/%00", "/matters/a%00b",
    "/cases?q=%E2%80%AE", "/cases?%00=1",
])
def test_nul_and_bidi_in_page_parameters_are_refused(app: Flask, path: str) -> None:
    clerk = User(app, "demo_window")
    response = clerk.get(path)
    assert response.status_code == 400, path
    assert "请求未被处理" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/tasks?matter=%00", "/cases?q=%00", "/cases?status=%00"])
def test_nul_in_api_query_is_refused(app: Flask, path: str) -> None:
    _refused(ApiClient(app, "demo_window").get(path))


def test_nul_in_api_path_parameter_is_refused_and_claims_nothing(app: Flask) -> None:
    clerk = ApiClient(app, "demo_window")
    _refused(clerk.post("/cases/1/tasks/%00/claim"))
    _refused(clerk.post("/cases/1/tasks/a%E2%80%8Bb/complete", {"data": {}}))


@pytest.mark.parametrize("case_id", [2**31, 2**63, 2**64 + 1, 10**30])
def test_case_id_beyond_64_bits_is_not_found(app: Flask, case_id: int) -> None:
    _refused(ApiClient(app, "demo_window").get(f"/cases/{case_id}"), 404)
    _refused(ApiClient(app, "demo_window").get(f"/cases/{case_id}/history"), 404)
    assert User(app, "demo_window").get(f"/cases/{case_id}").status_code == 404
    assert User(app, "demo_citizen").get(f"/files/{case_id}").status_code == 404


def test_upload_names_lose_bidi_and_zero_width_characters(app: Flask) -> None:
    ctx = app.extensions["onewindow"]
    citizen = Actor("demo_citizen", groups=frozenset({"applicant"}))
    # "合同\u202efdp.exe" would display as "合同exe.pdf": stripped, its real suffix is .exe, refused.
    with pytest.raises(Exception, match="类型不被接受"):
        store_upload(ctx, PDF, "合同\u202efdp.exe", citizen)
    stored = store_upload(ctx, PDF, "营业\u200b执照\u2066\ufeff.pdf", citizen)
    assert stored.name == "营业执照.pdf"


def test_upload_through_the_form_keeps_a_clean_name(app: Flask) -> None:
    citizen = User(app, "demo_citizen")
    started = citizen.post("/matters/food_business/apply")
    link = started.headers["Location"]
    response = citizen.post(link, {"action": "draft", "application_files": (io.BytesIO(PDF), "许可\u202egpj.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:300]
    page = citizen.get(link).get_data(as_text=True)
    assert "许可gpj.pdf" in page and "\u202e" not in page


def test_registration_refuses_invisible_characters_in_names(app: Flask) -> None:
    client = app.test_client()
    client.get("/register")
    with client.session_transaction() as session:
        token = session["csrf"]
    form = {"username": "hostile_user", "display_name": "张三\u202e", "kind": "citizen",
            "id_number": "11010519491231002X", "mobile": "13800138000", "password": "abcdefgh12",
            "password_confirm": "abcdefgh12", "csrf_token": token}
    response = client.post("/register", data=form)
    assert response.status_code == 400 and "控制字符" in response.get_data(as_text=True)
    response = client.post("/register", data={**form, "display_name": "张\u200b三"})
    assert response.status_code == 400 and "不可见字符" in response.get_data(as_text=True)
    response = client.post("/register", data={**form, "display_name": "张三", "username": "hostile\u200buser"})
    assert response.status_code == 400
    from engine.services.accounts import actor_for

    assert actor_for(app.extensions["onewindow"], "hostile_user") is None


def test_walk_in_name_with_zero_width_characters_is_refused(app: Flask) -> None:
    clerk = User(app, "demo_window")
    before = len(clerk.get("/cases").get_data(as_text=True))
    response = clerk.post("/window/walk-in", {"matter": "food_business", "walk_in_name": "李\u200d四"})
    assert response.status_code == 400
    assert len(clerk.get("/cases").get_data(as_text=True)) == before


def test_registration_service_refuses_invisible_characters_too(app: Flask) -> None:
    """Callers other than the pages (a future import, the API) meet the same rule in the engine."""
    from engine.errors import FormDataInvalid
    from engine.services.accounts import register_applicant

    form = {"username": "hostile_user2", "display_name": "张\u200b三", "kind": "citizen",
            "id_number": "11010519491231002X", "mobile": "13800138000", "password": "abcdefgh12",
            "password_confirm": "abcdefgh12"}
    with pytest.raises(FormDataInvalid) as refused:
        register_applicant(app.extensions["onewindow"], form)
    assert "不可见字符" in refused.value.errors["display_name"]
