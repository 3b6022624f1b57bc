"""Two crawls and two worker processes share one rate-limited, GoToSocial-like host.

Only what must hold however fast the machine is, judged from the server's own log of requests: no
window takes more than the budget, no 429 after the first window, both crawls and the second process
draw on the budget, and the server never sits idle for a window's length while crawls have work left
(the stall this replaced slept a whole window while answers showed budget left).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
import pytest

from discovery import frontier, service, worker
from discovery.ratelimit import ROUNDED_MARGIN
from discovery.service import CrawlRequest
from discovery.simulator.serve import simulator_in_thread
from discovery.simulator.server import Limits, Stats
from discovery.simulator.world import build_world
from sql import tenancy

pytestmark = pytest.mark.anyio
LIMIT, WINDOW, TOKEN = 24, 2.0, "gts-token"
HERE = "sorot-test-worker"  # application_name of this process's connections, to tell the other process's apart
JOIN_TIMEOUT = 120.0  # seconds the second process may take to start and take an item on a loaded machine
SHARED_SECONDS = 8.0  # then both processes crawl together this long
# Longest silence that is not idleness: a window's length, plus the margin after a Reset rounded to the
# second (the real one may come up to a second later), plus a second of scheduling on a busy machine.
IDLE = WINDOW + ROUNDED_MARGIN + 1.0


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(
        database_url, min_size=1, max_size=16, server_settings={"application_name": HERE}
    ) as p:
        yield p


async def create_crawls(pool: asyncpg.Pool, url: str, seeds: list[str]) -> list[UUID]:
    ids = []
    async with pool.acquire() as conn:
        org = await tenancy.create_org(conn, f"gts-{uuid.uuid4().hex[:6]}")
        for pair in (seeds[:2], seeds[2:]):
            req = CrawlRequest(
                platform="mastodon",
                base_url=url,
                token=TOKEN,
                seeds=pair,
                max_accounts=5000,
                max_depth=2,
                max_followers=200,
                max_following=40,
                posts_per_account=3,
            )
            ids.append((await service.create(conn, org.id, req, allow_private=True)).id)
    return ids


async def other_process_took_part(conn: asyncpg.Connection) -> bool:
    """Whether a connection of another process (not named HERE) holds or has done an item."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM crawl_frontier f JOIN pg_stat_activity a ON a.pid = f.taken_by"
            " WHERE f.state = 'taken' AND a.application_name IS DISTINCT FROM $1)",
            HERE,
        )
    )


def idle_gaps(stats: Stats, until: float) -> list[tuple[float, float]]:
    """Silences longer than IDLE after the first window, up to ``until`` (when the crawls were stopped)."""
    first_end = stats.windows[0][1]
    times = [t for t, _ in stats.log if first_end <= t <= until]
    marks = [first_end, *times, until]
    return [(a, b - a) for a, b in itertools.pairwise(marks) if b - a > IDLE]


async def test_two_crawls_and_two_workers_stay_within_one_budget_and_never_sit_idle(
    pool: asyncpg.Pool, database_url: str
) -> None:
    world = build_world(2000, seed=21)
    top = sorted(range(world.n), key=lambda i: -world.followers.length(i))
    seeds = [f"user{i}" for i in top if not world.is_opted_out(i, "mastodon")][:4]
    limits = Limits(rate_limit=LIMIT, window=WINDOW, token=TOKEN, gotosocial=True)
    with simulator_in_thread(world, limits) as sim:
        crawl_ids = await create_crawls(pool, sim.url, seeds)
        env = {**os.environ, "DATABASE_URL": database_url, "SOROT_ALLOW_PRIVATE_HOSTS": "1"}
        other = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "api", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        here = asyncio.create_task(worker.serve(pool, allow_private=True, poll=0.2))
        joined = False
        try:
            async with pool.acquire() as conn:
                deadline = time.monotonic() + JOIN_TIMEOUT
                while not joined and time.monotonic() < deadline and other.poll() is None:
                    joined = await other_process_took_part(conn)
                    await asyncio.sleep(0.1)
                if joined:
                    await asyncio.sleep(SHARED_SECONDS)
                stopped = time.time()
                for crawl_id in crawl_ids:
                    await conn.execute("UPDATE crawls SET status = 'cancelled' WHERE id = $1", crawl_id)
        finally:
            here.cancel()
            await asyncio.gather(here, return_exceptions=True)
            other.send_signal(signal.SIGINT)
            _, err = other.communicate(timeout=60)
        stats = sim.app.stats
    assert b"Traceback" not in err, err.decode()
    assert joined, "the second worker process never took an item"
    starts = sorted(stats.by_window)
    counts = [stats.by_window[w] for w in starts]
    assert len(counts) >= 4, counts
    assert set(stats.limited_by_window) <= {starts[0]}, (stats.limited_by_window, counts)  # no 429 after the first
    assert all(n <= LIMIT for n in counts[1:]), counts  # the server counts every request, 429s included
    served = [n - stats.limited_by_window.get(w, 0) for w, n in zip(starts, counts, strict=True)]
    assert all(n <= LIMIT for n in served), served
    assert idle_gaps(stats, stopped) == [], (idle_gaps(stats, stopped), counts)
    # Short pages end listings, next link or not; at most one per kind of listing and crawl per process is
    # followed to learn whether the server caps pages lower (it only ever is when its size is round).
    assert stats.wasted_pages <= 2 * 2 * 6, stats.wasted_pages
    async with pool.acquire() as conn:
        for crawl_id in crawl_ids:
            assert (await frontier.get_any(conn, crawl_id)).counters.requests > 0  # both drew on the budget
