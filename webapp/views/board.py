"""The hall's public board (大屏) and the statistics page."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request

from engine.services.hall import board_figures
from engine.services.hall import hall_statistics
from engine.services.hall import statistics_csv
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
    """Tables and charts by matter, department and month; ``?format=csv`` downloads the same figures."""
    if request.args.get("format") == "csv":
        return Response(statistics_csv(engine()), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=onewindow-statistics.csv"})
    hall = hall_statistics(engine())
    return render_template("board/stats.html", stats=hall.matters, hall=hall)
