"""A matter's draft: its files as a designer edits them, kept until checked and deployed (or discarded).

A draft starts as a copy of the newest version's files. Saving checks only which files the
designer may change; ``validate_draft`` reports every problem exactly as deploying would, and
``deploy_draft`` refuses a draft with problems. Running cases keep the version they run on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.actors import Actor
from engine.definitions.catalog import FORMS_PREFIX
from engine.definitions.catalog import METADATA_FILE
from engine.definitions.catalog import files_to_json
from engine.definitions.catalog import main_bpmn_file
from engine.definitions.references import referenced_form_keys
from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.errors import MatterNotFound
from engine.persistence.repositories import definitions
from engine.persistence.repositories import designs
from engine.persistence.repositories.designs import DefinitionDraft
from engine.persistence.rows import DefinitionRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.context import EngineContext
from engine.services.deploy import deploy_files
from engine.services.design.checks import check_bundle
from engine.services.design.checks import complete_from_processes
from engine.services.design.common import FORM_KEY
from engine.services.design.common import files_of
from engine.services.design.common import read_toml
from engine.services.design.common import require_designer
from engine.services.design.limits import limits_of
from engine.services.design.limits import set_limits
from engine.services.design.views import DraftView
from engine.services.views import DeployResult


def main_bpmn_name(files: Mapping[str, str], matter_code: str = "") -> str:
    """The matter's own diagram: the top-level ``.bpmn`` holding ``process_id``."""
    process_id = str(read_toml(files.get(METADATA_FILE, "")).get("process_id", ""))
    found = main_bpmn_file(files, process_id)
    if found:
        return found
    candidates = sorted(name for name in files if name.endswith(".bpmn") and "/" not in name)
    return candidates[0] if candidates else f"{matter_code or process_id or 'process'}.bpmn"


def _form_keys(files: Mapping[str, str]) -> tuple[str, ...]:
    keys = {name[len(FORMS_PREFIX):-len(".form")] for name in files
            if name.startswith(FORMS_PREFIX) and name.endswith(".form")}
    keys |= referenced_form_keys([text for name, text in files.items() if name.endswith(".bpmn")])
    return tuple(sorted(keys))


@dataclass(slots=True)
class _Loaded:
    """A draft as loaded for one use case: its files, the stored draft (if saved) and the versions around it."""

    code: str
    files: dict[str, str]
    draft: DefinitionDraft | None
    base: DefinitionRow | None
    latest: DefinitionRow | None

    def view(self) -> DraftView:
        draft, files = self.draft, self.files
        return DraftView(matter_code=self.code, files=files, main_bpmn=main_bpmn_name(files, self.code),
                         base_version=self.base.version if self.base is not None else None,
                         latest_version=self.latest.version if self.latest is not None else None,
                         saved=draft is not None, updated_at=draft.updated_at if draft is not None else None,
                         updated_by=draft.updated_by if draft is not None else "",
                         limits=limits_of(files.get(METADATA_FILE, "")), form_keys=_form_keys(files))


def _load(uow: UnitOfWork, code: str) -> _Loaded:
    """The saved draft, else the newest version's files to start one from.

    :raise MatterNotFound: neither a draft nor a deployed version exists.
    """
    draft = designs.latest_draft(uow, code)
    latest = definitions.latest_definition(uow, code, with_files=draft is None)
    if draft is not None:
        base = definitions.definition(uow, draft.base_definition_id) if draft.base_definition_id else None
        return _Loaded(code, dict(draft.files), draft, base, latest)
    if latest is None:
        raise MatterNotFound(code)
    return _Loaded(code, files_of(latest), None, latest, latest)


