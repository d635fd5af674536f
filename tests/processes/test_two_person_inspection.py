"""Two different officers for a two-person inspection (issue #10 point 7; 行政许可法 art. 34).

The hygiene 现场审核 pair is marked ``separation``: whoever did (or holds) one of the two may not
complete, claim or be handed the other; the server refuses in Chinese and nothing changes.
"""

from __future__ import annotations

import pytest

from engine.actors import Actor
from engine.errors import NotAllowed
from engine.services import tasks
from tests.processes import test_hygiene_licence as hygiene_walk
from tests.processes.conftest import Hall


def _at_inspections(hall: Hall) -> int:
    hall.deploy(hygiene_walk.MATTER)
    case_id = hygiene_walk.apply_and_accept(hall)
    hall.do(case_id, "written_review", {"written_review_note": "材料齐全，符合法定形式"})
    assert sorted(hall.open(case_id)) == ["inspect_1", "inspect_2"]
    return case_id


def _task_uuid(hall: Hall, case_id: int, element_id: str) -> str:
    return next(t.task_uuid for t in hall.case(case_id).open_tasks if t.element_id == element_id)


def test_the_same_officer_may_not_do_both_inspections(hall: Hall) -> None:
    case_id = _at_inspections(hall)
    hall.do(case_id, "inspect_1", hygiene_walk.inspection(1), user="inspector_a")
    history = len(hall.history(case_id))
    with pytest.raises(NotAllowed) as refused:
        hall.do(case_id, "inspect_2", hygiene_walk.inspection(2), user="inspector_a")
    assert "两名不同的工作人员" in str(refused.value) and "现场审核（监督员一）" in str(refused.value)
    assert hall.open(case_id) == ["inspect_2"] and len(hall.history(case_id)) == history
    hall.do(case_id, "inspect_2", hygiene_walk.inspection(2), user="inspector_b")
    assert hall.open(case_id) == ["conclude"]


def test_who_holds_one_inspection_may_not_claim_or_be_handed_the_other(hall: Hall) -> None:
    case_id = _at_inspections(hall)
    officer_a = Actor("inspector_a", "监督员甲", frozenset({"wsjd_inspector"}))
    officer_b = Actor("inspector_b", "监督员乙", frozenset({"wsjd_inspector"}))
    tasks.claim_task(hall.ctx, case_id, _task_uuid(hall, case_id, "inspect_1"), officer_a)
    second = _task_uuid(hall, case_id, "inspect_2")
    with pytest.raises(NotAllowed):
        tasks.claim_task(hall.ctx, case_id, second, officer_a)
    tasks.claim_task(hall.ctx, case_id, second, officer_b)
    with pytest.raises(NotAllowed):  # 转办 to the officer who holds the first is refused too
        tasks.delegate_task(hall.ctx, case_id, second, officer_b, officer_a)
    assert {t.element_id: t.assignee for t in hall.case(case_id).open_tasks} == {
        "inspect_1": "inspector_a", "inspect_2": "inspector_b"}
