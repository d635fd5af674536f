"""Matter catalog and service guides (办事指南), public."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import render_template

from engine.services.deploy import list_matters
from engine.services.deploy import matter_guide
from webapp.security import engine

bp = Blueprint("matters", __name__)


@bp.get("/")
def index() -> str:
    return render_template("matters/index.html", matters=list_matters(engine()))


@bp.get("/matters/<code>")
def guide(code: str) -> str:
    return render_template("matters/guide.html", guide=matter_guide(engine(), code))


@bp.get("/matters/<code>/diagram.bpmn")
def diagram(code: str) -> Response:
    return Response(matter_guide(engine(), code).main_bpmn, mimetype="application/xml")
