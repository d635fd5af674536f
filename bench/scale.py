"""Read paths at a hall's scale: p50/p95/p99 over HTTP at 1k, 10k and 100k cases.

Run from the repository root::

    python bench/scale.py [--sizes 1000,10000,100000] [--requests 40] [--pg-url URL]

What it does, in one run on a throwaway PostgreSQL database:

1. ``onewindow init --demo`` (migrations, calendar, ``processes/``, demo accounts, sample hall);
2. three real 食品经营许可 cases walked through the engine (waiting at the window, waiting for the
   reviewer, granted and rated) and one real looping case of at least 1,000 history events;
3. seeds cases up to each size through a bulk path: copies of the three templates (rows of
   ``cases``, ``human_tasks``, ``history_events``, ``case_deadlines``, ``documents``, with new ids,
   numbers and names), 5% at the window, 15% with the reviewer, 80% finished, in batches of 2,000
   cases per transaction, then ``rebuild_counters`` for the statistics; it prints how long that took;
4. serves with gunicorn as ``onewindow serve`` starts it (2 workers, gthread) and has 4 clients at a
   time request each page ``--requests`` times (after 3 warm-up requests), printing p50/p95/p99 in ms.

Copies carry their template's history rows as they are, so their hash chains do not verify (no
measured page verifies them; the audit page measured is the real long case's). It prints figures;
it asserts nothing. The last line is ``worklist_p95_ms_100k=<ms>`` (for the largest size reached).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import logging
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
logging.getLogger("spiff").addHandler(logging.NullHandler())
logging.getLogger("spiff").propagate = False

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine.actors import Actor  # noqa: E402
from engine.persistence.database import normalize_url  # noqa: E402
from engine.persistence.records import CaseDeadlineRecord  # noqa: E402
from engine.persistence.records import CaseRecord  # noqa: E402
from engine.persistence.records import DocumentRecord  # noqa: E402
from engine.persistence.records import HistoryEventRecord  # noqa: E402
from engine.persistence.records import HumanTaskRecord  # noqa: E402
from engine.persistence.repositories.counters import rebuild_counters  # noqa: E402
from engine.services.accounts import DEMO_PASSWORD  # noqa: E402
from engine.services.accounts import actor_for  # noqa: E402
from engine.services.accounts import create_api_token  # noqa: E402
from engine.services.applications import file_application  # noqa: E402
from engine.services.casework import task_page  # noqa: E402
from engine.services.context import EngineContext  # noqa: E402
from engine.services.deploy import deploy_path  # noqa: E402
from engine.services.tasks import complete_task  # noqa: E402
from engine.settings import EngineSettings  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
DEFAULT_PG_URL = os.environ.get("ONEWINDOW_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BIN = Path(sys.executable).parent
CASES, TASKS, HISTORY = CaseRecord.__table__, HumanTaskRecord.__table__, HistoryEventRecord.__table__
DEADLINES, DOCUMENTS = CaseDeadlineRecord.__table__, DocumentRecord.__table__
BATCH = 2000
CONCURRENCY = 4
WARMUP = 3
TARGET_P95_MS = 50.0
TARGET_GROWTH = 1.5
AUDIT_EVENTS = 1000

APPLICATION = {
    "operator_name": "玄武区小王面馆", "uscc": "91320100MA1M11110A", "legal_representative": "王小明",
    "premises_address": "南京市玄武区中山路1号", "business_items": ["hot_food", "cold_food"],
    "premises_area_m2": 80, "contact_mobile": "13800138000", "delivery_method": "window",
}
#: Form values per task of the food permit, in the order the ordinary path asks for them.
FOOD_STEPS = {
    "apply": APPLICATION,
    "rc_check": {"reception_decision": "accept", "reception_note": "材料齐全"},
    "review": {"review_result": "pass", "review_note": "材料符合要求，现场核查符合", "site_check_result": "conforming",
               "site_inspectors": "李明、赵强", "site_check_date": "2025-09-26"},
    "approve": {"decision": "grant", "decision_reason": "符合食品经营许可条件，准予许可"},
    "dl_pickup": {"picked_up_by": "王小明", "pickup_id_number": "11010519491231002X"},
    "dl_rating": {"rating": "satisfied", "rating_comment": "办事很快"},
}
#: Which template each of 20 consecutive copies is: 1 at the window, 3 with the reviewer, 16 finished.
MIX = ["window"] + ["review"] * 3 + ["done"] * 16
USERS = {"window": "demo_window", "review": "demo_scjg_review", "chief": "demo_scjg_chief",
         "supervisor": "demo_supervisor", "auditor": "demo_auditor", "applicant": "demo_enterprise"}


# -- database and seeding ------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_pg_database(admin_url: str) -> Iterator[str]:
    name = f"onewindow_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        base, _, _ = normalize_url(admin_url).rpartition("/")
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "ONEWINDOW_SECRET_KEY": "bench-" + "k" * 40,
            "ONEWINDOW_SECURE_COOKIES": "0"}


def actor(ctx: EngineContext, role: str) -> Actor:
    found = actor_for(ctx, USERS[role])
    if found is None:
        raise RuntimeError(f"no demo account {USERS[role]}")
    return found


def walk(ctx: EngineContext, case_id: int, until: str | None) -> None:
    """Complete the food permit's open tasks in order until ``until`` is the open one (None: to the end)."""
    roles = {"apply": "applicant", "rc_check": "window", "review": "review", "approve": "chief",
             "dl_pickup": "window", "dl_rating": "applicant"}
    for element in FOOD_STEPS:
        from engine.services.casework import case_projection

        view = case_projection(ctx, case_id, actor(ctx, "supervisor"))
        open_ids = [t.element_id for t in view.open_tasks]
        if until in open_ids or not open_ids:
            return
        task = next(t for t in view.open_tasks if t.element_id == element)
        who = actor(ctx, roles[element])
        task_page(ctx, case_id, task.task_uuid, who)  # as a browser would, and proves the actor may
        complete_task(ctx, case_id, task.task_uuid, FOOD_STEPS[element], who)


