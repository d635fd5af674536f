"""Statutory and promised due dates of a case, derived from its history.

Acceptance (办理状态 3) starts the clock; 补正 during review (6→7) and 特别程序 (9→10) pause it;
approved extensions add working days. Nothing here is stored: it is recomputed from the history
rows and the current calendar, so a corrected calendar corrects every due date.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from engine.actors import Actor
from engine.calendar import WorkCalendar
from engine.clock import CHINA_TZ
from engine.errors import CaseNotFound
from engine.errors import NotAllowed
from engine.history import to_json
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.definitions import definitions_metadata
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.history import status_events
from engine.persistence.rows import CaseRow
from engine.persistence.rows import HistoryRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.context import EngineContext
from engine.state_names import deadline_state_name

PAUSE_PAIRS = {6: 7, 9: 10}
FINISHED_CODES = {2, 4, 5, 11, 12, 13, 14, 15}
EXTENSION_APPROVER_GROUPS = frozenset({"admin", "supervisor", "chief"})


@dataclass(frozen=True)
class PermitDeadline:
    """One permit of a bundle (两证打包审): its own limits and its own 补正 pauses."""

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

    @property
    def is_paused(self) -> bool:
        return bool(self.paused) and self.paused[-1][1] is None

    @property
    def statutory_state_name(self) -> str:
        return deadline_state_name(self.statutory_state)

    @property
    def promised_state_name(self) -> str:
        return deadline_state_name(self.promised_state)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(CHINA_TZ)


def compute_deadlines(ctx: EngineContext, case: CaseRow, events: Sequence[HistoryRow],
                      metadata: Mapping[str, Any], calendar: WorkCalendar | None = None) -> CaseDeadlines | None:
    """Due dates from status/extension events; None before acceptance."""
    calendar = calendar or ctx.calendar
    accepted: datetime | None = None
    # Pauses per permit ("" = the case as a whole): in a bundle one permit's 补正 stops only its clock.
    paused_by: dict[str, list[tuple[date, date | None]]] = {"": []}
    open_by: dict[str, tuple[int, date]] = {}
    extension = 0
    last_code: int | None = None
    for event in events:
        if event.event_type == "deadline_extended":
            extension += int(event.to_state or "0")
            continue
        code = int(event.to_state)
        permit = str(json.loads(event.data_after or "{}").get("permit") or "")
        last_code = code
        day = _local(event.occurred_at).date()
        if code == 3 and accepted is None:
            accepted = event.occurred_at
        elif code in PAUSE_PAIRS and permit not in open_by:
            open_by[permit] = (PAUSE_PAIRS[code], day)
        elif permit in open_by and code == open_by[permit][0]:
            paused_by.setdefault(permit, []).append((open_by.pop(permit)[1], day))
    if accepted is None:
        return None
    for permit, (_, since) in open_by.items():
        paused_by.setdefault(permit, []).append((since, None))
    paused = paused_by[""]
    today = _local(ctx.clock.now()).date()
    finished = case.status != "running" or last_code in FINISHED_CODES
    start = _local(accepted)

    def due(limit: int, pauses: list[tuple[date, date | None]]):  # type: ignore[no-untyped-def]
        return calendar.due_date(start, max(limit, 1), paused=pauses, extension_wd=extension, now=today)

    statutory = due(metadata["statutory_limit_wd"], paused)
    promised = due(metadata["promised_limit_wd"], paused)
    permits = []
    for key, spec in (metadata.get("extra", {}).get("permits") or {}).items():
        if not isinstance(spec, dict) or "statutory_limit_wd" not in spec:
            continue
        own = paused_by.get(key, [])
        p_statutory = due(spec["statutory_limit_wd"], own)
        p_promised = due(spec.get("promised_limit_wd", spec["statutory_limit_wd"]), own)
        permits.append(PermitDeadline(
            key=key, name=str(spec.get("name", key)), statutory_due=p_statutory.due, promised_due=p_promised.due,
            paused=tuple(own), statutory_state=str(calendar.deadline_state(p_statutory.due, today, finished)),
            promised_state=str(calendar.deadline_state(p_promised.due, today, finished))))
    return CaseDeadlines(
        accepted_on=start.date(), statutory_due=statutory.due, promised_due=promised.due,
        extension_wd=extension, paused=tuple(paused), provisional=statutory.provisional or promised.provisional,
        statutory_state=str(calendar.deadline_state(statutory.due, today, finished)),
        promised_state=str(calendar.deadline_state(promised.due, today, finished)), finished=finished,
        permits=tuple(permits))


def metadata_of(uow: UnitOfWork, case: CaseRow) -> dict[str, Any]:
    """The parsed ``matter.toml`` of the version the case runs on."""
    return definitions_metadata(uow, [case.definition_id])[case.definition_id]


def case_deadlines(ctx: EngineContext, case_id: int) -> CaseDeadlines | None:
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return compute_deadlines(ctx, case, status_events(uow, case_id), metadata_of(uow, case))


def extend_deadline(ctx: EngineContext, case_id: int, days: int, reason: str, approver: Actor) -> CaseDeadlines:
    """Record an approved extension (延长期限); the approver and the reason are required.

    :raise NotAllowed: approver lacks authority, no reason, or the matter's extension limit is exceeded.
    """
    if not approver.in_any(EXTENSION_APPROVER_GROUPS):
        raise NotAllowed("延长办理期限须经负责人批准")
    if not reason.strip():
        raise NotAllowed("延长办理期限须说明理由")
    if days < 1:
        raise NotAllowed("延长天数至少为 1 个工作日")
    with ctx.uow() as uow, translate_conflicts():
        case = lock_case(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        metadata = metadata_of(uow, case)
        used = sum(int(e.to_state or 0) for e in status_events(uow, case_id) if e.event_type == "deadline_extended")
        if used + days > metadata.get("extension_limit_wd", 0):
            raise NotAllowed(f"延长后超过本事项可延长的 {metadata.get('extension_limit_wd', 0)} 个工作日")
        append_history(uow, case, occurred_at=ctx.clock.now(), event_type="deadline_extended",
                       actor_id=approver.user_id, actor_role=approver.role_label, to_state=str(days),
                       data_after=to_json({"days": days, "reason": reason.strip()}))
        case.updated_at = ctx.clock.now()
        save_case(uow, case)
        uow.commit()
    result = case_deadlines(ctx, case_id)
    assert result is not None
    return result
