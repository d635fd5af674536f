"""Tests for engine.forms: form-js schema loading, domain validators and submission validation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from collections.abc import Mapping
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.forms import DOMAIN_VALIDATORS
from engine.forms import FormDefinition
from engine.forms import FormRegistry
from engine.forms import FormRegistryError
from engine.forms import FormSchemaError
from engine.forms import UnknownForm
from engine.forms import is_valid_email
from engine.forms import is_valid_mobile
from engine.forms import is_valid_phone
from engine.forms import is_valid_resident_id
from engine.forms import is_valid_uscc
from engine.forms import load_form
from engine.forms import validate_submission

VALID_USCC = "91350100M000100Y43"
VALID_ID = "11010519491231002X"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# A form as Camunda Modeler 5.x writes it: layout info, ids, exporter block, nested groups.
PERMIT_FORM: dict[str, Any] = {
    "components": [
        {
            "text": "# 建设工程施工许可申请\n\n请如实填写。",
            "type": "text",
            "id": "Text_title",
            "layout": {"row": "Row_1"},
        },
        {
            "label": "单位名称",
            "type": "textfield",
            "layout": {"row": "Row_2", "columns": None},
            "id": "Field_company",
            "key": "company_name",
            "validate": {"required": True, "maxLength": 50},
        },
        {
            "label": "统一社会信用代码",
            "type": "textfield",
            "id": "Field_uscc",
            "key": "uscc",
            "validate": {"required": True},
            "properties": {"validator": "uscc"},
        },
        {
            "label": "联系电话",
            "type": "textfield",
            "id": "Field_phone",
            "key": "phone",
            "validate": {"validationType": "phone"},
        },
        {
            "label": "项目代码",
            "type": "textfield",
            "id": "Field_code",
            "key": "project_code",
            "validate": {"pattern": "[0-9]{4}-[A-Z]{2}"},
        },
        {
            "type": "group",
            "label": "法定代表人",
            "id": "Group_legal",
            "showOutline": True,
            "components": [
                {
                    "label": "姓名",
                    "type": "textfield",
                    "id": "Field_legal_name",
                    "key": "legal_name",
                    "validate": {"required": True, "minLength": 2},
                },
                {
                    "label": "身份证号",
                    "type": "textfield",
                    "id": "Field_legal_id",
                    "key": "legal_id",
                    "properties": {"validator": "idcard"},
                },
                {
                    "type": "group",
                    "label": "联系方式",
                    "id": "Group_contact",
                    "components": [
                        {
                            "label": "电子邮箱",
                            "type": "textfield",
                            "id": "Field_email",
                            "key": "email",
                            "validate": {"validationType": "email"},
                        },
                        {
                            "label": "手机",
                            "type": "textfield",
                            "id": "Field_mobile",
                            "key": "mobile",
                            "properties": {"validator": "mobile"},
                        },
                    ],
                },
            ],
        },
        {
            "label": "工程造价（万元）",
            "type": "number",
            "id": "Field_cost",
            "key": "cost",
            "decimalDigits": 2,
            "validate": {"required": True, "min": 0, "max": 100000},
        },
        {
            "label": "楼层数",
            "type": "number",
            "id": "Field_floors",
            "key": "floors",
            "decimalDigits": 0,
            "validate": {"min": 1, "max": 200},
        },
        {"label": "面积", "type": "number", "id": "Field_area", "key": "area", "validate": {"min": 0.5}},
        {
            "label": "工程类别",
            "type": "select",
            "id": "Field_kind",
            "key": "kind",
            "values": [{"label": "房屋建筑", "value": "building"}, {"label": "市政基础设施", "value": "municipal"}],
            "validate": {"required": True},
        },
        {
            "label": "申请方式",
            "type": "radio",
            "id": "Field_channel",
            "key": "channel",
            "defaultValue": "online",
            "values": [{"label": "网上申请", "value": "online"}, {"label": "窗口申请", "value": "counter"}],
        },
        {
            "label": "附加服务",
            "type": "checklist",
            "id": "Field_extras",
            "key": "extras",
            "values": [
                {"label": "邮寄送达", "value": "mail"},
                {"label": "短信通知", "value": "sms"},
                {"label": "上门勘察", "value": "visit"},
            ],
        },
        {"label": "标签", "type": "taglist", "id": "Field_tags", "key": "tags", "valuesKey": "tagOptions"},
        {
            "label": "我已阅读并同意告知承诺书",
            "type": "checkbox",
            "id": "Field_agree",
            "key": "agree",
            "validate": {"required": True},
        },
        {"label": "加急", "type": "checkbox", "id": "Field_urgent", "key": "urgent"},
        {
            "subtype": "date",
            "dateLabel": "计划开工日期",
            "type": "datetime",
            "id": "Field_start",
            "key": "start_date",
            "validate": {"required": True},
        },
        {
            "subtype": "time",
            "timeLabel": "预约时间",
            "use24h": True,
            "type": "datetime",
            "id": "Field_slot",
            "key": "slot",
        },
        {
            "subtype": "datetime",
            "dateLabel": "现场踏勘时间",
            "type": "datetime",
            "id": "Field_visit",
            "key": "visit_at",
        },
        {
            "label": "施工图纸",
            "type": "filepicker",
            "id": "Field_drawings",
            "key": "drawings",
            "multiple": True,
            "accept": ".pdf,.dwg",
        },
        {"label": "营业执照", "type": "filepicker", "id": "Field_license", "key": "license"},
        {"label": "备注", "type": "textarea", "id": "Field_notes", "key": "notes", "validate": {"maxLength": 200}},
        {"label": "受理编号", "type": "textfield", "id": "Field_ref", "key": "ref_no", "readonly": True},
        {"label": "内部意见", "type": "textarea", "id": "Field_internal", "key": "internal", "disabled": True},
        {"type": "spacer", "id": "Spacer_1", "height": 60},
        {"type": "separator", "id": "Separator_1"},
        {"action": "submit", "label": "提交", "type": "button", "id": "Button_submit"},
    ],
    "type": "default",
    "id": "Form_permit",
    "exporter": {"name": "Camunda Modeler", "version": "5.17.0"},
    "executionPlatform": "Camunda Cloud",
    "executionPlatformVersion": "8.3.0",
    "schemaVersion": 12,
}

VALID_HTML_POST: dict[str, Any] = {
    "company_name": "  福州某建设有限公司 ",
    "uscc": VALID_USCC,
    "phone": "0591-87654321",
    "project_code": "2024-FZ",
    "legal_name": "张三",
    "legal_id": VALID_ID,
    "email": "zhangsan@example.com",
    "mobile": "13800138000",
    "cost": "1234.5",
    "floors": "12",
    "area": "80",
    "kind": "building",
    "channel": "counter",
    "extras": ["mail", "sms", "mail"],
    "tags": ["重点项目"],
    "agree": "on",
    "start_date": "2024-05-01",
    "slot": "09:30",
    "visit_at": "2024-05-02T14:00",
    "drawings": [{"id": "f1", "name": "总平面图.pdf", "sha256": "A" * 64}, "f2"],
    "license": [{"id": "f3", "name": "营业执照.pdf"}],
    "notes": "第一行\r\n第二行",
}


@pytest.fixture(scope="module")
def permit() -> FormDefinition:
    return load_form(json.dumps(PERMIT_FORM, ensure_ascii=False), "permit", source="permit.form")


def form_with(*components: dict[str, Any], key: str = "t") -> FormDefinition:
    return load_form(json.dumps({"components": list(components)}), key)


def schema_error(*components: dict[str, Any]) -> FormSchemaError:
    with pytest.raises(FormSchemaError) as info:
        load_form(json.dumps({"components": list(components)}), "bad", source="bad.form")
    return info.value


def id_with_checksum(body: str) -> str:
    """Independent GB 11643 checksum so tests can build IDs that fail only on the date rule."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


