"""Whether a written reason says something: a refusal (不予受理, 不予许可) must state its reasons.

行政许可法 arts. 32 and 38 require the reasons of a refusal in writing; "不符合条件" or a letter is no
reason an applicant can answer. A field with ``properties.substantiveWhen = "<key>=<value>"`` must,
when that option is chosen, hold at least ``MIN_REASON_CHARS`` meaningful characters and not be
one of the stock phrases below (compared without spaces and punctuation).
"""

from __future__ import annotations

import re

MIN_REASON_CHARS = 10

#: Phrases that name no fact: what the old templates printed when no reason was given, and the like.
BOILERPLATE = frozenset({
    "申请人不符合法定条件标准", "不符合法定条件标准", "不符合法定条件", "不符合许可条件", "不符合条件",
    "申请材料不齐全", "材料不齐全", "材料不全", "不予许可", "不予受理", "不同意", "不符合要求",
    "申请事项依法不需要取得行政许可或不属于本机关职权范围", "不属于本机关职权范围", "依法不需要取得行政许可",
    "经审查不符合法定条件", "经审查不符合条件", "经审查不符合许可条件", "详见附件", "见附件", "同上", "无",
})

_NOISE = re.compile(r"[\s\u3000，。、；：！？,.;:!?“”\"'（）()《》【】\[\]—\-_…·]+")


def _meaningful(text: str) -> str:
    return _NOISE.sub("", text)


def reason_problem(text: object) -> str | None:
    """A Chinese error when ``text`` is no substantive reason, else None."""
    core = _meaningful(text) if isinstance(text, str) else ""
    if not core:
        return "请写明理由：不予受理、不予许可须说明具体的事实和理由"
    if core in BOILERPLATE:
        return "理由不能只写套话，请写明不符合的具体事实、条件或材料"
    if len(core) < MIN_REASON_CHARS:
        return f"理由过于简单（不少于 {MIN_REASON_CHARS} 个字），请写明不符合的具体事实、条件或材料"
    return None


__all__ = ["BOILERPLATE", "MIN_REASON_CHARS", "reason_problem"]
