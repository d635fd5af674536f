"""Every place OneWindow changes, patches or works around SpiffWorkflow, and the version that was measured.

One module per adaptation, each naming the upstream behaviour it changes:

- ``timer_clock``: timers read our injected clock (patches the timer module's ``datetime`` global).
- ``state_changes``: every task state change captured per step (wraps ``Task._set_state``).
- ``serializer``: state without the spec, a finished-task fragment cache, parent-first restore,
  script engine re-attached (customises ``BpmnWorkflowSerializer``'s registry); ``spec_diff``.
- ``task_run``: READY and manual checked before ``Task.run()``, which checks neither.
- ``script_environment``: every expression through our sandbox (subclasses
  ``BasePythonScriptEngineEnvironment``), re-attached after restore.
- ``http_task``: service tasks calling ``http:<endpoint>`` wait STARTED for the outbox's answer
  instead of calling inline (subclasses the spiff ``ServiceTask`` spec; the parser and the
  serializer's registry know the subclass).
- ``token_move``: moving a token to any flow node (cancel the live work, add the target under the
  last completed task, predict, ready), which SpiffWorkflow has no API for.

(The hardened XML parser, ``engine.definitions.parser.SafeSpiffBpmnParser``, subclasses
``SpiffBpmnParser``; it is pinned by the same tests.) tests/engine/test_spiff_upstream.py holds one test
per behaviour that fails when an upgrade changes it; read those failures before raising the pin.
"""

from __future__ import annotations

from importlib.metadata import version

#: The SpiffWorkflow release these adaptations were written and measured against. pyproject.toml pins
#: exactly this version; tests/engine/test_spiff_upstream.py checks both against the installed one.
PINNED_SPIFFWORKFLOW_VERSION = "3.2.0"


def installed_spiffworkflow_version() -> str:
    return version("SpiffWorkflow")
