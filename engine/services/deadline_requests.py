"""Extension (延长期限, 行政许可法 art. 42) and 特别程序 (art. 45): the use cases that move a stored deadline.

Extension: the deciding department's staff ask, with reasons, for some working days; only that
department's head (负责人, a group named in the matter's ``[decision]`` or its permit's entry) may
approve, only while the case runs and before its statutory deadline, and only within the matter's
extension limit. Approval moves the stored deadline (a new revision with its history row) and
issues the 延期告知书 to the applicant, in one transaction. Nobody else approves: not the window
supervisor, not the system administrator.

特别程序: the deciding department's staff start one the matter names (e.g. 检验、检测 for the hygiene
licence, 专家评审 for the bundle) with its reason and expected length; the applicant gets a written
notice of the period, the clock stops from that day (办理状态 9) until the staff record its end
(办理状态 10, a second notice stating the period actually excluded).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from engine.actors import Actor
from engine.definitions.catalog import DOCUMENTS_PREFIX
from engine.definitions.catalog import CompiledDefinition
from engine.errors import CaseNotFound
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.history import to_json
from engine.legal_time import EXTENSION_BASIS
from engine.legal_time import DeadlineRecord
from engine.legal_time import Extension
from engine.legal_time import MatterLimits
from engine.legal_time import PermitLimits
from engine.legal_time import paused_workdays
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories import deadlines as stored
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.history import append_history
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy.legal_time import may_ask_for_time
from engine.policy.legal_time import may_decide_extension
from engine.services import deadlines
from engine.services.cases import definition_for_case
from engine.services.cases import load_runtime
from engine.services.catalogue.limits import case_limits
from engine.services.context import EngineContext
from engine.services.effects import issue_document
from engine.state_names import BLZT_NAMES

#: Shortest reason accepted: "延期" alone tells the applicant nothing (art. 42: the reason is told).
MIN_REASON_CHARS = 4
MAX_REASON_CHARS = 1000
#: Longest special procedure one notice may announce, in working days (a year of them).
MAX_SPECIAL_DAYS = 250


@dataclass(frozen=True)
class ExtensionRequest:
    id: int
    case_id: int
    permit: str
    permit_name: str
    days: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    #: Who must approve (the deciding department's head), as the matter names the post.
    approver_title: str


# -- checks --------------------------------------------------------------------------------------


def _reason(raw: str, key: str = "reason") -> str:
    text = (raw or "").strip()
    if len(text) < MIN_REASON_CHARS:
        raise FormDataInvalid({key: f"请写明理由（至少 {MIN_REASON_CHARS} 个字），将告知申请人"}, {key: raw})
    if len(text) > MAX_REASON_CHARS:
        raise FormDataInvalid({key: f"理由不超过 {MAX_REASON_CHARS} 个字"}, {key: raw})
    return text


def _days(raw: Any, key: str, most: int) -> int:
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= most:
        raise FormDataInvalid({key: f"请填写 1–{most} 之间的工作日数"}, {key: raw})
    return int(text)


def _permit_of(limits: MatterLimits, permit: str) -> PermitLimits:
    """The permit a request concerns; a bundle's request must name one of its timed permits."""
    timed = {p.key: p for p in limits.timed_permits}
    if timed:
        if permit not in timed:
            names = "、".join(f"{p.name}（{p.key}）" for p in timed.values())
            raise FormDataInvalid({"permit": f"请选择所涉证照：{names}"}, {"permit": permit})
        return timed[permit]
    if permit:
        raise FormDataInvalid({"permit": "本事项不分证照办理"}, {"permit": permit})
    return limits.case


def _require_staff(actor: Actor, permit: PermitLimits) -> None:
    if not may_ask_for_time(actor, permit):
        raise NotAllowed(f"只有作出决定的部门（{permit.department}）的承办人员可以提出")


