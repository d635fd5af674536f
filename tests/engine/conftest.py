from __future__ import annotations

import pytest

from engine.definitions.bundles import collect_matter_files
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.catalog import compile_definition
from tests.conftest import FIXTURES


@pytest.fixture(scope="session")
def parallel_files() -> dict[str, str]:
    return collect_matter_files(FIXTURES / "matters" / "parallel_review", FIXTURES / "forms")


@pytest.fixture(scope="session")
def parallel_compiled(parallel_files: dict[str, str]) -> CompiledDefinition:
    return compile_definition(parallel_files)
