"""OneWindow engine: approval matters run as BPMN on SpiffWorkflow.

Nothing under this package imports a web framework. Callers pass in the actor, the clock and the
settings, so the same services serve the web app, the CLI, the timer worker and the tests.
"""
