"""Rule: what one process changes in the calendar, the deployed matters or the organisation, every other process uses
from its next request on; ``add-year`` keeps local closures, and every calendar change is audited.

Two engine contexts on one database stand for two processes (a gunicorn worker and the CLI): each
keeps its own in-memory calendar and compiled definitions, as separate processes do.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date

import pytest

from engine.actors import Actor
from engine.services import cases
from engine.services.accounts import actor_for
from engine.services.calendar import add_closure
from engine.services.calendar import add_year
from engine.services.calendar import refresh_calendar
from engine.services.calendar import reload_calendar
from engine.services.calendar import seed_calendar
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from engine.services.organisation.staff import save_staff
from engine.services.organisation.staff import set_members
from engine.services.organisation.structure import save_unit
from engine.services.organisation.views import audit_entries

ADMIN = Actor("admin1", groups=frozenset({"admin"}))
NOTICE_2026_OCT = """
2026-10-01..2026-10-08 休 国庆节、中秋节
2026-10-10 班 国庆节调休
"""


@pytest.fixture
def cli(deployed: EngineContext) -> Iterator[EngineContext]:
    """A second process on the same database (the ``onewindow`` command)."""
    other = EngineContext.create(deployed.settings, deployed.clock)
    yield other
    other.dispose()


def test_a_closure_made_by_the_cli_is_used_by_a_running_worker_at_its_next_request(
        deployed: EngineContext, cli: EngineContext) -> None:
    seed_calendar(deployed, ADMIN)
    reload_calendar(deployed)
    assert deployed.calendar.is_workday(date(2025, 10, 9))
    assert refresh_calendar(deployed) is False  # nothing changed: no reload
    add_closure(cli, date(2025, 10, 9), "台风停办", ADMIN)
    assert deployed.calendar.is_workday(date(2025, 10, 9))  # not yet: the worker has not checked
    assert refresh_calendar(deployed) is True
    assert not deployed.calendar.is_workday(date(2025, 10, 9))
    assert deployed.calendar.add_workdays(date(2025, 10, 8), 1) == cli.calendar.add_workdays(date(2025, 10, 8), 1)
    assert refresh_calendar(deployed) is False


def test_a_new_year_loaded_elsewhere_is_used_at_the_next_check(deployed: EngineContext, cli: EngineContext) -> None:
    seed_calendar(deployed, ADMIN)
    reload_calendar(deployed)
    assert deployed.calendar.is_provisional(date(2027, 3, 1))
    add_year(cli, 2027, "2027-02-05..2027-02-11 休 春节\n", ADMIN)
    refresh_calendar(deployed)
    assert not deployed.calendar.is_provisional(date(2027, 3, 1))
    assert not deployed.calendar.is_workday(date(2027, 2, 8))


def test_add_year_keeps_local_closures_and_audits_each_change(deployed: EngineContext) -> None:
    seed_calendar(deployed, ADMIN)
    add_closure(deployed, date(2026, 10, 9), "台风停办", ADMIN)
    add_closure(deployed, date(2026, 10, 10), "停电停办", ADMIN)  # the notice makes it a 调休 working day
    add_year(deployed, 2026, NOTICE_2026_OCT, ADMIN)
    calendar = reload_calendar(deployed)
    assert not calendar.is_workday(date(2026, 10, 9)) and calendar.day_name(date(2026, 10, 9)) == "台风停办"
    assert not calendar.is_workday(date(2026, 10, 10))  # the local closure wins over the notice's 调休
    assert not calendar.is_workday(date(2026, 10, 5))
    assert calendar.is_workday(date(2026, 2, 28)) is False  # the year's earlier national entries were replaced
    entries = audit_entries(deployed, area="calendar")
    assert [e.event_type for e in entries] == ["calendar_year_loaded", "calendar_day_closed", "calendar_day_closed",
                                                "calendar_seeded"]
    loaded = entries[0]
    kept = json.loads(loaded.data_after or "{}")["kept_closures"]
    assert [d["day"] for d in kept] == ["2026-10-09", "2026-10-10"]
    replaced = json.loads(loaded.data_before or "{}")["days"]
    assert "2026-02-28" in {d["day"] for d in replaced}  # what the notice replaced stays readable
    assert all(e.actor_id == "admin1" for e in entries)


def test_a_matter_deployed_by_one_process_is_started_by_another(deployed: EngineContext, cli: EngineContext,
                                                                designer: Actor, applicant: Actor,
                                                                tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = cases.start_case(cli, "doc_review", applicant)
    tree = tmp_path / "processes"
    shutil.copytree(deployed.settings.processes_dir, tree)
    bpmn = tree / "doc_review" / "doc_review.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace("</bpmn:definitions>", "<!-- v2 --></bpmn:definitions>"),
                    encoding="utf-8")
    changed = tree / "doc_review"
    [result] = deploy_path(deployed, changed, designer)
    assert result.created
    second = cases.start_case(cli, "doc_review", applicant)
    assert second.definition_id == result.definition_id != first.definition_id


def test_an_organisation_change_made_by_one_process_reaches_another_at_once(deployed: EngineContext,
                                                                           cli: EngineContext) -> None:
    save_unit(cli, ADMIN, "organ", {"code": "csj", "name": "测试县测试局", "short_name": "测试局",
                                    "credit_code": "11320100MB1999001R", "review_organ": "测试县人民政府",
                                    "court": "测试县人民法院"})
    save_unit(cli, ADMIN, "department", {"code": "csj_xk", "organ_code": "csj", "name": "许可科"})
    save_unit(cli, ADMIN, "post", {"code": "a_cb", "name": "承办", "department_code": "csj_xk", "kind": "承办"})
    save_staff(cli, ADMIN, {"username": "lisi", "display_name": "李四", "posts": ""})
    before = actor_for(deployed, "lisi")
    assert before is not None and "a_cb" not in before.groups
    set_members(cli, ADMIN, "post", "a_cb", ["lisi"])
    after = actor_for(deployed, "lisi")
    assert after is not None and "a_cb" in after.groups
