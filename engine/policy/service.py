"""Who records the service (送达) of a document: the counter (window, fallback window) and supervisors.

The applicant's own opening of a document served online is its read receipt, recorded by the
engine, not a clerk's entry; and no department reviewer records deliveries, which happen at the hall.
"""

from __future__ import annotations

from engine.actors import Actor
from engine.policy.cases import CaseAccess
from engine.policy.cases import Relation

#: Relations that may record a delivery on a case they see.
RECORDING_RELATIONS = frozenset({Relation.ADMINISTRATOR, Relation.SUPERVISOR, Relation.WINDOW,
                                 Relation.FALLBACK_WINDOW})
#: Groups that watch every pending certificate (the day-7 flag and the overdue mark).
WATCHING_GROUPS = frozenset({"supervisor", "window_supervisor", "admin"})


def may_record_service(access: CaseAccess) -> bool:
    return access.relation in RECORDING_RELATIONS


def watches_service(actor: Actor) -> bool:
    return actor.in_any(WATCHING_GROUPS)


def is_read_receipt(access: CaseAccess) -> bool:
    """Opening a document counts as receiving it only for the applicant itself (not staff, not an agent)."""
    return access.relation is Relation.APPLICANT