def _check_patch(files: Mapping[str, str], code: str, patch: Mapping[str, Any], max_bytes: int) -> None:
    main = main_bpmn_name(files, code)
    problems: list[DefinitionProblem] = []
    for name, text in patch.items():
        key = name[len(FORMS_PREFIX):-len(".form")] if name.startswith(FORMS_PREFIX) and name.endswith(".form") else ""
        if not isinstance(text, str):
            problems.append(DefinitionProblem(str(name), "", "文件内容应为文本"))
        elif name not in (main, METADATA_FILE) and not (key and FORM_KEY.match(key)):
            problems.append(DefinitionProblem(str(name), "", f"设计器只能修改主流程图（{main}）、matter.toml 和 "
                                                             "forms/<表单标识>.form"))
        elif len(text.encode("utf-8")) > max_bytes:
            problems.append(DefinitionProblem(name, "", f"文件超过 {max_bytes // 1024} KiB 上限"))
    if problems:
        raise DefinitionInvalid(problems)


def open_draft(ctx: EngineContext, matter_code: str, actor: Actor) -> DraftView:
    """The matter's saved draft, or (unsaved) the newest deployed version's files to start one from.

    :raise MatterNotFound: neither a draft nor a deployed version exists.
    """
    require_designer(actor)
    with ctx.uow() as uow:
        return _load(uow, matter_code).view()


def save_draft(ctx: EngineContext, matter_code: str, files_patch: Mapping[str, str], actor: Actor,
               limits: Mapping[str, Any] | None = None) -> DraftView:
    """Replace the given files of the draft (creating it from the newest version if needed).

    ``limits`` (statutory/promised/extension working days) are written into ``matter.toml``. Nothing
    is checked beyond the file names here: ``validate_draft`` reports problems, ``deploy_draft`` refuses them.

    :raise DefinitionInvalid: a file the designer may not change, or limits that are not whole numbers.
    """
    require_designer(actor)
    with ctx.uow() as uow:
        loaded = _load(uow, matter_code)
        files = loaded.files
        _check_patch(files, matter_code, files_patch, ctx.settings.max_xml_bytes)
        files.update(files_patch)
        if limits:
            files[METADATA_FILE] = set_limits(files.get(METADATA_FILE, ""), limits)
        loaded.draft = designs.store_draft(
            uow, loaded.draft.id if loaded.draft is not None else None, matter_code, files_to_json(files),
            loaded.base.id if loaded.base is not None else None, ctx.clock.now(), actor.user_id)
        view = loaded.view()
        uow.commit()
        return view


def discard_draft(ctx: EngineContext, matter_code: str, actor: Actor) -> None:
    """Throw the draft away; the next ``open_draft`` starts from the newest version again."""
    require_designer(actor)
    with ctx.uow() as uow:
        designs.delete_drafts(uow, matter_code)
        uow.commit()


def validate_draft(ctx: EngineContext, matter_code: str, actor: Actor,
                   files_patch: Mapping[str, str] | None = None) -> list[DefinitionProblem]:
    """Check the draft (with ``files_patch`` applied, unsaved) exactly as deploying would; [] means fine."""
    require_designer(actor)
    with ctx.uow() as uow:
        files = _load(uow, matter_code).files
    if files_patch:
        _check_patch(files, matter_code, files_patch, ctx.settings.max_xml_bytes)
        files.update(files_patch)
    return check_bundle(ctx, complete_from_processes(ctx, files), matter_code)


def deploy_draft(ctx: EngineContext, matter_code: str, actor: Actor) -> DeployResult:
    """Deploy the draft as the matter's next version; running cases keep the version they run on.

    :raise DefinitionInvalid: the draft has problems; nothing is stored.
    """
    require_designer(actor)
    with ctx.uow() as uow:
        loaded = _load(uow, matter_code)
    bundle = complete_from_processes(ctx, loaded.files)
    problems = check_bundle(ctx, bundle, matter_code)
    if problems:
        raise DefinitionInvalid(problems)
    result = deploy_files(ctx, bundle, actor)
    if loaded.draft is not None:
        with ctx.uow() as uow:
            # A colleague's save after we read the draft is kept (it is not what was deployed).
            designs.delete_draft_if_unchanged(uow, loaded.draft.id, loaded.draft.updated_at)
            uow.commit()
    return result
