"""Organ seals: the image an administrator sets for an organ, embedded in the documents it signs.

A seal is an image (PNG, or SVG parsed without DTD and refused with scripts or event handlers),
stored as a ``data:`` URI so every frozen document carries its own copy. The demo installation gets
a drawn sample seal per organ, marked 演示 on every document, so nobody mistakes it for a real one.
"""

from __future__ import annotations

import base64
from html import escape

from engine.actors import Actor
from engine.definitions.safexml import parse_xml
from engine.errors import FormDataInvalid
from engine.errors import UnsafeXml
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.seals import seal_of
from engine.persistence.repositories.seals import seals
from engine.persistence.repositories.seals import set_seal
from engine.services.context import EngineContext
from engine.services.organisation.audit import record_change
from engine.services.organisation.audit import require_admin

MAX_SEAL_BYTES = 256 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SEAL_FIELD = "seal"


def _svg_problem(data: bytes) -> str | None:
    try:
        root = parse_xml(data, "印章图片", MAX_SEAL_BYTES).getroot()
    except UnsafeXml as exc:
        return str(exc)
    if not str(root.tag).endswith("svg"):
        return "SVG 文件的根元素应为 svg"
    for element in root.iter():
        name = str(element.tag).rpartition("}")[2].lower()
        if name in ("script", "foreignobject", "iframe", "object", "embed"):
            return f"印章图片不能包含 {name} 元素"
        for attribute, value in element.attrib.items():
            local = str(attribute).rpartition("}")[2].lower()
            if local.startswith("on") or (local == "href" and not str(value).startswith(("#", "data:image/"))):
                return "印章图片不能包含脚本、事件或外部链接"
    return None


def seal_data_uri(data: bytes) -> tuple[str, str]:
    """(content type, data URI) of an uploaded seal image.

    :raise FormDataInvalid: empty, too large, not a PNG or a safe SVG.
    """
    if not data:
        raise FormDataInvalid({SEAL_FIELD: "请选择印章图片（PNG 或 SVG）"})
    if len(data) > MAX_SEAL_BYTES:
        raise FormDataInvalid({SEAL_FIELD: f"印章图片不能超过 {MAX_SEAL_BYTES // 1024} KB"})
    if data.startswith(PNG_MAGIC):
        content_type = "image/png"
    else:
        head = data.lstrip()[:200].lower()
        if not (head.startswith(b"<svg") or head.startswith(b"<?xml")):
            raise FormDataInvalid({SEAL_FIELD: "印章图片应为 PNG 或 SVG 格式"})
        problem = _svg_problem(data)
        if problem:
            raise FormDataInvalid({SEAL_FIELD: problem})
        content_type = "image/svg+xml"
    return content_type, f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def set_organ_seal(ctx: EngineContext, actor: Actor, organ_code: str, data: bytes) -> None:
    """Set (replace) an organ's seal; documents issued from now on carry it.

    :raise NotAllowed: not an administrator. :raise FormDataInvalid: no such organ, or a bad image.
    """
    require_admin(actor, "设置机关印章")
    content_type, data_uri = seal_data_uri(data)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        organ = org.organ_by_code(uow, organ_code)
        if organ is None:
            raise FormDataInvalid({SEAL_FIELD: f"机关“{organ_code}”不存在"})
        replaced = seal_of(uow, organ.id) is not None
        set_seal(uow, organ.id, content_type=content_type, data_uri=data_uri, is_demo=False, now=now,
                 actor_id=actor.user_id)
        record_change(uow, actor, now, area="organisation", event_type="organ_seal_set", subject=f"organ:{organ.code}",
                      summary=f"{'更换' if replaced else '设置'}{organ.name}印章（{content_type}，{len(data)} 字节）",
                      after={"content_type": content_type, "bytes": len(data)})
        uow.commit()


def demo_seal_svg(organ_name: str) -> str:
    """A drawn round seal with the organ's name and the word 演示 across it."""
    name = escape(organ_name)
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200">'
            '<circle cx="100" cy="100" r="92" fill="none" stroke="#d00" stroke-width="6"/>'
            '<text x="100" y="108" font-size="34" text-anchor="middle" fill="#d00">★</text>'
            f'<text x="100" y="62" font-size="15" text-anchor="middle" fill="#d00">{name}</text>'
            '<text x="100" y="150" font-size="26" text-anchor="middle" fill="#d00" font-weight="bold">演示</text>'
            '</svg>')


def ensure_demo_seals(ctx: EngineContext, actor: Actor) -> int:
    """Give every organ without a seal the sample seal, marked demo; the number set."""
    now = ctx.clock.now()
    count = 0
    with ctx.uow() as uow:
        existing = seals(uow)
        for organ in org.organs(uow):
            if organ.id in existing:
                continue
            content_type, data_uri = seal_data_uri(demo_seal_svg(organ.name).encode("utf-8"))
            set_seal(uow, organ.id, content_type=content_type, data_uri=data_uri, is_demo=True, now=now,
                     actor_id=actor.user_id)
            count += 1
        if count:
            record_change(uow, actor, now, area="organisation", event_type="organ_seal_set", subject="organ:*",
                          summary=f"为 {count} 个机关设置演示印章（标注“演示”，不具法律效力）")
        uow.commit()
    return count


def seal_overview(ctx: EngineContext) -> dict[str, dict[str, object]]:
    """organ code -> {data_uri, is_demo, set_at, set_by}, for the organisation page."""
    with ctx.uow() as uow:
        by_id = seals(uow)
        return {o.code: {"data_uri": s.data_uri, "is_demo": s.is_demo, "set_at": s.set_at, "set_by": s.set_by}
                for o in org.organs(uow) if (s := by_id.get(o.id)) is not None}


__all__ = ["demo_seal_svg", "ensure_demo_seals", "seal_data_uri", "seal_overview", "set_organ_seal"]
