"""What people look at: case lists, a case as each viewer may see it, a task's page, drafts.

Every function takes the actor and goes through the access policy (``services.access.visible_case``,
``engine.policy``), so the HTML pages and the REST API render the same ``CaseProjection``: an
applicant gets its own submissions, the documents served on it, status and deadlines; staff get
every department's opinions and the working data too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.actors import APPLICANT_GROUP
from engine.actors import Actor
from engine.catalogue.entry import PATTERN_PROCESS
from engine.decision_rules import provision_lists
from engine.definitions.catalog import CompiledDefinition
from engine.errors import DocumentNotFound
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.errors import TaskAlreadyDone
from engine.errors import TaskNotFound
from engine.forms import FormDefinition
from engine.forms import validate_submission
from engine.forms.choices import with_choices
from engine.legal_time import DeadlineRecord
from engine.persistence.repositories import cases as case_rows
from engine.persistence.repositories import definitions
from engine.persistence.repositories import drafts
from engine.persistence.repositories import history
from engine.persistence.repositories import tasks
from engine.persistence.repositories.accounts import users_by_usernames
from engine.persistence.repositories.catalogue import entry_versions
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.repositories.documents import documents_of_case
from engine.persistence.repositories.subscriptions import subscriptions_of_case
from engine.persistence.rows import CaseRow
from engine.persistence.rows import TaskRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy import Audience
from engine.policy.parties import in_person_refusal
from engine.policy.projection import TimelineEvent
from engine.policy.projection import applicant_data
from engine.policy.projection import applicant_timeline
from engine.services.access import VisibleCase
from engine.services.access import list_filter
from engine.services.access import task_parties
from engine.services.access import visible_case
from engine.services.cases import definition_for_case
from engine.services.cases import load_runtime
from engine.services.catalogue.forms import case_form
from engine.services.catalogue.pattern import resolve_matter
from engine.services.context import EngineContext
from engine.services.deadlines import CaseDeadlines
from engine.services.deadlines import china_today
from engine.services.deadlines import current_view
from engine.services.service_of_documents import note_opened
from engine.services.service_of_documents import services_by_document
from engine.services.views import DocumentView
from engine.services.views import HistoryView
from engine.services.views import TaskView
from engine.state_names import CASE_STATUS_NAMES
from engine.state_names import blzt_name


@dataclass(frozen=True)
class CaseSummary:
    id: int
    case_number: str | None  # None: a draft
    matter_code: str
    matter_name: str
    title: str
    status: str
    blzt: int | None
    status_name: str
    owner_id: str | None
    received_at: datetime
    completed_at: datetime | None
    current_steps: tuple[str, ...]
    deadlines: CaseDeadlines | None
    #: How many history rows the case has: what the viewer saw, to be posted back as ``seen_seq``.
    history_seq: int = 0


@dataclass(frozen=True)
class SubmittedForm:
    """A form as it was submitted (申请, 补正, a department's opinion): what the next person reads."""

    seq: int
    element_id: str
    element_name: str
    actor_id: str
    occurred_at: datetime
    values: dict[str, Any]
    form_key: str


@dataclass(frozen=True)
class CaseWait:
    """An event the case waits for outside any person's task (缴税到账 from the tax system, a signal).

    Without it a case with no open task reads as stalled: the page says what it waits for and since when.
    """

    element_id: str
    #: The waiting step's name in the diagram (e.g. 等待缴税到账): what every audience reads.
    element_name: str
    kind: str
    #: The message or signal name (e.g. ``tax_paid``): integration detail, for staff only ("" otherwise).
    name: str
    since: datetime | None


@dataclass(frozen=True)
class CaseProjection:
    """A case as one viewer may see it: the one object behind the case page and the REST API.

    The applicant side (``audience`` applicant) gets its own submissions and data, its own open
    tasks, the documents served on it and the milestones; staff get every submission, every open
    task and the case's working data. ``timeline`` holds the milestones for every audience (the
    full hash chain is ``case_history``'s).
    """

    audience: Audience
    summary: CaseSummary
    open_tasks: tuple[TaskView, ...]
    #: Task uuids of ``open_tasks`` the viewer may open and submit now.
    workable: tuple[str, ...]
    documents: tuple[DocumentView, ...]
    submissions: tuple[SubmittedForm, ...]
    timeline: tuple[TimelineEvent, ...]
    data: dict[str, Any]
    #: The forms of ``submissions``, to show each as the form it was submitted on.
    forms: Mapping[str, FormDefinition]
    #: The matter's published metadata (``matter.toml``) of the version the case runs on.
    metadata: Mapping[str, Any]
    #: Messages and signals the case waits for now.
    waits: tuple[CaseWait, ...] = ()

    @property
    def is_staff(self) -> bool:
        return self.audience is Audience.STAFF


@dataclass(frozen=True)
class TaskPage:
    case: CaseProjection
    task: TaskView
    form: FormDefinition
    values: dict[str, Any]
    from_draft: bool
    #: For a 补正 task: exactly the items the notice asked for, so the applicant supplies those.
    requested_items: tuple[str, ...] = ()
    #: The case's history ``seq`` as the form was built: a submit says what others changed after it.
    seen_seq: int = 0


def _summary(ctx: EngineContext, case: CaseRow, open_rows: list[TaskRow], records: dict[str, DeadlineRecord],
             metadata: dict[str, Any], entry_names: Mapping[int, str]) -> CaseSummary:
    # "住建局施工许可科·承办", not just "承办": parallel branches have steps of the same name.
    steps = tuple(f"{row.lane}·{row.name}" if row.lane else row.name for row in open_rows)
    return CaseSummary(id=case.id, case_number=case.case_number, matter_code=case.matter_code,
                       matter_name=entry_names.get(case.catalogue_version_id or 0, metadata["name"]),
                       title=case.title, status=case.status, blzt=case.blzt,
                       status_name=CASE_STATUS_NAMES["draft"] if case.status == "draft" else blzt_name(case.blzt),
                       owner_id=case.owner_id, received_at=case.received_at,
                       completed_at=case.completed_at, current_steps=steps,
                       deadlines=current_view(ctx.calendar, records, china_today(ctx.clock.now()),
                                              case.status == "running"),
                       history_seq=case.history_seq)


def summaries(ctx: EngineContext, uow: UnitOfWork, cases: list[CaseRow]) -> list[CaseSummary]:
    """Summaries of many cases in a constant number of queries (current steps, deadline records, matters)."""
    ids = [case.id for case in cases]
    open_rows = tasks.open_tasks_of_cases(uow, ids)
    events = current_deadlines_of_cases(uow, ids)
    metadata = definitions.definitions_metadata(uow, {case.definition_id for case in cases})
    # A pattern-run case is its 事项库 entry's matter, not the pattern's.
    entries = entry_versions(uow, {case.catalogue_version_id for case in cases
                                   if case.catalogue_version_id is not None and case.matter_code == PATTERN_PROCESS})
    names = {version_id: version.entry.name for version_id, version in entries.items()}
    return [_summary(ctx, case, open_rows[case.id], events[case.id], metadata[case.definition_id], names)
            for case in cases]


def list_cases(ctx: EngineContext, actor: Actor, *, matter_code: str | None = None, search: str = "",
               status: str | None = None, limit: int = 200, own_only: bool = False,
               before_id: int | None = None) -> list[CaseSummary]:
    """Cases the actor may see, newest first; ``search`` matches number or title literally.

    :param own_only: only the actor's own applications (我的办件), not cases they see as staff or filed for others.
    :param before_id: the id of the last case of the previous page (keyset paging).
    """
    rule = list_filter(actor)
    with ctx.uow() as uow:
        found = case_rows.visible_cases(uow, rule.user_id, rule.groups, rule.see_all, matter_code=matter_code,
                                        search=search, status=status, limit=limit, before_id=before_id)
        return summaries(ctx, uow, [case for case in found if not own_only or case.owner_id == actor.user_id])


def _applicant_forms(compiled: CompiledDefinition) -> Iterator[FormDefinition]:
    """The forms of the tasks offered to the applicant group (申请, 补正, 评价)."""
    for info in compiled.human_tasks.values():
        if APPLICANT_GROUP in info.candidate_groups and info.form_key:
            yield compiled.forms.get(info.form_key)


def _case_data(ctx: EngineContext, uow: UnitOfWork, case: CaseRow) -> dict[str, Any]:
    """The workflow's data (staff eyes only): this process's live copy if current, else restored."""
    runtime = ctx.take_runtime(case.id, case.lock_version)
    if runtime is None:
        runtime = load_runtime(ctx, uow, case if case.state is not None else
                               case_rows.case_by_id(uow, case.id, with_state=True))
    ctx.keep_runtime(case.id, case.lock_version, runtime)
    return dict(runtime.data)


def _project(ctx: EngineContext, uow: UnitOfWork, seen: VisibleCase, data: dict[str, Any] | None) -> CaseProjection:
    """The viewer's projection of a visible case; ``data``: the workflow data if the caller has it already.

    For the applicant side nothing is restored: its data is read from history (``applicant_data``).
    """
    case, access = seen.case, seen.access
    compiled = definition_for_case(ctx, uow, case)
    parties = seen.parties_by_task
    rows = history.history_of_case(uow, case.id)
    submitted = [row for row in rows if row.event_type == "form_submitted"
                 and access.sees_submission(parties.get(row.task_uuid))]
    submissions = tuple(SubmittedForm(
        seq=row.seq, element_id=row.element_id, element_name=row.element_name, actor_id=row.actor_id,
        occurred_at=row.occurred_at, values=json.loads(row.data_after or "{}"),
        form_key=compiled.human_tasks[row.element_id].form_key if row.element_id in compiled.human_tasks else "")
        for row in submitted)
    if access.is_staff:
        data = data if data is not None else _case_data(ctx, uow, case)
    else:
        started = next((json.loads(row.data_after or "{}") for row in rows if row.event_type == "case_started"), {})
        fields = frozenset(f.key for form in _applicant_forms(compiled) for f in form.fields)
        # A draft's number is given on submission (``case_submitted``), so it comes from the case row.
        numbered = {"case_number": case.case_number} if case.case_number else {}
        data = applicant_data({**(started.get("data") or {}), **numbered}, (s.values for s in submissions), fields)
    open_rows = [row for row in seen.open_tasks if access.sees_task(task_parties(row))]
    [summary] = summaries(ctx, uow, [case])
    return CaseProjection(
        audience=access.audience, summary=summary, open_tasks=tuple(TaskView.of(row, case) for row in open_rows),
        # Acts only the applicant does in person (好差评) are not offered to the clerk who filed the case.
        workable=tuple(row.task_uuid for row in open_rows if access.may_work(task_parties(row)) and in_person_refusal(
            compiled.element_properties.get(row.element_id), access.actor.user_id, case.owner_id, row.name) is None),
        documents=_documents(uow, case.id, ctx.clock.now()), submissions=submissions,
        timeline=applicant_timeline(rows, parties), data=data,
        forms={s.form_key: case_form(uow, case, compiled, s.form_key) for s in submissions if s.form_key},
        metadata=compiled.metadata.as_dict(),
        waits=tuple(CaseWait(element_id=row.element_id, element_name=compiled.element_names.get(row.element_id, ""),
                             kind=row.kind, name=row.name if access.is_staff else "", since=row.created_at)
                    for row in subscriptions_of_case(uow, case.id)))


def _documents(uow: UnitOfWork, case_id: int, now: datetime) -> tuple[DocumentView, ...]:
    services = services_by_document(uow, case_id, now)
    return tuple(DocumentView.of(d, services.get(d.document_no)) for d in documents_of_case(uow, case_id))


def case_projection(ctx: EngineContext, case_id: int, actor: Actor, *,
                    data: dict[str, Any] | None = None) -> CaseProjection:
    """The case as the actor may see it (the case page, ``GET /api/v1/cases/<id>``).

    :param data: the workflow data when the caller just ran a step (saves restoring it for staff).
    :raise CaseNotFound: no such case, or not the actor's to see.
    """
    with ctx.uow() as uow:
        return _project(ctx, uow, visible_case(uow, case_id, actor), data)


def case_brief(ctx: EngineContext, case_id: int, actor: Actor) -> tuple[CaseSummary, tuple[DocumentView, ...]]:
    """The case's summary and issued documents as the actor may see them, without its history or workflow
    (the audit page reads its history a page at a time and replays it itself).

    :raise CaseNotFound: no such case, or not the actor's to see.
    """
    with ctx.uow() as uow:
        seen = visible_case(uow, case_id, actor)
        [summary] = summaries(ctx, uow, [seen.case])
        return summary, _documents(uow, case_id, ctx.clock.now())


def case_timeline(ctx: EngineContext, case_id: int, actor: Actor) -> tuple[Audience, tuple[Any, ...]]:
    """The case's history as the actor may read it: the milestones for the applicant side, the full chain for staff.

    :raise CaseNotFound: no such case, or not the actor's to see.
    """
    with ctx.uow() as uow:
        seen = visible_case(uow, case_id, actor)
        rows = history.history_of_case(uow, case_id)
        if seen.access.is_staff:
            return Audience.STAFF, tuple(HistoryView.of(row) for row in rows)
        return Audience.APPLICANT, applicant_timeline(rows, seen.parties_by_task)


def case_document(ctx: EngineContext, case_id: int, document_id: int, actor: Actor) -> DocumentView:
    """One issued document of a case the actor may see (served on the applicant, so every viewer's).

    :raise CaseNotFound: no such case, or not the actor's; ``DocumentNotFound``: no such document on it.
    """
    with ctx.uow() as uow:
        visible_case(uow, case_id, actor)
        found = next((d for d in documents_of_case(uow, case_id) if d.id == document_id), None)
    if found is None:
        raise DocumentNotFound(document_id)
    note_opened(ctx, case_id, found, actor)  # the applicant's opening is the read receipt of an online service
    with ctx.uow() as uow:
        service = services_by_document(uow, case_id, ctx.clock.now()).get(found.document_no)
    return DocumentView.of(found, service)


def _workable(ctx: EngineContext, uow: UnitOfWork, case_id: int, task_uuid: str, actor: Actor, *,
              with_state: bool = False) -> tuple[VisibleCase, TaskRow]:
    """The case and the open task the actor is about to work, or the error that says why not.

    :raise CaseNotFound: the case is not the actor's to see.
    :raise TaskNotFound: no such open task, or one the actor's side does not see (a department's, for an applicant).
    :raise TaskAlreadyDone: the task was completed (by anyone) and the actor's side sees it.
    :raise NotAllowed: the actor sees the task but may not work it (another's claim, another role).
    """
    seen = visible_case(uow, case_id, actor, with_state=with_state)
    row = seen.open_task(task_uuid)
    if row is None:
        done = next((r for r in seen.tasks if r.task_uuid == task_uuid and r.state == "completed"), None)
        if done is not None and seen.access.sees_task(task_parties(done)):
            # A second tab or a retried request: done, not missing; say when and by whom.
            finisher = users_by_usernames(uow, [done.completed_by]).get(done.completed_by or "")
            form = definition_for_case(ctx, uow, seen.case).forms.get(done.form_key) if done.form_key else None
            raise TaskAlreadyDone(done.name, case_id=case_id, completed_at=done.completed_at,
                                  completed_by=finisher.display_name if finisher else (done.completed_by or ""),
                                  field_labels={f.key: f.label or f.key for f in form.fields} if form else None)
        raise TaskNotFound(task_uuid)
    if not seen.access.sees_task(task_parties(row)):
        raise TaskNotFound(task_uuid)
    if not seen.access.may_work(task_parties(row)):
        raise NotAllowed(f"您无权办理“{row.name}”")
    return seen, row


def _with_choices(form: FormDefinition, compiled: CompiledDefinition) -> FormDefinition:
    """The form with its ``valuesKey`` options (the provisions a refusal may cite) from the matter data."""
    return with_choices(form, provision_lists(compiled.metadata))


def task_form(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor) -> tuple[str, FormDefinition]:
    """The name and form of a task the actor may work now (errors as ``_workable``); reads no workflow."""
    with ctx.uow() as uow:
        seen, row = _workable(ctx, uow, case_id, task_uuid, actor)
        compiled = definition_for_case(ctx, uow, seen.case)
        return row.name, _with_choices(case_form(uow, seen.case, compiled, row.form_key), compiled)


def task_page(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor) -> TaskPage:
    """The task form with its current values (a saved draft wins), beside the case as the actor sees it.

    :raise CaseNotFound, TaskNotFound, TaskAlreadyDone, NotAllowed: see ``_workable``.
    """
    with ctx.uow() as uow:
        seen, row = _workable(ctx, uow, case_id, task_uuid, actor, with_state=True)
        data = _case_data(ctx, uow, seen.case)  # the form's current values: the workflow's, not the projection's
        projection = _project(ctx, uow, seen, data if seen.access.is_staff else None)
        saved = drafts.draft_data(uow, actor.user_id, case_id, task_uuid)
        compiled = definition_for_case(ctx, uow, seen.case)
        form = _with_choices(case_form(uow, seen.case, compiled, row.form_key), compiled)
    task = TaskView.of(row, seen.case)
    values = {f.key: data[f.key] for f in form.fields if f.key in data}
    if saved is not None:
        values.update(json.loads(saved))
    return TaskPage(case=projection, task=task, form=form, values=values, from_draft=saved is not None,
                    requested_items=_requested_items(task, form, data,
                                                     compiled.metadata.supplement_item_keys(task.element_id)),
                    seen_seq=seen.case.history_seq)


def _requested_items(task: TaskView, form: FormDefinition, data: dict[str, Any],
                     item_keys: tuple[str, ...]) -> tuple[str, ...]:
    """The 补正 list a supplement task answers, from the keys its matter names (``[supplement_items]``)."""
    if not any(f.type == "filepicker" for f in form.fields) or "applicant" not in task.candidate_groups:
        return ()
    for key in item_keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return tuple(line.strip() for line in value.splitlines() if line.strip())
        if isinstance(value, list) and value:
            return tuple(str(item) for item in value)
    return ()


def save_draft(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor, values: dict[str, Any]) -> None:
    """Keep unfinished form input (暂存) without validating or submitting it.

    :raise CaseNotFound, TaskNotFound, NotAllowed: as for opening the form (``_workable``).
    """
    with ctx.uow() as uow:
        _workable(ctx, uow, case_id, task_uuid, actor)
        drafts.save_draft(uow, actor.user_id, case_id, task_uuid, json.dumps(values, ensure_ascii=False, default=str),
                          ctx.clock.now())
        uow.commit()


def application_prefill(ctx: EngineContext, matter_code: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check values a caller hands in when starting a case (the API): they prefill the applicant's forms.

    Only editable, non-file fields of forms offered to the applicant group are accepted, each cleaned by
    its field's rules. Anything else would let a caller seed process variables that only the process or
    the staff set (gateway inputs, the case number).

    :raise MatterNotFound: no deployed version.
    :raise FormDataInvalid: unknown keys or values that break a field's rules; nothing is started.
    """
    with ctx.uow() as uow:
        diagram, _entry = resolve_matter(uow, matter_code)  # a 事项库 code runs on its entry's diagram
        _record, compiled = ctx.latest_definition(uow, diagram)
    forms: dict[str, FormDefinition] = {}
    for form in _applicant_forms(compiled):
        for form_field in form.fields:
            if not (form_field.readonly or form_field.disabled or form_field.type == "filepicker"):
                forms.setdefault(form_field.key, form)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        form = forms.get(key)
        if form is None:
            errors[key] = "申请时不能预填此项"
            continue
        result = validate_submission(form, {key: value})
        if key in result.errors:
            errors[key] = result.errors[key]
        else:
            values[key] = result.values[key]
    if errors:
        raise FormDataInvalid(errors, raw)
    return values
