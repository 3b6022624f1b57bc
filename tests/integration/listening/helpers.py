"""A monitor on the simulated stream, and the runner started and stopped around it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import msgspec

from discovery.simulator.stream_server import RunningStream
from discovery.simulator.streams import Stream
from listening import repository, runner
from listening.models import Monitor, MonitorIn, SourceIn
from listening.rules import Terms
from sql import tenancy


def monitor_in(stream: Stream, url: str, name: str = "kopi") -> MonitorIn:
    return MonitorIn(
        name=name,
        brand=msgspec.convert(stream.brand, Terms),
        competitors=[msgspec.convert(c, Terms) for c in stream.competitors],
        sources=[
            SourceIn(platform="mastodon", kind="public", base_url=url),
            SourceIn(platform="bluesky", kind="jetstream", base_url=url, stream_url=url.replace("http", "ws")),
        ],
    )


async def make_monitor(conn: asyncpg.Connection, stream: Stream, url: str) -> Monitor:
    org = await tenancy.create_org(conn, "listener")
    return await repository.create_monitor(conn, org.id, monitor_in(stream, url))


@asynccontextmanager
async def listening(pool: asyncpg.Pool) -> AsyncIterator[None]:
    """Every active source listening, as the service runs them; leaving the block kills them mid-flight."""
    async with pool.acquire() as conn:
        jobs = await repository.active_sources(conn)
    tasks = [asyncio.create_task(runner.run_source(pool, j, allow_private=True, poll_interval=0.2)) for j in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def final_cursors(sim: RunningStream) -> dict[str, str]:
    """The cursor each source holds once it has stored everything released so far."""
    visible = sim.app.visible()
    mastodon = [e for e in visible if e.platform == "mastodon" and e.boost_of is None]
    bluesky = [i for i, e in enumerate(visible) if e.platform == "bluesky"]
    out = {}
    if mastodon:
        out["public"] = mastodon[-1].status_id
    if bluesky:
        out["jetstream"] = str(sim.app.time_us[bluesky[-1]])
    return out


async def started(pool: asyncpg.Pool, within: float = 30.0) -> None:
    """Every source has stored its first cursor: from here on nothing posted is missed."""
    deadline = time.monotonic() + within
    while True:
        async with pool.acquire() as conn:
            if not await conn.fetchval("SELECT count(*) FROM listening_sources WHERE cursor IS NULL"):
                return
        if time.monotonic() > deadline:
            raise AssertionError("sources did not start")
        await asyncio.sleep(0.05)


async def caught_up(pool: asyncpg.Pool, sim: RunningStream, within: float = 60.0) -> None:
    want = final_cursors(sim)
    deadline = time.monotonic() + within
    while True:
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT kind, cursor, error FROM listening_sources")
        have = {r["kind"]: r["cursor"] for r in rows}
        if all(have.get(k) == v for k, v in want.items()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"sources did not catch up: want {want}, have {[dict(r) for r in rows]}")
        await asyncio.sleep(0.1)
