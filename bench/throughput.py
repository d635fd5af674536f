"""End-to-end throughput through the REST API: completed 食品经营许可 cases per second, and per core.

Run from the repository root::

    python bench/throughput.py [--clients 4,8] [--cases 80] [--workers 2] [--databases postgresql,sqlite]

What it does, for each database (a throwaway PostgreSQL database, then a throwaway SQLite file):

1. ``onewindow init --demo`` (migrations, calendar, ``processes/``, demo accounts, sample hall), and one
   API token each for the applicant (``demo_enterprise``), the window clerk, the reviewer and the chief;
2. serves it with gunicorn as ``onewindow serve`` starts it (``--workers`` workers × 4 gthread threads);
3. for each client count, that many client threads (each on its own keep-alive connection) take the
   next case until ``--cases`` cases are finished, each case driven the whole way through /api/v1:
   start the application with the form prefilled, submit it (applicant), then as each department's
   token look the case up, claim the open task and complete it (收件受理, 审查 with the site check,
   批准 granting the licence, 窗口领取 of the certificate), and the applicant's 评价; 12 requests a
   case, every answer checked (a case that ends anywhere but 已办结 with the licence issued is an error);
4. prints completed cases/s (cases over wall time from the first request to the last answer),
   cases/s per core and the request latency p50/p95, beside Camunda 8's published figure.

Cores are ``os.cpu_count()`` of this machine, which runs the server, PostgreSQL *and* the clients:
all share the cores, so the per-core figure charges the clients' and database's work to the server.
Camunda 8's published benchmark (51 completed process instances/s on 9 broker vCPU, 5.7 per vCPU)
counts broker cores only, with clients and exporters elsewhere. Warm-up cases (one per client, not
timed) fill each worker's caches first. Nothing here asserts; it prints what it measured. The last
lines are ``cases_per_s=<best>`` and ``cases_per_s_per_core=<best>`` (PostgreSQL, best client count).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
logging.getLogger("spiff").addHandler(logging.NullHandler())
logging.getLogger("spiff").propagate = False


from bench.harness import database  # noqa: E402
from bench.harness import free_port  # noqa: E402
from engine.services.accounts import actor_for  # noqa: E402
from engine.services.accounts import create_api_token  # noqa: E402
from engine.services.context import EngineContext  # noqa: E402
from engine.settings import EngineSettings  # noqa: E402

DEFAULT_PG_URL = os.environ.get("ONEWINDOW_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BIN = Path(sys.executable).parent
API = "/api/v1"
CAMUNDA_PER_S, CAMUNDA_VCPU = 51.0, 9

APPLICATION = {
    "operator_name": "玄武区小王面馆", "uscc": "91320100MA1M11110A", "legal_representative": "王小明",
    "premises_address": "南京市玄武区中山路1号", "business_items": ["hot_food", "cold_food"],
    "premises_area_m2": 80, "contact_mobile": "13800138000", "delivery_method": "window",
}
#: (task, who works it, its form values) in the order the ordinary path asks for them.
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("rc_check", "window", {"reception_decision": "accept", "reception_note": "材料齐全"}),
    ("review", "review", {"review_result": "pass", "review_note": "材料符合要求，现场核查符合",
                          "site_check_result": "conforming", "site_inspectors": "李明、赵强",
                          "site_check_date": "2025-09-26"}),
    ("approve", "chief", {"decision": "grant", "decision_reason": "符合食品经营许可条件，准予许可"}),
    ("dl_pickup", "window", {"picked_up_by": "王小明", "pickup_id_number": "11010519491231002X"}),
]
RATING = {"rating": "satisfied", "rating_comment": "办事很快"}
USERS = {"applicant": "demo_enterprise", "window": "demo_window", "review": "demo_scjg_review",
         "chief": "demo_scjg_chief"}


# -- database and server -------------------------------------------------------------------------


def server_env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "ONEWINDOW_SECRET_KEY": "bench-" + "k" * 40,
            "ONEWINDOW_HISTORY_KEY": "bench-history-" + "h" * 40, "ONEWINDOW_SECURE_COOKIES": "0"}


def prepare(url: str) -> dict[str, str]:
    """``init --demo`` and an API token per role."""
    subprocess.run([str(BIN / "onewindow"), "init", "--demo"], env=server_env(url), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = EngineContext.create(EngineSettings(database_url=url))
    try:
        tokens = {}
        for role, username in USERS.items():
            actor = actor_for(ctx, username)
            if actor is None:
                raise RuntimeError(f"no demo account {username}")
            tokens[role] = create_api_token(ctx, actor, f"throughput bench {role}")
        return tokens
    finally:
        ctx.dispose()


@contextlib.contextmanager
def served(url: str, port: int, workers: int) -> Iterator[None]:
    process = subprocess.Popen([str(BIN / "onewindow"), "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", str(workers)], env=server_env(url), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(20)


# -- one client ----------------------------------------------------------------------------------


class BenchFailure(RuntimeError):
    pass


@dataclass
class Client:
    """One system on one keep-alive connection, calling with the token of whichever role acts."""

    port: int
    tokens: dict[str, str]
    latencies: list[float] = field(default_factory=list)
    conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, role: str, body: Any = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            started = time.perf_counter()
            try:
                self.conn.request(method, API + path, body=payload, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                self.conn.close()  # gunicorn closed an idle keep-alive connection: once more, on a new one
                self.conn = None
                if attempt:
                    raise
                continue
            self.latencies.append(time.perf_counter() - started)
            if response.status not in (200, 201):
                raise BenchFailure(f"{method} {path} as {role}: HTTP {response.status} {raw[:300]!r}")
            return json.loads(raw)
        raise AssertionError("unreachable")

    def open_task(self, case: dict[str, Any], element: str) -> str:
        for task in case["open_tasks"]:
            if task["element_id"] == element:
                return str(task["task_uuid"])
        raise BenchFailure(f"case {case['id']}: no open {element} (open: "
                           f"{[t['element_id'] for t in case['open_tasks']]})")

    def one_case(self) -> None:
        """The food permit from application to certificate (12 requests)."""
        case = self.call("POST", "/matters/food_business/cases", "applicant", {"data": APPLICATION})
        case_id = case["id"]
        apply = self.open_task(case, "apply")
        self.call("POST", f"/cases/{case_id}/tasks/{apply}/complete", "applicant", {"data": APPLICATION})
        case = self.call("GET", f"/cases/{case_id}", "window")
        for element, role, values in STEPS:
            task = self.open_task(case, element)
            self.call("POST", f"/cases/{case_id}/tasks/{task}/claim", role)
            case = self.call("POST", f"/cases/{case_id}/tasks/{task}/complete", role, {"data": values})
        rating = self.open_task(case, "dl_rating")
        case = self.call("POST", f"/cases/{case_id}/tasks/{rating}/complete", "applicant", {"data": RATING})
        if case["open_tasks"] or case["status"] != "completed":
            raise BenchFailure(f"case {case_id} ended {case['status']} with {case['open_tasks']}")


# -- a run ---------------------------------------------------------------------------------------


@dataclass
class Result:
    clients: int
    cases: int
    seconds: float
    latencies: list[float]

    @property
    def per_s(self) -> float:
        return self.cases / self.seconds


def run(port: int, tokens: dict[str, str], clients: int, cases: int) -> Result:
    """``cases`` cases by ``clients`` concurrent clients (after one untimed warm-up case each)."""
    team = [Client(port, tokens) for _ in range(clients)]
    left = [cases]
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)

    def work(client: Client) -> None:
        try:
            client.one_case()  # warm-up
            client.latencies.clear()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        start.wait()
        while not errors:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            try:
                client.one_case()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in team]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    for client in team:
        if client.conn is not None:
            client.conn.close()
    if errors:
        raise errors[0]
    return Result(clients, cases, seconds, [x for c in team for x in c.latencies])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="4,8", help="client counts, comma-separated")
    parser.add_argument("--cases", type=int, default=80, help="timed cases per client count")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (onewindow serve --workers)")
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    counts = [int(n) for n in args.clients.split(",")]
    print(f"OneWindow end-to-end throughput: 食品经营许可 through /api/v1, application to certificate "
          f"(12 requests a case), gunicorn {args.workers} workers × 4 threads; {cores} cores "
          f"(os.cpu_count()) shared by server, database and clients; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    best: dict[str, float] = {}
    for kind in args.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="onewindow_throughput_") as folder, \
                database(kind, Path(folder), admin_url=args.pg_url) as url:
            tokens = prepare(url)
            port = free_port()
            with served(url, port, args.workers):
                for clients in counts:
                    result = run(port, tokens, clients, args.cases)
                    per_core = result.per_s / cores
                    p50, p95 = percentile(result.latencies, 0.5), percentile(result.latencies, 0.95)
                    best[kind] = max(best.get(kind, 0.0), result.per_s)
                    print(f"  {kind:<10} {clients} clients: {result.cases} cases in {result.seconds:6.2f} s = "
                          f"{result.per_s:5.2f} cases/s = {per_core:4.2f} per core; request p50 "
                          f"{p50:5.1f} ms, p95 {p95:6.1f} ms, "
                          f"mean {statistics.fmean(result.latencies) * 1000:5.1f} ms", flush=True)
    camunda = CAMUNDA_PER_S / CAMUNDA_VCPU
    print(f"Camunda 8 (published): {CAMUNDA_PER_S:.0f} completed instances/s on {CAMUNDA_VCPU} broker vCPU = "
          f"{camunda:.1f} per vCPU (target: beat it per core)")
    main_kind = "postgresql" if "postgresql" in best else next(iter(best))
    print(f"cases_per_s={best[main_kind]:.2f}")
    print(f"cases_per_s_per_core={best[main_kind] / cores:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
