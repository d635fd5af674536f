"""What the process designer reads and writes: definition drafts, version summaries, running cases to migrate.

Every function takes the ``UnitOfWork`` and returns plain frozen dataclasses, so the designer's
services (``engine/services/design/``) never see a session or an ORM record. Single versions are
``DefinitionRow``s (``repositories/definitions.py`` reads the newest one or one by id); the overview
lists every version of every matter column by column and never loads their files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import CaseRecord
from engine.persistence.records import DefinitionDraftRecord
from engine.persistence.records import DefinitionRecord
from engine.persistence.rows import DefinitionRow
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class VersionSummary:
    """A version as the designer's overview lists it: no files, and how many cases still run on it."""

    id: int
    matter_code: str
    version: int
    name: str
    department: str
    deployed_at: datetime
    deployed_by: str
    running_cases: int


@dataclass(frozen=True)
class DefinitionDraft:
    """A designer's saved, not yet deployed edit of a matter's files."""

    id: int
    matter_code: str
    files: dict[str, str]
    base_definition_id: int | None
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class DraftStamp:
    matter_code: str
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class RunningCase:
    """A running case of a matter as migration plans it: which version it is on and its workflow state."""

    id: int
    case_number: str
    title: str
    definition_id: int
    state: bytes


DEFINITIONS = DefinitionRecord.__table__


def version_of(uow: UnitOfWork, matter_code: str, version: int) -> DefinitionRow | None:
    """One version of the matter, with its files."""
    found = connection(uow).execute(select(DEFINITIONS).where(DEFINITIONS.c.matter_code == matter_code,
                                                              DEFINITIONS.c.version == version)).mappings().first()
    return DefinitionRow(**found) if found is not None else None


def version_numbers(uow: UnitOfWork, matter_code: str) -> dict[int, int]:
    """Definition id -> version number, for every version of the matter."""
    rows = connection(uow).execute(select(DefinitionRecord.id, DefinitionRecord.version)
                               .where(DefinitionRecord.matter_code == matter_code))
    return {row[0]: row[1] for row in rows}


def version_summaries(uow: UnitOfWork) -> list[VersionSummary]:
    """Every version of every matter, oldest first per matter, with its running cases (two queries)."""
    counts = {row[0]: int(row[1]) for row in connection(uow).execute(
        select(CaseRecord.definition_id, func.count(CaseRecord.id)).where(CaseRecord.status == "running")
        .group_by(CaseRecord.definition_id))}
    rows = connection(uow).execute(
        select(DefinitionRecord.id, DefinitionRecord.matter_code, DefinitionRecord.version,
               DefinitionRecord.metadata_json, DefinitionRecord.deployed_at, DefinitionRecord.deployed_by)
        .order_by(DefinitionRecord.matter_code, DefinitionRecord.version))
    summaries = []
    for definition_id, code, version, metadata_json, deployed_at, deployed_by in rows:
        meta = json.loads(metadata_json)
        summaries.append(VersionSummary(definition_id, code, version, str(meta.get("name", code)),
                                        str(meta.get("department", "")), deployed_at, deployed_by,
                                        counts.get(definition_id, 0)))
    return summaries


# -- drafts --------------------------------------------------------------------------------------


_DRAFT_COLUMNS = (DefinitionDraftRecord.id, DefinitionDraftRecord.matter_code, DefinitionDraftRecord.files_json,
                  DefinitionDraftRecord.base_definition_id, DefinitionDraftRecord.updated_at,
                  DefinitionDraftRecord.updated_by)
_NEWEST_DRAFT_FIRST = (DefinitionDraftRecord.updated_at.desc(), DefinitionDraftRecord.id.desc())


def latest_draft(uow: UnitOfWork, matter_code: str) -> DefinitionDraft | None:
    row = connection(uow).execute(select(*_DRAFT_COLUMNS).where(DefinitionDraftRecord.matter_code == matter_code)
                              .order_by(*_NEWEST_DRAFT_FIRST).limit(1)).first()
    if row is None:
        return None
    return DefinitionDraft(row[0], row[1], dict(json.loads(row[2])), row[3], row[4], row[5])


def draft_stamps(uow: UnitOfWork) -> dict[str, DraftStamp]:
    """Matter code -> when and by whom its newest draft was saved."""
    stamps: dict[str, DraftStamp] = {}
    rows = connection(uow).execute(select(DefinitionDraftRecord.matter_code, DefinitionDraftRecord.updated_at,
                                      DefinitionDraftRecord.updated_by).order_by(*_NEWEST_DRAFT_FIRST))
    for code, updated_at, updated_by in rows:
        stamps.setdefault(code, DraftStamp(code, updated_at, updated_by))
    return stamps


def store_draft(uow: UnitOfWork, draft_id: int | None, matter_code: str, files_json: str,
                base_definition_id: int | None, now: datetime, user_id: str) -> DefinitionDraft:
    """Write the draft's files: a new draft when ``draft_id`` is None, else replace that draft's files."""
    if draft_id is None:
        draft_id = connection(uow).execute(insert(DefinitionDraftRecord).values(
            matter_code=matter_code, files_json=files_json, base_definition_id=base_definition_id, updated_at=now,
            updated_by=user_id).returning(DefinitionDraftRecord.id)).scalar_one()
    else:
        connection(uow).execute(update(DefinitionDraftRecord).where(DefinitionDraftRecord.id == draft_id)
                            .values(files_json=files_json, updated_at=now, updated_by=user_id))
    return DefinitionDraft(draft_id, matter_code, dict(json.loads(files_json)), base_definition_id, now, user_id)


def delete_drafts(uow: UnitOfWork, matter_code: str) -> None:
    connection(uow).execute(delete(DefinitionDraftRecord).where(DefinitionDraftRecord.matter_code == matter_code))


def delete_draft_if_unchanged(uow: UnitOfWork, draft_id: int, updated_at: datetime) -> bool:
    """Delete the draft only if nobody saved it since ``updated_at`` (a colleague's later save is kept)."""
    result = connection(uow).execute(delete(DefinitionDraftRecord).where(DefinitionDraftRecord.id == draft_id,
                                                                     DefinitionDraftRecord.updated_at == updated_at))
    return result.rowcount == 1


# -- running cases (migration) -------------------------------------------------------------------


def running_cases(uow: UnitOfWork, matter_code: str) -> list[RunningCase]:
    """The matter's running cases with their state, in one query."""
    rows = connection(uow).execute(select(CaseRecord.id, CaseRecord.case_number, CaseRecord.title,
                                      CaseRecord.definition_id, CaseRecord.state)
                               .where(CaseRecord.matter_code == matter_code, CaseRecord.status == "running")
                               .order_by(CaseRecord.id))
    return [RunningCase(*row) for row in rows]
