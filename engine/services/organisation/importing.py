"""The organisation from CSV (or XLSX): one file per kind — 机关, 科室, 岗位, 窗口 or 人员 — told apart
by its header row.

Every row is checked first, with the same rules as the pages; if any row is refused the import
changes nothing and says which rows and why. A dry run reports what would be added, changed or left
unchanged. Rows are keyed by code (username for people): a known code changes that unit, a new one
adds it; nothing is deleted (set 状态 to 停用 instead, which keeps history readable).

People imported without an account get one without a usable password: an administrator resets it
(重置密码) before the person signs in, so no password ever travels in a spreadsheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.actors import Actor
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories import organisation as org
from engine.services.context import EngineContext
from engine.services.organisation.audit import require_admin
from engine.services.organisation.staff import STAFF_FIELDS
from engine.services.organisation.staff import StaffChange
from engine.services.organisation.staff import apply_staff
from engine.services.organisation.staff import clean_staff
from engine.services.organisation.structure import CLEANERS
from engine.services.organisation.structure import KINDS
from engine.services.organisation.structure import SaveOutcome
from engine.services.organisation.structure import apply_clean
from engine.tabular import ImportRefused
from engine.tabular import RowProblem
from engine.tabular import TableUnreadable
from engine.tabular import header_keys
from engine.tabular import read_tables
from engine.tabular import table_format

#: The header that tells each kind of file apart, and the columns it must have.
_KEY_HEADERS = {"机关编码": "organ", "科室编码": "department", "岗位编码": "post", "窗口编码": "window",
                "用户名": "staff"}
_REQUIRED = {"organ": ("code", "name", "short_name", "credit_code", "review_organ", "court"),
             "department": ("code", "organ_code", "name"), "post": ("code", "name", "department_code", "kind"),
             "window": ("code", "name", "kind"), "staff": ("username", "display_name")}
KIND_LABELS = {**{key: kind.label for key, kind in KINDS.items()}, "staff": "人员"}
#: The order files of a whole organisation must be loaded in (each kind names the ones before it).
LOAD_ORDER = ("organ", "department", "post", "window", "staff")


@dataclass(frozen=True)
class OrganisationImport:
    """What an import did (or, in a dry run, would do), row by row."""

    kind: str
    dry_run: bool
    outcomes: tuple[SaveOutcome | StaffChange, ...]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


def _labels(kind: str) -> dict[str, str]:
    return STAFF_FIELDS if kind == "staff" else KINDS[kind].fields


def import_organisation(ctx: EngineContext, actor: Actor, data: bytes, filename: str, *,
                        dry_run: bool = False) -> OrganisationImport:
    """Import one file of organs, departments, posts, windows or people (all rows, or none).

    :raise NotAllowed: the actor is not an administrator.
    :raise TableUnreadable: not a readable CSV/XLSX, or not one of the five kinds of header row.
    :raise ImportRefused: rows refused, each with its row number and reason; nothing changed.
    """
    require_admin(actor)
    sheets = read_tables(data, table_format(filename))
    if len(sheets) != 1:
        raise TableUnreadable("组织机构每个文件只导入一张表（机关、科室、岗位、窗口或人员）")
    sheet = sheets[0]
    kind = next((k for header, k in _KEY_HEADERS.items() if header in sheet.headers), None)
    if kind is None:
        raise TableUnreadable("无法识别文件类型：第 1 行应含“机关编码”“科室编码”“岗位编码”“窗口编码”或“用户名”列")
    labels = _labels(kind)
    keys = header_keys(sheet, labels, _REQUIRED[kind])
    now = ctx.clock.now()
    with ctx.uow() as uow, translate_conflicts():
        problems: list[RowProblem] = []
        checked: list[dict[str, Any]] = []
        first_row: dict[str, int] = {}
        for row in sheet.rows:
            values = {keys[header]: text for header, text in row.cells.items()}
            clean, errors = (clean_staff if kind == "staff" else CLEANERS[kind])(uow, values)
            problems.extend(RowProblem(row.number, f"{labels.get(key, key)}：{message}")
                            for key, message in errors.items())
            code = clean.get("username") if kind == "staff" else clean.get("code")
            if code in first_row:
                problems.append(RowProblem(row.number, f"{labels[next(iter(labels))]}“{code}”与第 {first_row[code]} "
                                                       "行重复"))
            elif code:
                first_row[str(code)] = row.number
            checked.append(clean)
        if problems:
            raise ImportRefused(problems)
        outcomes: list[SaveOutcome | StaffChange] = []
        for clean in checked:
            if kind == "staff":
                outcomes.append(apply_staff(uow, actor, now, clean, dry_run=dry_run))
            else:
                outcomes.append(apply_clean(uow, actor, now, KINDS[kind], clean, dry_run=dry_run))
        if not dry_run:
            uow.commit()
    return OrganisationImport(kind, dry_run, tuple(outcomes))


def load_organisation_folder(ctx: EngineContext, actor: Actor, folder: Path) -> list[OrganisationImport]:
    """Import ``organs.csv``, ``departments.csv``, ``posts.csv``, ``windows.csv`` (those present), in order."""
    names = {"organ": "organs.csv", "department": "departments.csv", "post": "posts.csv", "window": "windows.csv",
             "staff": "staff.csv"}
    results = []
    for kind in LOAD_ORDER:
        path = folder / names[kind]
        if path.is_file():
            results.append(import_organisation(ctx, actor, path.read_bytes(), path.name))
    return results


def has_organisation(ctx: EngineContext) -> bool:
    with ctx.uow() as uow:
        return bool(org.organs(uow))
