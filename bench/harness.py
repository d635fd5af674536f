"""What the reliability benches share: a throwaway database with the test matters and API tokens,
gunicorn app servers and timer workers as real processes, and an HTTP client that follows the API's
error codes and counts every answer.

Used by ``bench/races.py`` and ``bench/crash.py`` (and by the two-server test). Nothing here
asserts; the scripts print what they measured.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine.actors import Actor  # noqa: E402
from engine.persistence.database import normalize_url  # noqa: E402
from engine.persistence.migrate import upgrade_database  # noqa: E402
from engine.persistence.repositories import accounts as stored_accounts  # noqa: E402
from engine.persistence.repositories.accounts import NewUser  # noqa: E402
from engine.services.accounts import actor_for  # noqa: E402
from engine.services.accounts import create_api_token  # noqa: E402
from engine.services.calendar import seed_calendar  # noqa: E402
from engine.services.context import EngineContext  # noqa: E402
from engine.services.deploy import deploy_path  # noqa: E402
from engine.settings import EngineSettings  # noqa: E402
from engine.settings import PasswordHashing  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
PG_ADMIN_URL = os.environ.get("ONEWINDOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SECRET = "bench-secret-" + "x" * 40
HISTORY_KEY = "bench-history-key-0123456789abcdef"
VALID_APPLICATION = {"project_name": "滨江花园二期", "uscc": "91350100M000100Y43", "area_m2": "12000",
                     "contact_mobile": "13800138000"}
#: Accounts of the bench: an applicant, two clerks per department (duplicates race as two people).
USERS = {"applicant": "applicant", "dept_a": "a_cb,a_sh,a_pz", "dept_a2": "a_cb,a_sh,a_pz",
         "dept_b": "b_cb,b_sh,b_pz", "dept_b2": "b_cb,b_sh,b_pz", "timer_clerk": "reviewer"}


def settings_for(url: str) -> EngineSettings:
    return EngineSettings(database_url=url, processes_dir=FIXTURES / "matters", forms_dir=FIXTURES / "forms",
                          password_hashing=PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1),
                          history_key=HISTORY_KEY)


@contextlib.contextmanager
def database(kind: str, workdir: Path, admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A new empty database of ``kind`` (``sqlite`` or ``postgresql``, created through ``admin_url``),
    dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'bench_{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"onewindow_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = normalize_url(admin_url).rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str, matters: tuple[str | Path, ...] = ("parallel_review",)) -> dict[str, str]:
    """Migrate, seed the calendar, deploy the test matters, create the accounts; returns API tokens."""
    upgrade_database(url)
    ctx = EngineContext.create(settings_for(url))
    try:
        seed_calendar(ctx, Actor("bench", groups=frozenset({"admin"})))
        for matter in matters:
            folder = matter if isinstance(matter, Path) else FIXTURES / "matters" / matter
            deploy_path(ctx, folder, Actor("bench", groups=frozenset({"designer"})))
        with ctx.uow() as uow:
            kind = {"applicant": "applicant"}
            stored_accounts.insert_users(uow, [NewUser(name, name, "!", groups, kind=kind.get(name, "staff"))
                                               for name, groups in USERS.items()], ctx.clock.now())
            uow.commit()
        tokens = {}
        for name in USERS:
            actor = actor_for(ctx, name)
            assert actor is not None
            tokens[name] = create_api_token(ctx, actor, "bench")
        return tokens
    finally:
        ctx.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": url, "ONEWINDOW_SECRET_KEY": SECRET, "ONEWINDOW_HISTORY_KEY": HISTORY_KEY,
                "ONEWINDOW_SECURE_COOKIES": "0", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    return env


class AppServer:
    """``gunicorn webapp.wsgi:app`` with several workers on one port, as in production."""

    def __init__(self, url: str, workers: int = 3, threads: int = 4, port: int | None = None,
                 log: Path | None = None) -> None:
        self.url = url
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> AppServer:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - kept with the process
        self.process = subprocess.Popen(
            [GUNICORN, "-w", str(self.workers), "-k", "gthread", "--threads", str(self.threads), "-b",
             f"127.0.0.1:{self.port}", "--graceful-timeout", "20", "--timeout", "60", "--keep-alive", "5",
             "webapp.wsgi:app"], cwd=ROOT, env=process_env(self.url), stdout=out, stderr=out,
            start_new_session=True)
        if self.log:
            out.close()  # the server has its own copy of the descriptor
        wait_healthy(self.port)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole server (master and workers: a SIGKILL leaves nobody to clean up)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(60)
        self.process = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


class TimerWorker:
    """``onewindow worker`` (the timer poller) as its own process."""

    def __init__(self, url: str, poll_seconds: float = 1.0, log: Path | None = None) -> None:
        self.url = url
        self.poll_seconds = poll_seconds
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait: bool = True) -> TimerWorker:
        """Start the worker; with ``wait`` (and a log) return once it is polling."""
        before = self._started_lines()
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "worker", "--interval", str(self.poll_seconds)], cwd=ROOT,
            env=process_env(self.url), stdout=out, stderr=out, start_new_session=True)
        if self.log:
            out.close()
            deadline = time.monotonic() + 120
            while wait and self._started_lines() <= before and time.monotonic() < deadline:
                time.sleep(0.1)
        return self

    def _started_lines(self) -> int:
        """How many times the log says a worker started (its first line, printed before it polls)."""
        if self.log is None or not self.log.exists():
            return 0
        return self.log.read_text(encoding="utf-8", errors="replace").count("定时器工作进程已启动")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(60)
        self.process = None


def wait_healthy(port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"app server on port {port} did not become healthy")


@dataclass
class Tally:
    """Every answer the clients got, by kind (thread-safe)."""

    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    resets: int = 0
    errors_5xx: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[key] += 1
            if key.startswith("5"):
                self.errors_5xx += 1

    def reset(self) -> None:
        with self.lock:
            self.requests += 1
            self.resets += 1


#: A kept-alive connection idle this long is not reused: the servers close theirs after 5 s
#: (``--keep-alive 5``), and a request racing that close would be a reset no server caused.
IDLE_LIMIT_S = 2.0


class Client:
    """JSON over HTTP to one or more servers; half the requests on a new connection, half on
    keep-alive connections taken from a pool. Answers are tallied as ``status`` or ``status code``."""

    def __init__(self, ports: list[int], tally: Tally) -> None:
        self.ports = ports
        self.tally = tally
        self._pool: queue.SimpleQueue[tuple[int, http.client.HTTPConnection, float]] = queue.SimpleQueue()
        self._turn = 0
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the kept-alive connections."""
        try:
            while True:
                self._pool.get_nowait()[1].close()
        except queue.Empty:
            pass

    def _port(self, port: int | None) -> int:
        if port is not None:
            return port
        with self._lock:
            self._turn += 1
            return self.ports[self._turn % len(self.ports)]

    def call(self, method: str, path: str, token: str, body: Any = None, *, port: int | None = None,
             keep_alive: bool | None = None) -> tuple[int, dict[str, Any]] | None:
        """One request; None when the connection was reset or refused (the caller decides to resend)."""
        port = self._port(port)
        keep = random.random() < 0.5 if keep_alive is None else keep_alive
        conn: http.client.HTTPConnection | None = None
        if keep:
            try:
                while conn is None:
                    pooled_port, pooled, idle_since = self._pool.get_nowait()
                    if pooled_port == port and time.monotonic() - idle_since < IDLE_LIMIT_S:
                        conn = pooled
                    else:
                        pooled.close()
            except queue.Empty:
                conn = None
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if not keep:
            headers["Connection"] = "close"
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self.tally.reset()
            return None
        if keep and not response.will_close:
            self._pool.put((port, conn, time.monotonic()))
        else:
            conn.close()
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {"code": "not_json"}
        code = answer.get("code", "") if response.status >= 400 and isinstance(answer, dict) else ""
        self.tally.add(f"{response.status} {code}".strip())
        return response.status, answer if isinstance(answer, dict) else {}


