"""Ranking and overlap speed on synthetic graphs stored in PostgreSQL.

For each size: seconds from request to ranked answer (snapshot load + metrics + score) on a cold
cache, the same warm, peak RSS, and the plain networkx path (DiGraph + nx.pagerank, global and
personalised) for comparison; then exact overlap of the 200 most-followed creators.

    uv run python bench/rank.py [--sizes 100000,1000000,5000000] [--nx-max 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import subprocess
import sys
import time

import asyncpg
import numpy as np
import polars as pl

from bench.common import fresh_database, peak_rss_mb, table
from graph.models import RankingRequest, Target, Topic
from graph.service import SnapshotCache, overlap_report, rank

TOPIC_TAG = "coffee"


def synthetic(edges: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Accounts, follows (heavy-tailed in-degree) and posts (some with the topic hashtag)."""
    rng = np.random.default_rng(seed)
    n = max(1000, edges // 10)
    popularity = rng.pareto(1.1, n) + 1
    cdf = np.cumsum(popularity)
    src = rng.integers(0, n, int(edges * 1.05))
    dst = np.searchsorted(cdf, rng.random(src.size) * cdf[-1])
    keep = src != dst
    pairs = np.unique(src[keep].astype(np.int64) * n + dst[keep])[:edges]
    src, dst = pairs // n + 1, pairs % n + 1
    ids = np.arange(1, n + 1)
    following = np.bincount(src, minlength=n + 1)[1:]
    followers = np.bincount(dst, minlength=n + 1)[1:]
    accounts = pl.DataFrame(
        {
            "id": ids,
            "platform": "mastodon",
            "host": "bench.test",
            "external_id": ids.astype(str),
            "handle": [f"user{i}" for i in ids],
            "opted_out": False,
            "bio": "about #coffee and more",
            "has_avatar": rng.random(n) < 0.9,
            "followers_count": followers,
            "following_count": following,
            "posts_count": rng.integers(0, 50, n),
        }
    )
    authors = rng.choice(ids, size=n // 5, p=popularity / popularity.sum())
    topic = rng.random(authors.size) < 0.3
    posts = pl.DataFrame(
        {
            "account_id": authors,
            "external_id": [f"p{i}" for i in range(authors.size)],
            "hashtags": [[TOPIC_TAG] if t else ["other"] for t in topic],
            "like_count": rng.integers(0, 40, authors.size),
            "repost_count": rng.integers(0, 5, authors.size),
            "reply_count": rng.integers(0, 5, authors.size),
        }
    )
    return accounts, pl.DataFrame({"follower_id": src, "followee_id": dst}), posts


async def load(db: str, accounts: pl.DataFrame, follows: pl.DataFrame, posts: pl.DataFrame) -> None:
    conn = await asyncpg.connect(db)
    try:
        for name, frame in (("accounts", accounts), ("follows", follows)):
            buf = io.BytesIO()
            frame.write_csv(buf)
            buf.seek(0)
            await conn.copy_to_table(name, source=buf, columns=frame.columns, format="csv", header=True)
        rows = [(int(a), e, h, int(lk), int(rp), int(rc)) for a, e, h, lk, rp, rc in posts.iter_rows()]
        await conn.executemany(
            "INSERT INTO posts (account_id, external_id, hashtags, like_count, repost_count, reply_count, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, now())",
            rows,
        )
        # Stored as the shared public index, which every org (and the None view used below) sees.
        await conn.execute(
            "UPDATE accounts SET shared = true;"
            " SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts)); ANALYZE"
        )
    finally:
        await conn.close()


async def measure(db: str) -> dict[str, float]:
    conn = await asyncpg.connect(db)
    cache = SnapshotCache()
    top = [r["id"] for r in await conn.fetch("SELECT id FROM accounts ORDER BY followers_count DESC LIMIT 200")]
    req = RankingRequest(
        platform="mastodon", topic=Topic(hashtags=[TOPIC_TAG]), target=Target(seed_accounts=top[:3]), limit=50
    )
    t = time.perf_counter()
    first = await rank(conn, cache, req)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    await rank(conn, cache, req)
    warm = time.perf_counter() - t
    t = time.perf_counter()
    report = await overlap_report(conn, cache, top)
    overlap_s = time.perf_counter() - t
    sizes = sorted(c.audience for c in report.creators)
    await conn.close()
    return {
        "cold": cold,
        "warm": warm,
        "overlap": overlap_s,
        "max_audience": sizes[-1],
        "min_audience": sizes[0],
        "creators": len(first.creators),
        "rss": peak_rss_mb(),
    }


def networkx_path(follows: pl.DataFrame, accounts: pl.DataFrame) -> dict[str, float]:
    import networkx as nx

    t = time.perf_counter()
    g = nx.DiGraph()
    g.add_nodes_from(accounts["id"].to_list())
    g.add_edges_from(zip(follows["follower_id"].to_list(), follows["followee_id"].to_list(), strict=True), weight=1.0)
    build = time.perf_counter() - t
    n = g.number_of_nodes()
    t = time.perf_counter()
    nx.pagerank(g, tol=1e-6 / n)
    pr = time.perf_counter() - t
    t = time.perf_counter()
    nx.pagerank(g, personalization={i: 1.0 for i in range(1, 1000)}, tol=1e-6 / n)
    ppr = time.perf_counter() - t
    return {"build": build, "pagerank": pr, "ppr": ppr, "rss": peak_rss_mb()}


def one(size: int, with_nx: bool) -> dict[str, float]:
    accounts, follows, posts = synthetic(size)
    with fresh_database() as db:
        asyncio.run(load(db, accounts, follows, posts))
        del posts
        result = asyncio.run(measure(db))
    if with_nx:
        result.update({f"nx_{k}": v for k, v in networkx_path(follows, accounts).items()})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,5000000")
    parser.add_argument("--nx-max", type=int, default=1_000_000, help="largest size also run through networkx")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--nx", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.nx)))
        return
    rows, overlap_rows = [], []
    for size in map(int, args.sizes.split(",")):
        # One process per size, so each peak RSS is its own.
        argv = [sys.executable, __file__, "--one", str(size), *(["--nx"] if size <= args.nx_max else [])]
        r = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        nx_cell = (
            f"{r['nx_build']:.1f} + {r['nx_pagerank']:.1f} + {r['nx_ppr']:.1f} (RSS {r['nx_rss']:.0f} MB)"
            if "nx_build" in r
            else "not run (PERF_NOTES: ~59 s build + 51 s + 46 s, 2 GB)"
        )
        rows.append([f"{size:,}", f"{r['cold']:.2f}", f"{r['warm']:.2f}", f"{r['rss']:.0f}", nx_cell])
        overlap_rows.append(
            [f"{size:,}", 200, f"{int(r['min_audience']):,}-{int(r['max_audience']):,}", f"{r['overlap']:.2f}"]
        )
    table(
        "Ranking (topic + target audience, 50 creators) from a request to the ranked answer",
        [
            "edges",
            "cold s (load+metrics+score)",
            "warm s (snapshot cached)",
            "peak RSS MB",
            "networkx path s: build + pagerank + personalised",
        ],
        rows,
    )
    table(
        "Exact audience overlap of the 200 most-followed creators",
        ["edges", "creators", "audience sizes", "seconds"],
        overlap_rows,
    )


if __name__ == "__main__":
    main()
