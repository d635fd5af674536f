"""Queries and writes, grouped per table. Services call these inside a ``UnitOfWork``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

__all__ = ["Session"]

from engine.history import GENESIS_HASH
from engine.history import row_digest
from engine.persistence.records import ApiTokenRecord
from engine.persistence.records import CalendarDayRecord
from engine.persistence.records import CalendarYearRecord
from engine.persistence.records import CaseNumberCounterRecord
from engine.persistence.records import CaseRecord
from engine.persistence.records import CreditRecordRecord
from engine.persistence.records import DefinitionRecord
from engine.persistence.records import DepartmentRecord
from engine.persistence.records import DocumentRecord
from engine.persistence.records import DraftRecord
from engine.persistence.records import HistoryEventRecord
from engine.persistence.records import HistorySnapshotRecord
from engine.persistence.records import HumanTaskRecord
from engine.persistence.records import LoginAttemptRecord
from engine.persistence.records import UserRecord
from engine.persistence.records import WebSessionRecord

# -- definitions ---------------------------------------------------------------------------------


def latest_definition(session: Session, matter_code: str) -> DefinitionRecord | None:
    return session.scalars(select(DefinitionRecord).where(DefinitionRecord.matter_code == matter_code)
                           .order_by(DefinitionRecord.version.desc()).limit(1)).first()


def definition_by_hash(session: Session, matter_code: str, content_hash: str) -> DefinitionRecord | None:
    return session.scalars(select(DefinitionRecord).where(DefinitionRecord.matter_code == matter_code,
                                                          DefinitionRecord.content_hash == content_hash)).first()


def latest_definitions(session: Session) -> Sequence[DefinitionRecord]:
    newest = (select(DefinitionRecord.matter_code, func.max(DefinitionRecord.version).label("version"))
              .group_by(DefinitionRecord.matter_code).subquery())
    return session.scalars(select(DefinitionRecord).join(
        newest, (DefinitionRecord.matter_code == newest.c.matter_code) & (DefinitionRecord.version == newest.c.version))
        .order_by(DefinitionRecord.matter_code)).all()


def definition_versions(session: Session, matter_code: str) -> Sequence[DefinitionRecord]:
    return session.scalars(select(DefinitionRecord).where(DefinitionRecord.matter_code == matter_code)
                           .order_by(DefinitionRecord.version)).all()


# -- cases ---------------------------------------------------------------------------------------


def lock_case(session: Session, case_id: int) -> CaseRecord | None:
    """Load a case for a step. PostgreSQL holds a row lock; SQLite relies on ``lock_version``."""
    return session.scalars(select(CaseRecord).where(CaseRecord.id == case_id).with_for_update()).first()


def case_by_number(session: Session, case_number: str) -> CaseRecord | None:
    return session.scalars(select(CaseRecord).where(CaseRecord.case_number == case_number)).first()


def due_timer_case_ids(session: Session, now: datetime, limit: int, skip_locked: bool) -> list[int]:
    """Cases with a timer due; on PostgreSQL rows another worker holds are skipped, not waited for."""
    query = (select(CaseRecord.id).where(CaseRecord.next_timer_due <= now, CaseRecord.status == "running")
             .order_by(CaseRecord.next_timer_due).limit(limit))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def lock_due_case(session: Session, case_id: int, now: datetime, skip_locked: bool) -> CaseRecord | None:
    """The case if its timer is still due and (PostgreSQL) no other worker holds it; else None."""
    query = select(CaseRecord).where(CaseRecord.id == case_id, CaseRecord.status == "running",
                                     CaseRecord.next_timer_due <= now)
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def next_case_sequence(session: Session, implementation_code: str, day: str) -> int:
    """Atomically take the next daily sequence number (an upsert, safe under concurrency)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (insert(CaseNumberCounterRecord)
                 .values(implementation_code=implementation_code, day=day, last_seq=1)
                 .on_conflict_do_update(index_elements=["implementation_code", "day"],
                                        set_={"last_seq": CaseNumberCounterRecord.last_seq + 1})
                 .returning(CaseNumberCounterRecord.last_seq))
    return int(session.execute(statement).scalar_one())


# -- human tasks ---------------------------------------------------------------------------------


def open_tasks_of_case(session: Session, case_id: int) -> list[HumanTaskRecord]:
    return list(session.scalars(select(HumanTaskRecord).where(HumanTaskRecord.case_id == case_id,
                                                              HumanTaskRecord.state == "open")
                                .order_by(HumanTaskRecord.id)))


