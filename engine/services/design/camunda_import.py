"""Importing a Camunda Modeler 7 / Flowable upload as a new matter or version: one or more ``.bpmn``
(call activities between them, and to ``_common``), their ``.form``/``.dmn`` files, or a zip of them.

Common Camunda content is converted (``camunda_convert``: JUEL, generated forms, assignees) and every
translation is listed for the import page; the rest is checked like any draft, with Camunda-specific
content explained (``checks``);
``matter.toml`` is built from the import form, and ``camunda:formRef`` (Camunda 7.19+) is turned into
the ``camunda:formKey`` the engine reads. Forms, templates and the shared sub-processes the diagram
uses are completed from ``forms/`` and ``processes/`` like a folder deploy.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from engine.actors import Actor
from engine.definitions.catalog import FORMS_PREFIX
from engine.definitions.catalog import METADATA_FILE
from engine.definitions.references import BPMN_NS
from engine.definitions.references import CAMUNDA_NS
from engine.definitions.safexml import parse_xml
from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.errors import UnsafeXml
from engine.persistence.repositories import definitions
from engine.services.context import EngineContext
from engine.services.deploy import deploy_files
from engine.services.design.camunda_convert import Translation
from engine.services.design.camunda_convert import convert_camunda
from engine.services.design.checks import check_bundle
from engine.services.design.checks import complete_from_processes
from engine.services.design.checks import unique
from engine.services.design.common import FORM_KEY
from engine.services.design.common import require_designer
from engine.services.design.forms import check_form
from engine.services.design.limits import LIMIT_KEYS
from engine.services.views import DeployResult


def _decode(name: str, data: bytes | str, problems: list[DefinitionProblem]) -> str | None:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(DefinitionProblem(name, "", "文件不是 UTF-8 编码的文本"))
        return None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def build_matter_toml(metadata: Mapping[str, Any], process_id: str) -> str:
    """``matter.toml`` from import form fields; ``parse_metadata`` checks the result."""
    lines = ["# 由 Camunda Modeler 文件导入生成"]
    for key in ("code", "name", "department", "implementation_code"):
        value = str(metadata.get(key) or "").strip()
        if value:
            lines.append(f"{key} = {_toml_value(value)}")
    lines.append(f"process_id = {_toml_value(process_id)}")
    case_type = str(metadata.get("case_type") or "").strip()
    if case_type:
        lines.append(f"case_type = {_toml_value(case_type)}")
    for key in LIMIT_KEYS:
        raw = metadata.get(key)
        text = str(raw if raw is not None else "").strip()
        if text.isascii() and text.isdigit():
            lines.append(f"{key} = {int(text)}")
        elif text:
            lines.append(f"{key} = {_toml_value(text)}")
    for key in ("fee", "description"):
        value = str(metadata.get(key) or "").strip()
        if value:
            lines.append(f"{key} = {_toml_value(value)}")
    for key in ("legal_basis", "conditions", "starter_groups"):
        raw = metadata.get(key)
        items = [str(x).strip() for x in raw] if isinstance(raw, list | tuple) else \
            [line.strip() for line in str(raw or "").replace(",", "\n").splitlines()] if key == "starter_groups" else \
            [line.strip() for line in str(raw or "").splitlines()]
        items = [item for item in items if item]
        if items:
            lines.append(f"{key} = {_toml_value(items)}")
    return "\n".join(lines) + "\n"


def _resolve_form_refs(root: etree._Element, forms: Mapping[str, str]) -> bool:
    """Turn Camunda 7.19+ ``camunda:formRef`` (a form's id) into our ``camunda:formKey`` (its file name)."""
    ids: dict[str, str] = {}
    for key, text in forms.items():
        try:
            form_id = json.loads(text).get("id")
        except (ValueError, AttributeError):
            continue
        if isinstance(form_id, str):
            ids[form_id] = key
    changed = False
    for element in root.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}startEvent"):
        ref = element.get(f"{{{CAMUNDA_NS}}}formRef")
        if ref and not element.get(f"{{{CAMUNDA_NS}}}formKey"):
            key = ids.get(ref) or (ref if ref in forms else None)
            if key is not None:
                element.set(f"{{{CAMUNDA_NS}}}formKey", f"camunda-forms:app:{key}.form")
                for attribute in ("formRef", "formRefBinding", "formRefVersion"):
                    element.attrib.pop(f"{{{CAMUNDA_NS}}}{attribute}", None)
                changed = True
    return changed


MAX_ZIP_ENTRIES = 50
MAX_ZIP_BYTES = 10 * 1024 * 1024


