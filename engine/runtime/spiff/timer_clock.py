"""Make SpiffWorkflow's timers read our injected clock (a patch of a module global).

Upstream behaviour changed: SpiffWorkflow 3.2 has no clock injection; it computes timer due times
and decides whether a timer fired with ``datetime.now(timezone.utc)``, read from the module global
``datetime`` of ``SpiffWorkflow.bpmn.specs.event_definitions.timer`` (the only module of the package
that reads the wall clock). We replace that global with a subclass whose ``now()`` asks the clock
bound for the current step (a context variable, so concurrent requests in threads each see their
own clock). Outside a step it is the real clock. tests/engine/test_spiff_upstream.py fails if the
timer module stops reading that global or another module starts reading the wall clock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.clock import Clock

_current_clock: ContextVar[Clock | None] = ContextVar("onewindow_clock", default=None)


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        clock = _current_clock.get()
        if clock is None:
            return datetime.now(tz)
        moment = clock.now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone(UTC).replace(tzinfo=None)


def current_now() -> datetime:
    """The bound clock's time (aware UTC), or the wall clock outside a step."""
    clock = _current_clock.get()
    return clock.now() if clock is not None else datetime.now(UTC)


def install() -> None:
    """Idempotently point SpiffWorkflow's timer module at our clock-aware datetime."""
    if spiff_timer.datetime is not _ClockDatetime:
        spiff_timer.datetime = _ClockDatetime


@contextlib.contextmanager
def clock_bound(clock: Clock) -> Iterator[None]:
    """Run a block of engine work with SpiffWorkflow's timers reading ``clock``."""
    install()
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)


install()