def food_templates(ctx: EngineContext) -> dict[str, int]:
    templates = {}
    for kind, until in (("window", "rc_check"), ("review", "review"), ("done", None)):
        filed = file_application(ctx, "food_business", actor(ctx, "applicant"))
        walk(ctx, filed.case_id, until)
        templates[kind] = filed.case_id
    return templates


def long_case(url: str) -> tuple[int, int]:
    """A real looping case with at least ``AUDIT_EVENTS`` history rows: (case id, rows)."""
    from engine.services.cases import start_case

    ctx = EngineContext.create(EngineSettings(database_url=url, processes_dir=FIXTURES / "matters",
                                              forms_dir=FIXTURES / "forms"))
    try:
        deploy_path(ctx, FIXTURES / "matters" / "loop_bench", Actor("designer1", "设计员", frozenset({"designer"})))
        reviewer = Actor("reviewer1", "审查员", frozenset({"reviewer"}))
        view = start_case(ctx, "loop_bench", Actor("applicant1", "张三", frozenset({"applicant"})), {})
        rows = 0
        while rows < AUDIT_EVENTS:
            task = view.open_tasks[0]
            view = complete_task(ctx, view.id, task.task_uuid, {"again": "yes"}, reviewer)
            with ctx.db.engine.connect() as conn:
                rows = conn.execute(select(func.count()).select_from(HISTORY)
                                    .where(HISTORY.c.case_id == view.id)).scalar_one()
        return view.id, rows
    finally:
        ctx.dispose()


@dataclass
class Template:
    case: dict[str, Any]
    tasks: list[dict[str, Any]]
    history: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    documents: list[dict[str, Any]]


def load_template(conn: Any, case_id: int) -> Template:
    def rows(table: Any) -> list[dict[str, Any]]:
        found = conn.execute(select(table).where(table.c.case_id == case_id).order_by(table.c.id)).mappings()
        return [{k: v for k, v in row.items() if k != "id"} for row in found]

    case = dict(conn.execute(select(CASES).where(CASES.c.id == case_id)).mappings().one())
    return Template(case, rows(TASKS), rows(HISTORY), rows(DEADLINES), rows(DOCUMENTS))


