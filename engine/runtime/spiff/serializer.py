"""Workflow state <-> compressed text, without the spec: our customisation of SpiffWorkflow's serializer.

The spec (the parsed diagram) is identical for every case of a definition version, so it is kept
once per version in memory and injected on restore; only the runtime state is stored per case.

Upstream behaviours changed or relied on here (each pinned by tests/engine/test_spiff_upstream.py):

- **Spec converter replaced.** ``BpmnWorkflowSerializer`` writes the whole process spec into every
  serialization; we register a converter that writes a placeholder, and rely on
  ``DictionaryConverter.restore`` passing non-dict values through, so the cached parsed spec put in
  the dict before ``from_dict`` is used as is.
- **Task converter wrapped (finished-task fragment cache).** ``to_dict`` converts every task of the
  tree on every save; we wrap the registry's task converter so COMPLETED/CANCELLED tasks are encoded
  once and spliced in as text. Relies on the private ``registry._encoder_mode`` flag and
  ``serializer._encoder_cls``, as SpiffWorkflow's own ``serialize_json`` does.
- **Tasks re-ordered parent-first before restore.** 3.2 stores child task data as a delta against
  the parent and rebuilds it in dict order, so any other order (JSONB, ``sort_keys``) silently loses
  data. We store plain text and re-order defensively anyway.
- **Script engine re-attached.** ``from_dict`` returns a workflow with the default unrestricted
  engine; ``restore_state`` always attaches ours (see ``script_environment``).
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.runtime.spiff.http_task import HttpAwareServiceTask
from engine.runtime.spiff.script_environment import PythonScriptEngine
from engine.runtime.spiff.script_environment import attach_script_engine

SPEC_PLACEHOLDER = "__spec_injected__"


def _make_serializer() -> BpmnWorkflowSerializer:
    # Our service task spec (``http_task``) is converted like SpiffWorkflow's (spec diffs need it).
    registry = BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, HttpAwareServiceTask: ServiceTaskConverter})
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    # Specs are injected on restore, so storing them would only waste space and CPU.
    spec_typename = registry.typenames[BpmnProcessSpec]
    registry.convert_to_dict[spec_typename] = lambda spec: SPEC_PLACEHOLDER
    return BpmnWorkflowSerializer(registry)


_serializer = _make_serializer()
SERIALIZER_VERSION = _serializer.VERSION


def spec_diff(old: BpmnProcessSpec, new: BpmnProcessSpec) -> SpecDiff:
    """SpiffWorkflow's comparison of two process specs (what case migration checks).

    It compares task specs through the serializer's converters, so it must use this registry: ours
    knows the spec classes our parser makes.
    """
    return SpecDiff(_serializer.registry, old, new)


# -- finished-task fragments ---------------------------------------------------------------------
# A long case (rework loops, many rounds of 补正) keeps every finished task in SpiffWorkflow's tree,
# so re-encoding the whole tree on every save makes each step slower than the last. A COMPLETED or
# CANCELLED task never changes again, so its JSON is encoded once and cached on the live workflow;
# later saves splice the cached text in. The cache key includes the state, the time of the last
# state change and the children, so a reset or any change re-encodes the task.

_FRAGMENT = re.compile(r'"@@ow-fragment:([0-9a-f-]{36})@@"')
_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
_task_typename = _serializer.registry.typenames[Task]
_convert_task = _serializer.registry.convert_to_dict[_task_typename]
_encoder = _serializer._encoder_cls


def _fragments_of(workflow: BpmnWorkflow) -> dict[str, tuple[tuple[Any, ...], str]]:
    top = workflow.top_workflow if hasattr(workflow, "top_workflow") else workflow
    cache = top.__dict__.get("_onewindow_fragments")
    if cache is None:
        cache = top.__dict__["_onewindow_fragments"] = {}
    return cache


def _convert_task_cached(task: Task) -> Any:
    if not task.has_state(_FINISHED):
        return _convert_task(task)
    task_id = str(task.id)
    key = (task._state, task.last_state_change, tuple(task._children))
    cache = _fragments_of(task.workflow)
    cached = cache.get(task_id)
    if cached is None or cached[0] != key:
        cache[task_id] = (key, json.dumps(_convert_task(task), cls=_encoder))
    return f"@@ow-fragment:{task_id}@@"


# Only this module uses the registry, and always through ``serialize_text``, so the caching
# converter is installed for good. The registry's ``_encoder_mode`` flag is process-wide state,
# hence the lock (SpiffWorkflow's own ``serialize_json`` has the same race between threads).
_serializer.registry.convert_to_dict[_task_typename] = _convert_task_cached
_serialize_lock = threading.Lock()


def serialize_text(workflow: BpmnWorkflow) -> str:
    """The workflow's state as JSON text, re-encoding only tasks that can still change."""
    registry = _serializer.registry
    with _serialize_lock:
        registry._encoder_mode = True
        try:
            dct = _serializer.to_dict(workflow)
            dct[_serializer.VERSION_KEY] = _serializer.VERSION
            text = json.dumps(dct, cls=_encoder)
        finally:
            registry._encoder_mode = False
    cache = _fragments_of(workflow)
    return _FRAGMENT.sub(lambda m: cache[m.group(1)][1], text)


def dump_state(workflow: BpmnWorkflow) -> bytes:
    """Gzip-compressed JSON of the workflow's runtime state (no spec)."""
    return gzip.compress(serialize_text(workflow).encode("utf-8"), compresslevel=1)


def _parent_first(tasks: dict[str, Any], root: str) -> dict[str, Any]:
    """Order task dicts so each parent precedes its children (delta data restore needs it)."""
    ordered: dict[str, Any] = {}
    stack = [root]
    while stack:
        task_id = stack.pop()
        task = tasks.get(task_id)
        if task is None or task_id in ordered:
            continue
        ordered[task_id] = task
        stack.extend(reversed(task["children"]))
    for task_id, task in tasks.items():  # orphans, if any, keep their place at the end
        ordered.setdefault(task_id, task)
    return ordered


def restore_state(blob: bytes, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec],
                  script_engine: PythonScriptEngine) -> BpmnWorkflow:
    """Rebuild a workflow from ``dump_state`` output and the cached spec of its version."""
    dct = json.loads(gzip.decompress(blob))
    dct["tasks"] = _parent_first(dct["tasks"], dct["root"])
    for sub in dct.get("subprocesses", {}).values():
        sub["tasks"] = _parent_first(sub["tasks"], sub["root"])
    dct["spec"] = spec
    dct["subprocess_specs"] = dict(subprocess_specs)
    _serializer.migrate(dct)
    workflow = _serializer.from_dict(dct)
    attach_script_engine(workflow, script_engine)
    return workflow
