"""Rule: several app servers and timer workers on one PostgreSQL database behave as one server.

Two gunicorn servers and two ``onewindow worker`` processes (real processes, real HTTP) on one
throwaway database: cases driven through both servers alternately end exactly as a case driven
through one; every timer fires once; a calendar change made with the CLI is used by both servers
and both workers from their next request or poll on. (Timers here are real 2-second timers: the
test waits for the worker to fire them, it does not measure how fast.)
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bench.harness import ROOT
from bench.harness import VALID_APPLICATION
from bench.harness import AppServer
from bench.harness import Client
from bench.harness import Tally
from bench.harness import TimerWorker
from bench.harness import prepare
from bench.harness import process_env
from bench.harness import settings_for
from engine.clock import CHINA_TZ
from engine.persistence.repositories.cases import all_cases
from engine.persistence.repositories.history import history_of_case
from engine.services.calendar import reload_calendar
from engine.services.context import EngineContext
from tests.databases import empty_database

pytestmark = pytest.mark.postgres
PROBE = ROOT / "bench" / "matters" / "calendar_probe"
STAGES = (("a_cb", "b_cb"), ("a_sh", "b_sh"), ("a_pz", "b_pz"))
FORMS = {"a": {"a_opinion": "approve", "a_comment": "住建同意"}, "b": {"b_opinion": "approve", "b_comment": "城管同意"}}


@pytest.fixture
def hall(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, str], list[int]]]:
    """Database URL, API tokens and the ports of two app servers; two timer workers are polling."""
    with empty_database("postgresql", tmp_path, request) as url:
        tokens = prepare(url, ("parallel_review", PROBE))
        servers = [AppServer(url, workers=1, threads=4, log=tmp_path / f"server{i}.log") for i in range(2)]
        workers = [TimerWorker(url, 0.5, log=tmp_path / f"worker{i}.log") for i in range(2)]
        try:
            for server in servers:
                server.start()
            for worker in workers:
                worker.start()
            yield url, tokens, [server.port for server in servers]
        finally:
            for server in servers:
                server.stop()
            for worker in workers:
                worker.kill(15)


def _ok(answer: tuple[int, dict[str, Any]] | None, status: int = 200) -> dict[str, Any]:
    assert answer is not None and answer[0] == status, answer
    return answer[1]


def _drive_parallel_review(client: Client, tokens: dict[str, str], ports: list[int]) -> int:
    """File and finish one case, each request to the next server in ``ports`` (round robin)."""
    turn = iter(range(1000))

    def port() -> int:
        return ports[next(turn) % len(ports)]

    case = _ok(client.call("POST", "/api/v1/matters/parallel_review/cases", tokens["applicant"], {}, port=port()),
               201)
    submit = next(t["task_uuid"] for t in case["open_tasks"] if t["element_id"] == "submit")
    _ok(client.call("POST", f"/api/v1/cases/{case['id']}/tasks/{submit}/complete", tokens["applicant"],
                    {"data": VALID_APPLICATION}, port=port()))
    for stage in STAGES:
        for element in stage:
            side = element[0]
            seen = _ok(client.call("GET", f"/api/v1/cases/{case['id']}", tokens[f"dept_{side}"], port=port()))
            task = next(t["task_uuid"] for t in seen["open_tasks"] if t["element_id"] == element)
            _ok(client.call("POST", f"/api/v1/cases/{case['id']}/tasks/{task}/complete", tokens[f"dept_{side}"],
                            {"data": FORMS[side]}, port=port()))
    return int(case["id"])


def _probe(client: Client, tokens: dict[str, str], port: int) -> tuple[int, dict[str, Any]]:
    """A calendar probe filed and submitted through ``port``: its first task's due date was
    computed by that server's calendar (``workday_deadline(2)``)."""
    case = _ok(client.call("POST", "/api/v1/matters/calendar_probe/cases", tokens["applicant"], {}, port=port), 201)
    submit = next(t["task_uuid"] for t in case["open_tasks"] if t["element_id"] == "submit")
    _ok(client.call("POST", f"/api/v1/cases/{case['id']}/tasks/{submit}/complete", tokens["applicant"],
                    {"data": VALID_APPLICATION}, port=port))
    seen = _ok(client.call("GET", f"/api/v1/cases/{case['id']}", tokens["dept_a"], port=port))
    return int(case["id"]), next(t for t in seen["open_tasks"] if t["element_id"] == "check1")


