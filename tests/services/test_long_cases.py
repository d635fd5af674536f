"""A long case (a rework loop of many rounds) keeps working, whoever serves its steps, and its saved
state stays small: finished tasks go into chunks stored once (``case_state_chunks``)."""

from __future__ import annotations

import dataclasses
import gzip
import json

from engine.actors import Actor
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.state_chunks import state_chunks
from engine.services import cases
from engine.services.context import EngineContext
from engine.services.tasks import complete_task
from tests.readback import get_case

REVIEWER = Actor("reviewer1", "审查员", frozenset({"reviewer"}))


def _saved(ctx: EngineContext, case_id: int) -> tuple[dict, int]:
    """The case row's state (as JSON) and how many chunks it builds on."""
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id, with_state=True)
        assert case is not None and case.state is not None
        state = json.loads(gzip.decompress(case.state))
        first, last = state.get("onewindow_chunks", (1, 0))
        chunks = state_chunks(uow, case_id, first, last)
    return state, len(chunks)


def test_a_long_case_saves_only_its_live_part_and_any_server_continues_it(deployed: EngineContext,
                                                                          applicant: Actor) -> None:
    # ``deployed`` keeps no workflow in memory (every step restores from the row and its chunks);
    # ``warm`` is another server that keeps its copy between the steps it serves.
    warm = EngineContext.create(dataclasses.replace(deployed.settings, workflow_cache_size=16), deployed.clock)
    try:
        view = cases.start_case(deployed, "loop_bench", applicant)
        for round_no in range(90):
            (task,) = view.open_tasks
            server = warm if round_no % 3 == 0 else deployed
            view = complete_task(server, view.id, task.task_uuid, {"again": "yes"}, REVIEWER)
        state, chunks = _saved(deployed, view.id)
        assert chunks >= 2
        assert len(state["tasks"]) < 80  # of the 180-odd tasks the case has run
        assert len(get_case(deployed, view.id).open_tasks) == 1
        (task,) = view.open_tasks
        view = complete_task(warm, view.id, task.task_uuid, {"again": "no"}, REVIEWER)
        assert view.status == "completed"
        assert get_case(deployed, view.id).status == "completed"
    finally:
        warm.dispose()
