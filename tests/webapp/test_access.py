"""Who may open which route: every route of the app (pages and REST API) × every kind of user, CSRF,
sign-in limits, sessions, headers.

The authorization matrix is the grid ``POLICY_GRID`` below, one row per route and method of the
Flask route table, one column per role; a route added to the app without a row fails
``test_every_route_has_a_policy_row``. API rows are requested with the role's bearer token. Outcomes:

* ``200``/``201`` the page or answer (or ``400``/``401``/``422``: the form or body refused with its error),
* ``go`` a redirect onward (the action was done),
* ``login`` a redirect to ``/login`` (sign-in required); ``401`` on the API without a token,
* ``403`` the user sees the case (or is known) but the role may not do this,
* ``404`` the case (or task, file, document) is not the user's to see: the same answer as "no such thing".

The roles are the relations of ``engine.policy`` (applicant, another applicant, window, fallback
window, a reviewer of the case's department, of another department, supervisor, designer, auditor,
administrator, anonymous). None of them holds a 查询码 grant, so the 办件查询 pages send them to the
look-up; the walk-in applicant with a 查询码 (``Relation.QUERY_CODE``) is walked in tests/webapp/test_query_code.py.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from engine.actors import Actor
from engine.services.accounts import register_applicant
from engine.services.uploads import store_upload
from tests.webapp.conftest import PDF
from tests.webapp.conftest import User

APPLICATION = {
    "operator_name": "鼓楼区小李餐馆", "uscc": "91320100MA1M11110A", "legal_representative": "李小红",
    "premises_address": "南京市鼓楼区北京西路2号", "business_items": ["hot_food"],
    "premises_area_m2": "60", "contact_mobile": "13800138000", "delivery_method": "window",
}

#: The columns of the grids below, and the demo account that plays each.
ROLES: dict[str, str | None] = {
    "anon": None,  # not signed in
    "citizen": "demo_citizen",  # owns the prepared case and uploaded its PDF
    "enterprise": "demo_enterprise",  # another applicant
    "window": "demo_window",  # window_clerk
    "fallback": "demo_fallback",  # window_clerk + fallback_clerk
    "zj": "demo_zj_cb",  # 住建 reviewer: another department, never a task on a food case
    "scjg": "demo_scjg_review",  # 市场监管 reviewer: the case's department once its review task exists
    "designer": "demo_designer",
    "auditor": "demo_auditor",
    "admin": "demo_admin",
    "supervisor": "demo_supervisor",
}


#: The access policy of every HTML route (``/api/`` is tested with the API), on a food_business case
#: owned by demo_citizen that waits, unclaimed, at the window's 收件审查 (rc_check). Columns: ROLES.
POLICY_GRID = """
# Public: the catalog, service guides, the hall board, sign-in and registration.     (401/422: form with errors)
#                                                anon  citiz enter windw fallb zj    scjg  desig audit admin super
GET  /                                           200   200   200   200   200   200   200   200   200   200   200
GET  /healthz                                    200   200   200   200   200   200   200   200   200   200   200
GET  /favicon.ico                                200   200   200   200   200   200   200   200   200   200   200
GET  /matters/<code>                             200   200   200   200   200   200   200   200   200   200   200
GET  /matters/<code>/diagram.bpmn                200   200   200   200   200   200   200   200   200   200   200
GET  /board                                      200   200   200   200   200   200   200   200   200   200   200
# 办件查询 (walk-in applicants, no account): the look-up is public; an empty one is refused (401); without a
# grant from a correct look-up every other 查询 page sends the visitor to the look-up.
GET  /query                                      200   200   200   200   200   200   200   200   200   200   200
POST /query                                      401   401   401   401   401   401   401   401   401   401   401
GET  /query/case                                 go    go    go    go    go    go    go    go    go    go    go
GET  /query/tasks/<task_uuid>                    go    go    go    go    go    go    go    go    go    go    go
POST /query/tasks/<task_uuid>                    go    go    go    go    go    go    go    go    go    go    go
GET  /query/documents/<int:document_id>          go    go    go    go    go    go    go    go    go    go    go
POST /query/end                                  go    go    go    go    go    go    go    go    go    go    go
GET  /login                                      200   200   200   200   200   200   200   200   200   200   200
POST /login                                      401   401   401   401   401   401   401   401   401   401   401
GET  /register                                   200   200   200   200   200   200   200   200   200   200   200
POST /register                                   422   422   422   422   422   422   422   422   422   422   422
POST /logout                                     go    go    go    go    go    go    go    go    go    go    go
# Signed in: "home" depends on the role; one's own e-mail for notices (a bad address: 422); API tokens for
# staff (the designer deploys through the API).
GET  /home                                       login go    go    go    go    go    go    go    go    go    go
GET  /account                                    login 200   200   200   200   200   200   200   200   200   200
POST /account                                    login 422   422   422   422   422   422   422   422   422   422
GET  /account/tokens                             login 403   403   200   200   200   200   200   200   200   200
POST /account/tokens                             login 403   403   200   200   200   200   200   200   200   200
# Applying: applicants for themselves, window clerks also for walk-ins.
POST /matters/<code>/apply                       login go    go    go    go    403   403   403   403   403   403
POST /window/walk-in                             login 403   403   go    go    403   403   403   403   403   403
GET  /my/cases                                   login 200   200   403   403   403   403   403   403   403   403
# 消息中心: applicants' notices; supervisors and administrators read the art. 44 service flags there.
GET  /my/messages                                login 200   200   403   403   403   403   403   403   200   200
# Staff lists: each sees what its groups may see (the designer's lists are empty).
GET  /cases                                      login 403   403   200   200   200   200   200   200   200   200
GET  /work                                       login 403   403   200   200   200   200   200   200   200   200
GET  /window                                     login 403   403   200   200   403   403   403   403   403   403
GET  /stats                                      login 403   403   403   403   403   403   403   200   200   200
# The case, its documents and its files: owner (= uploader), window and audit; departments once they have a task.
GET  /cases/<int:case_id>                        login 200   404   200   200   404   404   404   200   200   200
GET  /cases/<int:case_id>/documents/<int:document_id>
                                                 login 200   404   200   200   404   404   404   200   200   200
