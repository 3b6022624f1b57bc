"""The simulator served over HTTP: the Mastodon client API under ``/api/v1`` and the
Bluesky AppView XRPC under ``/xrpc``, with real paging, rate-limit headers, 429s,
an optional required token and injected faults. A plain ASGI app, kept small so the
simulator is never the bottleneck of a benchmark.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote

import msgspec

from discovery.simulator import render
from discovery.simulator.world import LIKE, REPLY, REPOST, World

Answer = tuple[int, Any, dict[str, str]]
_json = msgspec.json.Encoder()


class Raw(bytes):
    """An already-encoded JSON body."""


@dataclass
class Limits:
    rate_limit: int | None = None  # requests per window, all clients together
    window: float = 300.0
    token: str | None = None
    fault_rate: float = 0.0
    slow_seconds: float = 0.5
    fault_seed: int = 7
    # GoToSocial's limiter: a window starts with the first request after the last one ended, Reset is
    # rounded down to the second, and every page with items carries a next link (short ones too).
    gotosocial: bool = False
    latency: float = 0.0  # seconds added to every answer, like a network round trip


@dataclass
class Stats:
    requests: int = 0
    served: int = 0
    rate_limited: int = 0
    faults: int = 0
    by_window: dict[int, int] = field(default_factory=dict)  # window start -> requests
    limited_by_window: dict[int, int] = field(default_factory=dict)  # window start -> 429s
    empty_pages: int = 0  # list answers with no items
    wasted_pages: int = 0  # empty pages asked for after a short page (which already ended the listing)
    windows: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each window
    # (time, status) of every request to a rate-limited server: when it sat idle, whatever the client says
    log: list[tuple[float, int]] = field(default_factory=list)


class SimulatorApp:
    def __init__(self, world: World, limits: Limits | None = None) -> None:
        self.world = world
        self.limits = limits or Limits()
        self.stats = Stats()
        self._rng = random.Random(self.limits.fault_seed)
        self._window_start = 0.0
        self._window_end = 0.0
        self._accounts: dict[tuple[int, str], bytes] = {}  # rendered once: lists are the hot path
        self._version = world.version
        self._window_count = 0
        routes: list[tuple[str, Callable[..., Answer]]] = [
            (r"^/api/v1/accounts/lookup$", self.m_lookup),
            (r"^/api/v1/accounts/(\d+)$", self.m_account),
            (r"^/api/v1/accounts/(\d+)/(followers|following)$", self.m_follow_list),
            (r"^/api/v1/accounts/(\d+)/statuses$", self.m_statuses),
            (r"^/api/v1/statuses/(\d+)/(favourited_by|reblogged_by)$", self.m_engagers),
            (r"^/api/v1/statuses/(\d+)/context$", self.m_context),
            (r"^/api/v1/statuses/(\d+)$", self.m_status),
            (r"^/api/v1/timelines/tag/([^/]+)$", self.m_tag),
            (r"^/xrpc/(app\.bsky\.[a-zA-Z.]+)$", self.xrpc),
        ]
        self._routes = [(re.compile(pattern), handler) for pattern, handler in routes]

    # ---- ASGI ----
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        base = f"http://{headers.get('host', '127.0.0.1')}"
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        status, body, extra = await self.handle(scope["path"], query, headers, base)
        payload = bytes(body) if isinstance(body, Raw) else _json.encode(body)
        if status == -200:  # a truncated body: the declared length matches, the JSON does not
            status, payload = 200, payload[: max(1, len(payload) // 2)]
        out = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(payload)).encode())]
        out += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": payload})

    async def handle(self, path: str, query: dict[str, str], headers: dict[str, str], base: str) -> Answer:
        if path == "/_sim/stats":
            return self.sim_stats()
        arrived = time.time()
        answer = await self._answer(path, query, headers, base)
        if self.limits.rate_limit:
            self.stats.log.append((arrived, answer[0]))
        return answer

    async def _answer(self, path: str, query: dict[str, str], headers: dict[str, str], base: str) -> Answer:
        self.stats.requests += 1
        if self.limits.latency:
            await asyncio.sleep(self.limits.latency)
        if self.world.version != self._version:
            self._accounts.clear()  # the world changed: counts in rendered accounts are stale
            self._version = self.world.version
        bluesky = path.startswith("/xrpc/")
        limited, rl_headers = self._rate_limit(bluesky)
        if limited:
            self.stats.rate_limited += 1
            window = int(self._window_start)
            self.stats.limited_by_window[window] = self.stats.limited_by_window.get(window, 0) + 1
            return 429, {"error": "rate limit reached"}, rl_headers
        if self.limits.token and headers.get("authorization") != f"Bearer {self.limits.token}":
            body = (
                {"error": "AuthMissing", "message": "Authentication Required"}
                if bluesky
                else {"error": "The access token is invalid"}
            )
            return 401, body, rl_headers
        fault = self._fault()
        if fault == "5xx":
            return 503, {"error": "service unavailable"}, rl_headers
        if fault == "slow":
            await asyncio.sleep(self.limits.slow_seconds)
        for pattern, handler in self._routes:
            if m := pattern.match(path):
                status, body, extra = handler(*m.groups(), query=query, base=base)
                self.stats.served += 1
                if fault == "truncate" and status == 200:
                    status = -200
                return status, body, {**rl_headers, **extra}
        return 404, {"error": "Not found"}, rl_headers

    def _rate_limit(self, bluesky: bool) -> tuple[bool, dict[str, str]]:
        limit = self.limits.rate_limit
        if not limit:
            return False, {}
        now = time.time()
        if self.limits.gotosocial:
            return self._gotosocial_limit(limit, now)
        start = math.floor(now / self.limits.window) * self.limits.window
        if start != self._window_start:
            self._window_start, self._window_count = start, 0
            self.stats.windows.append((start, start + self.limits.window))
        self._window_count += 1
        self.stats.by_window[int(start)] = self._window_count
        remaining = max(0, limit - self._window_count)
        reset = start + self.limits.window
        if bluesky:
            headers = {
                "ratelimit-limit": str(limit),
                "ratelimit-remaining": str(remaining),
                "ratelimit-reset": str(math.ceil(reset)),
                "ratelimit-policy": f"{limit};w={self.limits.window:g}",
            }
        else:
            headers = {
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-reset": render.iso(datetime.fromtimestamp(reset, UTC)),
            }
        return self._window_count > limit, headers

    def _gotosocial_limit(self, limit: int, now: float) -> tuple[bool, dict[str, str]]:
        if now >= self._window_end:
            self._window_start, self._window_end, self._window_count = now, now + self.limits.window, 0
            self.stats.windows.append((now, self._window_end))
        self._window_count += 1
        start = int(self._window_start)
        self.stats.by_window[start] = self._window_count
        headers = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - self._window_count)),
            # GoToSocial formats the Unix second of the reset: the fraction is cut off.
            "x-ratelimit-reset": render.iso(datetime.fromtimestamp(math.floor(self._window_end), UTC)),
        }
        return self._window_count > limit, headers

    def _fault(self) -> str | None:
        if self.limits.fault_rate <= 0 or self._rng.random() >= self.limits.fault_rate:
            return None
        self.stats.faults += 1
        return self._rng.choice(("5xx", "slow", "truncate"))

    def sim_stats(self, **_: Any) -> Answer:
        s = self.stats
        return (
            200,
            {
                "requests": s.requests,
                "served": s.served,
                "rate_limited": s.rate_limited,
                "faults": s.faults,
                "by_window": s.by_window,
                "limited_by_window": s.limited_by_window,
                "empty_pages": s.empty_pages,
                "wasted_pages": s.wasted_pages,
                "windows": s.windows,
                "log": s.log,
            },
            {},
        )

    # ---- shared helpers ----
    def _index(self, external: str) -> int | None:
        i = render.account_index(external)
        return i if i is not None and i < self.world.n else None

    def _page(
        self, items: list[int] | Any, query: dict[str, str], default: int, cap: int, key: str
    ) -> tuple[list[int], int | None]:
        limit = min(max(1, int(query.get("limit", default) or default)), cap)
        raw = query.get(key) or "0"
        offset = int(raw) if raw.isdigit() else 0
        chunk = [int(x) for x in items[offset : offset + limit]]
        if not chunk:
            self.stats.empty_pages += 1
            self.stats.wasted_pages += offset > len(items)
        if self.limits.gotosocial and key == "max_id":
            return chunk, (offset + limit if chunk else None)  # a next link whenever the page has items
        nxt = offset + limit if offset + limit < len(items) else None
        return chunk, nxt

    @staticmethod
    def _link(base: str, path: str, query: dict[str, str], nxt: int | None) -> dict[str, str]:
        if nxt is None:
            return {}
        q = "&".join(f"{k}={quote(v)}" for k, v in {**query, "max_id": str(nxt)}.items())
        return {"link": f'<{base}{path}?{q}>; rel="next"'}

    # ---- Mastodon dialect ----
    def m_lookup(self, *, query: dict[str, str], base: str) -> Answer:
        acct = query.get("acct", "").lstrip("@").split("@")[0]
        m = re.fullmatch(r"user(\d+)", acct)
        if not m or int(m.group(1)) >= self.world.n:
            return 404, {"error": "Record not found"}, {}
        return 200, render.mastodon_account(self.world, int(m.group(1)), base), {}

    def m_account(self, external: str, *, query: dict[str, str], base: str) -> Answer:
        i = self._index(external)
        if i is None:
            return 404, {"error": "Record not found"}, {}
        return 200, render.mastodon_account(self.world, i, base), {}

    def _account_list(self, indices: list[int], base: str) -> Raw:
        parts = []
        for j in indices:
            key = (j, base)
            if key not in self._accounts:
                self._accounts[key] = _json.encode(render.mastodon_account(self.world, j, base))
            parts.append(self._accounts[key])
        return Raw(b"[" + b",".join(parts) + b"]")

    def m_follow_list(self, external: str, which: str, *, query: dict[str, str], base: str) -> Answer:
        i = self._index(external)
        if i is None:
            return 404, {"error": "Record not found"}, {}
        rows = (self.world.followers if which == "followers" else self.world.following).row(i)
        chunk, nxt = self._page(rows, query, 40, 80, "max_id")
        return (
            200,
            self._account_list(chunk, base),
            self._link(base, f"/api/v1/accounts/{external}/{which}", query, nxt),
        )

    def m_statuses(self, external: str, *, query: dict[str, str], base: str) -> Answer:
        i = self._index(external)
        if i is None:
            return 404, {"error": "Record not found"}, {}
        posts: list[int] | Any = self.world.posts_of.row(i)
        if tag := query.get("tagged", "").lstrip("#").lower():
            # Mastodon's ``tagged``: the account's statuses carrying the hashtag, paged like the rest.
            posts = [int(p) for p in posts if tag in self.world.post_tags[int(p)]]
        chunk, nxt = self._page(posts, query, 20, 40, "max_id")
        body = [render.mastodon_status(self.world, p, base) for p in chunk]
        return 200, body, self._link(base, f"/api/v1/accounts/{external}/statuses", query, nxt)

    def _post(self, external: str) -> int | None:
        p = int(external) - render.STATUS_ID_BASE
        return p if 0 <= p < self.world.post_author.size and p not in self.world.deleted else None

    def m_engagers(self, external: str, which: str, *, query: dict[str, str], base: str) -> Answer:
        p = self._post(external)
        if p is None:
            return 404, {"error": "Record not found"}, {}
        rows = self.world.engaged[LIKE if which == "favourited_by" else REPOST].row(p)
        chunk, nxt = self._page(rows, query, 40, 80, "max_id")
        return (
            200,
            self._account_list(chunk, base),
            self._link(base, f"/api/v1/statuses/{external}/{which}", query, nxt),
        )

    def m_status(self, external: str, *, query: dict[str, str], base: str) -> Answer:
        p = self._post(external)
        if p is None:
            return 404, {"error": "Record not found"}, {}
        return 200, render.mastodon_status(self.world, p, base), {}

    def m_context(self, external: str, *, query: dict[str, str], base: str) -> Answer:
        p = self._post(external)
        if p is None:
            return 404, {"error": "Record not found"}, {}
        replies = self.world.engaged[REPLY]
        start = int(replies.indptr[p])
        body = [render.mastodon_reply(self.world, p, start + k, base) for k in range(replies.length(p))]
        return 200, {"ancestors": [], "descendants": body}, {}

    def m_tag(self, tag: str, *, query: dict[str, str], base: str) -> Answer:
        chunk, nxt = self._page(self.world.posts_with_tag(tag), query, 20, 40, "max_id")
        body = [render.mastodon_status(self.world, p, base) for p in chunk]
        return 200, body, self._link(base, f"/api/v1/timelines/tag/{tag}", query, nxt)

    # ---- Bluesky dialect ----
    def _actor(self, actor: str) -> int | None:
        m = re.fullmatch(r"did:plc:sim(\d{8})|user(\d+)\.sim\.test", actor)
        if not m:
            return None
        i = int(m.group(1) or m.group(2))
        return i if i < self.world.n else None

    def _bsky_post(self, uri: str) -> int | None:
        m = re.fullmatch(r"at://did:plc:sim\d{8}/app\.bsky\.feed\.post/p(\d+)", uri)
        if not m or int(m.group(1)) >= self.world.post_author.size or int(m.group(1)) in self.world.deleted:
            return None
        return int(m.group(1))

    def xrpc(self, method: str, *, query: dict[str, str], base: str) -> Answer:
        w = self.world
        bad_actor: Answer = (400, {"error": "InvalidRequest", "message": "Profile not found"}, {})
        bad_post: Answer = (400, {"error": "NotFound", "message": "Post not found"}, {})

        def cursor(nxt: int | None) -> dict[str, str]:
            return {} if nxt is None else {"cursor": str(nxt)}

        if method in (
            "app.bsky.actor.getProfile",
            "app.bsky.graph.getFollowers",
            "app.bsky.graph.getFollows",
            "app.bsky.feed.getAuthorFeed",
        ):
            i = self._actor(query.get("actor", ""))
            if i is None:
                return bad_actor
            if method == "app.bsky.actor.getProfile":
                return 200, render.bsky_profile(w, i, detailed=True), {}
            if method == "app.bsky.feed.getAuthorFeed":
                chunk, nxt = self._page(w.posts_of.row(i), query, 50, 100, "cursor")
                return 200, {"feed": [{"post": render.bsky_post(w, p)} for p in chunk], **cursor(nxt)}, {}
            followers = method == "app.bsky.graph.getFollowers"
            chunk, nxt = self._page((w.followers if followers else w.following).row(i), query, 50, 100, "cursor")
            key = "followers" if followers else "follows"
            return (
                200,
                {"subject": render.bsky_profile(w, i), key: [render.bsky_profile(w, j) for j in chunk], **cursor(nxt)},
                {},
            )
        if method in ("app.bsky.feed.getLikes", "app.bsky.feed.getRepostedBy", "app.bsky.feed.getPostThread"):
            uri = query.get("uri", "")
            p = self._bsky_post(uri)
            if p is None:
                return bad_post
            if method == "app.bsky.feed.getPostThread":
                replies = w.engaged[REPLY]
                start = int(replies.indptr[p])
                kids = [
                    {
                        "$type": "app.bsky.feed.defs#threadViewPost",
                        "post": render.bsky_reply(w, p, start + k),
                        "replies": [],
                    }
                    for k in range(replies.length(p))
                ]
                return (
                    200,
                    {
                        "thread": {
                            "$type": "app.bsky.feed.defs#threadViewPost",
                            "post": render.bsky_post(w, p),
                            "replies": kids,
                        }
                    },
                    {},
                )
            likes = method == "app.bsky.feed.getLikes"
            chunk, nxt = self._page(w.engaged[LIKE if likes else REPOST].row(p), query, 50, 100, "cursor")
            if likes:
                when = render.iso(w.post_time(p))
                items: list[Any] = [
                    {"actor": render.bsky_profile(w, j), "createdAt": when, "indexedAt": when} for j in chunk
                ]
                return 200, {"uri": uri, "likes": items, **cursor(nxt)}, {}
            return 200, {"uri": uri, "repostedBy": [render.bsky_profile(w, j) for j in chunk], **cursor(nxt)}, {}
        if method == "app.bsky.feed.searchPosts":
            tag = query.get("tag") or query.get("q", "")
            chunk, nxt = self._page(w.posts_with_tag(tag.lstrip("#")), query, 25, 100, "cursor")
            return 200, {"posts": [render.bsky_post(w, p) for p in chunk], **cursor(nxt)}, {}
        return 400, {"error": "MethodNotImplemented", "message": f"{method} is not implemented"}, {}