def _open_record(uow: UnitOfWork, case: CaseRow, permit: str, today: date, ctx: EngineContext) -> DeadlineRecord:
    """The running record of the permit; refuses a closed case, one not accepted, or one past its deadline."""
    records = stored.current_deadlines(uow, case.id)
    record = records.get(permit)
    if case.status != "running" or record is None or record.is_closed:
        raise NotAllowed("办件已办结或尚未受理，办理期限不能再变更")
    shown = record.recomputed(ctx.calendar, today) if record.is_paused else record
    if today > shown.statutory_due:
        raise NotAllowed(f"已超过法定办结期限（{shown.statutory_due.isoformat()}），不能再延长")
    return record


def request_view(row: stored.RequestRow, limits: MatterLimits) -> ExtensionRequest:
    own = limits.for_permit(row.permit)
    return ExtensionRequest(id=row.id, case_id=row.case_id, permit=row.permit,
                            permit_name=own.name if row.permit else "",
                            days=row.days, reason=row.reason, requested_by=row.requested_by,
                            requested_at=row.requested_at, status=row.status, decided_by=row.decided_by,
                            decided_at=row.decided_at, decision_note=row.decision_note,
                            approver_title=own.head_title or own.head_group)


def _require_template(definition: CompiledDefinition, key: str) -> None:
    """Versions deployed before the engine issued this notice lack its template: say so, change nothing."""
    if f"{DOCUMENTS_PREFIX}{key}.html" not in definition.files:
        raise NotAllowed(f"该办件所依据的事项版本缺少“{definition.document_title(key)}”模板，请先将办件迁移到新版本")