GET  /files/<int:upload_id>                      login 200   404   200   200   404   404   404   200   200   200
# Recording the service (送达) of a document: counter staff and supervisors; the 收件凭证 is not served (403).
POST /cases/<int:case_id>/documents/<int:document_id>/service
                                                 login 403   403   403   403   404   404   404   403   403   403
# The window's task: window clerks work it; staff who see the case but may not work it get 403; the applicant
# does not see the window's step (404, like the cases others do not see); the claim is for staff only.
GET  /cases/<int:case_id>/tasks/<task_uuid>      login 404   404   200   200   404   404   404   403   403   403
POST /cases/<int:case_id>/tasks/<task_uuid>      login 404   404   go    go    404   404   404   403   403   403
POST /cases/<int:case_id>/tasks/<task_uuid>/<action>
                                                 login 403   403   go    go    404   404   404   403   403   403
# Legal time (办理期限): staff who see the case read it; only the deciding department's staff ask for an extension
# or a 特别程序 (市场监管 here, who has no task yet: 404), only its head decides (request 0 does not exist: 404).
GET  /cases/<int:case_id>/legal-time             login 403   403   200   200   404   404   404   200   200   200
POST /cases/<int:case_id>/extensions             login 403   403   403   403   404   404   404   403   403   403
POST /cases/<int:case_id>/special-procedures     login 403   403   403   403   404   404   404   403   403   403
POST /cases/<int:case_id>/special-procedures/end login 403   403   403   403   404   404   404   403   403   403
GET  /extensions                                 login 403   403   200   200   200   200   200   200   200   200
GET  /extensions/<int:request_id>                login 403   403   404   404   404   404   404   404   404   404
POST /extensions/<int:request_id>/decision       login 403   403   404   404   404   404   404   404   404   404
# Audit (审计): auditors and administrators only, read-only GETs (the export is a download).
GET  /audit                                      login 403   403   403   403   403   403   403   200   200   403
GET  /audit/cases/<int:case_id>                  login 403   403   403   403   403   403   403   200   200   403
GET  /audit/cases/<int:case_id>/replay.json      login 403   403   403   403   403   403   403   200   200   403
GET  /audit/cases/<int:case_id>/diagram.bpmn     login 403   403   403   403   403   403   403   200   200   403
GET  /audit/cases/<int:case_id>/verify           login 403   403   403   403   403   403   403   200   200   403
GET  /audit/verify                               login 403   403   403   403   403   403   403   200   200   403
GET  /audit/heatmap/<code>                       login 403   403   403   403   403   403   403   200   200   403
GET  /audit/heatmap/<code>/diagram.bpmn          login 403   403   403   403   403   403   403   200   200   403
GET  /audit/export                               login 403   403   403   403   403   403   403   200   200   403
# Designer (流程设计): designers and administrators only. JSON endpoints answer 400 to the grid's form posts.
GET  /designer/                                  login 403   403   403   403   403   403   200   403   200   403
GET  /designer/<code>                            login 403   403   403   403   403   403   200   403   200   403
GET  /designer/<code>/draft                      login 403   403   403   403   403   403   200   403   200   403
POST /designer/<code>/draft                      login 403   403   403   403   403   403   400   403   400   403
GET  /designer/<code>/diff                       login 403   403   403   403   403   403   200   403   200   403
GET  /designer/<code>/migrate                    login 403   403   403   403   403   403   200   403   200   403
POST /designer/<code>/migrate                    login 403   403   403   403   403   403   200   403   200   403
POST /designer/<code>/validate                   login 403   403   403   403   403   403   400   403   400   403
POST /designer/<code>/deploy                     login 403   403   403   403   403   403   200   403   200   403
POST /designer/<code>/discard                    login 403   403   403   403   403   403   go    403   go    403
GET  /designer/<code>/forms/<key>                login 403   403   403   403   403   403   200   403   200   403
POST /designer/<code>/forms/<key>                login 403   403   403   403   403   403   400   403   400   403
GET  /designer/<code>/forms/<key>/schema         login 403   403   403   403   403   403   200   403   200   403
POST /designer/<code>/forms/<key>/preview        login 403   403   403   403   403   403   400   403   400   403
GET  /designer/import                            login 403   403   403   403   403   403   200   403   200   403
POST /designer/new                               login 403   403   403   403   403   403   422   403   422   403
POST /designer/import                            login 403   403   403   403   403   403   422   403   422   403
# Administration (系统管理): administrators only; empty forms are refused (422) and change nothing; the sample
# codes of the walk (food_business as a post, as a catalogue entry of this app) do not exist (404).
GET  /admin/                                     login 403   403   403   403   403   403   403   403   200   403
GET  /admin/units/<kind>/<code>                  login 403   403   403   403   403   403   403   403   404   403
POST /admin/units/<kind>                         login 403   403   403   403   403   403   403   403   422   403
POST /admin/units/<kind>/<code>/members          login 403   403   403   403   403   403   403   403   422   403
POST /admin/units/organ/<code>/seal              login 403   403   403   403   403   403   403   403   422   403
POST /admin/import                               login 403   403   403   403   403   403   403   403   422   403
GET  /admin/staff                                login 403   403   403   403   403   403   403   403   200   403
POST /admin/staff                                login 403   403   403   403   403   403   403   403   422   403
GET  /admin/staff/<username>                     login 403   403   403   403   403   403   403   403   200   403
POST /admin/staff/<username>/deactivate          login 403   403   403   403   403   403   403   403   422   403
POST /admin/staff/<username>/password            login 403   403   403   403   403   403   403   403   422   403
GET  /admin/log                                  login 403   403   403   403   403   403   403   403   200   403
GET  /admin/catalogue                            login 403   403   403   403   403   403   403   403   200   403
GET  /admin/catalogue/new                        login 403   403   403   403   403   403   403   403   200   403
POST /admin/catalogue/new                        login 403   403   403   403   403   403   403   403   422   403
GET  /admin/catalogue/<code>                     login 403   403   403   403   403   403   403   403   404   403
POST /admin/catalogue/<code>                     login 403   403   403   403   403   403   403   403   404   403
GET  /admin/catalogue/export/<fmt>               login 403   403   403   403   403   403   403   403   200   403
POST /admin/catalogue/import                     login 403   403   403   403   403   403   403   403   422   403
GET  /admin/catalogue/files                      login 403   403   403   403   403   403   403   403   200   403
POST /admin/catalogue/files                      login 403   403   403   403   403   403   403   403   422   403
# Operations console (运维): the configured operations groups only (administrators here); incident 0 does not
# exist (404); an unknown case action is 404; an empty bulk form is refused with a message (go).
GET  /ops/                                       login 403   403   403   403   403   403   403   403   200   403
GET  /ops/incidents/<int:incident_id>            login 403   403   403   403   403   403   403   403   404   403
POST /ops/incidents/<int:incident_id>/retry      login 403   403   403   403   403   403   403   403   404   403
GET  /ops/cases/<int:case_id>                    login 403   403   403   403   403   403   403   403   200   403
POST /ops/cases/<int:case_id>/<action>           login 403   403   403   403   403   403   403   403   404   403
POST /ops/bulk                                   login 403   403   403   403   403   403   403   403   go    403
# Published catalogue files (blank forms, samples) are public; an unknown one is 404 for everyone.
GET  /catalogue/files/<sha256>                   404   404   404   404   404   404   404   404   404   404   404
# REST API (bearer token; the document is public). Starting a case: applicants and window clerks.
GET  /api/v1/openapi.json                        200   200   200   200   200   200   200   200   200   200   200
GET  /api/v1/matters                             401   200   200   200   200   200   200   200   200   200   200
GET  /api/v1/matters/<code>                      401   200   200   200   200   200   200   200   200   200   200
POST /api/v1/matters/<code>/cases                401   201   201   201   201   403   403   403   403   403   403
GET  /api/v1/cases                               401   200   200   200   200   200   200   200   200   200   200
GET  /api/v1/tasks                               401   200   200   200   200   200   200   200   200   200   200
# Messages (缴费到账、电子证照、联办确认): staff and integration accounts; a message nobody waits for is 404.
POST /api/v1/messages                            401   403   403   404   404   404   404   403   403   404   404
# Incidents through the API: the operations groups only; incident 0 does not exist.
GET  /api/v1/incidents                           401   403   403   403   403   403   403   403   403   200   403
POST /api/v1/incidents/<int:incident_id>/retry   401   403   403   403   403   403   403   403   403   404   403
# The case through the API: the same rule as the page.
GET  /api/v1/cases/<int:case_id>                 401   200   404   200   200   404   404   404   200   200   200
GET  /api/v1/cases/<int:case_id>/history         401   200   404   200   200   404   404   404   200   200   200
GET  /api/v1/cases/<int:case_id>/documents/<int:document_id>
                                                 401   200   404   200   200   404   404   404   200   200   200
