"""What the auditors' pages show, one use case each: the views only parse the request and render.

Composes the audit services (hash chain, replay, diagrams, heatmaps) with the case projection, so
the checks an auditor relies on (does the chain hold, does each document still hash to what
history recorded) are computed here, in the engine, not in a template or a view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.actors import Actor
from engine.documents import digest
from engine.errors import CaseNotFound
from engine.persistence.repositories.history import history_of_types
from engine.persistence.repositories.history import history_page
from engine.services.accounts import actor_for
from engine.services.audit import AuditDiagram
from engine.services.audit import ChainCheck
from engine.services.audit import ElementHeat
from engine.services.audit import ReplayState
from engine.services.audit import case_diagram
from engine.services.audit import deadlines_at
from engine.services.audit import matter_diagram
from engine.services.audit import matter_heatmap
from engine.services.audit import replay_case
from engine.services.audit import require_auditor
from engine.services.audit import verify_history
from engine.services.audit_chain import chain_check
from engine.services.cases import case_history
from engine.services.cases import history_length
from engine.services.casework import CaseSummary
from engine.services.casework import case_brief
from engine.services.context import EngineContext
from engine.services.deadlines import CaseDeadlines
from engine.services.deadlines import case_deadlines
from engine.services.deploy import list_matters
from engine.services.views import DocumentView
from engine.services.views import HistoryView

#: History rows per page of a case's audit timeline.
AUDIT_PAGE_ROWS = 200


@dataclass(frozen=True)
class DocumentCheck:
    """An issued document against its own hash and the hash history recorded when it was issued."""

    document: DocumentView
    #: The stored HTML still hashes to the stored ``sha256``.
    content_ok: bool
    #: The ``sha256`` the ``document_issued`` history row recorded (None: no such row).
    recorded: str | None
    history_ok: bool


@dataclass(frozen=True)
class ReplayStep:
    """The case right after history row ``state.seq``, with its deadlines as judged on that day."""

    state: ReplayState
    deadlines: CaseDeadlines | None
    diagram: AuditDiagram
    people: dict[str, str]


@dataclass(frozen=True)
class AuditCasePage:
    summary: CaseSummary
    #: This page's history rows (``AUDIT_PAGE_ROWS`` at most), oldest first.
    history: tuple[HistoryView, ...]
    #: Every history row of the case (the chain check counted them).
    total: int
    #: 1-based page of the timeline shown, and how many pages it has.
    page: int
    pages: int
    diagram: AuditDiagram
    check: ChainCheck
    documents: tuple[DocumentCheck, ...]
    #: user id -> display name of everyone on this page (and the applicant)
    people: dict[str, str]
    replay: ReplayStep | None
    #: Why the replay could not be shown (a tampered history may not replay), else "".
    replay_error: str = ""

    @property
    def seq(self) -> int:
        return self.replay.state.seq if self.replay is not None else 0

    @property
    def rows_per_page(self) -> int:
        return AUDIT_PAGE_ROWS

    @property
    def first_seq(self) -> int:
        """The seq of this page's first row."""
        return (self.page - 1) * AUDIT_PAGE_ROWS + 1


@dataclass(frozen=True)
class CaseCheckPage:
    check: ChainCheck
    #: The first row that breaks the chain, if it still exists.
    bad: HistoryView | None


@dataclass(frozen=True)
class HeatmapPage:
    matter_code: str
    matter_name: str
    diagram: AuditDiagram
    heat: tuple[ElementHeat, ...]


def people_names(ctx: EngineContext, user_ids: Iterable[str]) -> dict[str, str]:
    """Display names for user ids (``system`` is the engine itself); unknown ids stay as they are."""
    names = {"system": "系统"}
    for user_id in set(user_ids) - names.keys():
        person = actor_for(ctx, user_id)
        if person is not None and person.name:
            names[user_id] = person.name
    return names


def _clamped(seq: int | None, total: int) -> int:
    return max(1, min(seq if seq is not None else total, total)) if total else 0


def _history(ctx: EngineContext, case_id: int, actor: Actor) -> tuple[HistoryView, ...]:
    """The full hash chain: auditors read every row (:raise NotAllowed: not an auditor)."""
    require_auditor(actor)
    return tuple(case_history(ctx, case_id))


