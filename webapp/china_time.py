"""Every date and time a person reads is China time (Asia/Shanghai): one template filter for all pages.

The database and the engine keep UTC; a clerk reading 收件时间 "09-26 15:30" for an application handed
in at 23:30 would date it the wrong day. Pages format moments only through ``china_time``; the REST
API gives datetimes with their ``+08:00`` offset (``webapp.views.api``).
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

from flask import Flask

from engine.clock import CHINA_TZ

DEFAULT_PATTERN = "%Y-%m-%d %H:%M"


def china_time(value: datetime | date | None, pattern: str = DEFAULT_PATTERN) -> str:
    """A stored moment (aware, UTC) as China time; a date as it is; None as ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)
        return moment.astimezone(CHINA_TZ).strftime(pattern)
    return value.strftime(pattern if "%H" not in pattern else "%Y-%m-%d")


def init_app(app: Flask) -> None:
    app.add_template_filter(china_time, "china_time")