# Recording a delivery through the API: as on the page (the 收件凭证 is not served: 403 to all who see the case).
POST /api/v1/cases/<int:case_id>/documents/<int:document_id>/service
                                                 401   403   404   403   403   404   404   404   403   403   403
# The window's task through the API: claim (then released again); release of an unclaimed task is refused to
# all who see the case; complete with an empty form: 422 for who may work it, nothing stored.
POST /api/v1/cases/<int:case_id>/tasks/<task_uuid>/claim
                                                 401   403   404   200   200   404   404   404   403   403   403
POST /api/v1/cases/<int:case_id>/tasks/<task_uuid>/release
                                                 401   403   404   403   403   404   404   404   403   403   403
POST /api/v1/cases/<int:case_id>/tasks/<task_uuid>/complete
                                                 401   404   404   422   422   404   404   404   403   403   403
# Legal time through the API: whoever sees the case reads its deadline record (the applicant too); only the
# deciding department's staff ask or start a 特别程序 (nobody here: 403 to all who see the case); request 0: 404.
GET  /api/v1/cases/<int:case_id>/deadlines       401   200   404   200   200   404   404   404   200   200   200
POST /api/v1/cases/<int:case_id>/extensions      401   403   404   403   403   404   404   404   403   403   403
POST /api/v1/cases/<int:case_id>/special-procedures
                                                 401   403   404   403   403   404   404   404   403   403   403
