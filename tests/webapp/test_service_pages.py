"""The pages and API of decisions and their service: the refusal form lists the matter's provisions,
the clerk records the EMS service of a 不予受理决定书 on the case page, and the API shows it."""

from __future__ import annotations

import html
import io
import re

from flask import Flask

from engine.decision_rules import DEFAULT_REJECTION_PROVISIONS
from tests.webapp.conftest import PDF
from tests.webapp.conftest import User
from tests.webapp.test_access import APPLICATION


def _refused_case(app: Flask) -> tuple[int, str]:
    """A food case of demo_citizen (EMS chosen), refused at the window; (case id, case number)."""
    citizen, clerk = User(app, "demo_citizen"), User(app, "demo_window")
    started = citizen.post("/matters/food_business/apply")
    done = citizen.submit(started.location, {**APPLICATION, "delivery_method": "ems",
                                             "application_files": (io.BytesIO(PDF), "营业执照.pdf")},
                          content_type="multipart/form-data")
    assert done.status_code == 302
    case_id = int(started.location.split("/")[2])
    number = re.search(r'class="case-number">([^<]+)<', citizen.get(f"/cases/{case_id}").get_data(as_text=True))
    assert number is not None
    link = clerk.task_link("/window", "rc_check", number.group(1))
    page = html.unescape(clerk.get(link).get_data(as_text=True))
    for provision in DEFAULT_REJECTION_PROVISIONS:  # valuesKey options are rendered from the matter data
        assert f'<option value="{provision}"' in page
    boilerplate = clerk.submit(link, {"reception_decision": "refuse", "reception_note": "不符合条件",
                                      "refusal_ground": "no_permit_needed",
                                      "refusal_provision": DEFAULT_REJECTION_PROVISIONS[0]})
    assert boilerplate.status_code == 422 and "理由" in boilerplate.get_data(as_text=True)
    refused = clerk.submit(link, {"reception_decision": "refuse",
                                  "reception_note": "仅销售预包装食品，依法办理备案即可",
                                  "refusal_ground": "no_permit_needed",
                                  "refusal_provision": DEFAULT_REJECTION_PROVISIONS[0]})
    assert refused.status_code == 302, refused.get_data(as_text=True)[:500]
    return case_id, number.group(1)


def test_the_clerk_records_the_ems_service_of_a_refusal(web_app: Flask) -> None:
    case_id, _number = _refused_case(web_app)
    clerk, citizen = User(web_app, "demo_window"), User(web_app, "demo_citizen")
    docs = clerk.api("GET", f"/api/v1/cases/{case_id}").get_json()["documents"]
    refusal = next(d for d in docs if d["doc_key"] == "refusal_notice")
    assert refusal["service"]["status"] == "pending" and refusal["service"]["channel"] == "ems"
    assert next(d for d in docs if d["doc_key"] == "receipt")["service"] is None
    page = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "登记送达" in page and f"/cases/{case_id}/documents/{refusal['id']}/service" in page

    url = f"/cases/{case_id}/documents/{refusal['id']}/service"
    bad = clerk.post(url, {"channel": "ems", "tracking_number": "123"})
    assert bad.status_code == 303
    assert clerk.api("GET", f"/api/v1/cases/{case_id}").get_json()["documents"][-1]["service"]["status"] == "pending"
    good = clerk.post(url, {"channel": "ems", "tracking_number": "EA123456789CN"})
    assert good.status_code == 302
    served = next(d for d in citizen.api("GET", f"/api/v1/cases/{case_id}").get_json()["documents"]
                  if d["doc_key"] == "refusal_notice")["service"]
    assert (served["status"], served["tracking_number"], served["served_channel"]) == ("served", "EA123456789CN", "ems")
    timeline = citizen.api("GET", f"/api/v1/cases/{case_id}").get_json()["timeline"]
    assert any(e["event_type"] == "document_served" and e["details"]["tracking_number"] == "EA123456789CN"
               for e in timeline)
    assert "已送达" in citizen.get(f"/cases/{case_id}").get_data(as_text=True)
    notice = citizen.get(f"/cases/{case_id}/documents/{refusal['id']}").get_data(as_text=True)
    assert "演示印章" in notice and "临江县市场监督管理局" in notice  # the demo hall's seal, marked


SEAL_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
            b'<circle cx="50" cy="50" r="45" fill="none" stroke="#c00" stroke-width="4"/></svg>')


def test_the_administrator_sets_an_organs_seal_on_its_page(web_app: Flask) -> None:
    admin = User(web_app, "demo_admin")
    page = admin.get("/admin/units/organ/ws").get_data(as_text=True)
    assert "机关印章" in page and "演示印章" in page  # the demo hall's sample seal, marked
    refused = admin.post("/admin/units/organ/ws/seal", {"seal": (io.BytesIO(b"GIF89a"), "seal.gif")},
                         content_type="multipart/form-data")
    assert refused.status_code == 303
    assert "PNG 或 SVG" in admin.get("/admin/units/organ/ws").get_data(as_text=True)
    done = admin.post("/admin/units/organ/ws/seal", {"seal": (io.BytesIO(SEAL_SVG), "seal.svg")},
                      content_type="multipart/form-data")
    assert done.status_code == 302
    page = admin.get("/admin/units/organ/ws").get_data(as_text=True)
    assert "演示印章" not in page and "更换临江县卫生健康委员会印章" in page  # and the change is in its log