# --------------------------------------------------------------------------- domain validators


def test_uscc_known_good_code() -> None:
    assert is_valid_uscc(VALID_USCC)
    assert is_valid_uscc(VALID_USCC.lower())


def test_uscc_every_other_check_character_is_rejected() -> None:
    for ch in USCC_CHARSET:
        if ch != "3":
            assert not is_valid_uscc(VALID_USCC[:17] + ch), ch


def test_uscc_second_sample_follows_the_algorithm() -> None:
    # 11320700014252401B: weighted sum of the first 17 characters is 578; 578 % 31 = 20;
    # 31 - 20 = 11, and index 11 in the charset is "B", so the code IS valid. Changing the check
    # character to anything else must fail.
    assert is_valid_uscc("11320700014252401B")
    assert not is_valid_uscc("11320700014252401C")


def test_uscc_check_value_31_maps_to_zero() -> None:
    # Body 91350100M0001000D has weighted sum 992 = 32 * 31, so 31 - (992 % 31) = 31, which the
    # standard maps to check value 0 (character "0"), not to an out-of-range index.
    assert is_valid_uscc("91350100M0001000D0")
    assert not is_valid_uscc("91350100M0001000D1")


@pytest.mark.parametrize(
    "code",
    [
        "",
        "91350100M000100Y4",  # 17 chars
        "91350100M000100Y433",  # 19 chars
        "91350100I000100Y43",  # I is not in the charset
        "91350100O000100Y43",  # O is not in the charset
        "9135010OM000100Y43",  # region code (positions 3-8) must be digits
        "９1350100M000100Y43",  # full-width digit
        None,
        91350100,
    ],
)
def test_uscc_rejects_malformed(code: object) -> None:
    assert not is_valid_uscc(code)


