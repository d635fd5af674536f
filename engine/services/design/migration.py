"""Moving running cases to a newer version of their matter, only when that is safe.

A case keeps the version it started on. Moving it is an explicit step: ``plan_migration`` is a dry
run that says for each case whether it can move and why (in Chinese); ``migrate_cases`` moves the
movable ones, each under its case lock. SpiffWorkflow's spec diff decides what moved underneath
the case; the element signatures of ``diff`` add what SpiffWorkflow does not parse (forms, roles,
element properties). A case is refused whenever work already done, or work waiting for someone,
would change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff
from SpiffWorkflow.bpmn.util.diff import migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.actors import Actor
from engine.definitions.catalog import CompiledDefinition
from engine.errors import CaseNotFound
from engine.errors import ConcurrentUpdate
from engine.history import to_json
from engine.persistence.repositories import definitions
from engine.persistence.repositories import designs
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.history import append_history
from engine.persistence.rows import DefinitionRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff.serializer import ChunkReader
from engine.runtime.spiff.serializer import dump_state
from engine.runtime.spiff.serializer import forget_chunks
from engine.runtime.spiff.serializer import restore_state
from engine.runtime.spiff.serializer import spec_diff
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.cases import chunk_reader
from engine.services.context import EngineContext
from engine.services.design.common import require_designer
from engine.services.design.diff import Signature
from engine.services.design.diff import describe
from engine.services.design.diff import signatures
from engine.services.design.versions import version_record
from engine.services.design.views import MigrationPlan
from engine.services.steps import save_runtime
from engine.services.steps import with_retries
from engine.state_names import TASK_STATE_NAMES as STATE_LABELS

SPEC_KEY_LABELS = {
    "bpmn_name": "名称", "outputs": "出口连线", "inputs": "入口连线", "script": "脚本", "cond_task_specs": "分支条件",
    "default_task_spec": "默认分支", "event_definition": "事件定义（定时器、消息等）", "typename": "元素类型",
    "lane": "泳道", "documentation": "说明", "extensions": "扩展属性", "prescript": "前置脚本",
    "postscript": "后置脚本", "operation_name": "服务操作", "operation_params": "服务参数", "spec": "调用的流程",
    "cancel_activity": "是否中断", "manual": "人工/自动", "decision_table": "决策表", "cardinality": "多实例数量",
    "condition": "多实例完成条件", "result_var": "结果变量",
}
#: Tasks in these states pin a case to its version if their spec is removed or changed.
_PINNING = TaskState.COMPLETED | TaskState.STARTED | TaskState.READY | TaskState.WAITING | TaskState.ERROR
#: A task nobody has worked on yet may get new outgoing/incoming wiring: migration re-predicts its branch.
_WIRING = frozenset({"inputs", "outputs"})
#: Spec keys whose change the element's BPMN comparison also shows (in more detail).
_SHOWN_IN_BPMN = frozenset({"bpmn_name", "documentation", "script", "typename"})


@dataclass
class _Assessment:
    reasons: list[str]
    top: WorkflowDiff
    subprocesses: dict[Any, WorkflowDiff | None]


def _task_label(task: Task) -> str:
    spec = task.task_spec
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    name = getattr(spec, "bpmn_name", None)
    return f"“{name}”（{bpmn_id}）" if name else f"“{bpmn_id}”"


def _state_label(task: Task) -> str:
    state = TaskState.get_name(task.state)
    return STATE_LABELS.get(state, state)


def _assess(workflow: BpmnWorkflow, new: CompiledDefinition, old_sigs: Mapping[str, Signature],
            new_sigs: Mapping[str, Signature]) -> _Assessment:
    """Why the case cannot move (empty: it can), following spiff-example-cli's ``can_migrate``.

    A case is pinned to its version when a completed, started, ready or waiting task's spec is removed
    or changed in the target version. Ready tasks may get new incoming/outgoing wiring: migration
    re-predicts what follows them. Besides SpiffWorkflow's spec comparison, the element's BPMN (form,
    roles, element properties …, which SpiffWorkflow does not parse) must be unchanged too.
    """
    reasons: list[str] = []
    top_spec_diff = spec_diff(workflow.spec, new.spec)
    top = WorkflowDiff(workflow, top_spec_diff)
    diffs: list[tuple[WorkflowDiff, SpecDiff]] = [(top, top_spec_diff)]
    subprocesses: dict[Any, WorkflowDiff | None] = {}
    for sp_id, sub in workflow.subprocesses.items():
        target = new.subprocess_specs.get(sub.spec.name)
        if target is None:
            subprocesses[sp_id] = None
            reasons.append(f"正在运行的子流程“{sub.spec.name}”在新版本中已不存在")
            continue
        sub_spec_diff = spec_diff(sub.spec, target)
        subprocesses[sp_id] = WorkflowDiff(sub, sub_spec_diff)
        diffs.append((subprocesses[sp_id], sub_spec_diff))  # type: ignore[arg-type]
    seen: set[str] = set()
    for workflow_diff, one_spec_diff in diffs:
        for task in workflow_diff.removed:
            if task.has_state(_PINNING) and task.task_spec.name not in seen:
                seen.add(task.task_spec.name)
                reasons.append(f"{_state_label(task)}环节{_task_label(task)}在新版本中已删除")
        changed = one_spec_diff.changed
        for task in workflow_diff.alignment:
            if not task.has_state(_PINNING) or task.task_spec.name in seen:
                continue
            keys = set(changed.get(task.task_spec, ()))
            if task.state == TaskState.READY:
                keys -= _WIRING
            bpmn_id = getattr(task.task_spec, "bpmn_id", None)
            described = describe(old_sigs[bpmn_id], new_sigs[bpmn_id]) \
                if bpmn_id and bpmn_id in old_sigs and bpmn_id in new_sigs else []
            if described:
                keys -= _SHOWN_IN_BPMN  # already described, with before and after
            details = [SPEC_KEY_LABELS.get(key, key) for key in sorted(keys)] + described
            if details:
                seen.add(task.task_spec.name)
                reasons.append(f"{_state_label(task)}环节{_task_label(task)}在新版本中有改动：{'；'.join(details)}")
    return _Assessment(reasons, top, subprocesses)


def _migrate_in_memory(workflow: BpmnWorkflow, assessment: _Assessment, new: CompiledDefinition) -> None:
    # Only READY branches are reset: a WAITING timer keeps the due time it already has.
    migrate_workflow(assessment.top, workflow, new.spec, reset_mask=TaskState.READY)
    for sp_id, sub in workflow.subprocesses.items():
        sub_diff = assessment.subprocesses.get(sp_id)
        if sub_diff is not None:
            migrate_workflow(sub_diff, sub, new.subprocess_specs[sub.spec.name], reset_mask=TaskState.READY)
    workflow.subprocess_specs = dict(new.subprocess_specs)


@dataclass
class _Move:
    reasons: list[str]
    runtime: CaseRuntime | None
    waiting_on: tuple[str, ...]


def _try_move(ctx: EngineContext, blob: bytes, old: CompiledDefinition, new: CompiledDefinition,
              sigs: tuple[Mapping[str, Signature], Mapping[str, Signature]], read_chunks: ChunkReader) -> _Move:
    """Migrate a fresh copy of the case's workflow: why it cannot move, or the moved runtime."""
    with clock_bound(ctx.clock):
        workflow = restore_state(blob, old.spec, old.subprocess_specs, ctx.script_engine, read_chunks)
        waiting = _waiting_on(workflow)
        assessment = _assess(workflow, new, *sigs)
        if assessment.reasons:
            return _Move(assessment.reasons, None, waiting)
        try:
            _migrate_in_memory(workflow, assessment, new)
            forget_chunks(workflow)  # finished tasks may now name the new version's specs: store all anew
            runtime = CaseRuntime(new, workflow)
            restore_state(dump_state(workflow), new.spec, new.subprocess_specs, ctx.script_engine)
            missing = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                       if t.task_spec.bpmn_id not in new.human_tasks]
        except Exception as exc:  # noqa: BLE001 - any failure means "do not move this case"
            return _Move([f"迁移后流程状态无法恢复：{type(exc).__name__}: {exc}"], None, waiting)
    if missing:
        return _Move([f"迁移后待办环节 {'、'.join(missing)} 在新版本中不是人工任务"], None, waiting)
    return _Move([], runtime, waiting)


