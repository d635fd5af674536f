"""Auditors' tools: tamper evidence, replay from history, heatmaps, XES/CSV export.

Everything here reads the append-only history, never the live state, so an auditor sees what
was recorded at the time. Verification recomputes the hash chain row by row and names the first
row that was edited, inserted or deleted.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.actors import Actor
from engine.clock import CHINA_TZ
from engine.clock import FixedClock
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.safexml import parse_xml
from engine.errors import CaseNotFound
from engine.errors import NotAllowed
from engine.history import GENESIS_HASH
from engine.history import HASHED_FIELDS
from engine.history import head_mac
from engine.history import row_digest
from engine.legal_time import DeadlineRecord
from engine.persistence.repositories.cases import all_cases
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.cases import sign_head
from engine.persistence.repositories.deadlines import revisions_of_case
from engine.persistence.repositories.definitions import definition
from engine.persistence.repositories.history import SnapshotRow
from engine.persistence.repositories.history import history_for_export
from engine.persistence.repositories.history import history_of_case
from engine.persistence.repositories.history import history_of_types
from engine.persistence.repositories.history import history_page
from engine.persistence.repositories.history import snapshot_before
from engine.persistence.repositories.organisation import append_audit
from engine.persistence.rows import CaseRow
from engine.persistence.rows import HistoryRow
from engine.policy import AUDIT_GROUPS
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.cases import definition_for_case
from engine.services.context import EngineContext
from engine.services.deadlines import CaseDeadlines
from engine.services.deadlines import current_view


def require_auditor(actor: Actor) -> None:
    if not actor.in_any(AUDIT_GROUPS):
        raise NotAllowed("仅审计人员可以使用审计功能")


# -- tamper evidence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainCheck:
    case_id: int
    case_number: str | None  # None: a draft (its history is chained like a case's)
    ok: bool
    rows: int
    first_bad_seq: int | None = None
    problem: str = ""


def _fields(row: HistoryRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in HASHED_FIELDS}


def check_chain(case: CaseRow, rows: Sequence[HistoryRow], history_key: str = "", *, first_seq: int = 1,
                previous: str = GENESIS_HASH) -> ChainCheck:
    """Recompute one case's chain; the first broken link names the row that was tampered with.

    With a history key, the case's head must also carry the key's signature: a chain recomputed
    from any row on (all hashes consistent again) no longer matches it.

    :param first_seq: the seq of ``rows[0]`` when rows before it were verified already, ``previous``
        the hash of the row before it (``services.audit_chain`` checks only what is new).
    """
    total = first_seq - 1 + len(rows)
    for expected_seq, row in enumerate(rows, start=first_seq):
        if row.seq != expected_seq:
            kind = "删除" if row.seq > expected_seq else "插入"
            return ChainCheck(case.id, case.case_number, False, total, expected_seq,
                              f"第 {expected_seq} 条记录缺失或序号异常（疑似{kind}）")
        if row.prev_hash != previous:
            return ChainCheck(case.id, case.case_number, False, total, row.seq,
                              f"第 {row.seq} 条记录与上一条的哈希链接不一致（之前的记录被删除、插入或修改）")
        if row_digest(_fields(row)) != row.row_hash:
            return ChainCheck(case.id, case.case_number, False, total, row.seq,
                              f"第 {row.seq} 条记录的内容与其哈希不符（记录被修改）")
        previous = row.row_hash
    if case.history_seq != total or (case.history_hash or GENESIS_HASH) != previous:
        return ChainCheck(case.id, case.case_number, False, total, total + 1,
                          f"办件记载共 {case.history_seq} 条记录，实有 {total} 条（末尾记录被删除或追加）")
    if history_key and total:
        if case.history_mac is None:
            return ChainCheck(case.id, case.case_number, False, total, total,
                              "记录链头没有签名（签名被清除，或为启用签名密钥前的旧记录："
                              "核验无误后可运行 onewindow verify --sign-unsigned 补签）")
        if not hmac.compare_digest(case.history_mac, head_mac(history_key, case.id, case.history_seq,
                                                               case.history_hash)):
            return ChainCheck(case.id, case.case_number, False, total, total,
                              "记录链头的签名不符：整条办理记录或链头被改写（或签名密钥与写入时不同）")
    return ChainCheck(case.id, case.case_number, True, total)


def verify_history(ctx: EngineContext, case_id: int | None = None) -> list[ChainCheck]:
    """Check every case's chain (or one case's)."""
    results = []
    with ctx.uow() as uow:
        cases = [case_by_id(uow, case_id)] if case_id is not None else all_cases(uow, with_drafts=True)
        for case in cases:
            if case is None:
                raise CaseNotFound(case_id)
            results.append(check_chain(case, history_of_case(uow, case.id), ctx.settings.history_key))
    return sorted(results, key=lambda r: r.case_id)


def sign_unsigned_heads(ctx: EngineContext, actor: Actor) -> int:
    """Sign the heads of cases that have none but whose chain verifies (history from before the key
    was configured); returns how many were signed, each in the admin audit log.

    An operator runs this once after setting ``ONEWINDOW_HISTORY_KEY`` on an existing database. A
    case whose chain does not verify stays unsigned and keeps failing ``verify``.

    :raise NotAllowed: not an auditor/administrator. :raise ValueError: no history key configured.
    """
    require_auditor(actor)
    key = ctx.settings.history_key
    if not key:
        raise ValueError("未配置记录签名密钥（ONEWINDOW_HISTORY_KEY），无法补签")
    signed = 0
    with ctx.uow(write=True) as uow:
        for case in all_cases(uow):
            if case.history_mac is not None or case.history_seq == 0:
                continue
            if not check_chain(case, history_of_case(uow, case.id)).ok:
                continue
            if sign_head(uow, case.id, case.history_seq, case.history_hash,
                         head_mac(key, case.id, case.history_seq, case.history_hash)):
                signed += 1
                append_audit(uow, occurred_at=ctx.clock.now(), actor_id=actor.user_id, actor_role=actor.role_label,
                             area="history", event_type="history_head_signed", subject=f"case:{case.case_number}",
                             summary=f"办件 {case.case_number} 的办理记录（{case.history_seq} 条）核验无误，补签链头")
        uow.commit()
    return signed


# -- export --------------------------------------------------------------------------------------

#: History transitions that become process-mining events, with their XES lifecycle transition.
LIFECYCLE = {"READY": "start", "COMPLETED": "complete", "CANCELLED": "ate_abort"}


@dataclass(frozen=True)
class MiningEvent:
    case_number: str
    matter_code: str
    activity: str
    element_id: str
    timestamp: datetime
    lifecycle: str
    resource: str


def mining_events(ctx: EngineContext, *, matter_code: str | None = None, since: datetime | None = None,
                  until: datetime | None = None) -> list[MiningEvent]:
    events: list[MiningEvent] = []
    with ctx.uow() as uow:
        for item in history_for_export(uow, matter_code, since, until):
            row = item.event
            lifecycle = LIFECYCLE.get(row.to_state)
            if item.case_number is None:
                continue  # a draft is no process instance yet (drafts are not cases)
            if row.event_type != "task_state_changed" or lifecycle is None or not row.element_id:
                continue
            events.append(MiningEvent(item.case_number, item.matter_code, row.element_name or row.element_id,
                                      row.element_id, row.occurred_at, lifecycle, row.actor_id))
    return events


def export_xes(events: Iterable[MiningEvent]) -> str:
    """IEEE 1849 XES: one trace per case, standard concept/time/lifecycle/org extensions."""
    traces: dict[str, list[MiningEvent]] = defaultdict(list)
    for event in events:
        traces[event.case_number].append(event)
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write('<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n')
    for name, prefix, uri in (("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
                              ("Time", "time", "http://www.xes-standard.org/time.xesext"),
                              ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
                              ("Organizational", "org", "http://www.xes-standard.org/org.xesext")):
        out.write(f'  <extension name="{name}" prefix="{prefix}" uri="{uri}"/>\n')
    out.write('  <global scope="trace"><string key="concept:name" value="__INVALID__"/></global>\n')
    out.write('  <global scope="event"><string key="concept:name" value="__INVALID__"/>'
              '<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>'
              '<string key="lifecycle:transition" value="complete"/></global>\n')
    out.write('  <string key="concept:name" value="OneWindow history"/>\n')
    for case_number, items in traces.items():
        out.write(f'  <trace>\n    <string key="concept:name" value={quoteattr(case_number)}/>\n')
        out.write(f'    <string key="matter" value={quoteattr(items[0].matter_code)}/>\n')
        for event in items:
            stamp = event.timestamp.isoformat(timespec="milliseconds")
            out.write("    <event>"
                      f'<string key="concept:name" value={quoteattr(event.activity)}/>'
                      f'<string key="element_id" value={quoteattr(event.element_id)}/>'
                      f'<date key="time:timestamp" value="{stamp}"/>'
                      f'<string key="lifecycle:transition" value="{event.lifecycle}"/>'
                      f'<string key="org:resource" value={quoteattr(event.resource)}/>'
                      "</event>\n")
        out.write("  </trace>\n")
    out.write("</log>\n")
    return out.getvalue()


def export_csv(events: Iterable[MiningEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["case_id", "matter", "activity", "element_id", "timestamp", "lifecycle", "resource"])
    for e in events:
        writer.writerow([e.case_number, e.matter_code, e.activity, e.element_id,
                         e.timestamp.isoformat(timespec="milliseconds"), e.lifecycle, e.resource])
    return out.getvalue()


# -- heatmap -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ElementHeat:
    element_id: str
    name: str
    runs: int
    avg_workdays: float | None


def matter_heatmap(ctx: EngineContext, matter_code: str) -> list[ElementHeat]:
    """How often each element ran, and its average duration in working days (ready → completed)."""
    started: dict[str, datetime] = {}
    runs: dict[str, int] = defaultdict(int)
    durations: dict[str, list[int]] = defaultdict(list)
    names: dict[str, str] = {}
    with ctx.uow() as uow:
        for item in history_for_export(uow, matter_code, None, None):
            row = item.event
            if row.event_type != "task_state_changed" or not row.element_id:
                continue
            names[row.element_id] = row.element_name or row.element_id
            if row.to_state == "READY":
                started[row.task_uuid] = row.occurred_at
            elif row.to_state == "COMPLETED":
                runs[row.element_id] += 1
                begun = started.pop(row.task_uuid, None)
                if begun is not None:
                    durations[row.element_id].append(ctx.calendar.workdays_between(
                        begun.astimezone(CHINA_TZ).date(), row.occurred_at.astimezone(CHINA_TZ).date()))
    return sorted((ElementHeat(e, names[e], runs[e],
                               sum(durations[e]) / len(durations[e]) if durations[e] else None) for e in runs),
                  key=lambda h: -h.runs)


# -- replay --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayState:
    """The case as it was right after history row ``seq``, rebuilt from history alone."""

    seq: int
    total: int
    event: dict[str, Any]
    open_tasks: tuple[str, ...]
    completed: tuple[str, ...]
    flow_counts: dict[str, int]
    data: dict[str, Any]
    blzt: int | None
    documents: tuple[str, ...] = field(default_factory=tuple)


def replay_case(ctx: EngineContext, case_id: int, upto_seq: int) -> ReplayState:
    """Re-run the case's definition version, re-applying recorded actions up to ``upto_seq``.

    Submitted forms are re-applied by element (the n-th submission for an element goes to the
    n-th ready occurrence), timers fire at their recorded time on a clock set from the history,
    so the workflow passes through the same states it did live. The live state is never read.

    It starts from the newest snapshot at or before ``upto_seq`` that the chained history vouches
    for, and reads only what it needs of a long history: the first row, the rows after the snapshot,
    and the status and document rows before it (what the state shows was read straight from those).
    """
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        compiled = definition_for_case(ctx, uow, case)
        total = case.history_seq
        upto = max(1, min(upto_seq, total))
        snapshot = snapshot_before(uow, case_id, upto)
        base = snapshot.seq if snapshot is not None else 0
        head = history_page(uow, case_id, 1, 1)
        # The snapshot's own row vouches for it; the rows after it are re-applied.
        tail = history_page(uow, case_id, max(base, 1), upto)
        marks = history_of_types(uow, case_id, ("status_changed", "document_issued"), upto)
    if not head or not tail or tail[-1].seq != upto:
        # A history shorter than its head says (rows deleted): read it all, as it is.
        with ctx.uow() as uow:
            rows = history_of_case(uow, case_id)
        if not rows:
            raise CaseNotFound(case_id)
        upto = max(1, min(upto_seq, len(rows)))
        head, tail, total = rows[:1], rows[:upto], len(rows)
        marks = [row for row in tail if row.event_type in ("status_changed", "document_issued")]
        snapshot = None
    start = head[0]
    clock = FixedClock(start.occurred_at)
    initial = json.loads(start.data_after or "{}").get("data", {})
    blzt: int | None = None
    documents: list[str] = []
    for row in marks:  # what the status and documents were is read straight from the rows
        if row.event_type == "status_changed":
            # After 补正（结束）/特别程序（结束） the case shows the code it returned to.
            blzt = int(json.loads(row.data_after or "{}").get("shown") or row.to_state)
        elif row.event_type == "document_issued":
            documents.append(json.loads(row.data_after or "{}").get("title", ""))
    with clock_bound(clock):
        if snapshot is not None and _vouched(snapshot, tail[0]):
            # Start from the snapshot the chained history vouches for, then re-apply the rest.
            runtime = CaseRuntime.restore(compiled, snapshot.state, ctx.script_engine)
            replayed = tail[1:]
        else:
            runtime = CaseRuntime.start(compiled, ctx.script_engine, initial)
            if tail[0].seq != 1:
                with ctx.uow() as uow:
                    tail = history_page(uow, case_id, 1, upto)
            replayed = tail[1:]
        number: dict[str, Any] = {}
        for row in replayed:
            clock.set(row.occurred_at)
            if row.event_type == "case_submitted":
                # A draft became a case: its number went into the submitted application's data.
                number = {"case_number": json.loads(row.data_after or "{}").get("case_number")}
            elif row.event_type == "form_submitted":
                _reapply(runtime.workflow, row, number)
                number = {}
            elif row.event_type == "timers_fired":
                runtime.fire_due_timers()
    runtime.forget_ready()
    workflow = runtime.workflow
    completed = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
                 if getattr(t.task_spec, "bpmn_id", None)]
    flows: dict[str, int] = defaultdict(int)
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        for child in task.children:
            if child.has_state(TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED):
                flows[f"{task.task_spec.bpmn_id}->{child.task_spec.bpmn_id}"] += 1
    event = tail[-1]
    return ReplayState(
        seq=upto, total=total,
        event={"seq": event.seq, "event_type": event.event_type, "element_id": event.element_id,
               "element_name": event.element_name, "actor_id": event.actor_id,
               "occurred_at": event.occurred_at.isoformat(), "to_state": event.to_state},
        open_tasks=tuple(t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)),
        completed=tuple(completed), flow_counts=dict(flows), data=runtime.data, blzt=blzt,
        documents=tuple(documents))


def _vouched(snapshot: SnapshotRow, row: HistoryRow) -> bool:
    """A snapshot counts only if its bytes match the hash its history row (``row``, at its seq) recorded."""
    if row.seq != snapshot.seq:
        return False
    recorded = json.loads(row.data_after or "{}").get("sha256")
    return row.event_type == "snapshot_recorded" and recorded == hashlib.sha256(snapshot.state).hexdigest()


def _reapply(workflow: BpmnWorkflow, row: HistoryRow, before: dict[str, Any] | None = None) -> None:
    """Re-apply one submission; ``before``: data the live step set on the task first (a draft's number)."""
    ready = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == row.element_id]
    if not ready:
        return
    task = min(ready, key=lambda t: t.last_state_change)
    task.data.update(before or {})
    task.data.update(json.loads(row.data_after or "{}"))
    task.run()
    try:
        workflow.do_engine_steps()
    except Exception:  # noqa: BLE001 - a replay shows what happened, including a failure
        return


