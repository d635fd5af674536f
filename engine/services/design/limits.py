"""A matter's working-day limits, edited in the designer's limits form and written into ``matter.toml``.

Only the three limit lines change: every other line (and comment) of the designer's file stays as
it was, so a form save never reformats what a person wrote by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.definitions.catalog import METADATA_FILE
from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.services.design.common import read_toml

LIMIT_KEYS = ("statutory_limit_wd", "promised_limit_wd", "extension_limit_wd")
LIMIT_LABELS = {"statutory_limit_wd": "法定办结时限", "promised_limit_wd": "承诺办结时限",
                "extension_limit_wd": "可延长时限"}


def limits_of(toml_text: str) -> dict[str, int]:
    raw = read_toml(toml_text)
    return {key: raw[key] for key in LIMIT_KEYS if isinstance(raw.get(key), int) and not isinstance(raw[key], bool)}


def _parse_limits(limits: Mapping[str, Any]) -> tuple[dict[str, int], list[DefinitionProblem]]:
    values: dict[str, int] = {}
    problems: list[DefinitionProblem] = []
    for key, raw in limits.items():
        if key not in LIMIT_KEYS:
            problems.append(DefinitionProblem(METADATA_FILE, key, f"不能在时限表单中修改“{key}”"))
            continue
        text = str(raw if raw is not None else "").strip()
        if text == "":
            continue  # left empty: keep what matter.toml says
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 9999:
            values[key] = raw
        elif text.isascii() and text.isdigit() and len(text) <= 4:  # not "²", which int() refuses
            values[key] = int(text)
        else:
            problems.append(DefinitionProblem(METADATA_FILE, key, f"{LIMIT_LABELS[key]}应为非负整数（工作日），"
                                                                  f"而不是“{text}”"))
    return values, problems


def set_limits(toml_text: str, limits: Mapping[str, Any]) -> str:
    """Write the limits into ``matter.toml`` text, keeping every other line (and comment) as it was.

    :raise DefinitionInvalid: a value is not a non-negative whole number of working days.
    """
    values, problems = _parse_limits(limits)
    if problems:
        raise DefinitionInvalid(problems)
    lines = toml_text.splitlines(keepends=True)
    # Top-level keys end where the first table header starts.
    end = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    for key, value in values.items():
        pattern = re.compile(rf"^(\s*{key}\s*=\s*)([^#\r\n]*?)(\s*(#[^\r\n]*)?)(\r?\n)?$")
        for index in range(end):
            match = pattern.match(lines[index])
            if match:
                lines[index] = f"{match.group(1)}{value}{match.group(3)}{match.group(5) or ''}"
                break
        else:
            if end > 0 and not lines[end - 1].endswith("\n"):
                lines[end - 1] += "\n"
            lines.insert(end, f"{key} = {value}\n")
            end += 1
    text = "".join(lines)
    parsed = read_toml(text)
    if any(parsed.get(key) != value for key, value in values.items()):
        raise DefinitionInvalid([DefinitionProblem(METADATA_FILE, "",
                                                   "matter.toml 格式有误，无法写入时限，请先修正文件")])
    return text

