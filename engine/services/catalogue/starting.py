"""Which 事项库 entry version a new case starts on.

A case of a drawn matter starts on the entry with the matter's own code, if the catalogue has one.
A case of a pattern-run entry names the entry (``catalogue_code``) and starts on the pattern's
diagram. Either way the case records the version, and takes its 办件编号 prefix (实施编码) and
title from it: the catalogue is the one source of what the matter is.
"""

from __future__ import annotations

from engine.errors import MatterNotFound
from engine.errors import NotAllowed
from engine.persistence.repositories.catalogue import CatalogueVersion
from engine.persistence.repositories.catalogue import current_entry
from engine.persistence.unit_of_work import UnitOfWork


def entry_for_start(uow: UnitOfWork, matter_code: str, catalogue_code: str | None) -> CatalogueVersion | None:
    """The current version a case of ``matter_code`` (the diagram's matter) starts on, or None.

    :raise MatterNotFound: ``catalogue_code`` names no entry.
    :raise NotAllowed: the entry is 停用, or another diagram runs it.
    """
    found = current_entry(uow, catalogue_code or matter_code)
    if found is None:
        if catalogue_code is not None:
            raise MatterNotFound(catalogue_code)
        return None
    if found.entry.process != matter_code:
        if catalogue_code is None:
            return None  # the entry of this code was switched to another diagram; the matter runs on its own
        raise NotAllowed(f"事项“{found.entry.name}”由流程“{found.entry.process}”办理，不能按“{matter_code}”启动")
    if not found.entry.active:
        raise NotAllowed(f"事项“{found.entry.name}”已停用，暂不受理")
    return found
