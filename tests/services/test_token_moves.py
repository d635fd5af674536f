"""Token moves in both directions (Camunda's instance modification): to any top-level flow node that
can hold a token, previewed on a copy (what closes, what opens), with a reason in history; targets
that cannot hold a token are refused with the reason, and so is a move that would leave the case
waiting for nothing."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.errors import FormDataInvalid
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from engine.services.operations.interventions import move_token
from engine.services.operations.interventions import plan_move
from engine.services.timers import fire_due_timers
from engine.settings import PROJECT_ROOT
from tests.conftest import dept_actor
from tests.readback import get_case

ADMIN = Actor("ops1", "运维管理员", frozenset({"admin"}))
APPLICATION = {"project_name": "滨江花园二期", "uscc": "91350100M000100Y43", "area_m2": "12000",
               "contact_mobile": "13800138000"}


def _open(ctx: EngineContext, case_id: int) -> list[str]:
    return sorted(t.element_id for t in get_case(ctx, case_id).open_tasks)


def _submitted(ctx: EngineContext) -> int:
    view = cases.start_case(ctx, "parallel_review", Actor.system())
    tasks.complete_task(ctx, view.id, view.open_tasks[0].task_uuid, APPLICATION,
                        Actor("system", "", frozenset({"applicant"})))
    return view.id


def _moves(ctx: EngineContext, case_id: int) -> list[dict[str, object]]:
    return [h.data_after for h in cases.case_history(ctx, case_id) if h.event_type == "token_moved"]


def test_a_move_forwards_skips_the_open_step_and_its_timer(deployed: EngineContext) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    plan = plan_move(deployed, view.id, ADMIN, "escalate")
    assert {t.element_id for t in plan.targets} == {"review", "escalate"}  # start, boundary, ends: no
    assert (plan.open_before, plan.open_after, plan.refused) == (("审查",), ("科长督办",), "")
    assert _open(deployed, view.id) == ["review"]  # the preview saved nothing
    moved = move_token(deployed, view.id, ADMIN, "escalate", "审查已线下完成，直接督办")
    assert [t.element_id for t in moved.open_tasks] == ["escalate"] and moved.next_timer_due is None
    assert _moves(deployed, view.id) == [{"to": "escalate", "to_name": "科长督办", "direction": "jump",
                                          "open_before": ["审查"], "open_after": ["科长督办"]}]
    done = tasks.complete_task(deployed, view.id, moved.open_tasks[0].task_uuid, {"a_opinion": "approve"},
                               dept_actor("a_pz"))
    assert done.status == "completed"
    assert "end_escalated" in {h.element_id for h in cases.case_history(deployed, view.id) if h.to_state == "COMPLETED"}


def test_a_move_to_a_step_never_reached_arms_its_boundary_timer_again(deployed: EngineContext,
                                                                       clock: FixedClock) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    clock.advance(days=2, seconds=1)
    assert fire_due_timers(deployed) == 1 and _open(deployed, view.id) == ["escalate"]
    moved = move_token(deployed, view.id, ADMIN, "review", "督办有误，回到审查")
    assert [t.element_id for t in moved.open_tasks] == ["review"]
    assert moved.next_timer_due == clock.now() + timedelta(days=2)  # the review's 2-day timer, from now


def test_a_move_back_out_of_a_parallel_block_cancels_both_branches(deployed: EngineContext) -> None:
    case_id = _submitted(deployed)
    back = plan_move(deployed, case_id, ADMIN, "submit")
    assert back.target is not None and back.target.back
    assert sorted(back.open_before) == ["住建承办", "城管承办"] and back.open_after == ("提交申请",)
    moved = move_token(deployed, case_id, ADMIN, "submit", "材料有误，退回重填")
    assert [t.element_id for t in moved.open_tasks] == ["submit"]


@pytest.mark.parametrize(("target", "reason"), [
    ("split", "网关不能承载令牌"), ("start", "开始事件不能承载令牌"), ("end", "要结束办件请用“终止办理”"),
    ("no_such_step", "不是本流程顶层的环节"), ("a_pz", "汇聚网关“汇总”将一直等待"),
])
def test_targets_that_cannot_hold_a_token_are_refused_with_the_reason(deployed: EngineContext, target: str,
                                                                       reason: str) -> None:
    case_id = _submitted(deployed)
    for attempt in (lambda: plan_move(deployed, case_id, ADMIN, target),
                    lambda: move_token(deployed, case_id, ADMIN, target, "试试")):
        with pytest.raises(FormDataInvalid) as refused:
            attempt()
        assert reason in refused.value.errors["target"]
    assert _open(deployed, case_id) == ["a_cb", "b_cb"] and _moves(deployed, case_id) == []


def test_a_boundary_event_is_refused_as_a_target(deployed: EngineContext) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    with pytest.raises(FormDataInvalid) as refused:
        move_token(deployed, view.id, ADMIN, "review_overdue", "试试")
    assert "边界事件依附于所在环节" in refused.value.errors["target"]




def test_a_move_out_of_a_call_activity_and_into_a_failure(settings, clock, designer) -> None:  # type: ignore[no-untyped-def]
    shipped = EngineContext.create(dataclasses.replace(settings, processes_dir=PROJECT_ROOT / "processes",
                                                       forms_dir=PROJECT_ROOT / "forms"), clock)
    try:
        deploy_path(shipped, PROJECT_ROOT / "processes" / "food_business", designer)
        view = cases.start_case(shipped, "food_business", Actor.system())
        into = move_token(shipped, view.id, ADMIN, "call_reception", "申请已在窗口当面提交")
        assert [t.element_id for t in into.open_tasks] == ["rc_check"]  # inside the shared reception
        out = move_token(shipped, view.id, ADMIN, "review", "收件已线下完成")
        assert [t.element_id for t in out.open_tasks] == ["review"] and out.status == "running"
        assert _open(shipped, view.id) == ["review"]  # the call activity's task left the worklist
        failing = plan_move(shipped, view.id, ADMIN, "supplement_notice")
        assert "出错" in failing.refused and failing.open_after == ()
        with pytest.raises(FormDataInvalid):
            move_token(shipped, view.id, ADMIN, "supplement_notice", "发补正告知")
        assert _open(shipped, view.id) == ["review"] and get_case(shipped, view.id).status == "running"
    finally:
        shipped.dispose()
