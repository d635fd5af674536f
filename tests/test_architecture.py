"""Architecture contracts: the engine stays framework-free, only engine/persistence touches the database,
and each state vocabulary has one table of Chinese names.

Outside ``engine/persistence/`` (in ``engine/`` and ``webapp/``) no code may reach the database
directly: no ``.session`` attribute (the unit of work's ORM session), no ``*Record`` class from
``engine.persistence.records``, no ``sqlalchemy`` import. Services and views call repository
functions, which return plain rows. Each contract is checked on the real tree and shown to fail on
a planted violation, so a checker that stopped looking would fail here too.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECORDS_MODULE = "engine.persistence.records"
#: The one home of every state vocabulary's Chinese names.
STATE_NAMES = "engine/state_names.py"

#: Files allowed to break the persistence contracts for now, each with the reason.
EXEMPT: set[str] = set()


def _imported_modules(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, imported names) for every import; ``import a.b`` gives module ``a.b`` and no names."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def session_access(tree: ast.AST) -> list[str]:
    """``x.session`` (and ``getattr(x, "session")``): the ORM session behind a unit of work."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "session":
            found.append(f"line {node.lineno}: .session")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr") \
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "session":
            found.append(f"line {node.lineno}: {node.func.id}(…, 'session')")
    return found


def record_imports(tree: ast.AST) -> list[str]:
    """ORM record classes (``*Record``) from ``engine.persistence.records``, or that module itself."""
    found = []
    for line, module, names in _imported_modules(tree):
        if module == RECORDS_MODULE:
            records = [name for name in names if name.endswith("Record") or name == "*"]
            if records or not names:
                found.append(f"line {line}: {RECORDS_MODULE} {', '.join(records) or '(module)'}")
        elif module == "engine.persistence" and "records" in names:
            found.append(f"line {line}: {RECORDS_MODULE} (module)")
    return found


def sqlalchemy_imports(tree: ast.AST) -> list[str]:
    return [f"line {line}: {module}" for line, module, _ in _imported_modules(tree)
            if module.split(".")[0] == "sqlalchemy"]


def framework_imports(tree: ast.AST) -> list[str]:
    return [f"line {line}: {module}" for line, module, _ in _imported_modules(tree)
            if module.split(".")[0] in ("flask", "werkzeug", "webapp")]


def _vocabularies() -> list[set[str]]:
    from engine import state_names

    tables = (state_names.BLZT_NAMES, state_names.CASE_STATUS_NAMES, state_names.TASK_STATE_NAMES,
              state_names.DEADLINE_STATE_NAMES)
    return [set(table.values()) for table in tables]


def state_name_tables(tree: ast.AST) -> list[str]:
    """A dict literal holding two or more names of one state vocabulary: a second table that could disagree."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            values = {v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
            if any(len(values & names) >= 2 for names in _vocabularies()):
                found.append(f"line {node.lineno}: a table of state names (use engine.state_names)")
    return found


Rule = Callable[[ast.AST], list[str]]
#: Contracts for code outside engine/persistence (in engine/ and webapp/).
PERSISTENCE_RULES: dict[str, Rule] = {"session": session_access, "records": record_imports,
                                      "sqlalchemy": sqlalchemy_imports}


def scan(root: Path) -> dict[str, dict[str, list[str]]]:
    """Every contract broken under ``root``: {rule: {file: [where]}} (only non-empty entries)."""
    broken: dict[str, dict[str, list[str]]] = {}
    for package in ("engine", "webapp"):
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), relative)
            rules: dict[str, Rule] = {}
            if not relative.startswith("engine/persistence/") and relative not in EXEMPT:
                rules.update(PERSISTENCE_RULES)
            if package == "engine":
                rules["framework"] = framework_imports
            if relative != STATE_NAMES:
                rules["state names"] = state_name_tables
            for name, rule in rules.items():
                where = rule(tree)
                if where:
                    broken.setdefault(name, {})[relative] = where
    return broken


def test_the_tree_keeps_every_contract() -> None:
    assert scan(ROOT) == {}


def test_exempt_files_still_exist() -> None:
    # An exemption outliving its file would silently exempt whatever takes the name next.
    assert all((ROOT / path).is_file() for path in EXEMPT)


def scan_rule(rule: str, source: str) -> list[str]:
    """What one rule reports for a source text."""
    rules = {**PERSISTENCE_RULES, "framework": framework_imports, "state names": state_name_tables}
    return rules[rule](ast.parse(source))


PLANTED = {
    "session": ["def f(uow):\n    return uow.session.execute('select 1')\n",
                "def f(uow):\n    return getattr(uow, 'session')\n"],
    "records": ["from engine.persistence.records import CaseRecord\n",
                "import engine.persistence.records\n",
                "from engine.persistence import records\n"],
    "sqlalchemy": ["from sqlalchemy import select\n", "import sqlalchemy.orm as orm\n"],
    "framework": ["from flask import request\n", "import werkzeug.exceptions\n", "from webapp.app import create_app\n"],
    "state names": ["STATES = {'READY': '就绪', 'COMPLETED': '已完成', 'CANCELLED': '已取消'}\n",
                    "def f(code):\n    return {3: '已受理', 11: '办结（通过）'}.get(code)\n"],
}


@pytest.mark.parametrize(("rule", "source"), [(rule, source) for rule, sources in PLANTED.items()
                                               for source in sources])
def test_a_planted_violation_is_reported(tmp_path: Path, rule: str, source: str) -> None:
    service = tmp_path / "engine" / "services" / "planted.py"
    service.parent.mkdir(parents=True)
    service.write_text(source, encoding="utf-8")
    assert scan(tmp_path) == {rule: {"engine/services/planted.py": scan_rule(rule, source)}}
    assert scan_rule(rule, source)


def test_persistence_may_use_the_database_and_webapp_may_use_flask(tmp_path: Path) -> None:
    database = "from sqlalchemy import select\nfrom engine.persistence.records import CaseRecord\n" \
               "def f(uow):\n    return uow.session\n"
    (tmp_path / "engine" / "persistence").mkdir(parents=True)
    (tmp_path / "engine" / "persistence" / "repo.py").write_text(database, encoding="utf-8")
    (tmp_path / "webapp").mkdir()
    (tmp_path / "webapp" / "views.py").write_text("from flask import request\n", encoding="utf-8")
    (tmp_path / "webapp" / "bad.py").write_text("from sqlalchemy import select\n", encoding="utf-8")
    assert scan(tmp_path) == {"sqlalchemy": {"webapp/bad.py": ["line 1: sqlalchemy"]}}
