"""The public tagged-link redirect. It answers from memory; clicks are written in batches.

The hottest path of the service: a ``GET /r/{slug}`` whose link is cached is answered by ``fast_follow``
before litestar's router and middleware run (``api.app.SorotApp``); everything else about ``/r/`` (a slug
not cached yet, an unknown one with its per-IP limit, other methods) goes through litestar to
``follow_link``. Cached links are dropped the moment any process commits a change to them (PostgreSQL
NOTIFY, ``watch_links``); the minute-long expiry only backs that up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
from litestar import asgi
from litestar.datastructures import State
from litestar.types import Receive, Scope, Send

from api.cache import MISSING, LruCache
from campaigns import repository as repo
from campaigns.bots import is_bot
from campaigns.tracking import Click, LinkInfo, client_ip, destination, visitor_hash

log = logging.getLogger("sorot.api")
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # RFC 3986 reserved characters and existing escapes stay as they are
LINK_TTL = 60.0  # seconds a slug's target stays cached if a change notification were ever missed
NOT_FOUND_PAGE = "<!doctype html><title>Link not found</title><h1>Link not found</h1><p>This link does not exist.</p>"
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")  # as api.middleware accepts a caller's X-Request-ID


class Link(NamedTuple):
    info: LinkInfo
    prefix: str
    fragment: str


class LinkCache(LruCache[str, Link | None]):
    """Slugs to links (and to None: not found). ``version`` moves on every invalidation, so a lookup that
    read the database before a change was announced does not put the old link back afterwards."""

    def __init__(self, max_entries: int) -> None:
        super().__init__(max_entries)
        self.version = 0
        self.listening = asyncio.Event()  # set while change notifications arrive

    def invalidate(self, change: str) -> None:
        """``slug:<slug>``, ``campaign:<id>``, or anything else: forget everything."""
        self.version += 1
        kind, _, key = change.partition(":")
        if kind == "slug":
            self.discard(key)
        elif kind == "campaign":
            self.discard_values(lambda link: link is not None and str(link.info.campaign_id) == key)
        else:
            self.clear()


async def watch_links(dsn: str, links: LinkCache, retry: float = 1.0) -> None:
    """Listen for link changes until cancelled; after any gap in listening, forget every cached link."""
    while True:
        conn: asyncpg.Connection | None = None
        try:
            conn = await repo.listen_links(dsn, links.invalidate)
            links.invalidate("all")  # changes made while nobody listened
            links.listening.set()
            closed = asyncio.Event()
            conn.add_termination_listener(lambda _conn, closed=closed: closed.set())
            await closed.wait()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            log.warning("link change listener lost", extra={"error": str(e)})
        finally:
            links.listening.clear()
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
        await asyncio.sleep(retry)


async def lookup(state: State, slug: str) -> Link | None:
    links: LinkCache = state.links
    now = time.monotonic()
    hit = links.get(slug, now)
    if hit is not MISSING:
        return hit
    version = links.version
    # Few lookups at a time: a flood of unknown slugs must not take the pool from the rest of the API.
    async with state.link_lookups, state.pool.acquire() as conn:
        info = await repo.link(conn, slug)
    link = Link(info, ascii_url(info.prefix), ascii_url(info.fragment)) if info else None
    if links.version == version:  # no change announced meanwhile; else the next request reads again
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


def _slug(scope: Scope) -> str:
    # The original path: a mount rewrites scope["path"], and "/r" also prefixes paths like "/robots.txt".
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.decode("latin-1").rstrip("/")
    slug = path[3:] if path.startswith("/r/") else ""
    return slug if 0 < len(slug) <= 64 and "/" not in slug else ""


async def _redirect(state: State, link: Link, scope: Scope, send: Send, fast: bool) -> None:
    """The 302, and for a GET the click into the buffer. ``fast``: litestar's middleware did not run, so
    the request id (the caller's, or the click id) is added here."""
    click_id = uuid.uuid4()
    request_id: bytes | None = None
    agent = referer = forwarded = x_forwarded_for = ""
    for k, v in scope["headers"]:
        if k == b"user-agent":
            agent = v.decode("latin-1")
        elif k == b"referer":
            referer = v.decode("latin-1")
        elif k == b"forwarded":
            forwarded = v.decode("latin-1")
        elif k == b"x-forwarded-for":
            x_forwarded_for = v.decode("latin-1")
        elif k == b"x-request-id" and fast and _REQUEST_ID.match(v):
            request_id = v
    if scope.get("method") == "GET":
        client = scope.get("client")
        peer = client[0] if client else ""
        ip = client_ip(peer, forwarded, x_forwarded_for, state.proxies) if forwarded or x_forwarded_for else peer
        info = link.info
        state.clicks.add(
            Click(
                info.org_id,
                info.campaign_id,
                info.creator_id,
                click_id,
                datetime.now(UTC),
                visitor_hash(state.salt, ip, agent),
                referer or None,
                is_bot(agent),
            )
        )
    headers = [
        (b"location", destination(link.prefix, click_id, link.fragment).encode("latin-1")),
        (b"cache-control", b"no-store"),
        (b"content-length", b"0"),
    ]
    if fast:
        headers.append((b"x-request-id", request_id or click_id.hex.encode()))
    await _send(send, 302, headers, b"")


async def fast_follow(state: State, scope: Scope, send: Send) -> bool:
    """Answer a GET or HEAD of a cached link, before litestar; False when litestar must answer."""
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    links: LinkCache | None = getattr(state, "links", None)
    slug = _slug(scope)
    link = links.get(slug, time.monotonic()) if links is not None and slug else None
    if link is None or link is MISSING:  # not cached, or a cached "not found": litestar answers (and counts
        return False  # the miss per IP)
    await _redirect(state, link, scope, send, True)
    return True


async def follow_link(scope: Scope, receive: Receive, send: Send) -> None:
    """``GET /r/{slug}``: 302 to the creator's destination with UTM parameters and a click id; the
    click goes to the in-memory buffer. ``HEAD`` answers the same but is not a click.

    A raw ASGI handler: it needs no request parsing or validation. litestar's request-id middleware
    adds ``X-Request-ID`` here; ``fast_follow`` adds its own.
    """
    method = scope.get("method", "GET")
    if method not in ("GET", "HEAD"):
        await _send(send, 405, [(b"allow", b"GET, HEAD"), (b"content-length", b"0")], b"")
        return
    state = scope["litestar_app"].state
    slug = _slug(scope)
    link = await lookup(state, slug) if slug else None
    if link is None:
        page = NOT_FOUND_PAGE.encode()
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page)).encode())]
        await _send(send, 404, headers, b"" if method == "HEAD" else page)
        return
    await _redirect(state, link, scope, send, False)


def redirect_route() -> Any:
    """A fresh route handler per app: litestar binds a handler to the app that registers it."""
    return asgi("/r", is_mount=True, copy_scope=True)(follow_link)
