"""Reading a case back the way the engine's own steps describe it, for tests that check the outcome.

Built only from what the application itself uses (the repository reads, ``definition_for_case``
and ``case_view``, the view every step returns), so there is no engine function that only tests call.
"""

from __future__ import annotations

from engine.errors import CaseNotFound
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.tasks import open_tasks
from engine.runtime.case import CaseRuntime
from engine.services.cases import case_view
from engine.services.cases import chunk_reader
from engine.services.cases import definition_for_case
from engine.services.context import EngineContext
from engine.services.views import CaseView


def get_case(ctx: EngineContext, case_id: int, *, with_data: bool = True) -> CaseView:
    """The case as stored now; ``with_data`` deserializes its workflow (always, never from the cache)."""
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id, with_state=with_data)
        if case is None:
            raise CaseNotFound(case_id)
        runtime = None
        if with_data:
            assert case.state is not None
            runtime = CaseRuntime.restore(definition_for_case(ctx, uow, case), case.state, ctx.script_engine,
                                          chunk_reader(uow, case.id))
        return case_view(case, runtime, open_tasks(uow, case.id))
