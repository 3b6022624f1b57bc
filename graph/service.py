"""Ranking, overlap, audience reports and shortlists, as the API asks for them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

import numpy as np

from audience import service as audience_segments
from graph import engine
from graph import repository as repo
from graph.authenticity import credibility
from graph.build import Snapshot
from graph.models import (
    COMPONENTS,
    Audience,
    FollowerCommunity,
    OverlapCreator,
    OverlapPair,
    OverlapReport,
    Ranking,
    RankingRequest,
    Shortlist,
    ShortlistPick,
    ShortlistRequest,
)
from graph.overlap import incidence, overlap
from graph.ranking import FOLLOWER_SAMPLE, follower_communities
from graph.scoring import Evidence, Ranked, coverage, finish, prepare, subset_pool
from graph.shortlist import Plan, shortlist
from graph.snapshots import SnapshotCache as SnapshotCache  # re-exported: callers build the cache from here
from sql import Conn
from sql.errors import NotFoundError, ValidationError

MAX_OVERLAP_IDS = 200
TOP_COMMUNITIES = 5
# Default fee model when a creator's fee is not given: $10 per 1,000 followers, at least $50.
FEE_PER_THOUSAND = Decimal("10")
MIN_FEE = Decimal("50")


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
    if not (t.hashtags or t.keywords or req.target.seed_accounts or req.target.accounts or req.target.segment):
        raise ValidationError("give a topic (hashtags or keywords) or a target audience, or both", field="topic")
    if not 1 <= req.limit <= 500:
        raise ValidationError("limit must be between 1 and 500", field="limit")
    if not 10 <= req.pool <= 20_000:
        raise ValidationError("pool must be between 10 and 20000", field="pool")
    if req.weights is not None:
        unknown = set(req.weights) - set(COMPONENTS)
        if unknown or any(w < 0 for w in req.weights.values()) or not sum(req.weights.values()) > 0:
            raise ValidationError("weights: known components only, non-negative, not all zero", field="weights")
    if not 1 <= req.window_days <= 3650:
        raise ValidationError("window_days must be between 1 and 3650", field="window_days")
    if not 0 <= req.filters.min_authenticity <= 1:
        raise ValidationError("min_authenticity must be between 0 and 1", field="filters.min_authenticity")
    if not 0 <= req.filters.max_bought_share <= 1:
        raise ValidationError("max_bought_share must be between 0 and 1", field="filters.max_bought_share")
    for key, fee in req.fees.items():
        if not key.isdigit() or fee < 0:
            raise ValidationError("fees: account id -> non-negative amount", field="fees")


async def _target(
    conn: Conn, org_id: UUID | None, snap: Snapshot, req: RankingRequest
) -> tuple[np.ndarray | None, np.ndarray]:
    """The target audience as a mask (followers of the seed accounts plus the listed accounts), and the
    dense indices of accounts that are never candidates (the seeds and the ``exclude`` lists)."""
    t = req.target
    seeds = snap.index(await _ids(conn, org_id, req.platform, t.seed_accounts, "target.seed_accounts"))
    seeds = seeds[seeds >= 0]
    excluded = [seeds]
    for refs, field in ((req.exclude, "exclude"), (t.exclude, "target.exclude")):
        found = snap.index(await _ids(conn, org_id, req.platform, refs, field))
        excluded.append(found[found >= 0])
    never = np.unique(np.concatenate(excluded)).astype(np.int64)
    if not (t.seed_accounts or t.accounts):
        return None, never
    target = np.zeros(snap.n, dtype=bool)
    for s in seeds:
        target[snap.followers_of(int(s))] = True
    listed = snap.index(await _ids(conn, org_id, req.platform, t.accounts, "target.accounts"))
    target[listed[listed >= 0]] = True
    return target, never


async def _restart(conn: Conn, org_id: UUID | None, snap: Snapshot, req: RankingRequest) -> np.ndarray | None:
    """topic_rank's restart weights: how often each account posted the topic."""
    tags = _tags(req)
    if not (tags or req.topic.keywords):
        return None
    counts = await repo.topic_counts(conn, tags, req.topic.keywords)
    restart = np.zeros(snap.n)
    idx = snap.index(counts["account_id"].to_numpy())  # -1: not in this org's snapshot (platform, visibility)
    np.add.at(restart, idx[idx >= 0], counts["n"].to_numpy()[idx >= 0])
    restart[snap.accounts["opted_out"].fill_null(False).to_numpy()] = 0.0
    if restart.sum() == 0:
        raise ValidationError("no stored post uses this topic's hashtags or keywords", field="topic")
    return restart


