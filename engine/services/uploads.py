"""Uploaded materials: type and size checked, stored once by SHA-256, never lost or overwritten.

The file is written to disk before its row is committed and never deleted, so a submission that
fails validation still keeps the applicant's file; the form can reference it again. The SHA-256
travels in the submitted form value, so the history row proves which bytes were submitted.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.actors import Actor
from engine.errors import EngineError
from engine.errors import NotAllowed
from engine.hidden_chars import strip_hidden
from engine.persistence.repositories.uploads import UploadRow
from engine.persistence.repositories.uploads import attach_uploads
from engine.persistence.repositories.uploads import insert_upload
from engine.persistence.repositories.uploads import uploads_by_ids
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.access import may_download
from engine.services.context import EngineContext

#: Accepted material types, recognised by their first bytes (the file name's extension is not trusted).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/ofd": (b"PK\x03\x04",),  # OFD (国家版式文档) is a zip container
}
EXTENSIONS = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",),
              "application/ofd": (".ofd",)}


class UploadRejected(EngineError):
    """The file is empty, too large, or not an accepted type; nothing was stored."""


@dataclass(frozen=True)
class StoredFile:
    id: int
    name: str
    sha256: str
    size: int
    content_type: str

    def as_ref(self) -> dict[str, Any]:
        """The value a filepicker field holds in case data and history."""
        return {"id": self.id, "name": self.name, "sha256": self.sha256, "size": self.size, "type": self.content_type}

    @classmethod
    def of(cls, row: UploadRow) -> StoredFile:
        return cls(row.id, row.original_name, row.sha256, row.size, row.content_type)


def _content_type(data: bytes, filename: str) -> str | None:
    suffix = Path(filename).suffix.lower()
    for content_type, prefixes in SIGNATURES.items():
        if data.startswith(prefixes) and suffix in EXTENSIONS[content_type]:
            return content_type
    return None


def safe_file_name(filename: str) -> str:
    """The base name, without path separators, control, bidi-control or zero-width characters.

    Bidi controls would let ``gpj.exe`` display as ``exe.jpg``; the type check reads the real suffix.
    """
    name = Path(strip_hidden(filename).replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f<>:\"/\\|?*]", "_", name).strip(" .") or "file"
    return name[-200:]


def write_content_addressed(root: Path, data: bytes) -> str:
    """Write ``data`` once as ``root/<sha[:2]>/<sha>`` (atomically, fsynced) and return its SHA-256.

    Equal bytes share one file, and an existing file is never rewritten.
    """
    digest = hashlib.sha256(data).hexdigest()
    target = root / digest[:2] / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, target)
    return digest


def content_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def store_upload(ctx: EngineContext, data: bytes, filename: str, actor: Actor) -> StoredFile:
    """Check and store one uploaded file.

    :raise UploadRejected: with a Chinese message naming the file.
    """
    name = safe_file_name(filename)
    if not data:
        raise UploadRejected(f"文件“{name}”为空")
    limit = ctx.settings.max_upload_bytes
    if len(data) > limit:
        raise UploadRejected(f"文件“{name}”大小 {len(data) / 1048576:.1f} MB，超过上限 {limit // 1048576} MB")
    content_type = _content_type(data, name)
    if content_type is None:
        raise UploadRejected(f"文件“{name}”类型不被接受：仅限 PDF、JPG、PNG、OFD，且扩展名与内容一致")
    digest = write_content_addressed(ctx.settings.uploads_dir, data)
    with ctx.uow() as uow:
        row = insert_upload(uow, sha256=digest, original_name=name, content_type=content_type, size=len(data),
                            uploaded_by=actor.user_id, now=ctx.clock.now())
        uow.commit()
        return StoredFile.of(row)


def open_upload(ctx: EngineContext, upload_id: int, actor: Actor) -> tuple[StoredFile, Path]:
    """The file for download, if the actor uploaded it or the access policy lets them have it (``may_download``)."""
    with ctx.uow() as uow:
        record = uploads_by_ids(uow, [upload_id]).get(upload_id)
        if record is None:
            raise NotAllowed("文件不存在或无权查看")
        if not may_download(uow, record, actor):
            raise NotAllowed("文件不存在或无权查看")
        path = content_path(ctx.settings.uploads_dir, record.sha256)
        return StoredFile.of(record), path


def file_refs_in(values: dict[str, Any]) -> list[int]:
    """Upload ids referenced by filepicker values in submitted form data."""
    ids: list[int] = []
    for value in values.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                ids.append(item["id"])
    return ids


def link_uploads(uow: UnitOfWork, case: CaseRow, values: dict[str, Any], actor: Actor) -> None:
    """Attach the actor's own uploads referenced by a submitted form to the case (first use wins)."""
    attach_uploads(uow, case.id, file_refs_in(values), actor.user_id)


def resolve_refs(ctx: EngineContext, refs: list[Any], actor: Actor, case_id: int | None) -> list[dict[str, Any]]:
    """Re-read file references a browser sent back (kept uploads) from the database.

    Only files the actor uploaded, or files already attached to this case, are kept; name and hash
    always come from our records, never from the request.
    """
    ids = [ref.get("id") for ref in refs if isinstance(ref, dict) and isinstance(ref.get("id"), int)]
    with ctx.uow() as uow:
        found = uploads_by_ids(uow, ids)
    resolved: list[dict[str, Any]] = []
    for upload_id in ids:
        record = found.get(upload_id)
        if record is None or not (record.uploaded_by == actor.user_id or
                                  (case_id is not None and record.case_id == case_id)):
            continue
        resolved.append(StoredFile.of(record).as_ref())
    return resolved
