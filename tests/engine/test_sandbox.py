"""Diagram expressions run sandboxed: escapes refused, runaway loops stopped, data not shared."""

from __future__ import annotations

import json
import time

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.errors import ExpressionRefused
from engine.runtime.spiff.script_environment import RestrictedEnvironment
from engine.runtime.spiff.script_environment import make_script_engine
from engine.runtime.spiff.serializer import dump_state
from engine.runtime.spiff.serializer import restore_state


@pytest.fixture
def env() -> RestrictedEnvironment:
    return RestrictedEnvironment(time_limit_s=0.3)


@pytest.mark.parametrize("payload", [
    "__import__('os').system('touch /tmp/onewindow_pwned')",
    "import os",
    "from os import path",
    "().__class__.__base__.__subclasses__()",
    "x = [].__class__",
    "eval('1')",
])
def test_escapes_are_refused_at_compile_time(env: RestrictedEnvironment, payload: str) -> None:
    with pytest.raises(ExpressionRefused):
        env.execute(payload, {})


@pytest.mark.parametrize("payload", ["open('/etc/passwd').read()", "getattr((), 'count')",
                                     "globals()", "type(1)"])
def test_dangerous_builtins_are_absent(env: RestrictedEnvironment, payload: str) -> None:
    with pytest.raises(NameError):
        env.evaluate(payload, {})


def test_escape_in_a_gateway_condition_is_refused(env: RestrictedEnvironment) -> None:
    with pytest.raises(ExpressionRefused):
        env.evaluate("__import__('os').getpid() > 0", {"x": 1})


@pytest.mark.parametrize("script", [
    "while True:\n    pass",
    "x = 0\nfor i in range(10**6):\n    for j in range(10**6):\n        x += 1",
    "x = [i * j for i in range(10**6) for j in range(10**6)]",
])
def test_runaway_scripts_are_stopped_by_the_cpu_budget(env: RestrictedEnvironment, script: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionRefused, match="CPU"):
        env.execute(script, {})
    assert time.perf_counter() - started < 5


def test_huge_range_is_refused(env: RestrictedEnvironment) -> None:
    with pytest.raises(ExpressionRefused, match="range"):
        env.evaluate("sum(range(10**12))", {})


def test_benign_scripts_work_and_leave_only_data(env: RestrictedEnvironment) -> None:
    context = {"areas": [100, 250], "fee": 0}
    env.execute("total = sum(areas)\nfor a in areas:\n    fee += a * 2\nlabels = sorted(str(a) for a in areas)\n"
                "def helper(x):\n    return x\n", context)
    # Loop variables stay, as in plain Python; the helper function does not become task data.
    assert context == {"areas": [100, 250], "fee": 700, "total": 350, "labels": ["100", "250"], "a": 250}


def test_script_cannot_mutate_nested_data_it_was_given(env: RestrictedEnvironment) -> None:
    # SpiffWorkflow 3.2 shares nested values between tasks; our copy keeps completed tasks' data intact.
    owner = {"verified": False}
    context = {"application": {"owner": owner}}
    env.execute("application['owner']['verified'] = True", context)
    assert owner == {"verified": False}
    assert context["application"]["owner"]["verified"] is True


def test_restored_workflow_gets_the_sandbox_back(parallel_compiled) -> None:  # type: ignore[no-untyped-def]
    engine = make_script_engine()
    workflow = BpmnWorkflow(parallel_compiled.spec, parallel_compiled.subprocess_specs, script_engine=engine)
    workflow.do_engine_steps()
    restored = restore_state(dump_state(workflow), parallel_compiled.spec, parallel_compiled.subprocess_specs, engine)
    assert isinstance(restored.script_engine.environment, RestrictedEnvironment)


def test_a_loop_whose_body_starts_with_continue_is_still_stopped(env: RestrictedEnvironment) -> None:
    # The budget check is the first statement of every loop body, so no `continue` can skip it.
    with pytest.raises(ExpressionRefused, match="CPU"):
        env.execute("while True:\n    continue\n    x = 1", {})


def test_long_loops_within_the_budget_finish(env: RestrictedEnvironment) -> None:
    # The clock is read every 256 iterations, but only an exhausted budget stops a script.
    context: dict = {"n": 0}
    env.execute("for i in range(5000):\n    n += 1\nt = sum(x for x in range(5000))", context)
    assert context["n"] == 5000 and context["t"] == sum(range(5000))


@pytest.mark.parametrize(("payload", "kind"), [("x = 1\nimport os", "import"), ("x = 1\nfrom os import path", "from")])
def test_import_refusal_names_the_line_and_the_reason(env: RestrictedEnvironment, payload: str, kind: str) -> None:
    # Designers read this message at deploy time; it must point at the offending statement.
    with pytest.raises(ExpressionRefused) as refused:
        env.execute(payload, {})
    assert "Line 2" in str(refused.value)
    assert "import statements are not allowed in diagram scripts" in str(refused.value)


def test_the_sandbox_builtins_are_exactly_the_allowed_ones() -> None:
    import builtins

    from engine.runtime.sandbox import _bounded_range
    from engine.runtime.sandbox import _build_builtins

    allowed = _build_builtins()
    for name in ("sum", "min", "max", "sorted", "any", "all", "enumerate", "dict", "list", "map", "filter",
                 "reversed", "zip", "len", "round", "abs", "str", "int", "float", "bool", "tuple"):
        assert allowed[name] is getattr(builtins, name), name
    assert allowed["range"] is _bounded_range
    for name in ("setattr", "delattr", "open", "eval", "exec", "compile", "__import__", "getattr", "globals",
                 "type", "vars", "input"):
        assert name not in allowed, name


def test_service_calls_pass_plain_and_wrapped_parameters_and_refuse_unknown_operations() -> None:
    seen: list[dict] = []
    env = RestrictedEnvironment(services={"lookup": lambda params: seen.append(dict(params)) or {"名称": "滨江"}})
    answer = env.call_service({}, "lookup", {"code": {"value": "913501"}, "year": 2025})
    assert seen == [{"code": "913501", "year": 2025}]
    assert json.loads(answer) == {"名称": "滨江"}
    with pytest.raises(ExpressionRefused, match="未注册的服务任务操作：missing"):
        env.call_service({}, "missing", {})
