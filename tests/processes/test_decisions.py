"""Decisions name their organ, reasons and remedies (issue #10 point 3), on the shipped matters.

Each permit is decided by its own organ from configuration (the bundle: 施工许可 by 住建局, 建筑垃圾处置核准
by 城管局), signed and sealed by it; a refusal states a substantive reason and a provision chosen from
the matter's list, and names the organ's 复议机关 and court with 60 日 / 6 个月. Certificates print
their number, validity and the fields the permit carries. The organisation is the sample hall's.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.actors import Actor
from engine.errors import FormDataInvalid
from engine.services import cases
from engine.services.organisation import views
from engine.services.organisation.demo import ensure_sample_organisation
from engine.services.organisation.seals import ensure_demo_seals
from engine.services.organisation.seals import set_organ_seal
from engine.services.organisation.structure import save_unit
from tests.processes import test_construction_bundle as bundle_walk
from tests.processes import test_food_business as food_walk
from tests.processes import test_hygiene_licence as hygiene_walk
from tests.processes.conftest import Hall
from tests.processes.conftest import first_provision
from tests.processes.conftest import refusal_at_reception

ADMIN = Actor("admin_1", "管理员", frozenset({"admin"}))
BUNDLE = "construction_bundle"
LEAD = "住房和城乡建设局（牵头）"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def organised(hall: Hall) -> Hall:
    """The hall with the sample organisation (organs with their 复议机关 and courts)."""
    ensure_sample_organisation(hall.ctx)
    return hall


def _documents(hall: Hall, case_id: int) -> dict[tuple[str, str], str]:
    return {(d.doc_key, d.permit): d.html for d in cases.case_documents(hall.ctx, case_id)}


def _signature(html: str) -> str:
    return html.split('<div class="signature">', 1)[1].split("</div>", 2)[0]


def _bundle_case(hall: Hall) -> int:
    hall.deploy(BUNDLE)
    return bundle_walk.submit_and_accept(hall)


def _refuse_waste(hall: Hall, case_id: int, **values: Any) -> Any:
    """承办 and 审核 pass; the 批准 step refuses the waste permit with ``values``."""
    bundle_walk.review(hall, case_id, "cg", steps=("chengban", "shenhe"))
    return hall.do(case_id, "cg_pizhun", {"cg_outcome": "fail", **values})


def test_each_permit_of_the_bundle_is_signed_by_its_own_organ(organised: Hall) -> None:
    hall = organised
    case_id = _bundle_case(hall)
    bundle_walk.review(hall, case_id, "zj")
    _refuse_waste(hall, case_id, cg_opinion="运输车辆未安装卫星定位装置，不符合运输单位条件。",
                  cg_provision=first_provision(hall, BUNDLE, "waste_refusal_provisions"))
    docs = _documents(hall, case_id)
    denial = docs[("denial_decision", "waste")]
    assert "临江县城市管理局" in _signature(denial) and "住房和城乡建设" not in _signature(denial)
    assert LEAD not in denial
    assert "临江县住房和城乡建设局" in _signature(docs[("construction_permit", "construction")])


def test_remedies_name_the_organs_review_organ_and_court_with_their_periods(organised: Hall) -> None:
    hall = organised
    values = views.unit_form_values(hall.ctx, "organ", "cg")
    assert values is not None
    save_unit(hall.ctx, ADMIN, "organ", {**values, "review_organ": "临江县人民政府（行政复议局）",
                                         "court": "江州市临江区人民法院"})
    case_id = _bundle_case(hall)
    _refuse_waste(hall, case_id, cg_opinion="消纳场受纳证明已过有效期，无法证明建筑垃圾有合法去向。",
                  cg_provision=first_provision(hall, BUNDLE, "waste_refusal_provisions"))
    denial = _documents(hall, case_id)[("denial_decision", "waste")]
    assert "消纳场受纳证明已过有效期" in denial
    assert first_provision(hall, BUNDLE, "waste_refusal_provisions") in denial
    assert "六十日内向临江县人民政府（行政复议局）申请行政复议" in denial
    assert "六个月内向江州市临江区人民法院提起行政诉讼" in denial


@pytest.mark.parametrize("reason", ["", "不行", "不符合条件", "申请人不符合法定条件、标准。"])
def test_a_refusal_without_a_substantive_reason_is_refused_and_changes_nothing(organised: Hall, reason: str) -> None:
    hall = organised
    case_id = _bundle_case(hall)
    bundle_walk.review(hall, case_id, "cg", steps=("chengban", "shenhe"))
    before = (len(hall.history(case_id)), hall.open(case_id))
    with pytest.raises(FormDataInvalid) as refused:
        hall.do(case_id, "cg_pizhun", {"cg_outcome": "fail", "cg_opinion": reason,
                                       "cg_provision": first_provision(hall, BUNDLE, "waste_refusal_provisions")})
    assert "理由" in refused.value.errors["cg_opinion"]
    assert (len(hall.history(case_id)), hall.open(case_id)) == before
    assert ("denial_decision", "waste") not in _documents(hall, case_id)


@pytest.mark.parametrize("provision", [None, "《随便什么规定》第一条"])
def test_a_refusal_must_cite_a_provision_from_the_permits_list(organised: Hall, provision: str | None) -> None:
    hall = organised
    case_id = _bundle_case(hall)
    bundle_walk.review(hall, case_id, "cg", steps=("chengban", "shenhe"))
    values = {"cg_outcome": "fail", "cg_opinion": "运输车辆未安装卫星定位装置，不符合运输单位条件。"}
    with pytest.raises(FormDataInvalid) as refused:
        hall.do(case_id, "cg_pizhun", values if provision is None else {**values, "cg_provision": provision})
    assert "cg_provision" in refused.value.errors
    assert "cg_pizhun" in hall.open(case_id)


def test_the_decision_form_offers_exactly_the_permits_provisions(organised: Hall) -> None:
    hall = organised
    hall.deploy(BUNDLE)
    with hall.ctx.uow() as uow:
        _record, compiled = hall.ctx.latest_definition(uow, BUNDLE)
    waste = compiled.task_form("cg_review").field("cg_provision").option_values
    construction = compiled.task_form("zj_review").field("zj_provision").option_values
    assert waste and construction and not set(waste) & set(construction)
    assert all("建筑垃圾" in p for p in waste) and all("施工许可" in p or "建筑法" in p for p in construction)


def test_refusal_to_accept_names_the_competent_organ(organised: Hall) -> None:
    hall = organised
    hall.deploy(hygiene_walk.MATTER)
    case = hall.start(hygiene_walk.MATTER)
    hall.do(case.id, "apply", hygiene_walk.APPLICATION)
    without_organ = refusal_at_reception("餐饮店应申请食品经营许可，不属于公共场所卫生许可", "not_competent")
    with pytest.raises(FormDataInvalid) as refused:
        hall.do(case.id, "rc_check", without_organ)
    assert "有权受理" in refused.value.errors["competent_organ"]
    hall.do(case.id, "rc_check", {**without_organ, "competent_organ": "临江县市场监督管理局"})
    notice = _documents(hall, case.id)[("refusal_notice", "")]
    assert "请向临江县市场监督管理局提出申请" in notice and "第三十二条第一款第二项" in notice
    assert "临江县卫生健康委员会" in _signature(notice) and "向临江县人民政府申请行政复议" in notice


def test_hygiene_permit_prints_its_number_and_validity(organised: Hall) -> None:
    hall = organised
    hall.deploy(hygiene_walk.MATTER)
    case_id = hygiene_walk.apply_and_accept(hall)
    hygiene_walk.through_review(hall, case_id)
    hall.do(case_id, "approve", {"chief_decision": "grant", "chief_opinion": "同意发证"})
    data = hall.case(case_id).data
    permit = _documents(hall, case_id)[("hygiene_permit", "")]
    assert data["permit_no"] in permit
    assert "2025年9月26日 至 2029年9月26日" in permit and "45" in permit


def test_food_permit_prints_its_number_and_validity(organised: Hall) -> None:
    hall = organised
    case_id = food_walk.accepted(hall)
    food_walk.review_and_grant(hall, case_id)
    data = hall.case(case_id).data
    permit = _documents(hall, case_id)[("food_business_permit", "")]
    assert data["permit_no"].startswith("JY") and data["permit_no"] in permit
    assert "2025年9月26日 至 2030年9月25日" in permit and "临江县市场监督管理局" in _signature(permit)


def test_waste_disposal_approval_prints_vehicles_route_time_window_and_period(organised: Hall) -> None:
    hall = organised
    case_id = _bundle_case(hall)
    bundle_walk.review(hall, case_id, "cg")
    approval = _documents(hall, case_id)[("waste_disposal_permit", "waste")]
    assert "核准文号：城管渣核〔2025〕第" in approval  # the branch's number (its data joins at the end)
    facts = ("苏A12345、苏A23456", "滨江路—龙蟠路—绕城公路", "22:00 至次日 5:00", "2025年10月15日 至 2026年3月31日")
    for fact in facts:
        assert fact in approval


def test_the_administrators_seal_is_on_documents_and_a_demo_seal_is_marked(organised: Hall) -> None:
    hall = organised
    assert ensure_demo_seals(hall.ctx, ADMIN) > 0
    case_id = _bundle_case(hall)
    receipt = _documents(hall, case_id)[("receipt", "")]
    assert 'class="seal-image" src="data:image/svg+xml;base64,' in receipt and "演示印章" in receipt
    set_organ_seal(hall.ctx, ADMIN, "cg", PNG)
    bundle_walk.review(hall, case_id, "cg")
    approval = _documents(hall, case_id)[("waste_disposal_permit", "waste")]
    assert 'src="data:image/png;base64,' in approval and "演示印章" not in approval


@pytest.mark.parametrize("image", [b"", b"GIF89a....", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>',
                                   b'<!DOCTYPE svg [<!ENTITY x "y">]><svg/>'])
def test_a_bad_seal_image_is_refused(organised: Hall, image: bytes) -> None:
    with pytest.raises(FormDataInvalid) as refused:
        set_organ_seal(organised.ctx, ADMIN, "cg", image)
    assert refused.value.errors["seal"]
