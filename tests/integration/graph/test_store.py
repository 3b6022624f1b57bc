"""Persisted graph snapshots: the files on disk, their database identity, and incremental refreshes that
equal a full rebuild after any sequence of inserts, updates and deletions (hypothesis drives the sequence)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import repository as repo
from graph import store
from graph.snapshots import SnapshotCache
from sql import tenancy
from sql.server import with_database
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.anyio
N = 5  # accounts in the random worlds


async def account(conn: asyncpg.Connection, handle: str, shared: bool = True, platform: str = "mastodon") -> int:
    account_id: int = await conn.fetchval(
        "INSERT INTO accounts (platform, host, external_id, handle, shared, followers_count, created_at) "
        "VALUES ($1, 'x.test', $2, $2, $3, 10, now() - interval '1 year') RETURNING id",
        platform,
        handle,
        shared,
    )
    return account_id


async def follow(conn: asyncpg.Connection, a: int, b: int) -> None:
    await conn.execute("INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", a, b)


def manifests(root: Path) -> list[Path]:
    return list(root.glob("*/mastodon/manifest.json"))


def ordered(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return store.conform(name, frame).sort(store.KEYS[name])


async def assert_equals_full(conn: asyncpg.Connection, frames: store.Frames, platform: str = "mastodon") -> None:
    full = await repo.load_store(conn, platform)
    for name in store.TABLES:
        assert ordered(frames.table(name), name).equals(ordered(full[name], name)), name


class TestPersisted:
    async def test_a_new_process_starts_from_the_files(self, conn: asyncpg.Connection, tmp_path: Path) -> None:
        a, b, c = [await account(conn, h) for h in "abc"]
        await follow(conn, a, b)
        await follow(conn, c, b)
        first = SnapshotCache(directory=tmp_path)
        snap = await first.get(conn, "mastodon")
        assert first.timings.source == "full" and snap.n == 3
        found = manifests(tmp_path)
        assert len(found) == 1
        data = json.loads(found[0].read_text())
        assert data["rows"]["follows"] == 2 and data["database"]["name"] == await conn.fetchval(
            "SELECT current_database()"
        )
        for name in store.TABLES:
            assert pl.read_parquet(found[0].parent / f"{name}.parquet").schema == pl.Schema(store.SCHEMAS[name])

        again = SnapshotCache(directory=tmp_path)  # as after a restart
        snap2 = await again.get(conn, "mastodon")
        assert again.timings.source == "disk"
        assert (snap2.weights != snap.weights).nnz == 0 and list(snap2.ids) == list(snap.ids)

        await follow(conn, a, c)  # committed while no process ran: the next start catches up from the log
        third = SnapshotCache(directory=tmp_path)
        snap3 = await third.get(conn, "mastodon")
        assert third.timings.source == "incremental"
        i, k = snap3.index([a, c])
        assert snap3.weights[i, k] == 1.0

    async def test_another_database_never_reads_the_snapshot(
        self, conn: asyncpg.Connection, tmp_path: Path, server_url: str
    ) -> None:
        a, b = await account(conn, "a"), await account(conn, "b")
        await follow(conn, a, b)
        await SnapshotCache(directory=tmp_path).get(conn, "mastodon")
        # A clone of the same template: same graph_meta row, other database.
        name = f"sorot_t_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(with_database(server_url, "postgres"))
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        try:
            other = await asyncpg.connect(with_database(server_url, name))
            try:
                cache = SnapshotCache(directory=tmp_path)
                snap = await cache.get(other, "mastodon")
                assert cache.timings.source == "full" and snap.n == 0
            finally:
                await other.close()
        finally:
            await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
            await admin.close()
        assert len(manifests(tmp_path)) == 2

    async def test_uncommitted_changes_are_seen_but_never_persisted(
        self, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        a, b = await account(conn, "a"), await account(conn, "b")
        cache = SnapshotCache(directory=tmp_path)
        assert (await cache.get(conn, "mastodon")).weights.nnz == 0
        tx = conn.transaction()
        await tx.start()
        await follow(conn, a, b)
        inside = await cache.get(conn, "mastodon")
        assert cache.timings.source == "private" and inside.weights.nnz == 1
        await tx.rollback()
        assert (await cache.get(conn, "mastodon")).weights.nnz == 0
        assert (await SnapshotCache(directory=tmp_path).get(conn, "mastodon")).weights.nnz == 0

    async def test_a_transaction_committing_after_a_refresh_is_not_missed(
        self, conn: asyncpg.Connection, database_url: str
    ) -> None:
        a, b, c = [await account(conn, h) for h in "abc"]
        cache = SnapshotCache()
        await cache.get(conn, "mastodon")
        slow = await asyncpg.connect(database_url)
        try:
            tx = slow.transaction()
            await tx.start()
            await follow(slow, a, b)  # takes a lower seq than the follow below, commits after the refresh
            await follow(conn, a, c)
            assert (await cache.get(conn, "mastodon")).weights.nnz == 1
            await tx.commit()
        finally:
            await slow.close()
        assert (await cache.get(conn, "mastodon")).weights.nnz == 2


class TestVisibility:
    async def test_each_org_sees_shared_and_its_own_minus_hidden(self, conn: asyncpg.Connection) -> None:
        acme = await tenancy.create_org(conn, "acme")
        globex = await tenancy.create_org(conn, "globex")
        shared = await account(conn, "shared")
        mine = await account(conn, "mine", shared=False)
        theirs = await account(conn, "theirs", shared=False)
        hidden = await account(conn, "hidden")
        for org, acc in ((acme.id, mine), (globex.id, theirs), (acme.id, hidden)):
            await conn.execute("INSERT INTO account_visibility (org_id, account_id) VALUES ($1, $2)", org, acc)
        await conn.execute(
            "UPDATE account_visibility SET hidden_at = now() WHERE org_id = $1 AND account_id = $2", acme.id, hidden
        )
        for x in (mine, theirs, hidden):
            await follow(conn, x, shared)
        cache = SnapshotCache(max_entries=4)
        seen = {org: set((await cache.get(conn, "mastodon", org_id=org)).ids.tolist()) for org in (acme.id, globex.id)}
        assert seen[acme.id] == {shared, mine}
        assert seen[globex.id] == {shared, theirs, hidden}
        public = await cache.get(conn, "mastodon")
        assert set(public.ids.tolist()) == {shared, hidden} and public.weights.nnz == 1


# One random step: (operation, account index, other account index, flag).
step = st.tuples(
    st.sampled_from(
        [
            "follow",
            "unfollow",
            "interact",
            "end_interaction",
            "delete_post",
            "restore_post",
            "update_account",
            "share",
            "grant",
            "hide",
            "ungrant",
            "delete_account",
            "add_account",
            "post_time",
        ]
    ),
    st.integers(0, N - 1),
    st.integers(0, N - 1),
    st.booleans(),
)


class World:
    def __init__(self, conn: asyncpg.Connection, org: uuid.UUID) -> None:
        self.conn = conn
        self.org = org
        self.made = 0

    async def ids(self) -> list[int]:
        rows = await self.conn.fetch("SELECT id FROM accounts ORDER BY id")
        return [r["id"] for r in rows]

    async def post_of(self, author: int) -> int:
        post_id: int = await self.conn.fetchval(
            "INSERT INTO posts (account_id, external_id, created_at) VALUES ($1, 'p', now() - interval '1 day') "
            "ON CONFLICT (account_id, external_id) DO UPDATE SET seen_at = now() RETURNING id",
            author,
        )
        return post_id

    async def add(self, platform: str = "mastodon") -> None:
        self.made += 1
        await account(self.conn, f"u{self.made}", shared=self.made % 2 == 0, platform=platform)

    async def apply(self, op: str, i: int, j: int, flag: bool) -> None:
        ids = await self.ids()
        if len(ids) < 2:
            await self.add()
            return
        a, b = ids[i % len(ids)], ids[j % len(ids)]
        c = self.conn
        if op == "follow" and a != b:
            await follow(c, a, b)
        elif op == "unfollow":
            await c.execute("DELETE FROM follows WHERE follower_id = $1 OR followee_id = $2", a, b)
        elif op == "interact" and a != b:
            post = await self.post_of(b)
            kind = "repost" if flag else "like"
            await c.execute(
                "INSERT INTO interactions (actor_id, post_id, author_id, kind, at) VALUES ($1, $2, $3, $4, "
                "CASE WHEN $5 THEN now() - interval '400 days' END) ON CONFLICT (post_id, actor_id, kind) "
                "DO UPDATE SET seen_at = now(), at = EXCLUDED.at",
                a,
                post,
                b,
                kind,
                flag and i % 2 == 0,
            )
        elif op == "end_interaction":
            await c.execute("DELETE FROM interactions WHERE actor_id = $1", a)
        elif op == "delete_post":
            await c.execute("UPDATE posts SET deleted_at = now() WHERE account_id IN ($1, $2)", a, b)
        elif op == "restore_post":
            await c.execute("UPDATE posts SET deleted_at = NULL, seen_at = now() WHERE account_id IN ($1, $2)", a, b)
        elif op == "post_time":
            await c.execute(
                "UPDATE posts SET created_at = now() - interval '300 days' WHERE account_id IN ($1, $2)", a, b
            )
        elif op == "update_account":
            await c.execute(
                "UPDATE accounts SET followers_count = followers_count + 1, bio = CASE WHEN $2 THEN 'x' END, "
                "has_avatar = $2, opted_out = NOT $2 AND opted_out WHERE id = $1",
                a,
                flag,
            )
        elif op == "share":
            await c.execute("UPDATE accounts SET shared = $2 WHERE id = $1", a, flag)
        elif op == "grant":
            await c.execute(
                "INSERT INTO account_visibility (org_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                self.org,
                a,
            )
        elif op == "hide":
            await c.execute(
                "UPDATE account_visibility SET hidden_at = CASE WHEN $3 THEN now() END "
                "WHERE org_id = $1 AND account_id = $2",
                self.org,
                a,
                flag,
            )
        elif op == "ungrant":
            await c.execute("DELETE FROM account_visibility WHERE account_id = $1", a)
        elif op == "delete_account" and len(ids) > 3:
            await c.execute("DELETE FROM accounts WHERE id = $1", a)
        elif op == "add_account":
            await self.add("bluesky" if flag and i == 0 else "mastodon")


class TestIncrementalEqualsFull:
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=st.lists(st.lists(step, min_size=1, max_size=6), min_size=1, max_size=5))
    async def test_any_change_sequence(
        self, conn: asyncpg.Connection, tmp_path: Path, steps: list[list[tuple[Any, ...]]]
    ) -> None:
        await conn.execute("DELETE FROM accounts")  # hypothesis runs many examples in one database
        org = await tenancy.create_org(conn, f"o-{uuid.uuid4().hex[:8]}")
        world = World(conn, org.id)
        for _ in range(4):
            await world.add()
        directory = tmp_path / uuid.uuid4().hex
        cache = SnapshotCache(directory=directory)
        await cache.get(conn, "mastodon", org_id=org.id)
        for batch in steps:
            for op in batch:
                await world.apply(*op)
            await cache.get(conn, "mastodon", org_id=org.id)
            assert cache.timings.source in ("incremental", "memory", "full")
            await assert_equals_full(conn, cache._frames["mastodon"])
            # ... and what a restarted process reads from disk is the same
            identity, _ = await repo.snapshot_identity(conn)
            on_disk = store.read(directory, identity, "mastodon")
            assert on_disk is not None
            await assert_equals_full(conn, on_disk[0])
            # the org's snapshot equals one built from a full read
            fresh = SnapshotCache()
            mine, theirs = (
                await cache.get(conn, "mastodon", org_id=org.id),
                await fresh.get(conn, "mastodon", org_id=org.id),
            )
            assert mine.ids.tolist() == theirs.ids.tolist() and (mine.weights != theirs.weights).nnz == 0


class TestIncrementalCases:
    async def test_deleting_and_restoring_a_post_and_moving_its_time(self, conn: asyncpg.Connection) -> None:
        org = await tenancy.create_org(conn, "o")
        world = World(conn, org.id)
        for _ in range(4):
            await world.add()
        cache = SnapshotCache()
        await cache.get(conn, "mastodon")
        for op in [
            ("interact", 0, 1, False),
            ("delete_post", 1, 1, False),
            ("restore_post", 1, 1, False),
            ("post_time", 1, 1, False),
            ("grant", 0, 0, False),
            ("hide", 0, 0, True),
            ("hide", 0, 0, False),
            ("share", 2, 0, True),
            ("update_account", 2, 0, True),
            ("delete_account", 1, 1, False),
        ]:
            await world.apply(*op)
            await cache.get(conn, "mastodon")
            assert cache.timings.source == "incremental", op
            await assert_equals_full(conn, cache._frames["mastodon"])
