"""What a 事项库 entry must satisfy, each rule refused with its Chinese reason, and its cell formats."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from engine.catalogue.columns import OrgNames
from engine.catalogue.columns import entry_cells
from engine.catalogue.columns import entry_from_cells
from engine.catalogue.columns import parse_fees
from engine.catalogue.columns import parse_materials
from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.entry import FeeItem
from engine.catalogue.entry import Material
from engine.catalogue.entry import References
from engine.catalogue.entry import check_entry

CREDIT = "11320100MB1958369K"
REFS = References(organs={"jt": (CREDIT, True), "zj": ("11320100MB1958247M", True)},
                  departments={"jt_xk": "jt", "zj_sgxk": "zj"},
                  posts={"jt_cb": "jt", "jt_sh": "jt", "jt_pz": "jt", "jt_fzr": "jt", "zj_chengban": "zj"},
                  processes=frozenset({"food_business"}), has_file=lambda ref: ref == "申请表.docx#0123456789abcdef")
ENTRY = CatalogueEntry(
    code="jt_freight", name="道路货物运输经营许可", basic_code="000112101000",
    implementation_code=CREDIT + "4" + "000112101000", matter_type="行政许可", organ_code="jt",
    department_code="jt_xk", level="县级", legal_basis=("《中华人民共和国道路运输条例》第二十一条、第二十四条",),
    case_type="承诺件", statutory_limit_wd=20, promised_limit_wd=5, result_name="道路运输经营许可证",
    materials=(Material("道路货物运输经营申请表", blank_form="申请表.docx#0123456789abcdef"),),
    chengban_post="jt_cb", shenhe_post="jt_sh", pizhun_post="jt_pz", fzr_post="jt_fzr")


def test_a_good_entry_passes() -> None:
    assert check_entry(ENTRY, REFS) == {}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"implementation_code": "11320100MB1958247M4000112101000"}, "implementation_code",
     "实施编码前 18 位应为实施主体的统一社会信用代码 11320100MB1958369K"),
    ({"implementation_code": CREDIT[:17] + "X4000112101000"}, "implementation_code",
     "实施编码前 18 位应为有效的统一社会信用代码（校验位不正确）"),
    ({"implementation_code": CREDIT + "3000112101000"}, "implementation_code",
     "实施编码第 19 位应为行使层级“县级”的代码 4"),
    ({"implementation_code": CREDIT + "4000112101001"}, "implementation_code", "实施编码后 12 位应与基本编码一致"),
    ({"implementation_code": CREDIT + "40001121010"}, "implementation_code",
     "实施编码应为 31 位大写字母或数字（18 位信用代码 + 1 位层级 + 12 位基本编码）"),
    ({"basic_code": "000712101000", "implementation_code": CREDIT + "4000712101000"}, "basic_code",
     "基本编码第 3–4 位应为事项类型“行政许可”的代码 01"),
    ({"basic_code": "0001121010", "implementation_code": CREDIT + "40001121010"}, "basic_code",
     "基本编码应为 12 位数字"),
    ({"handling_item_code": CREDIT + "4000112101000" + "1"}, "handling_item_code",
     "业务办理项编码应为实施编码加 2 位数字（共 33 位）"),
    ({"promised_limit_wd": 21}, "promised_limit_wd", "承诺办结时限不能超过法定办结时限"),
    ({"promised_limit_wd": 0}, "promised_limit_wd", "承诺办结时限应为正整数（工作日）"),
    ({"statutory_limit_wd": 0, "promised_limit_wd": 0}, "statutory_limit_wd", "法定办结时限应为正整数（工作日）"),
    ({"extension_limit_wd": -1}, "extension_limit_wd", "可延长时限不能为负数"),
    ({"case_type": "普通件"}, "case_type", "办件类型应为 即办件 或 承诺件"),
    ({"level": "区级"}, "level", "行使层级应为 国家级、省级、市级、县级、乡镇级、村级 之一"),
    ({"legal_basis": ()}, "legal_basis", "请填写法定依据（每行一条，写明法律法规名称及条款）"),
    ({"materials": ()}, "materials", "至少列明一项申请材料"),
    ({"materials": (Material("申请表", copies=0),)}, "materials", "第 1 项材料：份数应为 1–99 的整数"),
    ({"materials": (Material("申请表"), Material("申请表"))}, "materials", "第 2 项材料：材料名称“申请表”重复"),
    ({"materials": (Material("申请表", sample_form="样表.pdf#ffffffffffffffff"),)}, "materials",
     "第 1 项材料：示例样表文件“样表.pdf#ffffffffffffffff”不存在（请先在事项库文件页上传）"),
    ({"fees": (FeeItem("工本费", "10 元", ""),)}, "fees", "第 1 项收费应写明项目、标准和依据（不收费则填“不收费”）"),
    ({"organ_code": "nowhere"}, "organ_code", "实施主体“nowhere”不在组织机构中"),
    ({"department_code": "zj_sgxk"}, "department_code", "承办机构应为实施主体的一个科室"),
    ({"pizhun_post": ""}, "pizhun_post", "请填写批准岗位（通用流程按该岗位派发任务）"),
    ({"shenhe_post": "zj_chengban"}, "shenhe_post", "审核岗位“zj_chengban”不属于实施主体"),
    ({"site_check": True}, "inspection_post", "请填写核查岗位（现场核查由该岗位两名人员进行）"),
    ({"process": "hygiene_licence"}, "process",
     "办理流程“hygiene_licence”尚未部署（可填 general_permit 使用通用流程）"),
    ({"code": "Jt-Freight"}, "code", "事项代码只能包含小写字母、数字和下划线，且以字母开头（2–63 位）"),
    ({"name": "道路\u202e运输"}, "name", "事项名称含有改变文字显示顺序的控制字符（如 U+202E）"),
    ({"consult_phone": "call me"}, "consult_phone", "咨询电话格式不正确"),
])
def test_each_rule_is_refused_with_its_reason(changes: dict[str, Any], field: str, message: str) -> None:
    assert check_entry(replace(ENTRY, **changes), REFS).get(field) == message


def test_an_instant_matter_may_promise_zero_days_and_an_own_diagram_needs_no_posts() -> None:
    instant = replace(ENTRY, case_type="即办件", promised_limit_wd=0, process="food_business", chengban_post="",
                      shenhe_post="", pizhun_post="", fzr_post="")
    assert check_entry(instant, REFS) == {}


NAMES = OrgNames(organ_names={"jt": "临江县交通运输局"}, departments={"jt_xk": ("jt", "运输管理科")})


def test_cells_round_trip_and_show_names_not_codes() -> None:
    vehicle = Material("车辆行驶证", "政府部门核发", "电子", 2, "可容缺", note="车辆")
    entry = replace(ENTRY, fees=(FeeItem("工本费", "10 元/证", "《某某收费标准》"),), special_procedures=("专家评审",),
                    materials=(*ENTRY.materials, vehicle))
    cells = entry_cells(entry, NAMES)
    assert (cells["organ_code"], cells["department_code"]) == ("临江县交通运输局", "运输管理科")
    assert cells["materials"] == "道路货物运输经营申请表｜申请人自备｜纸质｜1｜必要｜申请表.docx#0123456789abcdef\n" \
                                 "车辆行驶证｜政府部门核发｜电子｜2｜可容缺｜｜｜车辆"
    assert cells["fees"] == "工本费｜10 元/证｜《某某收费标准》"
    assert entry_from_cells(cells, NAMES) == (entry, {})


def test_cells_that_cannot_be_read_say_why() -> None:
    cells = entry_cells(ENTRY, NAMES)
    _, errors = entry_from_cells({**cells, "statutory_limit_wd": "二十", "site_check": "可能",
                                  "department_code": "不存在科"}, NAMES)
    assert errors == {"statutory_limit_wd": "法定办结时限（工作日）应为整数（工作日或次数），而不是“二十”",
                      "site_check": "现场核查应填“是”或“否”", "department_code": "承办机构“不存在科”不是实施主体的科室"}
    assert parse_materials("申请表|申请人自备|纸质|一份")[1] == "第 1 项材料的份数“一份”应为正整数"
    assert parse_fees("工本费｜10元")[1] == "第 1 项收费应写作“项目｜标准｜依据”，不收费则填“不收费”"
    assert parse_materials("申请表 | 申请人自备")[0] == (Material("申请表"),)  # ASCII bars and spaces are fine