POST /api/v1/cases/<int:case_id>/special-procedures/end
                                                 401   403   404   403   403   404   404   404   403   403   403
GET  /api/v1/extensions                          401   200   200   200   200   200   200   200   200   200   200
GET  /api/v1/extensions/<int:request_id>         401   404   404   404   404   404   404   404   404   404   404
POST /api/v1/extensions/<int:request_id>/decision
                                                 401   404   404   404   404   404   404   404   404   404   404
"""

#: Once the window accepted the case it waits at 市场监管's review: the 市场监管 reviewer sees it now.
REVIEW_STAGE_GRID = """
#                                                anon  citiz enter windw fallb zj    scjg  desig audit admin super
GET  /cases/<int:case_id>                        login 200   404   200   200   404   200   404   200   200   200
GET  /cases/<int:case_id>/documents/<int:document_id>
                                                 login 200   404   200   200   404   200   404   200   200   200
GET  /files/<int:upload_id>                      login 200   404   200   200   404   200   404   200   200   200
GET  /cases/<int:case_id>/tasks/<task_uuid>      login 404   404   403   403   404   200   404   403   403   403
# The finished 收件审查: "already done" (409) to staff who see the case; the applicant never saw the window's step
# and gets the same 404 as the others.
GET  /cases/<int:case_id>/tasks/<rc_task_uuid>   login 404   404   409   409   404   409   404   409   409   409
GET  /api/v1/cases/<int:case_id>                 401   200   404   200   200   404   200   404   200   200   200
GET  /api/v1/cases/<int:case_id>/history         401   200   404   200   200   404   200   404   200   200   200
POST /api/v1/cases/<int:case_id>/tasks/<task_uuid>/complete
                                                 401   404   404   403   403   404   422   404   403   403   403
