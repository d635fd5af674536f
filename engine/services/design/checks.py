"""Checking a bundle the way deploying would, with Camunda Modeler 7 content explained rather than just refused.

Designers and halls bring diagrams drawn for Camunda 7: Java delegates, JUEL expressions,
listeners, generated forms. The catalog refuses these with a generic message; here each gets a
Chinese explanation of what to use instead, and the catalog message it makes redundant for the
same element is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping

from lxml import etree

from engine.definitions.bundles import complete_bundle
from engine.definitions.catalog import COMMON_PREFIX
from engine.definitions.catalog import DOCUMENTS_PREFIX
from engine.definitions.catalog import METADATA_FILE
from engine.definitions.catalog import compile_definition
from engine.definitions.references import BPMN_NS
from engine.definitions.references import CAMUNDA_NS
from engine.definitions.safexml import parse_xml
from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.errors import EngineError
from engine.errors import UnsafeXml
from engine.services.context import EngineContext
from engine.services.design.common import ELEMENT_TYPES
from engine.services.design.common import local_name
from engine.services.design.common import read_toml
from engine.services.design.common import short
from engine.services.design.juel import Untranslatable
from engine.services.design.juel import juel_to_python


def _label(element: etree._Element) -> str:
    kind = ELEMENT_TYPES.get(local_name(element), local_name(element))
    name = element.get("name")
    return f"{kind}“{name}”" if name else kind


def _owner(element: etree._Element) -> etree._Element:
    """The BPMN element (with an id) an extension or expression belongs to."""
    current: etree._Element | None = element
    while current is not None:
        if isinstance(current.tag, str) and current.tag.startswith(f"{{{BPMN_NS}}}") and current.get("id") \
                and local_name(current) not in ("conditionExpression", "timerEventDefinition", "extensionElements"):
            return current
        current = current.getparent()
    return element


_JAVA_ATTRIBUTES = {"class": "Java 类", "delegateExpression": "委托表达式（Java Bean）", "expression": "JUEL 表达式"}


_UNPARSED = ("BPMN 校验失败", "BPMN 解析失败")


def _why_not(text: str) -> str:
    """Why the import's JUEL translation left ``text`` as it was."""
    try:
        juel_to_python(text)
    except Untranslatable as exc:
        return exc.message
    return "表达式不完整"


def _camunda_findings(file: str, root: etree._Element) -> list[tuple[DefinitionProblem, tuple[str, ...]]]:
    """Each Camunda problem with the catalog messages (substrings) it makes redundant for its element."""
    problems: list[tuple[DefinitionProblem, tuple[str, ...]]] = []

    def add(element: etree._Element, message: str, replaces: tuple[str, ...] = ()) -> None:
        owner = _owner(element)
        problems.append((DefinitionProblem(file, owner.get("id", ""), f"{_label(owner)}：{message}"), replaces))

    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = local_name(element)
        in_bpmn = element.tag.startswith(f"{{{BPMN_NS}}}")
        in_camunda = element.tag.startswith(f"{{{CAMUNDA_NS}}}")
        if in_bpmn:
            for attribute, what in _JAVA_ATTRIBUTES.items():
                if element.get(f"{{{CAMUNDA_NS}}}{attribute}") is not None:
                    add(element, f"使用了 camunda:{attribute}（{what}），本系统不运行 Java 代码或 JUEL 表达式；"
                                 "请改用脚本任务（Python）或已注册的服务任务（spiffworkflow:serviceTaskOperator）",
                        (f"不支持 camunda:{attribute}", *_UNPARSED))
            if element.get(f"{{{CAMUNDA_NS}}}type") == "external" or element.get(f"{{{CAMUNDA_NS}}}topic"):
                add(element, "是外部任务（camunda:type=\"external\"），本系统没有外部任务工作者；"
                             "请改用已注册的服务任务，或把主题（camunda:topic）配置为允许清单中的 HTTP 端点"
                             "（ONEWINDOW_SERVICE_ENDPOINTS）",
                    ("不支持 camunda:type", "不支持 camunda:topic", *_UNPARSED))
            if element.get(f"{{{CAMUNDA_NS}}}candidateUsers"):
                add(element, "不支持 camunda:candidateUsers，请用 camunda:candidateGroups 指定办理角色",
                    ("没有办理角色",))
            if element.get(f"{{{CAMUNDA_NS}}}decisionRef"):
                add(element, "使用了 camunda:decisionRef；请改用 spiffworkflow:calledDecisionId 并附上 .dmn 文件",
                    _UNPARSED)
            if element.get(f"{{{CAMUNDA_NS}}}formRef") and not element.get(f"{{{CAMUNDA_NS}}}formKey"):
                add(element, "使用了 camunda:formRef，但上传的 .form 文件中没有该 id 的表单", ("没有表单",))
            form_key = element.get(f"{{{CAMUNDA_NS}}}formKey") or ""
            if form_key.startswith("embedded:") or form_key.endswith((".html", ".htm")):
                add(element, f"表单“{form_key}”是嵌入式 HTML 表单，本系统只支持 form-js 表单（.form 文件）",
                    ("在 forms/ 中不存在",))
            if local == "conditionExpression":
                text = (element.text or "").strip()
                language = (element.get("language") or "").strip().lower()
                if "${" in text or "#{" in text:
                    add(element, f"条件“{short(text)}”是 Camunda 的 JUEL/FEEL 表达式（${{...}}），"
                                 f"无法自动转换（{_why_not(text)}），"
                                 "请改写为 Python 表达式，例如 decision == 'approve'",
                        ("条件表达式", *_UNPARSED))
                elif language and language != "python":
                    add(element, f"条件表达式语言“{language}”不受支持，只支持 Python", ("条件表达式",))
                elif element.get(f"{{{CAMUNDA_NS}}}resource"):
                    add(element, "条件表达式引用了外部脚本文件（camunda:resource），请直接写 Python 表达式",
                        ("条件表达式",))
            elif local in ("timeDuration", "timeDate", "timeCycle", "loopCardinality", "completionCondition"):
                text = (element.text or "").strip()
                if "${" in text or "#{" in text:
                    add(element, f"表达式“{short(text)}”是 Camunda 的 JUEL 表达式（${{...}}），"
                                 f"无法自动转换（{_why_not(text)}），请改写为 Python，"
                                 "定时器例如 \"P5D\" 或 workday_deadline(5, received_at)",
                        ("定时器", "多实例表达式", *_UNPARSED))
            elif local == "scriptTask":
                script_format = (element.get("scriptFormat") or "").strip().lower()
                if script_format and script_format != "python":
                    add(element, f"脚本语言“{element.get('scriptFormat')}”不受支持，只支持 Python",
                        ("脚本不合规", *_UNPARSED))
                if element.get(f"{{{CAMUNDA_NS}}}resource"):
                    add(element, "脚本引用了外部文件（camunda:resource），请把 Python 脚本直接写在任务中",
                        ("脚本", *_UNPARSED))
        elif in_camunda:
            if local in ("executionListener", "taskListener"):
                kind = "执行监听器" if local == "executionListener" else "任务监听器"
                add(element, f"使用了 Camunda {kind}（camunda:{local}），本系统不运行监听器；"
                             "请把逻辑改为流程中的脚本任务")
            elif local == "connector":
                add(element, "使用了 Camunda Connector（camunda:connector），请改用已注册的服务任务")
            elif local == "inputOutput":
                add(element, "使用了输入/输出映射（camunda:inputOutput），本系统不支持；请在脚本任务中赋值")
            elif local == "formData":
                add(element, "使用了 Camunda 生成式表单（camunda:formData），请改用 form-js 表单（.form 文件）",
                    ("没有表单",))
            elif local in ("in", "out") and (element.get("sourceExpression") or "").find("${") >= 0:
                add(element, "调用活动的变量映射使用了 JUEL 表达式，请删除或改写")
    return problems



