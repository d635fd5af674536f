"""The only BPMN parser we use: SpiffWorkflow's, forced through the hardened XML reader."""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser

from engine.definitions.safexml import parse_xml
from engine.errors import UnsafeXml
from engine.runtime.spiff.http_task import HttpAwareServiceTask


class SafeSpiffBpmnParser(SpiffBpmnParser):
    """``SpiffBpmnParser`` whose file/string entry points refuse unsafe XML.

    Callers should hand in trees from ``parse_xml`` via ``add_bpmn_xml``/``add_dmn_xml``; the
    overrides below only make sure nobody can bypass that by calling the convenience methods.
    Service tasks get our spec, which waits for ``http:`` operations (``runtime.spiff.http_task``).
    """

    OVERRIDE_PARSER_CLASSES = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
                               full_tag("serviceTask"): (ServiceTaskParser, HttpAwareServiceTask)}

    def __init__(self, max_bytes: int = 2 * 1024 * 1024) -> None:
        super().__init__()
        self.max_bytes = max_bytes

    def add_bpmn_file(self, filename: str) -> None:
        with open(filename, "rb") as fh:
            self.add_bpmn_xml(parse_xml(fh.read(), filename, self.max_bytes), filename)

    def add_bpmn_io(self, file_like_object, filename: str | None = None) -> None:  # type: ignore[override]
        self.add_bpmn_xml(parse_xml(file_like_object.read(), filename or "<io>", self.max_bytes), filename)

    def add_bpmn_str(self, bpmn_str: str | bytes, filename: str | None = None) -> None:
        self.add_bpmn_xml(parse_xml(bpmn_str, filename or "<string>", self.max_bytes), filename)

    def add_dmn_file(self, filename: str) -> None:
        with open(filename, "rb") as fh:
            self.add_dmn_xml(parse_xml(fh.read(), filename, self.max_bytes).getroot(), filename)

    def add_dmn_io(self, file_like_object, filename: str | None = None) -> None:  # type: ignore[override]
        self.add_dmn_xml(parse_xml(file_like_object.read(), filename or "<io>", self.max_bytes).getroot(), filename)

    def add_dmn_str(self, dmn_str: str | bytes, filename: str | None = None) -> None:
        self.add_dmn_xml(parse_xml(dmn_str, filename or "<string>", self.max_bytes).getroot(), filename)


__all__ = ["SafeSpiffBpmnParser", "UnsafeXml"]
