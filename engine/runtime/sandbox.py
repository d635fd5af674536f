"""The sandbox policy for everything a diagram can execute (knows RestrictedPython, not SpiffWorkflow).

SpiffWorkflow's default script environment hands scripts, gateway conditions, timer expressions
and DMN cells straight to ``exec``/``eval`` with real builtins, so anyone who can deploy a diagram
could run ``__import__('os').system(...)`` on the server. Here every such snippet is compiled with
RestrictedPython (no imports, no underscore attributes, guarded item and attribute access) and runs
under a per-thread CPU budget checked in every loop iteration, which works in any thread (unlike
SIGALRM). Task data is deep-copied into the scope, because SpiffWorkflow 3.2 shares nested values
between tasks and a script would otherwise rewrite completed tasks' data. The environment that
plugs this policy into SpiffWorkflow is ``engine.runtime.spiff.script_environment``; the deploy-time
linter (``engine.definitions.catalog``) compiles every expression with the same functions.

Not stopped: memory bombs such as ``'x' * 10**10`` inside one C-level operation. That is why only
process designers may deploy diagrams and every expression is linted at deploy time.
"""

from __future__ import annotations

import ast
import copy
import math
import operator
import threading
import time
import types
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython import compile_restricted_eval
from RestrictedPython import compile_restricted_exec
from RestrictedPython import safe_builtins
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import full_write_guard
from RestrictedPython.Guards import guarded_iter_unpack_sequence
from RestrictedPython.Guards import guarded_unpack_sequence
from RestrictedPython.Guards import safer_getattr

from engine.errors import ExpressionRefused

MAX_RANGE = 1_000_000
"""``range`` objects larger than this are refused: ``sum(range(10**12))`` never returns to Python."""


class ScriptTimeout(ExpressionRefused):
    def __init__(self, limit_s: float) -> None:
        super().__init__(f"流程脚本运行超过 {limit_s:g} 秒 CPU 时间，已被终止")


class _GuardedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus a budget check at the top of every loop body.

    The call is inserted after the node was checked, so user code still cannot name
    ``_loop_guard_`` itself (underscore names are refused by the base policy).
    """

    def _guard(self, node: ast.While | ast.For) -> ast.AST:
        node = self.node_contents_visit(node)
        call = ast.Expr(ast.Call(func=ast.Name("_loop_guard_", ast.Load()), args=[], keywords=[]))
        node.body.insert(0, ast.fix_missing_locations(ast.copy_location(call, node.body[0])))
        return node

    def visit_While(self, node: ast.While) -> ast.AST:  # noqa: N802 - ast visitor naming
        return self._guard(node)

    def visit_For(self, node: ast.For) -> ast.AST:  # noqa: N802 - ast visitor naming
        return self._guard(node)

    def visit_Import(self, node: ast.Import) -> ast.AST:  # noqa: N802 - ast visitor naming
        self.error(node, "import statements are not allowed in diagram scripts")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:  # noqa: N802 - ast visitor naming
        self.error(node, "import statements are not allowed in diagram scripts")
        return node


class _Budget(threading.local):
    deadline: float = math.inf
    limit_s: float = 0.0
    counter: int = 0


_budget = _Budget()


def _loop_guard() -> None:
    _budget.counter += 1
    if _budget.counter % 256 == 0 and time.thread_time() > _budget.deadline:
        raise ScriptTimeout(_budget.limit_s)


def _guarded_iter(obj: Iterable[Any]) -> Iterator[Any]:
    # Comprehensions and generator expressions iterate through here, not through a loop body.
    for item in iter(obj):
        _loop_guard()
        yield item


def _bounded_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ExpressionRefused(f"range 过大（{len(r)}），流程脚本最多允许 {MAX_RANGE} 个元素")
    return r


_INPLACE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
    "&=": operator.iand, "^=": operator.ixor, "<<=": operator.ilshift, ">>=": operator.irshift,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    return _INPLACE_OPS[op](x, y)


def _build_builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    for name in ("sum", "min", "max", "sorted", "any", "all", "enumerate", "dict", "list", "map",
                 "filter", "reversed", "zip", "len", "round", "abs", "str", "int", "float", "bool", "tuple"):
        allowed[name] = __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    allowed["range"] = _bounded_range
    allowed.pop("setattr", None)
    allowed.pop("delattr", None)
    return allowed


_BUILTINS = _build_builtins()
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": _guarded_iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_loop_guard_": _loop_guard,
}


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> types.CodeType:
    """Compile a condition/timer/DMN expression under the policy; raise with the policy's reasons."""
    result = compile_restricted_eval(source, "<expression>", policy=_GuardedTransformer)
    if result.errors or result.code is None:
        raise ExpressionRefused("表达式不被允许：" + "；".join(result.errors or ["无法编译"]))
    return result.code


