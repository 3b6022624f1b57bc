"""Crawls of the simulator on 127.0.0.1, through real sockets, into a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from discovery import frontier, service, worker
from discovery.service import CrawlRequest
from discovery.simulator import render
from discovery.simulator.serve import RunningSimulator, simulator_in_thread
from discovery.simulator.server import Limits
from discovery.simulator.world import World, build_world
from discovery.worker import run_crawl
from sql import tenancy
from tests.integration.discovery.region import bfs, expected, index_of, post_index, stored

pytestmark = pytest.mark.anyio
BUDGET = {"max_accounts": 10_000, "max_depth": 1, "max_followers": 250, "max_following": 30, "posts_per_account": 10}


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(600, seed=3)


@pytest.fixture
def sim(world: World) -> Iterator[RunningSimulator]:
    with simulator_in_thread(world) as running:
        yield running


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=12) as p:
        yield p


def seed_index(world: World, platform: str) -> int:
    """A popular account that did not opt out, so a crawl from it reaches a real region."""
    order = sorted(range(world.n), key=lambda i: -world.followers.length(i))
    return next(i for i in order if not world.is_opted_out(i, platform))


def handle(platform: str, i: int) -> str:
    return f"user{i}" if platform == "mastodon" else f"user{i}.sim.test"


async def queue_crawl(pool: asyncpg.Pool, platform: str, url: str, seeds: list[str], **budget: int) -> uuid.UUID:
    async with pool.acquire() as conn:
        org = await tenancy.create_org(conn, f"crawler-{uuid.uuid4().hex[:6]}")
        req = CrawlRequest(platform=platform, base_url=url, seeds=seeds, **{**BUDGET, **budget})
        return (await service.create(conn, org.id, req, allow_private=True)).id


async def check_region(pool: asyncpg.Pool, world: World, platform: str, crawl_id: uuid.UUID, seed: int) -> None:
    async with pool.acquire() as conn:
        expanded = {index_of(platform, ref) for ref in await frontier.expanded(conn, crawl_id)}
        got = await stored(conn, platform)
    b = BUDGET
    assert expanded == bfs(world, platform, [seed], b["max_depth"], b["max_followers"], b["max_following"])
    want = expected(world, platform, expanded, b["max_followers"], b["max_following"], b["posts_per_account"])
    assert got.accounts == want.accounts
    assert got.opted_out == want.opted_out
    assert got.follows == want.follows
    assert got.posts == want.posts
    assert got.interactions == want.interactions
    assert len(want.follows) > 200 and len(want.interactions) > 50 and want.opted_out  # a real region
    assert world.followers.length(seed) > 100  # several pages of followers on either platform


class TestCrawlStoresTheRegion:
    @pytest.mark.parametrize("platform", ["mastodon", "bluesky"])
    async def test_exactly_the_simulators_data(
        self, pool: asyncpg.Pool, sim: RunningSimulator, world: World, platform: str
    ) -> None:
        seed = seed_index(world, platform)
        crawl_id = await queue_crawl(pool, platform, sim.url, [handle(platform, seed)])
        assert await run_crawl(pool, crawl_id, allow_private=True) == "done"
        await check_region(pool, world, platform, crawl_id, seed)
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM crawls WHERE id = $1", crawl_id)
            assert row["follows"] == await conn.fetchval("SELECT count(*) FROM follows")
            assert row["interactions"] == await conn.fetchval("SELECT count(*) FROM interactions")
            assert row["errors"] == 0 and row["requests"] > 100

    async def test_faults_at_ten_percent_still_give_complete_data(self, pool: asyncpg.Pool, world: World) -> None:
        with simulator_in_thread(world, Limits(fault_rate=0.10, slow_seconds=0.05)) as sim:
            seed = seed_index(world, "mastodon")
            crawl_id = await queue_crawl(pool, "mastodon", sim.url, [handle("mastodon", seed)])
            assert await run_crawl(pool, crawl_id, allow_private=True) == "done"
            assert sim.app.stats.faults > 20
        await check_region(pool, world, "mastodon", crawl_id, seed)
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT retries FROM crawls WHERE id = $1", crawl_id) > 0

    async def test_rate_limit_is_respected_after_the_first_window(self, pool: asyncpg.Pool, world: World) -> None:
        limits = Limits(rate_limit=40, window=1.0)
        with simulator_in_thread(world, limits) as sim:
            seed = seed_index(world, "mastodon")
            crawl_id = await queue_crawl(
                pool,
                "mastodon",
                sim.url,
                [handle("mastodon", seed)],
                max_followers=20,
                max_following=0,
                posts_per_account=2,
            )
            assert await run_crawl(pool, crawl_id, allow_private=True) == "done"
            stats = sim.app.stats
            assert len(stats.by_window) >= 3, stats.by_window  # the crawl did span several windows
            first = min(stats.by_window)
            assert set(stats.limited_by_window) <= {first}, stats.limited_by_window
            assert max(stats.by_window.values()) <= 40 + stats.rate_limited


class TestResume:
    async def test_killed_crawl_resumes_to_the_same_data(
        self, pool: asyncpg.Pool, sim: RunningSimulator, world: World, database_url: str
    ) -> None:
        seed = seed_index(world, "mastodon")
        crawl_id = await queue_crawl(pool, "mastodon", sim.url, [handle("mastodon", seed)])
        env = {**os.environ, "DATABASE_URL": database_url, "SOROT_ALLOW_PRIVATE_HOSTS": "1"}
        argv = [sys.executable, "-m", "api", "crawl", "--resume", str(crawl_id), "--quiet"]
        proc = subprocess.Popen(argv, env=env)  # noqa: ASYNC220
        try:
            deadline = time.monotonic() + 60
            async with pool.acquire() as conn:
                while (
                    await conn.fetchval(
                        "SELECT count(*) FROM crawl_frontier WHERE crawl_id = $1 AND state = 'done'", crawl_id
                    )
                    < 5
                ):
                    assert proc.poll() is None and time.monotonic() < deadline, "crawl ended before it was killed"
                    time.sleep(0.02)  # noqa: ASYNC251
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            proc.kill()
        async with pool.acquire() as conn:
            assert await frontier.status(conn, crawl_id) == "running"
            left = await conn.fetchval(
                "SELECT count(*) FROM crawl_frontier WHERE crawl_id = $1 AND state <> 'done'", crawl_id
            )
            assert left > 0, "the kill came too late to test a resume"
        assert await run_crawl(pool, crawl_id, allow_private=True) == "done"
        await check_region(pool, world, "mastodon", crawl_id, seed)


class TestDeletionsPropagate:
    @pytest.mark.parametrize("platform", ["mastodon", "bluesky"])
    async def test_a_recrawl_leaves_the_store_equal_to_the_server(self, pool: asyncpg.Pool, platform: str) -> None:
        world = build_world(300, seed=11)  # changed below: a world of this test's own
        seed = next(
            i
            for i in sorted(range(world.n), key=lambda i: -world.followers.length(i))
            if not world.is_opted_out(i, platform)
            and sum(world.engaged["like"].length(int(p)) > 1 for p in world.posts_of.row(i)[:10]) >= 2
        )
        budget = {"max_followers": 10_000, "max_following": 10_000, "posts_per_account": 10}
        with simulator_in_thread(world) as sim:
            first = await queue_crawl(pool, platform, sim.url, [handle(platform, seed)], **budget)
            assert await run_crawl(pool, first, allow_private=True) == "done"
            # On the server: an unfollow, an unlike, an un-repost, a deleted reply and a deleted post.
            fan = next(int(f) for f in world.followers.row(seed) if not world.is_opted_out(int(f), platform))
            world.unfollow(fan, seed)
            posts = [int(p) for p in world.posts_of.row(seed)[:10]]
            liked = next(p for p in posts if world.engaged["like"].length(p) > 1)
            world.unengage("like", liked, int(world.engaged["like"].row(liked)[0]))
            reposted = next((p for p in posts if world.engaged["repost"].length(p)), None)
            if reposted is not None:
                world.unengage("repost", reposted, int(world.engaged["repost"].row(reposted)[0]))
            replied = next((p for p in posts if world.engaged["reply"].length(p)), None)
            if replied is not None:
                world.unengage("reply", replied, int(world.engaged["reply"].row(replied)[0]))
            gone = next(p for p in posts if p != liked and world.engaged["like"].length(p))
            world.delete_post(gone)

            second = await queue_crawl(pool, platform, sim.url, [handle(platform, seed)], **budget)
            assert await run_crawl(pool, second, allow_private=True) == "done"
        async with pool.acquire() as conn:
            # Accounts the first crawl read and the second did not (the fan) keep what was read then.
            refs = [*await frontier.expanded(conn, first), *await frontier.expanded(conn, second)]
            got = await stored(conn, platform)
            want = expected(world, platform, {index_of(platform, r) for r in refs}, 10_000, 10_000, 10)
            assert got.follows == want.follows
            assert got.posts == want.posts
            assert got.interactions == want.interactions
            crawl = await frontier.get_any(conn, second)
            c = crawl.counters
            assert c.follows_ended >= 1 and c.posts_deleted == 1 and c.interactions_ended >= 2
            assert c.follows_new == 0 and c.follows_known > 0 and c.accounts_new == 0 and c.accounts_seen > 0
            deleted = await conn.fetch("SELECT external_id FROM posts WHERE deleted_at IS NOT NULL")
            assert [post_index(platform, r["external_id"]) for r in deleted] == [gone]
            ended = await conn.fetchrow(
                "SELECT e.last_seen_at, e.ended_at FROM follows_ended e JOIN accounts a ON a.id = e.follower_id"
                " WHERE a.external_id = $1",
                render.account_id(fan) if platform == "mastodon" else render.did(fan),
            )
            assert ended is not None and ended["last_seen_at"] < ended["ended_at"]

    async def test_likes_keep_their_time_and_bluesky_urls_name_the_crawled_appview(
        self, pool: asyncpg.Pool, sim: RunningSimulator, world: World
    ) -> None:
        seed = seed_index(world, "bluesky")
        crawl_id = await queue_crawl(pool, "bluesky", sim.url, [handle("bluesky", seed)], max_followers=50)
        assert await run_crawl(pool, crawl_id, allow_private=True) == "done"
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM interactions WHERE kind = 'like' AND at IS NULL") == 0
            assert await conn.fetchval("SELECT count(*) FROM interactions WHERE kind = 'like'") > 0
            urls = [r["url"] for r in await conn.fetch("SELECT url FROM posts")]
        assert urls and all(u.startswith(sim.url + "/profile/") for u in urls)


class TestErrorsSurface:
    async def test_a_token_refused_mid_crawl_saves_counters_releases_items_and_fails(
        self, pool: asyncpg.Pool, world: World
    ) -> None:
        with simulator_in_thread(world, Limits(token="first")) as sim:
            seed = seed_index(world, "mastodon")
            async with pool.acquire() as conn:
                org = await tenancy.create_org(conn, "auth")
                req = CrawlRequest(
                    platform="mastodon", base_url=sim.url, token="first", seeds=[handle("mastodon", seed)], **BUDGET
                )
                crawl_id = (await service.create(conn, org.id, req, allow_private=True)).id
            probe_requests = sim.app.stats.requests
            task = asyncio.create_task(run_crawl(pool, crawl_id, allow_private=True))
            async with pool.acquire() as conn:
                for _ in range(600):
                    done = await conn.fetchval(
                        "SELECT count(*) FROM crawl_frontier WHERE crawl_id = $1 AND state = 'done'", crawl_id
                    )
                    if done >= 3:
                        break
                    await asyncio.sleep(0.01)
            sim.app.limits.token = "rotated"  # the token is revoked on the server
            assert await asyncio.wait_for(task, 60) == "failed"
            sent = sim.app.stats.requests - probe_requests
        async with pool.acquire() as conn:
            crawl = await frontier.get_any(conn, crawl_id)
            assert crawl.error is not None and "401" in crawl.error and "token" in crawl.error.lower()
            assert crawl.counters.requests == sent  # every request sent is counted, the refused ones too
            taken = await conn.fetchval(
                "SELECT count(*) FROM crawl_frontier WHERE crawl_id = $1 AND state = 'taken'", crawl_id
            )
            assert taken == 0


class TestStopAndResume:
    async def test_ctrl_c_names_the_crawl_which_stays_stopped_until_resumed(
        self, pool: asyncpg.Pool, sim: RunningSimulator, world: World, database_url: str
    ) -> None:
        seed = seed_index(world, "mastodon")
        env = {**os.environ, "DATABASE_URL": database_url, "SOROT_ALLOW_PRIVATE_HOSTS": "1"}
        argv = [sys.executable, "-m", "api", "crawl", "--platform", "mastodon", "--base-url", sim.url]
        argv += ["--seed", handle("mastodon", seed), "--max-followers", "250", "--max-following", "30", "--posts", "10"]
        argv += ["--quiet"]
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: ASYNC220
        try:
            deadline = time.monotonic() + 60
            async with pool.acquire() as conn:
                while (await conn.fetchval("SELECT count(*) FROM crawl_frontier WHERE state = 'done'")) < 3:
                    assert proc.poll() is None and time.monotonic() < deadline, "crawl ended before Ctrl-C"
                    await asyncio.sleep(0.02)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
        text = (out + err).decode()
        async with pool.acquire() as conn:
            crawl_id = await conn.fetchval("SELECT id FROM crawls")
            assert proc.returncode == 130, text
            assert f"crawl {crawl_id} stopped" in text and f"--resume {crawl_id}" in text, text
            assert "Traceback" not in text and "<id>" not in text, text
            assert await frontier.status(conn, crawl_id) == "stopped"
            assert await conn.fetchval("SELECT count(*) FROM crawl_frontier WHERE state = 'taken'") == 0
            assert await conn.fetchval("SELECT requests FROM crawls") > 0  # counted up to the stop
        # A worker (as in `sorot serve`) leaves a stopped crawl alone.
        runner = asyncio.create_task(worker.serve(pool, allow_private=True, poll=0.1))
        await asyncio.sleep(1.0)
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        async with pool.acquire() as conn:
            assert await frontier.status(conn, crawl_id) == "stopped"
        resume = [sys.executable, "-m", "api", "crawl", "--resume", str(crawl_id), "--quiet"]
        first = subprocess.run(resume, env=env, capture_output=True, timeout=120)  # noqa: ASYNC221
        assert first.returncode == 0, first.stderr.decode()
        again = subprocess.run(resume, env=env, capture_output=True, timeout=60)  # noqa: ASYNC221
        assert again.returncode == 0 and b"already done" in again.stderr, again.stderr.decode()
        await check_region(pool, world, "mastodon", crawl_id, seed)
