"""Sign-in attempts and ended sessions are deleted once old, so neither table grows forever."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.errors import NotAllowed
from engine.persistence.records import LoginAttemptRecord
from engine.persistence.records import WebSessionRecord
from engine.services.accounts import SESSION_LIFETIME
from engine.services.accounts import SIGN_IN_RECORDS_KEPT
from engine.services.accounts import actor_for_session
from engine.services.accounts import close_session
from engine.services.accounts import open_session
from engine.services.accounts import sign_in
from engine.services.bootstrap import ensure_administrator
from engine.services.context import EngineContext

PASSWORD = "a long admin password"


def _counts(ctx: EngineContext) -> tuple[int, int]:
    with ctx.uow() as uow:
        return (uow.session.scalar(select(func.count(LoginAttemptRecord.id))) or 0,
                uow.session.scalar(select(func.count(WebSessionRecord.id))) or 0)


def test_old_attempts_and_ended_sessions_are_pruned_on_sign_in(ctx: EngineContext, clock: FixedClock) -> None:
    assert ensure_administrator(ctx, PASSWORD) is not None
    admin = Actor("admin", groups=frozenset({"admin"}))
    for _ in range(3):
        try:
            sign_in(ctx, "admin", "wrong password", "10.0.0.1")
        except NotAllowed:
            pass
    sign_in(ctx, "admin", PASSWORD, "10.0.0.1")
    closed = open_session(ctx, admin)
    close_session(ctx, closed)
    expired = open_session(ctx, admin)
    assert _counts(ctx) == (4, 2)

    clock.advance(days=SIGN_IN_RECORDS_KEPT.days - 1)
    live = open_session(ctx, admin)  # still valid when the next sign-in prunes
    sign_in(ctx, "admin", PASSWORD, "10.0.0.2")
    assert _counts(ctx) == (5, 3)  # nothing was old enough yet

    clock.advance(days=2)  # the first attempts and the first two sessions are now older than kept
    sign_in(ctx, "admin", PASSWORD, "10.0.0.3")
    attempts, sessions = _counts(ctx)
    assert attempts == 2  # the sign-in of day 29 and this one
    assert sessions == 1  # ``live`` ended (expired) after ``SESSION_LIFETIME``, less than 30 days ago
    assert actor_for_session(ctx, expired) is None and actor_for_session(ctx, closed) is None
    clock.advance(days=SIGN_IN_RECORDS_KEPT.days, seconds=SESSION_LIFETIME.total_seconds())
    sign_in(ctx, "admin", PASSWORD, "10.0.0.4")
    assert _counts(ctx) == (1, 0)  # ``live`` expired long enough ago too
    assert actor_for_session(ctx, live) is None


def test_failed_sign_ins_do_not_prune(ctx: EngineContext, clock: FixedClock) -> None:
    """Pruning runs on success only: a guesser hammering wrong passwords cannot make us scan tables."""
    assert ensure_administrator(ctx, PASSWORD) is not None
    sign_in(ctx, "admin", PASSWORD, "10.0.0.1")
    clock.advance(days=SIGN_IN_RECORDS_KEPT.days + 1)
    try:
        sign_in(ctx, "admin", "wrong password", "10.0.0.9")
    except NotAllowed:
        pass
    assert _counts(ctx)[0] == 2
    sign_in(ctx, "admin", PASSWORD, "10.0.0.1")
    assert _counts(ctx)[0] == 2  # the old success went, the failure of today and this success stay