def test_uscc_of_a_letter_authority_is_accepted() -> None:
    """GB 32100: 登记管理部门 N (农业) registers rural collectives; stdnum's own validate wants 8 digits."""
    from stdnum.cn import uscc

    assert not uscc.is_valid("N2350100MA2XY1234M")  # why the format check is ours
    assert is_valid_uscc("N2350100MA2XY1234M")
    assert not is_valid_uscc("N2350100MA2XY1234N")


def test_checksums_give_the_chinese_message_for_a_bad_number(permit: FormDefinition) -> None:
    ok = validate_submission(permit, dict(VALID_HTML_POST, uscc="91350100M000100Y43", legal_id=VALID_ID))
    assert ok.errors == {}
    bad = validate_submission(permit, dict(VALID_HTML_POST, uscc="91350100M000100Y42", legal_id=VALID_ID[:17] + "1"))
    assert bad.errors == {"uscc": "统一社会信用代码格式或校验位不正确", "legal_id": "居民身份证号码不正确"}


def test_resident_id_standard_sample() -> None:
    assert is_valid_resident_id(VALID_ID)
    assert is_valid_resident_id(VALID_ID.lower())
    assert not is_valid_resident_id(VALID_ID[:17] + "1")
    assert not is_valid_resident_id("11010519491231002")


def test_resident_id_checks_birth_date() -> None:
    # Build IDs with a correct checksum so only the date rule can reject them.
    assert is_valid_resident_id(id_with_checksum("11010519800229001")) is True  # 1980 is a leap year
    assert is_valid_resident_id(id_with_checksum("11010519810229001")) is False  # 1981 is not
    assert is_valid_resident_id(id_with_checksum("11010519800230001")) is False  # 30 February
    assert is_valid_resident_id(id_with_checksum("11010519801301001")) is False  # month 13
    future = date.today() + timedelta(days=400)
    assert is_valid_resident_id(id_with_checksum(f"110105{future:%Y%m%d}001")) is False
    assert is_valid_resident_id(id_with_checksum("11010519800228001")) is True


def test_mobile_phone_email() -> None:
    assert is_valid_mobile("13800138000")
    assert is_valid_mobile("19912345678")
    for bad in ["12800138000", "1380013800", "138001380001", "+8613800138000", "１３８００１３８０００", 13800138000]:
        assert not is_valid_mobile(bad), bad
    for good in ["025-12345678", "02512345678", "010-1234567", "0755-8765432", "13800138000", "025-12345678-801"]:
        assert is_valid_phone(good), good
    for bad in ["12345", "025-0123456", "25-12345678", "phone", "025 12345678"]:
        assert not is_valid_phone(bad), bad
    assert is_valid_email("a.b+c@example.gov.cn")
    for bad in ["a@b", "a@@b.cn", "@b.cn", "a b@c.cn", "a@-b.cn", "x" * 65 + "@b.cn"]:
        assert not is_valid_email(bad), bad


def test_domain_validator_table() -> None:
    assert set(DOMAIN_VALIDATORS) == {"uscc", "idcard", "mobile", "email", "phone"}
    assert DOMAIN_VALIDATORS["idcard"].message == "居民身份证号码不正确"
    assert DOMAIN_VALIDATORS["mobile"].message == "手机号码格式不正确"
    assert DOMAIN_VALIDATORS["uscc"].check(VALID_USCC)


# --------------------------------------------------------------------------- loading


def test_load_camunda_modeler_form(permit: FormDefinition) -> None:
    assert permit.key == "permit"
    assert permit.title == "建设工程施工许可申请"
    assert permit.schema_version == 12
    assert permit.raw["exporter"]["name"] == "Camunda Modeler"
    keys = [f.key for f in permit.fields]
    assert keys[:8] == ["company_name", "uscc", "phone", "project_code", "legal_name", "legal_id", "email", "mobile"]
    assert "ref_no" in keys and "internal" in keys  # still fields, just not submittable
    types = [c.type for c in permit.components]
    assert types[0] == "text" and types[-3:] == ["spacer", "separator", "button"]
    group = permit.components[5]
    assert group.type == "group" and group.label == "法定代表人" and group.field is None
    assert [c.key for c in group.children] == ["legal_name", "legal_id", None]
    assert [c.key for c in group.children[2].children] == ["email", "mobile"]
    assert group.children[2].children[0].field is permit.field("email")


