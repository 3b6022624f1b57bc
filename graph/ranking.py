"""Ranking arithmetic: candidate pool, audience metrics, percentiles, weighted score, communities.

Pure functions over a snapshot; the service runs them in a thread, away from the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

from graph.authenticity import MASS_FOLLOWING, suspicion, wilson
from graph.build import Snapshot
from graph.centrality import core_numbers, pagerank, transition
from graph.models import DEFAULT_WEIGHTS, Filters
from graph.overlap import incidence

COMMUNITY_MIN_JACCARD = 0.01


@dataclass
class Globals:
    pagerank: np.ndarray
    in_degree: np.ndarray
    core: np.ndarray


def global_metrics(snap: Snapshot) -> Globals:
    if "globals" not in snap.cache:
        prepared = transition(snap.weights)
        snap.cache["prepared"] = prepared
        snap.cache["globals"] = Globals(
            pagerank=pagerank(snap.weights, prepared=prepared),
            in_degree=np.bincount(snap.follow_dst, minlength=snap.n),
            core=core_numbers(snap.follow_src, snap.follow_dst, snap.n),
        )
    result: Globals = snap.cache["globals"]
    return result


def topic_rank(snap: Snapshot, restart: np.ndarray) -> np.ndarray:
    global_metrics(snap)
    return pagerank(snap.weights, personalization=restart, prepared=snap.cache["prepared"])


def candidate_pool(snap: Snapshot, order_by: np.ndarray, filters: Filters, size: int) -> np.ndarray:
    """The ``size`` best eligible accounts by ``order_by``: not opted out, not farm members, in range."""
    a = snap.accounts
    followers = a["followers_count"].fill_null(0).to_numpy()
    eligible = ~a["opted_out"].to_numpy() & ~suspicion(snap).farm_member & (followers >= filters.min_followers)
    eligible &= np.diff(snap.followers.indptr) > 0
    if filters.max_followers is not None:
        eligible &= followers <= filters.max_followers
    idx = np.flatnonzero(eligible)
    best = idx[np.argsort(-order_by[idx], kind="stable")[:size]]
    return best


@dataclass
class AudienceStats:
    followers: np.ndarray  # stored followers per candidate
    credible: np.ndarray
    authenticity: np.ndarray
    low: np.ndarray
    high: np.ndarray
    reachability: np.ndarray  # NaN when no follower has a known following count
    fit: np.ndarray  # NaN without a target
    coverage: np.ndarray


def audience_stats(snap: Snapshot, candidates: np.ndarray, target: np.ndarray | None) -> AudienceStats:
    b = incidence(snap, candidates)
    s = suspicion(snap)
    credible_mask = (~s.suspect).astype(np.float32)
    followers = np.asarray(b.sum(axis=1)).ravel()
    credible = b @ credible_mask
    following = snap.accounts["following_count"].to_numpy()
    known = ~np.isnan(following.astype(float))
    reachable = b @ (known & (np.nan_to_num(following.astype(float)) < MASS_FOLLOWING)).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        authenticity = np.where(followers > 0, credible / followers, 0.0)
        reach = reachable / (b @ known.astype(np.float32))
        if target is None:
            fit = coverage = np.full(candidates.size, np.nan)
        else:
            in_target = b @ (credible_mask * target.astype(np.float32))
            fit = np.where(credible > 0, in_target / credible, 0.0)
            coverage = in_target / max(int(target.sum()), 1)
    intervals = [wilson(int(c), int(n)) for c, n in zip(credible, followers, strict=True)]
    low = np.array([i[0] for i in intervals])
    high = np.array([i[1] for i in intervals])
    return AudienceStats(followers, credible, authenticity, low, high, reach, fit, coverage)


def percentiles(values: np.ndarray) -> np.ndarray:
    """Percentile rank 0-100 among the candidates (ties averaged); missing values rank lowest."""
    v = np.where(np.isnan(values), -np.inf, values)
    if v.size == 0:
        return v
    return np.asarray((rankdata(v, method="average") - 1) / max(v.size - 1, 1) * 100, dtype=np.float64)


def effective_weights(requested: dict[str, float] | None, has_topic: bool, has_target: bool) -> dict[str, float]:
    weights = dict(DEFAULT_WEIGHTS if requested is None else requested)
    if not has_topic:
        weights.pop("topic_rank", None)
    if not has_target:
        weights.pop("audience_fit", None)
    total = sum(weights.values())
    return {k: round(v / total, 6) for k, v in weights.items()} if total > 0 else weights


def score(components: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    n = next(iter(components.values())).size if components else 0
    total = np.zeros(n)
    for name, w in weights.items():
        total += w * percentiles(components[name])
    return total


def communities(snap: Snapshot, candidates: np.ndarray) -> np.ndarray:
    """Communities among candidates: Louvain on the graph of audience overlap (Jaccard)."""
    if candidates.size == 0:
        return np.zeros(0, dtype=np.int64)
    b = incidence(snap, candidates)
    shared = sp.coo_array(sp.triu(b @ b.T, k=1))
    sizes = np.asarray(b.sum(axis=1)).ravel()
    jac = shared.data / (sizes[shared.row] + sizes[shared.col] - shared.data)
    g = nx.Graph()
    g.add_nodes_from(range(candidates.size))
    keep = jac >= COMMUNITY_MIN_JACCARD
    g.add_weighted_edges_from(
        zip(shared.row[keep].tolist(), shared.col[keep].tolist(), jac[keep].tolist(), strict=True)
    )
    labels = np.zeros(candidates.size, dtype=np.int64)
    groups = nx.community.louvain_communities(g, weight="weight", seed=0)
    for label, members in enumerate(sorted(groups, key=lambda m: (-len(m), min(m)))):
        labels[list(members)] = label
    return labels


FOLLOWER_SAMPLE = 2000


def follower_communities(snap: Snapshot, i: int, sample: int = FOLLOWER_SAMPLE) -> list[np.ndarray]:
    """Communities among an account's followers (a deterministic sample): Louvain on the follows
    between them, largest first. Followers following none of the others form no community."""
    from graph.authenticity import follower_sample

    members = follower_sample(snap.followers_of(i), sample, seed=int(snap.ids[i]))
    inside = np.zeros(snap.n, dtype=bool)
    inside[members] = True
    keep = inside[snap.follow_src] & inside[snap.follow_dst]
    g = nx.Graph()
    g.add_edges_from(zip(snap.follow_src[keep].tolist(), snap.follow_dst[keep].tolist(), strict=True))
    groups = nx.community.louvain_communities(g, seed=0) if g.number_of_edges() else []
    ordered = sorted((sorted(c) for c in groups if len(c) > 1), key=lambda c: (-len(c), c[0]))
    return [np.asarray(c, dtype=np.int64) for c in ordered]
