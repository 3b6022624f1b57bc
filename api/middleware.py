"""ASGI middleware: request ids, OPTIONS answers, abuse limits."""

from __future__ import annotations

import asyncio
import re
import uuid

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders, State
from litestar.exceptions import ServiceUnavailableException, TooManyRequestsException
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.ratelimit import RateLimiter, limit_for
from campaigns.tracking import client_ip

_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Per-IP classes count failed answers only: these statuses.
FAILURE_CLASSES = {"redirect_miss": (404,), "webhook_fail": (401, 404)}


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = given if _VALID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware


def _allow_map(app: Litestar) -> dict[str, str]:
    """Every method each path template answers, from the app's routes (OPTIONS and HEAD included)."""
    cached: dict[str, str] | None = getattr(app.state, "_allow", None)
    if cached is None:
        methods: dict[str, set[str]] = {}
        for route in app.routes:
            if isinstance(route, HTTPRoute):
                methods.setdefault(route.path_format or "/", set()).update(route.methods)
        cached = {path: ", ".join(sorted(m | {"OPTIONS"})) for path, m in methods.items()}
        app.state._allow = cached
    return cached


def options_middleware(app: ASGIApp) -> ASGIApp:
    """OPTIONS answers 204 with every method of the path, without a key (a CORS preflight has none).

    litestar's own OPTIONS handler lists only the methods of one handler group and then runs the
    route's guards on a request that has no caller.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "OPTIONS":  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        litestar_app = scope["litestar_app"]
        allow = _allow_map(litestar_app).get(scope.get("path_template", ""), "OPTIONS")
        headers = [(b"allow", allow.encode()), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})  # type: ignore[arg-type,typeddict-item]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[arg-type,typeddict-item]

    return middleware


def _client_ip(scope: Scope) -> str:
    """The caller's address, through the trusted proxies (SOROT_TRUSTED_PROXIES) as the redirect reads it."""
    client = scope.get("client")
    peer = client[0] if client else ""
    headers = {k: v.decode("latin-1") for k, v in scope["headers"] if k in (b"forwarded", b"x-forwarded-for")}
    proxies = getattr(scope["litestar_app"].state, "proxies", ())
    return client_ip(peer, headers.get(b"forwarded", ""), headers.get(b"x-forwarded-for", ""), proxies)


async def _in_turn(state: State, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Heavy graph work runs a few at a time, before it takes a connection: the rest of the API keeps
    the pool and answers while a burst of rankings waits its turn."""
    slots: asyncio.Semaphore = state.graph_slots
    try:
        await asyncio.wait_for(slots.acquire(), state.settings.graph_queue_timeout)
    except TimeoutError:
        raise ServiceUnavailableException(
            "too many heavy requests are running; retry later",
            headers={"Retry-After": "10"},
            extra={"retry_after": 10},
        ) from None
    try:
        await app(scope, receive, send)
    finally:
        slots.release()


def abuse_limit_middleware(app: ASGIApp) -> ASGIApp:
    """Per-key token buckets on expensive routes; per-IP buckets on /r/ misses and webhook failures.

    A key's request takes a token before it runs. An IP's failures (a 404 on /r/, a 401 or 404 on a
    webhook) each take a token after the answer; with none left its next request there is a 429.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter | None = getattr(scope["litestar_app"].state, "limiter", None)
        handler = scope.get("route_handler")
        # A mount (the /r/ redirect) has no template of its own in the scope: its handler's path is it.
        path = next(iter(handler.paths), "") if getattr(handler, "is_mount", False) else scope.get("path_template", "")
        kind = limit_for(path, getattr(handler, "operation_id", None))
        if scope["type"] != "http" or limiter is None or kind is None:  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        if kind in FAILURE_CLASSES:
            who = _client_ip(scope)
            wait = limiter.wait(kind, who)
        else:
            user = scope.get("user")
            who = str(getattr(user, "key_id", "")) or _client_ip(scope)
            wait = limiter.take(kind, who)
        if wait:
            raise TooManyRequestsException(
                f"rate limit for {kind.replace('_', ' ')} reached; retry in {wait} s",
                headers={"Retry-After": str(wait)},
                extra={"retry_after": wait},
            )
        if kind == "heavy":
            await _in_turn(scope["litestar_app"].state, app, scope, receive, send)
            return
        if kind not in FAILURE_CLASSES:
            await app(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in FAILURE_CLASSES[kind]:
                limiter.take(kind, who)
            await send(message)

        await app(scope, receive, counting_send)

    return middleware
