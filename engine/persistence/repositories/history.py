"""The append-only, hash-chained history of each case, and the state snapshots it vouches for.

Rows are only ever inserted. ``append_history`` chains a row to the case's head (the case row
carries the newest seq and hash) and stages it; the unit of work writes every staged row in one
multi-row ``INSERT`` right before it commits, in the same transaction as the state they describe.
Snapshots are staged the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from engine.case_facts import facts_of_row
from engine.history import GENESIS_HASH
from engine.history import row_digest
from engine.persistence.records import CaseRecord
from engine.persistence.records import HistoryEventRecord
from engine.persistence.records import HistorySnapshotRecord
from engine.persistence.rows import CaseRow
from engine.persistence.rows import HistoryRow
from engine.persistence.sql import connection
from engine.persistence.sql import stage_insert
from engine.persistence.sql import staged_rows

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

HISTORY = HistoryEventRecord.__table__
SNAPSHOTS = HistorySnapshotRecord.__table__
CASES = CaseRecord.__table__
_COLUMNS = tuple(HISTORY.c)

_HEADS = "onewindow_history_heads"
#: Every stored column of a row but its surrogate id: what ``history_fingerprint`` covers (names are fixed).
_FINGERPRINTED = tuple(column.name for column in _COLUMNS if column.name != "id")


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    case_id: int
    seq: int
    state: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """A history row with the case it belongs to (exports and heatmaps read many cases at once)."""

    case_number: str
    matter_code: str
    event: HistoryRow


def _row(values: Mapping[str, Any]) -> HistoryRow:
    return HistoryRow(**{column.name: values[column.name] for column in _COLUMNS})


def _rows(uow: UnitOfWork, query: Any) -> list[HistoryRow]:
    return [_row(values) for values in connection(uow).execute(query).mappings()]


def append_history(uow: UnitOfWork, case: CaseRow, **fields: Any) -> dict[str, Any]:
    """Chain one row to the case's history and stage it; returns the row's values (with ``seq``).

    The case's ``history_seq``/``history_hash`` move to the new row: the caller saves the case in
    the same unit of work (``save_case``), and the unit of work refuses to commit a history row
    whose case was not saved after it, so the chain head can never lag behind the rows.
    """
    seq = case.history_seq + 1
    prev_hash = case.history_hash or GENESIS_HASH
    values = {"case_id": case.id, "seq": seq, "prev_hash": prev_hash, "actor_role": "", "element_id": "",
              "element_name": "", "task_uuid": "", "from_state": "", "to_state": "", "data_before": None,
              "data_after": None, "payload": None}
    values.update(fields)
    values["row_hash"] = row_digest(values)
    stage_insert(uow, HISTORY, values)
    uow.info.setdefault(_HEADS, {})[case.id] = (seq, None)
    case.history_seq = seq
    case.history_hash = values["row_hash"]
    # Facts a submitted form carries move onto the case row, written by the same save (``save_case``).
    for name, value in facts_of_row(values["event_type"], values["data_after"]).items():
        setattr(case, name, value)
    return values


def staged_event_types(uow: UnitOfWork, case_id: int) -> set[str]:
    """Event types of the case's history rows this unit of work staged so far (not yet written)."""
    return {row["event_type"] for row in staged_rows(uow, HISTORY) if row["case_id"] == case_id}


def mark_saved(uow: UnitOfWork, case: CaseRow) -> None:
    """Note that the case was saved with its current chain head (called by ``save_case``)."""
    heads = uow.info.get(_HEADS)
    if heads is not None and case.id in heads:
        heads[case.id] = (heads[case.id][0], case.history_seq)


def check_chain_heads(uow: UnitOfWork) -> None:
    """Refuse to commit history rows whose case was not saved after the last of them.

    Called by the unit of work right before it writes the staged rows and commits.

    :raise RuntimeError: a bug: the stored chain head would not match the case's rows.
    """
    heads = uow.info.pop(_HEADS, {})
    stale = sorted(case_id for case_id, (staged, saved) in heads.items() if staged != saved)
    if stale:
        raise RuntimeError(f"history appended to case(s) {stale} after they were last saved")


