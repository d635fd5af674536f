"""The stored deadline record of each case: written at acceptance, kept in step, read by every display.

At the first 办理状态 3 the engine writes one record for the case and one per permit of a bundle
(``engine.legal_time`` says how the dates are counted), in the step's transaction, with a history
row. Later status codes keep it in step: 6/9 open a pause (stopping the clock only where the matter
names a legal basis), 7/10 end it and put the case back on the code it had, a closing code (办结,
不予受理, 撤回 …) or a permit's decision document stops the clock. Extensions and calendar changes
write new revisions too (``deadline_requests``, ``calendar``). Worklists, the window queue, the
board, statistics, the case page, the API and the documents all read the current revision, so a
date shown anywhere is the date stored here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

from engine.actors import Actor
from engine.calendar import WorkCalendar
from engine.clock import CHINA_TZ
from engine.definitions.catalog import CompiledDefinition
from engine.errors import CaseNotFound
from engine.history import to_json
from engine.legal_periods import PERIOD_KINDS
from engine.legal_periods import Period
from engine.legal_periods import opened_period
from engine.legal_time import CLOSING_CODES
from engine.legal_time import PAUSE_CODES
from engine.legal_time import PAUSE_KINDS
from engine.legal_time import DeadlineRecord
from engine.legal_time import LegalClock
from engine.legal_time import MatterLimits
from engine.legal_time import Pause
from engine.legal_time import acceptance_days
from engine.legal_time import bundle_record
from engine.legal_time import china_time
from engine.legal_time import open_record
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.counters import brief_of
from engine.persistence.repositories.counters import set_brief
from engine.persistence.repositories.deadlines import current_deadlines
from engine.persistence.repositories.deadlines import stage_revision
from engine.persistence.repositories.history import append_history
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.catalogue.limits import case_limits
from engine.services.context import EngineContext
from engine.state_names import deadline_state_name

# -- what displays get ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PermitDeadline:
    """One permit of a bundle (两证打包审): its own limits and its own pauses."""

    key: str
    name: str
    statutory_due: date
    promised_due: date
    paused: tuple[tuple[date, date | None], ...]
    statutory_state: str
    promised_state: str

    @property
    def statutory_state_name(self) -> str:
        return deadline_state_name(self.statutory_state)

    @property
    def promised_state_name(self) -> str:
        return deadline_state_name(self.promised_state)


@dataclass(frozen=True)
class CaseDeadlines:
    """A case's deadlines as the stored record says, with today's traffic light."""

    accepted_on: date
    statutory_due: date
    promised_due: date
    extension_wd: int
    paused: tuple[tuple[date, date | None], ...]
    provisional: bool
    statutory_state: str
    promised_state: str
    finished: bool
    permits: tuple[PermitDeadline, ...] = ()
    received_on: date | None = None
    acceptance_mode: str = "normal"
    statutory_limit_wd: int = 0
    promised_limit_wd: int = 0
    extension_limit_wd: int = 0
    #: The day the clock stopped (decision, refusal, withdrawal), if it has.
    closed_on: date | None = None
    #: Periods the notices gave the applicant (陈述申辩), as stored on the case's record.
    periods: tuple[Period, ...] = ()

    @property
    def is_paused(self) -> bool:
        return bool(self.paused) and self.paused[-1][1] is None

    @property
    def statutory_state_name(self) -> str:
        return deadline_state_name(self.statutory_state)

    @property
    def promised_state_name(self) -> str:
        return deadline_state_name(self.promised_state)


def _as_of(record: DeadlineRecord, calendar: WorkCalendar, today: date) -> DeadlineRecord:
    """An open counting pause keeps pushing the dates until it ends: show them as of today."""
    return record.recomputed(calendar, today) if record.is_paused and not record.is_closed else record


def current_view(calendar: WorkCalendar, records: Mapping[str, DeadlineRecord], today: date,
                 running: bool) -> CaseDeadlines | None:
    """The case's deadlines from its current records (None before acceptance), judged on ``today``."""
    if "" not in records:
        return None
    shown = {key: _as_of(record, calendar, today) for key, record in records.items()}
    permits = [shown[key] for key in sorted(shown) if key]
    case = bundle_record(shown[""], permits)
    finished = case.is_closed or not running

    def state(due: date, closed: bool) -> str:
        return str(calendar.deadline_state(due, today, closed))

    permit_views = tuple(PermitDeadline(
        key=p.permit, name=p.name, statutory_due=p.statutory_due, promised_due=p.promised_due,
        paused=tuple(p.frozen_spans()), statutory_state=state(p.statutory_due, finished or p.is_closed),
        promised_state=state(p.promised_due, finished or p.is_closed)) for p in permits)
    spans = [span for p in [case, *permits] for span in p.frozen_spans()]
    open_spans = [span for p in [case, *permits] if p.is_paused and not p.is_closed
                  for span in p.frozen_spans() if span[1] is None]
    closed_spans = sorted({span for span in spans if span[1] is not None})
    return CaseDeadlines(
        accepted_on=case.accepted_on, statutory_due=case.statutory_due, promised_due=case.promised_due,
        extension_wd=max([case.extension_wd, *(p.extension_wd for p in permits)]),
        paused=tuple(closed_spans + open_spans[:1]), provisional=case.provisional,
        statutory_state=state(case.statutory_due, finished), promised_state=state(case.promised_due, finished),
        finished=finished, permits=permit_views, received_on=case.received_on,
        acceptance_mode=case.acceptance_mode, statutory_limit_wd=case.statutory_limit_wd,
        promised_limit_wd=case.promised_limit_wd, extension_limit_wd=case.extension_limit_wd,
        closed_on=china_today(case.closed_at) if case.closed_at else None, periods=case.periods)


