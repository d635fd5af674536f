"""What completing an element means beyond the workflow: status codes, documents, credit entries.

Diagrams mark elements with properties (``blzt``, ``document``, ``credit_violation``, ``permit``, ``serves``;
see processes/README.md). When such an element completes, the effect is written in the same
transaction as the step, with a history row, so state, documents and audit never disagree.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from SpiffWorkflow.task import Task

from engine.actors import Actor
from engine.catalogue.entry import CatalogueEntry
from engine.clock import CHINA_TZ
from engine.definitions.catalog import CompiledDefinition
from engine.documents import chinese_date
from engine.documents import digest
from engine.documents import render_document
from engine.history import to_json
from engine.legal_time import LegalClock
from engine.persistence.repositories.deadlines import current_deadlines
from engine.persistence.repositories.department_data import stage_credit_record
from engine.persistence.repositories.documents import count_documents
from engine.persistence.repositories.documents import stage_document
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.parties import applicant_of_case
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy.parties import ID_TYPE_NAMES
from engine.policy.parties import is_walk_in
from engine.policy.parties import masked_id
from engine.runtime.case import CaseRuntime
from engine.services import deadlines
from engine.services.catalogue.limits import case_entry
from engine.services.catalogue.limits import case_limits
from engine.services.catalogue.pattern import CERTIFICATE_DOCUMENT
from engine.services.catalogue.pattern import issuer_context
from engine.services.deciding_organ import deciding_organ
from engine.services.service_of_documents import open_service
from engine.services.service_of_documents import serve_on_delivery
from engine.state_names import BLZT_NAMES


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def _legal_context(uow: UnitOfWork, case: CaseRow, definition: CompiledDefinition, permit: str,
                   legal: LegalClock | None) -> dict[str, Any]:
    """What every document may print of legal time: the stored deadline records, the permit's
    deciding department and limits, and the hall (where and by when to reply)."""
    limits = case_limits(uow, case, definition.metadata)
    own = limits.for_permit(permit)
    records = {key: record.to_json() for key, record in current_deadlines(uow, case.id).items()}
    hall = legal.hall if legal is not None else None
    own_record = records.get(permit) or records.get("")
    accepted = {"accepted_date": chinese_date(own_record["accepted_on"])} if own_record else {}
    organ = deciding_organ(uow, case, definition.metadata, permit)
    # Periods the notices gave (陈述申辩), by kind, the latest: a notice prints the stored date.
    periods = {p["kind"]: p for p in (records.get("") or {}).get("periods", [])}
    return {**accepted, "deadline": own_record, "deadlines": records, "organ": organ, "periods": periods,
            "signer": organ.get("name") or own.department, "limits": {"statutory_limit_wd": own.statutory_wd,
                                                 "promised_limit_wd": own.promised_wd,
                                                 "extension_limit_wd": own.extension_wd,
                                                 "supplement_limit_wd": limits.supplement_limit_wd,
                                                 "supplement_outcome": limits.supplement_outcome,
                                                 "supplement_pause_basis": own.supplement_pause_basis},
            "hall": {"name": hall.name, "address": hall.address,
                     "closing_time": hall.closing_time.strftime("%H:%M")} if hall else {}}


def _walk_in_party(uow: UnitOfWork, case: CaseRow) -> dict[str, str] | None:
    """A walk-in applicant's identity and 查询码, for the 收件凭证 and 受理通知书 handed to them."""
    if not is_walk_in(case.owner_id):
        return None
    party = applicant_of_case(uow, case.id)
    if party is None:
        return None
    return {"name": party.name, "id_type": ID_TYPE_NAMES.get(party.id_type, party.id_type),
            "id_number": masked_id(party.id_number), "query_code": party.query_code}


def _permit_basis(extra: dict[str, Any], permit: str) -> str:
    spec = (extra.get("permits") or {}).get(permit) if permit else None
    basis = spec.get("legal_basis") if isinstance(spec, dict) else None
    return basis if isinstance(basis, str) else ""


def _entry_basis(entry: CatalogueEntry) -> str:
    """The entry's 法定依据 as one citation (``《城市绿化条例》第二十条、第二十五条``; lines joined by 、)."""
    return "、".join(line.strip().rstrip("。；;") for line in entry.legal_basis if line.strip())