def check_bundle(ctx: EngineContext, files: Mapping[str, str],
                 matter_code: str | None = None) -> list[DefinitionProblem]:
    """Every problem of a bundle (empty list: it would deploy). Never raises for bad content."""
    problems: list[DefinitionProblem] = []
    replaced: dict[tuple[str, str], set[str]] = {}
    for name, text in files.items():
        if name.endswith(".bpmn"):
            try:
                root = parse_xml(text, name, ctx.settings.max_xml_bytes).getroot()
            except UnsafeXml:
                continue  # the catalog reports it
            for problem, replaces in _camunda_findings(name, root):
                problems.append(problem)
                replaced.setdefault((problem.file, problem.element_id), set()).update(replaces)
    try:
        compile_definition(files, services=ctx.services, max_bytes=ctx.settings.max_xml_bytes)
    except DefinitionInvalid as exc:
        # A catalog message about the same thing as a more specific Camunda message is left out.
        problems.extend(p for p in exc.problems
                        if not any(text in p.problem for text in replaced.get((p.file, p.element_id), ())))
    except EngineError as exc:
        problems.append(DefinitionProblem("", "", exc.message))
    except Exception as exc:  # noqa: BLE001 - a checker must report, never crash the designer's page
        problems.append(DefinitionProblem("", "", f"校验时出错：{type(exc).__name__}: {exc}"))
    if matter_code is not None:
        code = read_toml(files.get(METADATA_FILE, "")).get("code")
        if isinstance(code, str) and code and code != matter_code:
            problems.append(DefinitionProblem(METADATA_FILE, "code",
                                              f"事项代码不能在设计器中修改：应为“{matter_code}”，而不是“{code}”"))
    return problems



def unique(problems: Iterable[DefinitionProblem]) -> list[DefinitionProblem]:
    seen: set[DefinitionProblem] = set()
    result = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return result


def complete_from_processes(ctx: EngineContext, files: Mapping[str, str]) -> dict[str, str]:
    """The bundle with what its diagrams need from ``processes/`` and ``forms/`` (shared parts, forms, templates)."""
    processes = ctx.settings.processes_dir
    return complete_bundle(files, forms_dir=ctx.settings.forms_dir,
                           documents_dir=processes / DOCUMENTS_PREFIX.rstrip("/"),
                           common_dir=processes / COMMON_PREFIX.rstrip("/"))
