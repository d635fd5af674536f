"""The 事项库: versioned entries, audited edits, all-or-nothing imports with a dry-run diff, and cases
that start on (and keep) the entry version whose limits they run on."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.actors import Actor
from engine.catalogue.columns import entry_cells
from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.entry import Material
from engine.errors import FormDataInvalid
from engine.errors import MatterNotFound
from engine.errors import NotAllowed
from engine.persistence.repositories import catalogue as stored
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.cases import case_by_id
from engine.services import cases
from engine.services import tasks
from engine.services.catalogue.editing import entry_history
from engine.services.catalogue.editing import get_entry
from engine.services.catalogue.editing import save_entry
from engine.services.catalogue.limits import case_limits
from engine.services.catalogue.references import lookups
from engine.services.catalogue.tables import export_catalogue
from engine.services.catalogue.tables import import_catalogue
from engine.services.context import EngineContext
from engine.services.organisation.demo import ensure_sample_organisation
from engine.tabular import ImportRefused
from tests.services.conftest import VALID_APPLICATION

ADMIN = Actor("admin1", "管理员", frozenset({"admin"}))
#: 临江县交通运输局 in the sample organisation.
JT_CREDIT = "11320100MB1958369K"

ENTRY = CatalogueEntry(
    code="parallel_review", name="两部门并联审查（测试）", basic_code="000112101000",
    implementation_code=JT_CREDIT + "4" + "000112101000", matter_type="行政许可", organ_code="jt",
    department_code="jt_xk", level="县级", legal_basis=("《中华人民共和国道路运输条例》第二十一条",),
    case_type="承诺件", statutory_limit_wd=20, promised_limit_wd=5, result_name="道路运输经营许可证",
    materials=(Material("申请表"), Material("营业执照", necessity="按需")), process="parallel_review",
    chengban_post="jt_chengban", shenhe_post="jt_shenhe", pizhun_post="jt_pizhun", fzr_post="jt_fzr")


@pytest.fixture
def hall(deployed: EngineContext) -> EngineContext:
    ensure_sample_organisation(deployed)
    with deployed.uow() as uow:
        assert org.organ_by_code(uow, "jt").credit_code == JT_CREDIT  # type: ignore[union-attr]
    return deployed


def _cells(ctx: EngineContext, entry: CatalogueEntry) -> dict[str, str]:
    with ctx.uow() as uow:
        return entry_cells(entry, lookups(uow).names)


def test_each_edit_is_a_new_version_and_an_unchanged_save_stores_nothing(hall: EngineContext) -> None:
    first = save_entry(hall, ADMIN, _cells(hall, ENTRY))
    assert (first.outcome, first.version) == ("added", 1)
    second = save_entry(hall, ADMIN, _cells(hall, replace(ENTRY, promised_limit_wd=3)), editing=ENTRY.code)
    assert (second.outcome, second.version) == ("changed", 2)
    assert second.changes == {"承诺办结时限（工作日）": ("5", "3")}
    again = save_entry(hall, ADMIN, _cells(hall, replace(ENTRY, promised_limit_wd=3)), editing=ENTRY.code)
    assert (again.outcome, again.version) == ("unchanged", 2)
    assert [(v.version, v.entry.promised_limit_wd) for v in entry_history(hall, ENTRY.code)] == [(2, 3), (1, 5)]
    with hall.uow() as uow:
        log = org.audit_log(uow, area="catalogue")
    assert [row.event_type for row in log] == ["entry_changed", "entry_created"]
    assert "承诺办结时限（工作日）" in log[0].summary and '"3"' in (log[0].data_after or "")


def test_a_refused_edit_changes_nothing(hall: EngineContext) -> None:
    save_entry(hall, ADMIN, _cells(hall, ENTRY))
    cells = {**_cells(hall, ENTRY), "promised_limit_wd": "30", "implementation_code": "1" * 31}
    with pytest.raises(FormDataInvalid) as refused:
        save_entry(hall, ADMIN, cells, editing=ENTRY.code)
    assert refused.value.errors == {
        "promised_limit_wd": "承诺办结时限不能超过法定办结时限",
        "implementation_code": "实施编码前 18 位应为有效的统一社会信用代码（校验位不正确）"}
    assert refused.value.values["promised_limit_wd"] == "30"  # what was typed is kept for the form
    assert get_entry(hall, ENTRY.code).version == 1
    with pytest.raises(FormDataInvalid, match="表单"):
        save_entry(hall, ADMIN, {**_cells(hall, ENTRY), "code": "renamed"}, editing=ENTRY.code)
    with pytest.raises(NotAllowed):
        save_entry(hall, Actor("clerk", groups=frozenset({"window_clerk"})), _cells(hall, ENTRY))


def test_a_case_records_the_version_it_started_on_and_runs_on_its_limits(hall: EngineContext,
                                                                          applicant: Actor) -> None:
    save_entry(hall, ADMIN, _cells(hall, ENTRY))
    old = cases.start_case(hall, "parallel_review", applicant)
    submitted = tasks.complete_task(hall, old.id, old.open_tasks[0].task_uuid, VALID_APPLICATION, applicant)
    assert submitted.case_number.startswith(ENTRY.implementation_code)  # the 办件编号 prefix is the entry's 实施编码
    save_entry(hall, ADMIN, _cells(hall, replace(ENTRY, promised_limit_wd=3, extension_limit_wd=10)),
               editing=ENTRY.code)
    new = cases.start_case(hall, "parallel_review", applicant)
    assert (old.data["promised_limit_wd"], new.data["promised_limit_wd"]) == (5, 3)  # what the diagram reads
    with hall.uow() as uow:
        old_row, new_row = case_by_id(uow, old.id), case_by_id(uow, new.id)
        versions = {v.version: v.id for v in stored.history_of_entry(uow, ENTRY.code)}
        assert old_row is not None and new_row is not None
        assert (old_row.catalogue_version_id, new_row.catalogue_version_id) == (versions[1], versions[2])
        metadata = hall.compiled_by_id(uow, new_row.definition_id).metadata
        old_limits, new_limits = case_limits(uow, old_row, metadata), case_limits(uow, new_row, metadata)
    assert (old_limits.case.promised_wd, old_limits.case.extension_wd) == (5, 0)  # keeps the version it started on
    assert (new_limits.case.promised_wd, new_limits.case.extension_wd) == (3, 10)
    assert new_limits.case.head_group == "jt_fzr"  # the entry's 负责人 approves its extensions
    assert new_limits.case.staff_groups == ("jt_chengban", "jt_shenhe", "jt_pizhun")


def test_a_retired_entry_takes_no_new_cases(hall: EngineContext, applicant: Actor) -> None:
    save_entry(hall, ADMIN, {**_cells(hall, ENTRY), "active": "停用"})
    with pytest.raises(NotAllowed, match="已停用"):
        cases.start_case(hall, "parallel_review", applicant)
    with pytest.raises(MatterNotFound):
        cases.start_case(hall, "parallel_review", applicant, catalogue_code="no_such_entry")


def _csv(hall: EngineContext, *entries: CatalogueEntry) -> bytes:
    from engine.catalogue.columns import HEADERS
    from engine.catalogue.columns import entry_row
    from engine.tabular import write_csv

    with hall.uow() as uow:
        names = lookups(uow).names
        return write_csv(HEADERS, [entry_row(e, names) for e in entries])


def test_a_bad_import_row_is_refused_with_its_row_number_and_nothing_changes(hall: EngineContext) -> None:
    save_entry(hall, ADMIN, _cells(hall, ENTRY))
    renamed = replace(ENTRY, name="两部门并联审查（改名）")
    second = replace(ENTRY, code="jt_second", promised_limit_wd=25)
    third = replace(ENTRY, code="jt_third", chengban_post="zj_chengban",
                    materials=(Material("申请表", necessity="看情况"),))
    data = _csv(hall, renamed, second, third)
    for dry_run in (True, False):
        with pytest.raises(ImportRefused) as refused:
            import_catalogue(hall, ADMIN, data, "catalogue.csv", dry_run=dry_run)
        assert [str(p) for p in refused.value.problems] == [
            "第 3 行：承诺办结时限（工作日）：承诺办结时限不能超过法定办结时限",
            "第 4 行：申请材料：第 1 项材料：必要性应为 必要、按需、可容缺 之一",
            "第 4 行：承办岗位：承办岗位“zj_chengban”不属于实施主体"]
        assert "导入未执行（未作任何修改）" in refused.value.message
    assert [v.entry.name for v in stored_entries(hall)] == [ENTRY.name]
    assert get_entry(hall, ENTRY.code).version == 1


def stored_entries(ctx: EngineContext):  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        return stored.current_entries(uow)


def test_an_import_dry_run_shows_added_changed_fields_and_unchanged(hall: EngineContext) -> None:
    save_entry(hall, ADMIN, _cells(hall, ENTRY))
    save_entry(hall, ADMIN, _cells(hall, replace(ENTRY, code="jt_kept")))
    data = _csv(hall, replace(ENTRY, name="改名", statutory_limit_wd=15), replace(ENTRY, code="jt_kept"),
                replace(ENTRY, code="jt_new"))
    plan = import_catalogue(hall, ADMIN, data, "catalogue.csv", dry_run=True)
    assert [(c.code, c.outcome) for c in plan.changes] == [
        ("parallel_review", "changed"), ("jt_kept", "unchanged"), ("jt_new", "added")]
    assert plan.changes[0].changes == {"事项名称": (ENTRY.name, "改名"), "法定办结时限（工作日）": ("20", "15")}
    assert [v.version for v in stored_entries(hall)] == [1, 1]  # nothing stored by the dry run
    done = import_catalogue(hall, ADMIN, data, "catalogue.csv")
    assert (done.count("added"), done.count("changed"), done.count("unchanged")) == (1, 1, 1)
    assert get_entry(hall, "parallel_review").entry.statutory_limit_wd == 15
    assert get_entry(hall, "parallel_review").note == "导入 catalogue.csv"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(hall: EngineContext, fmt: str) -> None:
    save_entry(hall, ADMIN, _cells(hall, replace(ENTRY, special_procedures=("专家评审",), site_check=True,
                                                 inspection_post="jt_hecha")))
    exported = export_catalogue(hall, fmt)
    plan = import_catalogue(hall, ADMIN, exported, f"catalogue.{fmt}")
    assert [c.outcome for c in plan.changes] == ["unchanged"]
    assert export_catalogue(hall, "csv") == export_catalogue(hall, "csv")