POST /api/v1/cases/<int:case_id>/tasks/<rc_task_uuid>/complete
                                                 401   404   404   409   409   404   409   404   409   409   409
# Accepted: 市场监管's reviewer is the deciding department's staff now; an empty request is refused for its reason.
GET  /cases/<int:case_id>/legal-time             login 403   403   200   200   404   200   404   200   200   200
POST /cases/<int:case_id>/extensions             login 403   403   403   403   404   422   404   403   403   403
GET  /api/v1/cases/<int:case_id>/deadlines       401   200   404   200   200   404   200   404   200   200   200
POST /api/v1/cases/<int:case_id>/extensions      401   403   404   403   403   404   422   404   403   403   403
"""


@dataclass(frozen=True)
class Request:
    """What the walk sends where a route needs more than its URL."""

    data: dict[str, Any] = field(default_factory=dict)  # form fields of a POST (the CSRF token is added)
    json: Any = None  # the JSON body of an API POST
    fresh: bool = False  # the request ends the session: use a throwaway sign-in
    undo: str = ""  # POSTed after a successful request to restore the prepared state


REQUESTS: dict[tuple[str, str], Request] = {
    ("POST", "/login"): Request({"username": "no-such-user", "password": "wrong-password-1"}),  # wrong: 401
    ("POST", "/register"): Request({}),  # an empty form: field errors, no account
    ("POST", "/logout"): Request(fresh=True),
    ("POST", "/account"): Request({"email": "not an address"}),
    ("POST", "/account/tokens"): Request({"name": "t"}),
    ("POST", "/window/walk-in"): Request({"matter": "food_business", "walk_in_name": "窗口来访者",
                                          "walk_in_id_type": "resident_id", "walk_in_id_number": "11010519491231002X",
                                          "walk_in_mobile": "13800138000"}),
    ("POST", "/cases/<int:case_id>/tasks/<task_uuid>"): Request({"action": "draft", "reception_note": "草稿"}),
    ("POST", "/cases/<int:case_id>/tasks/<task_uuid>/<action>"): Request(  # claim (签收), then release again
        undo="/cases/{case_id}/tasks/{task_uuid}/release"),
    ("POST", "/api/v1/matters/<code>/cases"): Request(json={}),
    ("POST", "/api/v1/cases/<int:case_id>/tasks/<task_uuid>/claim"): Request(
        undo="/api/v1/cases/{case_id}/tasks/{task_uuid}/release"),
    ("POST", "/api/v1/cases/<int:case_id>/tasks/<task_uuid>/complete"): Request(json={"data": {}}),
    ("POST", "/api/v1/cases/<int:case_id>/extensions"): Request(json={}),
    ("POST", "/api/v1/cases/<int:case_id>/special-procedures"): Request(json={}),
    ("POST", "/api/v1/cases/<int:case_id>/special-procedures/end"): Request(json={}),
    ("POST", "/api/v1/extensions/<int:request_id>/decision"): Request(json={"approve": True}),
    ("POST", "/api/v1/messages"): Request(json={"name": "no_such_message"}),
    ("POST", "/api/v1/incidents/<int:incident_id>/retry"): Request(json={"data": {}, "reason": "检查"}),
}


def parse_grid(grid: str) -> dict[tuple[str, str], dict[str, str]]:
    """``{(method, rule): {role: outcome}}`` from a grid; a row may wrap after a long rule."""
    table: dict[tuple[str, str], dict[str, str]] = {}
    cells: list[str] = []
    for line in grid.splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        cells += line.split()
        if len(cells) == 2 + len(ROLES):
            assert (cells[0], cells[1]) not in table, cells[:2]
            table[cells[0], cells[1]] = dict(zip(ROLES, cells[2:], strict=True))
            cells = []
    assert not cells, f"incomplete row {cells}"
    return table


POLICY = parse_grid(POLICY_GRID)


class Anonymous(User):
    """A browser that has opened the sign-in page (so it holds a CSRF token) but not signed in."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.username = ""
        self._token = ""
        self.client.get("/login")


