"""The import page's uploads, kept on the server between the preview and the save.

The preview page used to carry every uploaded file back as hidden base64 fields, so each round trip
re-sent (and the browser held) the whole bundle, and the confirmed files were whatever the page sent,
not what was previewed. Now the upload is stored once under a random token that the page carries;
only the designer who uploaded it can use the token, and only for ``STAGING_TTL``.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from datetime import timedelta

from engine.actors import Actor
from engine.errors import FormDataInvalid
from engine.persistence.repositories import staging
from engine.services.context import EngineContext
from engine.services.design.common import require_designer

#: How long a preview's files are kept for its confirmation.
STAGING_TTL = timedelta(hours=1)
EXPIRED = "上传的文件已过期（保留 1 小时）或不属于您，请重新选择文件"


def stage_upload(ctx: EngineContext, files: Mapping[str, bytes | str], actor: Actor) -> str:
    """Keep ``files`` for the preview's confirmation; returns the token the page carries."""
    require_designer(actor)
    token = secrets.token_urlsafe(32)
    encoded = {name: base64.b64encode(data if isinstance(data, bytes) else data.encode("utf-8")).decode("ascii")
               for name, data in files.items()}
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        staging.stage_files(uow, token, actor.user_id, json.dumps(encoded, ensure_ascii=False), now, now + STAGING_TTL)
        uow.commit()
    return token


def staged_upload(ctx: EngineContext, token: str, actor: Actor) -> dict[str, bytes]:
    """The files staged under ``token``.

    :raise FormDataInvalid: unknown, expired, or another person's token (nothing is imported).
    """
    require_designer(actor)
    with ctx.uow() as uow:
        text = staging.staged_files(uow, token, actor.user_id, ctx.clock.now()) if token else None
    if text is None:
        raise FormDataInvalid({"files": EXPIRED})
    return {name: base64.b64decode(data) for name, data in json.loads(text).items()}


def drop_upload(ctx: EngineContext, token: str) -> None:
    """Forget staged files once they were imported."""
    with ctx.uow(write=True) as uow:
        staging.drop_staged(uow, token)
        uow.commit()
