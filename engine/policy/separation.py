"""Two-person work (行政许可法 art. 34: 实质审查 by two or more officers): the tasks of one group on a
case must be done by different people.

Diagrams mark such tasks with ``separation = "<group>"`` (the hygiene 现场审核 pair, forked by one
parallel gateway). The tasks of a group forked together are one round; a person who completed (or
holds) one task of the round may not claim, complete or be handed another. A later round (the pair
forked again, e.g. after a 补正) starts afresh.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterable

from engine.persistence.rows import TaskRow

SEPARATION_PROPERTY = "separation"


def separation_conflict(round_uuids: Collection[str], rows: Iterable[TaskRow], user_id: str) -> TaskRow | None:
    """The task of the round (its other tasks' uuids) that ``user_id`` completed or holds, if any."""
    for other in rows:
        if other.task_uuid not in round_uuids:
            continue
        if (other.state == "completed" and other.completed_by == user_id) or \
                (other.state == "open" and other.assignee == user_id):
            return other
    return None


def separation_message(other: TaskRow) -> str:
    return (f"两人核查须由两名不同的工作人员完成：您已办理“{other.name}”，"
            "本环节请由另一名工作人员办理（《行政许可法》第三十四条）")


__all__ = ["SEPARATION_PROPERTY", "separation_conflict", "separation_message"]
