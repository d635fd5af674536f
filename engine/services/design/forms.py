"""The form editor's side of a draft: a form-js schema checked the way the server renders and validates it."""

from __future__ import annotations

import json

from engine.actors import Actor
from engine.definitions.catalog import FORMS_PREFIX
from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.forms import FormError
from engine.forms import load_form
from engine.services.context import EngineContext
from engine.services.design.common import FORM_KEY
from engine.services.design.common import require_designer
from engine.services.design.drafts import open_draft
from engine.services.design.drafts import save_draft
from engine.services.design.views import FormCheck


def check_form(schema_text: str, key: str) -> FormCheck:
    """Parse a form-js schema the way the server renders and validates it."""
    if not FORM_KEY.match(key or ""):
        return FormCheck(None, (f"表单标识“{key}”无效：只能使用字母、数字、下划线、点和连字符",))
    try:
        return FormCheck(load_form(schema_text, key, f"{key}.form"))
    except FormError as exc:
        return FormCheck(None, tuple(str(p) for p in getattr(exc, "problems", (exc,))))


def open_form(ctx: EngineContext, matter_code: str, key: str, actor: Actor) -> str:
    """A form's schema text for the form editor: the draft's, else the shared ``forms/`` one, else a blank form."""
    if not FORM_KEY.match(key or ""):
        raise DefinitionInvalid([DefinitionProblem(f"{FORMS_PREFIX}{key}.form", "",
                                                   "表单标识只能使用字母、数字、下划线、点和连字符")])
    text = open_draft(ctx, matter_code, actor).form_text(key)
    if text is not None:
        return text
    shared = ctx.settings.forms_dir / f"{key}.form"
    if shared.is_file():
        return shared.read_text(encoding="utf-8")
    return json.dumps({"type": "default", "id": f"Form_{key}", "schemaVersion": 16, "components": []},
                      ensure_ascii=False, indent=2)


def save_form(ctx: EngineContext, matter_code: str, key: str, schema_text: str, actor: Actor) -> FormCheck:
    """Store a form of the draft if the server accepts its schema; otherwise return the problems, store nothing."""
    require_designer(actor)
    checked = check_form(schema_text, key)
    if checked.form is not None:
        save_draft(ctx, matter_code, {f"{FORMS_PREFIX}{key}.form": schema_text}, actor)
    return checked


