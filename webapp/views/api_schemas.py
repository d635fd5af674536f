"""The REST API's request and response schemas (pydantic v2): they validate, shape and document.

Request models validate the JSON body and the query string before a view runs; response models
shape what a view returns from the engine's frozen views (read by attribute); the same classes
generate the OpenAPI document (``webapp.views.openapi``), whose JSON Schema 2020-12 is what
OpenAPI 3.1 speaks. A field added here is validated, returned and documented at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import PlainSerializer
from pydantic import RootModel

from engine.clock import CHINA_TZ

MAX_LIST = 200
#: Tasks per page of ``GET /api/v1/tasks`` unless ``limit`` asks otherwise (keyset paging by ``after``).
TASK_PAGE = 50


def china_iso(value: datetime) -> str:
    """A moment as ISO 8601 in China time (``2025-09-26T23:30:00+08:00``): the API's one time format."""
    return (value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)).astimezone(CHINA_TZ).isoformat()


#: A moment in an answer: always with China time's ``+08:00`` offset (the instant stored in UTC).
ChinaTime = Annotated[datetime, PlainSerializer(china_iso, return_type=str, when_used="json")]


def plain_json(value: Any) -> Any:
    """Dataclasses, dates and containers as plain JSON values (dates and times as ISO 8601 strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return china_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(plain_json(v) for v in value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


#: A JSON object of case data (form values and process variables): dates as ISO strings, whole decimals as integers.
JsonObject = Annotated[dict[str, Any], BeforeValidator(plain_json)]


def _digits_only(value: Any) -> Any:
    """A query-string integer is plain ASCII digits: no sign, space, ``_``, decimal point or other scripts' digits."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("须为整数")
    return value


#: An integer given in the query string.
QueryInt = Annotated[int, BeforeValidator(_digits_only)]


def _empty_as_none(value: Any) -> Any:
    return {} if value is None else value


class Request(BaseModel):
    """Base of request schemas: unknown keys are refused, so a typo is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    """Base of response schemas: filled from the engine's frozen views by attribute."""

    model_config = ConfigDict(from_attributes=True)


# -- requests ------------------------------------------------------------------------------------


class StartCaseBody(Request):
    """申办：``data`` 可预填申请人表单的字段，逐项按表单规则校验。"""

    data: Annotated[dict[str, Any], BeforeValidator(_empty_as_none)] = Field(
        default_factory=dict, description="申请人表单字段 → 值；其他字段返回 422")


class CompleteTaskBody(Request):
    """提交任务表单：``data`` 为表单字段 → 值；文件字段传 ``[{"id": 上传编号}]``。"""

    data: Annotated[dict[str, Any], BeforeValidator(_empty_as_none)] = Field(
        default_factory=dict,
        description='表单字段 → 值；文件字段传 [{"id": 上传编号}]，仅本人上传或本办件已有的文件有效')
    seen_seq: int | None = Field(None, ge=0, description=(
        "读取办件时的 history_seq：其后他人改动了本表单的字段则拒绝提交"
        "（409 stale_form，changes 列出改动），不传则不核对"))


class CaseQuery(Request):
    matter: str | None = Field(None, description="事项编码")
    status: str | None = Field(None, description="状态（running、completed 等）")
    q: str = Field("", description="办件编号或标题检索")
    limit: QueryInt = Field(MAX_LIST, ge=1, le=MAX_LIST, description="最多返回条数")


class TaskQuery(Request):
    matter: str | None = Field(None, description="事项编码")
    limit: QueryInt = Field(TASK_PAGE, ge=1, le=MAX_LIST, description="每页最多返回条数")
    after: str = Field("", pattern=r"^([0-9]{1,18}-[0-9]{1,18})?$",
                       description="上一页返回的 next_after（按创建时间先后翻页，每页代价相同）；省略则为第一页")


# -- responses -----------------------------------------------------------------------------------


class Error(Response):
    """错误：code 为稳定的机器可读错误码（各状态码下列出可能的取值及是否可重试），message 为中文说明。"""

    error: str = Field(description="错误类别")
    code: str = Field(description="稳定的机器可读错误码")
    message: str = Field(description="中文说明")
    errors: dict[str, str] | None = Field(None, description="字段 → 错误说明（仅 422）")
    incident: str | None = Field(None, description="事件编号或办件异常编号（仅 500），联系管理员时提供")


class Matter(Response):
    """事项（最新部署版本）"""

    code: str
    name: str
    department: str
    case_type: str
    statutory_limit_wd: int
    promised_limit_wd: int
    version: int


class MatterList(Response):
    items: list[Matter]


class MatterGuide(Matter):
    """办事指南"""

    definition_id: int
    content_hash: str
    metadata: JsonObject
    task_names: list[str]
    stages: list[dict[str, str]] = Field(description="办理流程：申报、受理、审查、决定、送达（name、who、what、limit）")


Pause = tuple[date, date | None]


class PermitDeadline(Response):
    key: str
    name: str
    statutory_due: date
    promised_due: date
    paused: list[Pause] = Field(description="补正/特别程序暂停区间 [开始, 结束]，未结束时结束为 null")
    statutory_state: str
    promised_state: str


