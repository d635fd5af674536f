"""The hall's public board (大屏) and the statistics page."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from engine.services.hall import board_figures
from engine.services.stats import matter_statistics
from webapp.security import engine
from webapp.security import requires

bp = Blueprint("board", __name__)

@bp.get("/board")
def board():  # type: ignore[no-untyped-def]
    """Today's figures, each window's queue, running cases with masked numbers (never an unsent draft)."""
    return render_template("board/board.html", figures=board_figures(engine()))


@bp.get("/stats")
@requires("supervisor", "admin", "auditor", "window_supervisor")
def stats():  # type: ignore[no-untyped-def]
    return render_template("board/stats.html", stats=matter_statistics(engine()))
