"""Rendering official documents (文书) from the definition's Jinja2 templates.

Templates are designer-authored data shipped inside each definition version, so they render in
Jinja2's sandbox (no attribute tricks, no access to Python internals) with autoescaping. A
document is rendered once, when the element that issues it completes; the HTML and its SHA-256
are then frozen (stored and written to the history), never re-rendered from newer data. A document's
title is matter data (``engine/definitions/facts.py``), given to the template as ``title``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from typing import Any

from jinja2 import DictLoader
from jinja2 import Undefined
from jinja2.sandbox import SandboxedEnvironment

from engine.clock import CHINA_TZ
from engine.definitions.catalog import DOCUMENTS_PREFIX


def chinese_date(value: Any) -> str:
    """2025-10-10 -> 2025年10月10日 (how dates appear on documents); a missing value prints nothing."""
    if value is None or value == "" or isinstance(value, Undefined):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(CHINA_TZ).date() if value.tzinfo else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def chinese_datetime(value: Any) -> str:
    """An aware moment (or ISO text) as China time: 2025年9月26日17时45分."""
    if value is None or value == "" or isinstance(value, Undefined):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return chinese_date(value)
    local = value.astimezone(CHINA_TZ) if value.tzinfo else value
    return f"{chinese_date(local.date())}{local.hour}时{local.minute:02d}分"


def show(value: Any) -> str:
    """Any form value as document text: lists joined with 、, numbers without trailing .0, blanks as —."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return "、".join(show(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("name") or value.get("label") or value)
    return str(value)


#: Environments by the exact document templates of a bundle, so each template compiles once per
#: process instead of on every document issued (compiling one cost about as much as the rest of the step).
_ENVIRONMENTS: OrderedDict[frozenset[tuple[str, str]], SandboxedEnvironment] = OrderedDict()
_ENVIRONMENTS_KEPT = 32
_ENVIRONMENTS_LOCK = threading.Lock()


def _environment(files: Mapping[str, str]) -> SandboxedEnvironment:
    """The environment of these templates, shared by every render of the same texts (keyed by the
    texts themselves, so a redeployed bundle with changed templates gets a new one)."""
    templates = {name[len(DOCUMENTS_PREFIX):]: text for name, text in files.items()
                 if name.startswith(DOCUMENTS_PREFIX)}
    key = frozenset(templates.items())
    with _ENVIRONMENTS_LOCK:
        env = _ENVIRONMENTS.get(key)
        if env is not None:
            _ENVIRONMENTS.move_to_end(key)
            return env
    env = SandboxedEnvironment(loader=DictLoader(templates), autoescape=True, undefined=Undefined)
    env.filters["cndate"] = chinese_date
    env.filters["cndatetime"] = chinese_datetime
    env.filters["show"] = show
    with _ENVIRONMENTS_LOCK:
        _ENVIRONMENTS[key] = env
        while len(_ENVIRONMENTS) > _ENVIRONMENTS_KEPT:
            _ENVIRONMENTS.popitem(last=False)
    return env


def render_document(files: Mapping[str, str], key: str, context: Mapping[str, Any]) -> str:
    """Render template ``key`` of a definition bundle with ``context``."""
    return _environment(files).get_template(f"{key}.html").render(**context)


def digest(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


__all__ = ["chinese_date", "chinese_datetime", "digest", "render_document"]
