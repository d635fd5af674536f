"""What changed between two versions of a matter: flow elements by id, ``matter.toml`` keys, forms, other files.

An element's *signature* is what a designer can change on it in a comparable form (attributes,
expressions, timers, element properties, extensions). Migration uses the same signatures: a case
may only move when the elements it has worked on or waits on have the same signature in both versions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.definitions.catalog import COMMON_PREFIX
from engine.definitions.catalog import FORMS_PREFIX
from engine.definitions.catalog import METADATA_FILE
from engine.definitions.references import BPMN_NS
from engine.definitions.references import CAMUNDA_NS
from engine.definitions.references import SPIFF_NS
from engine.definitions.safexml import parse_xml
from engine.errors import UnsafeXml
from engine.services.context import EngineContext
from engine.services.design.common import ELEMENT_TYPES
from engine.services.design.common import files_of
from engine.services.design.common import local_name
from engine.services.design.common import read_toml
from engine.services.design.common import short
from engine.services.design.limits import LIMIT_LABELS
from engine.services.design.versions import version_record
from engine.services.design.views import ElementChange
from engine.services.design.views import KeyChange
from engine.services.design.views import VersionDiff

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ATTRIBUTE_LABELS = {
    "camunda:formKey": "表单", "camunda:candidateGroups": "办理角色", "camunda:assignee": "办理人",
    "camunda:candidateUsers": "候选人", "default": "默认分支", "sourceRef": "起点", "targetRef": "终点",
    "calledElement": "调用的流程", "attachedToRef": "附着的环节", "cancelActivity": "是否中断",
    "scriptFormat": "脚本语言", "camunda:dueDate": "到期时间", "camunda:priority": "优先级",
}
TEXT_LABELS = {"condition": "条件表达式", "script": "脚本", "documentation": "说明", "timeDuration": "定时器（时长）",
               "timeDate": "定时器（日期）", "timeCycle": "定时器（周期）", "loopCardinality": "多实例数量",
               "completionCondition": "多实例完成条件"}
METADATA_LABELS = {
    "code": "事项代码", "name": "事项名称", "department": "实施部门", "implementation_code": "实施编码",
    "process_id": "流程 id", "case_type": "办件类型", **LIMIT_LABELS, "legal_basis": "设定依据",
    "conditions": "申请条件", "materials": "申请材料", "fee": "收费", "description": "说明",
    "lane_roles": "泳道角色", "starter_groups": "可申办的角色",
}
_FLOW_CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
_NOT_FLOW = frozenset({"laneSet", "extensionElements", "documentation", "ioSpecification", "property",
                       "textAnnotation", "association", "group", "incoming", "outgoing"})



def _qname(name: str) -> str:
    if not name.startswith("{"):
        return name
    namespace, local = name[1:].split("}", 1)
    prefix = {BPMN_NS: "", CAMUNDA_NS: "camunda:", SPIFF_NS: "spiffworkflow:", XSI_NS: "xsi:"}.get(namespace)
    return f"{prefix}{local}" if prefix is not None else f"{{{namespace}}}{local}"


def _is_flow_element(element: etree._Element) -> bool:
    parent = element.getparent()
    return (isinstance(element.tag, str) and element.tag.startswith(f"{{{BPMN_NS}}}") and parent is not None
            and parent.tag in {f"{{{BPMN_NS}}}{c}" for c in _FLOW_CONTAINERS} and bool(element.get("id"))
            and local_name(element) not in _NOT_FLOW)


def _attributes_text(element: etree._Element) -> str:
    return ",".join(f"{_qname(k)}={v}" for k, v in sorted(element.attrib.items()))


def _canonical(element: etree._Element) -> str:
    if not isinstance(element.tag, str):
        return ""
    children = "".join(_canonical(child) for child in element)
    return f"<{_qname(element.tag)} {_attributes_text(element)}>{(element.text or '').strip()}{children}</>"


@dataclass(frozen=True)
class Signature:
    """What a designer can change on one flow element, in a comparable form."""

    kind: str
    name: str
    file: str
    attributes: dict[str, str]
    texts: dict[str, str]
    properties: dict[str, str]
    other: str


#: BPMN attribute defaults: writing or omitting them is the same diagram (bpmn-js drops some when saving).
_DEFAULT_ATTRIBUTES = {"cancelActivity": "true", "isInterrupting": "true", "parallelMultiple": "false",
                       "isForCompensation": "false", "startQuantity": "1", "completionQuantity": "1",
                       "gatewayDirection": "Unspecified", "instantiate": "false", "triggeredByEvent": "false"}


def _signature(element: etree._Element, file: str) -> Signature:
    attributes = {_qname(k): v for k, v in element.attrib.items()
                  if k not in ("id", "name") and _DEFAULT_ATTRIBUTES.get(k) != v}
    texts: dict[str, str] = {}
    properties: dict[str, str] = {}
    other: list[str] = []
    for child in element:
        local = local_name(child)
        if not local or local in ("incoming", "outgoing") or _is_flow_element(child) or local == "laneSet":
            continue
        if local == "conditionExpression":
            texts["condition"] = (child.text or "").strip()
            other.append(f"<condition {_attributes_text(child)}>")
        elif local == "script" or local == "documentation":
            texts[local] = (child.text or "").strip()
        elif local == "timerEventDefinition":
            for timer in child:
                if local_name(timer):
                    texts[local_name(timer)] = (timer.text or "").strip()
        elif local == "multiInstanceLoopCharacteristics":
            for part in child:
                if local_name(part) in ("loopCardinality", "completionCondition"):
                    texts[local_name(part)] = (part.text or "").strip()
            other.append(f"<multiInstance {_attributes_text(child)}>")
        elif local == "extensionElements":
            for extension in child:
                if extension.tag == f"{{{CAMUNDA_NS}}}properties":
                    for prop in extension:
                        if isinstance(prop.tag, str) and prop.get("name"):
                            properties[prop.get("name") or ""] = prop.get("value") or ""
                else:
                    other.append(_canonical(extension))
        else:
            other.append(_canonical(child))
    return Signature(kind=local_name(element), name=element.get("name") or "", file=file, attributes=attributes,
                      texts=texts, properties=properties, other="".join(other))


def signatures(files: Mapping[str, str], max_bytes: int) -> dict[str, Signature]:
    """Flow element id -> signature over every diagram of a version (the matter's own first)."""
    found: dict[str, Signature] = {}
    for name in sorted(files, key=lambda n: (n.startswith(COMMON_PREFIX), n)):
        if not name.endswith(".bpmn"):
            continue
        try:
            root = parse_xml(files[name], name, max_bytes).getroot()
        except UnsafeXml:
            continue
        for element in root.iter():
            if _is_flow_element(element):
                found.setdefault(element.get("id") or "", _signature(element, name))
    return found


def describe(old: Signature, new: Signature) -> list[str]:
    details: list[str] = []
    if old.kind != new.kind:
        details.append(f"类型：{ELEMENT_TYPES.get(old.kind, old.kind)} → {ELEMENT_TYPES.get(new.kind, new.kind)}")
    if old.name != new.name:
        details.append(f"名称：“{old.name}” → “{new.name}”")
    for key in sorted(set(old.attributes) | set(new.attributes)):
        before, after = old.attributes.get(key, ""), new.attributes.get(key, "")
        if before != after:
            details.append(f"{ATTRIBUTE_LABELS.get(key, key)}：“{short(before)}” → “{short(after)}”")
    for key in sorted(set(old.texts) | set(new.texts)):
        before, after = old.texts.get(key, ""), new.texts.get(key, "")
        if before != after:
            details.append(f"{TEXT_LABELS.get(key, key)}：“{short(before)}” → “{short(after)}”")
    for key in sorted(set(old.properties) | set(new.properties)):
        before, after = old.properties.get(key, ""), new.properties.get(key, "")
        if before != after:
            details.append(f"元素属性 {key}：“{before}” → “{after}”")
    if old.other != new.other:
        details.append("其他定义（扩展元素、事件定义等）已修改")
    return details


def _element_change(element_id: str, sig: Signature, details: Iterable[str] = ()) -> ElementChange:
    return ElementChange(element_id=element_id, name=sig.name, kind=ELEMENT_TYPES.get(sig.kind, sig.kind),
                         file=sig.file, details=tuple(details))


def _metadata_changes(before_text: str, after_text: str) -> list[KeyChange]:
    before, after = read_toml(before_text), read_toml(after_text)
    changes = []
    for key in sorted(set(before) | set(after), key=lambda k: (k not in METADATA_LABELS, k)):
        if before.get(key) != after.get(key):
            def show(value: Any) -> str:
                return "（无）" if value is None else json.dumps(value, ensure_ascii=False)

            changes.append(KeyChange(key, METADATA_LABELS.get(key, key), show(before.get(key)), show(after.get(key))))
    return changes


def diff_versions(ctx: EngineContext, matter_code: str, v_from: int, v_to: int) -> VersionDiff:
    """What changed between two versions: flow elements (by id), ``matter.toml`` keys, forms, other files."""
    with ctx.uow() as uow:
        old_files = files_of(version_record(uow, matter_code, v_from))
        new_files = files_of(version_record(uow, matter_code, v_to))
    return diff_files(matter_code, v_from, v_to, old_files, new_files, ctx.settings.max_xml_bytes)


def diff_files(matter_code: str, v_from: int, v_to: int, old_files: Mapping[str, str], new_files: Mapping[str, str],
               max_bytes: int = 2 * 1024 * 1024) -> VersionDiff:
    old_sigs, new_sigs = signatures(old_files, max_bytes), signatures(new_files, max_bytes)
    added = [_element_change(i, s) for i, s in new_sigs.items() if i not in old_sigs]
    removed = [_element_change(i, s) for i, s in old_sigs.items() if i not in new_sigs]
    changed = []
    for element_id, old in old_sigs.items():
        new = new_sigs.get(element_id)
        if new is not None:
            details = describe(old, new)
            if details:
                changed.append(_element_change(element_id, new, details))

    def form_names(files: Mapping[str, str]) -> dict[str, str]:
        return {name[len(FORMS_PREFIX):-len(".form")]: text for name, text in files.items()
                if name.startswith(FORMS_PREFIX) and name.endswith(".form")}

    old_forms, new_forms = form_names(old_files), form_names(new_files)
    others = sorted(name for name in set(old_files) | set(new_files)
                    if not name.startswith(FORMS_PREFIX) and name != METADATA_FILE and not name.endswith(".bpmn")
                    and old_files.get(name) != new_files.get(name))
    return VersionDiff(
        matter_code=matter_code, from_version=v_from, to_version=v_to, added=tuple(added), removed=tuple(removed),
        changed=tuple(changed),
        metadata_changes=tuple(_metadata_changes(old_files.get(METADATA_FILE, ""), new_files.get(METADATA_FILE, ""))),
        forms_added=tuple(sorted(set(new_forms) - set(old_forms))),
        forms_removed=tuple(sorted(set(old_forms) - set(new_forms))),
        forms_changed=tuple(sorted(k for k in set(old_forms) & set(new_forms) if old_forms[k] != new_forms[k])),
        other_files_changed=tuple(others))


