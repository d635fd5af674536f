"""An index of a workflow's unfinished tasks, so a step's searches walk only the live part of the tree.

Upstream behaviour changed here (each pinned by tests/engine/test_spiff_upstream.py): SpiffWorkflow
3.2 answers every task search (``get_tasks``, ``is_completed``, ``update_waiting_tasks``, the READY
scan of ``do_engine_steps``) with a ``TaskIterator`` walk from the root, and that walk descends
through every finished task. A case's tree keeps every task it ever ran (a rework loop adds a round
per pass), so each step of a long case costs more than the one before; past depth 1000
(``TaskIterator(max_depth=1000)``) the walk even stops short and READY tasks vanish.

For the workflows our runtime indexes (``index_live_tasks``; raw SpiffWorkflow elsewhere in the
process stays stock), we keep ``id -> task`` for every task whose state is not finished, updated
where a task is created (``Task.__init__``, also used by the deserializer), changes state
(``Task._set_state``, the single funnel of state changes) and is dropped (``Workflow._remove_task``).
A search for unfinished states then filters that index (with upstream's own ``BpmnTaskFilter``) and
returns the hits in the tree's depth-first order, found by walking up from the hits only to where
their paths meet. Searches that may match finished tasks, start below the root, or must enter
call-activity sub-workflows keep the stock walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskFilter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

_LIVE = "_onewindow_live_tasks"
_CHANGES = "_onewindow_changed_tasks"
_FINISHED = TaskState.FINISHED_MASK
_UNFINISHED = TaskState.NOT_FINISHED_MASK
#: ``get_tasks`` keywords a filter over the index answers exactly as the stock walk does.
_FILTER_KEYWORDS = frozenset({"state", "manual", "spec_name", "spec_class", "lane", "catches_event", "updated_ts"})

_stock_init = Task.__init__
_stock_set_state = Task._set_state
_stock_remove_task = Workflow._remove_task
_stock_get_tasks_iterator = BpmnBaseWorkflow.get_tasks_iterator
_stock_is_completed = Workflow.is_completed
_stock_update_waiting_tasks = Workflow.update_waiting_tasks


def index_live_tasks(workflow: Any) -> None:
    """Start indexing ``workflow`` (a top-level ``BpmnWorkflow``): one pass over its tasks, then kept up."""
    workflow.__dict__[_LIVE] = {task.id: task for task in workflow.tasks.values() if task._state & _UNFINISHED}


@dataclass
class TaskChanges:
    """Tasks created, changed (state, children) or dropped since the tracker was last cleared.

    The same hooks keep it, so the serializer can re-encode only what a step touched; a finished
    task's data is taken not to change (as the finished-task fragment cache assumes).
    """

    changed: dict[Any, Task] = field(default_factory=dict)
    removed: set[Any] = field(default_factory=set)


def track_changes(workflow: Any) -> TaskChanges:
    """Start (or restart) recording the changes of ``workflow``'s own tasks."""
    changes = workflow.__dict__[_CHANGES] = TaskChanges()
    return changes


def changes_of(workflow: Any) -> TaskChanges | None:
    return workflow.__dict__.get(_CHANGES)


def _touch(task: Task) -> None:
    changes = task.workflow.__dict__.get(_CHANGES)
    if changes is not None:
        changes.changed[task.id] = task


def _note(task: Task) -> None:
    found = task.workflow.__dict__
    live = found.get(_LIVE)
    if live is not None:
        if task._state & _UNFINISHED:
            live[task.id] = task
        else:
            live.pop(task.id, None)
    changes = found.get(_CHANGES)
    if changes is not None:
        changes.changed[task.id] = task


def _indexed_init(self: Task, workflow: Any, *args: Any, **kwargs: Any) -> None:
    _stock_init(self, workflow, *args, **kwargs)
    if _LIVE not in workflow.__dict__ and _CHANGES not in workflow.__dict__:
        return  # not one of ours (raw SpiffWorkflow, a sub-workflow): stock behaviour, nothing kept
    _note(self)
    parent = self.parent
    if parent is not None:
        _touch(parent)  # its list of children grew


def _indexed_set_state(self: Task, value: int) -> None:
    _stock_set_state(self, value)
    _note(self)


