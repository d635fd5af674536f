"""The auditor's pages (/audit): every case, the recorded history with replay, tamper checks, heatmaps, exports.

One finished food_business case is driven through the services by the demo accounts, a second one is left
waiting at the department's review. The pages must show what the history recorded (forms as submitted,
document hashes), rebuild earlier moments from the history alone, name a tampered row, and stay read-only
and closed to everyone but auditors and administrators.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import warnings
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from engine.actors import Actor
from engine.services import tasks
from engine.services.accounts import actor_for
from engine.services.cases import case_documents
from engine.services.cases import case_history
from engine.services.cases import start_case
from engine.services.context import EngineContext
from tests.readback import get_case

APPLICATION = {  # as the browser posts it: numbers still strings
    "operator_name": "秦淮区老张面馆", "uscc": "91320100MA1M11110A", "legal_representative": "张老三",
    "premises_address": "南京市秦淮区中华路8号", "business_items": ["hot_food", "cold_food"],
    "premises_area_m2": "80", "contact_mobile": "13800138000", "delivery_method": "window",
}
STEPS = [  # (element, demo account, submitted values)
    ("apply", "demo_citizen", APPLICATION),
    ("rc_check", "demo_window", {"reception_decision": "accept", "reception_note": "材料齐全"}),
    ("review", "demo_scjg_review", {"review_result": "pass", "review_note": "现场核查符合要求",
                                    "site_check_result": "conforming", "site_inspectors": "李明、赵强",
                                    "site_check_date": "2025-09-26"}),
    ("approve", "demo_scjg_chief", {"decision": "grant", "decision_reason": "符合食品经营许可条件"}),
    ("dl_pickup", "demo_window", {"picked_up_by": "张老三", "pickup_id_number": "11010519491231002X"}),
    ("dl_rating", "demo_citizen", {"rating": "satisfied", "rating_comment": "办事很快"}),
]


def _actor(ctx: EngineContext, username: str) -> Actor:
    actor = actor_for(ctx, username)
    assert actor is not None
    return actor


def _drive(ctx: EngineContext, steps: list[tuple[str, str, dict[str, Any]]]) -> int:
    case = start_case(ctx, "food_business", _actor(ctx, "demo_citizen"), {})
    for element, username, values in steps:
        task = next(t for t in get_case(ctx, case.id, with_data=False).open_tasks if t.element_id == element)
        tasks.complete_task(ctx, case.id, task.task_uuid, dict(values), _actor(ctx, username))
    return case.id


@pytest.fixture(scope="module")
def cases(web_app: Flask) -> dict[str, int]:
    ctx = web_app.extensions["onewindow"]
    finished = _drive(ctx, STEPS)
    assert get_case(ctx, finished, with_data=False).status == "completed"
    waiting = _drive(ctx, STEPS[:2])
    assert [t.element_id for t in get_case(ctx, waiting, with_data=False).open_tasks] == ["review"]
    return {"finished": finished, "waiting": waiting}


@pytest.fixture
def auditor(login):  # type: ignore[no-untyped-def]
    return login("demo_auditor")


def _number(web_app: Flask, case_id: int) -> str:
    return get_case(web_app.extensions["onewindow"], case_id, with_data=False).case_number


def _page(user: Any, url: str) -> str:
    response = user.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _audit_urls(case_id: int) -> list[str]:
    return ["/audit", f"/audit/cases/{case_id}", f"/audit/cases/{case_id}?seq=3",
            f"/audit/cases/{case_id}/replay.json?seq=3", f"/audit/cases/{case_id}/diagram.bpmn",
            f"/audit/cases/{case_id}/verify", "/audit/verify", "/audit/heatmap/food_business",
            "/audit/heatmap/food_business/diagram.bpmn", "/audit/export?format=xes", "/audit/export?format=csv"]


# -- the list ------------------------------------------------------------------------------------


def test_the_auditor_sees_every_case_and_filters_them(web_app: Flask, cases, auditor, login) -> None:  # type: ignore[no-untyped-def]
    finished, waiting = _number(web_app, cases["finished"]), _number(web_app, cases["waiting"])
    page = _page(auditor, "/audit")
    assert finished in page and waiting in page
    assert f'href="/audit/cases/{cases["finished"]}"' in page
    assert 'href="/audit/verify"' in page and 'href="/audit/heatmap/food_business"' in page
    assert 'action="/audit/export"' in page
    assert 'href="/audit">审计</a>' in page  # the nav link

    only = _page(auditor, f"/audit?q={waiting}")
    assert waiting in only and finished not in only
    done = _page(auditor, "/audit?status=completed&matter=food_business")
    assert finished in done and waiting not in done
    assert "没有符合条件的办件" in _page(auditor, "/audit?matter=hygiene_licence")

    # Administrators audit too; the nav link is not shown to anyone else.
    assert finished in _page(login("demo_admin"), "/audit")
    assert 'href="/audit"' not in _page(login("demo_scjg_review"), "/work")


# -- one case: the timeline ----------------------------------------------------------------------


def test_the_timeline_shows_every_row_forms_as_submitted_and_document_hashes(web_app: Flask, cases, auditor) -> None:  # type: ignore[no-untyped-def]
    ctx = web_app.extensions["onewindow"]
    case_id = cases["finished"]
    page = _page(auditor, f"/audit/cases/{case_id}")
    text_ = html.unescape(page)
    history = case_history(ctx, case_id)
    for row in history:
        assert f'id="seq-{row.seq}"' in page
        assert row.row_hash in page
    # The application exactly as submitted (the area still the string "80"), beside the cleaned values.
    assert '"premises_area_m2": "80"' in text_
    submitted = next(h for h in history if h.event_type == "form_submitted" and h.element_id == "apply")
    assert submitted.payload == APPLICATION
    assert json.dumps(submitted.payload, ensure_ascii=False, indent=2) in text_
    assert json.dumps(submitted.data_after, ensure_ascii=False, indent=2) in text_
    assert "提交原文" in page and "提交表单" in page and "环节状态变化" in page and "出具文书" in page
    assert "待办 → 已完成" in page and "收件审查" in page
    # Who: the person and the role; when: China time (the clock is 10:00 in Nanjing).
    assert "【演示】市场监管局 审查员 赵敏" in page and "scjg_review" in page
    assert "2025-09-26 10:00:00" in page
    # Documents with their SHA-256, checked against their content and the history.
    documents = case_documents(ctx, case_id)
    assert [d.title for d in documents][-1] == "食品经营许可证"
    for document in documents:
        assert document.sha256 in page
    assert page.count('<span class="chain-ok">一致</span>') == len(documents)
    assert "哈希链</th><td><span class=\"chain-ok\">完整</span>" in page
    # The diagram of the case's own version, the replay controls and the final state.
    assert f'data-src="/audit/cases/{case_id}/diagram.bpmn"' in page
    assert f'max="{len(history)}"' in page and "上一步" in page and "下一步" in page
    bpmn = auditor.get(f"/audit/cases/{case_id}/diagram.bpmn")
    assert bpmn.mimetype == "application/xml" and 'id="food_business"' in bpmn.get_data(as_text=True)
    assert auditor.get("/audit/cases/999999").status_code == 404


def test_no_inline_scripts_and_the_scripts_are_served(web_app: Flask, cases, auditor) -> None:  # type: ignore[no-untyped-def]
    for url in (f"/audit/cases/{cases['finished']}", "/audit/heatmap/food_business"):
        page = _page(auditor, url)
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
        assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
        for src in re.findall(r'<script src="([^"]+)"', page):
            response = auditor.get(src)
            assert response.status_code == 200, src
            response.close()
    css = auditor.get("/static/js/audit/audit.css")
    assert css.status_code == 200
    css.close()


# -- replay --------------------------------------------------------------------------------------


def _seq_before(history: list[Any], element_id: str) -> int:
    """The last row before the form of ``element_id`` was submitted: the moment it waited there."""
    row = next(h for h in history if h.event_type == "form_submitted" and h.element_id == element_id)
    return row.seq - 1


def test_replay_rebuilds_a_middle_moment_from_history(web_app: Flask, cases, auditor) -> None:  # type: ignore[no-untyped-def]
    ctx = web_app.extensions["onewindow"]
    case_id = cases["finished"]
    history = case_history(ctx, case_id)
    middle = _seq_before(history, "review")
    state = auditor.get(f"/audit/cases/{case_id}/replay.json?seq={middle}").get_json()
    final = auditor.get(f"/audit/cases/{case_id}/replay.json?seq={len(history)}").get_json()

    assert state["seq"] == middle and state["total"] == len(history)
    assert [t["id"] for t in state["open_tasks"]] == ["review"] and state["active"] == ["review"]
    assert state["open_tasks"][0]["name"] == "审查"
    assert "approve" not in state["completed"] and "call_reception" in state["completed"]
    assert state["flow_counts"].get("gw_accepted->review") == 1 and "review->gw_review" not in state["flow_counts"]
    assert state["blzt_name"] == "已受理" and state["data"]["reception_result"] == "accepted"
    assert "case_result" not in state["data"]
    assert state["documents"] == ["收件凭证", "受理通知书"]
    assert state["deadline"]["promised_due"] == "2025-10-10" and state["overdue"] is False

    assert final["open_tasks"] == [] and final["active"] == []
    assert "approve" in final["completed"] and final["flow_counts"]["review->gw_review"] == 1
    assert final["data"]["case_result"] == "granted" and final["blzt_name"] == "办结（通过）"
    assert final != state

    # Inside the called 收件与受理 the open task shows on its call activity.
    early = auditor.get(f"/audit/cases/{case_id}/replay.json?seq={_seq_before(history, 'rc_check')}").get_json()
    assert early["open_tasks"] == [{"id": "rc_check", "name": "收件审查", "shown_on": "call_reception"}]
    assert early["active"] == ["call_reception"]

    # Without JavaScript the page renders the same moment; out-of-range steps are clamped.
    page = _page(auditor, f"/audit/cases/{case_id}?seq={middle}")
    assert '<li class="" data-element="review">审查' in page
    assert f'value="{middle}"' in page and f"第 {middle} / {len(history)} 条" in page
    assert f'id="seq-{middle}" data-seq="{middle}" data-event="{history[middle - 1].event_type}"' in page
    assert f'href="/audit/cases/{case_id}?seq={middle + 1}#replay"' in page
    embedded = json.loads(html.unescape(re.search(r'data-state="([^"]*)"', page).group(1)))
    assert embedded["open_tasks"] == state["open_tasks"]
    assert auditor.get(f"/audit/cases/{case_id}/replay.json?seq=0").get_json()["seq"] == 1
    assert auditor.get(f"/audit/cases/{case_id}/replay.json?seq=99999").get_json()["seq"] == len(history)
    assert auditor.get(f"/audit/cases/{case_id}/replay.json?seq=abc").get_json()["seq"] == len(history)


def test_an_overdue_open_task_is_marked(web_app: Flask, cases, auditor, login) -> None:  # type: ignore[no-untyped-def]
    ctx = web_app.extensions["onewindow"]
    case_id = cases["waiting"]
    total = len(case_history(ctx, case_id))
    assert auditor.get(f"/audit/cases/{case_id}/replay.json").get_json()["overdue"] is False
    before = ctx.clock.now()
    ctx.clock.set(datetime(2025, 10, 20, 2, 0, tzinfo=UTC))  # past the promised 2025-10-10
    try:
        later = login("demo_auditor")  # sessions expire: sign in on the later day
        now = later.get(f"/audit/cases/{case_id}/replay.json?seq={total}").get_json()
        page = _page(later, f"/audit/cases/{case_id}")
        earlier = later.get(f"/audit/cases/{case_id}/replay.json?seq={total - 1}").get_json()
    finally:
        ctx.clock.set(before)
    assert now["overdue"] is True and now["active"] == ["review"] and now["deadline"]["promised_state"] == "red"
    assert '<li class="overdue" data-element="review">审查' in page
    # An earlier step is judged on its own day: not overdue then.
    assert earlier["overdue"] is False and earlier["deadline"]["promised_state"] == "normal"


# -- tamper evidence -----------------------------------------------------------------------------


@pytest.fixture
def tampered(web_app: Flask, cases: dict[str, int]) -> Iterator[tuple[int, int]]:
    """Rewrite the stored rating of the finished case behind the engine's back, then put it back."""
    ctx = web_app.extensions["onewindow"]
    case_id = cases["finished"]
    row = next(h for h in case_history(ctx, case_id) if h.event_type == "form_submitted"
               and h.element_id == "dl_rating")
    where = "WHERE case_id = :case AND seq = :seq"
    with ctx.db.engine.begin() as conn:
        original = conn.execute(text(f"SELECT data_after FROM history_events {where}"),
                                {"case": case_id, "seq": row.seq}).scalar_one()
        conn.execute(text(f"UPDATE history_events SET data_after = :value {where}"),
                     {"value": original.replace("satisfied", "dissatisfied"), "case": case_id, "seq": row.seq})
    yield case_id, row.seq
    with ctx.db.engine.begin() as conn:
        conn.execute(text(f"UPDATE history_events SET data_after = :value {where}"),
                     {"value": original, "case": case_id, "seq": row.seq})


