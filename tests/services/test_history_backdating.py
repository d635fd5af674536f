"""Rule: a history row's time is part of its hash, so a backdated (or postdated) event fails verification.

An auditor relies on ``occurred_at`` as much as on the payload: moving a decision before its deadline
is the tampering that matters most in an approval hall.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.history import HASHED_FIELDS
from engine.history import row_digest
from engine.persistence.records import HistoryEventRecord
from engine.services.audit import verify_history
from engine.services.context import EngineContext
from tests.services.test_cases import run_to_end


def test_occurred_at_is_a_hashed_field() -> None:
    fields = {name: None for name in HASHED_FIELDS}
    assert "occurred_at" in HASHED_FIELDS
    moment = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
    earlier = moment - timedelta(microseconds=1)
    assert row_digest({**fields, "occurred_at": moment}) != row_digest({**fields, "occurred_at": earlier})


@pytest.mark.parametrize("shift", [timedelta(days=-3), timedelta(seconds=1)])
def test_backdated_event_is_detected_and_named_by_verify(deployed: EngineContext, applicant: Actor,
                                                         shift: timedelta) -> None:
    view = run_to_end(deployed, applicant)
    with deployed.uow() as uow:  # the tamperer edits the row in the database, nothing else
        row = uow.session.scalars(select(HistoryEventRecord).where(
            HistoryEventRecord.case_id == view.id, HistoryEventRecord.seq == 6)).one()
        row.occurred_at = row.occurred_at + shift
        uow.commit()
    [result] = verify_history(deployed, view.id)
    assert not result.ok
    assert result.first_bad_seq == 6
    assert "内容与其哈希不符" in result.problem
