"""Deployed definition versions: stored once by content hash, never changed, read without their files
unless a caller needs them (the per-process cache of compiled versions usually has them already)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

from engine.persistence.records import DefinitionRecord
from engine.persistence.rows import DefinitionRow
from engine.persistence.sql import connection
from engine.persistence.sql import id_batches

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

DEFINITIONS = DefinitionRecord.__table__
_COLUMNS = tuple(column for column in DEFINITIONS.c if column.name != "files_json")


def _select(with_files: bool):  # type: ignore[no-untyped-def]
    return select(*_COLUMNS, DEFINITIONS.c.files_json) if with_files else select(*_COLUMNS)


def _row(values: Mapping[str, Any]) -> DefinitionRow:
    return DefinitionRow(**{column.name: values[column.name] for column in _COLUMNS},
                         files_json=values.get("files_json"))


def _first(uow: UnitOfWork, query: Any) -> DefinitionRow | None:
    found = connection(uow).execute(query).mappings().first()
    return _row(found) if found is not None else None


def latest_definition(uow: UnitOfWork, matter_code: str, *, with_files: bool = False) -> DefinitionRow | None:
    return _first(uow, _select(with_files).where(DEFINITIONS.c.matter_code == matter_code)
                  .order_by(DEFINITIONS.c.version.desc()).limit(1))


def definition_by_hash(uow: UnitOfWork, matter_code: str, content_hash: str) -> DefinitionRow | None:
    return _first(uow, _select(False).where(DEFINITIONS.c.matter_code == matter_code,
                                            DEFINITIONS.c.content_hash == content_hash))


def definition(uow: UnitOfWork, definition_id: int, *, with_files: bool = False) -> DefinitionRow | None:
    return _first(uow, _select(with_files).where(DEFINITIONS.c.id == definition_id))


def latest_definitions(uow: UnitOfWork) -> list[DefinitionRow]:
    """The newest version of every matter (without files), by matter code."""
    newest = (select(DEFINITIONS.c.matter_code, func.max(DEFINITIONS.c.version).label("version"))
              .group_by(DEFINITIONS.c.matter_code).subquery())
    query = (_select(False).join(newest, (DEFINITIONS.c.matter_code == newest.c.matter_code)
                                 & (DEFINITIONS.c.version == newest.c.version))
             .order_by(DEFINITIONS.c.matter_code))
    return [_row(values) for values in connection(uow).execute(query).mappings()]


def definitions_metadata(uow: UnitOfWork, definition_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Parsed ``matter.toml`` of many versions in one query (lists show each case's matter and limits)."""
    found: dict[int, dict[str, Any]] = {}
    for ids in id_batches(definition_ids):
        query = select(DEFINITIONS.c.id, DEFINITIONS.c.metadata_json).where(DEFINITIONS.c.id.in_(ids))
        found.update((row.id, json.loads(row.metadata_json)) for row in connection(uow).execute(query))
    return found


def insert_definition(uow: UnitOfWork, *, matter_code: str, version: int, content_hash: str, files_json: str,
                      metadata_json: str, now: datetime, deployed_by: str) -> DefinitionRow:
    """Store a new version; a concurrent deploy of the same version number fails on the unique constraint."""
    values = {"matter_code": matter_code, "version": version, "content_hash": content_hash,
              "metadata_json": metadata_json, "deployed_at": now, "deployed_by": deployed_by}
    result = connection(uow).execute(insert(DEFINITIONS).values(files_json=files_json, **values))
    return DefinitionRow(id=int(result.inserted_primary_key[0]), files_json=files_json, **values)