def clone_batch(conn: Any, templates: list[Template], first_id: int, count: int, serial: int) -> None:
    """``count`` copies with ids from ``first_id``; numbers and names from ``serial`` on (never reused)."""
    cases, tasks, history, deadlines, documents = [], [], [], [], []
    for offset in range(count):
        n = serial + offset
        template = templates[n % len(templates)]
        case_id = first_id + offset
        number = f"{template.case['case_number'][:31]}{20240101 + n // 10000:08d}{n % 10000:04d}"
        cases.append({**template.case, "id": case_id, "case_number": number, "title": f"玄武区第{n}号面馆"})
        tasks += [{**row, "case_id": case_id} for row in template.tasks]
        history += [{**row, "case_id": case_id} for row in template.history]
        deadlines += [{**row, "case_id": case_id} for row in template.deadlines]
        documents += [{**row, "case_id": case_id, "document_no": f"C{n:07d}-{row['document_no']}"[:64]}
                      for row in template.documents]
    conn.execute(insert(CASES), cases)
    for table, rows in ((TASKS, tasks), (HISTORY, history), (DEADLINES, deadlines), (DOCUMENTS, documents)):
        if rows:
            conn.execute(insert(table), rows)


def seed_to(url: str, templates: list[Template], target: int, state: dict[str, int]) -> float:
    """Copies until the database holds ``target`` cases; returns the seconds taken (counters included)."""
    engine = create_engine(normalize_url(url))
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            have = conn.execute(select(func.count()).select_from(CASES)).scalar_one()
            next_id = conn.execute(select(func.max(CASES.c.id))).scalar_one() + 1
        while have < target:
            count = min(BATCH, target - have)
            with engine.begin() as conn:
                clone_batch(conn, templates, next_id, count, state["serial"])
            next_id, have, state["serial"] = next_id + count, have + count, state["serial"] + count
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
            rebuild_counters(conn)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return time.perf_counter() - started


# -- serving and measuring -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(url: str, port: int) -> Iterator[None]:
    process = subprocess.Popen([str(BIN / "onewindow"), "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", "2"], env=server_env(url), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(port, "/healthz", {})
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(20)


def get(port: int, path: str, headers: dict[str, str], conn: http.client.HTTPConnection | None = None) -> bytes:
    own = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    own.request("GET", path, headers=headers)
    response = own.getresponse()
    body = response.read()
    if conn is None:
        own.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}")
    return body


