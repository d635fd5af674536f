"""Our script environment for SpiffWorkflow: every diagram expression through the sandbox.

Upstream behaviour this replaces: SpiffWorkflow 3.2's default ``PythonScriptEngine()`` uses
``TaskDataEnvironment``, which passes scripts, gateway conditions, timer expressions, DMN cells and
message payloads straight to ``exec``/``eval`` with the real builtins. We subclass the documented
hook, ``BasePythonScriptEngineEnvironment`` (its ``evaluate``/``execute``/``call_service`` are what
``PythonScriptEngine`` calls), and run everything through ``engine.runtime.sandbox``.

Upstream behaviour this works around: a workflow restored by SpiffWorkflow's serializer comes back
with the unrestricted default engine, so ``engine.runtime.spiff.serializer.restore_state`` always
re-attaches ours (``attach_script_engine``). Both behaviours are pinned by tests/engine/test_spiff_upstream.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.errors import ExpressionRefused
from engine.runtime.sandbox import compile_expression
from engine.runtime.sandbox import compile_script
from engine.runtime.sandbox import is_data
from engine.runtime.sandbox import make_scope
from engine.runtime.sandbox import run_code

ServiceCall = Callable[[Mapping[str, Any]], Any]

__all__ = ["PythonScriptEngine", "RestrictedEnvironment", "ServiceCall", "attach_script_engine",
           "make_script_engine"]


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that runs everything through RestrictedPython."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None,
                 services: Mapping[str, ServiceCall] | None = None, time_limit_s: float = 1.0) -> None:
        super().__init__(dict(functions or {}))
        self.services = dict(services or {})
        self.time_limit_s = time_limit_s

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        scope = make_scope(context, external_context, self.globals)
        return run_code(compile_expression(expression), scope, "eval", self.time_limit_s)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        """Run a script task; what it leaves behind (data only) replaces the task's data in place."""
        scope = make_scope(context, external_context, self.globals)
        run_code(compile_script(script), scope, "exec", self.time_limit_s)
        hidden = set(self.globals) | set(external_context or {})
        result = {k: v for k, v in scope.items() if k not in hidden and is_data(k, v)}
        context.clear()
        context.update(result)
        return True

    def call_service(self, context: dict[str, Any], operation_name: str = "",
                     operation_params: Mapping[str, Any] | None = None, **kwargs: Any) -> str:
        """Service tasks call only operations we registered (SpiffWorkflow's default raises for any)."""
        service = self.services.get(operation_name)
        if service is None:
            raise ExpressionRefused(f"未注册的服务任务操作：{operation_name}")
        params = {name: spec.get("value") if isinstance(spec, Mapping) else spec
                  for name, spec in (operation_params or {}).items()}
        return json.dumps(service(params), ensure_ascii=False)


def make_script_engine(functions: Mapping[str, Callable[..., Any]] | None = None,
                       services: Mapping[str, ServiceCall] | None = None,
                       time_limit_s: float = 1.0) -> PythonScriptEngine:
    """The only script engine a workflow of ours is ever given (re-attached after every restore)."""
    return PythonScriptEngine(environment=RestrictedEnvironment(functions, services, time_limit_s))


def attach_script_engine(workflow: BpmnWorkflow, script_engine: PythonScriptEngine) -> None:
    """Give the workflow our sandboxed engine (3.2 restores the unsafe default).

    Sub-workflows (call activities) have no engine of their own: their ``script_engine`` property
    reads the top workflow's, so setting it here covers them.
    """
    workflow.script_engine = script_engine
