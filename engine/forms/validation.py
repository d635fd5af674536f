"""Server-side validation of submitted form data against a loaded form-js definition.

The browser runs form-js validation too, but anything it checks can be bypassed, so the server
repeats every rule here. Input may be an HTML form post (all strings, possibly a multi-dict) or a
JSON body (typed); both are accepted and normalised to JSON-safe typed values. Hostile input
(wrong types, huge strings, control characters) produces a field error, never an exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from decimal import Decimal
from decimal import InvalidOperation
from functools import lru_cache
from typing import Any

from .model import FormDefinition
from .model import FormField
from .reasons import reason_problem
from .validators import DOMAIN_VALIDATORS

__all__ = ["TEXTAREA_MAX_CHARS", "TEXTFIELD_MAX_CHARS", "ValidationResult", "validate_submission"]

TEXTFIELD_MAX_CHARS = 10_000
TEXTAREA_MAX_CHARS = 100_000
MAX_LIST_ITEMS = 500
MAX_FILES = 100
MAX_OPTION_CHARS = 1_000
MAX_NUMBER_CHARS = 100
MAX_FILE_REF_CHARS = 1_000

# Error key for problems with the submission as a whole; never a valid field key.
FORM_ERROR_KEY = ""

_MISSING: Any = object()
_EMPTY: Any = object()

# Control characters other than tab and newline: NUL breaks PostgreSQL text, the rest are never typed.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_RE = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_DATETIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_TRUE_STRINGS = frozenset({"on", "true", "1", "yes"})
_FALSE_STRINGS = frozenset({"off", "false", "0", "no", ""})
_LIST_TYPES = frozenset({"checklist", "taglist", "filepicker"})


@dataclass(frozen=True)
class ValidationResult:
    """Cleaned values and per-field Chinese errors.

    ``values`` holds only the form's editable input fields. For a field with an error it holds the
    submitted value (when it is a plain string/number/list of strings) so the form can be shown
    again with what the person typed; persist ``values`` only when ``ok`` is true.
    """

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class _FieldError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate_submission(form: FormDefinition, data: Mapping[str, Any]) -> ValidationResult:
    """Validate ``data`` against ``form``; unknown, readonly and disabled keys are dropped."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not isinstance(data, Mapping):
        errors[FORM_ERROR_KEY] = "提交的数据格式不正确"
        data = {}
    for form_field in form.fields:
        # Readonly/disabled values come from the process, never from the submitter.
        if form_field.readonly or form_field.disabled:
            continue
        raw = _fetch(data, form_field)
        try:
            values[form_field.key] = _clean(form_field, raw)
        except _FieldError as exc:
            errors[form_field.key] = exc.message
            echo = _echo(raw)
            if echo is not _MISSING:
                values[form_field.key] = echo
    _check_required_when(form, values, errors)
    _check_substantive_when(form, values, errors)
    return ValidationResult(values=values, errors=errors)


def _condition_met(values: Mapping[str, Any], condition: tuple[str, str]) -> bool:
    key, wanted = condition
    chosen = values.get(key)
    return chosen == wanted or (isinstance(chosen, list) and wanted in chosen)


def _check_substantive_when(form: FormDefinition, values: Mapping[str, Any], errors: dict[str, str]) -> None:
    """A reason a refusal prints (``properties.substantiveWhen``) must say something (``reasons.py``)."""
    for form_field in form.fields:
        condition = form_field.substantive_when
        if condition is None or form_field.key in errors or not _condition_met(values, condition):
            continue
        problem = reason_problem(values.get(form_field.key))
        if problem is not None:
            errors[form_field.key] = f"{_name(form_field)}：{problem}"


def _check_required_when(form: FormDefinition, values: Mapping[str, Any], errors: dict[str, str]) -> None:
    """A field required by another's choice (``properties.requiredWhen``) must hold something that is not blank."""
    for form_field in form.fields:
        condition = form_field.required_when
        if condition is None or form_field.key in errors:
            continue
        key, wanted = condition
        chosen = values.get(key)
        if chosen != wanted and not (isinstance(chosen, list) and wanted in chosen):
            continue
        value = values.get(form_field.key)
        if isinstance(value, str):
            value = [line for line in value.splitlines() if line.strip()]
        if not value:
            other = form.field(key)
            label = dict(other.options).get(wanted, wanted)
            errors[form_field.key] = form_field.properties.get("requiredWhenMessage") or (
                f"选择“{label}”时，须填写“{_name(form_field)}”，不能为空")


def _fetch(data: Mapping[str, Any], form_field: FormField) -> Any:
    """Read one field; use ``getlist`` for list fields so werkzeug-style multi-dicts keep every value."""
    if form_field.key not in data:
        return _MISSING
    if form_field.type in _LIST_TYPES:
        getlist = getattr(data, "getlist", None)
        if callable(getlist):
            return list(getlist(form_field.key))
    return data[form_field.key]


