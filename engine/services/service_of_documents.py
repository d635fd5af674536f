"""Service (送达) of every written decision and notice on the applicant, by the channel it chose.

Which documents are served, and as what, is matter data: ``service`` in ``_documents/documents.toml``
(``certificate``, ``decision``, ``notice``). Issuing such a document opens a pending service in the
same transaction, by the applicant's ``delivery_method`` (窗口领取 ``window``, 邮寄 ``ems``, 电子送达
``online``). The delivery is recorded once, with a history row in the same transaction:

* at the window: the receiver's name and 身份证号 (the delivery task ``dl_pickup`` records it too);
* by EMS: the tracking number (``dl_ems``);
* online: the moment the applicant first opens the document (its read receipt).

A certificate must be served within 10 working days of the decision (行政许可法 arts. 44, 82):
its service is flagged to supervisors from the 7th working day (``warn_on``) and overdue after the
10th (``due_on``), counted on the hall's calendar.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from functools import lru_cache
from typing import Any

from engine.actors import Actor
from engine.clock import CHINA_TZ
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.facts import DOCUMENT_TITLES_FILE
from engine.definitions.facts import DOCUMENTS_PREFIX
from engine.errors import DocumentNotFound
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.forms import is_valid_resident_id
from engine.history import to_json
from engine.legal_time import LegalClock
from engine.persistence.repositories import document_services as stored
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.documents import DocumentRow
from engine.persistence.repositories.documents import documents_of_case
from engine.persistence.repositories.history import append_history
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy.service import is_read_receipt
from engine.policy.service import may_record_service
from engine.policy.service import watches_service
from engine.services.access import visible_case
from engine.services.context import EngineContext

SERVICE_KINDS = ("certificate", "decision", "notice")
CHANNELS = {"window": "窗口领取", "ems": "邮寄送达（EMS）", "online": "电子送达"}
#: Working days after the decision: the supervisor's flag, and the last day of art. 44's ten days.
WARN_WD = 7
DUE_WD = 10
FLAG_NAMES = {"": "", "warning": "临近送达期限", "overdue": "超过送达期限"}
STATUS_NAMES = {"pending": "待送达", "served": "已送达"}
#: EMS: 13 characters, two letters + nine digits + two letters (international) or 13 digits (domestic).
EMS_NUMBER = re.compile(r"^(?:[A-Z]{2}\d{9}[A-Z]{2}|\d{13})$")


@lru_cache(maxsize=64)
def _kinds(text: str) -> Mapping[str, str]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    return {key: entry["service"] for key, entry in raw.items()
            if isinstance(entry, dict) and entry.get("service") in SERVICE_KINDS}


def service_kind(files: Mapping[str, str], doc_key: str) -> str | None:
    """``certificate`` / ``decision`` / ``notice`` for a document that is served, else None."""
    return _kinds(files.get(DOCUMENTS_PREFIX + DOCUMENT_TITLES_FILE, "")).get(doc_key)


def chosen_channel(data: Mapping[str, Any]) -> str:
    """The applicant's chosen channel (``delivery_method``); the window when it chose none."""
    method = data.get("delivery_method")
    return method if isinstance(method, str) and method in CHANNELS else "window"


def open_service(uow: UnitOfWork, case: CaseRow, definition: CompiledDefinition, doc_key: str, permit: str,
                 document_no: str, data: Mapping[str, Any], now: datetime, legal: LegalClock | None) -> None:
    """Stage the pending service of a document just issued (nothing for documents that are not served)."""
    kind = service_kind(definition.files, doc_key)
    if kind is None:
        return
    warn_on = due_on = None
    if kind == "certificate" and legal is not None:
        decided_on = now.astimezone(CHINA_TZ).date()
        warn_on = legal.calendar.add_workdays(decided_on, WARN_WD)
        due_on = legal.calendar.add_workdays(decided_on, DUE_WD)
    stored.stage_service(uow, case_id=case.id, document_no=document_no, doc_key=doc_key, permit=permit, kind=kind,
                         channel=chosen_channel(data), issued_at=now, warn_on=warn_on, due_on=due_on)


def service_flag(row: stored.ServiceRow, today: date) -> str:
    """``warning`` from the 7th working day, ``overdue`` after the 10th, "" otherwise (or once served)."""
    if row.status != "pending" or row.due_on is None or row.warn_on is None:
        return ""
    if today > row.due_on:
        return "overdue"
    return "warning" if today >= row.warn_on else ""


def _masked_id(number: str) -> str:
    return f"{number[:6]}********{number[-4:]}" if len(number) == 18 else number


