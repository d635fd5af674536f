"""Fixtures for walking the shipped matters (processes/ and forms/) with an injected clock.

These run on SQLite only: the engine's database behaviour is covered on both backends in
tests/services; here the subject is the diagrams.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.decision_rules import DEFAULT_REJECTION_PROVISIONS
from engine.decision_rules import provision_lists
from engine.errors import TaskNotFound
from engine.persistence.base import Base
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deadlines import CaseDeadlines
from engine.services.deadlines import case_deadlines
from engine.services.deploy import deploy_path
from engine.services.timers import fire_due_timers
from engine.services.views import CaseView
from engine.settings import EngineSettings
from tests.conftest import ROOT
from tests.readback import get_case


class Hall:
    """A small driver that plays every role of an approval hall against one engine context."""

    def __init__(self, ctx: EngineContext, clock: FixedClock) -> None:
        self.ctx = ctx
        self.clock = clock

    def deploy(self, matter: str) -> None:
        """Deploy one shipped matter (each test module deploys only what it walks)."""
        designer = Actor("designer", groups=frozenset({"designer"}))
        deploy_path(self.ctx, self.ctx.settings.processes_dir / matter, designer)

    @staticmethod
    def actor(group: str, user: str | None = None) -> Actor:
        return Actor(user or f"u_{group}", f"用户{group}", frozenset({group}))

    def start(self, matter: str, data: dict[str, Any] | None = None, starter: str = "applicant") -> CaseView:
        return cases.start_case(self.ctx, matter, self.actor(starter), data or {})

    def open(self, case_id: int) -> list[str]:
        return [t.element_id for t in get_case(self.ctx, case_id, with_data=False).open_tasks]

    def do(self, case_id: int, element_id: str, values: dict[str, Any], user: str | None = None) -> CaseView:
        """Complete the open task ``element_id`` as a member of its first candidate group."""
        view = get_case(self.ctx, case_id, with_data=False)
        task = next((t for t in view.open_tasks if t.element_id == element_id), None)
        if task is None:
            raise TaskNotFound(f"{element_id} (open: {[t.element_id for t in view.open_tasks]})")
        actor = self.actor(task.candidate_groups[0], user)
        return tasks.complete_task(self.ctx, case_id, task.task_uuid, values, actor)

    def advance(self, **delta: float) -> int:
        """Move the clock and let the timer worker run."""
        self.clock.advance(**delta)
        return fire_due_timers(self.ctx)

    def case(self, case_id: int) -> CaseView:
        return get_case(self.ctx, case_id)

    def history(self, case_id: int):  # type: ignore[no-untyped-def]
        return cases.case_history(self.ctx, case_id)

    def deadlines(self, case_id: int) -> CaseDeadlines | None:
        """The stored deadline record, as every page and the API show it."""
        return case_deadlines(self.ctx, case_id)

    def due_dates(self, case_id: int) -> tuple[str, str]:
        """(promised, statutory) due dates of the stored record, as ISO dates."""
        record = self.deadlines(case_id)
        assert record is not None, "the case has no deadline record (not accepted)"
        return record.promised_due.isoformat(), record.statutory_due.isoformat()


@pytest.fixture
def hall(tmp_path: Path, clock: FixedClock) -> Iterator[Hall]:
    settings = EngineSettings(database_url=f"sqlite:///{tmp_path / 'hall.sqlite3'}", processes_dir=ROOT / "processes",
                              forms_dir=ROOT / "forms")
    ctx = EngineContext.create(settings, clock)
    Base.metadata.create_all(ctx.db.engine)
    yield Hall(ctx, clock)
    ctx.dispose()


#: The 不予受理 grounds (行政许可法 art. 32) the reception form offers, by the ground's key.
REJECTION_BY_GROUND = {"no_permit_needed": DEFAULT_REJECTION_PROVISIONS[0],
                       "not_competent": DEFAULT_REJECTION_PROVISIONS[1]}


def refusal_at_reception(note: str, ground: str = "no_permit_needed", competent_organ: str = "") -> dict[str, Any]:
    """The window's 不予受理 as the form requires it: a reason, the ground, its provision (and the organ)."""
    values = {"reception_decision": "refuse", "reception_note": note, "refusal_ground": ground,
              "refusal_provision": REJECTION_BY_GROUND[ground]}
    return {**values, "competent_organ": competent_organ} if competent_organ else values


def first_provision(hall: Hall, matter: str, values_key: str = "refusal_provisions") -> str:
    """The first provision a refusal of ``matter`` may cite (its ``matter.toml`` list)."""
    with hall.ctx.uow() as uow:
        _record, compiled = hall.ctx.latest_definition(uow, matter)
    return provision_lists(compiled.metadata)[values_key][0]
