"""The default ranking on a world from the second generator (bench/altworld.py: growth by triadic closure,
a ranked feed, farms bought in proportion to the buyer's size, dressed farm bots that look like people)."""

from __future__ import annotations

import asyncpg
import numpy as np
import pytest

from bench.altworld import DRESSED, AltParams, AltWorld, build_alt
from discovery.simulator import render
from discovery.simulator.load import load_world
from discovery.simulator.world import FARM_BOT, NORMAL
from graph.models import RankingRequest, Target, Topic
from graph.service import SnapshotCache, rank

pytestmark = pytest.mark.anyio
PARAMS = AltParams(accounts=800, farm_share=0.12)


async def top_50(conn: asyncpg.Connection, aw: AltWorld) -> list[int]:
    """World indices of the default ranking's top 50, the world stored as a complete crawl would store it
    (hidden follower lists stored empty, as the crawler finds them)."""
    await load_world(conn, aw.world, host="alt.test")
    ids = {r["handle"]: r["id"] for r in await conn.fetch("SELECT id, handle FROM accounts")}
    await conn.execute(
        "DELETE FROM follows WHERE followee_id = ANY($1::bigint[])", [ids[f"user{int(h)}"] for h in aw.hidden]
    )
    target = Target(seed_accounts=[ids[f"user{int(b)}"] for b in aw.brands])
    req = RankingRequest(platform="mastodon", topic=Topic(hashtags=["coffee"]), target=target, limit=50)
    ranking = await rank(conn, SnapshotCache(), req)
    back = {v: int(k.removeprefix("user")) for k, v in ids.items()}
    return [back[c.account_id] for c in ranking.creators]


def test_the_world_has_what_it_promises() -> None:
    aw = build_alt(PARAMS, 7)
    again = build_alt(PARAMS, 7)
    w = aw.world
    assert np.array_equal(w.following.indices, again.world.following.indices)
    assert np.array_equal(w.post_author, again.world.post_author)
    dressed = np.flatnonzero(aw.role == DRESSED)
    assert dressed.size and set(aw.bots.tolist()) >= set(dressed.tolist())
    # Dressed farm bots look like people: an avatar, a bio, a post of their own; bare ones do not.
    account = render.mastodon_account(w, int(dressed[0]), "http://x")
    assert w.kind[dressed[0]] == NORMAL and account["note"] and "missing" not in account["avatar"]
    assert account["statuses_count"] >= 1
    assert set(np.flatnonzero(w.kind == FARM_BOT).tolist()) <= set(aw.bots.tolist())
    assert all(aw.fakes[b] >= 10 for b in aw.buyers)
    assert aw.target.sum() > 50 and not aw.target[aw.bots].any()


# Until bought followers were also judged by inactive followers beyond peers' (graph/authenticity.py), dressed-farm
# buyers (bots with avatars, bios and posts, that never engage) reached the top 20 of seeds 2205 and 2209. In these
# 800-account worlds the top 50 reaches down to creators with ~50 followers; two seeds still hold a buyer there (2204's,
# a generalist hiding its follower list, left when hidden lists stopped being candidates by default):
LEAKS = {
    2207: "a generalist with 35 bought among 176 stored followers: 29% inactive against its peers' 15% (spread 6 "
    "points), neither a block (2.5x) nor an outlier (4 deviations)",
    2209: "two micro-creators that bought 10 followers each: too few to stand out from their peers' inactive ones",
}


@pytest.mark.parametrize(
    "seed",
    [
        pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=LEAKS[s])) if s in LEAKS else s
        for s in range(2201, 2211)
    ],
)
async def test_default_top_50_has_no_brand_bot_bought_or_opted_out_account(conn: asyncpg.Connection, seed: int) -> None:
    aw = build_alt(PARAMS, seed)
    top = await top_50(conn, aw)
    assert len(top) == 50
    w = aw.world
    unwanted = {
        c: kind
        for c in top
        for kind, hit in (
            ("brand", c in set(aw.brands.tolist())),
            ("bot", c in set(aw.bots.tolist())),
            ("bought", c in set(aw.buyers.tolist())),
            ("opted out", w.is_opted_out(c, "mastodon")),
        )
        if hit
    }
    assert not unwanted, {c: (kind, aw.describe(c), int(aw.fakes[c])) for c, kind in unwanted.items()}
