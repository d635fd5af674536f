"""What the general pattern (``processes/general_permit``) reads of the 事项库 entry it runs.

The pattern's diagram names no department, post, limit or certificate: a case started on a
pattern-run entry carries them as case data, taken from the entry version it started on (and the
organisation, for the names an applicant reads). The user tasks offer themselves to the posts
(``camunda:candidateGroups="=chengban_post"``), the reception checklist is the entry's materials,
and the certificate prints the entry's 结果名称, signed by its 实施主体. Limits are not here: they
reach the case through ``legal_time.limits_for`` like every other matter's.
"""

from __future__ import annotations

from typing import Any

from engine.catalogue.entry import CatalogueEntry
from engine.persistence.repositories import catalogue as stored
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.definitions import latest_definition
from engine.persistence.unit_of_work import UnitOfWork

#: The pattern's own template for the certificate or decision it issues when it grants.
CERTIFICATE_DOCUMENT = "general_certificate"


def resolve_matter(uow: UnitOfWork, code: str) -> tuple[str, str | None]:
    """(the diagram's matter, the catalogue entry) a case of ``code`` starts on.

    A deployed matter starts on its own diagram; a code that only the catalogue knows starts on the
    diagram its entry names (the pattern, or a deployed matter it was switched to). Unknown codes
    are returned as they are, for ``start_case`` to refuse.
    """
    if latest_definition(uow, code) is not None:
        return code, None
    found = stored.current_entry(uow, code)
    if found is None:
        return code, None
    return found.entry.process, code


def checklist(entry: CatalogueEntry) -> list[dict[str, Any]]:
    """The entry's 申请材料 as the window checks them at reception (small: names and counts)."""
    return [{"name": m.name, "necessity": m.necessity, "medium": m.medium, "copies": m.copies,
             "source": m.source, "note": m.note} for m in entry.materials]


def pattern_case_data(uow: UnitOfWork, entry: CatalogueEntry) -> dict[str, Any]:
    """The case data a case of a diagram with ``entry_data = true`` (the pattern) starts with."""
    organ = org.organ_by_code(uow, entry.organ_code)
    department = org.department_by_code(uow, entry.department_code)
    return {
        "matter_name": entry.name, "case_type": entry.case_type, "result_name": entry.result_name,
        "issuer_name": organ.name if organ is not None else entry.organ_code,
        "issuer_credit_code": organ.credit_code if organ is not None else "",
        "department_name": department.name if department is not None else entry.department_code,
        "chengban_post": entry.chengban_post, "shenhe_post": entry.shenhe_post,
        "pizhun_post": entry.pizhun_post, "fzr_post": entry.fzr_post,
        "site_check": bool(entry.site_check), "inspection_post": entry.inspection_post or entry.chengban_post,
        "special_procedures": list(entry.special_procedures),
        "reception_checklist": checklist(entry),
    }


def issuer_context(entry: CatalogueEntry | None, data: dict[str, Any], uses_entry_data: bool) -> dict[str, Any]:
    """What the documents of a case on an ``entry_data`` diagram (the pattern) print instead of the
    diagram's own matter.toml: the entry's name and case type, its 实施主体 as signer, its 结果名称 as
    the certificate's title."""
    if entry is None or not uses_entry_data:
        return {}
    return {"signer": str(data.get("issuer_name") or entry.organ_code),
            "matter_overrides": {"name": entry.name, "case_type": entry.case_type,
                                 "implementation_code": entry.implementation_code,
                                 "department": str(data.get("department_name") or ""),
                                 "legal_basis": list(entry.legal_basis)},
            "certificate_title": entry.result_name}