def test_verify_is_green_until_a_row_is_edited(web_app: Flask, cases, auditor, request) -> None:  # type: ignore[no-untyped-def]
    page = _page(auditor, "/audit/verify")
    assert 'class="summary summary-ok"' in page and "哈希链全部完整" in page and "summary-bad" not in page
    one = _page(auditor, f"/audit/cases/{cases['finished']}/verify")
    assert "summary-ok" in one

    case_id, seq = request.getfixturevalue("tampered")
    number = _number(web_app, case_id)
    page = _page(auditor, "/audit/verify")
    assert 'class="summary summary-bad"' in page and "1 件办件的哈希链已断开" in page
    broken = re.search(r'<tr class="bad" data-case="([^"]+)">(.*?)</tr>', page, re.S)
    assert broken.group(1) == number
    assert f"第 {seq} 条" in broken.group(2) and "记录被修改" in broken.group(2)
    assert f'href="/audit/cases/{case_id}#seq-{seq}"' in broken.group(2)
    assert _number(web_app, cases["waiting"]) not in re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)

    one = _page(auditor, f"/audit/cases/{case_id}/verify")
    assert "summary-bad" in one and f"首条异常记录为第 {seq} 条" in one and "dissatisfied" in html.unescape(one)
    timeline = _page(auditor, f"/audit/cases/{case_id}")
    assert "已断开" in timeline and re.search(rf'id="seq-{seq}"[^>]*class="[^"]*\bbad\b', timeline)


