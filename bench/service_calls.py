"""Service tasks calling an HTTP endpoint through the outbox: how fast requests are staged and answered.

Run from the repository root::

    python bench/service_calls.py --cases 200

A fresh SQLite database gets the bench matter ``bench/matters/bench_http_call`` (start → a service
task calling ``http:bench_registry`` → end) and a local ``http.server`` answering ``{"ok": true}``.
It starts N cases (each stages one request in its step), then runs the worker's delivery pass until
every case is completed, and prints the time per case start, per answered call (HTTP round trip plus
the case step that writes the answer back) and the calls per second. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
logging.getLogger("spiff").addHandler(logging.NullHandler())
logging.getLogger("spiff").propagate = False

from engine.actors import Actor  # noqa: E402
from engine.persistence.migrate import upgrade_database  # noqa: E402
from engine.services.cases import start_case  # noqa: E402
from engine.services.context import EngineContext  # noqa: E402
from engine.services.deploy import deploy_path  # noqa: E402
from engine.services.service_calls import deliver_service_calls  # noqa: E402
from engine.settings import EngineSettings  # noqa: E402
from engine.settings import ServiceEndpoint  # noqa: E402


class _Answer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/check"
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade_database(database)
        settings = EngineSettings(database_url=database, uploads_dir=Path(tmp) / "uploads",
                                  service_endpoints=(ServiceEndpoint("bench_registry", url),))
        ctx = EngineContext.create(settings)
        deploy_path(ctx, ROOT / "bench" / "matters" / "bench_http_call", Actor("bench", groups=frozenset({"designer"})))
        began = time.perf_counter()
        for _ in range(args.cases):
            start_case(ctx, "bench_http_call", Actor.system())
        started = time.perf_counter()
        answered = 0
        while answered < args.cases:
            done = deliver_service_calls(ctx, limit=100)
            if not done:
                break
            answered += done
        finished = time.perf_counter()
        ctx.dispose()
    server.shutdown()
    start_ms = (started - began) * 1000 / args.cases
    call_ms = (finished - started) * 1000 / max(answered, 1)
    print(f"cases: {args.cases}, answered: {answered}")  # noqa: T201 - a bench prints its figures
    print(f"start (request staged in the step): {start_ms:.1f} ms per case")  # noqa: T201
    print(f"delivery (HTTP + answer written back, case completed): {call_ms:.1f} ms per call, "  # noqa: T201
          f"{answered / max(finished - started, 1e-9):.0f} calls/s")


if __name__ == "__main__":
    main()