def issue_document(uow: UnitOfWork, case: CaseRow, definition: CompiledDefinition, key: str, element_id: str,
                   permit: str, data: dict[str, Any], now: datetime, actor: Actor,
                   legal: LegalClock | None = None, extra: dict[str, Any] | None = None) -> None:
    """Render, freeze and record a document; ``extra`` adds context (an extension's facts, …)."""
    metadata = definition.metadata
    number = count_documents(uow, case.id) + 1
    document_no = f"{case.case_number}-{number:02d}"
    reason = data.get(f"{permit}_reason") or data.get("decision_reason") or data.get("reason") or ""
    entry = case_entry(uow, case) if metadata.uses_entry_data else None
    # The provision a refusal cites: chosen on the decision form, else (a decision the process takes
    # itself, e.g. a lapsed 补正) the permit's own legal basis from matter.toml, or on the general pattern
    # the entry's 法定依据: the decision rests on the matter's own law, not on 行政许可法 art. 38 alone.
    provision = (data.get(f"{permit}_provision") if permit else None) or data.get("decision_provision") \
        or _permit_basis(metadata.extra, permit) or (_entry_basis(entry) if entry is not None else "")
    title = definition.document_title(key)  # matter data (engine/definitions/facts.py)
    # A pattern-run case is the entry's matter: its name, its 实施主体 signs, its 结果名称 is the title.
    issuer = issuer_context(entry, data, metadata.uses_entry_data) if metadata.uses_entry_data else {}
    if issuer and key == CERTIFICATE_DOCUMENT:
        title = issuer["certificate_title"]
    context = {
        "title": title, "case": {"case_number": case.case_number, "received_at": case.received_at},
        "matter": {**metadata.as_dict(), **issuer.get("matter_overrides", {})}, "data": _json_safe(data),
        "document_no": document_no, "permit": permit,
        "permit_name": metadata.permit_name(permit) or "", "reason": reason, "provision": provision,
        "issued_date": chinese_date(now.astimezone(CHINA_TZ)),
        "received_date": chinese_date(data.get("received_at") or case.received_at),
        "accepted_date": chinese_date(data.get("accepted_at") or ""),
        "party": _walk_in_party(uow, case),
        **_legal_context(uow, case, definition, permit, legal), **(extra or {}),
    }
    if issuer:
        context["signer"] = issuer["signer"]
    html = render_document(definition.files, key, context)
    sha256 = digest(html)
    stage_document(uow, case_id=case.id, doc_key=key, document_no=document_no, title=title, permit=permit,
                   element_id=element_id, html=html, sha256=sha256, issued_at=now)
    open_service(uow, case, definition, key, permit, document_no, data, now, legal)
    append_history(uow, case, occurred_at=now, event_type="document_issued", actor_id=actor.user_id,
                   actor_role=actor.role_label, element_id=element_id,
                   element_name=definition.element_names.get(element_id, ""),
                   data_after=to_json({"doc_key": key, "document_no": document_no, "title": title,
                                       "permit": permit, "sha256": sha256}))
    if legal is not None:
        deadlines.record_document(uow, case, definition, key, permit, element_id, now, actor, legal)


def apply_effects(uow: UnitOfWork, case: CaseRow, runtime: CaseRuntime, task: Task, element_id: str,
                  now: datetime, actor: Actor, legal: LegalClock | None = None) -> None:
    definition = runtime.definition
    props = definition.element_properties.get(element_id)
    if not props:
        return
    permit = props.get("permit", "")
    data = dict(task.data)
    if "blzt" in props:
        code = int(props["blzt"])
        previous = case.blzt
        shown = deadlines.shown_code(uow, case, code, permit)
        case.blzt = shown
        append_history(uow, case, occurred_at=now, event_type="status_changed", actor_id=actor.user_id,
                       actor_role=actor.role_label, element_id=element_id,
                       element_name=definition.element_names.get(element_id, ""), to_state=str(code),
                       data_after=to_json({"blzt": code, "name": BLZT_NAMES[code], "permit": permit,
                                           **({"shown": shown} if shown != code else {})}))
        if legal is not None:
            if code == 3:
                deadlines.record_acceptance(uow, case, definition, props, data, element_id, now, actor, legal)
            else:
                deadlines.record_status(uow, case, definition, code, permit, element_id, data, now, actor, legal,
                                        previous)
    if legal is not None and "period" in props:  # stored first: the notice prints the stored date
        deadlines.record_period(uow, case, definition, props["period"], element_id, data, now, actor, legal)
    if "period_ends" in props:
        deadlines.end_period(uow, case, definition, props["period_ends"], props.get("period_outcome", ""),
                             element_id, now, actor)
    if "document" in props:
        issue_document(uow, case, definition, props["document"], element_id, permit, data, now, actor, legal)
    if props.get("serves") in ("window", "ems"):  # the delivery step hands the documents over
        serve_on_delivery(uow, case, props["serves"], data, element_id, actor, now)
    if props.get("credit_violation") == "record" and props.get("credit_subject") == "third_party":
        # A third party the decision names (a design institute that certified what was not true).
        code = str(task.data.get("third_party_credit_code") or "")
        reason = str(task.data.get("third_party_credit_reason") or "出具不实材料")
        stage_credit_record(uow, code, case.case_number, reason, now)
        append_history(uow, case, occurred_at=now, event_type="credit_recorded", actor_id=actor.user_id,
                       actor_role=actor.role_label, element_id=element_id,
                       data_after=to_json({"credit_code": code, "reason": reason, "subject": "third_party",
                                           "name": task.data.get("third_party_name") or ""}))
    elif props.get("credit_violation") == "record":
        code = str(task.data.get("credit_code") or task.data.get("uscc") or "")
        reason = str(task.data.get("credit_violation_reason") or "未履行告知承诺")
        stage_credit_record(uow, code, case.case_number, reason, now)
        append_history(uow, case, occurred_at=now, event_type="credit_recorded", actor_id=actor.user_id,
                       actor_role=actor.role_label, element_id=element_id,
                       data_after=to_json({"credit_code": code, "reason": reason}))
