"""Legal time: a matter's time limits, the legal acceptance date, and a case's deadline record.

One source for every date a person is told about a case:

- ``limits_for(metadata)`` reads a matter's limits (法定/承诺时限, 可延长时限, the 补正 reply period, per
  permit in a bundle, who may extend, which pauses have a legal basis) from its ``matter.toml``. It is
  the only reader: diagrams get the numbers as case data, documents and pages read the record built
  from them. A case started on a 事项库 entry version passes it in: the entry is then the source.
- ``legal_day`` decides the day a moment counts as, under the hall's closing time: a receipt or an
  acceptance at or after closing, or on a rest day, counts as made on the next working day.
- ``acceptance_days`` decides the legal acceptance date: the receipt day when the application is
  deemed accepted (视为受理, 行政许可法 art. 32: nobody asked for 补正 within 5 working days), else the
  acceptance moment's legal day.
- ``DeadlineRecord`` is what the engine stores at acceptance (one per case, one per permit of a
  bundle): the limits used, the pauses with their legal basis, the approved extensions and the due
  dates. Counting starts the day after the acceptance date (民法典 art. 201, domain.md §2.2); a pause
  freezes the working days from the day it starts up to the day it ends (that day counts again);
  only a pause with a named legal basis stops the clock (行政许可法 art. 45 for 特别程序; a sector rule
  for 补正 during review), otherwise it is recorded but the time keeps running.

Pure: no database, no framework; the deadline service stores and audits what this computes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from engine.calendar import WorkCalendar
from engine.catalogue.entry import CatalogueEntry
from engine.clock import CHINA_TZ
from engine.legal_periods import Period
from engine.settings import HallSettings

#: 办理状态 codes that open a pause, and the code that ends each.
PAUSE_CODES = {6: 7, 9: 10}
PAUSE_KINDS = {6: "supplement", 9: "special_procedure"}
#: Codes after which the decision time limit no longer runs (decided, refused, withdrawn, revoked).
CLOSING_CODES = frozenset({2, 4, 5, 11, 12, 13, 14, 15})
#: 特别程序 (行政许可法 art. 45): the procedures whose time does not count, in the statute's words.
SPECIAL_PROCEDURES = ("听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审")
SPECIAL_PROCEDURE_BASIS = "《中华人民共和国行政许可法》第四十五条"
EXTENSION_BASIS = "《中华人民共和国行政许可法》第四十二条"
#: Documents the engine itself issues (no diagram element names them): every bundle carries their templates.
#: ``termination_notice`` is served when an administrator terminates a case (operations console).
ENGINE_DOCUMENTS = ("extension_notice", "special_procedure_notice", "termination_notice")
#: Documents that decide any permit they name (a certificate is named per permit in ``matter.toml``).
DECISION_DOCUMENTS = ("denial_decision",)
#: What missing the 补正 reply deadline means after acceptance, unless the matter says otherwise.
DEFAULT_SUPPLEMENT_OUTCOME = "不予许可"
DEFAULT_SUPPLEMENT_LIMIT_WD = 30
#: How a case came to be accepted (``DeadlineRecord.acceptance_mode``).
ACCEPTANCE_MODES = {"normal": "受理", "deemed": "视为受理", "deferred": "容缺受理", "fallback": "兜底受理",
                    "commitment": "告知承诺受理"}


# -- limits --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PermitLimits:
    """The limits and the deciding department of the case as a whole (``key == ""``) or of one permit."""

    key: str
    name: str
    statutory_wd: int
    promised_wd: int
    extension_wd: int
    #: The deciding department's staff: who may ask for an extension or start a 特别程序.
    staff_groups: tuple[str, ...]
    #: The deciding department's head (负责人): the only approver of an extension (art. 42).
    head_group: str
    head_title: str
    department: str
    #: Legal basis for stopping the clock during a 补正 after acceptance ("" = the clock keeps running).
    supplement_pause_basis: str
    special_procedure_basis: str
    #: Which 特别程序 this matter uses (e.g. 检验、检测); empty: none.
    special_procedures: tuple[str, ...]
    optional: bool = False
    #: Documents that decide the permit (its certificate, a denial): issuing one stops its clock.
    decision_documents: tuple[str, ...] = ()

    def pause_basis(self, kind: str) -> str:
        return self.supplement_pause_basis if kind == "supplement" else self.special_procedure_basis


@dataclass(frozen=True)
class MatterLimits:
    case: PermitLimits
    permits: tuple[PermitLimits, ...]
    #: 补正 reply period in working days, counted from the notice.
    supplement_limit_wd: int
    #: After acceptance, what missing the 补正 reply deadline leads to (printed on the notice).
    supplement_outcome: str
    #: 陈述申辩 period in working days before a revocation is decided (``[revocation]``; 0: the matter has none).
    statement_period_wd: int = 0
    #: Who decides a revocation (``[revocation] head_group``, else the deciding department's 负责人).
    revocation_head_group: str = ""

    def for_permit(self, key: str) -> PermitLimits:
        """The permit's limits; the case's for ``""`` or a permit without limits of its own."""
        return next((p for p in self.permits if p.key == key), self.case)

    @property
    def timed_permits(self) -> tuple[PermitLimits, ...]:
        """Permits with their own clock (a limit of their own), each getting its own record."""
        return tuple(p for p in self.permits if not p.optional)

    def case_data(self) -> dict[str, Any]:
        """What diagrams may read: the numbers, never a date (dates are the deadline record's)."""
        data: dict[str, Any] = {"statutory_limit_wd": self.case.statutory_wd,
                                "promised_limit_wd": self.case.promised_wd,
                                "extension_limit_wd": self.case.extension_wd,
                                "supplement_limit_wd": self.supplement_limit_wd}
        if self.statement_period_wd:
            data["statement_period_wd"] = self.statement_period_wd
        # _common/revocation offers its decision to this post (nothing: to 窗口督办, never lost).
        if self.revocation_head_group or self.case.head_group:
            data["revocation_head_group"] = self.revocation_head_group or self.case.head_group
        for permit in self.timed_permits:
            data[f"{permit.key}_statutory_limit_wd"] = permit.statutory_wd
            data[f"{permit.key}_promised_limit_wd"] = permit.promised_wd
        return data


def _as_mapping(metadata: Any) -> Mapping[str, Any]:
    if dataclasses.is_dataclass(metadata) and not isinstance(metadata, type):
        return dataclasses.asdict(metadata)
    return metadata


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if isinstance(v, str) and v)
    return ()


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def _with_entry(case: PermitLimits, entry: CatalogueEntry | None) -> PermitLimits:
    """The case-wide limits with the 事项库 entry's values where it has them (the entry wins)."""
    if entry is None:
        return case
    chain = tuple(p for p in (entry.chengban_post, entry.shenhe_post, entry.pizhun_post) if p)
    return dataclasses.replace(
        case, name=entry.name, statutory_wd=entry.statutory_limit_wd, promised_wd=entry.promised_limit_wd,
        extension_wd=entry.extension_limit_wd, head_group=entry.fzr_post or case.head_group,
        staff_groups=case.staff_groups or chain, special_procedures=entry.special_procedures or case.special_procedures)


