"""The case row a step saves: two writers of one version never both win, and the chain head never lags."""

from __future__ import annotations

import pytest

from engine.actors import Actor
from engine.errors import ConcurrentUpdate
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.history import history_of_case
from engine.services import cases
from engine.services.audit import verify_history
from engine.services.context import EngineContext


def test_a_stale_copy_of_a_case_cannot_be_saved(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "parallel_review", applicant)
    with deployed.uow() as first_uow:
        first = case_by_id(first_uow, view.id)
    with deployed.uow() as second_uow:
        second = case_by_id(second_uow, view.id)
    assert first is not None and second is not None and first.lock_version == second.lock_version
    with deployed.uow() as uow:
        first.title = "第一位"
        save_case(uow, first)
        uow.commit()
    with deployed.uow() as uow, pytest.raises(ConcurrentUpdate):
        second.title = "第二位"
        save_case(uow, second)
    with deployed.uow() as uow:
        stored = case_by_id(uow, view.id)
    assert stored is not None
    assert (stored.title, stored.lock_version) == ("第一位", first.lock_version) == ("第一位", view.lock_version + 1)


def test_history_appended_after_the_last_save_is_refused(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "parallel_review", applicant)
    with deployed.uow() as uow:
        rows_before = len(history_of_case(uow, view.id))
        case = case_by_id(uow, view.id)
        assert case is not None
        append_history(uow, case, occurred_at=deployed.clock.now(), event_type="note_added", actor_id="x")
        save_case(uow, case)
        append_history(uow, case, occurred_at=deployed.clock.now(), event_type="note_added", actor_id="x")
        with pytest.raises(RuntimeError, match="after they were last saved"):
            uow.commit()
    with deployed.uow() as uow:
        assert len(history_of_case(uow, view.id)) == rows_before  # nothing of it was written
    assert all(check.ok for check in verify_history(deployed, view.id))
