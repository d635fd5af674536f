"""The health a load balancer asks for: the database answers and carries the expected schema."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from engine.persistence import health
from engine.services.context import EngineContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    reachable: bool
    dialect: str
    current_revision: str | None
    expected_revision: str | None
    #: Why the installation is unhealthy (Chinese), empty when healthy.
    problem: str

    @property
    def up_to_date(self) -> bool:
        return self.reachable and self.current_revision == self.expected_revision

    @property
    def ok(self) -> bool:
        return self.up_to_date


def check_health(ctx: EngineContext) -> Health:
    """Probe the database once; never raises (an unreachable database is an answer, not a crash)."""
    expected = health.expected_revision()
    try:
        current = health.current_revision(ctx.db)
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the database is unreachable
        log.warning("health check: database unreachable: %s", exc)
        return Health(False, ctx.db.dialect, None, expected, "数据库无法连接")
    problem = ""
    if current is None:
        problem = "数据库尚未初始化，请运行 onewindow init"
    elif current != expected:
        problem = f"数据库结构版本为 {current}，程序需要 {expected}，请运行 onewindow init 升级"
    return Health(True, ctx.db.dialect, current, expected, problem)
