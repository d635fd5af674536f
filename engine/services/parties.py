"""Walk-in applicants are parties to their case (窗口代录, issue #10 point 8).

A case the window files for someone without an account records who they are (name, ID type and
number, mobile) and gets a 查询码, printed on the 受理通知书. With the 查询码 and their ID number or
mobile the applicant reaches the case without an account (``open_with_query_code``), as the
case's own party (``Relation.QUERY_CODE``): they follow it, supplement (补正) and rate it (好差评).
The look-up is rate limited like a sign-in (``login_attempts``), per address and per code.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from engine.actors import APPLICANT_GROUP
from engine.actors import Actor
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.forms.validators import is_valid_mobile
from engine.forms.validators import is_valid_resident_id
from engine.forms.validators import is_valid_uscc
from engine.history import to_json
from engine.persistence.repositories import accounts as attempts
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.parties import ApplicantRow
from engine.persistence.repositories.parties import applicant_by_query_code
from engine.persistence.repositories.parties import applicant_of_case
from engine.persistence.repositories.parties import insert_applicant
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy.parties import ID_TYPE_NAMES
from engine.policy.parties import WALK_IN_PREFIX
from engine.policy.parties import masked_id
from engine.services.context import EngineContext

ID_TYPES = ID_TYPE_NAMES
#: 查询码 characters: no 0/O, 1/I/L, so a code read off paper is typed right.
QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 10
#: Failed look-ups allowed per address and per code within the window, then refused for its length.
MAX_FAILURES_PER_ADDRESS = 10
MAX_FAILURES_PER_CODE = 5
FAILURE_WINDOW = timedelta(minutes=15)
#: The ``login_attempts`` user name look-ups are recorded under (no account name has a colon).
ATTEMPT_USER = "查询码"


@dataclass(frozen=True)
class WalkInApplicant:
    """Who stands at the counter, as the clerk typed it."""

    name: str
    id_type: str
    id_number: str
    mobile: str

    def checked(self) -> WalkInApplicant:
        """Trimmed and validated; the ID number in capitals.

        :raise FormDataInvalid: a field is missing or malformed (Chinese messages by field); nothing is filed.
        """
        applicant = WalkInApplicant(self.name.strip()[:100], self.id_type.strip(), self.id_number.strip().upper(),
                                    self.mobile.strip())
        errors: dict[str, str] = {}
        if not applicant.name:
            errors["walk_in_name"] = "请填写申请人姓名或单位名称"
        if applicant.id_type not in ID_TYPES:
            errors["walk_in_id_type"] = "请选择证件类型"
        elif not applicant.id_number:
            errors["walk_in_id_number"] = "请填写证件号码"
        elif applicant.id_type == "resident_id" and not is_valid_resident_id(applicant.id_number):
            errors["walk_in_id_number"] = "居民身份证号码格式或校验位不正确"
        elif applicant.id_type == "uscc" and not is_valid_uscc(applicant.id_number):
            errors["walk_in_id_number"] = "统一社会信用代码格式或校验位不正确"
        elif not 5 <= len(applicant.id_number) <= 40 or not applicant.id_number.isascii() \
                or not applicant.id_number.isalnum():
            errors["walk_in_id_number"] = "证件号码应为 5–40 位字母或数字"
        if not is_valid_mobile(applicant.mobile):
            errors["walk_in_mobile"] = "手机号码格式不正确"
        if errors:
            raise FormDataInvalid(errors, {"walk_in_name": self.name, "walk_in_id_type": self.id_type,
                                           "walk_in_id_number": self.id_number, "walk_in_mobile": self.mobile})
        return applicant


def new_party_id() -> str:
    """The owner id of a walk-in case: random, never a username, never the 查询码."""
    return f"{WALK_IN_PREFIX}{secrets.token_hex(8)}"


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def record_walk_in(uow: UnitOfWork, case: CaseRow, applicant: WalkInApplicant, actor: Actor,
                   now: datetime) -> ApplicantRow:
    """Record the walk-in applicant of a new case (in the filing's transaction), with its 查询码 and a history row."""
    assert case.owner_id is not None and case.owner_id.startswith(WALK_IN_PREFIX)
    row = insert_applicant(uow, case_id=case.id, party_id=case.owner_id, name=applicant.name,
                           id_type=applicant.id_type, id_number=applicant.id_number, mobile=applicant.mobile,
                           query_code=new_query_code(), recorded_by=actor.user_id, now=now)
    append_history(uow, case, occurred_at=now, event_type="applicant_recorded", actor_id=actor.user_id,
                   actor_role=actor.role_label,
                   data_after=to_json({"name": applicant.name, "id_type": ID_TYPES[applicant.id_type],
                                       "id_number": masked_id(applicant.id_number),
                                       "mobile": applicant.mobile[:3] + "****" + applicant.mobile[-4:]}))
    return row


def walk_in_of_case(ctx: EngineContext, case_id: int) -> ApplicantRow | None:
    with ctx.uow() as uow:
        return applicant_of_case(uow, case_id)


class TooManyQueryAttempts(NotAllowed):
    def __init__(self) -> None:
        super().__init__("查询失败次数过多，请 15 分钟后再试，或携带证件到窗口查询")


class QueryRefused(NotAllowed):
    def __init__(self) -> None:
        super().__init__("查询码或证件号码/手机号码不正确")


@dataclass(frozen=True)
class QueryGrant:
    """What a correct 查询码 look-up gives: the case, and the applicant as an actor on it."""

    case_id: int
    party_id: str
    name: str

    @property
    def actor(self) -> Actor:
        return party_actor(self.party_id, self.name)


def party_actor(party_id: str, name: str) -> Actor:
    """The walk-in applicant acting on their own case (no account: only their case sees them)."""
    return Actor(party_id, name, frozenset({APPLICANT_GROUP}))


def _code_key(code: str) -> str:
    return f"{ATTEMPT_USER}:{code[:QUERY_CODE_LENGTH]}"


def open_with_query_code(ctx: EngineContext, code: str, identity: str, address: str) -> QueryGrant:
    """The case of a 查询码, if ``identity`` is its applicant's ID number or mobile.

    Checked under a rate limit before anything is compared (a right answer does not help a locked-out
    guesser); every attempt is recorded. One message for a wrong code and a wrong identity.

    :raise TooManyQueryAttempts: too many recent failures from ``address`` or for this code.
    :raise QueryRefused: no such code, or the identity does not match.
    """
    now = ctx.clock.now()
    code = "".join(code.split()).upper()[:QUERY_CODE_LENGTH + 6]
    identity = "".join(identity.split()).upper()[:40]
    address = address[:64]
    if not code or not identity:
        raise QueryRefused()  # nothing was guessed: not counted against anyone
    with ctx.uow() as uow:
        since = now - FAILURE_WINDOW
        if attempts.recent_login_failures(uow, since, username=ATTEMPT_USER, ip=address) >= MAX_FAILURES_PER_ADDRESS \
                or attempts.recent_login_failures(uow, since, username=_code_key(code)) >= MAX_FAILURES_PER_CODE:
            raise TooManyQueryAttempts()
        found = applicant_by_query_code(uow, code)
        ok = found is not None and (
            hmac.compare_digest(identity.encode(), found.id_number.upper().encode())
            or hmac.compare_digest(identity.encode(), found.mobile.encode()))
        if not ok:
            attempts.record_login_attempt(uow, ATTEMPT_USER, address, now, succeeded=False)
            attempts.record_login_attempt(uow, _code_key(code), address, now, succeeded=False)
        uow.commit()
    if not ok or found is None:
        raise QueryRefused()
    return QueryGrant(found.case_id, found.party_id, found.name)
