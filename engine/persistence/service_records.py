"""ORM records of how decisions reach the applicant: each organ's seal image, and the service (送达)
of every written decision and notice.

Kept beside ``records.py`` (which imports this module, so ``Base.metadata`` is complete wherever
records are loaded) because these tables are one area with one owner. Only ``engine/persistence``
may import it.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from engine.persistence.base import Base
from engine.persistence.base import UtcDateTime


class OrganSealRecord(Base):
    """The seal image an administrator set for an organ, printed on every document it signs.

    One row per organ, replaced when the administrator uploads another (each change is in the admin
    audit log). ``is_demo`` marks the generated sample seal, which documents label 演示.
    """

    __tablename__ = "organ_seals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organ_id: Mapped[int] = mapped_column(ForeignKey("organs.id"), unique=True)
    #: ``image/png`` or ``image/svg+xml``.
    content_type: Mapped[str] = mapped_column(String(40))
    #: The image as a ``data:`` URI, so a frozen document carries its seal and prints offline.
    data_uri: Mapped[str] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(default=False)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime())
    set_by: Mapped[str] = mapped_column(String(64))


class DocumentServiceRecord(Base):
    """The service (送达) of one written decision or notice on the applicant.

    Created, pending, in the transaction that issues the document, with the channel the applicant
    chose; the delivery (receiver and ID, EMS tracking number, or the moment the applicant opened it
    online) is recorded once, with a history row in the same transaction. ``warn_on`` and ``due_on``
    are the 7th and 10th working day after the decision (行政许可法 arts. 44, 82) for certificates.
    """

    __tablename__ = "document_services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: The served document (``documents.document_no``; documents are inserted in the same commit).
    document_no: Mapped[str] = mapped_column(String(64), unique=True)
    doc_key: Mapped[str] = mapped_column(String(64))
    permit: Mapped[str] = mapped_column(String(64), default="")
    #: ``certificate`` (art. 44 ten-day rule), ``decision`` (不予许可/不予受理/撤销) or ``notice``.
    kind: Mapped[str] = mapped_column(String(16))
    #: ``window`` (窗口领取), ``ems`` (邮寄), ``online`` (电子送达).
    channel: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    warn_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: ``pending`` or ``served``.
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    served_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    served_channel: Mapped[str] = mapped_column(String(16), default="")
    receiver_name: Mapped[str] = mapped_column(String(100), default="")
    receiver_id_number: Mapped[str] = mapped_column(String(32), default="")
    tracking_number: Mapped[str] = mapped_column(String(40), default="")
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    #: The last art. 44 flag the sweep wrote to the history ("", ``warning`` on day 7, ``overdue`` after
    #: day 10): each is written once, whatever the number of workers.
    flagged: Mapped[str] = mapped_column(String(16), default="", server_default="")
