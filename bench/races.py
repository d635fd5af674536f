"""Races through the REST API against gunicorn with several workers, on SQLite and PostgreSQL.

Run from the repository root::

    python bench/races.py [--races 1000] [--db sqlite,postgresql] [--workers 3] [--parallel 4] [--dup 2]

Each case of the ``parallel_review`` test matter is filed and submitted by its applicant; then its
two departments finish their three steps side by side, and every step is one *race*: both
departments' completions sent at the same instant, each of them ``--dup`` times (two clerks of the
same post, or a client resending), half on new connections and half on keep-alive ones. The
clients follow the API's codes: ``conflict_retry`` (and a 5xx or a reset connection) is sent again
after a random pause, ``task_already_done`` means someone finished it: move on.

Afterwards every case is checked in the database: its open task rows equal the engine's ready
tasks, no running case lacks a ready task, timer or message, every acknowledged completion is in
the history exactly once, and every history chain verifies. Printed per database: requests, acks,
each 4xx code, 5xx, resets, stuck, lost acks, duplicates; then the sums as the final lines
``races_lost=``, ``races_stuck=``, ``races_5xx=``. Nothing is asserted; the target is 0/0/0.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import VALID_APPLICATION  # noqa: E402
from bench.harness import AppServer  # noqa: E402
from bench.harness import CaseCheck  # noqa: E402
from bench.harness import Client  # noqa: E402
from bench.harness import Tally  # noqa: E402
from bench.harness import check_cases  # noqa: E402
from bench.harness import database  # noqa: E402
from bench.harness import jitter_sleep  # noqa: E402
from bench.harness import prepare  # noqa: E402

STAGES = (("a_cb", "b_cb"), ("a_sh", "b_sh"), ("a_pz", "b_pz"))
FORMS = {"a": {"a_opinion": "approve", "a_comment": "住建同意"}, "b": {"b_opinion": "approve", "b_comment": "城管同意"}}
CLERKS = {"a": ("dept_a", "dept_a2"), "b": ("dept_b", "dept_b2")}
MAX_ATTEMPTS = 20


class Driver:
    """Drives cases to their end through the API, following the error codes."""

    def __init__(self, client: Client, tokens: dict[str, str], dup: int) -> None:
        self.client = client
        self.tokens = tokens
        self.dup = dup
        self.acked: set[tuple[int, str]] = set()
        self.races = 0
        self.unfinished: list[int] = []
        self.lock = threading.Lock()

    def _send(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, dict[str, Any]] | None:
        """Send until an answer that is not "try again" arrives (or attempts run out)."""
        for attempt in range(MAX_ATTEMPTS):
            answer = self.client.call(method, path, token, body)
            if answer is None or answer[0] >= 500 or answer[1].get("code") in ("conflict_retry", "too_many_requests"):
                jitter_sleep(attempt)
                continue
            return answer
        return None

    def _complete(self, case_id: int, task_uuid: str, token: str, form: dict[str, Any],
                  barrier: threading.Barrier) -> None:
        barrier.wait()
        answer = self._send("POST", f"/api/v1/cases/{case_id}/tasks/{task_uuid}/complete", token, {"data": form})
        if answer is not None and answer[0] == 200:
            with self.lock:
                self.acked.add((case_id, task_uuid))

    def run_case(self, _: int) -> None:
        started = self._send("POST", "/api/v1/matters/parallel_review/cases", self.tokens["applicant"], {})
        if started is None or started[0] != 201:
            return
        case_id = started[1]["id"]
        submit = next(t["task_uuid"] for t in started[1]["open_tasks"] if t["element_id"] == "submit")
        done = self._send("POST", f"/api/v1/cases/{case_id}/tasks/{submit}/complete", self.tokens["applicant"],
                          {"data": VALID_APPLICATION})
        if done is None or done[0] != 200:
            self.unfinished.append(case_id)
            return
        for stage in STAGES:
            seen = self._send("GET", f"/api/v1/cases/{case_id}", self.tokens["dept_a"])
            seen_b = self._send("GET", f"/api/v1/cases/{case_id}", self.tokens["dept_b"])
            if seen is None or seen_b is None:
                self.unfinished.append(case_id)
                return
            open_tasks = {t["element_id"]: t["task_uuid"] for t in seen[1].get("open_tasks", []) +
                          seen_b[1].get("open_tasks", [])}
            calls = []
            for element in stage:
                side = element[0]
                if element not in open_tasks:
                    continue
                for copy in range(self.dup):
                    token = self.tokens[CLERKS[side][copy % 2]]
                    calls.append((open_tasks[element], token, FORMS[side]))
            barrier = threading.Barrier(len(calls))
            threads = [threading.Thread(target=self._complete, args=(case_id, uuid_, token, form, barrier))
                       for uuid_, token, form in calls]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            with self.lock:
                self.races += 1
        final = self._send("GET", f"/api/v1/cases/{case_id}", self.tokens["dept_a"])
        if final is None or final[1].get("status") != "completed":
            self.unfinished.append(case_id)


def run(kind: str, races: int, workers: int, parallel: int, dup: int) -> tuple[Tally, Driver, CaseCheck, float]:
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        tokens = prepare(url)
        server = AppServer(url, workers=workers, log=Path(tmp) / "gunicorn.log").start()
        tally = Tally()
        driver = Driver(Client([server.port], tally), tokens, dup)
        cases = max(1, -(-races // len(STAGES)))
        began = time.perf_counter()
        try:
            with ThreadPoolExecutor(parallel) as pool:
                list(pool.map(driver.run_case, range(cases)))
        finally:
            elapsed = time.perf_counter() - began
            driver.client.close()
            server.stop()
        check = check_cases(url, driver.acked)
        return tally, driver, check, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--races", type=int, default=1000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--parallel", type=int, default=4, help="cases driven at once")
    parser.add_argument("--dup", type=int, default=2, help="copies of each completion sent at once")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    random.seed(args.seed)
    lost = stuck = errors = 0
    for kind in args.db.split(","):
        tally, driver, check, elapsed = run(kind, args.races, args.workers, args.parallel, args.dup)
        codes = " ".join(f"[{k}]={v}" for k, v in sorted(tally.statuses.items()) if k[:1] == "4")
        print(f"{kind}: races={driver.races} cases={check.cases} completed={check.completed} "
              f"requests={tally.requests} acks={len(driver.acked)} 4xx: {codes or 'none'} "
              f"5xx={tally.errors_5xx} resets={tally.resets} stuck={len(check.stuck)} "
              f"unfinished={len(driver.unfinished)} worklist_mismatch={len(check.mismatched)} "
              f"lost_acks={check.lost_acks} duplicates={check.duplicates} verify_failures={check.verify_failures} "
              f"seconds={elapsed:.1f} requests_per_s={tally.requests / elapsed:.1f}")
        lost += check.lost_acks + check.duplicates
        stuck += len(check.stuck) + len(driver.unfinished) + len(check.mismatched)
        errors += tally.errors_5xx
    print(f"races_lost={lost}")
    print(f"races_stuck={stuck}")
    print(f"races_5xx={errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
