"""Options a form takes from the matter at run time (form-js ``valuesKey``), made static per task.

A decision form lists the provisions a refusal may cite; the list is matter data (``matter.toml``),
not part of the form, so one form serves every matter. ``with_choices`` turns each ``valuesKey``
field into a field with fixed options, so the page renders them and the server accepts nothing
else: the same resolved form is used to render the task and to validate its submission.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from collections.abc import Sequence

from .model import FormComponent
from .model import FormDefinition


def values_keys(form: FormDefinition) -> dict[str, str]:
    """field key -> the ``valuesKey`` its options come from, for every field that has one."""
    found: dict[str, str] = {}

    def walk(components: tuple[FormComponent, ...]) -> None:
        for component in components:
            source = component.raw.get("valuesKey") if component.raw else None
            if component.field is not None and isinstance(source, str) and source:
                found[component.field.key] = source
            walk(component.children)

    walk(form.components)
    return found


def with_choices(form: FormDefinition, lists: Mapping[str, Sequence[str]]) -> FormDefinition:
    """The form with each ``valuesKey`` field's options taken from ``lists`` (value = label).

    A key missing from ``lists`` leaves the field as it was (dynamic, no options to render).
    """
    keys = values_keys(form)
    resolved = {field_key: tuple((item, item) for item in lists[source])
                for field_key, source in keys.items() if lists.get(source)}
    if not resolved:
        return form
    fields = {f.key: dataclasses.replace(f, options=resolved[f.key]) if f.key in resolved else f for f in form.fields}

    def rebuild(components: tuple[FormComponent, ...]) -> tuple[FormComponent, ...]:
        return tuple(dataclasses.replace(c, field=fields[c.field.key] if c.field is not None else None,
                                         children=rebuild(c.children)) for c in components)

    return FormDefinition(key=form.key, title=form.title, components=rebuild(form.components),
                          fields=tuple(fields[f.key] for f in form.fields), schema_version=form.schema_version,
                          raw=form.raw)


__all__ = ["values_keys", "with_choices"]
