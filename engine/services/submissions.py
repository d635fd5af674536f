"""Submitting a task's form: one use case behind the HTML form post and ``POST …/complete`` of the API.

A door hands in what it parsed (``FormInput``: the values, kept file references, new files) and
renders the ``SubmitResult``. Everything between (access, uploads, 暂存, validation, completing the
task, keeping the input as a draft when another clerk's change wins the race, the case as the
actor now sees it) happens here, so both doors behave alike and nothing a person typed is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from typing import Any

from engine.actors import Actor
from engine.errors import CaseSuspended
from engine.errors import ConcurrentUpdate
from engine.errors import EngineError
from engine.errors import FormDataInvalid
from engine.errors import IncidentRaised
from engine.errors import StaleSubmission
from engine.forms import FormDefinition
from engine.forms import validate_submission
from engine.legal_time import china_time
from engine.services import tasks
from engine.services.case_changes import CaseChange
from engine.services.case_changes import changes_since
from engine.services.casework import CaseProjection
from engine.services.casework import TaskPage
from engine.services.casework import case_projection
from engine.services.casework import save_draft
from engine.services.casework import task_form
from engine.services.casework import task_page
from engine.services.context import EngineContext
from engine.services.uploads import UploadRejected
from engine.services.uploads import resolve_refs
from engine.services.uploads import store_upload

#: Someone else changed a field of this form after it was opened: nothing submitted, the input kept.
STALE_MESSAGE = "您打开本页后，他人更新了本表单中的内容（见下方），本次未提交；您填写的内容已暂存，请核对后重新提交。"
#: The same refusal for a door without a page (the API): the changes travel as data.
STALE_MESSAGE_API = "您读取办件（history_seq）后，他人更新了本表单中的内容（见 changes），本次未提交；" \
                    "您填写的内容已暂存，请重新读取办件、核对后再提交。"


@dataclass(frozen=True)
class NewFile:
    """A file chosen in the form, as received (stored at once, before anything is validated)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class FormInput:
    """What a door parsed from a request for a task's form.

    File fields hold references to files already stored (``[{"id": …}]``: kept ones, or uploaded
    through the API earlier); ``new_files`` are the files that came with this request.
    """

    values: Mapping[str, Any]
    new_files: Mapping[str, Sequence[NewFile]] = field(default_factory=dict)
    #: 暂存: keep the input without validating or submitting it.
    as_draft: bool = False
    #: Every value is a list (an HTML form post): a field that takes one value takes the first. Only
    #: the form's fields count, and a file or multiple-choice field left empty is submitted empty.
    listed: bool = False
    #: The case's history ``seq`` when the form was opened (None: the door does not say, e.g. the API):
    #: a change by someone else since then to a field of this form stops the submission (``CONFLICT``).
    seen_seq: int | None = None


class Outcome(StrEnum):
    SUBMITTED = "submitted"
    DRAFT_SAVED = "draft_saved"
    #: The values break the form's rules (``errors``); nothing was submitted.
    INVALID = "invalid"
    #: Another change to the case won the race; the input was kept as a draft (``message`` says so).
    CONFLICT = "conflict"
    #: Completing the task failed inside the workflow: an incident was recorded, the case is 异常,
    #: the task is still open and the input was kept as a draft (``message`` says so).
    INCIDENT = "incident"


@dataclass(frozen=True)
class SubmitResult:
    outcome: Outcome
    task_name: str
    #: The values as the form should show them again (invalid, conflict) or as submitted.
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    #: The form as it was opened, to show it again (invalid, conflict).
    page: TaskPage | None = None
    #: The case as the actor sees it after the submission.
    case: CaseProjection | None = None
    #: The engine's error behind ``INCIDENT`` (an incident was raised) or a suspended case's ``CONFLICT``.
    incident: EngineError | None = None
    #: ``CONFLICT``: what others changed since the form was opened (step, fields, who, when).
    changes: tuple[CaseChange, ...] = ()

    def raise_for_problem(self) -> None:
        """For doors that answer problems as errors (the API): invalid and conflict as the engine's errors."""
        if self.outcome is Outcome.INVALID:
            raise FormDataInvalid(self.errors, self.values)
        if self.incident is not None:
            raise self.incident
        if self.outcome is Outcome.CONFLICT and any(change.overlaps for change in self.changes):
            raise StaleSubmission(STALE_MESSAGE_API, tuple(_change_fact(change) for change in self.changes))
        if self.outcome is Outcome.CONFLICT:
            raise ConcurrentUpdate(self.message)

    @property
    def next_task(self) -> str | None:
        """The actor's next task on this case (the applicant's 补正, the clerk's next step), if any."""
        return self.case.workable[0] if self.case is not None and self.case.workable else None


