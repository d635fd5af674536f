"""One projection per role through every door: pages, REST API and downloads show the applicant the same case,
and a department's internal note never reaches the applicant by any of them.
"""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

import pytest
from flask import Flask

from engine.actors import Actor
from engine.persistence.repositories.uploads import attach_uploads
from engine.policy.projection import masked_case_number
from engine.runtime.case import CaseRuntime
from engine.services.uploads import store_upload
from engine.state_names import DRAFT_NUMBER_LABEL
from tests.webapp.conftest import PDF
from tests.webapp.conftest import User
from tests.webapp.test_journey import APPLICATION

#: A reviewer's opinion, the window's remark and a department's working file: internal, never the applicant's.
REVIEW_NOTE = "内部意见：经营者疑似关联企业，建议暗访核实-7F3A"
RECEPTION_NOTE = "窗口备注：申请人情绪激动，注意接待-Q2"
SITE_INSPECTORS = "暗访组甲、暗访组乙-K9"
WORKING_FILE = PDF + "% 审查底稿：暗访记录-Z5\n".encode()
INTERNAL = (REVIEW_NOTE, RECEPTION_NOTE, SITE_INSPECTORS, "暗访记录-Z5")
#: Data keys only the staff set (the department's forms, the gateway); the applicant's data never has them.
STAFF_KEYS = {"review_note", "review_result", "site_inspectors", "reception_note", "reception_decision", "decision"}


@pytest.fixture(scope="module")
def granted(web_app: Flask) -> dict[str, Any]:
    """A food licence granted and picked up, waiting for the applicant's rating, with internal notes planted."""
    citizen = User(web_app, "demo_citizen")
    started = citizen.post("/matters/food_business/apply")
    done = citizen.submit(started.location, {**APPLICATION, "application_files": (io.BytesIO(PDF), "营业执照.pdf")},
                          content_type="multipart/form-data")
    assert done.status_code == 302
    case_id = int(started.location.split("/")[2])
    number = re.search(r'class="case-number">(\w{43})<', citizen.get(f"/cases/{case_id}").get_data(as_text=True))[1]

    clerk = User(web_app, "demo_window")
    link = clerk.task_link("/window", "rc_check", number)
    assert clerk.post(f"{link}/claim").status_code == 302
    assert clerk.submit(link, {"reception_decision": "accept", "reception_note": RECEPTION_NOTE}).status_code == 302
    reviewer = User(web_app, "demo_scjg_review")
    link = reviewer.task_link("/work", "review", number)
    opinion = {"review_result": "pass", "review_note": REVIEW_NOTE, "site_check_result": "conforming",
               "site_inspectors": SITE_INSPECTORS, "site_check_date": "2025-09-26"}
    assert reviewer.submit(link, opinion).status_code == 302
    chief = User(web_app, "demo_scjg_chief")
    assert chief.submit(chief.task_link("/work", "approve", number),
                        {"decision": "grant", "decision_reason": "符合条件"}).status_code == 302
    assert clerk.submit(clerk.task_link("/window", "dl_pickup", number),
                        {"picked_up_by": "王小明", "pickup_id_number": "11010519491231002X"}).status_code == 302

    ctx = web_app.extensions["onewindow"]
    department = Actor("demo_scjg_review", groups=frozenset({"scjg_review"}))
    working = store_upload(ctx, WORKING_FILE, "审查底稿.pdf", department)
    with ctx.uow() as uow:  # a department's working paper, attached to the case
        attach_uploads(uow, case_id, [working.id], "demo_scjg_review")
        uow.commit()
    page = citizen.get(f"/cases/{case_id}").get_data(as_text=True)
    rating = re.search(r'data-task="([^"]+)"', page)[1]
    return {"case_id": case_id, "number": number, "rating": rating, "working_file": working.id}


