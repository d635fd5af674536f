"""ORM records. Class names end in ``Record``: "model" means the BPMN model in this project."""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy import DDL
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from engine.persistence.base import Base
from engine.persistence.base import UtcDateTime


class DefinitionRecord(Base):
    """One deployed version of a matter: every file it needs, frozen, keyed by content hash."""

    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("matter_code", "version"),
        UniqueConstraint("matter_code", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    #: sha256 over the sorted (file name, content) pairs: equal content -> equal hash -> no new version.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: JSON object file name -> text (BPMN, DMN, matter.toml, the forms the diagrams reference).
    files_json: Mapped[str] = mapped_column(Text)
    #: The parsed matter.toml as JSON, so catalog pages need no parsing.
    metadata_json: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deployed_by: Mapped[str] = mapped_column(String(64))


class CaseRecord(Base):
    """A case (办件): the running instance of a matter's definition version."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_paused_running", "deadline_paused", "status"),
        Index("ix_cases_status_id", "status", "id"),
        # Case search matches number and name anywhere (``LIKE '%…%'``): on PostgreSQL trigram indexes
        # answer that without reading every case; SQLite gets plain indexes of the same names.
        Index("ix_cases_case_number_trgm", "case_number", postgresql_using="gin",
              postgresql_ops={"case_number": "gin_trgm_ops"}),
        Index("ix_cases_title_trgm", "title", postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}),
        Index("ix_cases_credit_code_trgm", "credit_code", postgresql_using="gin",
              postgresql_ops={"credit_code": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: 办件编号: 31-char implementation code + yyyyMMdd + 4-digit daily sequence; None while a draft (草稿):
    #: a case is numbered when its application is submitted, never when the 申办 button is clicked.
    case_number: Mapped[str | None] = mapped_column(String(43), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    matter_code: Mapped[str] = mapped_column(String(64), index=True)
    #: draft / running / completed / failed / cancelled (engine view; 办理状态 codes are derived from history).
    status: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    started_by: Mapped[str] = mapped_column(String(64))
    #: gzip-compressed SpiffWorkflow JSON without the spec; never JSONB (key order matters).
    state: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(16))
    #: Earliest due time of any waiting timer; the worker polls this column, never the state.
    next_timer_due: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    #: Current 办理状态 code (1–15), derived from history rows; kept here for worklists and boards.
    blzt: Mapped[int | None] = mapped_column(Integer, index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: Sequence number and hash of the newest history row: the head of the per-case hash chain.
    history_seq: Mapped[int] = mapped_column(Integer, default=0)
    history_hash: Mapped[str] = mapped_column(String(64), default="")
    #: HMAC of (id, history_seq, history_hash) with a key kept outside the database
    #: (``EngineSettings.history_key``): rewriting a whole chain and its head still fails ``verify``.
    history_mac: Mapped[str | None] = mapped_column(String(64))
    #: Optimistic lock: every write checks and bumps it, so two writers can never both win.
    lock_version: Mapped[int] = mapped_column(Integer)
    #: The 事项库 entry version the case started on (its limits, posts, materials); None before the catalogue.
    catalogue_version_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_versions.id"))
    #: The current deadline records in brief (``repositories.counters.DeadlineBrief``), kept with every
    #: revision so the statistics counters can be moved on a save without reading the records back.
    deadline_accepted_on: Mapped[date | None] = mapped_column(Date)
    deadline_promised_due: Mapped[date | None] = mapped_column(Date)
    deadline_closed_on: Mapped[date | None] = mapped_column(Date)
    deadline_paused: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: Facts of submitted forms that lists, search and the hall's figures read (``engine.case_facts``):
    #: the latest 好差评 level and the applicant's 统一社会信用代码, set with the history row that carries them.
    rating: Mapped[str | None] = mapped_column(String(32))
    credit_code: Mapped[str] = mapped_column(String(18), default="", server_default="")

    __mapper_args__ = {"version_id_col": lock_version}


# The trigram operator class must exist before the search indexes are created (``create_all`` too).
event.listen(CaseRecord.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class HumanTaskRecord(Base):
    """A user task as a worklist row, kept in step with the workflow on every saved step."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        UniqueConstraint("case_id", "task_uuid"),
        Index("ix_human_tasks_state_groups", "state", "candidate_groups"),
        # Worklists read open rows oldest first and stop at their limit: this index hands them over in
        # that order, so a page never sorts every open task of the hall.
        Index("ix_human_tasks_open_created", "created_at", "id", postgresql_where=text("state = 'open'"),
              sqlite_where=text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_uuid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(200), default="")
    #: Comma-wrapped group list (",zj_cb,zj_sh,") so ``LIKE '%,group,%'`` finds it on every backend.
    candidate_groups: Mapped[str] = mapped_column(String(500))
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    form_key: Mapped[str] = mapped_column(String(128))
    #: open / completed / cancelled
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(64))


