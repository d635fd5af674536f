"""A worklist row names the case by its own matter's fields (``[worklist]`` in matter.toml), not by a list
of field names the engine would have to know for every matter; a matter that says nothing gets the default."""

from __future__ import annotations

from engine.actors import Actor
from engine.definitions.metadata import parse_metadata
from engine.services.work_rows import DEFAULT_APPLICANT_KEYS
from engine.services.work_rows import DEFAULT_PROJECT_KEYS
from engine.services.work_rows import row_keys
from engine.services.work_rows import work_rows
from tests.conftest import ROOT
from tests.processes.conftest import Hall
from tests.processes.test_hygiene_licence import APPLICATION

WINDOW = Actor("u_window", "窗口人员", frozenset({"window_clerk"}))


def test_a_window_row_names_the_case_by_the_matters_own_fields(hall: Hall) -> None:
    hall.deploy("hygiene_licence")
    case = hall.start("hygiene_licence")
    hall.do(case.id, "apply", APPLICATION)
    row = next(r for r in work_rows(hall.ctx, WINDOW) if r.task.case_id == case.id)
    # 单位名称 is this matter's own key (hygiene_licence/matter.toml [worklist]); the applicant has no account.
    assert row.project == "青禾理发店" and row.applicant == "青禾理发店"


def test_a_long_value_is_cut_to_one_short_line(hall: Hall) -> None:
    hall.deploy("hygiene_licence")
    case = hall.start("hygiene_licence")
    hall.do(case.id, "apply", {**APPLICATION, "unit_name": "青禾" + "长" * 60 + "理发店"})
    row = next(r for r in work_rows(hall.ctx, WINDOW) if r.task.case_id == case.id)
    assert row.project.startswith("青禾长") and row.project.endswith("…") and len(row.project) == 40


def test_a_matter_without_worklist_keys_gets_the_default_and_bad_keys_are_refused() -> None:
    toml = (ROOT / "tests" / "fixtures" / "matters" / "parallel_review" / "matter.toml").read_text(encoding="utf-8")
    plain, problems = parse_metadata(toml, "matter.toml")
    assert plain is not None and not problems
    assert row_keys(plain.as_dict()) == (DEFAULT_PROJECT_KEYS, DEFAULT_APPLICANT_KEYS)
    own, _ = parse_metadata(toml + '\n[worklist]\nproject_keys = ["site_name"]\n', "matter.toml")
    assert own is not None and row_keys(own.as_dict()) == (("site_name",), DEFAULT_APPLICANT_KEYS)
    bad, problems = parse_metadata(toml + '\n[worklist]\nproject_keys = "site_name"\n', "matter.toml")
    assert bad is None and [p.element_id for p in problems] == ["worklist"]
    assert "project_keys、applicant_keys 应为数据键的列表" in problems[0].problem
