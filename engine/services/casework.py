"""What people look at: case lists, a case's detail, a task's page, drafts.

Every function takes the actor and applies ``access.can_view_case`` / ``actors.may_work``, so
the web views and the API only parse requests and render what comes back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.actors import APPLICANT_GROUP
from engine.actors import Actor
from engine.actors import may_work
from engine.errors import CaseNotFound
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.errors import TaskNotFound
from engine.forms import FormDefinition
from engine.forms import validate_submission
from engine.persistence.repositories import cases as case_rows
from engine.persistence.repositories import definitions
from engine.persistence.repositories import drafts
from engine.persistence.repositories import history
from engine.persistence.repositories import tasks
from engine.persistence.repositories.documents import documents_of_case
from engine.persistence.rows import CaseRow
from engine.persistence.rows import HistoryRow
from engine.persistence.rows import TaskRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.access import ALL_CASES_GROUPS
from engine.services.access import can_view_case
from engine.services.access import staff_groups
from engine.services.cases import definition_for_case
from engine.services.cases import load_runtime
from engine.services.context import EngineContext
from engine.services.deadlines import CaseDeadlines
from engine.services.deadlines import compute_deadlines
from engine.services.views import DocumentView
from engine.services.views import TaskView
from engine.state_names import blzt_name


@dataclass(frozen=True)
class CaseSummary:
    id: int
    case_number: str
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


@dataclass(frozen=True)
class Opinion:
    """A submitted form as it was submitted: the earlier opinions a reviewer reads."""

    seq: int
    element_id: str
    element_name: str
    actor_id: str
    actor_role: str
    occurred_at: datetime
    values: dict[str, Any]
    form_key: str


@dataclass(frozen=True)
class CaseDetail:
    summary: CaseSummary
    data: dict[str, Any]
    open_tasks: tuple[TaskView, ...]
    documents: tuple[DocumentView, ...]
    opinions: tuple[Opinion, ...]
    metadata: dict[str, Any]
    definition_id: int
    forms: dict[str, FormDefinition]


@dataclass(frozen=True)
class TaskPage:
    case: CaseDetail
    task: TaskView
    form: FormDefinition
    values: dict[str, Any]
    from_draft: bool
    may_work: bool
    #: For a 补正 task: exactly the items the notice asked for, so the applicant supplies those.
    requested_items: tuple[str, ...] = ()


def _summary(ctx: EngineContext, case: CaseRow, open_rows: list[TaskRow], events: list[HistoryRow],
             metadata: dict[str, Any]) -> CaseSummary:
    # "住建局施工许可科·承办", not just "承办": parallel branches have steps of the same name.
    steps = tuple(f"{row.lane}·{row.name}" if row.lane else row.name for row in open_rows)
    return CaseSummary(id=case.id, case_number=case.case_number, matter_code=case.matter_code,
                       matter_name=metadata["name"], title=case.title, status=case.status, blzt=case.blzt,
                       status_name=blzt_name(case.blzt), owner_id=case.owner_id, received_at=case.received_at,
                       completed_at=case.completed_at, current_steps=steps,
                       deadlines=compute_deadlines(ctx, case, events, metadata))


def summaries(ctx: EngineContext, uow: UnitOfWork, cases: list[CaseRow]) -> list[CaseSummary]:
    """Summaries of many cases in a constant number of queries (current steps, status events, matters)."""
    ids = [case.id for case in cases]
    open_rows = tasks.open_tasks_of_cases(uow, ids)
    events = history.status_events_of_cases(uow, ids)
    metadata = definitions.definitions_metadata(uow, {case.definition_id for case in cases})
    return [_summary(ctx, case, open_rows[case.id], events[case.id], metadata[case.definition_id]) for case in cases]


def list_cases(ctx: EngineContext, actor: Actor, *, matter_code: str | None = None, search: str = "",
               status: str | None = None, limit: int = 200) -> list[CaseSummary]:
    """Cases the actor may see, newest first; ``search`` matches number or title literally."""
    with ctx.uow() as uow:
        found = case_rows.visible_cases(uow, actor.user_id, staff_groups(actor), actor.in_any(ALL_CASES_GROUPS),
                                        matter_code=matter_code, search=search, status=status, limit=limit)
        return summaries(ctx, uow, found)


def _load_visible(uow: UnitOfWork, case_id: int, actor: Actor) -> CaseRow:
    case = case_rows.case_by_id(uow, case_id, with_state=True)
    # The same answer for "no such case" and "not yours", so case ids cannot be probed.
    if case is None or not can_view_case(uow, case, actor):
        raise CaseNotFound(case_id)
    return case


def case_detail(ctx: EngineContext, case_id: int, actor: Actor) -> CaseDetail:
    """Everything the case page shows; raises ``CaseNotFound`` for cases the actor may not see."""
    with ctx.uow() as uow:
        case = _load_visible(uow, case_id, actor)
        compiled = definition_for_case(ctx, uow, case)
        runtime = load_runtime(ctx, uow, case)
        data = runtime.data
        ctx.keep_runtime(case.id, case.lock_version, runtime)
        opinions = tuple(
            Opinion(seq=row.seq, element_id=row.element_id, element_name=row.element_name, actor_id=row.actor_id,
                    actor_role=row.actor_role, occurred_at=row.occurred_at, values=json.loads(row.data_after or "{}"),
                    form_key=compiled.human_tasks[row.element_id].form_key
                    if row.element_id in compiled.human_tasks else "")
            for row in history.form_submissions(uow, case.id))
        if not staff_groups(actor):
            # Applicants see their own submissions; departments' working notes stay internal (the
            # decisions reach them as documents).
            opinions = tuple(o for o in opinions if o.actor_id in (case.owner_id, case.started_by, actor.user_id))
        forms = {key: compiled.forms.get(key) for key in compiled.forms.keys()}
        [summary] = summaries(ctx, uow, [case])
        return CaseDetail(
            summary=summary, data=data,
            open_tasks=tuple(TaskView.of(row, case) for row in tasks.open_tasks(uow, case.id)),
            documents=tuple(DocumentView.of(d) for d in documents_of_case(uow, case.id)),
            opinions=opinions, metadata=compiled.metadata.as_dict(), definition_id=case.definition_id, forms=forms)


def task_page(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor) -> TaskPage:
    """The task form with its current values (a saved draft wins), beside the case's materials."""
    detail = case_detail(ctx, case_id, actor)
    task = next((t for t in detail.open_tasks if t.task_uuid == task_uuid), None)
    if task is None:
        raise TaskNotFound(task_uuid)
    allowed = may_work(task.candidate_groups, actor, (detail.summary.owner_id, _started_by(ctx, case_id))) and \
        task.assignee in (None, actor.user_id)
    if not allowed:
        raise NotAllowed(f"您无权办理“{task.name}”")
    form = detail.forms[task.form_key]
    values = {f.key: detail.data.get(f.key) for f in form.fields if f.key in detail.data}
    from_draft = False
    with ctx.uow() as uow:
        saved = drafts.draft_data(uow, actor.user_id, case_id, task_uuid)
        if saved is not None:
            values.update(json.loads(saved))
            from_draft = True
    return TaskPage(case=detail, task=task, form=form, values=values, from_draft=from_draft, may_work=allowed,
                    requested_items=_requested_items(task, form, detail.data, detail.metadata))


