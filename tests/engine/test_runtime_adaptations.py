"""The pieces of engine/runtime that are built once at import, tested by building them again.

They run at import time in production (the sandbox builtins, the serializer, the installed patches), so
these tests call the builders directly and check what the rest of the engine relies on them to produce.
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.clock import FixedClock
from engine.definitions.catalog import CompiledDefinition
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff import state_changes
from engine.runtime.spiff import timer_clock
from engine.runtime.spiff.script_environment import make_script_engine
from engine.runtime.spiff.serializer import SPEC_PLACEHOLDER
from engine.runtime.spiff.serializer import _make_serializer
from engine.runtime.spiff.task_run import NotRunnable
from engine.runtime.spiff.task_run import run_human_task

APPLICATION = {"project_name": "某项目", "uscc": "91350100M000100Y43", "area_m2": 1200, "contact_mobile": "13800138000"}


def test_serializer_keeps_decimals_and_dates_and_leaves_the_spec_out(parallel_compiled: CompiledDefinition) -> None:
    serializer = _make_serializer()
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs,
                            script_engine=make_script_engine())
    workflow.do_engine_steps()
    [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.data.update({"fee": Decimal("12.50"), "received_on": date(2025, 9, 26)})
    serializer.registry._encoder_mode = True  # as serialize_text does: custom types are converted while encoding
    try:
        dct = serializer.to_dict(workflow)
        text = json.dumps(dct, cls=serializer._encoder_cls)
    finally:
        serializer.registry._encoder_mode = False
    assert dct["spec"] == SPEC_PLACEHOLDER
    restored_dct = json.loads(text)
    restored_dct["spec"] = parallel_compiled.spec
    restored_dct["subprocess_specs"] = dict(parallel_compiled.subprocess_specs)
    restored = serializer.from_dict(restored_dct)
    [again] = restored.get_tasks(state=TaskState.READY, manual=True)
    assert again.data["fee"] == Decimal("12.50") and isinstance(again.data["fee"], Decimal)
    assert again.data["received_on"] == date(2025, 9, 26)


def test_timer_patch_installs_itself_again_if_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spiff_timer, "datetime", datetime)
    timer_clock.install()
    assert spiff_timer.datetime is timer_clock._ClockDatetime
    timer_clock.install()  # idempotent
    assert spiff_timer.datetime is timer_clock._ClockDatetime


def test_transition_capture_installs_itself_again_if_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Task, "_set_state", state_changes._original_set_state)
    state_changes._install()
    assert Task._set_state is state_changes._recording_set_state
    state_changes._install()
    assert Task._set_state is state_changes._recording_set_state


def test_clock_datetime_keeps_the_datetime_now_contract() -> None:
    # Outside a step: the real clock, aware when asked for a zone.
    outside = timer_clock._ClockDatetime.now(UTC)
    assert outside.tzinfo is not None and abs(outside - datetime.now(UTC)) < timedelta(minutes=5)
    clock = FixedClock(datetime(2031, 1, 1, 2, 0, tzinfo=UTC))
    with timer_clock.clock_bound(clock):
        assert timer_clock._ClockDatetime.now(UTC) == clock.now()
        naive = timer_clock._ClockDatetime.now()  # like datetime.now(): naive, here in UTC
        assert naive.tzinfo is None and naive == datetime(2031, 1, 1, 2, 0)
        assert timer_clock.current_now() == clock.now()


def test_forget_ready_makes_the_next_lookup_see_direct_changes(parallel_compiled: CompiledDefinition) -> None:
    runtime = CaseRuntime.start(parallel_compiled, make_script_engine(), {})
    [submit] = runtime.ready_human_tasks()
    submit.data.update(APPLICATION)
    submit.run()  # changed directly, as audit replay does
    runtime.workflow.do_engine_steps()
    assert runtime.ready_human_tasks() == [submit]  # the cached answer, until told to forget
    runtime.forget_ready()
    assert sorted(t.task_spec.bpmn_id for t in runtime.ready_human_tasks()) == ["a_cb", "b_cb"]


def test_not_runnable_says_why(parallel_compiled: CompiledDefinition) -> None:
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs,
                            script_engine=make_script_engine())
    workflow.do_engine_steps()
    future = next(t for t in workflow.get_tasks() if t.task_spec.name == "a_pz")
    with pytest.raises(NotRunnable) as refused:
        run_human_task(future)
    assert refused.value.reason.startswith("state is ") and "not READY" in refused.value.reason
    assert str(refused.value).startswith("a_pz: ")


FAILING_SCRIPT_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="urn:test">
  <bpmn:process id="failing" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="calc"/>
    <bpmn:scriptTask id="calc"><bpmn:script>fee = missing_area * 2</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_failing_script_marks_the_case_failed_naming_the_element() -> None:
    from engine.definitions.parser import SafeSpiffBpmnParser

    parser = SafeSpiffBpmnParser()
    parser.add_bpmn_str(FAILING_SCRIPT_BPMN.encode(), "failing.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("failing"), {}, script_engine=make_script_engine())
    runtime = CaseRuntime(None, workflow)  # type: ignore[arg-type] - run_engine needs only the workflow
    assert runtime.status == "running"
    runtime.run_engine()
    assert runtime.status == "failed"
    assert runtime.failure is not None
    assert runtime.failure.element_id == "calc"
    # The first line of SpiffWorkflow's message, which names the error; the rest is a code listing.
    assert runtime.failure.detail.startswith("NameError:name 'missing_area' is not defined")
    assert "\n" not in runtime.failure.detail
