"""The Chinese names of every state vocabulary, one table each, read by the engine, pages and API.

Four vocabularies are shown to people: 办理状态 codes (the national 1–15 list), a case's engine
status, a SpiffWorkflow task's state (audit timelines, "not ready" errors) with the worklist row
states derived from it, and the traffic light of a deadline. Each has exactly one table here, so
a name can never read differently on two pages.
"""

from __future__ import annotations

#: 办理状态 (blzt) codes of the national 一体化政务服务平台 list (see /work/shared/docs/domain.md).
BLZT_NAMES: dict[int, str] = {
    1: "已接件", 2: "已撤件", 3: "已受理", 4: "不受理", 5: "不予受理", 6: "补正（开始）", 7: "补正（结束）",
    8: "部门开始办理", 9: "特别程序（开始）", 10: "特别程序（结束）", 11: "办结（通过）", 12: "办结（容缺通过）",
    13: "办结（不通过）", 14: "撤回", 15: "撤销",
}
#: What a case without any 办理状态 yet (not yet received) shows.
NO_BLZT_NAME = "办理中"

#: What pages show for the 办件编号 of a draft: it is numbered when the application is submitted.
DRAFT_NUMBER_LABEL = "草稿（提交后编号）"

#: A case's engine status (``cases.status``); 办理状态 says more, this says whether the process still runs.
CASE_STATUS_NAMES: dict[str, str] = {"draft": "草稿（未提交）", "running": "办理中", "completed": "已结束",
                                     "failed": "异常", "cancelled": "已终止", "suspended": "已挂起"}

#: SpiffWorkflow ``TaskState`` names, as recorded in history rows (``from_state``/``to_state``).
TASK_STATE_NAMES: dict[str, str] = {
    "FUTURE": "未到达", "LIKELY": "预计到达", "MAYBE": "可能到达", "READY": "待办", "WAITING": "等待中",
    "STARTED": "进行中", "COMPLETED": "已完成", "CANCELLED": "已取消", "ERROR": "出错",
}

#: Worklist row states (``human_tasks.state``): the same words as the task states they mirror.
WORK_ITEM_STATE_NAMES: dict[str, str] = {"open": TASK_STATE_NAMES["READY"], "completed": TASK_STATE_NAMES["COMPLETED"],
                                         "cancelled": TASK_STATE_NAMES["CANCELLED"]}

#: Deadline traffic lights (``engine.calendar.DeadlineState``).
DEADLINE_STATE_NAMES: dict[str, str] = {"normal": "正常", "yellow": "临近", "red": "超期", "done": "已办结"}


def blzt_name(code: int | None) -> str:
    """The name of a 办理状态 code; ``NO_BLZT_NAME`` before the first one."""
    return BLZT_NAMES.get(code or 0, NO_BLZT_NAME)


def work_item_state_name(state: str) -> str:
    return WORK_ITEM_STATE_NAMES.get(state, state)


def deadline_state_name(state: str) -> str:
    return DEADLINE_STATE_NAMES.get(state, state)
