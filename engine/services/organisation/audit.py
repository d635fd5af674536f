"""Every change an administrator makes is written to the admin audit log, in the same transaction."""

from __future__ import annotations

import json
from typing import Any

from engine.actors import Actor
from engine.errors import NotAllowed
from engine.persistence.repositories.organisation import append_audit
from engine.persistence.repositories.organisation import append_audits
from engine.persistence.unit_of_work import UnitOfWork

ADMIN_GROUP = "admin"


def require_admin(actor: Actor, what: str = "维护组织机构") -> None:
    """The engine checks the role itself, whatever page or command called it.

    :raise NotAllowed: the actor is not a system administrator.
    """
    if ADMIN_GROUP not in actor.groups:
        raise NotAllowed(f"仅系统管理员可以{what}")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def change_row(actor: Actor, now: Any, *, area: str, event_type: str, subject: str, summary: str,
               before: Any = None, after: Any = None) -> dict[str, Any]:
    """One audit row's values (for ``record_changes``, which writes many in one statement)."""
    return {"occurred_at": now, "actor_id": actor.user_id, "actor_role": actor.role_label, "area": area,
            "event_type": event_type, "subject": subject, "summary": summary, "data_before": _json(before),
            "data_after": _json(after)}


def record_change(uow: UnitOfWork, actor: Actor, now: Any, *, area: str, event_type: str, subject: str,
                  summary: str, before: Any = None, after: Any = None) -> None:
    append_audit(uow, **change_row(actor, now, area=area, event_type=event_type, subject=subject, summary=summary,
                                   before=before, after=after))


def record_changes(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    append_audits(uow, rows)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Field -> (old, new) for the fields whose values differ."""
    return {key: (before.get(key), value) for key, value in after.items() if before.get(key) != value}