def _ids(web_app: Flask, granted: dict[str, Any]) -> dict[str, list[Any]]:
    """Every id a route of the app can take for this case (staff tasks and files included)."""
    reviewer = User(web_app, "demo_scjg_review")
    body = reviewer.api("GET", f"/api/v1/cases/{granted['case_id']}").get_json()
    history = reviewer.api("GET", f"/api/v1/cases/{granted['case_id']}/history").get_json()["items"]
    uploads = {ref["id"] for s in body["submissions"] for value in s["values"].values() if isinstance(value, list)
               for ref in value if isinstance(ref, dict) and "id" in ref}
    return {"case_id": [granted["case_id"]], "document_id": [d["id"] for d in body["documents"]],
            "task_uuid": sorted({h["task_uuid"] for h in history if h["task_uuid"]}),
            "upload_id": sorted(uploads | {granted["working_file"]}), "code": ["food_business"],
            "key": ["review_opinion"], "request_id": [0],  # an extension's reason is the applicant's to read anyway
            "incident_id": [0],  # the operations console: refused to the applicant
            # Administration pages (refused to the applicant) and a published catalogue file.
            "kind": ["post"], "username": ["demo_zj_cb"], "fmt": ["csv"], "sha256": ["0" * 16]}


def _every_get(web_app: Flask, ids: dict[str, list[Any]]) -> list[str]:
    urls = []
    for rule in web_app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for values in itertools.product(*(ids[name] for name in names)):
            urls.append(template.format(**dict(zip(names, values, strict=True))))
    return urls


def _text(response: Any) -> str:
    return response.get_data().decode("utf-8", errors="replace")


def test_internal_notes_reach_the_staff(web_app: Flask, granted: dict[str, Any]) -> None:
    """The control: the planted notes are there to be found, so the applicant's search below can fail."""
    reviewer = User(web_app, "demo_scjg_review")
    page = _text(reviewer.get(f"/cases/{granted['case_id']}"))
    api = _text(reviewer.api("GET", f"/api/v1/cases/{granted['case_id']}"))
    history = _text(reviewer.api("GET", f"/api/v1/cases/{granted['case_id']}/history"))
    for note in (REVIEW_NOTE, RECEPTION_NOTE, SITE_INSPECTORS):
        assert note in page and note in api and note in history, note
    download = reviewer.get(f"/files/{granted['working_file']}")
    assert download.data == WORKING_FILE
    download.close()


def test_no_door_shows_the_applicant_an_internal_note(web_app: Flask, granted: dict[str, Any]) -> None:
    citizen = User(web_app, "demo_citizen")
    case_id = granted["case_id"]
    urls = _every_get(web_app, _ids(web_app, granted))
    assert len(urls) > 60
    seen: dict[str, int] = {}
    for url in urls:
        response = citizen.api("GET", url) if url.startswith("/api/") else citizen.get(url, follow_redirects=True)
        seen[url] = response.status_code
        body = _text(response)
        response.close()
        leaked = [note for note in INTERNAL if note in body]
        assert leaked == [], f"{url} ({response.status_code}) shows the applicant {leaked}"
    # The doors the applicant does use answered (so the search looked at real pages, not only refusals) ...
    for url in (f"/cases/{case_id}", f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/history",
                f"/cases/{case_id}/tasks/{granted['rating']}", "/my/cases", "/api/v1/cases", "/api/v1/tasks"):
        assert seen[url] == 200, url
    assert all(seen[f"/cases/{case_id}/documents/{d}"] == 200 for d in _ids(web_app, granted)["document_id"])
    # ... and the department's working file is not the applicant's to download.
    assert seen[f"/files/{granted['working_file']}"] == 404

    # Submitting through either door answers with the applicant's projection too.
    answer = citizen.api("POST", f"/api/v1/cases/{case_id}/tasks/{granted['rating']}/complete",
                         {"data": {"rating": "very_satisfied"}})
    assert answer.status_code == 200, answer.get_json()
    assert not [note for note in INTERNAL if note in _text(answer)]
    body = answer.get_json()
    assert body["audience"] == "applicant" and not STAFF_KEYS & set(body["data"])
    final = _text(citizen.get(f"/cases/{case_id}"))
    assert "办结（通过）" in final and not [note for note in INTERNAL if note in final]


def _page_facts(html: str) -> dict[str, Any]:
    """What the case page shows, read from the panel's data-* marks."""
    def field(name: str) -> str:
        return re.sub(r"<[^>]+>", "", re.search(rf'data-field="{name}"[^>]*>(.*?)</td>', html, re.S)[1]).strip()

    deadlines = re.search(r'data-field="deadlines" data-promised="([^"]*)" data-statutory="([^"]*)"', html)
    return {
        "case_number": field("case_number"), "matter_name": field("matter_name"), "status_name": field("status_name"),
        "current_steps": field("current_steps"), "deadlines": (deadlines[1], deadlines[2]),
        "documents": [int(d) for d in re.findall(r'data-document="(\d+)"', html)],
        "submissions": [(int(seq), keys.split()) for seq, keys in
                        re.findall(r'data-submission="(\d+)" data-keys="([^"]*)"', html)],
        "timeline": [(int(seq), kind) for seq, kind in re.findall(r'data-event="(\d+)" data-type="(\w+)"', html)],
        "workable": re.findall(r'class="button primary" data-task="([^"]+)"', html),
    }


