"""Errors raised while loading form definitions.

They live in this package (not in ``engine.errors``) so the forms package stays self-contained and
can be loaded by tooling that never touches the rest of the engine. Each message has a Chinese part
so that a form designer reading a log or an admin page can act on it without knowing the code.
"""

from __future__ import annotations

from collections.abc import Iterable


class FormError(Exception):
    """Base class for every error of the forms package, so callers can catch them as one family."""


class FormSchemaError(FormError):
    """One problem in one form file, located by source and component id.

    ``problems`` holds every problem found in the same file (this one first), because a designer
    fixing a form wants the whole list at once rather than one round-trip per mistake.
    """

    def __init__(self, source: str, component_id: str | None, message: str) -> None:
        self.source = source
        self.component_id = component_id
        self.message = message
        self.problems: tuple[FormSchemaError, ...] = (self,)
        super().__init__(self._render())

    def _render(self) -> str:
        if self.component_id:
            return f"表单 {self.source} 组件 {self.component_id}: {self.message}"
        return f"表单 {self.source}: {self.message}"

    def __str__(self) -> str:
        return self._render()


class FormRegistryError(FormError):
    """Several form files failed to load; lists all problems so they can be fixed in one pass."""

    def __init__(self, problems: Iterable[FormSchemaError]) -> None:
        self.problems: tuple[FormSchemaError, ...] = tuple(problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"表单定义校验未通过，共 {len(self.problems)} 个问题：\n{lines}")


class UnknownForm(FormError, KeyError):
    """A form key was requested that the registry does not hold.

    Subclasses ``KeyError`` so mapping-style callers keep working, but overrides ``__str__`` because
    ``KeyError`` would otherwise show the message wrapped in quotes.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.message = f"未找到表单：{key}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
