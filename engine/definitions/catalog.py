"""Load and check a matter's files; turn them into a compiled, cacheable definition.

Everything is checked up front so a broken diagram never reaches a running case: hostile or
malformed XML, user tasks without a form or a role, expressions that do not compile under the
sandbox policy, timers that are not valid ISO 8601 literals, unknown service operations, called
processes or decisions that do not exist, and SpiffWorkflow's own validation. All problems are
collected and reported together with file and element id.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Collection
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.decision_rules import REFUSAL_KEY
from engine.decision_rules import provision_lists
from engine.definitions.element_support import element_problems
from engine.definitions.element_support import missing_callees
from engine.definitions.facts import DOCUMENTS_PREFIX
from engine.definitions.facts import document_titles
from engine.definitions.facts import element_fact_problems
from engine.definitions.facts import shared_document_titles
from engine.definitions.heads import head_problems
from engine.definitions.metadata import MatterMetadata
from engine.definitions.metadata import parse_metadata
from engine.definitions.parser import SafeSpiffBpmnParser
from engine.definitions.references import BPMN_NS
from engine.definitions.references import CAMUNDA_NS
from engine.definitions.references import HUMAN_TASK_TAGS
from engine.definitions.references import NS
from engine.definitions.references import SPIFF_NS
from engine.definitions.references import form_key_of
from engine.definitions.references import form_problems
from engine.definitions.safexml import parse_xml
from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.errors import ExpressionRefused
from engine.errors import UnsafeXml
from engine.forms import FormDefinition
from engine.forms import FormRegistry
from engine.forms import FormRegistryError
from engine.forms import FormSchemaError
from engine.forms.choices import values_keys
from engine.forms.choices import with_choices
from engine.legal_time import ACCEPTANCE_MODES
from engine.runtime.sandbox import compile_expression
from engine.runtime.sandbox import compile_script
from engine.runtime.sandbox import unavailable_names
from engine.runtime.spiff.events import prepare_events
from engine.runtime.spiff.http_task import unknown_operation
from engine.state_names import BLZT_NAMES

NO_SUCH_NAMES = "（流程脚本不能输出、读写文件或导入模块；可用函数见 processes/README.md）"
_BARE_ISO = re.compile(r"^(R\d*/)?P(\d|T\d)[0-9YMWDTHS.]*$")

METADATA_FILE = "matter.toml"
COMMON_PREFIX = "_common/"
FORMS_PREFIX = "forms/"
#: Tasks that are work for a person only when the designer gives them a form (else they pass through).
PASS_THROUGH_TAGS = ("manualTask", "task")
#: Camunda 7 attributes that name Java code or engine features we do not run.
UNSUPPORTED_CAMUNDA_ATTRIBUTES = ("class", "delegateExpression", "expression", "type", "topic", "asyncBefore",
                                  "asyncAfter", "resultVariable")


@dataclass(frozen=True)
class HumanTaskInfo:
    """What the worklist needs to know of a user task, read once at deploy time."""

    element_id: str
    name: str
    lane: str
    candidate_groups: tuple[str, ...]
    form_key: str
    documentation: str = ""
    assignee_expression: str = ""
    #: ``camunda:dueDate``: a Python expression giving the task's own deadline (ISO timestamp),
    #: e.g. ``workday_deadline(2)``; empty = the task has no deadline of its own.
    due_expression: str = ""
    #: ``camunda:candidateGroups="=<expression>"``: the groups come from case data (a string of
    #: comma-separated groups or a list), e.g. ``=chengban_post`` in the general pattern, whose
    #: posts are the 事项库 entry's. ``candidate_groups`` is then empty.
    groups_expression: str = ""


#: Element properties the engine acts on when the element completes (see processes/README.md).
KNOWN_PROPERTIES = ("blzt", "document", "permit", "credit_violation", "acceptance", "party", "signature",
                    "credit_subject", "serves", "separation", "period", "period_ends", "period_outcome",
                    "period_wait")


@dataclass
class CompiledDefinition:
    """A checked definition version: parsed specs plus the metadata the engine looks up per task."""

    content_hash: str
    metadata: MatterMetadata
    files: Mapping[str, str]
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    human_tasks: dict[str, HumanTaskInfo]
    forms: FormRegistry
    element_names: dict[str, str] = field(default_factory=dict)
    #: element id -> {"blzt": "3", "document": "acceptance_notice", ...}
    element_properties: dict[str, dict[str, str]] = field(default_factory=dict)
    #: template key -> the document's title (see ``facts``): what the case page and history call it.
    document_titles: dict[str, str] = field(default_factory=dict)
    #: Plain and manual tasks without a form: they pass through, as Camunda runs them.
    pass_through: frozenset[str] = frozenset()
    #: Whether any element waits for a message or signal (only such cases keep subscription rows).
    catches_events: bool = False

    @property
    def main_bpmn(self) -> str:
        """The XML of the matter's own diagram (what guides, audits and designers show)."""
        name = main_bpmn_file(self.files, self.metadata.process_id)
        return self.files[name] if name else ""

    def document_title(self, key: str) -> str:
        return self.document_titles.get(key, key)

    def task_form(self, form_key: str) -> FormDefinition:
        """The form a task shows and validates: options a form takes from the matter (``valuesKey``,
        e.g. the provisions a refusal may cite) filled in from this version's metadata."""
        return with_choices(self.forms.get(form_key), provision_lists(self.metadata))


