"""The hall as the public and the window see it: every 事项库 entry listed and searchable by name, code or
pinyin initials, its guide generated from the catalogue, and a window clerk filing an application for
a matter an administrator has just added (run by the general pattern)."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

from flask import Flask

from engine.actors import Actor
from engine.services.catalogue.seed import seed_catalogue
from tests.webapp.conftest import PDF
from tests.webapp.conftest import User
from tests.webapp.test_admin_pages import NEW_MATTER

ADMIN = Actor("admin1", "管理员", frozenset({"admin"}))


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr data-matter="([^"]+)"', html)


def _seeded(web_app: Flask) -> None:
    ctx = web_app.extensions["onewindow"]
    seed_catalogue(ctx, ADMIN)


def test_the_public_list_offers_every_entry_and_finds_one_by_name_code_or_initials(web_app: Flask) -> None:
    _seeded(web_app)
    client = web_app.test_client()
    every = _listed(_text(client.get("/")))
    assert len(every) >= 150 and "general_permit" not in every  # the pattern runs entries; it is not one
    assert {"food_business", "hygiene_licence"} <= set(every)
    by_name = _listed(_text(client.get("/?q=食品经营")))
    assert by_name[0] == "food_business"
    by_initials = _listed(_text(client.get("/?q=SPJY")))  # 食品经营许可, upper case and all
    assert by_initials[0] == "food_business"
    by_code = _listed(_text(client.get("/?q=000170001000")))  # its 基本编码
    assert by_code == ["food_business"]
    nothing = _text(client.get("/?q=zzzzqqq"))
    assert _listed(nothing) == [] and "没有找到与“zzzzqqq”相符的事项" in nothing


def test_the_guide_of_a_pattern_run_entry_is_generated_from_the_catalogue(web_app: Flask, login: Any) -> None:
    _seeded(web_app)
    admin: User = login("demo_admin")
    uploaded = admin.post("/admin/catalogue/files", {"file": (io.BytesIO(PDF), "申请表.pdf")},
                          content_type="multipart/form-data", follow_redirects=True)
    ref = re.search(r"在申请材料中引用：(申请表\.pdf#[0-9a-f]{16})", _text(uploaded)).group(1)
    matter = {**NEW_MATTER, "code": "jt_guide", "name": "道路货物运输经营许可（指南测试）",
              "materials": f"道路货物运输经营申请表｜申请人自备｜纸质｜2｜必要｜{ref}\n"
                           "营业执照｜申请人自备｜电子｜1｜按需",
              "place": "临江县政务服务中心 3 号窗口", "hours": "工作日 9:00—17:00", "consult_phone": "0000-6010199",
              "complaint_phone": "12345", "visits": "1"}
    assert admin.post("/admin/catalogue/new", matter).status_code == 302
    page = _text(web_app.test_client().get("/matters/jt_guide"))
    assert "道路货物运输经营许可（指南测试） <small>办事指南</small>" in page
    assert "临江县交通运输局" in page and "运输管理科" in page
    assert '<td id="statutory-limit">20 个工作日（经负责人批准可延长 10 个工作日）</td>' in page
    assert '<td id="promised-limit">5 个工作日</td>' in page
    for fact in ("临江县政务服务中心 3 号窗口", "工作日 9:00—17:00", "0000-6010199", "12345", "1 次", "不收费",
                 "道路运输经营许可证"):
        assert fact in page, fact
    materials = page.split('id="guide-materials"')[1].split("</table>")[0]
    assert "道路货物运输经营申请表" in materials and f'href="/catalogue/files/{ref.rsplit("#", 1)[1]}"' in materials
    steps = {row[0]: row for row in _flow_rows(page)}
    assert list(steps) == ["申报", "受理", "审查", "决定", "送达"]
    assert steps["决定"][1] == "临江县交通运输局" and "运输管理科" in steps["审查"][1]
    assert steps["决定"][3] == "自受理之日起承诺 5 个工作日（法定 20 个工作日，经负责人批准可延长 10 个工作日）"
    diagram = web_app.test_client().get("/matters/jt_guide/diagram.bpmn")
    assert diagram.status_code == 200 and b'id="general_permit"' in diagram.data


def test_a_window_clerk_finds_a_new_matter_and_files_for_a_walk_in(web_app: Flask, login: Any) -> None:
    _seeded(web_app)
    admin: User = login("demo_admin")
    matter = {**NEW_MATTER, "code": "jt_window", "name": "道路货物运输经营许可（窗口测试）"}
    assert admin.post("/admin/catalogue/new", matter).status_code == 302
    clerk: User = login("demo_window")
    found = _text(clerk.get("/window?q=dlhwys"))  # 道路货物运输: pinyin initials
    assert ('<option value="jt_window">道路货物运输经营许可（窗口测试）（临江县交通运输局（运输管理科））</option>'
            in found)
    assert "food_business" not in found
    filed = clerk.post("/window/walk-in", {"matter": "jt_window", "walk_in_name": "临江县顺达物流有限公司",
                                           "walk_in_id_type": "resident_id", "walk_in_id_number": "11010519491231002X",
                                           "walk_in_mobile": "13800138000"})
    assert filed.status_code == 302 and "/tasks/" in filed.location
    task = _text(clerk.get(filed.location))
    assert "道路货物运输经营许可（窗口测试）" in task and "申请事项具体内容" in task
    assert not re.search(r"11320100MB1958369K4000112190000\d{12}", task)  # a draft: numbered on submission


def test_an_entry_is_started_through_the_api_with_its_applicant_block_prefilled(web_app: Flask, login: Any) -> None:
    _seeded(web_app)
    citizen: User = login("demo_citizen")
    started = citizen.api("POST", "/api/v1/matters/cg_01/cases", {"data": {"applicant_name": "临江县某建筑公司"}})
    assert started.status_code == 201, started.get_json()
    case = started.get_json()
    # A private draft until the application is submitted: no 办件编号 yet (drafts are not cases).
    assert (case["status"], case["case_number"]) == ("draft", None)
    assert case["data"]["applicant_name"] == "临江县某建筑公司"
    assert "chengban_post" not in case["data"]  # the applicant reads their own data, not the routing
    seeded = citizen.api("POST", "/api/v1/matters/cg_01/cases", {"data": {"chengban_post": "xzsp_fzr"}})
    assert seeded.status_code == 422 and set(seeded.get_json()["errors"]) == {"chengban_post"}


def test_a_designer_makes_a_matter_from_the_pattern_or_a_copy_on_the_designer_page(login: Any) -> None:
    designer: User = login("demo_designer")
    page = _text(designer.get("/designer/"))
    assert '<option value="general_permit">' in page and '<option value="food_business">复制：食品经营许可' in page
    made = designer.post("/designer/new", {"source": "general_permit", "code": "road_own",
                                           "name": "道路运输（专用流程）"})
    assert made.status_code == 302 and made.location.endswith("/designer/road_own")
    draft = designer.get("/designer/road_own/draft").get_json()
    assert draft["main_bpmn"] == "road_own.bpmn" and 'id="road_own"' in draft["bpmn"]
    assert "road_own（新事项草稿，未部署）" in _text(designer.get("/designer/"))
    copied = designer.post("/designer/new", {"source": "food_business", "code": "food_twin",
                                             "name": "食品经营许可（二）"})
    assert copied.status_code == 302
    taken = designer.post("/designer/new", {"source": "food_business", "code": "food_twin", "name": "再来一次"})
    assert taken.status_code == 422 and "事项代码“food_twin”已被使用" in _text(taken)


def _flow_rows(html: str) -> list[tuple[str, str, str, str]]:
    table = html.split('id="guide-steps"')[1].split("</table>")[0]
    cell = r"<td[^>]*>([^<]*)</td>"
    rows = re.findall(rf"<tr>{cell * 4}</tr>", table)
    return [tuple(unescape(cell) for cell in row) for row in rows]


def test_a_drawn_bundles_guide_lists_the_public_stages_with_each_permits_department_and_limit(web_app: Flask) -> None:
    from engine.services.deploy import matter_guide

    task_names = set(matter_guide(web_app.extensions["onewindow"], "construction_bundle").task_names)
    assert {"补交容缺材料", "窗口领证"} & task_names  # what the guide must not show applicants
    client = web_app.test_client()
    for seeded in (False, True):  # without its 事项库 entry (matter.toml alone) and with it
        if seeded:
            _seeded(web_app)
        html = _text(client.get("/matters/construction_bundle"))
        rows = _flow_rows(html)
        assert [r[0] for r in rows] == ["申报", "受理", "审查", "决定", "送达"], seeded
        stages = {r[0]: r for r in rows}
        assert "住房和城乡建设局施工许可科" in stages["审查"][1] and "城市管理局渣土管理办公室" in stages["审查"][1]
        assert "建筑工程施工许可证核发：承诺 3 个工作日（法定 7 个工作日，不得延长）" in stages["决定"][3]
        waste = "城市建筑垃圾处置核准：承诺 3 个工作日（法定 20 个工作日，经负责人批准可延长 10 个工作日）"
        assert waste in stages["决定"][3]
        flow = html.split('id="guide-flow"')[1].split('id="diagram"')[0]
        internal = {"补交容缺材料", "窗口领证", "差评整改"} | {n for n in task_names if len(n) >= 5}
        assert not [name for name in internal if name in flow], seeded
        # 在线申报 comes first, before the facts and the flow, not at the foot of the page.
        assert html.index('id="apply-bar"') < html.index("申请材料") < html.index('id="guide-flow"')
        assert "登录后在线申报" in html.split('id="apply-bar"')[1].split("</div>")[0]


def test_an_applicant_applies_from_the_top_of_a_guide(web_app: Flask, login: Any) -> None:
    citizen: User = login("demo_citizen")
    html = _text(citizen.get("/matters/food_business"))
    bar = html.split('id="apply-bar"')[1].split("</div>")[0]
    assert ">在线申报</button>" in bar and "承诺 5 个工作日内办结" in bar
    assert html.index('id="apply-bar"') < html.index('id="guide-flow"')
    clerk: User = login("demo_window")
    assert 'id="apply-bar"' not in _text(clerk.get("/matters/food_business"))  # staff file at the window instead


def test_a_pattern_run_cases_row_names_its_entry_and_what_was_applied_for(web_app: Flask, login: Any) -> None:
    _seeded(web_app)
    admin: User = login("demo_admin")
    matter = {**NEW_MATTER, "code": "jt_rows", "name": "道路货物运输经营许可（行测试）"}
    assert admin.post("/admin/catalogue/new", matter).status_code == 302
    clerk: User = login("demo_window")
    filed = clerk.post("/window/walk-in", {"matter": "jt_rows", "walk_in_name": "临江县顺达物流有限公司",
                                           "walk_in_id_type": "resident_id", "walk_in_id_number": "11010519491231002X",
                                           "walk_in_mobile": "13800138000"})
    values = {"applicant_name": "临江县顺达物流有限公司", "applicant_id_number": "91320100MA1M11110A",
              "legal_representative": "王顺达", "applicant_address": "临江县江滨路 1 号",
              "contact_mobile": "13800138000",
              "application_content": "申请道路普通货物运输经营\n车辆 12 台", "delivery_method": "window",
              "application_files": (io.BytesIO(PDF), "申请表.pdf")}
    sent = clerk.submit(filed.location, values, content_type="multipart/form-data")
    assert sent.status_code == 302, _text(sent)[:800]
    window = _text(clerk.get("/window"))
    row = re.search(r'<tr data-task="rc_check"[^>]*>((?:(?!</tr>).)*申请道路普通货物运输经营(?:(?!</tr>).)*)</tr>',
                    window, re.S)
    assert row is not None, window[:3000]
    assert "道路货物运输经营许可（行测试）" in row.group(1) and "一般行政许可" not in row.group(1)
    assert "车辆 12 台" not in row.group(1)  # one line of the paragraph
