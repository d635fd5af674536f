"""A broken or hostile diagram never reaches a running case: every problem is named up front."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.definitions.bundles import collect_matter_files
from engine.definitions.catalog import compile_definition
from engine.definitions.catalog import content_hash
from engine.definitions.parser import SafeSpiffBpmnParser
from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.errors import UnsafeXml
from engine.services.department_data import OPERATION_NAMES
from engine.services.deploy import matter_dirs
from tests.conftest import FIXTURES
from tests.conftest import ROOT

BPMN = "parallel_review.bpmn"


def problems_of(files: dict[str, str]) -> list[DefinitionProblem]:
    with pytest.raises(DefinitionInvalid) as info:
        compile_definition(files)
    assert info.value.message.startswith("流程定义校验未通过")
    return info.value.problems


def with_bpmn(files: dict[str, str], old: str, new: str) -> dict[str, str]:
    assert old in files[BPMN], old
    return {**files, BPMN: files[BPMN].replace(old, new, 1)}


def test_fixture_bundle_compiles(parallel_files: dict[str, str]) -> None:
    compiled = compile_definition(parallel_files)
    assert compiled.human_tasks["a_sh"].candidate_groups == ("a_sh",)
    assert compiled.human_tasks["submit"].form_key == "simple_application"
    assert set(compiled.forms.keys()) == {"simple_application", "a_review", "b_review"}


@pytest.mark.parametrize("matter", [p.name for p in matter_dirs(ROOT / "processes")])
def test_every_shipped_matter_passes_the_catalog_checks(matter: str) -> None:
    files = collect_matter_files(ROOT / "processes" / matter, ROOT / "forms", ROOT / "processes" / "_common")
    compiled = compile_definition(files, services=OPERATION_NAMES)
    assert compiled.metadata.code == matter
    assert compiled.human_tasks, "a matter without human tasks is not an approval"


XXE = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="parallel_review" isExecutable="true"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:process>
</bpmn:definitions>"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">&lol2;</bpmn:definitions>"""


