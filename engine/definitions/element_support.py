"""Which BPMN elements the engine runs, and the deploy-time refusal of everything else.

A diagram drawn in another tool may hold elements the five matters never use. Accepting one the
engine cannot run leaves cases that wait forever with no error; so every flow node and event
definition is looked up here: it runs (each row backed by a diagram under tests/fixtures/elements
that a test drives to its end), or it is refused at deploy with file, element id, element name and
a Chinese explanation. processes/README.md prints the same table (a test keeps them equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from engine.errors import DefinitionProblem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


@dataclass(frozen=True)
class Support:
    """One row of the support table."""

    element: str
    #: runs / translated / refused
    status: str
    note: str
    #: The test diagram (folder under tests/fixtures/elements) that shows it running or refused.
    fixture: str


PASS_NOTE = "无表单时直接通过（同 Camunda）；写了 camunda:formKey 即为人工任务"

#: Flow nodes, by local name. Event nodes are further checked by their event definitions below.
FLOW_NODES: dict[str, Support] = {s.element: s for s in (
    Support("userTask", "runs", "人工任务：camunda:formKey 表单 + candidateGroups 办理角色", "el_event_gateway"),
    Support("task", "runs", PASS_NOTE, "el_pass_through"),
    Support("manualTask", "runs", PASS_NOTE, "el_pass_through"),
    Support("scriptTask", "runs", "Python 脚本，在沙箱中运行", "el_pass_through"),
    Support("serviceTask", "runs", "只能调用已注册的服务操作（spiffworkflow:serviceTaskOperator）", "el_service_task"),
    Support("businessRuleTask", "runs", "DMN 决策（spiffworkflow:calledDecisionId）", "el_service_task"),
    Support("callActivity", "runs", "调用本事项或 _common 中的子流程", "el_error_boundary"),
    Support("subProcess", "runs", "嵌入子流程（事件子流程除外）", "el_error_boundary"),
    Support("exclusiveGateway", "runs", "排他网关，条件为 Python 表达式，须有默认流向", "el_event_gateway"),
    Support("parallelGateway", "runs", "并行网关", "el_confirmation"),
    Support("inclusiveGateway", "runs", "包容网关", "el_inclusive"),
    Support("eventBasedGateway", "runs", "事件网关：消息、定时器、信号分支，先到者走", "el_event_gateway"),
    Support("receiveTask", "runs", "等待消息（POST /api/v1/messages 或本办件内发出的消息）", "el_receive_task"),
    Support("sendTask", "runs", "发出消息，由本办件内等待该消息的环节接收", "el_confirmation"),
    Support("startEvent", "runs", "空启动、消息启动；可有多个启动事件", "el_several_starts"),
    Support("endEvent", "runs", "空结束、终止结束、错误结束", "el_error_boundary"),
    Support("intermediateCatchEvent", "runs", "等待消息、定时器或信号", "el_message_catch"),
    Support("intermediateThrowEvent", "runs", "空事件（里程碑）、发出消息或信号", "el_confirmation"),
    Support("boundaryEvent", "runs", "定时器、消息、信号、错误边界事件", "el_message_boundary"),
    Support("complexGateway", "refused", "复杂网关不受支持，请改用包容网关或排他网关", "el_refused"),
    Support("transaction", "refused", "事务子流程（含取消与补偿）不受支持", "el_refused"),
    Support("adHocSubProcess", "refused", "自由子流程不受支持，请画出顺序流", "el_refused"),
)}

#: Other elements with a row of their own (attributes and markers inside flow nodes).
OTHER: dict[str, Support] = {s.element: s for s in (
    Support("subProcess triggeredByEvent", "refused", "事件子流程不受支持，请改用边界事件", "el_refused"),
    Support("standardLoopCharacteristics", "refused", "循环标记不受支持，请用排他网关画出回路", "el_refused"),
    Support("serviceTaskOperator http:", "runs",
            "服务任务经发件箱调用允许清单中的 HTTP 端点（http:端点名，ONEWINDOW_SERVICE_ENDPOINTS），"
            "参数为 JSON 请求体，应答写入 resultVariable；多次失败即为异常，可在运维台重试", "el_http_service"),
    Support("multiInstanceLoopCharacteristics", "runs", "多实例（会签）：输出项须由表单写入", "incident_mi"),
    Support("dataStoreReference", "refused", "数据存储不受支持：办件数据保存在办件中，外部数据请用已注册的服务任务读取",
            "el_refused"),
)}

#: Event definitions, by local name, and the event kinds they may appear on.
EVENT_DEFINITIONS: dict[str, tuple[frozenset[str], str]] = {
    "messageEventDefinition": (frozenset({"startEvent", "intermediateCatchEvent", "boundaryEvent",
                                          "intermediateThrowEvent"}), "消息结束事件不受支持，请在结束前用发送任务"),
    "timerEventDefinition": (frozenset({"intermediateCatchEvent", "boundaryEvent"}),
                             "定时器只能用于中间事件和边界事件：办件由申请启动，不能定时启动"),
    "signalEventDefinition": (frozenset({"intermediateCatchEvent", "boundaryEvent", "intermediateThrowEvent"}),
                              "信号只能用于中间事件和边界事件（不能启动或结束办件）"),
    "errorEventDefinition": (frozenset({"boundaryEvent", "endEvent"}), "错误事件只能用于边界事件与结束事件"),
    "terminateEventDefinition": (frozenset({"endEvent"}), "终止事件只能用于结束事件"),
}

REFUSED_EVENT_DEFINITIONS: dict[str, str] = {
    "conditionalEventDefinition": "条件事件不受支持：请在网关上写条件",
    "escalationEventDefinition": "升级事件不受支持：请用错误事件或消息",
    "compensateEventDefinition": "补偿事件不受支持",
    "linkEventDefinition": "链接事件不受支持：请直接连线",
    "cancelEventDefinition": "取消事件不受支持（仅用于事务子流程）",
}

EVENT_NAMES = {"startEvent": "启动事件", "endEvent": "结束事件", "intermediateCatchEvent": "中间捕获事件",
               "intermediateThrowEvent": "中间抛出事件", "boundaryEvent": "边界事件"}


def _problem(file: str, element: etree._Element, local: str, why: str) -> DefinitionProblem:
    name = element.get("name") or ""
    label = f"“{name}”" if name else ""
    return DefinitionProblem(file, element.get("id", ""), f"{label}（bpmn:{local}）无法执行：{why}")


def _event_problems(file: str, element: etree._Element, local: str) -> list[DefinitionProblem]:
    definitions = [child for child in element if isinstance(child.tag, str)
                   and child.tag.startswith(f"{{{BPMN_NS}}}") and child.tag.endswith("EventDefinition")]
    if len(definitions) > 1:
        return [_problem(file, element, local, "一个事件带多个事件定义（多重事件）不受支持，请拆成事件网关的分支")]
    if not definitions:
        if local in ("intermediateCatchEvent", "boundaryEvent"):
            return [_problem(file, element, local, f"{EVENT_NAMES[local]}没有事件定义，永远不会被触发")]
        return []
    kind = etree.QName(definitions[0]).localname
    if kind in REFUSED_EVENT_DEFINITIONS:
        return [_problem(file, element, local, REFUSED_EVENT_DEFINITIONS[kind])]
    if kind not in EVENT_DEFINITIONS:
        return [_problem(file, element, local, f"不支持的事件定义 {kind}")]
    allowed, why = EVENT_DEFINITIONS[kind]
    if local not in allowed:
        return [_problem(file, element, local, why or f"{kind} 不能用于{EVENT_NAMES.get(local, local)}")]
    ref = {"messageEventDefinition": "messageRef", "signalEventDefinition": "signalRef"}.get(kind)
    if ref and not definitions[0].get(ref):
        what = "消息" if ref == "messageRef" else "信号"
        return [_problem(file, element, local, f"没有指定{what}（{ref}），永远不会被触发")]
    return []


def element_problems(file: str, root: etree._Element) -> list[DefinitionProblem]:
    """Every element of one BPMN file the engine would accept but could not run."""
    problems: list[DefinitionProblem] = []
    for process in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess", f"{{{BPMN_NS}}}transaction",
                             f"{{{BPMN_NS}}}adHocSubProcess"):
        for element in process:
            if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
                continue
            local = etree.QName(element).localname
            support = FLOW_NODES.get(local)
            if local == "subProcess" and element.get("triggeredByEvent") == "true":
                problems.append(_problem(file, element, local, OTHER["subProcess triggeredByEvent"].note))
            elif support is not None and support.status == "refused":
                problems.append(_problem(file, element, local, support.note))
            elif local in EVENT_NAMES:
                problems.extend(_event_problems(file, element, local))
            elif local in ("receiveTask", "sendTask") and not element.get("messageRef"):
                problems.append(_problem(file, element, local, "没有指定消息（messageRef）"))
            elif local == "dataStoreReference":
                problems.append(_problem(file, element, local, OTHER["dataStoreReference"].note))
            if element.find(f"{{{BPMN_NS}}}standardLoopCharacteristics") is not None:
                problems.append(_problem(file, element, local, OTHER["standardLoopCharacteristics"].note))
    return problems


def missing_callees(trees: Mapping[str, etree._ElementTree], known: set[str]) -> list[DefinitionProblem]:
    """Call activities naming a process no file of the bundle (nor ``_common``) defines."""
    found = []
    for name, tree in trees.items():
        for call in tree.getroot().iter(f"{{{BPMN_NS}}}callActivity"):
            callee = (call.get("calledElement") or "").strip()
            if callee not in known:
                label = f"“{call.get('name')}”" if call.get("name") else ""
                have = "、".join(sorted(known)) or "无"
                found.append(DefinitionProblem(name, call.get("id", ""), f"调用活动{label}调用的子流程“{callee}”不存在"
                                               f"（本事项和 processes/_common 中有：{have}）"))
    return found


def support_rows() -> list[Support]:
    """The table processes/README.md prints, in its order."""
    return [*FLOW_NODES.values(), *OTHER.values()]
