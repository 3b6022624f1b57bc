"""The OpenAPI document as the API really behaves, and the docs UI served from the package.

litestar documents each route's success answer and a generic 400 of its own shape. Every
route can also answer ``application/problem+json`` (RFC 9457) with other statuses: this
module adds them per route from what the route is (public or keyed, guarded, with path
parameters, with a body, rate limited), documents decimal fields as the strings they are,
closes request objects that refuse unknown fields, and bounds integers to what PostgreSQL
stores. It works on the finished schema dict, once per app, so it needs no change in the
controllers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, Request, Router
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from api.auth import is_public
from api.ratelimit import limit_for

ASSETS = Path(__file__).parent / "static" / "swagger-ui"
ASSETS_URL = "/schema/assets"
# What a decimal field accepts (the same pattern api.inputs enforces): no exponent, no NaN or Infinity.
DECIMAL_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,10})?$"
INT64 = (-(2**63), 2**63 - 1)
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details. `type` is stable: branch on it, not on `detail`.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong, for a person"},
        "instance": {"type": "string", "description": "The request path"},
        "request_id": {"type": ["string", "null"], "description": "Also in the X-Request-ID header"},
        "field": {"type": "string", "description": "The input field at fault, when there is one"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": ["string", "null"]},
                    "source": {"type": ["string", "null"]},
                },
            },
        },
        "retry_after": {"type": "integer", "description": "Seconds to wait (429, 503)"},
    },
    "additionalProperties": True,
}
DESCRIPTIONS = {
    400: "Malformed request: unparsable JSON or parameters of the wrong type",
    401: "Missing, invalid or revoked API key (or, for webhooks, a bad signature)",
    403: "The key's role may not do this",
    404: "No such resource in the caller's org",
    409: "Conflicts with the stored state (e.g. a duplicate)",
    413: "Body over 1 MiB",
    415: "Body of an unsupported media type",
    422: "Well-formed but invalid input; `errors`/`field` say which",
    429: "Rate limited: wait `Retry-After` seconds",
    503: "The database is unreachable or the query timed out; retry later",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "required": True, "schema": {"type": "integer"}}}


def _statuses(path: str, method: str, handler: HTTPRouteHandler, has_path_params: bool) -> list[int]:
    params = handler.parsed_fn_signature.parameters
    has_body = "data" in params or method in ("POST", "PUT", "PATCH")
    codes = {400}
    if path != "/healthz":
        codes.add(503)
    if not is_public(path):
        codes.add(401)
        if handler.resolve_guards():
            codes.add(403)
    query_refs = any(name.endswith("_id") for name in params)
    if has_path_params or has_body or query_refs:
        codes |= {404, 422}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        codes.add(409)
    if has_body:
        codes |= {413, 415}
    if len(params) > 0:
        codes.add(422)
    if limit_for(path, handler.operation_id) is not None:
        codes.add(429)
    if path.startswith("/v1/webhooks"):
        codes |= {401, 429}
    return sorted(codes)


def _response(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, "Error"),
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    }
    if status == 429:
        answer["headers"] = RETRY_AFTER
    if status == 401:
        answer["headers"] = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}
    return answer


def _routes(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler, bool]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                yield route.path_format or "/", method, handler, bool(route.path_parameters)


def _struct_types(app: Litestar) -> dict[str, msgspec.inspect.StructType]:
    """Every msgspec Struct that appears in a request or an answer, by name."""
    annotations = []
    for _, _, handler, _ in _routes(app):
        fields = handler.parsed_fn_signature.parameters
        if "data" in fields:
            annotations.append(fields["data"].annotation)
        annotations.append(handler.parsed_fn_signature.return_type.annotation)
    found: dict[str, msgspec.inspect.StructType] = {}

    def walk(t: msgspec.inspect.Type) -> None:
        if isinstance(t, msgspec.inspect.StructType):
            if t.cls.__name__ in found:
                return
            found[t.cls.__name__] = t
            for f in t.fields:
                walk(f.type)
        elif isinstance(t, msgspec.inspect.UnionType):
            for u in t.types:
                walk(u)
        elif isinstance(t, msgspec.inspect.ListType | msgspec.inspect.SetType | msgspec.inspect.FrozenSetType):
            walk(t.item_type)
        elif isinstance(t, msgspec.inspect.DictType):
            walk(t.value_type)

    for annotation in annotations:
        try:
            walk(msgspec.inspect.type_info(annotation))
        except (TypeError, ValueError):
            continue  # not a msgspec-describable type (e.g. Any, a Response): nothing to refine
    return found


def _is_decimal(t: msgspec.inspect.Type) -> bool:
    if isinstance(t, msgspec.inspect.DecimalType):
        return True
    return isinstance(t, msgspec.inspect.UnionType) and any(_is_decimal(u) for u in t.types)


def decimal_schema(default: Any = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "anyOf": [{"type": "string", "pattern": DECIMAL_PATTERN}, {"type": "number"}],
        "description": 'A decimal as a string (every digit kept), e.g. "12.50"',
    }
    if default is not None:
        schema["default"] = str(default) if isinstance(default, Decimal) else default
    return schema


def _string_rules(t: msgspec.inspect.Type) -> dict[str, Any]:
    if not isinstance(t, msgspec.inspect.StrType):
        return {}
    rules = {"minLength": t.min_length, "maxLength": t.max_length, "pattern": t.pattern}
    return {k: v for k, v in rules.items() if v is not None}


def _item_rules(prop: dict[str, Any], t: msgspec.inspect.Type) -> None:
    """litestar drops the constraints of a list's items (``list[Annotated[str, Meta(...)]]``): add them."""
    lists = [t] if isinstance(t, msgspec.inspect.ListType) else []
    if isinstance(t, msgspec.inspect.UnionType):
        lists = [u for u in t.types if isinstance(u, msgspec.inspect.ListType)]
    arrays = [prop] if prop.get("type") == "array" else []
    arrays += [o for o in prop.get("oneOf", []) + prop.get("anyOf", []) if o.get("type") == "array"]
    for array, info in zip(arrays, lists, strict=False):
        rules = _string_rules(info.item_type)
        if rules and isinstance(array.get("items"), dict):
            array["items"].update(rules)


