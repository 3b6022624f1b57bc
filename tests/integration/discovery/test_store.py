"""Bulk writes of crawled data against the real schema."""

from __future__ import annotations

import asyncpg
import pytest

from discovery import accounts
from discovery.models import Post, Profile
from discovery.platforms import bluesky, mastodon
from discovery.store import PUBLIC, Batch, write_accounts, write_batch
from tests.fixtures.samples import SAMPLES, jsonc_blocks, snapshots

pytestmark = pytest.mark.anyio


async def store(conn: asyncpg.Connection, batch: Batch) -> None:
    stored = await write_accounts(conn, "mastodon", "x.test", batch, PUBLIC)
    async with conn.transaction():
        await write_batch(conn, batch, stored)


class TestOptOut:
    async def test_an_account_that_opts_out_later_keeps_only_its_handle(self, conn: asyncpg.Connection) -> None:
        creator = Profile("1", "creator", bio="coffee", followers_count=1)
        fan = Profile("2", "fan", bio="I like coffee", followers_count=3, following_count=1)
        batch = Batch()
        batch.follow(fan, creator)
        post = Post("p1", creator, text="#coffee", hashtags=("coffee",), like_count=1)
        batch.post(post)
        batch.interact(fan, post, "like", None)
        await store(conn, batch)
        assert await conn.fetchval("SELECT count(*) FROM follows") == 1
        assert await conn.fetchval("SELECT count(*) FROM interactions") == 1

        later = Batch()
        later.see(Profile("2", "fan", bio="no more #nobot", followers_count=3))
        later.see(creator)
        await store(conn, later)
        row = await conn.fetchrow(
            "SELECT handle, opted_out, bio, followers_count FROM accounts WHERE external_id = '2'"
        )
        assert dict(row) == {"handle": "fan", "opted_out": True, "bio": None, "followers_count": None}
        assert await conn.fetchval("SELECT count(*) FROM follows") == 0
        assert await conn.fetchval("SELECT count(*) FROM interactions") == 0
        assert await conn.fetchval("SELECT count(*) FROM posts") == 1  # the creator's post stays

    async def test_rows_of_an_erased_account_are_not_stored_again(self, conn: asyncpg.Connection) -> None:
        batch = Batch()
        batch.follow(Profile("2", "fan", bio="hi"), Profile("1", "creator", bio="coffee"))
        await store(conn, batch)
        await accounts.erase(conn, await conn.fetchval("SELECT id FROM accounts WHERE external_id = '2'"))
        assert await conn.fetchval("SELECT count(*) FROM follows") == 0
        await store(conn, batch)  # the platform still shows the old follow
        assert await conn.fetchval("SELECT count(*) FROM follows") == 0
        assert await conn.fetchval("SELECT bio FROM accounts WHERE external_id = '2'") is None


def _search_hit() -> dict[str, object]:
    """A real Bluesky search result: a short profile view without the bio."""
    hits = dict(snapshots(SAMPLES / "bluesky" / "actor-search.test.ts.snap"))
    return dict(hits["pds actor search views > search gives relevant results 1"][0])


def _thread_with_reply_by(author: dict[str, object]) -> dict[str, object]:
    """getPostThread as the lexicon shapes it: replies' authors are profileViewBasic."""
    post = {"uri": "at://did:plc:op/app.bsky.feed.post/1", "cid": "c", "author": {"did": "did:plc:op", "handle": "op"}}
    reply = {
        "uri": "at://x/app.bsky.feed.post/2",
        "cid": "c2",
        "author": author,
        "record": {"text": "hi", "createdAt": "2026-11-01T00:00:00Z", "reply": {"parent": {"uri": post["uri"]}}},
    }
    return {"thread": {"post": post, "replies": [{"post": reply, "replies": []}]}}


async def _opted_out(conn: asyncpg.Connection, external_id: str, platform: str = "bluesky") -> bool:
    row = await conn.fetchrow(
        "SELECT opted_out, bio FROM accounts WHERE platform = $1 AND external_id = $2", platform, external_id
    )
    assert row is not None
    assert not row["opted_out"] or row["bio"] is None
    return bool(row["opted_out"])


async def store_on(conn: asyncpg.Connection, platform: str, batch: Batch) -> None:
    stored = await write_accounts(conn, platform, "x.test", batch, PUBLIC)  # type: ignore[arg-type]
    async with conn.transaction():
        await write_batch(conn, batch, stored)


class TestPartialViewsNeverClearAnOptOut:
    async def test_bluesky_search_and_thread_views(self, conn: asyncpg.Connection) -> None:
        hit = _search_hit()
        full = bluesky.parse_profile({**hit, "description": "photos #nobot", "followersCount": 3})
        assert full.opted_out and not full.partial
        await store_on(conn, "bluesky", _batch_seeing(full))
        assert await _opted_out(conn, full.external_id)

        partial = bluesky.parse_profile(hit)
        assert partial.partial and not partial.opted_out  # the view itself shows no opt-out
        creator = Profile("did:plc:creator", "creator.test", bio="coffee", followers_count=1)
        batch = Batch()
        batch.follow(partial, creator)
        reply = bluesky.parse_thread_replies(_thread_with_reply_by(hit))[0]
        assert reply.author.partial
        post = Post("at://did:plc:creator/app.bsky.feed.post/1", creator, text="hi", reply_count=1)
        batch.post(post)
        batch.interact(reply.author, post, "reply", reply.created_at)
        await store_on(conn, "bluesky", batch)
        assert await _opted_out(conn, full.external_id)
        assert await conn.fetchval("SELECT count(*) FROM follows") == 0
        assert await conn.fetchval("SELECT count(*) FROM interactions") == 0

        # Only a full profile that opted back in clears it.
        back = bluesky.parse_profile({**hit, "description": "photos", "followersCount": 3})
        await store_on(conn, "bluesky", _batch_seeing(back))
        assert not await _opted_out(conn, full.external_id)

    async def test_a_label_seen_on_a_short_view_opts_out(self, conn: asyncpg.Connection) -> None:
        hit = _search_hit()
        await store_on(conn, "bluesky", _batch_seeing(bluesky.parse_profile({**hit, "description": "hi"})))
        labelled = bluesky.parse_profile({**hit, "labels": [{"val": "!no-unauthenticated"}]})
        await store_on(conn, "bluesky", _batch_seeing(labelled))
        assert await _opted_out(conn, labelled.external_id)

    async def test_mastodon_partial_accounts(self, conn: asyncpg.Connection) -> None:
        account = jsonc_blocks(SAMPLES / "mastodon" / "accounts_get.jsonc")[0]
        full = mastodon.parse_account({**account, "discoverable": False})
        await store_on(conn, "mastodon", _batch_seeing(full))
        assert await _opted_out(conn, full.external_id, "mastodon")
        # Mastodon's PartialAccountWithAvatar (grouped notifications) carries these fields only.
        keys = ("id", "acct", "url", "avatar", "avatar_static", "locked", "bot")
        partial = mastodon.parse_account({k: account[k] for k in keys if k in account})
        assert partial.partial
        await store_on(conn, "mastodon", _batch_seeing(partial))
        assert await _opted_out(conn, full.external_id, "mastodon")
        await store_on(conn, "mastodon", _batch_seeing(mastodon.parse_account({**account, "discoverable": True})))
        assert not await _opted_out(conn, full.external_id, "mastodon")


def _batch_seeing(profile: Profile) -> Batch:
    batch = Batch()
    batch.see(profile)
    return batch
