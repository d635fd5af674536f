"""Running cases through the services on real SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json

import pytest

from engine.actors import Actor
from engine.casenumbers import parse_case_number
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.errors import TaskNotFound
from engine.errors import TaskNotReady
from engine.history import GENESIS_HASH
from engine.history import row_digest
from engine.persistence.records import CaseRecord
from engine.persistence.records import HistoryEventRecord
from engine.services import cases
from engine.services import tasks
from engine.services.casework import list_cases
from engine.services.context import EngineContext
from tests.conftest import dept_actor
from tests.readback import get_case
from tests.services.conftest import VALID_APPLICATION


def _task(view, element_id: str):  # type: ignore[no-untyped-def]
    return next(t for t in view.open_tasks if t.element_id == element_id)


def _raw_case(ctx: EngineContext, case_id: int) -> tuple[CaseRecord, list[HistoryEventRecord]]:
    with ctx.uow() as uow:
        case = uow.session.get(CaseRecord, case_id)
        rows = list(uow.session.query(HistoryEventRecord).filter_by(case_id=case_id).order_by(HistoryEventRecord.seq))
        _ = case.state  # deferred column: load it while the session is open
        uow.session.expunge_all()  # keep the loaded values readable after the session closes
        return case, rows


def run_to_end(ctx: EngineContext, applicant: Actor, opinions: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    view = cases.start_case(ctx, "parallel_review", applicant)
    view = tasks.complete_task(ctx, view.id, _task(view, "submit").task_uuid, VALID_APPLICATION, applicant)
    for prefix in "ab":
        for step in ("cb", "sh", "pz"):
            element = f"{prefix}_{step}"
            opinion = (opinions or {}).get(element, "approve")
            view = tasks.complete_task(ctx, view.id, _task(view, element).task_uuid, {f"{prefix}_opinion": opinion},
                                       dept_actor(element))
    return view


def _submitted(ctx: EngineContext, applicant: Actor):  # type: ignore[no-untyped-def]
    view = cases.start_case(ctx, "parallel_review", applicant)
    return tasks.complete_task(ctx, view.id, _task(view, "submit").task_uuid, VALID_APPLICATION, applicant)


def test_case_number_is_43_chars_with_daily_sequence(deployed: EngineContext, applicant: Actor) -> None:
    first = _submitted(deployed, applicant)
    second = _submitted(deployed, applicant)
    assert len(first.case_number) == 43
    code, day, seq = parse_case_number(first.case_number)
    assert (code, day.isoformat(), seq) == ("11320700014252401B3000180002002", "2025-09-26", 1)
    assert parse_case_number(second.case_number)[2] == 2
    assert first.data["case_number"] == first.case_number  # scripts and documents read the same number


def test_case_number_uses_the_china_date_not_utc(deployed: EngineContext, applicant: Actor, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(clock.now().replace(hour=17))  # 2025-09-27 01:00 in China
    view = _submitted(deployed, applicant)
    assert view.case_number[31:39] == "20250927"


def test_parallel_case_runs_to_completion_with_merged_data(deployed: EngineContext, applicant: Actor) -> None:
    view = run_to_end(deployed, applicant)
    assert view.status == "completed"
    assert view.open_tasks == ()
    assert view.data["both_approved"] is True
    assert view.data["area_m2"] == 12000  # coerced by the form's number field


def test_invalid_form_is_refused_and_changes_nothing(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "parallel_review", applicant)
    before, rows_before = _raw_case(deployed, view.id)
    bad = {**VALID_APPLICATION, "uscc": "91350100M000100Y44", "area_m2": "-5", "contact_mobile": "1234"}
    with pytest.raises(FormDataInvalid) as info:
        tasks.complete_task(deployed, view.id, _task(view, "submit").task_uuid, bad, applicant)
    assert set(info.value.errors) == {"uscc", "area_m2", "contact_mobile"}
    assert info.value.values["uscc"] == "91350100M000100Y44"  # kept for re-rendering
    after, rows_after = _raw_case(deployed, view.id)
    assert (after.lock_version, after.state, len(rows_after)) == (before.lock_version, before.state, len(rows_before))


def test_task_not_ready_and_wrong_group_are_refused(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "parallel_review", applicant)
    submit = _task(view, "submit")
    view = tasks.complete_task(deployed, view.id, submit.task_uuid, VALID_APPLICATION, applicant)
    with pytest.raises(TaskNotReady):
        tasks.complete_task(deployed, view.id, submit.task_uuid, VALID_APPLICATION, applicant)
    with pytest.raises(NotAllowed):
        tasks.complete_task(deployed, view.id, _task(view, "a_cb").task_uuid, {"a_opinion": "approve"},
                            dept_actor("b_cb"))
    with pytest.raises(TaskNotFound):
        tasks.complete_task(deployed, view.id, "not-a-uuid", {}, applicant)


def test_future_task_cannot_be_run_early(deployed: EngineContext, applicant: Actor) -> None:
    # SpiffWorkflow's Task.run() would happily complete a FUTURE task; the engine must not.
    view = cases.start_case(deployed, "parallel_review", applicant)
    runtime_task_ids = []
    from engine.runtime.case import CaseRuntime
    from engine.services.cases import definition_for_case
    with deployed.uow() as uow:
        record = uow.session.get(CaseRecord, view.id)
        runtime = CaseRuntime.restore(definition_for_case(deployed, uow, record), record.state,
                                      deployed.script_engine)
        runtime_task_ids = [str(t.id) for t in runtime.workflow.get_tasks() if t.task_spec.bpmn_id == "a_pz"]
    with pytest.raises(TaskNotReady):
        tasks.complete_task(deployed, view.id, runtime_task_ids[0], {"a_opinion": "approve"}, dept_actor("a_pz"))


def test_claimed_task_belongs_to_its_claimer(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "parallel_review", applicant)
    view = tasks.complete_task(deployed, view.id, _task(view, "submit").task_uuid, VALID_APPLICATION, applicant)
    a_cb = _task(view, "a_cb")
    alice, bob = dept_actor("a_cb", "alice"), dept_actor("a_cb", "bob")
    assert tasks.claim_task(deployed, view.id, a_cb.task_uuid, alice).assignee == "alice"
    with pytest.raises(NotAllowed):
        tasks.claim_task(deployed, view.id, a_cb.task_uuid, bob)
    with pytest.raises(NotAllowed):
        tasks.complete_task(deployed, view.id, a_cb.task_uuid, {"a_opinion": "approve"}, bob)
    assert [t.element_id for t in tasks.list_worklist(deployed, bob)] == []
    assert [t.element_id for t in tasks.list_worklist(deployed, alice)] == ["a_cb"]
    tasks.release_task(deployed, view.id, a_cb.task_uuid, alice)
    assert [t.element_id for t in tasks.list_worklist(deployed, bob)] == ["a_cb"]
    tasks.complete_task(deployed, view.id, a_cb.task_uuid, {"a_opinion": "approve"}, bob)


def test_worklist_follows_candidate_groups(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "parallel_review", applicant)
    tasks.complete_task(deployed, view.id, _task(view, "submit").task_uuid, VALID_APPLICATION, applicant)
    both = Actor("lead", groups=frozenset({"a_cb", "b_cb"}))
    assert sorted(t.element_id for t in tasks.list_worklist(deployed, both)) == ["a_cb", "b_cb"]
    assert [t.element_id for t in tasks.list_worklist(deployed, dept_actor("a_sh"))] == []


def test_history_records_forms_as_submitted_and_every_transition(deployed: EngineContext, applicant: Actor) -> None:
    view = run_to_end(deployed, applicant)
    history = cases.case_history(deployed, view.id)
    submitted = [h for h in history if h.event_type == "form_submitted"]
    assert [h.element_id for h in submitted] == ["submit", "a_cb", "a_sh", "a_pz", "b_cb", "b_sh", "b_pz"]
    assert submitted[0].payload == VALID_APPLICATION  # raw strings, exactly as typed
    assert submitted[0].data_after["area_m2"] == 12000
    assert submitted[0].actor_id == applicant.user_id
    completed = {(h.element_id, h.actor_id) for h in history if h.to_state == "COMPLETED"}
    assert ("a_pz", "user_a_pz") in completed and ("summarize", "user_b_pz") in completed
    assert history[0].event_type == "case_started" and history[-1].event_type == "case_completed"
    assert [h.seq for h in history] == list(range(1, len(history) + 1))


def test_history_rows_are_hash_chained(deployed: EngineContext, applicant: Actor) -> None:
    view = run_to_end(deployed, applicant)
    case, rows = _raw_case(deployed, view.id)
    previous = GENESIS_HASH
    for row in rows:
        fields = {c: getattr(row, c) for c in ("case_id", "seq", "occurred_at", "event_type", "actor_id",
                                               "actor_role", "element_id", "element_name", "task_uuid", "from_state",
                                               "to_state", "data_before", "data_after", "payload", "prev_hash")}
        assert row.prev_hash == previous
        assert row.row_hash == row_digest(fields)
        previous = row.row_hash
    assert case.history_hash == previous


def test_state_is_compressed_and_stored_without_the_spec(deployed: EngineContext, applicant: Actor) -> None:
    view = run_to_end(deployed, applicant)
    case, _ = _raw_case(deployed, view.id)
    state = json.loads(gzip.decompress(case.state))
    assert state["spec"] == "__spec_injected__"
    assert "parallel_review.bpmn" not in gzip.decompress(case.state).decode()
    assert len(case.state) < len(gzip.decompress(case.state)) / 3


def test_running_case_keeps_its_version_after_redeploy(deployed: EngineContext, applicant: Actor,
                                                       designer: Actor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from engine.services.deploy import deploy_path
    old = cases.start_case(deployed, "parallel_review", applicant)
    copy = tmp_path / "parallel_review"
    shutil.copytree(deployed.settings.processes_dir / "parallel_review", copy)
    bpmn = copy / "parallel_review.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="住建承办"', 'name="住建局承办（新）"'),
                    encoding="utf-8")
    [result] = deploy_path(deployed, copy, designer)
    assert (result.version, result.created) == (2, True)
    [again] = deploy_path(deployed, copy, designer)
    assert (again.version, again.created) == (2, False)
    new = cases.start_case(deployed, "parallel_review", applicant)
    assert new.definition_id == result.definition_id != old.definition_id
    old = tasks.complete_task(deployed, old.id, _task(old, "submit").task_uuid, VALID_APPLICATION, applicant)
    new = tasks.complete_task(deployed, new.id, _task(new, "submit").task_uuid, VALID_APPLICATION, applicant)
    assert _task(old, "a_cb").name == "住建承办"
    assert _task(new, "a_cb").name == "住建局承办（新）"


def test_only_starter_groups_may_start(deployed: EngineContext) -> None:
    with pytest.raises(NotAllowed):
        cases.start_case(deployed, "parallel_review", dept_actor("a_cb"))


def test_workflow_cache_skips_restores_but_never_serves_stale_state(settings, clock, designer: Actor,  # type: ignore[no-untyped-def]
                                                                    applicant: Actor, monkeypatch) -> None:
    import dataclasses

    from engine.runtime.case import CaseRuntime
    from engine.services.deploy import deploy_path

    restores: list[int] = []
    original = CaseRuntime.restore.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(CaseRuntime, "restore",
                        classmethod(lambda cls, *a: restores.append(1) or original(cls, *a)))
    one = EngineContext.create(dataclasses.replace(settings, workflow_cache_size=16), clock)
    other = EngineContext.create(dataclasses.replace(settings, workflow_cache_size=16), clock)
    try:
        deploy_path(one, settings.processes_dir / "parallel_review", designer)
        view = run_to_end(one, applicant)
        assert view.status == "completed" and restores == []  # every step reused the live workflow
        second = cases.start_case(one, "parallel_review", applicant)
        # Another process (context) advances the case: the first one's cached copy is now stale.
        tasks.complete_task(other, second.id, _task(second, "submit").task_uuid, VALID_APPLICATION, applicant)
        assert len(restores) == 1
        after = get_case(one, second.id)
        a_cb = _task(after, "a_cb")
        tasks.complete_task(one, second.id, a_cb.task_uuid, {"a_opinion": "approve"}, dept_actor("a_cb"))
        assert len(restores) == 3  # get_case restores; the step found its cached copy stale and restored
        assert get_case(one, second.id).data["a_opinion"] == "approve"
    finally:
        one.dispose()
        other.dispose()


def test_search_takes_percent_and_underscore_literally(deployed: EngineContext, applicant: Actor) -> None:
    # LIKE wildcards typed into the search box must not match everything (or any one character).
    for title in ("达标率100%工程", "一期_二期", "一期X二期", "普通工程"):
        view = cases.start_case(deployed, "parallel_review", applicant, title=title)
        tasks.complete_task(deployed, view.id, _task(view, "submit").task_uuid, VALID_APPLICATION, applicant)
    window = Actor("window1", groups=frozenset({"window_clerk"}))

    def found(search: str) -> list[str]:
        return sorted(c.title for c in list_cases(deployed, window, search=search))

    assert found("%") == ["达标率100%工程"]
    assert found("_") == ["一期_二期"]
    assert found("一期_二期") == ["一期_二期"]
    assert found("\\") == []
    assert found("一期") == ["一期X二期", "一期_二期"]
    assert len(found("")) == 4
