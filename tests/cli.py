"""The ``onewindow`` command run inside the test process: ``webapp.cli.main(argv)`` with its own
environment and captured output, as a subprocess would see it but without a new interpreter.

A subprocess costs two to three CPU seconds (importing the app and the engine again) and ``init
--demo`` hashes every demo password with production argon2; in-process, commands cost what their
work costs, with the suite's cheap hashing. ``tests/test_cli.py`` keeps the real console script
(``.venv/bin/onewindow``) end to end for ``serve`` and one computing command.

A command that would start serving or looping (``serve``, ``worker``) past its checks raises
instead of blocking the test: such a test fails rather than hangs.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import engine.services.timers
import webapp.app
import webapp.cli
import webapp.cli_catalogue
import webapp.wsgi_server
from engine.settings import EngineSettings
from tests.conftest import FAST_PASSWORD_HASHING


@dataclass(frozen=True)
class Ran:
    """What a finished command left: its exit status and its output (``subprocess.CompletedProcess``'s names)."""

    returncode: int
    stdout: str
    stderr: str


class WouldBlock(AssertionError):
    """A command got past its checks into serving or looping (in a test that expected a refusal)."""


def _would_block(*_args: object, **_kwargs: object) -> None:
    raise WouldBlock("the command started serving or looping instead of refusing")


def run_command(*args: str, environ: Mapping[str, str | None]) -> Ran:
    """Run ``onewindow *args`` with ``environ`` over the process's environment (None removes a name).

    The suite's cheap password hashing replaces production argon2 (tests/test_password_hashing.py
    proves production's); process-wide logging is left to pytest (``configure_logging`` is tested
    on its own).
    """
    out, err = io.StringIO(), io.StringIO()
    cheap = functools.partial(EngineSettings, password_hashing=FAST_PASSWORD_HASHING)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        for module in (webapp.cli, webapp.cli_catalogue, webapp.app):
            patch.setattr(module, "EngineSettings", cheap)
        patch.setattr(webapp.cli, "configure_logging", lambda: None)
        patch.setattr(webapp.wsgi_server, "serve", _would_block)
        patch.setattr(engine.services.timers, "run_worker", _would_block)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = webapp.cli.main(list(args))
            except SystemExit as exc:  # argparse's refusals, as the shell would see them
                code = exc.code if isinstance(exc.code, int) else 2
    return Ran(code, out.getvalue(), err.getvalue())


def onewindow(*args: str, db: Path | str, **environ: str | None) -> Ran:
    """``onewindow *args`` on ``db`` (an SQLite file, or a database URL)."""
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    return run_command(*args, environ={"DATABASE_URL": url, **environ})


def environment_without(*names: str) -> dict[str, str]:
    """The process's environment without ``names`` (for the real subprocesses)."""
    return {key: value for key, value in os.environ.items() if key not in names}
