"""The fixed cost of a request: SQL statements, transactions and pool checkouts per request, and a profile.

Run from the repository root::

    python bench/request_cost.py [--database postgresql|sqlite] [--pg-url URL] [--profile N]

On a throwaway database (``init``-equivalent: migrations, ``processes/``, demo accounts, calendar), one
app in this process (Flask's test client, no HTTP) walks one 食品经营许可 case through /api/v1 as
``bench/throughput.py`` does, then asks a signed-in page (the account page). For each request it
prints the statements sent (``before_cursor_execute``), the transactions begun, the pool checkouts
(one per unit of work), the pool's pings (``SELECT 1``) and an estimate of round trips (on
PostgreSQL: statements + pings + 2 per checkout, ``BEGIN`` and ``COMMIT`` or ``ROLLBACK``). With ``--profile N``
it then profiles N more cases (cProfile, top functions by cumulative time). It asserts nothing;
``tests/webapp/test_request_cost.py`` holds the counts of the fixed part.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
logging.getLogger("spiff").addHandler(logging.NullHandler())
logging.getLogger("spiff").propagate = False

from sqlalchemy import event  # noqa: E402

from bench.throughput import APPLICATION  # noqa: E402
from bench.throughput import DEFAULT_PG_URL  # noqa: E402
from bench.throughput import RATING  # noqa: E402
from bench.throughput import STEPS  # noqa: E402
from bench.throughput import USERS  # noqa: E402
from bench.throughput import throwaway_database  # noqa: E402
from engine.actors import Actor  # noqa: E402
from engine.persistence.migrate import upgrade_database  # noqa: E402
from engine.services.accounts import actor_for  # noqa: E402
from engine.services.accounts import create_api_token  # noqa: E402
from engine.services.accounts import ensure_demo_accounts  # noqa: E402
from engine.services.calendar import seed_calendar  # noqa: E402
from engine.services.deploy import deploy_path  # noqa: E402
from engine.settings import EngineSettings  # noqa: E402
from engine.settings import PasswordHashing  # noqa: E402
from webapp import create_app  # noqa: E402

API = "/api/v1"


class Meter:
    """Counts what one app's engine sends, between two ``take()`` calls."""

    def __init__(self, engine: Any) -> None:
        self.counts: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", lambda conn: self.counts.update(["begin"]))
        event.listen(engine, "commit", lambda conn: self.counts.update(["commit"]))
        event.listen(engine, "rollback", lambda conn: self.counts.update(["rollback"]))
        event.listen(engine.pool, "checkout", lambda *a: self.counts.update(["checkout"]))
        ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection: Any) -> bool:
            self.counts["ping"] += 1
            return bool(ping(dbapi_connection))

        engine.dialect.do_ping = counted_ping

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.counts["statements"] += 1

    def take(self) -> Counter[str]:
        taken, self.counts = self.counts, Counter()
        return taken


def round_trips(counts: Counter[str], postgres: bool) -> int:
    """Statements, plus on PostgreSQL each pool ping and two per unit of work (BEGIN, COMMIT or ROLLBACK)."""
    if not postgres:
        return counts["statements"]
    return counts["statements"] + counts["ping"] + 2 * counts["checkout"]


def line(name: str, counts: Counter[str], postgres: bool) -> str:
    return (f"  {name:<20} {counts['statements']:3d} statements  {counts['begin']:2d} begins  "
            f"{counts['checkout']:2d} checkouts  {counts['ping']:2d} pings  "
            f"{round_trips(counts, postgres):3d} round trips")


def app_on(url: str, folder: Path) -> Any:
    upgrade_database(url)
    settings = EngineSettings(database_url=url, uploads_dir=folder / "uploads", history_key="cost-" + "h" * 40,
                              password_hashing=PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1))
    app = create_app({"SECRET_KEY": "cost-" + "k" * 40, "ENGINE_SETTINGS": settings, "ONEWINDOW_DEMO": True,
                      "SESSION_COOKIE_SECURE": False}, instance_path=folder / "instance")
    ctx = app.extensions["onewindow"]
    deploy_path(ctx, settings.processes_dir, Actor("designer", groups=frozenset({"designer"})))
    ensure_demo_accounts(ctx)
    seed_calendar(ctx, Actor("admin", groups=frozenset({"admin"})))
    return app


def requests_of_a_case(app: Any, tokens: dict[str, str]) -> Iterator[tuple[str, Any]]:
    """Each request of one case, as (name, response), sent as it is yielded."""
    client = app.test_client()

    def call(method: str, path: str, role: str, body: Any = None) -> Any:
        response = client.open(API + path, method=method, json=body,
                               headers={"Authorization": f"Bearer {tokens[role]}"})
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        return response.get_json()

    def task(case: dict[str, Any], element: str) -> str:
        return next(t["task_uuid"] for t in case["open_tasks"] if t["element_id"] == element)

    case = call("POST", "/matters/food_business/cases", "applicant", {"data": APPLICATION})
    yield "start", case
    case_id = case["id"]
    yield "complete apply", call("POST", f"/cases/{case_id}/tasks/{task(case, 'apply')}/complete", "applicant",
                                 {"data": APPLICATION})
    case = call("GET", f"/cases/{case_id}", "window")
    yield "get case", case
    for element, role, values in STEPS:
        uuid = task(case, element)
        yield f"claim {element}", call("POST", f"/cases/{case_id}/tasks/{uuid}/claim", role)
        case = call("POST", f"/cases/{case_id}/tasks/{uuid}/complete", role, {"data": values})
        yield f"complete {element}", case
    yield "complete dl_rating", call("POST", f"/cases/{case_id}/tasks/{task(case, 'dl_rating')}/complete",
                                     "applicant", {"data": RATING})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--profile", type=int, default=0, help="cases to profile after the count")
    args = parser.parse_args()
    postgres = args.database == "postgresql"
    with tempfile.TemporaryDirectory(prefix="onewindow_cost_") as folder, \
            throwaway_database(args.database, args.pg_url) as url:
        app = app_on(url, Path(folder))
        ctx = app.extensions["onewindow"]
        tokens = {role: create_api_token(ctx, actor_for(ctx, name), "cost") for role, name in USERS.items()}
        for _ in requests_of_a_case(app, tokens):  # warm-up: caches, templates, the pool
            pass
        meter = Meter(ctx.db.engine)
        print(f"Per request on {args.database} ({os.cpu_count()} cores): statements, transactions begun, "
              f"pool checkouts, round trips (estimate)")
        total: Counter[str] = Counter()
        meter.take()
        for name, _ in requests_of_a_case(app, tokens):
            counts = meter.take()
            total += counts
            print(line(name, counts, postgres))
        print(line("whole case", total, postgres))
        page = app.test_client()
        page.get("/login")
        with page.session_transaction() as session:
            csrf = session["csrf"]
        page.post("/login", data={"username": "demo_window", "password": "demo-1234", "csrf_token": csrf})
        page.get("/account")
        meter.take()
        page.get("/account")
        counts = meter.take()
        print(line("page /account", counts, postgres))
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.profile):
                for _ in requests_of_a_case(app, tokens):
                    pass
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("COST_SORT", "cumulative")).print_stats(45)
            print(out.getvalue())
        ctx.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
