"""Running cases: sandboxed expressions, timers on the injected clock, serialization, the step driver."""
