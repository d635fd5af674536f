"""The REST API: bearer tokens, the food licence journey through /api/v1, access rules and the OpenAPI document."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator

from engine.services.accounts import actor_for
from engine.services.accounts import create_api_token
from tests.webapp.test_journey import APPLICATION
from webapp import create_app
from webapp.errors import ERROR_CODES
from webapp.views import api as api_module
from webapp.views import api_schemas as schemas
from webapp.views.api import api_document
from webapp.views.openapi import UndocumentedRoute
from webapp.views.openapi import openapi_document

API = "/api/v1"


def documented_schema(spec: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    """The schema the OpenAPI document promises for this answer (fails if it promises none).

    An error for a path or method the API does not have (404, 405) is still an ``Error``.
    """
    error = {"$ref": "#/components/schemas/Error"}
    for template, item in spec["paths"].items():
        if re.fullmatch(re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template)), path.split("?")[0]):
            operation = item.get(method.lower())
            if operation is None and status >= 400:
                return error
            assert operation is not None, f"{method} {path}: not documented"
            response = operation["responses"].get(str(status))
            assert response is not None, f"{method} {path}: status {status} not documented"
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            return response["content"]["application/json"]["schema"]
    assert status >= 400, f"{path}: no documented path"
    return error


def assert_documented(spec: dict[str, Any], method: str, path: str, response: Any) -> None:
    """The body matches the documented schema of its status: the document cannot drift from the code."""
    schema = documented_schema(spec, method, path, response.status_code)
    validator = Draft202012Validator({**schema, "components": spec["components"]},
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(response.get_json())]
    assert errors == [], f"{method} {path} ({response.status_code}): " + "; ".join(errors[:5])


class ApiClient:
    """One system calling the API with its bearer token; every answer is checked against the OpenAPI document."""

    def __init__(self, app: Flask, username: str) -> None:
        ctx = app.extensions["onewindow"]
        self.token = create_api_token(ctx, actor_for(ctx, username), f"test {username}")
        self.client = app.test_client()
        self.spec = api_document(app)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _checked(self, method: str, path: str, response: Any) -> Any:
        assert_documented(self.spec, method, path, response)
        return response

    def get(self, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self._checked("GET", path, self.client.get(API + path, headers=self._headers(), **kw))

    def post(self, path: str, body: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
        if body is not None:
            kw["json"] = body
        return self._checked("POST", path, self.client.post(API + path, headers=self._headers(), **kw))


@pytest.fixture(scope="module")
def api(web_app: Flask):  # type: ignore[no-untyped-def]
    clients: dict[str, ApiClient] = {}

    def client(username: str) -> ApiClient:
        if username not in clients:
            clients[username] = ApiClient(web_app, username)
        return clients[username]

    return client


def _history(client: ApiClient, case_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/cases/{case_id}/history")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


# -- authentication ------------------------------------------------------------------------------


def test_missing_or_bad_token_is_401(web_app: Flask) -> None:
    client = web_app.test_client()
    for headers in ({}, {"Authorization": "Bearer ow_not-a-token"}, {"Authorization": "Bearer"},
                    {"Authorization": "Basic ZGVtbzpkZW1v"}):
        response = client.get(f"{API}/cases", headers=headers)
        assert response.status_code == 401, headers
        assert response.get_json() == {"error": "unauthorized", "code": "unauthorized", "message": "需要有效的访问令牌"}
        assert "需要有效的访问令牌".encode() in response.data  # UTF-8, not \u escapes
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post(f"{API}/matters/food_business/cases", json={}).status_code == 401


def test_browser_session_reads_but_cannot_write(login, api) -> None:  # type: ignore[no-untyped-def]
    citizen = login("demo_citizen")
    listed = citizen.get(f"{API}/matters")
    assert listed.status_code == 200
    assert "food_business" in {m["code"] for m in listed.get_json()["items"]}
    before = len(api("demo_citizen").get("/cases").get_json()["items"])
    # No CSRF on /api/: a session-authenticated POST would be forgeable, so it needs the bearer token.
    refused = citizen.client.post(f"{API}/matters/food_business/cases", json={},
                                  headers={"X-CSRF-Token": citizen.csrf})
    assert refused.status_code == 401 and refused.get_json()["error"] == "unauthorized"
    assert len(api("demo_citizen").get("/cases").get_json()["items"]) == before


def test_matters_and_guide(api) -> None:  # type: ignore[no-untyped-def]
    client = api("demo_citizen")
    matters = {m["code"]: m for m in client.get("/matters").get_json()["items"]}
    assert matters["food_business"]["name"] == "食品经营许可"
    guide = client.get("/matters/food_business")
    assert guide.status_code == 200 and guide.headers["Content-Type"].startswith("application/json")
    body = guide.get_json()
    assert body["promised_limit_wd"] == 5 and "填写申请" in body["task_names"]
    assert [stage["name"] for stage in body["stages"]] == ["申报", "受理", "审查", "决定", "送达"]
    assert "承诺 5 个工作日" in body["stages"][3]["limit"]
    assert body["metadata"]["department"] == "市场监督管理局"
    missing = client.get("/matters/no_such_matter")
    assert missing.status_code == 404 and missing.get_json()["error"] == "MatterNotFound"


def test_bad_query_and_body_are_refused_with_the_parameter_named(api) -> None:  # type: ignore[no-untyped-def]
    client = api("demo_citizen")
    for query, message in (("limit=abc", "“limit”须为整数"), ("limit=%C2%B2", "“limit”须为整数"),
                           ("limit=1_0", "“limit”须为整数"), ("limit=0", "“limit”须不小于 1"),
                           ("limit=201", "“limit”须不大于 200"), ("colour=red", "“colour”不是可接受的参数")):
        response = client.get(f"/cases?{query}")
        assert response.status_code == 400 and response.get_json()["message"] == message, query
    assert len(client.get("/cases?limit=1&matter=").get_json()["items"]) <= 1  # an empty parameter is no filter
    for body, message in (([1], "请求体须为 JSON 对象"), ({"data": [1]}, "“data”须为 JSON 对象"),
                          ({"date": {}}, "“date”不是可接受的参数")):
        response = client.post("/matters/food_business/cases", body)
        assert response.status_code == 400 and response.get_json()["message"] == message, body


# -- the journey ---------------------------------------------------------------------------------


def test_food_licence_through_the_api(api) -> None:  # type: ignore[no-untyped-def]
    citizen, clerk, stranger = api("demo_citizen"), api("demo_window"), api("demo_enterprise")
    reviewer = api("demo_scjg_review")

    # Prefill may only touch the applicant's form fields; anything else is refused and nothing starts.
    count = len(citizen.get("/cases").get_json()["items"])
    seeded = citizen.post("/matters/food_business/cases", {"data": {"case_number": "X", "reception_decision": "accept",
                                                                    "contact_mobile": "123"}})
    assert seeded.status_code == 422
    errors = seeded.get_json()["errors"]
    assert set(errors) == {"case_number", "reception_decision", "contact_mobile"}
    assert errors["contact_mobile"] == "手机号码格式不正确"
    assert len(citizen.get("/cases").get_json()["items"]) == count

    started = citizen.post("/matters/food_business/cases", {"data": {"operator_name": "玄武区小王面馆"}})
    assert started.status_code == 201, started.get_json()
    case = started.get_json()
    case_id = case["id"]
    assert started.headers["Location"].endswith(f"{API}/cases/{case_id}")
    # A draft until the application is submitted: no 办件编号 yet (drafts are not cases).
    assert case["case_number"] is None and case["status"] == "draft"
    assert case["data"]["operator_name"] == "玄武区小王面馆" and "case_number" not in case["data"]
    apply = next(t for t in case["open_tasks"] if t["element_id"] == "apply")
    complete = f"/cases/{case_id}/tasks/{apply['task_uuid']}/complete"

    # Invalid values: 422 with the field errors in Chinese; no history written, the task still open.
    events = len(_history(citizen, case_id))
    bad = citizen.post(complete, {"data": {**APPLICATION, "uscc": "91320100MA1M11110B", "contact_mobile": "123"}})
    assert bad.status_code == 422
    body = bad.get_json()
    assert body["error"] == "FormDataInvalid"
    assert body["errors"]["uscc"] == "统一社会信用代码格式或校验位不正确"
    assert body["errors"]["contact_mobile"] == "手机号码格式不正确"
    assert len(_history(citizen, case_id)) == events
    assert apply["task_uuid"] in {t["task_uuid"] for t in citizen.get(f"/cases/{case_id}").get_json()["open_tasks"]}
    assert citizen.post(complete, {"data": "not an object"}).status_code == 400
    assert citizen.post(complete, data="{not json", content_type="application/json").status_code == 400

    # File references are re-read from our records: an id the applicant never uploaded is dropped.
    done = citizen.post(complete, {"data": {**APPLICATION, "application_files": [{"id": 987654, "name": "假.pdf"}]}})
    assert done.status_code == 200, done.get_json()
    after = done.get_json()
    assert after["data"]["application_files"] == [] and after["data"]["uscc"] == APPLICATION["uscc"]
    assert re.fullmatch(r"\d{8}[0-9A-Z]{23}\d{12}", after["case_number"])
    assert after["data"]["case_number"] == after["case_number"] and after["status"] == "running"
    assert "收件凭证" in {d["title"] for d in after["documents"]}
    resent = citizen.post(complete, {"data": APPLICATION})  # done: a client must stop, not retry
    assert resent.status_code == 409 and resent.get_json()["code"] == "task_already_done"

    # The window clerk's worklist has the reception check; claim, release, claim, complete.
    work = clerk.get("/tasks?matter=food_business").get_json()["items"]
    check = next(t for t in work if t["case_id"] == case_id and t["element_id"] == "rc_check")
    base = f"/cases/{case_id}/tasks/{check['task_uuid']}"
    # The window's step is not the applicant's to see: the same 404 as a task that does not exist.
    assert citizen.post(f"{base}/complete", {"data": {"reception_decision": "accept"}}).status_code == 404
    claimed = clerk.post(f"{base}/claim")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "demo_window"
    assert api("demo_fallback").post(f"{base}/claim").status_code == 403  # first to claim owns it
    released = clerk.post(f"{base}/release")
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert clerk.post(f"{base}/claim").status_code == 200
    accepted = clerk.post(f"{base}/complete", {"data": {"reception_decision": "accept", "reception_note": "材料齐全"}})
    assert accepted.status_code == 200, accepted.get_json()
    detail = citizen.get(f"/cases/{case_id}").get_json()
    assert detail["blzt"] == 3 and detail["status_name"] == "已受理"
    assert detail["deadlines"]["promised_due"] == "2025-10-10"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}.*", detail["received_at"])
    assert "受理通知书" in {d["title"] for d in detail["documents"]}
    assert all("html" not in d for d in detail["documents"])

    # Another applicant: the same 404 as for a case that does not exist, for every way in.
    for path in (f"/cases/{case_id}", f"/cases/{case_id}/history",
                 f"/cases/{case_id}/documents/{detail['documents'][0]['id']}"):
        response = stranger.get(path)
        assert response.status_code == 404 and response.get_json()["error"] == "CaseNotFound", path
    assert stranger.post(f"{base}/claim").status_code == 404
    assert case_id not in {c["id"] for c in stranger.get("/cases").get_json()["items"]}
    found = citizen.get(f"/cases?matter=food_business&q={detail['case_number']}").get_json()["items"]
    assert [c["id"] for c in found] == [case_id]

    # The department reviewer: the task in the worklist, the full history, documents with their hashes.
    assert any(t["case_id"] == case_id and t["element_id"] == "review"
               for t in reviewer.get("/tasks").get_json()["items"])
    history = _history(reviewer, case_id)
    kinds = [row["event_type"] for row in history]
    assert kinds[0] == "case_started" and "form_submitted" in kinds and "task_claimed" in kinds
    assert [row["seq"] for row in history] == sorted(row["seq"] for row in history)
    submitted = next(row for row in history if row["event_type"] == "form_submitted")
    assert submitted["actor_id"] == "demo_citizen" and submitted["data_after"]["operator_name"] == "玄武区小王面馆"
    for doc in reviewer.get(f"/cases/{case_id}").get_json()["documents"]:
        content = reviewer.get(f"/cases/{case_id}/documents/{doc['id']}").get_json()
        assert content["sha256"] == doc["sha256"] == hashlib.sha256(content["html"].encode("utf-8")).hexdigest()
    assert reviewer.get(f"/cases/{case_id}/documents/999999").status_code == 404


# -- OpenAPI -------------------------------------------------------------------------------------


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule[len(API):])


def test_openapi_is_public_valid_and_complete(web_app: Flask) -> None:
    response = web_app.test_client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for name in ("Matter", "CaseSummary", "CaseDetail", "Task", "Document", "HistoryEvent", "Error"):
        assert name in spec["components"]["schemas"]
    rules = [rule for rule in web_app.url_map.iter_rules() if rule.rule.startswith(API + "/")]
    assert len(rules) >= 12
    for rule in rules:
        path = _openapi_path(rule.rule)
        assert path in spec["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], (method, path)
    documented = {(path, method) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    routed = {(_openapi_path(r.rule), m.lower()) for r in rules for m in r.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    # Every error code the app can answer under a documented status is listed there, with whether to retry.
    responses = spec["components"]["responses"]
    for code, entry in ERROR_CODES.items():
        if str(entry.status) in responses:
            documented = responses[str(entry.status)]
            assert code in documented["content"]["application/json"]["schema"]["allOf"][1]["properties"]["code"][
                "enum"], code
            assert (code in documented["x-retry-codes"]) == entry.retry, code
    assert responses["409"]["x-retry-codes"] == ["conflict_retry"]
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)


@dataclass(frozen=True)
class Code:
    status: int
    description: str
    retry: bool


def test_each_error_status_documents_its_codes_and_which_to_retry(web_app: Flask) -> None:
    codes = {"task_already_done": Code(409, "任务已办结", False), "conflict_retry": Code(409, "稍候重试", True),
             "not_found": Code(404, "不存在", False)}
    spec = openapi_document(web_app, "api", info=api_module.INFO, error_model=schemas.Error,
                            error_responses=api_module.ERROR_RESPONSES, path_parameters=api_module.PATH_PARAMETERS,
                            security_scheme=api_module.SECURITY_SCHEME, error_codes=codes)
    conflict = spec["components"]["responses"]["409"]
    assert conflict["x-retry-codes"] == ["conflict_retry"]
    assert conflict["content"]["application/json"]["schema"]["allOf"][1]["properties"]["code"]["enum"] == \
        ["task_already_done", "conflict_retry"]
    assert "`conflict_retry`：稍候重试（可重试）" in conflict["description"]
    assert "`task_already_done`：任务已办结（勿重试）" in conflict["description"]
    assert spec["components"]["responses"]["404"]["x-retry-codes"] == []
    pytest.importorskip("openapi_spec_validator").validate(spec)


def test_a_route_without_an_operation_fails_the_document(web_app: Flask) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "ENGINE_SETTINGS": web_app.extensions["onewindow"].settings})
    app.add_url_rule(f"{API}/cases/<int:case_id>/undocumented", "api.undocumented", lambda case_id: {})
    with pytest.raises(UndocumentedRoute, match="undocumented"):
        api_document(app)
    app.extensions["onewindow"].dispose()


# -- paging and search at a hall's scale -----------------------------------------------------------


def test_task_list_pages_by_key_and_case_search_finds_the_credit_code(api) -> None:  # type: ignore[no-untyped-def]
    """A system reading a long queue walks it page by page (``after`` = the previous ``next_after``), each
    task exactly once, oldest first; the applicant's 统一社会信用代码 finds their case."""
    enterprise, clerk = api("demo_enterprise"), api("demo_window")
    for _ in range(3):
        case = enterprise.post("/matters/food_business/cases", {}).get_json()
        apply = next(t for t in case["open_tasks"] if t["element_id"] == "apply")
        done = enterprise.post(f"/cases/{case['id']}/tasks/{apply['task_uuid']}/complete",
                               {"data": {**APPLICATION, "uscc": "91320100MA1M11110A"}})
        assert done.status_code == 200, done.get_json()
    whole = clerk.get("/tasks?limit=200").get_json()
    assert len(whole["items"]) >= 3 and whole["next_after"] == ""
    seen, after = [], ""
    while True:
        page = clerk.get(f"/tasks?limit=2&after={after}").get_json()
        assert len(page["items"]) <= 2
        seen += [t["id"] for t in page["items"]]
        after = page["next_after"]
        if not after:
            break
    assert seen == [t["id"] for t in whole["items"]]
    assert len(clerk.get("/tasks").get_json()["items"]) <= schemas.TASK_PAGE
    bad = clerk.get("/tasks?after=not-a-key")
    assert bad.status_code == 400
    found = clerk.get("/cases?q=91320100ma1m11110a").get_json()["items"]  # any case of letters
    assert {case["id"] for case in found} >= {case["id"]}