def history_of_case(uow: UnitOfWork, case_id: int) -> list[HistoryRow]:
    return _rows(uow, select(*_COLUMNS).where(HISTORY.c.case_id == case_id).order_by(HISTORY.c.seq))


def history_page(uow: UnitOfWork, case_id: int, first_seq: int, last_seq: int) -> list[HistoryRow]:
    """Rows ``first_seq`` … ``last_seq`` of the case, in order: one page of an audit timeline (an index range)."""
    return _rows(uow, select(*_COLUMNS).where(HISTORY.c.case_id == case_id, HISTORY.c.seq >= first_seq,
                                              HISTORY.c.seq <= last_seq).order_by(HISTORY.c.seq))


def history_of_types(uow: UnitOfWork, case_id: int, event_types: tuple[str, ...],
                     upto_seq: int | None = None) -> list[HistoryRow]:
    """The case's rows of the given types (up to ``upto_seq``), in order: what a page needs of a long history."""
    query = select(*_COLUMNS).where(HISTORY.c.case_id == case_id, HISTORY.c.event_type.in_(event_types))
    if upto_seq is not None:
        query = query.where(HISTORY.c.seq <= upto_seq)
    return _rows(uow, query.order_by(HISTORY.c.seq))


def history_fingerprint(uow: UnitOfWork, case_id: int, upto_seq: int) -> str | None:
    """SHA-256 the database computes over the stored values of rows 1 … ``upto_seq`` (None on SQLite).

    Lets a chain check that already verified those rows know, with one indexed aggregate instead of
    re-hashing every row in Python, that not one byte of them changed since. Each value is length-prefixed
    (NULL marked apart from empty), so no two different sets of rows give the same text.
    """
    if uow.dialect != "postgresql":
        return None
    fields = ", ".join(f"coalesce(length({name}::text) || ':' || {name}::text, '-')" for name in _FINGERPRINTED)
    query = text(f"SELECT encode(sha256(convert_to(string_agg(concat_ws('|', {fields}), '#' ORDER BY seq), "  # noqa: S608
                 "'UTF8')), 'hex') FROM history_events WHERE case_id = :case_id AND seq <= :upto")
    return connection(uow).execute(query, {"case_id": case_id, "upto": upto_seq}).scalar()


def first_submissions(uow: UnitOfWork, case_ids: list[int]) -> dict[int, HistoryRow]:
    """Each case's first submitted form (the application), in one query: what worklists name a case by."""
    if not case_ids:
        return {}
    first = (select(HISTORY.c.case_id, func.min(HISTORY.c.seq).label("seq"))
             .where(HISTORY.c.case_id.in_(case_ids), HISTORY.c.event_type == "form_submitted")
             .group_by(HISTORY.c.case_id).subquery())
    query = select(*_COLUMNS).join(first, (HISTORY.c.case_id == first.c.case_id) & (HISTORY.c.seq == first.c.seq))
    return {row.case_id: row for row in _rows(uow, query)}


def last_submissions_by(uow: UnitOfWork, people: Mapping[int, str]) -> dict[int, datetime]:
    """Per case, when the given person (its applicant) last submitted a form there, in one query."""
    if not people:
        return {}
    query = (select(HISTORY.c.case_id, HISTORY.c.actor_id, func.max(HISTORY.c.occurred_at).label("at"))
             .where(HISTORY.c.case_id.in_(list(people)), HISTORY.c.event_type == "form_submitted")
             .group_by(HISTORY.c.case_id, HISTORY.c.actor_id))
    return {row.case_id: row.at for row in connection(uow).execute(query) if people.get(row.case_id) == row.actor_id}


