"""Scripts and expressions that use names the sandbox lacks are refused at deploy, naming the
element, instead of deploying fine and failing with a NameError when a case reaches them."""

from __future__ import annotations

import pytest

from tests.engine.test_catalog import problems_of
from tests.engine.test_catalog import with_bpmn

SCRIPT = "both_approved = a_opinion == 'approve' and b_opinion == 'approve'"


@pytest.mark.parametrize(("script", "names"), [
    ("print(a_opinion)", "print"),
    ("text = open('/etc/passwd').read()", "open"),
    ("seen = set([a_opinion, b_opinion])", "set"),
    ("stamp = datetime.now().isoformat()", "datetime"),
    ("kind = str(type(a_opinion))", "type"),
])
def test_a_script_using_a_missing_name_is_refused_with_its_element(parallel_files: dict[str, str], script: str,
                                                                   names: str) -> None:
    [problem] = problems_of(with_bpmn(parallel_files, SCRIPT, script))
    assert problem.element_id == "summarize"
    assert f"沙箱中没有的名称：{names}" in problem.problem


def test_names_a_script_defines_itself_and_the_diagram_functions_pass(parallel_files: dict[str, str]) -> None:
    from engine.definitions.catalog import compile_definition

    script = "def label(x):\n    return str(x)\nopen_items = [label(v) for v in (a_opinion, b_opinion)]\n" \
             "due = workday_deadline(5)\ntotal = sum(len(v) for v in open_items)"
    compile_definition(with_bpmn(parallel_files, SCRIPT, script))


def test_a_condition_using_a_missing_name_is_refused(parallel_files: dict[str, str]) -> None:
    flow = '<bpmn:sequenceFlow id="f_summarize_end" sourceRef="summarize" targetRef="end" />'
    files = with_bpmn(parallel_files, flow,
                      '<bpmn:sequenceFlow id="f_summarize_end" sourceRef="summarize" targetRef="end">'
                      '<bpmn:conditionExpression>getattr(both_approved, "real")</bpmn:conditionExpression>'
                      '</bpmn:sequenceFlow>')
    [problem] = problems_of(files)
    assert problem.element_id == "f_summarize_end" and "getattr" in problem.problem


def test_a_missing_callee_is_named_with_file_element_and_the_processes_there_are(
        parallel_files: dict[str, str]) -> None:
    files = with_bpmn(parallel_files, '<bpmn:endEvent id="end" name="办结" />',
                      '<bpmn:callActivity id="call_x" name="出证" calledElement="no_such_process" />'
                      '<bpmn:sequenceFlow id="fx" sourceRef="call_x" targetRef="end" /><bpmn:endEvent id="end" />')
    files = with_bpmn(files, 'sourceRef="summarize" targetRef="end"', 'sourceRef="summarize" targetRef="call_x"')
    [problem] = problems_of(files)
    assert (problem.file, problem.element_id) == ("parallel_review.bpmn", "call_x")
    assert "“出证”调用的子流程“no_such_process”不存在" in problem.problem and "parallel_review" in problem.problem
