"""A Camunda 7 upload with JUEL conditions, generated forms, assignee and candidate users, split over
two files with a call activity, is converted (every translation listed), deployed and run to the end."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.errors import DefinitionInvalid
from engine.services import cases
from engine.services import design
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.design.juel import Untranslatable
from engine.services.design.juel import juel_to_python
from engine.settings import EngineSettings
from tests.conftest import FIXTURES
from tests.conftest import ROOT
from tests.readback import get_case

UPLOAD = FIXTURES / "camunda7_juel"
METADATA = {"code": "sign_permit", "name": "临时占道许可", "department": "城市管理局",
            "implementation_code": "11320100MB0000000X4000000000203", "case_type": "承诺件",
            "statutory_limit_wd": "20", "promised_limit_wd": "5"}
WINDOW = Actor("clerk1", "窗口", frozenset({"window_clerk"}))


def _files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(UPLOAD.iterdir())}


@pytest.mark.parametrize(("juel", "python"), [
    ("${amount > 1000}", "amount > 1000"),
    ("${decision == 'approve' && !empty applicant.name}", "decision == 'approve' and not (not applicant['name'])"),
    ('${a eq "x" || b ne 2}', 'a == "x" or b != 2'),
    ("${x.y >= 3.5 and not done}", "x['y'] >= 3.5 and not done"),
    ("${approved == true || code == null}", "approved == True or code == None"),
])
def test_the_juel_subset_becomes_python(juel: str, python: str) -> None:
    assert juel_to_python(juel) == python


@pytest.mark.parametrize(("juel", "why"), [
    ("${execution.getVariable('x')}", "execution"), ("${a ? b : c}", "?:"), ("${size(list) > 1}", "size"),
    ("${a + 1 > 2}", "+"), ("#{later}", "#{"),
])
def test_other_juel_is_refused_naming_what(juel: str, why: str) -> None:
    with pytest.raises(Untranslatable) as refused:
        juel_to_python(juel)
    assert why in refused.value.message


def test_the_preview_lists_every_translation(deployed: EngineContext, designer: Actor) -> None:
    preview = design.prepare_camunda_import(deployed, _files(), METADATA, designer)
    assert preview.problems == () and preview.process_id == "Process_sign_permit"
    made = {(t.element_id, t.what): t for t in preview.translations}
    assert made["Flow_senior", "JUEL 表达式 → Python"].after == "days > 30 and not urgent"
    assert made["Flow_approved", "JUEL 表达式 → Python"].after == \
        "decision == 'approve' and not (not applicant_name)"
    assert "占道天数（number）" in made["Task_apply", "生成式表单 → form-js 表单"].after
    assert made["Task_review", "办理人（camunda:assignee）"].after.startswith("reviewer")
    assert "window_clerk" in made["Task_review", "候选人（camunda:candidateUsers）"].after
    assert {"forms/Task_apply.form", "forms/Task_review.form", "permit_notice.bpmn"} <= set(preview.bundle)


def test_the_converted_upload_runs_to_the_end(deployed: EngineContext, designer: Actor) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in _files().items():
            zipped.writestr(f"exported/{name}", data)
    result = design.import_camunda_bundle(deployed, {"permit.zip": archive.getvalue()}, METADATA, designer)
    assert result.created
    applicant = Actor("applicant1", "张三", frozenset({"applicant"}))
    view = cases.start_case(deployed, "sign_permit", applicant)
    [apply] = view.open_tasks
    view = tasks.complete_task(deployed, view.id, apply.task_uuid,
                               {"applicant_name": "滨江燃气", "days": "45", "urgent": False, "road_level": "main"},
                               applicant)
    [review] = view.open_tasks
    assert review.element_id == "Task_review" and review.candidate_groups == ("window_clerk",)
    done = tasks.complete_task(deployed, view.id, review.task_uuid, {"decision": "approve"}, WINDOW)
    assert done.status == "completed"
    assert get_case(deployed, view.id).data["permit_no"] == "ZD-" + view.case_number[-4:]


def test_untranslatable_juel_and_no_main_process_are_refused_by_name(deployed: EngineContext,
                                                                     designer: Actor) -> None:
    files = _files()
    files["permit_main.bpmn"] = files["permit_main.bpmn"].replace(
        b"${days &gt; 30 &amp;&amp; !urgent}", b"${execution.getVariable('days') &gt; 30}")
    with pytest.raises(DefinitionInvalid) as refused:
        design.import_camunda_bundle(deployed, files, METADATA, designer)
    [flow] = [p for p in refused.value.problems if p.element_id == "Flow_senior"]
    assert "execution" in flow.problem and "无法自动转换" in flow.problem
    only_notice = {"permit_notice.bpmn": _files()["permit_notice.bpmn"],
                   "other.bpmn": _files()["permit_notice.bpmn"].replace(b"Process_permit_notice", b"Process_other")}
    with pytest.raises(DefinitionInvalid) as two_mains:
        design.import_camunda_bundle(deployed, only_notice, METADATA, designer)
    assert any("只有一个不被其他流程调用的可执行流程" in p.problem for p in two_mains.value.problems)


def test_a_generated_form_that_cannot_be_converted_is_reported_once(deployed: EngineContext,
                                                                    designer: Actor) -> None:
    files = _files()
    files["permit_main.bpmn"] = files["permit_main.bpmn"].replace(
        b'<camunda:constraint name="maxlength" config="50" />',
        b'<camunda:constraint name="validator" config="com.example.NameCheck" />')
    preview = design.prepare_camunda_import(deployed, files, METADATA, designer)
    [problem] = [p for p in preview.problems if p.element_id == "Task_apply"]  # not again as "no form"
    assert problem.file == "permit_main.bpmn"
    assert "applicant_name" in problem.problem and "validator" in problem.problem
    assert [p.element_id for p in preview.problems] == ["Task_apply"]


def test_an_upload_calling_a_shared_sub_process_brings_no_problems_of_its_own(
        settings: EngineSettings, clock: FixedClock, designer: Actor) -> None:
    """Calling ``reception`` from processes/_common: the shared part and its forms come with it."""
    shipped = EngineContext.create(dataclasses.replace(settings, processes_dir=ROOT / "processes",
                                                       forms_dir=ROOT / "forms"), clock)
    try:
        main = _files()["permit_main.bpmn"].replace(b'calledElement="Process_permit_notice"',
                                                    b'calledElement="reception"')
        preview = design.prepare_camunda_import(shipped, {"permit_main.bpmn": main}, METADATA, designer)
        assert preview.problems == ()
        assert "_common/reception.bpmn" in preview.bundle
    finally:
        shipped.dispose()
