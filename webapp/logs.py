"""Process-wide logging for the CLI and the WSGI entry point (never configured by ``create_app``)."""

from __future__ import annotations

import logging
import os


def configure_logging() -> None:
    """INFO for our own loggers; SpiffWorkflow's per-task INFO lines only when asked for.

    ``ONEWINDOW_SPIFF_LOG_LEVEL`` (default WARNING) sets the ``spiff`` loggers' level: at INFO they
    write a line for every task state change, most of a busy server's log.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    level = (os.environ.get("ONEWINDOW_SPIFF_LOG_LEVEL") or "WARNING").upper()
    if not isinstance(logging.getLevelName(level), int):
        logging.getLogger(__name__).warning("ONEWINDOW_SPIFF_LOG_LEVEL=%s is no log level; using WARNING", level)
        level = "WARNING"
    logging.getLogger("spiff").setLevel(level)
