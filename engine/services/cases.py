"""Starting cases and reading them back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.actors import APPLICANT_GROUP
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
from engine.persistence.repositories.catalogue import entry_version
from engine.persistence.repositories.documents import documents_of_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.history import history_of_case
from engine.persistence.repositories.state_chunks import state_chunks
from engine.persistence.rows import CaseRow
from engine.persistence.rows import TaskRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff.serializer import ChunkReader
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.catalogue.pattern import pattern_case_data
from engine.services.catalogue.pattern import resolve_matter
from engine.services.catalogue.starting import entry_for_start
from engine.services.context import EngineContext
from engine.services.service_of_documents import services_by_document
from engine.services.steps import save_runtime
from engine.services.views import CaseView
from engine.services.views import DocumentView
from engine.services.views import HistoryView
from engine.services.views import TaskView


def local_day(ctx: EngineContext) -> date:
    return ctx.clock.now().astimezone(CHINA_TZ).date()


def start_case(ctx: EngineContext, matter_code: str, actor: Actor, data: dict[str, Any] | None = None, *,
               owner_id: str | None = None, title: str = "", catalogue_code: str | None = None,
               start_event: str | None = None,
               on_insert: Callable[[UnitOfWork, CaseRow], object] | None = None) -> CaseView:
    """Start a case on the newest version of a matter and run it to its first wait.

    The case records the 事项库 entry version it starts on (``catalogue_code``, or the entry with the
    matter's own code if there is one) and takes its 实施编码, name and limits from it.
    ``on_insert`` records more about the new case in the same transaction (a walk-in applicant).

    ``matter_code`` may also be the code of a 事项库 entry without a deployed matter of that code:
    the case then starts on the diagram the entry names (the general pattern, ``general_permit``),
    with the entry's posts, names and materials as case data (``catalogue.pattern``).

    ``start_event`` arms only that start event of several (a case a message starts).

    :raise MatterNotFound: no deployed version, or ``catalogue_code`` names no entry.
    :raise NotAllowed: the actor may not start this matter, or its entry is 停用.
    """
    with ctx.uow(write=True) as uow, translate_conflicts():
        if catalogue_code is None:
            matter_code, catalogue_code = resolve_matter(uow, matter_code)
        record, compiled = ctx.latest_definition(uow, matter_code)
        entry = entry_for_start(uow, matter_code, catalogue_code)
        if compiled.metadata.uses_entry_data and entry is None:
            raise NotAllowed("本流程按事项库中的事项办理，请选择具体事项申办")
        name = entry.entry.name if entry is not None else compiled.metadata.name
        implementation_code = (entry.entry.implementation_code if entry is not None
                               else compiled.metadata.implementation_code)
        if not (actor.in_any(compiled.metadata.starter_groups) or actor.user_id == "system"
                or (start_event is not None and actor.in_any(ctx.settings.message_groups))):
            raise NotAllowed(f"您无权申办“{name}”")
        now = ctx.clock.now()
        # The limits (the numbers, never dates) for diagrams that read them, from their one source
        # (``legal_time.limits_for``: the entry version when there is one, else matter.toml).
        limits = limits_for(compiled.metadata, entry.entry if entry is not None else None)
        pattern = pattern_case_data(uow, entry.entry) if entry is not None and compiled.metadata.uses_entry_data else {}
        initial = {**limits.case_data(), **dict(data or {}), **pattern}  # the entry decides who works it
        with clock_bound(ctx.clock), capture(None) as buffer:
            runtime = CaseRuntime.start(compiled, ctx.script_engine, initial, start_event)
        draft = is_draft(runtime, actor) and "case_number" not in initial
        number = None
        if not draft:
            # Numbered at once (nothing for the applicant to submit first): start again with the number
            # in the data, so the diagram's first scripts can read it like every later one.
            number = take_case_number(uow, implementation_code, local_day(ctx))
            initial.setdefault("case_number", number)
            with clock_bound(ctx.clock), capture(None) as buffer:
                runtime = CaseRuntime.start(compiled, ctx.script_engine, initial, start_event)
        case = insert_case(uow, case_number=number, definition_id=record.id, matter_code=matter_code,
                           title=title or name, owner_id=owner_id or actor.user_id, started_by=actor.user_id,
                           now=now, catalogue_version_id=entry.id if entry is not None else None,
                           status="draft" if draft else "running")
        started: dict[str, Any] = {"definition_version": record.version, "data": initial, "draft": draft}
        if entry is not None:
            started["catalogue"] = {"code": entry.code, "version": entry.version}
        append_history(uow, case, occurred_at=now, event_type="case_started", actor_id=actor.user_id,
                       actor_role=actor.role_label, data_after=to_json(started))
        if on_insert is not None:
            on_insert(uow, case)
        open_rows = save_runtime(uow, case, runtime, buffer.transitions, actor, now, open_rows=[], legal=ctx.legal,
                                 webhooks=ctx.settings.webhooks)
        view = case_view(case, runtime, open_rows)
        uow.commit()
        ctx.keep_runtime(case.id, case.lock_version, runtime)
        return view


def is_draft(runtime: CaseRuntime, actor: Actor) -> bool:
    """A new case is a private draft while it waits for its applicant's first form (在线申报, 窗口代录).

    Drafts are not cases (issue #10): no 办件编号, not on the board, in figures or in anyone else's
    lists, until the application is submitted. A case the system starts, or whose first step is
    staff work, is a case at once; so is one whose start already recorded something official (a
    办理状态 or a document, e.g. a diagram that receives the case on its start event).
    """
    if actor.user_id == "system" or runtime.status != "running":
        return False
    properties = runtime.definition.element_properties
    for task in runtime.workflow.get_tasks(state=TaskState.COMPLETED):
        props = properties.get(getattr(task.task_spec, "bpmn_id", None) or "") or {}
        if "blzt" in props or "document" in props:
            return False
    return any(APPLICANT_GROUP in runtime.task_info(task).candidate_groups for task in runtime.ready_human_tasks())


def take_case_number(uow: UnitOfWork, implementation_code: str, day: date) -> str:
    """The next 办件编号 of the day (the daily sequence is consumed: call it only for a real case)."""
    return format_case_number(implementation_code, day, next_case_sequence(uow, implementation_code, f"{day:%Y%m%d}"))


def submit_draft(uow: UnitOfWork, case: CaseRow, runtime: CaseRuntime, task_uuid: str, actor: Actor,
                 now: datetime) -> None:
    """The draft's application is being submitted: it becomes a case, numbered and received now.

    The number goes into the submitted task's data, so every later script and document reads it;
    the receipt time (收件时间) is the submission, not the click on 申办.
    """
    version = entry_version(uow, case.catalogue_version_id) if case.catalogue_version_id is not None else None
    code = version.entry.implementation_code if version is not None else runtime.definition.metadata.implementation_code
    number = take_case_number(uow, code, now.astimezone(CHINA_TZ).date())
    runtime.get_task(task_uuid).data["case_number"] = number
    case.case_number, case.received_at, case.status = number, now, "running"
    append_history(uow, case, occurred_at=now, event_type="case_submitted", actor_id=actor.user_id,
                   actor_role=actor.role_label, data_after=to_json({"case_number": number}))


def load_runtime(ctx: EngineContext, uow: UnitOfWork, case: CaseRow) -> CaseRuntime:
    """The case's workflow for a step: this process's live copy if still current, else deserialized.

    The case must have been read with its state (``lock_case``, or ``case_by_id(with_state=True)``).
    """
    runtime = ctx.take_runtime(case.id, case.lock_version)
    if runtime is not None:
        return runtime
    assert case.state is not None, "the case was read without its state"
    return CaseRuntime.restore(definition_for_case(ctx, uow, case), case.state, ctx.script_engine,
                               chunk_reader(uow, case.id))


def chunk_reader(uow: UnitOfWork, case_id: int) -> ChunkReader:
    """Reads the case's stored chunks of finished tasks, in this unit of work (only a long case has any)."""
    return lambda first, last: state_chunks(uow, case_id, first, last)


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


def history_length(ctx: EngineContext, case_id: int) -> int:
    """How many history rows the case's chain head counts (:raise CaseNotFound: no such case)."""
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return case.history_seq


def case_documents(ctx: EngineContext, case_id: int) -> list[DocumentView]:
    """Issued documents of a case, oldest first, exactly as frozen when issued."""
    with ctx.uow() as uow:
        if case_by_id(uow, case_id) is None:
            raise CaseNotFound(case_id)
        services = services_by_document(uow, case_id, ctx.clock.now())
        return [DocumentView.of(row, services.get(row.document_no)) for row in documents_of_case(uow, case_id)]