def _locked(uow: UnitOfWork, case_id: int) -> CaseRow:
    case = lock_case(uow, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def _limits(ctx: EngineContext, uow: UnitOfWork, case: CaseRow) -> MatterLimits:
    return case_limits(uow, case, definition_for_case(ctx, uow, case).metadata)


# -- extension -----------------------------------------------------------------------------------


def request_extension(ctx: EngineContext, case_id: int, actor: Actor, *, days: Any, reason: str,
                      permit: str = "") -> ExtensionRequest:
    """Ask the deciding department's head for more working days (nothing moves until approved).

    :raise NotAllowed: not the deciding department's staff, case closed or past its deadline, over the limit.
    :raise FormDataInvalid: no substantive reason, bad number of days, or (bundles) no permit named.
    """
    now = ctx.clock.now()
    today = deadlines.china_today(now)
    with ctx.uow() as uow, translate_conflicts():
        case = _locked(uow, case_id)
        limits = _limits(ctx, uow, case)
        own = _permit_of(limits, permit)
        _require_staff(actor, own)
        if own.extension_wd <= 0:
            raise NotAllowed(f"“{own.name}”依法不得延长办理期限")
        text = _reason(reason)
        wanted = _days(days, "days", own.extension_wd)
        record = _open_record(uow, case, own.key, today, ctx)
        pending = [r for r in stored.requests_of_case(uow, case.id) if r.permit == own.key and r.status == "pending"]
        if pending:
            raise NotAllowed("该办件已有待审批的延期申请，请等待负责人决定")
        if record.extension_wd + wanted > own.extension_wd:
            raise NotAllowed(f"超过可延长的 {own.extension_wd} 个工作日（已延长 {record.extension_wd} 个工作日）")
        append_history(uow, case, occurred_at=now, event_type="extension_requested", actor_id=actor.user_id,
                       actor_role=actor.role_label, to_state=str(wanted),
                       data_after=to_json({"permit": own.key, "days": wanted, "reason": text}))
        save_case(uow, case)
        row = stored.insert_request(uow, case_id=case.id, permit=own.key, days=wanted, reason=text,
                                    requested_by=actor.user_id, now=now)
        uow.commit()
    return request_view(row, limits)


def decide_extension(ctx: EngineContext, request_id: int, actor: Actor, *, approve: bool,
                     note: str = "") -> ExtensionRequest:
    """The deciding department's head approves (the deadline moves, the 延期告知书 is issued) or refuses.

    :raise NotAllowed: not that head, the request was decided already, or (approving) the case closed,
        its deadline passed or the limit would be exceeded.
    """
    now = ctx.clock.now()
    today = deadlines.china_today(now)
    with ctx.uow() as uow, translate_conflicts():
        request = stored.request_by_id(uow, request_id)
        if request is None:
            raise CaseNotFound(f"延期申请 {request_id}")
        case = _locked(uow, request.case_id)
        definition = definition_for_case(ctx, uow, case)
        limits = case_limits(uow, case, definition.metadata)
        own = limits.for_permit(request.permit)
        if not may_decide_extension(actor, own):
            raise NotAllowed(f"延长办理期限须经{own.head_title or '作出决定部门的负责人'}批准")
        if request.status != "pending":
            raise NotAllowed("该延期申请已处理")
        note = (note or "").strip()[:MAX_REASON_CHARS]
        runtime = None
        if approve:
            _require_template(definition, "extension_notice")
            record = _open_record(uow, case, own.key, today, ctx)
            if record.extension_wd + request.days > own.extension_wd:
                raise NotAllowed(f"超过可延长的 {own.extension_wd} 个工作日（已延长 {record.extension_wd} 个工作日）")
            runtime = load_runtime(ctx, uow, case)
            before = stored.current_deadlines(uow, case.id)
            extension = Extension(days=request.days, reason=request.reason, requested_by=request.requested_by,
                                  approved_by=actor.user_id, approved_at=now, request_id=request.id)
            moved = dataclasses.replace(record, extensions=(*record.extensions, extension)).recomputed(
                ctx.calendar, today)
            after = {**before, own.key: moved}
            deadlines.write_change(uow, case, before, after, "deadline_extended", now, actor,
                                   to_state=str(request.days),
                                   detail={"permit": own.key, "days": request.days, "reason": request.reason,
                                           "request_id": request.id, "requested_by": request.requested_by,
                                           "statutory_due": moved.statutory_due.isoformat()},
                                   detail_before={"statutory_due": record.statutory_due.isoformat()})
            issue_document(uow, case, definition, "extension_notice", "", own.key, runtime.data, now, actor,
                           ctx.legal, extra={"extension": {
                               "days": request.days, "reason": request.reason, "basis": EXTENSION_BASIS,
                               "previous_due": record.statutory_due.isoformat(),
                               "statutory_due": moved.statutory_due.isoformat(),
                               "promised_due": moved.promised_due.isoformat(),
                               "approver": own.head_title, "note": note}})
        else:
            append_history(uow, case, occurred_at=now, event_type="extension_refused", actor_id=actor.user_id,
                           actor_role=actor.role_label, to_state=str(request.days),
                           data_after=to_json({"permit": own.key, "days": request.days, "request_id": request.id,
                                               "requested_by": request.requested_by, "note": note}))
        case.updated_at = now
        save_case(uow, case)
        if not stored.decide_request(uow, request, status="approved" if approve else "refused",
                                     decided_by=actor.user_id, note=note, now=now):
            raise NotAllowed("该延期申请已处理")
        decided = stored.request_by_id(uow, request.id)
        uow.commit()
    if runtime is not None:
        ctx.keep_runtime(case.id, case.lock_version, runtime)
    assert decided is not None
    return request_view(decided, limits)


# -- 特别程序 ---------------------------------------------------------------------------------------


def _special_change(ctx: EngineContext, uow: UnitOfWork, case: CaseRow, own: PermitLimits, code: int, now: datetime,
                    actor: Actor, data: Mapping[str, Any], *, detail: str = "", until: date | None = None) -> None:
    """办理状态 9/10 for a permit (or the case), recorded exactly like a diagram's status element."""
    definition = definition_for_case(ctx, uow, case)
    previous = case.blzt
    shown = deadlines.shown_code(uow, case, code, own.key)
    case.blzt = shown
    append_history(uow, case, occurred_at=now, event_type="status_changed", actor_id=actor.user_id,
                   actor_role=actor.role_label, to_state=str(code),
                   data_after=to_json({"blzt": code, "name": BLZT_NAMES[code], "permit": own.key, "detail": detail,
                                       **({"shown": shown} if shown != code else {})}))
    deadlines.record_status(uow, case, definition, code, own.key, "", data, now, actor, ctx.legal, previous,
                            detail=detail, until=until)


def start_special_procedure(ctx: EngineContext, case_id: int, actor: Actor, *, kind: str, reason: str,
                            expected_days: Any, permit: str = "") -> DeadlineRecord:
    """Start a 特别程序 the matter names: the clock stops from today and the applicant is told in writing.

    :raise NotAllowed: not the deciding department's staff, a procedure the matter does not use,
        the case closed, past its deadline or already paused.
    :raise FormDataInvalid: no reason or a bad expected length.
    """
    now = ctx.clock.now()
    today = deadlines.china_today(now)
    with ctx.uow() as uow, translate_conflicts():
        case = _locked(uow, case_id)
        definition = definition_for_case(ctx, uow, case)
        limits = case_limits(uow, case, definition.metadata)
        own = _permit_of(limits, permit)
        _require_staff(actor, own)
        _require_template(definition, "special_procedure_notice")
        if kind not in own.special_procedures:
            allowed = "、".join(own.special_procedures) or "无"
            raise FormDataInvalid({"kind": f"本事项适用的特别程序：{allowed}"}, {"kind": kind})
        text = _reason(reason)
        days = _days(expected_days, "expected_days", MAX_SPECIAL_DAYS)
        record = _open_record(uow, case, own.key, today, ctx)
        if record.open_pause is not None:
            raise NotAllowed("办理期限正处于暂停中（补正或特别程序），请先结束后再启动")
        runtime = load_runtime(ctx, uow, case)
        until = ctx.calendar.due_after(today, days).due
        _special_change(ctx, uow, case, own, 9, now, actor, runtime.data, detail=f"{kind}：{text}", until=until)
        paused = stored.current_deadlines(uow, case.id)[own.key]
        issue_document(uow, case, definition, "special_procedure_notice", "", own.key, runtime.data, now, actor,
                       ctx.legal, extra={"special": {
                           "phase": "start", "kind": kind, "reason": text, "basis": own.special_procedure_basis,
                           "started_on": today.isoformat(), "expected_days": days,
                           "expected_until": until.isoformat()}})
        case.updated_at = now
        save_case(uow, case)
        uow.commit()
    ctx.keep_runtime(case.id, case.lock_version, runtime)
    return paused


def end_special_procedure(ctx: EngineContext, case_id: int, actor: Actor, *, result: str,
                          permit: str = "") -> DeadlineRecord:
    """Record the end of the open 特别程序: the clock runs again and the applicant is told the period excluded.

    :raise NotAllowed: not the deciding department's staff, or no 特别程序 is open.
    :raise FormDataInvalid: no result stated.
    """
    now = ctx.clock.now()
    today = deadlines.china_today(now)
    with ctx.uow() as uow, translate_conflicts():
        case = _locked(uow, case_id)
        definition = definition_for_case(ctx, uow, case)
        own = _permit_of(case_limits(uow, case, definition.metadata), permit)
        _require_staff(actor, own)
        text = _reason(result, "result")
        record = stored.current_deadlines(uow, case.id).get(own.key)
        pause = record.open_pause if record is not None and not record.is_closed else None
        if case.status != "running" or pause is None or pause.kind != "special_procedure":
            raise NotAllowed("该办件没有进行中的特别程序")
        runtime = load_runtime(ctx, uow, case)
        _special_change(ctx, uow, case, own, 10, now, actor, runtime.data, detail=text)
        resumed = stored.current_deadlines(uow, case.id)[own.key]
        excluded = paused_workdays(ctx.calendar, pause.started_on, today)
        issue_document(uow, case, definition, "special_procedure_notice", "", own.key, runtime.data, now, actor,
                       ctx.legal, extra={"special": {
                           "phase": "end", "kind": pause.detail.split("：", 1)[0], "reason": pause.detail,
                           "result": text, "basis": own.special_procedure_basis,
                           "started_on": pause.started_on.isoformat(), "ended_on": today.isoformat(),
                           "excluded_days": excluded, "statutory_due": resumed.statutory_due.isoformat(),
                           "promised_due": resumed.promised_due.isoformat()}})
        case.updated_at = now
        save_case(uow, case)
        uow.commit()
    ctx.keep_runtime(case.id, case.lock_version, runtime)
    return resumed