def limits_for(metadata: Any, entry: CatalogueEntry | None = None) -> MatterLimits:
    """The matter's limits, from its parsed ``matter.toml`` (``MatterMetadata`` or its stored dict).

    With ``entry`` (the 事项库 entry version the case started on), the entry is the source of the
    case-wide limits, the 负责人 post, the deciding staff (when the diagram names none) and the
    特别程序; a bundle's permits still read their own limits from ``[permits.*]``, falling back to them.

    Keys (see processes/README.md): ``statutory_limit_wd``, ``promised_limit_wd``,
    ``extension_limit_wd``; ``[supplement] reply_limit_wd, after_acceptance``; ``[decision]
    staff_groups, head_group, head_title``; ``[pause_basis] supplement, special_procedure``;
    ``special_procedures``; ``[revocation] statement_period_wd, head_group``; and per permit the same keys in
    ``[permits.<key>]`` (a permit without ``statutory_limit_wd`` is ``optional``: no clock of its own).
    """
    meta = _as_mapping(metadata)
    extra: Mapping[str, Any] = meta.get("extra") or {}
    decision: Mapping[str, Any] = extra.get("decision") or {}
    bases: Mapping[str, Any] = extra.get("pause_basis") or {}
    supplement: Mapping[str, Any] = extra.get("supplement") or {}
    case = PermitLimits(
        key="", name=str(meta.get("name", "")), statutory_wd=_int(meta.get("statutory_limit_wd"), 0),
        promised_wd=_int(meta.get("promised_limit_wd"), 0), extension_wd=_int(meta.get("extension_limit_wd"), 0),
        staff_groups=_strings(decision.get("staff_groups")), head_group=str(decision.get("head_group") or ""),
        head_title=str(decision.get("head_title") or ""), department=str(meta.get("department", "")),
        supplement_pause_basis=str(bases.get("supplement") or ""),
        special_procedure_basis=str(bases.get("special_procedure") or SPECIAL_PROCEDURE_BASIS),
        special_procedures=_strings(extra.get("special_procedures")))
    case = _with_entry(case, entry)
    permits = []
    for key, spec in (extra.get("permits") or {}).items():
        if not isinstance(spec, Mapping):
            continue
        own_bases: Mapping[str, Any] = spec.get("pause_basis") or {}
        timed = "statutory_limit_wd" in spec
        statutory = _int(spec.get("statutory_limit_wd"), case.statutory_wd)
        permits.append(PermitLimits(
            key=str(key), name=str(spec.get("name", key)), statutory_wd=statutory,
            promised_wd=_int(spec.get("promised_limit_wd"), statutory),
            extension_wd=_int(spec.get("extension_limit_wd"), case.extension_wd if timed else 0),
            staff_groups=_strings(spec.get("staff_groups")) or case.staff_groups,
            head_group=str(spec.get("head_group") or case.head_group),
            head_title=str(spec.get("head_title") or case.head_title),
            department=str(spec.get("department") or case.department),
            supplement_pause_basis=str(own_bases["supplement"] if "supplement" in own_bases
                                       else case.supplement_pause_basis),
            special_procedure_basis=str(own_bases.get("special_procedure") or case.special_procedure_basis),
            special_procedures=_strings(spec.get("special_procedures")) or case.special_procedures,
            optional=bool(spec.get("optional")) or not timed,
            decision_documents=(*_strings(spec.get("document")), *DECISION_DOCUMENTS)))
    revocation: Mapping[str, Any] = extra.get("revocation") or {}
    return MatterLimits(case=case, permits=tuple(permits),
                        supplement_limit_wd=_int(supplement.get("reply_limit_wd"), DEFAULT_SUPPLEMENT_LIMIT_WD)
                        or DEFAULT_SUPPLEMENT_LIMIT_WD,
                        supplement_outcome=str(supplement.get("after_acceptance") or DEFAULT_SUPPLEMENT_OUTCOME),
                        statement_period_wd=_int(revocation.get("statement_period_wd"), 0),
                        revocation_head_group=str(revocation.get("head_group") or ""))