def _replay(ctx: EngineContext, case_id: int, seq: int, diagram: AuditDiagram) -> ReplayStep:
    """The last step is the case as it stands, so its deadline is judged today; earlier steps on their own day."""
    state = replay_case(ctx, case_id, seq)
    deadlines = case_deadlines(ctx, case_id) if state.seq == state.total else deadlines_at(ctx, case_id, state.seq)
    actor_id = str(state.event.get("actor_id") or "")
    return ReplayStep(state, deadlines, diagram, people_names(ctx, [actor_id]))


def _replay_or_error(ctx: EngineContext, case_id: int, seq: int, diagram: AuditDiagram) -> tuple[ReplayStep | None,
                                                                                                   str]:
    try:
        return _replay(ctx, case_id, seq, diagram), ""
    except Exception as exc:  # noqa: BLE001 - the timeline stays readable even if a (tampered) history won't replay
        return None, f"无法按历史记录回放到第 {seq} 步：{exc}"


def audit_case_page(ctx: EngineContext, case_id: int, actor: Actor, seq: int | None = None,
                    page: int | None = None) -> AuditCasePage:
    """One page of a case's history, its documents checked against history, the chain check and a replay step.

    What it costs does not grow with the case: the timeline shows ``AUDIT_PAGE_ROWS`` rows (an index
    range of seq), the chain check hashes only rows it has not verified before (``audit_chain``), the
    documents are checked against the ``document_issued`` rows alone, and the replay starts from the
    nearest snapshot.

    :param seq: the replay step to show (clamped to the history; None: the last).
    :param page: the timeline page (clamped; None: the page of ``seq`` if given, else the first).
    :raise NotAllowed: not an auditor.  :raise CaseNotFound: no such case.
    """
    require_auditor(actor)
    summary, documents_issued = case_brief(ctx, case_id, actor)
    check = chain_check(ctx, case_id)
    total = check.rows
    pages = max(1, -(-total // AUDIT_PAGE_ROWS))
    step = _clamped(seq, total)
    if page is None:
        page = (step - 1) // AUDIT_PAGE_ROWS + 1 if seq is not None and step else 1
    page = max(1, min(page, pages))
    first = (page - 1) * AUDIT_PAGE_ROWS + 1
    with ctx.uow() as uow:
        rows = history_page(uow, case_id, first, first + AUDIT_PAGE_ROWS - 1)
        issued = history_of_types(uow, case_id, ("document_issued",))
    history = tuple(HistoryView.of(row) for row in rows)
    diagram = case_diagram(ctx, case_id)
    replay, error = _replay_or_error(ctx, case_id, step, diagram) if total else (None, "没有历史记录")
    recorded = {data.get("document_no"): data.get("sha256") for data in
                (HistoryView.of(row).data_after for row in issued) if isinstance(data, dict)}
    documents = tuple(DocumentCheck(d, digest(d.html) == d.sha256, recorded.get(d.document_no),
                                    recorded.get(d.document_no) == d.sha256) for d in documents_issued)
    people = people_names(ctx, [*(h.actor_id for h in history), summary.owner_id or "",
                                *(replay.people if replay is not None else ())])
    return AuditCasePage(summary=summary, history=history, total=total, page=page, pages=pages, diagram=diagram,
                         check=check, documents=documents, people=people, replay=replay, replay_error=error)


def audit_replay(ctx: EngineContext, case_id: int, actor: Actor, seq: int | None) -> tuple[ReplayStep | None, str]:
    """One replay step (the page's slider), or why it cannot be rebuilt.

    :raise NotAllowed: not an auditor.  :raise CaseNotFound: no such case, or no history to replay.
    """
    require_auditor(actor)
    total = history_length(ctx, case_id)
    if not total:
        raise CaseNotFound(case_id)
    return _replay_or_error(ctx, case_id, _clamped(seq, total), case_diagram(ctx, case_id))


def audit_case_check(ctx: EngineContext, case_id: int, actor: Actor) -> CaseCheckPage:
    """One case's chain check and the row it names."""
    history = _history(ctx, case_id, actor)
    check = verify_history(ctx, case_id)[0]
    return CaseCheckPage(check, next((h for h in history if h.seq == check.first_bad_seq), None))


def audit_heatmap(ctx: EngineContext, matter_code: str, actor: Actor) -> HeatmapPage:
    """The matter's newest diagram with how often each element ran and how long it took."""
    require_auditor(actor)
    diagram = matter_diagram(ctx, matter_code)
    name = next((m.name for m in list_matters(ctx) if m.code == matter_code), matter_code)
    return HeatmapPage(matter_code, name, diagram, tuple(matter_heatmap(ctx, matter_code)))
