"""The general pattern (一般行政许可, processes/general_permit) runs the sample hall's catalogue entries.

Every entry without a diagram of its own is started by its own code, at the window or online, and
runs through reception, 承办 → (现场核查) → 审核 → 批准 by its own organ's posts to a certificate named
after its 结果名称 and signed by its 实施主体, with its own limits in the deadline record. The clock
stands on Friday 2025-09-26 10:00 China time (before the National Day holiday).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from engine.actors import Actor
from engine.catalogue.entry import PATTERN_PROCESS
from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.provisions import provisions_of
from engine.clock import FixedClock
from engine.errors import DefinitionInvalid
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.persistence.base import Base
from engine.persistence.repositories import organisation as org
from engine.services import cases
from engine.services import casework
from engine.services import design
from engine.services import tasks
from engine.services.catalogue.editing import entry_form_values
from engine.services.catalogue.editing import list_entries
from engine.services.catalogue.editing import save_entry
from engine.services.catalogue.forms import entry_fields_key
from engine.services.catalogue.seed import seed_catalogue
from engine.services.context import EngineContext
from engine.services.deadline_requests import decide_extension
from engine.services.deadline_requests import request_extension
from engine.services.deadline_requests import start_special_procedure
from engine.services.deadlines import case_deadlines
from engine.services.deploy import deploy_path
from engine.services.design.create import create_matter
from engine.services.views import CaseView
from engine.settings import EngineSettings
from tests.conftest import ROOT
from tests.readback import get_case

ADMIN = Actor("admin1", "管理员", frozenset({"admin"}))
APPLICANT = Actor("app1", "申请人", frozenset({"applicant"}))
CLERK = Actor("clerk1", "窗口", frozenset({"window_clerk"}))
APPLICATION = {"applicant_name": "临江县春风商贸有限公司", "applicant_id_number": "91320100MA1M11110A",
               "legal_representative": "王春风", "applicant_address": "临江县临江大道 1 号",
               "contact_mobile": "13800138000", "application_content": "申请事项具体内容：经营场所临江大道 1 号",
               "delivery_method": "window"}


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineContext]:
    """Every shipped matter deployed and the sample hall loaded, as ``onewindow init`` does."""
    tmp: Path = tmp_path_factory.mktemp("pattern")
    settings = EngineSettings(database_url=f"sqlite:///{tmp / 'hall.sqlite3'}", processes_dir=ROOT / "processes",
                              forms_dir=ROOT / "forms", uploads_dir=tmp / "uploads")
    ctx = EngineContext.create(settings, FixedClock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC)))
    Base.metadata.create_all(ctx.db.engine)
    deploy_path(ctx, settings.processes_dir, Actor("designer", groups=frozenset({"designer"})))
    seed_catalogue(ctx, ADMIN)
    yield ctx
    ctx.dispose()


def pattern_entries(ctx: EngineContext) -> list[CatalogueEntry]:
    return [v.entry for v in list_entries(ctx, active_only=True) if v.entry.process == PATTERN_PROCESS]


def open_tasks(ctx: EngineContext, case_id: int) -> list[str]:
    return [t.element_id for t in get_case(ctx, case_id, with_data=False).open_tasks]


def do(ctx: EngineContext, case_id: int, element_id: str, values: dict[str, Any], user: str = "") -> CaseView:
    """Complete the open task as a holder of the first group it is offered to (or the applicant)."""
    task = next(t for t in get_case(ctx, case_id, with_data=False).open_tasks if t.element_id == element_id)
    group = task.candidate_groups[0]
    actor = APPLICANT if group == "applicant" else Actor(user or f"u_{group}", "办理人", frozenset({group}))
    return tasks.complete_task(ctx, case_id, task.task_uuid, values, actor)


def run_to_certificate(ctx: EngineContext, entry: CatalogueEntry, starter: Actor = APPLICANT) -> CaseView:
    """Apply, accept at the window, and walk the entry's chain to a granted, picked-up, rated case."""
    view = cases.start_case(ctx, entry.code, starter, owner_id=APPLICANT.user_id)
    assert open_tasks(ctx, view.id) == ["apply"]
    do(ctx, view.id, "apply", APPLICATION)
    do(ctx, view.id, "rc_check", {"reception_decision": "accept"})
    if entry.case_type == "即办件":
        do(ctx, view.id, "instant", {"decision": "grant", "decision_reason": "符合条件，当场准予"})
    else:
        do(ctx, view.id, "chengban", {"review_result": "pass", "chengban_opinion": "材料齐全，符合条件"})
        if entry.site_check:
            assert sorted(open_tasks(ctx, view.id)) == ["site_1", "site_2"]
            for n in (1, 2):
                do(ctx, view.id, f"site_{n}", {f"site{n}_officer": f"核查员{n}", f"site{n}_badge_no": f"ZF00{n}",
                                               f"site{n}_result": "conforming", f"site{n}_note": "与申请材料一致"},
                   user=f"inspector{n}")
        do(ctx, view.id, "shenhe", {"shenhe_result": "agree", "shenhe_opinion": "同意"})
        do(ctx, view.id, "pizhun", {"decision": "grant", "decision_reason": "符合法定条件，准予许可"})
    assert open_tasks(ctx, view.id) == ["dl_pickup"]
    do(ctx, view.id, "dl_pickup", {"picked_up_by": "王春风", "pickup_id_number": "11010519491231002X"})
    return do(ctx, view.id, "dl_rating", {"rating": "satisfied"})