def test_field_attributes(permit: FormDefinition) -> None:
    assert permit.field("phone").validator == "phone"
    assert permit.field("email").validator == "email"
    assert permit.field("uscc").validator == "uscc"
    assert permit.field("uscc").properties == {"validator": "uscc"}
    assert permit.field("company_name").required and permit.field("company_name").max_length == 50
    cost = permit.field("cost")
    assert (cost.min, cost.max, cost.decimal_digits) == (0.0, 100000.0, 2)
    assert permit.field("kind").options == (("building", "房屋建筑"), ("municipal", "市政基础设施"))
    assert permit.field("channel").default == "online"
    assert permit.field("tags").options == () and not permit.field("tags").has_static_options
    assert permit.field("start_date").label == "计划开工日期" and permit.field("start_date").subtype == "date"
    assert permit.field("slot").subtype == "time" and permit.field("slot").label == "预约时间"
    drawings = permit.field("drawings")
    assert drawings.multiple and drawings.accept == ".pdf,.dwg"
    assert not permit.field("license").multiple
    assert permit.field("ref_no").readonly and permit.field("internal").disabled
    with pytest.raises(KeyError):
        permit.field("nope")


def test_load_from_bytes_with_bom_and_title_fallbacks() -> None:
    text = json.dumps({"components": [], "title": "自定义标题"}, ensure_ascii=False)
    assert load_form(("\ufeff" + text).encode("utf-8"), "a").title == "自定义标题"
    no_heading = {"components": [{"type": "text", "text": "普通说明"}]}
    assert load_form(json.dumps(no_heading), "b_form").title == "b_form"


def test_duplicate_key_names_component() -> None:
    err = schema_error(
        {"type": "textfield", "key": "name", "id": "Field_a"},
        {"type": "group", "id": "Group_1", "components": [{"type": "textarea", "key": "name", "id": "Field_b"}]},
    )
    assert err.component_id == "Field_b"
    assert "Field_a" in err.message
    assert str(err).startswith("表单 bad.form 组件 Field_b: ")


def test_bad_regex_names_component() -> None:
    err = schema_error({"type": "textfield", "key": "code", "id": "Field_code", "validate": {"pattern": "[0-9"}})
    assert err.component_id == "Field_code"
    assert "pattern" in err.message


def test_unknown_type_names_component() -> None:
    err = schema_error({"type": "signature", "key": "sig", "id": "Field_sig"})
    assert err.component_id == "Field_sig"
    assert "signature" in err.message


@pytest.mark.parametrize(
    ("component", "needle"),
    [
        ({"type": "textfield", "id": "F"}, "key"),
        ({"type": "textfield", "id": "F", "key": "a.b"}, "key"),
        ({"type": "number", "id": "F", "key": "n", "validate": {"min": 10, "max": 1}}, "min"),
        ({"type": "textfield", "id": "F", "key": "t", "validate": {"minLength": 5, "maxLength": 2}}, "minLength"),
        ({"type": "select", "id": "F", "key": "s"}, "values"),
        ({"type": "radio", "id": "F", "key": "s", "values": []}, "values"),
        ({"type": "checklist", "id": "F", "key": "s", "values": [{"value": "a"}, {"value": "a"}]}, "重复"),
        ({"type": "textfield", "id": "F", "key": "t", "validate": {"validationType": "fax"}}, "validationType"),
        ({"type": "textfield", "id": "F", "key": "t", "properties": {"validator": "passport"}}, "validator"),
        (
            {
                "type": "textfield",
                "id": "F",
                "key": "t",
                "properties": {"validator": "mobile"},
                "validate": {"validationType": "email"},
            },
            "冲突",
        ),
        ({"type": "textfield", "id": "F", "key": "t", "readonly": "=status = 'done'"}, "FEEL"),
        ({"type": "textfield", "id": "F", "key": "t", "conditional": {"hide": "=a"}}, "conditional"),
        ({"type": "group", "id": "F", "path": "applicant", "components": []}, "path"),
        ({"type": "datetime", "id": "F", "key": "d", "subtype": "week"}, "subtype"),
        ({"type": "number", "id": "F", "key": "n", "decimalDigits": -1}, "decimalDigits"),
        ({"type": "number", "id": "F", "key": "n", "properties": {"validator": "uscc"}}, "validator"),
    ],
)
def test_schema_errors(component: dict[str, Any], needle: str) -> None:
    err = schema_error(component)
    assert err.component_id == "F"
    assert needle in err.message


def test_all_problems_of_one_file_are_collected() -> None:
    err = schema_error(
        {"type": "mystery", "id": "A"},
        {"type": "textfield", "id": "B", "validate": {"pattern": "("}},
        {"type": "textfield", "key": "ok", "id": "C", "validate": {"pattern": "("}},
    )
    assert [p.component_id for p in err.problems] == ["A", "B", "C"]


