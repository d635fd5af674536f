"""Organs, departments, posts and windows: checked, created or changed by code, every change audited.

Each kind has one ``clean_*`` function turning submitted text (a page's form or a CSV row) into
stored values or Chinese field errors, and one ``save_*`` use case that creates the thing when its
code is new and changes it otherwise. The pages and the CSV import share both, so a row the import
accepts is exactly a form the page would accept.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any

from engine.actors import Actor
from engine.errors import FormDataInvalid
from engine.forms import is_valid_uscc
from engine.hidden_chars import name_problem
from engine.hidden_chars import text_problem
from engine.persistence.conflicts import translate_duplicates
from engine.persistence.repositories import organisation as org
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.context import EngineContext
from engine.services.organisation.audit import changed_fields
from engine.services.organisation.audit import record_change
from engine.services.organisation.audit import require_admin
from engine.services.organisation.vocabulary import CODE_PATTERN
from engine.services.organisation.vocabulary import POST_CODE_PATTERN
from engine.services.organisation.vocabulary import POST_KINDS
from engine.services.organisation.vocabulary import RESERVED_GROUPS
from engine.services.organisation.vocabulary import WINDOW_KINDS

AREA = "organisation"
STATUS_ACTIVE, STATUS_INACTIVE = "在用", "停用"


def status_text(is_active: bool) -> str:
    return STATUS_ACTIVE if is_active else STATUS_INACTIVE


@dataclass(frozen=True)
class Kind:
    """One kind of organisation unit: its label, field labels (also the CSV headers) and storage."""

    key: str
    label: str
    #: Field key -> Chinese label, in form / CSV column order.
    fields: dict[str, str]
    find: Callable[[UnitOfWork, str], Any]
    insert: Callable[[UnitOfWork, Mapping[str, Any]], int]
    update: Callable[[UnitOfWork, int, Mapping[str, Any]], None]


ORGAN = Kind("organ", "机关", {"code": "机关编码", "name": "机关名称", "short_name": "简称",
                              "credit_code": "统一社会信用代码", "address": "地址", "phone": "电话",
                              "review_organ": "复议机关", "court": "管辖法院", "status": "状态"},
             org.organ_by_code, org.insert_organ, org.update_organ)
DEPARTMENT = Kind("department", "科室", {"code": "科室编码", "organ_code": "所属机关编码", "name": "科室名称",
                                        "status": "状态"},
                  org.department_by_code, org.insert_department, org.update_department)
POST = Kind("post", "岗位", {"code": "岗位编码", "name": "岗位名称", "department_code": "所属科室编码",
                            "kind": "岗位类别", "status": "状态"},
            org.post_by_code, org.insert_post, org.update_post)
WINDOW = Kind("window", "窗口", {"code": "窗口编码", "name": "窗口名称", "kind": "窗口类型", "status": "状态"},
              org.window_by_code, org.insert_window, org.update_window)
KINDS = {kind.key: kind for kind in (ORGAN, DEPARTMENT, POST, WINDOW)}


def _text(values: Mapping[str, Any], key: str) -> str:
    return str(values.get(key) or "").strip()


class _Checker:
    """Collects field errors in Chinese while reading submitted text."""

    def __init__(self, kind: Kind, values: Mapping[str, Any]) -> None:
        self.kind, self.values = kind, values
        self.errors: dict[str, str] = {}

    def label(self, key: str) -> str:
        return self.kind.fields[key]

    def text(self, key: str, *, required: bool = True, max_length: int = 100, name: bool = False) -> str:
        value = _text(self.values, key)
        problem = (name_problem if name else text_problem)(value) if value else None
        if required and not value:
            self.errors[key] = f"请填写{self.label(key)}"
        elif len(value) > max_length:
            self.errors[key] = f"{self.label(key)}不能超过 {max_length} 个字"
        elif problem is not None:
            self.errors[key] = f"{self.label(key)}{problem}"
        return value

    def code(self, key: str = "code", pattern: Any = CODE_PATTERN) -> str:
        value = _text(self.values, key)
        if not pattern.match(value):
            self.errors[key] = f"{self.label(key)}应为小写字母开头的小写字母、数字或下划线（2–32 位）"
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = _text(self.values, key)
        if value not in choices:
            self.errors[key] = f"{self.label(key)}应为 {'、'.join(choices)} 之一"
        return value

    def status(self) -> bool:
        value = _text(self.values, "status") or STATUS_ACTIVE
        if value not in (STATUS_ACTIVE, STATUS_INACTIVE):
            self.errors["status"] = f"状态应为“{STATUS_ACTIVE}”或“{STATUS_INACTIVE}”"
        return value != STATUS_INACTIVE


def clean_organ(uow: UnitOfWork, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    check = _Checker(ORGAN, values)
    clean = {"code": check.code(), "name": check.text("name", name=True), "short_name": check.text(
        "short_name", max_length=50, name=True), "credit_code": _text(values, "credit_code").upper(),
        "address": check.text("address", required=False, max_length=200),
        "phone": check.text("phone", required=False, max_length=40),
        "review_organ": check.text("review_organ"), "court": check.text("court"), "is_active": check.status()}
    if not is_valid_uscc(clean["credit_code"]):
        check.errors["credit_code"] = "统一社会信用代码应为 18 位，且校验位正确"
    return clean, check.errors


def clean_department(uow: UnitOfWork, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    check = _Checker(DEPARTMENT, values)
    clean: dict[str, Any] = {"code": check.code(), "name": check.text("name", name=True), "is_active": check.status()}
    organ_code = _text(values, "organ_code")
    organ = org.organ_by_code(uow, organ_code) if organ_code else None
    if organ is None:
        check.errors["organ_code"] = (f"所属机关“{organ_code}”不存在，请先添加该机关" if organ_code
                                      else "请填写所属机关编码")
    else:
        clean["organ_id"] = organ.id
    return clean, check.errors


def clean_post(uow: UnitOfWork, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    check = _Checker(POST, values)
    code = check.code(pattern=POST_CODE_PATTERN)
    if code in RESERVED_GROUPS:
        check.errors["code"] = f"“{code}”是系统角色名，不能用作岗位编码"
    clean: dict[str, Any] = {"code": code, "name": check.text("name", name=True),
                             "kind": check.choice("kind", POST_KINDS), "is_active": check.status()}
    department_code = _text(values, "department_code")
    department = org.department_by_code(uow, department_code) if department_code else None
    if department is None:
        check.errors["department_code"] = (f"所属科室“{department_code}”不存在，请先添加该科室" if department_code
                                           else "请填写所属科室编码")
    else:
        clean["department_id"] = department.id
    return clean, check.errors


def clean_window(uow: UnitOfWork, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    check = _Checker(WINDOW, values)
    return {"code": check.code(), "name": check.text("name", name=True), "kind": check.choice("kind", WINDOW_KINDS),
            "is_active": check.status()}, check.errors


CLEANERS: dict[str, Callable[[UnitOfWork, Mapping[str, Any]], tuple[dict[str, Any], dict[str, str]]]] = {
    "organ": clean_organ, "department": clean_department, "post": clean_post, "window": clean_window}


@dataclass(frozen=True)
class SaveOutcome:
    """What saving one unit did: ``added``, ``changed`` (with the fields) or ``unchanged``."""

    kind: str
    code: str
    outcome: str
    changes: dict[str, tuple[Any, Any]]


def stored_values(row: Any) -> dict[str, Any]:
    """A stored row as the values ``clean_*`` produce (ids of references, no own id)."""
    values = asdict(row)
    values.pop("id")
    for derived in ("organ_code", "department_code"):
        values.pop(derived, None)
    return values


def _field_label(kind: Kind, key: str) -> str:
    """The Chinese label of a stored column (references are stored as ids but labelled by their code)."""
    if key == "is_active":
        return "状态"
    if key.endswith("_id"):
        key = key.removesuffix("_id") + "_code"
    return kind.fields.get(key, key)


def apply_clean(uow: UnitOfWork, actor: Actor, now: Any, kind: Kind, clean: dict[str, Any],
                *, dry_run: bool = False) -> SaveOutcome:
    """Create or change one unit from checked values (audited); ``dry_run`` only says what would happen."""
    existing = kind.find(uow, clean["code"])
    subject = f"{kind.key}:{clean['code']}"
    if existing is None:
        if not dry_run:
            with translate_duplicates(f"{kind.label}编码“{clean['code']}”已被占用"):
                kind.insert(uow, clean)
            record_change(uow, actor, now, area=AREA, event_type=f"{kind.key}_created", subject=subject,
                          summary=f"新增{kind.label}“{clean.get('name', clean['code'])}”（{clean['code']}）",
                          after=clean)
        return SaveOutcome(kind.key, clean["code"], "added", {})
    before = stored_values(existing)
    changes = changed_fields(before, clean)
    if not changes:
        return SaveOutcome(kind.key, clean["code"], "unchanged", {})
    if not dry_run:
        kind.update(uow, existing.id, clean)
        labels = "、".join(_field_label(kind, key) for key in changes)
        record_change(uow, actor, now, area=AREA, event_type=f"{kind.key}_changed", subject=subject,
                      summary=f"修改{kind.label}“{clean.get('name', clean['code'])}”：{labels}",
                      before={k: v[0] for k, v in changes.items()}, after={k: v[1] for k, v in changes.items()})
    return SaveOutcome(kind.key, clean["code"], "changed", changes)


def save_unit(ctx: EngineContext, actor: Actor, kind_key: str, values: Mapping[str, Any]) -> SaveOutcome:
    """Create or change one organ, department, post or window from a page's form.

    :raise NotAllowed: the actor is not an administrator.
    :raise FormDataInvalid: field errors in Chinese, the submitted values kept; nothing changed.
    """
    require_admin(actor)
    kind = KINDS[kind_key]
    with ctx.uow() as uow:
        clean, errors = CLEANERS[kind_key](uow, values)
        if errors:
            raise FormDataInvalid(errors, {k: _text(values, k) for k in kind.fields})
        outcome = apply_clean(uow, actor, ctx.clock.now(), kind, clean)
        uow.commit()
    return outcome
