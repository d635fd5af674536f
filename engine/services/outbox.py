"""Case events to the configured webhooks: staged in the step's transaction, delivered by the worker.

A step that changes a case's status, opens tasks or raises an incident stages one outbox row per
interested webhook (``EngineSettings.webhooks``), in the same transaction as the state, so an event
is sent if and only if its step committed. The worker posts each row as JSON, signed with
HMAC-SHA256 (``X-OneWindow-Signature: sha256=<hex>``), with the row's ``delivery_id`` as the
idempotency key (``X-OneWindow-Delivery``, the same on every retry); a failure is retried with
exponential back-off and given up after ``webhook_attempts``, then shown on the operations console.
Service tasks' HTTP requests share the table (``stage_calls``; delivered by ``service_calls``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import datetime
from datetime import timedelta
from typing import Any

from engine.errors import CaseFailed
from engine.persistence.repositories.outbox import SERVICE_CALL
from engine.persistence.repositories.outbox import add_events
from engine.persistence.repositories.outbox import cancel_calls
from engine.persistence.repositories.outbox import due_deliveries
from engine.persistence.repositories.outbox import mark_delivered
from engine.persistence.repositories.outbox import mark_failed_attempt
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff.http_task import calls_out
from engine.runtime.spiff.http_task import take_unstaged_calls
from engine.runtime.spiff.http_task import waiting_calls
from engine.services.context import EngineContext
from engine.settings import Webhook

log = logging.getLogger(__name__)

#: (url, body, headers) -> HTTP status; raises OSError on a network failure. Tests pass their own.
Sender = Callable[[str, bytes, dict[str, str]], int]


def stage_step_events(uow: UnitOfWork, webhooks: tuple[Webhook, ...], case: CaseRow, status_before: str,
                      opened: list[Any], failure: CaseFailed | None, now: datetime) -> None:
    """The events of one saved step: status changed, tasks opened, incident raised."""
    if case.status != status_before:
        stage_event(uow, webhooks, case, "case.status_changed", {"from": status_before, "to": case.status}, now)
    for task in opened:
        stage_event(uow, webhooks, case, "task.opened", {"element_id": task.element_id, "name": task.name,
                                                          "candidate_groups": list(task.candidate_groups)}, now)
    if failure is not None:
        stage_event(uow, webhooks, case, "incident.raised", {"element_id": failure.element_id,
                                                              "error": failure.message}, now)


def stage_event(uow: UnitOfWork, webhooks: tuple[Webhook, ...], case: CaseRow, event_type: str,
                data: dict[str, Any], now: datetime) -> None:
    """One outbox row per webhook that wants ``event_type`` (nothing at all when none is configured)."""
    hooks = [h for h in webhooks if not h.events or event_type in h.events]
    if not hooks:
        return
    body = {"event": event_type, "case_id": case.id, "case_number": case.case_number,
            "matter_code": case.matter_code, "status": case.status, "occurred_at": now.isoformat(), "data": data}
    text = json.dumps(body, ensure_ascii=False, default=str)
    add_events(uow, [{"case_id": case.id, "webhook": h.name, "delivery_id": str(uuid.uuid4()),
                      "event_type": event_type, "payload_json": text, "status": "pending", "attempts": 0,
                      "next_attempt_at": now, "last_error": "", "created_at": now, "delivered_at": None}
                     for h in hooks])


def stage_calls(uow: UnitOfWork, case: CaseRow, runtime: CaseRuntime, now: datetime) -> None:
    """Write the requests made in this step to the outbox (call before the state is dumped), and
    cancel the ones nothing waits for any more (the case was terminated or its token moved)."""
    if not calls_out(runtime.workflow):
        return
    rows = []
    for call in take_unstaged_calls(runtime.workflow):
        payload = {"task_id": call.task_id, "element_id": call.element_id, "element_name": call.element_name,
                   "body": call.body}
        rows.append({"case_id": case.id, "webhook": call.endpoint, "delivery_id": call.call_id,
                     "event_type": SERVICE_CALL, "payload_json": json.dumps(payload, ensure_ascii=False, default=str),
                     "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": "",
                     "created_at": now, "delivered_at": None})
    live = set() if runtime.terminated else {call.call_id for call in waiting_calls(runtime.workflow)}
    cancel_calls(uow, case.id, live)
    add_events(uow, rows)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - configured URL
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured URL
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most a day."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(days=1))


def deliver_due(ctx: EngineContext, send: Sender = http_post, limit: int = 100) -> int:
    """Post every due delivery once; returns how many were delivered."""
    hooks: dict[str, Webhook] = {h.name: h for h in ctx.settings.webhooks}
    delivered = 0
    with ctx.uow() as uow:
        now = ctx.clock.now()
        for row in due_deliveries(uow, now, limit):  # webhook events only (not service calls)
            hook = hooks.get(row.webhook)
            body = row.payload_json.encode("utf-8")
            error = ""
            if hook is None:
                error = f"webhook {row.webhook} is no longer configured"
            else:
                headers = {"Content-Type": "application/json; charset=utf-8", "X-OneWindow-Event": row.event_type,
                           "X-OneWindow-Delivery": row.delivery_id,
                           "X-OneWindow-Signature": signature(hook.secret, body)}
                try:
                    status = send(hook.url, body, headers)
                    error = "" if 200 <= status < 300 else f"HTTP {status}"
                except OSError as exc:
                    error = f"{type(exc).__name__}: {exc}"
            if not error:
                mark_delivered(uow, row.id, now)
                delivered += 1
            else:
                attempts = row.attempts + 1
                mark_failed_attempt(uow, row.id, error, now + backoff(attempts),
                                    give_up=attempts >= ctx.settings.webhook_attempts)
                log.info("webhook delivery %s failed (attempt %s): %s", row.delivery_id, attempts, error)
        uow.commit()
    return delivered
