"""A monitor on a simulated stream of 2,000 posts in Indonesian, Malay and English with planted mentions,
competitors, decoys, opted-out authors, boosts, a benign wave and a negative burst; killed half way."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta

import asyncpg
import pytest

from discovery.simulator.stream_server import stream_in_thread
from discovery.simulator.streams import plant
from listening import service
from tests.integration.listening.helpers import caught_up, listening, make_monitor, started

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("seed", [3])
async def test_planted_stream_killed_mid_way(database_url: str, seed: int) -> None:
    stream = plant(seed=seed, posts=2000)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=6)
    try:
        with stream_in_thread(stream) as sim:
            async with pool.acquire() as conn:
                monitor = await make_monitor(conn, stream, sim.url)
            async with listening(pool):
                await started(pool)  # a new monitor listens from now on
                sim.release(800)
                await caught_up(pool, sim)
                sim.release(300)
                await asyncio.sleep(0.05)  # killed while that part is in flight
            sim.release(400)  # posted while nobody listens
            async with listening(pool):
                sim.release()
                await caught_up(pool, sim)
            async with pool.acquire() as conn:
                rows = await conn.fetch(
                    "SELECT m.platform, m.uri, m.subjects, m.created_at,"
                    " (SELECT count(*) FROM listening_boosts b WHERE b.mention_id = m.id) AS boosts"
                    " FROM listening_mentions m WHERE monitor_id = $1",
                    monitor.id,
                )
                sov = await service.share_of_voice(conn, monitor.org_id, monitor.id, None, None)
                alerts = await conn.fetch("SELECT kind, at FROM listening_alerts WHERE monitor_id = $1", monitor.id)
                emitted = await conn.fetch("SELECT payload FROM outbound_events WHERE type = 'alert.raised'")
    finally:
        await pool.close()

    planted = {e.uri: e for e in stream.planted()}
    stored = {r["uri"]: r for r in rows}
    assert len(rows) == len(stored)  # no duplicate
    assert set(stored) == set(planted)  # every planted mention; no decoy, boost or opted-out author's post
    for uri, e in planted.items():
        assert sorted(stored[uri]["subjects"]) == sorted(e.subjects)
        if e.platform == "bluesky":  # each repost counted once, whether seen live or replayed after the kill
            assert stored[uri]["boosts"] == len(stream.boosts_of(e.seq))

    by_hand = Counter(s for e in planted.values() for s in e.subjects)
    total = sum(by_hand.values())
    assert sov.total_mentions == total
    for voice in sov.subjects:
        assert voice.mentions == by_hand[voice.subject]
        assert voice.share_mentions == pytest.approx(by_hand[voice.subject] / total, abs=1e-6)

    assert stream.burst_at is not None
    assert [a["kind"] for a in alerts] == ["negative"]  # none for the benign wave
    assert stream.burst_at <= alerts[0]["at"] <= stream.burst_at + timedelta(minutes=5)
    [event] = emitted  # delivered once, with its evidence
    payload = json.loads(event["payload"])["data"]
    assert payload["kind"] == "negative" and payload["posts"]
    assert all(p["sentiment"] == "negative" for p in payload["posts"])