def sign_in(port: int, username: str) -> dict[str, str]:
    """Sign in through the login form (CSRF token from the page); the session cookie as headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("no CSRF token on /login")
    body = urlencode({"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)})
    conn.request("POST", "/login", body=body, headers={"Cookie": cookie,
                                                       "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    signed = response.getheader("Set-Cookie", "").split(";")[0]
    conn.close()
    if response.status not in (302, 303) or not signed:
        raise RuntimeError(f"sign-in of {username} failed (HTTP {response.status})")
    return {"Cookie": signed}


@dataclass
class Page:
    name: str
    #: A path per request (the n-th request asks path(n)).
    path: Callable[[int], str]
    headers: dict[str, str]


def measure(port: int, page: Page, requests: int) -> list[float]:
    """Milliseconds per request, ``CONCURRENCY`` clients at a time, each on its own keep-alive connection."""
    local = threading.local()

    def one(n: int) -> float:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        started = time.perf_counter()
        get(port, page.path(n), page.headers, local.conn)
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, range(WARMUP)))
        return list(pool.map(one, range(requests)))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def pages(port: int, ctx_url: str, ids: dict[str, Any]) -> list[Page]:
    sessions = {role: sign_in(port, USERS[role]) for role in ("review", "window", "supervisor", "auditor")}
    ctx = EngineContext.create(EngineSettings(database_url=ctx_url))
    try:
        tokens = {role: {"Authorization": f"Bearer {create_api_token(ctx, actor(ctx, role), 'bench')}"}
                  for role in ("review", "supervisor")}
    finally:
        ctx.dispose()
    rng = random.Random(7)
    numbers, ids_list, serials = ids["numbers"], ids["case_ids"], ids["serials"]
    picks = [rng.randrange(len(ids_list)) for _ in range(4096)]
    return [
        Page("reviewer worklist /work", lambda n: "/work", sessions["review"]),
        Page("window queue /window", lambda n: "/window", sessions["window"]),
        Page("case page /cases/<id>", lambda n: f"/cases/{ids_list[picks[n % 4096]]}", sessions["supervisor"]),
        Page(f"audit page ({ids['audit_rows']} events)", lambda n: f"/audit/cases/{ids['audit_case']}",
             sessions["auditor"]),
        Page("statistics /stats", lambda n: "/stats", sessions["supervisor"]),
        Page("board /board", lambda n: "/board", {}),
        Page("case list /cases", lambda n: "/cases", sessions["supervisor"]),
        Page("API task list", lambda n: "/api/v1/tasks", tokens["review"]),
        Page("API search by number", lambda n: "/api/v1/cases?q=" + numbers[picks[n % 4096]], tokens["supervisor"]),
        Page("API search by name", lambda n: "/api/v1/cases?q=" + quote(f"第{serials[picks[n % 4096]]}号面馆"),
             tokens["supervisor"]),
    ]


def sample_ids(url: str) -> dict[str, Any]:
    """Case ids, numbers and name serials of a few thousand copies, spread over the whole table."""
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, case_number, title FROM cases WHERE title LIKE '玄武区第%' "
                                     "ORDER BY random() LIMIT 4096")).all()
    finally:
        engine.dispose()
    return {"case_ids": [r[0] for r in rows], "numbers": [r[1] for r in rows],
            "serials": [int(re.sub(r"\D", "", r[2])) for r in rows]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results: dict[int, dict[str, tuple[float, float, float]]] = {}
    with throwaway_pg_database(args.pg_url) as url:
        started = time.perf_counter()
        subprocess.run([str(BIN / "onewindow"), "init", "--demo"], env=server_env(url), check=True,
                       stdout=subprocess.DEVNULL)
        ctx = EngineContext.create(EngineSettings(database_url=url))
        try:
            template_ids = food_templates(ctx)
        finally:
            ctx.dispose()
        audit_case, audit_rows = long_case(url)
        engine = create_engine(normalize_url(url))
        with engine.connect() as conn:
            by_kind = {kind: load_template(conn, case_id) for kind, case_id in template_ids.items()}
        engine.dispose()
        templates = [by_kind[kind] for kind in MIX]
        print(f"setup (init --demo, 3 food templates, a {audit_rows}-event case): "
              f"{time.perf_counter() - started:.1f} s")
        state = {"serial": 1}
        port = free_port()
        for size in sizes:
            seconds = seed_to(url, templates, size, state)
            print(f"\n== {size:,} cases: seeded in {seconds:.1f} s (bulk copies, counters rebuilt) ==", flush=True)
            ids = {**sample_ids(url), "audit_case": audit_case, "audit_rows": audit_rows}
            results[size] = {}
            with served(url, port):
                for page in pages(port, url, ids):
                    times = measure(port, page, args.requests)
                    figures = (statistics.median(times), percentile(times, 0.95), percentile(times, 0.99))
                    results[size][page.name] = figures
                    print(f"  {page.name:34s} p50 {figures[0]:8.1f}  p95 {figures[1]:8.1f}  p99 {figures[2]:8.1f} ms",
                          flush=True)
    report(sizes, results)
    return 0


def report(sizes: list[int], results: dict[int, dict[str, tuple[float, float, float]]]) -> None:
    first, last = sizes[0], sizes[-1]
    print(f"\np95 (ms) by size; target p95 < {TARGET_P95_MS:.0f} ms at the largest size, growth {first:,} → {last:,} "
          f"≤ {TARGET_GROWTH}×")
    print(f"  {'page':34s}" + "".join(f"{size:>10,}" for size in sizes) + "    growth  met")
    for name in results[first]:
        p95 = [results[size][name][1] for size in sizes]
        growth = p95[-1] / p95[0] if p95[0] else float("inf")
        met = p95[-1] < TARGET_P95_MS and growth <= TARGET_GROWTH
        print(f"  {name:34s}" + "".join(f"{v:10.1f}" for v in p95) + f"   {growth:6.2f}×  {'yes' if met else 'NO'}")
    print(f"worklist_p95_ms_{last // 1000}k={results[last]['reviewer worklist /work'][1]:.1f}")


if __name__ == "__main__":
    sys.exit(main())
