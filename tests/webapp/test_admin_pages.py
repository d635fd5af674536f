"""The administrator's pages: the organisation and staff, the 事项库 (add, edit, import with a dry-run diff,
export), published files, and the audit log that records every change."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask

from engine.services.accounts import authenticate
from tests.webapp.conftest import PDF
from tests.webapp.conftest import User

#: A new matter as the edit page submits it (organ and department by name, as the form shows them).
NEW_MATTER = {
    "code": "jt_page_test", "name": "道路货物运输经营许可（页面测试）", "basic_code": "000112190000",
    "implementation_code": "11320100MB1958369K4000112190000", "matter_type": "行政许可",
    "organ_code": "临江县交通运输局", "level": "县级", "department_code": "运输管理科",
    "legal_basis": "《中华人民共和国道路运输条例》第二十一条",
    "case_type": "承诺件", "statutory_limit_wd": "20", "promised_limit_wd": "5", "extension_limit_wd": "10",
    "fees": "不收费", "materials": "道路货物运输经营申请表\n营业执照｜申请人自备｜电子｜1｜按需",
    "result_name": "道路运输经营许可证", "process": "general_permit", "chengban_post": "jt_chengban",
    "shenhe_post": "jt_shenhe", "pizhun_post": "jt_pizhun", "fzr_post": "jt_fzr", "site_check": "否",
    "online_depth": "四级", "visits": "0", "active": "在用",
}


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_an_administrator_adds_a_matter_then_edits_it_into_a_second_version(login: Any) -> None:
    admin: User = login("demo_admin")
    assert admin.get("/admin/catalogue/new").status_code == 200
    created = admin.post("/admin/catalogue/new", NEW_MATTER)
    assert created.status_code == 302 and created.location.endswith("/admin/catalogue/jt_page_test")
    page = _text(admin.get(created.location))
    assert "第 1 版" in page and "道路货物运输经营许可（页面测试）" in page
    edited = admin.post("/admin/catalogue/jt_page_test", {**NEW_MATTER, "promised_limit_wd": "3"})
    assert edited.status_code == 302
    page = _text(admin.get("/admin/catalogue/jt_page_test"))
    assert "已保存为第 2 版：承诺办结时限（工作日）" in page and "第 2 版" in page
    listed = _text(admin.get("/admin/catalogue?q=页面测试"))
    assert "jt_page_test" in listed and "20 / 3 个工作日" in listed
    log = _text(admin.get("/admin/log?area=catalogue"))
    assert "（jt_page_test）为第 2 版（页面编辑）：承诺办结时限（工作日）" in log


def test_the_entry_page_lists_the_provisions_a_denial_may_cite(login: Any) -> None:
    admin: User = login("demo_admin")
    basis = "《中华人民共和国道路运输条例》第二十一条、第二十四条\n《道路货物运输及站场管理规定》（交通运输部令）"
    admin.post("/admin/catalogue/new", {**NEW_MATTER, "code": "jt_page_basis", "legal_basis": basis})
    page = _text(admin.get("/admin/catalogue/jt_page_basis"))
    listed = re.findall(r"<li>(《[^<]+)</li>", page.split("不予许可须从以下条款中选择", 1)[1].split("</ul>", 1)[0])
    assert listed == ["《中华人民共和国道路运输条例》第二十一条", "《中华人民共和国道路运输条例》第二十四条",
                      "《道路货物运输及站场管理规定》（交通运输部令）"]


def test_a_bad_matter_is_refused_in_chinese_and_what_was_typed_is_kept(login: Any) -> None:
    admin: User = login("demo_admin")
    refused = admin.post("/admin/catalogue/new", {**NEW_MATTER, "code": "jt_refused", "promised_limit_wd": "30",
                                                  "shenhe_post": "zj_shenhe"})
    assert refused.status_code == 422
    page = _text(refused)
    assert "承诺办结时限不能超过法定办结时限" in page and "审核岗位“zj_shenhe”不属于实施主体" in page
    assert 'value="30"' in page  # the form comes back as typed
    assert admin.get("/admin/catalogue/jt_refused").status_code == 404


def _csv(rows: list[dict[str, str]]) -> bytes:
    from engine.catalogue.columns import COLUMNS
    from engine.tabular import write_csv

    return write_csv(list(COLUMNS.values()), [[row.get(key, "") for key in COLUMNS] for row in rows])


def test_the_import_page_shows_a_dry_run_diff_and_refuses_bad_rows_by_number(login: Any) -> None:
    admin: User = login("demo_admin")
    base = {**NEW_MATTER, "code": "jt_import_test", "name": "导入测试事项"}
    first = admin.post("/admin/catalogue/import", {"file": (io.BytesIO(_csv([base])), "c.csv"), "dry_run": "1"},
                       content_type="multipart/form-data")
    assert first.status_code == 200 and "新增 1 项" in _text(first) and "试导入（未作修改）" in _text(first)
    assert admin.get("/admin/catalogue/jt_import_test").status_code == 404  # the dry run stored nothing
    done = admin.post("/admin/catalogue/import", {"file": (io.BytesIO(_csv([base])), "c.csv"), "dry_run": ""},
                      content_type="multipart/form-data")
    assert "已导入：新增 1 项" in _text(done)
    changed = {**base, "statutory_limit_wd": "15"}
    diff = _text(admin.post("/admin/catalogue/import", {"file": (io.BytesIO(_csv([changed])), "c.csv"),
                                                        "dry_run": "1"}, content_type="multipart/form-data"))
    assert re.search(r"法定办结时限（工作日）：<del>20</del> → <ins>15</ins>", diff)
    bad = {**base, "code": "jt_import_bad", "case_type": "普通件"}
    refused = admin.post("/admin/catalogue/import",
                         {"file": (io.BytesIO(_csv([changed, bad])), "c.csv"), "dry_run": ""},
                         content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "第 3 行：办件类型：办件类型应为 即办件 或 承诺件" in _text(refused)
    assert "20 / 5 个工作日" in _text(admin.get("/admin/catalogue?q=导入测试"))  # the good row was not stored either


def test_export_downloads_the_catalogue(login: Any) -> None:
    admin: User = login("demo_admin")
    exported = admin.get("/admin/catalogue/export/xlsx")
    assert exported.status_code == 200 and exported.data.startswith(b"PK")
    assert "attachment; filename=catalogue.xlsx" in exported.headers["Content-Disposition"]
    assert admin.get("/admin/catalogue/export/pdf").status_code == 404


def test_staff_are_created_with_a_one_time_password_given_posts_and_deactivated(web_app: Flask, login: Any) -> None:
    admin: User = login("demo_admin")
    created = admin.post("/admin/staff", {"username": "page_clerk", "display_name": "页面测试 窗口人员",
                                          "windows": "zh02", "posts": ["jt_chengban", "jt_hecha"], "status": "在用"})
    assert created.status_code == 200
    password = re.search(r'class="one-time-password">([^<]+)<', _text(created)).group(1)
    ctx = web_app.extensions["onewindow"]
    actor = authenticate(ctx, "page_clerk", password)
    assert actor is not None and {"window_clerk", "jt_chengban", "jt_hecha"} <= actor.groups
    page = _text(admin.get("/admin/staff/page_clerk"))
    assert "新增工作人员“页面测试 窗口人员”（page_clerk）" in page
    refused = admin.post("/admin/staff/page_clerk/deactivate", {})
    assert refused.status_code == 422 and "请勾选确认停用该账号" in _text(refused)
    done = admin.post("/admin/staff/page_clerk/deactivate", {"confirm": "1"}, follow_redirects=True)
    assert "已停用“page_clerk”，该人员没有已签收的在办任务" in _text(done)
    assert authenticate(ctx, "page_clerk", password) is None


def test_a_post_gets_a_member_on_its_page_and_the_change_is_logged(login: Any) -> None:
    admin: User = login("demo_admin")
    page = _text(admin.get("/admin/units/post/jt_shenhe"))
    assert "demo_jt_shenhe" in page
    saved = admin.post("/admin/units/post/jt_shenhe/members", {"members": "demo_jt_shenhe、demo_jt_pizhun"},
                       follow_redirects=True)
    assert "已更新人员：demo_jt_pizhun" in _text(saved)
    unknown = admin.post("/admin/units/post/jt_shenhe/members", {"members": "nobody_here"}, follow_redirects=True)
    assert "未找到工作人员账号：nobody_here" in _text(unknown)
    log = _text(admin.get("/admin/log?area=organisation"))
    assert "（demo_jt_pizhun）加入岗位“交通运输局审核”" in log


def test_an_organ_with_a_bad_credit_code_is_refused(login: Any) -> None:
    admin: User = login("demo_admin")
    refused = admin.post("/admin/units/organ", {"code": "test_organ", "name": "测试局", "short_name": "测试",
                                                "credit_code": "11320100MB19999990", "review_organ": "临江县人民政府",
                                                "court": "临江县人民法院"})
    assert refused.status_code == 422 and "统一社会信用代码应为 18 位，且校验位正确" in _text(refused)


def test_a_published_file_is_uploaded_by_an_admin_and_downloaded_by_anyone(web_app: Flask, login: Any) -> None:
    admin: User = login("demo_admin")
    uploaded = admin.post("/admin/catalogue/files", {"file": (io.BytesIO(PDF), "申请表样表.pdf")},
                          content_type="multipart/form-data", follow_redirects=True)
    ref = re.search(r"在申请材料中引用：(申请表样表\.pdf#[0-9a-f]{16})", _text(uploaded)).group(1)
    prefix = ref.rsplit("#", 1)[1]
    anonymous = web_app.test_client().get(f"/catalogue/files/{prefix}")
    assert anonymous.status_code == 200 and anonymous.data == PDF
    anonymous.close()
    refused = admin.post("/admin/catalogue/files", {"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")},
                         content_type="multipart/form-data")
    assert refused.status_code == 422 and "类型不被接受" in _text(refused)
    with_sample = {**NEW_MATTER, "code": "jt_with_sample", "materials": f"申请表｜申请人自备｜纸质｜1｜必要｜｜{ref}"}
    assert admin.post("/admin/catalogue/new", with_sample).status_code == 302
