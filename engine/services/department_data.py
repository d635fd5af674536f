"""Service-task operations: departments confirm facts among themselves (一事联办).

Instead of sending the applicant to fetch a certificate from another office, a diagram's service
task asks the department's own records. Operations are plain functions registered by name; the
catalog refuses diagrams naming an operation that is not registered here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.persistence.repositories import department_data as stored
from engine.persistence.unit_of_work import UnitOfWork

Operation = Callable[[Mapping[str, Any]], Any]


def make_operations(uow_factory: Callable[[], UnitOfWork]) -> dict[str, Operation]:
    """Operations bound to a database; each call reads in its own short session."""

    def foundation_pit_status(params: Mapping[str, Any]) -> dict[str, Any]:
        """基坑 review result held by 住建: ``passed`` / ``pending`` / ``missing``."""
        key = str(params.get("project_code") or "")
        with uow_factory() as uow:
            record = stored.department_record(uow, "foundation_pit_review", key)
            if record is None:
                return {"status": "missing", "certificate_no": ""}
            data = json.loads(record.data_json or "{}")
            return {"status": record.status, "certificate_no": str(data.get("certificate_no", ""))}

    def credit_status(params: Mapping[str, Any]) -> dict[str, Any]:
        """Whether the enterprise has unrepaired 失信 records (bars the commitment track)."""
        code = str(params.get("credit_code") or "")
        with uow_factory() as uow:
            violations = stored.active_credit_violations(uow, code)
            return {"clean": not violations, "violations": violations}

    return {"foundation_pit_status": foundation_pit_status, "credit_status": credit_status}


OPERATION_NAMES = ("foundation_pit_status", "credit_status")


def record_credit_violation(uow: UnitOfWork, credit_code: str, case_number: str, reason: str,
                            now: datetime) -> None:
    """Write a credit entry in the caller's transaction (with the state change that caused it)."""
    stored.stage_credit_record(uow, credit_code, case_number, reason, now)


def upsert_department_record(uow: UnitOfWork, department: str, kind: str, key: str, status: str,
                             data: Mapping[str, Any], now: datetime) -> None:
    """Create or update what a department holds about ``key`` (in the caller's transaction)."""
    stored.upsert_department_record(uow, department, kind, key, status, json.dumps(dict(data), ensure_ascii=False),
                                    now)
