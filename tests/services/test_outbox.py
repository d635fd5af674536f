"""Case events reach configured webhooks through the outbox: written with the step, signed, retried
with back-off under the same delivery id, given up after the last attempt. A local HTTP server
plays the receiver."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.errors import FormDataInvalid
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from engine.services.outbox import deliver_due
from engine.settings import EngineSettings
from engine.settings import Webhook
from tests.conftest import dept_actor

SECRET = "s3cret-for-tests"


class Receiver:
    """A local webhook receiver; ``failures`` answers 500 that many times first."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any], bytes]] = []
        self.failures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_response(500)
                else:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def hooked(settings: EngineSettings, clock: FixedClock, receiver: Receiver, designer: Actor) -> Iterator[EngineContext]:
    ctx = EngineContext.create(dataclasses.replace(settings, webhooks=(Webhook("registry", receiver.url, SECRET),),
                                                   webhook_attempts=3), clock)
    deploy_path(ctx, settings.processes_dir / "timer_review", designer)
    yield ctx
    ctx.dispose()


def test_step_events_are_delivered_signed_with_their_delivery_id(hooked: EngineContext, receiver: Receiver) -> None:
    view = cases.start_case(hooked, "timer_review", Actor.system())
    tasks.complete_task(hooked, view.id, view.open_tasks[0].task_uuid, {"a_opinion": "approve"}, dept_actor("a_cb"))
    assert deliver_due(hooked) == 2
    events = [(body["event"], body["data"]) for _, body, _ in receiver.received]
    assert events[0] == ("task.opened", {"element_id": "review", "name": "审查", "candidate_groups": ["a_cb"]})
    assert ("case.status_changed", {"from": "running", "to": "completed"}) in events
    for headers, body, raw in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        assert headers["x-onewindow-signature"] == expected and body["case_number"] == view.case_number
    assert len({headers["x-onewindow-delivery"] for headers, _, _ in receiver.received}) == 2
    assert deliver_due(hooked) == 0  # each delivered once


def test_a_failed_delivery_is_retried_later_with_the_same_id(hooked: EngineContext, receiver: Receiver,
                                                             clock: FixedClock) -> None:
    cases.start_case(hooked, "timer_review", Actor.system())
    receiver.failures = 1
    assert deliver_due(hooked) == 0
    assert deliver_due(hooked) == 0  # backing off: not due again yet
    clock.advance(minutes=1)
    assert deliver_due(hooked) == 1
    [(headers, body, _)] = receiver.received
    assert body["event"] == "task.opened" and headers["x-onewindow-delivery"]


def test_deliveries_are_given_up_after_the_last_attempt(hooked: EngineContext, receiver: Receiver,
                                                        clock: FixedClock) -> None:
    cases.start_case(hooked, "timer_review", Actor.system())
    receiver.failures = 10
    for _ in range(3):
        deliver_due(hooked)
        clock.advance(hours=1)
    assert deliver_due(hooked) == 0 and receiver.received == []
    from engine.services.operations.console import outbox_overview

    overview = outbox_overview(hooked, Actor("ops1", "", frozenset({"admin"})))
    assert overview.counts == {"failed": 1} and "HTTP 500" in overview.failed[0].last_error


def test_a_step_that_did_not_commit_sends_nothing(hooked: EngineContext, receiver: Receiver) -> None:
    view = cases.start_case(hooked, "timer_review", Actor.system())
    deliver_due(hooked)
    with pytest.raises(FormDataInvalid):
        tasks.complete_task(hooked, view.id, view.open_tasks[0].task_uuid, {"a_opinion": "maybe"}, dept_actor("a_cb"))
    assert deliver_due(hooked) == 0 and len(receiver.received) == 1
