"""Memory of a worker process: its RSS after 1,000 and after 10,000 engine steps (issue #15, item 5).

Run from the repository root::

    python bench/memory.py [--steps N] [--open-cases K]

This process plays one gunicorn worker: one ``EngineContext`` (workflow cache on, as a worker runs)
on an SQLite file, working ``--open-cases`` parallel_review cases at once, round robin, one
``complete_task`` per turn, each finished case replaced by a new one (so cases start, wait and
finish all the time, as in a hall). A step is one ``start_case`` or ``complete_task``. The resident
set size (``VmRSS``, after a full garbage collection) is read at 1,000 steps and at ``--steps``;
growth beyond the target means something keeps what it should not (an unbounded cache, a leak).
Prints numbers only; it ends with ``rss_growth=<ratio>``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]  # bench/engine.py would shadow engine/
sys.path.insert(0, str(ROOT))

from engine.services.cases import start_case  # noqa: E402
from engine.services.deploy import deploy_path  # noqa: E402
from engine.services.tasks import complete_task  # noqa: E402
from engine.settings import EngineSettings  # noqa: E402

FIRST_READING = 1_000
TARGET_GROWTH = 0.10


def rss_kib() -> int:
    """This process's resident set size in KiB, after a full collection."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10_000, help="steps in all (default 10,000)")
    parser.add_argument("--open-cases", type=int, default=20, help="cases worked at once (default 20)")
    args = parser.parse_args()
    if args.steps <= FIRST_READING:
        parser.error(f"--steps must exceed {FIRST_READING}")
    bench = _load_engine_bench()
    print(f"OneWindow worker memory: {args.steps} steps over {args.open_cases} open parallel_review cases "
          f"at a time, SQLite, workflow cache on (size {EngineSettings().workflow_cache_size})")
    with tempfile.TemporaryDirectory(prefix="onewindow_memory_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'memory.sqlite3'}"
        bench.create_schema(url)
        ctx = bench.make_context(url)
        try:
            deploy_path(ctx, bench.MATTER_DIR, bench.DESIGNER)
            readings = run(ctx, bench, args.steps, args.open_cases)
        finally:
            ctx.dispose()
    (first_steps, first), (last_steps, last) = readings
    growth = last / first - 1
    print(f"  RSS after {first_steps:>6} steps: {first / 1024:8.1f} MiB")
    print(f"  RSS after {last_steps:>6} steps: {last / 1024:8.1f} MiB")
    verdict = "PASS" if growth < TARGET_GROWTH else "MISS"
    print(f"  growth {100 * growth:+.1f}%   target < {100 * TARGET_GROWTH:.0f}%   {verdict}")
    print(f"rss_growth={growth:.3f}")


def run(ctx, bench, steps: int, open_cases: int) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Work the cases round robin for ``steps`` steps; (steps, RSS KiB) at the first reading and at the end."""
    views = []
    done = 0
    readings: list[tuple[int, int]] = []
    started = time.perf_counter()
    while done < steps:
        if len(views) < open_cases:
            views.append(start_case(ctx, bench.MATTER, bench.APPLICANT, {}))
        else:
            view = views.pop(0)
            task = view.open_tasks[0]
            view = complete_task(ctx, view.id, task.task_uuid, bench.VALUES[task.element_id],
                                 bench.actor_for(task.candidate_groups))
            if view.open_tasks:
                views.append(view)
        done += 1
        if done == FIRST_READING:
            readings.append((done, rss_kib()))
    readings.append((done, rss_kib()))
    print(f"  ({done} steps in {time.perf_counter() - started:.1f}s)")
    return readings


def _load_engine_bench():  # type: ignore[no-untyped-def]
    """bench/engine.py's fixtures and helpers (actors, form values, schema), loaded under another name."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("onewindow_bench_engine", _HERE / "engine.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("bench/engine.py not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
