"""Statistics counters: how many cases of each matter sit in each bucket, moved on every case save.

The statistics page and the board once read every case and its deadline records (25 s at 10k
cases). Now each case counts in a few buckets (``buckets``), derived from its row alone; when
``save_case`` writes a case whose buckets changed, the same transaction moves the counters by the
difference (one upsert statement). A page then reads the counters: their number grows with
matters and calendar days, never with cases.

What needs the calendar stays out of the counters, so a calendar change can never leave them stale:
the average working days of finished cases is ``Σ W(done) − Σ W(accepted)`` over per-day counts,
with ``W(d)`` the number of working days up to ``d`` (``workdays_between(a, d) == W(d) − W(a)``);
a running case whose clock is paused has a due date that moves every day, so it is counted as
``paused`` and judged when read (``paused_running_cases``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import column
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import table
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.clock import CHINA_TZ
from engine.legal_time import DeadlineRecord
from engine.legal_time import bundle_record
from engine.persistence.counter_records import CaseCounterRecord
from engine.persistence.counter_records import HallCounterRecord
from engine.persistence.records import CaseRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.rows import CaseRow
    from engine.persistence.unit_of_work import UnitOfWork

COUNTERS = CaseCounterRecord.__table__
HALL = HallCounterRecord.__table__
CASES = CaseRecord.__table__

#: (matter code, kind, key): one counter a case adds 1 to. A hall bucket (``hall_counters``) has
#: ``HALL_SCOPE`` + the definition id in place of the matter code (matter codes never start with it).
Bucket = tuple[str, str, str]
HALL_SCOPE = "#"


@dataclass(frozen=True, slots=True)
class DeadlineBrief:
    """What the counters need of a case's current deadline records (kept on the case row)."""

    accepted_on: date | None
    promised_due: date | None
    closed_on: date | None
    paused: bool


def brief_of(records: Mapping[str, DeadlineRecord]) -> DeadlineBrief:
    """The brief of a case's current records by permit ("" = the case; bundles due with their last permit)."""
    if "" not in records:
        return DeadlineBrief(None, None, None, False)
    permits = [records[key] for key in sorted(records) if key]
    case = bundle_record(records[""], permits)
    closed_on = case.closed_at.astimezone(CHINA_TZ).date() if case.closed_at else None
    paused = any(record.is_paused and not record.is_closed for record in records.values())
    return DeadlineBrief(case.accepted_on, case.promised_due, closed_on, paused)


def set_brief(case: CaseRow, brief: DeadlineBrief) -> None:
    """Put the brief on the case; ``save_case`` writes it (and moves the counters)."""
    case.deadline_accepted_on, case.deadline_promised_due = brief.accepted_on, brief.promised_due
    case.deadline_closed_on, case.deadline_paused = brief.closed_on, brief.paused


def _hall_buckets(definition_id: int, received_at: datetime, status: str, blzt: int | None,
                  completed_at: datetime | None, brief: DeadlineBrief, rating: str | None) -> list[Bucket]:
    """The hall's buckets (``_buckets`` gives a draft none: drafts are not cases).

    A rated case counts once under its latest 好差评 level ("month|level"), so the board and the
    statistics read the ratings from here instead of every submitted form of the hall.
    """
    scope, month = f"{HALL_SCOPE}{definition_id}", received_at.astimezone(CHINA_TZ).strftime("%Y-%m")
    found: list[Bucket] = [(scope, "total", month)]
    if rating:
        found.append((scope, "rating", f"{month}|{rating}"))
    accepted, due = brief.accepted_on, brief.promised_due
    if accepted is not None:
        found.append((scope, "accepted_day", accepted.isoformat()))
    if completed_at is not None:
        found.append((scope, "finished_day", completed_at.astimezone(CHINA_TZ).date().isoformat()))
    if status == "running":
        found.append((scope, "running", month))
        if accepted is not None and due is not None and not brief.paused:
            found.append((scope, "due", f"{month}|{due.isoformat()}"))
        return found
    found.append((scope, "finished", month))
    if accepted is not None and due is not None and completed_at is not None:
        if (brief.closed_on or completed_at.astimezone(CHINA_TZ).date()) <= due:
            found.append((scope, "on_time", month))
    return found


