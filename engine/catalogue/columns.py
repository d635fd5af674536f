"""The catalogue as a table: one row per entry, Chinese column headers, every cell text.

The same columns serve CSV and XLSX, import and export, and the edit page's fields:

* lists (法定依据, 受理条件, 特别程序) hold one item per line;
* 申请材料 holds one material per line, its parts separated by "｜" (or "|"):
  ``名称｜来源渠道｜纸质/电子｜份数｜必要性｜空白表格｜示例样表｜备注`` — trailing parts may be left out
  (defaults: 申请人自备｜纸质｜1｜必要);
* 收费 is "不收费" or one item per line: ``项目｜标准｜依据``;
* 实施主体 and 承办机构 are the organ's and the department's names as the organisation has them;
  posts are post codes (the candidate groups);
* 现场核查 is 是 / 否, 状态 在用 / 停用.

A structured cell (rather than a second sheet) keeps an entry on one row, so one format reads the
same from CSV and XLSX and a row number names the whole entry when an import refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.entry import FeeItem
from engine.catalogue.entry import Material

#: Field -> column header, in column order. ``organ_code``/``department_code`` show as names.
COLUMNS: dict[str, str] = {
    "code": "事项代码", "name": "事项名称", "basic_code": "基本编码", "implementation_code": "实施编码",
    "handling_item_code": "业务办理项编码", "handling_item": "业务办理项", "matter_type": "事项类型",
    "organ_code": "实施主体", "level": "行使层级", "department_code": "承办机构", "legal_basis": "法定依据",
    "conditions": "受理条件", "case_type": "办件类型", "statutory_limit_wd": "法定办结时限（工作日）",
    "promised_limit_wd": "承诺办结时限（工作日）", "extension_limit_wd": "可延长时限（工作日）", "fees": "收费",
    "materials": "申请材料", "place": "办理地点", "hours": "办理时间", "consult_phone": "咨询电话",
    "complaint_phone": "投诉电话", "visits": "到现场次数", "online_depth": "网办深度",
    "special_procedures": "特别程序", "result_name": "结果名称", "result_sample": "结果样本", "process": "办理流程",
    "chengban_post": "承办岗位", "shenhe_post": "审核岗位", "pizhun_post": "批准岗位", "fzr_post": "负责人岗位",
    "site_check": "现场核查", "inspection_post": "核查岗位", "data_note": "数据说明", "active": "状态",
}
HEADERS = tuple(COLUMNS.values())
REQUIRED = ("code", "name", "basic_code", "implementation_code", "matter_type", "organ_code", "level",
            "department_code", "legal_basis", "case_type", "statutory_limit_wd", "promised_limit_wd", "result_name",
            "materials")
LIST_FIELDS = ("legal_basis", "conditions", "special_procedures")
INT_FIELDS = ("statutory_limit_wd", "promised_limit_wd", "extension_limit_wd", "visits")
NO_FEE = "不收费"
YES, NO = "是", "否"
ACTIVE, INACTIVE = "在用", "停用"
_PARTS = re.compile(r"\s*[｜|]\s*")
_MATERIAL_DEFAULTS = Material(name="")


@dataclass(frozen=True)
class OrgNames:
    """Names <-> codes of organs (unique names) and of departments (unique within their organ)."""

    organ_names: dict[str, str] = field(default_factory=dict)
    #: department code -> (organ code, department name)
    departments: dict[str, tuple[str, str]] = field(default_factory=dict)

    def organ_code(self, name: str) -> str | None:
        return next((code for code, organ_name in self.organ_names.items() if organ_name == name), None)

    def department_code(self, organ_code: str, name: str) -> str | None:
        return next((code for code, (organ, dept) in self.departments.items() if organ == organ_code and dept == name),
                    None)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.split("\n") if line.strip())


def format_materials(materials: tuple[Material, ...]) -> str:
    lines = []
    for m in materials:
        parts = [m.name, m.source, m.medium, str(m.copies), m.necessity, m.blank_form, m.sample_form, m.note]
        while parts and not parts[-1]:
            parts.pop()
        lines.append("｜".join(parts))
    return "\n".join(lines)


def parse_materials(text: str) -> tuple[tuple[Material, ...], str | None]:
    materials = []
    for number, line in enumerate(_lines(text), start=1):
        parts = _PARTS.split(line)
        if len(parts) > 8:
            return (), (f"第 {number} 项材料的栏目多于 8 栏"
                        "（名称｜来源渠道｜纸质/电子｜份数｜必要性｜空白表格｜示例样表｜备注）")
        parts += [""] * (8 - len(parts))
        copies_text = parts[3] or "1"
        if not copies_text.isdigit():
            return (), f"第 {number} 项材料的份数“{parts[3]}”应为正整数"
        materials.append(Material(name=parts[0], source=parts[1] or _MATERIAL_DEFAULTS.source,
                                  medium=parts[2] or _MATERIAL_DEFAULTS.medium, copies=int(copies_text),
                                  necessity=parts[4] or _MATERIAL_DEFAULTS.necessity, blank_form=parts[5],
                                  sample_form=parts[6], note=parts[7]))
    return tuple(materials), None


def format_fees(fees: tuple[FeeItem, ...]) -> str:
    return "\n".join(f"{f.item}｜{f.standard}｜{f.basis}" for f in fees) if fees else NO_FEE


def parse_fees(text: str) -> tuple[tuple[FeeItem, ...], str | None]:
    if text.strip() in ("", NO_FEE):
        return (), None
    fees = []
    for number, line in enumerate(_lines(text), start=1):
        parts = _PARTS.split(line)
        if len(parts) != 3:
            return (), f"第 {number} 项收费应写作“项目｜标准｜依据”，不收费则填“{NO_FEE}”"
        fees.append(FeeItem(*parts))
    return tuple(fees), None


def entry_cells(entry: CatalogueEntry, names: OrgNames) -> dict[str, str]:
    """Field -> cell text of one entry."""
    cells: dict[str, str] = {}
    for key in COLUMNS:
        value: Any = getattr(entry, key)
        if key == "organ_code":
            value = names.organ_names.get(value, value)
        elif key == "department_code":
            value = names.departments.get(value, ("", value))[1]
        elif key in LIST_FIELDS:
            value = "\n".join(value)
        elif key == "materials":
            value = format_materials(value)
        elif key == "fees":
            value = format_fees(value)
        elif key == "site_check":
            value = YES if value else NO
        elif key == "active":
            value = ACTIVE if value else INACTIVE
        cells[key] = str(value)
    return cells


def entry_row(entry: CatalogueEntry, names: OrgNames) -> list[str]:
    cells = entry_cells(entry, names)
    return [cells[key] for key in COLUMNS]


def entry_from_cells(cells: Mapping[str, str], names: OrgNames,
                     base: CatalogueEntry | None = None) -> tuple[CatalogueEntry | None, dict[str, str]]:
    """An entry from field -> cell text (columns missing from ``cells`` keep ``base``'s values, or defaults).

    Returns the entry (None when a cell cannot be read at all) and field -> error for cells that
    could not be read; ``check_entry`` judges the values themselves.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, text in cells.items():
        if key not in COLUMNS:
            continue
        text = text.strip()
        if key in INT_FIELDS:
            if not text and key in ("extension_limit_wd", "visits"):
                values[key] = 0
            elif re.fullmatch(r"-?\d{1,4}", text):
                values[key] = int(text)
            else:
                errors[key] = f"{COLUMNS[key]}应为整数（工作日或次数），而不是“{text}”"
        elif key in LIST_FIELDS:
            values[key] = _lines(text)
        elif key == "materials":
            values[key], problem = parse_materials(text)
            if problem:
                errors[key] = problem
        elif key == "fees":
            values[key], problem = parse_fees(text)
            if problem:
                errors[key] = problem
        elif key == "site_check":
            if text not in (YES, NO, ""):
                errors[key] = f"现场核查应填“{YES}”或“{NO}”"
            values[key] = text == YES
        elif key == "active":
            if text not in (ACTIVE, INACTIVE, ""):
                errors[key] = f"状态应填“{ACTIVE}”或“{INACTIVE}”"
            values[key] = text != INACTIVE
        elif key == "organ_code":
            code = names.organ_code(text)
            values[key] = code if code is not None else text
        elif key == "department_code":
            values[key] = text  # resolved below, once the organ is known
        else:
            values[key] = text
    if "department_code" in values:
        organ = values.get("organ_code", base.organ_code if base else "")
        code = names.department_code(organ, values["department_code"])
        if code is None and values["department_code"]:
            errors["department_code"] = f"承办机构“{values['department_code']}”不是实施主体的科室"
        values["department_code"] = code or ""
    if errors:
        return None, errors
    if base is not None:
        return replace(base, **values), {}
    missing = [COLUMNS[key] for key in REQUIRED if key not in values]
    if missing:
        return None, {"code": f"缺少{'、'.join(missing)}"}
    return CatalogueEntry(**values), {}
