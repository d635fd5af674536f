"""The operations console's case search: by matter, state, open incident, department and age.

Only the operations groups may search; the result reuses the case summaries of the staff lists
(current steps, deadlines) plus the number of open incidents of each case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from engine.actors import Actor
from engine.persistence.repositories.cases import cases_by_ids
from engine.persistence.repositories.definitions import latest_definitions
from engine.persistence.repositories.incidents import console_cases
from engine.persistence.repositories.incidents import open_incident_counts
from engine.persistence.repositories.outbox import OutboxRow
from engine.persistence.repositories.outbox import failed_deliveries
from engine.persistence.repositories.outbox import outbox_counts
from engine.persistence.repositories.outbox import pending_calls_of_case
from engine.services.casework import CaseSummary
from engine.services.casework import summaries
from engine.services.context import EngineContext
from engine.services.operations.incidents import require_operator

STATUSES = ("running", "failed", "suspended", "completed", "cancelled")


@dataclass(frozen=True)
class ConsoleRow:
    summary: CaseSummary
    open_incidents: int


@dataclass(frozen=True)
class ConsoleSearch:
    matter: str = ""
    status: str = ""
    incident_only: bool = False
    department: str = ""
    #: Received at least this many days ago (0: any age).
    older_than_days: int = 0


def departments(ctx: EngineContext) -> list[str]:
    """The departments the deployed matters name, for the search form."""
    with ctx.uow() as uow:
        return sorted({str(r.metadata.get("department", "")) for r in latest_definitions(uow)} - {""})


def search_cases(ctx: EngineContext, actor: Actor, search: ConsoleSearch, limit: int = 200) -> list[ConsoleRow]:
    require_operator(ctx, actor)
    with ctx.uow() as uow:
        codes: list[str] | None = None
        if search.department:
            codes = [r.matter_code for r in latest_definitions(uow)
                     if r.metadata.get("department") == search.department]
        if search.matter:
            codes = [c for c in (codes if codes is not None else [search.matter]) if c == search.matter]
        before = ctx.clock.now() - timedelta(days=search.older_than_days) if search.older_than_days > 0 else None
        ids = console_cases(uow, matter_codes=codes, status=search.status if search.status in STATUSES else None,
                            with_open_incident=search.incident_only, received_before=before, limit=limit)
        rows = cases_by_ids(uow, ids)
        counts = open_incident_counts(uow, ids)
        return [ConsoleRow(summary, counts.get(summary.id, 0)) for summary in summaries(ctx, uow, rows)]


@dataclass(frozen=True)
class OutboxOverview:
    counts: dict[str, int]
    failed: list[OutboxRow]


def outbox_overview(ctx: EngineContext, actor: Actor) -> OutboxOverview:
    """Webhook deliveries by state, and those given up (the console's 外发事件 panel)."""
    require_operator(ctx, actor)
    with ctx.uow() as uow:
        return OutboxOverview(outbox_counts(uow), failed_deliveries(uow))


@dataclass(frozen=True)
class WaitingCall:
    element_id: str
    element_name: str
    endpoint: str
    attempts: int
    next_attempt_at: datetime
    last_error: str


def waiting_calls(ctx: EngineContext, actor: Actor, case_id: int) -> list[WaitingCall]:
    """The service-task requests a case waits on (its page shows them: a case waiting for another
    system has no open task and would otherwise look stuck)."""
    require_operator(ctx, actor)
    with ctx.uow() as uow:
        rows = pending_calls_of_case(uow, case_id)
    found = []
    for row in rows:
        request = json.loads(row.payload_json)
        found.append(WaitingCall(request.get("element_id", ""), request.get("element_name", ""), row.webhook,
                                 row.attempts, row.next_attempt_at, row.last_error))
    return found