def one_per_department(entries: list[CatalogueEntry]) -> list[CatalogueEntry]:
    chosen: dict[str, CatalogueEntry] = {}
    for entry in entries:
        chosen.setdefault(entry.department_code, entry)
    return list(chosen.values())


def test_one_entry_of_every_department_runs_to_a_certificate_by_its_own_organ(hall: EngineContext) -> None:
    entries = pattern_entries(hall)
    assert len(entries) >= 145  # all but the five drawn matters
    sample = one_per_department(entries)
    assert len(sample) >= 15 and {e.case_type for e in sample} == {"即办件", "承诺件"}
    assert any(e.site_check for e in sample)
    with hall.uow() as uow:
        organs = {o.code: o.name for o in org.organs(uow)}
    for entry in sample:
        view = run_to_certificate(hall, entry)
        assert view.status == "completed", entry.code
        case = get_case(hall, view.id)
        assert case.matter_code == PATTERN_PROCESS and case.title == entry.name
        assert case.case_number.startswith(entry.implementation_code)
        assert case.data["case_result"] == "granted"
        record = case_deadlines(hall, view.id)
        assert record is not None
        assert (record.statutory_limit_wd, record.promised_limit_wd) == (entry.statutory_limit_wd,
                                                                         entry.promised_limit_wd), entry.code
        documents = {d.doc_key: d for d in cases.case_documents(hall, view.id)}
        assert list(documents) == ["receipt", "acceptance_notice", "general_certificate"], entry.code
        certificate = documents["general_certificate"]
        assert certificate.title == entry.result_name
        assert f"<h1>{entry.result_name}</h1>" in certificate.html
        assert f"<div class=\"signer\">{organs[entry.organ_code]}</div>" in certificate.html  # signed by the 实施主体
        assert entry.name in certificate.html and APPLICATION["applicant_name"] in certificate.html


def test_the_posts_of_the_entry_and_no_one_else_work_its_tasks(hall: EngineContext) -> None:
    entry = next(e for e in pattern_entries(hall) if e.case_type == "承诺件" and e.site_check)
    view = cases.start_case(hall, entry.code, CLERK, owner_id=APPLICANT.user_id)
    do(hall, view.id, "apply", APPLICATION)
    do(hall, view.id, "rc_check", {"reception_decision": "accept"})
    task = get_case(hall, view.id, with_data=False).open_tasks[0]
    assert (task.element_id, task.candidate_groups) == ("chengban", (entry.chengban_post,))
    other = next(e for e in pattern_entries(hall) if e.organ_code != entry.organ_code)
    with pytest.raises(NotAllowed):
        tasks.complete_task(hall, view.id, task.task_uuid, {"review_result": "pass", "chengban_opinion": "越权"},
                            Actor("intruder", "他局承办", frozenset({other.chengban_post})))
    do(hall, view.id, "chengban", {"review_result": "pass", "chengban_opinion": "符合"})
    site = get_case(hall, view.id, with_data=False).open_tasks
    assert {t.candidate_groups for t in site} == {(entry.inspection_post,)}
    data = get_case(hall, view.id).data
    assert [m["name"] for m in data["reception_checklist"]] == [m.name for m in entry.materials]
    assert data["reception_materials"].splitlines()[0].startswith(entry.materials[0].name)


