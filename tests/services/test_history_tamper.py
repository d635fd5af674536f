"""Rule: no stored field of a history event can change unnoticed, and neither can the whole chain.

The tamperer here can write the database (every column, every row, the case's stored head) but
does not hold ``ONEWINDOW_HISTORY_KEY``: ``verify`` must name the row or the rewritten head.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text

from engine.actors import Actor
from engine.history import GENESIS_HASH
from engine.history import HASHED_FIELDS
from engine.history import row_digest
from engine.persistence.records import HistoryEventRecord
from engine.persistence.repositories.history import history_of_case
from engine.services import cases
from engine.services import tasks
from engine.services.audit import sign_unsigned_heads
from engine.services.audit import verify_history
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from engine.settings import EngineSettings
from tests.services.conftest import VALID_APPLICATION

AUDITOR = Actor("auditor1", groups=frozenset({"auditor"}))
COLUMNS = [c.name for c in HistoryEventRecord.__table__.c if c.name != "id"]
#: A changed value of each stored column (what a tamperer would write).
CHANGED: dict[str, Any] = {
    "case_id": None, "seq": 99, "occurred_at": "2020-01-01 00:00:00.000000", "event_type": "case_started",
    "actor_id": "someone_else", "actor_role": "局长", "element_id": "other", "element_name": "其他",
    "task_uuid": "00000000-0000-0000-0000-000000000000", "from_state": "READY", "to_state": "CANCELLED",
    "data_before": '{"x": 1}', "data_after": '{"x": 2}', "payload": '{"x": 3}', "prev_hash": "1" * 64,
    "row_hash": "2" * 64,
}


@pytest.fixture
def keyed(settings: EngineSettings, clock, designer: Actor) -> Iterator[EngineContext]:  # type: ignore[no-untyped-def]
    ctx = EngineContext.create(dataclasses.replace(settings, history_key="test-history-key"), clock)
    deploy_path(ctx, ctx.settings.processes_dir / "doc_review", designer)
    yield ctx
    ctx.dispose()


def _case_with_history(ctx: EngineContext, applicant: Actor) -> tuple[int, int]:
    """Two cases, the first with a few rows; returns (first case id, second case id)."""
    view = cases.start_case(ctx, "doc_review", applicant)
    tasks.complete_task(ctx, view.id, view.open_tasks[0].task_uuid, VALID_APPLICATION, applicant)
    other = cases.start_case(ctx, "doc_review", applicant)
    return view.id, other.id


def test_every_stored_column_but_the_surrogate_id_is_hashed_or_is_the_hash() -> None:
    assert set(COLUMNS) == set(HASHED_FIELDS) | {"row_hash"}
    assert set(CHANGED) == set(COLUMNS)


@pytest.mark.parametrize("column", COLUMNS)
def test_changing_any_column_of_a_row_is_named_by_verify(keyed: EngineContext, applicant: Actor,
                                                         column: str) -> None:
    case_id, other_id = _case_with_history(keyed, applicant)
    with keyed.uow() as uow:
        last = len(history_of_case(uow, case_id))
        assert len(history_of_case(uow, other_id)) < last
    target = last if column == "case_id" else 2  # moved to the other case, the last row cannot collide
    value = CHANGED[column]
    if column == "case_id":
        value = other_id
    elif column == "occurred_at" and keyed.db.dialect == "postgresql":
        value = datetime(2020, 1, 1, tzinfo=UTC)
    with keyed.uow() as uow:
        uow.session.execute(text(f"UPDATE history_events SET {column} = :value WHERE case_id = :case AND seq = :seq"),
                            {"value": value, "case": case_id, "seq": target})
        uow.commit()
    results = {r.case_id: r for r in verify_history(keyed)}
    assert not results[case_id].ok
    assert results[case_id].first_bad_seq == target, results[case_id].problem
    if column == "case_id":
        assert not results[other_id].ok  # the moved row shows up where it does not belong too


def _rewrite_chain(ctx: EngineContext, case_id: int) -> None:
    """What a tamperer with database access does: change a row, recompute every hash and the head."""
    with ctx.uow() as uow:
        rows = history_of_case(uow, case_id)
        previous = GENESIS_HASH
        for row in rows:
            values = {name: getattr(row, name) for name in HASHED_FIELDS}
            if row.seq == 2:
                values["actor_id"] = "someone_else"
            values["prev_hash"] = previous
            digest = row_digest(values)
            uow.session.execute(text("UPDATE history_events SET actor_id = :a, prev_hash = :p, row_hash = :h"
                                     " WHERE case_id = :c AND seq = :s"),
                                {"a": values["actor_id"], "p": previous, "h": digest, "c": case_id, "s": row.seq})
            previous = digest
        uow.session.execute(text("UPDATE cases SET history_hash = :h WHERE id = :c"), {"h": previous, "c": case_id})
        uow.commit()


def test_a_rewritten_whole_chain_fails_on_its_signed_head(keyed: EngineContext, applicant: Actor) -> None:
    case_id, _ = _case_with_history(keyed, applicant)
    assert all(r.ok for r in verify_history(keyed))
    _rewrite_chain(keyed, case_id)
    [result] = verify_history(keyed, case_id)
    assert not result.ok and "签名不符" in result.problem
    unkeyed = EngineContext.create(dataclasses.replace(keyed.settings, history_key=""), keyed.clock)
    try:  # without the key the rewrite is consistent: this is what the signature adds
        assert verify_history(unkeyed, case_id)[0].ok
    finally:
        unkeyed.dispose()


def test_a_removed_signature_is_reported_and_old_heads_are_signed_once_checked(
        keyed: EngineContext, applicant: Actor) -> None:
    case_id, other_id = _case_with_history(keyed, applicant)
    with keyed.uow() as uow:
        uow.session.execute(text("UPDATE cases SET history_mac = NULL"))
        uow.session.execute(text("UPDATE history_events SET actor_id = 'x' WHERE case_id = :c AND seq = 1"),
                            {"c": other_id})
        uow.commit()
    results = {r.case_id: r for r in verify_history(keyed)}
    assert not results[case_id].ok and "没有签名" in results[case_id].problem
    assert sign_unsigned_heads(keyed, AUDITOR) == 1  # the tampered case is not vouched for
    results = {r.case_id: r for r in verify_history(keyed)}
    assert results[case_id].ok and not results[other_id].ok
    assert sign_unsigned_heads(keyed, AUDITOR) == 0
