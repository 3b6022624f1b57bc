"""Ranking speed on synthetic graphs stored in PostgreSQL, with the graph snapshot persisted on disk.

For each size, each step in a process of its own (so each peak RSS is its own):

1. load: the graph into PostgreSQL (setup, not timed), then the first ranking with no snapshot anywhere:
   the full snapshot build (read every table, write the Parquet files) and the ranked answer;
2. restart: a new process ranks from the snapshot on disk (cold), then again (warm); load (files to
   sparse matrices), metrics (PageRank, in-degree, k-core) and score (topic rank, candidate evidence
   from PostgreSQL, scoring) reported separately; exact overlap of the 200 most-followed creators;
3. crawl: a new process starts from the files, a crawl stores 1% more follows (and interactions), and
   the snapshot catches up from the change log (incremental refresh), beside a full rebuild of the same
   data; then the ranked answer after the crawl.

    uv run python bench/rank.py [--sizes 1000000,5000000] [--nx-max 1000000]
    uv run python bench/rank.py --sizes 10000000,50000000   # on request: ~10 and ~40 min of setup
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import polars as pl

from bench.common import fresh_database, peak_rss_mb, table
from graph.models import RankingRequest, Target, Topic
from graph.ranking import global_metrics
from graph.service import SnapshotCache, overlap_report, rank

TOPIC_TAG = "coffee"
CHUNK = 2_000_000  # rows per COPY


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
            "opted_out": False,
            "bio": "about #coffee and more",
            "has_avatar": rng.random(n) < 0.9,
            "followers_count": followers,
            "following_count": following,
            "posts_count": rng.integers(0, 50, n),
        }
    ).with_columns(handle=pl.lit("user") + pl.col("external_id"))
    authors = rng.choice(ids, size=n // 5, p=popularity / popularity.sum())
    topic = rng.random(authors.size) < 0.3
    posts = pl.DataFrame(
        {
            "id": np.arange(1, authors.size + 1),
            "account_id": authors,
            "external_id": np.arange(authors.size).astype(str),
            "hashtags": np.where(topic, "{" + TOPIC_TAG + "}", "{other}"),
            "like_count": rng.integers(0, 40, authors.size),
            "repost_count": rng.integers(0, 5, authors.size),
            "reply_count": rng.integers(0, 5, authors.size),
        }
    )
    return accounts, pl.DataFrame({"follower_id": src, "followee_id": dst}), posts


def interactions_of(posts: pl.DataFrame, n: int, count: int, seed: int) -> pl.DataFrame:
    """Likes and reposts of random accounts on random posts (unique per post, actor and kind)."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, posts.height, count)
    frame = pl.DataFrame(
        {
            "actor_id": rng.integers(1, n + 1, count),
            "post_id": posts["id"].to_numpy()[pick],
            "author_id": posts["account_id"].to_numpy()[pick],
            "kind": np.where(rng.random(count) < 0.8, "like", "repost"),
        }
    )
    return frame.filter(pl.col("actor_id") != pl.col("author_id")).unique(["post_id", "actor_id", "kind"])


async def copy(conn: asyncpg.Connection, name: str, frame: pl.DataFrame) -> None:
    for start in range(0, frame.height, CHUNK):
        buf = io.BytesIO()
        frame.slice(start, CHUNK).write_csv(buf)
        buf.seek(0)
        await conn.copy_to_table(name, source=buf, columns=frame.columns, format="csv", header=True)


