"""Expected reach against the truth of evaluation worlds (agent-based exposure, bench/evalworld.py)."""

from __future__ import annotations

import asyncpg
import numpy as np
import pytest

from bench.evalworld import EvalWorld, Params, build
from discovery.simulator.load import load_world
from graph.models import RankingRequest, Target, Topic
from graph.service import SnapshotCache, rank

pytestmark = pytest.mark.anyio


async def ranked(conn: asyncpg.Connection, ew: EvalWorld) -> list[tuple[int, float, float, float]]:
    """(world index, estimate, low, high) of the default ranking's top 20."""
    await load_world(conn, ew.world, host="eval.test")
    ids = {r["handle"]: r["id"] for r in await conn.fetch("SELECT id, handle FROM accounts")}
    target = Target(seed_accounts=[ids[f"user{int(b)}"] for b in ew.brands])
    req = RankingRequest(platform="mastodon", topic=Topic(hashtags=["coffee"]), target=target, limit=20)
    ranking = await rank(conn, SnapshotCache(), req)
    back = {v: int(k.removeprefix("user")) for k, v in ids.items()}
    return [
        (back[c.account_id], c.expected_reach.value, c.expected_reach.low, c.expected_reach.high)
        for c in ranking.creators
    ]


class TestAgainstSimulatedTruth:
    @pytest.mark.parametrize("seed", [31, 32])
    async def test_interval_covers_the_truth_and_the_order_follows_it(
        self, conn: asyncpg.Connection, seed: int
    ) -> None:
        ew = build(Params(accounts=1000), seed)
        top = await ranked(conn, ew)
        truth = np.array([ew.expected_reach(c) for c, *_ in top])
        covered = np.mean([low <= t <= high for (_, _, low, high), t in zip(top, truth, strict=True)])
        assert covered >= 0.7, (covered, top, truth)
        brands = set(ew.brands.tolist())
        assert not {c for c, *_ in top} & brands
        # The top 20 by estimate reach most of what the 20 truly best reach one by one.
        pool = [c for c in ew.topic_posters() if c not in brands and not ew.world.is_opted_out(c, "mastodon")]
        best = sorted((ew.expected_reach(c) for c in pool), reverse=True)[:20]
        assert truth.sum() >= 0.85 * sum(best), (truth.sum(), sum(best))
