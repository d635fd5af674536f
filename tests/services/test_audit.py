"""Auditors: tampering is named, replay rebuilds past states from history, exports load in pm4py."""

from __future__ import annotations

import warnings

import pytest
from sqlalchemy import text

from engine.actors import Actor
from engine.clock import FixedClock
from engine.services import cases
from engine.services.audit import export_csv
from engine.services.audit import export_xes
from engine.services.audit import matter_heatmap
from engine.services.audit import mining_events
from engine.services.audit import replay_case
from engine.services.audit import verify_history
from engine.services.context import EngineContext
from engine.services.timers import fire_due_timers
from tests.services.test_cases import run_to_end


def _execute(ctx: EngineContext, sql: str, **params: object) -> None:
    with ctx.db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_untouched_history_verifies(deployed: EngineContext, applicant: Actor) -> None:
    run_to_end(deployed, applicant)
    cases.start_case(deployed, "parallel_review", applicant)
    results = verify_history(deployed)
    assert len(results) == 2 and all(r.ok for r in results)


@pytest.mark.parametrize(("tamper", "expected_seq"), [
    ("UPDATE history_events SET payload = '{\"project_name\": \"篡改\"}' WHERE case_id = :case AND seq = 5", 5),
    ("DELETE FROM history_events WHERE case_id = :case AND seq = 7", 7),
    ("UPDATE history_events SET actor_id = 'someone_else' WHERE case_id = :case AND seq = 12", 12),
    ("DELETE FROM history_events WHERE case_id = :case AND seq = (SELECT max(seq) FROM history_events "
     "WHERE case_id = :case)", None),
])
def test_tampering_is_detected_and_the_row_named(deployed: EngineContext, applicant: Actor, tamper: str,
                                                  expected_seq: int | None) -> None:
    view = run_to_end(deployed, applicant)
    _execute(deployed, tamper, case=view.id)
    [result] = verify_history(deployed, view.id)
    assert not result.ok
    total = len(cases.case_history(deployed, view.id)) + 1  # one row is gone
    assert result.first_bad_seq == (expected_seq if expected_seq is not None else total)
    assert result.problem


def test_inserted_row_is_detected(deployed: EngineContext, applicant: Actor) -> None:
    view = run_to_end(deployed, applicant)
    # Make room at seq 3 and slip in a forged copy of row 2 claiming to be row 3.
    _execute(deployed, "UPDATE history_events SET seq = seq + 10000 WHERE case_id = :case AND seq >= 3", case=view.id)
    _execute(deployed, "UPDATE history_events SET seq = seq - 9999 WHERE case_id = :case AND seq >= 10000",
             case=view.id)
    _execute(deployed, "INSERT INTO history_events (case_id, seq, occurred_at, event_type, actor_id, actor_role, "
                       "element_id, element_name, task_uuid, from_state, to_state, prev_hash, row_hash) "
                       "SELECT case_id, 3, occurred_at, 'form_submitted', 'forger', actor_role, element_id, "
                       "element_name, task_uuid, from_state, to_state, row_hash, row_hash "
                       "FROM history_events WHERE case_id = :case AND seq = 2", case=view.id)
    [result] = verify_history(deployed, view.id)
    assert not result.ok and result.first_bad_seq == 3


def test_replay_rebuilds_each_step_from_history(deployed: EngineContext, applicant: Actor) -> None:
    view = run_to_end(deployed, applicant)
    history = cases.case_history(deployed, view.id)
    after_submit = next(h.seq for h in history if h.event_type == "form_submitted" and h.element_id == "submit")
    state = replay_case(deployed, view.id, after_submit)
    assert sorted(state.open_tasks) == ["a_cb", "b_cb"]
    assert state.data["project_name"] == "滨江花园二期"
    after_a_pz = next(h.seq for h in history if h.event_type == "form_submitted" and h.element_id == "a_pz")
    middle = replay_case(deployed, view.id, after_a_pz)
    assert "a_pz" in middle.completed and "b_pz" not in middle.completed
    end = replay_case(deployed, view.id, len(history))
    assert end.open_tasks == () and end.data["both_approved"] is True
    assert end.flow_counts["split->a_cb"] == 1
    assert end.event["event_type"] == "case_completed"


def test_replay_fires_timers_at_their_recorded_time(deployed: EngineContext, clock: FixedClock) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    clock.advance(days=3)
    fire_due_timers(deployed)
    history = cases.case_history(deployed, view.id)
    fired = next(h.seq for h in history if h.event_type == "timers_fired")
    assert replay_case(deployed, view.id, fired - 1).open_tasks == ("review",)
    assert replay_case(deployed, view.id, fired).open_tasks == ("escalate",)


def test_exports_and_heatmap(deployed: EngineContext, applicant: Actor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_to_end(deployed, applicant)
    run_to_end(deployed, applicant)
    events = mining_events(deployed, matter_code="parallel_review")
    csv_text = export_csv(events)
    assert csv_text.splitlines()[0] == "case_id,matter,activity,element_id,timestamp,lifecycle,resource"
    path = tmp_path / "log.xes"
    path.write_text(export_xes(events), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        log = pm4py.read_xes(str(path))
    assert log["case:concept:name"].nunique() == 2
    assert {"住建承办", "城管批准", "提交申请"} <= set(log["concept:name"])
    assert {"start", "complete"} <= set(log["lifecycle:transition"])
    assert "user_a_cb" in set(log["org:resource"])
    heat = {h.element_id: h for h in matter_heatmap(deployed, "parallel_review")}
    assert heat["a_cb"].runs == 2 and heat["submit"].runs == 2
    assert heat["a_cb"].avg_workdays == 0


def _long_case(ctx: EngineContext, rounds: int) -> int:
    applicant = Actor("applicant1", groups=frozenset({"applicant"}))
    reviewer = Actor("reviewer1", groups=frozenset({"reviewer"}))
    view = cases.start_case(ctx, "loop_bench", applicant)
    for _ in range(rounds):
        (task,) = view.open_tasks
        from engine.services.tasks import complete_task
        view = complete_task(ctx, view.id, task.task_uuid, {"again": "yes"}, reviewer)
    return view.id


def test_replay_from_a_snapshot_equals_replay_from_the_start(deployed: EngineContext, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from engine.services import audit

    case_id = _long_case(deployed, 45)
    history = cases.case_history(deployed, case_id)
    snapshots = [h.seq for h in history if h.event_type == "snapshot_recorded"]
    assert snapshots, "a long case keeps snapshots"
    target = snapshots[-1] + 7
    fast = replay_case(deployed, case_id, target)
    original = audit.snapshot_before
    monkeypatch.setattr(audit, "snapshot_before", lambda *a: None)
    slow = replay_case(deployed, case_id, target)
    assert (fast.open_tasks, fast.completed, fast.data, fast.flow_counts) == \
        (slow.open_tasks, slow.completed, slow.data, slow.flow_counts)
    monkeypatch.setattr(audit, "snapshot_before", original)
    # A snapshot whose bytes no longer match its chained hash is not trusted: replay starts over.
    _execute(deployed, "UPDATE history_snapshots SET state = :junk WHERE case_id = :case", junk=b"junk",
             case=case_id)
    assert replay_case(deployed, case_id, target).completed == slow.completed
