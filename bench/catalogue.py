"""事项库 benchmark: the sample hall's catalogue on SQLite and PostgreSQL.

Run from the repository root::

    python bench/catalogue.py                 # every section, both databases
    python bench/catalogue.py --only sqlite   # one database

Each database gets a fresh migrated schema with every shipped matter deployed and the sample hall's
organisation loaded (what ``onewindow init`` does first); then each section in ``SECTIONS`` runs on
it, in order, and prints its figures. PostgreSQL is the server of ``ONEWINDOW_BENCH_PG_URL`` (default:
``ONEWINDOW_TEST_PG_URL``, or the local test server); a throwaway database is created and dropped.
Prints figures; asserts nothing.

Adding a section: write ``def bench_<name>(ctx: EngineContext) -> list[Figure]`` below and append it
to ``SECTIONS``. A section may rely on the ones before it (``import`` leaves the catalogue loaded).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
logging.getLogger("spiff").addHandler(logging.NullHandler())
logging.getLogger("spiff").propagate = False

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine.actors import Actor  # noqa: E402
from engine.catalogue.entry import PATTERN_PROCESS  # noqa: E402
from engine.persistence.database import normalize_url  # noqa: E402
from engine.persistence.migrate import upgrade_database  # noqa: E402
from engine.services.cases import start_case  # noqa: E402
from engine.services.catalogue.editing import list_entries  # noqa: E402
from engine.services.catalogue.offering import search_matters  # noqa: E402
from engine.services.catalogue.seed import SAMPLE_FILE  # noqa: E402
from engine.services.catalogue.tables import export_catalogue  # noqa: E402
from engine.services.catalogue.tables import import_catalogue  # noqa: E402
from engine.services.context import EngineContext  # noqa: E402
from engine.services.deploy import deploy_path  # noqa: E402
from engine.services.organisation.demo import ensure_sample_organisation  # noqa: E402
from engine.settings import EngineSettings  # noqa: E402

ADMIN = Actor("bench", "基准测试", frozenset({"admin", "designer"}))
PG_URL = os.environ.get("ONEWINDOW_BENCH_PG_URL") or os.environ.get(
    "ONEWINDOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Figure:
    label: str
    value: float
    unit: str

    def __str__(self) -> str:
        return f"  {self.label:<48} {self.value:>10.3f} {self.unit}"


# -- sections -------------------------------------------------------------------------------------


def bench_import(ctx: EngineContext) -> list[Figure]:
    """Import the 150-matter sample catalogue into an empty catalogue (one transaction), then again
    as a dry run (every row checked, nothing to store), then export it."""
    data = (ctx.settings.catalogue_dir / SAMPLE_FILE).read_bytes()
    started = time.perf_counter()
    result = import_catalogue(ctx, ADMIN, data, SAMPLE_FILE)
    first = time.perf_counter() - started
    started = time.perf_counter()
    import_catalogue(ctx, ADMIN, data, SAMPLE_FILE, dry_run=True)
    dry = time.perf_counter() - started
    started = time.perf_counter()
    export_catalogue(ctx, "xlsx")
    exported = time.perf_counter() - started
    return [Figure(f"import {result.count('added')} matters (XLSX, empty catalogue)", first, "s"),
            Figure("dry-run re-import (all unchanged)", dry, "s"),
            Figure("export (XLSX)", exported, "s")]


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.95 for p95) of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


#: What clerks type into the window's matter picker: parts of names, pinyin initials, codes.
PICKER_QUERIES = ("食品", "许可", "spjy", "gcjs", "dlys", "卫生", "000170001000", "11320100MB", "建筑", "jz", "备案",
                  "ws", "道路", "临时", "xk", "证", "zzz", "登记", "ggcs", "人防")


def bench_picker(ctx: EngineContext) -> list[Figure]:
    """The window's matter picker: ``search_matters`` as the view calls it (read the offered matters,
    rank them by name, code and pinyin initials), 20 typical queries x 10 rounds after one warm-up."""
    count = len(search_matters(ctx, ""))
    started = time.perf_counter()
    for query in PICKER_QUERIES:
        search_matters(ctx, query)
    warm_up = time.perf_counter() - started
    samples = []
    for _round in range(10):
        for query in PICKER_QUERIES:
            started = time.perf_counter()
            search_matters(ctx, query)
            samples.append((time.perf_counter() - started) * 1000)
    return [Figure("matters offered at the window", count, "matters"),
            Figure("first 20 searches (pinyin computed once)", warm_up * 1000, "ms"),
            Figure("picker search p50", percentile(samples, 0.5), "ms"),
            Figure("picker search p95 (target < 50 ms)", percentile(samples, 0.95), "ms")]


def bench_pattern_start(ctx: EngineContext) -> list[Figure]:
    """Start a case of a pattern-run matter (entry read, limits and posts as data, the general pattern
    run to its first task, case row, history and worklist written) for 40 different entries."""
    entries = [v.entry.code for v in list_entries(ctx, active_only=True) if v.entry.process == PATTERN_PROCESS]
    applicant = Actor("bench_applicant", "申请人", frozenset({"applicant"}))
    start_case(ctx, entries[0], applicant)  # the pattern's definition compiled and cached once
    samples = []
    for code in entries[1:41]:
        started = time.perf_counter()
        start_case(ctx, code, applicant)
        samples.append((time.perf_counter() - started) * 1000)
    return [Figure("start a pattern-run case p50", percentile(samples, 0.5), "ms"),
            Figure("start a pattern-run case p95", percentile(samples, 0.95), "ms")]


SECTIONS: list[tuple[str, Callable[[EngineContext], list[Figure]]]] = [
    ("catalogue import / export", bench_import),
    ("window matter picker", bench_picker),
    ("pattern-run case start", bench_pattern_start),
]


# -- databases -----------------------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"onewindow_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_URL.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


DATABASES = {"sqlite": sqlite_database, "postgresql": postgres_database}


def run(kind: str) -> None:
    with DATABASES[kind]() as url, tempfile.TemporaryDirectory() as uploads:
        upgrade_database(url)
        ctx = EngineContext.create(EngineSettings(database_url=url, uploads_dir=Path(uploads)))
        try:
            deploy_path(ctx, ctx.settings.processes_dir, ADMIN)
            ensure_sample_organisation(ctx)
            print(f"{kind}:")
            for title, section in SECTIONS:
                print(f" {title}")
                for figure in section(ctx):
                    print(figure)
        finally:
            ctx.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(DATABASES), default=None)
    args = parser.parse_args()
    for kind in [args.only] if args.only else list(DATABASES):
        try:
            run(kind)
        except Exception as exc:  # noqa: BLE001 - a missing server is reported, the other database still runs
            print(f"{kind}: skipped ({type(exc).__name__}: {exc})")


if __name__ == "__main__":
    main()
