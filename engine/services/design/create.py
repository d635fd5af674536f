"""A new matter in the designer: from the general pattern, or by copying an existing matter.

Either way the result is an editable draft of the new code (nothing is deployed): the source's newest
version's files with the matter's identity rewritten — ``code``, ``name`` and ``process_id`` in
``matter.toml``, the executable process's id (and the pool that references it) in the main diagram.
Forms and shared sub-processes are copied as they are; a ``[catalogue]`` seed table is dropped (the
copy is not the source's 事项库 entry: an administrator gives it one, or switches an entry to it).
A matter made from the pattern keeps ``entry_data = true``, so its cases read their entry's posts
and names like the pattern's do.
"""

from __future__ import annotations

import re

from engine.actors import Actor
from engine.definitions.catalog import METADATA_FILE
from engine.definitions.catalog import files_to_json
from engine.definitions.references import BPMN_NS
from engine.definitions.safexml import parse_xml
from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.errors import MatterNotFound
from engine.hidden_chars import name_problem
from engine.persistence.repositories import definitions
from engine.persistence.repositories import designs
from engine.services.context import EngineContext
from engine.services.design.common import files_of
from engine.services.design.common import read_toml
from engine.services.design.common import require_designer
from engine.services.design.drafts import main_bpmn_name
from engine.services.design.drafts import open_draft
from engine.services.design.views import DraftView

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_TOP_KEY = re.compile(r"^(code|name|process_id)\s*=.*$", re.M)


def _problem(message: str, file: str = METADATA_FILE) -> DefinitionInvalid:
    return DefinitionInvalid([DefinitionProblem(file, "", message)])


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rewrite_metadata(text: str, code: str, name: str) -> str:
    """``matter.toml`` with the new identity (the three top-level lines) and without a ``[catalogue]`` table."""
    values = {"code": code, "name": name, "process_id": code}
    text = _TOP_KEY.sub(lambda m: f"{m.group(1)} = {_toml_string(values[m.group(1)])}", text)
    lines, skipping = [], False
    for line in text.splitlines():
        header = line.strip()
        if header.startswith("["):
            skipping = header.strip("[]").strip() == "catalogue" or header.startswith("[catalogue.")
        if not skipping:
            lines.append(line)
    return "\n".join(lines).rstrip("\n") + "\n"


def rewrite_process_id(xml: str, old: str, new: str, name: str, max_bytes: int = 2 * 1024 * 1024) -> str:
    """The main diagram with its executable process (and the participant naming it) renamed ``new``.

    Only attributes change (``id``/``processRef``/``name``), textually, so DI, comments and layout stay
    exactly as the designer left them; the ids are checked to exist through a real parse first.
    """
    root = parse_xml(xml, "main.bpmn", max_bytes).getroot()
    process = next((p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == old), None)
    if process is None:
        raise _problem(f"主流程图中没有可执行流程“{old}”", "main.bpmn")
    if any(el.get("id") == new for el in root.iter() if isinstance(el.tag, str)):
        raise _problem(f"主流程图中已有 id 为“{new}”的元素", "main.bpmn")
    quoted = re.escape(old)
    xml = re.sub(rf'(<[\w:]*process\b[^>]*\bid=")({quoted})(")', rf"\g<1>{new}\g<3>", xml, count=1)
    xml = re.sub(rf'(\bprocessRef=")({quoted})(")', rf"\g<1>{new}\g<3>", xml)
    safe_name = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    xml = re.sub(rf'(<[\w:]*process\b[^>]*\bid="{re.escape(new)}"[^>]*\bname=")([^"]*)(")',
                 rf"\g<1>{safe_name}\g<3>", xml, count=1)
    return xml


def create_matter(ctx: EngineContext, actor: Actor, code: str, name: str, source: str) -> DraftView:
    """A draft of the new matter ``code`` named ``name``, copied from ``source`` (``general_permit`` for
    the pattern, or any deployed matter).

    :raise NotAllowed: the actor is not a designer.
    :raise MatterNotFound: ``source`` is not deployed.
    :raise DefinitionInvalid: a bad or taken code, an empty name (Chinese, per field); nothing stored.
    """
    require_designer(actor)
    code, name = code.strip(), " ".join(name.split())
    if not _CODE.match(code):
        raise _problem("事项代码只能包含小写字母、数字和下划线，且以字母开头（2–63 位）")
    if not name or len(name) > 100:
        raise _problem("请填写事项名称（不超过 100 字）")
    if (problem := name_problem(name)) is not None:
        raise _problem(f"事项名称{problem}")
    if not _CODE.match(source):
        raise MatterNotFound(source)
    with ctx.uow() as uow:
        if definitions.latest_definition(uow, code) is not None or designs.latest_draft(uow, code) is not None:
            raise _problem(f"事项代码“{code}”已被使用")
        record = definitions.latest_definition(uow, source, with_files=True)
        if record is None:
            raise MatterNotFound(source)
        files = files_of(record)
        old_process = str(read_toml(files.get(METADATA_FILE, "")).get("process_id", source))
        main = main_bpmn_name(files, source)
        files[METADATA_FILE] = rewrite_metadata(files[METADATA_FILE], code, name)
        renamed = rewrite_process_id(files.pop(main), old_process, code, name, ctx.settings.max_xml_bytes)
        files[f"{code}.bpmn"] = renamed
        designs.store_draft(uow, None, code, files_to_json(files), None, ctx.clock.now(), actor.user_id)
        uow.commit()
    return open_draft(ctx, code, actor)
