"""The public tagged-link redirect. It answers from memory; clicks are written in batches."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit, urlunsplit

from litestar import asgi
from litestar.datastructures import State
from litestar.types import Receive, Scope, Send

from api.cache import MISSING, LruCache
from campaigns import repository as repo
from campaigns.tracking import Click, LinkInfo, client_ip, destination, is_bot, visitor_hash

URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # RFC 3986 reserved characters and existing escapes stay as they are
LINK_TTL = 60.0  # seconds a slug's target stays cached (changes show within a minute)
NOT_FOUND_PAGE = "<!doctype html><title>Link not found</title><h1>Link not found</h1><p>This link does not exist.</p>"


class Link(NamedTuple):
    info: LinkInfo
    prefix: str
    fragment: str


async def lookup(state: State, slug: str) -> Link | None:
    links: LruCache[str, Link | None] = state.links
    now = time.monotonic()
    hit = links.get(slug, now)
    if hit is not MISSING:
        return hit
    # Few lookups at a time: a flood of unknown slugs must not take the pool from the rest of the API.
    async with state.link_lookups, state.pool.acquire() as conn:
        info = await repo.link(conn, slug)
    link = Link(info, ascii_url(info.prefix), ascii_url(info.fragment)) if info else None
    links.put(slug, link, now + LINK_TTL)  # misses too, so one slug repeated costs one query a minute
    return link


def ascii_url(url: str) -> str:
    """A URL fit for a ``Location`` header (ASCII only): an international host in IDNA, any other
    non-ASCII character percent-encoded as UTF-8. Without it one such destination failed every click."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    if not parts.scheme:
        return quote(url, safe=URL_SAFE)
    netloc = parts.netloc
    if not netloc.isascii():
        try:
            netloc = netloc.encode("idna").decode("ascii")
        except UnicodeError:
            netloc = quote(netloc, safe=":@[]")
    rest = urlunsplit(parts._replace(scheme="", netloc=""))
    return f"{parts.scheme}://{netloc}{quote(rest, safe=URL_SAFE)}"


def _header(scope: Scope, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), "")


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})  # type: ignore[arg-type]
    await send({"type": "http.response.body", "body": body})  # type: ignore[arg-type]


async def follow_link(scope: Scope, receive: Receive, send: Send) -> None:
    """``GET /r/{slug}``: 302 to the creator's destination with UTM parameters and a click id; the
    click goes to the in-memory buffer. ``HEAD`` answers the same but is not a click.

    A raw ASGI handler: this is the hottest path, and it needs no request parsing or validation.
    """
    method = scope.get("method", "GET")
    if method not in ("GET", "HEAD"):
        await _send(send, 405, [(b"allow", b"GET, HEAD"), (b"content-length", b"0")], b"")
        return
    state = scope["litestar_app"].state
    # The original path: a mount rewrites scope["path"], and "/r" also prefixes paths like "/robots.txt".
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.decode("latin-1").rstrip("/")
    slug = path[3:] if path.startswith("/r/") else ""
    link = await lookup(state, slug) if 0 < len(slug) <= 64 and "/" not in slug else None
    if link is None:
        page = NOT_FOUND_PAGE.encode()
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page)).encode())]
        await _send(send, 404, headers, b"" if method == "HEAD" else page)
        return
    click_id = uuid.uuid4()
    if method == "GET":
        agent = _header(scope, b"user-agent")
        client = scope.get("client")
        peer = client[0] if client else ""
        ip = client_ip(peer, _header(scope, b"forwarded"), _header(scope, b"x-forwarded-for"), state.proxies)
        info = link.info
        state.clicks.add(
            Click(
                info.org_id,
                info.campaign_id,
                info.creator_id,
                click_id,
                datetime.now(UTC),
                visitor_hash(state.salt, ip, agent),
                _header(scope, b"referer") or None,
                is_bot(agent),
            )
        )
    location = destination(link.prefix, click_id, link.fragment).encode("latin-1")
    await _send(send, 302, [(b"location", location), (b"cache-control", b"no-store"), (b"content-length", b"0")], b"")


def redirect_route() -> Any:
    """A fresh route handler per app: litestar binds a handler to the app that registers it."""
    return asgi("/r", is_mount=True, copy_scope=True)(follow_link)
