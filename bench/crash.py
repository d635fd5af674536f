"""Crash safety: SIGKILL the app servers and the timer workers under load, restart, check everything.

Run from the repository root::

    python bench/crash.py [--db postgresql] [--seconds 60] [--kills 3] [--clients 4] [--poll 1] [--min-timers 200]

Load: clients file ``crash_timer`` cases (bench/matters: the applicant's form, then an 8-second
timer, then a clerk's review) for ``--seconds``, and on until ``--min-timers`` (200) timers are
armed, and complete the reviews their timers open, through gunicorn (3
workers) on one database, with two timer workers polling every ``--poll`` seconds. ``--kills``
times during the run, every app server process and the first timer worker are killed with SIGKILL
and started again at once; the second timer worker is killed and restarted a few seconds later,
so timers keep firing through the outages.

Then, with everything stopped: every acknowledged completion is in the history, no case is corrupt
(its state loads, its worklist rows equal its ready tasks, no running case lacks a ready task or a
timer), ``onewindow verify`` passes, no timer fired twice and none was lost. Printed: requests,
acks, resets and 5xx during the kills, timer lateness p50/p95/max over the fired timers (from the
history: the time it fired minus the time it was due), how many in-flight requests a SIGTERM let
finish, and the final lines ``crash_lost=``, ``crash_corrupt=``, ``timer_late_max_s=``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT  # noqa: E402
from bench.harness import VALID_APPLICATION  # noqa: E402
from bench.harness import AppServer  # noqa: E402
from bench.harness import Client  # noqa: E402
from bench.harness import Tally  # noqa: E402
from bench.harness import TimerWorker  # noqa: E402
from bench.harness import check_cases  # noqa: E402
from bench.harness import database  # noqa: E402
from bench.harness import jitter_sleep  # noqa: E402
from bench.harness import prepare  # noqa: E402
from bench.harness import process_env  # noqa: E402
from bench.harness import settings_for  # noqa: E402

MATTER = ROOT / "bench" / "matters" / "crash_timer"
TIMER_DELAY = timedelta(seconds=8)
REVIEW = {"a_opinion": "approve", "a_comment": "同意"}


class Load:
    """Clients filing cases and completing the reviews their timers open, until told to stop."""

    def __init__(self, client: Client, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens
        self.stop = threading.Event()
        self.acked: set[tuple[int, str]] = set()
        #: Cases whose application was acknowledged: each armed one timer.
        self.armed = 0
        self.lock = threading.Lock()

    def _send(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, dict[str, Any]] | None:
        for attempt in range(40):
            answer = self.client.call(method, path, token, body)
            if answer is None or answer[0] >= 500 or answer[1].get("code") == "conflict_retry":
                jitter_sleep(min(attempt, 5))
                continue
            return answer
        return None

    def filer(self) -> None:
        while not self.stop.is_set():
            started = self._send("POST", "/api/v1/matters/crash_timer/cases", self.tokens["applicant"], {})
            if started is None or started[0] != 201:
                continue
            case_id = started[1]["id"]
            submit = next(t["task_uuid"] for t in started[1]["open_tasks"] if t["element_id"] == "submit")
            done = self._send("POST", f"/api/v1/cases/{case_id}/tasks/{submit}/complete", self.tokens["applicant"],
                              {"data": VALID_APPLICATION})
            if done is not None and done[0] == 200:
                with self.lock:
                    self.acked.add((case_id, submit))
                    self.armed += 1
            time.sleep(0.2)

    def reviewer(self) -> None:
        while not self.stop.is_set():
            listed = self._send("GET", "/api/v1/tasks?matter=crash_timer", self.tokens["dept_a"])
            items = listed[1].get("items", []) if listed is not None else []
            for item in items[:5]:
                path = f"/api/v1/cases/{item['case_id']}/tasks/{item['task_uuid']}/complete"
                done = self._send("POST", path, self.tokens["dept_a"], {"data": REVIEW})
                if done is not None and done[0] == 200:
                    with self.lock:
                        self.acked.add((item["case_id"], item["task_uuid"]))
            time.sleep(0.5)


def sigterm_drain(url: str, tokens: dict[str, str], tmp: Path, requests: int = 8) -> tuple[int, int]:
    """Requests truly in flight when the server gets SIGTERM: each has sent its headers and half of
    its body, and sends the rest only after the signal. Returns (answered, dropped)."""
    server = AppServer(url, workers=2, log=tmp / "drain.log").start()
    body = b'{"data": {}}'
    signalled = threading.Event()
    outcomes: list[str] = []

    def one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            conn.putrequest("POST", "/api/v1/matters/crash_timer/cases")
            for name, value in (("Authorization", f"Bearer {tokens['applicant']}"),
                                ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                ("Connection", "close")):
                conn.putheader(name, value)
            conn.endheaders(body[:5])
            signalled.wait(30)
            conn.send(body[5:])
            outcomes.append("answered" if conn.getresponse().status == 201 else "error")
        except (OSError, http.client.HTTPException):
            outcomes.append("dropped")
        finally:
            conn.close()

    threads = [threading.Thread(target=one) for _ in range(requests)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # every request accepted and being read by a worker thread
    assert server.process is not None
    os.killpg(server.process.pid, signal.SIGTERM)  # gunicorn stops accepting, lets in-flight requests finish
    time.sleep(0.5)
    signalled.set()
    for thread in threads:
        thread.join()
    server.process.wait(60)
    server.process = None
    return outcomes.count("answered"), len(outcomes) - outcomes.count("answered")


def timer_figures(url: str) -> tuple[list[tuple[datetime, float]], int, int, int]:
    """(due, lateness in s) of every fired timer, timers fired twice, timers lost, cases waiting on a timer."""
    from engine.persistence.repositories.cases import all_cases
    from engine.persistence.repositories.history import history_of_case
    from engine.services.context import EngineContext

    ctx = EngineContext.create(settings_for(url))
    late: list[tuple[datetime, float]] = []
    twice = lost = waiting = 0
    now = ctx.clock.now()
    try:
        with ctx.uow() as uow:
            for case in all_cases(uow):
                rows = history_of_case(uow, case.id)
                entered = [r.occurred_at for r in rows if r.element_id == "wait" and r.to_state == "WAITING"]
                fired = [r.occurred_at for r in rows if r.event_type == "timers_fired"]
                if not entered:
                    continue
                due = entered[0] + TIMER_DELAY
                if len(fired) > 1:
                    twice += 1
                if fired:
                    late.append((due, (fired[0] - due).total_seconds()))
                elif due < now - timedelta(seconds=30):
                    lost += 1
                else:
                    waiting += 1
    finally:
        ctx.dispose()
    return late, twice, lost, waiting


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgresql")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--min-timers", type=int, default=200,
                        help="keep filing after --seconds until this many timers are armed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name, database(args.db, Path(tmp_name)) as url:
        tmp = Path(tmp_name)
        tokens = prepare(url, (MATTER,))
        server = AppServer(url, workers=3, log=tmp / "gunicorn.log").start()
        workers = [TimerWorker(url, args.poll, log=tmp / f"worker{i}.log").start() for i in range(2)]
        tally = Tally()
        kills: list[datetime] = []
        load = Load(Client([server.port], tally), tokens)
        threads = [threading.Thread(target=load.filer) for _ in range(args.clients)]
        threads += [threading.Thread(target=load.reviewer) for _ in range(max(1, args.clients // 2))]
        try:
            for thread in threads:
                thread.start()
            began = time.monotonic()
            for at in [args.seconds * (i + 1) / (args.kills + 1) for i in range(args.kills)]:
                time.sleep(max(0.0, began + at - time.monotonic()))
                kills.append(datetime.now(UTC))
                server.kill()  # SIGKILL to the master and every worker
                workers[0].kill()
                server.start()  # same port: clients see resets meanwhile, then answers again
                workers[0].start()  # returns once it polls: then the second one goes down
                workers[1].kill()
                workers[1].start()
            time.sleep(max(0.0, began + args.seconds - time.monotonic()))
            while load.armed < args.min_timers and time.monotonic() < began + 20 * args.seconds:
                time.sleep(0.5)  # a slow machine: file on until enough timers are armed
            load.stop.set()
            for thread in threads:
                thread.join()
            time.sleep(TIMER_DELAY.total_seconds() + args.poll + 2)  # let the last timers come due and fire
        finally:
            load.stop.set()
            server.stop()
            for worker in workers:
                worker.kill(signal.SIGTERM)
        drained, dropped = sigterm_drain(url, tokens, tmp)
        check = check_cases(url, load.acked)
        verify = subprocess.run([sys.executable, "-m", "webapp.cli", "verify"], cwd=ROOT, env=process_env(url),
                                capture_output=True, text=True)
        timed, twice, lost_timers, waiting = timer_figures(url)
    late = [seconds for _, seconds in timed]
    statuses = Counter({k: v for k, v in tally.statuses.items() if not k.startswith("2")})
    corrupt = len(check.mismatched) + len(check.stuck) + check.verify_failures + (verify.returncode != 0)
    print(f"{args.db}: seconds={args.seconds:.0f} kills={args.kills} cases={check.cases} requests={tally.requests} "
          f"acks={len(load.acked)} resets={tally.resets} 5xx={tally.errors_5xx} other={json.dumps(statuses)}")
    print(f"check: lost_acks={check.lost_acks} duplicates={check.duplicates} worklist_mismatch={len(check.mismatched)}"
          f" stuck={len(check.stuck)} verify_exit={verify.returncode} ({verify.stdout.strip().splitlines()[-1]})")
    print(f"timers: armed={load.armed} fired={len(late)} fired_twice={twice} lost={lost_timers} "
          f"still_waiting={waiting} "
          f"late_p50_s={percentile(late, 0.5):.2f} late_p95_s={percentile(late, 0.95):.2f} "
          f"late_max_s={max(late, default=0.0):.2f} mean_s={statistics.fmean(late) if late else 0.0:.2f}"
          f" (poll {args.poll:g}s)")
    worst = sorted(timed, key=lambda item: -item[1])[:5]
    print("latest timers: " + ", ".join(
        f"{seconds:.2f}s (due {min(((due - kill).total_seconds() for kill in kills), key=abs, default=0.0):+.1f}s"
        " from the nearest kill)" for due, seconds in worst))
    print(f"sigterm: requests in flight at SIGTERM answered={drained} dropped={dropped}")
    print(f"crash_lost={check.lost_acks + check.duplicates + lost_timers + twice}")
    print(f"crash_corrupt={corrupt}")
    print(f"timer_late_max_s={max(late, default=0.0):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
