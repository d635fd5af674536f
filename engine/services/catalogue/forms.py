"""The application form of a pattern-run matter, built from the catalogue.

= the pattern's applicant block (``forms/general_permit_application.form``) + one upload per 申请材料
of the entry version the case started on + the entry's own fields, if a designer drew them: the form
``general_permit_fields_<entry code>`` saved in the pattern's draft in the form editor and deployed
with it. Every other form of every case is the deployed version's own, except that a decision form's
provision list (``valuesKey`` ``refusal_provisions``) is the entry's 法定依据 split into provisions.

Composed forms are kept per (definition version, entry version content): both are immutable.
"""

from __future__ import annotations

from engine.catalogue.entry import CatalogueEntry
from engine.catalogue.provisions import provisions_of
from engine.decision_rules import REFUSAL_KEY
from engine.definitions.catalog import CompiledDefinition
from engine.forms import FormDefinition
from engine.forms.choices import with_choices
from engine.forms.compose import UploadSpec
from engine.forms.compose import compose_form
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.catalogue.limits import case_entry

APPLICATION_FORM = "general_permit_application"
#: The form key of an entry's own fields: ``general_permit_fields_<entry code>``.
ENTRY_FIELDS_PREFIX = "general_permit_fields_"
_NECESSITY = {"必要": "必须提交", "按需": "按需提交", "可容缺": "可容缺，受理后补交"}


def entry_fields_key(code: str) -> str:
    return f"{ENTRY_FIELDS_PREFIX}{code}"


def material_uploads(entry: CatalogueEntry) -> tuple[UploadSpec, ...]:
    """One upload field per material (``material_01``…, in the entry's order). None is required online:
    the window checks paper originals at reception and the one-time 补正 notice lists what is missing."""
    uploads = []
    for number, material in enumerate(entry.materials, start=1):
        facts = [_NECESSITY.get(material.necessity, material.necessity), f"{material.medium} {material.copies} 份",
                 material.source, *([material.note] if material.note else [])]
        uploads.append(UploadSpec(f"material_{number:02d}", material.name, "；".join(facts)))
    return tuple(uploads)


_COMPOSED: dict[tuple[str, CatalogueEntry], FormDefinition] = {}
_KEEP = 512


def _composed(compiled: CompiledDefinition, entry: CatalogueEntry) -> FormDefinition:
    key = (compiled.content_hash, entry)
    found = _COMPOSED.get(key)
    if found is None:
        extra_key = entry_fields_key(entry.code)
        extra = compiled.forms.get(extra_key) if extra_key in compiled.forms.keys() else None
        found = compose_form(compiled.forms.get(APPLICATION_FORM), material_uploads(entry), extra,
                             before_key="delivery_method", heading=f"申请材料（{entry.name}）",
                             extra_heading=f"{entry.name}的申请信息", replaced_key="application_files")
        if len(_COMPOSED) >= _KEEP:
            _COMPOSED.clear()
        _COMPOSED[key] = found
    return found


def entry_provision_lists(entry: CatalogueEntry) -> dict[str, tuple[str, ...]]:
    """The lists a pattern-run case's decision forms cite from (``valuesKey``): the entry's 法定依据,
    split into provisions, is what a 不予许可 may rest on."""
    return {REFUSAL_KEY: provisions_of(entry.legal_basis)}


def form_for_entry(compiled: CompiledDefinition, entry: CatalogueEntry | None, form_key: str) -> FormDefinition:
    """The form a task with ``form_key`` shows on a case of ``entry``: the deployed form (the
    application composed), its provision choices from the entry on a pattern-run case."""
    if entry is None or not compiled.metadata.uses_entry_data:
        return compiled.forms.get(form_key)
    form = _composed(compiled, entry) if form_key == APPLICATION_FORM else compiled.forms.get(form_key)
    return with_choices(form, entry_provision_lists(entry))


def case_form(uow: UnitOfWork, case: CaseRow, compiled: CompiledDefinition, form_key: str) -> FormDefinition:
    """The form of ``form_key`` on ``case``: composed from its 事项库 entry for a pattern-run case."""
    if not compiled.metadata.uses_entry_data:
        return compiled.forms.get(form_key)
    return form_for_entry(compiled, case_entry(uow, case), form_key)
