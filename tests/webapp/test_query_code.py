"""办件查询 through the pages: a walk-in applicant without an account, with the 查询码 printed on their receipt.

The clerk files at the counter with the applicant's identity; the applicant (an anonymous browser)
opens the case with the code and their mobile, supplements it, and sees nothing else; the clerk's
attempt to rate for them is refused by the server.
"""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask

from engine.actors import Actor
from engine.services import tasks
from engine.services.parties import walk_in_of_case
from tests.readback import get_case
from tests.webapp.conftest import PDF
from tests.webapp.conftest import User
from tests.webapp.test_access import Anonymous
from tests.webapp.test_journey import APPLICATION

IDENTITY = {"walk_in_name": "王小明", "walk_in_id_type": "resident_id", "walk_in_id_number": "11010519491231002X",
            "walk_in_mobile": "13800138000"}


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _walk_in_case(app: Flask) -> tuple[User, int, str]:
    """The clerk files and submits for 王小明; (clerk, case id, the 查询码 as printed on the 收件凭证)."""
    clerk = User(app, "demo_window")
    started = clerk.post("/window/walk-in", {"matter": "food_business", **IDENTITY})
    assert started.status_code == 302 and "/tasks/" in started.location, _text(started)[:500]
    case_id = int(started.location.split("/")[2])
    assert clerk.submit(started.location, APPLICATION).status_code == 302
    page = _text(clerk.get(f"/cases/{case_id}"))
    receipt = re.search(rf'href="(/cases/{case_id}/documents/\d+)"[^>]*>收件凭证<', page)[1]
    code = re.search(r'data-query-code="([0-9A-Z]+)"', _text(clerk.get(receipt)))[1]
    assert walk_in_of_case(app.extensions["onewindow"], case_id).query_code == code
    return clerk, case_id, code


def _visitor(app: Flask, address: str) -> Anonymous:
    visitor = Anonymous(app)
    visitor.client.environ_base["REMOTE_ADDR"] = address
    visitor.get("/query")
    return visitor


def test_the_window_refuses_a_walk_in_without_a_valid_identity(web_app: Flask) -> None:
    clerk = User(web_app, "demo_window")
    refused = clerk.post("/window/walk-in", {"matter": "food_business", **IDENTITY, "walk_in_mobile": "123"})
    assert refused.status_code == 302 and refused.location.endswith("/window")
    assert "手机号码格式不正确" in _text(clerk.get("/window"))


def test_a_walk_in_applicant_follows_and_supplements_with_the_query_code(web_app: Flask) -> None:
    clerk, case_id, code = _walk_in_case(web_app)
    check = clerk.task_link("/window", "rc_check", get_case(web_app.extensions["onewindow"], case_id).case_number)
    supplement = {"reception_decision": "supplement", "missing_items": "营业执照复印件"}
    assert clerk.submit(check, supplement).status_code == 302

    visitor = _visitor(web_app, "10.9.0.1")
    wrong = visitor.post("/query", {"query_code": code, "identity": "13900000000"})
    assert wrong.status_code == 401 and "不正确" in _text(wrong)
    assert visitor.get("/query/case").status_code == 302  # no grant: back to the look-up
    opened = visitor.post("/query", {"query_code": code.lower(), "identity": "13800138000"})
    assert opened.status_code == 302 and opened.location.endswith("/query/case")
    page = _text(visitor.get("/query/case"))
    assert 'data-audience="applicant"' in page and "补正材料通知书" in page and "王小明" in page
    link = re.search(r'href="(/query/tasks/[^"]+)"', page)[1]
    assert "营业执照复印件" in _text(visitor.get(link))
    sent = visitor.post(link, {"action": "submit", "supplement_files": (io.BytesIO(PDF), "营业执照复印件.pdf")},
                        content_type="multipart/form-data")
    assert sent.status_code == 302 and sent.location.endswith("/query/case")
    assert [t.element_id for t in get_case(web_app.extensions["onewindow"], case_id).open_tasks] == ["rc_check"]
    # The grant is for this case as its applicant: the staff pages and other cases stay closed.
    assert visitor.get(f"/cases/{case_id}").status_code == 302  # sign-in required
    notice = re.search(r'href="(/query/documents/\d+)"', page)[1]
    assert visitor.get(notice).status_code == 200
    assert visitor.get("/query/documents/987654").status_code == 404
    assert visitor.post("/query/end").status_code == 302 and visitor.get("/query/case").status_code == 302


def test_the_look_up_is_rate_limited(web_app: Flask) -> None:
    _clerk, _case_id, code = _walk_in_case(web_app)
    guesser = _visitor(web_app, "10.9.0.2")
    for n in range(10):
        assert guesser.post("/query", {"query_code": f"GUESS{n:05d}", "identity": "13800138000"}).status_code == 401
    locked = guesser.post("/query", {"query_code": code, "identity": "13800138000"})
    assert locked.status_code == 429 and "次数过多" in _text(locked)


def test_the_clerk_cannot_rate_for_the_walk_in_applicant(web_app: Flask) -> None:
    clerk, case_id, code = _walk_in_case(web_app)
    ctx = web_app.extensions["onewindow"]
    steps = (("rc_check", "window_clerk", {"reception_decision": "accept", "reception_note": "材料齐全"}),
             ("review", "scjg_review", {"review_result": "pass", "review_note": "材料符合要求，现场核查符合",
                                        "site_check_result": "conforming", "site_inspectors": "李明、赵强",
                                        "site_check_date": "2025-09-26"}),
             ("approve", "scjg_chief", {"decision": "grant", "decision_reason": "符合食品经营许可条件，准予许可"}),
             ("dl_pickup", "window_clerk", {"picked_up_by": "王小明", "pickup_id_number": "11010519491231002X"}))
    for element, group, values in steps:
        task = next(t for t in get_case(ctx, case_id).open_tasks if t.element_id == element)
        tasks.complete_task(ctx, case_id, task.task_uuid, values, Actor(f"u_{group}", groups=frozenset({group})))
    rating = next(t for t in get_case(ctx, case_id).open_tasks if t.element_id == "dl_rating")
    assert f'data-task="{rating.task_uuid}"' not in _text(clerk.get(f"/cases/{case_id}"))  # not offered to the clerk
    refused = clerk.submit(f"/cases/{case_id}/tasks/{rating.task_uuid}", {"rating": "very_satisfied"})
    assert refused.status_code == 403 and "须由申请人本人" in _text(refused)
    api = clerk.api("POST", f"/api/v1/cases/{case_id}/tasks/{rating.task_uuid}/complete",
                    {"data": {"rating": "very_satisfied"}})
    assert api.status_code == 403
    visitor = _visitor(web_app, "10.9.0.3")
    assert visitor.post("/query", {"query_code": code, "identity": "11010519491231002x"}).status_code == 302
    rated = visitor.post(f"/query/tasks/{rating.task_uuid}", {"action": "submit", "rating": "satisfied"})
    assert rated.status_code == 302
    assert get_case(ctx, case_id, with_data=False).status == "completed"
