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
from engine.definitions.catalog import BLZT_NAMES
from engine.errors import CaseNotFound
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.errors import TaskNotFound
from engine.forms import FormDefinition
from engine.forms import validate_submission
from engine.persistence import repositories as repo
from engine.persistence.records import CaseRecord
from engine.persistence.records import DraftRecord
from engine.services.access import ALL_CASES_GROUPS
from engine.services.access import can_view_case
from engine.services.access import staff_groups
from engine.services.cases import definition_for_case
from engine.services.cases import load_runtime
from engine.services.context import EngineContext
from engine.services.deadlines import CaseDeadlines
from engine.services.deadlines import compute_deadlines
from engine.services.deadlines import metadata_of
from engine.services.views import DocumentView
from engine.services.views import TaskView


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


def _summary(session: repo.Session, ctx: EngineContext, case: CaseRecord) -> CaseSummary:
    metadata = metadata_of(session, case)
    # "住建局施工许可科·承办", not just "承办": parallel branches have steps of the same name.
    steps = tuple(f"{row.lane}·{row.name}" if row.lane else row.name
                  for row in repo.open_tasks_of_case(session, case.id))
    deadlines = compute_deadlines(ctx, case, repo.status_events(session, case.id), metadata)
    return CaseSummary(id=case.id, case_number=case.case_number, matter_code=case.matter_code,
                       matter_name=metadata["name"], title=case.title, status=case.status, blzt=case.blzt,
                       status_name=BLZT_NAMES.get(case.blzt or 0, "办理中"), owner_id=case.owner_id,
                       received_at=case.received_at, completed_at=case.completed_at, current_steps=steps,
                       deadlines=deadlines)


def list_cases(ctx: EngineContext, actor: Actor, *, matter_code: str | None = None, search: str = "",
               status: str | None = None, limit: int = 200) -> list[CaseSummary]:
    with ctx.uow() as uow:
        records = repo.visible_cases(uow.session, actor.user_id, staff_groups(actor), actor.in_any(ALL_CASES_GROUPS),
                                     matter_code=matter_code, search=search, status=status, limit=limit)
        return [_summary(uow.session, ctx, case) for case in records]


def _load_visible(uow: Any, case_id: int, actor: Actor) -> CaseRecord:
    case = uow.session.get(CaseRecord, case_id)
    # The same answer for "no such case" and "not yours", so case ids cannot be probed.
    if case is None or not can_view_case(uow.session, case, actor):
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
            for row in repo.form_submissions(uow.session, case.id))
        if not staff_groups(actor):
            # Applicants see their own submissions; departments' working notes stay internal (the
            # decisions reach them as documents).
            opinions = tuple(o for o in opinions if o.actor_id in (case.owner_id, case.started_by, actor.user_id))
        forms = {key: compiled.forms.get(key) for key in compiled.forms.keys()}
        return CaseDetail(
            summary=_summary(uow.session, ctx, case), data=data,
            open_tasks=tuple(TaskView.of(row, case) for row in repo.open_tasks_of_case(uow.session, case.id)),
            documents=tuple(DocumentView.of(d) for d in repo.documents_of_case(uow.session, case.id)),
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
        saved = repo.draft(uow.session, actor.user_id, case_id, task_uuid)
        if saved is not None:
            values.update(json.loads(saved.data_json))
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
        case = uow.session.get(CaseRecord, case_id)
        return case.started_by if case is not None else ""


def save_draft(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor, values: dict[str, Any]) -> None:
    """Keep unfinished form input (暂存) without validating or submitting it."""
    task_page(ctx, case_id, task_uuid, actor)  # same checks as opening the form
    with ctx.uow() as uow:
        saved = repo.draft(uow.session, actor.user_id, case_id, task_uuid)
        if saved is None:
            saved = DraftRecord(owner=actor.user_id, case_id=case_id, task_uuid=task_uuid)
            uow.session.add(saved)
        saved.data_json = json.dumps(values, ensure_ascii=False, default=str)
        saved.updated_at = ctx.clock.now()
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
