"""The window's 待受理 rows count working days left to the 一次性告知 deadline (行政许可法第三十二条: within five
working days of receipt, else the application is deemed accepted as of its receipt day), from the latest
receipt of materials, on the same working-day calendar as every other deadline."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from flask import Flask

from tests.webapp.conftest import PDF
from tests.webapp.conftest import User
from tests.webapp.test_journey import APPLICATION


def _row(clerk: User, number: str) -> str:
    html = clerk.get("/window").get_data(as_text=True)
    reception = html.split('id="reception"')[1].split("</table>")[0]
    return re.search(rf'<tr data-task="rc_check" data-case="{number}"[^>]*>(.*?)</tr>', reception, re.S).group(1)


def _applied(citizen: User) -> tuple[str, str]:
    started = citizen.post("/matters/food_business/apply")
    done = citizen.submit(started.location, {**APPLICATION, "application_files": (io.BytesIO(PDF), "营业执照.pdf")},
                          content_type="multipart/form-data")
    case_page = citizen.get(done.location).get_data(as_text=True)
    return done.location, re.search(r'class="case-number">([0-9A-Z]+)<', case_page).group(1)


def test_a_waiting_application_shows_the_days_left_to_tell_what_to_supplement(web_app: Flask, login: Any) -> None:
    # Received Friday 2025-09-26 10:00: the 5th working day after it is 10-10 (09-28 is a make-up working
    # Sunday, 09-29, 09-30, then the National Day holiday, 10-09, 10-10) — the reception timer's own date.
    _case, number = _applied(login("demo_citizen"))
    cells = _row(login("demo_window"), number)
    assert 'title="期限 2025-10-10"' in cells and "5 个工作日" in cells and "—" not in cells, cells


def test_after_a_supplement_at_reception_the_clock_runs_from_the_new_materials(web_app: Flask, login: Any) -> None:
    clock = web_app.extensions["onewindow"].clock
    before = clock.now()
    citizen = login("demo_citizen")
    case_link, number = _applied(citizen)
    clerk = login("demo_window")
    link = clerk.task_link("/window", "rc_check", number)
    asked = clerk.submit(link, {"reception_decision": "supplement", "missing_items": "营业执照副本"})
    assert asked.status_code == 302
    try:
        clock.set(before + timedelta(days=13))  # Thursday 2025-10-09: the applicant supplies the material
        citizen, clerk = login("demo_citizen"), login("demo_window")  # a new day's sessions
        page = citizen.get(case_link).get_data(as_text=True)
        supplement = re.search(r"href=\"(/cases/\d+/tasks/[^\"]+)\">去补正", page).group(1)
        sent = citizen.submit(supplement, {"supplement_files": (io.BytesIO(PDF), "营业执照副本.pdf")},
                              content_type="multipart/form-data")
        assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
        # Five working days after 10-09: 10-10, 10-11 (a make-up Saturday), 10-13, 10-14, 10-15.
        cells = _row(clerk, number)
        assert 'title="期限 2025-10-15"' in cells and "5 个工作日" in cells, cells
    finally:
        clock.set(before)
