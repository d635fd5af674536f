"""签收, 退回 and 转办 through the access policy: on a case the actor does not see, the answer is "not found".

``engine.services.tasks`` decides whether the actor may take the task (its groups, who holds it);
this module first applies the same rule as reading the case, so a reviewer of another department
cannot learn from a 403 that a case or task exists. Both doors call these, never ``tasks`` directly.
"""

from __future__ import annotations

from engine.actors import Actor
from engine.errors import NotAllowed
from engine.services import tasks
from engine.services.access import visible_case
from engine.services.accounts import actor_for
from engine.services.context import EngineContext
from engine.services.views import TaskView


def _require_visible(ctx: EngineContext, case_id: int, actor: Actor) -> None:
    """:raise CaseNotFound: no such case, or not the actor's to see."""
    with ctx.uow() as uow:
        visible_case(uow, case_id, actor)


def claim_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor) -> TaskView:
    return tasks.claim_task(ctx, case_id, task_uuid, actor, check_visible=True)  # one unit of work


def release_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor) -> TaskView:
    _require_visible(ctx, case_id, actor)
    return tasks.release_task(ctx, case_id, task_uuid, actor)


def delegate_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor, to_username: str) -> TaskView:
    """Hand the task to a colleague by username (转办).

    :raise NotAllowed: no such colleague, or not one of the task's groups.
    """
    _require_visible(ctx, case_id, actor)
    target = actor_for(ctx, to_username.strip())
    if target is None:
        raise NotAllowed("转办对象不存在")
    return tasks.delegate_task(ctx, case_id, task_uuid, actor, target)
