"""Facts of a case that lists, search and the hall's figures need, kept on the case row.

The 好差评 level and the applicant's 统一社会信用代码 are submitted in forms, so they live in history
rows. Reading them back from history on every board poll or search grew with every case the hall
ever had; instead each ``form_submitted`` row moves them onto the case row in the same transaction
(``repositories.history.append_history``), and the migration that added the columns filled them from
the history already written. Pure functions: the same rule serves the live path and the migration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: The 好差评 form's field and its five levels (forms/service_rating.form); the first three are 好评.
RATING_KEY = "rating"
RATING_LEVELS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied")
#: Form keys that hold the applicant's 统一社会信用代码 (as ``services.steps`` reads them for messages).
CREDIT_CODE_KEYS = ("uscc", "credit_code", "统一社会信用代码")
CREDIT_CODE_LENGTH = 18


def submitted_facts(values: Mapping[str, Any]) -> dict[str, str]:
    """The case facts one submitted form sets (``rating``, ``credit_code``); a later submission wins.

    Only a valid level counts as a rating (as the board always counted them); a credit code is taken
    as given (upper-cased, trimmed), since the form's own rules checked it.
    """
    found: dict[str, str] = {}
    level = values.get(RATING_KEY)
    if isinstance(level, str) and level in RATING_LEVELS:
        found["rating"] = level
    code = next((values[k] for k in CREDIT_CODE_KEYS if isinstance(values.get(k), str) and values[k].strip()), "")
    if code:
        found["credit_code"] = code.strip().upper()[:CREDIT_CODE_LENGTH]
    return found


def facts_of_row(event_type: str, data_after: str | None) -> dict[str, str]:
    """The facts a history row sets: only submitted forms carry any."""
    if event_type != "form_submitted" or not data_after:
        return {}
    try:
        values = json.loads(data_after)
    except ValueError:
        return {}
    return submitted_facts(values) if isinstance(values, dict) else {}
