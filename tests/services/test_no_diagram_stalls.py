"""No diagram accepted at deploy is left running with no open task, no timer and no message
subscription: every matter under tests/fixtures (and every Camunda upload there, imported, and every
shipped matter under processes/ that declares a message) is
deployed and driven as far as a generic driver can (forms filled from their own rules, messages and
signals sent by 办件编号, timers fired on the injected clock, service tasks' HTTP requests answered),
and the case is checked after every step."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.definitions.bundles import collect_matter_files
from engine.errors import DefinitionInvalid
from engine.errors import FormDataInvalid
from engine.errors import IncidentRaised
from engine.forms import FormDefinition
from engine.persistence.repositories.subscriptions import subscriptions_of_case
from engine.services import cases
from engine.services import design
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deploy import deploy_files
from engine.services.deploy import deploy_path
from engine.services.deploy import matter_dirs
from engine.services.messages import send_message
from engine.services.service_calls import deliver_service_calls
from engine.services.service_calls import pending_calls
from engine.services.timers import fire_due_timers
from tests.conftest import FIXTURES
from tests.conftest import ROOT
from tests.processes import test_realestate_tax as realestate_walk
from tests.readback import get_case

SAMPLES = {"uscc": "91350100M000100Y43", "mobile": "13800138000", "idcard": "11010519491231002X",
           "email": "a@example.cn", "phone": "025-83123456"}
DIAGRAMS = sorted({folder for parent in FIXTURES.iterdir() if parent.is_dir() for folder in matter_dirs(parent)})
PAYLOAD_SAMPLES: dict[str, Any] = {"string": "测试", "number": 1, "boolean": True, "object": {}, "list": []}
OPERATOR = Actor("ops_driver", "驱动", frozenset({"admin", "integration"}))
MAX_STEPS = 40


def _answer(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """Every allowlisted endpoint answers the same JSON object."""
    return 200, b'{"registered": true}'


def _values(form: FormDefinition) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in form.fields:
        if spec.readonly or spec.disabled or spec.type in ("filepicker", "file"):
            continue
        if spec.options:
            values[spec.key] = [spec.options[0][0]] if spec.multiple or spec.type == "checklist" else spec.options[0][0]
        elif spec.type == "number":
            values[spec.key] = str(int(spec.min) if spec.min is not None else 120)
        elif spec.type == "checkbox":
            values[spec.key] = True
        elif spec.type == "datetime":
            values[spec.key] = "2025-09-26"
        elif spec.required or spec.validator:
            values[spec.key] = SAMPLES.get(spec.validator or "", "测试内容")
    return values


def _step(ctx: EngineContext, clock: FixedClock, case_id: int, known: dict[str, dict[str, Any]]) -> str:
    """Take one step the case allows; return what was done ("" when the driver cannot go on).

    ``known`` gives a task's values where the generic ones would not pass its form (a shipped matter's
    application checks ID numbers against each other)."""
    view = get_case(ctx, case_id)
    with ctx.uow() as uow:
        waiting = subscriptions_of_case(uow, case_id)
        definition = ctx.latest_definition(uow, view.matter_code)[1]
    if view.open_tasks:
        task = view.open_tasks[0]
        actor = Actor(view.owner_id or "system", "驱动", frozenset(task.candidate_groups))
        try:
            values = known.get(task.element_id) or _values(definition.forms.get(task.form_key))
            tasks.complete_task(ctx, case_id, task.task_uuid, values, actor)
        except (FormDataInvalid, IncidentRaised):
            return ""
        return f"task {task.element_id}"
    if waiting:
        event = waiting[0]
        declared = definition.metadata.extra.get("messages", {}).get(event.name, {}).get("payload", {})
        payload = {k: PAYLOAD_SAMPLES[str(t).rstrip("?")] for k, t in declared.items()}
        send_message(ctx, OPERATOR, event.name, kind=event.kind, correlation={"办件编号": view.case_number},
                     payload=payload)
        return f"{event.kind} {event.name}"
    if pending_calls(ctx, case_id):
        deliver_service_calls(ctx, _answer)
        return "service call"
    assert view.next_timer_due is not None
    clock.set(view.next_timer_due + timedelta(seconds=1))
    fire_due_timers(ctx)
    return "timer"


def _drive(ctx: EngineContext, clock: FixedClock, code: str,
           known: dict[str, dict[str, Any]] | None = None) -> tuple[str, list[str]]:
    """Start a case and take steps until it ends or the driver cannot go on; the final status and the steps."""
    view = cases.start_case(ctx, code, Actor.system())
    done: list[str] = []
    for _ in range(MAX_STEPS):
        view = get_case(ctx, view.id)
        if view.status != "running":
            break
        with ctx.uow() as uow:
            waiting = subscriptions_of_case(uow, view.id)
        assert view.open_tasks or view.next_timer_due or waiting or pending_calls(ctx, view.id), \
            f"{code} stalls after {done}: running with no open task, timer, message subscription or service call"
        action = _step(ctx, clock, view.id, known or {})
        if not action:
            break
        done.append(action)
    return get_case(ctx, view.id).status, done


@pytest.mark.parametrize("folder", DIAGRAMS, ids=[f"{p.parent.name}/{p.name}" for p in DIAGRAMS])
def test_no_accepted_diagram_is_left_waiting_for_nothing(ctx: EngineContext, clock: FixedClock, designer: Actor,
                                                         folder: Path) -> None:
    try:
        deploy_path(ctx, folder, designer)
    except DefinitionInvalid as refused:
        assert all(p.element_id for p in refused.problems), "a refusal names the element"
        return
    code = folder.name
    status, done = _drive(ctx, clock, code)
    assert status in ("running", "completed", "failed")
    if folder.parent.name == "elements" and not code.startswith("incident_"):
        assert status == "completed", f"{code} did not finish: {done}"


#: Camunda Modeler uploads under tests/ (not matter folders): imported, converted, then driven too.
UPLOADS = {"camunda7_juel": "11320100MB0000000X4000000000203", "camunda_bundle": "11320700014252401B3000180009001"}


@pytest.mark.parametrize("upload", sorted(UPLOADS))
def test_no_imported_camunda_diagram_is_left_waiting_for_nothing(ctx: EngineContext, clock: FixedClock,
                                                                 designer: Actor, upload: str) -> None:
    files = {p.name: p.read_bytes() for p in sorted((FIXTURES / upload).iterdir())}
    code = f"imported_{upload}"
    design.import_camunda_bundle(ctx, files, {"code": code, "name": f"导入：{upload}", "department": "测试审批局",
                                              "implementation_code": UPLOADS[upload], "case_type": "承诺件",
                                              "statutory_limit_wd": "20", "promised_limit_wd": "5"}, designer)
    status, done = _drive(ctx, clock, code)
    assert status == "completed", f"{upload} did not finish: {done}"


#: Shipped matters that wait for a message (processes/<matter>/matter.toml has ``[messages.*]``).
SHIPPED_WITH_MESSAGES = sorted(p for p in matter_dirs(ROOT / "processes")
                               if "[messages." in (p / "matter.toml").read_text(encoding="utf-8"))


#: Values for the tasks of shipped matters whose forms the generic values do not pass.
KNOWN_VALUES: dict[str, dict[str, dict[str, Any]]] = {
    "realestate_tax": {"apply": realestate_walk.APPLICATION, "tax_assess": realestate_walk.TAX,
                       "rc_check": {"reception_decision": "accept"},
                       "tax_collect": {"tax_payment_channel": "qr", "tax_payment_ref": "SK320100202509260001"},
                       "certify": {"certificate_no": "苏（2025）南京市不动产权第0123456号"},
                       "dl_ems": {"mailing_address": realestate_walk.APPLICATION["mailing_address"],
                                  "ems_tracking_number": "EA123456789CN"}},
}


def test_a_shipped_matter_waits_for_a_message() -> None:
    assert "realestate_tax" in [p.name for p in SHIPPED_WITH_MESSAGES]


@pytest.mark.parametrize("folder", SHIPPED_WITH_MESSAGES, ids=[p.name for p in SHIPPED_WITH_MESSAGES])
def test_no_shipped_matter_with_messages_is_left_waiting_for_nothing(ctx: EngineContext, clock: FixedClock,
                                                                     designer: Actor, folder: Path) -> None:
    files = collect_matter_files(folder, ROOT / "forms", ROOT / "processes" / "_common")
    deploy_files(ctx, files, designer)
    status, done = _drive(ctx, clock, folder.name, KNOWN_VALUES.get(folder.name))
    assert status == "completed", f"{folder.name} did not finish: {done}"