def test_component_without_id_is_located_by_path() -> None:
    err = schema_error({"type": "group", "components": [{"type": "unknown"}]})
    assert err.component_id == "components[0].components[0]"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[]", "JSON 对象"),
        ('{"components": {}}', "components"),
        ("{}", "components"),
        ("{not json", "JSON"),
        ('{"components": [], "x": NaN}', "JSON"),
        (b"\xff\xfe{}", "UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "JSON"),
        ('{"components": [], "pad": "' + "x" * (512 * 1024) + '"}', "KiB"),
    ],
)
def test_document_level_errors(text: str | bytes, needle: str) -> None:
    with pytest.raises(FormSchemaError) as info:
        load_form(text, "doc", source="doc.form")
    assert info.value.component_id is None
    assert needle in info.value.message


def test_too_deep_groups_rejected() -> None:
    node: dict[str, Any] = {"type": "textfield", "key": "leaf"}
    for _ in range(30):
        node = {"type": "group", "components": [node]}
    with pytest.raises(FormSchemaError, match="嵌套"):
        form_with(node)


# --------------------------------------------------------------------------- registry


def test_registry_from_directory_reports_every_broken_file(tmp_path: Path) -> None:
    (tmp_path / "good.form").write_text(json.dumps(PERMIT_FORM, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "other.form").write_text('{"components": []}', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a form", encoding="utf-8")
    (tmp_path / "dup.form").write_text(
        json.dumps(
            {"components": [{"type": "textfield", "key": "a", "id": "X1"}, {"type": "number", "key": "a", "id": "X2"}]}
        ),
        encoding="utf-8",
    )
    (tmp_path / "regex.form").write_text(
        json.dumps({"components": [{"type": "textfield", "key": "a", "id": "R1", "validate": {"pattern": "(?P<"}}]}),
        encoding="utf-8",
    )
    with pytest.raises(FormRegistryError) as info:
        FormRegistry.from_directory(tmp_path)
    problems = info.value.problems
    assert sorted((Path(p.source).name, p.component_id) for p in problems) == [("dup.form", "X2"), ("regex.form", "R1")]
    assert "dup.form" in str(info.value) and "regex.form" in str(info.value)

    (tmp_path / "dup.form").unlink()
    (tmp_path / "regex.form").unlink()
    registry = FormRegistry.from_directory(tmp_path)
    assert registry.keys() == ("good", "other")
    assert "good" in registry and "notes" not in registry and ["x"] not in registry
    assert registry.get("good").field("uscc").validator == "uscc"


def test_registry_get_unknown_and_add() -> None:
    registry = FormRegistry.from_mapping({"a": '{"components": []}'})
    with pytest.raises(UnknownForm) as info:
        registry.get("missing")
    assert str(info.value) == "未找到表单：missing"
    assert isinstance(info.value, KeyError)
    registry.add(load_form('{"components": []}', "b"))
    assert registry.keys() == ("a", "b")
    with pytest.raises(FormRegistryError):
        registry.add(load_form('{"components": []}', "b"))
    registry.add(load_form('{"components": [], "title": "新"}', "b"), replace=True)
    assert registry.get("b").title == "新"


def test_registry_from_mapping_collects_problems() -> None:
    with pytest.raises(FormRegistryError) as info:
        FormRegistry.from_mapping(
            {"x": "{", "y": '{"components": [{"type": "nope", "id": "N"}]}', "ok": '{"components": []}'}
        )
    assert sorted(p.source for p in info.value.problems) == ["x", "y"]


# --------------------------------------------------------------------------- validation


def test_valid_html_submission(permit: FormDefinition) -> None:
    result = validate_submission(permit, VALID_HTML_POST)
    assert result.ok, result.errors
    v = result.values
    assert v["company_name"] == "福州某建设有限公司"
    assert v["cost"] == 1234.5 and isinstance(v["cost"], float)
    assert v["floors"] == 12 and isinstance(v["floors"], int)
    assert v["area"] == 80 and isinstance(v["area"], int)
    assert v["extras"] == ["mail", "sms"]
    assert v["tags"] == ["重点项目"]
    assert v["agree"] is True and v["urgent"] is False
    assert v["start_date"] == "2024-05-01" and v["slot"] == "09:30" and v["visit_at"] == "2024-05-02T14:00"
    assert v["drawings"] == [{"id": "f1", "name": "总平面图.pdf", "sha256": "a" * 64}, "f2"]
    assert v["notes"] == "第一行\n第二行"
    assert set(v) == {f.key for f in permit.fields} - {"ref_no", "internal"}
    json.dumps(v)  # JSON-safe


def test_valid_json_submission_typed(permit: FormDefinition) -> None:
    data = dict(VALID_HTML_POST, cost=99, floors=3.0, area=0.5, agree=True, extras=[], start_date=date(2024, 5, 1))
    result = validate_submission(permit, data)
    assert result.ok, result.errors
    assert result.values["cost"] == 99.0 and isinstance(result.values["cost"], float)  # decimalDigits=2
    assert result.values["floors"] == 3 and isinstance(result.values["floors"], int)
    assert result.values["area"] == 0.5
    assert result.values["extras"] == []
    assert result.values["start_date"] == "2024-05-01"


def test_unknown_readonly_and_disabled_keys_dropped(permit: FormDefinition) -> None:
    data = dict(VALID_HTML_POST, is_admin="1", ref_no="FORGED", internal="批准", __proto__="x")
    result = validate_submission(permit, data)
    assert result.ok
    for key in ("is_admin", "ref_no", "internal", "__proto__"):
        assert key not in result.values


def test_optional_missing_fields_get_empty_values(permit: FormDefinition) -> None:
    required_only = {k: VALID_HTML_POST[k] for k in ("company_name", "uscc", "legal_name", "cost", "kind", "agree")}
    result = validate_submission(permit, dict(required_only, start_date="2024-05-01", phone="  "))
    assert result.ok, result.errors
    v = result.values
    assert v["phone"] is None and v["floors"] is None and v["channel"] is None
    assert v["extras"] == [] and v["drawings"] == [] and v["urgent"] is False


def test_required_messages(permit: FormDefinition) -> None:
    result = validate_submission(permit, {"company_name": "   ", "extras": []})
    e = result.errors
    assert e["company_name"] == "请填写单位名称"
    assert e["cost"] == "请填写工程造价（万元）"
    assert e["kind"] == "请选择工程类别"
    assert e["agree"] == "请选择我已阅读并同意告知承诺书"
    assert e["start_date"] == "请选择计划开工日期"
    assert "extras" not in e and "phone" not in e
    assert not result.ok
    unlabeled = form_with({"type": "textfield", "key": "x", "validate": {"required": True}})
    assert validate_submission(unlabeled, {}).errors == {"x": "此项为必填项"}
    files = form_with({"type": "filepicker", "key": "f", "label": "附件", "validate": {"required": True}})
    assert validate_submission(files, {"f": []}).errors == {"f": "请上传附件"}


def test_text_rules(permit: FormDefinition) -> None:
    def errors(**changes: Any) -> dict[str, str]:
        return validate_submission(permit, dict(VALID_HTML_POST, **changes)).errors

    assert errors(legal_name="张") == {"legal_name": "姓名至少2个字符"}
    assert errors(company_name="公" * 51) == {"company_name": "单位名称最多50个字符"}
    assert errors(company_name="公" * 50) == {}
    assert errors(project_code="2024-FZ-extra") == {"project_code": "项目代码格式不正确"}  # fullmatch, not search
    assert errors(project_code="x2024-FZ") == {"project_code": "项目代码格式不正确"}
    assert errors(uscc="91350100M000100Y44") == {"uscc": DOMAIN_VALIDATORS["uscc"].message}
    assert errors(legal_id="110105194912310021") == {"legal_id": "居民身份证号码不正确"}
    assert errors(mobile="12345678901") == {"mobile": "手机号码格式不正确"}
    assert errors(email="not-an-email") == {"email": "电子邮箱格式不正确"}
    assert errors(phone="12345") == {"phone": "电话号码格式不正确"}
    assert errors(company_name="公司\x00名") == {"company_name": "单位名称包含无效字符"}
    assert errors(notes="x" * 201) == {"notes": "备注最多200个字符"}


def test_domain_values_are_uppercased(permit: FormDefinition) -> None:
    result = validate_submission(permit, dict(VALID_HTML_POST, legal_id=VALID_ID.lower(), uscc=VALID_USCC.lower()))
    assert result.ok
    assert result.values["legal_id"] == VALID_ID and result.values["uscc"] == VALID_USCC


def test_hard_length_caps() -> None:
    form = form_with({"type": "textfield", "key": "t", "label": "T"}, {"type": "textarea", "key": "a", "label": "A"})
    assert validate_submission(form, {"t": "x" * 10_000, "a": "y" * 100_000}).ok
    result = validate_submission(form, {"t": "x" * 10_001, "a": "y" * 100_001})
    assert result.errors == {"t": "T内容过长（最多10000个字符）", "a": "A内容过长（最多100000个字符）"}
    huge = validate_submission(form, {"t": "x" * 5_000_000})
    assert "t" in huge.errors and len(huge.values["t"]) <= 100_000


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.5", 12.5),
        (" 7 ", 7),
        ("-0.25", -0.25),
        (3, 3),
        (2.0, 2),
        ("100000", 100000),
    ],
)
def test_number_accepts(raw: Any, expected: float) -> None:
    form = form_with({"type": "number", "key": "n", "label": "数量", "validate": {"min": -1, "max": 100000}})
    result = validate_submission(form, {"n": raw})
    assert result.ok, result.errors
    assert result.values["n"] == expected
    assert type(result.values["n"]) is type(expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1,000", "数量必须是数字"),
        ("12a", "数量必须是数字"),
        ("1e3", "数量必须是数字"),
        ("0x10", "数量必须是数字"),
        ("١٢", "数量必须是数字"),  # Arabic-Indic digits
        (True, "数量必须是数字"),
        (float("nan"), "数量必须是数字"),
        (float("inf"), "数量必须是数字"),
        ("Infinity", "数量必须是数字"),
        ([1], "数量必须是数字"),
        ({"v": 1}, "数量必须是数字"),
        (10**400, "数量必须是数字"),
        ("9" * 101, "数量必须是数字"),
        ("-1.5", "数量不能小于-1"),
        (100000.01, "数量不能大于100000"),
    ],
)
def test_number_rejects(raw: Any, message: str) -> None:
    form = form_with({"type": "number", "key": "n", "label": "数量", "validate": {"min": -1, "max": 100000}})
    assert validate_submission(form, {"n": raw}).errors == {"n": message}


