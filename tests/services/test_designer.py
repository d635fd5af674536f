"""The process designer's services: drafts, checks, deploys, version diffs, case migration, Camunda import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.definitions.bundles import collect_matter_files
from engine.errors import DefinitionInvalid
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.forms import validate_submission
from engine.services import cases
from engine.services import design
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deploy import list_matters
from engine.services.timers import fire_due_timers
from engine.settings import PROJECT_ROOT
from engine.settings import EngineSettings
from tests.conftest import FIXTURES
from tests.conftest import dept_actor
from tests.readback import get_case
from tests.services.conftest import VALID_APPLICATION

BUNDLE = FIXTURES / "camunda_bundle"
BUNDLE_METADATA = {"code": "outdoor_ad", "name": "户外广告设施设置审批", "department": "城市管理局",
                   "implementation_code": "11320700014252401B3000180009001", "case_type": "承诺件",
                   "statutory_limit_wd": "20", "promised_limit_wd": "10", "extension_limit_wd": "5"}
WINDOW = Actor("clerk1", "窗口", frozenset({"window_clerk"}))


def _task(view, element_id: str):  # type: ignore[no-untyped-def]
    return next(t for t in view.open_tasks if t.element_id == element_id)


def _bundle_files() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(BUNDLE.iterdir())}


def _deploy_edit(ctx: EngineContext, designer_actor: Actor, code: str, edit, limits=None):  # type: ignore[no-untyped-def]
    draft = design.open_draft(ctx, code, designer_actor)
    design.save_draft(ctx, code, {draft.main_bpmn: edit(draft.bpmn_xml)}, designer_actor, limits=limits)
    return design.deploy_draft(ctx, code, designer_actor)


def _without_b_sh(xml: str) -> str:
    """parallel_review with 城管审核 (b_sh) removed: 城管承办 goes straight to 城管批准."""
    return (xml.replace('<bpmn:userTask id="b_sh" name="城管审核" camunda:formKey="b_review" '
                        'camunda:candidateGroups="b_sh" />', "")
            .replace('<bpmn:sequenceFlow id="f_b_cb_b_sh" sourceRef="b_cb" targetRef="b_sh" />',
                     '<bpmn:sequenceFlow id="f_b_cb_b_pz" sourceRef="b_cb" targetRef="b_pz" />')
            .replace('<bpmn:sequenceFlow id="f_b_sh_b_pz" sourceRef="b_sh" targetRef="b_pz" />', ""))


def _submitted(ctx: EngineContext, applicant: Actor):  # type: ignore[no-untyped-def]
    view = cases.start_case(ctx, "parallel_review", applicant)
    return tasks.complete_task(ctx, view.id, _task(view, "submit").task_uuid, VALID_APPLICATION, applicant)


def _work(ctx: EngineContext, view, element_id: str, values: dict):  # type: ignore[no-untyped-def]
    return tasks.complete_task(ctx, view.id, _task(view, element_id).task_uuid, values, dept_actor(element_id))


# -- drafts --------------------------------------------------------------------------------------


def test_draft_round_trip(deployed: EngineContext, designer: Actor) -> None:
    fresh = _open(deployed, designer)
    assert not fresh.saved and fresh.base_version == 1 and fresh.main_bpmn == "parallel_review.bpmn"
    assert fresh.limits == {"statutory_limit_wd": 20, "promised_limit_wd": 5}
    assert "a_review" in fresh.form_keys and 'id="a_cb"' in fresh.bpmn_xml

    edited = fresh.bpmn_xml.replace('name="住建承办"', 'name="住建初审"')
    form = json.dumps({"type": "default", "components": [{"type": "textfield", "key": "x", "label": "X"}]})
    saved = design.save_draft(deployed, "parallel_review", {"parallel_review.bpmn": edited, "forms/extra.form": form},
                                designer, limits={"promised_limit_wd": "3", "extension_limit_wd": 4})
    assert saved.saved and saved.updated_by == designer.user_id

    again = _open(deployed, designer)
    assert again.saved and again.base_version == 1 and not again.outdated
    assert 'name="住建初审"' in again.bpmn_xml
    assert again.form_text("extra") == form
    assert again.limits == {"statutory_limit_wd": 20, "promised_limit_wd": 3, "extension_limit_wd": 4}
    assert 'legal_basis = ["《中华人民共和国行政许可法》第四十二条"]' in again.matter_toml  # other lines kept
    assert again.files["forms/a_review.form"] == fresh.files["forms/a_review.form"]

    with pytest.raises(DefinitionInvalid) as refused:
        design.save_draft(deployed, "parallel_review", {"_common/reception.bpmn": "<x/>"}, designer)
    assert refused.value.problems[0].file == "_common/reception.bpmn"
    with pytest.raises(DefinitionInvalid) as bad_limit:
        design.save_draft(deployed, "parallel_review", {}, designer, limits={"statutory_limit_wd": "二十"})
    assert "非负整数" in bad_limit.value.problems[0].problem
    with pytest.raises(NotAllowed):
        design.save_draft(deployed, "parallel_review", {}, Actor("applicant1", groups=frozenset({"applicant"})))

    design.discard_draft(deployed, "parallel_review", designer)
    assert not _open(deployed, designer).saved


def _open(ctx: EngineContext, designer_actor: Actor, code: str = "parallel_review") -> design.DraftView:
    return design.open_draft(ctx, code, designer_actor)


def test_validate_names_the_user_task_without_a_role(deployed: EngineContext, designer: Actor) -> None:
    draft = _open(deployed, designer)
    assert design.validate_draft(deployed, "parallel_review", designer) == []
    no_role = draft.bpmn_xml.replace('camunda:formKey="b_review" camunda:candidateGroups="b_sh"',
                                     'camunda:formKey="b_review"')
    problems = design.validate_draft(deployed, "parallel_review", designer, {draft.main_bpmn: no_role})
    assert [(p.file, p.element_id) for p in problems] == [("parallel_review.bpmn", "b_sh")]
    assert "没有办理角色" in problems[0].problem and "城管审核" in problems[0].problem
    # Hostile or broken XML comes back as a problem, never as an exception.
    hostile = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    problems = design.validate_draft(deployed, "parallel_review", designer, {draft.main_bpmn: hostile})
    assert problems and "DOCTYPE" in problems[0].problem
    problems = design.validate_draft(deployed, "parallel_review", designer, {draft.main_bpmn: "<bpmn:definitions"})
    assert problems and "XML 格式错误" in problems[0].problem
    # A Java class set through the properties panel is refused with the element named.
    java = draft.bpmn_xml.replace('<bpmn:scriptTask id="summarize" name="汇总结论">',
                                  '<bpmn:scriptTask id="summarize" name="汇总结论" camunda:class="com.example.Sum">')
    problems = design.validate_draft(deployed, "parallel_review", designer, {draft.main_bpmn: java})
    assert [p.element_id for p in problems] == ["summarize"] and "camunda:class" in problems[0].problem
    renamed = draft.matter_toml.replace('code = "parallel_review"', 'code = "other_matter"')
    problems = design.validate_draft(deployed, "parallel_review", designer, {"matter.toml": renamed})
    assert ("matter.toml", "code") in {(p.file, p.element_id) for p in problems}
    with pytest.raises(DefinitionInvalid):
        design.save_draft(deployed, "parallel_review", {draft.main_bpmn: no_role}, designer)
        design.deploy_draft(deployed, "parallel_review", designer)
    assert design.matter_versions(deployed, "parallel_review").latest.version == 1


def test_deploying_a_draft_makes_v2_and_running_cases_keep_v1(deployed: EngineContext, designer: Actor,
                                                              applicant: Actor) -> None:
    old_case = _submitted(deployed, applicant)
    draft = _open(deployed, designer)
    design.save_draft(deployed, "parallel_review", {
        draft.main_bpmn: draft.bpmn_xml.replace('name="住建承办"', 'name="住建初审"'),
        "matter.toml": draft.matter_toml.replace("两部门并联审查（测试）", "两部门并联审查（第二版）"),
    }, designer, limits={"promised_limit_wd": 3})
    result = design.deploy_draft(deployed, "parallel_review", designer)
    assert (result.version, result.created) == (2, True)
    assert not _open(deployed, designer).saved  # the draft is gone; the next one starts from v2

    matter = next(m for m in list_matters(deployed) if m.code == "parallel_review")
    assert (matter.version, matter.name, matter.promised_limit_wd) == (2, "两部门并联审查（第二版）", 3)
    versions = design.matter_versions(deployed, "parallel_review").versions
    assert [(v.version, v.running_cases) for v in versions] == [(1, 1), (2, 0)]

    old_case = get_case(deployed, old_case.id)
    assert old_case.definition_id == versions[0].definition_id
    assert _task(old_case, "a_cb").name == "住建承办"
    new_case = _submitted(deployed, applicant)
    assert new_case.definition_id == result.definition_id
    assert _task(new_case, "a_cb").name == "住建初审"
    # The old case still finishes on v1.
    for element in ("a_cb", "a_sh", "a_pz", "b_cb", "b_sh", "b_pz"):
        old_case = _work(deployed, old_case, element, {f"{element[0]}_opinion": "approve"})
    assert old_case.status == "completed" and old_case.definition_id == versions[0].definition_id


# -- diffs ---------------------------------------------------------------------------------------


def test_diff_lists_added_removed_and_changed_elements(deployed: EngineContext, designer: Actor) -> None:
    def edit(xml: str) -> str:
        # removed: the supplement notice script task and its flow f5; f_supp now goes straight to the task
        xml = xml.replace(xml[xml.index('<bpmn:scriptTask id="supplement_notice"'):
                              xml.index('<bpmn:userTask id="supplement"')], "")
        return (xml
                .replace('<bpmn:sequenceFlow id="f_supp" sourceRef="gw" targetRef="supplement_notice">',
                         '<bpmn:sequenceFlow id="f_supp" sourceRef="gw" targetRef="supplement">')
                # added: a second review between review and the gateway
                .replace('<bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="gw" />',
                         '<bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="recheck" />'
                         '<bpmn:userTask id="recheck" name="复核" camunda:formKey="loop_review" '
                         'camunda:candidateGroups="a_sh" />'
                         '<bpmn:sequenceFlow id="f4b" sourceRef="recheck" targetRef="gw" />')
                # changed: name and role, a condition, a script, an element property
                .replace('<bpmn:userTask id="review" name="审查" camunda:formKey="a_review" '
                         'camunda:candidateGroups="a_cb" />',
                         '<bpmn:userTask id="review" name="实质审查" camunda:formKey="a_review" '
                         'camunda:candidateGroups="a_sh" />')
                .replace("a_opinion == 'approve'", "a_opinion in ('approve',)")
                .replace("missing_items = []", "missing_items = ['身份证明']")
                .replace('<camunda:property name="blzt" value="13" />', '<camunda:property name="blzt" value="5" />'))

    draft = _open(deployed, designer, "doc_review")
    design.save_draft(deployed, "doc_review", {
        draft.main_bpmn: edit(draft.bpmn_xml),
        "matter.toml": draft.matter_toml.replace("文书与状态（测试）", "文书与状态（新）")}, designer,
        limits={"promised_limit_wd": 4})
    assert design.validate_draft(deployed, "doc_review", designer) == []
    assert design.deploy_draft(deployed, "doc_review", designer).version == 2

    diff = design.diff_versions(deployed, "doc_review", 1, 2)
    assert {c.element_id for c in diff.added} == {"recheck", "f4b"}
    assert {c.element_id for c in diff.removed} == {"supplement_notice", "f5"}
    changed = {c.element_id: c.details for c in diff.changed}
    assert set(changed) == {"review", "f_grant", "accept", "deny", "f4", "f_supp"}
    assert "名称：“审查” → “实质审查”" in changed["review"]
    assert "办理角色：“a_cb” → “a_sh”" in changed["review"]
    assert any(d.startswith("条件表达式") and "in ('approve',)" in d for d in changed["f_grant"])
    assert any(d.startswith("脚本") for d in changed["accept"])
    assert "元素属性 blzt：“13” → “5”" in changed["deny"]
    assert "终点：“recheck” → “gw”" not in changed["f4"] and "终点：“gw” → “recheck”" in changed["f4"]
    assert next(c for c in diff.added if c.element_id == "recheck").kind == "人工任务"
    assert {(k.key, k.before, k.after) for k in diff.metadata_changes} == {
        ("name", '"文书与状态（测试）"', '"文书与状态（新）"'), ("promised_limit_wd", "5", "4")}
    assert diff.forms_added == ("loop_review",)  # the new task's form came along from forms/
    assert diff.forms_removed == () and diff.forms_changed == ()
    assert design.diff_versions(deployed, "doc_review", 2, 2).empty
    with pytest.raises(design.VersionNotFound):
        design.diff_versions(deployed, "doc_review", 1, 9)


# -- migration -----------------------------------------------------------------------------------


def test_migration_moves_only_cases_whose_work_is_unchanged(deployed: EngineContext, designer: Actor,
                                                            applicant: Actor) -> None:
    movable = _submitted(deployed, applicant)  # waiting on a_cb and b_cb, both unchanged (b_cb only re-wired)
    stuck = _work(deployed, _submitted(deployed, applicant), "b_cb", {"b_opinion": "approve"})  # waiting on b_sh
    v1 = movable.definition_id
    assert _deploy_edit(deployed, designer, "parallel_review", _without_b_sh).version == 2

    plans = {p.case_id: p for p in design.plan_migration(deployed, "parallel_review", 2, designer)}
    assert set(plans) == {movable.id, stuck.id}
    assert plans[movable.id].can_migrate and plans[movable.id].from_version == 1
    assert set(plans[movable.id].waiting_on) == {"住建承办", "城管承办"}
    assert not plans[stuck.id].can_migrate
    reasons = " ".join(plans[stuck.id].reasons)
    assert "待办环节“城管审核”（b_sh）在新版本中已删除" in reasons
    assert "已完成环节“城管承办”（b_cb）在新版本中有改动" in reasons
    # A dry run changes nothing.
    assert get_case(deployed, movable.id).definition_id == v1

    results = {p.case_id: p for p in design.migrate_cases(deployed, "parallel_review", 2, designer)}
    assert results[movable.id].migrated and not results[stuck.id].migrated
    moved = get_case(deployed, movable.id)
    assert moved.definition_id != v1 and get_case(deployed, stuck.id).definition_id == v1
    assert {t.task_uuid for t in moved.open_tasks} == {t.task_uuid for t in movable.open_tasks}
    history = cases.case_history(deployed, movable.id)
    migrated = [h for h in history if h.event_type == "case_migrated"]
    assert len(migrated) == 1 and migrated[0].data_after == {"from_version": 1, "to_version": 2}
    assert migrated[0].actor_id == designer.user_id
    assert not [h for h in cases.case_history(deployed, stuck.id) if h.event_type == "case_migrated"]

    # The moved case finishes on v2: no 城管审核 any more.
    for element in ("a_cb", "a_sh", "a_pz", "b_cb", "b_pz"):
        moved = _work(deployed, moved, element, {f"{element[0]}_opinion": "approve"})
    assert moved.status == "completed" and moved.data["both_approved"] is True
    assert "b_sh" not in {h.element_id for h in cases.case_history(deployed, movable.id)}
    # The stuck case still finishes on v1.
    for element in ("b_sh", "b_pz", "a_cb", "a_sh", "a_pz"):
        stuck = _work(deployed, stuck, element, {f"{element[0]}_opinion": "approve"})
    assert stuck.status == "completed"
    assert design.plan_migration(deployed, "parallel_review", 2, designer) == []


def test_migration_keeps_a_waiting_timer_due(deployed: EngineContext, designer: Actor, clock: FixedClock) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    due = view.next_timer_due
    _deploy_edit(deployed, designer, "timer_review", lambda xml: xml.replace('name="督办办结"', 'name="督办后办结"'))
    clock.advance(hours=5)
    [plan] = design.migrate_cases(deployed, "timer_review", 2, designer)
    assert plan.migrated, plan.reasons
    moved = get_case(deployed, view.id)
    assert moved.next_timer_due == due
    clock.set(due + timedelta(minutes=1))
    assert fire_due_timers(deployed) == 1
    assert [t.element_id for t in get_case(deployed, view.id).open_tasks] == ["escalate"]


# -- Camunda Modeler bundles ---------------------------------------------------------------------


def test_camunda_bundle_imports_deploys_and_runs(deployed: EngineContext, designer: Actor, applicant: Actor) -> None:
    result = design.import_camunda_bundle(deployed, _bundle_files(), BUNDLE_METADATA, designer)
    assert (result.matter_code, result.version, result.created) == ("outdoor_ad", 1, True)
    matter = next(m for m in list_matters(deployed) if m.code == "outdoor_ad")
    assert (matter.name, matter.statutory_limit_wd, matter.promised_limit_wd) == ("户外广告设施设置审批", 20, 10)
    assert matter.metadata["process_id"] == "Process_outdoor_ad"
    assert matter.metadata["extension_limit_wd"] == 5

    view = cases.start_case(deployed, "outdoor_ad", applicant)
    apply = _task(view, "Activity_apply")
    assert (apply.name, apply.form_key, apply.candidate_groups) == ("填写设置申请", "apply", ("applicant",))
    # The imported form-js schema is what the server validates against.
    values = {"applicant_name": "滨江传媒有限公司", "uscc": "91350100M000100Y43", "location": "滨江路 1 号",
              "area_m2": "12", "facility_type": "signboard", "contact_mobile": "13800138000"}
    with pytest.raises(FormDataInvalid) as invalid:
        tasks.complete_task(deployed, view.id, apply.task_uuid,
                            {**values, "uscc": "123", "area_m2": "9999", "facility_type": "rocket"}, applicant)
    assert set(invalid.value.errors) == {"uscc", "area_m2", "facility_type"}
    view = tasks.complete_task(deployed, view.id, apply.task_uuid, values, applicant)
    review = _task(view, "Activity_review")
    assert (review.form_key, review.candidate_groups, review.assignee) == ("review", ("window_clerk",), None)
    view = tasks.complete_task(deployed, view.id, review.task_uuid, {"decision": "approve"}, WINDOW)
    assert view.status == "completed"
    assert view.data["permit_no"] == "GG-" + view.case_number[-4:] and view.data["area_m2"] == 12
    assert view.blzt == 11

    compiled = deployed.compiled(_definition(deployed, result.definition_id))
    assert validate_submission(compiled.forms.get("apply"), values).ok
    assert not validate_submission(compiled.forms.get("review"), {"decision": "maybe"}).ok
    # Importing the same bundle again is a no-op.
    assert design.import_camunda_bundle(deployed, _bundle_files(), BUNDLE_METADATA, designer).created is False


def _definition(ctx: EngineContext, definition_id: int):  # type: ignore[no-untyped-def]
    from engine.persistence.records import DefinitionRecord

    with ctx.uow() as uow:
        record = uow.session.get(DefinitionRecord, definition_id)
        uow.session.expunge(record)
        return record


def _with(files: dict[str, bytes], old: str, new: str) -> dict[str, bytes]:
    text = files["outdoor_ad.bpmn"].decode("utf-8")
    assert old in text
    return {**files, "outdoor_ad.bpmn": text.replace(old, new).encode("utf-8")}


def test_camunda_java_class_is_refused_naming_the_element(deployed: EngineContext, designer: Actor) -> None:
    files = _with(_bundle_files(), '<bpmn:sequenceFlow id="Flow_1y4hx0v" sourceRef="Activity_record" '
                                   'targetRef="Event_approved" />',
                  '<bpmn:sequenceFlow id="Flow_1y4hx0v" sourceRef="Activity_record" targetRef="Activity_notify" />'
                  '<bpmn:serviceTask id="Activity_notify" name="短信通知申请人" '
                  'camunda:class="com.example.onewindow.SmsDelegate" />'
                  '<bpmn:sequenceFlow id="Flow_notify_end" sourceRef="Activity_notify" targetRef="Event_approved" />')
    with pytest.raises(DefinitionInvalid) as refused:
        design.import_camunda_bundle(deployed, files, BUNDLE_METADATA, designer)
    [problem] = [p for p in refused.value.problems if p.element_id == "Activity_notify"]
    assert problem.file == "outdoor_ad.bpmn"
    assert "服务任务“短信通知申请人”" in problem.problem and "camunda:class" in problem.problem
    assert "outdoor_ad" not in {m.code for m in list_matters(deployed)}


def test_camunda_unsupported_features_and_metadata_problems(deployed: EngineContext, designer: Actor) -> None:
    files = _with(_bundle_files(), "decision == 'approve'", "${execution.getVariable('decision') == 'approve'}")
    files = _with(files, '<bpmn:userTask id="Activity_apply" name="填写设置申请" ',
                  '<bpmn:userTask id="Activity_apply" name="填写设置申请" camunda:asyncBefore="true" ')
    files = _with(files, "<bpmn:documentation>", '<bpmn:extensionElements><camunda:taskListener '
                  'class="com.example.Audit" event="create" /></bpmn:extensionElements><bpmn:documentation>')
    metadata = {**BUNDLE_METADATA, "implementation_code": "123", "promised_limit_wd": "三十"}
    with pytest.raises(DefinitionInvalid) as refused:
        design.import_camunda_bundle(deployed, files, metadata, designer)
    problems = {(p.element_id, p.problem) for p in refused.value.problems}
    flow = [text for element, text in problems if element == "Flow_approve"]
    assert len(flow) == 1 and "JUEL/FEEL" in flow[0] and "连线“同意”" in flow[0] and "execution" in flow[0]
    assert any(element == "Activity_apply" and "任务监听器" in text for element, text in problems)
    assert any(element == "promised_limit_wd" and "非负整数" in text for element, text in problems)
    extra = {**_bundle_files(), "notes.txt": b"hello"}
    with pytest.raises(DefinitionInvalid) as wrong_files:
        design.import_camunda_bundle(deployed, extra, BUNDLE_METADATA, designer)
    assert [p.file for p in wrong_files.value.problems] == ["notes.txt"]
    with pytest.raises(DefinitionInvalid) as no_bpmn:
        design.import_camunda_bundle(deployed, {"apply.form": _bundle_files()["apply.form"]}, BUNDLE_METADATA,
                                       designer)
    assert "没有上传 .bpmn 文件" in no_bpmn.value.problems[-1].problem
    assert "outdoor_ad" not in {m.code for m in list_matters(deployed)}


def test_camunda_form_ref_is_resolved_by_form_id(deployed: EngineContext, designer: Actor) -> None:
    files = _with(_bundle_files(), 'camunda:formKey="camunda-forms:app:apply.form"',
                  'camunda:formRef="apply" camunda:formRefBinding="latest"')
    result = design.import_camunda_bundle(deployed, files, BUNDLE_METADATA, designer)
    compiled = deployed.compiled(_definition(deployed, result.definition_id))
    assert compiled.human_tasks["Activity_apply"].form_key == "apply"


@pytest.fixture
def project_ctx(settings: EngineSettings, clock: FixedClock) -> Iterator[EngineContext]:
    """A context over the project's own ``processes/`` and ``forms/`` (with ``_common`` and its forms)."""
    context = EngineContext.create(replace(settings, processes_dir=PROJECT_ROOT / "processes",
                                           forms_dir=PROJECT_ROOT / "forms"), clock)
    yield context
    context.dispose()


