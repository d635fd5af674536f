"""The stored 陈述申辩 period as the legal-time page and the API show it (the record written by the step,
see tests/processes/test_statement_period_record.py): its due date, its basis, and that it does not move the
decision's deadline; in the API beside the record it came from."""

from __future__ import annotations

import dataclasses
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone

from flask import Flask
from flask import render_template

from engine.calendar import WorkCalendar
from engine.legal_periods import opened_period
from engine.legal_time import DeadlineRecord
from engine.services.deadlines import current_view
from webapp.views import api_schemas as s

CN = timezone(timedelta(hours=8))


def _record(calendar: WorkCalendar) -> DeadlineRecord:
    accepted = datetime(2026, 3, 2, 10, tzinfo=CN)
    record = DeadlineRecord(permit="", name="", received_on=accepted.date(), accepted_at=accepted,
                            accepted_on=accepted.date(), acceptance_mode="deferred", statutory_limit_wd=20,
                            promised_limit_wd=10, extension_limit_wd=0, statutory_due=accepted.date(),
                            promised_due=accepted.date()).recomputed(calendar, accepted.date())
    served = datetime(2026, 4, 2, 10, tzinfo=CN)
    period = opened_period(calendar, time(17, 30), "statement", served, 5,
                           served.date())
    return dataclasses.replace(record, periods=(period,))


def test_the_page_and_the_api_show_the_stored_statement_period(web_app: Flask) -> None:
    calendar = web_app.extensions["onewindow"].calendar
    record = _record(calendar)
    assert record.periods[0].due == date(2026, 4, 10)  # across the 清明 holiday (04-04..04-06)
    view = current_view(calendar, {"": record}, date(2026, 4, 3), running=True)
    with web_app.test_request_context():
        html = render_template("legal_time/_record.html", view_deadlines=view, view_records=[record])
    row = html.split('class="period" data-kind="statement"')[1].split("</tr>")[0]
    assert "陈述申辩期限（至 2026-04-10，5 个工作日）" in row and "进行中" in row and "不影响办理期限" in row
    assert "第六十九条" in row
    api = s.LegalTime.model_validate({"case_id": 1, "case_number": "x", "deadlines": view, "records": [record],
                                      "extension_requests": []}).model_dump(mode="json")
    assert api["deadlines"]["periods"][0]["due"] == "2026-04-10"
    assert api["records"][0]["periods"][0]["due"] == "2026-04-10"
