"""The import page's uploads are staged on the server under a token: read back by their uploader
only, byte for byte (a zip too), until they expire an hour later."""

from __future__ import annotations

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.services import design
from engine.services.context import EngineContext

FILES = {"a.bpmn": b"<bpmn:definitions/>", "bundle.zip": b"PK\x03\x04\x00\xff binary"}


def test_staged_files_come_back_to_their_uploader_until_they_expire(ctx: EngineContext, designer: Actor,
                                                                    clock: FixedClock) -> None:
    token = design.stage_upload(ctx, FILES, designer)
    assert design.staged_upload(ctx, token, designer) == FILES
    with pytest.raises(FormDataInvalid):  # another designer
        design.staged_upload(ctx, token, Actor("designer2", "", frozenset({"designer"})))
    clock.advance(minutes=59)
    assert design.staged_upload(ctx, token, designer) == FILES
    clock.advance(minutes=2)
    with pytest.raises(FormDataInvalid) as expired:
        design.staged_upload(ctx, token, designer)
    assert "已过期" in expired.value.errors["files"]
    fresh = design.stage_upload(ctx, FILES, designer)  # staging again also clears the expired upload
    design.drop_upload(ctx, fresh)
    with pytest.raises(FormDataInvalid):
        design.staged_upload(ctx, fresh, designer)


def test_only_designers_stage_uploads(ctx: EngineContext) -> None:
    with pytest.raises(NotAllowed):
        design.stage_upload(ctx, FILES, Actor("clerk", "", frozenset({"window_clerk"})))
