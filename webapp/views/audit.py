"""Auditors' pages (审计): every case, its recorded history and replay, tamper checks, heatmaps, exports.

Read-only by design: no route here changes anything, so there is no POST at all; the export is a GET
download. Every route is for auditors and administrators only. What a page shows is read from the
append-only history (replays are rebuilt from it), not from the live state of a case.
"""

from __future__ import annotations

import json
import re
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import render_template
from flask import request

from engine.actors import Actor
from engine.clock import CHINA_TZ
from engine.policy import AUDIT_GROUPS
from engine.services import casework
from engine.services.audit import case_diagram
from engine.services.audit import export_csv
from engine.services.audit import export_xes
from engine.services.audit import matter_diagram
from engine.services.audit import mining_events
from engine.services.audit import require_auditor
from engine.services.audit import verify_history
from engine.services.audit_pages import ReplayStep
from engine.services.audit_pages import audit_case_check
from engine.services.audit_pages import audit_case_page
from engine.services.audit_pages import audit_heatmap
from engine.services.audit_pages import audit_replay
from engine.services.deadlines import CaseDeadlines
from engine.services.deploy import list_matters
from engine.services.views import HistoryView
from engine.state_names import BLZT_NAMES
from engine.state_names import CASE_STATUS_NAMES as CASE_STATUSES
from engine.state_names import DEADLINE_STATE_NAMES as DEADLINE_STATES
from engine.state_names import TASK_STATE_NAMES as TASK_STATES
from webapp.china_time import china_time
from webapp.security import current_actor
from webapp.security import engine
from webapp.security import requires

bp = Blueprint("audit", __name__, url_prefix="/audit")

AUDITORS = AUDIT_GROUPS

EVENT_NAMES = {
    "case_started": "创建办件", "task_state_changed": "环节状态变化", "form_submitted": "提交表单",
    "status_changed": "办理状态变更", "document_issued": "出具文书", "document_served": "送达文书",
    "credit_recorded": "记录失信信息",
    "timers_fired": "定时触发", "task_claimed": "签收", "task_released": "退回岗位队列", "task_delegated": "转办",
    "deadline_extended": "延长办理期限", "due_date_recomputed": "重算期限", "snapshot_recorded": "记录状态快照",
    "deadline_opened": "写入期限记录（受理）", "deadline_paused": "期限暂停", "deadline_resumed": "期限恢复计算",
    "deadline_closed": "停止计时（已决定）", "extension_requested": "申请延长办理期限",
    "extension_refused": "不予批准延期",
    "case_completed": "办件结束", "case_failed": "办件异常", "case_suspended": "挂起办件", "case_resumed": "恢复办理",
    "case_terminated": "终止办理",
    "case_submitted": "提交申请（取得办件编号）", "applicant_recorded": "登记申请人身份（窗口代录）",
}
EXPORT_TYPES = {"xes": "application/xml", "csv": "text/csv; charset=utf-8"}


def _auditor() -> Actor:
    actor = current_actor()
    require_auditor(actor)
    return actor


# -- formatting ----------------------------------------------------------------------------------


def audit_time(value: datetime | None) -> str:
    """A stored (UTC) moment as China time, to the second (what audit pages show)."""
    return china_time(value, "%Y-%m-%d %H:%M:%S")


@bp.app_template_filter("event_name")
def event_name(event_type: str) -> str:
    """A history event type in Chinese (the case pages' 办理进程 and the audit timeline)."""
    return EVENT_NAMES.get(event_type, event_type)


@bp.app_template_filter("audit_json")
def audit_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


