"""Service tasks that call an outside HTTP endpoint wait for the answer instead of running inline.

Upstream behaviour changed: SpiffWorkflow 3.2's ``ServiceTask._execute`` calls the script engine's
``call_service`` synchronously and completes the task with its result. A call to another system must
not run inside the step's transaction (a slow or failing endpoint would hold the case lock, and a
step that rolls back would already have called out), so for an operation named ``http:<endpoint>``
our spec only evaluates the parameters (the JSON body), keeps the request in the task's internal
data and returns ``None``: SpiffWorkflow then leaves the task STARTED, a wait like a receive task.
The step stages the request in the outbox in its own transaction (``engine.services.service_calls``);
the worker delivers it and, with the endpoint's JSON answer, completes the task here
(``answer_call``). A call given up after its last attempt puts the task in ERROR, so the console's
retry runs the task again: a fresh request, with the administrator's data fix applied.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

#: Operation names of this form call the configured endpoint ``<name>`` through the outbox.
HTTP_PREFIX = "http:"
_REQUEST_KEY = "http_call"


def is_http_operation(operation: str) -> bool:
    return operation.startswith(HTTP_PREFIX) and len(operation) > len(HTTP_PREFIX)


def endpoint_of(operation: str) -> str:
    return operation[len(HTTP_PREFIX):]


def unknown_operation(operation: str) -> str:
    """The deploy-time refusal of a service task naming an operation nobody registered or allowed."""
    if is_http_operation(operation):
        return f"服务任务调用的 HTTP 端点“{endpoint_of(operation)}”不在允许清单（ONEWINDOW_SERVICE_ENDPOINTS）中"
    return f"服务任务操作“{operation}”未注册"


class HttpAwareServiceTask(ServiceTask):
    """Spiff's service task, except that ``http:`` operations wait for the outbox (see module doc)."""

    def _execute(self, task: Task) -> bool | None:
        if not is_http_operation(self.operation_name):
            return bool(super()._execute(task))
        body = {name: param["value"] for name, param in self.evaluate_params(task).items()}
        task._set_internal_data(**{_REQUEST_KEY: {  # noqa: SLF001 - Spiff's per-task private store
            "endpoint": endpoint_of(self.operation_name), "body": copy.deepcopy(body),
            "call_id": str(uuid.uuid4()), "staged": False}})
        return None


@dataclass(frozen=True)
class PendingCall:
    """One request a STARTED service task waits on: where to, what to send, under which id."""

    task_id: str
    element_id: str
    element_name: str
    endpoint: str
    body: dict[str, Any]
    #: The idempotency id: the same on every delivery attempt of this request, new on a retry.
    call_id: str


def _request(task: Task) -> dict[str, Any] | None:
    value = task._get_internal_data(_REQUEST_KEY)  # noqa: SLF001 - see HttpAwareServiceTask
    return value if isinstance(value, dict) else None


def _waiting(workflow: BpmnWorkflow) -> list[Task]:
    return [t for t in workflow.get_tasks(state=TaskState.STARTED)
            if isinstance(t.task_spec, HttpAwareServiceTask) and _request(t) is not None]


def _pending(task: Task, request: dict[str, Any]) -> PendingCall:
    return PendingCall(task_id=str(task.id), element_id=task.task_spec.bpmn_id or "",
                       element_name=task.task_spec.bpmn_name or "", endpoint=str(request["endpoint"]),
                       body=dict(request["body"]), call_id=str(request["call_id"]))


def calls_out(workflow: BpmnWorkflow) -> bool:
    """Whether the diagram has any ``http:`` service task (looks at specs, not the growing task tree)."""
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    return any(isinstance(t, HttpAwareServiceTask) and is_http_operation(t.operation_name)
               for spec in specs for t in spec.task_specs.values())


def take_unstaged_calls(workflow: BpmnWorkflow) -> list[PendingCall]:
    """Requests made since the last save, marked staged (the caller writes them to the outbox
    in the same transaction as the state that says so)."""
    if not calls_out(workflow):
        return []
    found = []
    for task in _waiting(workflow):
        request = _request(task)
        assert request is not None
        if not request.get("staged"):
            request["staged"] = True
            found.append(_pending(task, request))
    return found


def waiting_calls(workflow: BpmnWorkflow) -> list[PendingCall]:
    """Every request the case still waits on (a wait, like an open task or a timer)."""
    if not calls_out(workflow):
        return []
    return [_pending(task, request) for task in _waiting(workflow) if (request := _request(task)) is not None]


def call_task(workflow: BpmnWorkflow, task: Task | None, call_id: str) -> Task | None:
    """The STARTED task waiting on ``call_id``; None when the answer is stale (a retried or moved task)."""
    if task is None or task not in _waiting(workflow):
        return None
    request = _request(task)
    return task if request is not None and request.get("call_id") == call_id else None


def answer_call(task: Task, response: Any) -> None:
    """Write the endpoint's JSON answer into the result variable and complete the task."""
    spec = task.task_spec
    assert isinstance(spec, HttpAwareServiceTask)
    task.data[spec.result_variable] = copy.deepcopy(response)
    task._set_internal_data(**{_REQUEST_KEY: None})  # noqa: SLF001 - the call is answered
    task.complete()


def give_up_call(task: Task) -> None:
    """The last attempt failed: the task goes to ERROR, where an incident retry runs it again."""
    task._set_internal_data(**{_REQUEST_KEY: None})  # noqa: SLF001 - a retry makes a new request
    task.error()
