"""A 事项库 entry: one matter of the national 政务服务事项基本目录及实施清单 as this hall implements it.

``CatalogueEntry`` holds the fields of the national implementation list plus what the platform needs
to run the matter (which diagram, the posts of its 承办 → 审核 → 批准 chain and its 负责人, whether a
现场核查 applies). It is plain data: ``check_entry`` says, field by field and in Chinese, what is wrong
with one; the references it cannot judge alone (organs, departments, posts, deployed diagrams, files)
come in through ``References``.

Codes (GB/T 39554.1-2020, as used by the integrated platform; see docs/domain.md §3.3):

* 基本编码, 12 digits: 2 (level/region) + 2 事项类型 + 5 主项 + 3 子项;
* 实施编码, 31 characters: the implementing organ's 18-character 统一社会信用代码 + 1 行使层级 digit +
  the 12-digit 基本编码 — the prefix of every 办件编号 of the matter;
* 业务办理项编码, 33 characters: 实施编码 + 2 digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields

from engine.forms import is_valid_uscc
from engine.hidden_chars import name_problem
from engine.hidden_chars import text_problem

#: 事项类型 -> its two digits inside the 基本编码 (None: not checked).
MATTER_TYPES: dict[str, str | None] = {
    "行政许可": "01", "行政处罚": "02", "行政强制": "03", "行政征收": "04", "行政给付": "05", "行政检查": "06",
    "行政确认": "07", "行政奖励": "08", "行政裁决": "09", "其他行政权力": "10", "行政备案": None, "公共服务": None,
}
#: 行使层级 -> its digit inside the 实施编码.
LEVELS = {"国家级": "1", "省级": "2", "市级": "3", "县级": "4", "乡镇级": "5", "村级": "6"}
CASE_TYPES = ("即办件", "承诺件")
#: 网办深度: 一级 information online, 二级 forms downloadable, 三级 online pre-review, 四级 fully online.
ONLINE_DEPTHS = ("一级", "二级", "三级", "四级")
MATERIAL_SOURCES = ("申请人自备", "政府部门核发", "中介机构出具", "其他")
MATERIAL_MEDIA = ("纸质", "电子", "纸质和电子")
#: 必要性: 必要 (required), 按需 (only where the case needs it), 可容缺 (may follow after acceptance).
NECESSITIES = ("必要", "按需", "可容缺")
#: The general pattern diagram (``processes/general_permit``) that runs entries with no diagram of their own.
PATTERN_PROCESS = "general_permit"

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_BASIC_CODE = re.compile(r"^\d{12}$")
_IMPLEMENTATION_CODE = re.compile(r"^[0-9A-Z]{31}$")
_PHONE = re.compile(r"^[0-9０-９+\-－() （）、,，/转 ]{3,40}$")


@dataclass(frozen=True)
class Material:
    """One 申请材料 row of the implementation list."""

    name: str
    source: str = "申请人自备"
    medium: str = "纸质"
    copies: int = 1
    necessity: str = "必要"
    #: References (``name#sha256-prefix``) to catalogue files: blank form, filled-in sample.
    blank_form: str = ""
    sample_form: str = ""
    note: str = ""


@dataclass(frozen=True)
class FeeItem:
    item: str
    standard: str
    basis: str


@dataclass(frozen=True)
class CatalogueEntry:
    """One matter of the catalogue. Everything is text or numbers; lists are tuples (hashable, frozen)."""

    code: str
    name: str
    basic_code: str
    implementation_code: str
    matter_type: str
    #: 实施主体 and 承办机构: codes of an organ and one of its departments in the organisation model.
    organ_code: str
    department_code: str
    level: str
    legal_basis: tuple[str, ...]
    case_type: str
    statutory_limit_wd: int
    promised_limit_wd: int
    result_name: str
    materials: tuple[Material, ...]
    #: The deployed matter whose diagram runs this entry: its own code, or ``PATTERN_PROCESS``.
    process: str = PATTERN_PROCESS
    handling_item_code: str = ""
    handling_item: str = ""
    conditions: tuple[str, ...] = ()
    extension_limit_wd: int = 0
    #: Empty: 不收费.
    fees: tuple[FeeItem, ...] = ()
    place: str = ""
    hours: str = ""
    consult_phone: str = ""
    complaint_phone: str = ""
    visits: int = 0
    online_depth: str = "四级"
    special_procedures: tuple[str, ...] = ()
    result_sample: str = ""
    #: Post codes (candidate groups) of the chain the pattern runs, and of the organ's head.
    chengban_post: str = ""
    shenhe_post: str = ""
    pizhun_post: str = ""
    fzr_post: str = ""
    #: 现场核查 (two officers of ``inspection_post``) applies.
    site_check: bool = False
    inspection_post: str = ""
    #: 数据说明, e.g. "示例数据" where limits or fees are not a real hall's.
    data_note: str = ""
    active: bool = True

    @property
    def is_pattern_run(self) -> bool:
        return self.process == PATTERN_PROCESS

    @property
    def fee_text(self) -> str:
        return "不收费" if not self.fees else "；".join(f"{f.item}：{f.standard}" for f in self.fees)


ENTRY_FIELDS = tuple(f.name for f in fields(CatalogueEntry))


@dataclass(frozen=True)
class References:
    """What ``check_entry`` asks the outside world (the organisation, deployments, the file store)."""

    #: organ code -> (credit code, active)
    organs: dict[str, tuple[str, bool]] = field(default_factory=dict)
    #: department code -> organ code
    departments: dict[str, str] = field(default_factory=dict)
    #: post code -> organ code
    posts: dict[str, str] = field(default_factory=dict)
    #: Deployed matter codes a ``process`` may name.
    processes: frozenset[str] = frozenset()
    #: Is this a known file reference?
    has_file: Callable[[str], bool] = lambda ref: False


def _text_error(label: str, value: str, *, required: bool, max_length: int, name: bool = False) -> str | None:
    if required and not value.strip():
        return f"请填写{label}"
    if len(value) > max_length:
        return f"{label}不能超过 {max_length} 个字"
    problem = (name_problem if name else text_problem)(value) if value else None
    return f"{label}{problem}" if problem else None


def _code_errors(entry: CatalogueEntry, refs: References, errors: dict[str, str]) -> None:
    if not _BASIC_CODE.match(entry.basic_code):
        errors["basic_code"] = "基本编码应为 12 位数字"
    elif (digits := MATTER_TYPES.get(entry.matter_type)) and entry.basic_code[2:4] != digits:
        errors["basic_code"] = f"基本编码第 3–4 位应为事项类型“{entry.matter_type}”的代码 {digits}"
    code = entry.implementation_code
    if not _IMPLEMENTATION_CODE.match(code):
        errors["implementation_code"] = "实施编码应为 31 位大写字母或数字（18 位信用代码 + 1 位层级 + 12 位基本编码）"
        return
    if not is_valid_uscc(code[:18]):
        errors["implementation_code"] = "实施编码前 18 位应为有效的统一社会信用代码（校验位不正确）"
    elif entry.organ_code in refs.organs and code[:18] != (organ_code := refs.organs[entry.organ_code][0]):
        errors["implementation_code"] = f"实施编码前 18 位应为实施主体的统一社会信用代码 {organ_code}"
    elif entry.level in LEVELS and code[18] != LEVELS[entry.level]:
        errors["implementation_code"] = f"实施编码第 19 位应为行使层级“{entry.level}”的代码 {LEVELS[entry.level]}"
    elif "basic_code" not in errors and code[19:] != entry.basic_code:
        errors["implementation_code"] = "实施编码后 12 位应与基本编码一致"
    if entry.handling_item_code and not (len(entry.handling_item_code) == 33
                                         and entry.handling_item_code[:31] == code
                                         and entry.handling_item_code[31:].isdigit()):
        errors["handling_item_code"] = "业务办理项编码应为实施编码加 2 位数字（共 33 位）"


def _limit_errors(entry: CatalogueEntry, errors: dict[str, str]) -> None:
    if entry.statutory_limit_wd < 1:
        errors["statutory_limit_wd"] = "法定办结时限应为正整数（工作日）"
    floor = 0 if entry.case_type == "即办件" else 1
    if entry.promised_limit_wd < floor:
        errors["promised_limit_wd"] = ("承诺办结时限应为正整数（工作日）" if floor else
                                       "承诺办结时限不能为负数")
    elif entry.promised_limit_wd > entry.statutory_limit_wd >= 1:
        errors["promised_limit_wd"] = "承诺办结时限不能超过法定办结时限"
    if entry.extension_limit_wd < 0:
        errors["extension_limit_wd"] = "可延长时限不能为负数"
    if entry.visits < 0 or entry.visits > 9:
        errors["visits"] = "到现场次数应为 0–9 的整数"


def _material_errors(entry: CatalogueEntry, refs: References, errors: dict[str, str]) -> None:
    if not entry.materials:
        errors["materials"] = "至少列明一项申请材料"
        return
    names: set[str] = set()
    for number, material in enumerate(entry.materials, start=1):
        where = f"第 {number} 项材料"
        problem = _text_error("材料名称", material.name, required=True, max_length=200, name=True)
        if problem is None and material.name in names:
            problem = f"材料名称“{material.name}”重复"
        for label, value, choices in (("来源渠道", material.source, MATERIAL_SOURCES),
                                      ("纸质/电子", material.medium, MATERIAL_MEDIA),
                                      ("必要性", material.necessity, NECESSITIES)):
            if problem is None and value not in choices:
                problem = f"{label}应为 {'、'.join(choices)} 之一"
        if problem is None and not 1 <= material.copies <= 99:
            problem = "份数应为 1–99 的整数"
        for label, ref in (("空白表格", material.blank_form), ("示例样表", material.sample_form)):
            if problem is None and ref and not refs.has_file(ref):
                problem = f"{label}文件“{ref}”不存在（请先在事项库文件页上传）"
        if problem is None:
            problem = _text_error("备注", material.note, required=False, max_length=200)
        if problem is not None:
            errors["materials"] = f"{where}：{problem}"
            return
        names.add(material.name)


def _organisation_errors(entry: CatalogueEntry, refs: References, errors: dict[str, str]) -> None:
    organ = refs.organs.get(entry.organ_code)
    if organ is None:
        errors["organ_code"] = f"实施主体“{entry.organ_code}”不在组织机构中" if entry.organ_code else "请填写实施主体"
        return
    if not organ[1]:
        errors["organ_code"] = "实施主体已停用"
    if refs.departments.get(entry.department_code) != entry.organ_code:
        errors["department_code"] = "承办机构应为实施主体的一个科室"
    chain = {"chengban_post": "承办岗位", "shenhe_post": "审核岗位", "pizhun_post": "批准岗位",
             "fzr_post": "负责人岗位", "inspection_post": "核查岗位"}
    for key, label in chain.items():
        post = getattr(entry, key)
        required = entry.is_pattern_run and key != "inspection_post" or (key == "inspection_post" and entry.site_check)
        if not post:
            if required:
                errors[key] = f"请填写{label}" + ("（通用流程按该岗位派发任务）" if key != "inspection_post" else
                                                "（现场核查由该岗位两名人员进行）")
        elif post not in refs.posts:
            errors[key] = f"{label}“{post}”不在组织机构中"
        elif refs.posts[post] != entry.organ_code:
            errors[key] = f"{label}“{post}”不属于实施主体"


def check_entry(entry: CatalogueEntry, refs: References) -> dict[str, str]:
    """Field -> what is wrong (Chinese); empty when the entry may be stored."""
    errors: dict[str, str] = {}
    if not _CODE.match(entry.code):
        errors["code"] = "事项代码只能包含小写字母、数字和下划线，且以字母开头（2–63 位）"
    for key, label, required, length, is_name in (
            ("name", "事项名称", True, 100, True), ("handling_item", "业务办理项", False, 100, True),
            ("result_name", "结果名称", True, 100, True), ("place", "办理地点", False, 200, False),
            ("hours", "办理时间", False, 200, False), ("data_note", "数据说明", False, 50, False)):
        problem = _text_error(label, getattr(entry, key), required=required, max_length=length, name=is_name)
        if problem:
            errors[key] = problem
    if entry.matter_type not in MATTER_TYPES:
        errors["matter_type"] = f"事项类型应为 {'、'.join(MATTER_TYPES)} 之一"
    if entry.level not in LEVELS:
        errors["level"] = f"行使层级应为 {'、'.join(LEVELS)} 之一"
    if entry.case_type not in CASE_TYPES:
        errors["case_type"] = f"办件类型应为 {' 或 '.join(CASE_TYPES)}"
    if entry.online_depth not in ONLINE_DEPTHS:
        errors["online_depth"] = f"网办深度应为 {'、'.join(ONLINE_DEPTHS)} 之一"
    _code_errors(entry, refs, errors)
    _limit_errors(entry, errors)
    for key, label in (("legal_basis", "法定依据"), ("conditions", "受理条件"), ("special_procedures", "特别程序")):
        lines = getattr(entry, key)
        if key == "legal_basis" and not lines:
            errors[key] = "请填写法定依据（每行一条，写明法律法规名称及条款）"
        elif any(_text_error(label, line, required=True, max_length=300) for line in lines):
            errors[key] = f"{label}每行不超过 300 字，且不能含控制字符"
    for number, fee in enumerate(entry.fees, start=1):
        if not (fee.item.strip() and fee.standard.strip() and fee.basis.strip()):
            errors["fees"] = f"第 {number} 项收费应写明项目、标准和依据（不收费则填“不收费”）"
            break
    for key, label in (("consult_phone", "咨询电话"), ("complaint_phone", "投诉电话")):
        value = getattr(entry, key)
        if value and not _PHONE.match(value):
            errors[key] = f"{label}格式不正确"
    if entry.result_sample and not refs.has_file(entry.result_sample):
        errors["result_sample"] = f"结果样本文件“{entry.result_sample}”不存在（请先在事项库文件页上传）"
    if not _CODE.match(entry.process):
        errors["process"] = "办理流程应为事项代码（如 general_permit）"
    elif entry.process != PATTERN_PROCESS and entry.process not in refs.processes:
        errors["process"] = f"办理流程“{entry.process}”尚未部署（可填 {PATTERN_PROCESS} 使用通用流程）"
    _material_errors(entry, refs, errors)
    _organisation_errors(entry, refs, errors)
    return errors
