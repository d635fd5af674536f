"""Messages and signals from outside a case: find the waiting case by correlation, deliver, run on.

``POST /api/v1/messages`` lands here. A message names the case by 办件编号 or the applicant's
统一社会信用代码; it goes to the one case waiting for it (found in ``message_subscriptions``,
never by restoring workflows), or starts a case of the named matter when that matter has a message
start event of this name. A message nobody waits for is refused (``MessageNotCorrelated``, 404):
never accepted and dropped. A signal goes to every case waiting for it that the correlation keys
(if any) select. Each delivery is one step of its case: history, state and worklist together.

Payloads are JSON objects; when the matter declares the message in ``matter.toml``
(``[messages.<name>] payload = { amount = "number", receipt_no = "string" }``), the payload must
have exactly those typed fields (a trailing ``?`` makes one optional).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.actors import Actor
from engine.definitions.catalog import CompiledDefinition
from engine.errors import CaseSuspended
from engine.errors import FormDataInvalid
from engine.errors import MessageAmbiguous
from engine.errors import MessageNotCorrelated
from engine.errors import NotAllowed
from engine.history import to_json
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.subscriptions import waiting_cases
from engine.policy.cases import NOT_STAFF_GROUPS
from engine.runtime.spiff.events import start_events
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.access import visible_case
from engine.services.cases import definition_for_case
from engine.services.cases import load_runtime
from engine.services.cases import start_case
from engine.services.context import EngineContext
from engine.services.steps import save_runtime
from engine.services.steps import with_retries

#: Correlation keys a sender may give, and the subscription column each one matches.
CORRELATION_KEYS = {"办件编号": "case_number", "case_number": "case_number",
                    "统一社会信用代码": "credit_code", "credit_code": "credit_code"}
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_SIGNAL_CASES = 500
_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "number": (int, float), "boolean": (bool,),
                                       "object": (dict,), "list": (list,)}


@dataclass(frozen=True)
class DeliveredTo:
    case_id: int
    case_number: str
    status: str


@dataclass(frozen=True)
class MessageResult:
    kind: str
    name: str
    delivered: tuple[DeliveredTo, ...]
    #: True when the message started the case it was delivered to.
    started: bool


def _correlation(keys: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in keys.items():
        column = CORRELATION_KEYS.get(key)
        if column is None:
            raise FormDataInvalid({"correlation": f"不支持的关联键“{key}”，可用：办件编号、统一社会信用代码"})
        if not isinstance(value, str) or not value.strip():
            raise FormDataInvalid({"correlation": f"关联键“{key}”的值应为非空字符串"})
        found[column] = value.strip()
    return found


def check_payload(definition: CompiledDefinition | None, name: str, payload: Any) -> dict[str, Any]:
    """The payload as delivered, or :raise FormDataInvalid: naming each field that is wrong."""
    if not isinstance(payload, dict):
        raise FormDataInvalid({"payload": "消息内容应为 JSON 对象"})
    if len(json.dumps(payload, ensure_ascii=False, default=str).encode()) > MAX_PAYLOAD_BYTES:
        raise FormDataInvalid({"payload": f"消息内容超过 {MAX_PAYLOAD_BYTES // 1024} KB"})
    bad = [k for k in payload if not isinstance(k, str) or not k.isidentifier() or k.startswith("_")]
    if bad:
        raise FormDataInvalid({"payload": f"字段名应为不以下划线开头的标识符：{'、'.join(map(str, bad))}"})
    declared = (definition.metadata.extra.get("messages", {}).get(name, {}) if definition is not None else {})
    fields = declared.get("payload") if isinstance(declared, dict) else None
    if not isinstance(fields, dict):
        return dict(payload)
    errors: dict[str, str] = {}
    for key, spec in fields.items():
        optional = str(spec).endswith("?")
        kind = str(spec).rstrip("?")
        if key not in payload:
            if not optional:
                errors[key] = "缺少此字段"
            continue
        value = payload[key]
        if not isinstance(value, _TYPES.get(kind, (object,))) or (kind == "number" and isinstance(value, bool)):
            errors[key] = f"应为 {kind}"
    for key in payload:
        if key not in fields:
            errors[key] = "消息定义中没有此字段"
    if errors:
        raise FormDataInvalid(errors)
    return dict(payload)


def _may_send(ctx: EngineContext, actor: Actor) -> bool:
    """Integration accounts and operators send to any case; department staff only to cases they see."""
    return actor.in_any(ctx.settings.message_groups) or actor.user_id == "system"


def _is_staff(actor: Actor) -> bool:
    return bool(actor.groups - NOT_STAFF_GROUPS - {"auditor"})


def _deliver_one(ctx: EngineContext, case_id: int, kind: str, name: str, payload: Any, actor: Actor,
                 correlation: dict[str, str]) -> DeliveredTo | None:
    """One case's step; None when it no longer waits (someone else delivered first)."""

    def step() -> DeliveredTo | None:
        with ctx.uow() as uow:
            if not _may_send(ctx, actor):
                visible_case(uow, case_id, actor)  # department staff: only cases they see (else 404)
            case = lock_case(uow, case_id)
            if case is None:
                return None
            if case.status == "suspended":
                raise CaseSuspended(case.case_number)
            checked = check_payload(definition_for_case(ctx, uow, case), name, payload)
            runtime = load_runtime(ctx, uow, case)
            now = ctx.clock.now()
            with clock_bound(ctx.clock), capture(runtime.workflow) as buffer:
                if not runtime.deliver(kind, name, checked):
                    return None
            append_history(uow, case, occurred_at=now, event_type=f"{kind}_received", actor_id=actor.user_id,
                           actor_role=actor.role_label, element_name=name,
                           payload=to_json({"name": name, "correlation": correlation, "payload": checked}))
            save_runtime(uow, case, runtime, buffer.transitions, actor, now, legal=ctx.legal,
                         webhooks=ctx.settings.webhooks)
            uow.commit()
            ctx.keep_runtime(case.id, case.lock_version, runtime)
            return DeliveredTo(case.id, case.case_number, case.status)

    return with_retries(ctx.settings.conflict_retries, step)