def _refine_struct(schema: dict[str, Any], info: msgspec.inspect.StructType) -> None:
    if info.forbid_unknown_fields:
        schema["additionalProperties"] = False
    props = schema.get("properties", {})
    for f in info.fields:
        prop = props.get(f.encode_name)
        if prop is not None:
            _item_rules(prop, f.type)
        if prop is None or not _is_decimal(f.type):
            continue
        nullable = isinstance(f.type, msgspec.inspect.UnionType) and any(
            isinstance(u, msgspec.inspect.NoneType) for u in f.type.types
        )
        keep = {k: prop[k] for k in ("description", "title", "examples") if k in prop}
        refined = decimal_schema(prop.get("default"))
        if nullable:
            refined["anyOf"].append({"type": "null"})
        props[f.encode_name] = {**refined, **keep}


def _bound_integers(node: Any) -> None:
    """PostgreSQL's bigint is the widest integer stored: say so, so clients never send wider ones."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("minimum", INT64[0])
            node.setdefault("maximum", INT64[1])
        for value in node.values():
            _bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            _bound_integers(value)


def finish(document: dict[str, Any], app: Litestar) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name, info in _struct_types(app).items():
        if name in schemas:
            _refine_struct(schemas[name], info)
    for path, method, handler, has_path_params in _routes(app):
        operation = doc.get("paths", {}).get(path, {}).get(method.lower())
        if operation is None:
            continue
        if is_public(path):
            operation["security"] = []
        responses = operation.setdefault("responses", {})
        for status in _statuses(path, method, handler, has_path_params):
            responses[str(status)] = _response(status)
        fmt = next((p for p in operation.get("parameters", []) if p.get("name") == "format"), None)
        ok = next((r for s, r in responses.items() if s.startswith("2")), None)
        if path.endswith(".csv") and ok is not None:
            ok["content"] = {"text/csv": {"schema": {"type": "string"}}}
        if fmt is not None and ok is not None:
            content = ok.setdefault("content", {})
            content.setdefault("text/csv", {"schema": {"type": "string"}})
            if "parquet" in str(fmt):
                content.setdefault("application/vnd.apache.parquet", {"schema": {"type": "string", "format": "binary"}})
    _bound_integers(doc.get("paths", {}))
    _bound_integers(schemas)
    return doc


class _Finished:
    """Renders the finished document, computed once per app."""

    _done: dict[str, Any] | None = None

    def finished(self, request: Request[Any, Any, Any], schema: dict[str, Any]) -> dict[str, Any]:
        if self._done is None:
            self._done = finish(schema, request.app)
        return self._done


class DocumentJson(_Finished, JsonRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self.finished(request, openapi_schema))


class LocalSwagger(_Finished, SwaggerRenderPlugin):
    """Swagger UI from the vendored assets in api/static/swagger-ui: no CDN, so it works offline."""

    def __init__(self) -> None:
        super().__init__(
            path=["/", "/swagger"],
            js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            css_url=f"{ASSETS_URL}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS_URL}/swagger-ui-standalone-preset.js",
        )
        self.favicon = f"<link rel='icon' type='image/png' href='{ASSETS_URL}/favicon-32x32.png'>"

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self.finished(request, openapi_schema))

    def receive_router(self, router: Router) -> None:
        router.register(create_static_files_router(path="/assets", directories=[ASSETS], include_in_schema=False))