def jitter_sleep(attempt: int) -> None:
    """The back-off a client following ``x-retry-codes`` uses: random, growing with the attempt."""
    time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))


@dataclass
class CaseCheck:
    """The end-of-run check of every case straight from the database and the engine."""

    cases: int = 0
    completed: int = 0
    stuck: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    lost_acks: int = 0
    duplicates: int = 0
    verify_failures: int = 0


def check_cases(url: str, acked: set[tuple[int, str]]) -> CaseCheck:
    """Open task rows == the engine's ready tasks; no running case without a ready task, timer or
    message; every acknowledged completion in the history once; every chain verifies."""
    from engine.persistence.repositories.cases import all_cases
    from engine.persistence.repositories.cases import case_by_id
    from engine.persistence.repositories.history import history_of_case
    from engine.persistence.repositories.tasks import open_tasks
    from engine.services.audit import verify_history
    from engine.services.cases import load_runtime

    ctx = EngineContext.create(settings_for(url))
    result = CaseCheck()
    try:
        submitted: Counter[tuple[int, str]] = Counter()
        with ctx.uow() as uow:
            for listed in all_cases(uow):
                case = case_by_id(uow, listed.id, with_state=True)
                assert case is not None
                result.cases += 1
                runtime = load_runtime(ctx, uow, case)
                ready = {str(t.id) for t in runtime.ready_human_tasks()}
                rows = {r.task_uuid for r in open_tasks(uow, case.id)}
                if ready != rows:
                    result.mismatched.append(case.case_number)
                if case.status == "completed":
                    result.completed += 1
                waiting_messages = bool(runtime.workflow.waiting_events()) if case.status == "running" else False
                if case.status == "running" and not ready and case.next_timer_due is None and not waiting_messages:
                    result.stuck.append(case.case_number)
                for row in history_of_case(uow, case.id):
                    if row.event_type == "form_submitted":
                        submitted[(case.id, row.task_uuid)] += 1
        result.lost_acks = sum(1 for key in acked if submitted[key] == 0)
        result.duplicates = sum(1 for count in submitted.values() if count > 1)
        result.verify_failures = sum(1 for r in verify_history(ctx) if not r.ok)
    finally:
        ctx.dispose()
    return result