def _start_by_message(ctx: EngineContext, matter_code: str, name: str, payload: Any, actor: Actor,
                      correlation: dict[str, str]) -> MessageResult:
    with ctx.uow() as uow:
        _record, compiled = ctx.latest_definition(uow, matter_code)
    starts = [event for event, message in start_events(compiled.spec).items() if message == name]
    if not starts:
        raise MessageNotCorrelated(f"没有等待消息“{name}”的办件，事项“{matter_code}”也没有由该消息启动的启动事件")
    checked = check_payload(compiled, name, payload)
    view = start_case(ctx, matter_code, actor, {}, start_event=starts[0])
    delivered = _deliver_one(ctx, view.id, "message", name, checked, actor, correlation)
    if delivered is None:
        raise MessageNotCorrelated(f"消息启动事件“{starts[0]}”未能接收消息“{name}”")
    return MessageResult("message", name, (delivered,), started=True)


def send_message(ctx: EngineContext, actor: Actor, name: str, *, kind: str = "message",
                 correlation: Mapping[str, Any] | None = None, payload: Any = None,
                 matter_code: str | None = None) -> MessageResult:
    """Deliver a message (or signal) to the case(s) waiting for it, or start a case with it.

    :raise FormDataInvalid: bad name, keys or payload (nothing delivered).
    :raise MessageNotCorrelated: nobody waits for it and it starts nothing.
    :raise MessageAmbiguous: a message several cases wait for under the keys given.
    :raise NotAllowed: the actor may not send messages.
    """
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise FormDataInvalid({"name": "请填写消息名称（不超过 200 字）"})
    if kind not in ("message", "signal"):
        raise FormDataInvalid({"kind": "kind 只能为 message 或 signal"})
    if not _may_send(ctx, actor) and not _is_staff(actor):
        raise NotAllowed("您无权发送流程消息")
    keys = _correlation(correlation or {})
    payload = {} if payload is None else payload
    check_payload(None, name, payload)
    with ctx.uow() as uow:
        waiting = waiting_cases(uow, kind, name, case_number=keys.get("case_number"),
                                credit_code=keys.get("credit_code"), limit=MAX_SIGNAL_CASES)
    case_ids = list(dict.fromkeys(row.case_id for row in waiting))
    if kind == "message" and len(case_ids) > 1:
        raise MessageAmbiguous(f"有 {len(case_ids)} 个办件在等待消息“{name}”，请用办件编号指明其一")
    if not case_ids:
        if kind == "message" and matter_code and not keys:
            return _start_by_message(ctx, matter_code, name, payload, actor, keys)
        raise MessageNotCorrelated(f"没有办件在等待{'消息' if kind == 'message' else '信号'}“{name}”"
                                   + ("（按所给关联键）" if keys else ""))
    delivered = tuple(d for d in (_deliver_one(ctx, case_id, kind, name, payload, actor, keys)
                                  for case_id in case_ids) if d is not None)
    if not delivered:
        raise MessageNotCorrelated(f"等待消息“{name}”的办件已由其他消息推进")
    return MessageResult(kind, name, delivered, started=False)
