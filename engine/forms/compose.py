"""One form built from parts: a base form, an upload field per listed material, and another form's fields.

The general pattern's application form is the same for every matter it runs (the applicant block)
except for what the 事项库 entry says: its materials, one upload each, and a few fields of its own
that a designer draws in the form editor. Composing happens on the form-js JSON, and the result is
loaded and checked like any shipped form, so it renders and validates exactly as drawn.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.forms.loader import load_form
from engine.forms.model import FormDefinition


@dataclass(frozen=True)
class UploadSpec:
    """An upload field for one 申请材料."""

    key: str
    label: str
    description: str = ""
    required: bool = False


def _input_keys(components: Sequence[dict[str, Any]]) -> set[str]:
    keys: set[str] = set()
    for component in components:
        if isinstance(component.get("key"), str):
            keys.add(component["key"])
        keys |= _input_keys(component.get("components") or [])
    return keys


def compose_form(base: FormDefinition, uploads: Sequence[UploadSpec], extra: FormDefinition | None = None, *,
                 before_key: str = "", heading: str = "申请材料", extra_heading: str = "",
                 replaced_key: str = "") -> FormDefinition:
    """``base`` with a heading and ``uploads`` (then ``extra``'s components) inserted before the component
    whose key is ``before_key`` (at the end if there is none). Components of ``extra`` whose key the
    base already has are left out: the base's field wins, so the applicant block means the same everywhere.
    ``replaced_key``: a base field the uploads replace (the generic "all materials" upload), left out
    when there are uploads.

    :raise FormSchemaError: the composed form does not load (a part is inconsistent).
    """
    document = copy.deepcopy(dict(base.raw))
    components: list[dict[str, Any]] = [c for c in document.get("components") or []
                                        if not (uploads and replaced_key and c.get("key") == replaced_key)]
    taken = _input_keys(components)
    added: list[dict[str, Any]] = []
    if uploads:
        added.append({"type": "text", "id": "composed_materials_heading", "text": f"### {heading}"})
    for upload in uploads:
        if upload.key in taken:
            continue
        taken.add(upload.key)
        field: dict[str, Any] = {"type": "filepicker", "id": f"composed_{upload.key}", "key": upload.key,
                                 "label": upload.label, "multiple": True, "accept": ".pdf,.jpg,.jpeg,.png,.ofd",
                                 "validate": {"required": upload.required}}
        if upload.description:
            field["description"] = upload.description
        added.append(field)
    if extra is not None:
        extras = [c for c in copy.deepcopy(list(extra.raw.get("components") or []))
                  if not (isinstance(c.get("key"), str) and c["key"] in taken)]
        extras = [c for c in extras if not (c.get("type") == "text" and str(c.get("text", "")).startswith("# "))]
        if extras and extra_heading:
            added.append({"type": "text", "id": "composed_extra_heading", "text": f"### {extra_heading}"})
        added.extend(extras)
    at = next((number for number, c in enumerate(components) if before_key and c.get("key") == before_key),
              len(components))
    document["components"] = components[:at] + added + components[at:]
    return load_form(json.dumps(document, ensure_ascii=False), base.key, f"{base.key}（按事项组合）")
