"""Converting what Camunda 7 / Flowable diagrams commonly hold into what this engine runs.

The import page shows every translation before anything is saved: JUEL conditions and expressions
(``juel``), generated forms (``camunda:formData`` → a form-js ``.form``), ``camunda:assignee``
(JUEL or a user name → our Python assignee expression), ``camunda:candidateUsers`` (dropped with
a note when the task also has candidate groups; otherwise refused by the checks, with that note) and
external tasks whose topic is an allowlisted HTTP endpoint (→ a service task calling it).
What cannot be converted is left in place, and the checks refuse it naming the expression.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.definitions.references import BPMN_NS
from engine.definitions.references import CAMUNDA_NS
from engine.definitions.references import SPIFF_NS
from engine.errors import DefinitionProblem
from engine.runtime.spiff.http_task import HTTP_PREFIX
from engine.services.design.juel import Untranslatable
from engine.services.design.juel import is_juel
from engine.services.design.juel import juel_to_python

_EXPRESSION_TAGS = ("conditionExpression", "timeDuration", "timeDate", "timeCycle", "loopCardinality",
                    "completionCondition")
_FIELD_TYPES = {"string": "textfield", "long": "number", "integer": "number", "double": "number",
                "boolean": "checkbox", "date": "datetime", "enum": "select"}
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Translation:
    """One change the import made to the designer's diagram, as the import page lists it."""

    file: str
    element_id: str
    what: str
    before: str
    after: str


def _owner(element: etree._Element) -> etree._Element:
    current: etree._Element | None = element
    while current is not None:
        if isinstance(current.tag, str) and current.get("id") and etree.QName(current).localname not in (
                "timerEventDefinition", "multiInstanceLoopCharacteristics", "conditionExpression"):
            return current
        current = current.getparent()
    return element


def _form_component(field: etree._Element, problems: list[str]) -> dict[str, Any] | None:
    key = field.get("id") or ""
    kind = field.get("type") or "string"
    if not _KEY.match(key):
        problems.append(f"字段 id“{key}”不是有效的字段名")
        return None
    if kind not in _FIELD_TYPES:
        problems.append(f"字段“{key}”的类型“{kind}”不受支持")
        return None
    component: dict[str, Any] = {"type": _FIELD_TYPES[kind], "id": f"Field_{key}", "key": key,
                                 "label": field.get("label") or key}
    if kind in ("long", "integer"):
        component["decimalDigits"] = 0
    if kind == "date":
        component["subtype"] = "date"
    if kind == "enum":
        component["values"] = [{"label": v.get("name") or v.get("id") or "", "value": v.get("id") or ""}
                               for v in field.iterfind(f"{{{CAMUNDA_NS}}}value")]
    if field.get("defaultValue") not in (None, ""):
        default = field.get("defaultValue") or ""
        component["defaultValue"] = (default == "true") if kind == "boolean" else (
            float(default) if kind == "double" else int(default) if kind in ("long", "integer") and
            default.lstrip("-").isdigit() else default)
    validate: dict[str, Any] = {}
    for constraint in field.iterfind(f"{{{CAMUNDA_NS}}}validation/{{{CAMUNDA_NS}}}constraint"):
        name, config = constraint.get("name") or "", constraint.get("config") or ""
        if name == "required":
            validate["required"] = True
        elif name in ("minlength", "maxlength") and config.isdigit():
            validate["minLength" if name == "minlength" else "maxLength"] = int(config)
        elif name in ("min", "max"):
            try:
                validate[name] = float(config) if "." in config else int(config)
            except ValueError:
                problems.append(f"字段“{key}”的约束 {name}=“{config}”不是数字")
        elif name == "readonly":
            component["readonly"] = True
        else:
            problems.append(f"字段“{key}”的约束“{name}”不受支持")
    if validate:
        component["validate"] = validate
    return component


def _convert_form_data(file: str, element: etree._Element, forms: dict[str, str],
                       translations: list[Translation], problems: list[DefinitionProblem]) -> None:
    data = element.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}formData")
    if data is None:
        return
    element_id = element.get("id") or ""
    if element.get(f"{{{CAMUNDA_NS}}}formKey"):
        return  # the checks explain the conflict
    wrong: list[str] = []
    components = [c for c in (_form_component(f, wrong) for f in data.iterfind(f"{{{CAMUNDA_NS}}}formField")) if c]
    if wrong:
        problems.append(DefinitionProblem(file, element_id,
                                          "生成式表单（camunda:formData）无法转换：" + "；".join(wrong)))
        return
    key = re.sub(r"[^A-Za-z0-9_]", "_", element_id)
    form = {"type": "default", "id": f"Form_{key}", "schemaVersion": 16, "components": components}
    forms[key] = json.dumps(form, ensure_ascii=False, indent=2)
    element.set(f"{{{CAMUNDA_NS}}}formKey", f"camunda-forms:app:{key}.form")
    data.getparent().remove(data)
    fields = "、".join(f"{c['label']}（{c['type']}）" for c in components)
    translations.append(Translation(file, element_id, "生成式表单 → form-js 表单",
                                    f"camunda:formData（{len(components)} 个字段）", f"forms/{key}.form：{fields}"))


