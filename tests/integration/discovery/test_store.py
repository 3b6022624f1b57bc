"""Bulk writes of crawled data against the real schema."""

from __future__ import annotations

import asyncpg
import pytest

from discovery import accounts
from discovery.models import Post, Profile
from discovery.store import PUBLIC, Batch, write_accounts, write_batch

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