def _person(app: Flask, role: str) -> User:
    username = ROLES[role]
    person = Anonymous(app) if username is None else User(app, username)
    # Failed sign-ins in the walk count against this address, not the one other tests use.
    person.client.environ_base["REMOTE_ADDR"] = f"10.1.0.{list(ROLES).index(role) + 1}"
    return person


def _outcome(response: Any) -> str:
    if response.status_code in (301, 302, 303):
        return "login" if urlsplit(response.location).path == "/login" else "go"
    return str(response.status_code)


def _case_number(html: str) -> str:
    return re.search(r'class="case-number">([0-9A-Z]{43})<', html).group(1)


def prepare_case(app: Flask) -> dict[str, Any]:
    """A food_business case of demo_citizen, application (with a PDF) submitted, waiting at rc_check."""
    citizen = User(app, "demo_citizen")
    started = citizen.post("/matters/food_business/apply")
    assert started.status_code == 302 and "/tasks/" in started.location
    done = citizen.submit(started.location, {**APPLICATION, "application_files": (io.BytesIO(PDF), "营业执照.pdf")},
                          content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)[:1000]
    case_id = int(started.location.split("/")[2])
    page = citizen.get(f"/cases/{case_id}").get_data(as_text=True)
    number = _case_number(page)
    task_link = User(app, "demo_window").task_link("/window", "rc_check", number)
    return {
        "code": "food_business", "key": "food_application", "action": "claim", "case_id": case_id, "number": number,
        "task_uuid": task_link.split("/")[-1],
        "document_id": int(re.search(rf'href="/cases/{case_id}/documents/(\d+)"', page).group(1)),
        "upload_id": int(re.search(r'href="/files/(\d+)"', page).group(1)),
        "incident_id": 0,  # no such incident: the grid checks the gate; tests/webapp/test_operations_pages the rest
        "request_id": 0,  # no such extension request: the grid checks the gate; test_legal_time_pages the rest
        # Administration: a post code, a staff account, an export format, a published file that does not exist.
        "kind": "post", "username": "demo_zj_cb", "fmt": "csv", "sha256": "0" * 16,
    }


@pytest.fixture(scope="module")
def case(web_app: Flask) -> dict[str, Any]:
    return prepare_case(web_app)


@pytest.fixture(scope="module")
def people(web_app: Flask) -> dict[str, User]:
    return {role: _person(web_app, role) for role in ROLES}


def _walk(app: Flask, people: dict[str, User], table: dict[tuple[str, str], dict[str, str]],
          ids: dict[str, Any]) -> list[str]:
    """Request every row as every role; the differences from the table, one line each."""
    wrong: list[str] = []
    for (method, rule), outcomes in table.items():
        request = REQUESTS.get((method, rule), Request())
        url = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule).format(**ids)
        for role, expected in outcomes.items():
            person = _person(app, role) if request.fresh else people[role]
            if url.startswith("/api/"):
                response = person.api(method, url, request.json)
            else:
                response = person.get(url) if method == "GET" else person.post(url, dict(request.data))
            got = _outcome(response)
            response.close()
            if got != expected:
                wrong.append(f"{method} {url} as {role}: expected {expected}, got {got}")
            if request.undo and got == "go":
                assert person.post(request.undo.format(**ids)).status_code == 302
            elif request.undo and got == "200":
                assert person.api("POST", request.undo.format(**ids)).status_code == 200
    return wrong


