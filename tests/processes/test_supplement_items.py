"""The 补正 list above a supplement task comes from the keys its matter names in ``[supplement_items]``."""

from __future__ import annotations

from engine.services.casework import task_page
from tests.processes.conftest import Hall
from tests.processes.test_food_business import apply


def test_the_reception_supplement_task_lists_what_the_window_asked_for(hall: Hall) -> None:
    case_id = apply(hall)
    hall.do(case_id, "rc_check", {"reception_decision": "supplement",
                                  "missing_items": "营业执照复印件\n主要设备设施布局图"})
    view = hall.case(case_id)
    [task] = view.open_tasks
    applicant = hall.actor("applicant")
    page = task_page(hall.ctx, case_id, task.task_uuid, applicant)
    assert page.requested_items == ("营业执照复印件", "主要设备设施布局图")
    # The list is read where matter.toml says (food_business: rc_supplement = ["missing_items"]).
    assert page.case.metadata["extra"]["supplement_items"]["rc_supplement"] == ["missing_items"]
