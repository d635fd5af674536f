"""Moving a case's token to any flow node of its process (Camunda's instance modification).

SpiffWorkflow 3.2 can only go back: ``reset_from_task_id`` re-opens a task that already completed.
For any other target (forwards, or a branch the case never took) there is no API, so we do what
Camunda's "cancel all, start before" does with SpiffWorkflow's own tree operations: every live task
of the top-level process (READY, WAITING, STARTED, ERROR, with their sub-processes and boundary
events) is cancelled, and a new task for the target is added under the last completed task, where it
inherits the case data, predicts its successors and becomes READY. Its boundary events come with it
(the new task starts at the element's ``BoundaryEventSplit``, as a normal arrival would).

A target that cannot hold a token is refused with the reason (``refusal``): start events, gateways,
boundary events, end events (use termination), elements inside a sub-process, and steps inside a
parallel block (all other work is cancelled, so the join would wait for branches that never come).
Callers also preview on a copy and refuse a move that fails or leaves the case waiting for nothing.
"""

from __future__ import annotations

import copy

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_SPLIT = ".BoundaryEventSplit"
#: Spec classes (by name, anywhere in the class hierarchy) that cannot hold a token, and why.
_REFUSED = (
    ("StartEvent", "开始事件不能承载令牌，请移到其后的第一个环节"),
    ("BoundaryEvent", "边界事件依附于所在环节，请移到该环节本身"),
    ("EndEvent", "结束事件不能作为目标：要结束办件请用“终止办理”"),
    ("Gateway", "网关不能承载令牌（汇聚网关会一直等待不会到来的分支），请移到网关之后的环节"),
)


def _kinds(spec: TaskSpec) -> set[str]:
    return {cls.__name__ for cls in type(spec).__mro__}


def flow_node(workflow: BpmnWorkflow, element_id: str) -> TaskSpec | None:
    """The top-level process's spec for ``element_id`` (elements of sub-processes are not in it)."""
    return next((s for s in workflow.spec.task_specs.values()
                 if getattr(s, "bpmn_id", None) == element_id and not s.name.endswith(_SPLIT)), None)


def refusal(workflow: BpmnWorkflow, element_id: str) -> str:
    """Why the token cannot be moved to ``element_id`` ("" when it can)."""
    spec = flow_node(workflow, element_id)
    if spec is None:
        return f"“{element_id}”不是本流程顶层的环节（子流程内部的环节请移到子流程本身）"
    kinds = _kinds(spec)
    for kind, reason in _REFUSED:
        if any(k.endswith(kind) for k in kinds):
            return reason
    join = _waiting_join(spec)
    if join is not None:
        return (f"该环节在并行分支中：移到这里会取消其他分支，汇聚网关“{join.bpmn_name or join.bpmn_id}”"
                "将一直等待，请移到并行网关之前或汇聚之后的环节")
    return ""


def _waiting_join(spec: TaskSpec) -> TaskSpec | None:
    """A parallel join after ``spec`` with an incoming flow ``spec`` cannot reach: a token started at
    ``spec`` (all other work cancelled) would wait there forever."""
    reachable: set[str] = set()
    pending = [spec]
    while pending:
        current = pending.pop()
        if current.name not in reachable:
            reachable.add(current.name)
            pending.extend(current.outputs)
    return next((s for s in spec._wf_spec.task_specs.values()  # noqa: SLF001 - the spec's own process
                 if s.name in reachable and "ParallelGateway" in _kinds(s) and len(s.inputs) > 1
                 and any(i.name not in reachable for i in s.inputs)), None)


def movable_nodes(workflow: BpmnWorkflow) -> list[TaskSpec]:
    """Every top-level flow node a token may be moved to, in the diagram's order."""
    return [s for s in workflow.spec.task_specs.values()
            if getattr(s, "bpmn_id", None) and not s.name.endswith(_SPLIT) and not refusal(workflow, s.bpmn_id)]


def _live_top_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return [t for t in workflow.get_tasks(state=_LIVE) if t.workflow is workflow]


def _anchor_parent(task: Task) -> Task:
    """The nearest completed ancestor that is a real element or the start (not a boundary split)."""
    parent = task.parent
    while parent is not None and (parent.task_spec.name.endswith(_SPLIT) or not parent.has_state(TaskState.COMPLETED)):
        parent = parent.parent
    assert parent is not None, "a live task always has a completed ancestor (the root)"
    return parent


def jump(workflow: BpmnWorkflow, element_id: str) -> None:
    """Cancel the live work of the top-level process and start at ``element_id`` (checked by ``refusal``)."""
    spec = flow_node(workflow, element_id)
    assert spec is not None and not refusal(workflow, element_id)
    entry = workflow.spec.task_specs.get(f"{spec.name}{_SPLIT}", spec)
    live = _live_top_tasks(workflow)
    if not live:
        raise ValueError("no live task to move from")
    latest = max(live, key=lambda t: t.last_state_change)
    data = copy.deepcopy(dict(latest.data))
    parent = _anchor_parent(latest)
    for task in live:
        if not task.has_state(TaskState.CANCELLED):
            task.cancel()
    task = parent._add_child(entry, TaskState.FUTURE)  # noqa: SLF001 - SpiffWorkflow's tree operation
    task.data = data
    # As ``Task.reset_branch`` does: predict the successors (completing adds no children), then ready it.
    entry._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)  # noqa: SLF001
    entry._update(task)  # noqa: SLF001 - inherits the parent's data, becomes READY
    task.data.update(data)  # the work done since the anchor (e.g. fields a cancelled task had) wins
