"""A task form submitted against a stale case: what the person typed is kept, and the page says what changed
since they opened it (which step, which fields, by whom, when in China time)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.actors import Actor
from engine.definitions.bundles import collect_matter_files
from engine.services import cases
from engine.services.deploy import deploy_files
from tests.conftest import FIXTURES
from tests.readback import get_case
from tests.webapp.conftest import User
from tests.webapp.test_journey import APPLICATION

#: Two parallel steps; the second step's form is a parameter (the same fields as the first's, or others).
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://onewindow.example/bpmn">
  <bpmn:process id="{code}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork" />
    <bpmn:parallelGateway id="fork" />
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="own_review" />
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="joint_review" />
    <bpmn:userTask id="own_review" name="承办审查" camunda:formKey="a_review" camunda:candidateGroups="zj_chengban" />
    <bpmn:userTask id="joint_review" name="会同审核" camunda:formKey="{form}" camunda:candidateGroups="zj_shenhe" />
    <bpmn:sequenceFlow id="f4" sourceRef="own_review" targetRef="join" />
    <bpmn:sequenceFlow id="f5" sourceRef="joint_review" targetRef="join" />
    <bpmn:parallelGateway id="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _case(web_app: Flask, tmp_path: Path, form: str) -> tuple[int, dict[str, str]]:
    ctx = web_app.extensions["onewindow"]
    code = f"stale_{form}"
    folder = tmp_path / code
    folder.mkdir()
    toml = (FIXTURES / "matters" / "parallel_review" / "matter.toml").read_text(encoding="utf-8")
    (folder / "matter.toml").write_text(toml.replace("parallel_review", code), encoding="utf-8")
    (folder / f"{code}.bpmn").write_text(BPMN.format(code=code, form=form), encoding="utf-8")
    designer = Actor("designer", groups=frozenset({"designer"}))
    deploy_files(ctx, collect_matter_files(folder, FIXTURES / "forms"), designer)
    view = cases.start_case(ctx, code, Actor.system())
    return view.id, {t.element_id: f"/cases/{view.id}/tasks/{t.task_uuid}" for t in view.open_tasks}


def _seen(html: str) -> str:
    return re.search(r'name="seen_seq" value="(\d+)"', html).group(1)


def test_a_colleague_changed_a_field_of_the_open_form_meanwhile(web_app: Flask, tmp_path: Path, login: Any) -> None:
    case_id, links = _case(web_app, tmp_path, "a_review")
    clerk: User = login("demo_zj_cb")
    seen = _seen(clerk.get(links["own_review"]).get_data(as_text=True))
    colleague: User = login("demo_zj_sh")
    joint = colleague.submit(links["joint_review"], {"a_opinion": "reject", "a_comment": "会同意见：不符合"})
    assert joint.status_code == 302

    typed = {"a_opinion": "approve", "a_comment": "我的承办意见"}
    stale = clerk.submit(links["own_review"], {**typed, "seen_seq": seen})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "他人更新了本表单中的内容" in html and "我的承办意见" in html  # said, and nothing typed is lost
    change = re.search(r'<tr data-seq="\d+" class="overlaps">(.*?)</tr>', html, re.S).group(1)
    cells = re.sub(r"<[^>]+>", "|", change)
    assert "2025-09-26 10:00" in cells and "会同审核" in cells and "审查意见、意见说明" in cells, cells
    assert "【演示】" in cells and "demo_zj_sh" not in cells  # a person's name, not an account id
    assert get_case(web_app.extensions["onewindow"], case_id).status == "running"  # nothing was submitted

    # Having seen the change, the clerk submits again (the page now carries the newer seq): it goes through.
    again = clerk.submit(links["own_review"], {**typed, "seen_seq": _seen(html)})
    assert again.status_code == 302
    assert get_case(web_app.extensions["onewindow"], case_id).data["a_comment"] == "我的承办意见"


def test_a_change_to_other_fields_does_not_stop_the_submission(web_app: Flask, tmp_path: Path, login: Any) -> None:
    case_id, links = _case(web_app, tmp_path, "b_review")
    clerk: User = login("demo_zj_cb")
    seen = _seen(clerk.get(links["own_review"]).get_data(as_text=True))
    assert login("demo_zj_sh").submit(links["joint_review"], {"b_opinion": "approve"}).status_code == 302
    done = clerk.submit(links["own_review"], {"a_opinion": "approve", "seen_seq": seen})
    assert done.status_code == 302
    assert get_case(web_app.extensions["onewindow"], case_id).status == "completed"


@pytest.mark.parametrize("seen_seq", ["", "x1"])
def test_a_form_posted_without_a_readable_seq_is_submitted_as_before(web_app: Flask, tmp_path: Path, login: Any,
                                                                    seen_seq: str) -> None:
    _case_id, links = _case(web_app, tmp_path, "a_review")
    login("demo_zj_sh").submit(links["joint_review"], {"a_opinion": "approve"})
    assert login("demo_zj_cb").submit(links["own_review"], {"a_opinion": "approve",
                                                            "seen_seq": seen_seq}).status_code == 302


def test_a_task_completed_meanwhile_says_by_whom_and_what_they_wrote(login: Any) -> None:
    citizen: User = login("demo_citizen")
    started = citizen.post("/matters/food_business/apply")
    submitted = citizen.submit(started.location, APPLICATION)
    assert submitted.status_code == 302
    number = re.search(r'class="case-number">([0-9A-Z]+)<', citizen.get(submitted.location).get_data(as_text=True))
    clerk: User = login("demo_window")
    link = clerk.task_link("/window", "rc_check", number.group(1))
    seen = _seen(clerk.get(link).get_data(as_text=True))
    other: User = login("demo_fallback")
    assert other.submit(link, {"reception_decision": "accept", "reception_note": "兜底窗口已受理"}).status_code == 302

    late = clerk.submit(link, {"reception_decision": "accept", "reception_note": "我写的审查说明", "seen_seq": seen})
    html = late.get_data(as_text=True)
    assert late.status_code == 409 and "该环节已于 2025-09-26 10:00" in html
    assert "我写的审查说明" in html and seen not in re.findall(r"<dd>([^<]*)</dd>", html)  # typed, not the seq
    table = html.split('id="changes-since"')[1].split("</table>")[0]
    assert "收件审查" in table and "审查结论" in table and "审查说明" in table and "【演示】" in table


def test_the_api_refuses_a_submission_over_a_colleagues_unseen_change(web_app: Flask, tmp_path: Path) -> None:
    """The API keeps the same rule as the page: a system that read the case before a colleague changed a
    field of this form is told what changed (who, when, which fields) and nothing is submitted."""
    from tests.webapp.test_api import ApiClient

    case_id, links = _case(web_app, tmp_path, "a_review")
    own = links["own_review"].rsplit("/", 1)[1]
    joint = links["joint_review"].rsplit("/", 1)[1]
    clerk, colleague = ApiClient(web_app, "demo_zj_cb"), ApiClient(web_app, "demo_zj_sh")
    seen = clerk.get(f"/cases/{case_id}").get_json()["history_seq"]
    assert colleague.post(f"/cases/{case_id}/tasks/{joint}/complete",
                          {"data": {"a_opinion": "reject", "a_comment": "会同意见：不符合"}}).status_code == 200

    stale = clerk.post(f"/cases/{case_id}/tasks/{own}/complete",
                       {"data": {"a_opinion": "approve", "a_comment": "我的承办意见"}, "seen_seq": seen})
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["code"] == "stale_form" and "他人更新了本表单中的内容" in body["message"]
    change = next(c for c in body["changes"] if c["overlaps"])
    assert change["step"] == "会同审核" and set(change["fields"]) >= {"审查意见", "意见说明"}
    assert change["occurred_at"].endswith("+08:00") and "demo_zj_sh" not in change["by"]
    assert get_case(web_app.extensions["onewindow"], case_id).status == "running"

    fresh = clerk.get(f"/cases/{case_id}").get_json()["history_seq"]
    assert fresh > seen
    done = clerk.post(f"/cases/{case_id}/tasks/{own}/complete",
                      {"data": {"a_opinion": "approve", "a_comment": "我的承办意见"}, "seen_seq": fresh})
    assert done.status_code == 200
    assert get_case(web_app.extensions["onewindow"], case_id).data["a_comment"] == "我的承办意见"
