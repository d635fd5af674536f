"""ORM records of the operations area: incidents (a case step that failed: script, service task, task
completion, timer), the message subscriptions of waiting cases, and the outbox of webhook deliveries.

Kept beside ``records.py`` (which imports this module, so ``Base.metadata`` is complete wherever
records are loaded) because incidents are one area, owned by the operations console. Only
``engine/persistence`` may import it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from engine.persistence.base import Base
from engine.persistence.base import UtcDateTime


class IncidentRecord(Base):
    """One failure of a case: where it happened, what went wrong, and the data at that moment.

    Written in the same transaction as the case state it describes. ``status`` goes from ``open``
    to ``resolved`` (a retry that ran through) or ``closed`` (the case was terminated or moved on).
    """

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: engine (script, gateway, service task) / completion (a human task's completion) / timer / message
    kind: Mapped[str] = mapped_column(String(16))
    element_id: Mapped[str] = mapped_column(String(128), default="")
    element_name: Mapped[str] = mapped_column(String(200), default="")
    task_uuid: Mapped[str] = mapped_column(String(36), default="")
    #: The error as people read it (Chinese where we know the cause) and the engine's own text.
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    #: JSON: the task's data when it failed (what a retry starts from, after a fix).
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    #: JSON: the form values a person submitted when the completion failed (kept for the retry).
    submitted_json: Mapped[str] = mapped_column(Text, default="{}")
    submitted_by: Mapped[str] = mapped_column(String(64), default="")
    #: open / resolved / closed
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(64))


class MessageSubscriptionRecord(Base):
    """A message or signal a case waits for now, kept in step with its state on every saved step.

    The message API finds the waiting case here (by name and 办件编号 or 统一社会信用代码) without
    restoring any workflow; only cases whose definition catches events have rows.
    """

    __tablename__ = "message_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: message / signal
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), index=True)
    element_id: Mapped[str] = mapped_column(String(128))
    case_number: Mapped[str] = mapped_column(String(43), index=True)
    #: The applicant's 统一社会信用代码 from the case data, when it has one.
    credit_code: Mapped[str] = mapped_column(String(18), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OutboxRecord(Base):
    """A case event for one configured webhook, written in the step's transaction, delivered later.

    ``delivery_id`` is the idempotency key the receiver sees on every attempt of this delivery.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    webhook: Mapped[str] = mapped_column(String(64))
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload_json: Mapped[str] = mapped_column(Text)
    #: pending / delivered / failed (gave up after the last attempt)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