def _indexed_remove_task(self: Any, task_id: Any) -> None:
    task = self.tasks.get(task_id)
    parent_id = task._parent if task is not None else None
    _stock_remove_task(self, task_id)
    live = self.__dict__.get(_LIVE)
    if live is not None:
        live.pop(task_id, None)
    changes = self.__dict__.get(_CHANGES)
    if changes is not None:
        changes.changed.pop(task_id, None)
        changes.removed.add(task_id)
        parent = self.tasks.get(parent_id)
        if parent is not None:
            changes.changed[parent.id] = parent  # its list of children shrank


def _indexed(workflow: Any) -> dict[Any, Task] | None:
    """The index, if this workflow has one and it answers for the whole tree (no sub-workflows)."""
    live = workflow.__dict__.get(_LIVE)
    if live is None or getattr(workflow, "subprocesses", None):
        return None
    return live


def tree_order(tasks: list[Task]) -> list[Task]:
    """``tasks`` in the depth-first order of a walk from the root (children in ``task.children`` order).

    Walks up from every task at the same pace until all paths but one have run into a node another
    path already passed, then down again through the passed nodes only: the cost is the size of the
    subtree joining the tasks, not the depth of the tree.
    """
    if len(tasks) <= 1:
        return list(tasks)
    wanted = {task.id for task in tasks}
    seen: set[Any] = set(wanted)
    fronts = list(tasks)
    pending = len(fronts)  # paths that have not met another yet
    top = fronts[0]
    while pending > 1:
        moved = []
        for task in fronts:
            parent = task.parent
            if parent is None:
                top = task
                moved.append(task)  # at the root: waits there, still counted until the others meet it
                continue
            if parent.id in seen:
                pending -= 1
                continue
            seen.add(parent.id)
            moved.append(parent)
        if not moved or moved == fronts:
            break  # every remaining path stands at the root: nothing more to join
        fronts = moved
        top = fronts[0]
    order: list[Task] = []
    stack = [top]
    while stack:
        task = stack.pop()
        if task.id in wanted:
            order.append(task)
        stack.extend(child for child in reversed(task.children) if child.id in seen)
    return order


def _live_matches(workflow: Any, first_task: Any, kwargs: dict[str, Any]) -> list[Task] | None:
    """The stock walk's answer from the index, or None when the index cannot give it."""
    if first_task is not None or kwargs.keys() - _FILTER_KEYWORDS:
        return None
    state = kwargs.get("state")
    if state is None or state & _FINISHED:
        return None
    live = _indexed(workflow)
    if live is None:
        return None
    task_filter = BpmnTaskFilter(**kwargs)
    return tree_order([task for task in live.values() if task_filter.matches(task)])


def _indexed_get_tasks_iterator(self: Any, first_task: Any = None, **kwargs: Any) -> Iterator[Task]:
    found = _live_matches(self, first_task, kwargs)
    if found is None:
        return _stock_get_tasks_iterator(self, first_task, **kwargs)
    return iter(found)


def _indexed_is_completed(self: Any) -> bool:
    live = _indexed(self)
    if live is None:
        return _stock_is_completed(self)
    if not self.completed and not live:
        self.completed = True
    return bool(self.completed)


def _indexed_update_waiting_tasks(self: Any) -> None:
    live = _indexed(self)
    if live is None:
        _stock_update_waiting_tasks(self)
        return
    # As the stock walk does, each task is checked when its turn comes: an earlier update may
    # already have moved it on (a join cancelling its other copies) or dropped it from the tree.
    for task in tree_order([task for task in live.values() if task._state == TaskState.WAITING]):
        if task._state == TaskState.WAITING and task.id in self.tasks:
            task.task_spec._update(task)


def _install() -> None:
    if Task._set_state is _stock_set_state:
        Task.__init__ = _indexed_init  # type: ignore[method-assign]
        Task._set_state = _indexed_set_state  # type: ignore[method-assign]
        Workflow._remove_task = _indexed_remove_task  # type: ignore[method-assign]
        BpmnBaseWorkflow.get_tasks_iterator = _indexed_get_tasks_iterator  # type: ignore[method-assign]
        Workflow.is_completed = _indexed_is_completed  # type: ignore[method-assign]
        Workflow.update_waiting_tasks = _indexed_update_waiting_tasks  # type: ignore[method-assign]


_install()
