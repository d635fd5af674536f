"""What only the applicant in person may do on their case, and who a walk-in applicant is.

Applicant tasks are worked by the applicant or by the clerk who filed for them (代办). Two acts are
the applicant's own and the diagram marks them on the user task (``camunda:properties``):

* ``party = "applicant_only"`` (好差评): only the applicant rates the service; the clerk who filed
  the case is refused on the server, whatever page or API call they use.
* ``signature = "applicant"`` (告知承诺书): the applicant signs online; a clerk entering it for them
  records the paper the applicant signed, as a scanned upload (``PAPER_SIGNATURE_FIELD``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The owner id of a case filed at the window for someone without an account (``services.parties``).
WALK_IN_PREFIX = "walkin:"
#: The identity documents the window records for a walk-in applicant, by the key the form posts.
ID_TYPE_NAMES: dict[str, str] = {"resident_id": "居民身份证", "passport": "护照", "hk_macao": "港澳居民来往内地通行证",
                                 "taiwan": "台湾居民来往大陆通行证", "uscc": "统一社会信用代码（单位申请人）"}
#: The form field a clerk fills with the scan of the commitment the applicant signed on paper.
PAPER_SIGNATURE_FIELD = "signed_paper_scan"


def masked_id(id_number: str) -> str:
    """An ID number as history and printed notices show it: the first three and last four characters."""
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:] if len(id_number) > 7 else "****"


def is_walk_in(owner_id: str | None) -> bool:
    return bool(owner_id) and str(owner_id).startswith(WALK_IN_PREFIX)


def in_person_refusal(properties: Mapping[str, str] | None, actor_id: str, owner_id: str | None,
                      task_name: str) -> str | None:
    """Why ``actor_id`` may not do this applicant's act on their behalf (None: they may)."""
    if (properties or {}).get("party") == "applicant_only" and actor_id != owner_id:
        return f"“{task_name}”须由申请人本人作出，工作人员不能代为{task_name}"
    return None


def signature_problem(properties: Mapping[str, str] | None, actor_id: str, owner_id: str | None,
                      values: Mapping[str, Any]) -> dict[str, str]:
    """Field errors when a commitment is entered by someone other than the applicant without the signed paper."""
    if (properties or {}).get("signature") != "applicant" or actor_id == owner_id:
        return {}
    if values.get(PAPER_SIGNATURE_FIELD):
        return {}
    return {PAPER_SIGNATURE_FIELD: "代申请人录入告知承诺书的，须上传申请人签字的纸质承诺书扫描件"}
