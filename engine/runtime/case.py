"""One case's workflow in memory: start, human tasks, completion with checks, timers.

This layer knows SpiffWorkflow and the compiled definition, not the database. It enforces what
SpiffWorkflow 3.2 does not: ``Task.run()`` runs a task in any state, so we check READY, manual and
the actor's groups before touching it (and run it only through ``spiff.task_run.run_human_task``);
form values are validated against the task's form first.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.actors import Actor
from engine.actors import may_work
from engine.decision_rules import provision_lists
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.catalog import HumanTaskInfo
from engine.errors import CaseFailed
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.errors import TaskAlreadyDone
from engine.errors import TaskNotFound
from engine.errors import TaskNotReady
from engine.forms import FormDefinition
from engine.forms import validate_submission
from engine.forms.choices import with_choices
from engine.policy.parties import in_person_refusal
from engine.policy.parties import signature_problem
from engine.runtime.failures import CompletionFailed
from engine.runtime.failures import failure_of
from engine.runtime.spiff.events import Subscription
from engine.runtime.spiff.events import deliver as deliver_event
from engine.runtime.spiff.events import pass_through_ready
from engine.runtime.spiff.events import start_at
from engine.runtime.spiff.events import subscriptions
from engine.runtime.spiff.events import timer_dues
from engine.runtime.spiff.live_tasks import index_live_tasks
from engine.runtime.spiff.script_environment import PythonScriptEngine
from engine.runtime.spiff.serializer import ChunkReader
from engine.runtime.spiff.serializer import StoredState
from engine.runtime.spiff.serializer import dump_state
from engine.runtime.spiff.serializer import restore_state
from engine.runtime.spiff.serializer import store_state
from engine.runtime.spiff.task_run import NotRunnable
from engine.runtime.spiff.task_run import is_manual
from engine.runtime.spiff.task_run import is_ready
from engine.runtime.spiff.task_run import run_human_task
from engine.runtime.spiff.task_run import state_name
from engine.state_names import TASK_STATE_NAMES as STATE_NAMES_ZH

#: Who gets a task whose ``=expression`` candidate groups give nothing (a pattern entry without posts).
UNROUTED_GROUP = "supervisor"


@dataclass(frozen=True)
class Submission:
    """A completed form as the engine recorded it: raw input, cleaned values and prior values."""

    task_id: str
    element_id: str
    raw: dict[str, Any]
    values: dict[str, Any]
    before: dict[str, Any]


class CaseRuntime:
    def __init__(self, definition: CompiledDefinition, workflow: BpmnWorkflow) -> None:
        self.definition = definition
        self.workflow = workflow
        index_live_tasks(workflow)  # a step's task searches then walk only the live part of the tree
        self.failure: CaseFailed | None = None
        #: Set by an administrator's termination (the workflow is cancelled): status ``cancelled``.
        self.terminated = False
        # Ready human tasks, computed once per engine run: finding them walks the whole task tree,
        # which grows with every round of a long case, and a step needs them several times.
        self._ready: list[Task] | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def start(cls, definition: CompiledDefinition, script_engine: PythonScriptEngine,
              data: dict[str, Any], start_event: str | None = None) -> CaseRuntime:
        """A new case run to its first wait; ``start_event`` arms only that one of several starts."""
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=script_engine)
        workflow.task_tree.data.update(copy.deepcopy(data))
        if start_event is not None:
            start_at(workflow, start_event)
        runtime = cls(definition, workflow)
        runtime.run_engine()
        return runtime

    @classmethod
    def restore(cls, definition: CompiledDefinition, blob: bytes, script_engine: PythonScriptEngine,
                read_chunks: ChunkReader | None = None) -> CaseRuntime:
        """``read_chunks`` reads the case's stored chunks of finished tasks (a long case's state builds on them)."""
        return cls(definition, restore_state(blob, definition.spec, definition.subprocess_specs, script_engine,
                                             read_chunks))

    def dump(self) -> bytes:
        """The whole state in one blob (snapshots, checks): every task, no chunks."""
        return dump_state(self.workflow)

    def store(self) -> StoredState:
        """The state a save writes: what changed, with finished tasks moved into chunks as they gather."""
        return store_state(self.workflow)

    def run_engine(self, kind: str = "engine") -> None:
        """Run gateways, scripts and events until only waits remain; a failure marks the case failed."""
        self._ready = None
        try:
            self.workflow.do_engine_steps()
            passing = self.definition.pass_through if self.definition is not None else frozenset()
            while passing and (ready := pass_through_ready(self.workflow, passing)):
                for task in ready:  # plain and manual tasks without a form pass through
                    task.run()
                self.workflow.do_engine_steps()
        except Exception as exc:  # noqa: BLE001 - sandbox and DMN errors arrive as plain exceptions too
            self.failure = failure_of(exc, self._errored_task(), kind=kind)

    def deliver(self, kind: str, name: str, payload: dict[str, Any]) -> bool:
        """Deliver a message or signal and run on; False (nothing changed) when nothing waits for it."""
        self._ready = None
        try:
            delivered = deliver_event(self.workflow, kind, name, payload)
        except Exception as exc:  # noqa: BLE001 - a failing correlation or payload is an incident
            self.failure = failure_of(exc, kind="message")
            return True
        if delivered:
            self.run_engine(kind="message")
        return delivered

    def subscriptions(self) -> list[Subscription]:
        """Messages and signals the case waits for (none unless the diagram catches any)."""
        if self.definition is not None and not self.definition.catches_events:
            return []
        return subscriptions(self.workflow)

    def _errored_task(self) -> Task | None:
        """The task SpiffWorkflow left in ERROR (for exceptions that do not carry their task)."""
        errored = self.workflow.get_tasks(state=TaskState.ERROR)
        return errored[-1] if errored else None

    @property
    def status(self) -> str:
        if self.terminated:
            return "cancelled"
        if self.failure is not None:
            return "failed"
        return "completed" if self.workflow.is_completed() else "running"

    # -- human tasks -----------------------------------------------------------------------------

    def forget_ready(self) -> None:
        """Call after changing the workflow directly (not through this class)."""
        self._ready = None

    def ready_human_tasks(self) -> list[Task]:
        if self._ready is None:
            self._ready = [t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                           if t.task_spec.bpmn_id in self.definition.human_tasks]
        return list(self._ready)

    def _optional_expression(self, task: Task, expression: str) -> Any:
        """Evaluate an optional task attribute expression (Camunda's ``${...}`` form accepted).

        A missing, failing or empty expression gives None: the task then falls back to its candidate
        groups and the case's own deadline instead of the whole case stopping.
        """
        expression = expression.strip()
        if expression.startswith("${") and expression.endswith("}"):
            expression = expression[2:-1]
        if not expression:
            return None
        try:
            return self.workflow.script_engine.evaluate(task, expression) or None
        except Exception:  # noqa: BLE001 - see docstring
            return None

    def assignee_for(self, task: Task) -> str | None:
        """``camunda:assignee`` (a Python expression over task data, e.g. ``agent_username``)."""
        value = self._optional_expression(task, self.task_info(task).assignee_expression)
        return str(value) if value is not None else None

    def groups_for(self, task: Task) -> tuple[str, ...]:
        """Who the task is offered to: ``camunda:candidateGroups``, or the groups its ``=expression``
        reads from case data (the general pattern's posts come from the 事项库 entry). An expression
        that gives nothing offers the task to ``UNROUTED_GROUP`` (窗口督办), so it is seen, not lost."""
        info = self.task_info(task)
        if not info.groups_expression:
            return info.candidate_groups
        value = self._optional_expression(task, info.groups_expression)
        items = value.split(",") if isinstance(value, str) else value if isinstance(value, list | tuple) else ()
        groups = tuple(dict.fromkeys(str(g).strip() for g in items if str(g).strip()))
        return groups or (UNROUTED_GROUP,)

    def due_for(self, task: Task) -> datetime | None:
        """``camunda:dueDate`` (e.g. ``workday_deadline(2)``) as an aware datetime."""
        value = self._optional_expression(task, self.task_info(task).due_expression)
        if value is None:
            return None
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def task_info(self, task: Task) -> HumanTaskInfo:
        return self.definition.human_tasks[task.task_spec.bpmn_id]

    def find_task(self, task_id: str) -> Task | None:
        """The workflow's task with this id, or None: a malformed id, or a task the workflow no
        longer has (SpiffWorkflow drops the tasks of a branch it cut off or of a loop it restarted;
        its ``get_task_from_id`` raises ``TaskNotFoundException`` for them)."""
        try:
            return self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError, TaskNotFoundException):
            return None

    def get_task(self, task_id: str) -> Task:
        task = self.find_task(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    def check_can_work(self, task: Task, actor: Actor, assignee: str | None,
                       applicant_ids: tuple[str | None, ...] = ()) -> HumanTaskInfo:
        """Raise unless ``actor`` may work ``task`` now (READY, manual, in a candidate group, not claimed by others)."""
        bpmn_id = task.task_spec.bpmn_id
        if bpmn_id not in self.definition.human_tasks or not is_manual(task):
            raise NotAllowed("该环节由系统自动办理，不能人工提交")
        info = self.definition.human_tasks[bpmn_id]
        if task.state == TaskState.COMPLETED:
            raise TaskAlreadyDone(info.name)
        if not is_ready(task):
            state = state_name(task)
            raise TaskNotReady(info.name, STATE_NAMES_ZH.get(state, state))
        groups = self.groups_for(task)
        if not may_work(groups, actor, applicant_ids):
            raise NotAllowed(f"您无权办理“{info.name}”（办理角色：{'、'.join(groups)}）")
        if assignee and assignee != actor.user_id:
            raise NotAllowed(f"“{info.name}”已由其他人员签收，请先由其退回或转办")
        refusal = in_person_refusal(self.definition.element_properties.get(bpmn_id), actor.user_id,
                                    applicant_ids[0] if applicant_ids else None, info.name)
        if refusal is not None:
            raise NotAllowed(refusal)
        return info

    def complete(self, task_id: str, raw: dict[str, Any], actor: Actor, assignee: str | None,
                 applicant_ids: tuple[str | None, ...] = (), form: FormDefinition | None = None) -> Submission:
        """Validate and complete one human task, then run the engine onward.

        ``form``: the form the task shows on this case when it is not the version's own (a pattern-run
        application composed from its 事项库 entry); it must be what the task page showed.

        :raise TaskNotFound, TaskNotReady, NotAllowed, FormDataInvalid: nothing changed.
        """
        task = self.get_task(task_id)
        info = self.check_can_work(task, actor, assignee, applicant_ids)
        chosen = form if form is not None else self.definition.forms.get(info.form_key)
        # valuesKey options (the provisions a refusal may cite) from this version's matter data
        result = validate_submission(with_choices(chosen, provision_lists(self.definition.metadata)), raw)
        if not result.ok:
            raise FormDataInvalid(result.errors, raw)
        unsigned = signature_problem(self.definition.element_properties.get(info.element_id), actor.user_id,
                                     applicant_ids[0] if applicant_ids else None, result.values)
        if unsigned:
            raise FormDataInvalid(unsigned, raw)
        before = {key: copy.deepcopy(task.data.get(key)) for key in result.values}
        task.data.update(copy.deepcopy(result.values))
        self._ready = None
        self._run_completion(task)
        self.run_engine()
        return Submission(task_id=str(task.id), element_id=info.element_id, raw=copy.deepcopy(raw),
                          values=copy.deepcopy(result.values), before=before)

    def _run_completion(self, task: Task) -> None:
        """``run_human_task`` inside the step's error handling: a multi-instance task whose form did
        not write the output item, or a task reading data nobody set, fails here.

        :raise CompletionFailed: the workflow in memory is now half-changed; callers discard it.
        """
        data = copy.deepcopy(dict(task.data))
        try:
            run_human_task(task)
        except NotRunnable:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the diagram did wrong becomes an incident
            failure = failure_of(exc, task, kind="completion")
            failure.data = data
            raise CompletionFailed(failure) from exc

    def retry(self, task_id: str, patch: dict[str, Any]) -> None:
        """Run a failed element again after an administrator fixed its data.

        A task SpiffWorkflow left in ERROR (script, gateway, service task) becomes READY again and
        the engine runs on; a human task whose completion failed (still READY) is completed with
        the patched data. A new failure lands in ``self.failure`` as usual.
        """
        task = self.get_task(task_id)
        task.data.update(copy.deepcopy(patch))
        self._ready = None
        if task.state == TaskState.ERROR:
            task._set_state(TaskState.READY)  # noqa: SLF001 - SpiffWorkflow has no public "retry"
        elif is_manual(task) and is_ready(task):
            try:
                self._run_completion(task)
            except CompletionFailed as exc:
                self.failure = exc.failure
                return
        self.run_engine()

    # -- timers ----------------------------------------------------------------------------------

    def fire_due_timers(self) -> None:
        """Let timers that are due (per the bound clock) fire and their paths run."""
        try:
            self.workflow.refresh_timers()
        except Exception as exc:  # noqa: BLE001 - a timer expression failing is an incident too
            self.failure = failure_of(exc, kind="timer")
            return
        self.run_engine(kind="timer")

    def next_timer_due(self) -> datetime | None:
        if self.terminated:
            return None
        due = timer_dues(self.workflow)
        return min(due) if due else None

    def boundary_timer_due(self, task_id: str) -> datetime | None:
        """When the earliest timer on a task's boundary fires (a 补正 task's 逾期未补正), or None.

        The applicant's page shows it as the deadline of the task: it is the moment the process acts on
        its own, so no second date can drift from it. A timer not yet armed is evaluated as Spiff would.
        """
        try:
            task = self.get_task(task_id)
        except TaskNotFound:
            return None
        due: list[datetime] = []
        for sibling in task.parent.children if task.parent is not None else ():
            definition = getattr(sibling.task_spec, "event_definition", None)
            if sibling is task or not isinstance(definition, TimeDateEventDefinition):
                continue
            value = sibling._get_internal_data("event_value")
            if value is None:
                try:
                    value = self.workflow.script_engine.evaluate(sibling, definition.expression)
                except Exception:  # noqa: BLE001 - a deadline that cannot be read is simply not shown
                    continue
            try:
                moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            except ValueError:
                continue
            due.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        return min(due) if due else None

    @property
    def data(self) -> dict[str, Any]:
        """Case data as the latest completed work left it (the end task's data once finished)."""
        if self.workflow.is_completed():
            return dict(self.workflow.data)
        # Work waiting inside a call activity sees the sub-process's data, which the top
        # workflow's last task does not have yet; prefer the newest ready human task.
        ready = self.ready_human_tasks()
        if ready:
            return dict(max(ready, key=lambda t: t.last_state_change).data)
        latest = self.workflow.last_task
        return dict(latest.data if latest is not None else self.workflow.task_tree.data)
