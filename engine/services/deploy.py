"""Deploying matters: check everything, store by content hash, never change a stored version."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path

from engine.actors import Actor
from engine.definitions.bundles import collect_matter_files
from engine.definitions.catalog import compile_definition
from engine.definitions.catalog import content_hash
from engine.definitions.catalog import files_to_json
from engine.errors import DefinitionInvalid
from engine.legal_time import limits_for
from engine.persistence.conflicts import translate_duplicates
from engine.persistence.repositories.definitions import definition_by_hash
from engine.persistence.repositories.definitions import insert_definition
from engine.persistence.repositories.definitions import latest_definition
from engine.persistence.repositories.definitions import latest_definitions
from engine.persistence.repositories.organisation import organs
from engine.services.context import EngineContext
from engine.services.guide_stages import GuideStep
from engine.services.guide_stages import StageFacts
from engine.services.guide_stages import deciders_of
from engine.services.guide_stages import public_stages
from engine.services.views import DeployResult
from engine.services.views import MatterView

COMMON_DIR_NAME = "_common"


def deploy_files(ctx: EngineContext, files: Mapping[str, str], actor: Actor) -> DeployResult:
    """Check and store one bundle. Unchanged content is a no-op returning the existing version.

    :raise DefinitionInvalid: every problem, with file and element id; nothing is stored.
    """
    compiled = compile_definition(files, services=ctx.services, max_bytes=ctx.settings.max_xml_bytes)
    code = compiled.metadata.code
    digest = content_hash(files)
    with ctx.uow() as uow:
        existing = definition_by_hash(uow, code, digest)
        if existing is not None:
            return DeployResult(code, existing.version, existing.id, created=False)
        latest = latest_definition(uow, code)
        # A concurrent deploy may take the same version number first: the unique constraint decides.
        with translate_duplicates("另一位设计人员正在部署同一事项，请稍后重试"):
            record = insert_definition(uow, matter_code=code, version=(latest.version + 1) if latest else 1,
                                       content_hash=digest, files_json=files_to_json(files),
                                       metadata_json=json.dumps(asdict(compiled.metadata), ensure_ascii=False),
                                       now=ctx.clock.now(), deployed_by=actor.user_id)
            uow.commit()
        return DeployResult(code, record.version, record.id, created=True)


def matter_dirs(processes_dir: Path) -> list[Path]:
    return sorted(p for p in processes_dir.iterdir()
                  if p.is_dir() and not p.name.startswith(("_", ".")) and (p / "matter.toml").is_file())


def deploy_path(ctx: EngineContext, path: Path, actor: Actor) -> list[DeployResult]:
    """Deploy one matter folder, or every matter folder under ``path``; all are checked first."""
    path = path.resolve()
    folders = [path] if (path / "matter.toml").is_file() else matter_dirs(path)
    bundles = []
    problems = []
    for folder in folders:
        common = folder.parent / COMMON_DIR_NAME
        files = collect_matter_files(folder, ctx.settings.forms_dir, common)
        try:
            compile_definition(files, services=ctx.services, max_bytes=ctx.settings.max_xml_bytes)
        except DefinitionInvalid as exc:
            problems.extend(
                type(p)(f"{folder.name}/{p.file}", p.element_id, p.problem) for p in exc.problems)
        bundles.append(files)
    if problems:
        raise DefinitionInvalid(problems)
    return [deploy_files(ctx, files, actor) for files in bundles]


def list_matters(ctx: EngineContext) -> list[MatterView]:
    with ctx.uow() as uow:
        return [MatterView.of(record) for record in latest_definitions(uow)]


@dataclass(frozen=True)
class MatterGuide:
    """The 办事指南 of the newest version: metadata plus the diagram to show read-only."""

    matter: MatterView
    main_bpmn: str
    #: The diagram's task names, for API clients that map tasks; never shown to applicants.
    task_names: tuple[str, ...]
    #: 申报 → 受理 → 审查 → 决定 → 送达 as the guide shows them.
    steps: tuple[GuideStep, ...]


def matter_guide(ctx: EngineContext, matter_code: str) -> MatterGuide:
    """The guide of a deployed matter the 事项库 does not list: its facts from its ``matter.toml``."""
    with ctx.uow() as uow:
        record, compiled = ctx.latest_definition(uow, matter_code)
        names = {o.code: o.name for o in organs(uow)}
    meta = compiled.metadata
    deciders = deciders_of(limits_for(meta), meta.extra, names, meta.department, meta.department)
    results = [p.get("name", "") for p in (meta.extra.get("permits") or {}).values() if isinstance(p, dict)]
    facts = StageFacts(case_type=meta.case_type, place="", online="applicant" in meta.starter_groups,
                       deciders=deciders, result_name="、".join(r for r in results if r),
                       special_procedures=limits_for(meta).case.special_procedures)
    return MatterGuide(MatterView.of(record), compiled.main_bpmn,
                       tuple(t.name for t in compiled.human_tasks.values()), public_stages(facts))
