"""Crawls of the simulator on 127.0.0.1, through real sockets, into a real PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from discovery import frontier, service
from discovery.service import CrawlRequest
from discovery.simulator.serve import RunningSimulator, simulator_in_thread
from discovery.simulator.server import Limits
from discovery.simulator.world import World, build_world
from discovery.worker import run_crawl
from sql import tenancy
from tests.integration.discovery.region import bfs, expected, index_of, stored

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
