"""The simulated stream (``streams.plant``) served as real clients see it, on 127.0.0.1.

Mastodon: ``/api/v1/timelines/public`` and ``/api/v1/timelines/tag/:tag`` (``max_id``/``since_id``/
``min_id`` paging, ``Link`` header), ``/api/v2/search`` (statuses of indexable accounts only, as
Mastodon does), and the streaming API as server-sent events (``/api/v1/streaming/public``,
``/api/v1/streaming/hashtag?tag=``). Boosts are never in timelines or streams (as on Mastodon);
they show in the original's ``reblogs_count``. Bluesky: ``app.bsky.feed.searchPosts``,
``app.bsky.actor.getProfiles`` and a Jetstream ``/subscribe`` WebSocket (``wantedCollections``,
``cursor`` in microseconds of when the relay saw each event, replay then live). Events become
visible as the test releases them (``POST /_sim/stream/release?count=N`` or ``?all=1``), so a
test decides what "now" is.
"""

from __future__ import annotations

import asyncio
import bisect
import html
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import uvicorn

from discovery.simulator.render import iso
from discovery.simulator.serve import free_port
from discovery.simulator.streams import Author, Event, Stream

HEARTBEAT = 5.0


def _fold(text: str) -> str:
    return text.casefold()


class StreamApp:
    def __init__(self, stream: Stream, released: int = 0) -> None:
        self.stream = stream
        self.released = 0
        self.time_us: list[int] = []  # when each released event reached the relay, as Jetstream's cursor counts
        self._release(released)
        self._tick: asyncio.Event | None = None  # replaced (and set) on every release
        self.connections = 0

    # ---- what is visible ----
    def visible(self) -> list[Event]:
        return self.stream.events[: self.released]

    def boosts_count(self, seq: int) -> int:
        return sum(1 for e in self.visible() if e.boost_of == seq)

    def _waiter(self) -> asyncio.Event:
        if self._tick is None:
            self._tick = asyncio.Event()
        return self._tick

    def _release(self, count: int) -> None:
        now = time.time_ns() // 1000
        for _ in range(min(len(self.stream.events) - self.released, max(0, count))):
            now = max(now, self.time_us[-1] + 1) if self.time_us else now
            self.time_us.append(now)
            self.released += 1

    async def release(self, count: int) -> int:
        self._release(count)
        tick, self._tick = self._waiter(), asyncio.Event()
        tick.set()
        return self.released

    # ---- rendering ----
    def m_account(self, a: Author, base: str) -> dict[str, Any]:
        return {
            "id": str(500_000 + a.index),
            "username": a.handle,
            "acct": a.handle,
            "display_name": f"User {a.index}",
            "note": "<p>coffee lover #nobot</p>" if a.opt_out == "nobot" else "<p>coffee lover</p>",
            "url": f"{base}/@{a.handle}",
            "avatar": f"{base}/system/avatars/{a.index}.png",
            "discoverable": a.opt_out != "undiscoverable",
            "indexable": a.opt_out != "unindexable",
            "bot": False,
            "locked": False,
            "followers_count": a.followers,
            "following_count": 100,
            "statuses_count": 10,
            "created_at": "2024-01-01T00:00:00.000Z",
        }

    def m_status(self, e: Event, base: str) -> dict[str, Any]:
        author = self.m_account(e.author, base)
        original = self.stream.by_seq(e.boost_of) if e.boost_of is not None else None
        return {
            "id": e.status_id,
            "created_at": iso(e.at),
            "in_reply_to_id": None,
            "sensitive": False,
            "visibility": "public",
            "language": None if original else e.language,
            "uri": f"{base}/users/{e.author.handle}/statuses/{e.status_id}",
            "url": f"{base}/@{e.author.handle}/{e.status_id}",
            "replies_count": 0,
            "reblogs_count": 0 if original else self.boosts_count(e.seq),
            "favourites_count": 0,
            "content": "" if original else f"<p>{html.escape(e.text)}</p>",
            "reblog": self.m_status(original, base) if original else None,
            "account": author,
            "mentions": [],
            "tags": [{"name": t, "url": f"{base}/tags/{t}"} for t in e.hashtags],
        }

    def b_profile(self, a: Author, detailed: bool = False) -> dict[str, Any]:
        labels = (
            [
                {
                    "src": a.did,
                    "uri": f"at://{a.did}/app.bsky.actor.profile/self",
                    "val": "!no-unauthenticated",
                    "cts": "2024-01-01T00:00:00.000Z",
                }
            ]
            if a.opt_out == "label"
            else []
        )
        view: dict[str, Any] = {"did": a.did, "handle": a.handle, "displayName": f"User {a.index}", "labels": labels}
        if detailed:
            view.update(followersCount=a.followers, followsCount=100, postsCount=10, description="coffee lover")
        return view

    def b_record(self, e: Event) -> dict[str, Any]:
        if e.boost_of is not None:
            original = self.stream.by_seq(e.boost_of)
            return {
                "$type": "app.bsky.feed.repost",
                "subject": {"uri": original.uri, "cid": f"bafy{original.seq}"},
                "createdAt": iso(e.at),
            }
        facets = []
        for t in e.hashtags:
            start = e.text.lower().encode().find(f"#{t}".encode())
            facets.append(
                {
                    "index": {"byteStart": start, "byteEnd": start + len(t.encode()) + 1},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": t}],
                }
            )
        return {
            "$type": "app.bsky.feed.post",
            "text": e.text,
            "createdAt": iso(e.at),
            "langs": [e.language],
            "facets": facets,
        }

    def b_post(self, e: Event) -> dict[str, Any]:
        return {
            "uri": e.uri,
            "cid": f"bafy{e.seq}",
            "author": self.b_profile(e.author),
            "record": self.b_record(e),
            "replyCount": 0,
            "repostCount": self.boosts_count(e.seq),
            "likeCount": 0,
            "quoteCount": 0,
            "indexedAt": iso(e.at),
            "labels": [],
        }

    def jetstream_event(self, e: Event) -> dict[str, Any]:
        collection = "app.bsky.feed.repost" if e.boost_of is not None else "app.bsky.feed.post"
        return {
            "did": e.author.did,
            "time_us": self.time_us[e.seq - 1],
            "kind": "commit",
            "commit": {
                "rev": f"rev{e.seq}",
                "operation": "create",
                "collection": collection,
                "rkey": f"s{e.seq}",
                "record": self.b_record(e),
                "cid": f"bafy{e.seq}",
            },
        }

    # ---- Mastodon ----
    def _m_items(self, tag: str | None) -> list[Event]:
        return [
            e
            for e in self.visible()
            if e.platform == "mastodon" and e.boost_of is None and (tag is None or tag in e.hashtags)
        ]

    @staticmethod
    def _window(items: list[Event], q: dict[str, list[str]]) -> list[Event]:
        """Mastodon paging: newest first; ``min_id`` gives the page just above it, ``since_id`` the newest above it."""
        limit = max(1, min(int((q.get("limit") or ["20"])[0] or 20), 40))

        def num(key: str) -> int | None:
            raw = (q.get(key) or [""])[0]
            return int(raw) if raw.isdigit() else None

        max_id, since_id, min_id = num("max_id"), num("since_id"), num("min_id")
        chosen = [
            e
            for e in items
            if (max_id is None or int(e.status_id) < max_id)
            and (since_id is None or int(e.status_id) > since_id)
            and (min_id is None or int(e.status_id) > min_id)
        ]
        page = chosen[:limit] if min_id is not None else chosen[-limit:]
        return list(reversed(page))

    def _links(self, base: str, path: str, q: dict[str, list[str]], page: list[Event]) -> dict[str, str]:
        if not page:
            return {}
        keep = {k: v[0] for k, v in q.items() if k not in ("max_id", "min_id", "since_id")}
        nxt = urlencode({**keep, "max_id": page[-1].status_id})
        prev = urlencode({**keep, "min_id": page[0].status_id})
        return {"link": f'<{base}{path}?{nxt}>; rel="next", <{base}{path}?{prev}>; rel="prev"'}

    def timeline(
        self, path: str, tag: str | None, q: dict[str, list[str]], base: str
    ) -> tuple[int, Any, dict[str, str]]:
        page = self._window(self._m_items(tag), q)
        return 200, [self.m_status(e, base) for e in page], self._links(base, path, q, page)

    def search(self, q: dict[str, list[str]], base: str) -> tuple[int, Any, dict[str, str]]:
        query = _fold((q.get("q") or [""])[0]).strip()
        if (q.get("type") or ["statuses"])[0] != "statuses" or not query:
            return 200, {"accounts": [], "statuses": [], "hashtags": []}, {}
        words = query.lstrip("#").split()
        items = [
            e
            for e in self._m_items(None)
            if e.author.opt_out != "unindexable" and all(w in _fold(e.text) for w in words)
        ]
        page = self._window(items, q)
        return 200, {"accounts": [], "statuses": [self.m_status(e, base) for e in page], "hashtags": []}, {}

    # ---- Bluesky ----
    def search_posts(self, q: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        query = _fold((q.get("q") or [""])[0]).strip()
        if not query:
            return 400, {"error": "InvalidRequest", "message": 'Error: Params must have the property "q"'}, {}
        words = query.lstrip("#").split()
        since, until = (q.get("since") or [""])[0], (q.get("until") or [""])[0]
        items = [
            e
            for e in self.visible()
            if e.platform == "bluesky"
            and e.boost_of is None
            and all(w in _fold(e.text) for w in words)
            and (not since or iso(e.at) >= since)
            and (not until or iso(e.at) < until)
        ]
        items.reverse()  # sort=latest
        limit = max(1, min(int((q.get("limit") or ["25"])[0] or 25), 100))
        raw = (q.get("cursor") or ["0"])[0]
        offset = int(raw) if raw.isdigit() else 0
        chunk = items[offset : offset + limit]
        body: dict[str, Any] = {"posts": [self.b_post(e) for e in chunk], "hitsTotal": len(items)}
        if offset + limit < len(items):
            body["cursor"] = str(offset + limit)
        return 200, body, {}

    def get_profiles(self, q: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        actors = q.get("actors") or []
        if len(actors) > 25:
            return 400, {"error": "InvalidRequest", "message": "actors must not have more than 25 elements"}, {}
        by_key = {a.did: a for a in self.stream.authors} | {a.handle: a for a in self.stream.authors}
        found = [self.b_profile(by_key[x], detailed=True) for x in actors if x in by_key]
        return 200, {"profiles": found}, {}

    # ---- ASGI ----
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        q = parse_qs(scope["query_string"].decode())
        path = scope["path"]
        if scope["type"] == "websocket":
            await self.jetstream(q, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        base = f"http://{headers.get('host', '127.0.0.1')}"
        if path in ("/api/v1/streaming/public", "/api/v1/streaming/hashtag"):
            tag = (q.get("tag") or [""])[0].lower() if path.endswith("hashtag") else None
            await self.sse(tag, base, receive, send)
            return
        status, body, extra = await self.route(scope["method"], path, q, base)
        payload = json.dumps(body).encode()
        out = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(payload)).encode())]
        out += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": payload})

    async def route(
        self, method: str, path: str, q: dict[str, list[str]], base: str
    ) -> tuple[int, Any, dict[str, str]]:
        if path == "/_sim/stream/release" and method == "POST":
            count = len(self.stream.events) if q.get("all") else int((q.get("count") or ["0"])[0])
            return 200, {"released": await self.release(count), "total": len(self.stream.events)}, {}
        if path == "/_sim/stream":
            return (
                200,
                {"released": self.released, "total": len(self.stream.events), "connections": self.connections},
                {},
            )
        if path == "/api/v1/timelines/public":
            return self.timeline(path, None, q, base)
        if path.startswith("/api/v1/timelines/tag/"):
            return self.timeline(path, path.rsplit("/", 1)[1].lower(), q, base)
        if path == "/api/v2/search":
            return self.search(q, base)
        if path == "/xrpc/app.bsky.feed.searchPosts":
            return self.search_posts(q)
        if path == "/xrpc/app.bsky.actor.getProfiles":
            return self.get_profiles(q)
        return 404, {"error": "Not found"}, {}

    async def _follow(self, start: int, receive: Any, emit: Any, pick: Any) -> None:
        """Emit every visible event from ``start`` on as it is released, until the client goes away."""
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] not in ("http.disconnect", "websocket.disconnect"):
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        self.connections += 1
        position = start
        try:
            while not gone.is_set():
                while position < self.released and not gone.is_set():
                    event = self.stream.events[position]
                    position += 1
                    if pick(event):
                        await emit(event)
                tick = self._waiter()
                if position >= self.released:
                    waits = [asyncio.ensure_future(tick.wait()), asyncio.ensure_future(gone.wait())]
                    await asyncio.wait(waits, timeout=HEARTBEAT, return_when=asyncio.FIRST_COMPLETED)
                    for w in waits:
                        w.cancel()
                if position >= self.released and not gone.is_set():
                    await emit(None)
        except OSError:
            pass
        finally:
            self.connections -= 1
            watcher.cancel()

    async def sse(self, tag: str | None, base: str, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")],
            }
        )
        await send({"type": "http.response.body", "body": b":)\n\n", "more_body": True})

        async def emit(e: Event | None) -> None:
            chunk = ":thump\n\n" if e is None else f"event: update\ndata: {json.dumps(self.m_status(e, base))}\n\n"
            await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})

        def pick(e: Event) -> bool:
            return e.platform == "mastodon" and e.boost_of is None and (tag is None or tag in e.hashtags)

        await self._follow(self.released, receive, emit, pick)  # a stream only carries what happens from now on

    async def jetstream(self, q: dict[str, list[str]], receive: Any, send: Any) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        wanted = set(q.get("wantedCollections") or [])
        raw = (q.get("cursor") or [""])[0]
        cursor = int(raw) if raw.isdigit() else None
        start = self.released
        if cursor is not None:
            start = bisect.bisect_left(self.time_us, cursor)

        async def emit(e: Event | None) -> None:
            if e is not None:
                await send({"type": "websocket.send", "text": json.dumps(self.jetstream_event(e))})

        def pick(e: Event) -> bool:
            collection = "app.bsky.feed.repost" if e.boost_of is not None else "app.bsky.feed.post"
            return e.platform == "bluesky" and (not wanted or collection in wanted)

        await self._follow(start, receive, emit, pick)


@dataclass
class RunningStream:
    app: StreamApp
    url: str

    @property
    def stream(self) -> Stream:
        return self.app.stream

    def release(self, count: int | None = None) -> int:
        params = {"all": "1"} if count is None else {"count": str(count)}
        answer = httpx.post(f"{self.url}/_sim/stream/release", params=params, timeout=10)
        return int(answer.json()["released"])


@contextmanager
def stream_in_thread(stream: Stream, released: int = 0, host: str = "127.0.0.1") -> Iterator[RunningStream]:
    app = StreamApp(stream, released)
    port = free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="websockets-sansio",
        ws_ping_interval=None,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="stream-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the stream simulator did not start")
        time.sleep(0.01)
    try:
        yield RunningStream(app, f"http://{host}:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