def test_the_two_site_inspections_need_two_different_officers(hall: EngineContext) -> None:
    """行政许可法第三十四条: two officers verify on site; one person filling both records is refused."""
    entry = next(e for e in pattern_entries(hall) if e.case_type == "承诺件" and e.site_check)
    view = cases.start_case(hall, entry.code, APPLICANT)
    do(hall, view.id, "apply", APPLICATION)
    do(hall, view.id, "rc_check", {"reception_decision": "accept"})
    do(hall, view.id, "chengban", {"review_result": "pass", "chengban_opinion": "材料齐全，符合条件"})
    record = {"site1_officer": "核查员一", "site1_badge_no": "ZF001", "site1_result": "conforming",
              "site1_note": "与申请材料一致"}
    do(hall, view.id, "site_1", record, user="inspector1")
    second = {"site2_officer": "核查员一", "site2_badge_no": "ZF001", "site2_result": "conforming",
              "site2_note": "与申请材料一致"}
    with pytest.raises(NotAllowed):
        do(hall, view.id, "site_2", second, user="inspector1")
    assert open_tasks(hall, view.id) == ["site_2"]  # refused: nothing changed
    do(hall, view.id, "site_2", {**second, "site2_officer": "核查员二", "site2_badge_no": "ZF002"}, user="inspector2")
    assert open_tasks(hall, view.id) == ["shenhe"]


def test_a_denial_names_the_reason_and_is_signed_by_the_organ(hall: EngineContext) -> None:
    entry = next(e for e in pattern_entries(hall) if e.case_type == "承诺件" and not e.site_check)
    view = cases.start_case(hall, entry.code, APPLICANT)
    do(hall, view.id, "apply", APPLICATION)
    do(hall, view.id, "rc_check", {"reception_decision": "accept"})
    do(hall, view.id, "chengban", {"review_result": "pass", "chengban_opinion": "经营场所不符合要求"})
    do(hall, view.id, "shenhe", {"shenhe_result": "agree", "shenhe_opinion": "同意"})
    # The 批准 post is offered the entry's own 法定依据, split into provisions, to cite.
    task = next(t for t in get_case(hall, view.id, with_data=False).open_tasks if t.element_id == "pizhun")
    approver = Actor("u_p", "批准", frozenset({entry.pizhun_post}))
    _name, form = casework.task_form(hall, view.id, task.task_uuid, approver)
    offered = [value for value, _label in next(f for f in form.fields if f.key == "decision_provision").options]
    assert offered == list(provisions_of(entry.legal_basis)) and offered
    reason = "经营场所面积 12 平方米，低于本事项规定的 20 平方米。"
    elsewhere = "《某某条例》第一条"  # not in the entry's legal basis
    for refused, field in (({"decision_reason": reason}, "decision_provision"),  # no provision cited
                           ({"decision_reason": reason, "decision_provision": elsewhere}, "decision_provision"),
                           ({"decision_reason": "不符合", "decision_provision": offered[0]}, "decision_reason")):
        with pytest.raises(FormDataInvalid) as raised:
            do(hall, view.id, "pizhun", {"decision": "deny", **refused})
        assert field in raised.value.errors
    assert open_tasks(hall, view.id) == ["pizhun"]
    view = do(hall, view.id, "pizhun", {"decision": "deny", "decision_reason": reason,
                                        "decision_provision": offered[-1]})
    assert view.status == "completed"
    documents = {d.doc_key: d for d in cases.case_documents(hall, view.id)}
    assert "general_certificate" not in documents
    denial = documents["denial_decision"].html
    assert reason in denial and entry.name in denial and f"依据：{offered[-1]}" in denial
    with hall.uow() as uow:
        organ = org.organ_by_code(uow, entry.organ_code)
    assert organ is not None and f"<div class=\"signer\">{organ.name}</div>" in denial


