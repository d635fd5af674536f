"""Rule: a stored file is its uploader's; on a case, those who see the case get it by the policy, nobody else.

A department's working file (an inspection photo) never reaches the applicant, and a file is never a way
to probe a case one may not see: the answer is the same "no" as for a file of no case.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from engine.actors import Actor
from engine.persistence.repositories.uploads import UploadRow
from engine.services.access import may_download
from engine.services.access import visible_case
from engine.services.context import EngineContext
from tests.conftest import dept_actor
from tests.services.test_cases import _submitted

REVIEWER = dept_actor("a_cb")  # offered the case's first review task
STRANGER = Actor("someone_else", "李四", frozenset({"applicant"}))


def _upload(uploaded_by: str, case_id: int | None) -> UploadRow:
    return UploadRow(id=1, sha256="0" * 64, original_name="现场照片.jpg", content_type="image/jpeg", size=3,
                     uploaded_by=uploaded_by, uploaded_at=datetime(2025, 9, 26, 2, 0, tzinfo=UTC), case_id=case_id)


def test_the_uploader_always_gets_their_own_file(deployed: EngineContext) -> None:
    with deployed.uow() as uow:
        assert may_download(uow, _upload(STRANGER.user_id, None), STRANGER)
        assert may_download(uow, _upload(STRANGER.user_id, 999_999), STRANGER)


def test_a_file_of_no_case_is_nobody_elses(deployed: EngineContext, applicant: Actor) -> None:
    with deployed.uow() as uow:
        assert not may_download(uow, _upload(STRANGER.user_id, None), applicant)


def test_a_file_of_a_case_one_may_not_see_is_refused(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    with deployed.uow() as uow:
        assert not may_download(uow, _upload(applicant.user_id, view.id), STRANGER)
        assert not may_download(uow, _upload(applicant.user_id, 999_999), STRANGER)  # no such case: same answer


def test_those_who_see_the_case_get_its_files_by_the_policy(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    with deployed.uow() as uow:
        assert may_download(uow, _upload(applicant.user_id, view.id), REVIEWER)  # staff read the applicant's file
        assert not may_download(uow, _upload(REVIEWER.user_id, view.id), applicant)  # a department's working file


def test_a_task_that_is_not_open_on_the_case_is_none(deployed: EngineContext, applicant: Actor) -> None:
    """A stale or forged task id on a form post finds no task (answered as such), it does not crash."""
    view = _submitted(deployed, applicant)
    with deployed.uow() as uow:
        seen = visible_case(uow, view.id, REVIEWER)
        assert seen.open_task("no-such-task") is None
        [open_row] = [row for row in seen.open_tasks if row.element_id == "a_cb"]
        assert seen.open_task(open_row.task_uuid) == open_row
        assert seen.parties_by_task[open_row.task_uuid].task_uuid == open_row.task_uuid
