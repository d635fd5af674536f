"""Notices to applicants: the in-app 消息中心 and the SMS / e-mail gateway every notice also goes through.

Every document served on a case (收件凭证, 受理通知书, 补正告知书, 决定书 …) and every change of its 办理状态
is a notice to the applicant. The 消息中心 reads them from the case history, so it can never miss one or
show one twice. After a step commits, the notices it produced are handed to the gateway: by default a log
line (``onewindow.notices``), and an e-mail through SMTP when ``ONEWINDOW_SMTP_HOST`` is set and the
recipient has an address. A gateway failure is logged and never undoes the step that was already saved.
"""

from __future__ import annotations

import json
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from engine.actors import Actor
from engine.persistence.repositories import cases as case_rows
from engine.persistence.repositories.accounts import users_by_usernames
from engine.persistence.repositories.history import events_of_cases
from engine.persistence.repositories.history import staged_event_types
from engine.persistence.rows import CaseRow
from engine.persistence.rows import HistoryRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.access import list_filter
from engine.services.context import EngineContext
from engine.settings import SmtpSettings
from engine.state_names import blzt_name

log = logging.getLogger("onewindow.notices")

#: History events that are notices to the applicant.
NOTICE_EVENTS = ("document_issued", "status_changed")


@dataclass(frozen=True)
class Notice:
    case_id: int
    case_number: str
    recipient: str
    title: str
    text: str
    occurred_at: datetime
    #: Set for a document: its id in ``documents`` is not in history, so pages link by case.
    document_no: str = ""
    mobile: str = ""
    email: str = ""


class NoticeGateway(Protocol):
    """Where notices go besides the 消息中心 (an SMS platform, a mail server, a message queue)."""

    def send(self, notice: Notice) -> None: ...


class LogGateway:
    """The default sink: one log line per notice, with the mobile number masked."""

    def send(self, notice: Notice) -> None:
        masked = notice.mobile[:3] + "****" + notice.mobile[-4:] if len(notice.mobile) >= 7 else "-"
        log.info("notice to %s (mobile %s) on %s: %s", notice.recipient, masked, notice.case_number, notice.text)


class SmtpGateway:
    """E-mail through the configured SMTP server, for recipients with an address; logged as well."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, notice: Notice) -> None:
        LogGateway().send(notice)
        if not notice.email:
            return
        message = EmailMessage()
        message["Subject"] = f"【一窗通办】{notice.title}"
        message["From"] = self.settings.sender
        message["To"] = notice.email
        message.set_content(f"{notice.text}\n办件编号：{notice.case_number}\n")
        with smtplib.SMTP(self.settings.host, self.settings.port, timeout=10) as server:
            server.send_message(message)


def gateway_for(settings: SmtpSettings) -> NoticeGateway:
    return SmtpGateway(settings) if settings.host else LogGateway()


def _notice(row: HistoryRow, case_number: str, recipient: str) -> Notice | None:
    details = json.loads(row.data_after or "{}") if row.data_after else {}
    if row.event_type == "document_issued":
        title = str(details.get("title") or "文书")
        return Notice(row.case_id, case_number, recipient, title, f"您的办件已出具《{title}》，请登录查看。",
                      row.occurred_at, document_no=str(details.get("document_no") or ""))
    if row.event_type == "status_changed":
        code = details.get("blzt") if isinstance(details, dict) else None
        name = str(details.get("name") or blzt_name(code if isinstance(code, int) else None))
        return Notice(row.case_id, case_number, recipient, f"办理状态：{name}", f"您的办件办理状态变更为“{name}”。",
                      row.occurred_at)
    return None


def notices_staged(uow: UnitOfWork, case: CaseRow) -> bool:
    """Whether the step in ``uow`` produced a notice for the case's applicant (call before committing).

    Most steps produce none; knowing it here spares every such step the read-back after its commit."""
    return bool(case.owner_id) and not staged_event_types(uow, case.id).isdisjoint(NOTICE_EVENTS)


def dispatch_new_notices(ctx: EngineContext, case_id: int, after_seq: int, gateway: NoticeGateway | None = None) -> int:
    """Send the notices a step just committed (history rows after ``after_seq``); return how many were sent."""
    try:
        with ctx.uow() as uow:
            case = case_rows.case_by_id(uow, case_id)
            if case is None or not case.owner_id:
                return 0
            rows = events_of_cases(uow, [case_id], NOTICE_EVENTS, after_seq=after_seq)
            owner = users_by_usernames(uow, [case.owner_id]).get(case.owner_id)
        sender = gateway or gateway_for(ctx.settings.smtp)
        sent = 0
        for row in reversed(rows):  # oldest first, as they happened
            notice = _notice(row, case.case_number, case.owner_id)
            if notice is None:
                continue
            if owner is not None:
                notice = Notice(**{**notice.__dict__, "mobile": owner.mobile, "email": owner.email})
            sender.send(notice)
            sent += 1
        return sent
    except Exception:  # noqa: BLE001 - the step is saved; a notice that could not be sent is only logged
        log.exception("notices of case %s after seq %s could not be sent", case_id, after_seq)
        return 0


def applicant_messages(ctx: EngineContext, actor: Actor, limit: int = 200) -> list[Notice]:
    """The 消息中心: every notice on the actor's own cases, newest first."""
    rule = list_filter(actor)
    with ctx.uow() as uow:
        own = [c for c in case_rows.visible_cases(uow, rule.user_id, rule.groups, rule.see_all, limit=limit)
               if c.owner_id == actor.user_id]
        numbers = {c.id: c.case_number for c in own}
        rows = events_of_cases(uow, sorted(numbers), NOTICE_EVENTS, limit=limit)
    found = (_notice(row, numbers[row.case_id], actor.user_id) for row in rows)
    return [n for n in found if n is not None]
