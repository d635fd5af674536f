"""The whole 事项库 to and from CSV and XLSX (column formats: ``engine.catalogue.columns``).

An import checks every row before it stores anything: one bad row and nothing changes, and the
answer names each bad row by its spreadsheet row number with the reason. A dry run goes through the
same checks and reports, entry by entry, what would be added, which columns of which entries would
change (old → new), and what would stay as it is. Entries missing from the file are left alone
(retire an entry with 状态 = 停用). In a workbook, the sheet named 事项库 is read (else the first);
other sheets, such as the 填写说明 an export adds, are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.actors import Actor
from engine.catalogue.columns import COLUMNS
from engine.catalogue.columns import HEADERS
from engine.catalogue.columns import REQUIRED
from engine.catalogue.columns import OrgNames
from engine.catalogue.columns import entry_from_cells
from engine.catalogue.columns import entry_row
from engine.catalogue.entry import LEVELS
from engine.catalogue.entry import MATERIAL_MEDIA
from engine.catalogue.entry import MATERIAL_SOURCES
from engine.catalogue.entry import MATTER_TYPES
from engine.catalogue.entry import NECESSITIES
from engine.catalogue.entry import ONLINE_DEPTHS
from engine.catalogue.entry import PATTERN_PROCESS
from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.entry import check_entry
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories import catalogue as stored
from engine.services.catalogue.editing import WHAT
from engine.services.catalogue.editing import EntryChange
from engine.services.catalogue.editing import apply_entries
from engine.services.catalogue.references import lookups
from engine.services.context import EngineContext
from engine.services.organisation.audit import require_admin
from engine.tabular import ImportRefused
from engine.tabular import RowProblem
from engine.tabular import Sheet
from engine.tabular import TableUnreadable
from engine.tabular import header_keys
from engine.tabular import read_tables
from engine.tabular import table_format
from engine.tabular import write_csv
from engine.tabular import write_xlsx

SHEET = "事项库"
GUIDE_SHEET = "填写说明"


@dataclass(frozen=True)
class CatalogueImport:
    """The outcome of an import, entry by entry, in file order."""

    dry_run: bool
    changes: tuple[EntryChange, ...]
    #: Codes of entries the catalogue has but the file does not list (left unchanged).
    not_in_file: tuple[str, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.changes if c.outcome == outcome)


def guide_rows() -> list[list[str]]:
    """The 填写说明 sheet: what each column takes."""
    notes = {
        "事项代码": "小写字母开头的小写字母、数字、下划线；导入时按此代码新增或修改事项，不能修改已有代码",
        "基本编码": "12 位数字：2 位 + 2 位事项类型代码 + 5 位主项 + 3 位子项",
        "实施编码": "31 位：实施主体 18 位统一社会信用代码 + 1 位行使层级代码 + 12 位基本编码",
        "业务办理项编码": "可空；实施编码 + 2 位数字（33 位）",
        "事项类型": "、".join(MATTER_TYPES),
        "实施主体": "组织机构中的机关全称",
        "行使层级": "、".join(f"{name}（{digit}）" for name, digit in LEVELS.items()),
        "承办机构": "实施主体的科室名称",
        "法定依据": "每行一条；受理条件、特别程序同样每行一条",
        "办件类型": "即办件 或 承诺件",
        "法定办结时限（工作日）": "正整数；承诺时限为正整数且不超过法定时限（即办件可为 0）；可延长时限可空",
        "收费": "“不收费”，或每行一项：项目｜标准｜依据",
        "申请材料": "每行一项：名称｜来源渠道｜纸质/电子｜份数｜必要性｜空白表格｜示例样表｜备注（后面的栏可省略）；"
                    f"来源渠道：{'、'.join(MATERIAL_SOURCES)}；纸质/电子：{'、'.join(MATERIAL_MEDIA)}；"
                    f"必要性：{'、'.join(NECESSITIES)}；文件写作“文件名#SHA-256前16位”（见事项库文件页）",
        "到现场次数": "0–9 的整数",
        "网办深度": "、".join(ONLINE_DEPTHS),
        "办理流程": f"运行该事项的已部署流程的事项代码；{PATTERN_PROCESS} 为一般行政许可通用流程",
        "承办岗位": "岗位编码（通用流程按岗位派发任务；审核岗位、批准岗位、负责人岗位同）",
        "现场核查": "是 或 否；为“是”时须填核查岗位",
        "数据说明": "如“示例数据”",
        "状态": "在用 或 停用",
    }
    return [[header, notes.get(header, "")] for header in HEADERS]


def catalogue_file(entries: Sequence[CatalogueEntry], names: OrgNames, fmt: str) -> bytes:
    """The catalogue table of ``entries`` (in the order given) as ``csv`` or ``xlsx`` bytes."""
    rows = [entry_row(entry, names) for entry in entries]
    if fmt == "csv":
        return write_csv(HEADERS, rows)
    return write_xlsx([(SHEET, HEADERS, rows), (GUIDE_SHEET, ("列", "填写说明"), guide_rows())])


def export_catalogue(ctx: EngineContext, fmt: str) -> bytes:
    """Every entry (current versions, 停用 ones included), by code, as ``csv`` or ``xlsx``."""
    with ctx.uow() as uow:
        names = lookups(uow).names
        entries = [version.entry for version in stored.current_entries(uow)]
    return catalogue_file(entries, names, fmt)


def entries_sheet(sheets: list[Sheet]) -> Sheet:
    if not sheets:
        raise TableUnreadable("文件中没有工作表")
    return next((s for s in sheets if s.name == SHEET), sheets[0])


def import_catalogue(ctx: EngineContext, actor: Actor, data: bytes, filename: str, *,
                     dry_run: bool = False) -> CatalogueImport:
    """Import a CSV or XLSX catalogue: every row, or none.

    :raise NotAllowed: the actor is not an administrator.
    :raise TableUnreadable: the file cannot be read as a catalogue table (format, columns).
    :raise ImportRefused: rows refused, each with row number and reason; nothing changed.
    """
    require_admin(actor, WHAT)
    sheet = entries_sheet(read_tables(data, table_format(filename)))
    keys = header_keys(sheet, COLUMNS, REQUIRED)
    now = ctx.clock.now()
    with ctx.uow() as uow, translate_conflicts():
        found = lookups(uow)
        problems: list[RowProblem] = []
        entries: list[CatalogueEntry] = []
        first_row: dict[str, int] = {}
        header_of_code = next((h for h, key in keys.items() if key == "code"), "")
        current_by_code = stored.current_entries_by_code(
            uow, [row.cells.get(header_of_code, "").strip() for row in sheet.rows])
        for row in sheet.rows:
            cells = {keys[header]: text for header, text in row.cells.items()}
            code = cells.get("code", "").strip()
            current = current_by_code.get(code)
            entry, errors = entry_from_cells(cells, found.names, base=current.entry if current else None)
            if entry is not None:
                errors = check_entry(entry, found.refs)
            problems.extend(RowProblem(row.number, f"{COLUMNS.get(key, key)}：{message}")
                            for key, message in errors.items())
            if code in first_row:
                problems.append(RowProblem(row.number, f"事项代码“{code}”与第 {first_row[code]} 行重复"))
            first_row.setdefault(code, row.number)
            if entry is not None and not errors:
                entries.append(entry)
        if problems:
            raise ImportRefused(problems)
        changes = tuple(apply_entries(uow, actor, now, entries, found.names, note=f"导入 {filename[-150:]}",
                                      dry_run=dry_run, current=current_by_code))
        listed = {entry.code for entry in entries}
        not_in_file = tuple(v.code for v in stored.current_entries(uow) if v.code not in listed)
        if not dry_run:
            uow.commit()
    return CatalogueImport(dry_run, changes, not_in_file)
