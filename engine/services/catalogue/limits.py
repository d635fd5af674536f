"""The limits a case runs on: the 事项库 entry version it started on, through ``legal_time.limits_for``.

Every reader of a case's legal time calls ``case_limits`` instead of ``limits_for(definition.metadata)``,
so editing an entry's limits changes the limits of cases started after the edit and of no case
started before it (each keeps the version it recorded). Cases without a version (started before
the catalogue, or of a matter with no entry) run on their matter.toml, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.catalogue.entry import PATTERN_PROCESS
from engine.catalogue.entry import CatalogueEntry
from engine.legal_time import MatterLimits
from engine.legal_time import limits_for
from engine.persistence.repositories.catalogue import entry_version
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork


def case_entry(uow: UnitOfWork, case: CaseRow) -> CatalogueEntry | None:
    """The entry version the case started on (None when it recorded none)."""
    if case.catalogue_version_id is None:
        return None
    version = entry_version(uow, case.catalogue_version_id)
    return version.entry if version is not None else None


def case_limits(uow: UnitOfWork, case: CaseRow, metadata: Mapping[str, Any] | Any) -> MatterLimits:
    """``limits_for`` the case's definition metadata and its recorded entry version."""
    return limits_for(metadata, case_entry(uow, case))


def case_matter_name(uow: UnitOfWork, case: CaseRow, metadata_name: str) -> str:
    """What the case's matter is called: a pattern-run case's entry name, else the diagram's matter name."""
    entry = case_entry(uow, case) if case.matter_code == PATTERN_PROCESS else None
    return entry.name if entry is not None else metadata_name
