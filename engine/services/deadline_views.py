"""What a case's legal time looks like to the person asking: its record, its requests, what they may do.

The reading side of ``deadline_requests``: the 办理期限 page, an extension request's page and the
heads' list of requests to decide. Access follows the policy: the case's record to whoever sees the
case (``services.access.visible_case``), staff requests to staff, a request to the head who decides
it (``engine.policy.legal_time``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from engine.actors import Actor
from engine.errors import CaseNotFound
from engine.legal_time import DeadlineRecord
from engine.legal_time import MatterLimits
from engine.legal_time import PermitLimits
from engine.persistence.repositories import deadlines as stored
from engine.persistence.repositories.cases import case_by_id
from engine.policy.legal_time import may_ask_for_time
from engine.policy.legal_time import may_decide_extension
from engine.services import deadlines
from engine.services.access import visible_case
from engine.services.cases import definition_for_case
from engine.services.catalogue.limits import case_limits
from engine.services.catalogue.limits import case_matter_name
from engine.services.context import EngineContext
from engine.services.deadline_requests import ExtensionRequest
from engine.services.deadline_requests import request_view


@dataclass(frozen=True)
class LegalTimeOptions:
    """What the actor may do about a case's legal time now (the case page shows these forms)."""

    may_request_extension: tuple[PermitLimits, ...]
    may_start_special: tuple[PermitLimits, ...]
    may_end_special: tuple[PermitLimits, ...]
    may_decide: tuple[ExtensionRequest, ...]
    requests: tuple[ExtensionRequest, ...]


def legal_time_options(ctx: EngineContext, case_id: int, actor: Actor) -> LegalTimeOptions:
    """What ``actor`` may do about the case's legal time now, and its extension requests so far."""
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        limits = case_limits(uow, case, definition_for_case(ctx, uow, case).metadata)
        records = stored.current_deadlines(uow, case.id)
        rows = stored.requests_of_case(uow, case.id)
    requests = tuple(request_view(row, limits) for row in rows)
    permits = limits.timed_permits or (limits.case,)
    running = case.status == "running"

    def live(permit: PermitLimits) -> DeadlineRecord | None:
        record = records.get(permit.key)
        return record if running and record is not None and not record.is_closed else None

    staff = [p for p in permits if live(p) is not None and may_ask_for_time(actor, p)]
    return LegalTimeOptions(
        may_request_extension=tuple(p for p in staff if p.extension_wd > 0),
        may_start_special=tuple(p for p in staff if p.special_procedures and live(p).open_pause is None),  # type: ignore[union-attr]
        may_end_special=tuple(p for p in staff if (pause := live(p).open_pause) is not None  # type: ignore[union-attr]
                              and pause.kind == "special_procedure"),
        may_decide=tuple(r for r in requests if r.status == "pending" and may_decide(actor, limits, r.permit)),
        requests=requests)


def pending_extensions(ctx: EngineContext, actor: Actor) -> list[ExtensionRequest]:
    """Extension requests waiting for a head the actor is (their 待审批 list)."""
    found: list[ExtensionRequest] = []
    with ctx.uow() as uow:
        for row in stored.pending_requests(uow):
            case = case_by_id(uow, row.case_id)
            if case is None:
                continue
            limits = case_limits(uow, case, definition_for_case(ctx, uow, case).metadata)
            if may_decide(actor, limits, row.permit):
                found.append(request_view(row, limits))
    return found


@dataclass(frozen=True)
class CaseLegalTime:
    """A case's legal time as its legal-time page and API show it: the record, the requests, the options."""

    case_id: int
    case_number: str
    matter_name: str
    deadlines: deadlines.CaseDeadlines | None
    records: tuple[DeadlineRecord, ...]
    options: LegalTimeOptions


@dataclass(frozen=True)
class RequestPage:
    """One extension request with what its approver needs to decide it."""

    request: ExtensionRequest
    case_number: str
    matter_name: str
    deadlines: deadlines.CaseDeadlines | None
    may_decide: bool


def may_decide(actor: Actor, limits: MatterLimits, permit: str) -> bool:
    """The access rule of an extension decision (``engine.policy.legal_time``) for a permit of the matter."""
    return may_decide_extension(actor, limits.for_permit(permit))


def case_legal_time(ctx: EngineContext, case_id: int, actor: Actor) -> CaseLegalTime:
    """The legal time of a case the actor may see (``CaseNotFound`` otherwise, as for the case itself)."""
    with ctx.uow() as uow:
        seen = visible_case(uow, case_id, actor)
        case = seen.case
        matter = case_matter_name(uow, case, definition_for_case(ctx, uow, case).metadata.name)
        records = stored.current_deadlines(uow, case.id)
    view = deadlines.current_view(ctx.calendar, records, deadlines.china_today(ctx.clock.now()),
                                  case.status == "running")
    options = legal_time_options(ctx, case_id, actor)
    shown = tuple(records[key] for key in sorted(records))
    if not seen.access.is_staff:
        # The applicant side reads what the notices told it (dates, pauses, extensions and their reasons),
        # not who on the staff asked and approved, nor requests still being decided.
        options = LegalTimeOptions((), (), (), (), tuple(
            dataclasses.replace(r, requested_by="", decided_by=None) for r in options.requests
            if r.status == "approved"))
        shown = tuple(dataclasses.replace(r, extensions=tuple(
            dataclasses.replace(e, requested_by="", approved_by="") for e in r.extensions)) for r in shown)
    return CaseLegalTime(case_id=case.id, case_number=case.case_number, matter_name=matter, deadlines=view,
                         records=shown, options=options)


def extension_request(ctx: EngineContext, request_id: int, actor: Actor) -> RequestPage:
    """A request for its approver, or for staff who see its case; ``CaseNotFound`` for anyone else."""
    with ctx.uow() as uow:
        row = stored.request_by_id(uow, request_id)
        case = case_by_id(uow, row.case_id) if row is not None else None
        if row is None or case is None:
            raise CaseNotFound(f"延期申请 {request_id}")
        definition = definition_for_case(ctx, uow, case)
        limits = case_limits(uow, case, definition.metadata)
        deciding = may_decide(actor, limits, row.permit)
        if not deciding:
            try:
                seen = visible_case(uow, case.id, actor)
            except CaseNotFound:
                raise CaseNotFound(f"延期申请 {request_id}") from None
            if not seen.access.is_staff:
                raise CaseNotFound(f"延期申请 {request_id}")
        records = stored.current_deadlines(uow, case.id)
        matter_name = case_matter_name(uow, case, definition.metadata.name)
    view = deadlines.current_view(ctx.calendar, records, deadlines.china_today(ctx.clock.now()),
                                  case.status == "running")
    return RequestPage(request=request_view(row, limits), case_number=case.case_number,
                       matter_name=matter_name, deadlines=view,
                       may_decide=deciding and row.status == "pending")
