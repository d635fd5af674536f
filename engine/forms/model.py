"""What a loaded form is: its fields with the rules the server enforces, and its layout tree.

Frozen dataclasses, built only by the loader (``loader.py``) after every rule has been checked, so
a ``FormDefinition`` in hand is always one the server can enforce exactly as the designer drew it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from types import MappingProxyType
from typing import Any

MAX_FORM_BYTES = 512 * 1024

INPUT_TYPES = frozenset(
    {
        "textfield",
        "textarea",
        "number",
        "select",
        "radio",
        "checkbox",
        "checklist",
        "taglist",
        "datetime",
        "filepicker",
    }
)
LAYOUT_TYPES = frozenset({"group"})
DISPLAY_TYPES = frozenset({"text", "spacer", "separator", "button"})
OPTION_TYPES = frozenset({"select", "radio", "checklist", "taglist"})
TEXT_TYPES = frozenset({"textfield", "textarea"})
DATETIME_SUBTYPES = frozenset({"date", "time", "datetime"})


@dataclass(frozen=True)
class FormField:
    """An input field with every rule the server enforces, already checked for consistency."""

    key: str
    type: str
    label: str = ""
    required: bool = False
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    options: tuple[tuple[str, str], ...] = ()
    validator: str | None = None
    subtype: str | None = None
    multiple: bool = False
    accept: str | None = None
    description: str | None = None
    default: Any = None
    readonly: bool = False
    disabled: bool = False
    decimal_digits: int | None = None
    properties: Mapping[str, str] = dc_field(default_factory=lambda: MappingProxyType({}))

    @property
    def has_static_options(self) -> bool:
        """True when the option list is fixed in the schema; False for ``valuesKey`` (runtime) options.

        The loader refuses an option field with neither, so an empty ``options`` always means dynamic.
        """
        return bool(self.options)

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.options)

    @property
    def required_when(self) -> tuple[str, str] | None:
        """``properties.requiredWhen = "<key>=<value>"``: required when that option is chosen (else None).

        For lists a decision needs (the 补正 items once "需补正" is chosen): form-js has no "required
        if", and an empty list would produce a notice asking for nothing.
        """
        raw = self.properties.get("requiredWhen")
        if not raw or "=" not in raw:
            return None
        key, _, value = raw.partition("=")
        return key.strip(), value.strip()


@dataclass(frozen=True)
class FormComponent:
    """One node of the layout tree, in document order, so a renderer can walk it top to bottom.

    ``raw`` keeps the original component object for presentation-only settings (spacer height,
    button action, group outline) that the server does not need to understand.
    """

    type: str
    id: str | None = None
    key: str | None = None
    label: str = ""
    text: str | None = None
    children: tuple[FormComponent, ...] = ()
    field: FormField | None = None
    raw: Mapping[str, Any] = dc_field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)


@dataclass(frozen=True)
class FormDefinition:
    """A loaded form: the layout tree for rendering and the flat field list for validation."""

    key: str
    title: str
    components: tuple[FormComponent, ...]
    fields: tuple[FormField, ...]
    schema_version: int | None = None
    raw: Mapping[str, Any] = dc_field(default_factory=dict, repr=False, compare=False)
    _index: Mapping[str, FormField] = dc_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", MappingProxyType({f.key: f for f in self.fields}))

    def field(self, key: str) -> FormField:
        """Return the input field with ``key``; raises ``KeyError`` when the form has none."""
        return self._index[key]

