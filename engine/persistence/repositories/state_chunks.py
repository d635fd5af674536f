"""Chunks of a long case's finished tasks (see ``engine.runtime.spiff.serializer``): read, add, replace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import select

from engine.persistence.records import CaseStateChunkRecord
from engine.persistence.sql import connection
from engine.persistence.sql import stage_insert

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

CHUNKS = CaseStateChunkRecord.__table__
_RANGE = (select(CHUNKS.c.tasks).where(CHUNKS.c.case_id == bindparam("case_id_"),
                                       CHUNKS.c.seq.between(bindparam("first_"), bindparam("last_")))
          .order_by(CHUNKS.c.seq))
_DROP = delete(CHUNKS).where(CHUNKS.c.case_id == bindparam("case_id_"))


def state_chunks(uow: UnitOfWork, case_id: int, first: int, last: int) -> list[bytes]:
    """The case's chunks ``first`` to ``last``, in order (one query)."""
    return list(connection(uow).execute(_RANGE, {"case_id_": case_id, "first_": first, "last_": last}).scalars())


def drop_state_chunks(uow: UnitOfWork, case_id: int) -> None:
    """Delete every chunk of the case: its state was written anew (call after ``save_case``)."""
    connection(uow).execute(_DROP, {"case_id_": case_id})


def stage_state_chunk(uow: UnitOfWork, case_id: int, seq: int, tasks: bytes) -> None:
    """Add a chunk, written with the step's other rows when the unit of work commits."""
    stage_insert(uow, CHUNKS, {"case_id": case_id, "seq": seq, "tasks": tasks})