# -- diagrams and deadlines for the audit pages -------------------------------------------------


@dataclass(frozen=True)
class AuditDiagram:
    """The main BPMN of one definition version, and where called processes' elements show on it."""

    matter_code: str
    version: int
    main_bpmn: str
    #: element id inside a called process (收件与受理, 出件与好差评) -> the call activity of the main diagram
    called_in: dict[str, str]
    element_names: dict[str, str]


def _local_name(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _audit_diagram(matter_code: str, version: int, compiled: CompiledDefinition, max_bytes: int) -> AuditDiagram:
    process_id = compiled.metadata.process_id
    main = compiled.main_bpmn
    members: dict[str, set[str]] = {}  # process id -> ids of the elements inside it
    calls: dict[str, list[tuple[str, str]]] = {}  # process id -> (call activity id, called process id)
    for name, text in compiled.files.items():
        if not name.endswith(".bpmn"):
            continue
        for process in parse_xml(text, name, max_bytes).getroot().iter():
            if _local_name(process) != "process" or not process.get("id"):
                continue
            inside = [e for e in process.iter() if e is not process]
            members[process.get("id")] = {e.get("id") for e in inside if e.get("id")}
            calls[process.get("id")] = [(e.get("id"), e.get("calledElement") or "") for e in inside
                                        if _local_name(e) == "callActivity" and e.get("id")]
    own = members.get(process_id, set())
    called_in: dict[str, str] = {}

    def walk(pid: str, anchor: str | None, seen: frozenset[str]) -> None:
        for call_id, called in calls.get(pid, []):
            shown = anchor or call_id  # nested calls show on the outermost call activity
            if called in members and called not in seen:
                for element_id in members[called] - own:
                    called_in.setdefault(element_id, shown)
                walk(called, shown, seen | {called})

    walk(process_id, None, frozenset({process_id}))
    return AuditDiagram(matter_code, version, main, called_in, dict(compiled.element_names))


def case_diagram(ctx: EngineContext, case_id: int) -> AuditDiagram:
    """The diagram of the definition version the case ran on (not the matter's newest version)."""
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        record = definition(uow, case.definition_id)
        assert record is not None  # guaranteed by the foreign key
        compiled = definition_for_case(ctx, uow, case)
        return _audit_diagram(case.matter_code, record.version, compiled, ctx.settings.max_xml_bytes)


def matter_diagram(ctx: EngineContext, matter_code: str) -> AuditDiagram:
    """The diagram of the matter's newest version (for heatmaps)."""
    with ctx.uow() as uow:
        record, compiled = ctx.latest_definition(uow, matter_code)
        return _audit_diagram(matter_code, record.version, compiled, ctx.settings.max_xml_bytes)


def deadlines_at(ctx: EngineContext, case_id: int, seq: int) -> CaseDeadlines | None:
    """The deadline record as it stood right after history row ``seq``, judged on that row's (China) day.

    Only the revisions written up to ``seq`` count, so a replayed step shows whether the case was
    already overdue then, not whether it is overdue now.
    """
    with ctx.uow() as uow:
        if case_by_id(uow, case_id) is None:
            raise CaseNotFound(case_id)
        rows = history_of_case(uow, case_id)
        if not rows:
            return None
        upto = max(1, min(seq, len(rows)))
        moment = rows[upto - 1].occurred_at
        records: dict[str, DeadlineRecord] = {}
        for revision in revisions_of_case(uow, case_id):
            if revision.seq <= upto:
                records[revision.record.permit] = revision.record
    ended = any(r.event_type in ("case_completed", "case_failed") for r in rows[:upto])
    return current_view(ctx.calendar, records, moment.astimezone(CHINA_TZ).date(), not ended)
