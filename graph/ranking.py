"""Ranking arithmetic: candidate pool, audience metrics, percentiles, weighted score, communities.

Pure functions over a snapshot; the service runs them in a thread, away from the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

from graph.authenticity import MASS_FOLLOWING, bought, suspicion, wilson
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


BOT_LIKE = ("default_profile", "new_high_following", "farm_member")
FOLLOW_SPAM_RATIO = 10  # a mass follower (over MASS_FOLLOWING) following this many times its followers or more


def eligibility(
    snap: Snapshot, filters: Filters, excluded: np.ndarray, topical: np.ndarray | None
) -> tuple[np.ndarray, dict[str, int]]:
    """Which accounts may be candidates, and how many were left out for each reason.

    Never: the target's seeds and the ``exclude`` list, opted-out accounts, accounts that look like
    bots themselves, accounts with more than ``max_bought_share`` of their followers fake, with a
    block of fake followers far beyond farms' cover (``bought_blocks``) or a share of inactive followers
    standing out among peers' (``inactive_outliers``), hidden follower lists when asked, accounts without a
    stored topical post when a topic is given, accounts with no follower at all, and accounts
    outside the follower range. Counts are among the topic's posters (all accounts without a topic).
    """
    a = snap.accounts
    s = suspicion(snap)
    followers = a["followers_count"].fill_null(0).to_numpy()
    stored = np.diff(snap.followers.indptr)
    b = bought(snap)
    in_range = followers >= filters.min_followers
    if filters.max_followers is not None:
        in_range &= followers <= filters.max_followers
    seed = np.zeros(snap.n, dtype=bool)
    seed[excluded] = True
    # Follow-for-follow: mass following with few following back is how spam accounts grow, dressed or not.
    following = a["following_count"].fill_null(0).to_numpy()
    known = a["followers_count"].is_not_null().to_numpy()
    follow_spam = s.reasons["mass_following"] & known & (followers * FOLLOW_SPAM_RATIO <= following)
    reasons = {
        "seed_or_excluded": seed,
        "opted_out": a["opted_out"].to_numpy().astype(bool),
        "bot_like": np.logical_or.reduce([s.reasons[r] for r in BOT_LIKE]) | follow_spam,
        "bought_followers": (b.share > filters.max_bought_share) | b.block | b.dressed,
        "no_followers": (stored == 0) & (followers == 0),
        "follower_range": ~in_range,
        # A hidden follower list (none stored, some reported), when the request wants none (see scoring).
        "hidden_followers": (stored == 0) & (followers > 0) & (filters.hidden_followers == "none"),
    }
    relevant = topical if topical is not None else np.ones(snap.n, dtype=bool)
    ok = relevant.copy()
    counts: dict[str, int] = {}
    for reason, mask in reasons.items():
        counts[reason] = int((ok & mask).sum())
        ok &= ~mask
    return ok, counts


def candidate_pool(
    snap: Snapshot, eligible: np.ndarray, reach_mask: np.ndarray, tie: np.ndarray, size: int
) -> np.ndarray:
    """The ``size`` eligible accounts with the most credible target followers (``reach_mask``), ties by ``tie``."""
    idx = np.flatnonzero(eligible)
    reachable = np.asarray(snap.followers[idx] @ reach_mask.astype(np.float32)).ravel()
    # A hidden follower list: as many as its reported followers would hold at the graph's average share.
    hidden = np.diff(snap.followers.indptr)[idx] == 0
    reported = snap.accounts["followers_count"].fill_null(0).to_numpy()[idx]
    reachable = np.where(hidden, reported * float(reach_mask.mean()) if reach_mask.size else 0.0, reachable)
    best: np.ndarray = idx[np.lexsort((-tie[idx], -reachable))[:size]]
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
    in_target: np.ndarray  # credible stored followers inside the target (all credible ones without a target)


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
            in_target = credible
        else:
            in_target = b @ (credible_mask * target.astype(np.float32))
            fit = np.where(credible > 0, in_target / credible, 0.0)
            coverage = in_target / max(int(target.sum()), 1)
    intervals = [wilson(int(c), int(n)) for c, n in zip(credible, followers, strict=True)]
    low = np.array([i[0] for i in intervals])
    high = np.array([i[1] for i in intervals])
    return AudienceStats(followers, credible, authenticity, low, high, reach, fit, coverage, in_target)


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
