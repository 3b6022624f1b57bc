"""Input checks litestar's parsing leaves out, run before every handler (``before_request``).

msgspec decodes a decimal from any string ``decimal.Decimal`` accepts, ``"NaN"``, ``"Infinity"``
and ``"1e999999"`` included, and, when parsing query strings, reads ``before=0.5`` as a Unix
time. The OpenAPI document promises less (api/openapi.py): decimals match
``DECIMAL_PATTERN``, date and date-time parameters are ISO 8601. This hook holds every route
to that promise, from the handler's own type hints, so no controller has to repeat it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler

from api.cache import MISSING, LruCache
from api.openapi import DECIMAL_PATTERN

DECIMAL = re.compile(DECIMAL_PATTERN)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$")
NOT_QUERY = {"data", "request", "state", "scope", "headers", "cookies", "query", "socket", "body"}


class Plan(msgspec.Struct, frozen=True):
    body: msgspec.inspect.Type | None
    query: dict[str, re.Pattern[str]]


# Plans by handler. Keyed by id, holding the handler too: an id alone can be reused by a later app's
# handler, and handlers take no weak references (and may share their ``opt`` dict).
_plans: LruCache[int, tuple[HTTPRouteHandler, Plan]] = LruCache(4096)


def _temporal(annotation: Any) -> re.Pattern[str] | None:
    try:
        info = msgspec.inspect.type_info(annotation)
    except (TypeError, ValueError):
        return None
    types = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    if any(isinstance(t, msgspec.inspect.DateTimeType) for t in types):
        return DATETIME
    if any(isinstance(t, msgspec.inspect.DateType) for t in types):
        return DATE
    return None


def _plan(handler: HTTPRouteHandler) -> Plan:
    known = _plans.get(id(handler), 0.0)
    if known is not MISSING and known[0] is handler:
        return known[1]
    params = handler.parsed_fn_signature.parameters
    dependencies = set(handler.resolve_dependencies())
    query: dict[str, re.Pattern[str]] = {}
    for name, field in params.items():
        if name in NOT_QUERY or name in dependencies:
            continue
        pattern = _temporal(field.annotation)
        if pattern is not None:
            kwarg = field.kwarg_definition
            alias = getattr(kwarg, "query", None) or getattr(kwarg, "name", None)
            query[alias or name] = pattern
    body = None
    if "data" in params:
        try:
            body = msgspec.inspect.type_info(params["data"].annotation)
        except (TypeError, ValueError):
            body = None
    plan = Plan(body, query)
    _plans.put(id(handler), (handler, plan), math.inf)
    return plan


def bad_decimals(value: Any, t: msgspec.inspect.Type, path: str = "") -> Iterator[str]:
    """Paths in a decoded JSON value where a decimal field holds what the document does not allow."""
    if isinstance(t, msgspec.inspect.DecimalType):
        text_ok = not isinstance(value, str) or DECIMAL.match(value)
        if not text_ok or (isinstance(value, float) and not math.isfinite(value)):
            yield path
    elif isinstance(t, msgspec.inspect.StructType):
        if isinstance(value, dict):
            for f in t.fields:
                if f.encode_name in value:
                    yield from bad_decimals(value[f.encode_name], f.type, f"{path}.{f.encode_name}".lstrip("."))
    elif isinstance(t, msgspec.inspect.UnionType):
        if value is not None:
            for u in t.types:
                yield from bad_decimals(value, u, path)
    elif isinstance(t, msgspec.inspect.ListType | msgspec.inspect.SetType | msgspec.inspect.FrozenSetType):
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from bad_decimals(item, t.item_type, f"{path}[{i}]")
    elif isinstance(t, msgspec.inspect.DictType) and isinstance(value, dict):
        for key, item in value.items():
            yield from bad_decimals(item, t.value_type, f"{path}.{key}".lstrip("."))


def _why(e: Exception) -> str:
    if isinstance(e, RecursionError):
        return "nested too deeply"
    if isinstance(e, UnicodeDecodeError):
        return "not UTF-8"
    return str(e)


async def check_inputs(request: Request[Any, Any, Any]) -> None:
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler):
        return
    plan = _plan(handler)
    for name, pattern in plan.query.items():
        value = request.query_params.get(name)
        # litestar reads "null" as absent for an optional parameter, and the document says so.
        if value is not None and value != "null" and not pattern.match(value):
            kind = "date (YYYY-MM-DD)" if pattern is DATE else "date-time (ISO 8601, e.g. 2026-01-31T12:00:00Z)"
            raise ValidationException(
                f"invalid {name}: must be a {kind}",
                extra=[{"key": name, "message": f"must be a {kind}", "source": "query"}],
            )
    media = request.headers.get("content-type", "")
    if plan.body is None or (media and "json" not in media):
        return  # forms and uploads are litestar's to parse
    try:
        raw = msgspec.json.decode(await request.body())
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ValidationException(f"the body is not valid JSON: {_why(e)}") from None
    bad = list(bad_decimals(raw, plan.body))
    if bad:
        message = 'must be a decimal string such as "12.50" (no exponent, NaN or Infinity)'
        raise ValidationException(
            f"invalid {', '.join(bad[:5])}: {message}",
            status_code=422,
            extra=[{"key": p, "message": message, "source": "body"} for p in bad[:20]],
        )
