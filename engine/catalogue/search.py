"""Finding a matter among a hall's ~150 by what a clerk or citizen types: part of its name, one of its
codes (事项代码, 基本编码, 实施编码), or the pinyin initials of its name (``spjyxk`` for 食品经营许可).

Pure and cheap: the pinyin of a name is computed once per process (names change only when an
entry is edited), so a search over the whole hall is a scan of short strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=8192)
def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of a name, lower case, without spaces; other characters kept as they are.

    pypinyin is imported here, not at module level: loading its phrase dictionaries costs a third of a
    second, which every ``onewindow`` command and every worker start would pay for a search few make.
    """
    from pypinyin import Style
    from pypinyin import lazy_pinyin

    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).lower()
    full = "".join(lazy_pinyin(name, errors="default")).lower()
    return initials, full


@dataclass(frozen=True)
class Searchable:
    """One matter as search sees it."""

    code: str
    name: str
    codes: tuple[str, ...] = ()

    def rank(self, query: str) -> int | None:
        """Lower is better; None: no match. ``query`` is stripped and lower-cased."""
        name = self.name.lower()
        if name.startswith(query):
            return 0
        if query in name:
            return 1
        initials, full = pinyin_keys(self.name)
        if initials.startswith(query) or full.startswith(query):
            return 2
        if query in initials or query in full:
            return 3
        if any(query in code.lower() for code in (self.code, *self.codes)):
            return 4
        return None


def search(items: Sequence[Searchable], query: str, limit: int | None = None) -> list[Searchable]:
    """The items matching ``query``, best first (stable within a rank); all of them for an empty query."""
    query = "".join(query.split()).lower()
    if not query:
        return list(items)[:limit]
    ranked = [(rank, number, item) for number, item in enumerate(items)
              if (rank := item.rank(query)) is not None]
    ranked.sort(key=lambda found: (found[0], found[1]))
    return [item for _rank, _number, item in ranked][:limit]
