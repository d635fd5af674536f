"""ORM record of the maintained statistics counters (``repositories.counters`` keeps them).

Kept beside ``records.py`` (which imports this module, so ``Base.metadata`` is complete wherever
records are loaded); as with ``records.py``, only ``engine/persistence`` may import it.
"""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from engine.persistence.base import Base


class CaseCounterRecord(Base):
    """How many cases of a matter are in one bucket (running, 办理状态 5, promised due on a day, …).

    Written in the same transaction as the case row whose change moved a case between buckets, so
    the statistics page and the board read a few hundred rows whatever the number of cases.
    """

    __tablename__ = "case_counters"

    matter_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: total / running / finished / blzt / due / paused / on_time / accepted / done
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: "" or the bucket's value: a 办理状态 code, an ISO date.
    key: Mapped[str] = mapped_column(String(16), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer, default=0)


class HallCounterRecord(Base):
    """How many sent (not draft) cases of one process version are in a bucket of the hall's figures.

    Keyed by the version, not the matter, because the statistics page groups by the version's
    matter name and 实施部门; buckets hold the month received ("2025-09") and, for the board, the day a
    case was accepted or finished. Moved in the same statement as ``case_counters`` (``count_case``).
    """

    __tablename__ = "hall_counters"

    definition_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: total / running / finished / on_time / due / accepted_day / finished_day
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: A month, "month|due day" (due) or a day (ISO).
    key: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer, default=0)