def task_row(session: Session, case_id: int, task_uuid: str) -> HumanTaskRecord | None:
    return session.scalars(select(HumanTaskRecord).where(HumanTaskRecord.case_id == case_id,
                                                         HumanTaskRecord.task_uuid == task_uuid)).first()


def worklist(session: Session, groups: Sequence[str], user_id: str, *, matter_code: str | None = None,
             limit: int = 200) -> Sequence[tuple[HumanTaskRecord, CaseRecord]]:
    """Open tasks the user may work: assigned to them, or unclaimed in one of their groups.

    Applicant tasks are personal: they show only on cases the user owns or filed (see ``may_work``).
    """
    group_match = [HumanTaskRecord.candidate_groups.like(like_group(group), escape="\\")
                   for group in groups if group != "applicant"]
    if "applicant" in groups:
        group_match.append(HumanTaskRecord.candidate_groups.like(like_group("applicant"), escape="\\")
                           & or_(CaseRecord.owner_id == user_id, CaseRecord.started_by == user_id))
    visible = or_(HumanTaskRecord.assignee == user_id,
                  (HumanTaskRecord.assignee.is_(None) & or_(*group_match)) if group_match else False)
    query = (select(HumanTaskRecord, CaseRecord).join(CaseRecord, CaseRecord.id == HumanTaskRecord.case_id)
             .where(HumanTaskRecord.state == "open", visible).order_by(HumanTaskRecord.created_at).limit(limit))
    if matter_code:
        query = query.where(CaseRecord.matter_code == matter_code)
    return [(row[0], row[1]) for row in session.execute(query)]


def claim_task_row(session: Session, row_id: int, user_id: str, now: datetime) -> bool:
    """Set the assignee only if nobody holds the task: the first of two racing claims wins."""
    result = session.execute(update(HumanTaskRecord)
                             .where(HumanTaskRecord.id == row_id, HumanTaskRecord.state == "open",
                                    HumanTaskRecord.assignee.is_(None))
                             .values(assignee=user_id, claimed_at=now))
    return result.rowcount == 1


def release_task_row(session: Session, row_id: int, user_id: str) -> bool:
    result = session.execute(update(HumanTaskRecord)
                             .where(HumanTaskRecord.id == row_id, HumanTaskRecord.state == "open",
                                    HumanTaskRecord.assignee == user_id)
                             .values(assignee=None, claimed_at=None))
    return result.rowcount == 1


# -- history -------------------------------------------------------------------------------------


PENDING_HISTORY = "onewindow_pending_history"


def append_history(session: Session, case: CaseRecord, **fields: Any) -> dict[str, Any]:
    """Append one row to the case's chain; the case row carries the chain head.

    Rows are collected on the session and written in one multi-row INSERT when the unit of work
    commits (``flush_history``), in the same transaction as the state they describe: a step
    writes several rows, and one statement for all of them is much cheaper than an ORM object each.
    """
    seq = case.history_seq + 1
    prev_hash = case.history_hash or GENESIS_HASH
    values = {"case_id": case.id, "seq": seq, "prev_hash": prev_hash, "actor_role": "", "element_id": "",
              "element_name": "", "task_uuid": "", "from_state": "", "to_state": "", "data_before": None,
              "data_after": None, "payload": None}
    values.update(fields)
    values["row_hash"] = row_digest(values)
    session.info.setdefault(PENDING_HISTORY, []).append(values)
    case.history_seq = seq
    case.history_hash = values["row_hash"]
    return values


def flush_history(session: Session) -> None:
    """Write the rows ``append_history`` collected (called by the unit of work right before commit)."""
    rows = session.info.pop(PENDING_HISTORY, None)
    if rows:
        session.flush()  # the cases the rows belong to exist first
        session.execute(insert(HistoryEventRecord.__table__), rows)


def last_snapshot_seq(session: Session, case_id: int) -> int:
    return int(session.scalar(select(func.max(HistorySnapshotRecord.seq))
                              .where(HistorySnapshotRecord.case_id == case_id)) or 0)


def snapshot_before(session: Session, case_id: int, seq: int) -> HistorySnapshotRecord | None:
    return session.scalars(select(HistorySnapshotRecord).where(HistorySnapshotRecord.case_id == case_id,
                                                               HistorySnapshotRecord.seq <= seq)
                           .order_by(HistorySnapshotRecord.seq.desc()).limit(1)).first()


