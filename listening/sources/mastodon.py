"""Mastodon: public and hashtag timelines (polled with ``min_id``), status search, and the streaming API (SSE).

A live source first opens the stream, then catches up from its cursor through the timeline,
then reads the stream: whatever was posted while it was away comes from the catch-up, and what
arrives while catching up comes twice and is stored once. Boosts never appear in timelines or
streams on Mastodon; they show as the original's ``reblogs_count``. A status whose author is
not ``discoverable``, not ``indexable``, ``noindex`` or has ``#nobot``/``#noindex`` in the bio is
marked opted out and never stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx

from discovery.fetcher import USER_AGENT, Fetcher
from discovery.platforms.mastodon import parse_account
from discovery.text import as_int, hashtags_in, parse_time, strip_html
from listening.models import Batch, Seen
from listening.sources.base import later

log = logging.getLogger("sorot.listening")
Kind = Literal["public", "hashtag", "search"]
PAGE = 40


def parse_status(data: dict[str, Any]) -> list[Seen]:
    """A status as Seen; a boost gives the original first, then the boost pointing at it."""
    if isinstance(data.get("reblog"), dict):
        original = parse_status(data["reblog"])
        boost = _seen(data, text="", boost_of=original[0].uri) if original else []
        return original + boost
    return _seen(data)


def _seen(data: dict[str, Any], text: str | None = None, boost_of: str | None = None) -> list[Seen]:
    account = data.get("account")
    if not isinstance(account, dict) or "id" not in data:
        return []
    profile = parse_account(account)
    body = strip_html(data.get("content")) if text is None else text
    tags = tuple(str(t["name"]).lower() for t in data.get("tags") or [] if isinstance(t, dict) and t.get("name"))
    return [
        Seen(
            platform="mastodon",
            uri=str(data["id"]),
            created_at=parse_time(data.get("created_at")) or datetime.now(UTC),
            author_id=profile.external_id,
            author_handle=profile.handle,
            text=body,
            url=str(data.get("url") or data.get("uri") or ""),
            author_followers=profile.followers_count or 0,
            language_tag=data.get("language") if isinstance(data.get("language"), str) else None,
            hashtags=tags or hashtags_in(body),
            likes=as_int(data.get("favourites_count")) or 0,
            reposts=as_int(data.get("reblogs_count")) or 0,
            replies=as_int(data.get("replies_count")) or 0,
            boost_of=boost_of,
            opted_out=profile.opted_out or account.get("indexable") is False,
        )
    ]


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs of a server-sent event stream; comments (heartbeats) are skipped."""
    event, data = "message", list[str]()
    async for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", list[str]()
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)


class MastodonSource:
    def __init__(
        self,
        fetcher: Fetcher,
        base_url: str,
        kind: Kind,
        query: str = "",
        stream_url: str | None = None,
        backfill_limit: int = 200,
        poll_interval: float = 30.0,
    ) -> None:
        self.fetcher = fetcher
        self.base = base_url.rstrip("/")
        self.stream_base = (stream_url or base_url).rstrip("/")
        self.kind = kind
        self.query = query.lstrip("#") if kind == "hashtag" else query
        self.backfill_limit = backfill_limit
        self.poll_interval = poll_interval

    def _endpoint(self) -> tuple[str, dict[str, str]]:
        if self.kind == "public":
            return self.base + "/api/v1/timelines/public", {}
        if self.kind == "hashtag":
            return f"{self.base}/api/v1/timelines/tag/{quote(self.query, safe='')}", {}
        return self.base + "/api/v2/search", {"q": self.query, "type": "statuses", "resolve": "false"}

    async def _page(self, **paging: str) -> list[dict[str, Any]]:
        url, params = self._endpoint()
        body, _ = await self.fetcher.get(url, {**params, **paging, "limit": str(PAGE)})
        statuses = body.get("statuses") if isinstance(body, dict) else body
        return [s for s in statuses or [] if isinstance(s, dict)]

    async def backfill(self) -> Batch:
        found: list[dict[str, Any]] = []
        paging: dict[str, str] = {}
        while len(found) < self.backfill_limit:
            page = await self._page(**paging)
            if not page:
                break
            found.extend(page)
            paging = {"max_id": str(page[-1]["id"])}
        seen = [s for status in reversed(found) for s in parse_status(status)]
        cursor = None
        for status in found:
            cursor = later(cursor, str(status["id"]))
        return Batch(seen, cursor or "0", backfill=True)

    async def catch_up(self, cursor: str) -> AsyncIterator[Batch]:
        while True:
            page = await self._page(min_id=cursor)
            if not page:
                return
            page.sort(key=lambda s: (len(str(s["id"])), str(s["id"])))
            for status in page:
                cursor = later(cursor, str(status["id"])) or cursor
            yield Batch([s for status in page for s in parse_status(status)], cursor)

    async def run(self, cursor: str | None) -> AsyncIterator[Batch]:
        if cursor is None:
            batch = await self.backfill()
            yield batch
            cursor = batch.cursor or "0"
        failures = 0
        while True:
            if self.kind == "search":
                async for batch in self.catch_up(cursor):
                    cursor = batch.cursor or cursor
                    yield batch
                await asyncio.sleep(self.poll_interval)
                continue
            try:
                async for batch in self._follow(cursor):
                    cursor = batch.cursor or cursor
                    failures = 0
                    yield batch
            except (httpx.HTTPError, OSError) as e:
                log.warning("mastodon stream dropped", extra={"url": self.stream_base, "error": str(e)})
            failures += 1
            await asyncio.sleep(min(30.0, 0.2 * 2 ** min(failures, 8)))

    def _stream_request(self) -> tuple[str, dict[str, str]]:
        if self.kind == "public":
            return self.stream_base + "/api/v1/streaming/public", {}
        return self.stream_base + "/api/v1/streaming/hashtag", {"tag": self.query}

    async def _follow(self, cursor: str) -> AsyncIterator[Batch]:
        url, params = self._stream_request()
        headers = {"User-Agent": USER_AGENT, "Accept": "text/event-stream"}
        if self.fetcher.token:
            headers["Authorization"] = f"Bearer {self.fetcher.token}"
        timeout = httpx.Timeout(15.0, read=90.0)
        async with self.fetcher.client.stream("GET", url, params=params, headers=headers, timeout=timeout) as response:
            if response.status_code != 200:
                # no stream here (or not for us): poll the timeline instead
                async for batch in self.catch_up(cursor):
                    cursor = batch.cursor or cursor
                    yield batch
                await asyncio.sleep(self.poll_interval)
                return
            async for batch in self.catch_up(cursor):
                cursor = batch.cursor or cursor
                yield batch
            async for event, data in sse_events(response.aiter_lines()):
                if event != "update":
                    continue
                try:
                    status = json.loads(data)
                except json.JSONDecodeError:
                    continue
                if isinstance(status, dict) and "id" in status:
                    cursor = later(cursor, str(status["id"])) or cursor
                    yield Batch(parse_status(status), cursor)

    async def resolve(self, seen: list[Seen]) -> list[Seen]:
        return seen
