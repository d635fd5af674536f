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
from engine.persistence.repositories import catalogue as stored
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.definitions import latest_definitions
from engine.services.context import EngineContext

#: Where the applicant is told to go or look when the entry says nothing.
COUNTER = "综合受理窗口"


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
class GuideStep:
    """One step as the applicant lives it: what happens, who does it, and in how long."""

    name: str
    who: str
    what: str


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


def guide_steps(entry: CatalogueEntry, organ: str, department: str) -> tuple[GuideStep, ...]:
    """申报 → 受理 → 审查 → 决定 → 送达, with the departments and limits of the entry."""
    place = entry.place or COUNTER
    online = "，或登录本平台在线申报" if entry.online_depth in ("三级", "四级") else ""
    review = "承办人员审查申请材料"
    if entry.site_check:
        review += "，两名工作人员现场核查"
    if entry.special_procedures:
        review += f"；需要{'、'.join(entry.special_procedures)}的，所需时间不计入办理期限，另行书面告知"
    if entry.case_type == "即办件":
        decide = "受理后当场作出准予或者不予许可的决定"
    else:
        extension = f"，经负责人批准可延长 {entry.extension_limit_wd} 个工作日" if entry.extension_limit_wd else ""
        decide = (f"自受理之日起 {entry.promised_limit_wd} 个工作日内（承诺时限；法定时限 {entry.statutory_limit_wd} 个"
                  f"工作日{extension}）作出决定；不予许可的书面说明理由")
    return (
        GuideStep("申报", "申请人", f"到{place}提交申请材料{online}"),
        GuideStep("受理", COUNTER, "审查材料是否齐全、符合法定形式：齐全的当场受理并出具受理通知书；不齐全的"
                                  "一次性告知需补正的全部内容（5 个工作日内未告知的，自收到材料之日起即为受理）"),
        GuideStep("审查", department, review + "，审核人员审核"),
        GuideStep("决定", organ, decide + f"；准予许可的，颁发“{entry.result_name}”"),
        GuideStep("送达", COUNTER, "窗口领取或免费邮寄送达，并请对服务作出评价（好差评）"),
    )


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
    refs = [ref for m in entry.materials for ref in (m.blank_form, m.sample_form) if ref]
    if entry.result_sample:
        refs.append(entry.result_sample)
    downloads = {ref: ref.rpartition("#")[2] for ref in refs}
    return CatalogueGuide(entry, version.version, organ_name, department_name,
                          guide_steps(entry, organ_name, department_name), downloads, entry.process)


def matter_diagram(ctx: EngineContext, code: str) -> str:
    """The BPMN XML that runs ``code``: its own diagram, or the one its entry names (the pattern).

    :raise MatterNotFound: neither a deployed matter nor an entry whose diagram is deployed.
    """
    with ctx.uow() as uow:
        version = stored.current_entry(uow, code)
        process = version.entry.process if version is not None else code
        _record, compiled = ctx.latest_definition(uow, process)
        return compiled.main_bpmn
