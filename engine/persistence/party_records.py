"""Tables of the parties to a case who have no account: the walk-in applicant (窗口代录) and their 查询码."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from engine.persistence.base import Base
from engine.persistence.base import UtcDateTime


class CaseApplicantRecord(Base):
    """The applicant of a case filed at the window for someone without an account: a party to it.

    The case's ``owner_id`` is this party's ``party_id`` (``walkin:…``, never a username), so the
    applicant's tasks are theirs; with the 查询码 printed on the 受理通知书 and their ID number or
    mobile they follow, supplement and rate the case without an account.
    """

    __tablename__ = "case_applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    party_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: resident_id / passport / hk_macao / taiwan / uscc (``engine.services.parties.ID_TYPES``).
    id_type: Mapped[str] = mapped_column(String(16))
    id_number: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str] = mapped_column(String(20))
    #: 查询码: what the applicant shows, with the ID number or mobile, to reach the case.
    query_code: Mapped[str] = mapped_column(String(16), unique=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
