"""Rows of uploaded materials (the bytes live on disk, named by their SHA-256)."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import UploadRecord
from engine.persistence.sql import connection
from engine.persistence.sql import id_batches

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

UPLOADS = UploadRecord.__table__


@dataclass(frozen=True, slots=True)
class UploadRow:
    id: int
    sha256: str
    original_name: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: datetime
    #: The case whose submitted form first referenced the file.
    case_id: int | None


def _row(values: Mapping[str, Any]) -> UploadRow:
    return UploadRow(**{column.name: values[column.name] for column in UPLOADS.c})


def insert_upload(uow: UnitOfWork, *, sha256: str, original_name: str, content_type: str, size: int,
                  uploaded_by: str, now: datetime) -> UploadRow:
    values = {"sha256": sha256, "original_name": original_name, "content_type": content_type, "size": size,
              "uploaded_by": uploaded_by, "uploaded_at": now, "case_id": None}
    result = connection(uow).execute(insert(UPLOADS).values(**values))
    return UploadRow(id=int(result.inserted_primary_key[0]), **values)


def uploads_by_ids(uow: UnitOfWork, upload_ids: Iterable[int]) -> dict[int, UploadRow]:
    found: dict[int, UploadRow] = {}
    for ids in id_batches(upload_ids):
        query = select(*UPLOADS.c).where(UPLOADS.c.id.in_(ids))
        found.update((values["id"], _row(values)) for values in connection(uow).execute(query).mappings())
    return found


def attach_uploads(uow: UnitOfWork, case_id: int, upload_ids: Iterable[int], uploaded_by: str) -> None:
    """Attach the person's own, not yet attached uploads to the case (first use wins)."""
    ids = sorted(set(upload_ids))
    if ids:
        connection(uow).execute(update(UPLOADS).where(UPLOADS.c.id.in_(ids), UPLOADS.c.case_id.is_(None),
                                                      UPLOADS.c.uploaded_by == uploaded_by)
                                .values(case_id=case_id))
