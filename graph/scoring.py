"""From a snapshot and what is stored about the candidates to the ranked answer.

Pure functions; the service runs them in a thread. ``prepare`` picks the candidate pool,
``finish`` estimates each candidate's expected reach, sorts by the objective and explains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

from graph import engine
from graph import objective as obj
from graph.authenticity import suspicion
from graph.build import Snapshot
from graph.models import COMPONENTS, Component, ExpectedReach, RankedCreator, Ranking, RankingRequest
from graph.ranking import (
    AudienceStats,
    candidate_pool,
    communities,
    effective_weights,
    eligibility,
    global_metrics,
    percentiles,
    score,
)
from graph.reach import HIDDEN_MIN_ENGAGED, Estimate, estimate, post_stats, readable, sample_scale
from graph.shortlist import Coverage, unique_order


@dataclass
class Pool:
    candidates: np.ndarray  # dense indices
    topic: np.ndarray | None  # topic_rank of every account
    stats: AudienceStats
    target: np.ndarray | None
    excluded: dict[str, int]


@dataclass
class Evidence:
    posts: tuple[pl.DataFrame, pl.DataFrame]  # candidates' posts in the window, and the interactions on them
    bots: set[int]
    engagement: dict[int, tuple[float, int]]  # median engagements and posts, per account id
    names: dict[int, dict[str, Any]]


@dataclass
class Ranked:
    ranking: Ranking
    snap: Snapshot
    target: np.ndarray | None
    candidates: np.ndarray  # dense indices, in ranking order (as many as ranking.creators)
    estimate: Estimate  # in the same order


def reach_mask(snap: Snapshot, target: np.ndarray | None) -> np.ndarray:
    """Accounts whose reach counts: credible ones, inside the target when there is one."""
    credible = suspicion(snap).audience
    return credible & target if target is not None else credible


def prepare(
    snap: Snapshot, restart: np.ndarray | None, target: np.ndarray | None, never: np.ndarray, req: RankingRequest
) -> Pool:
    g = global_metrics(snap)
    topic = engine.topic_rank(snap, restart) if restart is not None else None
    eligible, excluded = eligibility(snap, req.filters, never, restart > 0 if restart is not None else None)
    tie = topic if topic is not None else g.pagerank
    candidates = candidate_pool(snap, eligible, reach_mask(snap, target), tie, req.pool)
    return Pool(candidates, topic, engine.audience_stats(snap, candidates, target), target, excluded)


def subset_pool(pool: Pool, keep: np.ndarray) -> Pool:
    """The pool without the candidates ``keep`` leaves out (an audience filter), counted as excluded."""
    st = pool.stats
    stats = AudienceStats(**{f: getattr(st, f)[keep] for f in st.__dataclass_fields__})
    excluded = {**pool.excluded, "audience_filter": int((~keep).sum())}
    return Pool(pool.candidates[keep], pool.topic, stats, pool.target, excluded)


def finish(
    snap: Snapshot,
    req: RankingRequest,
    pool: Pool,
    ev: Evidence,
    fee_model: Callable[[int | None], Decimal],
) -> Ranked:
    g = global_metrics(snap)
    cand, st = pool.candidates, pool.stats
    ids = snap.ids[cand]
    posts = post_stats(snap.ids, ids, suspicion(snap).audience, *ev.posts)
    reported = snap.accounts["followers_count"].to_numpy()[cand].astype(float)
    # Accounts that only repost others (no original post stored in the window) and declared bots are no creators.
    posted = posts.posts > 0
    bot = np.array([int(i) in ev.bots for i in ids], dtype=bool)
    credible_enough = st.authenticity >= req.filters.min_authenticity
    mask = reach_mask(snap, pool.target)
    target_size = int(pool.target.sum()) if pool.target is not None else int(mask.sum())
    credible = suspicion(snap).audience
    est = estimate(snap.followers, cand, credible, mask, sample_scale(st.followers, reported), posts, reported)
    # A hidden follower list hides bought followers too: asked for ("engaged"), it stays only when its engagement
    # vouches for its reported audience (engagement alone cannot tell a little bought from a less engaging creator).
    # (``"none"`` left them out of the pool already: ranking.eligibility.)
    engaged_only = req.filters.hidden_followers == "engaged"
    unverified = est.hidden & engaged_only & ~(est.engaged_low >= HIDDEN_MIN_ENGAGED)
    reasons = {
        "only_reposts": ~posted,
        "declared_bot": bot,
        "min_authenticity": ~credible_enough,
        "unverified_audience": unverified,
    }
    keep = np.ones(cand.size, dtype=bool)
    excluded = dict(pool.excluded)
    for reason, left_out in reasons.items():
        excluded[reason] = int((keep & left_out).sum())
        keep &= ~left_out
    med = np.array([ev.engagement.get(int(i), (np.nan, 0))[0] for i in ids])
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(reported > 0, med / reported, np.nan)
    raw = {
        "reach": est.reach,
        "topic_rank": pool.topic[cand] if pool.topic is not None else np.full(cand.size, np.nan),
        "audience_fit": st.fit,
        "authenticity": st.authenticity,
        "engagement_rate": rate,
        "pagerank": g.pagerank[cand],
    }
    raw = {name: v[keep] for name, v in raw.items()}
    pct = {name: percentiles(v) for name, v in raw.items()}
    objective = obj.resolve(req.objective, req.weights)
    weights = effective_weights(req.weights, pool.topic is not None, pool.target is not None)
    fees = [req.fees.get(str(int(i)), fee_model(ev.names.get(int(i), {}).get("followers_count"))) for i in ids]
    kept = np.flatnonzero(keep)
    kept_fees = [fees[i] for i in kept]
    custom = score(raw, weights) if raw["reach"].size else raw["reach"]
    values = obj.values(objective, _subset(est, kept), kept_fees, custom)
    if objective in ("reach", "efficiency"):
        # A list is read as a set: each creator is ranked by what it adds to those above it, counted at
        # what its interval is sure of, so an uncertain small audience does not pass for a fresh one.
        sub = _subset(est, kept)
        costs = np.ones(kept.size) if objective == "reach" else np.maximum([float(f) for f in kept_fees], 0.01) / 100
        order, values_in_order = unique_order(sure(sub), costs, req.limit)
        values = np.zeros(kept.size)
        values[order] = values_in_order
    else:
        order = np.lexsort((-raw["reach"], -values))[: req.limit]
    chosen = kept[order]
    labels = communities(snap, cand[chosen])
    shown_size = target_size if pool.target is not None else None
    creators = []
    for rank_, (pos, label) in enumerate(zip(order, labels, strict=True), start=1):
        i = int(kept[pos])
        info = ev.names.get(int(ids[i]), {})
        creators.append(
            RankedCreator(
                rank=rank_,
                account_id=int(ids[i]),
                handle=str(info.get("handle", "")),
                followers_count=info.get("followers_count"),
                score=round(float(values[pos]), 4),
                expected_reach=_expected(est, posts.topical_posts, posts.topical_engagements, i, shown_size),
                fee=fees[i],
                components={
                    name: Component(raw=_num(float(raw[name][pos])), percentile=round(float(pct[name][pos]), 2))
                    for name in COMPONENTS
                },
                authenticity_low=round(float(st.low[i]), 4),
                authenticity_high=round(float(st.high[i]), 4),
                sample_size=int(st.followers[i]),
                reachability=_num(float(st.reachability[i])),
                target_coverage=_num(float(st.coverage[i])),
                in_degree=int(g.in_degree[cand[i]]),
                core_number=int(g.core[cand[i]]),
                community=int(label),
            )
        )
    ranking = Ranking(
        platform=req.platform,
        snapshot_built_at=snap.built_at,
        accounts_in_graph=snap.n,
        edges_in_graph=int(snap.weights.nnz),
        candidates_considered=int(keep.sum()),
        target_size=int(pool.target.sum()) if pool.target is not None else 0,
        objective=objective,
        formula=obj.formula(objective),
        weights=weights if objective == "custom" else {},
        excluded=excluded,
        creators=creators,
    )
    return Ranked(ranking, snap, pool.target, cand[chosen], _subset(est, chosen))


def coverage(est: Estimate) -> Coverage:
    """What a set of these creators reaches together: each stored target follower with its chance of seeing
    the post; reposts, and candidates whose follower list is hidden, count as their own."""
    seen = est.seen
    hidden = np.diff(seen.indptr) == 0
    rows = [slice(seen.indptr[i], seen.indptr[i + 1]) for i in range(seen.shape[0])]
    return Coverage(
        [seen.indices[r] for r in rows],
        [seen.data[r] for r in rows],
        est.scale,
        np.where(hidden, est.reach, est.second_hop),
    )


def sure(est: Estimate) -> Coverage:
    """The coverage of ``coverage``, each creator scaled down to its interval's lower end."""
    cover = coverage(est)
    share = np.divide(est.low, est.reach, out=np.zeros(est.reach.size), where=est.reach > 0)
    return Coverage(
        cover.audiences, [p * s for p, s in zip(cover.probs, share, strict=True)], cover.scales, cover.extra * share
    )


def _num(x: float) -> float | None:
    return None if np.isnan(x) else x


def _subset(est: Estimate, rows: np.ndarray) -> Estimate:
    return Estimate(**{f: getattr(est, f)[rows] for f in est.__dataclass_fields__})


def _expected(
    est: Estimate, topical: np.ndarray, engaged: np.ndarray, i: int, target_size: int | None
) -> ExpectedReach:
    return ExpectedReach(
        value=round(float(est.reach[i]), 1),
        low=round(float(est.low[i]), 1),
        high=round(float(est.high[i]), 1),
        text=readable(float(est.reach[i]), float(est.low[i]), float(est.high[i]), target_size),
        target_followers=round(float(est.target_followers[i]), 1),
        view_probability=round(float(est.view[i]), 4),
        engagement_rate=round(float(est.rate[i]), 6),
        first_hop=round(float(est.first_hop[i]), 1),
        second_hop=round(float(est.second_hop[i]), 1),
        expected_engagements=round(float(est.engagements[i]), 2),
        topical_posts=int(topical[i]),
        engagements_observed=int(engaged[i]),
    )
