"""Characters that cannot be stored, or that hide or disguise what a name says.

* NUL cannot be stored in a PostgreSQL text column, and a lone UTF-16 surrogate (``"\\ud800"``,
  which a JSON body can carry) cannot be encoded as UTF-8, so neither can be hashed into history.
* Bidirectional controls reorder what is displayed: with U+202E (right-to-left override) a stored
  ``gpj.exe`` reads as ``exe.jpg``. Zero-width characters make two names that look the same
  differ (``demo_admin`` vs ``demo\\u200b_admin``).

Names and identifiers (upload names, usernames, display names) must not carry either; free text
must not carry the unstorable ones or the reordering controls.
"""

from __future__ import annotations

import re

#: Embeddings, overrides and isolates: they reorder the text displayed after them.
BIDI_REORDERING = "\u202a-\u202e\u2066-\u2069"
#: Direction marks (invisible, but reordering only neutral characters next to them).
BIDI_MARKS = "\u200e\u200f\u061c"
#: Characters that take no space: zero-width space/joiners, word joiner, invisible operators, BOM,
#: soft hyphen, Mongolian vowel separator and the Unicode tag characters.
ZERO_WIDTH = "\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff\U000e0000-\U000e007f"

_REORDERING = re.compile(f"[{BIDI_REORDERING}]")
_INVISIBLE = re.compile(f"[{BIDI_REORDERING}{BIDI_MARKS}{ZERO_WIDTH}]")


def unstorable_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored or hashed (Chinese), or None."""
    if "\x00" in text:
        return "含有空字符（NUL）"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "含有无效的 Unicode 字符（孤立的代理项）"
    return None


def text_problem(text: str) -> str | None:
    """Why ``text`` is refused as free text (unstorable, or reordering bidi controls), or None."""
    problem = unstorable_problem(text)
    if problem is None and _REORDERING.search(text):
        problem = "含有改变文字显示顺序的控制字符（如 U+202E）"
    return problem


def name_problem(text: str) -> str | None:
    """Why ``text`` is refused as a name or identifier (also any invisible character), or None."""
    problem = text_problem(text)
    if problem is None and _INVISIBLE.search(text):
        problem = "含有不可见字符（零宽字符或文字方向控制字符）"
    return problem


def strip_hidden(text: str) -> str:
    """``text`` without bidirectional controls and zero-width characters (for names we can clean)."""
    return _INVISIBLE.sub("", text)
