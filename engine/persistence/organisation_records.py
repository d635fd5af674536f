"""ORM records of the organisation: organs, their departments and posts, who holds which post, the
windows of the hall and their clerks, and the append-only log of every change an administrator made.

Kept beside ``records.py`` (which imports this module, so ``Base.metadata`` is complete wherever
records are loaded) because these tables are one area with one owner. As with ``records.py``, only
``engine/persistence`` may import it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from engine.persistence.base import Base
from engine.persistence.base import UtcDateTime


class OrganRecord(Base):
    """A 行政机关 (administrative organ): who decides, whose seal and remedies a decision carries."""

    __tablename__ = "organs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Short lower-case key other data names (catalogue entries, departments), e.g. ``zj``.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(50))
    #: 统一社会信用代码 (18 characters, check character verified); the first 18 of each 实施编码.
    credit_code: Mapped[str] = mapped_column(String(18))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: 行政复议机关 and the court printed as remedies on every adverse decision of this organ.
    review_organ: Mapped[str] = mapped_column(String(100))
    court: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)


class OrgDepartmentRecord(Base):
    """A 科室 / 承办机构 of an organ (not ``DepartmentRecord``, which holds data departments look up)."""

    __tablename__ = "org_departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    organ_id: Mapped[int] = mapped_column(ForeignKey("organs.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)


class PostRecord(Base):
    """A 岗位: its code is the candidate group diagrams name (``zj_chengban``); its holders work those tasks."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int] = mapped_column(ForeignKey("org_departments.id"), index=True)
    #: 承办 / 审核 / 批准 / 负责人 / 核查 / 窗口 / 其他
    kind: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)


class PostMemberRecord(Base):
    """One person holding one post. Read when the person acts, so a change reaches open tasks at once."""

    __tablename__ = "post_members"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime())


class WindowRecord(Base):
    """A window (窗口) of the hall: 综合 (accepts any matter), 兜底 (fallback) or 专项 (named matters)."""

    __tablename__ = "windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: 综合 / 兜底 / 专项
    kind: Mapped[str] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(default=True)


class WindowClerkRecord(Base):
    """One clerk serving at one window."""

    __tablename__ = "window_clerks"
    __table_args__ = (UniqueConstraint("window_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime())


class AdminAuditRecord(Base):
    """Append-only log of what administrators changed in the organisation and the catalogue.

    Written in the same transaction as the change it describes; rows are never updated or deleted.
    """

    __tablename__ = "admin_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(200), default="")
    #: ``organisation`` or ``catalogue``.
    area: Mapped[str] = mapped_column(String(16), index=True)
    #: <subject>_<past tense verb>: organ_created, post_member_added, user_deactivated, entry_changed, …
    event_type: Mapped[str] = mapped_column(String(40))
    #: What changed, e.g. ``post:zj_chengban`` or ``entry:food_business``.
    subject: Mapped[str] = mapped_column(String(100), index=True)
    #: One line in Chinese for the log page.
    summary: Mapped[str] = mapped_column(String(500))
    #: JSON texts: the subject's values before and after (None for creations / removals).
    data_before: Mapped[str | None] = mapped_column(Text)
    data_after: Mapped[str | None] = mapped_column(Text)
