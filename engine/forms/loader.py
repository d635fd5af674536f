"""Load form definitions written in the form-js JSON schema (Camunda Modeler ``.form`` files).

The loader is deliberately strict: anything the server cannot enforce (FEEL expressions in
``readonly``/``disabled``, conditional visibility, nested data paths, unknown component types) is
refused at load time. Silently ignoring such settings would make the server accept or demand data
differently from what the designer saw in the modeler, and that mismatch is found only by citizens.
"""

from __future__ import annotations

import json
import math
import re
from types import MappingProxyType
from typing import Any

from .errors import FormSchemaError
from .model import DATETIME_SUBTYPES
from .model import DISPLAY_TYPES
from .model import INPUT_TYPES
from .model import LAYOUT_TYPES
from .model import MAX_FORM_BYTES
from .model import OPTION_TYPES
from .model import TEXT_TYPES
from .model import FormComponent
from .model import FormDefinition
from .model import FormField
from .validators import DOMAIN_VALIDATORS

MAX_GROUP_DEPTH = 16

# form-js writes "email"/"phone"; they map onto our domain validators of the same name.
_VALIDATION_TYPES = frozenset({"email", "phone"})

# Field keys become variable names in the process and keys in JSON; dots or brackets would mean
# nested paths in form-js, which this flat model does not support.
_FIELD_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
# Form keys end up in URLs and file names.
_FORM_KEY_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_HEADING_RE = re.compile(r"#{1,6}[ \t]+(.+?)[ \t#]*")


