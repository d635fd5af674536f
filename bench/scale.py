"""Read paths at a hall's scale: p50/p95/p99 over HTTP at 1k, 10k and 100k cases.

Run from the repository root::

    python bench/scale.py [--sizes 1000,10000,100000] [--requests 40] [--pg-url URL]

What it does, in one run, for each size on a throwaway PostgreSQL database of its own:

1. ``onewindow init --demo`` (migrations, calendar, ``processes/``, demo accounts, sample hall);
2. three real 食品经营许可 cases walked through the engine (waiting at the window, waiting for the
   reviewer, granted and rated) and one real looping case of at least 1,000 history events;
3. seeds cases up to the size through a bulk path: copies of the three templates (rows of
   ``cases``, ``human_tasks``, ``history_events``, ``case_deadlines``, ``documents``, with new ids,
   numbers and names), 5% at the window, 15% with the reviewer, 80% finished, in batches of 2,000
   cases per transaction, then ``rebuild_counters`` for the statistics; it prints how long that took;
4. serves each database with gunicorn as ``onewindow serve`` starts it (2 workers, gthread), all at
   once; then, page by page, 4 clients at a time send ``--requests`` timed requests per size (after 8
   warm-up requests) in rounds that alternate between the sizes, so load from other processes on a
   shared machine falls on every size alike; it prints p50/p95/p99 in ms and each p95's growth.

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
#: Untimed requests per page and size first: enough that both gunicorn workers have served each page
#: (the audit page's chain checkpoint is per process).
WARMUP = 8
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
    from engine.errors import CaseNotFound
    from engine.services.casework import case_projection

    for element in FOOD_STEPS:
        try:
            view = case_projection(ctx, case_id, actor(ctx, "supervisor"))
        except CaseNotFound:  # a draft (not yet submitted) is its applicant's alone
            view = case_projection(ctx, case_id, actor(ctx, "applicant"))
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
    """``count`` copies with ids from ``first_id``; numbers and names from ``serial`` on (never reused).

    Written with PostgreSQL ``COPY`` (one stream per table) in the caller's transaction: an ``INSERT``
    of the same rows costs several times as much, which at 100k cases is the difference between
    minutes and half an hour.
    """
    rows: dict[str, list[dict[str, Any]]] = {"cases": [], "human_tasks": [], "history_events": [],
                                             "case_deadlines": [], "documents": []}
    for offset in range(count):
        n = serial + offset
        template = templates[n % len(templates)]
        case_id = first_id + offset
        number = f"{template.case['case_number'][:31]}{20240101 + n // 10000:08d}{n % 10000:04d}"
        rows["cases"].append({**template.case, "id": case_id, "case_number": number, "title": f"玄武区第{n}号面馆",
                              **copied_facts(template.case, n)})
        rows["human_tasks"] += [{**row, "case_id": case_id} for row in template.tasks]
        rows["history_events"] += [{**row, "case_id": case_id} for row in template.history]
        rows["case_deadlines"] += [{**row, "case_id": case_id} for row in template.deadlines]
        rows["documents"] += [{**row, "case_id": case_id, "document_no": f"C{n:07d}-{row['document_no']}"[:64]}
                              for row in template.documents]
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        for table, found in rows.items():
            if not found:
                continue
            names = list(found[0])
            with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in found:
                    copy.write_row([row[name] for name in names])


def copied_facts(case: dict[str, Any], n: int) -> dict[str, Any]:
    """The case facts kept on the row for search (统一社会信用代码), made unique per copy like its number."""
    if not case.get("credit_code"):
        return {}
    return {"credit_code": f"{case['credit_code'][:10]}{n:07d}X"[:18]}


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


def measure(port: int, page: Page, requests: int, first: int = 0, warmup: int = 0) -> list[float]:
    """Milliseconds per request (requests ``first`` … ``first + requests - 1`` of the page), ``CONCURRENCY``
    clients at a time, each on its own keep-alive connection; ``warmup`` requests first, not timed."""
    local = threading.local()

    def one(n: int) -> float:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        started = time.perf_counter()
        try:
            get(port, page.path(n), page.headers, local.conn)
        except (http.client.RemoteDisconnected, ConnectionError):  # gunicorn closed an idle keep-alive
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            started = time.perf_counter()
            get(port, page.path(n), page.headers, local.conn)
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, range(first, first + warmup)))
        return list(pool.map(one, range(first + warmup, first + warmup + requests)))


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
        Page("API search by 统一社会信用代码", lambda n: "/api/v1/cases?q=" + ids["credit_codes"][picks[n % 4096]],
             tokens["supervisor"]),
    ]


def sample_ids(url: str) -> dict[str, Any]:
    """Case ids, numbers and name serials of a few thousand copies, spread over the whole table."""
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, case_number, title, credit_code FROM cases "
                                     "WHERE title LIKE '玄武区第%' ORDER BY random() LIMIT 4096")).all()
    finally:
        engine.dispose()
    return {"case_ids": [r[0] for r in rows], "numbers": [r[1] for r in rows],
            "serials": [int(re.sub(r"\D", "", r[2])) for r in rows], "credit_codes": [r[3] for r in rows]}


@dataclass
class Hall:
    """One seeded database of ``size`` cases and what the pages ask for."""

    size: int
    url: str
    ids: dict[str, Any]
    port: int = 0


def prepare(url: str, size: int) -> Hall:
    """``init --demo``, the templates and the long case, then copies up to ``size`` cases (timed)."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "onewindow"), "init", "--demo"], env=server_env(url), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    setup = time.perf_counter() - started
    seconds = seed_to(url, [by_kind[kind] for kind in MIX], size, {"serial": 1})
    print(f"  {size:>7,} cases: setup {setup:5.1f} s (init --demo, 3 food templates, a {audit_rows}-event case); "
          f"seeded in {seconds:6.1f} s ({size / seconds:,.0f} cases/s, bulk copies, counters rebuilt)", flush=True)
    return Hall(size, url, {**sample_ids(url), "audit_case": audit_case, "audit_rows": audit_rows})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page and size")
    parser.add_argument("--rounds", type=int, default=5,
                        help="each page's requests are split into rounds alternating between the sizes")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rounds = max(1, min(args.rounds, args.requests))
    results: dict[int, dict[str, tuple[float, float, float]]] = {size: {} for size in sizes}
    print(f"OneWindow read paths at scale: PostgreSQL, gunicorn (2 workers × 4 threads) per size, "
          f"{CONCURRENCY} clients at a time, {args.requests} timed requests per page and size in {rounds} "
          f"rounds alternating between the sizes (so load from other processes falls on every size alike)")
    with contextlib.ExitStack() as stack:
        halls = [prepare(stack.enter_context(throwaway_pg_database(args.pg_url)), size) for size in sizes]
        for hall in halls:
            hall.port = free_port()
            stack.enter_context(served(hall.url, hall.port))
        page_sets = {hall.size: pages(hall.port, hall.url, hall.ids) for hall in halls}
        print(f"\n  {'page':34s} {'cases':>8}  {'p50':>8} {'p95':>8} {'p99':>8}  ms")
        for index, name in enumerate(page.name for page in page_sets[sizes[0]]):
            times: dict[int, list[float]] = {size: [] for size in sizes}
            for hall in halls:
                measure(hall.port, page_sets[hall.size][index], 0, warmup=WARMUP)
            for round_ in range(rounds):
                chunk = args.requests // rounds + (1 if round_ < args.requests % rounds else 0)
                for hall in halls:
                    times[hall.size] += measure(hall.port, page_sets[hall.size][index], chunk,
                                                first=WARMUP + len(times[hall.size]))
            for size in sizes:
                figures = (statistics.median(times[size]), percentile(times[size], 0.95),
                           percentile(times[size], 0.99))
                results[size][name] = figures
                print(f"  {name:34s} {size:8,}  {figures[0]:8.1f} {figures[1]:8.1f} {figures[2]:8.1f}", flush=True)
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