@dataclass(frozen=True)
class ServiceView:
    """A document's service as the case page and the API show it."""

    document_no: str
    kind: str
    channel: str
    channel_name: str
    status: str
    status_name: str
    served_at: datetime | None
    served_channel: str
    receiver_name: str
    receiver_id_masked: str
    tracking_number: str
    warn_on: date | None
    due_on: date | None
    flag: str
    flag_name: str

    @classmethod
    def of(cls, row: stored.ServiceRow, today: date) -> ServiceView:
        flag = service_flag(row, today)
        return cls(document_no=row.document_no, kind=row.kind, channel=row.channel,
                   channel_name=CHANNELS.get(row.channel, row.channel), status=row.status,
                   status_name=STATUS_NAMES.get(row.status, row.status), served_at=row.served_at,
                   served_channel=row.served_channel, receiver_name=row.receiver_name,
                   receiver_id_masked=_masked_id(row.receiver_id_number), tracking_number=row.tracking_number,
                   warn_on=row.warn_on, due_on=row.due_on, flag=flag, flag_name=FLAG_NAMES[flag])


def services_by_document(uow: UnitOfWork, case_id: int, now: datetime) -> dict[str, ServiceView]:
    """document_no -> its service, for the documents of one case that are served."""
    today = now.astimezone(CHINA_TZ).date()
    return {row.document_no: ServiceView.of(row, today) for row in stored.services_of_case(uow, case_id)}


def _served(uow: UnitOfWork, case: CaseRow, service: stored.ServiceRow, title: str, *, channel: str, actor: Actor,
            now: datetime, receiver_name: str = "", receiver_id_number: str = "", tracking_number: str = "",
            element_id: str = "") -> bool:
    """Mark served and append the history row (the caller saves the case and commits)."""
    if not stored.mark_served(uow, service.id, served_at=now, served_channel=channel, receiver_name=receiver_name,
                              receiver_id_number=receiver_id_number, tracking_number=tracking_number,
                              recorded_by=actor.user_id):
        return False
    details: dict[str, Any] = {"document_no": service.document_no, "doc_key": service.doc_key, "title": title,
                               "permit": service.permit, "channel": channel, "channel_name": CHANNELS[channel]}
    if receiver_name:
        details.update(receiver_name=receiver_name, receiver_id=_masked_id(receiver_id_number))
    if tracking_number:
        details["tracking_number"] = tracking_number
    if service.due_on is not None:
        details.update(due_on=service.due_on.isoformat(),
                       in_time=now.astimezone(CHINA_TZ).date() <= service.due_on)
    append_history(uow, case, occurred_at=now, event_type="document_served", actor_id=actor.user_id,
                   actor_role=actor.role_label, element_id=element_id, data_after=to_json(details))
    return True


def _delivery_values(values: Mapping[str, Any]) -> dict[str, str]:
    """The clerk's entry, checked: a window delivery names the receiver and a valid 身份证号, EMS its number."""
    clean = {key: str(values.get(key) or "").strip() for key in
             ("channel", "receiver_name", "receiver_id_number", "tracking_number")}
    errors: dict[str, str] = {}
    channel = clean["channel"]
    if channel == "window":
        if not clean["receiver_name"] or len(clean["receiver_name"]) > 50:
            errors["receiver_name"] = "请填写领取人姓名"
        clean["receiver_id_number"] = clean["receiver_id_number"].upper()
        if not is_valid_resident_id(clean["receiver_id_number"]):
            errors["receiver_id_number"] = "请填写领取人有效的居民身份证号码（18 位，校验位正确）"
        clean["tracking_number"] = ""
    elif channel == "ems":
        clean["tracking_number"] = clean["tracking_number"].upper()
        if not EMS_NUMBER.match(clean["tracking_number"]):
            errors["tracking_number"] = "请填写 EMS 运单号（13 位：2 位字母 + 9 位数字 + 2 位字母，或 13 位数字）"
        clean["receiver_name"] = clean["receiver_id_number"] = ""
    elif channel == "online":
        errors["channel"] = "电子送达以申请人登录查看文书的时间为准，无需登记"
    else:
        errors["channel"] = "请选择送达方式（窗口领取或邮寄送达）"
    if errors:
        raise FormDataInvalid(errors, values)
    return clean


