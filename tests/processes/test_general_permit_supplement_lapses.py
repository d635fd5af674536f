"""A 补正 on the general pattern (processes/general_permit) that nobody answers ends the case lawfully.

The other shipped matters have theirs in test_supplement_by_the_book.py and test_food_business.py; the
pattern runs every 事项库 entry without a diagram of its own, so both of its 补正 waits are walked here:
at reception (视为放弃, 不予受理 notice, no clock ever ran) and at review (不予许可 citing the entry's own
法定依据 besides 行政许可法第三十八条, the clock stopped on the day).

Clock: Friday 2025-09-26 10:00 China time; 30 working days (the pattern's 补正 period) is Thursday
2025-11-13 (the National Day holiday 10-01..10-08 off, 09-28 and 10-11 worked).
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.actors import Actor
from engine.catalogue.entry import PATTERN_PROCESS
from engine.catalogue.entry import CatalogueEntry
from engine.services import cases
from engine.services.catalogue.editing import list_entries
from engine.services.catalogue.seed import seed_catalogue
from engine.services.deploy import deploy_path
from tests.processes.conftest import Hall
from tests.processes.test_food_business import at
from tests.processes.test_food_business import move_to
from tests.processes.test_general_permit import APPLICATION

ADMIN = Actor("admin1", "管理员", frozenset({"admin"}))


@pytest.fixture
def pattern(hall: Hall) -> tuple[Hall, CatalogueEntry]:
    """Every shipped matter deployed (the sample catalogue names them all) and the catalogue loaded;
    a 承诺件 entry whose 法定依据 names articles."""
    deploy_path(hall.ctx, hall.ctx.settings.processes_dir, Actor("designer", groups=frozenset({"designer"})))
    seed_catalogue(hall.ctx, ADMIN)
    entry = next(v.entry for v in list_entries(hall.ctx, active_only=True)
                 if v.entry.process == PATTERN_PROCESS and v.entry.case_type == "承诺件"
                 and any("第" in line and "条" in line for line in v.entry.legal_basis))
    return hall, entry


def _submitted(hall: Hall, entry: CatalogueEntry) -> int:
    case = cases.start_case(hall.ctx, entry.code, hall.actor("applicant"))
    hall.do(case.id, "apply", APPLICATION)
    assert hall.open(case.id) == ["rc_check"]
    return case.id


def _documents(hall: Hall, case_id: int, key: str) -> list[cases.DocumentView]:
    return [d for d in cases.case_documents(hall.ctx, case_id) if d.doc_key == key]


def test_a_lapsed_reception_supplement_on_the_pattern_is_refused_with_a_notice(
        pattern: tuple[Hall, CatalogueEntry]) -> None:
    hall, entry = pattern
    case_id = _submitted(hall, entry)
    hall.do(case_id, "rc_check", {"reception_decision": "supplement", "missing_items": "申请表（盖章）"})
    assert hall.case(case_id).next_timer_due == at("2025-11-13", "23:59:59")
    assert move_to(hall, at("2025-11-13", "23:59:00")) == 0
    assert move_to(hall, at("2025-11-14")) == 1
    view = hall.case(case_id)
    assert (view.status, view.blzt) == ("completed", 5)
    [refusal] = _documents(hall, case_id, "refusal_notice")
    assert "视为放弃申请" in refusal.html and "补正期限至 2025年11月13日" in refusal.html
    assert entry.name in refusal.html
    assert hall.deadlines(case_id) is None  # never accepted: no clock ever ran


def test_a_lapsed_review_supplement_on_the_pattern_is_denied_citing_the_entrys_basis(
        pattern: tuple[Hall, CatalogueEntry]) -> None:
    hall, entry = pattern
    case_id = _submitted(hall, entry)
    hall.do(case_id, "rc_check", {"reception_decision": "accept"})
    hall.do(case_id, "chengban", {"review_result": "supplement", "chengban_opinion": "缺场地证明",
                                  "review_missing_items": "经营场所使用证明"})
    assert hall.open(case_id) == ["supplement"]
    [notice] = _documents(hall, case_id, "supplement_notice")
    assert "请于 2025年11月13日 前补正" in notice.html and "不予许可" in notice.html
    assert hall.case(case_id).next_timer_due == at("2025-11-13", "23:59:59")
    assert move_to(hall, at("2025-11-14")) == 1
    view = hall.case(case_id)
    assert (view.status, view.blzt) == ("completed", 13)
    [denial] = _documents(hall, case_id, "denial_decision")
    cited = denial.html.split('class="provision"')[1].split("</p>")[0]
    first_line = entry.legal_basis[0].strip().rstrip("。；;")
    assert first_line in cited and "《中华人民共和国行政许可法》第三十八条第二款" in cited
    assert "补正期限（2025-11-13）" in denial.html
    record = hall.deadlines(case_id)
    assert record is not None and record.closed_on == date(2025, 11, 14)
