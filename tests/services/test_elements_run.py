"""Every element the support table says runs does run, driven through the services with the real
engine and database; everything else is refused at deploy with its element id.

Each diagram is a matter under tests/fixtures/elements (the table's "fixture" column)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.definitions.element_support import FLOW_NODES
from engine.definitions.element_support import OTHER
from engine.definitions.element_support import REFUSED_EVENT_DEFINITIONS
from engine.errors import DefinitionInvalid
from engine.errors import FormDataInvalid
from engine.errors import MessageAmbiguous
from engine.errors import MessageNotCorrelated
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from engine.services.deploy import matter_dirs
from engine.services.messages import send_message
from engine.services.timers import fire_due_timers
from tests.conftest import FIXTURES
from tests.conftest import ROOT
from tests.conftest import dept_actor
from tests.readback import get_case

ELEMENTS = FIXTURES / "elements"
INTEGRATION = Actor("payment_gateway", "统一支付平台", frozenset({"integration"}))
A_CB, B_CB = dept_actor("a_cb"), dept_actor("b_cb")
RUNNING = [p.name for p in matter_dirs(ELEMENTS) if p.name != "el_refused"]


@pytest.fixture
def els(ctx: EngineContext, designer: Actor) -> EngineContext:
    for name in RUNNING:
        deploy_path(ctx, ELEMENTS / name, designer)
    return ctx


def _open(ctx: EngineContext, case_id: int) -> list[str]:
    return sorted(t.element_id for t in get_case(ctx, case_id).open_tasks)


def _do(ctx: EngineContext, case_id: int, element: str, actor: Actor = A_CB, **values: str):  # type: ignore[no-untyped-def]
    task = next(t for t in get_case(ctx, case_id).open_tasks if t.element_id == element)
    key = "b_opinion" if task.form_key == "b_review" else "a_opinion"
    return tasks.complete_task(ctx, case_id, task.task_uuid, {key: "approve", **values}, actor)


def _ended_at(ctx: EngineContext, case_id: int) -> set[str]:
    return {h.element_id for h in cases.case_history(ctx, case_id)
            if h.to_state == "COMPLETED" and h.element_id.startswith("end")}


def test_plain_and_manual_tasks_without_a_form_pass_through(els: EngineContext) -> None:
    view = cases.start_case(els, "el_pass_through", Actor.system())
    assert _open(els, view.id) == ["signed"]  # the manual task with a form is a person's work
    done = _do(els, view.id, "signed")
    assert done.status == "completed" and done.data["passed_through"] is True
    completed = {h.element_id for h in cases.case_history(els, view.id) if h.to_state == "COMPLETED"}
    assert {"register", "offline_check"} <= completed


def test_a_service_task_runs_a_registered_operation(els: EngineContext) -> None:
    view = cases.start_case(els, "el_service_task", Actor.system())
    assert view.status == "completed" and view.data["credit"] == {"clean": True, "violations": 0}
    assert view.data["fee"] == 0  # the business rule task's DMN read the service's result


def test_call_activity_error_end_boundary_and_terminate(els: EngineContext) -> None:
    view = cases.start_case(els, "el_error_boundary", Actor.system())
    assert _open(els, view.id) == ["review_over"]  # the child measured 150, the check threw 超限
    assert _do(els, view.id, "review_over").status == "completed"
    assert _ended_at(els, view.id) == {"end_over"}


def test_an_inclusive_gateway_takes_only_the_true_branches(els: EngineContext) -> None:
    view = cases.start_case(els, "el_inclusive", Actor.system())
    assert _open(els, view.id) == ["fire"]
    assert _do(els, view.id, "fire").status == "completed"


def _at_event_gateway(ctx: EngineContext) -> int:
    view = cases.start_case(ctx, "el_event_gateway", Actor.system())
    waiting = _do(ctx, view.id, "review")
    assert waiting.status == "running" and waiting.open_tasks == ()
    return view.id


def test_an_event_gateway_schedules_its_timer_and_the_timer_fires(els: EngineContext, clock: FixedClock) -> None:
    case_id = _at_event_gateway(els)
    assert get_case(els, case_id).next_timer_due == clock.now() + timedelta(days=5)
    clock.advance(days=5, seconds=1)
    assert fire_due_timers(els) == 1
    after = get_case(els, case_id)
    assert after.status == "completed" and _ended_at(els, case_id) == {"end_lapsed"}
    with pytest.raises(MessageNotCorrelated):  # the other branches are gone with the timer's win
        send_message(els, INTEGRATION, "payment_received", correlation={"办件编号": after.case_number})


def test_an_event_gateway_takes_the_message_branch_and_cancels_the_timer(els: EngineContext) -> None:
    case_id = _at_event_gateway(els)
    number = get_case(els, case_id).case_number
    result = send_message(els, INTEGRATION, "payment_received", correlation={"办件编号": number},
                          payload={"amount": 120, "receipt_no": "FS-0001"})
    assert [d.case_id for d in result.delivered] == [case_id] and not result.started
    after = get_case(els, case_id)
    assert after.status == "completed" and after.next_timer_due is None
    assert after.data["payment_received"] == {"amount": 120, "receipt_no": "FS-0001"}
    assert _ended_at(els, case_id) == {"end_paid"}
    received = [h for h in cases.case_history(els, case_id) if h.event_type == "message_received"]
    assert received[0].actor_id == "payment_gateway" and received[0].payload["correlation"] == {"case_number": number}


def test_an_event_gateway_takes_a_signal_branch(els: EngineContext) -> None:
    case_id = _at_event_gateway(els)
    result = send_message(els, INTEGRATION, "hall_closed", kind="signal")
    assert [d.case_id for d in result.delivered] == [case_id]
    assert _ended_at(els, case_id) == {"end_closed"}


def test_a_receive_task_gets_an_electronic_licence_by_case_number(els: EngineContext) -> None:
    view = cases.start_case(els, "el_receive_task", Actor.system())
    assert view.status == "running" and view.open_tasks == () and view.next_timer_due is None
    send_message(els, INTEGRATION, "licence_issued", correlation={"办件编号": view.case_number},
                 payload={"licence_no": "JY13201000000001"})
    after = get_case(els, view.id)
    assert after.status == "completed" and after.data["licence_no"] == "JY13201000000001"


def test_a_joint_confirmation_correlated_by_credit_code(els: EngineContext) -> None:
    """一事联办: 住建 asks, 消防 confirms through the API, 住建 goes on."""
    view = cases.start_case(els, "el_message_catch", Actor.system(), {"uscc": "91350100M000100Y43"})
    _do(els, view.id, "ask")
    assert _open(els, view.id) == []
    with pytest.raises(MessageNotCorrelated):
        send_message(els, INTEGRATION, "fire_confirmed", correlation={"统一社会信用代码": "91350100M000100Y99"})
    send_message(els, INTEGRATION, "fire_confirmed", correlation={"统一社会信用代码": "91350100M000100Y43"},
                 payload={"fire_ok": True})
    assert _open(els, view.id) == ["decide"]
    assert _do(els, view.id, "decide", b_opinion="approve").status == "completed"


def test_two_cases_waiting_under_one_credit_code_need_the_case_number(els: EngineContext) -> None:
    ids = []
    for _ in range(2):
        view = cases.start_case(els, "el_message_catch", Actor.system(), {"uscc": "91350100M000100Y43"})
        _do(els, view.id, "ask")
        ids.append(view.id)
    with pytest.raises(MessageAmbiguous):
        send_message(els, INTEGRATION, "fire_confirmed", correlation={"统一社会信用代码": "91350100M000100Y43"})
    number = get_case(els, ids[1]).case_number
    send_message(els, INTEGRATION, "fire_confirmed", correlation={"办件编号": number})
    assert _open(els, ids[0]) == [] and _open(els, ids[1]) == ["decide"]


def test_a_message_boundary_event_withdraws_the_application(els: EngineContext) -> None:
    view = cases.start_case(els, "el_message_boundary", Actor.system())
    send_message(els, INTEGRATION, "application_withdrawn", correlation={"办件编号": view.case_number})
    after = get_case(els, view.id)
    assert after.status == "completed" and after.open_tasks == ()
    assert _ended_at(els, view.id) == {"end_withdrawn"}


def test_a_signal_boundary_event_reaches_every_waiting_case(els: EngineContext) -> None:
    ids = [cases.start_case(els, "el_message_boundary", Actor.system()).id for _ in range(2)]
    result = send_message(els, INTEGRATION, "hall_closed", kind="signal")
    assert sorted(d.case_id for d in result.delivered) == ids
    assert all(_ended_at(els, i) == {"end_closed"} for i in ids)


def test_several_start_events_the_hall_and_a_message(els: EngineContext) -> None:
    hall = cases.start_case(els, "el_several_starts", Actor.system())
    assert _open(els, hall.id) == ["review"] and hall.data["source"] == "hall"
    with pytest.raises(MessageNotCorrelated):
        send_message(els, INTEGRATION, "case_transferred")  # no matter named: nothing to start
    started = send_message(els, INTEGRATION, "case_transferred", matter_code="el_several_starts",
                           payload={"from_city": "苏州"})
    assert started.started
    [to] = started.delivered
    transferred = get_case(els, to.case_id)
    assert transferred.data["source"] == "transfer" and transferred.data["case_transferred"] == {"from_city": "苏州"}
    assert _open(els, to.case_id) == ["review"]


def test_a_confirmation_sent_inside_the_case_lets_the_asker_go_on(els: EngineContext) -> None:
    view = cases.start_case(els, "el_confirmation", Actor.system())
    assert _open(els, view.id) == ["fire_check"]
    _do(els, view.id, "fire_check", B_CB)
    assert _open(els, view.id) == ["decide"]
    assert _do(els, view.id, "decide").status == "completed"


def test_payloads_are_validated_and_unknown_keys_refused(els: EngineContext) -> None:
    view = cases.start_case(els, "el_receive_task", Actor.system())
    with pytest.raises(FormDataInvalid):
        send_message(els, INTEGRATION, "licence_issued", correlation={"营业执照号": "x"})
    with pytest.raises(FormDataInvalid):
        send_message(els, INTEGRATION, "licence_issued", correlation={"办件编号": view.case_number}, payload=[1])
    with pytest.raises(FormDataInvalid):
        send_message(els, INTEGRATION, "licence_issued", correlation={"办件编号": view.case_number},
                     payload={"__class__": 1})
    assert get_case(els, view.id).status == "running"


def test_every_refused_row_is_refused_at_deploy_with_its_element(ctx: EngineContext, designer: Actor) -> None:
    with pytest.raises(DefinitionInvalid) as refused:
        deploy_path(ctx, ELEMENTS / "el_refused", designer)
    where = {p.element_id: p.problem for p in refused.value.problems}
    expected = {"timer_start", "complex", "tx", "adhoc", "looped", "cond", "esc", "link", "nothing", "no_ref",
                "recv", "store", "evsub", "compensate", "cancel_end", "signal_end"}
    assert expected <= set(where)
    assert all(p.file == "el_refused/el_refused.bpmn" for p in refused.value.problems)
    assert "“复杂网关”" in where["complex"] and "无法执行" in where["complex"]


def test_each_row_of_the_support_table_has_its_diagram() -> None:
    for row in [*FLOW_NODES.values(), *OTHER.values()]:
        assert (ELEMENTS / row.fixture / "matter.toml").is_file(), row
        assert row.element.split()[0] in (ELEMENTS / row.fixture / f"{row.fixture}.bpmn").read_text(encoding="utf-8")


def test_the_readme_prints_the_support_table() -> None:
    readme = (ROOT / "processes" / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- support-table:start -->")[1].split("<!-- support-table:end -->")[0]
    for row in [*FLOW_NODES.values(), *OTHER.values()]:
        assert f"| `{row.element}` |" in table and f"| {row.note} | `{row.fixture}` |" in table, row
    for kind, why in REFUSED_EVENT_DEFINITIONS.items():
        assert f"| `{kind}` | 拒绝 | {why} | `el_refused` |" in table
        assert kind in (ELEMENTS / "el_refused" / "el_refused.bpmn").read_text(encoding="utf-8")
