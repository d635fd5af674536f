"""The audit page's hash-chain check, without re-hashing a long history on every page view.

``verify_history`` recomputes every row's SHA-256 in Python: right for ``onewindow verify`` and the
check pages, but a 1,000-event case then costs a few hundred milliseconds per view of its audit page.
Here a process remembers, per case, the last row it verified and a fingerprint the database computes
over the stored values of every row up to it (``history_fingerprint``: one indexed aggregate). A
later view recomputes the fingerprint: if it is unchanged, not one stored byte of those rows changed,
so only the rows written since are hashed in Python; if it changed (a row edited, inserted or deleted
behind the engine's back) the whole chain is checked again, row by row, and the first bad row named.

Nothing is written: the memory is per process and lost on restart (the next view checks in full).
Where the database has no fingerprint (SQLite), every view checks in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import CaseNotFound
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.history import history_fingerprint
from engine.persistence.repositories.history import history_of_case
from engine.persistence.repositories.history import history_page
from engine.services.audit import ChainCheck
from engine.services.audit import check_chain
from engine.services.context import EngineContext

#: How many cases' checkpoints a process keeps (the oldest are dropped first).
MAX_CHECKPOINTS = 10_000


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Rows 1 … ``seq`` verified, the last one hashing to ``row_hash``, their stored values to ``fingerprint``."""

    seq: int
    row_hash: str
    fingerprint: str


def chain_check(ctx: EngineContext, case_id: int) -> ChainCheck:
    """The case's chain check, as ``verify_history`` would give it, hashing only rows not verified before.

    :raise CaseNotFound: no such case.
    """
    key = ctx.settings.history_key
    with ctx.uow() as uow:
        case = case_by_id(uow, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        known = ctx.chain_checkpoints.get(case_id)
        check = None
        if known is not None and known.seq <= case.history_seq \
                and history_fingerprint(uow, case_id, known.seq) == known.fingerprint:
            newer = history_page(uow, case_id, known.seq + 1, case.history_seq) \
                if case.history_seq > known.seq else []
            check = check_chain(case, newer, key, first_seq=known.seq + 1, previous=known.row_hash)
        if check is None or not check.ok:
            check = check_chain(case, history_of_case(uow, case_id), key)
        fingerprint = history_fingerprint(uow, case_id, case.history_seq) if check.ok else None
    if fingerprint is not None:
        _remember(ctx, case_id, Checkpoint(case.history_seq, case.history_hash, fingerprint))
    else:
        ctx.chain_checkpoints.pop(case_id, None)
    return check


def _remember(ctx: EngineContext, case_id: int, checkpoint: Checkpoint) -> None:
    checkpoints = ctx.chain_checkpoints
    checkpoints.pop(case_id, None)
    checkpoints[case_id] = checkpoint
    while len(checkpoints) > MAX_CHECKPOINTS:
        checkpoints.pop(next(iter(checkpoints)))