class NoticePeriod(Response):
    """告知书给予申请人的期间（陈述申辩期限）：存储在期限记录中，不影响办理期限"""

    kind: str = Field(description="statement 陈述申辩")
    name: str
    basis: str
    period_wd: int
    started_on: date
    due: date = Field(description="期限届满之日（当日 24 时前）")
    ended_on: date | None = None
    outcome: str = Field("", description="received 已提出 / lapsed 逾期未提出；进行中为空")


class Deadlines(Response):
    """办理时限（工作日已换算为日期）"""

    accepted_on: date
    statutory_due: date
    promised_due: date
    extension_wd: int
    paused: list[Pause] = Field(description="补正/特别程序暂停区间 [开始, 结束]，未结束时结束为 null")
    provisional: bool
    statutory_state: str
    promised_state: str
    finished: bool
    is_paused: bool
    permits: list[PermitDeadline]
    received_on: date | None = Field(None, description="收件日（按闭厅时间认定）")
    acceptance_mode: str = Field("normal", description="normal 受理 / deemed 视为受理 / deferred 容缺受理 / fallback / "
                                                       "commitment 告知承诺受理")
    statutory_limit_wd: int = 0
    promised_limit_wd: int = 0
    extension_limit_wd: int = Field(0, description="可延长的工作日（行政许可法第四十二条）")
    closed_on: date | None = Field(None, description="停止计时之日（作出决定、不予受理、撤回等）")
    periods: list[NoticePeriod] = Field(default_factory=list, description="告知书给予的期间（陈述申辩）")


class CaseSummary(Response):
    """办件概要"""

    id: int
    case_number: str | None = Field(description="办件编号；草稿（尚未提交申请）为 null")
    matter_code: str
    matter_name: str
    title: str
    status: str
    blzt: int | None
    status_name: str
    owner_id: str | None
    received_at: ChinaTime
    completed_at: ChinaTime | None
    current_steps: list[str]
    deadlines: Deadlines | None
    history_seq: int = Field(description="办理记录条数；提交任务时作为 seen_seq 传回，以发现他人的并发改动")


class CaseList(Response):
    items: list[CaseSummary]


class Task(Response):
    """人工任务"""

    id: int
    case_id: int
    case_number: str | None = Field(description="办件编号；草稿为 null")
    task_uuid: str
    element_id: str
    name: str
    lane: str
    candidate_groups: list[str]
    assignee: str | None
    form_key: str
    state: str
    created_at: ChinaTime
    due_at: ChinaTime | None
    matter_code: str


class TaskList(Response):
    items: list[Task]
    next_after: str = Field("", description="下一页的 after 参数；为空表示没有更多")


class DocumentService(Response):
    """文书的送达：申请人选择的方式、送达情况；证照另有送达期限（作出决定之日起 10 个工作日）"""

    kind: Literal["certificate", "decision", "notice"] = Field(
        description="certificate 证照、decision 决定书、notice 告知书")
    channel: Literal["window", "ems", "online"] = Field(description="申请人选择的方式：窗口领取、邮寄（EMS）、电子送达")
    status: Literal["pending", "served"]
    served_at: ChinaTime | None
    served_channel: str = Field(description="实际送达方式（window/ems/online）")
    receiver_name: str
    receiver_id_masked: str = Field(description="领取人身份证号（脱敏）")
    tracking_number: str = Field(description="EMS 运单号")
    warn_on: date | None = Field(description="证照：第 7 个工作日，起向督办人员提示")
    due_on: date | None = Field(description="证照：第 10 个工作日，此后未送达为逾期")
    flag: Literal["", "warning", "overdue"]


class Document(Response):
    """已出具的文书（不含正文）"""

    id: int
    doc_key: str
    title: str
    document_no: str
    permit: str
    element_id: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    issued_at: ChinaTime
    service: DocumentService | None = Field(default=None, description="需送达的文书的送达情况（其余为 null）")


class DocumentContent(Document):
    """文书正文；sha256 为 UTF-8 正文的摘要"""

    html: str


class Submission(Response):
    """已提交的表单（申请、补正；工作人员另见各部门意见），按提交时的原样"""

    seq: int
    element_id: str
    element_name: str
    actor_id: str
    occurred_at: ChinaTime
    values: JsonObject
    form_key: str


class CaseWait(Response):
    """办件正在等待的外部事件（如税务系统的缴税到账消息）"""

    element_id: str
    element_name: str = Field(description="流程图中等待环节的名称")
    kind: str = Field(description="message：消息；signal：信号")
    name: str = Field(description="消息或信号名称（仅工作人员可见，申请人为空）")
    since: ChinaTime | None = Field(description="开始等待的时间")


class TimelineEvent(Response):
    """办理进程的一步：受理、补正、状态变化、送达文书、延长期限、办结"""

    seq: int
    occurred_at: ChinaTime
    event_type: str
    element_id: str
    element_name: str
    details: JsonObject = Field(description="form_submitted：本人提交的值；status_changed：blzt、name、permit；"
                                            "document_issued：doc_key、document_no、title、permit、sha256；"
                                            "deadline_extended：days、reason")


