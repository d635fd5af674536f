"""Write the sample hall: ``organisation/*.csv`` and ``sample_catalogue.xlsx`` (+ ``.csv``).

Run after editing ``sample_organisation.py`` or ``sample_matters.py``::

    .venv/bin/python processes/_catalogue/generate.py

The files are written with the app's own exporters (the same column headers an administrator's
export has), so importing them and exporting again gives the same table; a test checks that the
shipped files are what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from sample_matters import MATTERS  # noqa: E402
from sample_matters import SampleMatter  # noqa: E402
from sample_organisation import COURT  # noqa: E402
from sample_organisation import HALL_ADDRESS  # noqa: E402
from sample_organisation import ORGANS  # noqa: E402
from sample_organisation import WINDOWS  # noqa: E402
from sample_organisation import Organ  # noqa: E402
from sample_organisation import organ  # noqa: E402

from engine.catalogue.columns import OrgNames  # noqa: E402
from engine.catalogue.entry import MATTER_TYPES  # noqa: E402
from engine.catalogue.entry import CatalogueEntry  # noqa: E402
from engine.catalogue.entry import FeeItem  # noqa: E402
from engine.catalogue.entry import Material  # noqa: E402
from engine.definitions.metadata import parse_metadata  # noqa: E402
from engine.services.catalogue.seed import SAMPLE_FILE  # noqa: E402
from engine.services.catalogue.seed import entry_from_metadata  # noqa: E402
from engine.services.catalogue.tables import catalogue_file  # noqa: E402
from engine.services.organisation.structure import KINDS  # noqa: E402
from engine.services.organisation.structure import STATUS_ACTIVE  # noqa: E402
from engine.tabular import write_csv  # noqa: E402

ORGANISATION_DIR = HERE / "organisation"
PROCESSES_DIR = HERE.parent
#: 2-digit department part of the sample 基本编码 主项 (the drawn matters keep their own codes).
DEPARTMENT_DIGITS = {"scjg": "70", "ws": "10", "zj": "72", "cg": "73", "jt": "12", "ny": "13", "sl": "14",
                     "sthj": "15", "zrgh": "16", "wgl": "18", "jy": "19", "mz": "20", "rs": "21", "ga": "22",
                     "yj": "23", "sw": "24", "ly": "25", "qx": "26", "xf": "27", "rf": "80", "fg": "28", "tax": "29",
                     "djjg": "90", "tyjr": "30", "yb": "31"}
#: 事项类型 digits for the types the national list gives none here (sample values).
OTHER_TYPE_DIGITS = {"行政备案": "11", "公共服务": "20"}
HOURS = "工作日 9:00—12:00，13:30—17:00（法定节假日除外）"
PLACE = f"{HALL_ADDRESS.split('（')[0]}综合受理窗口（{HALL_ADDRESS.split('（')[1]}"
LEVEL = ("县级", "4")
POWER_OF_ATTORNEY = "授权委托书及受托人身份证明（委托他人办理的）?"


def _material(text: str) -> Material:
    if text.endswith("?"):
        return Material(text[:-1], necessity="按需")
    if text.endswith("~"):
        return Material(text[:-1], necessity="可容缺")
    return Material(text)


def _licensing_department(o: Organ) -> str:
    return next(d.code for d in o.departments if any(p.code == o.chain[0] for p in d.posts))


def sample_entry(organ_code: str, number: int, sample: SampleMatter) -> CatalogueEntry:
    """One sample matter as the catalogue entry the general pattern runs."""
    o = organ(organ_code)
    type_digits = MATTER_TYPES.get(sample.matter_type) or OTHER_TYPE_DIGITS[sample.matter_type]
    basic = f"00{type_digits}{DEPARTMENT_DIGITS[organ_code]}{100 + number:03d}000"
    extension = sample.extension if sample.extension is not None else (10 if sample.matter_type == "行政许可" else 0)
    materials = tuple(_material(t) for t in (f"{sample.name}申请表", *sample.materials, POWER_OF_ATTORNEY))
    return CatalogueEntry(
        code=f"{organ_code}_{number:02d}", name=sample.name, basic_code=basic,
        implementation_code=o.credit_code + LEVEL[1] + basic, matter_type=sample.matter_type, organ_code=o.code,
        department_code=_licensing_department(o), level=LEVEL[0], legal_basis=sample.legal_basis,
        case_type=sample.case_type, statutory_limit_wd=sample.statutory, promised_limit_wd=sample.promised,
        result_name=sample.result, materials=materials, conditions=sample.conditions, extension_limit_wd=extension,
        fees=tuple(FeeItem(*fee) for fee in sample.fees), place=PLACE, hours=HOURS, consult_phone=o.phone,
        complaint_phone="12345", visits=0 if sample.online_depth == "四级" else 1, online_depth=sample.online_depth,
        special_procedures=sample.special, chengban_post=o.chain[0], shenhe_post=o.chain[1], pizhun_post=o.chain[2],
        fzr_post=o.chain[3], site_check=sample.site_check, inspection_post=o.inspectors if sample.site_check else "",
        data_note="示例数据")


def drawn_entries() -> list[CatalogueEntry]:
    """The entries the drawn matters' matter.toml seed (the same function init uses)."""
    by_credit = {o.credit_code: o.code for o in ORGANS}
    entries = []
    for path in sorted(PROCESSES_DIR.glob("*/matter.toml")):
        if path.parent.name.startswith("_"):
            continue
        metadata, problems = parse_metadata(path.read_text(encoding="utf-8"), str(path))
        if metadata is None or "catalogue" not in metadata.extra:
            continue
        entries.append(entry_from_metadata(metadata.as_dict(), by_credit))
    return entries


