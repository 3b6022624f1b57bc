"""A monitor created after the posts were made finds them through hashtag timelines and search (backfill),
then keeps polling: Mastodon hashtag and status search, Bluesky searchPosts."""

from __future__ import annotations

import asyncpg
import msgspec
import pytest

from discovery.simulator.stream_server import stream_in_thread
from discovery.simulator.streams import plant
from listening import repository
from listening.models import MonitorIn, SourceIn
from listening.rules import Terms
from sql import tenancy
from tests.integration.listening.helpers import listening

pytestmark = pytest.mark.anyio


async def wait_until(pool: asyncpg.Pool, expected: int) -> list[asyncpg.Record]:
    import asyncio

    for _ in range(300):
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT platform, uri, subjects FROM listening_mentions")
            backfilled = await conn.fetchval("SELECT bool_and(backfilled) FROM listening_sources")
        if backfilled and len(rows) >= expected:
            return list(rows)
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {expected} mentions, found {len(rows)}")


async def test_backfill_and_polling_through_hashtag_and_search(database_url: str) -> None:
    stream = plant(seed=21, posts=800, hours=4)
    first, later = 500, 300
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=6)
    try:
        with stream_in_thread(stream, released=first) as sim:
            async with pool.acquire() as conn:
                org = await tenancy.create_org(conn, "backfill")
                monitor = MonitorIn(
                    name="kopi",
                    brand=msgspec.convert(stream.brand, Terms),
                    competitors=[msgspec.convert(c, Terms) for c in stream.competitors],
                    sources=[
                        SourceIn(platform="mastodon", kind="hashtag", base_url=sim.url, query="kopinusantara"),
                        SourceIn(platform="mastodon", kind="search", base_url=sim.url, query="teh senja"),
                        SourceIn(platform="bluesky", kind="search", base_url=sim.url, query="kopi nusantara"),
                    ],
                )
                await repository.create_monitor(conn, org.id, monitor)

            def expected() -> set[str]:
                visible = sim.app.visible()
                planted = [e for e in visible if e.subjects and e.boost_of is None]
                out = set()
                for e in planted:
                    if e.author.opt_out:
                        continue  # never stored, whichever source returns them
                    text = e.text.lower()
                    searched = "teh" in text and "senja" in text  # the server's full-text search
                    on_mastodon = e.platform == "mastodon" and ("kopinusantara" in e.hashtags or searched)
                    on_bluesky = e.platform == "bluesky" and "kopi" in text and "nusantara" in text
                    if on_mastodon or on_bluesky:
                        out.add(e.uri)
                return out

            async with listening(pool):
                rows = await wait_until(pool, len(expected()))
                assert {r["uri"] for r in rows} == expected()
                sim.release(later)
                rows = await wait_until(pool, len(expected()))
                assert {r["uri"] for r in rows} == expected()
    finally:
        await pool.close()
