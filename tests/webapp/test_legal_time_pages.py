"""Legal time through the pages and the API: China time on every staff page, the stored deadline on the
legal-time page, an extension asked by 市场监管's reviewer and approved by its head only, 特别程序.

The case is handed in at 23:30 China time on Friday 2025-09-26 (15:30 UTC): every page must date it
09-26 23:30, and the acceptance, after the hall's closing time, counts from the next working day.
"""

from __future__ import annotations

import io
import re
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from tests.webapp.conftest import PDF
from tests.webapp.conftest import User
from tests.webapp.test_api import ApiClient
from tests.webapp.test_journey import APPLICATION

HANDED_IN = datetime(2025, 9, 26, 15, 30, tzinfo=UTC)  # 23:30 China time


def _case_number(html: str) -> str:
    return re.search(r'class="case-number">(\d{8}[0-9A-Z]{23}\d{12})<', html).group(1)


@pytest.fixture(scope="module")
def accepted(web_app: Flask) -> dict[str, Any]:
    """A food_business case handed in at 23:30, accepted by the window the next working day at 10:00."""
    clock = web_app.extensions["onewindow"].clock
    clock.set(HANDED_IN)
    citizen = User(web_app, "demo_citizen")
    started = citizen.post("/matters/food_business/apply")
    done = citizen.submit(started.location, {**APPLICATION, "application_files": (io.BytesIO(PDF), "执照.pdf")},
                          content_type="multipart/form-data")
    assert done.status_code == 302
    case_id = int(started.location.split("/")[2])
    number = _case_number(citizen.get(f"/cases/{case_id}").get_data(as_text=True))
    clerk = User(web_app, "demo_window")
    window_page = clerk.get("/window").get_data(as_text=True)
    row = re.search(rf'data-case="{number}".*?</tr>', window_page, re.S).group(0)
    link = clerk.task_link("/window", "rc_check", number)
    clock.set(datetime(2025, 9, 28, 2, 0, tzinfo=UTC))  # Sun 09-28 10:00, a make-up working day
    clerk = User(web_app, "demo_window")  # yesterday's sign-in has expired
    assert clerk.submit(link, {"reception_decision": "accept"}).status_code == 302
    return {"case_id": case_id, "number": number, "window_row": row}


def test_staff_pages_show_china_time(web_app: Flask, accepted: dict[str, Any]) -> None:
    assert "09-26 23:30" in accepted["window_row"] and "15:30" not in accepted["window_row"]
    reviewer = User(web_app, "demo_scjg_review")
    worklist = reviewer.get("/work").get_data(as_text=True)
    row = re.search(rf'data-case="{accepted["number"]}".*?</tr>', worklist, re.S).group(0)
    assert "09-28 10:00" in row and "02:00" not in row  # 到达时间 of the review task
    case_page = reviewer.get(f"/cases/{accepted['case_id']}").get_data(as_text=True)
    assert "2025-09-26 23:30" in case_page and "2025-09-26 15:30" not in case_page  # the submitted application
    audit = User(web_app, "demo_auditor").get(f"/audit/cases/{accepted['case_id']}").get_data(as_text=True)
    assert "2025-09-26 23:30:00" in audit and "2025-09-26 15:30:00" not in audit
    api_case = ApiClient(web_app, "demo_window").get(f"/cases/{accepted['case_id']}").get_json()
    assert api_case["received_at"] == "2025-09-26T23:30:00+08:00"


def test_the_legal_time_page_shows_the_stored_record(web_app: Flask, accepted: dict[str, Any]) -> None:
    page = User(web_app, "demo_window").get(f"/cases/{accepted['case_id']}/legal-time").get_data(as_text=True)
    # Accepted Sun 09-28 (a working day) at 10:00: counted from 09-29; 5 working days -> Sat 10-11 (调休), 10 -> 10-17.
    assert re.search(r'class="accepted-on">2025-09-28', page)
    assert "2025-10-11" in page and "2025-10-17" in page
    api = ApiClient(web_app, "demo_window").get(f"/cases/{accepted['case_id']}/deadlines").get_json()
    assert api["deadlines"]["accepted_on"] == "2025-09-28" and api["deadlines"]["statutory_due"] == "2025-10-17"
    assert api["records"][0]["acceptance_mode"] == "normal"


