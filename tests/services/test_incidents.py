"""Incidents, never tracebacks: a failing script or task completion is stored with element, error
and data, the case is 异常, the user's input is kept, and an administrator retries after a fix."""

from __future__ import annotations

import pytest

from engine.actors import Actor
from engine.errors import FormDataInvalid
from engine.errors import IncidentRaised
from engine.errors import NotAllowed
from engine.services import cases
from engine.services import tasks
from engine.services.casework import task_page
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from engine.services.operations.incidents import list_incidents
from engine.services.operations.incidents import parse_fix
from engine.services.operations.incidents import retry_incident
from engine.services.submissions import FormInput
from engine.services.submissions import Outcome
from engine.services.submissions import submit_task
from tests.conftest import FIXTURES
from tests.conftest import dept_actor
from tests.readback import get_case

ADMIN = Actor("ops1", "运维管理员", frozenset({"admin"}))
CLERK = dept_actor("a_cb")


@pytest.fixture
def elements(ctx: EngineContext, designer: Actor) -> EngineContext:
    for name in ("incident_mi", "incident_script"):
        deploy_path(ctx, FIXTURES / "elements" / name, designer)
    return ctx


def _events(ctx: EngineContext, case_id: int) -> list[str]:
    return [h.event_type for h in cases.case_history(ctx, case_id)]


def test_a_completion_that_fails_keeps_the_task_open_and_the_input_as_a_draft(elements: EngineContext) -> None:
    view = cases.start_case(elements, "incident_mi", Actor.system())
    first = view.open_tasks[0]
    result = submit_task(elements, view.id, first.task_uuid, CLERK,
                         FormInput({"a_opinion": "approve", "a_comment": "材料齐全"}))
    assert result.outcome is Outcome.INCIDENT
    assert "已记录为异常" in result.message and "已暂存" in result.message and "部门会签" in result.message
    after = get_case(elements, view.id)
    assert after.status == "failed"
    assert [t.task_uuid for t in after.open_tasks] == [t.task_uuid for t in view.open_tasks]  # still open
    assert task_page(elements, view.id, first.task_uuid, CLERK).values["a_comment"] == "材料齐全"
    [incident] = list_incidents(elements, ADMIN)
    assert (incident.kind, incident.element_id, incident.case_id) == ("completion", "countersign", view.id)
    assert "opinion" in incident.message
    assert incident.data["department"] in ("住建", "消防") and incident.submitted["a_comment"] == "材料齐全"
    assert "incident_raised" in _events(elements, view.id)


def test_an_incident_fixed_and_retried_runs_the_case_to_its_end(elements: EngineContext) -> None:
    view = cases.start_case(elements, "incident_mi", Actor.system())
    for task in view.open_tasks:
        with pytest.raises(IncidentRaised) as raised:
            tasks.complete_task(elements, view.id, task.task_uuid, {"a_opinion": "approve"}, CLERK)
        retried = retry_incident(elements, raised.value.incident_id, {"opinion": "同意"}, ADMIN,
                                 "表单缺输出项，手工补录")
    assert retried.status == "completed"
    assert sorted(retried.data["opinions"]) == ["同意", "同意"]
    assert list_incidents(elements, ADMIN) == []
    assert {i.status for i in list_incidents(elements, ADMIN, status="resolved")} == {"resolved"}
    history = cases.case_history(elements, view.id)
    retry = next(h for h in history if h.event_type == "incident_retried")
    assert retry.actor_id == "ops1" and retry.data_after == {"opinion": "同意"}
    assert retry.payload["reason"] == "表单缺输出项，手工补录" and retry.payload["submitted_by"] == CLERK.user_id


def test_a_failing_script_is_an_incident_and_a_data_fix_lets_it_finish(elements: EngineContext) -> None:
    view = cases.start_case(elements, "incident_script", Actor.system())
    done = tasks.complete_task(elements, view.id, view.open_tasks[0].task_uuid, {"a_opinion": "approve"}, CLERK)
    assert done.status == "failed" and "area_m2" in (done.error or "")
    [incident] = list_incidents(elements, ADMIN)
    assert (incident.kind, incident.element_id, incident.element_name) == ("engine", "compute_fee", "计算费用")
    assert incident.data["a_opinion"] == "approve"
    again = retry_incident(elements, incident.id, {"area_m2": "oops"}, ADMIN, "补录面积")
    assert again.status == "failed"
    [still] = list_incidents(elements, ADMIN)
    assert still.id == incident.id and still.attempts == 2 and "oops" in still.message
    fixed = retry_incident(elements, incident.id, parse_fix('{"area_m2": 120}'), ADMIN, "面积更正为数字")
    assert fixed.status == "completed" and fixed.error is None
    assert get_case(elements, view.id).data["fee"] == 240


def test_only_operators_retry_and_a_reason_is_required(elements: EngineContext) -> None:
    view = cases.start_case(elements, "incident_script", Actor.system())
    tasks.complete_task(elements, view.id, view.open_tasks[0].task_uuid, {"a_opinion": "approve"}, CLERK)
    [incident] = list_incidents(elements, ADMIN)
    with pytest.raises(NotAllowed):
        retry_incident(elements, incident.id, {"area_m2": 1}, CLERK, "我来修")
    with pytest.raises(NotAllowed):
        list_incidents(elements, CLERK)
    with pytest.raises(FormDataInvalid):
        retry_incident(elements, incident.id, {"area_m2": 1}, ADMIN, "  ")
    with pytest.raises(FormDataInvalid):
        parse_fix("[1, 2]")
    assert get_case(elements, view.id).status == "failed"
    assert "incident_retried" not in _events(elements, view.id)