def test_every_route_has_a_policy_row(web_app: Flask) -> None:
    routes = {(method, rule.rule) for rule in web_app.url_map.iter_rules() if rule.endpoint != "static"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes - POLICY.keys() == set(), "new routes need a row in POLICY_GRID (who may open them?)"
    assert POLICY.keys() - routes == set(), "POLICY_GRID rows for routes that no longer exist"
    assert REQUESTS.keys() <= POLICY.keys()


def test_every_route_as_every_role(web_app: Flask, people: dict[str, User], case: dict[str, Any]) -> None:
    wrong = _walk(web_app, people, POLICY, case)
    assert wrong == [], "\n".join(wrong)


def test_department_sees_the_case_once_it_has_a_task_on_it(web_app: Flask, people: dict[str, User]) -> None:
    ids = prepare_case(web_app)
    clerk = User(web_app, "demo_window")
    link = f"/cases/{ids['case_id']}/tasks/{ids['task_uuid']}"
    assert clerk.post(f"{link}/claim").status_code == 302
    assert clerk.submit(link, {"reception_decision": "accept", "reception_note": "材料齐全"}).status_code == 302
    review = people["scjg"].task_link("/work", "review", ids["number"])
    wrong = _walk(web_app, people, parse_grid(REVIEW_STAGE_GRID),
                  {**ids, "rc_task_uuid": ids["task_uuid"], "task_uuid": review.split("/")[-1]})
    assert wrong == [], "\n".join(wrong)


def test_a_file_not_yet_on_a_case_is_only_its_uploaders(web_app: Flask, people: dict[str, User]) -> None:
    stored = store_upload(web_app.extensions["onewindow"], PDF + b"% unattached\n", "草稿附件.pdf",
                          Actor("demo_enterprise", groups=frozenset({"applicant"})))
    url = f"/files/{stored.id}"
    outcomes = {}
    for role in ROLES:
        response = people[role].get(url)
        outcomes[role] = _outcome(response)
        response.close()
    assert outcomes == {"anon": "login", "enterprise": "200",
                        **{role: "404" for role in ROLES if role not in ("anon", "enterprise")}}


def test_applicant_tasks_belong_to_the_applicant_or_the_filing_clerk(web_app: Flask,
                                                                    people: dict[str, User]) -> None:
    own = people["citizen"].post("/matters/food_business/apply").location
    assert _outcome(people["citizen"].get(own)) == "200"
    # An unsent application is a private draft: even the window sees no case yet (drafts are not cases).
    assert [_outcome(people[r].get(own)) for r in ("enterprise", "window", "fallback")] == ["404", "404", "404"]

    filed = people["window"].post("/matters/food_business/apply", {"applicant_username": "demo_citizen"}).location
    assert "/tasks/" in filed
    assert [_outcome(people[r].get(filed)) for r in ("window", "citizen", "fallback", "enterprise")] == \
        ["200", "200", "404", "404"]


def test_only_the_window_labels_a_case_as_entered_at_the_counter(people: dict[str, User]) -> None:
    citizen = people["citizen"]
    before = citizen.get("/my/cases").get_data(as_text=True)
    spoofed = citizen.post("/matters/food_business/apply", {"walk_in_name": "冒充窗口"})
    assert spoofed.status_code == 403
    assert citizen.get("/my/cases").get_data(as_text=True) == before
    assert citizen.post("/matters/food_business/apply", {"applicant_username": "demo_enterprise"}).status_code == 403
    window = people["window"]
    # The window's own walk-in (a complete identity) is a case it lists: the count below is never of
    # an empty list, whichever tests ran before this one in the module.
    filed = window.post("/window/walk-in", {"matter": "food_business", "walk_in_name": "来访者",
                                            "walk_in_id_type": "resident_id", "walk_in_id_number": "11010519491231002X",
                                            "walk_in_mobile": "13800138000"})
    assert filed.status_code == 302 and "/tasks/" in filed.location
    listed = window.get("/cases").get_data(as_text=True).count("data-case=")
    unknown = window.post("/matters/food_business/apply", {"applicant_username": "no_such_person"})
    assert unknown.status_code == 302 and urlsplit(unknown.location).path == "/window"
    assert "申请人账号“no_such_person”不存在" in window.get("/window").get_data(as_text=True)
    assert listed and window.get("/cases").get_data(as_text=True).count("data-case=") == listed  # none started


# -- CSRF ----------------------------------------------------------------------------------------


def test_post_without_or_with_a_wrong_csrf_token_is_refused(web_app: Flask, people: dict[str, User]) -> None:
    citizen = people["citizen"]
    before = citizen.get("/my/cases").get_data(as_text=True)
    missing = citizen.client.post("/matters/food_business/apply")
    assert missing.status_code == 400 and "CSRF" in missing.get_data(as_text=True)
    wrong = citizen.client.post("/matters/food_business/apply", data={"csrf_token": "x" * 43})
    assert wrong.status_code == 400
    header = citizen.client.post("/matters/food_business/apply", headers={"X-CSRF-Token": "forged"})
    assert header.status_code == 400
    assert citizen.get("/my/cases").get_data(as_text=True) == before  # no case was started

    # Another session's token is no good either, and a browser without a session has none.
    other = User(web_app, "demo_citizen")
    assert citizen.client.post("/matters/food_business/apply", data={"csrf_token": other.csrf}).status_code == 400
    assert web_app.test_client().post("/login", data={"username": "demo_citizen",
                                                      "password": "demo-1234"}).status_code == 400


# -- sign-in ------------------------------------------------------------------------------------


def test_too_many_wrong_passwords_lock_the_account(web_app: Flask) -> None:
    password = "lockout-test-2025"
    register_applicant(web_app.extensions["onewindow"], {
        "username": "lockout_probe", "display_name": "限流测试", "kind": "citizen", "id_number": "11010519491231002X",
        "mobile": "13800138000", "password": password, "password_confirm": password})
    browser = Anonymous(web_app)
    browser.client.environ_base["REMOTE_ADDR"] = "10.2.0.1"
    for _ in range(5):
        response = browser.post("/login", {"username": "lockout_probe", "password": "wrong-password-9"})
        assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)
    refused = browser.post("/login", {"username": "lockout_probe", "password": password})
    assert refused.status_code == 401 and "登录失败次数过多" in refused.get_data(as_text=True)
    # Also from another address: the limit is per account.
    elsewhere = Anonymous(web_app)
    elsewhere.client.environ_base["REMOTE_ADDR"] = "10.2.0.2"
    assert "登录失败次数过多" in elsewhere.post("/login", {"username": "lockout_probe", "password": password}).get_data(
        as_text=True)


