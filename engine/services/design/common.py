"""What every part of the designer shares: who may design, what a form key looks like, element labels."""

from __future__ import annotations

import json
import tomllib
from typing import Any

from lxml import etree

from engine.actors import Actor
from engine.definitions.bundles import FILE_KEY
from engine.errors import MatterNotFound
from engine.errors import NotAllowed
from engine.persistence.rows import DefinitionRow

DESIGNER_GROUPS = frozenset({"designer", "admin", "system"})
#: A form's key is its file name under ``forms/`` (the same rule bundles are completed by).
FORM_KEY = FILE_KEY

ELEMENT_TYPES = {
    "userTask": "人工任务", "manualTask": "手工任务", "scriptTask": "脚本任务", "serviceTask": "服务任务",
    "sendTask": "发送任务", "receiveTask": "接收任务", "businessRuleTask": "业务规则任务", "task": "任务",
    "callActivity": "调用活动", "subProcess": "子流程", "transaction": "事务子流程", "adHocSubProcess": "自由子流程",
    "exclusiveGateway": "排他网关", "parallelGateway": "并行网关", "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关", "complexGateway": "复杂网关", "startEvent": "开始事件", "endEvent": "结束事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件", "boundaryEvent": "边界事件",
    "sequenceFlow": "连线", "dataObjectReference": "数据对象", "dataStoreReference": "数据存储",
    "dataObject": "数据对象定义",
}


def require_designer(actor: Actor) -> None:
    if not actor.in_any(DESIGNER_GROUPS):
        raise NotAllowed("只有流程设计人员或管理员可以修改流程定义")


class VersionNotFound(MatterNotFound):
    def __init__(self, matter_code: str, version: int) -> None:
        super().__init__(matter_code)
        self.version = version
        self.message = f"事项“{matter_code}”没有第 {version} 版"
        self.args = (self.message,)


def read_toml(text: str) -> dict[str, Any]:
    """The TOML as a dict, or {} while the designer's text does not parse (the checks report why)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def files_of(version: DefinitionRow) -> dict[str, str]:
    """A stored version's files (the row must have been read with its files)."""
    if version.files_json is None:
        raise ValueError(f"definition {version.id} was read without its files")
    return dict(json.loads(version.files_json))


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def short(text: str, limit: int = 60) -> str:
    """One line of at most ``limit`` characters, for quoting an expression in a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
