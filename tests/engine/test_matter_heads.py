"""A matter whose diagram reaches a 负责人 decision (容缺逾期处置, 拟撤销审查, 撤销决定: offered to
``=revocation_head_group``) names its deciding department's 负责人 post, or it is not deployed: otherwise the
decision would land with 窗口督办, who has no power to take it."""

from __future__ import annotations

import csv
import re

import pytest

from engine.definitions.bundles import collect_matter_files
from engine.definitions.catalog import compile_definition
from engine.errors import DefinitionInvalid
from engine.legal_time import limits_for
from engine.services.department_data import OPERATION_NAMES
from engine.services.deploy import matter_dirs
from tests.conftest import ROOT

SHIPPED = [p.name for p in matter_dirs(ROOT / "processes")]


def _files(matter: str) -> dict[str, str]:
    return collect_matter_files(ROOT / "processes" / matter, ROOT / "forms", ROOT / "processes" / "_common")


@pytest.mark.parametrize("matter", SHIPPED)
def test_every_shipped_matter_that_reaches_a_head_decision_names_its_head(matter: str) -> None:
    compiled = compile_definition(_files(matter), services=OPERATION_NAMES)
    reaches = [t.name for t in compiled.human_tasks.values() if t.groups_expression == "revocation_head_group"]
    if compiled.metadata.uses_entry_data:
        return  # the pattern's head is each case's 事项库 entry's 负责人岗位
    limits = limits_for(compiled.metadata)
    assert not reaches or (limits.revocation_head_group or limits.case.head_group).endswith("_fzr"), reaches


def test_realestate_tax_offers_its_head_decisions_to_the_registration_centres_head() -> None:
    compiled = compile_definition(_files("realestate_tax"), services=OPERATION_NAMES)
    assert "容缺逾期处置" in {t.name for t in compiled.human_tasks.values()
                          if t.groups_expression == "revocation_head_group"}
    assert limits_for(compiled.metadata).case_data()["revocation_head_group"] == "djjg_fzr"


def test_a_matter_reaching_a_head_decision_without_a_head_is_refused_at_deploy() -> None:
    files = _files("realestate_tax")
    toml = re.sub(r"\[decision\]\n(?:[^\[\n][^\n]*\n)*", "", files["matter.toml"])
    assert "head_group" not in toml
    with pytest.raises(DefinitionInvalid) as refused:
        compile_definition({**files, "matter.toml": toml}, services=OPERATION_NAMES)
    [problem] = [p for p in refused.value.problems if p.element_id == "decision.head_group"]
    assert problem.file == "matter.toml"
    assert "容缺逾期处置" in problem.problem and "未写明负责人岗位" in problem.problem


def test_every_sample_catalogue_entry_names_a_head_post_of_the_sample_organisation() -> None:
    """Every entry decides (or, 先建后验, revokes): its 负责人岗位 is filled and is a 负责人 post in posts.csv."""
    catalogue = ROOT / "processes" / "_catalogue"
    with (catalogue / "organisation" / "posts.csv").open(encoding="utf-8-sig") as f:
        heads = {row["岗位编码"] for row in csv.DictReader(f) if row["岗位类别"] == "负责人"}
    with (catalogue / "sample_catalogue.csv").open(encoding="utf-8-sig") as f:
        entries = {row["事项名称"]: row["负责人岗位"] for row in csv.DictReader(f)}
    assert len(entries) > 150
    assert {name: post for name, post in entries.items() if post not in heads} == {}
