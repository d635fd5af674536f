"""API operations: one decorator validates the request, shapes the response and documents both.

A view of the REST API declares its operation (``@operation(...)``) with the pydantic models of its
query string, body and response (``webapp.views.api_schemas``). At run time the decorator checks
the query and body against their models before the view runs (400 with a Chinese message naming
the parameter) and dumps the returned model as JSON. ``openapi_document`` walks the app's route
table, so the document lists exactly the routes that exist; a route of the API without an
operation is an error (``UndocumentedRoute``), which the tests turn into a failure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import Protocol

from flask import Flask
from flask import abort
from flask import request
from pydantic import BaseModel
from pydantic import ValidationError
from pydantic.json_schema import models_json_schema

#: ``<converter(args):name>`` in a Werkzeug rule.
_PARAMETER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_SCHEMAS = {"int": {"type": "integer", "minimum": 0}, "string": {"type": "string"},
                      "default": {"type": "string"}, "path": {"type": "string"}}

_PROBLEMS = {
    "dict_type": "须为 JSON 对象", "model_type": "须为 JSON 对象", "model_attributes_type": "须为 JSON 对象",
    "int_parsing": "须为整数", "int_type": "须为整数", "int_from_float": "须为整数", "string_type": "须为字符串",
    "extra_forbidden": "不是可接受的参数", "missing": "不能缺少",
}


class ErrorCodeDoc(Protocol):
    """One row of the app's table of error codes (``webapp.errors``): what a client may rely on."""

    status: int
    description: str
    retry: bool


class UndocumentedRoute(Exception):
    """API routes without an ``@operation`` (or path parameters without a description)."""


@dataclass(frozen=True)
class Operation:
    """One documented API operation: what it takes and what it answers."""

    operation_id: str
    summary: str
    #: The success body; None: an arbitrary JSON object (the OpenAPI document itself).
    response: type[BaseModel] | None
    status: int = 200
    #: Error statuses besides 400 and 500 (every operation), 401 (every non-public one) and 413 (with a body).
    errors: tuple[int, ...] = ()
    body: type[BaseModel] | None = None
    body_required: bool = False
    query: type[BaseModel] | None = None
    description: str = ""
    public: bool = False


def _problem(error: Mapping[str, Any]) -> str:
    context = error.get("ctx") or {}
    if error["type"] in ("greater_than_equal", "greater_than"):
        return f"须不小于 {context.get('ge', context.get('gt'))}"
    if error["type"] in ("less_than_equal", "less_than"):
        return f"须不大于 {context.get('le', context.get('lt'))}"
    if error["type"] == "value_error":  # our own validators' messages are Chinese already
        return str(error["msg"]).removeprefix("Value error, ")
    return _PROBLEMS.get(error["type"], "格式不正确")


