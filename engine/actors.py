"""Who is acting. The engine receives an ``Actor`` from its caller; it never reads a login session."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str = ""
    #: Candidate groups / roles the person belongs to (e.g. ``window_clerk``, ``zj_chengban``).
    groups: frozenset[str] = field(default_factory=frozenset)
    department: str = ""

    @classmethod
    def system(cls) -> Actor:
        """The engine itself: timers, automatic acceptance, service tasks."""
        return cls(user_id="system", name="系统", groups=frozenset({"system"}))

    @property
    def role_label(self) -> str:
        return ",".join(sorted(self.groups))

    def in_any(self, groups: tuple[str, ...] | frozenset[str] | set[str]) -> bool:
        return not self.groups.isdisjoint(groups)


APPLICANT_GROUP = "applicant"
"""Tasks for this group belong to one person: the case's applicant (or whoever filed for them)."""


def may_work(groups: tuple[str, ...], actor: Actor, applicant_ids: tuple[str | None, ...]) -> bool:
    """Whether ``actor`` may work a task offered to ``groups`` on a case of ``applicant_ids``.

    Staff groups are shared queues. The applicant group is not: an applicant task is the case
    owner's, or the window clerk's who filed the case on the applicant's behalf (代办).
    """
    staff = tuple(g for g in groups if g != APPLICANT_GROUP)
    if actor.in_any(staff):
        return True
    return APPLICANT_GROUP in groups and actor.user_id in applicant_ids
