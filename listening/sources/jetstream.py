"""Bluesky's Jetstream: the firehose as JSON over a WebSocket, filtered by collection, resumable by cursor.

We ask for posts and reposts (``wantedCollections``); the cursor is the ``time_us`` of the
last event we stored, and a reconnect asks Jetstream to replay from it, so a monitor that was
down misses nothing (the boundary event comes again and is stored once). Jetstream names
authors by DID only: the handles, follower counts and opt-out labels of matching posts come
from the AppView (``app.bsky.actor.getProfiles``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import websockets
from websockets.asyncio.client import connect

from discovery.fetcher import Fetcher
from discovery.text import parse_time
from listening.models import Batch, Seen
from listening.sources.bluesky import Profiles, record_language, record_tags

log = logging.getLogger("sorot.listening")
POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
BATCH = 200
LINGER = 0.2


def parse_event(event: dict[str, Any]) -> Seen | None:
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict) or commit.get("operation") != "create":
        return None
    record, did = commit.get("record"), str(event.get("did") or "")
    collection, rkey = commit.get("collection"), commit.get("rkey")
    if not isinstance(record, dict) or not did or not rkey:
        return None
    uri = f"at://{did}/{collection}/{rkey}"
    at = parse_time(record.get("createdAt")) or datetime.fromtimestamp(int(event.get("time_us") or 0) / 1e6, UTC)
    if collection == POST:
        return Seen(
            "bluesky",
            uri,
            at,
            did,
            did,
            text=str(record.get("text") or ""),
            language_tag=record_language(record),
            hashtags=record_tags(record),
            author_known=False,
        )
    subject = record.get("subject")
    if collection == REPOST and isinstance(subject, dict) and subject.get("uri"):
        return Seen("bluesky", uri, at, did, did, boost_of=str(subject["uri"]), author_known=False)
    return None


class JetstreamSource:
    def __init__(self, fetcher: Fetcher, appview: str, stream_url: str) -> None:
        self.profiles = Profiles(fetcher, appview)
        url = stream_url.rstrip("/")
        url = "ws" + url[4:] if url.startswith("http") else url
        self.url = url if url.endswith("/subscribe") else url + "/subscribe"

    def _address(self, cursor: str | None) -> str:
        query = [("wantedCollections", POST), ("wantedCollections", REPOST)]
        if cursor:
            query.append(("cursor", cursor))
        return f"{self.url}?{urlencode(query)}"

    async def run(self, cursor: str | None) -> AsyncIterator[Batch]:
        if cursor is None:
            cursor = str(time.time_ns() // 1000)  # a new monitor listens from now; searchPosts backfills
            yield Batch([], cursor, backfill=True)
        failures = 0
        while True:
            try:
                async with connect(self._address(cursor), max_size=2**22, open_timeout=15) as ws:
                    async for batch in self._batches(ws, cursor):
                        cursor = batch.cursor or cursor
                        failures = 0
                        yield batch
            except (OSError, websockets.WebSocketException, TimeoutError) as e:
                log.warning("jetstream dropped", extra={"url": self.url, "error": str(e)})
            failures += 1
            await asyncio.sleep(min(30.0, 0.2 * 2 ** min(failures, 8)))

    async def _batches(self, ws: Any, cursor: str) -> AsyncIterator[Batch]:
        while True:
            seen: list[Seen] = []
            message = await ws.recv()
            deadline = time.monotonic() + LINGER
            while True:
                cursor = self._take(message, seen) or cursor
                if len(seen) >= BATCH:
                    break
                try:  # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                        message = await ws.recv()
                except TimeoutError:
                    break
            yield Batch(seen, cursor)

    @staticmethod
    def _take(message: str | bytes, seen: list[Seen]) -> str | None:
        try:
            event = json.loads(message)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        if not isinstance(event, dict):
            return None
        parsed = parse_event(event)
        if parsed is not None:
            seen.append(parsed)
        time_us = event.get("time_us")
        return str(time_us) if isinstance(time_us, int) else None

    async def resolve(self, seen: list[Seen]) -> list[Seen]:
        return await self.profiles.fill(seen)
