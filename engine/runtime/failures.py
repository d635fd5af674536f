"""Turning an exception inside the workflow into a ``CaseFailed``: which element, what went wrong
(in Chinese where we know the cause), and the task's data at that moment.

SpiffWorkflow raises from deep inside ``do_engine_steps``, ``Task.run()`` and ``refresh_timers``,
sometimes with the task attached (``WorkflowTaskException``), sometimes without (sandbox refusals,
errors of functions the diagram calls). Whatever arrives becomes one ``CaseFailed`` that the services
store as an incident; nothing escapes to the user as a traceback.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.task import Task

from engine.errors import CaseFailed
from engine.errors import ExpressionRefused

_NAME_ERROR = re.compile(r"name '([^']+)' is not defined")


class CompletionFailed(Exception):
    """Completing a human task raised inside SpiffWorkflow; ``failure`` says where and why."""

    def __init__(self, failure: CaseFailed) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def explain(exc: BaseException) -> str:
    """A Chinese sentence for the causes designers and administrators meet most."""
    text = str(exc)
    if isinstance(exc, ExpressionRefused):
        return exc.message
    missing = _NAME_ERROR.search(text)
    if missing:
        return f"变量“{missing.group(1)}”没有值（表单或前面的环节未写入）"
    if isinstance(exc, WorkflowDataException):
        output = getattr(getattr(exc, "data_output", None), "bpmn_id", None)
        if "output item" in text:
            item = getattr(getattr(getattr(exc, "task", None), "task_spec", None), "output_item", None)
            name = getattr(item, "bpmn_id", None) or output or ""
            return f"多实例环节没有写入输出项“{name}”（表单中缺少该字段）"
        return f"流程数据有误：{_first_line(exc)}"
    if "No conditions satisfied" in text:
        return "网关的所有条件都不成立，且没有默认流向"
    if isinstance(exc, KeyError):
        return f"缺少数据项 {text}"
    return f"运行出错：{_first_line(exc)}"


def task_of(exc: BaseException, fallback: Task | None = None) -> Task | None:
    task = getattr(exc, "task", None)
    return task if isinstance(task, Task) else fallback


def _data_of(task: Task | None) -> dict[str, Any]:
    if task is None:
        return {}
    try:
        return copy.deepcopy(dict(task.data))
    except Exception:  # noqa: BLE001 - a snapshot must never hide the failure it documents
        return {key: repr(value) for key, value in task.data.items()}


def failure_of(exc: BaseException, fallback: Task | None = None, *, kind: str = "engine") -> CaseFailed:
    """The ``CaseFailed`` for ``exc``: the failing task (from the exception, else ``fallback``),
    the first line of the engine's text as ``detail`` (the rest is a code listing), and a snapshot."""
    task = task_of(exc, fallback)
    spec = getattr(task, "task_spec", None)
    element_id = getattr(spec, "bpmn_id", None) or ""
    detail = _first_line(exc)
    if not getattr(exc, "task", None) and not isinstance(exc, ExpressionRefused):
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return CaseFailed(element_id, detail, element_name=getattr(spec, "bpmn_name", None) or "",
                      task_uuid=str(task.id) if task is not None else "", data=_data_of(task), kind=kind,
                      explanation=explain(exc))