class HistoryEventRecord(Base):
    """Append-only history; each row is hash-chained to the previous row of the same case."""

    __tablename__ = "history_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: <subject>_<past tense verb>: case_started, task_state_changed, form_submitted, ...
    event_type: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(200), default="")
    element_id: Mapped[str] = mapped_column(String(128), default="")
    element_name: Mapped[str] = mapped_column(String(200), default="")
    task_uuid: Mapped[str] = mapped_column(String(36), default="")
    from_state: Mapped[str] = mapped_column(String(16), default="")
    to_state: Mapped[str] = mapped_column(String(16), default="")
    #: JSON texts; ``payload`` is a submitted form exactly as submitted.
    data_before: Mapped[str | None] = mapped_column(Text)
    data_after: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class CaseNumberCounterRecord(Base):
    """Daily sequence per implementation code for 办件编号 (the 4-digit tail)."""

    __tablename__ = "case_number_counters"

    implementation_code: Mapped[str] = mapped_column(String(31), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class UserRecord(Base):
    """A person who signs in: applicant, clerk, reviewer, designer, auditor or administrator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    #: argon2id hash (never the password).
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Comma-separated roles / candidate groups, e.g. "window_clerk" or "zj_chengban".
    groups: Mapped[str] = mapped_column(String(500))
    department: Mapped[str] = mapped_column(String(100), default="")
    #: 统一社会信用代码 for enterprise applicants, empty for others.
    credit_code: Mapped[str] = mapped_column(String(18), default="")
    #: citizen / enterprise (applicants) or staff.
    kind: Mapped[str] = mapped_column(String(16), default="staff", server_default="staff")
    #: 居民身份证号码 for citizen applicants.
    id_number: Mapped[str] = mapped_column(String(18), default="", server_default="")
    mobile: Mapped[str] = mapped_column(String(20), default="", server_default="")
    #: Where e-mail notices go (when an SMTP server is configured); empty: none are sent.
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DepartmentRecord(Base):
    """Data a department already holds (e.g. 基坑 review results), looked up instead of asking applicants."""

    __tablename__ = "department_records"
    __table_args__ = (UniqueConstraint("kind", "record_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(100))
    #: What the record is, e.g. "foundation_pit_review".
    kind: Mapped[str] = mapped_column(String(64))
    #: What it is looked up by, e.g. the project code.
    record_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32))
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CreditRecordRecord(Base):
    """A 失信 (credit) entry: written when a commitment is broken, read by the next eligibility check."""

    __tablename__ = "credit_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    case_number: Mapped[str] = mapped_column(String(43))
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: Repaired records (信用修复) no longer bar the commitment track.
    is_repaired: Mapped[bool] = mapped_column(default=False)


class DocumentRecord(Base):
    """An issued document (文书), frozen: its HTML never changes and its hash is in the history."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("document_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: Template key, e.g. "acceptance_notice".
    doc_key: Mapped[str] = mapped_column(String(64))
    document_no: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(100))
    #: For bundles: which permit the document concerns ("" for the case as a whole).
    permit: Mapped[str] = mapped_column(String(64), default="")
    element_id: Mapped[str] = mapped_column(String(128))
    html: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CalendarDayRecord(Base):
    """An explicit calendar day: holiday, 调休 working weekend day, or regional closure."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    #: "" for national entries, else the region/hall the entry applies to.
    region: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    is_workday: Mapped[bool] = mapped_column()
    name: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(200), default="")


class CalendarYearRecord(Base):
    """A year whose State Council notice is loaded; other years are computed provisionally."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    added_by: Mapped[str] = mapped_column(String(64))


