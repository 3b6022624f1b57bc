"""Snapshots read from PostgreSQL: interactions count only inside the window."""

from __future__ import annotations

import asyncpg
import pytest

from graph.service import SnapshotCache

pytestmark = pytest.mark.anyio


async def test_old_engagement_drops_out_of_the_window(conn: asyncpg.Connection) -> None:
    a, b = [
        await conn.fetchval(
            "INSERT INTO accounts (platform, host, external_id, handle, shared) "
            "VALUES ('mastodon', 'x.test', $1, $1, true) RETURNING id",
            h,
        )
        for h in ("a", "b")
    ]
    await conn.execute("INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2)", a, b)
    post = await conn.fetchval(
        "INSERT INTO posts (account_id, external_id, created_at) "
        "VALUES ($1, 'p', now() - interval '200 days') RETURNING id",
        b,
    )
    await conn.execute(
        "INSERT INTO interactions (actor_id, post_id, author_id, kind) VALUES ($1, $2, $3, 'repost')", a, post, b
    )
    cache = SnapshotCache()
    recent, long = await cache.get(conn, "mastodon", 90), await cache.get(conn, "mastodon", 365)
    i, j = recent.index([a, b])
    assert recent.weights[i, j] == 1.0  # the follow only
    assert long.weights[i, j] == 4.0  # follow 1 + repost 3
    assert await cache.get(conn, "mastodon", 90) is recent  # unchanged data: the same snapshot
