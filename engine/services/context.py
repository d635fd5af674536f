"""Everything a use case needs, wired once per process and passed in (no globals, no framework)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from engine.calendar import WorkCalendar
from engine.calendar import national_days_from_chinesecalendar
from engine.clock import Clock
from engine.clock import SystemClock
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.catalog import compile_definition
from engine.errors import ExpressionRefused
from engine.errors import MatterNotFound
from engine.legal_time import LegalClock
from engine.persistence.database import Database
from engine.persistence.repositories import definitions
from engine.persistence.rows import DefinitionRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.runtime.functions import make_functions
from engine.runtime.spiff.http_task import HTTP_PREFIX
from engine.runtime.spiff.script_environment import PythonScriptEngine
from engine.runtime.spiff.script_environment import ServiceCall
from engine.runtime.spiff.script_environment import make_script_engine
from engine.services.department_data import make_operations
from engine.settings import EngineSettings


def _through_outbox(_params: Mapping[str, Any]) -> Any:
    """Allowlisted endpoints are names the deploy check accepts; their calls never run inline."""
    raise ExpressionRefused("HTTP 服务任务只能经由发件箱调用")


@dataclass
class EngineContext:
    settings: EngineSettings
    clock: Clock
    db: Database
    script_engine: PythonScriptEngine
    #: Service-task operations diagrams may call (internal department data lookups and the like).
    services: Mapping[str, ServiceCall] = field(default_factory=dict)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    #: The stored calendar version ``calendar`` was read at (-1: the bundled one, never read).
    calendar_version: int = -1
    _definitions: dict[int, CompiledDefinition] = field(default_factory=dict)
    _workflows: OrderedDict[int, tuple[int, Any]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: case id -> the last chain check of its audit page (``services.audit_chain``), oldest first.
    chain_checkpoints: dict[int, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: EngineSettings | None = None, clock: Clock | None = None,
               services: Mapping[str, ServiceCall] | None = None,
               functions: Mapping[str, Callable[..., Any]] | None = None) -> EngineContext:
        settings = settings or EngineSettings()
        db = Database(settings.database_url)
        services = dict(services or {})
        entries, years = national_days_from_chinesecalendar()
        holder: list[EngineContext] = []
        all_functions = make_functions(lambda: holder[0].calendar, settings.hall.closing_time)
        all_functions.update(functions or {})
        operations = make_operations(lambda: UnitOfWork(db.session_factory, history_key=settings.history_key))
        operations.update(services)
        operations.update({f"{HTTP_PREFIX}{e.name}": _through_outbox for e in settings.service_endpoints})
        ctx = cls(settings=settings, clock=clock or SystemClock(), db=db,
                  script_engine=make_script_engine(all_functions, operations, settings.script_time_limit_s),
                  services=operations, calendar=WorkCalendar(entries, years))
        holder.append(ctx)
        return ctx

    def uow(self, *, write: bool = False) -> UnitOfWork:
        """A unit of work; ``write=True`` for a use case that writes without locking a case first
        (starting one, administration): on SQLite it then holds the write lock from its start."""
        return UnitOfWork(self.db.session_factory, write=write, history_key=self.settings.history_key)

    @property
    def legal(self) -> LegalClock:
        """The calendar and hall every legal date is counted with (the calendar reloads when edited)."""
        return LegalClock(self.calendar, self.settings.hall)

    def take_runtime(self, case_id: int, lock_version: int) -> Any:
        """The live runtime this process saved for the case at ``lock_version``, removed from the cache.

        Taking (not peeking) gives the caller exclusive use: a concurrent step on the same case in
        another thread finds nothing and deserializes its own copy. A version mismatch means someone
        else saved the case since, so the cached copy is dropped.
        """
        with self._lock:
            entry = self._workflows.pop(case_id, None)
        if entry is None or entry[0] != lock_version:
            return None
        return entry[1]

    def keep_runtime(self, case_id: int, lock_version: int, runtime: Any) -> None:
        """Remember a runtime after its step committed (never before: a rolled-back step must not leak)."""
        size = self.settings.workflow_cache_size
        if size <= 0 or getattr(runtime, "status", "running") != "running":
            # Finished cases take no more steps; keeping them would only grow the heap the
            # garbage collector walks.
            with self._lock:
                self._workflows.pop(case_id, None)
            return
        with self._lock:
            self._workflows[case_id] = (lock_version, runtime)
            self._workflows.move_to_end(case_id)
            while len(self._workflows) > size:
                self._workflows.popitem(last=False)

    def compiled(self, record: DefinitionRow) -> CompiledDefinition:
        """Parsed specs for a stored version (read with its files), parsed once per process (versions never change)."""
        cached = self._definitions.get(record.id)
        if cached is not None:
            return cached
        if record.files_json is None:
            raise ValueError(f"definition {record.id} was read without its files")
        with self._lock:
            cached = self._definitions.get(record.id)
            if cached is None:
                cached = compile_definition(json.loads(record.files_json), services=self.services,
                                            max_bytes=self.settings.max_xml_bytes)
                self._definitions[record.id] = cached
        return cached

    def compiled_by_id(self, uow: UnitOfWork, definition_id: int) -> CompiledDefinition:
        """The compiled version ``definition_id``; its files are read only on the first use in this process."""
        cached = self._definitions.get(definition_id)
        if cached is not None:
            return cached
        record = definitions.definition(uow, definition_id, with_files=True)
        if record is None:
            raise LookupError(f"no definition {definition_id}")
        return self.compiled(record)

    def latest_definition(self, uow: UnitOfWork, matter_code: str) -> tuple[DefinitionRow, CompiledDefinition]:
        """The matter's newest version and its compiled form.

        :raise MatterNotFound: no version of the matter is deployed.
        """
        record = definitions.latest_definition(uow, matter_code)
        if record is None:
            raise MatterNotFound(matter_code)
        return record, self.compiled_by_id(uow, record.id)

    def dispose(self) -> None:
        self.db.dispose()
