"""The forms one definition version (or a folder) holds, addressed by key (the ``.form`` file stem)."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from pathlib import Path

from .errors import FormRegistryError
from .errors import FormSchemaError
from .errors import UnknownForm
from .loader import parse_form
from .model import MAX_FORM_BYTES
from .model import FormDefinition


class FormRegistry:
    """The set of forms the application knows, addressed by key (the ``.form`` file stem)."""

    def __init__(self, definitions: Mapping[str, FormDefinition] | None = None) -> None:
        self._forms: dict[str, FormDefinition] = dict(definitions or {})

    @classmethod
    def from_directory(cls, path: str | Path) -> FormRegistry:
        """Load every ``*.form`` file in ``path`` (not recursive), reporting all broken files at once."""
        directory = Path(path)
        if not directory.is_dir():
            raise FormRegistryError([FormSchemaError(str(directory), None, "表单目录不存在")])
        sources: dict[str, tuple[str, str | bytes]] = {}
        problems: list[FormSchemaError] = []
        for file in sorted(directory.glob("*.form")):
            if not file.is_file():
                continue
            try:
                if file.stat().st_size > MAX_FORM_BYTES:
                    problems.append(FormSchemaError(str(file), None, f"文件超过 {MAX_FORM_BYTES // 1024} KiB 上限"))
                    continue
                sources[file.stem] = (str(file), file.read_bytes())
            except OSError as exc:
                problems.append(FormSchemaError(str(file), None, f"无法读取文件：{exc.strerror or exc}"))
        return cls._build(sources, problems)

    @classmethod
    def from_mapping(cls, texts: Mapping[str, str | bytes]) -> FormRegistry:
        """Load forms kept as strings (e.g. stored with a deployed process version)."""
        return cls._build({key: (key, text) for key, text in texts.items()}, [])

    @classmethod
    def _build(cls, sources: Mapping[str, tuple[str, str | bytes]], problems: list[FormSchemaError]) -> FormRegistry:
        registry = cls()
        for key, (source, text) in sources.items():
            definition, found = parse_form(text, key, source)
            problems.extend(found)
            if definition is not None:
                registry._forms[key] = definition
        if problems:
            raise FormRegistryError(problems)
        return registry

    def add(self, definition: FormDefinition, *, replace: bool = False) -> None:
        """Register a form; refuses to overwrite unless ``replace`` so key clashes are not silent."""
        if definition.key in self._forms and not replace:
            raise FormRegistryError([FormSchemaError(definition.key, None, "表单标识重复（duplicate form key）")])
        self._forms[definition.key] = definition

    def get(self, key: str) -> FormDefinition:
        try:
            return self._forms[key]
        except (KeyError, TypeError):
            raise UnknownForm(str(key)) from None

    def keys(self) -> tuple[str, ...]:
        return tuple(sorted(self._forms))

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._forms
        except TypeError:  # unhashable key: certainly not a form key
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._forms)
