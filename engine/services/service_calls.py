"""Service tasks calling outside systems: staged in the outbox with the step, delivered by the worker.

A service task naming ``http:<endpoint>`` (an allowlisted ``EngineSettings.service_endpoints``
entry, checked at deploy) waits in STARTED with its request (``runtime.spiff.http_task``). The step
that made the request writes it to the outbox in its own transaction, so a request exists exactly
when the state that waits for it was committed. The worker posts it as JSON with the request's id as
the idempotency key (``Idempotency-Key`` and ``X-OneWindow-Delivery``, the same on every attempt),
signed when the endpoint has a secret; a failure is retried with exponential back-off. The JSON
answer is written into the task's result variable and the case goes on, as one step of the case
(history ``service_call_answered``). After ``service_call_attempts`` failures the task goes to
ERROR and the case gets an incident (kind ``service``); the console's retry makes a new request.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from engine.actors import Actor
from engine.errors import CaseFailed
from engine.errors import ConcurrentUpdate
from engine.history import to_json
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.outbox import OutboxRow
from engine.persistence.repositories.outbox import due_deliveries
from engine.persistence.repositories.outbox import lease
from engine.persistence.repositories.outbox import mark_delivered
from engine.persistence.repositories.outbox import mark_failed_attempt
from engine.persistence.repositories.outbox import pending_calls_of_case
from engine.runtime.spiff.http_task import answer_call
from engine.runtime.spiff.http_task import call_task
from engine.runtime.spiff.http_task import give_up_call
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.cases import load_runtime
from engine.services.context import EngineContext
from engine.services.outbox import backoff
from engine.services.outbox import signature
from engine.services.steps import save_runtime
from engine.services.steps import with_retries
from engine.settings import ServiceEndpoint

log = logging.getLogger(__name__)

#: (url, body, headers) -> (HTTP status, response body); raises OSError on a network failure.
Exchange = Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]
#: How long a worker holds the requests it took before another may take them (a crashed worker's).
LEASE = timedelta(minutes=5)
MAX_ANSWER_BYTES = 256 * 1024


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as a failure (``HTTP 302``): following it would call a URL nobody allowlisted."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def http_exchange(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - allowlisted URL
    try:
        with _opener.open(request, timeout=10) as response:
            return int(response.status), response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code), b""


def _call(endpoint: ServiceEndpoint | None, row: OutboxRow, send: Exchange) -> tuple[Any, str]:
    """(the decoded JSON answer, "") or (None, what went wrong)."""
    if endpoint is None:
        return None, f"HTTP 端点“{row.webhook}”已不在允许清单中"
    body = json.dumps(json.loads(row.payload_json)["body"], ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
               "Idempotency-Key": row.delivery_id, "X-OneWindow-Delivery": row.delivery_id}
    if endpoint.secret:
        headers["X-OneWindow-Signature"] = signature(endpoint.secret, body)
    try:
        status, answer = send(endpoint.url, body, headers)
    except OSError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if not 200 <= status < 300:
        return None, f"HTTP {status}"
    if len(answer) > MAX_ANSWER_BYTES:
        return None, f"应答超过 {MAX_ANSWER_BYTES // 1024} KB"
    if not answer.strip():
        return {}, ""
    try:
        return json.loads(answer.decode("utf-8")), ""
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "应答不是 JSON"


def _settle(ctx: EngineContext, row: OutboxRow, answer: Any, error: str) -> bool:
    """One step of the row's case: the answer written back, or the attempt counted (and at the last
    one the task in ERROR with an incident). Returns whether the call was answered."""
    request = json.loads(row.payload_json)
    actor = Actor.system()

    def step() -> bool:
        with ctx.uow(write=True) as uow:
            now = ctx.clock.now()
            attempts = row.attempts + 1
            give_up = bool(error) and attempts >= ctx.settings.service_call_attempts
            if error and not give_up:  # counted, retried after the back-off
                mark_failed_attempt(uow, row.id, error, now + backoff(attempts), give_up=False)
                uow.commit()
                return False
            case = lock_case(uow, row.case_id)
            if case is not None and case.status == "suspended":
                return False  # held: the request is sent again when its lease runs out
            runtime = load_runtime(ctx, uow, case) if case is not None and case.state is not None else None
            task = None if runtime is None else call_task(runtime.workflow, runtime.find_task(request["task_id"]),
                                                          row.delivery_id)
            if case is None or runtime is None or task is None:  # retried, moved or ended since: moot
                if error:
                    mark_failed_attempt(uow, row.id, error, now, give_up=True)
                else:
                    mark_delivered(uow, row.id, now)
                uow.commit()
                return False
            with clock_bound(ctx.clock), capture(runtime.workflow) as buffer:
                if error:
                    give_up_call(task)
                    runtime.failure = CaseFailed(
                        request["element_id"], error, element_name=request.get("element_name", ""),
                        task_uuid=request["task_id"], data=dict(task.data), kind="service",
                        explanation=f"调用 HTTP 端点“{row.webhook}”失败（已尝试 {attempts} 次）：{error}")
                else:
                    append_history(uow, case, occurred_at=now, event_type="service_call_answered",
                                   actor_id=actor.user_id, actor_role=actor.role_label,
                                   element_id=request["element_id"], element_name=request.get("element_name", ""),
                                   task_uuid=request["task_id"],
                                   payload=to_json({"endpoint": row.webhook, "call_id": row.delivery_id,
                                                    "answer": answer}))
                    answer_call(task, answer)
                    runtime.run_engine(kind="service")
            if error:
                mark_failed_attempt(uow, row.id, error, now, give_up=True)
            else:
                mark_delivered(uow, row.id, now)
            save_runtime(uow, case, runtime, buffer.transitions, actor, now, legal=ctx.legal,
                         webhooks=ctx.settings.webhooks)
            uow.commit()
            ctx.keep_runtime(case.id, case.lock_version, runtime)
            return not error

    return with_retries(ctx.settings.conflict_retries, step, backoff_s=ctx.settings.conflict_backoff_s)


def deliver_service_calls(ctx: EngineContext, send: Exchange = http_exchange, limit: int = 50) -> int:
    """Send every due service-task request once; returns how many were answered (and their cases run on)."""
    endpoints = {e.name: e for e in ctx.settings.service_endpoints}
    with ctx.uow(write=True) as uow:  # on SQLite: no second worker takes the same rows meanwhile
        now = ctx.clock.now()
        rows = due_deliveries(uow, now, limit, service_calls=True)
        lease(uow, [row.id for row in rows], now + LEASE)
        uow.commit()
    answered = 0
    for row in rows:
        answer, error = _call(endpoints.get(row.webhook), row, send)
        if error:
            log.info("service call %s to %s failed (attempt %s): %s", row.delivery_id, row.webhook,
                     row.attempts + 1, error)
        try:
            answered += _settle(ctx, row, answer, error)
        except ConcurrentUpdate:  # the case kept moving: the lease runs out and the request is sent again
            log.info("case %s advanced by someone else while settling service call %s", row.case_id,
                     row.delivery_id)
    return answered


def pending_calls(ctx: EngineContext, case_id: int) -> list[OutboxRow]:
    """What a case waits on from outside systems: a wait like an open task or a timer."""
    with ctx.uow() as uow:
        return pending_calls_of_case(uow, case_id)
