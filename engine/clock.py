"""Injectable clock.

Every "now" in the engine comes from a ``Clock`` handed in by the caller, so tests move time by
hand instead of sleeping, and SpiffWorkflow's timer code sees the same time (see
``engine.runtime.spiff.timer_clock``).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests and for replaying history."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)

    def advance(self, **kwargs: float) -> datetime:
        self._now += timedelta(**kwargs)
        return self._now


CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
"""China Standard Time; case numbers and working days use the local date, not the UTC date."""