@lru_cache(maxsize=1024)
def compile_script(source: str) -> types.CodeType:
    """Compile a script task body under the policy; raise with the policy's reasons."""
    result = compile_restricted_exec(source, "<script>", policy=_GuardedTransformer)
    if result.errors or result.code is None:
        raise ExpressionRefused("脚本不被允许：" + "；".join(result.errors or ["无法编译"]))
    return result.code


#: Modules diagram authors reach for (Camunda/Spiff examples); none is importable or present here.
_MODULE_HINTS = ("datetime", "json", "math", "re", "time", "os", "sys", "random", "decimal", "uuid")
_PYTHON_BUILTINS = frozenset(n for n in dir(__import__("builtins")) if not n.startswith("_"))


def unavailable_names(source: str, mode: str, functions: Iterable[str] = ()) -> list[str]:
    """Names a snippet reads that the sandbox will not have: Python builtins it leaves out
    (``print``, ``open``, ``set``, ``getattr`` ...) and common modules, unless the snippet assigns
    them itself. Other free names are task data, known only at run time.

    ``mode`` is "exec" (scripts) or "eval" (conditions, timers, parameters). A snippet that does
    not parse gives no names (``compile_script``/``compile_expression`` report it).
    """
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return []
    assigned = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
    assigned |= {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    known = set(_BUILTINS) | set(functions) | assigned
    missing: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in known \
                and (node.id in _PYTHON_BUILTINS or node.id in _MODULE_HINTS) and node.id not in missing:
            missing.append(node.id)
    return missing


def is_data(key: str, value: Any) -> bool:
    """Which names left behind by a script count as task data (not helpers, modules or guards)."""
    if key.startswith("_") or key in _GUARDS:
        return False
    return not (callable(value) or isinstance(value, types.ModuleType))


def make_scope(context: Mapping[str, Any], external: Mapping[str, Any] | None,
               functions: Mapping[str, Any]) -> dict[str, Any]:
    """Globals for one snippet: a deep copy of the task data, then our functions, then the guards.

    Underscore keys in task data are dropped, so data can never replace ``__builtins__`` or a guard.
    """
    scope: dict[str, Any] = {k: v for k, v in copy.deepcopy(dict(context)).items() if not k.startswith("_")}
    scope.update(external or {})
    scope.update(functions)
    scope.update(_GUARDS)
    return scope


def run_code(code: types.CodeType, scope: dict[str, Any], mode: str, time_limit_s: float) -> Any:
    """``eval`` (mode "eval") or ``exec`` compiled code under the CPU budget (nested calls share the outer one)."""
    outer_deadline, outer_limit = _budget.deadline, _budget.limit_s
    if outer_deadline is math.inf:
        _budget.deadline = time.thread_time() + time_limit_s
        _budget.limit_s = time_limit_s
    try:
        if mode == "eval":
            return eval(code, scope)  # noqa: S307 - compiled by RestrictedPython above
        exec(code, scope)  # noqa: S102 - compiled by RestrictedPython above
        return None
    finally:
        _budget.deadline, _budget.limit_s = outer_deadline, outer_limit
