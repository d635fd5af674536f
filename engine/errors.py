"""Domain errors raised by the engine.

Each error carries a Chinese ``message`` that can be shown to the person who caused it, plus
structured fields for logs and APIs. The web layer maps the classes to HTTP statuses once; the
engine never knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class EngineError(Exception):
    """Base class; ``message`` is for users (Chinese), ``str(error)`` includes it."""

    message: str = "办理过程出错"

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem found while checking a matter's files: where it is and what is wrong."""

    file: str
    element_id: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f" [{self.element_id}]" if self.element_id else "")
        return f"{where}: {self.problem}"


class DefinitionInvalid(EngineError):
    """A process definition (BPMN, DMN, form or metadata) failed the catalog checks."""

    def __init__(self, problems: list[DefinitionProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"- {p}" for p in problems)
        super().__init__(f"流程定义校验未通过，共 {len(problems)} 个问题：\n{lines}")


class UnsafeXml(EngineError):
    """XML with a DOCTYPE/entities, or over the size cap: refused before any parser sees it."""


class MatterNotFound(EngineError):
    def __init__(self, matter_code: str) -> None:
        self.matter_code = matter_code
        super().__init__(f"未找到事项：{matter_code}")


class CaseNotFound(EngineError):
    def __init__(self, case_ref: object) -> None:
        self.case_ref = case_ref
        super().__init__(f"未找到办件：{case_ref}")


class DocumentNotFound(CaseNotFound):
    """No such document on a case the actor sees (a ``CaseNotFound``: the same 404 as an unknown case)."""

    def __init__(self, document_ref: object) -> None:
        self.document_ref = self.case_ref = document_ref
        EngineError.__init__(self, f"未找到文书：{document_ref}")


class TaskNotFound(EngineError):
    def __init__(self, task_ref: object) -> None:
        self.task_ref = task_ref
        super().__init__(f"未找到任务：{task_ref}")


class TaskNotReady(EngineError):
    """The task exists but cannot be worked on now (already done, not yet reached, cancelled)."""

    def __init__(self, task_name: str, state: str) -> None:
        self.task_name = task_name
        self.state = state
        super().__init__(f"任务“{task_name}”当前不可办理（状态：{state}），可能已被他人处理，请刷新。")


class TaskAlreadyDone(TaskNotReady):
    """The task was completed already (often by a colleague a moment ago): sending it again is pointless.

    Distinct from ``ConcurrentUpdate`` (someone changed *another* part of the case; the same request
    may succeed when sent again), so clients can stop instead of retrying.
    """

    def __init__(self, task_name: str, *, case_id: int | None = None, completed_at: datetime | None = None,
                 completed_by: str = "", field_labels: Mapping[str, str] | None = None) -> None:
        self.task_name = task_name
        #: When known (a page reopened in a second tab): which case, when and by whom it was finished, so the
        #: page can say "该环节已于…由…办结" and link back instead of a bare error.
        self.case_id = case_id
        self.completed_at = completed_at
        self.completed_by = completed_by
        #: The task form's labels by key, to show back what the person typed under the names they saw.
        self.field_labels = dict(field_labels or {})
        self.state = "已办结"
        EngineError.__init__(self, f"任务“{task_name}”已办结（可能已由他人办理），无需再次提交，请刷新查看下一步。")


class NotAllowed(EngineError):
    """The actor lacks the role, group or ownership the action needs."""

    def __init__(self, message: str = "您无权执行此操作") -> None:
        super().__init__(message)


class FormDataInvalid(EngineError):
    """Submitted form values broke the task form's rules; ``errors`` maps field key to message."""

    def __init__(self, errors: Mapping[str, str], values: Mapping[str, object] | None = None) -> None:
        self.errors = dict(errors)
        self.values = dict(values or {})
        super().__init__(f"表单填写有误，共 {len(self.errors)} 处，请修改后重新提交")


class ConcurrentUpdate(EngineError):
    """Someone else changed the case between our read and our write; nothing of ours was saved."""

    def __init__(self, message: str = "该办件刚刚被他人更新，您的操作未保存，请刷新后重试") -> None:
        super().__init__(message)


class StaleSubmission(ConcurrentUpdate):
    """A form was submitted on a case read before someone else changed a field of that form.

    Distinct from its parent: retrying as-is would overwrite what the other person wrote unseen, so
    the submitter must read the case again. ``changes`` says who changed what and when, one plain
    mapping per change (seq, occurred_at in Asia/Shanghai ISO form, step, by, fields).
    """

    def __init__(self, message: str, changes: tuple[dict[str, object], ...]) -> None:
        self.changes = changes
        super().__init__(message)


class ExpressionRefused(EngineError):
    """A diagram expression tried something the sandbox forbids, or ran too long."""


class CaseFailed(EngineError):
    """The engine could not continue the case (a script or condition failed at run time)."""

    def __init__(self, element_id: str, detail: str, *, element_name: str = "", task_uuid: str = "",
                 data: dict[str, Any] | None = None, kind: str = "engine", explanation: str = "") -> None:
        self.element_id = element_id
        self.detail = detail
        self.element_name = element_name
        self.task_uuid = task_uuid
        #: The failing task's data at that moment (the incident's snapshot).
        self.data = dict(data or {})
        #: engine / completion / timer / message: what was running when it failed.
        self.kind = kind
        #: A Chinese sentence for the cause when it is known, else empty.
        self.explanation = explanation
        where = f"“{element_name}”（{element_id}）" if element_name else element_id
        super().__init__(f"流程在环节 {where} 执行出错：{explanation or detail}")


class IncidentRaised(EngineError):
    """A step failed inside the workflow: an incident was recorded and the case marked 异常.

    Nothing the person did is lost: a failed completion left the task open, with the values kept
    as the person's draft, and an administrator can retry after fixing the cause.
    """

    def __init__(self, incident_id: int, failure: CaseFailed) -> None:
        self.incident_id = incident_id
        self.failure = failure
        super().__init__(f"提交未能完成：{failure.message}。已记录为异常（编号 {incident_id}）并通知管理员，"
                         "您填写的内容已暂存，处理后可再次提交。")


class MessageNotCorrelated(EngineError):
    """No case waits for the message (with these keys), and it starts none: nothing was stored."""


class MessageAmbiguous(EngineError):
    """Several cases wait for the message under these keys; the sender must name one (办件编号)."""


class CaseSuspended(EngineError):
    """The case is suspended (挂起) by an administrator: nothing moves until it is resumed."""

    def __init__(self, case_number: str = "") -> None:
        super().__init__(f"办件{case_number}已被挂起，恢复后才能继续办理")