def test_an_audit_returns_the_case_to_the_chengban_post(hall: EngineContext) -> None:
    entry = next(e for e in pattern_entries(hall) if e.case_type == "承诺件" and not e.site_check)
    view = cases.start_case(hall, entry.code, APPLICANT)
    do(hall, view.id, "apply", APPLICATION)
    do(hall, view.id, "rc_check", {"reception_decision": "accept"})
    do(hall, view.id, "chengban", {"review_result": "pass", "chengban_opinion": "初审"})
    do(hall, view.id, "shenhe", {"shenhe_result": "return", "shenhe_opinion": "请核实经营场所"})
    assert open_tasks(hall, view.id) == ["chengban"]


def test_the_pattern_is_not_started_without_an_entry(hall: EngineContext) -> None:
    with pytest.raises(NotAllowed):
        cases.start_case(hall, PATTERN_PROCESS, APPLICANT)


def test_the_application_form_is_the_applicant_block_plus_one_upload_per_material(hall: EngineContext) -> None:
    entry = next(e for e in pattern_entries(hall) if len(e.materials) >= 3)
    view = cases.start_case(hall, entry.code, APPLICANT)
    task = get_case(hall, view.id, with_data=False).open_tasks[0]
    page = casework.task_page(hall, view.id, task.task_uuid, APPLICANT)
    keys = [f.key for f in page.form.fields]
    uploads = [f for f in page.form.fields if f.key.startswith("material_")]
    assert [f.label for f in uploads] == [m.name for m in entry.materials]
    assert {f.type for f in uploads} == {"filepicker"}
    assert keys[:6] == ["applicant_name", "applicant_id_number", "legal_representative", "applicant_address",
                        "contact_mobile", "application_content"]
    assert keys.index("material_01") < keys.index("delivery_method")  # materials before how to receive the result
    assert "application_files" not in keys  # the per-material uploads replace the generic one
    other = next(e for e in pattern_entries(hall) if e.materials[0].name != entry.materials[0].name)
    view = cases.start_case(hall, other.code, APPLICANT)
    task = get_case(hall, view.id, with_data=False).open_tasks[0]
    assert casework.task_page(hall, view.id, task.task_uuid, APPLICANT).form.field("material_01").label == \
        other.materials[0].name


def test_a_designer_adds_fields_of_its_own_to_one_entry_in_the_form_editor(hall: EngineContext) -> None:
    entry, neighbour = [e for e in pattern_entries(hall) if e.case_type == "承诺件"][:2]
    designer = Actor("designer1", "设计员", frozenset({"designer"}))
    schema = json.dumps({"type": "default", "id": "Form_extra", "schemaVersion": 16, "components": [
        {"type": "number", "id": "extra_area", "key": "premises_area_m2", "label": "经营场所面积（平方米）",
         "validate": {"required": True, "min": 1, "max": 100000}},
        {"type": "textfield", "id": "extra_name", "key": "applicant_name", "label": "重复的申请人（忽略）"}]},
        ensure_ascii=False)
    checked = design.save_form(hall, PATTERN_PROCESS, entry_fields_key(entry.code), schema, designer)
    assert checked.form is not None
    design.deploy_draft(hall, PATTERN_PROCESS, designer)
    view = cases.start_case(hall, entry.code, APPLICANT)
    task = get_case(hall, view.id, with_data=False).open_tasks[0]
    form = casework.task_page(hall, view.id, task.task_uuid, APPLICANT).form
    assert form.field("premises_area_m2").required
    assert form.field("applicant_name").label == "申请人（单位名称或姓名）"  # the applicant block wins
    with pytest.raises(FormDataInvalid) as refused:
        tasks.complete_task(hall, view.id, task.task_uuid, APPLICATION, APPLICANT)
    assert "premises_area_m2" in refused.value.errors
    tasks.complete_task(hall, view.id, task.task_uuid, {**APPLICATION, "premises_area_m2": "80"}, APPLICANT)
    assert get_case(hall, view.id).data["premises_area_m2"] == 80
    view = cases.start_case(hall, neighbour.code, APPLICANT)  # another entry: no such field
    task = get_case(hall, view.id, with_data=False).open_tasks[0]
    neighbour_form = casework.task_page(hall, view.id, task.task_uuid, APPLICANT).form
    assert "premises_area_m2" not in {f.key for f in neighbour_form.fields}


DESIGNER = Actor("designer1", "设计员", frozenset({"designer"}))


