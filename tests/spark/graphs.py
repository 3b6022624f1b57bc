"""Small test graphs with the awkward parts: dangling nodes, self-loops, reciprocal and repeated
edges, isolated accounts, a second component, null profile fields and a follower farm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import networkx as nx
import numpy as np
import polars as pl

from graph.build import INTERACTION_WEIGHTS

BUILT_AT = datetime(2026, 11, 1, 12, tzinfo=UTC)


def frames(n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(10**12, size=n, replace=False)).astype(np.int64) + 10**9
    g = nx.scale_free_graph(n - n // 5, seed=seed)
    src = np.array([u for u, _ in g.edges()], dtype=np.int64)
    dst = np.array([v for _, v in g.edges()], dtype=np.int64)
    second = np.arange(n - n // 5, n - 3)  # a second component: a ring with chords, its last node dangling
    ring_src = np.concatenate([second[:-1], second[:-2]])
    ring_dst = np.concatenate([second[1:], second[2:]])
    recip = rng.integers(0, n - n // 5, size=n // 4)
    back = rng.integers(0, n - n // 5, size=n // 4)
    farm = rng.choice(n - n // 5, size=12, replace=False)  # silent accounts all following two targets
    farm_targets = farm[:2] % 7
    all_src = np.concatenate([src, ring_src, recip, back, np.repeat(farm, 2), recip[:3]])
    all_dst = np.concatenate([dst, ring_dst, back, recip, np.tile(farm_targets, farm.size), recip[:3]])
    follows = pl.DataFrame({"follower_id": ids[all_src], "followee_id": ids[all_dst]})  # self-loops come from g
    k = n * 2
    actors = rng.integers(0, n - 3, size=k)
    authors = np.where(rng.random(k) < 0.05, actors, rng.integers(0, n - 3, size=k))
    kinds = rng.choice([*INTERACTION_WEIGHTS, "unknown"], size=k)
    interactions = pl.DataFrame({"actor_id": ids[actors], "author_id": ids[authors], "kind": kinds})
    silent = np.isin(np.arange(n), farm)
    following = rng.integers(0, 2500, size=n).astype(float)
    following[rng.random(n) < 0.1] = np.nan
    posts = np.where(silent, 0, rng.integers(0, 50, size=n)).astype(float)
    posts[rng.random(n) < 0.05] = np.nan
    created = (BUILT_AT - timedelta(days=1)).timestamp() - rng.integers(0, 120, size=n) * 86400
    accounts = pl.DataFrame(
        {
            "id": ids,
            "shared": np.ones(n, bool),
            "opted_out": rng.random(n) < 0.05,
            "has_avatar": rng.random(n) < 0.7,
            "empty_bio": rng.random(n) < 0.4,
            "followers_count": rng.integers(0, 10_000, size=n),
            "following_count": following,
            "posts_count": posts,
            "created_epoch": created.astype(np.int64),
        }
    ).with_columns(pl.col("following_count", "posts_count").fill_nan(None).cast(pl.Int64))
    accounts = accounts.with_columns(
        pl.when(pl.col("id") == ids[1]).then(None).otherwise(pl.col("has_avatar")).alias("has_avatar"),
        pl.when(pl.col("id") == ids[2]).then(None).otherwise(pl.col("created_epoch")).alias("created_epoch"),
    )
    # Silent farm members: no interactions of theirs.
    interactions = interactions.filter(~pl.col("actor_id").is_in(ids[farm].tolist()))
    return accounts, follows, interactions