Audience = Literal["applicant", "staff"]


class CaseDetail(CaseSummary):
    """办件详情：按调用者的身份投影，与办件页面所示相同"""

    audience: Audience = Field(description="applicant：申请人（及代办窗口）所见；staff：工作人员所见")
    open_tasks: list[Task] = Field(description="申请人：本人的待办；工作人员：全部待办")
    workable: list[str] = Field(description="调用者现在可以办理的任务（task_uuid）")
    documents: list[Document]
    submissions: list[Submission]
    timeline: list[TimelineEvent] = Field(description="办理进程（申请人可见的节点）")
    waits: list[CaseWait] = Field(description="正在等待的外部消息或信号（没有人工待办时说明办件在等什么）")
    data: JsonObject = Field(description="申请人：本人填写的字段与办件编号；工作人员：全部办理数据")


class HistoryEvent(Response):
    """办理记录（哈希链）"""

    seq: int
    occurred_at: ChinaTime
    event_type: str
    actor_id: str
    actor_role: str
    element_id: str
    element_name: str
    task_uuid: str
    from_state: str
    to_state: str
    data_before: Any
    data_after: Any
    payload: Any
    row_hash: str


class ApplicantHistory(Response):
    """申请人所见的办理进程"""

    audience: Literal["applicant"]
    items: list[TimelineEvent]


class StaffHistory(Response):
    """工作人员与审计所见的完整记录（哈希链）"""

    audience: Literal["staff"]
    items: list[HistoryEvent]


class CaseHistory(RootModel[Annotated[ApplicantHistory | StaffHistory, Field(discriminator="audience")]]):
    """办理记录：申请人得到办理进程，工作人员得到完整的哈希链"""


# -- legal time: the stored deadline record, extensions (art. 42), 特别程序 (art. 45) ----------------


class ExtensionBody(Request):
    """申请延长办理期限：作出决定部门的承办人员提出，写明理由（告知申请人）；两证打包的须指明 permit。"""

    permit: str = Field("", description="证照（两证打包时必填，如 waste）")
    days: int | None = Field(None, description="延长的工作日数（不超过事项规定的可延长时限）")
    reason: str = Field("", description="延期理由，载入延长办理期限告知书")


class DeliveryBody(Request):
    """登记文书送达：窗口领取写明领取人姓名与身份证号，邮寄写明 EMS 运单号。电子送达无需登记：
    申请人本人首次查看文书（GET 文书正文）即为送达回执。"""

    channel: str = Field("", description="window 窗口领取；ems 邮寄送达（online 电子送达不登记）")
    receiver_name: str = Field("", description="窗口领取：领取人姓名")
    receiver_id_number: str = Field("", description="窗口领取：领取人居民身份证号码（18 位，校验位正确）")
    tracking_number: str = Field("", description="邮寄：EMS 运单号（2 位字母 + 9 位数字 + 2 位字母，或 13 位数字）")


class ExtensionDecisionBody(Request):
    approve: bool = Field(description="true 批准；false 不予批准")
    note: str = Field("", description="审批意见")


class SpecialProcedureBody(Request):
    """启动特别程序：事项规定的检验、检测、专家评审等，所需时间不计入期限（行政许可法第四十五条）。"""

    permit: str = Field("", description="证照（两证打包时必填）")
    kind: str = Field("", description="特别程序，须为事项规定的一种（如 检测、专家评审）")
    reason: str = Field("", description="理由，载入特别程序告知书")
    expected_days: int | None = Field(None, description="预计所需工作日")


class SpecialProcedureEndBody(Request):
    permit: str = Field("", description="证照（两证打包时必填）")
    result: str = Field("", description="特别程序的结果")


class ExtensionRequest(Response):
    """延长办理期限申请（行政许可法第四十二条）"""

    id: int
    case_id: int
    permit: str
    permit_name: str
    days: int
    reason: str
    requested_by: str
    requested_at: ChinaTime
    status: Literal["pending", "approved", "refused"]
    decided_by: str | None
    decided_at: ChinaTime | None
    decision_note: str
    approver_title: str = Field(description="有权批准的负责人（作出决定部门的负责人）")


class ExtensionRequestList(Response):
    items: list[ExtensionRequest]


class ExtensionRequestDetail(ExtensionRequest):
    """延期申请及其办件的期限记录"""

    case_number: str
    may_decide: bool = Field(description="调用者可否批准（作出决定部门的负责人）")
    deadlines: Deadlines | None


class LegalTime(Response):
    """办件的办理期限：存储的期限记录（本件及各证照：受理日期、所用时限、暂停及其依据、延期、办结日期）与延期申请"""

    case_id: int
    case_number: str
    deadlines: Deadlines | None
    records: list[JsonObject] = Field(description="期限记录（本件为 permit=\"\"，各证照各一条）")
    extension_requests: list[ExtensionRequest] = Field(description="工作人员：全部申请；申请人：已批准的")
