"""Turn a posted HTML form (fields and files) into the values a task form is validated against."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.datastructures import FileStorage
from werkzeug.datastructures import MultiDict

from engine.actors import Actor
from engine.forms import FormDefinition
from engine.services.context import EngineContext
from engine.services.uploads import UploadRejected
from engine.services.uploads import resolve_refs
from engine.services.uploads import store_upload


def parse_submission(ctx: EngineContext, form: FormDefinition, fields: MultiDict[str, str],
                     files: MultiDict[str, FileStorage], actor: Actor,
                     case_id: int | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Values per form field, plus upload errors. New files are stored at once (never lost)."""
    data: dict[str, Any] = {}
    upload_errors: dict[str, str] = {}
    for field in form.fields:
        key = field.key
        if field.type == "filepicker":
            try:
                kept = json.loads(fields.get(f"{key}__kept") or "[]")
            except json.JSONDecodeError:
                kept = []
            refs = resolve_refs(ctx, kept if isinstance(kept, list) else [], actor, case_id)
            for upload in files.getlist(key):
                if not upload or not upload.filename:
                    continue
                try:
                    refs.append(store_upload(ctx, upload.read(ctx.settings.max_upload_bytes + 1), upload.filename,
                                             actor).as_ref())
                except UploadRejected as exc:
                    upload_errors[key] = exc.message
            data[key] = refs
        elif field.type in ("checklist", "taglist"):
            data[key] = fields.getlist(key)
        elif key in fields:
            data[key] = fields.get(key)
    return data, upload_errors
