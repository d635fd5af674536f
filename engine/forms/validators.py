"""Domain validators for identifiers that Chinese government forms ask for.

All checks use explicit ASCII character classes (never ``\\d`` or ``str.isdigit``), because those
also accept full-width and other Unicode digits that would pass the check here and then break
every downstream system that expects ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import NamedTuple

__all__ = [
    "DOMAIN_VALIDATORS",
    "DomainValidator",
    "is_valid_email",
    "is_valid_mobile",
    "is_valid_phone",
    "is_valid_resident_id",
    "is_valid_uscc",
]

# GB 32100-2015: 31 characters (no I, O, S, V, Z), each maps to its index as its numeric value.
_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11643-1999: weights are 2^(17-i) mod 11; the check character is looked up by sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_ASCII_DIGITS = frozenset("0123456789")

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# Landline: area code 0 + 2-3 digits (010, 025, 0755), optional hyphen, 7-8 digit local number
# that never starts with 0, optional extension after a hyphen.
_LANDLINE_RE = re.compile(r"0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}(?:-[0-9]{1,6})?")
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def is_valid_uscc(code: object) -> bool:
    """统一社会信用代码 (GB 32100-2015): 18 characters with a mod-31 check character.

    Lower case is accepted because people type it; callers should store the upper-cased form.
    Positions 3-8 are the registering authority's administrative division code, always digits.
    """
    if not isinstance(code, str) or len(code) != 18 or not code.isascii():
        return False
    code = code.upper()
    values = [_USCC_CHARSET.find(ch) for ch in code]
    if any(v < 0 for v in values):
        return False
    if not all(ch in _ASCII_DIGITS for ch in code[2:8]):
        return False
    total = sum(v * w for v, w in zip(values[:17], _USCC_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    return values[17] == check


def is_valid_resident_id(value: object) -> bool:
    """居民身份证号码 (GB 11643-1999): 17 digits + check character, with a real birth date.

    The birth date is checked because a checksum alone accepts typos that land on impossible dates
    (month 13, 30 February), and because a future birth date is always a mistake.
    """
    if not isinstance(value, str) or len(value) != 18 or not value.isascii():
        return False
    value = value.upper()
    body, check = value[:17], value[17]
    if not all(ch in _ASCII_DIGITS for ch in body) or check not in "0123456789X":
        return False
    if body[0] == "0":
        return False
    try:
        birth = date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return False
    if birth.year < 1800 or birth > date.today():
        return False
    total = sum(int(ch) * w for ch, w in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == check


def is_valid_mobile(value: object) -> bool:
    """Chinese mainland mobile number: 11 digits starting with 13-19, no country prefix."""
    return isinstance(value, str) and _MOBILE_RE.fullmatch(value) is not None


def is_valid_email(value: object) -> bool:
    """Pragmatic ASCII e-mail check; deliverability is proven by sending, not by a regex."""
    if not isinstance(value, str) or len(value) > 254:
        return False
    if _EMAIL_RE.fullmatch(value) is None:
        return False
    local = value.rsplit("@", 1)[0]
    return len(local) <= 64


def is_valid_phone(value: object) -> bool:
    """Mobile number or landline such as 025-12345678 / 02512345678 (form-js "phone")."""
    if not isinstance(value, str):
        return False
    return _MOBILE_RE.fullmatch(value) is not None or _LANDLINE_RE.fullmatch(value) is not None


class DomainValidator(NamedTuple):
    """A check plus the Chinese message shown when it fails."""

    check: Callable[[object], bool]
    message: str
    uppercase: bool = False  # store the value upper-cased (trailing x in ID numbers, USCC letters)


DOMAIN_VALIDATORS: dict[str, DomainValidator] = {
    "uscc": DomainValidator(is_valid_uscc, "统一社会信用代码格式或校验位不正确", uppercase=True),
    "idcard": DomainValidator(is_valid_resident_id, "居民身份证号码不正确", uppercase=True),
    "mobile": DomainValidator(is_valid_mobile, "手机号码格式不正确"),
    "email": DomainValidator(is_valid_email, "电子邮箱格式不正确"),
    "phone": DomainValidator(is_valid_phone, "电话号码格式不正确"),
}
