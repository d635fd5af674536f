"""One source of legal time: the stored deadline record, the legal acceptance date, and the notice.

Real matters (processes/), real 2025 dates on the State Council calendar: the National Day holiday
runs 10-01 to 10-08, and Sunday 09-28 and Saturday 10-11 are working days. The hall closes at 17:30.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

from engine.actors import Actor
from engine.documents import chinese_date
from engine.services import cases
from engine.services.deadlines import CaseDeadlines
from engine.services.deploy import deploy_path
from engine.services.design import set_limits
from tests.conftest import ROOT
from tests.processes.conftest import Hall
from tests.processes.test_food_business import APPLICATION
from tests.processes.test_food_business import at
from tests.processes.test_food_business import move_to


def _apply_food(hall: Hall) -> int:
    hall.deploy("food_business")
    case = hall.start("food_business")
    hall.do(case.id, "apply", APPLICATION)
    return case.id


def _notice(hall: Hall, case_id: int, key: str = "acceptance_notice") -> str:
    return next(d.html for d in cases.case_documents(hall.ctx, case_id) if d.doc_key == key)


def _row(html: str, label: str) -> str:
    """The text of the notice's table row ``label`` (tags stripped)."""
    match = re.search(rf"<th>{label}</th><td>(.*?)</td>", html, re.S)
    assert match is not None, f"no row {label}"
    return re.sub(r"<[^>]+>", "", match.group(1))


def _notice_matches_record(html: str, record: CaseDeadlines) -> None:
    """Every date the 受理通知书 prints is the stored record's."""
    assert _row(html, "受理日期").startswith(chinese_date(record.accepted_on))
    assert _row(html, "承诺办结日期").startswith(chinese_date(record.promised_due))
    assert _row(html, "法定办结日期").startswith(chinese_date(record.statutory_due))


def test_deemed_acceptance_counts_from_the_receipt_day_on_the_record_and_the_notice(hall: Hall) -> None:
    """视为受理 (art. 32): the window never acted; the timer fired on 10-11, the clock started on 09-26."""
    case_id = _apply_food(hall)
    assert move_to(hall, at("2025-10-11", "00:00:01")) == 1
    record = hall.deadlines(case_id)
    assert record is not None
    assert (record.acceptance_mode, record.accepted_on, record.received_on) == (
        "deemed", date(2025, 9, 26), date(2025, 9, 26))
    # 5 and 10 working days after the receipt day, not after the day the timer fired (that gave 10-18/10-25).
    assert (record.promised_due, record.statutory_due) == (date(2025, 10, 10), date(2025, 10, 16))
    html = _notice(hall, case_id)
    _notice_matches_record(html, record)
    assert "自收到申请材料之日起即为受理" in html
    # The record was written at acceptance, in the step, with a history row saying so.
    opened = [h for h in hall.history(case_id) if h.event_type == "deadline_opened"]
    assert len(opened) == 1 and opened[0].data_after["acceptance_mode"] == "deemed"
    assert opened[0].data_after["records"][""]["promised_due"] == "2025-10-10"


def test_acceptance_after_closing_time_counts_from_the_next_working_day(hall: Hall) -> None:
    """Accepted Fri 2025-11-14 17:45, after the hall closed: the acceptance date is Mon 11-17."""
    hall.clock.set(at("2025-11-14", "17:00:00"))
    case_id = _apply_food(hall)
    hall.clock.set(at("2025-11-14", "17:45:00"))
    hall.do(case_id, "rc_check", {"reception_decision": "accept"})
    record = hall.deadlines(case_id)
    assert record is not None
    assert record.accepted_on == date(2025, 11, 17)
    # Counted from the day after 11-17: 5 working days to 11-24, 10 to 12-01.
    assert (record.promised_due, record.statutory_due) == (date(2025, 11, 24), date(2025, 12, 1))
    html = _notice(hall, case_id)
    _notice_matches_record(html, record)
    assert "2025年11月14日17时45分受理" in _row(html, "受理日期")  # why the date is the Monday


def test_acceptance_before_closing_time_counts_from_that_day(hall: Hall) -> None:
    hall.clock.set(at("2025-11-14", "17:00:00"))
    case_id = _apply_food(hall)
    hall.clock.set(at("2025-11-14", "17:29:00"))
    hall.do(case_id, "rc_check", {"reception_decision": "accept"})
    record = hall.deadlines(case_id)
    assert record is not None and record.accepted_on == date(2025, 11, 14)
    assert (record.promised_due, record.statutory_due) == (date(2025, 11, 21), date(2025, 11, 28))
    _notice_matches_record(_notice(hall, case_id), record)


def test_friday_evening_before_national_day_counts_from_the_makeup_sunday(hall: Hall) -> None:
    """Fri 2025-09-26 17:45: the next working day is Sunday 09-28 (调休), so that is the acceptance date."""
    hall.clock.set(at("2025-09-26", "17:45:00"))
    case_id = _apply_food(hall)
    hall.do(case_id, "rc_check", {"reception_decision": "accept"})
    record = hall.deadlines(case_id)
    assert record is not None and record.accepted_on == date(2025, 9, 28)
    # 09-29, 09-30, 10-09, 10-10, 10-11 (a make-up Saturday): the promise falls on a Saturday working day.
    assert record.promised_due == date(2025, 10, 11)
    _notice_matches_record(_notice(hall, case_id), record)


def test_the_limits_come_from_matter_toml_alone(hall: Hall, tmp_path: Path) -> None:
    """What the designer's 时限 form writes (matter.toml) is what the diagram, record and notice use."""
    for diagram in (ROOT / "processes").glob("*/*.bpmn"):
        text = diagram.read_text(encoding="utf-8")
        assert not re.search(r"(statutory|promised|extension|supplement)_limit_wd\s*=[^=]", text), diagram.name
        assert "promised_due_date" not in text and "statutory_due_date" not in text, diagram.name
    for folder in ("food_business", "_common", "_documents"):  # a matter folder with its siblings
        shutil.copytree(ROOT / "processes" / folder, tmp_path / folder)
    matter = tmp_path / "food_business"
    toml = matter / "matter.toml"
    toml.write_text(set_limits(toml.read_text(encoding="utf-8"), {"promised_limit_wd": 3, "statutory_limit_wd": 8}),
                    encoding="utf-8")
    deploy_path(hall.ctx, matter, Actor("designer", groups=frozenset({"designer"})))
    case_id = hall.start("food_business").id
    data = hall.case(case_id).data
    assert (data["statutory_limit_wd"], data["promised_limit_wd"], data["extension_limit_wd"]) == (8, 3, 5)
    hall.do(case_id, "apply", APPLICATION)
    hall.do(case_id, "rc_check", {"reception_decision": "accept"})
    record = hall.deadlines(case_id)
    assert record is not None
    # Fri 09-26 + 3 working days = 09-30; + 8 = 10-14.
    assert (record.promised_due, record.statutory_due) == (date(2025, 9, 30), date(2025, 10, 14))
    html = _notice(hall, case_id)
    _notice_matches_record(html, record)
    assert "（3 个工作日）" in _row(html, "承诺办结日期")