def events_of_cases(uow: UnitOfWork, case_ids: list[int], event_types: tuple[str, ...], *,
                    after_seq: int = 0, limit: int = 500) -> list[HistoryRow]:
    """Rows of the given types of many cases, newest first (a 消息中心, a step's new notices), one query."""
    if not case_ids:
        return []
    return _rows(uow, select(*_COLUMNS).where(HISTORY.c.case_id.in_(case_ids), HISTORY.c.event_type.in_(event_types),
                                              HISTORY.c.seq > after_seq)
                 .order_by(HISTORY.c.occurred_at.desc(), HISTORY.c.id.desc()).limit(limit))


def submissions_with_key(uow: UnitOfWork, key: str) -> list[HistoryRow]:
    """Submitted forms whose values hold ``key`` (e.g. every 好差评 ``rating``), oldest first, in one query.

    Matched on the stored JSON text (``"key":``, as ``to_json`` writes it); callers parse and check the value."""
    pattern = '%"' + key.replace("%", "").replace("_", "\\_") + '":%'
    return _rows(uow, select(*_COLUMNS).where(HISTORY.c.event_type == "form_submitted",
                                              HISTORY.c.data_after.like(pattern, escape="\\"))
                 .order_by(HISTORY.c.id))


def latest_events(uow: UnitOfWork, event_types: tuple[str, ...], limit: int = 200) -> list[CaseEvent]:
    """The newest rows of these types over every case, with their case numbers (a supervisor's 消息中心)."""
    query = (select(CASES.c.case_number, CASES.c.matter_code, *_COLUMNS)
             .join(CASES, CASES.c.id == HISTORY.c.case_id).where(HISTORY.c.event_type.in_(event_types))
             .order_by(HISTORY.c.occurred_at.desc(), HISTORY.c.id.desc()).limit(limit))
    return [CaseEvent(values["case_number"], values["matter_code"], _row(values))
            for values in connection(uow).execute(query).mappings()]


def history_for_export(uow: UnitOfWork, matter_code: str | None, since: datetime | None,
                       until: datetime | None) -> list[CaseEvent]:
    """Every history row (optionally of one matter, within [since, until)), by case and seq."""
    query = (select(CASES.c.case_number, CASES.c.matter_code, *_COLUMNS)
             .join(CASES, CASES.c.id == HISTORY.c.case_id).order_by(HISTORY.c.case_id, HISTORY.c.seq))
    if matter_code:
        query = query.where(CASES.c.matter_code == matter_code)
    if since is not None:
        query = query.where(HISTORY.c.occurred_at >= since)
    if until is not None:
        query = query.where(HISTORY.c.occurred_at < until)
    return [CaseEvent(values["case_number"], values["matter_code"], _row(values))
            for values in connection(uow).execute(query).mappings()]


# -- snapshots -----------------------------------------------------------------------------------


def last_snapshot_seq(uow: UnitOfWork, case_id: int) -> int:
    query = select(func.max(SNAPSHOTS.c.seq)).where(SNAPSHOTS.c.case_id == case_id)
    return int(connection(uow).execute(query).scalar() or 0)


def stage_snapshot(uow: UnitOfWork, case_id: int, seq: int, state: bytes, sha256: str) -> None:
    """Keep a copy of the state, written with the history row that vouches for it."""
    stage_insert(uow, SNAPSHOTS, {"case_id": case_id, "seq": seq, "state": state, "sha256": sha256})


def snapshot_before(uow: UnitOfWork, case_id: int, seq: int) -> SnapshotRow | None:
    """The newest snapshot taken at or before history row ``seq``."""
    query = (select(SNAPSHOTS.c.case_id, SNAPSHOTS.c.seq, SNAPSHOTS.c.state, SNAPSHOTS.c.sha256)
             .where(SNAPSHOTS.c.case_id == case_id, SNAPSHOTS.c.seq <= seq).order_by(SNAPSHOTS.c.seq.desc()).limit(1))
    found = connection(uow).execute(query).mappings().first()
    return SnapshotRow(**found) if found is not None else None