def _api_facts(body: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    deadlines = body["deadlines"]
    return {
        "case_number": body["case_number"] or DRAFT_NUMBER_LABEL, "matter_name": body["matter_name"],
        "status_name": body["status_name"],
        "current_steps": "、".join(body["current_steps"]) or "—",
        "deadlines": (deadlines["promised_due"], deadlines["statutory_due"]) if deadlines else ("", ""),
        "documents": [d["id"] for d in body["documents"]],
        "submissions": [(s["seq"], sorted(s["values"])) for s in body["submissions"]],
        "timeline": [(e["seq"], e["event_type"]) for e in history],
        "workable": body["workable"],
    }


@pytest.mark.parametrize("stage", ["applied", "accepted"])
def test_the_page_and_the_api_show_the_applicant_the_same_case(web_app: Flask, stage: str) -> None:
    citizen, clerk = User(web_app, "demo_citizen"), User(web_app, "demo_window")
    started = citizen.post("/matters/food_business/apply")
    case_id = int(started.location.split("/")[2])
    if stage == "accepted":
        assert citizen.submit(started.location, APPLICATION).status_code == 302
        number = re.search(r'class="case-number">(\w{43})<', _text(citizen.get(f"/cases/{case_id}")))[1]
        link = clerk.task_link("/window", "rc_check", number)
        assert clerk.submit(link, {"reception_decision": "accept", "reception_note": RECEPTION_NOTE}).status_code == 302

    page = _page_facts(_text(citizen.get(f"/cases/{case_id}")))
    body = citizen.api("GET", f"/api/v1/cases/{case_id}").get_json()
    history = citizen.api("GET", f"/api/v1/cases/{case_id}/history").get_json()
    assert history["audience"] == body["audience"] == "applicant"
    assert _api_facts(body, history["items"]) == page
    assert [(e["seq"], e["event_type"]) for e in body["timeline"]] == page["timeline"]
    # Every datum the API hands the applicant is one the page shows in the applicant's own submissions.
    shown = {key for _seq, keys in page["submissions"] for key in keys} | {"case_number"}
    assert set(body["data"]) <= shown and not STAFF_KEYS & set(body["data"])
    assert [t["task_uuid"] for t in body["open_tasks"]] == page["workable"]
    if stage == "applied":
        assert page["workable"] and page["submissions"] == []  # the application form is still to fill in
    else:
        assert page["workable"] == [] and [kind for _seq, kind in page["timeline"]].count("status_changed") >= 2


def test_access_checks_never_restore_a_workflow(web_app: Flask, granted: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    restores: list[int] = []
    original = CaseRuntime.restore.__func__  # type: ignore[attr-defined]

    def counting(cls, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        restores.append(1)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(CaseRuntime, "restore", classmethod(counting))
    web_app.extensions["onewindow"]._workflows.clear()  # nothing cached: a restore would show
    case_id = granted["case_id"]
    citizen, stranger = User(web_app, "demo_citizen"), User(web_app, "demo_enterprise")
    for url in (f"/cases/{case_id}", f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/history",
                f"/files/{granted['working_file']}"):
        for person in (citizen, stranger):
            (person.api("GET", url) if url.startswith("/api/") else person.get(url)).close()
    other = User(web_app, "demo_zj_cb")
    assert other.api("POST", f"/api/v1/cases/{case_id}/tasks/{granted['rating']}/claim").status_code == 404
    assert restores == []


def test_the_public_board_shows_a_running_case_masked(web_app: Flask) -> None:
    citizen = User(web_app, "demo_citizen")
    started = citizen.post("/matters/food_business/apply")
    assert citizen.submit(started.location, APPLICATION).status_code == 302
    number = re.search(r'class="case-number">(\w{43})<', _text(citizen.get(started.location.rsplit("/tasks", 1)[0])))[1]
    html = _text(web_app.test_client().get("/board"))
    assert masked_case_number(number) in html and number not in html
    assert APPLICATION["operator_name"] not in html and "demo_citizen" not in html  # no applicant, no title
