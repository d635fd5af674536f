"""The 事项库: entries, their versions (each edit adds one, none is ever changed) and catalogue files.

Versions store the whole ``CatalogueEntry`` as JSON; this module turns it back into the dataclass,
so callers only ever see ``CatalogueVersion`` rows holding a ``CatalogueEntry``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import fields
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.entry import FeeItem
from engine.catalogue.entry import Material
from engine.errors import ConcurrentUpdate
from engine.persistence.catalogue_records import CatalogueEntryRecord
from engine.persistence.catalogue_records import CatalogueFileRecord
from engine.persistence.catalogue_records import CatalogueVersionRecord
from engine.persistence.sql import connection
from engine.persistence.sql import id_batches

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

ENTRIES = CatalogueEntryRecord.__table__
VERSIONS = CatalogueVersionRecord.__table__
FILES = CatalogueFileRecord.__table__


@dataclass(frozen=True, slots=True)
class CatalogueVersion:
    """One stored version of an entry."""

    #: The version row's id: what a case records as ``catalogue_version_id``.
    id: int
    entry_id: int
    version: int
    created_at: datetime
    created_by: str
    note: str
    entry: CatalogueEntry

    @property
    def code(self) -> str:
        return self.entry.code


@dataclass(frozen=True, slots=True)
class CatalogueFileRow:
    id: int
    sha256: str
    name: str
    content_type: str
    size: int
    uploaded_at: datetime
    uploaded_by: str

    @property
    def ref(self) -> str:
        """How entries name the file: its name and the first 16 hex digits of its SHA-256."""
        return f"{self.name}#{self.sha256[:16]}"


def entry_json(entry: CatalogueEntry) -> str:
    return json.dumps(asdict(entry), ensure_ascii=False, sort_keys=True)


@lru_cache(maxsize=4096)
def entry_from_json(text: str) -> CatalogueEntry:
    """The entry a stored version's JSON holds. Versions never change and entries are frozen, so a
    parsed entry is kept per text: listing the hall (the window's picker) reads ~150 of them."""
    raw: dict[str, Any] = json.loads(text)
    known = {f.name for f in fields(CatalogueEntry)}
    values = {k: v for k, v in raw.items() if k in known}
    values["materials"] = tuple(Material(**m) for m in values.get("materials", ()))
    values["fees"] = tuple(FeeItem(**f) for f in values.get("fees", ()))
    for key in ("legal_basis", "conditions", "special_procedures"):
        values[key] = tuple(values.get(key, ()))
    return CatalogueEntry(**values)


def _version(values: Mapping[str, Any]) -> CatalogueVersion:
    return CatalogueVersion(id=values["id"], entry_id=values["entry_id"], version=values["version"],
                            created_at=values["created_at"], created_by=values["created_by"], note=values["note"],
                            entry=entry_from_json(values["content_json"]))


_VERSION_COLUMNS = (VERSIONS.c.id, VERSIONS.c.entry_id, VERSIONS.c.version, VERSIONS.c.created_at,
                    VERSIONS.c.created_by, VERSIONS.c.note, VERSIONS.c.content_json)


def _current_query() -> Any:
    return select(*_VERSION_COLUMNS).join(ENTRIES, ENTRIES.c.current_version_id == VERSIONS.c.id)


def current_entries(uow: UnitOfWork, *, active_only: bool = False) -> list[CatalogueVersion]:
    """The current version of every entry, by code."""
    query = _current_query().order_by(ENTRIES.c.code)
    if active_only:
        query = query.where(ENTRIES.c.is_active.is_(True))
    return [_version(v) for v in connection(uow).execute(query).mappings()]


_BY_HASH: dict[str, CatalogueEntry] = {}


def current_entries_with_numbers(uow: UnitOfWork) -> list[tuple[int, CatalogueEntry]]:
    """(version number, entry) of every current entry, by code, for listing the whole hall often.

    Reads the versions' content hashes, and the content only of versions this process has not parsed
    yet (by hash: a version's content never changes), so the window's picker does not move ~150
    entries' JSON on every keystroke.
    """
    conn = connection(uow)
    heads = list(conn.execute(select(VERSIONS.c.id, VERSIONS.c.version, VERSIONS.c.content_hash)
                              .join(ENTRIES, ENTRIES.c.current_version_id == VERSIONS.c.id).order_by(ENTRIES.c.code)))
    missing = [row.id for row in heads if row.content_hash not in _BY_HASH]
    if missing:
        if len(_BY_HASH) > 8192:
            _BY_HASH.clear()
        for row in conn.execute(select(VERSIONS.c.content_hash, VERSIONS.c.content_json)
                                .where(VERSIONS.c.id.in_(missing))):
            _BY_HASH[row.content_hash] = entry_from_json(row.content_json)
    return [(int(row.version), _BY_HASH[row.content_hash]) for row in heads]


def current_entry(uow: UnitOfWork, code: str) -> CatalogueVersion | None:
    found = connection(uow).execute(_current_query().where(ENTRIES.c.code == code)).mappings().first()
    return _version(found) if found is not None else None


def entry_version(uow: UnitOfWork, version_id: int) -> CatalogueVersion | None:
    found = connection(uow).execute(select(*_VERSION_COLUMNS).where(VERSIONS.c.id == version_id)).mappings().first()
    return _version(found) if found is not None else None


def entry_versions(uow: UnitOfWork, version_ids: Iterable[int]) -> dict[int, CatalogueVersion]:
    """Many versions by id, in one query per batch (lists compute every case's limits)."""
    found: dict[int, CatalogueVersion] = {}
    for ids in id_batches(version_ids):
        for values in connection(uow).execute(select(*_VERSION_COLUMNS).where(VERSIONS.c.id.in_(ids))).mappings():
            found[values["id"]] = _version(values)
    return found


def history_of_entry(uow: UnitOfWork, code: str) -> list[CatalogueVersion]:
    """Every version of an entry, newest first."""
    query = (select(*_VERSION_COLUMNS).join(ENTRIES, ENTRIES.c.id == VERSIONS.c.entry_id)
             .where(ENTRIES.c.code == code).order_by(VERSIONS.c.version.desc()))
    return [_version(v) for v in connection(uow).execute(query).mappings()]


def current_entries_by_code(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, CatalogueVersion]:
    """Current versions of the given codes (those that exist), in one query per 5,000 codes."""
    wanted = sorted(set(codes))
    found: dict[str, CatalogueVersion] = {}
    for start in range(0, len(wanted), 5000):
        query = _current_query().where(ENTRIES.c.code.in_(wanted[start:start + 5000]))
        for values in connection(uow).execute(query).mappings():
            version = _version(values)
            found[version.code] = version
    return found


def add_versions(uow: UnitOfWork, entries: list[CatalogueEntry], *, now: datetime, by: str,
                 note: str) -> list[CatalogueVersion]:
    """Store each entry as the next version of its code (creating entries on their first version).

    A constant number of statements for any number of entries: the heads are read (and locked) in one
    query, new entries and all versions inserted in one multi-row ``INSERT`` each, and the heads moved
    with one ``UPDATE`` per row checked against the version read, so a concurrent edit of any of them
    makes the whole batch fail with ``ConcurrentUpdate`` instead of one edit silently winning.
    """
    if not entries:
        return []
    conn = connection(uow)
    codes = [entry.code for entry in entries]
    heads = {row.code: (int(row.id), int(row.current_version)) for row in conn.execute(
        select(ENTRIES.c.id, ENTRIES.c.code, ENTRIES.c.current_version).where(ENTRIES.c.code.in_(codes))
        .with_for_update())}

    def summary(entry: CatalogueEntry) -> dict[str, Any]:
        return {"name": entry.name, "implementation_code": entry.implementation_code,
                "organ_code": entry.organ_code, "process": entry.process, "is_active": entry.active, "updated_at": now}

    new = [entry for entry in entries if entry.code not in heads]
    if new:
        rows = [{"code": entry.code, "current_version": 0, "current_version_id": 0, **summary(entry)} for entry in new]
        ids = conn.execute(insert(ENTRIES).returning(ENTRIES.c.id, sort_by_parameter_order=True), rows).scalars()
        heads.update({entry.code: (int(entry_id), 0) for entry, entry_id in zip(new, ids, strict=True)})
    contents = [entry_json(entry) for entry in entries]
    version_rows = [{"entry_id": heads[entry.code][0], "version": heads[entry.code][1] + 1, "content_json": content,
                     "content_hash": hashlib.sha256(content.encode("utf-8")).hexdigest(), "created_at": now,
                     "created_by": by, "note": note[:200]} for entry, content in zip(entries, contents, strict=True)]
    version_ids = list(conn.execute(insert(VERSIONS).returning(VERSIONS.c.id, sort_by_parameter_order=True),
                                    version_rows).scalars())
    moved = conn.execute(
        update(ENTRIES).where(ENTRIES.c.id == bindparam("head_id"), ENTRIES.c.current_version == bindparam("was"))
        .values(current_version=bindparam("now_version"), current_version_id=bindparam("version_id"),
                name=bindparam("s_name"), implementation_code=bindparam("s_code"), organ_code=bindparam("s_organ"),
                process=bindparam("s_process"), is_active=bindparam("s_active"), updated_at=bindparam("s_at")),
        [{"head_id": heads[e.code][0], "was": heads[e.code][1], "now_version": heads[e.code][1] + 1, "version_id": vid,
          "s_name": e.name, "s_code": e.implementation_code, "s_organ": e.organ_code, "s_process": e.process,
          "s_active": e.active, "s_at": now} for e, vid in zip(entries, version_ids, strict=True)])
    if moved.rowcount not in (-1, len(entries)):
        raise ConcurrentUpdate("事项刚被他人修改，您的修改未保存，请刷新后重试")
    return [CatalogueVersion(int(vid), heads[e.code][0], heads[e.code][1] + 1, now, by, note[:200], e)
            for e, vid in zip(entries, version_ids, strict=True)]


def add_version(uow: UnitOfWork, entry: CatalogueEntry, *, now: datetime, by: str, note: str) -> CatalogueVersion:
    """Store ``entry`` as the next version of its code (see ``add_versions``)."""
    return add_versions(uow, [entry], now=now, by=by, note=note)[0]


# -- files ---------------------------------------------------------------------------------------

_FILE_COLUMNS = tuple(FILES.c)


def _file(values: Mapping[str, Any]) -> CatalogueFileRow:
    return CatalogueFileRow(**{c.name: values[c.name] for c in _FILE_COLUMNS})


def catalogue_files(uow: UnitOfWork) -> list[CatalogueFileRow]:
    return [_file(v) for v in connection(uow).execute(select(*_FILE_COLUMNS).order_by(FILES.c.id.desc())).mappings()]


def file_by_sha256_prefix(uow: UnitOfWork, prefix: str) -> CatalogueFileRow | None:
    """The file whose SHA-256 starts with ``prefix`` (16+ hex digits); None when none or ambiguous."""
    if len(prefix) < 16 or any(ch not in "0123456789abcdef" for ch in prefix):
        return None
    found = [_file(v) for v in connection(uow).execute(
        select(*_FILE_COLUMNS).where(FILES.c.sha256.startswith(prefix)).limit(2)).mappings()]
    return found[0] if len(found) == 1 else None


def insert_file(uow: UnitOfWork, *, sha256: str, name: str, content_type: str, size: int, now: datetime,
                by: str) -> CatalogueFileRow:
    existing = connection(uow).execute(select(*_FILE_COLUMNS).where(FILES.c.sha256 == sha256)).mappings().first()
    if existing is not None:
        return _file(existing)
    values = {"sha256": sha256, "name": name, "content_type": content_type, "size": size, "uploaded_at": now,
              "uploaded_by": by}
    file_id = int(connection(uow).execute(insert(FILES).values(**values).returning(FILES.c.id)).scalar_one())
    return CatalogueFileRow(id=file_id, **values)