@pytest.mark.parametrize("content", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_doctype_and_entities_are_refused(parallel_files: dict[str, str], content: str) -> None:
    problems = problems_of({**parallel_files, BPMN: content})
    assert any(p.file == BPMN and "DOCTYPE" in p.problem for p in problems)


def test_parser_entry_points_cannot_bypass_the_hardening() -> None:
    with pytest.raises(UnsafeXml):
        SafeSpiffBpmnParser().add_bpmn_str(XXE, "x.bpmn")


def test_oversized_and_malformed_xml_are_refused(parallel_files: dict[str, str]) -> None:
    huge = parallel_files[BPMN].replace("</bpmn:definitions>", "<!--" + "x" * (3 * 1024 * 1024) + "-->"
                                        "</bpmn:definitions>")
    assert any("超过上限" in p.problem for p in problems_of({**parallel_files, BPMN: huge}))
    broken = parallel_files[BPMN][:-40]
    assert any("XML 格式错误" in p.problem for p in problems_of({**parallel_files, BPMN: broken}))


def test_user_task_needs_a_form_and_a_role(parallel_files: dict[str, str]) -> None:
    files = with_bpmn(parallel_files, 'camunda:formKey="a_review" camunda:candidateGroups="a_cb"', "")
    problems = problems_of(files)
    assert {(p.element_id, "表单" in p.problem) for p in problems if p.element_id == "a_cb"} == {("a_cb", True),
                                                                                               ("a_cb", False)}
    assert all(p.file == BPMN for p in problems)


def test_missing_form_file_is_named(parallel_files: dict[str, str]) -> None:
    files = with_bpmn(parallel_files, 'camunda:formKey="a_review" camunda:candidateGroups="a_cb"',
                      'camunda:formKey="no_such_form" camunda:candidateGroups="a_cb"')
    assert [p.element_id for p in problems_of(files)] == ["a_cb"]


def test_a_broken_form_is_named_once_by_file_and_component(parallel_files: dict[str, str]) -> None:
    schema = json.loads(parallel_files["forms/a_review.form"])
    schema["components"].append({"type": "weird", "key": "zz", "label": "x"})
    [problem] = problems_of({**parallel_files, "forms/a_review.form": json.dumps(schema)})
    assert (problem.file, problem.element_id) == ("forms/a_review.form", "zz")
    assert "不支持的组件类型 'weird'" in problem.problem


@pytest.mark.parametrize(("old", "new", "element"), [
    ("both_approved = a_opinion == 'approve' and b_opinion == 'approve'", "import os", "summarize"),
    ("both_approved = a_opinion == 'approve' and b_opinion == 'approve'",
     "x = ().__class__.__base__.__subclasses__()", "summarize"),
])
def test_scripts_are_linted_under_the_sandbox_policy(parallel_files: dict[str, str], old: str, new: str,
                                                     element: str) -> None:
    problems = problems_of(with_bpmn(parallel_files, old, new))
    assert [p.element_id for p in problems] == [element]


GATEWAY_FLOW = '<bpmn:sequenceFlow id="f_join_summarize" sourceRef="join" targetRef="summarize" />'


@pytest.mark.parametrize("condition", ["${a_opinion == 'approve'}", "__import__('os')", "a_opinion ==="])
def test_conditions_are_linted(parallel_files: dict[str, str], condition: str) -> None:
    flow = ('<bpmn:sequenceFlow id="f_join_summarize" sourceRef="join" targetRef="summarize">'
            f'<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>')
    problems = problems_of(with_bpmn(parallel_files, GATEWAY_FLOW, flow))
    assert [p.element_id for p in problems] == ["f_join_summarize"]


def _timer_files(expression: str) -> dict[str, str]:
    files = collect_matter_files(Path(__file__).resolve().parent.parent / "fixtures" / "matters" / "timer_review",
                                 Path(__file__).resolve().parent.parent / "fixtures" / "forms")
    return {**files, "timer_review.bpmn": files["timer_review.bpmn"].replace('"P2D"', expression)}


@pytest.mark.parametrize("expression", ["PT1H", '"two days"', "42", '"P2X"'])
def test_bad_timer_expressions_are_refused(expression: str) -> None:
    problems = problems_of(_timer_files(expression))
    assert [p.element_id for p in problems] == ["review_overdue"]


def test_timer_taken_from_a_variable_is_accepted() -> None:
    assert compile_definition(_timer_files("review_deadline")).metadata.code == "timer_review"


def test_missing_called_process_is_refused(parallel_files: dict[str, str]) -> None:
    files = with_bpmn(parallel_files, '<bpmn:parallelGateway id="join" name="汇总" />',
                      '<bpmn:parallelGateway id="join" name="汇总" />'
                      '<bpmn:callActivity id="call_missing" calledElement="no_such_process" />'
                      '<bpmn:sequenceFlow id="f_x" sourceRef="start" targetRef="call_missing" />')
    assert any("no_such_process" in p.problem for p in problems_of(files))


def test_java_service_tasks_from_camunda_are_refused(parallel_files: dict[str, str]) -> None:
    files = with_bpmn(parallel_files, '<bpmn:parallelGateway id="join" name="汇总" />',
                      '<bpmn:parallelGateway id="join" name="汇总" />'
                      '<bpmn:serviceTask id="java_task" camunda:class="org.example.Delegate" />')
    assert any(p.element_id == "java_task" and "camunda:class" in p.problem for p in problems_of(files))


def test_metadata_problems_are_named(parallel_files: dict[str, str]) -> None:
    toml = parallel_files["matter.toml"].replace("promised_limit_wd = 5", "promised_limit_wd = 50")
    toml = toml.replace('"11320700014252401B3000180002002"', '"SHORT"')
    problems = problems_of({**parallel_files, "matter.toml": toml})
    assert {p.element_id for p in problems} == {"implementation_code", "promised_limit_wd"}
    assert problems_of({k: v for k, v in parallel_files.items() if k != "matter.toml"})[0].file == "matter.toml"


def test_several_problems_are_reported_together(parallel_files: dict[str, str]) -> None:
    files = with_bpmn(parallel_files, 'camunda:formKey="b_review" camunda:candidateGroups="b_cb"',
                      'camunda:formKey="missing_form" camunda:candidateGroups="b_cb"')
    files = {**files, BPMN: files[BPMN].replace(
        "both_approved = a_opinion == 'approve' and b_opinion == 'approve'", "import sys")}
    assert {p.element_id for p in problems_of(files)} == {"b_cb", "summarize"}


def test_content_hash_ignores_order_but_not_content(parallel_files: dict[str, str]) -> None:
    reordered = dict(reversed(list(parallel_files.items())))
    assert content_hash(reordered) == content_hash(parallel_files)
    assert content_hash({**parallel_files, BPMN: parallel_files[BPMN] + " "}) != content_hash(parallel_files)


# -- matter facts: document titles and permits are matter data, never engine code ----------------


def doc_review_files() -> dict[str, str]:
    return collect_matter_files(FIXTURES / "matters" / "doc_review", FIXTURES / "forms")


def test_document_titles_and_permit_names_come_from_the_matter_folder() -> None:
    files = doc_review_files()
    assert "_documents/documents.toml" in files  # frozen with the version, like the templates
    compiled = compile_definition(files)
    assert compiled.document_title("receipt") == "收件凭证"
    assert compiled.metadata.permit_name("construction") == "建筑工程施工许可证核发"
    # A matter may name a shared document its own way.
    toml = files["matter.toml"] + '\n[documents.receipt]\ntitle = "收件回执"\n'
    assert compile_definition({**files, "matter.toml": toml}).document_title("receipt") == "收件回执"


def test_a_document_without_a_title_is_refused_naming_the_element() -> None:
    files = doc_review_files()
    titles = files["_documents/documents.toml"]
    untitled = titles.replace('[permit]\ntitle = "准予行政许可决定书"\n', "")
    assert untitled != titles
    [problem] = problems_of({**files, "_documents/documents.toml": untitled})
    assert (problem.file, problem.element_id) == ("doc_review.bpmn", "grant")
    assert "文书“permit”没有名称" in problem.problem and "[documents.permit]" in problem.problem


def test_a_permit_the_matter_does_not_define_is_refused_naming_the_element() -> None:
    files = doc_review_files()
    toml = files["matter.toml"].replace("[permits.construction]", "[permits.waste]")
    [problem] = problems_of({**files, "matter.toml": toml})
    assert (problem.file, problem.element_id) == ("doc_review.bpmn", "deny")
    assert "许可“construction”未在 matter.toml 中定义" in problem.problem


def test_matter_fact_tables_are_checked() -> None:
    files = doc_review_files()
    toml = files["matter.toml"].replace('name = "建筑工程施工许可证核发"', 'title = "x"')
    toml += '\n[supplement_items]\nno_such_task = ["missing_items"]\n'
    problems = {(p.element_id, p.problem) for p in problems_of({**files, "matter.toml": toml})}
    assert any(key == "permits.construction" and "name" in text for key, text in problems)
    fixed = files["matter.toml"] + '\n[supplement_items]\nno_such_task = ["missing_items"]\n'
    [problem] = problems_of({**files, "matter.toml": fixed})
    assert (problem.file, problem.element_id) == ("matter.toml", "supplement_items.no_such_task")
    assert "不是本事项流程图中的人工任务" in problem.problem


def test_versions_stored_before_titles_were_data_keep_their_titles() -> None:
    """Older bundles have no documents.toml; their templates set the title themselves."""
    files = {name: text for name, text in doc_review_files().items() if name != "_documents/documents.toml"}
    files["_documents/receipt.html"] = '{% set title = "收件凭证" %}' + files["_documents/receipt.html"]
    with pytest.raises(DefinitionInvalid):
        compile_definition(files)  # acceptance_notice etc. have no title at all
    for key, title in (("acceptance_notice", "受理通知书"), ("supplement_notice", "补正材料通知书"),
                       ("permit", "准予行政许可决定书"), ("denial_decision", "不予行政许可决定书")):
        files[f"_documents/{key}.html"] = f'{{% set title = "{title}" %}}' + files[f"_documents/{key}.html"]
    assert compile_definition(files).document_title("receipt") == "收件凭证"


def test_a_refusal_form_needs_the_matters_provisions() -> None:
    """The 不予许可 form cites a provision chosen from matter.toml: a matter without the list cannot deploy it."""
    files = collect_matter_files(ROOT / "processes" / "food_business", ROOT / "forms", ROOT / "processes" / "_common")
    toml = files["matter.toml"]
    start = toml.index("refusal_provisions = [")
    files["matter.toml"] = toml[:start] + toml[toml.index("]\n", start) + 2:]
    problems = problems_of(files)
    assert any(p.element_id == "approve" and "refusal_provisions" in p.problem for p in problems), problems


def test_candidate_groups_may_come_from_case_data_and_the_expression_is_linted(parallel_files: dict[str, str]) -> None:
    """``=expression`` (the general pattern's ``=chengban_post``): groups from case data, checked at deploy."""
    files = with_bpmn(parallel_files, 'camunda:candidateGroups="a_cb"', 'camunda:candidateGroups="=a_post"')
    info = compile_definition(files).human_tasks["a_cb"]
    assert (info.candidate_groups, info.groups_expression) == ((), "a_post")
    refused = with_bpmn(parallel_files, 'camunda:candidateGroups="a_cb"',
                        'camunda:candidateGroups="=__import__(\'os\')"')
    assert [p.element_id for p in problems_of(refused)] == ["a_cb"]
