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
- **Finished tasks stored once (chunks).** A long case's state would carry every task it ever
  ran; once ``CHUNK_AT`` finished tasks have gathered, ``store_state`` moves them into a chunk
  written once, and the state names the chunks it builds on. Which tasks a save must re-encode
  comes from ``live_tasks.TaskChanges`` (the hooks on task creation, state change and removal);
  restore merges the chunks back, so the whole is exactly SpiffWorkflow's own serialization.
- **Script engine re-attached.** ``from_dict`` returns a workflow with the default unrestricted
  engine; ``restore_state`` always attaches ours (see ``script_environment``).
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.runtime.spiff.http_task import HttpAwareServiceTask
from engine.runtime.spiff.live_tasks import changes_of
from engine.runtime.spiff.live_tasks import track_changes
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


class _CarriedTasks(dict):  # type: ignore[type-arg]
    """``workflow.tasks`` while a chunked state is encoded: iterates the carried tasks only, but
    looks up any task (a carried task's data is stored as a delta against its parent's)."""

    def __init__(self, carried: dict[UUID, Task], every: dict[UUID, Task]) -> None:
        super().__init__(carried)
        self.every = every

    def get(self, key: Any, default: Any = None) -> Any:
        return self.every.get(key, default)

    def __getitem__(self, key: Any) -> Task:
        return self.every[key]

    def __contains__(self, key: object) -> bool:
        return key in self.every


def serialize_text(workflow: BpmnWorkflow, carried: dict[UUID, Task] | None = None,
                   chunks: tuple[int, int] | None = None) -> str:
    """The workflow's state as JSON text, re-encoding only tasks that can still change.

    ``carried``/``chunks``: only these tasks, the rest being in stored chunks ``chunks[0]..chunks[1]``.
    """
    registry = _serializer.registry
    every = workflow.tasks
    with _serialize_lock:
        registry._encoder_mode = True
        try:
            if carried is not None:
                workflow.tasks = _CarriedTasks(carried, every)
            dct = _serializer.to_dict(workflow)
            dct[_serializer.VERSION_KEY] = _serializer.VERSION
            if chunks is not None:
                dct[_CHUNKS_KEY] = list(chunks)
            text = json.dumps(dct, cls=_encoder)
        finally:
            workflow.tasks = every
            registry._encoder_mode = False
    cache = _fragments_of(workflow)
    return _FRAGMENT.sub(lambda m: cache[m.group(1)][1], text)


def _compress(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), compresslevel=1)


def dump_state(workflow: BpmnWorkflow) -> bytes:
    """Gzip-compressed JSON of the workflow's whole runtime state (no spec, no chunks)."""
    return _compress(serialize_text(workflow))


# -- chunks: finished tasks stored once --------------------------------------------------------------

CHUNK_AT = 64
"""Finished tasks a state carries before they move into a chunk of their own (a short case never has one)."""
_CHUNKS_KEY = "onewindow_chunks"
_BOOK = "_onewindow_state_book"


@dataclass(frozen=True)
class StoredState:
    """What one save writes: the case row's state, and the chunk it adds."""

    blob: bytes
    #: (seq, gzip JSON of {task id: task}) to store with the state.
    chunk: tuple[int, bytes] | None = None
    #: Delete the case's stored chunks first: the state no longer builds on them.
    replace: bool = False


@dataclass
class _Book:
    """Where a workflow's tasks are stored: chunks ``first``..``last``, and the tasks the state carries."""

    first: int | None  # None: no chunks, the state carries every task
    last: int = 0
    chunked: set[UUID] = field(default_factory=set)
    carried: dict[UUID, Task] = field(default_factory=dict)
    rewrite: bool = False


def _whole_book(workflow: BpmnWorkflow) -> _Book:
    book = workflow.__dict__[_BOOK] = _Book(first=None, carried=dict(workflow.tasks))
    track_changes(workflow)
    return book


def forget_chunks(workflow: BpmnWorkflow) -> None:
    """The next ``store_state`` writes the whole state anew (call after changing finished tasks' specs)."""
    book = workflow.__dict__.get(_BOOK)
    if book is not None:
        book.rewrite = True


