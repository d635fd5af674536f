"""Issued documents (文书): frozen when issued, numbered per case, never changed afterwards.

A document issued in a step is staged and inserted when the step commits, with its history row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import func
from sqlalchemy import select

from engine.persistence.records import DocumentRecord
from engine.persistence.sql import connection
from engine.persistence.sql import stage_insert
from engine.persistence.sql import staged_rows

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

DOCUMENTS = DocumentRecord.__table__


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    case_id: int
    doc_key: str
    document_no: str
    title: str
    permit: str
    element_id: str
    html: str
    sha256: str
    issued_at: datetime


def _row(values: Mapping[str, Any]) -> DocumentRow:
    return DocumentRow(**{column.name: values[column.name] for column in DOCUMENTS.c})


def count_documents(uow: UnitOfWork, case_id: int) -> int:
    """Documents of the case, including those this transaction issued so far."""
    query = select(func.count(DOCUMENTS.c.id)).where(DOCUMENTS.c.case_id == case_id)
    staged = sum(1 for row in staged_rows(uow, DOCUMENTS) if row["case_id"] == case_id)
    return int(connection(uow).execute(query).scalar() or 0) + staged


def documents_of_case(uow: UnitOfWork, case_id: int) -> list[DocumentRow]:
    query = select(*DOCUMENTS.c).where(DOCUMENTS.c.case_id == case_id).order_by(DOCUMENTS.c.id)
    return [_row(values) for values in connection(uow).execute(query).mappings()]


def stage_document(uow: UnitOfWork, *, case_id: int, doc_key: str, document_no: str, title: str, permit: str,
                   element_id: str, html: str, sha256: str, issued_at: datetime) -> None:
    """Issue a document: inserted when the unit of work commits (``document_no`` is unique)."""
    stage_insert(uow, DOCUMENTS, {"case_id": case_id, "doc_key": doc_key, "document_no": document_no, "title": title,
                                  "permit": permit, "element_id": element_id, "html": html, "sha256": sha256,
                                  "issued_at": issued_at})