class SharedVersionRecord(Base):
    """A counter per piece of state every process caches (the calendar): bumped in the same
    transaction as any change to it, read by each process at its next request to know it must reload."""

    __tablename__ = "shared_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class LoginAttemptRecord(Base):
    """Sign-in attempts, for the rate limit (shared by every web worker through the database)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    succeeded: Mapped[bool] = mapped_column()


class UploadRecord(Base):
    """An uploaded material: stored once as a file named by its SHA-256, never overwritten."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: The case whose submitted form first referenced the file (who else may see it follows from the case).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)


class ApiTokenRecord(Base):
    """A bearer token for systems using the REST API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    is_revoked: Mapped[bool] = mapped_column(default=False)


class DraftRecord(Base):
    """A form saved but not submitted (暂存): an applicant's work survives closing the browser."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("owner", "case_id", "task_uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    task_uuid: Mapped[str] = mapped_column(String(36))
    data_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DefinitionDraftRecord(Base):
    """A designer's unsaved-to-production edit of a matter: files as edited, checked on demand."""

    __tablename__ = "definition_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_code: Mapped[str] = mapped_column(String(64), index=True)
    #: JSON object file name -> text, the same shape as a deployed definition's files.
    files_json: Mapped[str] = mapped_column(Text)
    #: The version the draft was opened from (None for a new matter).
    base_definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definitions.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class HistorySnapshotRecord(Base):
    """A copy of a case's state taken as history grows, so a replay need not start from event 1.

    Each snapshot's SHA-256 is written into the hash-chained history at the same time, so a replay
    can trust a snapshot exactly as far as it trusts the history row that vouches for it.
    """

    __tablename__ = "history_snapshots"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: The history row (``snapshot_recorded``) that carries this snapshot's hash.
    seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class WebSessionRecord(Base):
    """A signed-in browser session, kept server-side so signing out really ends it."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 of the random session token the cookie carries (the token itself is never stored).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CaseDeadlineRecord(Base):
    """One revision of a case's (or a permit's) deadline record; the newest per (case, permit) is current.

    Written at acceptance and on every pause, resumption, extension, closing and calendar change,
    always beside the history row that says why (``seq``), so the record as it stood after any history
    row can be read back. ``record_json`` is ``engine.legal_time.DeadlineRecord.to_json()``.
    """

    __tablename__ = "case_deadlines"
    __table_args__ = (UniqueConstraint("case_id", "permit", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: "" for the case as a whole, else the permit key of a bundle (两证打包审).
    permit: Mapped[str] = mapped_column(String(64), default="")
    #: The history row this revision was written with.
    seq: Mapped[int] = mapped_column(Integer)
    accepted_on: Mapped[date] = mapped_column(Date)
    statutory_due: Mapped[date] = mapped_column(Date)
    promised_due: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    record_json: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeadlineRequestRecord(Base):
    """A request to extend a decision's time limit (延长期限, 行政许可法 art. 42) and its decision."""

    __tablename__ = "deadline_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    permit: Mapped[str] = mapped_column(String(64), default="")
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: pending / approved / refused
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")


# The organisation's and the catalogue's tables live in modules of their own; importing them here
# registers them on ``Base.metadata`` wherever the records are loaded (migrations, tests, the app).
class CaseStateChunkRecord(Base):
    """Finished tasks of a long case, stored once instead of in every save of its state.

    The case row's ``state`` names the range of chunks it builds on (``engine.runtime.spiff.serializer``);
    a chunk is written with the step that finished its tasks and never changes afterwards.
    """

    __tablename__ = "case_state_chunks"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    tasks: Mapped[bytes] = mapped_column(LargeBinary)


import engine.persistence.catalogue_records  # noqa: E402,F401
import engine.persistence.counter_records  # noqa: E402,F401
import engine.persistence.operations_records  # noqa: E402,F401
import engine.persistence.organisation_records  # noqa: E402,F401
import engine.persistence.party_records  # noqa: E402,F401
import engine.persistence.service_records  # noqa: E402,F401
import engine.persistence.staging_records  # noqa: E402,F401