def test_number_decimal_digits(permit: FormDefinition) -> None:
    def check(**changes: Any) -> Any:
        return validate_submission(permit, dict(VALID_HTML_POST, **changes))

    assert check(cost="12.345").errors == {"cost": "工程造价（万元）最多2位小数"}
    assert check(cost="12.340").values["cost"] == 12.34  # trailing zeros are not extra precision
    assert check(cost="12").values["cost"] == 12.0 and isinstance(check(cost="12").values["cost"], float)
    assert check(floors="3.5").errors == {"floors": "楼层数必须是整数"}
    assert check(floors="3.0").values["floors"] == 3
    assert check(floors="0").errors == {"floors": "楼层数不能小于1"}
    assert check(area="0.4").errors == {"area": "面积不能小于0.5"}


def test_select_and_radio(permit: FormDefinition) -> None:
    def errors(**changes: Any) -> dict[str, str]:
        return validate_submission(permit, dict(VALID_HTML_POST, **changes)).errors

    assert errors(kind="房屋建筑") == {"kind": "工程类别的选项无效"}  # label is not the value
    assert errors(kind=["building"]) == {"kind": "工程类别的选项无效"}
    assert errors(channel="fax") == {"channel": "申请方式的选项无效"}
    assert errors(channel=1) == {"channel": "申请方式的选项无效"}


