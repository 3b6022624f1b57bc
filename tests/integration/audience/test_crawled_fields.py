"""What audience segments read from a crawl: the location profile field and each post's language tag,
parsed from platform JSON and stored by the crawler's bulk writer (opted-out accounts keep neither)."""

from __future__ import annotations

import asyncpg
import pytest

from discovery.platforms import bluesky, mastodon
from discovery.store import PUBLIC, Batch, write_accounts, write_batch

pytestmark = pytest.mark.anyio


def account(i: int, **extra: object) -> dict[str, object]:
    return {
        "id": str(i),
        "acct": f"user{i}",
        "note": "<p>Suka kopi</p>",
        "avatar": "https://x.test/a.png",
        "followers_count": 3,
        "following_count": 4,
        "statuses_count": 5,
        "fields": [
            {"name": "Website", "value": "<a href='https://x.test'>x.test</a>"},
            {"name": "Lokasi", "value": "<p>Jakarta Selatan</p>"},
        ],
        **extra,
    }


def status(i: int, author: dict[str, object], language: str | None) -> dict[str, object]:
    return {"id": f"s{i}", "account": author, "content": "<p>Selamat pagi semua</p>", "language": language}


class TestParsers:
    def test_mastodon_location_field_and_language(self) -> None:
        profile = mastodon.parse_account(account(1))
        assert profile.location == "Jakarta Selatan"
        assert mastodon.parse_account(account(2, fields=[{"name": "age", "value": "120"}])).location == ""
        assert mastodon.parse_account(account(3, fields=None)).location == ""
        assert mastodon.parse_status(status(1, account(1), "id")).lang == "id"
        assert mastodon.parse_status(status(2, account(1), None)).lang is None

    def test_bluesky_langs(self) -> None:
        post = {
            "uri": "at://did:plc:a/app.bsky.feed.post/1",
            "author": {"did": "did:plc:a", "handle": "a.test"},
            "record": {"text": "Apa khabar semua", "langs": ["ms", "en"], "createdAt": "2026-11-01T00:00:00Z"},
        }
        assert bluesky.parse_post(post).lang == "ms"
        post["record"] = {"text": "hi", "langs": []}
        assert bluesky.parse_post(post).lang is None


class TestStored:
    async def test_location_and_language_are_stored_but_not_for_opted_out(self, conn: asyncpg.Connection) -> None:
        batch = Batch()
        gone = mastodon.parse_account(account(2, note="#nobot", discoverable=False))
        batch.post(mastodon.parse_status(status(1, account(1), "ms")))
        batch.see(gone)
        stored = await write_accounts(conn, "mastodon", "m.test", batch, PUBLIC)
        async with conn.transaction():
            await write_batch(conn, batch, stored)
        rows = {r["handle"]: r for r in await conn.fetch("SELECT handle, location, opted_out FROM accounts")}
        assert rows["user1"]["location"] == "Jakarta Selatan"
        assert rows["user2"]["opted_out"] and rows["user2"]["location"] is None
        assert await conn.fetchval("SELECT lang FROM posts") == "ms"
