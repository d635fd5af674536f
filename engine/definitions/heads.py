"""Every 负责人 decision a diagram reaches has a 负责人 post to go to, checked at deploy.

A user task offered to ``=revocation_head_group`` (the 容缺逾期处置 of ``_common/delivery``, the 拟撤销审查
and 撤销决定 of ``_common/revocation``) is the deciding department's head's alone (行政许可法 art. 69: the
organ that decided revokes). A matter that reaches one must name that post in ``matter.toml``
(``[decision] head_group`` or ``[revocation] head_group``); otherwise the runtime could only offer the
decision to 窗口督办, who has no power to take it. A matter run on 事项库 entries (``entry_data``) gets
its head from each case's entry, so it is not checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from lxml import etree

from engine.definitions.metadata import MatterMetadata
from engine.definitions.references import BPMN_NS
from engine.errors import DefinitionProblem
from engine.legal_time import limits_for

#: The case-data name a diagram uses to offer a task to the deciding department's 负责人.
HEAD_EXPRESSION = "revocation_head_group"


class _HumanTask(Protocol):
    name: str
    groups_expression: str


def _running_tasks(main_process: str, trees: Mapping[str, etree._ElementTree]) -> set[str]:
    """Ids of the user tasks of the main process and of every process it calls, directly or not (a bundle
    carries every shared sub-process of ``_common``, called or not)."""
    tasks: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for tree in trees.values():
        for process in tree.getroot().iter(f"{{{BPMN_NS}}}process"):
            key = process.get("id", "")
            tasks[key] = {t.get("id", "") for t in process.iter(f"{{{BPMN_NS}}}userTask")}
            calls[key] = {c.get("calledElement", "") for c in process.iter(f"{{{BPMN_NS}}}callActivity")}
    running, todo = set(), [main_process]
    while todo:
        key = todo.pop()
        if key not in running:
            running.add(key)
            todo.extend(calls.get(key, ()))
    return {task for key in running for task in tasks.get(key, ())}


def head_problems(metadata: MatterMetadata, human_tasks: Mapping[str, _HumanTask],
                  trees: Mapping[str, etree._ElementTree]) -> list[DefinitionProblem]:
    """One problem for a matter whose diagram reaches a 负责人 decision without naming the 负责人 post."""
    if metadata.uses_entry_data:
        return []
    running = _running_tasks(metadata.process_id, trees)
    deciding = sorted(task.name for key, task in human_tasks.items()
                      if task.groups_expression == HEAD_EXPRESSION and key in running)
    limits = limits_for(metadata)
    if not deciding or limits.revocation_head_group or limits.case.head_group:
        return []
    names = "、".join(f"“{name}”" for name in deciding)
    return [DefinitionProblem("matter.toml", "decision.head_group",
                              f"流程中的{names}须由作出决定部门的负责人办理，但 matter.toml 未写明负责人岗位"
                              "（[decision] head_group，或 [revocation] head_group）")]