def test_dynamic_select_accepts_any_string() -> None:
    form = form_with({"type": "select", "key": "dept", "label": "部门", "valuesKey": "departments"})
    assert validate_submission(form, {"dept": "任意部门"}).values == {"dept": "任意部门"}
    assert validate_submission(form, {"dept": {"x": 1}}).errors == {"dept": "部门的选项无效"}


def test_checklist_and_taglist(permit: FormDefinition) -> None:
    def run(**changes: Any) -> Any:
        return validate_submission(permit, dict(VALID_HTML_POST, **changes))

    assert run(extras=["visit", "mail", "visit"]).values["extras"] == ["visit", "mail"]
    assert run(extras="sms").values["extras"] == ["sms"]  # a single checked box from a flat dict
    assert run(extras=["mail", "fly"]).errors == {"extras": "附加服务的选项无效"}
    assert run(extras=["mail", 3]).errors == {"extras": "附加服务的选项无效"}
    assert run(extras={"mail": True}).errors == {"extras": "附加服务的选项无效"}
    assert run(tags=["a", "b", "a"]).values["tags"] == ["a", "b"]
    assert run(tags=[["nested"]]).errors == {"tags": "标签的选项无效"}


def test_checkbox_values(permit: FormDefinition) -> None:
    def run(**changes: Any) -> Any:
        return validate_submission(permit, dict(VALID_HTML_POST, **changes))

    for truthy in ("on", "true", "1", "TRUE", True, 1):
        assert run(urgent=truthy).values["urgent"] is True, truthy
    for falsy in ("false", "0", "", False, 0, None):
        assert run(urgent=falsy).values["urgent"] is False, falsy
    assert run(urgent="maybe").errors == {"urgent": "加急的值无效"}
    assert run(urgent=[True]).errors == {"urgent": "加急的值无效"}
    assert run(agree="false").errors == {"agree": "请选择我已阅读并同意告知承诺书"}
    without_agree = {k: v for k, v in VALID_HTML_POST.items() if k != "agree"}
    assert validate_submission(permit, without_agree).errors == {"agree": "请选择我已阅读并同意告知承诺书"}