def test_camunda_bundle_may_call_the_shared_reception(project_ctx: EngineContext, designer: Actor,
                                                     applicant: Actor) -> None:
    """Issue 14: the forms and templates of ``_common`` sub-processes are completed too, not only the upload's."""
    deployed = project_ctx
    files = _with(_bundle_files(), '<bpmn:sequenceFlow id="Flow_1b2u9rx" sourceRef="Activity_apply" '
                                   'targetRef="Activity_review" />',
                  '<bpmn:sequenceFlow id="Flow_1b2u9rx" sourceRef="Activity_apply" targetRef="Activity_limits" />'
                  '<bpmn:scriptTask id="Activity_limits" name="设定时限" scriptFormat="python">'
                  '<bpmn:script>promised_limit_wd = 10\nstatutory_limit_wd = 20</bpmn:script></bpmn:scriptTask>'
                  '<bpmn:sequenceFlow id="Flow_limits" sourceRef="Activity_limits" targetRef="Activity_reception" />'
                  '<bpmn:callActivity id="Activity_reception" name="收件与受理" calledElement="reception" />'
                  '<bpmn:sequenceFlow id="Flow_received" sourceRef="Activity_reception" targetRef="Activity_review" />')
    result = design.import_camunda_bundle(deployed, files, BUNDLE_METADATA, designer)
    compiled = deployed.compiled(_definition(deployed, result.definition_id))
    assert "_common/reception.bpmn" in compiled.files
    assert "reception_check" in compiled.forms.keys() and "_documents/receipt.html" in compiled.files
    view = cases.start_case(deployed, "outdoor_ad", applicant)
    values = {"applicant_name": "滨江传媒有限公司", "uscc": "91350100M000100Y43", "location": "滨江路 1 号",
              "area_m2": "12", "facility_type": "signboard", "contact_mobile": "13800138000"}
    view = tasks.complete_task(deployed, view.id, _task(view, "Activity_apply").task_uuid, values, applicant)
    assert view.status == "running" and view.open_tasks[0].element_id.startswith("rc_")


def test_shipped_matters_pass_the_designer_checks(tmp_path: Path) -> None:
    """The Camunda checks must not flag anything in the diagrams the project ships."""
    ctx = EngineContext.create(EngineSettings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    try:
        processes = PROJECT_ROOT / "processes"
        for folder in sorted(p for p in processes.iterdir() if (p / "matter.toml").is_file()):
            files = collect_matter_files(folder, ctx.settings.forms_dir, processes / "_common")
            assert design.check_bundle(ctx, files, folder.name) == [], folder.name
    finally:
        ctx.dispose()
