"""Graph snapshots: stored accounts, follows and interactions as dense-indexed sparse matrices.

Built straight from polars frames into scipy CSR, never through a networkx graph:
at a million edges that alone costs ~10 s and ~435 MB (PERF_NOTES.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
import scipy.sparse as sp

# Edge weights of the interaction graph (published in the README).
FOLLOW_WEIGHT = 1.0
INTERACTION_WEIGHTS = {"like": 1.0, "reply": 2.0, "repost": 3.0, "quote": 3.0, "mention": 1.0}


@dataclass
class Snapshot:
    platform: str
    built_at: datetime
    accounts: pl.DataFrame  # one row per node, in dense-index order; column "id" is the account id
    ids: np.ndarray  # dense index -> account id (sorted)
    follow_src: np.ndarray  # follower (dense)
    follow_dst: np.ndarray  # followee (dense)
    weights: sp.csr_array  # u -> v summed interaction-graph weights
    followers: sp.csr_array  # row v: v's followers (binary)
    actors: np.ndarray  # dense ids of accounts that engaged with anything
    cache: dict[str, Any] = field(default_factory=dict)  # metrics computed once per snapshot

    @property
    def n(self) -> int:
        return int(self.ids.size)

    def index(self, account_ids: np.ndarray | list[int]) -> np.ndarray:
        """Dense indices of account ids; -1 for ids not in the snapshot."""
        ids = np.asarray(account_ids, dtype=np.int64)
        pos = np.searchsorted(self.ids, ids)
        pos = np.clip(pos, 0, max(self.n - 1, 0))
        found = (self.ids[pos] == ids) if self.n else np.zeros(ids.size, bool)
        return np.where(found, pos, -1)

    def followers_of(self, i: int) -> np.ndarray:
        return np.asarray(self.followers.indices[self.followers.indptr[i] : self.followers.indptr[i + 1]])


def build_snapshot(
    platform: str, built_at: datetime, accounts: pl.DataFrame, follows: pl.DataFrame, interactions: pl.DataFrame
) -> Snapshot:
    """``accounts`` has an ``id`` column; ``follows`` (follower_id, followee_id);
    ``interactions`` (actor_id, author_id, kind)."""
    accounts = accounts.sort("id")
    ids = accounts["id"].to_numpy().astype(np.int64)
    n = ids.size
    index = np.int32 if n < 2**31 - 1 else np.int64  # dense indices: half the memory of int64 per edge end

    if n and int(ids[-1]) < 4 * n + 1_000_000:
        # Ids are mostly dense (bigserial): a lookup table is ~8x faster than a binary search per edge end.
        table = np.zeros(int(ids[-1]) + 1, dtype=index)
        table[ids] = np.arange(n, dtype=index)

        def dense(col: pl.Series) -> np.ndarray:
            return np.asarray(table[col.to_numpy()])
    else:

        def dense(col: pl.Series) -> np.ndarray:
            return np.searchsorted(ids, col.to_numpy()).astype(index, copy=False)

    src, dst = dense(follows["follower_id"]), dense(follows["followee_id"])
    kinds = interactions["kind"].replace_strict(INTERACTION_WEIGHTS, default=0.0, return_dtype=pl.Float64)
    isrc, idst = dense(interactions["actor_id"]), dense(interactions["author_id"])
    keep = isrc != idst
    rows = np.concatenate([src, isrc[keep]])
    cols = np.concatenate([dst, idst[keep]])
    vals = np.concatenate([np.full(src.size, FOLLOW_WEIGHT), kinds.to_numpy()[keep]])
    weights = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    del rows, cols, vals
    weights.sum_duplicates()
    followers = sp.csr_array((np.ones(src.size, dtype=np.float32), (dst, src)), shape=(n, n))
    followers.sum_duplicates()
    followers.sort_indices()
    return Snapshot(platform, built_at, accounts, ids, src, dst, weights, followers, np.unique(isrc))
