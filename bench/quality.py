"""Ranking quality on evaluation worlds whose truth comes from an agent-based exposure simulation.

Each world (bench/evalworld.py, or with an ``alt:`` prefix bench/altworld.py: growth by triadic
closure, a ranked feed, farms bought in proportion to the buyer's size, dressed farms) is served over
HTTP in another process, crawled by the real crawler into PostgreSQL (the #coffee timeline's
authors, their followers, their recent posts and
who engaged with them), and ranked for the topic and the three brands' audience. Each ranking's
top 20 is scored on the world's Monte Carlo truth: unique target people reached as a ratio to a
greedy oracle over the creators a brand would accept (no brand, bot, bought or opted-out account),
NDCG@20 against each creator's expected reach, and which brands, bought, bot and opted-out accounts
reached the top 50. The estimator was developed on evalworld seeds 1-3, 11-12, 101-109, 201-208,
301-308, 401-429, 601-608, 701-708, 801-808, 901-908, 1001-1012, 1201-1208, 1301-1308 and 1401-1408
and altworld seeds 2101-2111, 2201-2210, 2401-2406, 2501-2506 and 2601-2606; the default table is of
seeds never looked at before (1501-1508, 2701-2706), with parameters varied. "follower count" is the
issue's baseline: topic posters (not the brands, not opted out) sorted by their reported follower
count, bought followers and all.

    uv run python bench/quality.py [--worlds default:101,engagement=0.4:102,alt:cover=uniform:2101,...] [--alt]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import uvicorn

from bench.altworld import AltParams, AltWorld, build_alt
from bench.common import table
from bench.evalworld import COFFEE, EvalWorld, Params, build
from discovery import service as crawls
from discovery.service import CrawlRequest
from discovery.simulator.serve import free_port
from discovery.simulator.server import Answer, SimulatorApp
from discovery.simulator.world import TOPICS
from discovery.worker import run_crawl
from graph.models import RankingRequest, Target, Topic
from graph.service import SnapshotCache, rank
from sql import migrate, tenancy
from sql.server import start_embedded, with_database

TAG = TOPICS[COFFEE][0]
TOP, TOP50 = 20, 50
# The README's table: seeds never looked at before, both generators, parameters varied.
DEFAULT_WORLDS = (
    "default:1501,engagement=0.4:1502,engagement=2.5:1503,farm_share=0.2+bought=0.3:1504,bought=0.15:1505,"
    "accounts=4000+concentration=0.6:1506,concentration=0.9+dormant_share=0.4:1507,hidden_share=0.12+engagement=0.6:1508,"
    "alt:default:2701,alt:engagement=0.5+cover=uniform:2702,alt:farm_share=0.2+dressed_share=1.0:2703,"
    "alt:celebrities=10+hidden_share=0.1:2704,alt:dormant_share=0.55+engagement=2.0+cover=none:2705,"
    "alt:accounts=4500+farm_share=0.15+churn=0:2706"
)
# Worlds of the second generator (bench/altworld.py), a process unlike both the ranking's and evalworld's.
ALT_WORLDS = (
    "alt:default:2101,alt:engagement=0.4+cover=uniform:2102,alt:farm_share=0.2+dressed_share=1.0:2103,"
    "alt:celebrities=10+hidden_share=0.12:2104,alt:dormant_share=0.55+engagement=2.0+cover=none:2105,"
    "alt:accounts=4500+dressed_share=0.0+farm_share=0.15+churn=0:2106"
)
FC_CLEAN = "follower count, bought left out (knows the truth)"
RANKERS = (
    "reach",
    "efficiency",
    "follower count",
    FC_CLEAN,
    "topic_rank",
    "audience_fit",
    "authenticity",
    "engagement_rate",
)


Eval = EvalWorld | AltWorld


class HiddenCollections(SimulatorApp):
    """The simulator, with some accounts hiding who follows them (Mastodon answers an empty list)."""

    def __init__(self, ew: Eval) -> None:
        super().__init__(ew.world)
        self.hidden = {str(100_000 + int(i)) for i in ew.hidden}

    def m_follow_list(self, external: str, which: str, *, query: dict[str, str], base: str) -> Answer:
        if external in self.hidden:
            return 200, [], {}
        return super().m_follow_list(external, which, query=query, base=base)


def _serve(ew: Eval, port: int) -> None:
    config = uvicorn.Config(HiddenCollections(ew), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    uvicorn.Server(config).run()


@dataclass
class Outcome:
    label: str
    accounts: int
    target: int
    crawl_s: float
    requests: int
    rank_s: float
    oracle: float
    ratio: dict[str, float]
    ndcg: dict[str, float]
    top50: dict[str, int]  # for the default ranking
    coverage: float  # share of the default top 20 whose interval holds the simulated truth
    bias: float  # median over the default top 20 of estimate / simulated truth
    flagged: list[str]  # brand, bought, bot and opted-out accounts in the default top 50, described
    missed: str  # the oracle's picks the default top 20 left out


def parse_world(spec: str) -> tuple[str, Params | AltParams, int]:
    """``params:seed`` for evalworld, ``alt:params:seed`` for altworld; params ``default`` or ``k=v+k=v``."""
    alt = spec.startswith("alt:")
    params_part, seed = spec.removeprefix("alt:").rsplit(":", 1)
    p: Params | AltParams = AltParams() if alt else Params()
    if params_part != "default":
        for item in params_part.split("+"):
            key, value = item.split("=")
            kind = type(getattr(p, key))
            p = replace(p, **{key: kind(value)})
    return ("alt:" if alt else "") + params_part, p, int(seed)


def build_world(params: Params | AltParams, seed: int) -> Eval:
    return build_alt(params, seed) if isinstance(params, AltParams) else build(params, seed)


def ndcg(chosen: list[int], truth: dict[int, float], k: int = TOP) -> float:
    gains = [truth.get(c, 0.0) for c in chosen[:k]]
    ideal = sorted(truth.values(), reverse=True)[:k]
    discount = 1 / np.log2(np.arange(2, k + 2))
    best = float(np.dot(ideal, discount[: len(ideal)]))
    return float(np.dot(gains, discount[: len(gains)])) / best if best else 0.0


async def crawl(db: str, url: str, seeds: list[str]) -> tuple[float, int, uuid.UUID]:
    async with asyncpg.create_pool(db, min_size=2, max_size=24) as pool:
        async with pool.acquire() as conn:
            org = await tenancy.create_org(conn, f"quality-{uuid.uuid4().hex[:6]}")
            req = CrawlRequest(
                platform="mastodon",
                base_url=url,
                hashtags=[TAG],
                seeds=seeds,
                max_accounts=100_000,
                max_depth=0,
                max_followers=5000,
                max_following=0,
                posts_per_account=20,
            )
            crawl_id = (await crawls.create(conn, org.id, req, allow_private=True)).id
        started = time.perf_counter()
        status = await run_crawl(pool, crawl_id, allow_private=True, concurrency=16)
        assert status == "done", status
        seconds = time.perf_counter() - started
        async with pool.acquire() as conn:
            requests = int(await conn.fetchval("SELECT requests FROM crawls WHERE id = $1", crawl_id))
    return seconds, requests, org.id


async def rankings(
    db: str, org: uuid.UUID, brands: list[str]
) -> tuple[dict[str, list[int]], float, dict[int, tuple[float, float, float]], dict[int, tuple[int, list[int]]]]:
    """Each ranking as the crawling org sees it (crawled accounts are the org's, not the shared index)."""
    conn = await asyncpg.connect(db)
    cache = SnapshotCache()
    try:
        ids = {r["handle"]: r["id"] for r in await conn.fetch("SELECT id, handle FROM accounts")}
        handle_of = {v: k for k, v in ids.items()}

        def world_index(account_id: int) -> int:
            return int(re.sub(r"\D", "", handle_of[account_id]))

        def request(**extra: Any) -> RankingRequest:
            target = Target(seed_accounts=[ids[b] for b in brands])
            return RankingRequest(platform="mastodon", topic=Topic(hashtags=[TAG]), target=target, limit=TOP50, **extra)

        out: dict[str, list[int]] = {}
        started = time.perf_counter()
        default = await rank(conn, cache, request(), org)
        seconds = time.perf_counter() - started
        out["reach"] = [world_index(c.account_id) for c in default.creators]
        intervals = {
            world_index(c.account_id): (c.expected_reach.low, c.expected_reach.high, c.expected_reach.value)
            for c in default.creators
        }
        efficiency = await rank(conn, cache, request(objective="efficiency"), org)
        out["efficiency"] = [world_index(c.account_id) for c in efficiency.creators]
        for component in RANKERS[4:]:
            r = await rank(conn, cache, request(weights={component: 1.0}), org)
            out[component] = [world_index(c.account_id) for c in r.creators]
        rows = await conn.fetch(
            "SELECT a.id FROM accounts a WHERE NOT a.opted_out AND NOT (a.id = ANY($1::bigint[])) AND EXISTS "
            "(SELECT 1 FROM posts p WHERE p.account_id = a.id AND $2 = ANY(p.hashtags)) "
            "ORDER BY a.followers_count DESC NULLS LAST, a.id LIMIT $3",
            [ids[b] for b in brands],
            TAG,
            TOP50,
        )
        out["follower count"] = [world_index(r["id"]) for r in rows]
        # What the crawl saw of the default top 50: reported followers and the stored follower list.
        crawled: dict[int, tuple[int, list[int]]] = {}
        for c in default.creators:
            reported = await conn.fetchval("SELECT followers_count FROM accounts WHERE id = $1", c.account_id)
            rows = await conn.fetch("SELECT follower_id FROM follows WHERE followee_id = $1", c.account_id)
            crawled[world_index(c.account_id)] = (
                -1 if reported is None else int(reported),
                [world_index(r["follower_id"]) for r in rows],
            )
        return out, seconds, intervals, crawled
    finally:
        await conn.close()


def evaluate(spec: str, server_url: str) -> Outcome:
    label, params, seed = parse_world(spec)
    ew = build_world(params, seed)
    w = ew.world
    brands = [f"user{int(b)}" for b in ew.brands]
    # A complete crawl of the topic: every #coffee poster (the timeline alone lists only the newest 200 posts).
    seeds = brands + [f"user{c}" for c in ew.topic_posters() if c not in set(ew.brands.tolist())]
    name = f"quality_{uuid.uuid4().hex[:8]}"

    async def setup() -> None:
        admin = await asyncpg.connect(with_database(server_url, "postgres"))
        await admin.execute(f"CREATE DATABASE {name}")
        await admin.close()
        conn = await asyncpg.connect(with_database(server_url, name))
        await migrate(conn)
        await conn.close()

    asyncio.run(setup())
    db = with_database(server_url, name)
    port = free_port()
    sim = multiprocessing.get_context("fork").Process(target=_serve, args=(ew, port), daemon=True)
    sim.start()
    try:
        time.sleep(1.0)
        crawl_s, requests, org = asyncio.run(crawl(db, f"http://127.0.0.1:{port}", seeds))
    finally:
        sim.terminate()
        sim.join(10)
    ranked, rank_s, intervals, crawled = asyncio.run(rankings(db, org, brands))
    brand_set = {int(b) for b in ew.brands}
    bots = {int(b) for b in ew.bots}
    buyers = {int(b) for b in ew.buyers}
    # The oracle picks among the creators a brand would accept: no brand, opted-out, bot or bought account
    # (the same ones the ranking must keep out of its top 50); follower count is scored against it too.
    banned = brand_set | bots | buyers
    pool = [c for c in ew.topic_posters() if c not in banned and not w.is_opted_out(c, "mastodon")]
    truth = {c: ew.expected_reach(c) for c in pool}
    best, oracle = ew.greedy_oracle(pool, TOP)
    ranked[FC_CLEAN] = [c for c in ranked["follower count"] if c not in buyers]
    ratio = {k: ew.set_reach(v[:TOP]) / oracle for k, v in ranked.items()}
    scores = {k: ndcg(v, truth) for k, v in ranked.items()}
    top = ranked["reach"][:TOP50]
    top50 = {
        "brands": sum(c in brand_set for c in top),
        "bought": sum(c in buyers for c in top),
        "bots": sum(c in bots for c in top),
        "opted_out": sum(w.is_opted_out(c, "mastodon") for c in top),
    }
    flagged = []
    for rank_no, c in enumerate(top, 1):
        why = [
            name
            for name, hit in (
                ("brand", c in brand_set),
                ("bought", c in buyers),
                ("bot", c in bots),
                ("opted out", w.is_opted_out(c, "mastodon")),
            )
            if hit
        ]
        if why:
            reported, stored = crawled[c]
            fake = sum(f in bots for f in stored)
            if isinstance(ew, AltWorld):
                role = ew.describe(c)
                dressed = sum(ew.describe(f) == "dressed farm bot" for f in stored)
                fake_text = f"{fake} bots ({dressed} dressed farm bots)"
            else:
                role, fake_text = f"kind {int(w.kind[c])}", f"{fake} bots"
            flagged.append(
                f"{label} (seed {seed}) #{rank_no} user{c}: {'/'.join(why)}, {role}; reported {reported} followers, "
                f"stored {len(stored)} of which {fake_text}; estimate {intervals[c][2]:.0f}, "
                f"simulated {ew.expected_reach(c):.0f}"
            )
    top20 = ranked["reach"][:TOP]
    order = {c: i for i, c in enumerate(ranked["reach"], 1)}
    missed = ", ".join(
        f"user{c} ({ew.describe(c) if isinstance(ew, AltWorld) else 'creator'}, truth {truth[c]:.0f}, "
        f"rank {order.get(c, '>50')})"
        for c in best
        if c not in top20
    )
    covered = [intervals[c][0] <= truth.get(c, 0.0) <= intervals[c][1] for c in top20]
    sims = [ew.expected_reach(c) for c in top20]
    bias = [intervals[c][2] / t if t > 0 else np.inf for c, t in zip(top20, sims, strict=True)]
    return Outcome(
        label=f"{label} (seed {seed})",
        accounts=w.n,
        target=int(ew.target.sum()),
        crawl_s=crawl_s,
        requests=requests,
        rank_s=rank_s,
        oracle=oracle,
        ratio=ratio,
        ndcg=scores,
        top50=top50,
        coverage=float(np.mean(covered)) if covered else 0.0,
        bias=float(np.median(bias)) if bias else float("nan"),
        flagged=flagged,
        missed=f"{label} (seed {seed}): {missed or 'none'}",
    )


def report(outcomes: list[Outcome]) -> None:
    rows = [
        [
            o.label,
            f"{o.accounts:,}",
            f"{o.target:,}",
            f"{o.oracle:.0f}",
            f"{o.ratio['reach']:.2f}x",
            f"{o.ndcg['reach']:.2f}",
            f"{o.ratio['follower count']:.2f}x / {o.ndcg['follower count']:.2f}",
            f"{o.ratio['efficiency']:.2f}x",
            f"{o.top50['brands']}/{o.top50['bought']}/{o.top50['bots']}/{o.top50['opted_out']}",
            f"{o.coverage:.0%}",
            f"{o.bias:.2f}",
            f"{o.crawl_s:.0f} s ({o.requests:,} req)",
            f"{o.rank_s:.2f} s",
        ]
        for o in outcomes
    ]
    table(
        "Top 20 for #coffee and the 3 brands' audience: unique target people reached (simulated) vs a greedy oracle",
        [
            "world (seed)",
            "accounts",
            "target",
            "oracle reach",
            "default (reach)",
            "NDCG@20",
            "follower count",
            "efficiency",
            "top 50: brands/bought/bots/opted-out",
            "interval holds truth",
            "estimate / truth (median, top 20)",
            "crawl",
            "rank",
        ],
        rows,
    )
    flagged = [line for o in outcomes for line in o.flagged]
    print("\nBrand, bought, bot and opted-out accounts in the default top 50:" if flagged else "", flush=True)
    for line in flagged:
        print(f"- {line}")
    print("\nThe greedy oracle's picks missing from the default top 20 (simulated reach alone, default rank):")
    for o in outcomes:
        print(f"- {o.missed}")
    spread = []
    for name in RANKERS:
        r = np.array([o.ratio[name] for o in outcomes])
        g = np.array([o.ndcg[name] for o in outcomes])
        spread.append(
            [
                name,
                f"{r.mean():.2f}x",
                f"{r.min():.2f}-{r.max():.2f}",
                f"{g.mean():.2f}",
                f"{g.min():.2f}-{g.max():.2f}",
            ]
        )
    table(
        f"Spread over {len(outcomes)} worlds: each ranking's top 20",
        ["ranking", "reach / oracle, mean", "min-max", "NDCG@20, mean", "min-max"],
        spread,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--worlds",
        default=DEFAULT_WORLDS,
        help="comma-separated [alt:]params:seed ('+' joins params; alt: selects bench/altworld.py)",
    )
    parser.add_argument("--alt", action="store_true", help=f"the second generator's worlds: {ALT_WORLDS}")
    parser.add_argument("--json", help="also write the outcomes here")
    args = parser.parse_args()
    worlds = ALT_WORLDS if args.alt else args.worlds
    started = time.perf_counter()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="sorot-quality-") as tmp:
        server = start_embedded(Path(tmp) / "pgdata", delete_on_stop=True)
        try:
            for spec in worlds.split(","):
                outcomes.append(evaluate(spec, server.url))
                o = outcomes[-1]
                print(f"{o.label}: reach {o.ratio['reach']:.2f}x ndcg {o.ndcg['reach']:.2f}", flush=True)
        finally:
            server.stop()
    report(outcomes)
    print(f"\n{len(outcomes)} worlds in {time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps([{f.name: getattr(o, f.name) for f in fields(o)} for o in outcomes]))


if __name__ == "__main__":
    main()
