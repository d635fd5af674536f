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
