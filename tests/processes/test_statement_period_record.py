"""The 陈述申辩 period before a revocation is a stored deadline, like every other (issue #10, points 1 and 6).

A 容缺 case of the bundle is raised to the 住建局负责人 on 2026-03-17 (see test_deferred_revocation.py); the
负责人 starts the revocation on Thursday 2026-04-02, just before the 清明 holiday (Sat 04-04 – Mon 04-06). Five
working days from a notice served at 10:00 are 04-03, 04-07, 04-08, 04-09, 04-10: due Friday 2026-04-10 (not
Thursday 04-09, which counting Monday 04-06 would give). A notice served after the hall's 17:30 closing counts
from Friday 04-03: due Monday 2026-04-13. The stored record, the notice, the applicant's worklist row, the
legal-time page and API (one view) and the timer all say the same date; the decision repeats it.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.documents import chinese_date
from engine.services.deadline_views import case_legal_time
from engine.services.work_rows import work_rows
from tests.processes.conftest import Hall
from tests.processes.test_deferred_revocation import CN
from tests.processes.test_deferred_revocation import HEAD
from tests.processes.test_deferred_revocation import START
from tests.processes.test_deferred_revocation import _doc
from tests.processes.test_deferred_revocation import _move_to
from tests.processes.test_deferred_revocation import _raised

APPLICANT = Actor("u_applicant", "申请人", frozenset({"applicant"}))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 10, tzinfo=CN))  # Monday 2026-03-02 10:00, as the 容缺 walk starts


@pytest.mark.parametrize(("served_at", "due"), [("10:00", date(2026, 4, 10)), ("18:00", date(2026, 4, 13))])
def test_the_statement_period_is_stored_and_every_reader_and_the_timer_agree(
        hall: Hall, served_at: str, due: date) -> None:
    case_id = _raised(hall)
    _move_to(hall, datetime.fromisoformat(f"2026-04-02T{served_at}").replace(tzinfo=CN))
    hall.do(case_id, "dl_deferred_overdue", START, user=HEAD)
    assert hall.open(case_id) == ["rv_statement"]

    record = hall.deadlines(case_id)
    assert record is not None
    [period] = record.periods
    assert (period.kind, period.period_wd, period.due, period.started_on) == (
        "statement", 5, due, date(2026, 4, 2) if served_at == "10:00" else date(2026, 4, 3))
    assert period.is_open and "行政许可法》第七条" in period.basis
    assert f"请于 {chinese_date(due)} 前提出" in _doc(hall, case_id, "revocation_notice")
    [row] = [r for r in work_rows(hall.ctx, APPLICANT) if r.task.case_id == case_id]
    assert row.due == due
    page = case_legal_time(hall.ctx, case_id, Actor(HEAD, groups=frozenset({"zj_fzr"})))
    assert page.deadlines is not None and [p.due for p in page.deadlines.periods] == [due]
    assert [p.due for r in page.records for p in r.periods] == [due]
    assert hall.case(case_id).next_timer_due == datetime(due.year, due.month, due.day, 23, 59, 59, tzinfo=CN)

    assert _move_to(hall, datetime(due.year, due.month, due.day, 23, 59, tzinfo=CN)) == 0
    assert hall.advance(minutes=1) == 1
    assert hall.open(case_id) == ["rv_decide"]
    record = hall.deadlines(case_id)
    assert record is not None
    [ended] = record.periods
    assert (ended.outcome, ended.ended_on) == ("lapsed", date(due.year, due.month, due.day + 1))
    view = hall.do(case_id, "rv_decide", {
        "revocation_decision": "revoke", "record_credit": "no",
        "decision_reasons": "期满未陈述申辩，车辆冲洗设施材料至今未补交，不符合容缺受理承诺。"}, user=HEAD)
    assert view.blzt == 15
    assert f"陈述申辩期限（至 {chinese_date(due)}）内未提出" in _doc(hall, case_id, "revocation_decision")


def test_a_statement_made_in_time_ends_the_period_as_received(hall: Hall) -> None:
    case_id = _raised(hall)
    hall.do(case_id, "dl_deferred_overdue", START, user=HEAD)  # Tuesday 2026-03-17 09:00: due 03-24
    hall.advance(days=2)
    hall.do(case_id, "rv_statement", {"statement_text": "照片已于 3 月 18 日补交，请予复核。"})
    assert hall.open(case_id) == ["rv_decide"]
    record = hall.deadlines(case_id)
    assert record is not None
    [period] = record.periods
    assert (period.due, period.outcome, period.ended_on) == (date(2026, 3, 24), "received", date(2026, 3, 19))
    assert record.promised_due < period.due  # the period never moved the decision's deadline
