"""Running one human task: the state checks SpiffWorkflow's ``Task.run()`` does not make.

Upstream behaviour worked around: in SpiffWorkflow 3.2 ``Task.run()`` (and ``run_task_from_id``)
runs a task in whatever state it is, so a FUTURE or COMPLETED task would be completed (and a
COMPLETED one run twice) if a stale or forged task id reached it; it also runs automatic tasks.
``run_human_task`` refuses unless the task is READY and manual. tests/engine/test_spiff_upstream.py
shows ``Task.run()`` still completes a FUTURE task, i.e. that this guard is still needed.
"""

from __future__ import annotations

from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState


class NotRunnable(Exception):
    """The task is not READY or not a manual task; nothing was changed."""

    def __init__(self, task: Task, reason: str) -> None:
        super().__init__(f"{task.task_spec.name}: {reason}")
        self.reason = reason


def state_name(task: Task) -> str:
    """The task's state as SpiffWorkflow names it (READY, FUTURE, ...)."""
    return TaskState.get_name(task.state)


def is_manual(task: Task) -> bool:
    return bool(task.task_spec.manual)


def is_ready(task: Task) -> bool:
    return task.state == TaskState.READY


def run_human_task(task: Task) -> None:
    """``task.run()``, but only for a READY manual task.

    :raise NotRunnable: the task is automatic or not READY (callers check first and explain the
        refusal to the user; this is the last line of defence).
    """
    if not is_manual(task):
        raise NotRunnable(task, "not a manual task")
    if not is_ready(task):
        raise NotRunnable(task, f"state is {state_name(task)}, not READY")
    task.run()
