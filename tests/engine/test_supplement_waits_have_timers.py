"""Every 补正 wait of every shipped matter has a timer (issue #10, point 2): a case never waits forever.

The 补正 tasks are the ones a matter lists in ``[supplement_items]`` plus any applicant task whose form is a
补正 form; each must carry a timer boundary event. Where each one's lapse is walked on real dates:

- reception (``rc_supplement``, every matter using _common/reception): test_supplement_by_the_book.py
  ``test_a_lapsed_supplement_before_acceptance_is_refused_with_a_notice`` and, for the general pattern,
  test_general_permit_supplement_lapses.py;
- review: food_business (test_food_business.py ``..._never_supplied_ends_the_case``), hygiene_licence and
  construction_bundle ``zj_``/``cg_`` (test_supplement_by_the_book.py), general_permit (its own file).
"""

from __future__ import annotations

import pytest
from lxml import etree

from engine.definitions.bundles import collect_matter_files
from engine.definitions.catalog import compile_definition
from engine.services.department_data import OPERATION_NAMES
from engine.services.deploy import matter_dirs
from tests.conftest import ROOT

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: Every 补正 wait named above, by matter: the test fails if one disappears or a new one is not listed.
LAPSE_WALKED = {
    "construction_bundle": {"rc_supplement", "zj_supplement", "cg_supplement"},
    "food_business": {"rc_supplement", "supplement"},
    "general_permit": {"rc_supplement", "supplement"},
    "hygiene_licence": {"rc_supplement", "supplement"},
    "realestate_tax": {"rc_supplement"},
}


def _waits_and_timers(matter: str) -> tuple[set[str], set[str]]:
    files = collect_matter_files(ROOT / "processes" / matter, ROOT / "forms", ROOT / "processes" / "_common")
    compiled = compile_definition(files, services=OPERATION_NAMES)
    waits = set(compiled.metadata.extra.get("supplement_items", {}))
    waits |= {t.element_id for t in compiled.human_tasks.values()
              if "applicant" in t.candidate_groups and "supplement" in t.form_key and "deferred" not in t.form_key}
    timed: set[str] = set()
    running = {compiled.metadata.process_id}  # the main process and every process it calls
    owner: dict[str, str] = {}
    for name, text in files.items():
        if name.endswith(".bpmn"):
            root = etree.fromstring(text.encode())
            for event in root.iter(f"{{{BPMN}}}boundaryEvent"):
                if event.find(f"{{{BPMN}}}timerEventDefinition") is not None:
                    timed.add(event.get("attachedToRef", ""))
            running |= {c.get("calledElement", "") for c in root.iter(f"{{{BPMN}}}callActivity")}
            for process in root.iter(f"{{{BPMN}}}process"):
                owner |= {task.get("id", ""): process.get("id", "") for task in process.iter(f"{{{BPMN}}}userTask")}
    return {w for w in waits if owner.get(w) in running}, timed


@pytest.mark.parametrize("matter", [p.name for p in matter_dirs(ROOT / "processes")])
def test_every_supplement_wait_has_a_timer_and_a_walked_lapse(matter: str) -> None:
    waits, timed = _waits_and_timers(matter)
    assert waits - timed == set()
    assert waits == LAPSE_WALKED.get(matter, set())
