"""Ranking, overlap, audience reports and shortlists, as the API asks for them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

import numpy as np

from graph import repository as repo
from graph.authenticity import credibility, suspicion
from graph.build import Snapshot, build_snapshot
from graph.models import (
    Audience,
    Component,
    FollowerCommunity,
    OverlapCreator,
    OverlapPair,
    OverlapReport,
    RankedCreator,
    Ranking,
    RankingRequest,
    Shortlist,
    ShortlistPick,
    ShortlistRequest,
)
from graph.overlap import incidence, overlap
from graph.ranking import (
    FOLLOWER_SAMPLE,
    AudienceStats,
    audience_stats,
    candidate_pool,
    communities,
    effective_weights,
    follower_communities,
    global_metrics,
    percentiles,
    score,
    topic_rank,
)
from graph.shortlist import Plan, shortlist
from sql import Conn
from sql.errors import NotFoundError, ValidationError

MAX_OVERLAP_IDS = 200
TOP_COMMUNITIES = 5
DEFAULT_WINDOW_DAYS = 90
# Default fee model when a creator's fee is not given: $10 per 1,000 followers, at least $50.
FEE_PER_THOUSAND = Decimal("10")
MIN_FEE = Decimal("50")


class SnapshotCache:
    """One snapshot per org and platform (each org's graph holds only what it may see), rebuilt when
    the stored data changed."""

    def __init__(self) -> None:
        self._snapshots: dict[tuple[UUID | None, str, int], tuple[tuple[object, ...], Snapshot]] = {}
        self._lock = asyncio.Lock()

    async def get(
        self, conn: Conn, org_id: UUID | None, platform: str, window_days: int = DEFAULT_WINDOW_DAYS
    ) -> Snapshot:
        """The graph of follows and of the interactions of the last ``window_days`` (whole UTC days)
        among the accounts ``org_id`` may see (None: the shared public index only)."""
        async with self._lock:
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            mark = (*await repo.fingerprint(conn, org_id, platform), today)
            key = (org_id, platform, window_days)
            cached = self._snapshots.get(key)
            if cached and cached[0] == mark:
                return cached[1]
            frames = await repo.load_frames(conn, org_id, platform, today - timedelta(days=window_days))
            snap = await asyncio.to_thread(build_snapshot, platform, datetime.now(UTC), *frames)
            self._snapshots[key] = (mark, snap)
            return snap


def _check_platform(platform: str) -> None:
    if platform not in ("mastodon", "bluesky"):
        raise ValidationError(f"unknown platform {platform!r}: use mastodon or bluesky", field="platform")


async def _ids(conn: Conn, org_id: UUID | None, platform: str, refs: list[int | str], field: str) -> list[int]:
    ids = [r for r in refs if isinstance(r, int)]
    names = [r for r in refs if isinstance(r, str)]
    found = await repo.resolve(conn, org_id, platform, names) if names else {}
    missing = [n for n in names if n.lower().lstrip("@") not in found]
    known = await repo.existing(conn, org_id, ids) if ids else set()
    missing += [str(i) for i in ids if i not in known]
    if missing:
        raise ValidationError(f"unknown accounts in {field}: {', '.join(missing[:10])}", field=field)
    return ids + list(found.values())


def _validate(req: RankingRequest) -> None:
    _check_platform(req.platform)
    t = req.topic
    if not (t.hashtags or t.keywords or req.target.seed_accounts or req.target.accounts):
        raise ValidationError("give a topic (hashtags or keywords) or a target audience, or both", field="topic")
    if not 1 <= req.limit <= 500:
        raise ValidationError("limit must be between 1 and 500", field="limit")
    if not 10 <= req.pool <= 20_000:
        raise ValidationError("pool must be between 10 and 20000", field="pool")
    if req.weights is not None:
        unknown = set(req.weights) - {"topic_rank", "audience_fit", "authenticity", "engagement_rate", "pagerank"}
        if unknown or any(w < 0 for w in req.weights.values()) or not sum(req.weights.values()) > 0:
            raise ValidationError("weights: known components only, non-negative, not all zero", field="weights")
    if not 1 <= req.window_days <= 3650:
        raise ValidationError("window_days must be between 1 and 3650", field="window_days")
    if not 0 <= req.filters.min_authenticity <= 1:
        raise ValidationError("min_authenticity must be between 0 and 1", field="filters.min_authenticity")


async def _target(conn: Conn, org_id: UUID | None, snap: Snapshot, req: RankingRequest) -> np.ndarray | None:
    """The target audience as a mask: followers of the seed accounts plus the listed accounts."""
    t = req.target
    if not (t.seed_accounts or t.accounts):
        return None
    target = np.zeros(snap.n, dtype=bool)
    seeds = snap.index(await _ids(conn, org_id, req.platform, t.seed_accounts, "target.seed_accounts"))
    for s in seeds[seeds >= 0]:
        target[snap.followers_of(int(s))] = True
    listed = snap.index(await _ids(conn, org_id, req.platform, t.accounts, "target.accounts"))
    target[listed[listed >= 0]] = True
    return target


async def _restart(conn: Conn, org_id: UUID | None, snap: Snapshot, req: RankingRequest) -> np.ndarray | None:
    """topic_rank's restart weights: how often each account posted the topic."""
    tags = [h.lower().lstrip("#") for h in req.topic.hashtags]
    if not (tags or req.topic.keywords):
        return None
    counts = await repo.topic_counts(conn, org_id, req.platform, tags, req.topic.keywords)
    restart = np.zeros(snap.n)
    idx = snap.index(counts["account_id"].to_numpy())
    np.add.at(restart, idx[idx >= 0], counts["n"].to_numpy()[idx >= 0])
    if restart.sum() == 0:
        raise ValidationError("no stored post uses this topic's hashtags or keywords", field="topic")
    return restart


async def rank(conn: Conn, cache: SnapshotCache, org_id: UUID | None, req: RankingRequest) -> Ranking:
    ranking, _, _ = await rank_with_target(conn, cache, org_id, req)
    return ranking


async def rank_with_target(
    conn: Conn, cache: SnapshotCache, org_id: UUID | None, req: RankingRequest
) -> tuple[Ranking, Snapshot, np.ndarray | None]:
    _validate(req)
    snap = await cache.get(conn, org_id, req.platform, req.window_days)
    restart = await _restart(conn, org_id, snap, req)
    target = await _target(conn, org_id, snap, req)
    weights = effective_weights(req.weights, restart is not None, target is not None)
    candidates, topic, stats = await asyncio.to_thread(_prepare, snap, restart, target, req)
    ids = snap.ids[candidates].tolist()
    since = datetime.now(UTC) - timedelta(days=req.window_days)
    engagement = await repo.engagement(conn, ids, since)
    names = await repo.handles(conn, org_id, ids)
    ranking = await asyncio.to_thread(_finish, snap, req, weights, candidates, topic, stats, engagement, names, target)
    return ranking, snap, target


def _prepare(
    snap: Snapshot, restart: np.ndarray | None, target: np.ndarray | None, req: RankingRequest
) -> tuple[np.ndarray, np.ndarray | None, AudienceStats]:
    g = global_metrics(snap)
    topic = topic_rank(snap, restart) if restart is not None else None
    order = topic if topic is not None else g.pagerank
    candidates = candidate_pool(snap, order, req.filters, req.pool)
    return candidates, topic, audience_stats(snap, candidates, target)


def _finish(
    snap: Snapshot,
    req: RankingRequest,
    weights: dict[str, float],
    candidates: np.ndarray,
    topic: np.ndarray | None,
    stats: AudienceStats,
    engagement: dict[int, tuple[float, int]],
    names: dict[int, dict[str, object]],
    target: np.ndarray | None,
) -> Ranking:
    g = global_metrics(snap)
    ids = snap.ids[candidates]
    reported = snap.accounts["followers_count"].to_numpy()[candidates].astype(float)
    med = np.array([engagement.get(int(i), (np.nan, 0))[0] for i in ids])
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(reported > 0, med / reported, np.nan)
    raw = {
        "topic_rank": topic[candidates] if topic is not None else np.full(candidates.size, np.nan),
        "audience_fit": stats.fit,
        "authenticity": stats.authenticity,
        "engagement_rate": rate,
        "pagerank": g.pagerank[candidates],
    }
    keep = stats.authenticity >= req.filters.min_authenticity
    pct = {k: np.zeros(0) for k in raw}
    raw = {k: v[keep] for k, v in raw.items()}
    for k, v in raw.items():
        pct[k] = percentiles(v)
    totals = score(raw, weights)
    order = np.argsort(-totals, kind="stable")[: req.limit]
    chosen = candidates[keep][order]
    labels = communities(snap, chosen)
    creators = []
    kept = np.flatnonzero(keep)
    for rank_, (pos, label) in enumerate(zip(order, labels, strict=True), start=1):
        i = int(kept[pos])
        account_id = int(ids[i])
        info = names.get(account_id, {})

        def num(x: float) -> float | None:
            return None if np.isnan(x) else float(x)

        creators.append(
            RankedCreator(
                rank=rank_,
                account_id=account_id,
                handle=str(info.get("handle", "")),
                followers_count=info.get("followers_count"),  # type: ignore[arg-type]
                score=round(float(totals[pos]), 4),
                components={
                    k: Component(raw=num(float(raw[k][pos])), percentile=round(float(pct[k][pos]), 2)) for k in raw
                },
                authenticity_low=round(float(stats.low[i]), 4),
                authenticity_high=round(float(stats.high[i]), 4),
                sample_size=int(stats.followers[i]),
                reachability=num(float(stats.reachability[i])),
                target_coverage=num(float(stats.coverage[i])),
                in_degree=int(g.in_degree[candidates[i]]),
                core_number=int(g.core[candidates[i]]),
                community=int(label),
            )
        )
    return Ranking(
        platform=req.platform,
        snapshot_built_at=snap.built_at,
        accounts_in_graph=snap.n,
        edges_in_graph=int(snap.weights.nnz),
        candidates_considered=int(keep.sum()),
        target_size=int(target.sum()) if target is not None else 0,
        weights=weights,
        creators=creators,
    )


async def overlap_report(
    conn: Conn, cache: SnapshotCache, org_id: UUID | None, account_ids: list[int]
) -> OverlapReport:
    if not 2 <= len(set(account_ids)) <= MAX_OVERLAP_IDS:
        raise ValidationError(f"give between 2 and {MAX_OVERLAP_IDS} distinct account ids", field="account_ids")
    ids = list(dict.fromkeys(account_ids))
    names = await repo.handles(conn, org_id, ids)
    missing = [i for i in ids if i not in names]
    if missing:
        raise ValidationError(f"unknown account ids: {missing[:10]}", field="account_ids")
    platforms = {str(names[i]["platform"]) for i in ids}
    if len(platforms) > 1:
        raise ValidationError("all accounts must be on one platform", field="account_ids")
    snap = await cache.get(conn, org_id, platforms.pop())
    dense = snap.index(ids)
    result = await asyncio.to_thread(lambda: overlap(incidence(snap, np.where(dense >= 0, dense, 0))))
    sizes = np.where(dense >= 0, result.sizes, 0)
    creators = [
        OverlapCreator(
            account_id=i,
            handle=str(names[i]["handle"]),
            audience=int(sizes[k]),
            unique=int(result.unique[k]) if dense[k] >= 0 else 0,
            unique_share=round(float(result.unique[k] / sizes[k]), 6) if sizes[k] else 0.0,
        )
        for k, i in enumerate(ids)
    ]
    jac = result.jaccard
    pairs = [
        OverlapPair(a=ids[x], b=ids[y], shared=int(result.shared[x, y]), jaccard=round(float(jac[x, y]), 6))
        for x in range(len(ids))
        for y in range(x + 1, len(ids))
    ]
    return OverlapReport(
        creators=creators, pairs=pairs, union=result.union, expected_frequency=round(result.expected_frequency, 6)
    )


async def audience(conn: Conn, cache: SnapshotCache, org_id: UUID | None, account_id: int) -> Audience:
    info = (await repo.handles(conn, org_id, [account_id])).get(account_id)
    if info is None:
        raise NotFoundError(f"account {account_id} not found")
    snap = await cache.get(conn, org_id, str(info["platform"]))
    i = int(snap.index([account_id])[0])
    c = await asyncio.to_thread(credibility, snap, i)
    groups = (await asyncio.to_thread(follower_communities, snap, i))[:TOP_COMMUNITIES]
    members = [(k, int(a)) for k, g in enumerate(groups) for a in snap.ids[g]]
    tags = await repo.community_hashtags(conn, members)
    sampled = max(min(int(snap.followers_of(i).size), FOLLOWER_SAMPLE), 1)
    communities = [
        FollowerCommunity(
            community=k, followers=int(g.size), share=round(g.size / sampled, 4), top_hashtags=tags.get(k, [])
        )
        for k, g in enumerate(groups)
    ]
    return Audience(
        account_id=account_id,
        handle=str(info["handle"]),
        followers_stored=int(snap.followers_of(i).size),
        sample_size=c.sample_size,
        authenticity=round(c.authenticity, 6),
        authenticity_low=round(c.low, 6),
        authenticity_high=round(c.high, 6),
        reachability=c.reachability,
        suspect_reasons=c.reasons,
        top_hashtags=await repo.follower_hashtags(conn, org_id, account_id),
        communities=communities,
    )


def default_fee(followers: int | None) -> Decimal:
    fee = Decimal(followers or 0) * FEE_PER_THOUSAND / Decimal(1000)
    return max(MIN_FEE, fee).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def make_shortlist(conn: Conn, cache: SnapshotCache, org_id: UUID, req: ShortlistRequest) -> Shortlist:
    if req.budget <= 0:
        raise ValidationError("budget must be positive", field="budget")
    if not 1 <= req.k <= 100:
        raise ValidationError("k must be between 1 and 100", field="k")
    if not 1 <= req.candidates <= 500:
        raise ValidationError("candidates must be between 1 and 500", field="candidates")
    for key, fee in req.fees.items():
        if not key.isdigit() or fee < 0:
            raise ValidationError("fees: account id -> non-negative amount", field="fees")
    ranking_req = RankingRequest(
        **{**{f: getattr(req.ranking, f) for f in req.ranking.__struct_fields__}, "limit": req.candidates}
    )
    ranking, snap, target = await rank_with_target(conn, cache, org_id, ranking_req)
    fees = [req.fees.get(str(c.account_id), default_fee(c.followers_count)) for c in ranking.creators]
    if not ranking.creators or min(fees) > req.budget:
        raise ValidationError("the budget is below every candidate's fee", field="budget")
    plan, baseline = await asyncio.to_thread(_plan, snap, ranking, fees, req, target)
    picks = [
        ShortlistPick(
            account_id=ranking.creators[p.index].account_id,
            handle=ranking.creators[p.index].handle,
            fee=p.fee,
            marginal_reach=p.marginal,
            score=ranking.creators[p.index].score,
            community=ranking.creators[p.index].community,
        )
        for p in plan.picks
    ]
    return await repo.save_shortlist(
        conn, org_id, req.ranking.platform, req, req.budget, plan.fee, plan.reach, plan.method, picks, baseline
    )


def _plan(
    snap: Snapshot, ranking: Ranking, fees: list[Decimal], req: ShortlistRequest, target: np.ndarray | None
) -> tuple[Plan, int]:
    """The CELF plan, and the reach of simply taking creators in score order within the budget."""
    reachable = ~suspicion(snap).suspect
    if target is not None:
        reachable &= target  # reach counts credible target-audience followers only
    dense = snap.index([c.account_id for c in ranking.creators])
    audiences = [snap.followers_of(int(d))[reachable[snap.followers_of(int(d))]] for d in dense]
    plan = shortlist(audiences, fees, req.budget, req.k, [c.community for c in ranking.creators], req.max_per_community)
    covered: set[int] = set()
    spent, chosen = Decimal(0), 0
    for a, f in zip(audiences, fees, strict=True):
        if chosen < req.k and spent + f <= req.budget:
            covered.update(a.tolist())
            spent += f
            chosen += 1
    return plan, len(covered)