def record_delivery(ctx: EngineContext, case_id: int, document_id: int, actor: Actor,
                    values: Mapping[str, Any]) -> ServiceView:
    """A clerk records how a document was served (window pickup or EMS).

    :raise CaseNotFound / DocumentNotFound: not the actor's to see, or no such document.
    :raise NotAllowed: not counter staff, or the document is not one that is served.
    :raise FormDataInvalid: the entry is incomplete, or the document was served already; nothing changed.
    """
    now = ctx.clock.now()
    with ctx.uow() as uow:
        seen = visible_case(uow, case_id, actor)
        if not may_record_service(seen.access):
            raise NotAllowed("仅窗口工作人员或督办人员可以登记送达")
        document = _document(uow, case_id, document_id)
        service = stored.service_of_document(uow, document.document_no)
        if service is None:
            raise NotAllowed(f"“{document.title}”无需送达登记")
        clean = _delivery_values(values)
        if service.status != "pending":
            raise FormDataInvalid({"channel": f"“{document.title}”已送达，不能重复登记"}, values)
        case = lock_case(uow, case_id)
        assert case is not None
        if not _served(uow, case, service, document.title, channel=clean["channel"], actor=actor, now=now,
                       receiver_name=clean["receiver_name"], receiver_id_number=clean["receiver_id_number"],
                       tracking_number=clean["tracking_number"]):
            raise FormDataInvalid({"channel": f"“{document.title}”刚刚已登记送达"}, values)
        case.updated_at = now
        save_case(uow, case)
        uow.commit()
        found = stored.service_of_document(uow, document.document_no)
    assert found is not None
    return ServiceView.of(found, now.astimezone(CHINA_TZ).date())


def _document(uow: UnitOfWork, case_id: int, document_id: int) -> DocumentRow:
    found = next((d for d in documents_of_case(uow, case_id) if d.id == document_id), None)
    if found is None:
        raise DocumentNotFound(document_id)
    return found


def note_opened(ctx: EngineContext, case_id: int, document: DocumentRow, actor: Actor) -> bool:
    """The applicant opened a document it chose to receive online: that is its service (read receipt).

    True when this opening served it; nothing happens for staff, for other channels or once served.
    """
    now = ctx.clock.now()
    with ctx.uow() as uow:
        seen = visible_case(uow, case_id, actor)
        service = stored.service_of_document(uow, document.document_no)
        if not is_read_receipt(seen.access) or service is None or service.status != "pending" \
                or service.channel != "online":
            return False
        case = lock_case(uow, case_id)
        assert case is not None
        if not _served(uow, case, service, document.title, channel="online", actor=actor, now=now):
            return False
        case.updated_at = now
        save_case(uow, case)
        uow.commit()
    return True


def serve_on_delivery(uow: UnitOfWork, case: CaseRow, channel: str, data: Mapping[str, Any], element_id: str,
                      actor: Actor, now: datetime) -> int:
    """The delivery step of a case (``serves`` on ``dl_pickup`` / ``dl_ems``) hands over every pending
    certificate and decision of the case: each is served with that step's receiver or tracking number.

    Runs inside the step's transaction; the number of documents served is returned.
    """
    titles = {d.document_no: d.title for d in documents_of_case(uow, case.id)}
    receiver = str(data.get("picked_up_by") or "").strip() if channel == "window" else ""
    id_number = str(data.get("pickup_id_number") or "").strip().upper() if channel == "window" else ""
    tracking = str(data.get("ems_tracking_number") or "").strip().upper() if channel == "ems" else ""
    count = 0
    for service in stored.services_of_case(uow, case.id):
        if service.status != "pending" or service.kind not in ("certificate", "decision"):
            continue
        title = titles.get(service.document_no, service.doc_key)
        count += _served(uow, case, service, title, channel=channel, actor=actor, now=now, receiver_name=receiver,
                         receiver_id_number=id_number, tracking_number=tracking, element_id=element_id)
    return count


@dataclass(frozen=True)
class WatchedService:
    """A certificate awaiting service past its 7th working day: the supervisor's worklist flag."""

    case_id: int
    case_number: str
    matter_code: str
    service: ServiceView


def watched_services(ctx: EngineContext, actor: Actor) -> list[WatchedService]:
    """Certificates not yet served whose 7th working day has come (overdue first); [] for non-supervisors."""
    if not watches_service(actor):
        return []
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        rows = stored.pending_services(uow, kind="certificate", warn_by=today)
    watched = [WatchedService(p.service.case_id, p.case_number, p.matter_code, ServiceView.of(p.service, today))
               for p in rows]
    return sorted(watched, key=lambda w: (w.service.flag != "overdue", w.service.due_on or today))


__all__ = ["CHANNELS", "DUE_WD", "WARN_WD", "ServiceView", "WatchedService", "chosen_channel", "note_opened",
           "open_service", "record_delivery", "serve_on_delivery", "service_flag", "service_kind",
           "services_by_document", "watched_services"]
