"""Who decides a permit and which provisions a refusal may cite: matter data, read one way everywhere.

A decision (准予/不予许可, 不予受理) is the act of an administrative organ (行政机关), not of the hall or
a lead department: each permit of a bundle names its own organ (``[permits.<key>] organ``); a single
permit's organ is the 事项库 entry's 实施主体, else ``organ`` in ``matter.toml``, else the organ whose
统一社会信用代码 opens the 实施编码. A refusal must cite a provision chosen from the matter's list
(``refusal_provisions`` in ``matter.toml`` and per permit), and a 不予受理 one of ``rejection_provisions``
(by default the grounds of 行政许可法 art. 32). Forms name these lists with form-js ``valuesKey``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: 行政许可法第三十二条: the grounds on which an application is not accepted.
DEFAULT_REJECTION_PROVISIONS = (
    "《中华人民共和国行政许可法》第三十二条第一款第一项（申请事项依法不需要取得行政许可）",
    "《中华人民共和国行政许可法》第三十二条第一款第二项（申请事项依法不属于本行政机关职权范围）",
)
#: The valuesKey of the 不予受理 provision list, and the suffix of each permit's refusal list.
REJECTION_KEY = "rejection_provisions"
REFUSAL_KEY = "refusal_provisions"


def _extra(metadata: Any) -> Mapping[str, Any]:
    meta = metadata if isinstance(metadata, Mapping) else getattr(metadata, "__dict__", {})
    extra = meta.get("extra") if isinstance(meta, Mapping) else None
    return extra if isinstance(extra, Mapping) else {}


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value if isinstance(item, str) and item.strip())
    return ()


def provision_lists(metadata: Any) -> dict[str, tuple[str, ...]]:
    """Every list a decision form may draw its provisions from, by ``valuesKey``.

    ``refusal_provisions`` (the matter's), ``<permit>_refusal_provisions`` (each permit's, else the
    matter's) and ``rejection_provisions`` (不予受理).
    """
    extra = _extra(metadata)
    own = _strings(extra.get(REFUSAL_KEY))
    lists: dict[str, tuple[str, ...]] = {REFUSAL_KEY: own,
                                         REJECTION_KEY: _strings(extra.get(REJECTION_KEY))
                                         or DEFAULT_REJECTION_PROVISIONS}
    for key, spec in (extra.get("permits") or {}).items():
        if isinstance(spec, Mapping):
            lists[f"{key}_{REFUSAL_KEY}"] = _strings(spec.get(REFUSAL_KEY)) or own
    return lists


def organ_code_for(metadata: Any, permit: str, entry_organ_code: str = "") -> str:
    """The code of the organ deciding ``permit`` ("" for the case), "" when the data names none."""
    extra = _extra(metadata)
    spec = (extra.get("permits") or {}).get(permit) if permit else None
    if isinstance(spec, Mapping) and isinstance(spec.get("organ"), str) and spec["organ"]:
        return str(spec["organ"])
    if entry_organ_code:
        return entry_organ_code
    organ = extra.get("organ")
    return organ if isinstance(organ, str) else ""


def implementation_credit_code(metadata: Any) -> str:
    """The 统一社会信用代码 that opens the 实施编码 (its first 18 characters)."""
    meta = metadata if isinstance(metadata, Mapping) else getattr(metadata, "__dict__", {})
    code = meta.get("implementation_code") if isinstance(meta, Mapping) else ""
    return str(code or "")[:18]


__all__ = ["DEFAULT_REJECTION_PROVISIONS", "REFUSAL_KEY", "REJECTION_KEY", "implementation_credit_code",
           "organ_code_for", "provision_lists"]
