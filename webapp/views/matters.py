"""Matter catalog and service guides (办事指南), public: every matter the hall offers, searchable by
name, code or pinyin initials; a 事项库 entry's guide is generated from the catalogue."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request

from engine.services.catalogue.offering import catalogue_guide
from engine.services.catalogue.offering import matter_diagram
from engine.services.catalogue.offering import search_matters
from engine.services.deploy import matter_guide
from webapp.security import engine

bp = Blueprint("matters", __name__)


@bp.get("/")
def index() -> str:
    query = request.args.get("q", "")[:100]
    return render_template("matters/index.html", matters=search_matters(engine(), query), q=query)


@bp.get("/matters/<code>")
def guide(code: str) -> str:
    found = catalogue_guide(engine(), code)
    if found is not None:
        return render_template("matters/catalogue_guide.html", guide=found)
    return render_template("matters/guide.html", guide=matter_guide(engine(), code))


@bp.get("/matters/<code>/diagram.bpmn")
def diagram(code: str) -> Response:
    return Response(matter_diagram(engine(), code), mimetype="application/xml")
