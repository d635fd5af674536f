"""Stored state restores exactly, whatever the key order, and cached fragments never go stale."""

from __future__ import annotations

import gzip
import json
import random

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.definitions.catalog import CompiledDefinition
from engine.runtime.spiff.script_environment import make_script_engine
from engine.runtime.spiff.serializer import dump_state
from engine.runtime.spiff.serializer import restore_state

APPLICATION = {"project_name": "某项目", "uscc": "91350100M000100Y43", "area_m2": 1200, "contact_mobile": "13800138000"}


def _plain_state(workflow: BpmnWorkflow) -> dict:
    """What SpiffWorkflow's own serializer writes, minus the spec we inject instead of storing."""
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    dct = json.loads(BpmnWorkflowSerializer(registry).serialize_json(workflow))
    dct.pop("spec")
    dct.pop("subprocess_specs")
    return dct


def _ours(blob: bytes) -> dict:
    dct = json.loads(gzip.decompress(blob))
    assert dct.pop("spec") == "__spec_injected__"
    dct.pop("subprocess_specs")
    return dct


def _step(workflow: BpmnWorkflow, values: dict) -> None:
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update(values)
    task.run()
    workflow.do_engine_steps()


def test_fragment_cached_dump_equals_spiffworkflow_serialization_at_every_step(
        parallel_compiled: CompiledDefinition) -> None:
    engine = make_script_engine()
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs, script_engine=engine)
    workflow.do_engine_steps()
    steps = [APPLICATION] + [{"a_opinion": "approve"}] * 3 + [{"b_opinion": "approve"}] * 3
    for values in steps:
        assert _ours(dump_state(workflow)) == _plain_state(workflow)
        _step(workflow, values)
        # Mutating a live task after a save must show up in the next save (it is not cached).
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            task.data["scribble"] = random.random()
    assert workflow.is_completed()
    assert _ours(dump_state(workflow)) == _plain_state(workflow)


def test_restore_is_independent_of_task_order_in_the_stored_json(parallel_compiled: CompiledDefinition) -> None:
    engine = make_script_engine()
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs, script_engine=engine)
    workflow.do_engine_steps()
    _step(workflow, APPLICATION)
    _step(workflow, {"a_opinion": "approve", "a_comment": "同意"})
    dct = json.loads(gzip.decompress(dump_state(workflow)))
    dct["tasks"] = dict(sorted(dct["tasks"].items()))  # what a JSONB column would do to the order
    shuffled = gzip.compress(json.dumps(dct).encode())
    restored = restore_state(shuffled, parallel_compiled.spec, parallel_compiled.subprocess_specs, engine)
    ready = {t.task_spec.bpmn_id: t.data for t in restored.get_tasks(state=TaskState.READY, manual=True)}
    assert ready["a_sh"]["a_comment"] == "同意" and ready["a_sh"]["project_name"] == "某项目"
    assert ready["b_cb"]["project_name"] == "某项目"
