"""Decode a posted HTML task form (fields and files) into the engine's ``FormInput``, without the form.

The wire format is the one ``_macros/forms.html`` writes: every field as a list of strings, the
files a file field keeps as JSON in ``<key>__kept`` (less the upload ids ticked in ``<key>__drop``: the
applicant removed them), new files as multipart parts, and the pressed
button in ``action``. Which fields the form has, and which take one value or several, is the
engine's business (``engine.services.submissions``), so this module reads no definition.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.datastructures import FileStorage
from werkzeug.datastructures import MultiDict

from engine.services.submissions import FormInput
from engine.services.submissions import NewFile

KEPT_SUFFIX = "__kept"
DROP_SUFFIX = "__drop"
#: The history seq the form was opened at (``TaskPage.seen_seq``), posted back to detect a stale submit.
SEEN_FIELD = "seen_seq"
NOT_FIELDS = frozenset({"csrf_token", "action", SEEN_FIELD})


def seen_seq(fields: MultiDict[str, str]) -> int | None:
    """The posted ``seen_seq`` (None when absent or not a plain number)."""
    raw = fields.get(SEEN_FIELD, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


def _kept(raw: str | None) -> list[Any]:
    try:
        kept = json.loads(raw or "[]")
    except json.JSONDecodeError:
        return []
    return kept if isinstance(kept, list) else []


def form_input(fields: MultiDict[str, str], files: MultiDict[str, FileStorage], max_file_bytes: int) -> FormInput:
    """The posted values (lists), kept file references and new files; a file is read up to one byte past the cap,
    so the engine can tell an over-size file from one that just fits."""
    values: dict[str, list[Any]] = {}
    for key in fields:
        if key in NOT_FIELDS:
            continue
        if key.endswith(DROP_SUFFIX):
            continue
        if key.endswith(KEPT_SUFFIX):
            dropped = set(fields.getlist(key.removesuffix(KEPT_SUFFIX) + DROP_SUFFIX))
            values[key.removesuffix(KEPT_SUFFIX)] = [ref for ref in _kept(fields.get(key))
                                                     if not (isinstance(ref, dict) and str(ref.get("id")) in dropped)]
        else:
            values.setdefault(key, fields.getlist(key))
    new_files: dict[str, tuple[NewFile, ...]] = {}
    for key in files:
        chosen = tuple(NewFile(upload.filename, upload.read(max_file_bytes + 1))
                       for upload in files.getlist(key) if upload and upload.filename)
        if chosen:
            new_files[key] = chosen
    return FormInput(values, new_files, as_draft=fields.get("action") == "draft", listed=True,
                     seen_seq=seen_seq(fields))
