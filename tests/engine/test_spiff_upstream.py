"""SpiffWorkflow's behaviour that our adaptations (engine/runtime/spiff/) change or rely on.

Each test states one upstream behaviour, measured on the pinned release, and fails when an upgrade
changes it: then the adaptation named in the test is either no longer needed (delete it) or no
longer works (fix it) — read the failure before raising the pin.
"""

from __future__ import annotations

import ast
import gzip
import inspect
import json
import logging
import os
import tomllib
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import SpiffWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskIterator
from SpiffWorkflow.util.task import TaskState

from engine.clock import FixedClock
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.parser import SafeSpiffBpmnParser
from engine.errors import UnsafeXml
from engine.runtime.spiff import PINNED_SPIFFWORKFLOW_VERSION
from engine.runtime.spiff import installed_spiffworkflow_version
from engine.runtime.spiff.live_tasks import index_live_tasks
from engine.runtime.spiff.script_environment import RestrictedEnvironment
from engine.runtime.spiff.script_environment import make_script_engine
from engine.runtime.spiff.serializer import SERIALIZER_VERSION
from engine.runtime.spiff.serializer import dump_state
from engine.runtime.spiff.serializer import restore_state
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.task_run import NotRunnable
from engine.runtime.spiff.task_run import run_human_task
from engine.runtime.spiff.timer_clock import _ClockDatetime
from engine.runtime.spiff.timer_clock import clock_bound
from tests.conftest import ROOT

SPIFF_ROOT = Path(SpiffWorkflow.__file__).parent
APPLICATION = {"project_name": "某项目", "uscc": "91350100M000100Y43", "area_m2": 1200, "contact_mobile": "13800138000"}

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="urn:test"')
TIMER_BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}>
  <bpmn:process id="timed" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review"/>
    <bpmn:boundaryEvent id="overdue" attachedToRef="review">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="overdue" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""
CALL_BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}>
  <bpmn:process id="top" isExecutable="true">
    <bpmn:startEvent id="top_start"/>
    <bpmn:sequenceFlow id="t1" sourceRef="top_start" targetRef="call"/>
    <bpmn:callActivity id="call" calledElement="child"/>
    <bpmn:sequenceFlow id="t2" sourceRef="call" targetRef="top_end"/>
    <bpmn:endEvent id="top_end"/>
  </bpmn:process>
  <bpmn:process id="child" isExecutable="true">
    <bpmn:startEvent id="child_start"/>
    <bpmn:sequenceFlow id="c1" sourceRef="child_start" targetRef="child_task"/>
    <bpmn:userTask id="child_task"/>
    <bpmn:sequenceFlow id="c2" sourceRef="child_task" targetRef="child_end"/>
    <bpmn:endEvent id="child_end"/>
  </bpmn:process>
