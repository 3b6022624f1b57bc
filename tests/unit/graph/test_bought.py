"""Bought followers: a block of farm followers marks a buyer at any size; farms' cover does not."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from graph.authenticity import bought_blocks, suspicion
from graph.build import Snapshot, build_snapshot
from graph.models import Filters
from graph.ranking import eligibility

CREATORS = 60
PEOPLE = 6000
FARM = 200
SMALL_BUYER, LARGE_BUYER, LARGEST = 0, 1, 2


def world(seed: int, dressed: bool = False) -> Snapshot:
    """60 creators of Pareto sizes followed by 6,000 real people (who post), a farm of 200 silent bare
    accounts that each follow 4 creators by popularity as cover, a small buyer (120 real followers) that
    bought 40% of the farm, and a large one (700) that bought 65% of it (about 15% of its followers). The
    largest creator (4,000 real) gets as many cover follows as a purchase, and is no buyer. ``dressed``: the
    bots have avatars, bios, 3 posts and 2 followers each, and a tenth of the people are abandoned accounts
    (2 posts, no followers), so inactive followers have a base rate among everyone's audience."""
    rng = np.random.default_rng(seed)
    size = np.sort((rng.pareto(1.2, CREATORS) + 1) * 250)[::-1].astype(int)
    size[LARGEST] = 4000
    size[SMALL_BUYER], size[LARGE_BUYER] = 120, 700
    size = np.minimum(size, PEOPLE)
    people = np.arange(CREATORS, CREATORS + PEOPLE)
    farm = np.arange(CREATORS + PEOPLE, CREATORS + PEOPLE + FARM)
    src, dst = [], []
    for c, k in enumerate(size):
        fans = rng.choice(people, k, replace=False)
        src.append(fans)
        dst.append(np.full(k, c))
    weight = size**1.3 / (size**1.3).sum()  # the most popular get more than their share of cover
    for bot in farm:
        cover = rng.choice(CREATORS, 4, replace=False, p=weight)
        src.append(np.full(4, bot))
        dst.append(cover)
    for buyer, share in ((SMALL_BUYER, 0.4), (LARGE_BUYER, 0.65)):
        bought = farm[rng.random(FARM) < share]
        src.append(bought)
        dst.append(np.full(bought.size, buyer))
    n = CREATORS + PEOPLE + FARM
    bots = np.zeros(n, dtype=bool)
    bots[farm] = True
    abandoned = np.zeros(n, dtype=bool)
    if dressed:
        abandoned[people[rng.random(PEOPLE) < 0.1]] = True
    accounts = pl.DataFrame(
        {
            "id": np.arange(n),
            "opted_out": np.zeros(n, dtype=bool),
            "has_avatar": ~bots | dressed,
            "empty_bio": bots & (not dressed),
            "followers_count": np.zeros(n, dtype=np.int64),
            "following_count": np.full(n, 40),
            "posts_count": np.where(bots, 3 if dressed else 0, np.where(abandoned, 2, 12)),
            "created_epoch": np.full(n, 1_600_000_000),
        }
    )
    follows = pl.DataFrame({"follower_id": np.concatenate(src), "followee_id": np.concatenate(dst)}).unique()
    counts = follows.group_by("followee_id").len()
    accounts = accounts.join(counts, left_on="id", right_on="followee_id", how="left").with_columns(
        pl.col("len").fill_null(0).alias("followers_count")
    )
    if dressed:
        accounts = accounts.with_columns(
            pl.when(pl.col("id").is_in(farm)).then(2).otherwise(pl.col("followers_count")).alias("followers_count")
        )
    interactions = pl.DataFrame(schema={"actor_id": pl.Int64, "author_id": pl.Int64, "kind": pl.String})
    snap = build_snapshot("mastodon", datetime.now(UTC), accounts.drop("len"), follows, interactions)
    return snap


@pytest.mark.parametrize("seed", range(5))
def test_buyers_of_any_size_are_caught_and_cover_is_not_a_purchase(seed: int) -> None:
    snap = world(seed)
    s = suspicion(snap)
    block, share = bought_blocks(snap, s.fake)
    fakes = np.asarray(snap.followers @ s.fake.astype(np.float32))
    assert block[SMALL_BUYER] and block[LARGE_BUYER]
    assert share[LARGE_BUYER] < 0.2  # under the default max_bought_share: caught as a block, not by its share
    assert fakes[LARGEST] >= 0.5 * fakes[LARGE_BUYER]  # cover gives the largest creator many fake followers too
    assert not block[LARGEST] and not block[3:CREATORS].any()
    ok, counts = eligibility(snap, Filters(), np.zeros(0, np.int64), None)
    assert not ok[SMALL_BUYER] and not ok[LARGE_BUYER] and ok[LARGEST]
    assert counts["bought_followers"] == 2


@pytest.mark.parametrize("seed", range(5))
def test_dressed_farms_are_caught_by_inactive_followers_beyond_peers(seed: int) -> None:
    snap = world(seed, dressed=True)
    s = suspicion(snap)
    block, share = bought_blocks(snap, s.fake)
    assert not block.any() and not share.any()  # dressed bots post and have profiles: not fake as such
    assert s.inactive[CREATORS + PEOPLE :].all() and 0.05 < s.inactive[CREATORS : CREATORS + PEOPLE].mean() < 0.15
    ok, counts = eligibility(snap, Filters(), np.zeros(0, np.int64), None)
    assert not ok[SMALL_BUYER] and not ok[LARGE_BUYER]
    assert ok[LARGEST] and ok[3:CREATORS].all()  # cover and a tenth of abandoned followers are no purchase
    assert counts["bought_followers"] == 2


@pytest.mark.parametrize(("seed", "base"), [(0, 0.1), (1, 0.25), (2, 0.4)])
def test_no_farm_no_buyer_when_many_real_followers_are_inactive(seed: int, base: float) -> None:
    """300 small creators (8-120 followers) among 6,000 people and no farm: a share ``base`` of the
    people are abandoned accounts (2 posts, no followers, never engage)."""
    rng = np.random.default_rng(seed)
    creators, people = 300, 6000
    size = rng.integers(8, 120, creators)
    ids = np.arange(creators + people)
    src = np.concatenate([rng.choice(np.arange(creators, creators + people), k, replace=False) for k in size])
    dst = np.repeat(np.arange(creators), size)
    abandoned = np.zeros(ids.size, dtype=bool)
    abandoned[creators:] = rng.random(people) < base
    follows = pl.DataFrame({"follower_id": src, "followee_id": dst})
    counts = np.bincount(dst, minlength=ids.size)
    accounts = pl.DataFrame(
        {
            "id": ids,
            "opted_out": np.zeros(ids.size, dtype=bool),
            "has_avatar": np.ones(ids.size, dtype=bool),
            "empty_bio": np.zeros(ids.size, dtype=bool),
            "followers_count": np.where(abandoned, 0, np.maximum(counts, 10)),
            "following_count": np.full(ids.size, 40),
            "posts_count": np.where(abandoned, 2, 12),
            "created_epoch": np.full(ids.size, 1_600_000_000),
        }
    )
    interactions = pl.DataFrame(schema={"actor_id": pl.Int64, "author_id": pl.Int64, "kind": pl.String})
    snap = build_snapshot("mastodon", datetime.now(UTC), accounts, follows, interactions)
    assert 0.7 * base < suspicion(snap).inactive[creators:].mean() < 1.3 * base
    _, excluded = eligibility(snap, Filters(), np.zeros(0, np.int64), None)
    assert excluded["bought_followers"] == 0