def _encode_tasks(workflow: BpmnWorkflow, tasks: dict[UUID, Task]) -> str:
    """JSON of ``{task id: task}`` for finished tasks, through the fragment cache."""
    registry = _serializer.registry
    with _serialize_lock:
        registry._encoder_mode = True
        try:
            for task in tasks.values():
                _convert_task_cached(task)
        finally:
            registry._encoder_mode = False
    cache = _fragments_of(workflow)
    parts = []
    for task_id in tasks:
        key = str(task_id)
        parts.append(f'"{key}":{cache.pop(key)[1]}')  # chunked: never encoded again
    return "{" + ",".join(parts) + "}"


def store_state(workflow: BpmnWorkflow) -> StoredState:
    """The state to save now: what changed since the last save, finished tasks moved into a chunk
    once ``CHUNK_AT`` of them have gathered (a workflow with call activities is always stored whole)."""
    book = workflow.__dict__.get(_BOOK)
    changes = changes_of(workflow)
    replace = False
    if book is None or changes is None:
        book = _whole_book(workflow)
    else:
        for task_id in changes.removed:
            book.carried.pop(task_id, None)
            book.rewrite = book.rewrite or task_id in book.chunked
        for task_id, task in changes.changed.items():
            if workflow.tasks.get(task_id) is task:
                book.carried[task_id] = task
        changes.changed.clear()
        changes.removed.clear()
    if book.rewrite or (workflow.subprocesses and book.first is not None):
        replace = book.first is not None or book.rewrite
        book = _whole_book(workflow)
    chunk = None
    finished = {} if workflow.subprocesses else {
        task_id: task for task_id, task in book.carried.items() if task.has_state(_FINISHED)}
    if len(finished) >= CHUNK_AT:
        if book.first is None:
            book.first, book.last, replace = 1, 1, True  # chunks left by an older whole state go
        else:
            book.last += 1
        chunk = (book.last, _compress(_encode_tasks(workflow, finished)))
        book.chunked.update(finished)
        for task_id in finished:
            del book.carried[task_id]
    if book.first is None:
        return StoredState(dump_state(workflow), chunk, replace)
    text = serialize_text(workflow, book.carried, (book.first, book.last))
    return StoredState(_compress(text), chunk, replace)


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


ChunkReader = Callable[[int, int], list[bytes]]
"""Reads a case's stored chunks ``first`` to ``last``, in order."""


def restore_state(blob: bytes, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec],
                  script_engine: PythonScriptEngine, read_chunks: ChunkReader | None = None) -> BpmnWorkflow:
    """Rebuild a workflow from ``dump_state``/``store_state`` output and the cached spec of its version.

    :raise ValueError: the state builds on chunks and ``read_chunks`` is missing or lacks some.
    """
    dct = json.loads(gzip.decompress(blob))
    span = dct.pop(_CHUNKS_KEY, None)
    carried_ids: list[str] = []
    chunked_ids: list[str] = []
    if span is not None:
        first, last = span
        bodies = read_chunks(first, last) if read_chunks is not None else []
        if len(bodies) != last - first + 1:
            raise ValueError(f"state builds on chunks {first}..{last}, {len(bodies)} found")
        tasks: dict[str, Any] = {}
        for body in bodies:
            tasks.update(json.loads(gzip.decompress(body)))
        chunked_ids, carried_ids = list(tasks), list(dct["tasks"])
        tasks.update(dct["tasks"])  # a task changed since it was chunked: the newer copy wins
        dct["tasks"] = tasks
    dct["tasks"] = _parent_first(dct["tasks"], dct["root"])
    for sub in dct.get("subprocesses", {}).values():
        sub["tasks"] = _parent_first(sub["tasks"], sub["root"])
    dct["spec"] = spec
    dct["subprocess_specs"] = dict(subprocess_specs)
    _serializer.migrate(dct)
    workflow = _serializer.from_dict(dct)
    attach_script_engine(workflow, script_engine)
    if span is None:
        _whole_book(workflow)
    else:
        workflow.__dict__[_BOOK] = _Book(first=span[0], last=span[1], chunked={UUID(i) for i in chunked_ids},
                                         carried={UUID(i): workflow.tasks[UUID(i)] for i in carried_ids})
        track_changes(workflow)
    return workflow
