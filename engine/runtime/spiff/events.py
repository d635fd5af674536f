"""Messages, signals and timers the way cases need them, over SpiffWorkflow 3.2's event manager.

Upstream behaviour worked around:

* A message caught without ``spiffworkflow:messageVariable`` drops its payload (the Spiff message
  definition copies the payload only into that variable). ``prepare_events`` gives every such
  message the variable named after the message, so ``payment_received['amount']`` is readable.
* An event-based gateway waits as one task with a ``MultipleEventDefinition`` whose
  ``waiting_events()`` entry has no name and no value: the timer behind it was invisible to
  ``next_timer_due`` and never fired. ``waiting_definitions`` expands it, so its timers get
  scheduled and its messages and signals can be delivered.
* With several start events, SpiffWorkflow races them and the none start always wins.
  ``start_at`` runs only the chosen start event (a case started by a message).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

#: The variable a message payload lands in when the diagram names none and the message's name is
#: not a Python identifier.
DEFAULT_MESSAGE_VARIABLE = "message_payload"


@dataclass(frozen=True)
class Subscription:
    """Something a waiting case can be sent: a message or a signal of this name."""

    kind: str  # message / signal
    name: str
    element_id: str


def _flatten(definition: Any) -> list[Any]:
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition] if definition is not None else []


def _definitions(specs: Iterable[BpmnProcessSpec]) -> Iterator[Any]:
    for spec in specs:
        for task_spec in spec.task_specs.values():
            yield from _flatten(getattr(task_spec, "event_definition", None))


def prepare_events(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> bool:
    """Give payload-dropping message definitions a variable; return whether anything catches events.

    Runs once per compiled definition (the specs are shared by every case of the version).
    """
    catches = False
    for definition in _definitions([spec, *subprocess_specs.values()]):
        if isinstance(definition, MessageEventDefinition | SignalEventDefinition):
            catches = True
        if isinstance(definition, MessageEventDefinition) and getattr(definition, "message_var", "") is None:
            name = definition.name or ""
            definition.message_var = name if name.isidentifier() else DEFAULT_MESSAGE_VARIABLE
    return catches


def _kind(definition: Any) -> str | None:
    if isinstance(definition, MessageEventDefinition):
        return "message"
    if isinstance(definition, SignalEventDefinition):
        return "signal"
    return None


def waiting_definitions(workflow: BpmnWorkflow) -> Iterator[tuple[Task, Any]]:
    """(waiting task, event definition) pairs, event-based gateways expanded into their branches."""
    for task in list(workflow.event_manager.tasks.values()):
        for definition in _flatten(task.task_spec.event_definition):
            yield task, definition


def subscriptions(workflow: BpmnWorkflow) -> list[Subscription]:
    """The messages and signals the case waits for now."""
    found: list[Subscription] = []
    for task, definition in waiting_definitions(workflow):
        kind = _kind(definition)
        if kind and definition.name:
            item = Subscription(kind, definition.name, task.task_spec.bpmn_id or "")
            if item not in found:
                found.append(item)
    return found


def timer_dues(workflow: BpmnWorkflow) -> list[datetime]:
    """Due times of every waiting timer, including those behind event-based gateways."""
    due: list[datetime] = []
    for task, definition in waiting_definitions(workflow):
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):  # cycle timers keep {'cycles', 'next', 'duration'}
            value = value.get("next")
        if not value:
            continue
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        due.append(moment.astimezone(UTC))
    return due


def shift_timers(workflow: BpmnWorkflow, by: timedelta) -> int:
    """Push every waiting timer's due time back by ``by`` (a suspension's length); returns how many."""
    shifted = 0
    for task, definition in waiting_definitions(workflow):
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = task.internal_data.get("event_value")
        if isinstance(value, dict) and value.get("next"):
            value = {**value, "next": _later(value["next"], by)}
        elif isinstance(value, str | datetime):
            value = _later(value, by)
        else:
            continue
        task.internal_data["event_value"] = value
        shifted += 1
    return shifted


def _later(value: str | datetime, by: timedelta) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment + by).isoformat()


def deliver(workflow: BpmnWorkflow, kind: str, name: str, payload: dict[str, Any]) -> bool:
    """Hand a message or signal to the task waiting for it; False when nothing waits for it.

    The event is built from the waiting element's own definition, so it matches whatever
    parser-specific class the diagram was read with.
    """
    for _task, definition in waiting_definitions(workflow):
        if _kind(definition) == kind and definition.name == name:
            workflow.send_event(BpmnEvent(definition, dict(payload)))
            return True
    return False


def start_events(spec: BpmnProcessSpec) -> dict[str, str]:
    """Start event id -> the message that starts it ("" for a none start)."""
    found: dict[str, str] = {}
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ == "StartEvent":
            definition = getattr(task_spec, "event_definition", None)
            found[task_spec.bpmn_id] = definition.name if isinstance(definition, MessageEventDefinition) else ""
    return found


def start_at(workflow: BpmnWorkflow, start_event_id: str) -> None:
    """Arm only ``start_event_id`` of several start events (the others are cancelled)."""
    root = next(t for t in workflow.get_tasks() if t.task_spec.name == "Start")
    root.run()
    split = root.children[0]
    if type(split.task_spec).__name__ != "StartEventSplit":
        return  # a single start event: nothing to choose
    split.run()
    for child in split.children:
        if child.task_spec.bpmn_id != start_event_id and child.state != TaskState.CANCELLED:
            child.cancel()


def pass_through_ready(workflow: BpmnWorkflow, element_ids: frozenset[str]) -> list[Task]:
    """READY plain/manual tasks without a form (SpiffWorkflow leaves them for a person)."""
    return [task for task in workflow.get_tasks(state=TaskState.READY, manual=True)
            if task.task_spec.bpmn_id in element_ids]