def limit_problems(extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key, Chinese problem) for the legal-time tables of a ``matter.toml`` (checked at deploy)."""
    problems: list[tuple[str, str]] = []

    def strings(key: str, value: Any) -> None:
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            problems.append((key, "应为字符串列表"))

    def table(key: str, value: Any, fields: dict[str, type]) -> None:
        if value is None:
            return
        if not isinstance(value, Mapping):
            problems.append((key, f"应为 [{key}] 表"))
            return
        for name, kind in fields.items():
            item = value.get(name)
            if item is None:
                continue
            if kind is int and (not isinstance(item, int) or isinstance(item, bool) or item < 0):
                problems.append((f"{key}.{name}", "应为非负整数（工作日）"))
            elif kind is str and not isinstance(item, str):
                problems.append((f"{key}.{name}", "应为字符串"))
            elif kind is list:
                strings(f"{key}.{name}", item)

    table("supplement", extra.get("supplement"), {"reply_limit_wd": int, "after_acceptance": str})
    table("decision", extra.get("decision"), {"staff_groups": list, "head_group": str, "head_title": str})
    table("pause_basis", extra.get("pause_basis"), {"supplement": str, "special_procedure": str})
    table("revocation", extra.get("revocation"), {"statement_period_wd": int, "basis": str, "head_group": str})
    strings("special_procedures", extra.get("special_procedures"))
    for kind in _strings(extra.get("special_procedures")):
        if kind not in SPECIAL_PROCEDURES:
            problems.append(("special_procedures", f"“{kind}”不是行政许可法第四十五条所列的特别程序"))
    for key, spec in (extra.get("permits") or {}).items():
        if isinstance(spec, Mapping):
            table(f"permits.{key}", spec, {"statutory_limit_wd": int, "promised_limit_wd": int,
                                           "extension_limit_wd": int, "staff_groups": list, "head_group": str,
                                           "head_title": str, "special_procedures": list})
            table(f"permits.{key}.pause_basis", spec.get("pause_basis"), {"supplement": str, "special_procedure": str})
    return problems


# -- legal days ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalClock:
    """What counting legal time needs besides the facts: the working-day calendar and the hall."""

    calendar: WorkCalendar
    hall: HallSettings

    @property
    def closing(self) -> time:
        return self.hall.closing_time

    def day_of(self, moment: datetime) -> date:
        return legal_day(self.calendar, moment, self.closing)



def legal_day(calendar: WorkCalendar, moment: datetime, closing: time) -> date:
    """The day ``moment`` counts as: its China date, or the next working day when it falls at or after
    the hall's closing time or on a rest day (nobody could have acted on it that day)."""
    return calendar.effective_receipt_day(moment, closing)


