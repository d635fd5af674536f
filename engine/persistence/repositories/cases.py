"""Cases: insert, load (and lock) for a step, save with an optimistic check, list what a user may see.

Everything here is SQLAlchemy Core on the tables: a step reads one row and writes it back with one
``UPDATE … WHERE id = ? AND lock_version = ?``; no ORM identity map or flush sits on the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.errors import ConcurrentUpdate
from engine.history import head_mac
from engine.persistence.records import CaseNumberCounterRecord
from engine.persistence.records import CaseRecord
from engine.persistence.records import HumanTaskRecord
from engine.persistence.repositories.counters import buckets
from engine.persistence.repositories.counters import count_case
from engine.persistence.repositories.history import mark_saved
from engine.persistence.rows import CaseRow
from engine.persistence.sql import LIKE_ESCAPE
from engine.persistence.sql import connection
from engine.persistence.sql import contains_pattern
from engine.persistence.sql import group_pattern

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

CASES = CaseRecord.__table__
TASKS = HumanTaskRecord.__table__
COUNTERS = CaseNumberCounterRecord.__table__

#: Every column but the state blob: lists and access checks never need the workflow.
_ROW_COLUMNS = tuple(column for column in CASES.c if column.name != "state")
#: What a step writes back (``id`` and the start facts never change; the number and the receipt time are
#: set once, when a draft is submitted).
_SAVED = ("case_number", "received_at", "definition_id", "status", "title", "owner_id", "serializer_version",
          "next_timer_due", "error", "blzt", "updated_at", "completed_at", "history_seq", "history_hash",
          "deadline_accepted_on", "deadline_promised_due", "deadline_closed_on", "deadline_paused", "history_mac",
          "rating", "credit_code")


# The step's own statements are built once: SQLAlchemy then skips constructing them and computing
# their cache key on every step (it memoizes both on the statement object).
_LOCK = (select(*_ROW_COLUMNS, CASES.c.state).where(CASES.c.id == bindparam("case_id_")).with_for_update())
_SAVE = update(CASES).where(CASES.c.id == bindparam("case_id_"), CASES.c.lock_version == bindparam("lock_version_"))


def _row(values: Mapping[str, Any], state: bytes | None = None) -> CaseRow:
    case = CaseRow(**{column.name: values[column.name] for column in _ROW_COLUMNS}, state=state)
    case.counted = buckets(case)
    return case


def _select(with_state: bool):  # type: ignore[no-untyped-def]
    return select(*_ROW_COLUMNS, CASES.c.state) if with_state else select(*_ROW_COLUMNS)


def _one(uow: UnitOfWork, query: Any, with_state: bool) -> CaseRow | None:
    found = connection(uow).execute(query).mappings().first()
    if found is None:
        return None
    return _row(found, found["state"] if with_state else None)


def insert_case(uow: UnitOfWork, *, case_number: str | None, definition_id: int, matter_code: str, title: str,
                owner_id: str | None, started_by: str, now: datetime,
                catalogue_version_id: int | None = None, status: str = "running") -> CaseRow:
    """A new case (running, or a ``draft`` without a number) with an empty state and history; the
    first save writes its state."""
    values = {"case_number": case_number, "definition_id": definition_id, "matter_code": matter_code,
              "status": status, "title": title, "owner_id": owner_id, "started_by": started_by,
              "serializer_version": "", "next_timer_due": None, "error": None, "blzt": None, "received_at": now,
              "created_at": now, "updated_at": now, "completed_at": None, "history_seq": 0, "history_hash": "",
              "lock_version": 1, "catalogue_version_id": catalogue_version_id, "history_mac": None,
              "rating": None, "credit_code": ""}
    result = connection(uow).execute(insert(CASES).values(state=b"", **values))
    case = CaseRow(id=int(result.inserted_primary_key[0]), **values, state=b"", counted=())
    count_case(uow, case)
    return case


def save_case(uow: UnitOfWork, case: CaseRow) -> None:
    """Write the case back if nobody saved it since it was read, and bump its ``lock_version``.

    The state blob is written only when it was loaded (a claim never touches it). The chain head is
    signed with the unit of work's history key (unsigned without one).

    :raise ConcurrentUpdate: another writer saved the case first; nothing of this write happened.
    """
    key = uow.history_key
    case.history_mac = head_mac(key, case.id, case.history_seq, case.history_hash) if key else None
    values: dict[str, Any] = {name: getattr(case, name) for name in _SAVED}
    if case.state is not None:
        values["state"] = case.state
    values.update(case_id_=case.id, lock_version_=case.lock_version, lock_version=case.lock_version + 1)
    result = connection(uow).execute(_SAVE, values)
    if result.rowcount != 1:
        raise ConcurrentUpdate()
    case.lock_version += 1
    count_case(uow, case)
    mark_saved(uow, case)


def sign_head(uow: UnitOfWork, case_id: int, seq: int, row_hash: str, mac: str) -> bool:
    """Sign an unsigned head, if it is still the one that was checked (nothing else changes)."""
    result = connection(uow).execute(update(CASES).where(
        CASES.c.id == case_id, CASES.c.history_seq == seq, CASES.c.history_hash == row_hash,
        CASES.c.history_mac.is_(None)).values(history_mac=mac))
    return bool(result.rowcount == 1)


def case_by_id(uow: UnitOfWork, case_id: int, *, with_state: bool = False) -> CaseRow | None:
    return _one(uow, _select(with_state).where(CASES.c.id == case_id), with_state)


def lock_case(uow: UnitOfWork, case_id: int) -> CaseRow | None:
    """Load a case with its state for a step: PostgreSQL holds the row lock, SQLite the write lock
    (``begin_write``), so the case and the task rows the step reads next come from one commit."""
    uow.begin_write()
    found = connection(uow).execute(_LOCK, {"case_id_": case_id}).mappings().first()
    return None if found is None else _row(found, found["state"])


def due_timer_case_ids(uow: UnitOfWork, now: datetime, limit: int, skip_locked: bool) -> list[int]:
    """Cases with a timer due; on PostgreSQL rows another worker holds are skipped, not waited for."""
    query = (select(CASES.c.id).where(CASES.c.next_timer_due <= now, CASES.c.status == "running")
             .order_by(CASES.c.next_timer_due).limit(limit))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return list(connection(uow).execute(query).scalars())


def next_timer_after(uow: UnitOfWork, now: datetime) -> datetime | None:
    """When the earliest timer not yet due comes due (the timer worker sleeps until then)."""
    query = select(func.min(CASES.c.next_timer_due)).where(CASES.c.next_timer_due > now, CASES.c.status == "running")
    return connection(uow).execute(query).scalar_one_or_none()


def timer_definition_ids(uow: UnitOfWork) -> list[int]:
    """The versions that running cases with a pending timer run on (a starting worker compiles them)."""
    query = (select(CASES.c.definition_id).distinct()
             .where(CASES.c.next_timer_due.is_not(None), CASES.c.status == "running"))
    return list(connection(uow).execute(query).scalars())


def lock_due_case(uow: UnitOfWork, case_id: int, now: datetime, skip_locked: bool) -> CaseRow | None:
    """The case (with state) if its timer is still due and (PostgreSQL) no other worker holds it; else None."""
    uow.begin_write()
    query = _select(True).where(CASES.c.id == case_id, CASES.c.status == "running", CASES.c.next_timer_due <= now)
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return _one(uow, query, True)


def next_case_sequence(uow: UnitOfWork, implementation_code: str, day: str) -> int:
    """Atomically take the next daily sequence number (an upsert, safe under concurrency)."""
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    statement = (upsert(COUNTERS)
                 .values(implementation_code=implementation_code, day=day, last_seq=1)
                 .on_conflict_do_update(index_elements=["implementation_code", "day"],
                                        set_={"last_seq": COUNTERS.c.last_seq + 1})
                 .returning(COUNTERS.c.last_seq))
    return int(connection(uow).execute(statement).scalar_one())


def visible_cases(uow: UnitOfWork, user_id: str, groups: frozenset[str], see_all: bool, *,
                  matter_code: str | None = None, search: str = "", status: str | None = None,
                  limit: int = 200, before_id: int | None = None) -> list[CaseRow]:
    """Cases the user may see, newest first, with optional filters (the list form of ``can_view_case``).

    ``search`` matches the case number, the title or the applicant's 统一社会信用代码 literally: ``%`` and
    ``_`` are not wildcards (trigram indexes serve all three on PostgreSQL).
    ``before_id``: the last case of the previous page (keyset paging: any page costs what the first does).
    """
    query = _select(False)
    if before_id is not None:
        query = query.where(CASES.c.id < before_id)
    own = or_(CASES.c.owner_id == user_id, CASES.c.started_by == user_id)
    # A draft is private to its applicant and whoever is filling it in for them (drafts are not cases).
    query = query.where(or_(CASES.c.status != "draft", own))
    if not see_all:
        if groups:
            match = [TASKS.c.candidate_groups.like(group_pattern(g), escape=LIKE_ESCAPE) for g in sorted(groups)]
            worked = select(TASKS.c.case_id).where(or_(TASKS.c.assignee == user_id, TASKS.c.completed_by == user_id,
                                                       *match))
            own = or_(own, CASES.c.id.in_(worked))
        query = query.where(own)
    if matter_code:
        query = query.where(CASES.c.matter_code == matter_code)
    if status:
        query = query.where(CASES.c.status == status)
    if search.strip():
        pattern = contains_pattern(search.strip())
        query = query.where(or_(CASES.c.case_number.like(pattern, escape=LIKE_ESCAPE),
                                CASES.c.title.like(pattern, escape=LIKE_ESCAPE),
                                CASES.c.credit_code.like(pattern.upper(), escape=LIKE_ESCAPE)))
    rows = connection(uow).execute(query.order_by(CASES.c.id.desc()).limit(limit)).mappings()
    return [_row(row) for row in rows]


def running_cases(uow: UnitOfWork) -> list[CaseRow]:
    rows = connection(uow).execute(_select(False).where(CASES.c.status == "running").order_by(CASES.c.id))
    return [_row(row) for row in rows.mappings()]


def all_cases(uow: UnitOfWork, limit: int = 10000, *, with_drafts: bool = False) -> list[CaseRow]:
    """The newest ``limit`` cases (without state), newest first; drafts are not cases (figures leave them
    out), but their history is still chained (the audit's check passes ``with_drafts``)."""
    query = _select(False) if with_drafts else _select(False).where(CASES.c.status != "draft")
    rows = connection(uow).execute(query.order_by(CASES.c.id.desc()).limit(limit))
    return [_row(row) for row in rows.mappings()]


def cases_by_ids(uow: UnitOfWork, case_ids: list[int]) -> list[CaseRow]:
    """Cases (without state) in the order of ``case_ids``, in one query (the operations console's search)."""
    if not case_ids:
        return []
    found = {row["id"]: _row(row) for row in connection(uow).execute(
        _select(False).where(CASES.c.id.in_(case_ids))).mappings()}
    return [found[case_id] for case_id in case_ids if case_id in found]


def newest_running_cases(uow: UnitOfWork, limit: int) -> list[CaseRow]:
    """The newest ``limit`` running cases (a draft is not running), newest first: the board's list.

    Read down ``ix_cases_status_id``, so it costs the same at 100 cases as at 100k."""
    query = (_select(False).where(CASES.c.status == "running").order_by(CASES.c.id.desc()).limit(limit))
    return [_row(row) for row in connection(uow).execute(query).mappings()]