def _waiting_on(workflow: BpmnWorkflow) -> tuple[str, ...]:
    """Names of the tasks the case waits on (people's work, timers, messages, service calls)."""
    live = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
    return tuple(dict.fromkeys(getattr(t.task_spec, "bpmn_name", None) or t.task_spec.bpmn_id
                               for t in live if getattr(t.task_spec, "bpmn_id", None)))


def _target(uow: UnitOfWork, matter_code: str, to_version: int) -> tuple[DefinitionRow, dict[int, int]]:
    """The version to move to, and definition id -> version number of every version of the matter."""
    return version_record(uow, matter_code, to_version), designs.version_numbers(uow, matter_code)


def plan_migration(ctx: EngineContext, matter_code: str, to_version: int, actor: Actor) -> list[MigrationPlan]:
    """Dry run: for each running case on an older version, whether it can move to ``to_version`` and why."""
    require_designer(actor)
    plans = []
    with ctx.uow() as uow:
        target, versions = _target(uow, matter_code, to_version)
        new = ctx.compiled(target)
        new_sigs = signatures(new.files, ctx.settings.max_xml_bytes)
        olds: dict[int, tuple[CompiledDefinition, dict[str, Signature]]] = {}
        for case in designs.running_cases(uow, matter_code):
            if versions.get(case.definition_id, to_version) >= to_version:
                continue
            if case.definition_id not in olds:
                old = ctx.compiled_by_id(uow, case.definition_id)
                olds[case.definition_id] = (old, signatures(old.files, ctx.settings.max_xml_bytes))
            old, old_sigs = olds[case.definition_id]
            move = _try_move(ctx, case.state, old, new, (old_sigs, new_sigs), chunk_reader(uow, case.id))
            plans.append(MigrationPlan(
                case_id=case.id, case_number=case.case_number, title=case.title,
                from_version=versions[case.definition_id], to_version=to_version,
                can_migrate=move.runtime is not None,
                reasons=tuple(move.reasons) or ("已办和待办环节在新版本中均未改动，可以迁移",),
                waiting_on=move.waiting_on))
    return plans


