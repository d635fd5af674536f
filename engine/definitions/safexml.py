"""Hardened XML parsing for uploaded BPMN and DMN.

SpiffWorkflow parses with lxml defaults, which expand internal entities (an entity can smuggle a
script into a diagram) and, with older libxml2, resolved external ones (XXE). Every BPMN/DMN byte
that reaches SpiffWorkflow goes through ``parse_xml`` first: size cap, no DOCTYPE at all, no
entity resolution, no network.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.errors import UnsafeXml

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def parse_xml(content: bytes | str, source: str, max_bytes: int) -> etree._ElementTree:
    """Parse one XML document or raise ``UnsafeXml`` naming ``source``.

    :raise UnsafeXml: oversized, has a DOCTYPE/ENTITY declaration, or is not well-formed.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    if len(data) > max_bytes:
        raise UnsafeXml(f"{source}：文件大小 {len(data)} 字节，超过上限 {max_bytes} 字节")
    if _DOCTYPE.search(data):
        raise UnsafeXml(f"{source}：不允许包含 DOCTYPE 或实体声明（DTD）")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"{source}：XML 格式错误（第 {exc.lineno} 行）：{exc.msg}") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise UnsafeXml(f"{source}：不允许包含 DOCTYPE")
    return tree
