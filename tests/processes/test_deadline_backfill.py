"""An installation upgraded from history-derived deadlines keeps its accepted cases' dates (onewindow init)."""

from __future__ import annotations

from sqlalchemy import delete

from engine.actors import Actor
from engine.persistence.records import CaseDeadlineRecord
from engine.services.deadline_backfill import backfill_deadlines
from engine.services.deadline_requests import decide_extension
from engine.services.deadline_requests import request_extension
from tests.processes import test_construction_bundle as bundle_walk
from tests.processes.conftest import Hall
from tests.processes.test_food_business import at

ADMIN = Actor("cli", groups=frozenset({"admin"}))


def _forget_records(hall: Hall, case_id: int) -> None:
    """What a database upgraded from a version without deadline records holds: history only."""
    with hall.ctx.uow() as uow:
        uow.session.execute(delete(CaseDeadlineRecord).where(CaseDeadlineRecord.case_id == case_id))
        uow.commit()


def test_records_derived_from_history_match_the_live_ones(hall: Hall) -> None:
    hall.deploy("construction_bundle")
    case_id = bundle_walk.submit_and_accept(hall)
    hall.clock.set(at("2025-09-29", "10:00:00"))
    hall.do(case_id, "zj_chengban", {"zj_outcome": "supplement", "zj_opinion": "缺页", "zj_supplement_items": "合同"})
    hall.clock.set(at("2025-10-13", "10:00:00"))
    hall.do(case_id, "zj_supplement", {"zj_supplement_files": bundle_walk.FILE, "zj_supplement_note": "已补"})
    request = request_extension(hall.ctx, case_id, Actor("cg1", groups=frozenset({"cg_chengban"})), days=4,
                                reason="需专家论证运输路线", permit="waste")
    decide_extension(hall.ctx, request.id, Actor("cgh", groups=frozenset({"cg_fzr"})), approve=True)
    live = hall.deadlines(case_id)
    assert live is not None and {p.key: p.paused for p in live.permits}["construction"] != ()

    _forget_records(hall, case_id)
    assert hall.deadlines(case_id) is None
    assert backfill_deadlines(hall.ctx, ADMIN) == 1
    derived = hall.deadlines(case_id)
    assert derived == live
    assert backfill_deadlines(hall.ctx, ADMIN) == 0  # idempotent
    opened = [h for h in hall.history(case_id) if h.event_type == "deadline_opened"]
    assert opened[-1].data_after["derived_from_history"] is True
