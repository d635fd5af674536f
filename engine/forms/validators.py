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

from stdnum.cn import ric
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

__all__ = [
    "DOMAIN_VALIDATORS",
    "DomainValidator",
    "is_valid_email",
    "is_valid_mobile",
    "is_valid_phone",
    "is_valid_resident_id",
    "is_valid_uscc",
]

# GB 32100-2015: 31 characters (no I, O, S, V, Z). The first character (登记管理部门) may be a letter
# (A 军队, N 农业, Y 其他), so only positions 3-8 (the division code) are required to be digits.
_USCC_CHARSET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")

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

    Lower case is accepted because people type it; callers should store the upper-cased form. The
    check character is python-stdnum's; the format is checked here, because stdnum's ``validate``
    strips separators (we store what was typed) and wants eight leading digits, which refuses the
    codes of rural collectives (N…) and other authorities whose code starts with a letter.
    """
    if not isinstance(code, str) or len(code) != 18 or not code.isascii():
        return False
    code = code.upper()
    if not set(code) <= _USCC_CHARSET or not all(ch in _ASCII_DIGITS for ch in code[2:8]):
        return False
    return uscc.calc_check_digit(code[:17]) == code[17]


def is_valid_resident_id(value: object) -> bool:
    """居民身份证号码 (GB 11643-1999): 17 digits + check character, with a real birth date.

    The birth date is checked because a checksum alone accepts typos that land on impossible dates
    (month 13, 30 February), and because a future birth date is always a mistake. Check character
    and date come from python-stdnum; its birth-place lookup is not used, since a county code newer
    than stdnum's table would turn a citizen away.
    """
    if not isinstance(value, str) or len(value) != 18 or not value.isascii():
        return False
    value = value.upper()
    body, check = value[:17], value[17]
    if not all(ch in _ASCII_DIGITS for ch in body) or check not in "0123456789X" or body[0] == "0":
        return False
    try:
        birth = ric.get_birth_date(value)
    except ValidationError:
        return False
    if birth.year < 1800 or birth > date.today():
        return False
    return ric.calc_check_digit(value) == check


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
