"""A service task calls an allowlisted HTTP endpoint through the outbox: the request is staged with
the step, delivered by the worker under one idempotency id, its JSON answer written into the case
data and the case goes on; a call that keeps failing becomes an incident that the console retries.
A local ``http.server`` plays the outside system; the clock is injected."""

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
from engine.definitions.bundles import collect_matter_files
from engine.errors import DefinitionInvalid
from engine.services import cases
from engine.services import design
from engine.services.context import EngineContext
from engine.services.deploy import deploy_files
from engine.services.deploy import deploy_path
from engine.services.operations.incidents import list_incidents
from engine.services.operations.incidents import retry_incident
from engine.services.operations.interventions import move_token
from engine.services.operations.interventions import terminate_case
from engine.services.service_calls import deliver_service_calls
from engine.services.service_calls import pending_calls
from engine.settings import EngineSettings
from engine.settings import ServiceEndpoint
from tests.conftest import FIXTURES
from tests.readback import get_case

SECRET = "registry-secret"
OPERATOR = Actor("ops1", "运维", frozenset({"admin"}))
FOLDER = FIXTURES / "elements" / "el_http_service"


class Registry:
    """The outside system: answers ``answer`` as JSON, or 503 ``failures`` times first."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], Any, bytes]] = []
        self.failures = 0
        self.redirect_to = ""
        self.answer: bytes = json.dumps({"registered": True, "certificate_no": "苏(2025)临江县不动产权第0001号"},
                                        ensure_ascii=False).encode()
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                registry.received.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(raw), raw))
                if registry.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", registry.redirect_to)
                    self.end_headers()
                    return
                if registry.failures > 0:
                    registry.failures -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(registry.answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/check"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def registry() -> Iterator[Registry]:
    found = Registry()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def calling(settings: EngineSettings, clock: FixedClock, registry: Registry,
            designer: Actor) -> Iterator[EngineContext]:
    endpoint = ServiceEndpoint("property_registry", registry.url, SECRET)
    ctx = EngineContext.create(dataclasses.replace(settings, service_endpoints=(endpoint,),
                                                   service_call_attempts=3), clock)
    deploy_path(ctx, FOLDER, designer)
    yield ctx
    ctx.dispose()


def _ended_at(ctx: EngineContext, case_id: int) -> set[str]:
    return {h.element_id for h in cases.case_history(ctx, case_id)
            if h.to_state == "COMPLETED" and h.element_id.startswith("end")}


def test_the_answer_is_written_into_the_case_and_the_case_goes_on(calling: EngineContext, registry: Registry) -> None:
    view = cases.start_case(calling, "el_http_service", Actor.system())
    assert view.status == "running" and view.open_tasks == () and registry.received == []  # not called inline
    [waiting] = pending_calls(calling, view.id)
    assert deliver_service_calls(calling) == 1
    [(headers, body, raw)] = registry.received
    assert body == {"credit_code": "91350100M000100Y43", "area": 240}  # parameters evaluated on the case data
    assert headers["idempotency-key"] == waiting.delivery_id == headers["x-onewindow-delivery"]
    assert headers["x-onewindow-signature"] == "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    done = get_case(calling, view.id)
    assert done.status == "completed" and done.data["registry"]["certificate_no"].endswith("第0001号")
    assert _ended_at(calling, view.id) == {"end_registered"}
    answered = [h for h in cases.case_history(calling, view.id) if h.event_type == "service_call_answered"]
    assert [h.element_id for h in answered] == ["registry_check"]
    assert pending_calls(calling, view.id) == [] and deliver_service_calls(calling) == 0  # called once


def test_a_failed_call_is_retried_after_a_back_off_under_the_same_id(calling: EngineContext, registry: Registry,
                                                                      clock: FixedClock) -> None:
    view = cases.start_case(calling, "el_http_service", Actor.system())
    registry.failures = 1
    assert deliver_service_calls(calling) == 0
    assert deliver_service_calls(calling) == 0  # backing off: not sent again yet
    assert get_case(calling, view.id).status == "running"
    clock.advance(minutes=1)
    assert deliver_service_calls(calling) == 1
    assert len({headers["idempotency-key"] for headers, _, _ in registry.received}) == 1
    assert len(registry.received) == 2 and get_case(calling, view.id).status == "completed"


def test_an_answer_that_is_not_json_counts_as_a_failure(calling: EngineContext, registry: Registry) -> None:
    view = cases.start_case(calling, "el_http_service", Actor.system())
    registry.answer = b"<html>ok</html>"
    assert deliver_service_calls(calling) == 0
    [row] = pending_calls(calling, view.id)
    assert row.last_error == "应答不是 JSON" and row.attempts == 1


def test_a_call_failing_to_the_last_attempt_is_an_incident_that_retry_resolves(
        calling: EngineContext, registry: Registry, clock: FixedClock) -> None:
    view = cases.start_case(calling, "el_http_service", Actor.system())
    registry.failures = 3
    for _ in range(3):
        deliver_service_calls(calling)
        clock.advance(hours=1)
    failed = get_case(calling, view.id)
    assert failed.status == "failed" and pending_calls(calling, view.id) == []
    [incident] = list_incidents(calling, OPERATOR)
    assert (incident.kind_name, incident.element_id) == ("服务调用", "registry_check")
    assert all(part in incident.message for part in ("property_registry", "已尝试 3 次", "HTTP 503"))
    first_id = registry.received[0][0]["idempotency-key"]

    registry.answer = b'{"registered": false}'
    retried = retry_incident(calling, incident.id, {"area": 130}, OPERATOR, "登记中心已恢复服务")
    assert retried.status == "running"  # the retry made a new request; it waits for the worker again
    assert deliver_service_calls(calling) == 1
    headers, body, _ = registry.received[-1]
    assert headers["idempotency-key"] != first_id and body["area"] == 260  # the fix applied to the new request
    assert get_case(calling, view.id).status == "completed"
    assert _ended_at(calling, view.id) == {"end_unregistered"}


def test_an_endpoint_not_in_the_allowlist_is_refused_at_deploy(settings: EngineSettings, clock: FixedClock,
                                                                designer: Actor) -> None:
    ctx = EngineContext.create(dataclasses.replace(settings, service_endpoints=()), clock)
    try:
        with pytest.raises(DefinitionInvalid) as refused:
            deploy_path(ctx, FOLDER, designer)
    finally:
        ctx.dispose()
    [problem] = refused.value.problems
    assert (problem.file, problem.element_id) == ("el_http_service/el_http_service.bpmn", "registry_check")
    assert "HTTP 端点“property_registry”不在允许清单" in problem.problem


def test_a_request_nothing_waits_for_any_more_is_not_sent(calling: EngineContext, registry: Registry) -> None:
    terminated = cases.start_case(calling, "el_http_service", Actor.system())
    terminate_case(calling, terminated.id, OPERATOR, "申请人撤回")
    assert pending_calls(calling, terminated.id) == []
    moved = cases.start_case(calling, "el_http_service", Actor.system())
    [first] = pending_calls(calling, moved.id)
    move_token(calling, moved.id, OPERATOR, "registry_check", "核验参数有误，重新核验")
    [again] = pending_calls(calling, moved.id)  # the moved-to task made a new request; the first is cancelled
    assert again.delivery_id != first.delivery_id
    assert deliver_service_calls(calling) == 1
    [(headers, _, _)] = registry.received  # nothing sent for the terminated case or the cancelled request
    assert headers["idempotency-key"] == again.delivery_id
    assert get_case(calling, moved.id).status == "completed"


def test_a_case_waiting_for_its_answer_migrates_to_a_new_version(calling: EngineContext, registry: Registry,
                                                                   designer: Actor) -> None:
    view = cases.start_case(calling, "el_http_service", Actor.system())
    files = collect_matter_files(FOLDER, calling.settings.forms_dir)
    files["matter.toml"] = files["matter.toml"].replace('name = "', 'name = "（第二版）', 1)
    assert deploy_files(calling, files, designer).version == 2
    [plan] = design.plan_migration(calling, "el_http_service", 2, designer)
    assert plan.can_migrate and "不动产登记核验" in plan.waiting_on
    [moved] = design.migrate_cases(calling, "el_http_service", 2, designer)
    assert moved.migrated
    assert deliver_service_calls(calling) == 1 and get_case(calling, view.id).status == "completed"


EXTERNAL_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_ext" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Process_ext" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_registry" />
    <bpmn:serviceTask id="Task_registry" name="不动产登记核验" camunda:type="external" camunda:topic="TOPIC">
      <bpmn:extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="credit_code">${'91350100M000100Y43'}</camunda:inputParameter>
          <camunda:inputParameter name="purpose">核验</camunda:inputParameter>
        </camunda:inputOutput>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_registry" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>"""
