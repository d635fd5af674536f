"""Matter catalog pages (办事指南 list)."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import render_template

from engine.services.deploy import list_matters

bp = Blueprint("matters", __name__)


@bp.get("/")
def index() -> str:
    return render_template("matters/index.html", matters=list_matters(current_app.extensions["onewindow"]))


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