def _validated(model: type[BaseModel], values: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or where
        abort(400, description=f"“{name}”{_problem(first)}")


def _json_body() -> Any:
    """The JSON object of the body; an empty body counts as ``{}``."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        abort(400, description="请求体须为 JSON 对象")
    return body


def operation(operation_id: str, summary: str, response: type[BaseModel] | None, *, status: int = 200,
              errors: tuple[int, ...] = (), body: type[BaseModel] | None = None, body_required: bool = False,
              query: type[BaseModel] | None = None, description: str = "",
              public: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API view's operation; the view gets ``query=``/``body=`` models and returns a model.

    The view may return ``(model, headers)`` to add headers (``Location`` of a created case).
    """
    spec = Operation(operation_id, summary, response, status, errors, body, body_required, query, description,
                     public)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            if spec.query is not None:
                # An empty parameter (``?matter=``) means "not given", as HTML forms send it.
                kwargs["query"] = _validated(spec.query, {k: v for k, v in request.args.items() if v != ""},
                                             "query")
            if spec.body is not None:
                kwargs["body"] = _validated(spec.body, _json_body(), "body")
            result = view(**kwargs)
            headers: dict[str, str] = {}
            if isinstance(result, tuple):
                result, headers = result
            payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            return payload, spec.status, headers

        wrapped.openapi_operation = spec  # type: ignore[attr-defined]
        return wrapped

    return decorator


# -- the document --------------------------------------------------------------------------------


def _without_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's generated ``title`` keywords (a property named ``title`` is a dict and stays)."""
    return {k: _without_titles(v) if isinstance(v, dict) else v for k, v in schema.items()
            if not (k == "title" and isinstance(v, str))}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema["properties"].items():
        field_schema = _without_titles(field_schema)
        description = field_schema.pop("description", "")
        parameters.append({"name": name, "in": "query", "required": name in required, "schema": field_schema,
                           "description": description})
    return parameters


def _path_parameters(rule: str, descriptions: Mapping[str, str], missing: list[str]) -> list[dict[str, Any]]:
    parameters = []
    for match in _PARAMETER.finditer(rule):
        name = match["name"]
        if name not in descriptions:
            missing.append(f"{rule}: path parameter “{name}” has no description")
        parameters.append({"name": name, "in": "path", "required": True,
                           "schema": dict(_CONVERTER_SCHEMAS.get(match["converter"] or "default", {"type": "string"})),
                           "description": descriptions.get(name, "")})
    return parameters


def _error_response(text: str, error_ref: dict[str, Any], codes: Mapping[str, ErrorCodeDoc]) -> dict[str, Any]:
    """An error status: its meaning, and which ``code`` values it carries and whether to send again."""
    if not codes:
        return {"description": text, "content": {"application/json": {"schema": error_ref}}}
    lines = [f"- `{code}`：{doc.description}（{'可重试' if doc.retry else '勿重试'}）" for code, doc in codes.items()]
    schema = {"allOf": [error_ref, {"properties": {"code": {"enum": list(codes)}}, "required": ["code"]}]}
    return {"description": "\n".join([text, "", *lines]), "content": {"application/json": {"schema": schema}},
            "x-retry-codes": [code for code, doc in codes.items() if doc.retry]}


def openapi_document(app: Flask, blueprint: str, *, info: Mapping[str, Any], error_model: type[BaseModel],
                     error_responses: Mapping[int, str], path_parameters: Mapping[str, str],
                     security_scheme: Mapping[str, Any],
                     error_codes: Mapping[str, ErrorCodeDoc] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of one blueprint's routes, built from their operations and schemas.

    :param error_codes: the app's table of error ``code`` values; each error status documents its codes,
        whether a client should send the request again (``x-retry-codes``), and the body's ``code`` enum.

    :raise UndocumentedRoute: a route of the blueprint has no operation, or a path parameter no description.
    """
    prefix = app.blueprints[blueprint].url_prefix or ""
    found: list[tuple[str, str, Operation]] = []
    missing: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(f"{blueprint}."):
            continue
        spec = getattr(app.view_functions[rule.endpoint], "openapi_operation", None)
        if spec is None:
            missing.append(f"{rule.rule} ({rule.endpoint}) has no @operation")
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method.lower(), spec))

    models: dict[tuple[type[BaseModel], str], None] = {(error_model, "serialization"): None}
    for _rule, _method, spec in found:
        if spec.response is not None:
            models[spec.response, "serialization"] = None
        if spec.body is not None:
            models[spec.body, "validation"] = None
    refs, top = models_json_schema(list(models), ref_template="#/components/schemas/{model}")
    schemas = {name: _without_titles(schema) for name, schema in top.get("$defs", {}).items()}

    paths: dict[str, dict[str, Any]] = {}
    for rule, method, spec in found:
        parameters = _path_parameters(rule, path_parameters, missing)
        if spec.query is not None:
            parameters += _query_parameters(spec.query)
        body_schema = refs[spec.response, "serialization"] if spec.response is not None else {"type": "object"}
        responses: dict[str, Any] = {
            str(spec.status): {"description": spec.summary, "content": {"application/json": {"schema": body_schema}}}}
        # Any request may be refused at the door (400: hostile input) or crash (500); a body may be too large.
        always = (400, 500) + (() if spec.public else (401,)) + ((413,) if spec.body is not None else ())
        for code in sorted(set(always + spec.errors)):
            responses[str(code)] = {"$ref": f"#/components/responses/{code}"}
        item: dict[str, Any] = {"operationId": spec.operation_id, "summary": spec.summary, "responses": responses}
        if spec.description:
            item["description"] = spec.description
        if parameters:
            item["parameters"] = parameters
        if spec.body is not None:
            item["requestBody"] = {"required": spec.body_required,
                                   "content": {"application/json": {"schema": refs[spec.body, "validation"]}}}
        if spec.public:
            item["security"] = []
        path = _PARAMETER.sub(r"{\g<name>}", rule[len(prefix):])
        paths.setdefault(path, {})[method] = item
    if missing:
        raise UndocumentedRoute("\n".join(missing))

    error_ref = refs[error_model, "serialization"]
    return {
        "openapi": "3.1.0",
        "info": dict(info),
        "servers": [{"url": prefix or "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {str(status): _error_response(text, error_ref, {
                code: doc for code, doc in (error_codes or {}).items() if doc.status == status})
                for status, text in sorted(error_responses.items())},
            "securitySchemes": {"bearerAuth": dict(security_scheme)},
        },
    }