def migrate_cases(ctx: EngineContext, matter_code: str, to_version: int, actor: Actor) -> list[MigrationPlan]:
    """Move every movable running case to ``to_version``, each in its own transaction under the case lock.

    The case is checked again under the lock (it may have moved on since the dry run); cases that
    cannot move stay on their version and are reported with the reasons.
    """
    require_designer(actor)
    results: list[MigrationPlan] = []
    for plan in plan_migration(ctx, matter_code, to_version, actor):
        if not plan.can_migrate:
            results.append(plan)
            continue
        try:
            results.append(with_retries(ctx.settings.conflict_retries,
                                        lambda plan=plan: _migrate_one(ctx, matter_code, to_version, plan, actor),
                                        backoff_s=ctx.settings.conflict_backoff_s))
        except ConcurrentUpdate:
            results.append(MigrationPlan(plan.case_id, plan.case_number, plan.title, plan.from_version, to_version,
                                         False, ("办件正在被他人办理，本次未迁移，请稍后重试",), plan.waiting_on))
    return results


def migrate_to_latest(ctx: EngineContext, case_id: int, actor: Actor, reason: str) -> MigrationPlan:
    """Move one case to the newest version of its matter if that is safe (the console's bulk action;
    the caller checks the actor). Returns the outcome with the reasons; ``reason`` goes into history.

    :raise CaseNotFound: no such case.
    """
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        latest = definitions.latest_definition(uow, case.matter_code)
        versions = designs.version_numbers(uow, case.matter_code)
    assert latest is not None, "a case's matter has a deployed version"
    plan = MigrationPlan(case.id, case.case_number, case.title, versions.get(case.definition_id, 0),
                         latest.version, False, ())
    if case.definition_id == latest.id:
        return dataclasses.replace(plan, reasons=(f"已是最新版本（第 {latest.version} 版）",))
    try:
        return with_retries(ctx.settings.conflict_retries,
                            lambda: _migrate_one(ctx, case.matter_code, latest.version, plan, actor, reason),
                            backoff_s=ctx.settings.conflict_backoff_s)
    except ConcurrentUpdate:
        return dataclasses.replace(plan, reasons=("办件正在被他人办理，本次未迁移，请稍后重试",))


def _migrate_one(ctx: EngineContext, matter_code: str, to_version: int, plan: MigrationPlan,
                 actor: Actor, reason: str = "") -> MigrationPlan:
    with ctx.uow() as uow:
        target, versions = _target(uow, matter_code, to_version)
        case = lock_case(uow, plan.case_id)
        if case is None or case.status != "running" or versions.get(case.definition_id, to_version) >= to_version:
            return MigrationPlan(plan.case_id, plan.case_number, plan.title, plan.from_version, to_version, False,
                                 ("办件已办结、已迁移或状态已变化，未迁移",), plan.waiting_on)
        old_version, old = versions[case.definition_id], ctx.compiled_by_id(uow, case.definition_id)
        new = ctx.compiled(target)
        sigs = (signatures(old.files, ctx.settings.max_xml_bytes), signatures(new.files, ctx.settings.max_xml_bytes))
        move = _try_move(ctx, case.state, old, new, sigs, chunk_reader(uow, case.id))
        runtime = move.runtime
        if runtime is None:
            return MigrationPlan(plan.case_id, plan.case_number, plan.title, old_version, to_version, False,
                                 tuple(move.reasons), move.waiting_on)
        ctx.take_runtime(case.id, -1)  # drop any cached copy of the old workflow
        now = ctx.clock.now()
        case.definition_id = target.id
        append_history(uow, case, occurred_at=now, event_type="case_migrated", actor_id=actor.user_id,
                       actor_role=actor.role_label, data_before=to_json({"definition_version": old_version}),
                       data_after=to_json({"from_version": old_version, "to_version": target.version}),
                       payload=to_json({"reason": reason}) if reason else None)
        save_runtime(uow, case, runtime, [], actor, now, legal=ctx.legal, webhooks=ctx.settings.webhooks)
        uow.commit()
        return MigrationPlan(plan.case_id, plan.case_number, plan.title, old_version, to_version, True,
                             (f"已从第 {old_version} 版迁移到第 {target.version} 版",),
                             _waiting_on(runtime.workflow), migrated=True)

