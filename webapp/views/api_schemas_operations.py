"""The API schemas of issue 14 (messages from outside a case, incidents), beside ``api_schemas``."""

from __future__ import annotations

from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import BeforeValidator
from pydantic import Field

from webapp.views.api_schemas import ChinaTime
from webapp.views.api_schemas import JsonObject
from webapp.views.api_schemas import Request
from webapp.views.api_schemas import Response
from webapp.views.api_schemas import _empty_as_none


class MessageBody(Request):
    """向等待中的办件发送消息或信号（缴费到账、电子证照签发、他部门确认等）。"""

    name: str = Field(min_length=1, max_length=200, description="消息（或信号）名称，与流程图中的名称一致")
    kind: Literal["message", "signal"] = Field("message", description="message：送达一个办件；signal：所有等待者")
    correlation: dict[str, str] = Field(
        default_factory=dict, description="关联键：办件编号 或 统一社会信用代码（信号可不填，送达所有等待者）")
    payload: Annotated[dict[str, Any], BeforeValidator(_empty_as_none)] = Field(
        default_factory=dict, description="消息内容（JSON 对象）；事项在 matter.toml 中声明了字段时按声明校验")
    matter: str | None = Field(None, description="没有办件等待时，由该事项的消息启动事件新建办件")


class MessageDelivery(Response):
    case_id: int
    case_number: str
    status: str


class MessageResult(Response):
    """消息已送达的办件；started 表示由该消息新建的办件。"""

    kind: str
    name: str
    started: bool
    delivered: list[MessageDelivery]


class Incident(Response):
    """办件异常：出错的环节、错误、当时的数据。"""

    id: int
    case_id: int
    case_number: str
    matter_code: str
    kind: str
    kind_name: str
    element_id: str
    element_name: str
    message: str
    detail: str
    data: JsonObject
    status: str
    status_name: str
    attempts: int
    raised_at: ChinaTime
    resolved_at: ChinaTime | None
    resolved_by: str | None


class IncidentList(Response):
    items: list[Incident]


class IncidentQuery(Request):
    status: Literal["open", "resolved", "closed"] | None = Field("open", description="open（默认）、resolved、closed")
    matter: str | None = Field(None, description="事项编码")


class RetryBody(Request):
    """修正数据后重试出错的环节（记入办件历史）。"""

    data: Annotated[dict[str, Any], BeforeValidator(_empty_as_none)] = Field(
        default_factory=dict, description="要修正的数据项 → 新值")
    reason: str = Field("", max_length=500, description="重试原因（必填）")


class RetryResult(Response):
    case_id: int
    case_number: str
    status: str
    error: str | None
