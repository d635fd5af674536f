"""What a matter's diagrams refer to (forms, document templates), read without compiling them.

A bundle is completed from these references (``bundles``) before anything is compiled, and the
designer lists a draft's forms with them; the compiling checks (``catalog``) use the same readers.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterator

from lxml import etree

from engine.definitions.safexml import parse_xml
from engine.errors import DefinitionProblem
from engine.errors import UnsafeXml
from engine.forms import FormError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS}
#: Elements that become human tasks (plain and manual tasks with a form count as user tasks).
HUMAN_TASK_TAGS = ("userTask", "manualTask", "task")


def form_key_of(element: etree._Element) -> str:
    key = element.get(f"{{{CAMUNDA_NS}}}formKey") or ""
    for prefix in ("camunda-forms:app:", "camunda-forms:deployment:", "embedded:app:", "app:"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    if not key:
        for prop in element.iterfind(".//spiffworkflow:property", NS):
            if prop.get("name") == "formJsonSchemaFilename":
                key = prop.get("value") or ""
    for suffix in (".form", ".schema.json", ".json"):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    return key.rsplit("/", 1)[-1]


def readable_roots(bpmn_texts: Collection[str]) -> Iterator[etree._Element]:
    """Roots of the texts that parse safely (unsafe ones are reported by the checks, not here)."""
    for text in bpmn_texts:
        try:
            yield parse_xml(text, "<scan>", 16 * 1024 * 1024).getroot()
        except UnsafeXml:
            continue


def referenced_form_keys(bpmn_texts: Collection[str]) -> set[str]:
    """Form keys named by user tasks, so a bundle carries exactly the forms it uses."""
    keys: set[str] = set()
    for root in readable_roots(bpmn_texts):
        for tag in HUMAN_TASK_TAGS:
            for element in root.iter(f"{{{BPMN_NS}}}{tag}"):
                key = form_key_of(element)
                if key:
                    keys.add(key)
    return keys


def referenced_documents(bpmn_texts: Collection[str]) -> set[str]:
    """Document template keys named by ``document`` element properties."""
    keys: set[str] = set()
    for root in readable_roots(bpmn_texts):
        for prop in root.iter(f"{{{CAMUNDA_NS}}}property"):
            if prop.get("name") == "document" and prop.get("value"):
                keys.add((prop.get("value") or "").strip())
    return keys


def form_problems(exc: FormError) -> list[DefinitionProblem]:
    """One deploy problem per form problem, naming the form's file and the component."""
    return [DefinitionProblem(f"forms/{getattr(p, 'source', '')}.form", getattr(p, "component_id", None) or "",
                              f"表单定义有误：{p}") for p in getattr(exc, "problems", (exc,))]