def _buckets(matter: str, status: str, blzt: int | None, completed_at: datetime | None,
             brief: DeadlineBrief, definition_id: int, received_at: datetime,
             rating: str | None = None) -> tuple[Bucket, ...]:
    if status == "draft":
        return ()  # drafts are not cases: they count from their submission
    found: list[Bucket] = [(matter, "total", ""), (matter, "blzt", "" if blzt is None else str(blzt)),
                           *_hall_buckets(definition_id, received_at, status, blzt, completed_at, brief, rating)]
    accepted, due = brief.accepted_on, brief.promised_due
    if status == "running":
        found.append((matter, "running", ""))
        if accepted is not None and due is not None:
            found.append((matter, "paused", "") if brief.paused else (matter, "due", due.isoformat()))
        return tuple(found)
    found.append((matter, "finished", ""))
    if accepted is None or due is None or completed_at is None:
        return tuple(found)
    # Decided on time: the day the clock stopped (the decision), else the day the case ended.
    done = brief.closed_on or completed_at.astimezone(CHINA_TZ).date()
    if done <= due:
        found.append((matter, "on_time", ""))
    found += [(matter, "accepted", accepted.isoformat()), (matter, "done", max(done, accepted).isoformat())]
    return tuple(found)


def buckets(case: CaseRow) -> tuple[Bucket, ...]:
    """The counters the case adds 1 to, as its row stands."""
    return _buckets(case.matter_code, case.status, case.blzt, _as_utc(case.completed_at),
                    DeadlineBrief(case.deadline_accepted_on, case.deadline_promised_due, case.deadline_closed_on,
                                  bool(case.deadline_paused)), case.definition_id, _as_utc(case.received_at),
                    case.rating)


_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert(dialect: str, target: Any, scope: str):  # type: ignore[no-untyped-def]
    """The counter upsert for ``target``, built once per dialect (a step that moves counters sends it;
    SQLAlchemy then finds its compiled form without building and hashing a new statement)."""
    key = (dialect, target.name)
    cached = _UPSERTS.get(key)
    if cached is not None:
        return cached
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(target)
    cached = _UPSERTS[key] = statement.on_conflict_do_update(index_elements=[scope, "kind", "key"],
                                                             set_={"n": target.c.n + statement.excluded.n})
    return cached


