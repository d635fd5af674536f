"""The shipped sample hall: 150+ matters of 15+ organs that import, export unchanged (CSV and XLSX), and
are exactly what the generator script writes."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.actors import Actor
from engine.catalogue.entry import PATTERN_PROCESS
from engine.persistence.repositories import organisation as org
from engine.services.catalogue.editing import list_entries
from engine.services.catalogue.seed import SAMPLE_FILE
from engine.services.catalogue.seed import seed_catalogue
from engine.services.catalogue.tables import export_catalogue
from engine.services.catalogue.tables import import_catalogue
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from engine.settings import PROJECT_ROOT
from engine.settings import EngineSettings
from tests.databases import migrated_database

CATALOGUE_DIR = PROJECT_ROOT / "processes" / "_catalogue"
ADMIN = Actor("admin1", "管理员", frozenset({"admin"}))


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sample_hall_generate", CATALOGUE_DIR / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(xlsx: bytes) -> dict[str, list[tuple[str, ...]]]:
    workbook = load_workbook(io.BytesIO(xlsx), read_only=True)
    try:
        return {sheet.title: [tuple("" if v is None else str(v) for v in row)
                              for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}
    finally:
        workbook.close()


def test_the_shipped_files_are_what_the_generator_writes() -> None:
    saved = list(sys.path)  # the script puts its own folder first, to import its data modules
    try:
        files = _generator().sample_files()
    finally:
        sys.path[:] = saved
    assert files, "the generator writes nothing"
    for path, data in files.items():
        shipped = path.read_bytes()
        if path.suffix == ".xlsx":  # the workbook's zip carries timestamps: compare what the cells say
            assert _cells(shipped) == _cells(data), path.name
        else:
            assert shipped == data, f"{path.name} is not generate.py's output: run processes/_catalogue/generate.py"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hall(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EngineContext]:
    """A migrated database with every shipped matter deployed and the sample hall loaded as init loads it."""
    with migrated_database(request.param, tmp_path, request) as url:
        ctx = EngineContext.create(EngineSettings(database_url=url, uploads_dir=tmp_path / "uploads"))
        try:
            deploy_path(ctx, ctx.settings.processes_dir, Actor("designer", groups=frozenset({"designer"})))
            result = seed_catalogue(ctx, ADMIN)
            assert result.organisation and result.sample is not None
            yield ctx
        finally:
            ctx.dispose()


def test_init_offers_150_matters_of_15_organs_each_run_by_its_organs_posts(hall: EngineContext) -> None:
    entries = [version.entry for version in list_entries(hall, active_only=True)]
    assert len(entries) >= 150
    assert len({entry.organ_code for entry in entries}) >= 15
    assert {"food_business", "hygiene_licence", "construction_bundle", "realestate_tax", "build_first"} <= {
        entry.code for entry in entries if entry.process == entry.code}  # the drawn five keep their diagrams
    with hall.uow() as uow:
        posts = {post.code: post.organ_code for post in org.posts(uow)}
    for entry in entries:
        assert entry.data_note == "示例数据", entry.code
        if entry.process == PATTERN_PROCESS:
            for post in (entry.chengban_post, entry.shenhe_post, entry.pizhun_post, entry.fzr_post):
                assert posts[post] == entry.organ_code, (entry.code, post)
    assert seed_catalogue(hall, ADMIN).sample is None  # loaded once: a second init changes nothing


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_shipped_catalogue_exports_unchanged(hall: EngineContext, fmt: str) -> None:
    shipped = (CATALOGUE_DIR / SAMPLE_FILE.replace(".xlsx", f".{fmt}")).read_bytes()
    exported = export_catalogue(hall, fmt)
    if fmt == "xlsx":
        assert _cells(exported) == _cells(shipped)
    else:
        assert exported == shipped
    again = import_catalogue(hall, ADMIN, exported, f"catalogue.{fmt}", dry_run=True)
    assert {change.outcome for change in again.changes} == {"unchanged"}
    assert len(again.changes) >= 150 and again.not_in_file == ()


def _heads_named_by_matters() -> dict[str, str]:
    """post code -> where a shipped matter names it as the 负责人 who decides (extension, revocation)."""

    named: dict[str, str] = {}
    for path in sorted((PROJECT_ROOT / "processes").glob("*/matter.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        tables = {"[decision]": data.get("decision") or {}, "[revocation]": data.get("revocation") or {},
                  **{f"[permits.{k}]": v for k, v in (data.get("permits") or {}).items()}}
        for where, table in tables.items():
            if table.get("head_group"):
                named[table["head_group"]] = f"{path.parent.name} {where}"
    return named


def test_every_head_a_matter_names_is_a_post_of_the_sample_organisation() -> None:
    """A real hall imports the sample posts.csv, not the demo accounts: the 负责人 who alone approve an
    extension or decide a revocation (e.g. 审批局负责人 ``xzsp_fzr`` for 先建后验) must be posts there."""
    with (CATALOGUE_DIR / "organisation" / "posts.csv").open(encoding="utf-8-sig") as f:
        posts = {row["岗位编码"]: row for row in csv.DictReader(f)}
    named = _heads_named_by_matters()
    assert "xzsp_fzr" in named and {"zj_fzr", "cg_fzr", "scjg_fzr", "ws_fzr"} <= named.keys()
    missing = {code: where for code, where in named.items() if code not in posts}
    assert missing == {}
    assert all(posts[code]["岗位类别"] == "负责人" and posts[code]["状态"] == "在用" for code in named)
