"""Refuse hostile input at the door, before a view, a service or a query sees it.

Each refusal is a 400 (Chinese message, nothing stored); an id that cannot exist is a 404. What is
refused and why:

* JSON nested deeper than ``MAX_JSON_DEPTH`` (1,000 levels made ``RecursionError`` escape
  ``get_json``; a few hundred still crash recursive code further in), and ``NaN``/``Infinity``,
  which are not JSON and which PostgreSQL's JSON columns refuse;
* NUL and lone surrogates in any text: the path, its parameters, the query, form fields, JSON
  strings and keys (PostgreSQL cannot store NUL, UTF-8 cannot encode a lone surrogate, so the
  history hash would fail);
* bidi controls that reorder text, anywhere but in upload names (the upload service strips them
  there, with zero-width characters); any invisible character (zero-width, direction marks) in
  identifiers and names: path parameters, parameter and field names, and ``NAME_FIELDS``;
* an integer path parameter beyond the id columns' range (no row can have that id; PostgreSQL
  would raise "integer out of range", the SQLite driver an overflow past 64 bits): 404.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Flask
from flask import abort
from flask import request
from flask.json.provider import DefaultJSONProvider

from engine.hidden_chars import name_problem
from engine.hidden_chars import text_problem
from engine.hidden_chars import unstorable_problem

#: Deepest JSON accepted: forms nest a few levels, designer documents a dozen at most.
MAX_JSON_DEPTH = 32
#: Largest id the database's id columns hold (``INTEGER``: 32 bits on PostgreSQL).
MAX_ID = 2**31 - 1
#: Form fields that name a person or an account: no invisible characters at all.
NAME_FIELDS = frozenset({"username", "applicant_username", "display_name", "walk_in_name", "to", "name"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, but too-deep nesting is a decoding error (a 400), not a crash."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc


def json_problem(value: Any) -> str | None:
    """Why a decoded JSON document is refused, or None. Iterative, so depth cannot crash it."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层"
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return f"文本{problem}"
        elif isinstance(item, float) and not math.isfinite(item):
            return "含有非有限数值（NaN 或 Infinity）"
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = name_problem(key)
                if problem:
                    return f"字段名{problem}"
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return None


def _refuse(where: str, problem: str) -> None:
    abort(400, description=f"{where}{problem}，请求未被处理")


def _check_path() -> None:
    problem = text_problem(request.path)
    if problem:
        _refuse("地址", problem)
    for key, value in (request.view_args or {}).items():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            abort(404)
        if isinstance(value, str):
            problem = name_problem(value)
            if problem:
                _refuse(f"地址中的“{key}”", problem)


def _check_fields(fields: Any, where: str) -> None:
    for key, value in fields.items(multi=True):
        key, value = key or "", value or ""  # a multipart part may come without a name
        problem = name_problem(key)
        if problem:
            _refuse(f"{where}名", problem)
        problem = (name_problem if key in NAME_FIELDS else text_problem)(value)
        if problem:
            _refuse(f"{where}“{key[:40]}”", problem)


def _check_json_body() -> None:
    data = request.get_data(cache=True)
    if not data:
        return
    try:
        value = json.loads(data)
    except RecursionError:
        _refuse("请求体", f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层")
    except ValueError:
        return  # not JSON at all: the view answers that in its own words
    problem = json_problem(value)
    if problem:
        _refuse("请求体", problem)


def guard_request() -> None:
    """The ``before_request`` hook: refuse (400/404) or let the request through untouched."""
    _check_path()
    _check_fields(request.args, "查询参数")
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype in _FORM_TYPES:
        _check_fields(request.form, "表单字段")
        for upload in request.files.values():
            # Only what cannot be stored: the upload service strips bidi and zero-width characters
            # from names, so a form is not thrown away for a file named by someone else.
            problem = unstorable_problem(upload.filename or "")
            if problem:
                _refuse("上传文件名", problem)
    elif request.is_json or request.path.startswith("/api/"):
        _check_json_body()


def init_app(app: Flask) -> None:
    """Install the guard (first, so nothing runs before it) and the guarded JSON provider."""
    provider = GuardedJSONProvider(app)
    provider.ensure_ascii = getattr(app.json, "ensure_ascii", provider.ensure_ascii)
    app.json = provider
    app.before_request_funcs.setdefault(None, []).insert(0, guard_request)
