"""办件编号: 31-character implementation code (实施编码) + yyyyMMdd + 4-digit daily sequence."""

from __future__ import annotations

import re
from datetime import date

CASE_NUMBER_RE = re.compile(r"^(?P<code>[0-9A-Z]{31})(?P<day>\d{8})(?P<seq>\d{4})$")
MAX_DAILY_SEQUENCE = 9999


def format_case_number(implementation_code: str, day: date, seq: int) -> str:
    if len(implementation_code) != 31:
        raise ValueError("implementation code must have 31 characters")
    if not 1 <= seq <= MAX_DAILY_SEQUENCE:
        raise ValueError("daily sequence exhausted (max 9999 cases per matter per day)")
    return f"{implementation_code}{day:%Y%m%d}{seq:04d}"


def parse_case_number(number: str) -> tuple[str, date, int]:
    match = CASE_NUMBER_RE.match(number)
    if match is None:
        raise ValueError(f"not a 43-character case number: {number!r}")
    day = match["day"]
    return match["code"], date(int(day[:4]), int(day[4:6]), int(day[6:])), int(match["seq"])
