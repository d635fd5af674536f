"""Queries and writes, one module per area (``cases``, ``tasks``, ``history``, ``definitions``, …).

Every function takes the ``UnitOfWork`` first and returns plain rows (``engine.persistence.rows``
or the area module's own dataclasses), never ORM objects.

What remains in this file is transitional: the process designer (``engine/services/designer.py``,
being split into ``engine/services/design/`` with its own ``designs.py`` repository) still calls
these session-based functions. Nothing else may; delete them once the designer has moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence.records import CaseRecord
from engine.persistence.records import DefinitionDraftRecord
from engine.persistence.records import DefinitionRecord


def latest_definition(session: Session, matter_code: str) -> DefinitionRecord | None:
    return session.scalars(select(DefinitionRecord).where(DefinitionRecord.matter_code == matter_code)
                           .order_by(DefinitionRecord.version.desc()).limit(1)).first()


def definition_versions(session: Session, matter_code: str) -> Sequence[DefinitionRecord]:
    return session.scalars(select(DefinitionRecord).where(DefinitionRecord.matter_code == matter_code)
                           .order_by(DefinitionRecord.version)).all()


def definition_of_case(session: Session, case: Any) -> DefinitionRecord:
    record = session.get(DefinitionRecord, case.definition_id)
    assert record is not None  # guaranteed by the foreign key
    return record


def latest_definition_draft(session: Session, matter_code: str) -> DefinitionDraftRecord | None:
    """The matter's newest designer draft, or None."""
    return session.scalars(select(DefinitionDraftRecord).where(DefinitionDraftRecord.matter_code == matter_code)
                           .order_by(DefinitionDraftRecord.updated_at.desc(), DefinitionDraftRecord.id.desc())
                           .limit(1)).first()


def definition_drafts(session: Session) -> Sequence[DefinitionDraftRecord]:
    """Every designer draft, newest first."""
    return session.scalars(select(DefinitionDraftRecord)
                           .order_by(DefinitionDraftRecord.updated_at.desc(), DefinitionDraftRecord.id.desc())).all()


def delete_definition_drafts(session: Session, matter_code: str) -> None:
    session.execute(delete(DefinitionDraftRecord).where(DefinitionDraftRecord.matter_code == matter_code))


def definition_version(session: Session, matter_code: str, version: int) -> DefinitionRecord | None:
    return session.scalars(select(DefinitionRecord).where(DefinitionRecord.matter_code == matter_code,
                                                          DefinitionRecord.version == version)).first()


def definition_summaries(session: Session) -> list[tuple[int, str, int, str, datetime, str]]:
    """(id, matter code, version, metadata JSON, deployed at, deployed by) of every version, without the files."""
    query = (select(DefinitionRecord.id, DefinitionRecord.matter_code, DefinitionRecord.version,
                    DefinitionRecord.metadata_json, DefinitionRecord.deployed_at, DefinitionRecord.deployed_by)
             .order_by(DefinitionRecord.matter_code, DefinitionRecord.version))
    return [(row[0], row[1], row[2], row[3], row[4], row[5]) for row in session.execute(query)]


def running_case_counts(session: Session) -> dict[int, int]:
    """Definition id -> number of running cases on that version."""
    query = (select(CaseRecord.definition_id, func.count(CaseRecord.id)).where(CaseRecord.status == "running")
             .group_by(CaseRecord.definition_id))
    return {row[0]: int(row[1]) for row in session.execute(query)}


def running_cases_of_matter(session: Session, matter_code: str) -> Sequence[CaseRecord]:
    return session.scalars(select(CaseRecord).where(CaseRecord.matter_code == matter_code,
                                                    CaseRecord.status == "running").order_by(CaseRecord.id)).all()
