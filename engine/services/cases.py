"""Starting cases and reading them back."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.actors import Actor
from engine.casenumbers import format_case_number
from engine.clock import CHINA_TZ
from engine.definitions.catalog import CompiledDefinition
from engine.errors import CaseNotFound
from engine.errors import NotAllowed
from engine.history import to_json
from engine.legal_time import limits_for
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.cases import insert_case
from engine.persistence.repositories.cases import next_case_sequence
from engine.persistence.repositories.documents import documents_of_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.history import history_of_case
from engine.persistence.rows import CaseRow
from engine.persistence.rows import TaskRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.catalogue.starting import entry_for_start
from engine.services.context import EngineContext
from engine.services.steps import save_runtime
from engine.services.views import CaseView
from engine.services.views import DocumentView
from engine.services.views import HistoryView
from engine.services.views import TaskView


def local_day(ctx: EngineContext) -> date:
    return ctx.clock.now().astimezone(CHINA_TZ).date()


def start_case(ctx: EngineContext, matter_code: str, actor: Actor, data: dict[str, Any] | None = None, *,
               owner_id: str | None = None, title: str = "", catalogue_code: str | None = None) -> CaseView:
    """Start a case on the newest version of a matter and run it to its first wait.

    The case records the 事项库 entry version it starts on (``catalogue_code``, or the entry with the
    matter's own code if there is one) and takes its 实施编码, name and limits from it.

    :raise MatterNotFound: no deployed version, or ``catalogue_code`` names no entry.
    :raise NotAllowed: the actor may not start this matter, or its entry is 停用.
    """
    with ctx.uow(write=True) as uow, translate_conflicts():
        record, compiled = ctx.latest_definition(uow, matter_code)
        entry = entry_for_start(uow, matter_code, catalogue_code)
        name = entry.entry.name if entry is not None else compiled.metadata.name
        implementation_code = (entry.entry.implementation_code if entry is not None
                               else compiled.metadata.implementation_code)
        if not (actor.in_any(compiled.metadata.starter_groups) or actor.user_id == "system"):
            raise NotAllowed(f"您无权申办“{name}”")
        now = ctx.clock.now()
        day = local_day(ctx)
        seq = next_case_sequence(uow, implementation_code, f"{day:%Y%m%d}")
        number = format_case_number(implementation_code, day, seq)
        # The limits (the numbers, never dates) for diagrams that read them, from their one source
        # (``legal_time.limits_for``: the entry version when there is one, else matter.toml).
        limits = limits_for(compiled.metadata, entry.entry if entry is not None else None)
        initial = {**limits.case_data(), **dict(data or {})}
        initial.setdefault("case_number", number)
        with clock_bound(ctx.clock), capture(None) as buffer:
            runtime = CaseRuntime.start(compiled, ctx.script_engine, initial)
        case = insert_case(uow, case_number=number, definition_id=record.id, matter_code=matter_code,
                           title=title or name, owner_id=owner_id or actor.user_id, started_by=actor.user_id,
                           now=now, catalogue_version_id=entry.id if entry is not None else None)
        started: dict[str, Any] = {"definition_version": record.version, "data": initial}
        if entry is not None:
            started["catalogue"] = {"code": entry.code, "version": entry.version}
        append_history(uow, case, occurred_at=now, event_type="case_started", actor_id=actor.user_id,
                       actor_role=actor.role_label, data_after=to_json(started))
        open_rows = save_runtime(uow, case, runtime, buffer.transitions, actor, now, open_rows=[], legal=ctx.legal)
        view = case_view(case, runtime, open_rows)
        uow.commit()
        ctx.keep_runtime(case.id, case.lock_version, runtime)
        return view


def load_runtime(ctx: EngineContext, uow: UnitOfWork, case: CaseRow) -> CaseRuntime:
    """The case's workflow for a step: this process's live copy if still current, else deserialized.

    The case must have been read with its state (``lock_case``, or ``case_by_id(with_state=True)``).
    """
    runtime = ctx.take_runtime(case.id, case.lock_version)
    if runtime is not None:
        return runtime
    assert case.state is not None, "the case was read without its state"
    return CaseRuntime.restore(definition_for_case(ctx, uow, case), case.state, ctx.script_engine)


def definition_for_case(ctx: EngineContext, uow: UnitOfWork, case: CaseRow) -> CompiledDefinition:
    """The compiled version a case runs on (from the per-process cache; loaded once)."""
    return ctx.compiled_by_id(uow, case.definition_id)


def case_view(case: CaseRow, runtime: CaseRuntime | None, open_rows: list[TaskRow]) -> CaseView:
    """What a step returns: the case as saved, its data and its open tasks."""
    return CaseView(id=case.id, case_number=case.case_number, matter_code=case.matter_code,
                    definition_id=case.definition_id, status=case.status, title=case.title, owner_id=case.owner_id,
                    received_at=case.received_at, completed_at=case.completed_at,
                    next_timer_due=case.next_timer_due, error=case.error,
                    data=runtime.data if runtime is not None else {},
                    open_tasks=tuple(TaskView.of(row, case) for row in open_rows), lock_version=case.lock_version,
                    blzt=case.blzt)


def case_history(ctx: EngineContext, case_id: int) -> list[HistoryView]:
    with ctx.uow() as uow:
        if case_by_id(uow, case_id) is None:
            raise CaseNotFound(case_id)
        return [HistoryView.of(row) for row in history_of_case(uow, case_id)]


def case_documents(ctx: EngineContext, case_id: int) -> list[DocumentView]:
    """Issued documents of a case, oldest first, exactly as frozen when issued."""
    with ctx.uow() as uow:
        if case_by_id(uow, case_id) is None:
            raise CaseNotFound(case_id)
        return [DocumentView.of(row) for row in documents_of_case(uow, case_id)]