def _requested_items(task: TaskView, form: FormDefinition, data: dict[str, Any],
                     metadata: dict[str, Any]) -> tuple[str, ...]:
    """The 补正 list a supplement task answers, from the keys its matter names (``[supplement_items]``)."""
    if not any(f.type == "filepicker" for f in form.fields) or "applicant" not in task.candidate_groups:
        return ()
    for key in metadata.get("extra", {}).get("supplement_items", {}).get(task.element_id, ()):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return tuple(line.strip() for line in value.splitlines() if line.strip())
        if isinstance(value, list) and value:
            return tuple(str(item) for item in value)
    return ()


def _started_by(ctx: EngineContext, case_id: int) -> str:
    with ctx.uow() as uow:
        case = case_rows.case_by_id(uow, case_id)
        return case.started_by if case is not None else ""


def save_draft(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor, values: dict[str, Any]) -> None:
    """Keep unfinished form input (暂存) without validating or submitting it."""
    task_page(ctx, case_id, task_uuid, actor)  # same checks as opening the form
    with ctx.uow() as uow:
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
        _record, compiled = ctx.latest_definition(uow, matter_code)
    forms: dict[str, FormDefinition] = {}
    for info in compiled.human_tasks.values():
        if APPLICANT_GROUP not in info.candidate_groups or not info.form_key:
            continue
        form = compiled.forms.get(info.form_key)
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