def _due_day(task: dict[str, Any]) -> date:
    return datetime.fromisoformat(task["due_at"]).astimezone(CHINA_TZ).date()


def _summary(url: str, case_id: int) -> tuple[str, list[str]]:
    ctx = EngineContext.create(settings_for(url))
    try:
        with ctx.uow() as uow:
            case = next(c for c in all_cases(uow) if c.id == case_id)
            return case.status, [f"{r.event_type}:{r.element_id}:{r.to_state}" for r in history_of_case(uow, case_id)]
    finally:
        ctx.dispose()


def test_two_servers_and_two_workers_on_one_database(hall: tuple[str, dict[str, str], list[int]]) -> None:
    url, tokens, ports = hall
    tally = Tally()
    client = Client(ports, tally)
    try:
        _run(url, tokens, ports, client)
    finally:
        client.close()
    assert tally.errors_5xx == 0 and tally.resets == 0


def _run(url: str, tokens: dict[str, str], ports: list[int], client: Client) -> None:
    # Same results as one server: a case through server 1 only, two through both alternately.
    alone = _summary(url, _drive_parallel_review(client, tokens, ports[:1]))
    both = [_summary(url, _drive_parallel_review(client, tokens, order)) for order in (ports, ports[::-1])]
    assert alone[0] == "completed"
    assert all(summary == alone for summary in both)

    # A calendar change made with the CLI is used by both servers at their next request.
    ctx = EngineContext.create(settings_for(url))
    try:
        now = datetime.now(UTC)
        before = reload_calendar(ctx)
        closing = ctx.settings.hall.closing_time
        first_counted = before.due_date(now, 1, office_close=closing).due
        _, task = _probe(client, tokens, ports[0])
        assert _due_day(task) == before.due_date(now, 2, office_close=closing).due
        subprocess.run([sys.executable, "-m", "webapp.cli", "calendar", "close", first_counted.isoformat(), "台风停办"],
                       cwd=ROOT, env=process_env(url), check=True, capture_output=True)
        after = reload_calendar(ctx).due_date(now, 2, office_close=closing).due
    finally:
        ctx.dispose()
    assert after != _due_day(task)
    probes = [_probe(client, tokens, port) for port in ports]
    assert [_due_day(task) for _, task in probes] == [after, after]

    # Timers: each probe's 2-second timer fires once, by one of the two workers, with the new calendar.
    for (case_id, task), port in zip(probes, ports[::-1], strict=True):
        _ok(client.call("POST", f"/api/v1/cases/{case_id}/tasks/{task['task_uuid']}/complete", tokens["dept_a"],
                        {"data": {"a_opinion": "approve"}}, port=port))
    reviews: dict[int, dict[str, Any]] = {}
    give_up = time.monotonic() + 120
    while len(reviews) < len(probes) and time.monotonic() < give_up:
        for case_id, _ in probes:
            seen = _ok(client.call("GET", f"/api/v1/cases/{case_id}", tokens["dept_a"], port=ports[case_id % 2]))
            found = [t for t in seen["open_tasks"] if t["element_id"] == "check2"]
            if found:
                reviews[case_id] = found[0]
        time.sleep(0.5)
    assert sorted(reviews) == sorted(case_id for case_id, _ in probes)
    assert all(_due_day(task) >= after for task in reviews.values())
    for case_id, _ in probes:
        _, events = _summary(url, case_id)
        counts = Counter(e.split(":")[0] for e in events)
        assert counts["timers_fired"] == 1
        assert sum(1 for e in events if e.startswith("task_state_changed:check2:READY")) == 1