EXTERNAL_METADATA = {"code": "external_check", "name": "外部任务核验", "department": "测试审批局",
                     "implementation_code": "11320700014252401B3000180009003", "case_type": "承诺件",
                     "statutory_limit_wd": "20", "promised_limit_wd": "5"}


def test_a_camunda_external_task_on_an_allowlisted_topic_is_imported_as_a_call(
        calling: EngineContext, registry: Registry, designer: Actor) -> None:
    upload = {"external.bpmn": EXTERNAL_TASK.replace("TOPIC", "property_registry").encode()}
    preview = design.prepare_camunda_import(calling, upload, EXTERNAL_METADATA, designer)
    assert preview.problems == ()
    [translation] = [t for t in preview.translations if t.element_id == "Task_registry"]
    assert translation.what == "外部任务 → HTTP 服务任务" and "credit_code = '91350100M000100Y43'" in translation.after
    design.import_camunda_bundle(calling, upload, EXTERNAL_METADATA, designer)
    view = cases.start_case(calling, "external_check", Actor.system())
    assert deliver_service_calls(calling) == 1
    assert registry.received[0][1] == {"credit_code": "91350100M000100Y43", "purpose": "核验"}
    done = get_case(calling, view.id)
    assert done.status == "completed" and done.data["property_registry"]["registered"] is True


def test_an_external_task_on_another_topic_is_refused_naming_the_allowlist(calling: EngineContext,
                                                                             designer: Actor) -> None:
    upload = {"external.bpmn": EXTERNAL_TASK.replace("TOPIC", "payment_worker").encode()}
    with pytest.raises(DefinitionInvalid) as refused:
        design.import_camunda_bundle(calling, upload, EXTERNAL_METADATA, designer)
    problems = [p for p in refused.value.problems if p.element_id == "Task_registry"]
    assert problems and any("ONEWINDOW_SERVICE_ENDPOINTS" in p.problem for p in problems)


def test_a_redirect_is_a_failed_attempt_not_followed(calling: EngineContext, registry: Registry) -> None:
    view = cases.start_case(calling, "el_http_service", Actor.system())
    registry.redirect_to = "http://127.0.0.1:9/elsewhere"
    assert deliver_service_calls(calling) == 0
    [row] = pending_calls(calling, view.id)
    assert row.last_error == "HTTP 302" and len(registry.received) == 1
