"""Diagram expressions run sandboxed: escapes refused, runaway loops stopped, data not shared."""

from __future__ import annotations

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
