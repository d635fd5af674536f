"""Rule: a reviewer who claimed or decided a task of a case keeps seeing that case after moving department.

The worklist row names the person (签收人, 办理人) as well as the groups it was offered to; a transfer
(调岗) must not hide from a reviewer the cases they answer for. Only those rows decide, never the workflow.
"""

from __future__ import annotations

import pytest

from engine.actors import Actor
from engine.errors import CaseNotFound
from engine.services import tasks
from engine.services.access import visible_case
from engine.services.context import EngineContext
from tests.conftest import dept_actor
from tests.services.test_cases import _submitted
from tests.services.test_cases import _task

REVIEWER = dept_actor("a_cb")


def _moved(actor: Actor) -> Actor:
    """The same person, now only in a department the case never reached."""
    return Actor(actor.user_id, actor.name, frozenset({"transport_bureau"}))


def test_the_reviewer_who_claimed_a_task_still_sees_the_case(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    tasks.claim_task(deployed, view.id, _task(view, "a_cb").task_uuid, REVIEWER)
    with deployed.uow() as uow:
        assert visible_case(uow, view.id, _moved(REVIEWER)).case.id == view.id
        with pytest.raises(CaseNotFound):
            visible_case(uow, view.id, Actor("colleague", "王五", frozenset({"transport_bureau"})))


def test_the_reviewer_who_decided_a_task_still_sees_the_case(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    tasks.complete_task(deployed, view.id, _task(view, "a_cb").task_uuid, {"a_opinion": "approve"}, REVIEWER)
    with deployed.uow() as uow:
        assert visible_case(uow, view.id, _moved(REVIEWER)).case.id == view.id


def test_an_unseen_case_is_named_by_the_id_asked_for(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    with deployed.uow() as uow:
        with pytest.raises(CaseNotFound) as caught:
            visible_case(uow, view.id, Actor("colleague", "王五", frozenset({"transport_bureau"})))
        assert caught.value.case_ref == view.id
        with pytest.raises(CaseNotFound) as caught:
            visible_case(uow, 999_999, applicant)
        assert caught.value.case_ref == 999_999


def test_a_step_gets_the_workflow_state_only_when_it_asks(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    with deployed.uow() as uow:
        assert visible_case(uow, view.id, applicant, with_state=True).case.state
        assert visible_case(uow, view.id, applicant).case.state is None
