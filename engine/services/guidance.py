"""What a case page tells its reader to do next: the progress bar, the days left and the applicant's next step.

An applicant of 浙里办 / 一网通办 expects to see where the case stands (申报 → 受理 → 审查 → 决定 → 送达, per
permit in a bundle), how many working days are left, and — when the case waits for them — exactly what to
do, by when, behind one button ("去补正" with the items of the 补正 notice and its deadline). Everything is
derived from facts the engine already keeps (办理状态, the stored deadlines, the open tasks, the boundary
timer that ends a 补正 period), so the page can never promise a date the process does not act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.actors import APPLICANT_GROUP
from engine.actors import Actor
from engine.clock import CHINA_TZ
from engine.persistence.repositories import cases as case_rows
from engine.services.access import task_parties
from engine.services.access import visible_case
from engine.services.cases import definition_for_case
from engine.services.cases import load_runtime
from engine.services.casework import CaseProjection
from engine.services.casework import CaseSummary
from engine.services.casework import _project
from engine.services.casework import _requested_items
from engine.services.context import EngineContext
from engine.services.deadlines import china_today
from engine.services.views import TaskView

STAGES = ("申报", "受理", "审查", "决定", "送达")
#: 办理状态 codes by what they say about the stages.
_REFUSED = frozenset({4, 5})  # 不受理 / 不予受理: the case stops at 受理
_WITHDRAWN = frozenset({2, 14, 15})  # 撤件 / 撤回 / 撤销
_DECIDED = frozenset({11, 12, 13})
_ACCEPTED = frozenset({3, 6, 7, 8, 9, 10}) | _DECIDED


@dataclass(frozen=True)
class Stage:
    name: str
    #: done / current / todo / stopped
    state: str


@dataclass(frozen=True)
class Progress:
    """One progress bar: the case's, or one permit's of a bundle (``label`` names the permit)."""

    label: str
    stages: tuple[Stage, ...]

    @property
    def current(self) -> str:
        return next((s.name for s in self.stages if s.state in ("current", "stopped")), self.stages[-1].name)


@dataclass(frozen=True)
class NextStep:
    """Something the viewer must do on the case now (an open task offered to them)."""

    task_uuid: str
    name: str
    #: The 补正 items the notice asked for (empty for other tasks).
    items: tuple[str, ...]
    due: date | None
    days_left: int | None

    @property
    def is_supplement(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True)
class CaseGuide:
    case: CaseProjection
    progress: tuple[Progress, ...]
    next_steps: tuple[NextStep, ...]
    #: Working days to the promised date while the case runs (0 on the day itself, negative once overdue).
    days_left: int | None
    finished: bool


def _stages(summary: CaseSummary, decided: bool) -> tuple[Stage, ...]:
    """The five stages from the 办理状态 and whether a decision was made (case or permit)."""
    blzt = summary.blzt
    running = summary.status == "running"
    if blzt is None:
        reached = 0
    elif blzt in _ACCEPTED or decided:
        reached = 2
    else:
        reached = 1
    if decided or (blzt in _DECIDED):
        reached = 4 if running else 5
    stopped = blzt in _REFUSED or blzt in _WITHDRAWN or (not running and reached < 4)
    stages = []
    for i, name in enumerate(STAGES):
        if i < reached:
            state = "done"
        elif i == reached and reached < len(STAGES):
            state = "stopped" if stopped else "current"
        else:
            state = "todo"
        stages.append(Stage(name, state))
    return tuple(stages)


def _progress(summary: CaseSummary) -> tuple[Progress, ...]:
    case_decided = summary.blzt in _DECIDED
    deadlines = summary.deadlines
    if deadlines is not None and len(deadlines.permits) > 1:
        return tuple(Progress(p.name, _stages(summary, case_decided or p.promised_state == "done"))
                     for p in deadlines.permits)
    return (Progress("", _stages(summary, case_decided)),)


def case_guide(ctx: EngineContext, case_id: int, actor: Actor) -> CaseGuide:
    """The case page: the case as the actor may see it, its progress and what the actor must do next.

    :raise CaseNotFound: no such case, or not the actor's to see.
    """
    today = china_today(ctx.clock.now())
    with ctx.uow() as uow:
        seen = visible_case(uow, case_id, actor, with_state=True)
        mine = [row for row in seen.open_tasks
                if APPLICANT_GROUP in row.groups and seen.access.may_work(task_parties(row))]
        runtime, data = None, None
        if mine or seen.access.is_staff:
            case = seen.case if seen.case.state is not None else case_rows.case_by_id(uow, case_id, with_state=True)
            runtime = ctx.take_runtime(case.id, case.lock_version) or load_runtime(ctx, uow, case)
            ctx.keep_runtime(case.id, case.lock_version, runtime)
            data = dict(runtime.data)
        projection = _project(ctx, uow, seen, data if seen.access.is_staff else None)
        compiled = definition_for_case(ctx, uow, seen.case)
    steps = []
    for row in mine:
        task = TaskView.of(row, seen.case)
        items = _requested_items(task, compiled.forms.get(row.form_key), data or {},
                                 compiled.metadata.supplement_item_keys(row.element_id))
        moment = row.due_at or (runtime.boundary_timer_due(row.task_uuid) if runtime is not None else None)
        due = moment.astimezone(CHINA_TZ).date() if moment is not None else None
        steps.append(NextStep(row.task_uuid, row.name, items, due, _days_left(ctx, today, due)))
    summary = projection.summary
    running = summary.status == "running"
    deadlines = summary.deadlines
    days_left = (_days_left(ctx, today, deadlines.promised_due)
                 if running and deadlines is not None and not deadlines.finished else None)
    return CaseGuide(case=projection, progress=_progress(summary), next_steps=tuple(steps),
                     days_left=days_left, finished=not running)


def _days_left(ctx: EngineContext, today: date, due: date | None) -> int | None:
    """Working days from today to ``due`` (0 on the day; negative, counted back, once it has passed)."""
    if due is None:
        return None
    if due >= today:
        return ctx.calendar.workdays_between(today, due)
    return -ctx.calendar.workdays_between(due, today)
