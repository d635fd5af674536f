"""Files the catalogue offers the public: 空白表格, 示例样表, 结果样本.

Stored once by SHA-256 beside the uploads (same content-addressed store), recorded in their own
table, and referred to from entries as ``name#<first 16 hex digits of the SHA-256>``. Anyone may
download them: they are published forms, not an applicant's materials.
"""

from __future__ import annotations

from pathlib import Path

from engine.actors import Actor
from engine.persistence.repositories import catalogue as stored
from engine.persistence.repositories.catalogue import CatalogueFileRow
from engine.services.context import EngineContext
from engine.services.organisation.audit import record_change
from engine.services.organisation.audit import require_admin
from engine.services.uploads import UploadRejected
from engine.services.uploads import content_path
from engine.services.uploads import safe_file_name
from engine.services.uploads import write_content_addressed

#: Accepted types: blank forms are usually Word or Excel files, samples PDF or images.
FILE_TYPES: dict[str, tuple[tuple[bytes, ...], tuple[str, ...]]] = {
    "application/pdf": ((b"%PDF-",), (".pdf",)),
    "image/jpeg": ((b"\xff\xd8\xff",), (".jpg", ".jpeg")),
    "image/png": ((b"\x89PNG\r\n\x1a\n",), (".png",)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ((b"PK\x03\x04",), (".docx",)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ((b"PK\x03\x04",), (".xlsx",)),
    "application/msword": ((b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",), (".doc",)),
    "application/vnd.ms-excel": ((b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",), (".xls",)),
    "application/ofd": ((b"PK\x03\x04",), (".ofd",)),
}


def _content_type(data: bytes, name: str) -> str | None:
    suffix = Path(name).suffix.lower()
    return next((kind for kind, (magic, suffixes) in FILE_TYPES.items()
                 if suffix in suffixes and data.startswith(magic)), None)


def store_catalogue_file(ctx: EngineContext, actor: Actor, data: bytes, filename: str) -> CatalogueFileRow:
    """Check and store one file; returns its row (``.ref`` is what entries write).

    :raise NotAllowed: the actor is not an administrator.
    :raise UploadRejected: empty, too large, or not an accepted type (Chinese message).
    """
    require_admin(actor, "上传事项库文件")
    name = safe_file_name(filename)
    if not data:
        raise UploadRejected(f"文件“{name}”为空")
    if len(data) > ctx.settings.max_upload_bytes:
        raise UploadRejected(f"文件“{name}”超过上限 {ctx.settings.max_upload_bytes // 1048576} MB")
    content_type = _content_type(data, name)
    if content_type is None:
        raise UploadRejected(f"文件“{name}”类型不被接受：仅限 PDF、Word、Excel、JPG、PNG、OFD，且扩展名与内容一致")
    digest = write_content_addressed(ctx.settings.uploads_dir, data)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        row = stored.insert_file(uow, sha256=digest, name=name, content_type=content_type, size=len(data), now=now,
                                 by=actor.user_id)
        record_change(uow, actor, now, area="catalogue", event_type="file_uploaded", subject=f"file:{digest[:16]}",
                      summary=f"上传事项库文件“{name}”（{len(data)} 字节）", after={"ref": row.ref, "sha256": digest})
        uow.commit()
    return row


def list_catalogue_files(ctx: EngineContext) -> list[CatalogueFileRow]:
    with ctx.uow() as uow:
        return stored.catalogue_files(uow)


def open_catalogue_file(ctx: EngineContext, sha256_prefix: str) -> tuple[CatalogueFileRow, Path] | None:
    """A published file for download (public); None for malformed, unknown and ambiguous prefixes alike."""
    with ctx.uow() as uow:
        row = stored.file_by_sha256_prefix(uow, sha256_prefix.lower())
    return None if row is None else (row, content_path(ctx.settings.uploads_dir, row.sha256))
