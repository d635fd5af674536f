"""What completing an element means beyond the workflow: status codes, documents, credit entries.

Diagrams mark elements with properties (``blzt``, ``document``, ``credit_violation``, ``permit``;
see processes/README.md). When such an element completes, the effect is written in the same
transaction as the step, with a history row, so state, documents and audit never disagree.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from SpiffWorkflow.task import Task

from engine.actors import Actor
from engine.clock import CHINA_TZ
from engine.definitions.catalog import BLZT_NAMES
from engine.documents import chinese_date
from engine.documents import digest
from engine.documents import render_document
from engine.history import to_json
from engine.persistence import repositories as repo
from engine.persistence.records import CaseRecord
from engine.persistence.records import CreditRecordRecord
from engine.persistence.records import DocumentRecord
from engine.persistence.repositories import Session
from engine.runtime.case import CaseRuntime


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def issue_document(session: Session, case: CaseRecord, runtime: CaseRuntime, key: str, element_id: str,
                   permit: str, data: dict[str, Any], now: datetime, actor: Actor) -> DocumentRecord:
    metadata = runtime.definition.metadata
    number = repo.count_documents(session, case.id) + 1
    document_no = f"{case.case_number}-{number:02d}"
    reason = data.get(f"{permit}_reason") or data.get("decision_reason") or data.get("reason") or ""
    title = runtime.definition.document_title(key)  # matter data (engine/definitions/facts.py)
    context = {
        "title": title, "case": {"case_number": case.case_number, "received_at": case.received_at},
        "matter": metadata.as_dict(), "data": _json_safe(data), "document_no": document_no, "permit": permit,
        "permit_name": metadata.permit_name(permit) or "", "reason": reason,
        "issued_date": chinese_date(now.astimezone(CHINA_TZ)),
        "received_date": chinese_date(data.get("received_at") or case.received_at),
        "accepted_date": chinese_date(data.get("accepted_at") or ""),
    }
    html = render_document(runtime.definition.files, key, context)
    record = DocumentRecord(case_id=case.id, doc_key=key, document_no=document_no,
                            title=title, permit=permit, element_id=element_id, html=html,
                            sha256=digest(html), issued_at=now)
    session.add(record)
    repo.append_history(session, case, occurred_at=now, event_type="document_issued", actor_id=actor.user_id,
                        actor_role=actor.role_label, element_id=element_id,
                        element_name=runtime.definition.element_names.get(element_id, ""),
                        data_after=to_json({"doc_key": key, "document_no": document_no, "title": record.title,
                                            "permit": permit, "sha256": record.sha256}))
    return record


def apply_effects(session: Session, case: CaseRecord, runtime: CaseRuntime, task: Task, element_id: str,
                  now: datetime, actor: Actor) -> None:
    props = runtime.definition.element_properties.get(element_id)
    if not props:
        return
    permit = props.get("permit", "")
    if "blzt" in props:
        code = int(props["blzt"])
        case.blzt = code
        repo.append_history(session, case, occurred_at=now, event_type="status_changed", actor_id=actor.user_id,
                            actor_role=actor.role_label, element_id=element_id,
                            element_name=runtime.definition.element_names.get(element_id, ""), to_state=str(code),
                            data_after=to_json({"blzt": code, "name": BLZT_NAMES[code], "permit": permit}))
    if "document" in props:
        issue_document(session, case, runtime, props["document"], element_id, permit, dict(task.data), now, actor)
    if props.get("credit_violation") == "record":
        code = str(task.data.get("credit_code") or task.data.get("uscc") or "")
        reason = str(task.data.get("credit_violation_reason") or "未履行告知承诺")
        session.add(CreditRecordRecord(credit_code=code, case_number=case.case_number, reason=reason,
                                       recorded_at=now, is_repaired=False))
        repo.append_history(session, case, occurred_at=now, event_type="credit_recorded", actor_id=actor.user_id,
                            actor_role=actor.role_label, element_id=element_id,
                            data_after=to_json({"credit_code": code, "reason": reason}))
