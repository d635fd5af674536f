"""Matter facts the diagrams name: what a document is called, which permit an element concerns.

The engine holds no matter's vocabulary. A diagram marks an element with ``document`` or
``permit`` (see processes/README.md) and the matter's data says what that means:

- a document's title comes from the matter's ``[documents.<key>] title`` in ``matter.toml``, else from
  the shared ``processes/_documents/documents.toml`` (``[<key>] title``), copied into every bundle that
  issues a document. Versions deployed before titles were data named them in the template itself
  (``{% set title = "…" %}``); that is still read, so their running cases keep their titles.
- a permit's name comes from the matter's ``[permits.<key>] name``.

The catalog refuses a diagram that names a document or permit its matter does not define.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

from engine.definitions.metadata import MatterMetadata
from engine.errors import DefinitionProblem
from engine.legal_periods import PERIOD_KINDS

DOCUMENTS_PREFIX = "_documents/"
#: The shared documents' metadata, beside their templates in ``processes/_documents/``.
DOCUMENT_TITLES_FILE = "documents.toml"
_LEGACY_TITLE = re.compile(r"""\{%-?\s*set\s+title\s*=\s*"([^"{}%]+)"\s*-?%\}""")


def shared_document_titles(files: Mapping[str, str]) -> tuple[dict[str, str], list[DefinitionProblem]]:
    """Template key -> title from the bundle's ``_documents/documents.toml`` (empty if the bundle has none)."""
    name = DOCUMENTS_PREFIX + DOCUMENT_TITLES_FILE
    text = files.get(name)
    if text is None:
        return {}, []
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, [DefinitionProblem(name, "", f"TOML 格式错误：{exc}")]
    titles: dict[str, str] = {}
    problems: list[DefinitionProblem] = []
    for key, entry in raw.items():
        title = entry.get("title") if isinstance(entry, dict) else None
        if isinstance(title, str) and title.strip():
            titles[key] = title.strip()
        else:
            problems.append(DefinitionProblem(name, key, f"文书“{key}”应写作 [{key}] 表，其中 title 为文书名称"))
    return titles, problems


def document_titles(files: Mapping[str, str], metadata: MatterMetadata | None,
                    shared: Mapping[str, str]) -> dict[str, str]:
    """Title of every document template in the bundle that has one (matter first, then shared, then legacy)."""
    titles: dict[str, str] = {}
    for name, text in files.items():
        if not (name.startswith(DOCUMENTS_PREFIX) and name.endswith(".html")):
            continue
        key = name[len(DOCUMENTS_PREFIX):-len(".html")]
        legacy = _LEGACY_TITLE.search(text)
        title = (metadata.document_title(key) if metadata is not None else None) or shared.get(key) \
            or (legacy.group(1) if legacy else None)
        if title:
            titles[key] = title
    return titles


def element_fact_problems(file: str, element_id: str, props: Mapping[str, str], titles: Mapping[str, str],
                          metadata: MatterMetadata | None) -> list[DefinitionProblem]:
    """What an element's ``document`` / ``permit`` names but the matter does not define.

    ``titles`` holds only the templates the bundle has: a missing template is the catalog's own problem.
    """
    problems = []
    key = props.get("document")
    if key and key not in titles:
        problems.append(DefinitionProblem(file, element_id, f"文书“{key}”没有名称：请在 processes/_documents/"
                                                            f"{DOCUMENT_TITLES_FILE} 的 [{key}] 或 matter.toml 的 "
                                                            f"[documents.{key}] 中写明 title"))
    permit = props.get("permit")
    if permit and metadata is not None and metadata.permit_name(permit) is None:
        problems.append(DefinitionProblem(file, element_id, f"许可“{permit}”未在 matter.toml 中定义：请添加 "
                                                            f"[permits.{permit}] 并写明 name"))
    for name in ("period", "period_ends", "period_wait"):
        if props.get(name) and props[name] not in PERIOD_KINDS:
            known = "、".join(PERIOD_KINDS)
            problems.append(DefinitionProblem(file, element_id, f"{name}（告知的期间）只能为 {known}，"
                                                                f"而不是“{props[name]}”"))
    return problems
