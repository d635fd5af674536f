"""The engine stays framework-free, and only engine/persistence touches the database."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_never_imports_flask_or_webapp() -> None:
    offenders = {str(p.relative_to(ENGINE)): sorted(n for n in _imports(p) if n.split(".")[0] in ("flask", "webapp",
                                                                                                   "werkzeug"))
                 for p in ENGINE.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_persistence_imports_sqlalchemy() -> None:
    offenders = {str(p.relative_to(ENGINE)) for p in ENGINE.rglob("*.py")
                 if "persistence" not in p.relative_to(ENGINE).parts
                 and any(n.split(".")[0] == "sqlalchemy" for n in _imports(p))}
    assert offenders == set()
