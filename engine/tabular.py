"""Spreadsheets in and out: CSV and XLSX tables with Chinese column headers.

Administrators keep the catalogue and the organisation in Excel or WPS. A table here is a header
row plus data rows of text cells; every reader reports the spreadsheet row number of each row
(the header is row 1), so an import can say "第 12 行：…" about the row a person can find.

CSV is written as UTF-8 with a byte-order mark (Excel opens it correctly) and read as UTF-8, with
GB18030 as the fallback, because that is what Chinese Excel saves "CSV" as. XLSX is read through
openpyxl with defusedxml installed (no DOCTYPEs or entity expansion), after a size check.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import EngineError
from engine.hidden_chars import text_problem

#: Largest spreadsheet accepted, in bytes (the 150-matter sample hall is ~60 KB as XLSX).
MAX_TABLE_BYTES = 10 * 1024 * 1024
#: Most data rows one sheet may have.
MAX_ROWS = 20_000


class TableUnreadable(EngineError):
    """The file is not a table we can read (format, encoding, size, header); nothing was imported."""


@dataclass(frozen=True, slots=True)
class TableRow:
    #: Spreadsheet row number (the header is row 1).
    number: int
    #: Header -> cell text, stripped; missing cells are "".
    cells: dict[str, str]


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    headers: tuple[str, ...]
    rows: tuple[TableRow, ...]


def table_format(filename: str) -> str:
    """``csv`` or ``xlsx`` from a file name.

    :raise TableUnreadable: any other ending.
    """
    lowered = filename.lower()
    for ending in ("csv", "xlsx"):
        if lowered.endswith("." + ending):
            return ending
    raise TableUnreadable("文件应为 .csv 或 .xlsx 格式")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _sheet(name: str, raw_rows: Sequence[Sequence[object]]) -> Sheet:
    if not raw_rows:
        raise TableUnreadable(f"工作表“{name}”是空的：第 1 行应为列标题")
    headers = tuple(_cell_text(h) for h in raw_rows[0])
    while headers and not headers[-1]:
        headers = headers[:-1]
    if not headers or any(not h for h in headers):
        raise TableUnreadable(f"工作表“{name}”第 1 行的列标题不能为空")
    if len(set(headers)) != len(headers):
        duplicate = next(h for h in headers if headers.count(h) > 1)
        raise TableUnreadable(f"工作表“{name}”的列标题“{duplicate}”重复")
    if len(raw_rows) - 1 > MAX_ROWS:
        raise TableUnreadable(f"工作表“{name}”超过 {MAX_ROWS} 行")
    rows = []
    for index, raw in enumerate(raw_rows[1:], start=2):
        texts = [_cell_text(v) for v in raw]
        if not any(texts):
            continue  # blank lines between blocks are common in hand-kept sheets
        for text in texts:
            problem = text_problem(text)
            if problem is not None:
                raise TableUnreadable(f"工作表“{name}”第 {index} 行{problem}")
        if any(texts[len(headers):]):
            raise TableUnreadable(f"工作表“{name}”第 {index} 行的单元格多于列标题")
        cells = {h: (texts[i] if i < len(texts) else "") for i, h in enumerate(headers)}
        rows.append(TableRow(index, cells))
    return Sheet(name, headers, tuple(rows))


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableUnreadable("CSV 文件的编码无法识别（请保存为 UTF-8 或 GB18030）")


def read_tables(data: bytes, fmt: str) -> list[Sheet]:
    """Every sheet of an XLSX workbook, or the one table of a CSV file (named "CSV").

    :raise TableUnreadable: too big, not the format it claims, undecodable, or a bad header row.
    """
    if len(data) > MAX_TABLE_BYTES:
        raise TableUnreadable(f"文件超过 {MAX_TABLE_BYTES // (1024 * 1024)} MB")
    if fmt == "csv":
        text = _decode_csv(data)
        try:
            raw = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise TableUnreadable(f"CSV 格式错误：{exc}") from exc
        return [_sheet("CSV", raw)]
    if fmt != "xlsx":
        raise TableUnreadable("文件应为 .csv 或 .xlsx 格式")
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableUnreadable("不是有效的 XLSX 文件（请用 Excel 或 WPS 另存为 .xlsx）") from exc
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            raw_rows = []
            for row in worksheet.iter_rows(values_only=True):
                raw_rows.append(row)
                if len(raw_rows) > MAX_ROWS + 1:
                    raise TableUnreadable(f"工作表“{worksheet.title}”超过 {MAX_ROWS} 行")
            if raw_rows:
                sheets.append(_sheet(worksheet.title, raw_rows))
        return sheets
    finally:
        workbook.close()


def write_csv(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[str]]]]) -> bytes:
    """A workbook with one sheet per (name, headers, rows); headers bold and frozen, cells as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, headers, rows in sheets:
        worksheet = workbook.create_sheet(name)
        worksheet.append(list(headers))
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            worksheet.append(list(row))
        worksheet.freeze_panes = "B2"
        wrap = Alignment(wrap_text=True, vertical="top")
        for index, header in enumerate(headers, start=1):
            longest = max([len(header), *(len(line) for row in rows for line in str(row[index - 1]).split("\n"))])
            worksheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest * 1.6))
        for row_cells in worksheet.iter_rows(min_row=2):
            for cell in row_cells:
                cell.number_format = "@"
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = wrap
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row of an import was refused."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.reason}"


class ImportRefused(EngineError):
    """Rows of an import were refused; the import changed nothing (dry run or not)."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"- {p}" for p in self.problems[:50])
        more = f"\n- ……另有 {len(self.problems) - 50} 处" if len(self.problems) > 50 else ""
        super().__init__(f"导入未执行（未作任何修改），共 {len(self.problems)} 处问题：\n{shown}{more}")


def header_keys(sheet: Sheet, labels: dict[str, str], required: Sequence[str]) -> dict[str, str]:
    """Header text -> field key for a sheet whose headers are ``labels`` (key -> Chinese header).

    :raise TableUnreadable: a required column is missing or a column is not one of ``labels``.
    """
    by_label = {label: key for key, label in labels.items()}
    unknown = [h for h in sheet.headers if h not in by_label]
    if unknown:
        raise TableUnreadable(f"工作表“{sheet.name}”有无法识别的列：{'、'.join(unknown)}")
    missing = [labels[key] for key in required if labels[key] not in sheet.headers]
    if missing:
        raise TableUnreadable(f"工作表“{sheet.name}”缺少列：{'、'.join(missing)}")
    return {header: by_label[header] for header in sheet.headers}