def sample_entries() -> list[CatalogueEntry]:
    """Every entry of the sample hall (the drawn matters and each organ's matters), by code as exports list them."""
    entries = drawn_entries()
    for organ_code, samples in MATTERS.items():
        entries.extend(sample_entry(organ_code, number, sample) for number, sample in enumerate(samples, start=1))
    return sorted(entries, key=lambda entry: entry.code)


def sample_names() -> OrgNames:
    return OrgNames(organ_names={o.code: o.name for o in ORGANS},
                    departments={d.code: (o.code, d.name) for o in ORGANS for d in o.departments})


def organisation_tables() -> dict[str, tuple[list[str], list[list[str]]]]:
    """File name -> (headers, rows) of the sample hall's organisation."""
    organs, departments, posts = [], [], []
    for o in ORGANS:
        organs.append([o.code, o.name, o.short_name, o.credit_code, o.address, o.phone, o.review_organ,
                       COURT, STATUS_ACTIVE])
        for d in o.departments:
            departments.append([d.code, o.code, d.name, STATUS_ACTIVE])
            posts.extend([p.code, p.name, d.code, p.kind, STATUS_ACTIVE] for p in d.posts)
    windows = [[code, name, kind, STATUS_ACTIVE] for code, name, kind in WINDOWS]
    return {name: (list(KINDS[kind].fields.values()), rows) for name, kind, rows in (
        ("organs.csv", "organ", organs), ("departments.csv", "department", departments),
        ("posts.csv", "post", posts), ("windows.csv", "window", windows))}


def sample_files() -> dict[Path, bytes]:
    """Every generated file and its bytes."""
    files = {ORGANISATION_DIR / name: write_csv(headers, rows)
             for name, (headers, rows) in organisation_tables().items()}
    entries, names = sample_entries(), sample_names()
    for fmt in ("xlsx", "csv"):
        files[HERE / SAMPLE_FILE.replace(".xlsx", f".{fmt}")] = catalogue_file(entries, names, fmt)
    return files


def main() -> None:
    for path, data in sample_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path.relative_to(HERE)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