def _split(items: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(case_counters rows, hall_counters rows) of (bucket, n) pairs, zero counts left out."""
    matters, hall = [], []
    for (m, k, key), n in sorted(items):
        if not n:
            continue
        if m.startswith(HALL_SCOPE):
            hall.append({"definition_id": int(m[len(HALL_SCOPE):]), "kind": k, "key": key, "n": n})
        else:
            matters.append({"matter_code": m, "kind": k, "key": key, "n": n})
    return matters, hall


def _move(conn: Connection, dialect: str, delta: Mapping[Bucket, int]) -> None:
    matters, hall = _split(delta.items())
    if matters:
        conn.execute(_upsert(dialect, COUNTERS, "matter_code"), matters)
    if hall:
        conn.execute(_upsert(dialect, HALL, "definition_id"), hall)


def count_case(uow: UnitOfWork, case: CaseRow) -> None:
    """Move the counters from the buckets the case was read with to the ones it is saved with.

    Called by ``save_case`` and ``insert_case`` after their write succeeded; sends nothing when the
    step moved no bucket (most steps: a review opinion changes neither status nor deadline).
    """
    if case.counted is None:
        raise RuntimeError("a case row built without its counted buckets cannot be saved")
    now = buckets(case)
    before = case.counted
    if now != before:
        delta = Counter(now)
        delta.subtract(before)
        _move(connection(uow), uow.dialect, delta)
    case.counted = now


@dataclass(frozen=True, slots=True)
class MatterCounts:
    """One matter's counters, as read."""

    matter_code: str
    total: int
    running: int
    finished: int
    on_time: int
    paused: int
    by_blzt: dict[int | None, int]
    #: Running, not paused cases by promised due day.
    due: dict[date, int]
    #: Finished (accepted) cases by acceptance day and by the day they were decided.
    accepted: dict[date, int]
    done: dict[date, int]


def matter_counts(uow: UnitOfWork) -> list[MatterCounts]:
    """Every matter's counters (one query; rows grow with matters and days, not with cases)."""
    grouped: dict[str, dict[str, dict[str, int]]] = {}
    query = select(COUNTERS.c.matter_code, COUNTERS.c.kind, COUNTERS.c.key, COUNTERS.c.n).where(COUNTERS.c.n != 0)
    for matter, kind, key, n in connection(uow).execute(query):
        grouped.setdefault(matter, {}).setdefault(kind, {})[key] = int(n)

    def days(kinds: dict[str, dict[str, int]], kind: str) -> dict[date, int]:
        return {date.fromisoformat(key): n for key, n in kinds.get(kind, {}).items()}

    return [MatterCounts(matter_code=matter, total=kinds.get("total", {}).get("", 0),
                         running=kinds.get("running", {}).get("", 0), finished=kinds.get("finished", {}).get("", 0),
                         on_time=kinds.get("on_time", {}).get("", 0), paused=kinds.get("paused", {}).get("", 0),
                         by_blzt={int(key) if key else None: n for key, n in kinds.get("blzt", {}).items()},
                         due=days(kinds, "due"), accepted=days(kinds, "accepted"), done=days(kinds, "done"))
            for matter, kinds in sorted(grouped.items())]


def paused_running_cases(uow: UnitOfWork) -> list[tuple[int, str]]:
    """(id, matter code) of running cases whose clock stands still: their due date is judged when read."""
    query = (select(CASES.c.id, CASES.c.matter_code)
             .where(CASES.c.deadline_paused.is_(True), CASES.c.status == "running").order_by(CASES.c.id))
    return [(int(case_id), matter) for case_id, matter in connection(uow).execute(query)]


# -- rebuilding from the cases and their records (migration, repair) ------------------------------

_CASES = table("cases", column("id"), column("matter_code"), column("status"), column("blzt"),
               column("completed_at"), column("definition_id"), column("received_at"),
               column("deadline_accepted_on"), column("deadline_promised_due"),
               column("deadline_closed_on"), column("deadline_paused"))
_DEADLINES = table("case_deadlines", column("id"), column("case_id"), column("permit"), column("record_json"))
_COUNTERS = table("case_counters", column("matter_code"), column("kind"), column("key"), column("n"))
_HALL = table("hall_counters", column("definition_id"), column("kind"), column("key"), column("n"))
_BATCH = 2000


def _as_utc(value: Any) -> datetime | None:
    """A stored UTC timestamp as an aware datetime (SQLite hands plain columns back as naive text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _current_records(conn: Connection, case_ids: list[int]) -> dict[int, dict[str, DeadlineRecord]]:
    newest = (select(func.max(_DEADLINES.c.id)).where(_DEADLINES.c.case_id.in_(case_ids))
              .group_by(_DEADLINES.c.case_id, _DEADLINES.c.permit))
    found: dict[int, dict[str, DeadlineRecord]] = {}
    query = select(_DEADLINES.c.case_id, _DEADLINES.c.permit, _DEADLINES.c.record_json).where(
        _DEADLINES.c.id.in_(newest))
    for case_id, permit, record_json in conn.execute(query):
        found.setdefault(int(case_id), {})[permit] = DeadlineRecord.from_json(json.loads(record_json))
    return found


def rebuild_counters(conn: Connection) -> int:
    """Recompute every case's deadline brief and every counter from the stored rows; returns the cases seen.

    Plain table constructs (not the ORM tables), so a migration can run it on the schema of its time.
    """
    totals: Counter[Bucket] = Counter()
    last_id, seen = 0, 0
    # Migrations before the case facts (0023) run this on a cases table without ``rating``.
    rated = any(c["name"] == "rating" for c in inspect(conn).get_columns("cases"))
    rating = column("rating") if rated else literal(None)
    while True:
        rows = conn.execute(select(_CASES.c.id, _CASES.c.matter_code, _CASES.c.status, _CASES.c.blzt,
                                   _CASES.c.completed_at, _CASES.c.definition_id, _CASES.c.received_at, rating)
                            .select_from(_CASES).where(_CASES.c.id > last_id)
                            .order_by(_CASES.c.id).limit(_BATCH)).all()
        if not rows:
            break
        records = _current_records(conn, [int(row[0]) for row in rows])
        updates = []
        for case_id, matter, status, blzt, completed_at, definition_id, received_at, level in rows:
            brief = brief_of(records.get(int(case_id), {}))
            totals.update(_buckets(matter, status, blzt, _as_utc(completed_at), brief, int(definition_id),
                                   _as_utc(received_at), level))
            updates.append({"case_id": case_id, "accepted": brief.accepted_on, "due": brief.promised_due,
                            "closed": brief.closed_on, "paused": brief.paused})
        conn.execute(update(_CASES).where(_CASES.c.id == bindparam("case_id"))
                     .values(deadline_accepted_on=bindparam("accepted"), deadline_promised_due=bindparam("due"),
                             deadline_closed_on=bindparam("closed"), deadline_paused=bindparam("paused")), updates)
        last_id, seen = int(rows[-1][0]), seen + len(rows)
    conn.execute(_COUNTERS.delete())
    matters, hall = _split(totals.items())
    if matters:
        conn.execute(_COUNTERS.insert(), matters)
    # Migration 0012 runs this before hall_counters exists (hallcounters_1 runs it again).
    if inspect(conn).has_table("hall_counters"):
        conn.execute(_HALL.delete())
        if hall:
            conn.execute(_HALL.insert(), hall)
    return seen

