"""The audit page's chain check: the same verdict as a full verification, without re-hashing verified rows."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from engine.actors import Actor
from engine.services import tasks
from engine.services.audit import verify_history
from engine.services.audit_chain import chain_check
from engine.services.context import EngineContext
from tests.conftest import dept_actor
from tests.services.test_cases import _submitted
from tests.services.test_cases import run_to_end


def _execute(ctx: EngineContext, sql: str, **params: object) -> None:
    with ctx.db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_a_growing_chain_is_checked_from_where_the_last_check_stopped(deployed: EngineContext,
                                                                      applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    first = chain_check(deployed, view.id)
    assert first == verify_history(deployed, view.id)[0] and first.ok
    postgres = deployed.db.engine.dialect.name == "postgresql"
    assert (view.id in deployed.chain_checkpoints) is postgres  # SQLite has no fingerprint: checked in full
    task = next(t for t in view.open_tasks if t.element_id == "a_cb")
    tasks.complete_task(deployed, view.id, task.task_uuid, {"a_opinion": "approve"}, dept_actor("a_cb"))
    later = chain_check(deployed, view.id)
    assert later == verify_history(deployed, view.id)[0] and later.ok and later.rows > first.rows
    if postgres:
        assert deployed.chain_checkpoints[view.id].seq == later.rows


@pytest.mark.parametrize(("tamper", "expected_seq"), [
    ("UPDATE history_events SET payload = '{\"project_name\": \"篡改\"}' WHERE case_id = :case AND seq = 5", 5),
    ("UPDATE history_events SET actor_id = 'someone_else' WHERE case_id = :case AND seq = 2", 2),
    ("DELETE FROM history_events WHERE case_id = :case AND seq = 7", 7),
    ("DELETE FROM history_events WHERE case_id = :case AND seq = (SELECT max(seq) FROM history_events "
     "WHERE case_id = :case)", None),
])
def test_a_row_edited_after_a_check_is_named_at_the_next(deployed: EngineContext, applicant: Actor, tamper: str,
                                                         expected_seq: int | None) -> None:
    """Rows verified once are not trusted blindly: any change to their stored values is seen and named."""
    view = run_to_end(deployed, applicant)
    assert chain_check(deployed, view.id).ok
    assert chain_check(deployed, view.id).ok  # the second check starts from the checkpoint (PostgreSQL)
    _execute(deployed, tamper, case=view.id)
    check = chain_check(deployed, view.id)
    assert not check.ok and check == verify_history(deployed, view.id)[0]
    if expected_seq is not None:
        assert check.first_bad_seq == expected_seq
    assert view.id not in deployed.chain_checkpoints
