"""Lookalike creators: similar credible audiences, similar content, or similar content with new reach.

Shared audiences are exact: one sparse matrix-vector product over the snapshot's credible follower
matrix counts every candidate's followers in common with the seed creator at once (O(memberships);
~0.1 s per 10 million memberships here), so no sketch is needed at the sizes one machine holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from graph.authenticity import suspicion
from graph.build import Snapshot

MODES = ("audience", "content", "complementary")
MIN_AUDIENCE = 5


@dataclass
class AudienceMatrix:
    """Row v: v's credible followers (suspects' memberships dropped), and each row's size."""

    followers: sp.csr_array
    sizes: np.ndarray


def audience_matrix(snap: Snapshot) -> AudienceMatrix:
    if "lookalike_audience" not in snap.cache:
        credible = (~suspicion(snap).suspect).astype(np.float32)
        f = sp.csr_array(snap.followers @ sp.diags_array(credible))
        f.eliminate_zeros()
        snap.cache["lookalike_audience"] = AudienceMatrix(f, np.diff(f.indptr))
    result: AudienceMatrix = snap.cache["lookalike_audience"]
    return result


def content_matrix(snap: Snapshot, counts: pl.DataFrame) -> sp.csr_array:
    """Rows: accounts (dense index); columns: hashtags; TF-IDF (sublinear tf), rows L2-normalised."""
    idx = snap.index(counts["account_id"].to_numpy())
    keep = idx >= 0
    tags, col = np.unique(counts["tag"].to_numpy()[keep], return_inverse=True)
    tf = 1.0 + np.log(np.maximum(counts["n"].to_numpy()[keep], 1.0))
    m = sp.csr_array((tf, (idx[keep], col)), shape=(snap.n, max(tags.size, 1)))
    df = np.bincount(col, minlength=max(tags.size, 1))
    idf = np.log((1.0 + snap.n) / (1.0 + df)) + 1.0
    m = sp.csr_array(m @ sp.diags_array(idf))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    m = sp.csr_array(sp.diags_array(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ m)
    return m


@dataclass
class Scored:
    candidates: np.ndarray  # dense indices, best first
    similarity: np.ndarray
    jaccard: np.ndarray
    content: np.ndarray
    audience: np.ndarray
    shared: np.ndarray


def eligible(snap: Snapshot, seed: int, am: AudienceMatrix) -> np.ndarray:
    """Candidates: not opted out, not suspect themselves, at least MIN_AUDIENCE credible followers."""
    if "lookalike_eligible" not in snap.cache:
        ok = ~snap.accounts["opted_out"].to_numpy() & ~suspicion(snap).suspect & (am.sizes >= MIN_AUDIENCE)
        snap.cache["lookalike_eligible"] = np.flatnonzero(ok)
    cands: np.ndarray = snap.cache["lookalike_eligible"]
    others: np.ndarray = cands[cands != seed]
    return others


def score(snap: Snapshot, seed: int, mode: str, content: sp.csr_array, limit: int) -> tuple[Scored, int]:
    """The ``limit`` best candidates for ``mode``, and how many were considered."""
    am = audience_matrix(snap)
    cands = eligible(snap, seed, am)
    seed_followers = np.zeros(snap.n, dtype=np.float32)
    seed_followers[am.followers.indices[am.followers.indptr[seed] : am.followers.indptr[seed + 1]]] = 1.0
    shared_all = am.followers @ seed_followers
    shared = shared_all[cands].astype(np.int64)
    sizes = am.sizes[cands].astype(np.int64)
    seed_size = int(am.sizes[seed])
    union = sizes + seed_size - shared
    jaccard = np.divide(shared, union, out=np.zeros(cands.size), where=union > 0)
    seed_tags = np.zeros(content.shape[1], dtype=np.float64)
    lo, hi = content.indptr[seed], content.indptr[seed + 1]
    seed_tags[content.indices[lo:hi]] = content.data[lo:hi]
    content_sim = (content @ seed_tags)[cands] if hi > lo else np.zeros(cands.size)
    if mode == "audience":
        similarity = jaccard
    elif mode == "content":
        similarity = content_sim
    else:  # complementary: similar content, audience the seed does not have yet
        similarity = content_sim * (1.0 - np.divide(shared, sizes, out=np.zeros(cands.size), where=sizes > 0))
    positive = np.flatnonzero(similarity > 0)
    if positive.size > limit:  # a partial sort: only the best ``limit`` are ordered
        positive = positive[np.argpartition(-similarity[positive], limit - 1)[:limit]]
    top = positive[np.lexsort((cands[positive], -similarity[positive]))]
    scored = Scored(cands[top], similarity[top], jaccard[top], content_sim[top], sizes[top], shared[top])
    return scored, int(cands.size)
