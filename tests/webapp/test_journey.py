"""The food licence journey through the real HTML pages: applicant, window, department, delivery, rating."""

from __future__ import annotations

import hashlib
import io
import re

from tests.webapp.conftest import PDF

APPLICATION = {
    "operator_name": "玄武区小王面馆", "uscc": "91320100MA1M11110A", "legal_representative": "王小明",
    "premises_address": "南京市玄武区中山路1号", "business_items": ["hot_food", "cold_food"],
    "premises_area_m2": "80", "contact_mobile": "13800138000", "delivery_method": "window",
}


def _case_number(html: str) -> str:
    return re.search(r'class="case-number">(\d{8}[0-9A-Z]{23}\d{12})<', html).group(1)


def test_applicant_to_certificate_through_the_pages(login, uploads_dir) -> None:  # type: ignore[no-untyped-def]
    citizen = login("demo_citizen")
    started = citizen.post("/matters/food_business/apply")
    assert started.status_code == 302 and "/tasks/" in started.location
    form_page = citizen.get(started.location).get_data(as_text=True)
    assert 'name="operator_name"' in form_page and "required" in form_page

    # Invalid values: errors next to the fields, in Chinese, entered values kept.
    bad = citizen.submit(started.location, {**APPLICATION, "uscc": "91320100MA1M11110B", "contact_mobile": "123"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "统一社会信用代码格式或校验位不正确" in html and "手机号码格式不正确" in html
    assert 'value="91320100MA1M11110B"' in html and 'value="玄武区小王面馆"' in html

    done = citizen.submit(started.location, {**APPLICATION,
                                             "application_files": (io.BytesIO(PDF), "营业执照.pdf")},
                          content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)[:1000]
    stored = uploads_dir / hashlib.sha256(PDF).hexdigest()[:2] / hashlib.sha256(PDF).hexdigest()
    assert stored.read_bytes() == PDF
    case_page = citizen.get(done.location).get_data(as_text=True)
    number = _case_number(case_page)
    assert "收件凭证" in case_page

    # Any window clerk takes any matter; the first to claim owns it (首问负责).
    clerk = login("demo_window")
    link = clerk.task_link("/window", "rc_check", number)
    case_id = int(link.split("/")[2])
    assert clerk.post(f"{link}/claim").status_code == 302
    other_clerk = login("demo_fallback")
    assert other_clerk.post(f"{link}/claim").status_code == 403
    assert clerk.submit(link, {"reception_decision": "accept", "reception_note": "材料齐全"}).status_code == 302
    page = citizen.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "受理通知书" in page and "2025-10-10" in page  # promised date on the case page

    reviewer = login("demo_scjg_review")
    link = reviewer.task_link("/work", "review", number)
    form = reviewer.get(link).get_data(as_text=True)
    assert "玄武区小王面馆" in form  # the applicant's submission beside the task form
    file_link = re.search(r'href="(/files/\d+)">营业执照.pdf', form).group(1)
    material = reviewer.get(file_link)
    assert material.data == PDF  # the reviewer reads the applicant's material
    material.close()
    assert login("demo_enterprise").get(file_link).status_code == 404  # another applicant does not
    response = reviewer.submit(link, {"review_result": "pass", "review_note": "材料符合要求",
                                      "site_check_result": "conforming", "site_inspectors": "李明、赵强",
                                      "site_check_date": "2025-09-26"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    chief = login("demo_scjg_chief")
    link = chief.task_link("/work", "approve", number)
    assert chief.submit(link, {"decision": "grant", "decision_reason": "符合条件"}).status_code == 302

    link = clerk.task_link("/window", "dl_pickup", number)
    assert clerk.submit(link, {"picked_up_by": "王小明", "pickup_id_number": "11010519491231002X"}).status_code == 302

    mine = citizen.get("/my/cases").get_data(as_text=True)
    assert number in mine
    detail = citizen.get(f"/cases/{case_id}").get_data(as_text=True)
    rating_link = re.search(r'href="(/cases/\d+/tasks/[^"]+)">办理：服务评价', detail) or \
        re.search(r'href="(/cases/\d+/tasks/[^"]+)">办理：', detail)
    assert rating_link is not None
    assert citizen.submit(rating_link.group(1), {"rating": "very_satisfied"}).status_code == 302
    final = citizen.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "办结（通过）" in final and "食品经营许可证" in final
    document_link = re.findall(r'href="(/cases/\d+/documents/\d+)"', final)[-1]
    certificate = citizen.get(document_link)
    assert certificate.status_code == 200 and "食品经营许可证" in certificate.get_data(as_text=True)
    assert len(certificate.headers["X-Document-SHA256"]) == 64
