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

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.actors import Actor
from engine.actors import may_work
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.catalog import HumanTaskInfo
from engine.errors import CaseFailed
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.errors import TaskAlreadyDone
from engine.errors import TaskNotFound
from engine.errors import TaskNotReady
from engine.forms import validate_submission
from engine.runtime.spiff.script_environment import PythonScriptEngine
from engine.runtime.spiff.serializer import dump_state
from engine.runtime.spiff.serializer import restore_state
from engine.runtime.spiff.task_run import is_manual
from engine.runtime.spiff.task_run import is_ready
from engine.runtime.spiff.task_run import run_human_task
from engine.runtime.spiff.task_run import state_name
from engine.state_names import TASK_STATE_NAMES as STATE_NAMES_ZH

#: SpiffWorkflow's names for the three timer kinds (timeDate, timeDuration, timeCycle).
TIMER_EVENT_TYPES = frozenset({"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition",
                               "TimerEventDefinition"})


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
        self.failure: CaseFailed | None = None
        # Ready human tasks, computed once per engine run: finding them walks the whole task tree,
        # which grows with every round of a long case, and a step needs them several times.
        self._ready: list[Task] | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def start(cls, definition: CompiledDefinition, script_engine: PythonScriptEngine,
              data: dict[str, Any]) -> CaseRuntime:
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=script_engine)
        workflow.task_tree.data.update(copy.deepcopy(data))
        runtime = cls(definition, workflow)
        runtime.run_engine()
        return runtime

    @classmethod
    def restore(cls, definition: CompiledDefinition, blob: bytes, script_engine: PythonScriptEngine) -> CaseRuntime:
        return cls(definition, restore_state(blob, definition.spec, definition.subprocess_specs, script_engine))

    def dump(self) -> bytes:
        return dump_state(self.workflow)

    def run_engine(self) -> None:
        """Run gateways, scripts and events until only waits remain; a failure marks the case failed."""
        self._ready = None
        try:
            self.workflow.do_engine_steps()
        except SpiffWorkflowException as exc:
            task = getattr(exc, "task", None)
            element = getattr(getattr(task, "task_spec", None), "bpmn_id", None) or ""
            self.failure = CaseFailed(element, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - sandbox and DMN errors arrive as plain exceptions too
            self.failure = CaseFailed("", f"{type(exc).__name__}: {exc}")

    @property
    def status(self) -> str:
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
        if not may_work(info.candidate_groups, actor, applicant_ids):
            raise NotAllowed(f"您无权办理“{info.name}”（办理角色：{'、'.join(info.candidate_groups)}）")
        if assignee and assignee != actor.user_id:
            raise NotAllowed(f"“{info.name}”已由其他人员签收，请先由其退回或转办")
        return info

    def complete(self, task_id: str, raw: dict[str, Any], actor: Actor, assignee: str | None,
                 applicant_ids: tuple[str | None, ...] = ()) -> Submission:
        """Validate and complete one human task, then run the engine onward.

        :raise TaskNotFound, TaskNotReady, NotAllowed, FormDataInvalid: nothing changed.
        """
        task = self.get_task(task_id)
        info = self.check_can_work(task, actor, assignee, applicant_ids)
        result = validate_submission(self.definition.forms.get(info.form_key), raw)
        if not result.ok:
            raise FormDataInvalid(result.errors, raw)
        before = {key: copy.deepcopy(task.data.get(key)) for key in result.values}
        task.data.update(copy.deepcopy(result.values))
        self._ready = None
        run_human_task(task)
        self.run_engine()
        return Submission(task_id=str(task.id), element_id=info.element_id, raw=copy.deepcopy(raw),
                          values=copy.deepcopy(result.values), before=before)

    # -- timers ----------------------------------------------------------------------------------

    def fire_due_timers(self) -> None:
        """Let timers that are due (per the bound clock) fire and their paths run."""
        self.workflow.refresh_timers()
        self.run_engine()

    def next_timer_due(self) -> datetime | None:
        due: list[datetime] = []
        for event in self.workflow.waiting_events():
            if event.event_type not in TIMER_EVENT_TYPES:
                continue
            value = event.value
            if isinstance(value, dict):  # cycle timers keep {'cycles', 'next', 'duration'}
                value = value.get("next")
            if not value:
                continue
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            due.append(moment.astimezone(UTC))
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
