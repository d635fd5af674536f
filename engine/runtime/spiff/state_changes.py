"""Capture every task state change SpiffWorkflow makes during one step (a patch of ``Task._set_state``).

Upstream behaviour relied on: SpiffWorkflow 3.2 has no event API, and every state change of a live
task goes through ``Task._set_state`` (the ``state`` setter, ``_ready``, ``run``, ``complete``,
``cancel``, ``error`` all call it; only ``Task.__init__`` and the deserializers assign ``_state``
directly). It logs there too, but the log record lacks the previous state, so using it would need a
snapshot of the whole task tree per step, which grows with the case. We wrap ``_set_state`` once so
that, while a step is capturing, each change is appended with its previous and new state to a
per-step buffer held in a context variable; steps running in parallel threads never see each
other's changes. Outside a capture the wrapper costs one context-variable read.
tests/engine/test_spiff_upstream.py fails if another code path starts setting ``_state``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState


@dataclass(frozen=True)
class Transition:
    task_id: str
    element_id: str
    task_type: str
    from_state: str
    to_state: str


@dataclass
class TransitionBuffer:
    transitions: list[Transition] = field(default_factory=list)


_buffer: ContextVar[TransitionBuffer | None] = ContextVar("onewindow_transitions", default=None)
_original_set_state = Task._set_state


def _recording_set_state(self: Task, value: int) -> None:
    buffer = _buffer.get()
    if buffer is not None and value != self._state:
        buffer.transitions.append(Transition(
            task_id=str(self.id), element_id=self.task_spec.name, task_type=type(self.task_spec).__name__,
            from_state=TaskState.get_name(self._state), to_state=TaskState.get_name(value)))
    _original_set_state(self, value)


def _install() -> None:
    if Task._set_state is not _recording_set_state:
        Task._set_state = _recording_set_state  # type: ignore[method-assign]


@contextlib.contextmanager
def capture(workflow: Any = None) -> Iterator[TransitionBuffer]:
    """Collect the state changes made inside the block."""
    buffer = TransitionBuffer()
    token = _buffer.set(buffer)
    try:
        yield buffer
    finally:
        _buffer.reset(token)


_install()