def _clean(form_field: FormField, raw: Any) -> Any:
    try:
        cleaned = _CLEANERS[form_field.type](form_field, raw)
    except (TypeError, ValueError, OverflowError, ArithmeticError, RecursionError):
        # Belt and braces: a cleaner that trips over some exotic input reports it, never crashes.
        raise _FieldError(f"{_name(form_field)}的值无效") from None
    if cleaned is _EMPTY:
        if form_field.required:
            raise _FieldError(_required_message(form_field))
        return _empty_value(form_field)
    if form_field.type == "checkbox" and form_field.required and cleaned is not True:
        raise _FieldError(_required_message(form_field))
    return cleaned


def _name(form_field: FormField) -> str:
    return form_field.label.strip() or "此项"


def _required_message(form_field: FormField) -> str:
    label = form_field.label.strip()
    if not label:
        return "此项为必填项"
    if form_field.type in ("textfield", "textarea", "number"):
        return f"请填写{label}"
    if form_field.type == "filepicker":
        return f"请上传{label}"
    return f"请选择{label}"


def _empty_value(form_field: FormField) -> Any:
    if form_field.type in _LIST_TYPES:
        return []
    if form_field.type == "checkbox":
        return False
    return None


def _is_blank(raw: Any) -> bool:
    return raw is _MISSING or raw is None or (isinstance(raw, str) and not raw.strip())


def _echo(raw: Any) -> Any:
    """What to show again after an error: plain strings and numbers only, truncated."""
    if isinstance(raw, str):
        return raw[:TEXTAREA_MAX_CHARS]
    if isinstance(raw, bool | int) or (isinstance(raw, float) and math.isfinite(raw)):
        return raw
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return [item[:MAX_OPTION_CHARS] for item in raw[:MAX_LIST_ITEMS]]
    return _MISSING


