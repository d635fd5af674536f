"""Recording a delivery (送达) through the REST API: the same service function and policy as the case page.

A food licence application is refused at reception (不予受理决定书, served at the window by the applicant's
choice). Counter staff record the pickup with the receiver's 身份证号 or an EMS tracking number; the applicant,
a department that does not see the case and another applicant cannot; a bad entry is refused in Chinese and
changes nothing; an online service is never entered by hand (the applicant's opening is its receipt). Every
answer is checked against the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.processes.conftest import refusal_at_reception
from tests.webapp.test_api import ApiClient
from tests.webapp.test_journey import APPLICATION

ID_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def clients(web_app: Flask) -> dict[str, ApiClient]:
    names = ("demo_citizen", "demo_enterprise", "demo_window", "demo_supervisor", "demo_scjg_review")
    return {name: ApiClient(web_app, name) for name in names}


def _refused_case(clients: dict[str, ApiClient], channel: str = "window") -> tuple[int, dict[str, Any], dict[str, Any]]:
    citizen, clerk = clients["demo_citizen"], clients["demo_window"]
    case = citizen.post("/matters/food_business/cases", {"data": {}}).get_json()
    apply = next(t for t in case["open_tasks"] if t["element_id"] == "apply")
    assert citizen.post(f"/cases/{case['id']}/tasks/{apply['task_uuid']}/complete",
                        {"data": {**APPLICATION, "delivery_method": channel}}).status_code == 200
    check = next(t for t in clerk.get("/tasks?matter=food_business").get_json()["items"]
                 if t["case_id"] == case["id"] and t["element_id"] == "rc_check")
    note = "经营项目为预包装食品销售，依法仅需备案，不需要取得食品经营许可"
    refused = clerk.post(f"/cases/{case['id']}/tasks/{check['task_uuid']}/complete",
                         {"data": refusal_at_reception(note)})
    assert refused.status_code == 200, refused.get_json()
    documents = {d["doc_key"]: d for d in refused.get_json()["documents"]}
    return case["id"], documents["refusal_notice"], documents["receipt"]


def _served_rows(client: ApiClient, case_id: int) -> list[dict[str, Any]]:
    items = client.get(f"/cases/{case_id}/history").get_json()["items"]
    return [row["data_after"] for row in items if row["event_type"] == "document_served"]


def test_counter_staff_record_a_window_pickup_once_and_it_is_in_the_history(clients: dict[str, ApiClient]) -> None:
    case_id, notice, receipt = _refused_case(clients)
    assert notice["service"]["status"] == "pending" and notice["service"]["channel"] == "window"
    path = f"/cases/{case_id}/documents/{notice['id']}/service"
    pickup = {"channel": "window", "receiver_name": "王小明", "receiver_id_number": ID_NUMBER}
    clerk = clients["demo_window"]

    assert clients["demo_citizen"].post(path, pickup).status_code == 403  # the applicant does not record it
    assert clients["demo_enterprise"].post(path, pickup).status_code == 404  # another applicant's case
    assert clients["demo_scjg_review"].post(path, pickup).status_code == 404  # no task on it: not seen
    assert clerk.post(f"/cases/{case_id}/documents/{receipt['id']}/service", pickup).status_code == 403  # 收件凭证
    assert clerk.post(f"/cases/{case_id}/documents/999999/service", pickup).status_code == 404
    assert clerk.post(path, {**pickup, "colour": "red"}).status_code == 400

    bad = clerk.post(path, {**pickup, "receiver_id_number": "110105194912310021"})
    assert bad.status_code == 422 and "身份证" in bad.get_json()["errors"]["receiver_id_number"]
    online = clerk.post(path, {"channel": "online"})
    assert online.status_code == 422 and "电子送达" in online.get_json()["errors"]["channel"]
    assert _served_rows(clerk, case_id) == []  # nothing changed

    served = clerk.post(path, pickup)
    assert served.status_code == 200, served.get_json()
    body = served.get_json()
    assert (body["status"], body["served_channel"], body["receiver_name"]) == ("served", "window", "王小明")
    assert body["receiver_id_masked"] == "110105********002X"
    [row] = _served_rows(clerk, case_id)
    assert row["doc_key"] == "refusal_notice" and row["receiver_name"] == "王小明"
    again = clerk.post(path, pickup)
    assert again.status_code == 422 and "已送达" in again.get_json()["errors"]["channel"]


def test_a_supervisor_records_an_ems_delivery_with_its_tracking_number(clients: dict[str, ApiClient]) -> None:
    case_id, notice, _receipt = _refused_case(clients)
    path = f"/cases/{case_id}/documents/{notice['id']}/service"
    supervisor = clients["demo_supervisor"]
    wrong = supervisor.post(path, {"channel": "ems", "tracking_number": "12345"})
    assert wrong.status_code == 422 and "EMS" in wrong.get_json()["errors"]["tracking_number"]
    served = supervisor.post(path, {"channel": "ems", "tracking_number": "ea123456789cn"})
    assert served.status_code == 200 and served.get_json()["tracking_number"] == "EA123456789CN"
    detail = clients["demo_citizen"].get(f"/cases/{case_id}").get_json()
    shown = next(d for d in detail["documents"] if d["id"] == notice["id"])
    assert shown["service"]["status"] == "served" and shown["service"]["served_channel"] == "ems"


def test_an_online_service_is_the_applicants_first_reading_through_the_api(clients: dict[str, ApiClient]) -> None:
    case_id, notice, _receipt = _refused_case(clients, channel="online")
    assert notice["service"]["channel"] == "online" and notice["service"]["status"] == "pending"
    path = f"/cases/{case_id}/documents/{notice['id']}"
    clients["demo_window"].get(path)  # staff reading it serves nothing
    assert _served_rows(clients["demo_window"], case_id) == []
    assert clients["demo_citizen"].get(path).status_code == 200  # the applicant's reading is the receipt
    [row] = _served_rows(clients["demo_window"], case_id)
    assert row["channel"] == "online" and row["doc_key"] == "refusal_notice"
    again = clients["demo_window"].post(f"{path}/service", {"channel": "window", "receiver_name": "王小明",
                                                             "receiver_id_number": ID_NUMBER})
    assert again.status_code == 422  # served already