def _as_a_browser_reads_it(location: str) -> Any:
    """Browsers drop tabs and newlines from a URL and read a backslash as a slash."""
    return urlsplit(re.sub(r"[\t\r\n]", "", location).replace("\\", "/"))


def test_sign_in_goes_only_to_local_pages(web_app: Flask) -> None:
    page = web_app.test_client().get("/login?next=https://evil.example/").get_data(as_text=True)
    assert 'value="https://evil.example/"' in page  # carried in the form, but never followed:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "/\t/evil.example/",
                   "\\\\evil.example/", "/\n/evil.example/", "javascript:alert(1)",
                   "/\r\nSet-Cookie: x=1", "/%09/evil.example/"):
        browser = Anonymous(web_app)
        response = browser.post("/login", {"username": "demo_citizen", "password": "demo-1234", "next": target})
        assert response.status_code == 302 and "\n" not in response.location, (target, response.location)
        location = _as_a_browser_reads_it(response.location)
        assert not location.scheme and not location.netloc, (target, response.location)
    browser = Anonymous(web_app)
    response = browser.post("/login", {"username": "demo_citizen", "password": "demo-1234", "next": "/my/cases?x=1"})
    assert response.location == "/my/cases?x=1"


def test_signing_out_ends_the_session(web_app: Flask) -> None:
    citizen = User(web_app, "demo_citizen")
    assert citizen.get("/my/cases").status_code == 200
    assert citizen.post("/logout").status_code == 302
    assert _outcome(citizen.get("/my/cases")) == "login"
    assert citizen.csrf == ""  # the old CSRF token went with the session


def test_a_signed_out_session_cookie_no_longer_signs_in(web_app: Flask) -> None:
    citizen = User(web_app, "demo_citizen")
    cookie = citizen.client.get_cookie("session")
    assert cookie is not None and citizen.get("/my/cases").status_code == 200
    assert citizen.post("/logout").status_code == 302

    replay = web_app.test_client()  # someone who kept a copy of the cookie from before the sign-out
    replay.set_cookie("session", cookie.value)
    assert _outcome(replay.get("/my/cases")) == "login"


def test_sign_in_starts_a_new_session(web_app: Flask) -> None:
    browser = Anonymous(web_app)
    before = browser.csrf
    assert browser.post("/login", {"username": "demo_citizen", "password": "demo-1234"}).status_code == 302
    assert browser.csrf and browser.csrf != before  # no session fixation: the old token is gone


# -- headers ------------------------------------------------------------------------------------


def test_security_headers_on_every_kind_of_response(web_app: Flask, people: dict[str, User],
                                                    case: dict[str, Any]) -> None:
    citizen = people["citizen"]
    responses = [web_app.test_client().get("/"), web_app.test_client().get("/no-such-page"),
                 web_app.test_client().get("/my/cases"), citizen.get(f"/cases/{case['case_id']}"),
                 citizen.get(f"/files/{case['upload_id']}"),
                 citizen.get(f"/cases/{case['case_id']}/documents/{case['document_id']}")]
    for response in responses:
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp, response.request.path
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN")
        assert headers.get("X-Content-Type-Options") == "nosniff"
        response.close()
    cookie = citizen.client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