def china_today(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def case_deadlines(ctx: EngineContext, case_id: int) -> CaseDeadlines | None:
    """The stored deadlines of one case, as every page shows them."""
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        records = current_deadlines(uow, case_id)
    return current_view(ctx.calendar, records, china_today(ctx.clock.now()), case.status == "running")


# -- writing, inside a step ----------------------------------------------------------------------


def _bundle(records: dict[str, DeadlineRecord]) -> DeadlineRecord:
    """The case record of a bundle follows its permits: due with the last, closed with the last."""
    case = records[""]
    permits = [r for key, r in records.items() if key]
    if not permits:
        return case
    closed = case.closed_at
    if closed is None and all(p.is_closed for p in permits):
        closed = max(p.closed_at for p in permits if p.closed_at is not None)
    return dataclasses.replace(bundle_record(case, permits), closed_at=closed)


def _write(uow: UnitOfWork, case: CaseRow, before: Mapping[str, DeadlineRecord], after: dict[str, DeadlineRecord],
           event_type: str, now: datetime, actor: Actor, *, element_id: str = "", element_name: str = "",
           to_state: str = "", detail: Mapping[str, Any] | None = None,
           detail_before: Mapping[str, Any] | None = None) -> None:
    """One history row for the change, one revision per record it changed (the bundle's case record too).

    The row's ``data_before``/``data_after`` hold the changed records before and after (``records``)
    beside a readable summary (``detail_before``/``detail``).
    """
    if "" in after and any(key for key in after):
        after[""] = _bundle(after)
    changed = {key: record for key, record in after.items() if before.get(key) != record}
    if not changed:
        return
    row = append_history(uow, case, occurred_at=now, event_type=event_type, actor_id=actor.user_id,
                         actor_role=actor.role_label, element_id=element_id, element_name=element_name,
                         to_state=to_state,
                         data_before=to_json({**(detail_before or {}),
                                              "records": {key: before[key].to_json() for key in changed
                                                          if key in before}} if before else None),
                         data_after=to_json({**(detail or {}),
                                             "records": {key: record.to_json() for key, record in changed.items()}}))
    for record in changed.values():
        stage_revision(uow, case.id, row["seq"], record, now)
    set_brief(case, brief_of({**before, **after}))


def shown_code(uow: UnitOfWork, case: CaseRow, code: int, permit: str) -> int:
    """The 办理状态 the case shows once ``code`` applies: after 补正（结束） or 特别程序（结束） it is back on
    the code it had before the pause (部门开始办理 …), unless another permit's pause is still open."""
    if code not in PAUSE_CODES.values():
        return code
    records = current_deadlines(uow, case.id)
    ending = _targets(records, permit) if records else []
    still = [r.open_pause for key, r in records.items()
             if key not in ending and r.open_pause is not None and not r.is_closed]
    if still:
        return _pause_code(still[-1])
    resumes = [records[key].open_pause.resume_code for key in ending  # type: ignore[union-attr]
               if records[key].open_pause is not None and records[key].open_pause.resume_code is not None]
    return resumes[0] if resumes else code


def _pause_code(pause: Pause) -> int:
    return next(code for code, kind in PAUSE_KINDS.items() if kind == pause.kind)


def _resume_code(records: Mapping[str, DeadlineRecord], previous: int | None) -> int | None:
    """The code to come back to: the one before this pause, or before the pause already open."""
    if previous not in PAUSE_CODES:
        return previous
    open_pauses = [r.open_pause for r in records.values() if r.open_pause is not None]
    return next((p.resume_code for p in open_pauses if p.resume_code is not None), None)


def _targets(records: Mapping[str, DeadlineRecord], permit: str) -> list[str]:
    """Which records a permit's event concerns: the permit's, or (case-wide) every open one."""
    if permit and permit in records:
        return [permit]
    return [key for key, record in records.items() if not record.is_closed and (key or len(records) == 1)] or [""]


def acceptance_mode(props: Mapping[str, str], data: Mapping[str, Any]) -> str:
    """How the case was accepted: the element's ``acceptance`` property, else the reception's own word."""
    mode = str(data.get("acceptance_mode") or "normal")
    return props.get("acceptance") or {"auto": "deemed"}.get(mode, mode)


def opened_records(legal: LegalClock, limits: MatterLimits, *, mode: str, received_at: datetime,
                   materials_received_at: datetime | None, accepted_at: datetime) -> dict[str, DeadlineRecord]:
    """The records written at acceptance: the case's, and each permit's with its own clock.

    Deemed acceptance dates from the (complete) materials' receipt; the receipt printed is the first.
    """
    deemed = mode == "deemed"
    _, accepted_on = acceptance_days(legal.calendar, legal.closing, deemed=deemed,
                                     received_at=(materials_received_at or received_at) if deemed else received_at,
                                     accepted_at=accepted_at)
    received_on = legal.day_of(received_at)
    records = {"": open_record(legal.calendar, limits.case, received_on=received_on, accepted_at=accepted_at,
                               accepted_on=accepted_on, mode=mode)}
    for permit in limits.timed_permits:
        records[permit.key] = open_record(legal.calendar, permit, received_on=received_on, accepted_at=accepted_at,
                                          accepted_on=accepted_on, mode=mode)
    return records


def status_applied(records: Mapping[str, DeadlineRecord], limits: MatterLimits, code: int, permit: str,
                   now: datetime, calendar: WorkCalendar, *, previous_code: int | None, detail: str = "",
                   until: date | None = None) -> tuple[dict[str, DeadlineRecord], str]:
    """The records after status ``code`` (pause 6/9, resume 7/10, stop at a closing code), and the event type.

    ``previous_code`` is the code the case showed before: a pause remembers it to return to.
    """
    today = china_today(now)
    after = dict(records)
    if code in PAUSE_CODES:
        kind = PAUSE_KINDS[code]
        resume_code = _resume_code(records, previous_code)
        for key in _targets(records, permit):
            record = records[key]
            if record.is_closed or record.open_pause is not None:
                continue
            pause = Pause(kind=kind, basis=limits.for_permit(key).pause_basis(kind), started_on=today, started_at=now,
                          resume_code=resume_code, detail=detail, until=until)
            after[key] = record.with_pauses([*record.pauses, pause]).recomputed(calendar, today)
        return after, "deadline_paused"
    if code in PAUSE_CODES.values():
        for key in _targets(records, permit):
            after[key] = _end_pause(records[key], today, now, calendar)
        return after, "deadline_resumed"
    if code in CLOSING_CODES:
        for key, record in records.items():
            if not record.is_closed:
                after[key] = dataclasses.replace(_end_pause(record, today, now, calendar), closed_at=now)
        return after, "deadline_closed"
    return after, ""


def decision_applied(records: Mapping[str, DeadlineRecord], limits: MatterLimits, doc_key: str, permit: str,
                     now: datetime, calendar: WorkCalendar) -> dict[str, DeadlineRecord]:
    """A permit's decision (its certificate or a denial) stops that permit's clock."""
    after = dict(records)
    own = limits.for_permit(permit)
    record = records.get(permit)
    if permit and own.key == permit and doc_key in own.decision_documents and record is not None \
            and not record.is_closed:
        after[permit] = dataclasses.replace(_end_pause(record, china_today(now), now, calendar), closed_at=now)
    return after


def record_acceptance(uow: UnitOfWork, case: CaseRow, definition: CompiledDefinition, props: Mapping[str, str],
                      data: Mapping[str, Any], element_id: str, now: datetime, actor: Actor,
                      legal: LegalClock) -> None:
    """At the first acceptance: write the records (a later 3 never restarts the clock)."""
    if current_deadlines(uow, case.id):
        return
    mode = acceptance_mode(props, data)
    records = opened_records(legal, case_limits(uow, case, definition.metadata), mode=mode,
                             received_at=china_time(data.get("received_at")) or case.received_at,
                             materials_received_at=china_time(data.get("materials_received_at")), accepted_at=now)
    _write(uow, case, {}, records, "deadline_opened", now, actor, element_id=element_id,
           element_name=definition.element_names.get(element_id, ""), detail={"acceptance_mode": mode})


def record_status(uow: UnitOfWork, case: CaseRow, definition: CompiledDefinition, code: int, permit: str,
                  element_id: str, data: Mapping[str, Any], now: datetime, actor: Actor, legal: LegalClock,
                  previous_code: int | None, *, detail: str = "", until: date | None = None) -> None:
    """Keep the records in step with a status code, with a history row.

    A pause's ``detail`` (default: the element's name) and ``until`` (default: a 补正's reply deadline,
    ``supplement_deadline`` in the case data) say what it is and how long it should last.
    """
    before = current_deadlines(uow, case.id)
    if not before:
        return
    name = definition.element_names.get(element_id, "")
    reply_by = china_time(data.get("supplement_deadline")) if code == 6 else None
    limits = case_limits(uow, case, definition.metadata)
    after, event_type = status_applied(before, limits, code, permit, now, legal.calendar,
                                       previous_code=previous_code, detail=detail or name,
                                       until=until or (reply_by.date() if reply_by else None))
    if event_type:
        _write(uow, case, before, after, event_type, now, actor, element_id=element_id, element_name=name,
               to_state=str(code), detail={"permit": permit, "code": code})


def _end_pause(record: DeadlineRecord, today: date, now: datetime, calendar: WorkCalendar) -> DeadlineRecord:
    pause = record.open_pause
    if pause is None:
        return record
    ended = dataclasses.replace(pause, ended_on=max(today, pause.started_on), ended_at=now)
    return record.with_pauses([ended if p is pause else p for p in record.pauses]).recomputed(calendar, today)


def record_document(uow: UnitOfWork, case: CaseRow, definition: CompiledDefinition, doc_key: str, permit: str,
                    element_id: str, now: datetime, actor: Actor, legal: LegalClock) -> None:
    """A permit's decision document stops that permit's clock, with a history row."""
    if not permit:
        return
    before = current_deadlines(uow, case.id)
    after = decision_applied(before, case_limits(uow, case, definition.metadata), doc_key, permit, now, legal.calendar)
    _write(uow, case, before, after, "deadline_closed", now, actor, element_id=element_id,
           element_name=definition.element_names.get(element_id, ""), detail={"permit": permit, "document": doc_key})


def write_change(uow: UnitOfWork, case: CaseRow, before: Mapping[str, DeadlineRecord],
                 after: dict[str, DeadlineRecord], event_type: str, now: datetime, actor: Actor, *,
                 to_state: str = "", detail: Mapping[str, Any] | None = None,
                 detail_before: Mapping[str, Any] | None = None) -> None:
    """Record a change made outside a step (extension, calendar): history row plus revisions."""
    _write(uow, case, before, after, event_type, now, actor, to_state=to_state, detail=detail,
           detail_before=detail_before)


def record_period(uow: UnitOfWork, case: CaseRow, definition: CompiledDefinition, kind: str, element_id: str,
                  data: Mapping[str, Any], now: datetime, actor: Actor, legal: LegalClock) -> None:
    """A notice gives the applicant a period (``period`` property, e.g. 陈述申辩): store it on the case's
    record, with a history row, before the notice is rendered from it. The length is the case data's
    ``<kind>_period_wd`` (the matter's, e.g. ``[revocation] statement_period_wd``)."""
    before = current_deadlines(uow, case.id)
    if "" not in before or kind not in PERIOD_KINDS:
        return
    record = before[""]
    period = opened_period(legal.calendar, legal.closing, kind, now, int(data.get(f"{kind}_period_wd") or 0),
                           legal.day_of(now))
    after = {**before, "": dataclasses.replace(record, periods=(*record.periods, period))}
    _write(uow, case, before, after, "deadline_period_opened", now, actor, element_id=element_id,
           element_name=definition.element_names.get(element_id, ""),
           detail={"kind": kind, "name": period.name, "due": period.due.isoformat()})


def end_period(uow: UnitOfWork, case: CaseRow, definition: CompiledDefinition, kind: str, outcome: str,
               element_id: str, now: datetime, actor: Actor) -> None:
    """The applicant acted in the period, or it lapsed (``period_ends`` / ``period_outcome`` properties)."""
    before = current_deadlines(uow, case.id)
    record = before.get("")
    open_one = next((p for p in reversed(record.periods) if p.kind == kind and p.is_open), None) if record else None
    if record is None or open_one is None:
        return
    ended = dataclasses.replace(open_one, ended_on=china_today(now), ended_at=now, outcome=outcome)
    after = {**before, "": dataclasses.replace(record, periods=tuple(
        ended if p is open_one else p for p in record.periods))}
    _write(uow, case, before, after, "deadline_period_ended", now, actor, element_id=element_id,
           element_name=definition.element_names.get(element_id, ""), detail={"kind": kind, "outcome": outcome})


def period_end(uow: UnitOfWork, case_id: int, kind: str) -> datetime | None:
    """The end (23:59:59 China time of its last day) of the case's open stored period of ``kind``, if any."""
    record = current_deadlines(uow, case_id).get("")
    open_one = next((p for p in reversed(record.periods) if p.kind == kind and p.is_open), None) if record else None
    return datetime.combine(open_one.due, time(23, 59, 59), CHINA_TZ) if open_one is not None else None