@bp.app_template_filter("data_diff")
def data_diff(after: Any, before: Any) -> list[tuple[str, str, str, str]]:
    """The keys a history row changed, as table rows (key, before, after, 新增/修改/删除): the auditor reads
    what changed instead of two JSON dumps."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    rows = []
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and old[key] == new[key]:
            continue
        empty = (None, "", [])
        if old.get(key) in empty and new.get(key) in empty:
            continue
        kind = ("新增" if old.get(key) in empty else "删除" if new.get(key) in empty else "修改")
        rows.append((key, _shown(old.get(key)), _shown(new.get(key)), kind))
    return rows


def _state_name(state: str) -> str:
    return TASK_STATES.get(state, state)


def describe(row: HistoryView) -> str:
    """What a history row records, in Chinese."""
    label = event_name(row.event_type)
    if row.event_type == "status_changed" and row.to_state.isdigit():
        return f"{label}：{row.to_state} {BLZT_NAMES.get(int(row.to_state), '')}"
    if row.event_type == "document_issued" and isinstance(row.data_after, dict):
        return f"{label}：{row.data_after.get('title', '')}"
    if row.event_type == "deadline_extended":
        return f"{label} {row.to_state} 个工作日"
    return label


def _deadline_json(deadlines: CaseDeadlines | None) -> dict[str, Any] | None:
    if deadlines is None:
        return None
    return {"promised_due": deadlines.promised_due.isoformat(), "statutory_due": deadlines.statutory_due.isoformat(),
            "promised_state": deadlines.promised_state, "statutory_state": deadlines.statutory_state,
            "promised_state_name": DEADLINE_STATES.get(deadlines.promised_state, deadlines.promised_state),
            "statutory_state_name": DEADLINE_STATES.get(deadlines.statutory_state, deadlines.statutory_state),
            "paused": deadlines.is_paused}


# -- replay --------------------------------------------------------------------------------------


def _seq(raw: str | None) -> int | None:
    """The ``seq`` parameter; anything but a number means "the last step"."""
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def replay_payload(step: ReplayStep) -> dict[str, Any]:
    """A replay step in diagram terms, as the page's script reads it.

    Elements of called processes (收件与受理, 出件与好差评) are shown on their call activity.
    """
    state, diagram, deadlines = step.state, step.diagram, step.deadlines
    names = diagram.element_names
    event = dict(state.event)
    stamp = datetime.fromisoformat(event["occurred_at"])
    element_id = event.get("element_id") or ""
    event.update(label=event_name(event["event_type"]), at=audit_time(stamp),
                 element_name=event.get("element_name") or names.get(element_id, ""),
                 shown_on=diagram.called_in.get(element_id, element_id),
                 actor_name=step.people.get(event["actor_id"], event["actor_id"]),
                 to_state_name=_state_name(event.get("to_state") or ""))
    open_tasks = [{"id": t, "name": names.get(t) or t, "shown_on": diagram.called_in.get(t, t)}
                  for t in state.open_tasks]
    return {
        "seq": state.seq, "total": state.total, "event": event,
        "open_tasks": open_tasks,
        "active": sorted({t["shown_on"] for t in open_tasks}),
        "completed": sorted(set(state.completed)),
        "flow_counts": state.flow_counts,
        "overdue": deadlines is not None and deadlines.promised_state == "red",
        "deadline": _deadline_json(deadlines),
        "blzt": state.blzt, "blzt_name": BLZT_NAMES.get(state.blzt or 0, "—"),
        "documents": list(state.documents),
        "data": state.data,
    }


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json")


# -- pages ---------------------------------------------------------------------------------------


@bp.get("")
@requires(*AUDITORS)
def index():  # type: ignore[no-untyped-def]
    """Every case of every department, with filters; links to verification, heatmaps and exports."""
    actor = _auditor()
    matter = request.args.get("matter") or None
    status = request.args.get("status") or None
    search = request.args.get("q", "").strip()
    rows = casework.list_cases(engine(), actor, matter_code=matter, search=search, status=status, limit=1000)
    return render_template("audit/index.html", cases=rows, matters=list_matters(engine()), q=search,
                           matter=matter or "", status=status or "", statuses=CASE_STATUSES)


@bp.get("/cases/<int:case_id>")
@requires(*AUDITORS)
def case(case_id: int):  # type: ignore[no-untyped-def]
    """One page of a case's history rows (``?page=``), its documents with hashes, and the diagram with replay."""
    page = audit_case_page(engine(), case_id, current_actor(), _seq(request.args.get("seq")),
                           _seq(request.args.get("page")))
    state = replay_payload(page.replay) if page.replay is not None else None
    return render_template(
        "audit/case.html", s=page.summary, history=page.history, diagram=page.diagram,
        seq=page.seq, total=page.total, page=page.page, pages=page.pages, first_seq=page.first_seq,
        rows_per_page=page.rows_per_page, state=state, replay_error=page.replay_error,
        state_json=json.dumps(state, ensure_ascii=False, default=str) if state else "",
        check=page.check, documents=page.documents, people=page.people, describe=describe,
        state_name=_state_name, deadline_states=DEADLINE_STATES)