def test_an_extension_is_asked_with_reasons_and_approved_only_by_the_deciding_head(
        web_app: Flask, accepted: dict[str, Any]) -> None:
    case_id = accepted["case_id"]
    reviewer = User(web_app, "demo_scjg_review")
    page = reviewer.get(f"/cases/{case_id}/legal-time").get_data(as_text=True)
    assert 'id="extension-form"' in page
    refused = reviewer.post(f"/cases/{case_id}/extensions", {"days": "5", "reason": "延期"})
    assert refused.status_code == 422 and "请写明理由" in refused.get_data(as_text=True)
    made = reviewer.post(f"/cases/{case_id}/extensions", {"days": "5", "reason": "需对冷食类加工区补充现场核查"})
    assert made.status_code == 302
    request_id = int(re.search(r'data-request="(\d+)"', reviewer.get(made.location).get_data(as_text=True)).group(1))

    for username in ("demo_scjg_chief", "demo_supervisor", "demo_admin", "demo_ws_fzr"):
        response = User(web_app, username).post(f"/extensions/{request_id}/decision", {"decision": "approve"})
        assert response.status_code in (403, 404), username  # a head of another department does not see it
    head = User(web_app, "demo_scjg_fzr")
    assert f'data-request="{request_id}"' in head.get("/work").get_data(as_text=True)
    form = head.get(f"/extensions/{request_id}").get_data(as_text=True)
    assert 'id="decision-form"' in form and "需对冷食类加工区补充现场核查" in form
    assert head.post(f"/extensions/{request_id}/decision", {"decision": "approve", "note": "同意"}).status_code == 302
    after = User(web_app, "demo_window").get(f"/cases/{case_id}/legal-time").get_data(as_text=True)
    assert re.search(r'class="statutory-due"><span class="due[^"]*">2025-10-24<', after)  # 10-17 + 5 working days
    case_page = User(web_app, "demo_citizen").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "延长办理期限告知书" in case_page  # the applicant is told
    # The applicant reads the extension and its reason, not which staff asked and approved it.
    own = ApiClient(web_app, "demo_citizen").get(f"/cases/{case_id}/deadlines").get_json()
    [told] = own["extension_requests"]
    assert (told["reason"], told["requested_by"], told["decided_by"]) == ("需对冷食类加工区补充现场核查", "", None)
    [extension] = own["records"][0]["extensions"]
    assert extension["days"] == 5 and extension["approved_by"] == "" and extension["requested_by"] == ""


def test_the_api_asks_and_decides_extensions_and_runs_special_procedures(web_app: Flask) -> None:
    ctx = web_app.extensions["onewindow"]
    ctx.clock.set(datetime(2025, 10, 9, 2, 0, tzinfo=UTC))
    citizen, clerk = ApiClient(web_app, "demo_citizen"), ApiClient(web_app, "demo_window")
    case = citizen.post("/matters/food_business/cases").get_json()
    apply = next(t for t in case["open_tasks"] if t["element_id"] == "apply")
    assert citizen.post(f"/cases/{case['id']}/tasks/{apply['task_uuid']}/complete",
                        {"data": APPLICATION}).status_code == 200
    check = next(t for t in clerk.get(f"/cases/{case['id']}").get_json()["open_tasks"])
    assert clerk.post(f"/cases/{case['id']}/tasks/{check['task_uuid']}/complete",
                      {"data": {"reception_decision": "accept"}}).status_code == 200
    reviewer, head = ApiClient(web_app, "demo_scjg_review"), ApiClient(web_app, "demo_scjg_fzr")
    assert reviewer.post(f"/cases/{case['id']}/extensions", {"days": 3}).status_code == 422
    assert clerk.post(f"/cases/{case['id']}/extensions", {"days": 3, "reason": "需补充核查"}).status_code == 403
    made = reviewer.post(f"/cases/{case['id']}/extensions", {"days": 3, "reason": "需补充现场核查"})
    assert made.status_code == 201, made.get_json()
    request_id = made.get_json()["id"]
    assert made.headers["Location"].endswith(f"/extensions/{request_id}")
    assert [r["id"] for r in head.get("/extensions").get_json()["items"]] == [request_id]
    assert ApiClient(web_app, "demo_admin").post(f"/extensions/{request_id}/decision",
                                                 {"approve": True}).status_code == 403
    assert head.post(f"/extensions/{request_id}/decision", {"approve": "maybe"}).status_code == 400
    decided = head.post(f"/extensions/{request_id}/decision", {"approve": True, "note": "同意"})
    assert decided.status_code == 200 and decided.get_json()["status"] == "approved"
    deadlines = clerk.get(f"/cases/{case['id']}/deadlines").get_json()["deadlines"]
    assert deadlines["extension_wd"] == 3
    # 食品经营许可 names no 特别程序: refused with the field's reason, nothing paused.
    started = reviewer.post(f"/cases/{case['id']}/special-procedures",
                            {"kind": "检测", "reason": "送检样品", "expected_days": 3})
    assert started.status_code == 422 and "kind" in started.get_json()["errors"]
    assert clerk.get(f"/cases/{case['id']}/deadlines").get_json()["deadlines"]["is_paused"] is False