def acceptance_days(calendar: WorkCalendar, closing: time, *, deemed: bool, received_at: datetime,
                    accepted_at: datetime) -> tuple[date, date]:
    """(legal receipt day, legal acceptance date) of a case.

    Deemed acceptance (视为受理) dates from the day the (complete) materials were received, whenever
    the system noticed it; otherwise the acceptance counts on the legal day of its moment.
    """
    received_on = legal_day(calendar, received_at, closing)
    return received_on, received_on if deemed else legal_day(calendar, accepted_at, closing)


#: 行政许可法 art. 32: what to supplement is told at once or within five working days of receipt; a window
#: that says nothing by then has accepted the application (视为受理) as of the receipt day.
RECEPTION_NOTICE_WD = 5


def reception_due(calendar: WorkCalendar, closing: time, received_at: datetime) -> date:
    """The last day the window may still ask for 补正 on materials received at ``received_at``; after it the
    case is deemed accepted, its clock running from the receipt day (the reception timer's own rule)."""
    return calendar.due_after(legal_day(calendar, received_at, closing), RECEPTION_NOTICE_WD).due


def paused_workdays(calendar: WorkCalendar, started_on: date, ended_on: date) -> int:
    """Working days a pause from ``started_on`` to ``ended_on`` keeps off the clock: those in [start, end)."""
    return calendar.workdays_between(started_on - timedelta(days=1), ended_on - timedelta(days=1))


