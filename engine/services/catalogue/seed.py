"""Where entries come from the first time: the drawn matters' ``matter.toml`` and the sample hall.

A drawn matter (one with a diagram of its own) gets its entry from its ``matter.toml``: the limits,
legal basis, conditions, materials and fee there, plus its ``[catalogue]`` table for what the
catalogue has and the diagram does not (承办机构, 结果名称, posts, place, hours, phones, …). That is
its seed, read once; from then on the entry is the one source (``limits.case_limits``) and is edited
in the catalogue.

``onewindow init`` loads ``processes/_catalogue/sample_catalogue.xlsx`` (150+ matters of the sample
hall, the drawn five among them) into an empty catalogue, then seeds any deployed drawn matter that
still has no entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.actors import Actor
from engine.catalogue.entry import LEVELS
from engine.catalogue.entry import MATTER_TYPES
from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.entry import FeeItem
from engine.catalogue.entry import Material
from engine.catalogue.entry import check_entry
from engine.errors import EngineError
from engine.persistence.repositories import catalogue as stored
from engine.persistence.repositories.definitions import latest_definitions
from engine.services.catalogue.editing import apply_entry
from engine.services.catalogue.references import lookups
from engine.services.catalogue.tables import CatalogueImport
from engine.services.catalogue.tables import import_catalogue
from engine.services.context import EngineContext
from engine.services.organisation.demo import ensure_sample_organisation

SAMPLE_FILE = "sample_catalogue.xlsx"
SEED_NOTE = "由 matter.toml 生成"


class SeedRefused(EngineError):
    """A drawn matter's ``matter.toml`` does not make a valid catalogue entry; nothing was stored."""


def _necessity(material: Mapping[str, Any]) -> str:
    if not material.get("required", True):
        return "按需"
    return "必要" if material.get("core", True) else "可容缺"


def entry_from_metadata(metadata: Mapping[str, Any], organs_by_credit_code: Mapping[str, str]) -> CatalogueEntry:
    """The catalogue entry a drawn matter's parsed ``matter.toml`` seeds (``asdict(MatterMetadata)``)."""
    extra: dict[str, Any] = dict(metadata.get("extra", {}).get("catalogue", {}))
    code = str(metadata["implementation_code"])
    digits = code[19:][2:4]
    matter_type = extra.pop("matter_type", None) or next(
        (name for name, value in MATTER_TYPES.items() if value == digits), "行政许可")
    level = next((name for name, digit in LEVELS.items() if digit == code[18:19]), "")
    fee = str(metadata.get("fee", "不收费"))
    fees = tuple(FeeItem(**item) for item in extra.pop("fees", ())) if "fees" in extra else (
        () if fee.startswith("不收费") else (FeeItem("收费", fee, "见法定依据"),))
    materials = tuple(Material(name=m["name"], necessity=_necessity(m), note=str(m.get("description", "")))
                      for m in metadata.get("materials", ()))
    values: dict[str, Any] = {
        "code": metadata["code"], "name": metadata["name"], "basic_code": code[19:], "implementation_code": code,
        "matter_type": matter_type, "organ_code": organs_by_credit_code.get(code[:18], ""), "level": level,
        "legal_basis": tuple(metadata.get("legal_basis", ())), "conditions": tuple(metadata.get("conditions", ())),
        "case_type": metadata["case_type"], "statutory_limit_wd": int(metadata["statutory_limit_wd"]),
        "promised_limit_wd": int(metadata["promised_limit_wd"]),
        "extension_limit_wd": int(metadata.get("extension_limit_wd", 0)), "fees": fees, "materials": materials,
        "process": metadata["code"],
    }
    # Facts legal time reads from matter.toml itself seed the entry from there (one place each).
    top = metadata.get("extra", {})
    values["special_procedures"] = tuple(top.get("special_procedures", ()))
    # The deciding department's 负责人: [decision], else the one [revocation] names (先建后验 decides nothing else).
    values["fzr_post"] = str((top.get("decision") or {}).get("head_group")
                             or (top.get("revocation") or {}).get("head_group", ""))
    values.update({key: extra[key] for key in extra if key in CatalogueEntry.__dataclass_fields__})
    values.setdefault("department_code", "")
    values.setdefault("result_name", "")
    return CatalogueEntry(**values)


@dataclass(frozen=True)
class SeedResult:
    #: The sample hall's organisation was loaded (into an installation that had none).
    organisation: bool
    sample: CatalogueImport | None
    seeded: tuple[str, ...]


def seed_drawn_entries(ctx: EngineContext, actor: Actor) -> list[str]:
    """An entry for every deployed matter with a ``[catalogue]`` table and no entry yet; their codes.

    :raise SeedRefused: a seed is not a valid entry (the reasons, per matter); nothing stored.
    """
    now = ctx.clock.now()
    with ctx.uow() as uow:
        found = lookups(uow)
        by_credit = {credit: code for code, (credit, _active) in found.refs.organs.items()}
        new: list[CatalogueEntry] = []
        problems: list[str] = []
        for definition in latest_definitions(uow):
            metadata = definition.metadata
            if "catalogue" not in metadata.get("extra", {}) or stored.current_entry(uow, definition.matter_code):
                continue
            entry = entry_from_metadata(metadata, by_credit)
            if not entry.organ_code:
                continue  # its organ is not in this installation's organisation (yet): nothing to seed
            errors = check_entry(entry, found.refs)
            if errors:
                problems.append(f"{definition.matter_code}/matter.toml：" + "；".join(errors.values()))
            new.append(entry)
        if problems:
            raise SeedRefused("事项库条目无法由 matter.toml 生成：\n" + "\n".join(problems))
        for entry in new:
            apply_entry(uow, actor, now, entry, found.names, note=SEED_NOTE)
        uow.commit()
    return [entry.code for entry in new]


def catalogue_is_empty(ctx: EngineContext) -> bool:
    with ctx.uow() as uow:
        return not stored.current_entries(uow)


def seed_catalogue(ctx: EngineContext, actor: Actor, *, with_sample: bool = True) -> SeedResult:
    """First load (idempotent): the sample hall's organisation into an installation without one and its
    catalogue into an empty catalogue (unless ``with_sample`` is False), then the drawn matters' seeds.

    Once loaded, the sample is data like any other: later runs never load it again, so nothing an
    administrator changed is overwritten.
    """
    organisation = with_sample and ensure_sample_organisation(ctx)
    sample = None
    path = ctx.settings.catalogue_dir / SAMPLE_FILE
    if with_sample and path.is_file() and catalogue_is_empty(ctx):
        sample = import_catalogue(ctx, actor, path.read_bytes(), path.name)
    return SeedResult(organisation, sample, tuple(seed_drawn_entries(ctx, actor)))