def _tags(req: RankingRequest) -> list[str]:
    return [h.lower().lstrip("#") for h in req.topic.hashtags]


async def rank(conn: Conn, cache: SnapshotCache, req: RankingRequest, org_id: UUID | None = None) -> Ranking:
    return (await rank_with_target(conn, cache, req, org_id)).ranking


async def rank_with_target(conn: Conn, cache: SnapshotCache, req: RankingRequest, org_id: UUID | None = None) -> Ranked:
    _validate(req)
    engine.name()  # a misconfigured engine fails before any work
    snap = await cache.get(conn, req.platform, req.window_days, org_id)
    restart = await _restart(conn, org_id, snap, req)
    target, never = await _target(conn, org_id, snap, req)
    await engine.prepare(conn, snap, restart)
    if req.target.segment is not None:
        members = await audience_segments.segment_target(conn, snap, org_id, req.target.segment)
        target = members if target is None else target | members
    pool = await asyncio.to_thread(prepare, snap, restart, target, never, req)
    if req.audience is not None:
        pool = subset_pool(pool, await audience_segments.filter_candidates(conn, snap, pool.candidates, req.audience))
    ids = snap.ids[pool.candidates].tolist()
    since = datetime.now(UTC) - timedelta(days=req.window_days)
    posts = await repo.candidate_posts(conn, ids, since, _tags(req), req.topic.keywords)
    evidence = Evidence(
        posts=posts,
        bots=await repo.bot_accounts(conn, ids),
        engagement=await repo.engagement(conn, ids, since),
        names=await repo.handles(conn, org_id, ids),
    )
    return await asyncio.to_thread(finish, snap, req, pool, evidence, default_fee)


async def overlap_report(
    conn: Conn, cache: SnapshotCache, account_ids: list[int], org_id: UUID | None = None
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
    snap = await cache.get(conn, platforms.pop(), org_id=org_id)
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


async def audience(conn: Conn, cache: SnapshotCache, account_id: int, org_id: UUID | None = None) -> Audience:
    info = (await repo.handles(conn, org_id, [account_id])).get(account_id)
    if info is None:
        raise NotFoundError(f"account {account_id} not found")
    snap = await cache.get(conn, str(info["platform"]), org_id=org_id)
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
    fields = {f: getattr(req.ranking, f) for f in req.ranking.__struct_fields__}
    ranking_req = RankingRequest(**{**fields, "limit": req.candidates, "fees": {**req.ranking.fees, **req.fees}})
    ranked = await rank_with_target(conn, cache, ranking_req, org_id)
    creators = ranked.ranking.creators
    fees = [c.fee for c in creators]
    if not creators:
        left_out = ", ".join(f"{k} {v}" for k, v in ranked.ranking.excluded.items() if v)
        raise ValidationError(f"no candidate is left to pick from (left out: {left_out or 'none'})", field="ranking")
    if min(fees) > req.budget:
        raise ValidationError("the budget is below every candidate's fee", field="budget")
    plan, baseline = await asyncio.to_thread(_plan, ranked, fees, req)
    picks = [
        ShortlistPick(
            account_id=creators[p.index].account_id,
            handle=creators[p.index].handle,
            fee=p.fee,
            marginal_reach=round(p.marginal, 1),
            expected_reach=creators[p.index].expected_reach.value,
            score=creators[p.index].score,
            community=creators[p.index].community,
        )
        for p in plan.picks
    ]
    return await repo.save_shortlist(
        conn, org_id, req.ranking.platform, req, req.budget, plan.fee, round(plan.reach), plan.method, picks, baseline
    )


def _plan(ranked: Ranked, fees: list[Decimal], req: ShortlistRequest) -> tuple[Plan, int]:
    """The CELF plan over expected coverage, and the reach of taking creators in ranking order within the budget."""
    cover = coverage(ranked.estimate)
    communities = [c.community for c in ranked.ranking.creators]
    plan = shortlist(cover.audiences, fees, req.budget, req.k, communities, req.max_per_community, cover)
    baseline, spent, chosen = cover.fresh(), Decimal(0), 0
    reach = 0.0
    for i, f in enumerate(fees):
        if chosen < req.k and spent + f <= req.budget:
            reach += baseline.add(i)
            spent += f
            chosen += 1
    return plan, round(reach)
