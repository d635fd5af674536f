"""Recording a failed step as an incident, in the step's own transaction.

Used by ``steps.save_runtime`` (a script, gateway, service task or timer failed while the engine
ran) and by ``tasks.complete_task`` (completing a human task failed: the step's workflow changes are
discarded, the task stays open, the submitted values are kept on the incident). Either way the case
is marked 异常 (status ``failed``) and its history says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.actors import Actor
from engine.errors import CaseFailed
from engine.history import to_json
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.incidents import NewIncident
from engine.persistence.repositories.incidents import insert_incident
from engine.persistence.repositories.incidents import open_incidents_of_case
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork


def record_failure(uow: UnitOfWork, case: CaseRow, failure: CaseFailed, actor: Actor, now: datetime,
                   submitted: dict[str, Any] | None = None) -> int:
    """Store ``failure`` as an open incident and append ``incident_raised``; returns the incident id.

    The case row is marked failed here; the caller saves it (with the rest of its step).
    """
    incident_id = insert_incident(uow, case.id, NewIncident(
        kind=failure.kind, element_id=failure.element_id, element_name=failure.element_name,
        task_uuid=failure.task_uuid, message=failure.message, detail=failure.detail,
        data_json=to_json(failure.data) or "{}", submitted_json=to_json(submitted or {}) or "{}",
        submitted_by=actor.user_id if submitted is not None else ""), now)
    append_history(uow, case, occurred_at=now, event_type="incident_raised", actor_id=actor.user_id,
                   actor_role=actor.role_label, element_id=failure.element_id, element_name=failure.element_name,
                   task_uuid=failure.task_uuid or None,
                   data_after=to_json({"incident": incident_id, "kind": failure.kind, "error": failure.message,
                                       "detail": failure.detail}))
    case.status = "failed"
    case.error = failure.message
    return incident_id


def still_failed(uow: UnitOfWork, case: CaseRow) -> bool:
    """Whether a case that was 异常 before this step still has an open incident."""
    return bool(open_incidents_of_case(uow, case.id))
