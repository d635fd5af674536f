"""Deadline records for cases accepted before the engine stored them (run by ``onewindow init``).

Earlier versions derived due dates from the history on every page view. An upgraded installation
keeps its accepted cases' deadlines by deriving each record once, from the same history, with the
same rules the engine applies live (``deadlines.opened_records``, ``status_applied``,
``decision_applied``), and storing it with a history row saying it was derived. Idempotent: a case
that has a record is left alone.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from engine.actors import Actor
from engine.catalogue.entry import CatalogueEntry
from engine.definitions.catalog import CompiledDefinition
from engine.legal_time import DeadlineRecord
from engine.legal_time import Extension
from engine.legal_time import LegalClock
from engine.legal_time import china_time
from engine.legal_time import limits_for
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.deadlines import accepted_case_ids_without_record
from engine.persistence.repositories.history import history_of_case
from engine.persistence.rows import CaseRow
from engine.persistence.rows import HistoryRow
from engine.services import deadlines
from engine.services.cases import definition_for_case
from engine.services.catalogue.limits import case_entry
from engine.services.context import EngineContext


def _data(row: HistoryRow) -> dict[str, Any]:
    return json.loads(row.data_after or "{}") or {}


def derive_records(legal: LegalClock, definition: CompiledDefinition, case: CaseRow,
                   rows: Sequence[HistoryRow], entry: CatalogueEntry | None = None) -> dict[str, DeadlineRecord]:
    """The records a case would hold had the engine stored them from its first acceptance on.

    ``entry`` is the 事项库 entry version the case started on (``catalogue.limits.case_entry``), if any.
    """
    limits = limits_for(definition.metadata, entry)
    accepted = next((r for r in rows if r.event_type == "status_changed" and r.to_state == "3"), None)
    if accepted is None:
        return {}
    # What the accepting element computed (accepted_at, acceptance_mode, …) is in its completion row.
    data = next((_data(r) for r in rows if r.event_type == "task_state_changed" and r.to_state == "COMPLETED"
                 and r.element_id == accepted.element_id and r.seq <= accepted.seq), {})
    mode = deadlines.acceptance_mode(definition.element_properties.get(accepted.element_id, {}), data)
    deemed_at = china_time(data.get("accepted_at")) if mode == "deemed" else None
    records = deadlines.opened_records(legal, limits, mode=mode,
                                       received_at=china_time(data.get("received_at")) or case.received_at,
                                       materials_received_at=deemed_at, accepted_at=accepted.occurred_at)
    shown = 3
    for row in rows:
        if row.seq <= accepted.seq:
            continue
        if row.event_type == "status_changed":
            code, permit = int(row.to_state), str(_data(row).get("permit") or "")
            records, _ = deadlines.status_applied(records, limits, code, permit, row.occurred_at, legal.calendar,
                                                  previous_code=shown, detail=row.element_name)
            shown = int(_data(row).get("shown") or code)
        elif row.event_type == "document_issued":
            info = _data(row)
            records = deadlines.decision_applied(records, limits, str(info.get("doc_key") or ""),
                                                 str(info.get("permit") or ""), row.occurred_at, legal.calendar)
        elif row.event_type == "deadline_extended":
            info = _data(row)
            key = str(info.get("permit") or "")
            record = records.get(key) or records[""]
            extension = Extension(days=int(row.to_state or 0), reason=str(info.get("reason") or ""),
                                  requested_by=str(info.get("requested_by") or row.actor_id),
                                  approved_by=row.actor_id, approved_at=row.occurred_at)
            records[record.permit] = dataclasses.replace(record, extensions=(*record.extensions, extension))
    today = deadlines.china_today(rows[-1].occurred_at)
    return {key: record if record.is_closed else record.recomputed(legal.calendar, today)
            for key, record in records.items()}


def backfill_deadlines(ctx: EngineContext, actor: Actor) -> int:
    """Give every accepted case without a deadline record one derived from its history; return how many."""
    with ctx.uow() as uow:
        case_ids = accepted_case_ids_without_record(uow)
    done = 0
    for case_id in case_ids:
        with ctx.uow() as uow, translate_conflicts():
            case = case_by_id(uow, case_id)
            if case is None:
                continue
            definition = definition_for_case(ctx, uow, case)
            records = derive_records(ctx.legal, definition, case, history_of_case(uow, case_id),
                                     case_entry(uow, case))
            if not records:
                continue
            deadlines.write_change(uow, case, {}, records, "deadline_opened", ctx.clock.now(), actor,
                                   detail={"derived_from_history": True})
            save_case(uow, case)
            uow.commit()
            done += 1
    return done