def _format_number(value: float) -> str:
    """5.0 -> "5", 0.5 -> "0.5": messages should read like the number the designer typed."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _clean_text(form_field: FormField, raw: Any) -> Any:
    if _is_blank(raw):
        return _EMPTY
    name = _name(form_field)
    if not isinstance(raw, str):
        raise _FieldError(f"{name}的值无效")
    cap = TEXTAREA_MAX_CHARS if form_field.type == "textarea" else TEXTFIELD_MAX_CHARS
    if len(raw) > cap * 2:  # refuse before doing any work on an abusive payload
        raise _FieldError(f"{name}内容过长（最多{cap}个字符）")
    value = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(value) > cap:
        raise _FieldError(f"{name}内容过长（最多{cap}个字符）")
    if _CONTROL_RE.search(value) or (form_field.type == "textfield" and "\n" in value):
        raise _FieldError(f"{name}包含无效字符")
    if form_field.min_length is not None and len(value) < form_field.min_length:
        raise _FieldError(f"{name}至少{form_field.min_length}个字符")
    if form_field.max_length is not None and len(value) > form_field.max_length:
        raise _FieldError(f"{name}最多{form_field.max_length}个字符")
    if form_field.validator is not None:
        domain = DOMAIN_VALIDATORS[form_field.validator]
        if domain.uppercase:
            value = value.upper() if value.isascii() else value
        if not domain.check(value):
            raise _FieldError(domain.message)
    if form_field.pattern is not None and _compiled(form_field.pattern).fullmatch(value) is None:
        raise _FieldError(f"{name}格式不正确")
    return value


def _to_decimal(raw: Any, name: str) -> Decimal:
    not_number = _FieldError(f"{name}必须是数字")
    if isinstance(raw, bool):
        raise not_number
    if isinstance(raw, int):
        if raw.bit_length() > 1000:  # beyond float range and int->str limits
            raise not_number
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise not_number
        return Decimal(repr(raw))
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) > MAX_NUMBER_CHARS or not _NUMBER_RE.fullmatch(text):
            raise not_number
        try:
            return Decimal(text)
        except InvalidOperation:
            raise not_number from None
    raise not_number


def _clean_number(form_field: FormField, raw: Any) -> Any:
    if _is_blank(raw):
        return _EMPTY
    name = _name(form_field)
    number = _to_decimal(raw, name)
    if not math.isfinite(float(number)):
        raise _FieldError(f"{name}必须是数字")
    exponent = number.normalize().as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    digits = form_field.decimal_digits
    if digits is not None and decimals > digits:
        raise _FieldError(f"{name}必须是整数" if digits == 0 else f"{name}最多{digits}位小数")
    if form_field.min is not None and number < Decimal(repr(form_field.min)):
        raise _FieldError(f"{name}不能小于{_format_number(form_field.min)}")
    if form_field.max is not None and number > Decimal(repr(form_field.max)):
        raise _FieldError(f"{name}不能大于{_format_number(form_field.max)}")
    if decimals == 0 and not digits:
        return int(number)
    return float(number)


def _check_option(form_field: FormField, value: Any) -> str:
    invalid = _FieldError(f"{_name(form_field)}的选项无效")
    if not isinstance(value, str):
        raise invalid
    if form_field.has_static_options:
        if value not in form_field.option_values:
            raise invalid
    elif len(value) > MAX_OPTION_CHARS or _CONTROL_RE.search(value):
        raise invalid
    return value


def _clean_choice(form_field: FormField, raw: Any) -> Any:
    if _is_blank(raw):
        return _EMPTY
    return _check_option(form_field, raw)


def _clean_multi_choice(form_field: FormField, raw: Any) -> Any:
    if _is_blank(raw):
        return _EMPTY
    if isinstance(raw, str):
        items: list[Any] = [raw]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise _FieldError(f"{_name(form_field)}的选项无效")
    if len(items) > MAX_LIST_ITEMS:
        raise _FieldError(f"{_name(form_field)}选择的项目过多")
    result: list[str] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue  # blank entries from empty HTML inputs carry no choice
        value = _check_option(form_field, item)
        if value not in result:
            result.append(value)
    return result or _EMPTY


def _clean_checkbox(form_field: FormField, raw: Any) -> Any:
    if raw is _MISSING or raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE_STRINGS:
            return True
        if text in _FALSE_STRINGS:
            return False
    raise _FieldError(f"{_name(form_field)}的值无效")


def _clean_datetime(form_field: FormField, raw: Any) -> Any:
    if _is_blank(raw):
        return _EMPTY
    subtype = form_field.subtype or "date"
    name = _name(form_field)
    invalid = _FieldError(f"{name}时间格式不正确" if subtype == "time" else f"{name}日期格式不正确")
    if subtype == "datetime" and isinstance(raw, datetime):
        return raw.isoformat(timespec="minutes" if not raw.second and not raw.microsecond else "seconds")
    if subtype == "date" and isinstance(raw, date) and not isinstance(raw, datetime):
        return raw.isoformat()
    if subtype == "time" and isinstance(raw, time):
        return raw.isoformat(timespec="minutes" if not raw.second and not raw.microsecond else "seconds")
    if not isinstance(raw, str):
        raise invalid
    text = raw.strip()
    if len(text) > 40:
        raise invalid
    try:
        if subtype == "date":
            if not _DATE_RE.fullmatch(text):
                raise invalid
            date.fromisoformat(text)
        elif subtype == "time":
            if not _TIME_RE.fullmatch(text):
                raise invalid
            time.fromisoformat(text)
        else:
            if not _DATETIME_RE.fullmatch(text):
                raise invalid
            datetime.fromisoformat(text)
    except ValueError:
        raise invalid from None
    return text


def _clean_file_ref(form_field: FormField, item: Any) -> str | dict[str, Any]:
    invalid = _FieldError(f"{_name(form_field)}的文件信息无效")
    if isinstance(item, str):
        ref = item.strip()
        if not ref or len(ref) > MAX_FILE_REF_CHARS or _CONTROL_RE.search(ref):
            raise invalid
        return ref
    if not isinstance(item, dict) or len(item) > 50:
        raise invalid
    cleaned: dict[str, Any] = {}
    for key, value in item.items():
        if not isinstance(key, str) or len(key) > 100:
            raise invalid
        if isinstance(value, str):
            if len(value) > MAX_FILE_REF_CHARS:
                raise invalid
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise invalid
        elif not (value is None or isinstance(value, bool | int)):
            raise invalid  # nested structures have no business in a file reference
        cleaned[key] = value
    file_id, sha256, name = cleaned.get("id"), cleaned.get("sha256"), cleaned.get("name")
    has_id = isinstance(file_id, str | int) and not isinstance(file_id, bool) and str(file_id).strip() != ""
    has_hash = isinstance(sha256, str) and _SHA256_RE.fullmatch(sha256) is not None
    if not (has_id or has_hash):
        raise invalid
    if sha256 is not None and not has_hash:
        raise invalid
    if has_hash:
        cleaned["sha256"] = str(sha256).lower()
    if name is not None and not isinstance(name, str):
        raise invalid
    return cleaned


def _clean_files(form_field: FormField, raw: Any) -> Any:
    if _is_blank(raw):
        return _EMPTY
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    items = [item for item in items if not (isinstance(item, str) and not item.strip()) and item is not None]
    if not items:
        return _EMPTY
    name = _name(form_field)
    if not form_field.multiple and len(items) > 1:
        raise _FieldError(f"{name}只能上传一个文件")
    if len(items) > MAX_FILES:
        raise _FieldError(f"{name}文件数量过多（最多{MAX_FILES}个）")
    return [_clean_file_ref(form_field, item) for item in items]


_CLEANERS: dict[str, Callable[[FormField, Any], Any]] = {
    "textfield": _clean_text,
    "textarea": _clean_text,
    "number": _clean_number,
    "select": _clean_choice,
    "radio": _clean_choice,
    "checklist": _clean_multi_choice,
    "taglist": _clean_multi_choice,
    "checkbox": _clean_checkbox,
    "datetime": _clean_datetime,
    "filepicker": _clean_files,
}
