"""Bluesky: ``app.bsky.feed.searchPosts`` (backfill, then polling with ``since``) and author lookups.

Authors labelled ``!no-unauthenticated`` asked not to be shown to logged-out viewers: their posts
are marked opted out and never stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from discovery.fetcher import Fetcher
from discovery.text import as_int, parse_time
from listening.models import Batch, Seen
from listening.sources.base import later

OPT_OUT_LABEL = "!no-unauthenticated"
PAGE = 100
PROFILES_PER_CALL = 25
TAG_FACET = "app.bsky.richtext.facet#tag"


def _labelled(view: dict[str, Any]) -> bool:
    return any(isinstance(label, dict) and label.get("val") == OPT_OUT_LABEL for label in view.get("labels") or [])


def post_url(uri: str, handle: str) -> str:
    parts = uri.removeprefix("at://").split("/")
    return f"https://bsky.app/profile/{handle}/post/{parts[-1]}" if len(parts) == 3 else ""


def record_tags(record: dict[str, Any]) -> tuple[str, ...]:
    tags = [str(t).lower() for t in record.get("tags") or [] if isinstance(t, str)]
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or [] if isinstance(facet, dict) else []:
            if (
                isinstance(feature, dict)
                and feature.get("$type") == "app.bsky.richtext.facet#tag"
                and feature.get("tag")
            ):
                tags.append(str(feature["tag"]).lower())
    return tuple(dict.fromkeys(tags))


def record_language(record: dict[str, Any]) -> str | None:
    langs = record.get("langs")
    return str(langs[0]) if isinstance(langs, list) and langs and isinstance(langs[0], str) else None


def parse_post(view: dict[str, Any]) -> Seen | None:
    record, author = view.get("record"), view.get("author")
    if not isinstance(record, dict) or not isinstance(author, dict) or "uri" not in view:
        return None
    handle = str(author.get("handle") or author.get("did"))
    return Seen(
        platform="bluesky",
        uri=str(view["uri"]),
        created_at=parse_time(record.get("createdAt")) or parse_time(view.get("indexedAt")) or datetime.now(UTC),
        author_id=str(author.get("did")),
        author_handle=handle,
        text=str(record.get("text") or ""),
        url=post_url(str(view["uri"]), handle),
        author_followers=as_int(author.get("followersCount")) or 0,
        language_tag=record_language(record),
        hashtags=record_tags(record),
        likes=as_int(view.get("likeCount")) or 0,
        reposts=(as_int(view.get("repostCount")) or 0) + (as_int(view.get("quoteCount")) or 0),
        replies=as_int(view.get("replyCount")) or 0,
        opted_out=_labelled(author) or _labelled(view),
        author_known="followersCount" in author,
    )


class Profiles:
    """``app.bsky.actor.getProfiles`` on an AppView: handle, followers and opt-out label of stream authors."""

    def __init__(self, fetcher: Fetcher, appview: str) -> None:
        self.fetcher = fetcher
        self.appview = appview.rstrip("/")
        self.cache: dict[str, dict[str, Any]] = {}

    async def fill(self, seen: list[Seen]) -> list[Seen]:
        wanted = list(dict.fromkeys(s.author_id for s in seen if not s.author_known and s.author_id not in self.cache))
        for i in range(0, len(wanted), PROFILES_PER_CALL):
            chunk = wanted[i : i + PROFILES_PER_CALL]
            body, _ = await self.fetcher.get(self.appview + "/xrpc/app.bsky.actor.getProfiles", {"actors": chunk})
            for profile in body.get("profiles") or [] if isinstance(body, dict) else []:
                if isinstance(profile, dict) and profile.get("did"):
                    self.cache[str(profile["did"])] = profile
            if len(self.cache) > 50_000:
                self.cache.clear()
        out = []
        for s in seen:
            profile = self.cache.get(s.author_id)
            if s.author_known or profile is None:
                out.append(s)
                continue
            handle = str(profile.get("handle") or s.author_id)
            out.append(
                Seen(
                    **{
                        **{f: getattr(s, f) for f in s.__struct_fields__},
                        "author_handle": handle,
                        "author_followers": as_int(profile.get("followersCount")) or 0,
                        "url": post_url(s.uri, handle) if not s.boost_of else "",
                        "opted_out": s.opted_out or _labelled(profile),
                        "author_known": True,
                    }
                )
            )
        return out


class BlueskySearchSource:
    def __init__(
        self, fetcher: Fetcher, appview: str, query: str, backfill_limit: int = 300, poll_interval: float = 30.0
    ) -> None:
        self.fetcher = fetcher
        self.appview = appview.rstrip("/")
        self.query = query
        self.backfill_limit = backfill_limit
        self.poll_interval = poll_interval
        self.profiles = Profiles(fetcher, appview)

    async def _search(self, since: str | None, limit: int) -> list[Seen]:
        found: list[Seen] = []
        cursor: str | None = None
        while len(found) < limit:
            params = {"q": self.query, "sort": "latest", "limit": str(PAGE)}
            if since:
                params["since"] = since
            if cursor:
                params["cursor"] = cursor
            body, _ = await self.fetcher.get(self.appview + "/xrpc/app.bsky.feed.searchPosts", params)
            posts = [p for v in body.get("posts") or [] if isinstance(v, dict) and (p := parse_post(v))]
            found.extend(posts)
            cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if not posts or not cursor:
                break
        found.sort(key=lambda s: s.created_at)
        return found

    @staticmethod
    def _cursor(seen: list[Seen], cursor: str | None) -> str | None:
        for s in seen:
            cursor = later(cursor, s.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        return cursor

    async def run(self, cursor: str | None) -> AsyncIterator[Batch]:
        if cursor is None:
            seen = await self._search(None, self.backfill_limit)
            cursor = self._cursor(seen, None) or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            yield Batch(seen, cursor, backfill=True)
        while True:
            seen = await self._search(cursor, 10_000)  # `since` is inclusive: the newest one comes again
            if seen:
                cursor = self._cursor(seen, cursor)
                yield Batch(seen, cursor)
            await asyncio.sleep(self.poll_interval)

    async def resolve(self, seen: list[Seen]) -> list[Seen]:
        return await self.profiles.fill(seen)
