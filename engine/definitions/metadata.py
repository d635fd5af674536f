"""A matter's metadata file (``processes/<matter>/matter.toml``): what the service guide shows.

The diagram says *how* a matter runs; this file says *what* it is in the administrative sense:
code, department, case type (即办件/承诺件), statutory and promised limits in working days, legal
basis, materials and fee. Limits live here, not in the BPMN, because halls change promised limits
far more often than they redraw diagrams.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from engine.errors import DefinitionProblem
from engine.legal_time import limit_problems

CASE_TYPES = ("即办件", "承诺件")
_IMPLEMENTATION_CODE = re.compile(r"^[0-9A-Z]{31}$")
_MATTER_CODE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


@dataclass(frozen=True)
class Material:
    name: str
    required: bool = True
    #: 核心材料 cannot be waived by 容缺受理; non-core ones may be supplied later.
    core: bool = True
    description: str = ""
    form_field: str = ""


@dataclass(frozen=True)
class MatterMetadata:
    code: str
    name: str
    department: str
    implementation_code: str
    process_id: str
    case_type: str
    statutory_limit_wd: int
    promised_limit_wd: int
    extension_limit_wd: int = 0
    legal_basis: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    materials: tuple[Material, ...] = ()
    fee: str = "不收费"
    description: str = ""
    #: Lane name -> candidate group, for user tasks that carry no ``camunda:candidateGroups``.
    lane_roles: dict[str, str] = field(default_factory=dict)
    #: Which groups may start a case of this matter (applicants online, clerks at the window).
    starter_groups: tuple[str, ...] = ("applicant", "window_clerk")
    #: Every other key, kept as written: ``permits``, ``documents`` and ``supplement_items`` among them
    #: (read through the methods below; stored versions and the deadline service read them from here).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def uses_entry_data(self) -> bool:
        """``entry_data = true``: cases get their 事项库 entry's posts, names and materials as data (the
        general pattern, and matters a designer made from it)."""
        return self.extra.get("entry_data") is True

    def document_title(self, key: str) -> str | None:
        """``[documents.<key>] title``: this matter's name for a document (None: use the shared one)."""
        entry = self.extra.get("documents", {}).get(key)
        return entry.get("title") if isinstance(entry, dict) else None

    def permit_name(self, key: str) -> str | None:
        """``[permits.<key>] name``: which permit an element marked ``permit = <key>`` concerns."""
        entry = self.extra.get("permits", {}).get(key)
        return entry.get("name") if isinstance(entry, dict) else None

    def supplement_item_keys(self, task_id: str) -> tuple[str, ...]:
        """``[supplement_items]``: the data keys holding what a 补正 task asks the applicant for, in order."""
        return tuple(self.extra.get("supplement_items", {}).get(task_id, ()))

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _str_list(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return tuple(raw)
    raise TypeError("应为字符串列表")


def _check_fact_tables(raw: dict[str, Any], problem: Callable[[str, str], None]) -> None:
    """``[documents.*]``, ``[permits.*]``, ``[worklist]`` and ``[supplement_items]``: shapes the engine reads."""
    for table, field_name, what in (("documents", "title", "文书名称"), ("permits", "name", "许可名称")):
        entries = raw.get(table, {})
        if not isinstance(entries, dict):
            problem(table, f"应为 [{table}.<标识>] 表")
            continue
        for key, entry in entries.items():
            value = entry.get(field_name) if isinstance(entry, dict) else None
            if not isinstance(value, str) or not value.strip():
                problem(f"{table}.{key}", f"[{table}.{key}] 应有 {field_name}（{what}）")
    worklist = raw.get("worklist", {})
    if not isinstance(worklist, dict) or not all(
            isinstance(worklist.get(key, []), list) and all(isinstance(k, str) and k for k in worklist.get(key, []))
            for key in ("project_keys", "applicant_keys")):
        problem("worklist", "[worklist] 的 project_keys、applicant_keys 应为数据键的列表")
    items = raw.get("supplement_items", {})
    if not isinstance(items, dict) or not all(
            isinstance(keys, list) and keys and all(isinstance(k, str) and k for k in keys) for keys in items.values()):
        problem("supplement_items", "应为“补正任务 id = [数据键, …]”的表")


def parse_metadata(text: str, source: str) -> tuple[MatterMetadata | None, list[DefinitionProblem]]:
    """Parse and check ``matter.toml``; return the metadata or the list of problems found."""
    problems: list[DefinitionProblem] = []

    def problem(key: str, message: str) -> None:
        problems.append(DefinitionProblem(source, key, message))

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [DefinitionProblem(source, "", f"TOML 格式错误：{exc}")]

    for key in ("code", "name", "department", "implementation_code", "process_id", "case_type"):
        if not isinstance(raw.get(key), str) or not raw.get(key).strip():
            problem(key, "缺少必填项或不是字符串")
    for key in ("statutory_limit_wd", "promised_limit_wd"):
        value = raw.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problem(key, "应为非负整数（工作日）")
    if problems:
        return None, problems

    if not _MATTER_CODE.match(raw["code"]):
        problem("code", "事项代码只能包含小写字母、数字和下划线，且以字母开头")
    if not _IMPLEMENTATION_CODE.match(raw["implementation_code"]):
        problem("implementation_code",
                "实施编码应为 31 位大写字母或数字（18 位机构信用代码 + 1 位层级 + 12 位基本编码）")
    if raw["case_type"] not in CASE_TYPES:
        problem("case_type", f"办件类型应为 {' / '.join(CASE_TYPES)}")
    if raw["promised_limit_wd"] > raw["statutory_limit_wd"]:
        problem("promised_limit_wd", "承诺时限不能超过法定时限")
    extension = raw.get("extension_limit_wd", 0)
    if not isinstance(extension, int) or extension < 0:
        problem("extension_limit_wd", "应为非负整数（工作日）")

    materials: list[Material] = []
    for index, item in enumerate(raw.get("materials", [])):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            problem(f"materials[{index}]", "材料需要 name")
            continue
        materials.append(Material(name=item["name"], required=bool(item.get("required", True)),
                                  core=bool(item.get("core", True)), description=str(item.get("description", "")),
                                  form_field=str(item.get("form_field", ""))))
    lane_roles = raw.get("lane_roles", {})
    if not isinstance(lane_roles, dict) or not all(isinstance(v, str) for v in lane_roles.values()):
        problem("lane_roles", "应为“泳道名 = 角色组”的表")
        lane_roles = {}

    _check_fact_tables(raw, problem)
    for key, message in limit_problems(raw):
        problem(key, message)

    lists: dict[str, tuple[str, ...]] = {}
    for key in ("legal_basis", "conditions", "starter_groups"):
        if key in raw:
            try:
                lists[key] = _str_list(raw[key])
            except TypeError as exc:
                problem(key, str(exc))
    if problems:
        return None, problems

    known = {"code", "name", "department", "implementation_code", "process_id", "case_type", "statutory_limit_wd",
             "promised_limit_wd", "extension_limit_wd", "legal_basis", "conditions", "materials", "fee",
             "description", "lane_roles", "starter_groups"}
    metadata = MatterMetadata(
        code=raw["code"], name=raw["name"], department=raw["department"],
        implementation_code=raw["implementation_code"], process_id=raw["process_id"], case_type=raw["case_type"],
        statutory_limit_wd=raw["statutory_limit_wd"], promised_limit_wd=raw["promised_limit_wd"],
        extension_limit_wd=extension, legal_basis=lists.get("legal_basis", ()),
        conditions=lists.get("conditions", ()), materials=tuple(materials), fee=str(raw.get("fee", "不收费")),
        description=str(raw.get("description", "")), lane_roles=dict(lane_roles),
        starter_groups=lists.get("starter_groups", ("applicant", "window_clerk")),
        extra={k: v for k, v in raw.items() if k not in known},
    )
    return metadata, []
