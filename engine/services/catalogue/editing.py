"""Reading and editing the 事项库: every accepted edit is a new version, audited in the same transaction.

An edit that changes nothing stores nothing. An entry's code never changes (cases and diagrams name
it); to retire an entry set its 状态 to 停用, which is itself a version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from engine.actors import Actor
from engine.catalogue.columns import COLUMNS
from engine.catalogue.columns import OrgNames
from engine.catalogue.columns import entry_cells
from engine.catalogue.columns import entry_from_cells
from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.entry import check_entry
from engine.errors import FormDataInvalid
from engine.errors import MatterNotFound
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories import catalogue as stored
from engine.persistence.repositories.catalogue import CatalogueVersion
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.catalogue.references import Lookups
from engine.services.catalogue.references import lookups
from engine.services.context import EngineContext
from engine.services.organisation.audit import change_row
from engine.services.organisation.audit import record_changes
from engine.services.organisation.audit import require_admin

AREA = "catalogue"
WHAT = "维护事项库"


@dataclass(frozen=True)
class EntryChange:
    """What storing one entry did (or, in a dry run, would do)."""

    code: str
    name: str
    #: added / changed / unchanged
    outcome: str
    #: Column header -> (old cell text, new cell text), for changed entries.
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    version: int | None = None


def diff_entries(old: CatalogueEntry, new: CatalogueEntry, names: OrgNames) -> dict[str, tuple[str, str]]:
    """Header -> (old, new) cell text of every column that differs."""
    before, after = entry_cells(old, names), entry_cells(new, names)
    return {COLUMNS[key]: (before[key], after[key]) for key in COLUMNS if before[key] != after[key]}


def apply_entries(uow: UnitOfWork, actor: Actor, now: datetime, entries: list[CatalogueEntry], names: OrgNames, *,
                  note: str, dry_run: bool = False, current: dict[str, CatalogueVersion] | None = None,
                  ) -> list[EntryChange]:
    """Store each checked entry as a new version unless it equals its current one; audit what changed.

    ``current`` may hold the current versions already read (code -> version); a batch of any size
    takes a constant number of statements.
    """
    current = current if current is not None else stored.current_entries_by_code(uow, [e.code for e in entries])
    changes: list[EntryChange] = []
    storing: list[CatalogueEntry] = []
    for entry in entries:
        old = current.get(entry.code)
        if old is not None and old.entry == entry:
            changes.append(EntryChange(entry.code, entry.name, "unchanged", {}, old.version))
            continue
        diff = diff_entries(old.entry, entry, names) if old is not None else {}
        changes.append(EntryChange(entry.code, entry.name, "changed" if old is not None else "added", diff))
        storing.append(entry)
    if dry_run or not storing:
        return changes
    versions = {v.code: v for v in stored.add_versions(uow, storing, now=now, by=actor.user_id, note=note)}
    audits = []
    for index, change in enumerate(changes):
        if change.code not in versions or change.outcome == "unchanged":
            continue
        number = versions[change.code].version
        changes[index] = EntryChange(change.code, change.name, change.outcome, change.changes, number)
        if change.outcome == "added":
            summary = f"新增事项“{change.name}”（{change.code}）第 1 版（{note}）"
        else:
            summary = f"修改事项“{change.name}”（{change.code}）为第 {number} 版（{note}）：{'、'.join(change.changes)}"
        audits.append(change_row(
            actor, now, area=AREA, event_type=f"entry_{'created' if change.outcome == 'added' else 'changed'}",
            subject=f"entry:{change.code}", summary=summary,
            before={k: v[0] for k, v in change.changes.items()} if change.changes else None,
            after={k: v[1] for k, v in change.changes.items()} if change.changes else {"version": number}))
    record_changes(uow, audits)
    return changes


def apply_entry(uow: UnitOfWork, actor: Actor, now: datetime, entry: CatalogueEntry, names: OrgNames, *,
                note: str, dry_run: bool = False) -> EntryChange:
    """``apply_entries`` for one entry."""
    return apply_entries(uow, actor, now, [entry], names, note=note, dry_run=dry_run)[0]


def parse_and_check(found: Lookups, cells: Mapping[str, str]) -> tuple[CatalogueEntry | None, dict[str, str]]:
    """An entry from field -> cell text, and every field error (reading first, then the rules)."""
    entry, errors = entry_from_cells(cells, found.names)
    if entry is None:
        return None, errors
    errors = check_entry(entry, found.refs)
    return (entry if not errors else None), errors


def save_entry(ctx: EngineContext, actor: Actor, cells: Mapping[str, str], *,
               editing: str | None = None) -> EntryChange:
    """Create an entry (``editing`` None) or change entry ``editing`` from the edit page's fields.

    :raise NotAllowed: the actor is not an administrator.
    :raise MatterNotFound: ``editing`` names no entry.
    :raise FormDataInvalid: field errors in Chinese, the submitted text kept; nothing stored.
    """
    require_admin(actor, WHAT)
    with ctx.uow() as uow, translate_conflicts():
        found = lookups(uow)
        values = {key: str(cells.get(key, "")) for key in COLUMNS}
        if editing is not None:
            if stored.current_entry(uow, editing) is None:
                raise MatterNotFound(editing)
            if values["code"].strip() != editing:
                raise FormDataInvalid({"code": "事项代码不能修改（办件和流程按代码引用事项）"}, values)
        elif stored.current_entry(uow, values["code"].strip()) is not None:
            raise FormDataInvalid({"code": f"事项代码“{values['code'].strip()}”已存在"}, values)
        entry, errors = parse_and_check(found, values)
        if entry is None:
            raise FormDataInvalid(errors, values)
        change = apply_entry(uow, actor, ctx.clock.now(), entry, found.names, note="页面编辑")
        uow.commit()
    return change


def list_entries(ctx: EngineContext, *, active_only: bool = False, query: str | None = None) -> list[CatalogueVersion]:
    """The current version of every entry, by code; ``query`` keeps those whose code, name, 实施编码 or
    organ code contains it (the admin list's filter; the citizen's search with pinyin is the guide's)."""
    with ctx.uow() as uow:
        found = stored.current_entries(uow, active_only=active_only)
    if query:
        found = [v for v in found if any(query in text for text in (
            v.entry.code, v.entry.name, v.entry.implementation_code, v.entry.organ_code))]
    return found


def get_entry(ctx: EngineContext, code: str) -> CatalogueVersion:
    """The current version of one entry.

    :raise MatterNotFound: no such entry.
    """
    with ctx.uow() as uow:
        found = stored.current_entry(uow, code)
    if found is None:
        raise MatterNotFound(code)
    return found


def get_version(ctx: EngineContext, version_id: int) -> CatalogueVersion | None:
    """A version by id (what a case recorded when it started)."""
    with ctx.uow() as uow:
        return stored.entry_version(uow, version_id)


def entry_history(ctx: EngineContext, code: str) -> list[CatalogueVersion]:
    with ctx.uow() as uow:
        return stored.history_of_entry(uow, code)


def entry_form_values(ctx: EngineContext, code: str) -> dict[str, str]:
    """The edit page's field texts for the current version of an entry."""
    with ctx.uow() as uow:
        current = stored.current_entry(uow, code)
        if current is None:
            raise MatterNotFound(code)
        return entry_cells(current.entry, lookups(uow).names)