@bp.get("/cases/<int:case_id>/replay.json")
@requires(*AUDITORS)
def replay(case_id: int) -> Response:
    """One replay step as JSON (the page's slider and 上一步/下一步 fetch this)."""
    step, error = audit_replay(engine(), case_id, current_actor(), _seq(request.args.get("seq")))
    return _json(replay_payload(step)) if step is not None else _json({"error": error}, 500)


@bp.get("/cases/<int:case_id>/diagram.bpmn")
@requires(*AUDITORS)
def case_bpmn(case_id: int) -> Response:
    """The main BPMN of the definition version the case ran on."""
    _auditor()
    return Response(case_diagram(engine(), case_id).main_bpmn, mimetype="application/xml")


@bp.get("/verify")
@requires(*AUDITORS)
def verify():  # type: ignore[no-untyped-def]
    """Recompute every case's hash chain; name each broken one with its first bad row."""
    _auditor()
    checks = verify_history(engine())
    return render_template("audit/verify.html", checks=checks, broken=[c for c in checks if not c.ok],
                           rows=sum(c.rows for c in checks))


@bp.get("/cases/<int:case_id>/verify")
@requires(*AUDITORS)
def verify_case(case_id: int):  # type: ignore[no-untyped-def]
    page = audit_case_check(engine(), case_id, current_actor())
    return render_template("audit/verify_case.html", check=page.check, bad=page.bad, describe=describe,
                           state_name=_state_name)


@bp.get("/heatmap/<code>")
@requires(*AUDITORS)
def heatmap(code: str):  # type: ignore[no-untyped-def]
    """The matter's newest diagram with how often each element ran and how long it took."""
    page = audit_heatmap(engine(), code, current_actor())
    data = {h.element_id: {"runs": h.runs, "avg": h.avg_workdays, "name": h.name} for h in page.heat}
    return render_template("audit/heatmap.html", matter=code, matter_name=page.matter_name, diagram=page.diagram,
                           heat=page.heat, heat_json=json.dumps(data, ensure_ascii=False),
                           max_runs=max((h.runs for h in page.heat), default=0))


@bp.get("/heatmap/<code>/diagram.bpmn")
@requires(*AUDITORS)
def heatmap_bpmn(code: str) -> Response:
    _auditor()
    return Response(matter_diagram(engine(), code).main_bpmn, mimetype="application/xml")


def _day(raw: str | None, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD date as the start of that China day (``end``: the start of the next day)."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        abort(400, description=f"日期“{raw}”格式不正确，应为 YYYY-MM-DD")
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=CHINA_TZ)


@bp.get("/export")
@requires(*AUDITORS)
def export() -> Response:
    """Process-mining export of task events: XES (IEEE 1849) or CSV, as a download."""
    _auditor()
    fmt = request.args.get("format", "xes")
    if fmt not in EXPORT_TYPES:
        abort(400, description="导出格式只能为 xes 或 csv")
    matter = request.args.get("matter") or None
    since, until = _day(request.args.get("since")), _day(request.args.get("until"), end=True)
    events = mining_events(engine(), matter_code=matter, since=since, until=until)
    body = export_xes(events) if fmt == "xes" else "\ufeff" + export_csv(events)  # BOM: Excel reads UTF-8
    stamp = engine().clock.now().astimezone(CHINA_TZ).strftime("%Y%m%d")
    label = re.sub(r"[^A-Za-z0-9_-]", "_", matter or "all")
    filename = f"onewindow-{label}-{stamp}.{fmt}"
    response = Response(body, content_type=EXPORT_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
