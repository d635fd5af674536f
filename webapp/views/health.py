"""``/healthz`` for load balancers and monitors: no sign-in, JSON, 200 when healthy, else 503."""

from __future__ import annotations

from flask import Blueprint

from engine.services.health import check_health
from webapp.security import engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    report = check_health(engine())
    body = {
        "status": "ok" if report.ok else "unhealthy",
        "database": {"reachable": report.reachable, "dialect": report.dialect},
        "migrations": {"current": report.current_revision, "expected": report.expected_revision,
                       "up_to_date": report.up_to_date},
    }
    if report.problem:
        body["problem"] = report.problem
    return body, 200 if report.ok else 503, {"Cache-Control": "no-store"}