</bpmn:definitions>"""


def _workflow(bpmn: str, process_id: str, engine: PythonScriptEngine | None = None) -> BpmnWorkflow:
    parser = SafeSpiffBpmnParser()
    parser.add_bpmn_str(bpmn.encode("utf-8"), "test.bpmn")
    return BpmnWorkflow(parser.get_spec(process_id), parser.get_subprocess_specs(process_id),
                        script_engine=engine or make_script_engine())


def _stock_serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def _step(workflow: BpmnWorkflow, values: dict) -> None:
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update(values)
    task.run()
    workflow.do_engine_steps()


def _sources() -> list[tuple[str, str]]:
    return [(str(path.relative_to(SPIFF_ROOT)), path.read_text(encoding="utf-8"))
            for path in sorted(SPIFF_ROOT.rglob("*.py"))]


# -- the pin ----------------------------------------------------------------------------------------------


def test_installed_spiffworkflow_is_the_pinned_release() -> None:
    # engine/runtime/spiff/__init__.py names the release every adaptation was measured on.
    assert installed_spiffworkflow_version() == PINNED_SPIFFWORKFLOW_VERSION


def test_pyproject_pins_exactly_that_release() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [dep for dep in pyproject["project"]["dependencies"] if dep.lower().startswith("spiffworkflow")]
    assert pins == [f"SpiffWorkflow=={PINNED_SPIFFWORKFLOW_VERSION}"]


# -- timer_clock: the timer module reads the wall clock through its module global `datetime` -----------------


def test_timer_due_time_comes_from_the_timer_modules_datetime_global() -> None:
    # If SpiffWorkflow stops calling `datetime.now` through this module global, our patch has no effect
    # and timers fall back to the wall clock: this due time would then be "now + 1 h", not 2031.
    assert spiff_timer.datetime is _ClockDatetime
    clock = FixedClock(datetime(2031, 1, 1, 0, 0, tzinfo=UTC))
    with clock_bound(clock):
        workflow = _workflow(TIMER_BPMN, "timed")
        workflow.do_engine_steps()
        [event] = [e for e in workflow.waiting_events() if e.event_type.endswith("TimerEventDefinition")]
        assert datetime.fromisoformat(event.value) == clock.now() + timedelta(hours=1)
        clock.advance(minutes=59)
        workflow.refresh_timers()
        workflow.do_engine_steps()
        assert [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)] == ["review"]
        clock.advance(minutes=2)  # fires by our clock, decades before the wall clock gets there
        workflow.refresh_timers()
        workflow.do_engine_steps()
        assert workflow.is_completed()


def test_no_other_spiffworkflow_module_reads_the_wall_clock() -> None:
    # Our clock patch covers one module; a second reader of "now" would escape the injected clock.
    readers = {name for name, source in _sources()
               if any(call in source for call in ("datetime.now(", "datetime.utcnow(", "date.today("))}
    assert readers == {os.path.join("bpmn", "specs", "event_definitions", "timer.py")}


# -- state_changes: Task._set_state is the single funnel of state changes -------------------------------------


def test_only_init_set_state_and_deserializers_assign_task_state() -> None:
    # Our transition capture wraps Task._set_state; any other assignment to `_state` would be a state
    # change the case history never records.
    assigners: set[tuple[str, str]] = set()
    for name, source in _sources():
        for func in ast.walk(ast.parse(source)):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
                if any(isinstance(t, ast.Attribute) and t.attr == "_state" for t in targets):
                    assigners.add((name, func.name))
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr" and \
                        len(node.args) > 1 and getattr(node.args[1], "value", None) == "_state":
                    assigners.add((name, func.name))
    assert assigners == {("task.py", "__init__"), ("task.py", "_set_state"),
                         (os.path.join("serializer", "dict.py"), "deserialize_task"),
                         (os.path.join("serializer", "xml.py"), "deserialize_task")}


def test_captured_transitions_explain_every_state_the_tree_reaches(parallel_compiled: CompiledDefinition) -> None:
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs,
                            script_engine=make_script_engine())
    workflow.do_engine_steps()
    for values in (APPLICATION, {"a_opinion": "approve"}, {"b_opinion": "approve"}):
        before = {str(t.id): TaskState.get_name(t.state) for t in workflow.get_tasks()}
        with capture() as buffer:
            _step(workflow, values)
        last: dict[str, str] = {}
        for change in buffer.transitions:
            if change.task_id in before and change.task_id not in last:
                assert change.from_state == before[change.task_id]
            if change.task_id in last:
                assert change.from_state == last[change.task_id]  # a chain, no state skipped unseen
            last[change.task_id] = change.to_state
        for task in workflow.get_tasks():
            now = TaskState.get_name(task.state)
            if before.get(str(task.id), now) != now:
                assert last.get(str(task.id)) == now, f"{task.task_spec.name} changed state unseen"
        assert buffer.transitions


def test_set_state_still_logs_each_change_on_spiff_task(parallel_compiled: CompiledDefinition,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    # The log and our capture hang off the same call: equal counts show nothing bypasses the wrapper.
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs,
                            script_engine=make_script_engine())
    workflow.do_engine_steps()
    with caplog.at_level(logging.INFO, logger="spiff.task"), capture() as buffer:
        _step(workflow, APPLICATION)
    logged = [r for r in caplog.records if r.name == "spiff.task" and r.getMessage().startswith("State changed")]
    assert len(logged) == len(buffer.transitions) > 0


# -- serializer -------------------------------------------------------------------------------------------


def test_restoring_tasks_child_first_loses_delta_data(parallel_compiled: CompiledDefinition) -> None:
    # Why restore_state re-orders tasks parent-first: stock from_dict rebuilds each child's data as a delta
    # against its parent in dict order. If this starts passing with all data present, `_parent_first` can go.
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs,
                            script_engine=make_script_engine())
    workflow.do_engine_steps()
    _step(workflow, APPLICATION)
    _step(workflow, {"a_opinion": "approve", "a_comment": "同意"})
    stock = _stock_serializer()
    dct = stock.to_dict(workflow)
    dct[stock.VERSION_KEY] = stock.VERSION
    dct["tasks"] = dict(reversed(list(dct["tasks"].items())))
    naive = stock.from_dict(json.loads(json.dumps(dct, cls=stock._encoder_cls)))
    data = {t.task_spec.bpmn_id: t.data for t in naive.get_tasks(state=TaskState.READY, manual=True)}
    assert data["a_sh"].get("a_comment") != "同意" or data["a_sh"].get("project_name") != "某项目"
    stored = json.loads(gzip.decompress(dump_state(workflow)))
    stored["tasks"] = dict(reversed(list(stored["tasks"].items())))
    blob = gzip.compress(json.dumps(stored).encode())
    ours = restore_state(blob, parallel_compiled.spec, parallel_compiled.subprocess_specs, make_script_engine())
    data = {t.task_spec.bpmn_id: t.data for t in ours.get_tasks(state=TaskState.READY, manual=True)}
    assert data["a_sh"]["a_comment"] == "同意" and data["a_sh"]["project_name"] == "某项目"


def test_registry_restore_passes_injected_spec_objects_through(parallel_compiled: CompiledDefinition) -> None:
    # restore_state puts the cached parsed spec where the serialized spec would be.
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    assert registry.restore(parallel_compiled.spec) is parallel_compiled.spec


def test_stock_deserialize_comes_back_with_the_unrestricted_default_engine(
        parallel_compiled: CompiledDefinition) -> None:
    # Why restore_state re-attaches our engine: the stock one runs anything.
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs,
                            script_engine=make_script_engine())
    workflow.do_engine_steps()
    stock = _stock_serializer()
    restored = stock.deserialize_json(stock.serialize_json(workflow))
    assert type(restored.script_engine.environment) is TaskDataEnvironment
    assert restored.script_engine.environment.evaluate("__import__('os').getpid()", {}) == os.getpid()
    ours = restore_state(dump_state(workflow), parallel_compiled.spec, parallel_compiled.subprocess_specs,
                         make_script_engine())
    assert isinstance(ours.script_engine.environment, RestrictedEnvironment)


def test_sub_workflows_use_the_top_workflows_engine() -> None:
    # attach_script_engine sets the top workflow's engine only; call activities must read it from there.
    engine = make_script_engine()
    workflow = _workflow(CALL_BPMN, "top", engine=PythonScriptEngine())
    workflow.do_engine_steps()
    [sub] = workflow.subprocesses.values()
    workflow.script_engine = engine
    assert sub.script_engine is engine


def test_fragment_cache_relies_on_private_serializer_names_that_still_exist() -> None:
    # serialize_text toggles these as SpiffWorkflow's own serialize_json does.
    stock = _stock_serializer()
    assert hasattr(stock.registry, "_encoder_mode") and hasattr(stock, "_encoder_cls")
    assert stock.VERSION_KEY == "serializer_version"


def test_serialization_format_version_is_the_one_our_states_are_stored_in() -> None:
    # Stored case states record this version; a new one means SpiffWorkflow migrations run on every restore.
    assert SERIALIZER_VERSION == _stock_serializer().VERSION == "1.5"


# -- task_run: Task.run() checks neither state nor manual ------------------------------------------------------


def test_task_run_still_completes_a_task_that_is_not_ready(parallel_compiled: CompiledDefinition) -> None:
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs,
                            script_engine=make_script_engine())
    workflow.do_engine_steps()
    future = next(t for t in workflow.get_tasks() if t.task_spec.name == "a_pz")
    assert future.state != TaskState.READY
    with pytest.raises(NotRunnable):
        run_human_task(future)
    assert future.state != TaskState.COMPLETED
    future.run()  # upstream: no check at all
    assert future.state == TaskState.COMPLETED


def test_run_human_task_refuses_automatic_tasks(parallel_compiled: CompiledDefinition) -> None:
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs,
                            script_engine=make_script_engine())
    workflow.do_engine_steps()
    _step(workflow, APPLICATION)
    gateway = next(t for t in workflow.get_tasks() if t.task_spec.name == "join")
    gateway._set_state(TaskState.READY)
    with pytest.raises(NotRunnable, match="manual"):
        run_human_task(gateway)


# -- script_environment: shared nested data and the default environment ---------------------------------------


def test_child_tasks_share_nested_values_with_their_parent(parallel_compiled: CompiledDefinition) -> None:
    # Why the sandbox deep-copies task data before a script: a script mutating a nested value in place
    # would rewrite the already-completed task's data.
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs,
                            script_engine=make_script_engine())
    workflow.do_engine_steps()
    submit = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    _step(workflow, {**APPLICATION, "application": {"owner": {"verified": False}}})
    child = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True))
    assert child.data["application"] is not submit.data["application"]  # the top level is copied,
    assert child.data["application"]["owner"] is submit.data["application"]["owner"]  # nested values are not


def test_default_environment_still_runs_anything() -> None:
    # Why every workflow gets RestrictedEnvironment: the default is exec/eval with real builtins.
    assert type(PythonScriptEngine().environment) is TaskDataEnvironment
    assert PythonScriptEngine().environment.evaluate("__import__('os').getpid()", {}) == os.getpid()


def test_script_engine_calls_the_environment_hooks_we_override() -> None:
    calls: list[str] = []

    class Spy(RestrictedEnvironment):
        def evaluate(self, expression, context, external_context=None):  # type: ignore[no-untyped-def]
            calls.append("evaluate")
            return super().evaluate(expression, context, external_context)

        def execute(self, script, context, external_context=None):  # type: ignore[no-untyped-def]
            calls.append("execute")
            return super().execute(script, context, external_context)

    engine = PythonScriptEngine(environment=Spy())
    task = _workflow(CALL_BPMN, "top").task_tree
    assert engine.evaluate(task, "1 + 1") == 2
    engine.execute(task, "y = 3")
    assert calls == ["evaluate", "execute"] and task.data["y"] == 3


# -- SafeSpiffBpmnParser (engine/definitions/parser.py): every way in is hardened -------------------------------


def test_parser_entry_points_are_the_ones_the_safe_parser_covers() -> None:
    entry_points = {name for name in dir(SpiffBpmnParser) if name.startswith("add_")}
    assert entry_points == {"add_bpmn_file", "add_bpmn_files", "add_bpmn_files_by_glob", "add_bpmn_io",
                            "add_bpmn_str", "add_bpmn_xml", "add_dmn_file", "add_dmn_files",
                            "add_dmn_files_by_glob", "add_dmn_io", "add_dmn_str", "add_dmn_xml"}


@pytest.mark.parametrize("entry", ["add_bpmn_files", "add_bpmn_files_by_glob", "add_dmn_files",
                                   "add_dmn_files_by_glob"])
def test_plural_entry_points_still_go_through_the_hardened_single_file_ones(tmp_path: Path, entry: str) -> None:
    evil = tmp_path / "evil.bpmn"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', encoding="utf-8")
    argument = str(tmp_path / "*.bpmn") if entry.endswith("glob") else [str(evil)]
    with pytest.raises(UnsafeXml):
        getattr(SafeSpiffBpmnParser(), entry)(argument)



# -- http_task: service calls wait instead of running inline ---------------------------------------------

SERVICE_BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}>
  <bpmn:process id="calls" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call"/>
    <bpmn:serviceTask id="call">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="OPERATION" resultVariable="answer">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="n" type="int" value="2 + 3"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_stock_service_tasks_call_the_engine_inline_and_complete() -> None:
    """Why ``http_task`` exists: upstream completes a service task within ``do_engine_steps``."""
    calls: list[dict] = []
    engine = make_script_engine(services={"lookup": lambda params: calls.append(params) or {"ok": True}})
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(SERVICE_BPMN.replace("OPERATION", "lookup").encode(), "test.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("calls"), script_engine=engine)
    workflow.do_engine_steps()
    assert calls == [{"n": 5}] and workflow.is_completed() and workflow.data["answer"] == {"ok": True}


def test_a_spec_returning_none_leaves_its_task_started_until_completed() -> None:
    """What ``http_task`` relies on: ``None`` from ``_run_hook`` is STARTED, the engine leaves it
    alone, it survives a save, and ``Task.complete()`` lets the process go on."""
    workflow = _workflow(SERVICE_BPMN.replace("OPERATION", "http:registry"), "calls")
    workflow.do_engine_steps()
    [task] = workflow.get_tasks(state=TaskState.STARTED)
    assert task.task_spec.bpmn_id == "call" and not workflow.is_completed()
    workflow.do_engine_steps()
    assert task.state == TaskState.STARTED
    spec, subs = workflow.spec, workflow.subprocess_specs
    restored = restore_state(dump_state(workflow), spec, subs, make_script_engine())
    [again] = restored.get_tasks(state=TaskState.STARTED)
    assert again._get_internal_data("http_call")["body"] == {"n": 5}  # noqa: SLF001
    again.data["answer"] = {"ok": True}
    again.complete()
    restored.do_engine_steps()
    assert restored.is_completed()


# -- token_move: no "move forward" upstream ------------------------------------------------------------


def test_completing_a_task_added_without_prediction_adds_no_successors() -> None:
    """Why ``token_move.jump`` predicts before readying: a child added by hand has no children, and
    completing it creates none (the process would silently stop there)."""
    workflow = _workflow(TIMER_BPMN, "timed")
    workflow.do_engine_steps()
    start = next(t for t in workflow.get_tasks() if t.task_spec.name == "start")
    end_spec = workflow.spec.task_specs["end"]
    added = start._add_child(end_spec, TaskState.FUTURE)  # noqa: SLF001
    end_spec._update(added)  # noqa: SLF001
    added.run()
    assert added.state == TaskState.COMPLETED and added.children == []


# -- live_tasks: searches walk only the unfinished part of the tree ---------------------------------------

LOOP_BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}>
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="f4"/>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="review">
      <bpmn:conditionExpression>again == 'yes'</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""
SEARCHED_STATES = (TaskState.READY, TaskState.WAITING, TaskState.FUTURE, TaskState.READY | TaskState.WAITING,
                   TaskState.DEFINITE_MASK, TaskState.PREDICTED_MASK, TaskState.NOT_FINISHED_MASK)


def _stock_search(workflow: BpmnWorkflow, **kwargs: object) -> list[str]:
    return [str(t.id) for t in BpmnTaskIterator(workflow.task_tree, **kwargs)]


def _assert_index_agrees(workflow: BpmnWorkflow) -> None:
    for state in SEARCHED_STATES:
        for manual in (None, True, False):
            assert [str(t.id) for t in workflow.get_tasks(state=state, manual=manual)] == \
                _stock_search(workflow, state=state, manual=manual), (TaskState.get_name(state), manual)
    stock_completed = next(TaskIterator(workflow.task_tree, state=TaskState.NOT_FINISHED_MASK), None) is None
    assert workflow.is_completed() == stock_completed


def test_stock_task_search_walks_every_finished_task_and_stops_at_depth_1000() -> None:
    # Why live_tasks exists: the stock walk for READY tasks visits the whole tree, finished tasks
    # included, so it grows with the case; and it gives up below depth 1000 (long loops lose tasks).
    assert inspect.signature(TaskIterator.__init__).parameters["max_depth"].default == 1000
    workflow = _workflow(LOOP_BPMN, "loop")
    workflow.do_engine_steps()
    for _ in range(5):
        _step(workflow, {"again": "yes"})
    visited = []
    iterator = BpmnTaskIterator(workflow.task_tree, state=TaskState.READY)
    stock_next = iterator._next

    def counting_next() -> object:
        visited.append(task := stock_next())
        return task

    iterator._next = counting_next  # type: ignore[method-assign]
    assert len(list(iterator)) == 1
    finished = {t.id for t in workflow.tasks.values() if t.has_state(TaskState.FINISHED_MASK)}
    assert len(finished) > 10 and finished <= {t.id for t in visited}


def test_tasks_enter_and_leave_a_tree_only_where_the_index_watches() -> None:
    # live_tasks hooks Task.__init__ (which registers every task, the deserializer's too),
    # Task._set_state and Workflow._remove_task; any other writer of `workflow.tasks` would
    # leave the index stale.
    adders, removers = set(), set()
    for name, source in _sources():
        for func in ast.walk(ast.parse(source)):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                targets = node.targets if isinstance(node, ast.Assign) else []
                if any(isinstance(t, ast.Subscript) and getattr(t.value, "attr", None) == "tasks" for t in targets):
                    adders.add((name, func.name))
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("pop", "clear") and \
                        getattr(node.func.value, "attr", None) == "tasks":
                    removers.add((name, func.name))
    assert adders == {("task.py", "__init__"), (os.path.join("bpmn", "util", "event.py"), "add_task"),
                      (os.path.join("specs", "SubWorkflow.py"), "_create_subworkflow")}  # not BPMN
    assert removers == {("workflow.py", "_remove_task"), (os.path.join("bpmn", "util", "event.py"), "remove_task")}


def test_live_index_answers_every_search_as_the_stock_walk_does(parallel_compiled: CompiledDefinition) -> None:
    engine = make_script_engine()
    parallel = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs, script_engine=engine)
    index_live_tasks(parallel)
    parallel.do_engine_steps()
    for values in [APPLICATION] + [{"a_opinion": "approve"}] * 3 + [{"b_opinion": "approve"}] * 3:
        _assert_index_agrees(parallel)
        _step(parallel, values)
        # restored from the stored state, the index is rebuilt and still agrees
        parallel = restore_state(dump_state(parallel), parallel_compiled.spec, parallel_compiled.subprocess_specs,
                                 engine)
        index_live_tasks(parallel)
    _assert_index_agrees(parallel)
    assert parallel.is_completed()

    loop = _workflow(LOOP_BPMN, "loop", engine)
    index_live_tasks(loop)
    loop.do_engine_steps()
    for _ in range(4):
        _step(loop, {"again": "yes"})
        _assert_index_agrees(loop)
    second_review = [t for t in loop.get_tasks(state=TaskState.COMPLETED) if t.task_spec.name == "review"][1]
    loop.reset_from_task_id(second_review.id)  # drops every later task from the tree
    _assert_index_agrees(loop)
    _step(loop, {"again": "no"})
    _assert_index_agrees(loop)
    assert loop.is_completed()

    timed = _workflow(TIMER_BPMN, "timed", engine)
    index_live_tasks(timed)
    with clock_bound(FixedClock(datetime(2025, 3, 3, 1, 0, tzinfo=UTC))):
        timed.do_engine_steps()
    _assert_index_agrees(timed)
    with clock_bound(FixedClock(datetime(2025, 3, 3, 3, 0, tzinfo=UTC))):
        timed.refresh_timers()
        timed.do_engine_steps()
    _assert_index_agrees(timed)
    assert timed.is_completed()


def test_an_indexed_loop_keeps_its_ready_task_below_depth_1000() -> None:
    loop = _workflow(LOOP_BPMN, "loop")
    index_live_tasks(loop)
    loop.do_engine_steps()
    for _ in range(520):  # two tasks a round: deeper than the stock walk looks
        _step(loop, {"again": "yes"})
    (ready,) = loop.get_tasks(state=TaskState.READY, manual=True)
    assert ready.task_spec.name == "review" and not loop.is_completed()
    assert _stock_search(loop, state=TaskState.READY, manual=True) == []  # stock: lost
