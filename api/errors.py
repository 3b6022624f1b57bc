"""The one map from errors to HTTP statuses, rendered as ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from sql.errors import (
    AppError,
    AuthenticationError,
    ConflictError,
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    UpstreamError,
    ValidationError,
)

log = logging.getLogger("sorot.api")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://sorot.dev/problems/"

STATUS: dict[type[AppError], int] = {
    ValidationError: 422,
    NotFoundError: 404,
    ConflictError: 409,
    PermissionDeniedError: 403,
    AuthenticationError: 401,
    UpstreamError: 502,
    GoneError: 410,
}
HTTP_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    410: "gone",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation",
    429: "too-many-requests",
    500: "internal",
    502: "upstream",
    503: "unavailable",
}
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    502: "Upstream error",
    503: "Service unavailable",
}
RETRY_AFTER_UNAVAILABLE = 5  # seconds a client should wait when the database is away or busy


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[Any]:
    body = {
        "type": TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request.scope.get("state", {}).get("request_id"),
        **extra,
    }
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    return problem(request, status, exc.code, exc.detail, **exc.extra)


def _validation_errors(exc: ValidationException) -> list[dict[str, Any]]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    return [
        {"field": e.get("key"), "message": e.get("message"), "source": e.get("source")}
        for e in extra
        if isinstance(e, dict)
    ]


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        fields = ", ".join(str(e["field"]) for e in errors if e["field"])
        detail = f"invalid {fields}: {errors[0]['message']}" if fields else exc.detail
        return problem(request, status, "validation" if errors else "bad-request", detail, errors=errors)
    if status >= 500:
        log.error("http error", extra={"status": status, "detail": exc.detail})
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    # 405 carries Allow, 429 and 503 Retry-After: keep them.
    headers = {k: str(v) for k, v in (exc.headers or {}).items()}
    if "allow" in headers:
        headers["allow"] = ", ".join(sorted(m.strip() for m in headers["allow"].split(",")))
    return problem(request, status, HTTP_CODES.get(status, "error"), exc.detail, headers, **extra)


UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
)


def unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database is unreachable, restarting, or the pool stayed busy: a 503 to retry, not a 500."""
    log.error("database unavailable", extra={"path": request.url.path, "error": repr(exc)})
    return problem(
        request,
        503,
        "unavailable",
        "the database is unavailable; retry later",
        {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
        retry_after=RETRY_AFTER_UNAVAILABLE,
    )


def timeout_handler(request: Request[Any, Any, Any], exc: asyncpg.QueryCanceledError) -> Response[Any]:
    """A statement ran past its ``statement_timeout``: the request was too heavy for now."""
    log.warning("statement timeout", extra={"path": request.url.path})
    return problem(
        request,
        503,
        "timeout",
        "the query took too long and was cancelled; narrow the request or retry later",
        {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
        retry_after=RETRY_AFTER_UNAVAILABLE,
    )


def data_error_handler(request: Request[Any, Any, Any], exc: asyncpg.DataError) -> Response[Any]:
    """A value the database cannot hold (out of range, too long) that validation let through: still the
    caller's input, so a 422, never a 500."""
    log.warning("data error", extra={"path": request.url.path, "error": str(exc)})
    return problem(request, 422, "validation", f"a value is out of range or malformed: {exc}")


def constraint_handler(
    request: Request[Any, Any, Any], exc: asyncpg.IntegrityConstraintViolationError
) -> Response[Any]:
    """A value the schema's own rules refuse (a CHECK, NOT NULL or reference): the caller's input, 422.
    Repositories turn the expected unique violations into ConflictError; any other is still a 409."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return problem(request, 409, "conflict", "this already exists")
    constraint = getattr(exc, "constraint_name", None) or "a rule of the data"
    log.warning("constraint violation", extra={"path": request.url.path, "constraint": constraint})
    return problem(request, 422, "validation", f"a value breaks {constraint}: check lengths, ranges and references")


def too_large_handler(request: Request[Any, Any, Any], exc: asyncpg.ProgramLimitExceededError) -> Response[Any]:
    """E.g. a 3,000-character id is too large for its index row: the input is too long, not a server fault."""
    return problem(request, 422, "validation", "a value is too long to store; shorten ids and texts")


def bad_input_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Input the request parser choked on: a date out of range, JSON nested too deeply, bytes not UTF-8."""
    reasons = {
        OverflowError: (422, "a date or number is out of range"),
        RecursionError: (400, "the body is nested too deeply"),
        UnicodeDecodeError: (400, "the request is not valid UTF-8"),
    }
    status, detail = next((v for k, v in reasons.items() if isinstance(exc, k)), (400, "malformed request"))
    log.warning("bad input", extra={"path": request.url.path, "error": repr(exc)})
    return problem(request, status, "validation" if status == 422 else "bad-request", detail)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal", "an unexpected error occurred")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: app_error_handler,
    HTTPException: http_error_handler,
    asyncpg.DataError: data_error_handler,
    asyncpg.QueryCanceledError: timeout_handler,
    asyncpg.IntegrityConstraintViolationError: constraint_handler,
    asyncpg.ProgramLimitExceededError: too_large_handler,
    OverflowError: bad_input_handler,
    RecursionError: bad_input_handler,
    UnicodeDecodeError: bad_input_handler,
    **dict.fromkeys(UNAVAILABLE, unavailable_handler),
    Exception: internal_error_handler,
}