async def load(db: str, size: int) -> None:
    """The synthetic graph into PostgreSQL as a bulk import (change-log triggers off, as a restore would)."""
    accounts, follows, posts = synthetic(size)
    interactions = interactions_of(posts, accounts.height, size // 10, seed=11)
    conn = await asyncpg.connect(db)
    try:
        await conn.execute("SET session_replication_role = replica")
        await copy(conn, "accounts", accounts)
        del accounts
        await copy(conn, "follows", follows)
        del follows
        await copy(conn, "posts", posts.with_columns(created_at=pl.lit("now")))
        await copy(conn, "interactions", interactions)
        # Stored as the shared public index, which every org (and the None view used below) sees.
        await conn.execute(
            "UPDATE accounts SET shared = true;"
            " SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts));"
            " SELECT setval('posts_id_seq', (SELECT max(id) FROM posts)); ANALYZE"
        )
    finally:
        await conn.close()


def request(top: list[int]) -> RankingRequest:
    seeds: list[int | str] = [*top[:3]]
    return RankingRequest(
        platform="mastodon", topic=Topic(hashtags=[TOPIC_TAG]), target=Target(seed_accounts=seeds), limit=50
    )


async def top_accounts(conn: asyncpg.Connection) -> list[int]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM accounts ORDER BY followers_count DESC LIMIT 200")]


async def timed_rank(conn: asyncpg.Connection, cache: SnapshotCache, req: RankingRequest) -> dict[str, float]:
    """One ranking, split into snapshot load, global metrics and the rest (score)."""
    t = time.perf_counter()
    snap = await cache.get(conn, req.platform, req.window_days)
    loaded = time.perf_counter() - t
    timings = cache.timings
    t = time.perf_counter()
    await asyncio.to_thread(global_metrics, snap)
    metrics = time.perf_counter() - t
    t = time.perf_counter()
    ranking = await rank(conn, cache, req)
    score = time.perf_counter() - t
    return {
        "load": loaded,
        "metrics": metrics,
        "score": score,
        "total": loaded + metrics + score,
        "source": timings.source,  # type: ignore[dict-item]
        "read": timings.load,
        "persist": timings.persist,
        "build": timings.build,
        "creators": len(ranking.creators),
    }


async def step_load(db: str, size: int, snapshots: Path) -> dict[str, Any]:
    await load(db, size)
    conn = await asyncpg.connect(db)
    cache = SnapshotCache(directory=snapshots)
    first = await timed_rank(conn, cache, request(await top_accounts(conn)))
    await conn.close()
    return {"full_read": first["read"], "full_persist": first["persist"], "cold_pg": first, "rss": peak_rss_mb()}


async def step_restart(db: str, snapshots: Path) -> dict[str, Any]:
    conn = await asyncpg.connect(db)
    top = await top_accounts(conn)
    cache = SnapshotCache(directory=snapshots)
    cold = await timed_rank(conn, cache, request(top))
    warm = await timed_rank(conn, cache, request(top))
    t = time.perf_counter()
    report = await overlap_report(conn, cache, top)
    overlap_s = time.perf_counter() - t
    sizes = sorted(c.audience for c in report.creators)
    await conn.close()
    return {"cold": cold, "warm": warm, "overlap": overlap_s, "audiences": [sizes[0], sizes[-1]], "rss": peak_rss_mb()}


async def crawl(conn: asyncpg.Connection, share: float, seed: int) -> tuple[int, int]:
    """A crawl's writes: ``share`` more follows and interactions, through the same upserts as the crawler."""
    rng = np.random.default_rng(seed)
    n = int(await conn.fetchval("SELECT max(id) FROM accounts"))
    edges = int(await conn.fetchval("SELECT reltuples::bigint FROM pg_class WHERE relname = 'follows'"))
    count = int(edges * share)
    src, dst = rng.integers(1, n + 1, count), rng.integers(1, n + 1, count)
    follows = await conn.fetchval(
        "WITH up AS (INSERT INTO follows (follower_id, followee_id) SELECT * FROM unnest($1::bigint[], $2::bigint[]) "
        "AS t(a, b) WHERE a <> b ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM up",
        src.tolist(),
        dst.tolist(),
    )
    rows = await conn.fetch("SELECT id, account_id FROM posts ORDER BY random() LIMIT 10000")
    posts = pl.DataFrame([tuple(r) for r in rows], schema=["id", "account_id"], orient="row")
    new = interactions_of(posts, n, count // 10, seed)
    await conn.execute(
        "INSERT INTO interactions (actor_id, post_id, author_id, kind) SELECT * FROM "
        "unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) ON CONFLICT DO NOTHING",
        *(new[c].to_list() for c in new.columns),
    )
    return int(follows), new.height


async def step_crawl(db: str, snapshots: Path) -> dict[str, Any]:
    conn = await asyncpg.connect(db)
    top = await top_accounts(conn)
    cache = SnapshotCache(directory=snapshots)
    await cache.get(conn, "mastodon")  # from disk: what a running service holds
    t = time.perf_counter()
    added, interactions = await crawl(conn, 0.01, seed=99)
    crawl_s = time.perf_counter() - t
    t = time.perf_counter()
    await cache.get(conn, "mastodon")
    refresh = time.perf_counter() - t
    timings = cache.timings
    after = await timed_rank(conn, cache, request(top))
    # The same data read whole, for comparison (what every refresh cost without the change log).
    t = time.perf_counter()
    await cache._full(conn, "mastodon")
    full = time.perf_counter() - t
    await conn.close()
    return {
        "added": added,
        "interactions": interactions,
        "crawl": crawl_s,
        "refresh": refresh,
        "refresh_source": timings.source,
        "refresh_read": timings.load,
        "refresh_persist": timings.persist,
        "refresh_build": timings.build,
        "full": full,
        "after": after,
        "rss": peak_rss_mb(),
    }


def networkx_path(size: int) -> dict[str, float]:
    import networkx as nx

    accounts, follows, _ = synthetic(size)
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


def child(*argv: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{argv[0]} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def one(size: int, with_nx: bool) -> dict[str, Any]:
    with fresh_database() as db, tempfile.TemporaryDirectory(prefix="sorot-snapshots-") as snapshots:
        result = {"load": child("--step", "load", db, str(size), snapshots)}
        result["restart"] = child("--step", "restart", db, str(size), snapshots)
        result["crawl"] = child("--step", "crawl", db, str(size), snapshots)
    if with_nx:
        result["nx"] = child("--step", "nx", "-", str(size), "-")
    return result


def fmt(r: dict[str, Any]) -> str:
    return f"{r['total']:.2f} ({r['load']:.2f} + {r['metrics']:.2f} + {r['score']:.2f})"


def report(sizes: list[int], results: list[dict[str, Any]]) -> None:
    load1, load5, load15 = os.getloadavg()
    print(f"\nLoad average at the end: {load1:.2f} {load5:.2f} {load15:.2f} on {os.cpu_count()} cores")
    rows: list[list[object]] = []
    refresh_rows: list[list[object]] = []
    overlap_rows: list[list[object]] = []
    for size, r in zip(sizes, results, strict=True):
        ld, rs, cr = r["load"], r["restart"], r["crawl"]
        nx_cell = (
            f"{r['nx']['build']:.1f} + {r['nx']['pagerank']:.1f} + {r['nx']['ppr']:.1f} (RSS {r['nx']['rss']:.0f} MB)"
            if "nx" in r
            else "not run"
        )
        rows.append(
            [
                f"{size:,}",
                fmt(ld["cold_pg"]),
                fmt(rs["cold"]),
                fmt(rs["warm"]),
                f"{max(rs['rss'], ld['rss']):.0f}",
                nx_cell,
            ]
        )
        full_build = ld["full_read"] + ld["full_persist"]
        refresh_rows.append(
            [
                f"{size:,}",
                f"{cr['added']:,} + {cr['interactions']:,}",
                f"{full_build:.2f} ({ld['full_read']:.2f} + {ld['full_persist']:.2f})",
                f"{cr['refresh_read']:.2f} + {cr['refresh_persist']:.2f} ({cr['refresh_source']})",
                f"{(cr['refresh_read'] + cr['refresh_persist']) / full_build:.0%}",
                f"{cr['full']:.2f}",
                f"{cr['refresh'] + cr['after']['total']:.2f}",
                f"{cr['rss']:.0f}",
            ]
        )
        overlap_rows.append(
            [f"{size:,}", 200, f"{rs['audiences'][0]:,}-{rs['audiences'][1]:,}", f"{rs['overlap']:.2f}"]
        )
    table(
        "Ranking (topic + target audience, 50 creators): seconds, total (load + metrics + score)",
        [
            "edges",
            "cold, no snapshot (PostgreSQL)",
            "cold after restart (snapshot on disk)",
            "warm",
            "peak RSS MB",
            "networkx path s: build + pagerank + personalised",
        ],
        rows,
    )
    table(
        "Snapshot refresh after a crawl of 1% more follows (and interactions)",
        [
            "edges",
            "follows + interactions added",
            "full build s (read + write files)",
            "incremental s (read changes + write files)",
            "incremental / full",
            "full rebuild of the same data s",
            "ranked answer after the crawl s",
            "peak RSS MB",
        ],
        refresh_rows,
    )
    table(
        "Exact audience overlap of the 200 most-followed creators",
        ["edges", "creators", "audience sizes", "seconds"],
        overlap_rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,5000000", help="follow edges per graph, comma-separated")
    parser.add_argument("--nx-max", type=int, default=1_000_000, help="largest size also run through networkx")
    parser.add_argument("--step", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        name, db, size, snapshots = args.step
        if name == "load":
            result: dict[str, Any] = asyncio.run(step_load(db, int(size), Path(snapshots)))
        elif name == "restart":
            result = asyncio.run(step_restart(db, Path(snapshots)))
        elif name == "crawl":
            result = asyncio.run(step_crawl(db, Path(snapshots)))
        else:
            result = networkx_path(int(size))
        print(json.dumps(result))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for size in sizes:
        results.append(one(size, size <= args.nx_max))
        print(json.dumps({"size": size, **results[-1]}), file=sys.stderr, flush=True)
    report(sizes, results)


if __name__ == "__main__":
    main()
