"""Bounded memory and pools: a flood of unknown /r/ slugs and a burst of heavy rankings leave the
probes and ``/v1/me`` answering, caches within their sizes and RSS within a bound.

The full-length figures (60 s flood, 12 heavy rankings, a live server) come from bench/abuse.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import msgspec
import psutil
import pytest
from litestar import Litestar

from api.app import create_app
from api.settings import Settings
from discovery.simulator.load import load_world
from discovery.simulator.world import TOPICS, build_world
from tests.conftest import make_tenant

pytestmark = pytest.mark.anyio
RSS_BOUND = 40 * 2**20  # bytes of growth allowed for the whole flood (caches are capped far below it)
PROBE_DEADLINE = 1.0  # seconds


@asynccontextmanager
async def bounded_app(settings: Settings, **overrides: object) -> AsyncIterator[Litestar]:
    app = create_app(msgspec.structs.replace(settings, **overrides))
    async with app.lifespan():
        yield app


def client_for(app: Litestar) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sorot.test", timeout=60)


class TestMissFlood:
    async def test_unknown_slugs_stay_within_the_cache_and_rss_bound(self, settings: Settings) -> None:
        # The per-IP miss limit is off here: this measures the cache itself, not the limiter.
        async with (
            bounded_app(settings, link_cache_size=500, rate_limits="redirect_miss=0/60") as app,
            client_for(app) as client,
        ):
            process = psutil.Process()
            await client.get("/r/warm-up")
            before = process.memory_info().rss

            async def flood(worker: int) -> None:
                for i in range(400):
                    assert (await client.get(f"/r/miss-{worker}-{i}")).status_code == 404

            await asyncio.gather(*(flood(w) for w in range(8)))
            assert len(app.state.links) == 500  # 3,200 misses, 500 remembered
            assert process.memory_info().rss - before < RSS_BOUND
            assert (await client.get("/readyz")).status_code == 200


class TestSnapshotCache:
    async def test_one_snapshot_per_window_is_not_kept_forever(self, settings: Settings) -> None:
        async with bounded_app(settings, snapshot_cache_size=2) as app, client_for(app) as client:
            async with app.state.pool.acquire() as c:
                tenant = await make_tenant(c)
            for days in range(1, 8):
                ranking = {"platform": "mastodon", "topic": {"hashtags": ["coffee"]}, "window_days": days}
                r = await client.post("/v1/rankings", json=ranking, headers=tenant.headers())
                assert r.status_code == 422  # nothing stored yet: still builds the window's snapshot
            assert len(app.state.graph_cache._snapshots) == 2


class TestHeavyBurst:
    async def test_probes_and_me_answer_within_a_second_during_12_heavy_rankings(
        self, settings: Settings, conn: asyncpg.Connection
    ) -> None:
        world = build_world(1500, seed=5)
        await load_world(conn, world, host="sim.test")
        tenant = await make_tenant(conn)
        # 50 keywords, the most a request may carry: each is a pattern scan over the stored posts.
        keywords = [f"{tag}{i}" for pair in TOPICS for tag in pair for i in range(4)][:50]
        async with bounded_app(settings, pool_max=4, graph_concurrency=1) as app, client_for(app) as client:
            h = tenant.headers()
            hashtags = [pair[0] for pair in TOPICS[:3]]

            async def heavy(window: int) -> int:
                body = {"platform": "mastodon", "topic": {"hashtags": hashtags, "keywords": keywords}}
                body["window_days"] = 30 + window  # distinct windows: each builds its own snapshot
                return (await client.post("/v1/rankings", json=body, headers=h)).status_code

            burst = [asyncio.create_task(heavy(i)) for i in range(12)]
            worst = 0.0
            while not all(t.done() for t in burst):
                for path, headers in (("/healthz", {}), ("/readyz", {}), ("/v1/me", h)):
                    start = time.monotonic()
                    assert (await client.get(path, headers=headers)).status_code == 200
                    worst = max(worst, time.monotonic() - start)
                await asyncio.sleep(0.05)
            statuses = [t.result() for t in burst]
            assert statuses == [200] * 12
            assert worst < PROBE_DEADLINE, f"a probe took {worst:.2f} s"