def _unzip(name: str, data: bytes | str, problems: list[DefinitionProblem]) -> dict[str, bytes]:
    """The .bpmn/.form/.dmn files of an uploaded zip (folders flattened; sizes and counts capped)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        problems.append(DefinitionProblem(name, "", "不是有效的 zip 文件"))
        return {}
    entries = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    if len(entries) > MAX_ZIP_ENTRIES or sum(i.file_size for i in entries) > MAX_ZIP_BYTES:
        problems.append(DefinitionProblem(name, "", f"zip 中文件过多或过大（最多 {MAX_ZIP_ENTRIES} 个、共 10 MB）"))
        return {}
    return {Path(i.filename).name: archive.read(i) for i in entries}


@dataclass(frozen=True)
class ImportPreview:
    """What an import would deploy: the completed bundle, every translation made, every problem left."""

    bundle: dict[str, str]
    translations: tuple[Translation, ...]
    problems: tuple[DefinitionProblem, ...]
    process_id: str


def _main_process(roots: dict[str, etree._Element], problems: list[DefinitionProblem]) -> str:
    """The executable process no other uploaded process calls (the matter's own diagram)."""
    processes = [(name, p) for name, root in roots.items() for p in root.findall(f"{{{BPMN_NS}}}process")]
    executable = [(n, p) for n, p in processes if p.get("isExecutable") == "true"] or (
        processes if len(processes) == 1 else [])
    called = {c.get("calledElement") for root in roots.values() for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    main = [(n, p) for n, p in executable if p.get("id") not in called]
    if not processes:
        problems.append(DefinitionProblem("", "", "流程图中没有流程（bpmn:process）"))
    elif len(main) != 1:
        ids = "、".join(p.get("id", "") for _, p in main) or "无"
        problems.append(DefinitionProblem(main[0][0] if main else processes[0][0], "",
                                          "上传的流程图中应有且只有一个不被其他流程调用的可执行流程"
                                          f"（isExecutable=\"true\"），现有：{ids}"))
    return main[0][1].get("id", "") if len(main) == 1 else ""


FORM_DATA = "camunda:formData"


def prepare_camunda_import(ctx: EngineContext, files: Mapping[str, bytes | str],
                           metadata: Mapping[str, Any], actor: Actor) -> ImportPreview:
    """Read, convert and check an upload (one or more ``.bpmn``, their ``.form``/``.dmn``, or a zip).

    Nothing is stored: the import page shows the result before the designer confirms.
    """
    require_designer(actor)
    problems: list[DefinitionProblem] = []
    expanded: dict[str, bytes | str] = {}
    for raw_name, data in files.items():
        name = Path(str(raw_name).replace("\\", "/")).name
        if name.lower().endswith(".zip"):
            expanded.update(_unzip(name, data, problems))
        else:
            expanded[name] = data
    texts: dict[str, str] = {}
    forms: dict[str, str] = {}
    for name, data in expanded.items():
        lower = name.lower()
        if lower.endswith((".bpmn", ".dmn")):
            text = _decode(name, data, problems)
            if text is not None:
                texts[name] = text
        elif lower.endswith(".form"):
            key = name[: -len(".form")]
            text = _decode(name, data, problems)
            if not FORM_KEY.match(key):
                problems.append(DefinitionProblem(name, "", "表单文件名只能包含字母、数字、下划线、点和连字符"))
            elif text is not None:
                checked = check_form(text, key)
                problems.extend(DefinitionProblem(f"{FORMS_PREFIX}{name}", "", error) for error in checked.errors)
                forms[key] = text
        else:
            problems.append(DefinitionProblem(name, "", "不支持的文件类型：只接受 .bpmn、.dmn、.form 文件或它们的 zip"))
    if not any(name.lower().endswith(".bpmn") for name in texts):
        problems.append(DefinitionProblem("", "", "没有上传 .bpmn 文件"))
        return ImportPreview({}, (), tuple(problems), "")
    roots: dict[str, etree._Element] = {}
    for name, text in texts.items():
        if name.lower().endswith(".bpmn"):
            try:
                roots[name] = parse_xml(text, name, ctx.settings.max_xml_bytes).getroot()
            except UnsafeXml as exc:
                problems.append(DefinitionProblem(name, "", exc.message))
    if problems:
        return ImportPreview({}, (), tuple(problems), "")
    process_id = _main_process(roots, problems)
    translations: list[Translation] = []
    for name, root in roots.items():
        made, refused = convert_camunda(name, root, forms, frozenset(e.name for e in ctx.settings.service_endpoints))
        translations.extend(made)
        problems.extend(refused)
        changed = _resolve_form_refs(root, forms)
        if made or changed:
            texts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    bundle = {**texts, METADATA_FILE: build_matter_toml(metadata, process_id)}
    bundle.update({f"{FORMS_PREFIX}{key}.form": text for key, text in forms.items()})
    bundle = complete_from_processes(ctx, bundle)
    # A generated form the conversion could not translate is reported once, with the reason, not
    # again by the checks (which only see that the task still has camunda:formData).
    untranslated = {(p.file, p.element_id) for p in problems if FORM_DATA in p.problem}
    problems.extend(p for p in check_bundle(ctx, bundle) if not (process_id == "" and p.element_id == "process_id")
                    and not ((p.file, p.element_id) in untranslated and FORM_DATA in p.problem))
    return ImportPreview(bundle, tuple(translations), tuple(unique(problems)), process_id)


def import_camunda_bundle(ctx: EngineContext, files: Mapping[str, bytes | str], metadata: Mapping[str, Any],
                          actor: Actor) -> DeployResult:
    """Check, convert and deploy a Camunda Modeler 7 / Flowable upload (see ``prepare_camunda_import``).

    ``matter.toml`` is built from ``metadata`` (code, name, department, implementation code, case type,
    limits) with ``process_id`` taken from the main executable process. Form keys may be
    ``camunda-forms:app:<file>.form`` or plain keys; ``camunda:formRef`` is resolved by form id.

    :raise DefinitionInvalid: every problem found, each naming file and element; nothing is stored.
    """
    preview = prepare_camunda_import(ctx, files, metadata, actor)
    if preview.problems:
        raise DefinitionInvalid(list(preview.problems))
    code = str(metadata.get("code") or "").strip()
    with ctx.uow() as uow:
        latest = definitions.latest_definition(uow, code)
        existing = latest.metadata.get("process_id") if latest is not None else preview.process_id
        if existing != preview.process_id:
            raise DefinitionInvalid([DefinitionProblem(
                METADATA_FILE, "code", f"事项“{code}”已存在且流程 id 不同（现有：{existing}），"
                                       "请换一个事项代码或使用相同的流程 id")])
    return deploy_files(ctx, preview.bundle, actor)