def test_a_matter_made_from_the_pattern_runs_an_entry_switched_to_it(hall: EngineContext) -> None:
    entry = [e for e in pattern_entries(hall) if e.case_type == "承诺件"][-1]  # not the one given own fields
    draft = create_matter(hall, DESIGNER, "own_flow", f"{entry.name}（专用流程）", PATTERN_PROCESS)
    assert draft.main_bpmn == "own_flow.bpmn" and 'id="own_flow"' in draft.files["own_flow.bpmn"]
    assert 'code = "own_flow"' in draft.files["matter.toml"] and "entry_data = true" in draft.files["matter.toml"]
    assert design.validate_draft(hall, "own_flow", DESIGNER) == []
    design.deploy_draft(hall, "own_flow", DESIGNER)
    cells = entry_form_values(hall, entry.code)
    save_entry(hall, ADMIN, {**cells, "process": "own_flow"}, editing=entry.code)
    switched = next(v.entry for v in list_entries(hall) if v.entry.code == entry.code)
    view = run_to_certificate(hall, switched)
    case = get_case(hall, view.id)
    assert case.matter_code == "own_flow" and case.status == "completed"
    certificate = next(d for d in cases.case_documents(hall, view.id) if d.doc_key == "general_certificate")
    with hall.uow() as uow:
        organ = org.organ_by_code(uow, entry.organ_code)
    assert organ is not None and certificate.title == entry.result_name and organ.name in certificate.html


def test_a_matter_is_copied_into_an_editable_draft_and_codes_are_checked(hall: EngineContext) -> None:
    draft = create_matter(hall, DESIGNER, "food_copy", "食品经营许可（副本）", "food_business")
    toml = draft.files["matter.toml"]
    assert 'code = "food_copy"' in toml and 'name = "食品经营许可（副本）"' in toml
    assert 'process_id = "food_copy"' in toml and "[catalogue]" not in toml and "[decision]" in toml
    assert "food_business.bpmn" not in draft.files and 'processRef="food_copy"' in draft.files["food_copy.bpmn"]
    assert design.validate_draft(hall, "food_copy", DESIGNER) == []
    for code, message in (("food_copy", "已被使用"), ("food_business", "已被使用"), ("Bad-Code", "事项代码只能")):
        with pytest.raises(DefinitionInvalid) as refused:
            create_matter(hall, DESIGNER, code, "名称", "food_business")
        assert message in refused.value.problems[0].problem
    with pytest.raises(NotAllowed):
        create_matter(hall, APPLICANT, "food_copy2", "名称", "food_business")


def test_extensions_and_special_procedures_follow_the_entrys_posts_and_list(hall: EngineContext) -> None:
    customised = [e for e in pattern_entries(hall) if e.case_type == "承诺件"][0]  # has fields of its own
    entry = next(e for e in pattern_entries(hall) if e.case_type == "承诺件" and e.extension_limit_wd
                 and e.special_procedures and not e.site_check and e != customised)
    view = cases.start_case(hall, entry.code, APPLICANT)
    do(hall, view.id, "apply", APPLICATION)
    do(hall, view.id, "rc_check", {"reception_decision": "accept"})
    staff = Actor("u_chengban", "承办", frozenset({entry.chengban_post}))
    request = request_extension(hall, view.id, staff, days=entry.extension_limit_wd, reason="需补充调查核实")
    with pytest.raises(NotAllowed):  # the 批准 post decides the permit, not the extension (art. 42)
        decide_extension(hall, request.id, Actor("u_pizhun", "批准", frozenset({entry.pizhun_post})), approve=True)
    decided = decide_extension(hall, request.id, Actor("u_fzr", "负责人", frozenset({entry.fzr_post})), approve=True)
    assert decided.status == "approved"
    record = case_deadlines(hall, view.id)
    assert record is not None and record.extension_wd == entry.extension_limit_wd
    started = start_special_procedure(hall, view.id, staff, kind=entry.special_procedures[0],
                                      reason="样品送检，需等待检验结果", expected_days=5)
    assert started.open_pause is not None and started.open_pause.kind == "special_procedure"
    with pytest.raises(FormDataInvalid) as refused:  # only the procedures the entry lists
        start_special_procedure(hall, view.id, staff, kind="拍卖" if "拍卖" not in entry.special_procedures
                                else "招标", reason="本事项不适用该特别程序", expected_days=5)
    assert refused.value.errors["kind"].startswith("本事项适用的特别程序：" + entry.special_procedures[0])