def china_time(value: datetime | str | None) -> datetime | None:
    """An aware moment (or ISO text) in China time; naive values are taken as China time already."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(CHINA_TZ) if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


# -- the record ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    """A stop of the clock (or, without a basis, a recorded 补正 period that does not stop it)."""

    kind: str  # supplement | special_procedure
    basis: str
    started_on: date
    started_at: datetime
    ended_on: date | None = None
    ended_at: datetime | None = None
    #: 办理状态 the case returns to when the pause ends.
    resume_code: int | None = None
    #: What it is: the 补正 element, or the 特别程序 (e.g. 检测) and its reason.
    detail: str = ""
    #: 补正: the reply deadline; 特别程序: the expected end the notice told the applicant.
    until: date | None = None

    @property
    def counts(self) -> bool:
        """Whether it stops the clock: only with a legal basis."""
        return bool(self.basis)

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


@dataclass(frozen=True)
class Extension:
    """An approved extension (延长期限, art. 42)."""

    days: int
    reason: str
    requested_by: str
    approved_by: str
    approved_at: datetime
    request_id: int | None = None


@dataclass(frozen=True)
class DeadlineRecord:
    """The stored deadline of a case (``permit == ""``) or of one permit of a bundle."""

    permit: str
    name: str
    received_on: date
    accepted_at: datetime
    accepted_on: date
    acceptance_mode: str
    statutory_limit_wd: int
    promised_limit_wd: int
    extension_limit_wd: int
    statutory_due: date
    promised_due: date
    provisional: bool = False
    pauses: tuple[Pause, ...] = ()
    extensions: tuple[Extension, ...] = ()
    closed_at: datetime | None = None
    #: Periods notices gave the applicant (陈述申辩): stored here, they never move the due dates.
    periods: tuple[Period, ...] = ()

    @property
    def extension_wd(self) -> int:
        return sum(e.days for e in self.extensions)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def open_pause(self) -> Pause | None:
        return next((p for p in reversed(self.pauses) if p.is_open), None)

    @property
    def is_paused(self) -> bool:
        """The clock stands still now (an open pause with a legal basis)."""
        pause = self.open_pause
        return pause is not None and pause.counts

    def frozen_spans(self) -> list[tuple[date, date | None]]:
        return [(p.started_on, p.ended_on) for p in self.pauses if p.counts]

    def recomputed(self, calendar: WorkCalendar, today: date) -> DeadlineRecord:
        """The due dates from the record's own facts on ``calendar`` (an open pause runs until ``today``)."""
        spans = self.frozen_spans()
        statutory = calendar.due_after(self.accepted_on, max(self.statutory_limit_wd, 1), paused=spans,
                                       extension_wd=self.extension_wd, now=today)
        # An extension (art. 42) moves the statutory deadline only: the hall's promise stays what it was,
        # so a promise broken before the extension still shows as broken.
        promised = calendar.due_after(self.accepted_on, max(self.promised_limit_wd, 1), paused=spans, now=today)
        return dataclasses.replace(self, statutory_due=statutory.due, promised_due=promised.due,
                                   provisional=statutory.provisional or promised.provisional)

    def with_pauses(self, pauses: Sequence[Pause]) -> DeadlineRecord:
        return dataclasses.replace(self, pauses=tuple(pauses))

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (history rows carry it, so an audit can show the record as it stood)."""
        def plain(value: Any) -> Any:
            if isinstance(value, datetime | date):
                return value.isoformat()
            if isinstance(value, tuple | list):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        return plain(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> DeadlineRecord:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if value else None

        def moment(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        pauses = tuple(Pause(kind=p["kind"], basis=p["basis"], started_on=date.fromisoformat(p["started_on"]),
                             started_at=datetime.fromisoformat(p["started_at"]), ended_on=day(p.get("ended_on")),
                             ended_at=moment(p.get("ended_at")), resume_code=p.get("resume_code"),
                             detail=p.get("detail", ""), until=day(p.get("until")))
                       for p in raw.get("pauses", ()))
        extensions = tuple(Extension(days=int(e["days"]), reason=e["reason"], requested_by=e["requested_by"],
                                     approved_by=e["approved_by"], approved_at=datetime.fromisoformat(e["approved_at"]),
                                     request_id=e.get("request_id"))
                           for e in raw.get("extensions", ()))
        return cls(permit=raw["permit"], name=raw["name"], received_on=date.fromisoformat(raw["received_on"]),
                   accepted_at=datetime.fromisoformat(raw["accepted_at"]),
                   accepted_on=date.fromisoformat(raw["accepted_on"]), acceptance_mode=raw["acceptance_mode"],
                   statutory_limit_wd=int(raw["statutory_limit_wd"]), promised_limit_wd=int(raw["promised_limit_wd"]),
                   extension_limit_wd=int(raw["extension_limit_wd"]),
                   statutory_due=date.fromisoformat(raw["statutory_due"]),
                   promised_due=date.fromisoformat(raw["promised_due"]), provisional=bool(raw.get("provisional")),
                   pauses=pauses, extensions=extensions, closed_at=moment(raw.get("closed_at")),
                   periods=tuple(Period.from_json(p) for p in raw.get("periods", ())))


def open_record(calendar: WorkCalendar, limits: PermitLimits, *, received_on: date, accepted_at: datetime,
                accepted_on: date, mode: str) -> DeadlineRecord:
    """The record written at acceptance for the case or one permit."""
    record = DeadlineRecord(permit=limits.key, name=limits.name, received_on=received_on, accepted_at=accepted_at,
                            accepted_on=accepted_on, acceptance_mode=mode, statutory_limit_wd=limits.statutory_wd,
                            promised_limit_wd=limits.promised_wd, extension_limit_wd=limits.extension_wd,
                            statutory_due=accepted_on, promised_due=accepted_on)
    return record.recomputed(calendar, accepted_on)


def bundle_record(case: DeadlineRecord, permits: Sequence[DeadlineRecord]) -> DeadlineRecord:
    """The case of a bundle: due when its last permit is due (each permit keeps its own clock)."""
    if not permits:
        return case
    return dataclasses.replace(case, statutory_due=max(p.statutory_due for p in permits),
                               promised_due=max(p.promised_due for p in permits),
                               provisional=case.provisional or any(p.provisional for p in permits))
