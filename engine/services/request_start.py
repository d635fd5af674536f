"""What every request reads before its view: who asks and whether the shared calendar changed.

A request used to spend four units of work on this (the calendar version, the session, the account,
its posts and windows; or the same for an API token), each a pool checkout, a ``BEGIN``, a statement
and a ``ROLLBACK``. Here it is one unit of work and, for a known session or token, one statement
(``accounts.identity_by_token_hash``). Nothing is cached across requests: a second app server sees a
closed session, a revoked token, a disabled account, a changed post or calendar on its next request.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.actors import Actor
from engine.persistence.repositories import accounts as stored
from engine.persistence.repositories.accounts import Identity
from engine.persistence.repositories.shared_versions import shared_version
from engine.services.accounts import actor_of_session
from engine.services.accounts import actor_of_token
from engine.services.accounts import token_hash
from engine.services.calendar import CALENDAR_VERSION
from engine.services.calendar import refresh_calendar_to
from engine.services.context import EngineContext


@dataclass(frozen=True)
class RequestStart:
    #: The browser session's actor; None without a session, or once it ended (clear the cookie).
    session_actor: Actor | None
    #: The bearer token's actor; None without a token, or for an unknown or revoked one.
    token_actor: Actor | None


def start_request(ctx: EngineContext, *, session_token: str = "", api_token: str = "") -> RequestStart:
    """Read the session's and the token's actors and the calendar version together (reloading the
    calendar if another process changed it), in one unit of work."""
    session: Identity | None = None
    token: Identity | None = None
    version: int | None = None
    with ctx.uow() as uow:
        if session_token:
            version, session = stored.identity_by_token_hash(uow, "session", token_hash(session_token),
                                                             CALENDAR_VERSION)
        if api_token:
            found, token = stored.identity_by_token_hash(uow, "token", token_hash(api_token), CALENDAR_VERSION)
            version = found if found is not None else version
        if version is None:
            version = shared_version(uow, CALENDAR_VERSION)
    refresh_calendar_to(ctx, version)
    return RequestStart(actor_of_session(ctx, session) if session_token else None,
                        actor_of_token(ctx, token) if api_token else None)
