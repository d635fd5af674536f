"""What the hall offers: every active 事项库 entry whose diagram is deployed (pattern-run or its own),
plus deployed matters the catalogue does not list, for the window's matter picker, the public list
and the guide (办事指南) generated from the catalogue.

The catalogue is the source of what a matter is; a deployed matter's ``matter.toml`` speaks only
for matters without an entry. The pattern itself is never offered: it is how entries run.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.catalogue.entry import PATTERN_PROCESS
from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.search import Searchable
from engine.catalogue.search import search
from engine.errors import MatterNotFound
from engine.legal_time import limits_for
from engine.persistence.repositories import catalogue as stored
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.definitions import latest_definitions
from engine.services.context import EngineContext
from engine.services.guide_stages import Decider
from engine.services.guide_stages import GuideStep
from engine.services.guide_stages import StageFacts
from engine.services.guide_stages import deciders_of
from engine.services.guide_stages import public_stages


@dataclass(frozen=True)
class MatterChoice:
    """One offered matter, as the picker, the list and search show it."""

    code: str
    name: str
    #: 实施主体 (and 承办机构) names; for a matter without an entry, its matter.toml department.
    department: str
    case_type: str
    statutory_limit_wd: int
    promised_limit_wd: int
    implementation_code: str
    basic_code: str
    #: The entry version (or, without an entry, the deployed version).
    version: int
    pattern_run: bool
    online: bool = True

    def searchable(self) -> Searchable:
        return Searchable(self.code, self.name, (self.basic_code, self.implementation_code))


def offered_matters(ctx: EngineContext) -> list[MatterChoice]:
    """Every matter a window accepts and an applicant may apply for online, in catalogue order."""
    with ctx.uow() as uow:
        deployed = {d.matter_code: d for d in latest_definitions(uow)}
        organs = {o.code: o.name for o in org.organs(uow)}
        departments = {d.code: d.name for d in org.departments(uow)}
        entries = stored.current_entries_with_numbers(uow)
    choices = []
    for number, entry in entries:
        if not entry.active or entry.process not in deployed:
            continue
        unit = organs.get(entry.organ_code, entry.organ_code)
        if entry.department_code in departments:
            unit = f"{unit}（{departments[entry.department_code]}）"
        choices.append(MatterChoice(
            code=entry.code, name=entry.name, department=unit, case_type=entry.case_type,
            statutory_limit_wd=entry.statutory_limit_wd, promised_limit_wd=entry.promised_limit_wd,
            implementation_code=entry.implementation_code, basic_code=entry.basic_code, version=number,
            pattern_run=entry.process == PATTERN_PROCESS, online=entry.online_depth in ("三级", "四级")))
    listed = {entry.code for _number, entry in entries}  # 停用 ones too: a retired entry retires its matter
    for code, record in deployed.items():
        if code == PATTERN_PROCESS or code in listed:
            continue
        meta = record.metadata
        choices.append(MatterChoice(
            code=code, name=meta["name"], department=meta["department"], case_type=meta["case_type"],
            statutory_limit_wd=meta["statutory_limit_wd"], promised_limit_wd=meta["promised_limit_wd"],
            implementation_code=meta["implementation_code"], basic_code=meta["implementation_code"][19:],
            version=record.version, pattern_run=False))
    return choices


def find_matters(choices: list[MatterChoice], query: str, limit: int | None = None) -> list[MatterChoice]:
    """``choices`` matching ``query`` by name, code or pinyin initials, best first."""
    by_code = {choice.code: choice for choice in choices}
    return [by_code[item.code] for item in search([c.searchable() for c in choices], query, limit)]


def search_matters(ctx: EngineContext, query: str, limit: int | None = None) -> list[MatterChoice]:
    return find_matters(offered_matters(ctx), query, limit)


@dataclass(frozen=True)
class CatalogueGuide:
    """The 办事指南 of an entry, generated from its current version."""

    entry: CatalogueEntry
    version: int
    organ_name: str
    department_name: str
    steps: tuple[GuideStep, ...]
    #: File reference (``name#prefix``) -> the prefix the public download route takes.
    downloads: dict[str, str]
    #: The deployed matter whose diagram runs the entry (for the read-only diagram).
    process: str


def _entry_facts(entry: CatalogueEntry, deciders: tuple[Decider, ...]) -> StageFacts:
    return StageFacts(case_type=entry.case_type, place=entry.place, online=entry.online_depth in ("三级", "四级"),
                      deciders=deciders, result_name=entry.result_name, site_check=entry.site_check,
                      special_procedures=entry.special_procedures)


def catalogue_guide(ctx: EngineContext, code: str) -> CatalogueGuide | None:
    """The guide of the entry ``code`` (None: no such entry, or it is 停用)."""
    with ctx.uow() as uow:
        version = stored.current_entry(uow, code)
        if version is None or not version.entry.active:
            return None
        entry = version.entry
        organ = org.organ_by_code(uow, entry.organ_code)
        department = org.department_by_code(uow, entry.department_code)
        organ_name = organ.name if organ is not None else entry.organ_code
        department_name = f"{organ_name}{department.name}" if department is not None else organ_name
        deciders: tuple[Decider, ...] = (Decider("", department_name, organ_name, entry.statutory_limit_wd,
                                                 entry.promised_limit_wd, entry.extension_limit_wd),)
        if not entry.is_pattern_run:
            # A drawn matter (a bundle among them) says in its matter.toml who decides what, in how long.
            try:
                _record, compiled = ctx.latest_definition(uow, entry.process)
            except MatterNotFound:
                compiled = None  # not deployed (yet): the entry's own facts still make a guide
            if compiled is not None:
                names = {o.code: o.name for o in org.organs(uow)}
                deciders = deciders_of(limits_for(compiled.metadata, entry), compiled.metadata.extra, names,
                                       department_name, organ_name)
    refs = [ref for m in entry.materials for ref in (m.blank_form, m.sample_form) if ref]
    if entry.result_sample:
        refs.append(entry.result_sample)
    downloads = {ref: ref.rpartition("#")[2] for ref in refs}
    return CatalogueGuide(entry, version.version, organ_name, department_name,
                          public_stages(_entry_facts(entry, deciders)), downloads, entry.process)


def matter_diagram(ctx: EngineContext, code: str) -> str:
    """The BPMN XML that runs ``code``: its own diagram, or the one its entry names (the pattern).

    :raise MatterNotFound: neither a deployed matter nor an entry whose diagram is deployed.
    """
    with ctx.uow() as uow:
        version = stored.current_entry(uow, code)
        process = version.entry.process if version is not None else code
        _record, compiled = ctx.latest_definition(uow, process)
        return compiled.main_bpmn
