"""Notices: a step's documents and status changes go to the gateway once committed, and the 消息中心 lists
every notice on the applicant's own cases, newest first; a broken gateway never undoes a saved step."""

from __future__ import annotations

import logging

import pytest

from engine.actors import Actor
from engine.services import cases
from engine.services import tasks
from engine.services.casework import case_projection
from engine.services.context import EngineContext
from engine.services.notices import Notice
from engine.services.notices import applicant_messages
from engine.services.notices import dispatch_new_notices
from tests.services.conftest import VALID_APPLICATION


def _submitted(ctx: EngineContext, applicant: Actor) -> int:
    view = cases.start_case(ctx, "doc_review", applicant)
    submit = next(t for t in view.open_tasks if t.element_id == "submit")
    tasks.complete_task(ctx, view.id, submit.task_uuid, VALID_APPLICATION, applicant)
    return view.id


def test_a_step_sends_what_it_issued_and_the_message_centre_lists_it(
        deployed: EngineContext, applicant: Actor, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="onewindow.notices"):
        case_id = _submitted(deployed, applicant)
    sent = [r.getMessage() for r in caplog.records if r.name == "onewindow.notices"]
    documents = [d.title for d in case_projection(deployed, case_id, applicant).documents]
    accepted = documents[-1]  # the acceptance notice, issued by the step just taken
    assert any("已受理" in line for line in sent), sent
    assert any(f"《{accepted}》" in line for line in sent), sent
    assert not any(f"《{documents[0]}》" in line for line in sent)  # the receipt came before this step

    messages = applicant_messages(deployed, applicant)
    assert {m.case_id for m in messages} == {case_id}
    assert [m.title for m in messages if m.document_no] == list(reversed(documents))  # newest first
    assert "办理状态：已受理" in [m.title for m in messages]
    assert applicant_messages(deployed, Actor("someone_else", groups=frozenset({"applicant"}))) == []


class _Broken:
    def send(self, notice: Notice) -> None:
        raise ConnectionRefusedError("SMS platform down")


def test_a_gateway_failure_is_logged_and_sends_nothing(deployed: EngineContext, applicant: Actor,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    case_id = _submitted(deployed, applicant)
    with caplog.at_level(logging.ERROR, logger="onewindow.notices"):
        assert dispatch_new_notices(deployed, case_id, 0, gateway=_Broken()) == 0
    assert "could not be sent" in caplog.text
    assert applicant_messages(deployed, applicant)  # the 消息中心 still has them: they are the history
