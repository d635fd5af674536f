"""The limits a case runs on: those of the 事项库 entry version it started on, else its matter.toml.

One function (``case_limits``) answers for every reader of deadlines (tracker, worklists, board,
statistics, extensions), so editing an entry's limits changes the limits of the cases started
after the edit and of no case started before it (they keep the version they started on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.persistence.repositories.catalogue import entry_version
from engine.persistence.rows import CaseRow
from engine.services.context import EngineContext

LIMIT_KEYS = ("statutory_limit_wd", "promised_limit_wd", "extension_limit_wd")


@dataclass(frozen=True)
class Limits:
    statutory_limit_wd: int
    promised_limit_wd: int
    extension_limit_wd: int
    #: ``catalogue`` (the entry version the case started on) or ``matter`` (the deployed matter.toml).
    source: str


def _version_limits(ctx: EngineContext, version_id: int) -> Limits | None:
    # Versions never change, so each process reads one at most once.
    cache: dict[int, Limits | None] = ctx.catalogue_cache
    if version_id not in cache:
        with ctx.uow() as uow:
            version = entry_version(uow, version_id)
        cache[version_id] = None if version is None else Limits(
            version.entry.statutory_limit_wd, version.entry.promised_limit_wd, version.entry.extension_limit_wd,
            "catalogue")
    return cache[version_id]


def case_limits(ctx: EngineContext, case: CaseRow, metadata: Mapping[str, Any]) -> Limits:
    """The statutory, promised and extension limits (working days) of ``case``."""
    if case.catalogue_version_id is not None:
        found = _version_limits(ctx, case.catalogue_version_id)
        if found is not None:
            return found
    return Limits(int(metadata["statutory_limit_wd"]), int(metadata["promised_limit_wd"]),
                  int(metadata.get("extension_limit_wd", 0)), "matter")


def with_case_limits(ctx: EngineContext, case: CaseRow, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata`` with its limits replaced by ``case_limits`` (for code that reads metadata dicts)."""
    limits = case_limits(ctx, case, metadata)
    return {**metadata, **{key: getattr(limits, key) for key in LIMIT_KEYS}}
