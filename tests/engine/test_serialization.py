"""Stored state restores exactly, whatever the key order, and cached fragments never go stale."""

from __future__ import annotations

import gzip
import json
import random

import pytest
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.definitions.bundles import collect_matter_files
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.catalog import compile_definition
from engine.runtime.spiff.script_environment import make_script_engine
from engine.runtime.spiff.serializer import StoredState
from engine.runtime.spiff.serializer import dump_state
from engine.runtime.spiff.serializer import restore_state
from engine.runtime.spiff.serializer import store_state
from tests.conftest import FIXTURES

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


# -- chunks: a long case's finished tasks stored once ---------------------------------------------------


class ChunkTable:
    """The case_state_chunks rows of one case, kept as save_runtime keeps them."""

    def __init__(self) -> None:
        self.rows: dict[int, bytes] = {}

    def save(self, stored: StoredState) -> bytes:
        if stored.replace:
            self.rows.clear()
        if stored.chunk is not None:
            seq, body = stored.chunk
            assert seq not in self.rows
            self.rows[seq] = body
        return stored.blob

    def read(self, first: int, last: int) -> list[bytes]:
        return [self.rows[seq] for seq in range(first, last + 1) if seq in self.rows]


def _reassembled(blob: bytes, table: ChunkTable) -> dict:
    dct = _ours(blob)
    span = dct.pop("onewindow_chunks", None)
    if span is not None:
        tasks: dict = {}
        for body in table.read(*span):
            tasks.update(json.loads(gzip.decompress(body)))
        tasks.update(dct["tasks"])
        dct["tasks"] = tasks
    return dct


def test_chunked_state_reassembles_to_spiffworkflows_own_serialization_at_every_step() -> None:
    loop = compile_definition(collect_matter_files(FIXTURES / "matters" / "loop_bench", FIXTURES / "forms"))
    engine = make_script_engine()
    workflow = BpmnWorkflow(loop.spec, loop.subprocess_specs, script_engine=engine)
    workflow.do_engine_steps()
    table = ChunkTable()
    chunked_states = most_chunks = 0
    for round_no in range(1, 121):
        blob = table.save(store_state(workflow))
        assert _reassembled(blob, table) == _plain_state(workflow), round_no
        chunked_states += "onewindow_chunks" in _ours(blob)
        most_chunks = max(most_chunks, len(table.rows))
        if round_no % 7 == 0:  # another server's step: restored from the row and its chunks
            workflow = restore_state(blob, loop.spec, loop.subprocess_specs, engine, table.read)
            assert _plain_state(workflow) == _reassembled(blob, table)
        if round_no == 90:  # a token move back drops chunked tasks: the whole state is written anew
            reviews = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == "review"]
            workflow.reset_from_task_id(reviews[10].id)
            stored = store_state(workflow)
            assert stored.replace
            blob = table.save(stored)
            assert _reassembled(blob, table) == _plain_state(workflow)
        _step(workflow, {"again": "yes"})
    assert chunked_states > 50
    assert most_chunks >= 2
    # the state a long case saves stays small: finished tasks are in the chunks, stored once
    assert len(store_state(workflow).blob) < len(dump_state(workflow)) / 2
    _step(workflow, {"again": "no"})
    blob = table.save(store_state(workflow))
    assert workflow.is_completed() and _reassembled(blob, table) == _plain_state(workflow)


def test_a_chunked_state_without_its_chunks_is_refused() -> None:
    loop = compile_definition(collect_matter_files(FIXTURES / "matters" / "loop_bench", FIXTURES / "forms"))
    engine = make_script_engine()
    workflow = BpmnWorkflow(loop.spec, loop.subprocess_specs, script_engine=engine)
    workflow.do_engine_steps()
    table = ChunkTable()
    for _ in range(40):
        _step(workflow, {"again": "yes"})
    blob = table.save(store_state(workflow))
    assert table.rows
    with pytest.raises(ValueError, match="chunks"):
        restore_state(blob, loop.spec, loop.subprocess_specs, engine)
