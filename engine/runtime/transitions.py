"""Capture every task state change SpiffWorkflow makes during one step.

SpiffWorkflow 3.2 has no event API, but ``Task._set_state`` logs each transition on the
``spiff.task`` logger. A handler appends those to a per-step buffer held in a context variable, so
steps running in parallel threads never see each other's transitions. Previous states come from a
snapshot taken when the step starts (the log record carries only the new state).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
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
    last_states: dict[str, str] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)


_buffer: ContextVar[TransitionBuffer | None] = ContextVar("onewindow_transitions", default=None)


class _SpiffTaskHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        buffer = _buffer.get()
        if buffer is None:
            return
        task_id = str(getattr(record, "task_id", ""))
        new_state = str(getattr(record, "state", ""))
        old_state = buffer.last_states.get(task_id, "")
        if old_state == new_state:
            return
        buffer.last_states[task_id] = new_state
        buffer.transitions.append(Transition(task_id=task_id, element_id=str(getattr(record, "task_spec", "")),
                                             task_type=str(getattr(record, "task_type", "")),
                                             from_state=old_state, to_state=new_state))


_handler = _SpiffTaskHandler(level=logging.INFO)


def _install() -> None:
    logger = logging.getLogger("spiff.task")
    if _handler not in logger.handlers:
        logger.addHandler(_handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.propagate = False  # the audit trail is ours; operators' logs need not repeat it per task


def snapshot(workflow: BpmnWorkflow) -> dict[str, str]:
    return {str(task.id): TaskState.get_name(task.state) for task in workflow.get_tasks()}


@contextlib.contextmanager
def capture(workflow: BpmnWorkflow | None) -> Iterator[TransitionBuffer]:
    """Collect transitions made inside the block (``workflow`` None: a new workflow, no snapshot)."""
    _install()
    buffer = TransitionBuffer(last_states=snapshot(workflow) if workflow is not None else {})
    token = _buffer.set(buffer)
    try:
        yield buffer
    finally:
        _buffer.reset(token)
