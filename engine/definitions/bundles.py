"""Gathering everything one version of a matter needs into one bundle of files.

A bundle is frozen when deployed: the matter's diagrams and ``matter.toml``, the shared
sub-processes it may call (``_common/``), and the forms and document templates (with the shared
titles file) its diagrams name, plus the notices the engine issues itself (延期告知书, 特别程序告知书),
all copied in. A later edit of a shared form or template therefore
makes a new version instead of changing running cases underneath them. Deploying a folder, saving
a designer draft and importing a Camunda Modeler bundle all complete their files here, so they
agree on what a version holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from engine.definitions.catalog import COMMON_PREFIX
from engine.definitions.catalog import DOCUMENTS_PREFIX
from engine.definitions.catalog import FORMS_PREFIX
from engine.definitions.facts import DOCUMENT_TITLES_FILE
from engine.definitions.references import BPMN_NS
from engine.definitions.references import readable_roots
from engine.definitions.references import referenced_documents
from engine.definitions.references import referenced_form_keys
from engine.legal_time import ENGINE_DOCUMENTS

#: A form's or template's key is its file name (no directories, nothing a path could escape with).
FILE_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
LAYOUT_TEMPLATE = "_layout.html"
#: Parts every document template may include: the remedies an adverse decision states (行政许可法 art. 38).
SHARED_TEMPLATES = (LAYOUT_TEMPLATE, "_remedies.html")
MATTER_SUFFIXES = (".bpmn", ".dmn", ".toml")


def _calls_subprocess(bpmn_texts: list[str]) -> bool:
    return any(next(root.iter(f"{{{BPMN_NS}}}callActivity"), None) is not None
               for root in readable_roots(bpmn_texts))


def _bpmn_texts(bundle: Mapping[str, str]) -> list[str]:
    return [text for name, text in bundle.items() if name.endswith(".bpmn")]


def _add(bundle: dict[str, str], name: str, path: Path) -> None:
    if name not in bundle and path.is_file():
        bundle[name] = path.read_text(encoding="utf-8")


def complete_bundle(files: Mapping[str, str], *, forms_dir: Path, documents_dir: Path,
                    common_dir: Path | None) -> dict[str, str]:
    """Add what the bundle's diagrams need and the bundle lacks; files already in it are kept as they are.

    The shared sub-processes come first (when a diagram has a call activity and the bundle brings
    none of its own), so the forms and document templates *they* name are found too. Keys that are
    not plain file names are left out: the catalog then reports the missing form or template.
    """
    bundle = dict(files)
    if common_dir is not None and common_dir.is_dir() and _calls_subprocess(_bpmn_texts(bundle)) \
            and not any(name.startswith(COMMON_PREFIX) for name in bundle):
        for path in sorted(common_dir.iterdir()):
            if path.suffix in (".bpmn", ".dmn"):
                _add(bundle, COMMON_PREFIX + path.name, path)
    bpmn_texts = _bpmn_texts(bundle)
    for key in sorted(k for k in referenced_form_keys(bpmn_texts) if FILE_KEY.match(k)):
        _add(bundle, f"{FORMS_PREFIX}{key}.form", forms_dir / f"{key}.form")
    documents = sorted({k for k in referenced_documents(bpmn_texts) if FILE_KEY.match(k)} | set(ENGINE_DOCUMENTS))
    if documents:
        for shared in (*SHARED_TEMPLATES, DOCUMENT_TITLES_FILE):
            _add(bundle, DOCUMENTS_PREFIX + shared, documents_dir / shared)
    for key in documents:
        _add(bundle, f"{DOCUMENTS_PREFIX}{key}.html", documents_dir / f"{key}.html")
    return bundle


def collect_matter_files(matter_dir: Path, forms_dir: Path, common_dir: Path | None = None) -> dict[str, str]:
    """Read one ``processes/<matter>/`` folder and complete it (templates from ``processes/_documents/``)."""
    files = {path.name: path.read_text(encoding="utf-8") for path in sorted(matter_dir.iterdir())
             if path.is_file() and path.suffix in MATTER_SUFFIXES}
    return complete_bundle(files, forms_dir=forms_dir, documents_dir=matter_dir.parent / DOCUMENTS_PREFIX.rstrip("/"),
                           common_dir=common_dir)