@pytest.mark.parametrize(
    ("key", "raw", "ok"),
    [
        ("start_date", "2024-02-29", True),
        ("start_date", "2023-02-29", False),
        ("start_date", "20240101", False),  # date.fromisoformat accepts it on 3.11; form-js never sends it
        ("start_date", "2024-W01-1", False),
        ("start_date", "2024-05-01T10:00", False),
        ("start_date", 20240501, False),
        ("slot", "23:59", True),
        ("slot", "09:30+08:00", True),
        ("slot", "24:00", False),
        ("slot", "9:30", False),
        ("visit_at", "2024-05-02T14:00:30", True),
        ("visit_at", "2024-05-02T14:00Z", True),
        ("visit_at", "2024-05-02T14:00+08:00", True),
        ("visit_at", "2024-05-02 14:00", False),
        ("visit_at", "2024-13-02T14:00", False),
    ],
)
def test_datetime(permit: FormDefinition, key: str, raw: Any, ok: bool) -> None:
    result = validate_submission(permit, dict(VALID_HTML_POST, **{key: raw}))
    if ok:
        assert result.ok, result.errors
        assert result.values[key] == raw
    else:
        label = permit.field(key).label
        expected = f"{label}时间格式不正确" if key == "slot" else f"{label}日期格式不正确"
        assert result.errors == {key: expected}


def test_filepicker(permit: FormDefinition) -> None:
    def run(**changes: Any) -> Any:
        return validate_submission(permit, dict(VALID_HTML_POST, **changes))

    assert run(license=[{"id": "a"}, {"id": "b"}]).errors == {"license": "营业执照只能上传一个文件"}
    assert run(license={"sha256": "b" * 64, "name": "x.pdf"}).values["license"] == [
        {"sha256": "b" * 64, "name": "x.pdf"}
    ]
    assert run(license="file-123").values["license"] == ["file-123"]
    for bad in ({"name": "x.pdf"}, {"id": "a", "meta": {"x": 1}}, {"sha256": "nothex"}, {"id": "a", "name": 5}, 42):
        assert run(license=[bad]).errors == {"license": "营业执照的文件信息无效"}, bad
    assert run(drawings=[f"f{i}" for i in range(101)]).errors == {"drawings": "施工图纸文件数量过多（最多100个）"}


def test_values_kept_for_rerendering(permit: FormDefinition) -> None:
    result = validate_submission(permit, dict(VALID_HTML_POST, cost="abc", mobile="123", extras=["mail", "bogus"]))
    assert set(result.errors) == {"cost", "mobile", "extras"}
    assert result.values["cost"] == "abc"
    assert result.values["mobile"] == "123"
    assert result.values["extras"] == ["mail", "bogus"]
    assert result.values["company_name"] == "福州某建设有限公司"  # valid fields stay cleaned


class MultiDictLike(Mapping[str, str]):
    """Mimics werkzeug's MultiDict: item access gives the first value, getlist gives all."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def __getitem__(self, key: str) -> str:
        for k, v in self._pairs:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for k, _ in self._pairs))

    def __len__(self) -> int:
        return len(set(k for k, _ in self._pairs))

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._pairs if k == key]


def test_multidict_input_keeps_all_checklist_values(permit: FormDefinition) -> None:
    pairs = [(k, v) for k, v in VALID_HTML_POST.items() if k not in ("extras", "drawings", "license", "tags")]
    pairs += [("extras", "mail"), ("extras", "visit"), ("drawings", "f1"), ("drawings", "f2")]
    result = validate_submission(permit, MultiDictLike(pairs))
    assert result.ok, result.errors
    assert result.values["extras"] == ["mail", "visit"]
    assert result.values["drawings"] == ["f1", "f2"]


HOSTILE: list[Any] = [
    None,
    True,
    0,
    -1,
    2**70,
    10**5000,
    1.5,
    float("nan"),
    "",
    " ",
    "x" * 300_000,
    "\x00",
    "\ud800",
    [],
    [None],
    [[[]]],
    [{"id": {}}],
    {},
    {"id": "x", "sha256": None},
    {1: 2},
    b"bytes",
    object(),
    ("a", "b"),
    {"a", "b"},
]


def test_hostile_values_never_raise(permit: FormDefinition) -> None:
    for value in HOSTILE:
        data = {f.key: value for f in permit.fields}
        result = validate_submission(permit, data)
        assert isinstance(result.errors, dict)
        assert "ref_no" not in result.values
        assert all(isinstance(msg, str) and msg for msg in result.errors.values())


def test_non_mapping_submission() -> None:
    form = form_with({"type": "textfield", "key": "t", "label": "T", "validate": {"required": True}})
    result = validate_submission(form, ["t", "x"])  # type: ignore[arg-type]
    assert not result.ok
    assert result.errors[""] == "提交的数据格式不正确"
    assert result.errors["t"] == "请填写T"
