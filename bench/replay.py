"""Replay benchmark: rebuild a case with 1,000 history events as it was at its 500th event.

Run from the repository root::

    python bench/replay.py

Target: under 200 ms. The case is the looping review fixture (tests/fixtures/matters/loop_bench)
driven through the real services on SQLite until its history holds at least 1,000 rows; the
auditor's replay (``engine.services.audit.replay_case``) then re-runs the definition from the
start, re-applying recorded submissions, up to row 500. Prints figures; asserts nothing.
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
logging.getLogger("spiff").addHandler(logging.NullHandler())
logging.getLogger("spiff").propagate = False

from engine.actors import Actor  # noqa: E402
from engine.persistence.migrate import upgrade_database  # noqa: E402
from engine.services.audit import replay_case  # noqa: E402
from engine.services.cases import case_history  # noqa: E402
from engine.services.cases import start_case  # noqa: E402
from engine.services.context import EngineContext  # noqa: E402
from engine.services.deploy import deploy_path  # noqa: E402
from engine.services.tasks import complete_task  # noqa: E402
from engine.settings import EngineSettings  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
TARGET_EVENTS = 1000
AT_EVENT = 500
TARGET_MS = 200.0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'replay.sqlite3'}"
        upgrade_database(url)
        ctx = EngineContext.create(EngineSettings(database_url=url, processes_dir=FIXTURES / "matters",
                                                  forms_dir=FIXTURES / "forms"))
        try:
            deploy_path(ctx, FIXTURES / "matters" / "loop_bench", Actor("designer", groups=frozenset({"designer"})))
            applicant = Actor("applicant", groups=frozenset({"applicant"}))
            reviewer = Actor("reviewer", groups=frozenset({"reviewer"}))
            view = start_case(ctx, "loop_bench", applicant, {})
            events = len(case_history(ctx, view.id))
            while events < TARGET_EVENTS:
                (task,) = view.open_tasks
                view = complete_task(ctx, view.id, task.task_uuid, {"again": "yes"}, reviewer)
                events = len(case_history(ctx, view.id))
            timings = []
            for _ in range(7):
                started = time.perf_counter()
                state = replay_case(ctx, view.id, AT_EVENT)
                timings.append((time.perf_counter() - started) * 1000)
        finally:
            ctx.dispose()
    best, median = min(timings), statistics.median(timings)
    print(f"case history: {events} events; replayed to event {state.seq} ({state.event['event_type']}), "
          f"{len(state.completed)} completed elements, open: {', '.join(state.open_tasks) or '-'}")
    print(f"replay to event {AT_EVENT}: median {median:.1f} ms, best {best:.1f} ms over {len(timings)} runs")
    print(f"target < {TARGET_MS:.0f} ms: {'PASS' if median < TARGET_MS else 'MISS'}")
    print(f"replay_ms={median:.1f}")


if __name__ == "__main__":
    main()