# -- heatmap and export --------------------------------------------------------------------------


def test_heatmap_of_a_matter(web_app: Flask, cases, auditor) -> None:  # type: ignore[no-untyped-def]
    page = _page(auditor, "/audit/heatmap/food_business")
    assert "食品经营许可" in page and 'data-src="/audit/heatmap/food_business/diagram.bpmn"' in page
    heat = json.loads(html.unescape(re.search(r'data-heat="([^"]*)"', page).group(1)))
    assert heat["review"]["runs"] == 1 and heat["rc_check"]["runs"] == 2 and heat["apply"]["avg"] == 0.0
    row = re.search(r'<tr data-element="rc_check">(.*?)</tr>', page, re.S).group(1)
    assert "收件与受理" in row and '<td class="num">2</td>' in row
    assert 'id="food_business"' in auditor.get("/audit/heatmap/food_business/diagram.bpmn").get_data(as_text=True)
    assert auditor.get("/audit/heatmap/no_such_matter").status_code == 404


def test_export_xes_and_csv(web_app: Flask, cases, auditor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    finished = _number(web_app, cases["finished"])
    response = auditor.get("/audit/export?format=xes&matter=food_business&since=2025-09-26&until=2025-09-26")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".xes" in response.headers["Content-Disposition"]
    path = tmp_path / "log.xes"
    path.write_bytes(response.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        log = pm4py.read_xes(str(path))
    traces = set(log["case:concept:name"])
    assert finished in traces and _number(web_app, cases["waiting"]) in traces
    assert {"审查", "批准", "好差评"} <= set(log["concept:name"])

    response = auditor.get("/audit/export?format=csv")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;") and ".csv" in \
        response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {"case_id", "activity", "timestamp", "lifecycle", "resource"} <= rows[0].keys()
    assert any(r["case_id"] == finished and r["activity"] == "批准" and r["lifecycle"] == "complete"
               and r["resource"] == "demo_scjg_chief" for r in rows)

    # Dates are China days: nothing happened before the 26th.
    empty = auditor.get("/audit/export?format=csv&until=2025-09-25").data.decode("utf-8-sig")
    assert empty.strip().splitlines() == ["case_id,matter,activity,element_id,timestamp,lifecycle,resource"]
    assert auditor.get("/audit/export?format=pdf").status_code == 400
    assert auditor.get("/audit/export?format=csv&since=yesterday").status_code == 400


# -- access and read-only ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["demo_citizen", "demo_scjg_review", "demo_window", "demo_designer"])
def test_everyone_else_gets_403_on_every_audit_page(web_app: Flask, cases, login, username: str) -> None:  # type: ignore[no-untyped-def]
    user = login(username)
    for url in _audit_urls(cases["finished"]):
        response = user.get(url)
        assert response.status_code == 403, (username, url, response.status_code)
        assert "您无权访问此页面" in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(web_app: Flask, cases) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    for url in _audit_urls(cases["finished"]):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login"), url


def test_audit_pages_are_read_only(web_app: Flask, cases, auditor) -> None:  # type: ignore[no-untyped-def]
    rules = [r for r in web_app.url_map.iter_rules() if r.rule.startswith("/audit")]
    assert len(rules) >= 9
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)
    for url in _audit_urls(cases["finished"]):
        response = auditor.get(url)
        assert response.status_code == 200, url
        if response.mimetype == "text/html":
            forms = re.findall(r"<form\b([^>]*)>", response.get_data(as_text=True))
            posting = [f for f in forms if re.search(r'method="post"', f, re.I)]
            assert all('action="/logout"' in f for f in posting), (url, posting)  # only the nav's sign-out
        assert auditor.post(url.split("?")[0]).status_code == 405, url


def test_a_long_timeline_comes_in_pages_with_the_whole_chain_checked(web_app: Flask, cases, auditor,  # type: ignore[no-untyped-def]
                                                                     monkeypatch) -> None:
    """A 1,000-event case is read a page at a time: every row is on exactly one page, the replay link of a
    row opens its page, and the chain check still covers every row."""
    from engine.services import audit_pages

    monkeypatch.setattr(audit_pages, "AUDIT_PAGE_ROWS", 5)
    ctx = web_app.extensions["onewindow"]
    case_id = cases["finished"]
    history = case_history(ctx, case_id)
    pages = -(-len(history) // 5)
    seen: list[int] = []
    for number in range(1, pages + 1):
        page = _page(auditor, f"/audit/cases/{case_id}?page={number}")
        shown = [int(seq) for seq in re.findall(r'<tr id="seq-(\d+)"', page)]
        assert len(shown) <= 5 and shown == sorted(shown)
        seen += shown
        assert f"第 {number} / {pages} 页" in page and f"历史记录（{len(history)} 条）" in page
        assert f"（{len(history)} 条记录）" in page  # the chain check counts every row, not this page's
    assert seen == [row.seq for row in history]
    last = _page(auditor, f"/audit/cases/{case_id}?seq=7")
    assert 'id="seq-7"' in last and "第 2 / " in last and 'id="seq-1"' not in last
    assert 'id="seq-1"' in _page(auditor, f"/audit/cases/{case_id}?page=0")  # clamped to the first page
