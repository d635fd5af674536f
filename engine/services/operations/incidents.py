"""Incidents as the console shows them, and their retry after an administrator fixed the data.

A retry is one step of the case, like a completed form: the fix (which keys changed, from what to
what) and the reason go into history with the administrator's name, the failed element runs again,
and the incident is resolved if the engine ran on, or stays open with the new error if it failed
again. Nobody but the operations groups may do this (never a clerk).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.actors import Actor
from engine.errors import CaseNotFound
from engine.errors import CaseSuspended
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.history import to_json
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.incidents import IncidentRow
from engine.persistence.repositories.incidents import close_incident
from engine.persistence.repositories.incidents import incident_by_id
from engine.persistence.repositories.incidents import incidents_of_case
from engine.persistence.repositories.incidents import list_incidents as incident_rows
from engine.persistence.repositories.incidents import retry_failed
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.cases import case_view
from engine.services.cases import load_runtime
from engine.services.context import EngineContext
from engine.services.steps import save_runtime
from engine.services.steps import with_retries
from engine.services.views import CaseView

KIND_NAMES = {"engine": "自动环节", "completion": "提交任务", "timer": "定时器", "message": "消息",
              "service": "服务调用"}
STATUS_NAMES = {"open": "待处理", "resolved": "已重试解决", "closed": "已关闭"}


@dataclass(frozen=True)
class IncidentView:
    id: int
    case_id: int
    case_number: str
    matter_code: str
    kind: str
    kind_name: str
    element_id: str
    element_name: str
    task_uuid: str
    message: str
    detail: str
    data: dict[str, Any]
    submitted: dict[str, Any]
    submitted_by: str
    status: str
    status_name: str
    attempts: int
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None

    @classmethod
    def of(cls, row: IncidentRow, case_number: str, matter_code: str) -> IncidentView:
        return cls(id=row.id, case_id=row.case_id, case_number=case_number, matter_code=matter_code,
                   kind=row.kind, kind_name=KIND_NAMES.get(row.kind, row.kind), element_id=row.element_id,
                   element_name=row.element_name, task_uuid=row.task_uuid, message=row.message,
                   detail=row.detail, data=json.loads(row.data_json or "{}"),
                   submitted=json.loads(row.submitted_json or "{}"), submitted_by=row.submitted_by,
                   status=row.status, status_name=STATUS_NAMES.get(row.status, row.status), attempts=row.attempts,
                   raised_at=row.raised_at, resolved_at=row.resolved_at, resolved_by=row.resolved_by)


def require_operator(ctx: EngineContext, actor: Actor) -> None:
    """:raise NotAllowed: the actor is not in one of the configured operations groups."""
    if not actor.in_any(ctx.settings.operations_groups):
        raise NotAllowed("只有系统运维管理员可以处理办件异常")


def list_incidents(ctx: EngineContext, actor: Actor, *, status: str | None = "open",
                   matter_code: str | None = None) -> list[IncidentView]:
    require_operator(ctx, actor)
    with ctx.uow() as uow:
        return [IncidentView.of(row, number, matter) for row, number, matter in
                incident_rows(uow, status=status or None, matter_code=matter_code)]


def get_incident(ctx: EngineContext, actor: Actor, incident_id: int) -> IncidentView:
    require_operator(ctx, actor)
    with ctx.uow() as uow:
        row = incident_by_id(uow, incident_id)
        if row is None:
            raise CaseNotFound(f"异常 {incident_id}")
        case = lock_case(uow, row.case_id)
        assert case is not None
        return IncidentView.of(row, case.case_number, case.matter_code)


def case_incidents(ctx: EngineContext, actor: Actor, case_id: int) -> list[IncidentView]:
    """Every incident of one case, oldest first (the case page's 异常 panel for operators)."""
    require_operator(ctx, actor)
    with ctx.uow() as uow:
        case = lock_case(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return [IncidentView.of(row, case.case_number, case.matter_code) for row in incidents_of_case(uow, case_id)]


def parse_fix(text: str) -> dict[str, Any]:
    """The administrator's data fix as typed into the retry form: a JSON object (may be empty).

    :raise FormDataInvalid: not a JSON object; nothing changes.
    """
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormDataInvalid({"data": f"数据修正须为 JSON 对象：第 {exc.lineno} 行第 {exc.colno} 列有误"}) from None
    except RecursionError:
        raise FormDataInvalid({"data": "数据修正嵌套过深"}) from None
    if not isinstance(value, dict) or any(not isinstance(k, str) or k.startswith("_") for k in value):
        raise FormDataInvalid({"data": "数据修正须为 JSON 对象，键为不以下划线开头的字段名"})
    return value


def retry_incident(ctx: EngineContext, incident_id: int, fix: dict[str, Any], actor: Actor,
                   reason: str) -> CaseView:
    """Apply ``fix`` to the failed element's data and run it again (one audited step).

    A failed completion runs with the values that were submitted, plus the fix. Returns the case
    after the step; ``status`` tells whether it is still 异常 (the incident then has the new error).

    :raise NotAllowed: not an operator, or the incident is no longer open.
    :raise FormDataInvalid: no reason given.
    """
    require_operator(ctx, actor)
    if not reason.strip():
        raise FormDataInvalid({"reason": "请填写重试原因（记入办件历史）"})

    def step() -> CaseView:
        with ctx.uow() as uow:
            incident = incident_by_id(uow, incident_id)
            if incident is None:
                raise CaseNotFound(f"异常 {incident_id}")
            if incident.status != "open":
                raise NotAllowed(f"异常 {incident_id} 已处理（{STATUS_NAMES.get(incident.status, incident.status)}）")
            case = lock_case(uow, incident.case_id)
            assert case is not None
            if case.status == "suspended":
                raise CaseSuspended(case.case_number)
            runtime = load_runtime(ctx, uow, case)
            now = ctx.clock.now()
            submitted = json.loads(incident.submitted_json or "{}") if incident.kind == "completion" else {}
            before = json.loads(incident.data_json or "{}")
            patch = {**submitted, **fix}
            append_history(uow, case, occurred_at=now, event_type="incident_retried", actor_id=actor.user_id,
                           actor_role=actor.role_label, element_id=incident.element_id,
                           element_name=incident.element_name, task_uuid=incident.task_uuid or None,
                           data_before=to_json({k: before.get(k) for k in fix}),
                           data_after=to_json(fix),
                           payload=to_json({"incident": incident.id, "reason": reason.strip(),
                                            "submitted_by": incident.submitted_by or None}))
            with clock_bound(ctx.clock), capture(runtime.workflow) as buffer:
                runtime.retry(incident.task_uuid, patch)
            failure = runtime.failure
            if failure is not None:
                # Failing again keeps this incident open (one incident per cause, attempts counted).
                retry_failed(uow, incident.id, failure.message, failure.detail, to_json(failure.data) or "{}")
                runtime.failure = None
                case.error = failure.message
            else:
                close_incident(uow, incident.id, "resolved", actor.user_id, now)
                case.error = None
            open_rows = save_runtime(uow, case, runtime, buffer.transitions, actor, now,
                                     completed_task_id=incident.task_uuid, legal=ctx.legal,
                                     webhooks=ctx.settings.webhooks)
            view = case_view(case, runtime, open_rows)
            uow.commit()
            return view

    return with_retries(ctx.settings.conflict_retries, step, backoff_s=ctx.settings.conflict_backoff_s)
