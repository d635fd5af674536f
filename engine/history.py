"""The hash chain over a case's history rows.

Each row's hash covers the previous row's hash and the row's own content, so editing, inserting
or deleting any row breaks every later link. The digest is computed from a canonical JSON of the
stored column values, so verification needs nothing but the rows themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64

#: The columns a row hash covers (everything but the surrogate id and the hash itself).
HASHED_FIELDS = ("case_id", "seq", "occurred_at", "event_type", "actor_id", "actor_role", "element_id",
                 "element_name", "task_uuid", "from_state", "to_state", "data_before", "data_after", "payload",
                 "prev_hash")


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return value


def row_digest(fields: Mapping[str, Any]) -> str:
    body = json.dumps({name: _canonical(fields.get(name)) for name in HASHED_FIELDS}, ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def head_mac(key: str, case_id: int, seq: int, row_hash: str) -> str:
    """HMAC-SHA256 of a case's chain head (newest seq and hash), with a key the database never holds.

    The rows' hashes only prove that the chain is consistent; whoever can write the database can
    recompute a consistent chain. The head's MAC cannot be recomputed without the key, so a chain
    rewritten from any row on no longer matches its signed head.
    """
    message = f"onewindow-history-head:v1:{case_id}:{seq}:{row_hash}".encode()
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def to_json(value: Any) -> str | None:
    """JSON text for the data columns; ``default=str`` keeps dates and decimals readable."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=str)
