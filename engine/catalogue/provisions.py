"""The provisions a refusal may cite, read from a 事项库 entry's 法定依据.

A 不予许可 must name the provision it rests on, chosen from the matter's legal basis (行政许可法第三十八条
第二款). The drawn matters list theirs in ``matter.toml``; the ~150 catalogue matters run by the general
pattern have only their 法定依据 lines, e.g. ``《城市绿化条例》第二十条、第二十五条``. Each line is split
at article level where its text allows (one choice per 第…条 / 第…项, a range ``第二十二条至第二十五条``
kept whole); a line naming a law without articles is one provision, the whole law.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: A law's title with an optional parenthesised note (``《…》（建设部令第139号）``), then the rest.
_TITLE = re.compile(r"^(《[^》]+》(?:（[^）]*）)?)(.*)$")
#: One citation: 第…条 / 第…项 (with 第…款, 第…项 after an article), or a range of them.
_CITATION = re.compile(r"^第[^、，,；;]+?[条项](?:第[^、，,；;]+?[款项])*(?:至第[^、，,；;]+?[条项])?$")


def _split_line(line: str) -> list[str]:
    text = line.strip().rstrip("。；;")
    match = _TITLE.match(text)
    if match is None:
        return [text] if text else []
    title, rest = match.group(1), match.group(2).strip()
    if not rest:
        return [title]
    parts = [part.strip() for part in re.split(r"[、，,]", rest)]
    if all(_CITATION.match(part) for part in parts):
        return [title + part for part in parts]
    return [text]  # wording we cannot split safely: the line as it is, one provision


def provisions_of(legal_basis: Iterable[str]) -> tuple[str, ...]:
    """Every selectable provision of these 法定依据 lines, in order and without repeats."""
    found: dict[str, None] = {}
    for line in legal_basis:
        for piece in re.split(r"[；;\n]", line):
            for provision in _split_line(piece):
                found.setdefault(provision, None)
    return tuple(found)


__all__ = ["provisions_of"]
