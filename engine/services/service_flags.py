"""The art. 44 flags of certificates not yet served, written once into the history by the timer worker.

A certificate must be served within 10 working days of the decision (行政许可法第四十四条). Pages show
the flag computed from the dates (``service_of_documents.service_flag``); the sweep makes it a fact:
on the 7th working day a ``service_flagged`` row (``warning``) tells the supervisors, after the 10th a
second one (``overdue``) marks it late. Each is written once, in the transaction that moves the
service's ``flagged`` column, so two workers (or a rerun) never write it twice, and a delivery recorded
meanwhile stops it. The supervisors' 消息中心 reads these rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from datetime import datetime

from engine.actors import Actor
from engine.clock import CHINA_TZ
from engine.documents import chinese_date
from engine.history import to_json
from engine.persistence.repositories import document_services as stored
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.documents import documents_of_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.history import latest_events
from engine.policy.service import watches_service
from engine.services.context import EngineContext
from engine.services.notices import Notice
from engine.services.notices import applicant_messages
from engine.services.service_of_documents import FLAG_NAMES

#: The history event of a flag, and the order flags follow.
FLAG_EVENT = "service_flagged"
FLAGS = ("warning", "overdue")


def flags_due(service: stored.ServiceRow, today: date) -> list[str]:
    """The flags ``today`` calls for that the history does not hold yet, in order (both when the
    worker was down over the whole period)."""
    if service.status != "pending" or service.warn_on is None or service.due_on is None:
        return []
    wanted = ["warning"] if today >= service.warn_on else []
    if today > service.due_on:
        wanted.append("overdue")
    written = FLAGS[:FLAGS.index(service.flagged) + 1] if service.flagged in FLAGS else ()
    return [flag for flag in wanted if flag not in written]


def _flag_case(ctx: EngineContext, service: stored.ServiceRow, today: date, now: datetime) -> int:
    actor = Actor.system()
    written = 0
    with ctx.uow() as uow:
        case = lock_case(uow, service.case_id)
        fresh = stored.service_of_document(uow, service.document_no)
        if case is None or fresh is None:
            return 0
        titles = {d.document_no: d.title for d in documents_of_case(uow, case.id)}
        was = fresh.flagged
        for flag in flags_due(fresh, today):
            if not stored.mark_flagged(uow, fresh.id, was, flag):
                break  # another worker wrote it, or the certificate was served meanwhile
            details = {"document_no": fresh.document_no, "doc_key": fresh.doc_key,
                       "title": titles.get(fresh.document_no, fresh.doc_key), "permit": fresh.permit,
                       "flag": flag, "flag_name": FLAG_NAMES[flag], "warn_on": fresh.warn_on.isoformat(),
                       "due_on": fresh.due_on.isoformat()} if fresh.warn_on and fresh.due_on else {}
            append_history(uow, case, occurred_at=now, event_type=FLAG_EVENT, actor_id=actor.user_id,
                           actor_role=actor.role_label, data_after=to_json(details))
            was = flag
            written += 1
        if written:
            case.updated_at = now
            save_case(uow, case)
            uow.commit()
    return written


def sweep_service_flags(ctx: EngineContext) -> int:
    """Write every art. 44 flag that is due and not yet written; return how many rows were written."""
    now = ctx.clock.now()
    today = now.astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        pending = stored.services_to_flag(uow, today)
    return sum(_flag_case(ctx, p.service, today, now) for p in pending)


@dataclass(frozen=True)
class FlagMessage:
    """One entry of a supervisor's 消息中心: a certificate flagged on a case."""

    case_id: int
    case_number: str
    title: str
    text: str
    occurred_at: datetime
    flag: str


def supervisor_messages(ctx: EngineContext, actor: Actor, limit: int = 200) -> list[FlagMessage]:
    """The flags written for supervisors (supervisors, window heads, administrators), newest first."""
    if not watches_service(actor):
        return []
    with ctx.uow() as uow:
        events = latest_events(uow, (FLAG_EVENT,), limit)
    messages = []
    for found in events:
        details = json.loads(found.event.data_after or "{}")
        title = str(details.get("title") or "证照")
        due = chinese_date(str(details.get("due_on") or ""))
        flag = str(details.get("flag") or "")
        text = (f"《{title}》尚未送达，送达期限为 {due}（行政许可法第四十四条：自作出决定之日起十日内送达）。"
                if flag == "warning" else f"《{title}》已超过送达期限（{due}），仍未送达，请督办。")
        messages.append(FlagMessage(found.event.case_id, found.case_number, f"{FLAG_NAMES.get(flag, '')}：{title}",
                                    text, found.event.occurred_at, flag))
    return messages


def message_centre(ctx: EngineContext, actor: Actor) -> list[Notice | FlagMessage]:
    """The 消息中心: an applicant's notices on its own cases and, for supervisors, the art. 44 flags;
    newest first."""
    found: list[Notice | FlagMessage] = [*applicant_messages(ctx, actor), *supervisor_messages(ctx, actor)]
    return sorted(found, key=lambda m: m.occurred_at, reverse=True)


__all__ = ["FLAG_EVENT", "FlagMessage", "flags_due", "message_centre", "supervisor_messages", "sweep_service_flags"]
