"""The access policy on plain facts: who sees a case, as which audience, who works which task."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

import pytest

from engine.actors import Actor
from engine.policy import Audience
from engine.policy import CaseParties
from engine.policy import Relation
from engine.policy import TaskParties
from engine.policy import case_access
from engine.policy.projection import applicant_data
from engine.policy.projection import applicant_timeline

PARTIES = CaseParties(owner_id="citizen", started_by="clerk")  # filed at the window for the citizen
APPLY = TaskParties("t-apply", ("applicant",), None, "clerk", "completed")
RECEPTION = TaskParties("t-rc", ("window_clerk", "fallback_clerk"), None, "clerk", "completed")
REVIEW = TaskParties("t-review", ("scjg_review",), "reviewer", None, "open")
SUPPLEMENT = TaskParties("t-supplement", ("applicant",), None, None, "open")
TASKS = (APPLY, RECEPTION, REVIEW, SUPPLEMENT)


def _actor(user_id: str, *groups: str) -> Actor:
    return Actor(user_id, groups=frozenset(groups))


@pytest.mark.parametrize(("actor", "relation"), [
    (_actor("admin", "admin"), Relation.ADMINISTRATOR),
    (_actor("auditor", "auditor"), Relation.AUDITOR),
    (_actor("boss", "supervisor", "chief"), Relation.SUPERVISOR),
    (_actor("other_clerk", "window_clerk"), Relation.WINDOW),
    (_actor("clerk", "window_clerk"), Relation.WINDOW),  # the filing clerk is window staff first
    (_actor("fallback", "fallback_clerk"), Relation.FALLBACK_WINDOW),
    (_actor("reviewer", "scjg_review"), Relation.DEPARTMENT),  # offered (and holds) the review
    (_actor("colleague", "scjg_review"), Relation.DEPARTMENT),  # same group: the department's case
    (_actor("citizen", "applicant"), Relation.APPLICANT),
    (_actor("clerk", "applicant"), Relation.FILING_CLERK),  # filed it, no longer at the window
    (_actor("zj", "zj_chengban"), None),  # another department
    (_actor("designer", "designer"), None),
    (_actor("stranger", "applicant"), None),
    (_actor(""), None),
])
def test_relation_of_each_kind_of_actor(actor: Actor, relation: Relation | None) -> None:
    access = case_access(actor, PARTIES, TASKS)
    assert (access.relation if access else None) == relation


def test_a_department_keeps_the_case_after_its_task_is_done() -> None:
    done = TaskParties("t-zj", ("zj_chengban",), None, "someone", "completed")
    assert case_access(_actor("zj", "zj_chengban"), PARTIES, (done,)).relation is Relation.DEPARTMENT
    worked = TaskParties("t-x", ("gone_group",), None, "former", "completed")  # the group was renamed since
    assert case_access(_actor("former", "new_group"), PARTIES, (worked,)).relation is Relation.DEPARTMENT


def test_audience_follows_the_relation() -> None:
    assert {r: r.audience for r in Relation} == {
        **{r: Audience.STAFF for r in Relation},
        Relation.APPLICANT: Audience.APPLICANT, Relation.FILING_CLERK: Audience.APPLICANT,
        Relation.QUERY_CODE: Audience.APPLICANT}


def test_applicant_tasks_belong_to_the_applicant_and_the_filing_clerk_only() -> None:
    citizen = case_access(_actor("citizen", "applicant"), PARTIES, TASKS)
    filer = case_access(_actor("clerk", "window_clerk"), PARTIES, TASKS)
    colleague = case_access(_actor("other_clerk", "window_clerk"), PARTIES, TASKS)
    assert citizen.may_work(SUPPLEMENT) and filer.may_work(SUPPLEMENT) and not colleague.may_work(SUPPLEMENT)
    assert not citizen.may_work(APPLY)  # done
    assert not citizen.may_work(REVIEW)


def test_a_claimed_task_is_its_holders() -> None:
    holder = case_access(_actor("reviewer", "scjg_review"), PARTIES, TASKS)
    colleague = case_access(_actor("colleague", "scjg_review"), PARTIES, TASKS)
    assert holder.may_work(REVIEW) and not colleague.may_work(REVIEW)


def test_the_applicant_side_sees_its_own_steps_and_files_only() -> None:
    citizen = case_access(_actor("citizen", "applicant"), PARTIES, TASKS)
    reviewer = case_access(_actor("reviewer", "scjg_review"), PARTIES, TASKS)
    assert [t.task_uuid for t in TASKS if citizen.sees_task(t)] == ["t-apply", "t-supplement"]
    assert all(reviewer.sees_task(t) for t in TASKS)
    assert not citizen.sees_submission(None) and reviewer.sees_submission(None)
    assert citizen.may_download("citizen") and citizen.may_download("clerk")  # filed for them at the window
    assert not citizen.may_download("reviewer")  # a department's working file
    assert reviewer.may_download("reviewer") and reviewer.may_download("citizen")


@dataclass(frozen=True)
class Row:
    seq: int
    event_type: str
    task_uuid: str = ""
    data_after: str | None = None
    element_id: str = ""
    element_name: str = ""
    to_state: str = ""
    occurred_at: datetime = datetime(2025, 9, 26, tzinfo=UTC)


def test_the_applicant_timeline_drops_internal_rows_and_notes() -> None:
    tasks = {t.task_uuid: t for t in TASKS}
    rows = [
        Row(1, "case_started", data_after=json.dumps({"data": {"case_number": "N", "gateway": 1}})),
        Row(2, "form_submitted", "t-apply", json.dumps({"operator_name": "面馆"})),
        Row(3, "task_claimed", "t-rc"),
        Row(4, "form_submitted", "t-rc", json.dumps({"reception_note": "内部意见"})),
        Row(5, "task_state_changed", data_after=json.dumps({"pit_review": {"status": "passed"}})),
        Row(6, "status_changed", data_after=json.dumps({"blzt": 3, "name": "已受理", "permit": ""})),
        Row(7, "document_issued", data_after=json.dumps({"title": "受理通知书", "document_no": "N-01"})),
        Row(8, "form_submitted", "unknown-task", json.dumps({"secret": 1})),
        Row(9, "snapshot_recorded", data_after=json.dumps({"state": "..."})),
        Row(10, "deadline_extended", data_after=json.dumps({"days": 5, "reason": "需要专家评审"})),
    ]
    timeline = applicant_timeline(rows, tasks)
    assert [(e.seq, e.event_type) for e in timeline] == [
        (1, "case_started"), (2, "form_submitted"), (6, "status_changed"), (7, "document_issued"),
        (10, "deadline_extended")]
    assert [e.details for e in timeline] == [
        {}, {"operator_name": "面馆"}, {"blzt": 3, "name": "已受理", "permit": ""},
        {"title": "受理通知书", "document_no": "N-01"}, {"days": 5, "reason": "需要专家评审"}]


def test_applicant_data_holds_only_its_own_fields() -> None:
    data = applicant_data({"case_number": "N", "operator_name": "旧", "reception_decision": "accept"},
                          [{"operator_name": "新", "pit_review": {"status": "passed"}}],
                          frozenset({"operator_name", "contact_mobile"}))
    assert data == {"case_number": "N", "operator_name": "新"}