class _Loader:
    """Walks one parsed form and collects every problem instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[FormSchemaError] = []
        self.keys: dict[str, str] = {}
        self.fields: list[FormField] = []
        self.first_heading: str | None = None

    def problem(self, component_id: str | None, message: str) -> None:
        self.problems.append(FormSchemaError(self.source, component_id, message))

    def components(self, items: object, path: str, depth: int) -> tuple[FormComponent, ...]:
        if not isinstance(items, list):
            self.problem(path or None, "components 必须是数组（components must be a list）")
            return ()
        if depth > MAX_GROUP_DEPTH:
            self.problem(path or None, f"分组嵌套超过 {MAX_GROUP_DEPTH} 层（groups nested too deeply）")
            return ()
        result: list[FormComponent] = []
        for index, item in enumerate(items):
            item_path = f"{path}.components[{index}]" if path else f"components[{index}]"
            component = self.component(item, item_path, depth)
            if component is not None:
                result.append(component)
        return tuple(result)

    def component(self, obj: object, path: str, depth: int) -> FormComponent | None:
        if not isinstance(obj, dict):
            self.problem(path, "组件必须是 JSON 对象（component must be an object）")
            return None
        cid = _component_id(obj, path)
        ctype = obj.get("type")
        if not isinstance(ctype, str) or not ctype:
            self.problem(cid, "组件缺少 type（missing component type）")
            return None
        label = _str_or_empty(obj.get("label"))
        raw = MappingProxyType(obj)
        known = INPUT_TYPES | LAYOUT_TYPES | DISPLAY_TYPES
        if ctype not in known:
            self.problem(cid, f"不支持的组件类型 {ctype!r}（unknown component type）")
            return None
        self.check_conditional(obj, cid)
        if ctype == "group":
            group_path = obj.get("path")
            if group_path not in (None, ""):
                self.problem(cid, "不支持分组的 path（nested data paths are not supported）")
            children = self.components(obj.get("components", []), path, depth + 1)
            return FormComponent(type=ctype, id=_opt_str(obj.get("id")), label=label, children=children, raw=raw)
        if ctype in DISPLAY_TYPES:
            text = None
            if ctype == "text":
                text = _str_or_empty(obj.get("text"))
                if self.first_heading is None:
                    self.first_heading = _heading(text)
            return FormComponent(type=ctype, id=_opt_str(obj.get("id")), label=label, text=text, raw=raw)
        form_field = self.field(obj, cid, ctype)
        if form_field is None:
            return None
        self.fields.append(form_field)
        return FormComponent(
            type=ctype,
            id=_opt_str(obj.get("id")),
            key=form_field.key,
            label=form_field.label,
            field=form_field,
            raw=raw,
        )

    def check_conditional(self, obj: dict[str, Any], cid: str) -> None:
        conditional = obj.get("conditional")
        if conditional is None:
            return
        if not isinstance(conditional, dict):
            self.problem(cid, "conditional 必须是对象（conditional must be an object）")
            return
        hide = conditional.get("hide")
        if hide not in (None, "", False):
            self.problem(cid, "服务端不支持条件显示（conditional.hide 表达式无法在服务端校验）")

    def flag(self, obj: dict[str, Any], name: str, cid: str) -> bool:
        value = obj.get(name, False)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.startswith("="):
            self.problem(cid, f"{name} 不支持 FEEL 表达式（expressions are not supported server-side）")
        else:
            self.problem(cid, f"{name} 必须是布尔值（{name} must be true/false）")
        return False

    def field(self, obj: dict[str, Any], cid: str, ctype: str) -> FormField | None:
        key = obj.get("key")
        if not isinstance(key, str) or not key:
            self.problem(cid, "输入组件缺少 key（input component without key）")
            return None
        if not _FIELD_KEY_RE.fullmatch(key):
            self.problem(cid, f"key {key!r} 无效：只能使用字母、数字和下划线，且不能以数字开头")
            return None
        if key in self.keys:
            self.problem(cid, f"key {key!r} 与组件 {self.keys[key]} 重复（duplicate key）")
            return None
        self.keys[key] = cid

        label = _str_or_empty(obj.get("label"))
        if ctype == "datetime" and not label:
            label = _str_or_empty(obj.get("dateLabel")) or _str_or_empty(obj.get("timeLabel"))

        validate = obj.get("validate", {})
        if validate is None:
            validate = {}
        if not isinstance(validate, dict):
            self.problem(cid, "validate 必须是对象（validate must be an object）")
            validate = {}

        required = validate.get("required", False)
        if required is None:
            required = False
        if not isinstance(required, bool):
            self.problem(cid, "validate.required 必须是布尔值")
            required = False

        properties = self.properties(obj.get("properties"), cid)

        pattern: str | None = None
        min_length: int | None = None
        max_length: int | None = None
        validator: str | None = None
        if ctype in TEXT_TYPES:
            pattern = self.pattern(validate.get("pattern"), cid)
            min_length = self.length(validate.get("minLength"), "minLength", cid)
            max_length = self.length(validate.get("maxLength"), "maxLength", cid)
            if min_length is not None and max_length is not None and min_length > max_length:
                self.problem(cid, f"minLength（{min_length}）大于 maxLength（{max_length}）")
            validator = self.validator(validate.get("validationType"), properties.get("validator"), cid)
        elif "validator" in properties:
            self.problem(cid, "properties.validator 只能用于文本框（textfield/textarea）")

        min_value: float | None = None
        max_value: float | None = None
        decimal_digits: int | None = None
        if ctype == "number":
            min_value = self.number(validate.get("min"), "min", cid)
            max_value = self.number(validate.get("max"), "max", cid)
            if min_value is not None and max_value is not None and min_value > max_value:
                self.problem(cid, f"最小值 min（{min_value:g}）大于最大值 max（{max_value:g}）")
            decimal_digits = self.decimal_digits(obj.get("decimalDigits"), cid)

        options: tuple[tuple[str, str], ...] = ()
        if ctype in OPTION_TYPES:
            options = self.options(obj, cid)

        subtype: str | None = None
        if ctype == "datetime":
            raw_subtype = obj.get("subtype", "date")
            if raw_subtype not in DATETIME_SUBTYPES:
                self.problem(cid, f"datetime 的 subtype {raw_subtype!r} 无效（应为 date/time/datetime）")
            else:
                subtype = raw_subtype

        multiple = False
        accept: str | None = None
        if ctype == "filepicker":
            multiple = self.flag(obj, "multiple", cid)
            raw_accept = obj.get("accept")
            if raw_accept is not None and not isinstance(raw_accept, str):
                self.problem(cid, "accept 必须是字符串")
            elif raw_accept:
                accept = raw_accept

        description = obj.get("description")
        return FormField(
            key=key,
            type=ctype,
            label=label,
            required=required,
            pattern=pattern,
            min=min_value,
            max=max_value,
            min_length=min_length,
            max_length=max_length,
            options=options,
            validator=validator,
            subtype=subtype,
            multiple=multiple,
            accept=accept,
            description=description if isinstance(description, str) and description else None,
            default=obj.get("defaultValue"),
            readonly=self.flag(obj, "readonly", cid),
            disabled=self.flag(obj, "disabled", cid),
            decimal_digits=decimal_digits,
            properties=MappingProxyType(properties),
        )

    def properties(self, value: object, cid: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(cid, "properties 必须是对象")
            return {}
        result: dict[str, str] = {}
        for name, item in value.items():
            if not isinstance(item, str):
                self.problem(cid, f"properties.{name} 必须是字符串")
                continue
            result[name] = item
        return result

    def pattern(self, value: object, cid: str) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problem(cid, "validate.pattern 必须是字符串")
            return None
        try:
            re.compile(value)
        except re.error as exc:
            self.problem(cid, f"正则表达式 pattern 无效（invalid regex）：{exc}")
            return None
        return value

    def length(self, value: object, name: str, cid: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(cid, f"validate.{name} 必须是非负整数")
            return None
        return value

    def number(self, value: object, name: str, cid: str) -> float | None:
        if value is None or value == "":
            return None
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            self.problem(cid, f"validate.{name} 必须是数字")
            return None
        return number

    def decimal_digits(self, value: object, cid: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 20:
            self.problem(cid, "decimalDigits 必须是 0 到 20 之间的整数")
            return None
        return value

    def validator(self, validation_type: object, property_validator: str | None, cid: str) -> str | None:
        from_type: str | None = None
        if validation_type not in (None, ""):
            if validation_type not in _VALIDATION_TYPES:
                self.problem(cid, f"validate.validationType {validation_type!r} 无效（应为 email 或 phone）")
            else:
                from_type = str(validation_type)
        from_property: str | None = None
        if property_validator:
            if property_validator not in DOMAIN_VALIDATORS:
                names = "/".join(DOMAIN_VALIDATORS)
                self.problem(cid, f"properties.validator {property_validator!r} 无效（应为 {names}）")
            else:
                from_property = property_validator
        if from_type and from_property and from_type != from_property:
            self.problem(cid, f"validationType {from_type!r} 与 properties.validator {from_property!r} 冲突")
            return None
        return from_property or from_type

    def options(self, obj: dict[str, Any], cid: str) -> tuple[tuple[str, str], ...]:
        values = obj.get("values")
        if values is not None and not isinstance(values, list):
            self.problem(cid, "values 必须是数组")
            return ()
        if values:
            seen: set[str] = set()
            result: list[tuple[str, str]] = []
            for index, entry in enumerate(values):
                if not isinstance(entry, dict):
                    self.problem(cid, f"values[{index}] 必须是 {{label, value}} 对象")
                    continue
                value = entry.get("value")
                if not isinstance(value, str) or not value:
                    self.problem(cid, f"values[{index}].value 必须是非空字符串")
                    continue
                if value in seen:
                    self.problem(cid, f"选项值 {value!r} 重复（duplicate option value）")
                    continue
                seen.add(value)
                option_label = entry.get("label")
                result.append((value, option_label if isinstance(option_label, str) and option_label else value))
            return tuple(result)
        for dynamic in ("valuesKey", "valuesExpression"):
            source = obj.get(dynamic)
            if isinstance(source, str) and source:
                return ()
        self.problem(cid, "选项组件缺少选项（values 或 valuesKey）")
        return ()


def _component_id(obj: dict[str, Any], path: str) -> str:
    cid = obj.get("id")
    if isinstance(cid, str) and cid:
        return cid
    key = obj.get("key")
    if isinstance(key, str) and key:
        return key
    return path


def _str_or_empty(value: object) -> str:
    return value if isinstance(value, str) else ""


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _heading(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _HEADING_RE.fullmatch(line)
        return match.group(1).strip() if match else None
    return None


def _decode(text: str | bytes, source: str) -> str:
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_FORM_BYTES:
            raise FormSchemaError(source, None, f"文件超过 {MAX_FORM_BYTES // 1024} KiB 上限")
        try:
            return bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormSchemaError(source, None, f"文件不是有效的 UTF-8 编码：{exc.reason}") from None
    if not isinstance(text, str):
        raise FormSchemaError(source, None, "表单内容必须是字符串或字节")
    if len(text) > MAX_FORM_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FORM_BYTES:
        raise FormSchemaError(source, None, f"文件超过 {MAX_FORM_BYTES // 1024} KiB 上限")
    return text.removeprefix("\ufeff")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"不允许 {name}")


def _check_required_when(loader: _Loader) -> None:
    by_key = {f.key: f for f in loader.fields}
    for form_field in loader.fields:
        for name, condition in (("requiredWhen", form_field.required_when),
                                ("substantiveWhen", form_field.substantive_when)):
            raw = form_field.properties.get(name)
            if raw is None:
                continue
            other = by_key.get(condition[0]) if condition else None
            if condition is None or other is None or (other.options and condition[1] not in other.option_values):
                loader.problem(form_field.key, f"properties.{name} {raw!r} 应为“字段键=选项值”，且该字段与选项存在")


def parse_form(text: str | bytes, key: str, source: str) -> tuple[FormDefinition | None, list[FormSchemaError]]:
    """Parse and check one form; return the definition (if clean) and every problem found."""
    try:
        decoded = _decode(text, source)
    except FormSchemaError as exc:
        return None, [exc]
    if not isinstance(key, str) or not _FORM_KEY_RE.fullmatch(key):
        return None, [FormSchemaError(source, None, f"表单标识 {key!r} 无效：只能使用字母、数字、下划线、点和连字符")]
    try:
        document = json.loads(decoded, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, [FormSchemaError(source, None, f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}")]
    except (ValueError, RecursionError) as exc:
        return None, [FormSchemaError(source, None, f"JSON 格式错误：{exc}")]
    if not isinstance(document, dict):
        return None, [FormSchemaError(source, None, "表单根节点必须是 JSON 对象")]
    if not isinstance(document.get("components"), list):
        return None, [FormSchemaError(source, None, "缺少 components 数组")]

    loader = _Loader(source)
    components = loader.components(document["components"], "", 0)
    _check_required_when(loader)
    if loader.problems:
        return None, loader.problems

    schema_version = document.get("schemaVersion")
    if isinstance(schema_version, bool) or not isinstance(schema_version, int):
        schema_version = None
    title = document.get("title")
    if not isinstance(title, str) or not title.strip():
        title = loader.first_heading or key
    definition = FormDefinition(
        key=key,
        title=title.strip(),
        components=components,
        fields=tuple(loader.fields),
        schema_version=schema_version,
        raw=document,
    )
    return definition, []


def load_form(text: str | bytes, key: str, source: str = "<string>") -> FormDefinition:
    """Load one form-js schema; raise ``FormSchemaError`` (with all problems in ``.problems``)."""
    definition, problems = parse_form(text, key, source)
    if problems:
        first = problems[0]
        first.problems = tuple(problems)
        raise first
    assert definition is not None
    return definition