def _iso(moment: Any) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else ""


def _change_fact(change: CaseChange) -> dict[str, object]:
    """One change as plain data, its time as the hall reads it (Asia/Shanghai)."""
    return {"seq": change.seq, "occurred_at": _iso(china_time(change.occurred_at)),
            "step": change.step, "by": change.by, "fields": list(change.fields), "unnamed_fields": change.unnamed,
            "overlaps": change.overlaps}


def _shaped(form: FormDefinition, given: FormInput) -> dict[str, Any]:
    """The values by field: as given (JSON), or from the lists of a form post."""
    if not given.listed:
        return dict(given.values)
    values: dict[str, Any] = {}
    for form_field in form.fields:
        posted = list(given.values.get(form_field.key, ()))
        if form_field.type in ("filepicker", "checklist", "taglist"):
            values[form_field.key] = posted
        elif posted:
            values[form_field.key] = posted[0]
    return values


def _collect(ctx: EngineContext, form: FormDefinition, given: FormInput, actor: Actor,
             case_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The values to submit: file references re-read from our records, new files stored; upload errors apart."""
    values = _shaped(form, given)
    problems: dict[str, str] = {}
    for form_field in form.fields:
        key = form_field.key
        if form_field.type != "filepicker" or (key not in values and key not in given.new_files):
            continue
        refs = values.get(key)
        kept = resolve_refs(ctx, refs if isinstance(refs, list) else [], actor, case_id)
        for new in given.new_files.get(key, ()):
            try:
                kept.append(store_upload(ctx, new.data, new.name, actor).as_ref())
            except UploadRejected as exc:
                problems[key] = exc.message
        values[key] = kept
    return values, problems


def submit_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor, given: FormInput, *,
                with_page: bool = True) -> SubmitResult:
    """Save as a draft, or validate and complete the task and run the case on.

    :param with_page: build the form page again when it must be shown again (invalid, conflict); the
        API, which shows no page, passes False.
    :raise CaseNotFound, TaskNotFound, NotAllowed: the task is not the actor's to work (nothing is stored).
    """
    name, form = task_form(ctx, case_id, task_uuid, actor)
    values, upload_problems = _collect(ctx, form, given, actor, case_id)

    def again() -> TaskPage | None:
        return task_page(ctx, case_id, task_uuid, actor) if with_page else None

    if given.as_draft:
        save_draft(ctx, case_id, task_uuid, actor, values)
        return SubmitResult(Outcome.DRAFT_SAVED, name, values)
    if upload_problems:
        errors = {**validate_submission(form, values).errors, **upload_problems}
        return SubmitResult(Outcome.INVALID, name, values, errors, FormDataInvalid(errors).message, page=again())
    changes = (changes_since(ctx, case_id, actor, given.seen_seq, (f.key for f in form.fields))
               if given.seen_seq is not None else ())
    if any(change.overlaps for change in changes):
        save_draft(ctx, case_id, task_uuid, actor, values)
        return SubmitResult(Outcome.CONFLICT, name, values, message=STALE_MESSAGE, page=again(), changes=changes)
    try:
        view = tasks.complete_task(ctx, case_id, task_uuid, values, actor)
    except FormDataInvalid as exc:
        return SubmitResult(Outcome.INVALID, name, {**values, **exc.values}, exc.errors, exc.message, page=again())
    except CaseSuspended as exc:
        save_draft(ctx, case_id, task_uuid, actor, values)
        return SubmitResult(Outcome.CONFLICT, name, values, message=exc.message + "（您填写的内容已暂存）",
                            page=again(), incident=exc, changes=changes)
    except ConcurrentUpdate as exc:
        save_draft(ctx, case_id, task_uuid, actor, values)
        return SubmitResult(Outcome.CONFLICT, name, values, message=exc.message + "（您填写的内容已暂存）",
                            page=again(), changes=changes)
    except IncidentRaised as exc:
        save_draft(ctx, case_id, task_uuid, actor, values)
        return SubmitResult(Outcome.INCIDENT, name, values, message=exc.message, page=again(), incident=exc)
    return SubmitResult(Outcome.SUBMITTED, name, values, case=case_projection(ctx, case_id, actor, data=view.data))