def history_of_case(session: Session, case_id: int) -> Sequence[HistoryEventRecord]:
    return session.scalars(select(HistoryEventRecord).where(HistoryEventRecord.case_id == case_id)
                           .order_by(HistoryEventRecord.seq)).all()


# -- users ---------------------------------------------------------------------------------------


def user_by_username(session: Session, username: str) -> UserRecord | None:
    return session.scalars(select(UserRecord).where(UserRecord.username == username)).first()


# -- department data and credit ------------------------------------------------------------------


def department_record(session: Session, kind: str, key: str) -> DepartmentRecord | None:
    return session.scalars(select(DepartmentRecord).where(DepartmentRecord.kind == kind,
                                                          DepartmentRecord.record_key == key)).first()


def active_credit_records(session: Session, credit_code: str) -> Sequence[CreditRecordRecord]:
    return session.scalars(select(CreditRecordRecord).where(CreditRecordRecord.credit_code == credit_code,
                                                            CreditRecordRecord.is_repaired.is_(False))).all()


# -- documents -----------------------------------------------------------------------------------


def count_documents(session: Session, case_id: int) -> int:
    return int(session.scalar(select(func.count(DocumentRecord.id)).where(DocumentRecord.case_id == case_id)) or 0)


def documents_of_case(session: Session, case_id: int) -> Sequence[DocumentRecord]:
    return session.scalars(select(DocumentRecord).where(DocumentRecord.case_id == case_id)
                           .order_by(DocumentRecord.id)).all()


# -- calendar ------------------------------------------------------------------------------------


def calendar_days(session: Session) -> Sequence[CalendarDayRecord]:
    return session.scalars(select(CalendarDayRecord).order_by(CalendarDayRecord.day)).all()


def calendar_years(session: Session) -> Sequence[CalendarYearRecord]:
    return session.scalars(select(CalendarYearRecord).order_by(CalendarYearRecord.year)).all()


def delete_calendar_year(session: Session, year: int, region: str) -> None:
    from datetime import date as _date

    session.execute(delete(CalendarDayRecord).where(CalendarDayRecord.region == region,
                                                    CalendarDayRecord.day >= _date(year, 1, 1),
                                                    CalendarDayRecord.day <= _date(year, 12, 31)))


def running_cases(session: Session) -> Sequence[CaseRecord]:
    return session.scalars(select(CaseRecord).where(CaseRecord.status == "running").order_by(CaseRecord.id)).all()


def status_events(session: Session, case_id: int) -> Sequence[HistoryEventRecord]:
    """The case's status and deadline events, oldest first (what deadlines are derived from)."""
    return session.scalars(select(HistoryEventRecord).where(
        HistoryEventRecord.case_id == case_id,
        HistoryEventRecord.event_type.in_(("status_changed", "deadline_extended")))
        .order_by(HistoryEventRecord.seq)).all()


def definition_of_case(session: Session, case: CaseRecord) -> DefinitionRecord:
    record = session.get(DefinitionRecord, case.definition_id)
    assert record is not None  # guaranteed by the foreign key
    return record


def recent_login_failures(session: Session, since: datetime, username: str | None = None, ip: str | None = None) -> int:
    query = select(func.count(LoginAttemptRecord.id)).where(LoginAttemptRecord.attempted_at >= since,
                                                            LoginAttemptRecord.succeeded.is_(False))
    if username is not None:
        query = query.where(LoginAttemptRecord.username == username)
    if ip is not None:
        query = query.where(LoginAttemptRecord.ip == ip)
    return int(session.scalar(query) or 0)


def api_token(session: Session, token_hash: str) -> ApiTokenRecord | None:
    return session.scalars(select(ApiTokenRecord).where(ApiTokenRecord.token_hash == token_hash)).first()


def case_has_task_for(session: Session, case_id: int, groups: frozenset[str], user_id: str) -> bool:
    """Whether any task of the case (open or done) was offered to one of ``groups`` or worked by the user."""
    match = [HumanTaskRecord.candidate_groups.like(like_group(g), escape="\\") for g in groups]
    query = select(HumanTaskRecord.id).where(HumanTaskRecord.case_id == case_id,
                                             or_(HumanTaskRecord.assignee == user_id,
                                                 HumanTaskRecord.completed_by == user_id, *match)).limit(1)
    return session.scalar(query) is not None


