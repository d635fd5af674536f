"""The art. 44 service flags written once into the history by the timer worker's sweep (issue #10 point 4).

A 公共场所卫生许可证 decided Friday 2025-09-26 (before the National Day week) and not served is flagged to the
supervisors on its 7th working day (Monday 10-13) and marked overdue after its 10th (Thursday 10-16): each
a ``service_flagged`` history row, written once however often the sweep runs, and a message in the
supervisors' 消息中心. The clock is injected; nothing sleeps.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.actors import Actor
from engine.services.audit import verify_history
from engine.services.service_flags import message_centre
from engine.services.service_flags import supervisor_messages
from engine.services.service_flags import sweep_service_flags
from tests.processes import test_hygiene_licence as hygiene_walk
from tests.processes.conftest import Hall
from tests.processes.test_service_of_documents import CLERK
from tests.processes.test_service_of_documents import SUPERVISOR
from tests.processes.test_service_of_documents import _granted_hygiene_case
from tests.processes.test_service_of_documents import _move_to

WINDOW_HEAD = Actor("head_1", "窗口负责人", frozenset({"window_supervisor"}))


def _flags(hall: Hall, case_id: int) -> list[dict[str, Any]]:
    return [dict(h.data_after or {}) for h in hall.history(case_id) if h.event_type == "service_flagged"]


def test_day_7_and_day_10_are_each_written_once_and_reach_the_supervisors(hall: Hall) -> None:
    case_id = _granted_hygiene_case(hall)
    _move_to(hall, date(2025, 10, 11))  # a 调休 Saturday, the 6th working day
    assert sweep_service_flags(hall.ctx) == 0 and _flags(hall, case_id) == []
    _move_to(hall, date(2025, 10, 13))
    assert sweep_service_flags(hall.ctx) == 1
    assert sweep_service_flags(hall.ctx) == 0  # a second pass (or a second worker) writes nothing
    [warning] = _flags(hall, case_id)
    assert (warning["flag"], warning["doc_key"], warning["due_on"]) == ("warning", "hygiene_permit", "2025-10-16")
    [message] = supervisor_messages(hall.ctx, WINDOW_HEAD)
    assert message.case_id == case_id and "2025年10月16日" in message.text and "公共场所卫生许可证" in message.title
    assert supervisor_messages(hall.ctx, CLERK) == []  # the flag is the supervisors'
    _move_to(hall, date(2025, 10, 16))  # the 10th working day is still in time
    assert sweep_service_flags(hall.ctx) == 0
    _move_to(hall, date(2025, 10, 17))
    assert sweep_service_flags(hall.ctx) == 1 and sweep_service_flags(hall.ctx) == 0
    assert [f["flag"] for f in _flags(hall, case_id)] == ["warning", "overdue"]
    newest = message_centre(hall.ctx, SUPERVISOR)[0]
    assert newest.flag == "overdue" and "已超过送达期限" in newest.text
    hygiene_walk.deliver_at_window(hall, case_id)  # served late: nothing more is flagged
    _move_to(hall, date(2025, 10, 20))
    assert sweep_service_flags(hall.ctx) == 0 and len(_flags(hall, case_id)) == 2
    [chain] = verify_history(hall.ctx, case_id)  # the flags are links of the case's hash chain
    assert chain.ok, chain


def test_a_sweep_after_a_stopped_worker_writes_both_flags_in_order(hall: Hall) -> None:
    case_id = _granted_hygiene_case(hall)
    _move_to(hall, date(2025, 10, 20))
    assert sweep_service_flags(hall.ctx) == 2
    assert [f["flag"] for f in _flags(hall, case_id)] == ["warning", "overdue"]
    assert sweep_service_flags(hall.ctx) == 0


def test_a_certificate_served_in_time_is_never_flagged(hall: Hall) -> None:
    case_id = _granted_hygiene_case(hall)
    _move_to(hall, date(2025, 10, 9))
    hygiene_walk.deliver_at_window(hall, case_id)
    _move_to(hall, date(2025, 10, 20))
    assert sweep_service_flags(hall.ctx) == 0 and _flags(hall, case_id) == []
    assert supervisor_messages(hall.ctx, SUPERVISOR) == []