def main_bpmn_file(files: Mapping[str, str], process_id: str) -> str | None:
    """Name of the matter's own diagram: the top-level ``.bpmn`` that defines ``process_id``."""
    pattern = re.compile(rf'<[\w:]*process\b[^>]*\bid="{re.escape(process_id)}"')
    candidates = sorted(name for name in files if name.endswith(".bpmn") and "/" not in name)
    return next((name for name in candidates if process_id and pattern.search(files[name])), None)


def content_hash(files: Mapping[str, str]) -> str:
    """Order-independent hash of a bundle; equal content means the same version."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + files[name].encode("utf-8") + b"\0")
    return digest.hexdigest()


class _Checker:
    """Collects problems across all files of one bundle."""

    def __init__(self, files: Mapping[str, str], services: Collection[str], max_bytes: int) -> None:
        self.files = files
        self.services = set(services)
        self.max_bytes = max_bytes
        self.problems: list[DefinitionProblem] = []

    def add(self, file: str, element_id: str, problem: str) -> None:
        self.problems.append(DefinitionProblem(file, element_id, problem))

    def check_expression(self, file: str, element_id: str, text: str | None, what: str) -> None:
        if not text or not text.strip():
            self.add(file, element_id, f"{what}为空")
            return
        try:
            compile_expression(text.strip())
        except ExpressionRefused as exc:
            self.add(file, element_id, f"{what}“{text.strip()}”不合规：{exc.message}")
            return
        self.check_names(file, element_id, text.strip(), "eval", f"{what}“{text.strip()}”")

    def check_names(self, file: str, element_id: str, source: str, mode: str, what: str) -> None:
        """Refuse names the sandbox lacks now, instead of a NameError when a case reaches them."""
        if missing := unavailable_names(source, mode):
            self.add(file, element_id, f"{what}使用了沙箱中没有的名称：{'、'.join(missing)}{NO_SUCH_NAMES}")

    def check_script(self, file: str, element_id: str, text: str | None, what: str) -> None:
        if text is None:
            return
        try:
            compile_script(text)
        except ExpressionRefused as exc:
            self.add(file, element_id, f"{what}不合规：{exc.message}")
            return
        self.check_names(file, element_id, text, "exec", what)

    def check_timer(self, file: str, element_id: str, kind: str, text: str | None) -> None:
        if text and _BARE_ISO.match(text.strip()):
            # Valid Python (a variable name), so it would only fail when the timer is reached.
            self.add(file, element_id, f"定时器表达式是 Python：ISO 8601 值需加引号，应写作 \"{text.strip()}\"")
            return
        self.check_expression(file, element_id, text, "定时器表达式")
        if not text:
            return
        try:
            literal = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            return  # a variable or computed expression: checked at run time
        if not isinstance(literal, str):
            self.add(file, element_id, "定时器表达式应为 ISO 8601 字符串，例如 \"P5D\"")
            return
        try:
            if kind == "timeCycle":
                TimerEventDefinition.parse_iso_recurring_interval(literal)
            elif kind == "timeDate":
                TimerEventDefinition.get_datetime(literal)
            else:
                TimerEventDefinition.parse_time_or_duration(literal)
        except Exception as exc:  # noqa: BLE001 - any parse failure is a designer error
            self.add(file, element_id, f"定时器“{literal}”不是合法的 ISO 8601 {kind}：{exc}")


def _id_of(element: etree._Element | None) -> str:
    return element.get("id", "") if element is not None else ""


def _owner_id(element: etree._Element) -> str:
    """Id of the flow element an extension/event definition child belongs to (two levels up)."""
    parent = element.getparent()
    return _id_of(parent.getparent() if parent is not None else None)


def _lanes(root: etree._Element) -> dict[str, str]:
    lanes: dict[str, str] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        name = lane.get("name") or lane.get("id") or ""
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            if ref.text:
                lanes[ref.text.strip()] = name
    return lanes


@dataclass
class _Collected:
    """What the element walk gathers for the compiled definition."""

    metadata: MatterMetadata | None
    forms: FormRegistry | None
    decision_ids: set[str]
    documents: set[str]
    document_titles: dict[str, str] = field(default_factory=dict)
    human_tasks: dict[str, HumanTaskInfo] = field(default_factory=dict)
    element_names: dict[str, str] = field(default_factory=dict)
    element_properties: dict[str, dict[str, str]] = field(default_factory=dict)
    pass_through: set[str] = field(default_factory=set)


def _element_properties(element: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    extensions = element.find("bpmn:extensionElements", NS)
    if extensions is None:
        return found
    for prop in extensions.iterfind("camunda:properties/camunda:property", NS):
        if prop.get("name"):
            found[prop.get("name") or ""] = (prop.get("value") or "").strip()
    return found


def _check_properties(checker: _Checker, file: str, element_id: str, props: dict[str, str],
                      collected: _Collected) -> None:
    if "blzt" in props and not (props["blzt"].isdigit() and int(props["blzt"]) in BLZT_NAMES):
        checker.add(file, element_id, f"blzt（办理状态）应为 1–15 的代码，而不是“{props['blzt']}”")
    if "document" in props and props["document"] not in collected.documents:
        key = props["document"]
        checker.add(file, element_id, f"文书模板“{key}”不存在（processes/_documents/{key}.html）")
    checker.problems.extend(element_fact_problems(file, element_id, props, collected.document_titles,
                                                  collected.metadata))
    if "serves" in props and props["serves"] not in ("window", "ems"):
        checker.add(file, element_id, "serves（送达方式）只能为 window（窗口领取）或 ems（邮寄送达）")
    if "credit_violation" in props and props["credit_violation"] != "record":
        checker.add(file, element_id, "credit_violation 只能为 record")
    if "party" in props and props["party"] != "applicant_only":
        checker.add(file, element_id, "party 只能为 applicant_only（由申请人本人办理的人工任务）")
    if "credit_subject" in props and (props["credit_subject"] != "third_party" or "credit_violation" not in props):
        checker.add(file, element_id, "credit_subject 只能为 third_party，且须与 credit_violation 同用")
    if "signature" in props and props["signature"] != "applicant":
        checker.add(file, element_id, "signature 只能为 applicant（申请人签署，窗口代录须上传签字扫描件）")
    if "acceptance" in props and (props["acceptance"] not in ACCEPTANCE_MODES or props.get("blzt") != "3"):
        checker.add(file, element_id,
                    f"acceptance（受理方式）只能用于 blzt=3 的环节，取值为 {'、'.join(ACCEPTANCE_MODES)}")


def _check_bpmn_tree(checker: _Checker, file: str, root: etree._Element, collected: _Collected) -> None:
    metadata, forms, decision_ids = collected.metadata, collected.forms, collected.decision_ids
    human_tasks, element_names = collected.human_tasks, collected.element_names
    lanes = _lanes(root)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        element_id = element.get("id", "")
        local = etree.QName(element).localname
        if element_id and element.get("name"):
            element_names[element_id] = element.get("name") or ""
        props = _element_properties(element) if element_id else {}
        relevant = {k: v for k, v in props.items() if k in KNOWN_PROPERTIES}
        if relevant:
            _check_properties(checker, file, element_id, relevant, collected)
            collected.element_properties[element_id] = relevant
        for attribute in UNSUPPORTED_CAMUNDA_ATTRIBUTES:
            if element.get(f"{{{CAMUNDA_NS}}}{attribute}") is not None and local in (
                    "serviceTask", "sendTask", "businessRuleTask", "scriptTask"):
                checker.add(file, element_id,
                            f"不支持 camunda:{attribute}（Java 类/外部任务等），请改用脚本或已注册的服务任务")
        if element.tag == f"{{{BPMN_NS}}}conditionExpression":
            checker.check_expression(file, _id_of(element.getparent()), element.text, "条件表达式")
        elif local in ("timeDuration", "timeDate", "timeCycle") and element.tag.startswith(f"{{{BPMN_NS}}}"):
            checker.check_timer(file, _owner_id(element), local, element.text)  # timerEventDefinition -> event
        elif element.tag == f"{{{BPMN_NS}}}script":
            checker.check_script(file, _id_of(element.getparent()), element.text or "", "脚本")
        elif element.tag in (f"{{{SPIFF_NS}}}preScript", f"{{{SPIFF_NS}}}postScript"):
            checker.check_script(file, _owner_id(element), element.text or "", "前/后置脚本")
        elif element.tag in (f"{{{BPMN_NS}}}loopCardinality", f"{{{BPMN_NS}}}completionCondition"):
            checker.check_expression(file, _owner_id(element), element.text, "多实例表达式")
        elif element.tag == f"{{{SPIFF_NS}}}serviceTaskOperator":
            operation = element.get("id", "")
            if operation not in checker.services:
                checker.add(file, _owner_id(element), unknown_operation(operation))
            for param in element.iterfind(".//spiffworkflow:parameter", NS):
                checker.check_expression(file, _owner_id(element), param.get("value"), f"服务参数 {param.get('id')}")
        elif element.tag == f"{{{SPIFF_NS}}}calledDecisionId":
            decision = (element.text or "").strip()
            if decision not in decision_ids:
                checker.add(file, _owner_id(element), f"业务规则任务引用的决策“{decision}”不存在")
        elif local in PASS_THROUGH_TAGS and element.tag.startswith(f"{{{BPMN_NS}}}") and not form_key_of(element):
            collected.pass_through.add(element_id)
        elif local in HUMAN_TASK_TAGS and element.tag.startswith(f"{{{BPMN_NS}}}"):
            _check_human_task(checker, file, element, lanes.get(element_id, ""), metadata, forms, human_tasks)


def _check_human_task(checker: _Checker, file: str, element: etree._Element, lane: str,
                      metadata: MatterMetadata | None, forms: FormRegistry | None,
                      human_tasks: dict[str, HumanTaskInfo]) -> None:
    element_id = element.get("id", "")
    name = element.get("name") or element_id
    form_key = form_key_of(element)
    if not form_key:
        checker.add(file, element_id, f"人工任务“{name}”没有表单（camunda:formKey）")
    elif forms is not None and form_key not in forms:
        checker.add(file, element_id, f"人工任务“{name}”引用的表单“{form_key}”在 forms/ 中不存在")
    if forms is not None and metadata is not None and form_key in forms:
        _check_provision_lists(checker, file, element_id, name, forms.get(form_key), metadata)
    groups_attr = (element.get(f"{{{CAMUNDA_NS}}}candidateGroups") or "").strip()
    groups_expression = groups_attr[1:].strip() if groups_attr.startswith("=") else ""
    if groups_expression:
        checker.check_expression(file, element_id, groups_expression, "办理角色表达式")
        groups: tuple[str, ...] = ()
    else:
        groups = tuple(g.strip() for g in groups_attr.split(",") if g.strip())
    if not groups and lane and metadata is not None and lane in metadata.lane_roles:
        groups = (metadata.lane_roles[lane],)
    if not groups and not groups_expression:
        checker.add(file, element_id, f"人工任务“{name}”没有办理角色（camunda:candidateGroups 或映射到角色的泳道）")
    if element_id in human_tasks:
        checker.add(file, element_id, "元素 id 在本事项的文件中重复")
    documentation = element.findtext("bpmn:documentation", default="", namespaces=NS) or ""
    human_tasks[element_id] = HumanTaskInfo(
        element_id=element_id, name=name, lane=lane, candidate_groups=groups, form_key=form_key,
        documentation=documentation.strip(), assignee_expression=element.get(f"{{{CAMUNDA_NS}}}assignee") or "",
        due_expression=element.get(f"{{{CAMUNDA_NS}}}dueDate") or "", groups_expression=groups_expression)


def _check_provision_lists(checker: _Checker, file: str, element_id: str, name: str, form: FormDefinition,
                           metadata: MatterMetadata) -> None:
    """A decision form that cites provisions from the matter (``valuesKey``) needs a list to choose from:
    with none, nobody could ever refuse (the field is required when refusing) or would pick blind."""
    if metadata.uses_entry_data:  # the provisions come from each case's 事项库 entry (its 法定依据)
        return
    lists = provision_lists(metadata)
    for field_key, source in values_keys(form).items():
        if source.endswith(REFUSAL_KEY) and not lists.get(source):
            permit = source[:-len(REFUSAL_KEY)].rstrip("_")
            where = f"[permits.{permit}] refusal_provisions" if permit else "refusal_provisions"
            checker.add(file, element_id, f"人工任务“{name}”的字段“{field_key}”须从本事项的条款中选择，"
                                          f"但 matter.toml 未配置 {where}（不予许可可引用的条款）")


def _check_dmn_tree(checker: _Checker, file: str, root: etree._Element) -> set[str]:
    decisions: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local == "decision":
            decisions.add(element.get("id", ""))
        elif local == "inputExpression":
            checker.check_expression(file, _id_of(element.getparent()), element.findtext("{*}text"), "决策输入表达式")
        elif local == "outputEntry":
            text = (element.findtext("{*}text") or "").strip()
            if text and text != "-":
                checker.check_expression(file, element.get("id", ""), text, "决策输出")
    return decisions


def compile_definition(files: Mapping[str, str], *, services: Collection[str] = (),
                       max_bytes: int = 2 * 1024 * 1024) -> CompiledDefinition:
    """Check every file of a bundle and build the specs.

    :raise DefinitionInvalid: with every problem found, each naming file and element id.
    """
    checker = _Checker(files, services, max_bytes)
    metadata: MatterMetadata | None = None
    if METADATA_FILE not in files:
        checker.add(METADATA_FILE, "", "缺少事项元数据文件 matter.toml")
    else:
        metadata, problems = parse_metadata(files[METADATA_FILE], METADATA_FILE)
        checker.problems.extend(problems)

    forms: FormRegistry | None
    try:
        forms = FormRegistry.from_mapping(
            {name[len(FORMS_PREFIX):].rsplit(".", 1)[0]: text for name, text in files.items()
             if name.startswith(FORMS_PREFIX)})
    except (FormRegistryError, FormSchemaError) as exc:
        checker.problems.extend(form_problems(exc))
        forms = None

    bpmn_trees: dict[str, etree._ElementTree] = {}
    dmn_trees: dict[str, etree._ElementTree] = {}
    for name, text in files.items():
        if not (name.endswith(".bpmn") or name.endswith(".dmn")):
            continue
        try:
            tree = parse_xml(text, name, max_bytes)
        except UnsafeXml as exc:
            checker.add(name, "", exc.message)
            continue
        (bpmn_trees if name.endswith(".bpmn") else dmn_trees)[name] = tree
    if not bpmn_trees and not any(p.file.endswith(".bpmn") for p in checker.problems):
        checker.add("", "", "事项中没有 BPMN 文件")

    decision_ids: set[str] = set()
    for name, tree in dmn_trees.items():
        decision_ids |= _check_dmn_tree(checker, name, tree.getroot())
    documents = {name[len(DOCUMENTS_PREFIX):-len(".html")] for name in files
                 if name.startswith(DOCUMENTS_PREFIX) and name.endswith(".html")}
    shared_titles, title_problems = shared_document_titles(files)
    checker.problems.extend(title_problems)
    collected = _Collected(metadata=metadata, forms=forms, decision_ids=decision_ids, documents=documents,
                           document_titles=document_titles(files, metadata, shared_titles))
    unsupported = []
    for name, tree in bpmn_trees.items():
        _check_bpmn_tree(checker, name, tree.getroot(), collected)
        unsupported.extend(element_problems(name, tree.getroot()))
    checker.problems.extend(unsupported)
    if metadata is not None:
        for task_id in metadata.extra.get("supplement_items", {}):
            if task_id not in collected.human_tasks:
                checker.add(METADATA_FILE, f"supplement_items.{task_id}",
                            f"supplement_items 中的“{task_id}”不是本事项流程图中的人工任务")
        checker.problems.extend(head_problems(metadata, collected.human_tasks, bpmn_trees))

    spec = None
    subprocess_specs: dict[str, BpmnProcessSpec] = {}
    parser = SafeSpiffBpmnParser(max_bytes)
    try:
        for name, tree in dmn_trees.items():
            parser.add_dmn_xml(tree.getroot(), filename=name)
        for name, tree in bpmn_trees.items():
            parser.add_bpmn_xml(tree, filename=name)
        missing = missing_callees(bpmn_trees, set(parser.get_process_ids()))
        checker.problems.extend(missing)
        # With unsupported elements or missing callees SpiffWorkflow would only repeat them, in English.
        if metadata is not None and bpmn_trees and not unsupported and not missing:
            if metadata.process_id not in parser.get_process_ids():
                checker.add(METADATA_FILE, "process_id", f"BPMN 中没有 id 为“{metadata.process_id}”的流程")
            else:
                spec = parser.get_spec(metadata.process_id)
                subprocess_specs = parser.get_subprocess_specs(metadata.process_id)
    except ValidationException as exc:
        checker.add(exc.file_name or "", getattr(exc, "id", "") or "", f"BPMN 校验失败：{exc}")
    except SpiffWorkflowException as exc:
        checker.add("", "", f"BPMN 解析失败：{exc}")
    except etree.LxmlError as exc:
        checker.add("", "", f"XML 解析失败：{exc}")

    if checker.problems or spec is None or metadata is None or forms is None:
        raise DefinitionInvalid(checker.problems or [DefinitionProblem("", "", "无法生成流程规格")])
    return CompiledDefinition(content_hash=content_hash(files), metadata=metadata, files=dict(files), spec=spec,
                              subprocess_specs=subprocess_specs, human_tasks=collected.human_tasks, forms=forms,
                              element_names=collected.element_names,
                              element_properties=collected.element_properties,
                              document_titles=collected.document_titles,
                              pass_through=frozenset(collected.pass_through),
                              catches_events=prepare_events(spec, subprocess_specs))


def files_to_json(files: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(files.items())), ensure_ascii=False)

