"""The operations console's use cases: incidents and their retry, suspend/resume, termination,
token moves. Only the groups in ``EngineSettings.operations_groups`` may call them; every action is
a history row of the case it changes."""