def _convert_people(file: str, element: etree._Element, translations: list[Translation],
                    problems: list[DefinitionProblem]) -> None:
    element_id = element.get("id") or ""
    assignee = element.get(f"{{{CAMUNDA_NS}}}assignee")
    if assignee:
        try:
            after = juel_to_python(assignee) if is_juel(assignee) else repr(assignee.strip())
        except Untranslatable as exc:
            problems.append(DefinitionProblem(file, element_id, f"办理人“{assignee}”无法转换：{exc.message}"))
        else:
            element.set(f"{{{CAMUNDA_NS}}}assignee", after)
            translations.append(Translation(file, element_id, "办理人（camunda:assignee）", assignee,
                                            f"{after}（签收人：该表达式的值，为空时由办理角色签收）"))
    users = element.get(f"{{{CAMUNDA_NS}}}candidateUsers")
    if users and element.get(f"{{{CAMUNDA_NS}}}candidateGroups"):
        del element.attrib[f"{{{CAMUNDA_NS}}}candidateUsers"]
        groups = element.get(f"{{{CAMUNDA_NS}}}candidateGroups")
        translations.append(Translation(file, element_id, "候选人（camunda:candidateUsers）", users,
                                        f"未导入：本系统按岗位派件，由办理角色 {groups} 办理"))


def _parameter(name: str, item: etree._Element, problems: list[str]) -> str | None:
    """A ``camunda:inputParameter`` as a Python expression (JUEL translated, text as a string)."""
    if len(item):
        problems.append(f"输入参数“{name}”使用了 map/list/script，只支持文本或 JUEL 表达式")
        return None
    text = (item.text or "").strip()
    try:
        return juel_to_python(text) if is_juel(text) else repr(text)
    except Untranslatable as exc:
        problems.append(f"输入参数“{name}”无法转换：{exc.message}")
        return None


def _convert_external_task(file: str, element: etree._Element, endpoints: frozenset[str],
                           translations: list[Translation], problems: list[DefinitionProblem]) -> None:
    """An external task whose topic is an allowlisted endpoint becomes a service task calling it
    through the outbox; its input parameters are the request body (other topics: the checks refuse)."""
    topic = (element.get(f"{{{CAMUNDA_NS}}}topic") or "").strip()
    if element.get(f"{{{CAMUNDA_NS}}}type") != "external" or topic not in endpoints:
        return
    element_id = element.get("id") or ""
    extensions = element.find(f"{{{BPMN_NS}}}extensionElements")
    mapping = extensions.find(f"{{{CAMUNDA_NS}}}inputOutput") if extensions is not None else None
    wrong: list[str] = []
    parameters = {}
    for item in mapping.iterfind(f"{{{CAMUNDA_NS}}}inputParameter") if mapping is not None else ():
        name = item.get("name") or ""
        if not _KEY.match(name):
            wrong.append(f"输入参数名“{name}”不是有效的字段名")
        elif (value := _parameter(name, item, wrong)) is not None:
            parameters[name] = value
    if mapping is not None and mapping.find(f"{{{CAMUNDA_NS}}}outputParameter") is not None:
        wrong.append(f"输出参数不受支持：应答整体写入变量“{topic}”")
    if wrong:
        problems.append(DefinitionProblem(file, element_id, "外部任务无法转换：" + "；".join(wrong)))
        return
    if extensions is None:
        extensions = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        element.insert(0, extensions)
    if mapping is not None:
        extensions.remove(mapping)
    operator = etree.SubElement(extensions, f"{{{SPIFF_NS}}}serviceTaskOperator",
                                {"id": f"{HTTP_PREFIX}{topic}", "resultVariable": topic},
                                nsmap={"spiffworkflow": SPIFF_NS})
    holder = etree.SubElement(operator, f"{{{SPIFF_NS}}}parameters")
    for name, value in parameters.items():
        etree.SubElement(holder, f"{{{SPIFF_NS}}}parameter", {"id": name, "type": "any", "value": value})
    for attribute in ("type", "topic"):
        del element.attrib[f"{{{CAMUNDA_NS}}}{attribute}"]
    body = "、".join(f"{k} = {v}" for k, v in parameters.items()) or "空"
    translations.append(Translation(file, element_id, "外部任务 → HTTP 服务任务", f"camunda:topic=\"{topic}\"",
                                    f"经发件箱调用允许清单中的端点 {topic}，请求体：{body}；应答写入 {topic}"))


def convert_camunda(file: str, root: etree._Element, forms: dict[str, str],
                    endpoints: frozenset[str] = frozenset()) -> tuple[list[Translation], list[DefinitionProblem]]:
    """Convert one diagram in place; new forms are added to ``forms``. Returns translations and problems.

    ``endpoints``: the allowlisted HTTP endpoints an external task's topic may name."""
    translations: list[Translation] = []
    problems: list[DefinitionProblem] = []
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        local = etree.QName(element).localname
        if local in _EXPRESSION_TAGS and element.text and is_juel(element.text):
            before = element.text.strip()
            try:
                element.text = juel_to_python(before)
            except Untranslatable:
                continue  # left as written: the checks refuse it, naming the expression and the reason
            owner = _owner(element)
            translations.append(Translation(file, owner.get("id") or "", "JUEL 表达式 → Python", before, element.text))
        elif local in ("serviceTask", "sendTask"):
            _convert_external_task(file, element, endpoints, translations, problems)
        elif local in ("userTask", "startEvent"):
            _convert_form_data(file, element, forms, translations, problems)
            if local == "userTask":
                _convert_people(file, element, translations, problems)
    return translations, problems
