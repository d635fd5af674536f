from __future__ import annotations

import pytest

from engine.actors import Actor
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path

VALID_APPLICATION = {"project_name": "滨江花园二期", "uscc": "91350100M000100Y43", "area_m2": "12000",
                     "contact_mobile": "13800138000"}


@pytest.fixture
def deployed(ctx: EngineContext, designer: Actor) -> EngineContext:
    deploy_path(ctx, ctx.settings.processes_dir, designer)
    return ctx
