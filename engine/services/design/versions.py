"""The deployed versions of each matter, as the designer's overview and version pages list them."""

from __future__ import annotations

from engine.errors import MatterNotFound
from engine.persistence.repositories import definitions
from engine.persistence.repositories import designs
from engine.persistence.rows import DefinitionRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.context import EngineContext
from engine.services.design.common import VersionNotFound
from engine.services.design.views import DesignerMatter
from engine.services.design.views import VersionInfo


def designer_overview(ctx: EngineContext) -> list[DesignerMatter]:
    """Every matter with its versions (and running cases per version) and draft status."""
    with ctx.uow() as uow:
        summaries = designs.version_summaries(uow)
        stamps = designs.draft_stamps(uow)
    grouped: dict[str, list[designs.VersionSummary]] = {}
    for summary in summaries:
        grouped.setdefault(summary.matter_code, []).append(summary)
    matters = []
    for code, items in sorted(grouped.items()):
        stamp = stamps.get(code)
        matters.append(DesignerMatter(
            code=code, name=items[-1].name, department=items[-1].department,
            versions=tuple(VersionInfo(s.version, s.id, s.name, s.deployed_at, s.deployed_by, s.running_cases)
                           for s in items),
            draft_updated_at=stamp.updated_at if stamp is not None else None,
            draft_updated_by=stamp.updated_by if stamp is not None else ""))
    # New matters (from the pattern, or copies) are drafts with no version yet.
    matters.extend(DesignerMatter(code=code, name=f"{code}（新事项草稿，未部署）", department="", versions=(),
                                  draft_updated_at=stamp.updated_at, draft_updated_by=stamp.updated_by)
                   for code, stamp in sorted(stamps.items()) if code not in grouped)
    return matters


def matter_versions(ctx: EngineContext, matter_code: str) -> DesignerMatter:
    for matter in designer_overview(ctx):
        if matter.code == matter_code:
            return matter
    raise MatterNotFound(matter_code)


def version_record(uow: UnitOfWork, matter_code: str, version: int) -> DefinitionRow:
    """The stored version with its files, or the Chinese "no such matter" / "no such version" error."""
    found = designs.version_of(uow, matter_code, version)
    if found is None:
        if definitions.latest_definition(uow, matter_code) is None:
            raise MatterNotFound(matter_code)
        raise VersionNotFound(matter_code, version)
    return found
