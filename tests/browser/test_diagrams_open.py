"""Every shipped diagram opens cleanly in bpmn-js (the library behind bpmn.io and Camunda Modeler).

Each BPMN file of processes/ is imported into the vendored modeler, with the camunda moddle the
designers use: no import warnings, and every drawable element (lane, task, event, gateway, flow)
has a shape or an edge, i.e. complete diagram interchange (DI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.browser.conftest import LiveServer

ROOT = Path(__file__).resolve().parent.parent.parent
BPMN_FILES = sorted((ROOT / "processes").glob("*/*.bpmn"))
DRAWABLE = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
            "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
            "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
            "eventBasedGateway", "sequenceFlow", "lane", "participant"}

IMPORT_SCRIPT = """async (xml) => {
  const box = document.createElement('div');
  box.style.width = '1200px'; box.style.height = '800px';
  document.body.appendChild(box);
  const P = window.OneWindowPropertiesPanel;
  const modeler = new window.BpmnJS({ container: box, moddleExtensions: { camunda: P.camundaModdle } });
  const result = await modeler.importXML(xml);
  const ids = modeler.get('elementRegistry').getAll().map(e => e.id);
  return { warnings: result.warnings.map(w => String(w.message || w)), ids: ids };
}"""


def _drawable_ids(path: Path) -> set[str]:
    root = etree.parse(str(path)).getroot()
    return {el.get("id") for el in root.iter() if isinstance(el.tag, str)
            and etree.QName(el).localname in DRAWABLE and el.get("id")}


@pytest.fixture(scope="module")
def modeler_page(browser: Any, live_server: LiveServer):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/healthz")
    for script in ("vendor/bpmn-js/bpmn-modeler.production.min.js",
                   "vendor/bpmn-js-properties-panel/properties-panel.umd.js"):
        page.add_script_tag(url=f"{live_server.url}/static/{script}")
    yield page
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("path", BPMN_FILES, ids=[f"{p.parent.name}/{p.name}" for p in BPMN_FILES])
def test_diagram_imports_without_warnings_and_with_full_di(modeler_page: Any, path: Path) -> None:
    result = modeler_page.evaluate(IMPORT_SCRIPT, path.read_text(encoding="utf-8"))
    assert result["warnings"] == []
    missing = _drawable_ids(path) - set(result["ids"])
    assert missing == set(), f"elements without a shape or edge: {sorted(missing)}"