def visible_cases(session: Session, user_id: str, groups: frozenset[str], see_all: bool, *,
                  matter_code: str | None = None, search: str = "", status: str | None = None,
                  limit: int = 200) -> Sequence[CaseRecord]:
    """Cases the user may see, newest first, with optional filters (the list form of ``can_view_case``)."""
    query = select(CaseRecord)
    if not see_all:
        own = or_(CaseRecord.owner_id == user_id, CaseRecord.started_by == user_id)
        if groups:
            match = [HumanTaskRecord.candidate_groups.like(like_group(g), escape="\\") for g in groups]
            worked = select(HumanTaskRecord.case_id).where(or_(HumanTaskRecord.assignee == user_id,
                                                               HumanTaskRecord.completed_by == user_id, *match))
            own = or_(own, CaseRecord.id.in_(worked))
        query = query.where(own)
    if matter_code:
        query = query.where(CaseRecord.matter_code == matter_code)
    if status:
        query = query.where(CaseRecord.status == status)
    if search:
        like = f"%{search.strip()}%"
        query = query.where(or_(CaseRecord.case_number.like(like), CaseRecord.title.like(like)))
    return session.scalars(query.order_by(CaseRecord.id.desc()).limit(limit)).all()


# -- drafts --------------------------------------------------------------------------------------


def draft(session: Session, owner: str, case_id: int, task_uuid: str) -> DraftRecord | None:
    return session.scalars(select(DraftRecord).where(DraftRecord.owner == owner, DraftRecord.case_id == case_id,
                                                     DraftRecord.task_uuid == task_uuid)).first()


def delete_drafts(session: Session, case_id: int, task_uuid: str) -> None:
    session.execute(delete(DraftRecord).where(DraftRecord.case_id == case_id, DraftRecord.task_uuid == task_uuid))


def form_submissions(session: Session, case_id: int) -> Sequence[HistoryEventRecord]:
    return session.scalars(select(HistoryEventRecord).where(HistoryEventRecord.case_id == case_id,
                                                            HistoryEventRecord.event_type == "form_submitted")
                           .order_by(HistoryEventRecord.seq)).all()


def all_cases(session: Session, limit: int = 10000) -> Sequence[CaseRecord]:
    return session.scalars(select(CaseRecord).order_by(CaseRecord.id.desc()).limit(limit)).all()


def history_for_export(session: Session, matter_code: str | None, since: datetime | None,
                       until: datetime | None) -> list[tuple[CaseRecord, HistoryEventRecord]]:
    query = (select(CaseRecord, HistoryEventRecord)
             .join(HistoryEventRecord, HistoryEventRecord.case_id == CaseRecord.id)
             .order_by(CaseRecord.id, HistoryEventRecord.seq))
    if matter_code:
        query = query.where(CaseRecord.matter_code == matter_code)
    if since is not None:
        query = query.where(HistoryEventRecord.occurred_at >= since)
    if until is not None:
        query = query.where(HistoryEventRecord.occurred_at < until)
    return [(row[0], row[1]) for row in session.execute(query)]


# -- process designer (definition drafts, versions, migration) ----------------------------------


def latest_definition_draft(session: Session, matter_code: str) -> Any:
    """The matter's newest designer draft (``DefinitionDraftRecord``), or None."""
    from engine.persistence.records import DefinitionDraftRecord

    return session.scalars(select(DefinitionDraftRecord).where(DefinitionDraftRecord.matter_code == matter_code)
                           .order_by(DefinitionDraftRecord.updated_at.desc(), DefinitionDraftRecord.id.desc())
                           .limit(1)).first()


def definition_drafts(session: Session) -> Sequence[Any]:
    """Every designer draft (``DefinitionDraftRecord``), newest first."""
    from engine.persistence.records import DefinitionDraftRecord

    return session.scalars(select(DefinitionDraftRecord)
                           .order_by(DefinitionDraftRecord.updated_at.desc(), DefinitionDraftRecord.id.desc())).all()


def delete_definition_drafts(session: Session, matter_code: str) -> None:
    from engine.persistence.records import DefinitionDraftRecord

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


def web_session(session: Session, token_hash: str) -> WebSessionRecord | None:
    return session.scalars(select(WebSessionRecord).where(WebSessionRecord.token_hash == token_hash)).first()


def like_group(group: str) -> str:
    """A LIKE pattern matching ``group`` exactly inside the comma-wrapped list (``_``/``%`` escaped)."""
    escaped = group.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%,{escaped},%"
