"""Filing an application (申办): for oneself, or at the window for a registered applicant or a walk-in.

The HTML apply buttons (the service guide, the window's walk-in form) and ``POST /api/v1/matters/<code>/cases``
call ``file_application``; who may file for whom is the policy's (``engine.policy.may_file_for_others``).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.actors import APPLICANT_GROUP
from engine.actors import Actor
from engine.errors import NotAllowed
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy import may_file_for_others
from engine.services.accounts import actor_for
from engine.services.cases import start_case
from engine.services.casework import CaseProjection
from engine.services.casework import application_prefill
from engine.services.casework import case_projection
from engine.services.context import EngineContext
from engine.services.parties import WalkInApplicant
from engine.services.parties import new_party_id
from engine.services.parties import record_walk_in

#: How a case filed at the counter is titled, so the window's lists tell it apart (窗口代录).
COUNTER_TITLE = "窗口代录：{name}"


class UnknownApplicant(NotAllowed):
    """The window named an applicant account that does not exist (or is not an applicant's)."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"申请人账号“{username}”不存在")


@dataclass(frozen=True)
class Filed:
    #: The new case as the filer sees it.
    case: CaseProjection

    @property
    def case_id(self) -> int:
        return self.case.summary.id

    @property
    def first_task(self) -> str | None:
        """The filer's first task on the new case (usually the application form), if it has one."""
        return self.case.workable[0] if self.case.workable else None


def file_application(ctx: EngineContext, matter_code: str, actor: Actor, *, applicant_username: str = "",
                     walk_in: WalkInApplicant | None = None, prefill: Mapping[str, Any] | None = None) -> Filed:
    """Start a case on the matter's newest version.

    :param prefill: values for the applicant's forms (the API), each checked by its field's rules first.
    :param applicant_username: the window files for this registered applicant (代办): the case is theirs.
    :param walk_in: the window files for someone at the counter without an account (窗口代录): they
        become the case's party (owner ``walkin:…``) with a 查询码 (``services.parties``).
    :raise NotAllowed: someone other than the window files for another, or may not start the matter.
    :raise UnknownApplicant: no applicant account ``applicant_username``; nothing is started.
    :raise FormDataInvalid: ``prefill`` names fields the applicant does not fill in, or breaks their rules;
        or the walk-in applicant's identity is incomplete or malformed. Nothing is started.
    """
    owner, title = actor.user_id, ""
    applicant_username = applicant_username.strip()
    if (applicant_username or walk_in is not None) and not may_file_for_others(actor):
        raise NotAllowed("只有受理窗口可以代为申办")
    record: Callable[[UnitOfWork, CaseRow], object] | None = None
    if applicant_username:
        applicant = actor_for(ctx, applicant_username)
        if applicant is None or APPLICANT_GROUP not in applicant.groups:
            raise UnknownApplicant(applicant_username)
        owner, title = applicant.user_id, COUNTER_TITLE.format(name=applicant.name)
    elif walk_in is not None:
        party = walk_in.checked()
        owner, title = new_party_id(), COUNTER_TITLE.format(name=party.name[:80])

        def record(uow: UnitOfWork, case: CaseRow) -> object:
            return record_walk_in(uow, case, party, actor, ctx.clock.now())

    data = application_prefill(ctx, matter_code, prefill) if prefill else {}
    view = start_case(ctx, matter_code, actor, data, owner_id=owner, title=title, on_insert=record)
    return Filed(case_projection(ctx, view.id, actor, data=view.data))
