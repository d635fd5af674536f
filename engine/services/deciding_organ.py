"""The organ that decides a permit, as a document prints it: name, seal, and where to seek remedies.

``engine.decision_rules.organ_code_for`` says which organ (matter data); this module looks it up in the
organisation model, so the name, 复议机关 and court an administrator keeps there are what every
decision prints, and the seal image the administrator set is embedded in the frozen document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.decision_rules import implementation_credit_code
from engine.decision_rules import organ_code_for
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.seals import seal_of
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.catalogue.limits import case_entry


def deciding_organ(uow: UnitOfWork, case: CaseRow, metadata: Mapping[str, Any] | Any,
                   permit: str) -> dict[str, Any]:
    """What documents print of the deciding organ ({} when the organisation has no such organ).

    Keys: ``code``, ``name``, ``short_name``, ``address``, ``phone``, ``review_organ``, ``court``,
    ``seal_image`` (a ``data:`` URI or "") and ``seal_demo`` (the sample seal: documents mark it 演示).
    """
    entry = case_entry(uow, case)
    code = organ_code_for(metadata, permit, entry.organ_code if entry is not None else "")
    organ = org.organ_by_code(uow, code) if code else None
    if organ is None and not code:
        credit_code = implementation_credit_code(metadata)
        organ = next((o for o in org.organs(uow) if credit_code and o.credit_code == credit_code), None)
    if organ is None:
        return {}
    seal = seal_of(uow, organ.id)
    return {"code": organ.code, "name": organ.name, "short_name": organ.short_name, "address": organ.address,
            "phone": organ.phone, "review_organ": organ.review_organ, "court": organ.court,
            "seal_image": seal.data_uri if seal is not None else "",
            "seal_demo": bool(seal.is_demo) if seal is not None else False}


__all__ = ["deciding_organ"]
