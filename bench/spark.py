"""The graph metrics on Spark local mode beside the in-process engine, on bench/rank.py's synthetic graph.

For each size: the in-process engine's snapshot build, global metrics (PageRank, in-degree, core
numbers), topic rank and audience statistics of 1,000 candidates; then the same through the Spark job
from snapshot Parquet files (writing the files, JVM start, each part), and how far apart the answers are
(largest PageRank difference of any node, core numbers equal). Load average printed with the table.

    uv run python bench/spark.py [--sizes 100000,5000000] [--master local[2]] [--driver-memory 6g]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from bench.common import peak_rss_mb, table
from bench.rank import TOPIC_TAG, synthetic
from graph.build import INTERACTION_WEIGHTS, build_snapshot
from graph.ranking import audience_stats, global_metrics, topic_rank
from graph.spark import files, job, session

CANDIDATES = 1000


def frames(edges: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Snapshot frames from the synthetic graph, with engagement on posts, and topic restart weights."""
    accounts, follows, posts = synthetic(edges)
    rng = np.random.default_rng(edges)
    k = edges // 10
    authors = posts["account_id"].to_numpy()
    interactions = pl.DataFrame(
        {
            "actor_id": rng.integers(1, accounts.height + 1, k),
            "author_id": authors[rng.integers(0, authors.size, k)],
            "kind": rng.choice(list(INTERACTION_WEIGHTS), k),
        }
    )
    snap_accounts = accounts.select(
        pl.col("id").cast(pl.Int64),
        pl.lit(True).alias("shared"),
        "opted_out",
        "has_avatar",
        pl.lit(False).alias("empty_bio"),
        pl.col("followers_count").cast(pl.Int64),
        pl.col("following_count").cast(pl.Int64),
        pl.col("posts_count").cast(pl.Int64),
        pl.lit(None, dtype=pl.Int64).alias("created_epoch"),
    )
    tags = pl.col("hashtags")
    has_topic = tags.list.contains(TOPIC_TAG) if posts.schema["hashtags"] != pl.String else tags.str.contains(TOPIC_TAG)
    topical = posts.filter(has_topic).group_by("account_id").len()
    restart = np.zeros(accounts.height)
    restart[topical["account_id"].to_numpy() - 1] = topical["len"].to_numpy()
    return snap_accounts, follows, interactions, restart


def one(edges: int, tmp: Path) -> list[list[object]]:
    accounts, follows, interactions, restart = frames(edges)
    built_at = datetime.now(UTC)
    t = time.perf_counter()
    snap = build_snapshot("mastodon", built_at, accounts, follows, interactions)
    build = time.perf_counter() - t
    t = time.perf_counter()
    g = global_metrics(snap)
    metrics = time.perf_counter() - t
    t = time.perf_counter()
    topic = topic_rank(snap, restart)
    topic_s = time.perf_counter() - t
    candidates = np.sort(np.argsort(-g.in_degree)[:CANDIDATES])
    target = np.zeros(snap.n, dtype=bool)
    target[snap.followers_of(int(np.argmax(g.in_degree)))] = True
    t = time.perf_counter()
    audience_stats(snap, candidates, target)
    audience_s = time.perf_counter() - t
    rss = peak_rss_mb()

    t = time.perf_counter()
    d = files.write_snapshot(tmp / "snap", "mastodon", built_at, accounts, follows, interactions)
    nz = np.flatnonzero(restart)
    files.write_restart(tmp / "restart.parquet", snap.ids[nz], restart[nz])
    files.write_ids(tmp / "candidates.parquet", snap.ids[candidates])
    files.write_ids(tmp / "target.parquet", snap.ids[target])
    write = time.perf_counter() - t
    t = time.perf_counter()
    spark = session.get()
    start = time.perf_counter() - t
    req = job.Request(
        str(d),
        str(tmp / "out"),
        metrics=True,
        restart=str(tmp / "restart.parquet"),
        candidates=str(tmp / "candidates.parquet"),
        target=str(tmp / "target.parquet"),
    )
    report = job.run(spark, req)
    out = files.read_output(tmp / "out" / "metrics.parquet").sort("id")
    pr_diff = float(np.abs(out["pagerank"].to_numpy() - g.pagerank).max())
    topic_diff = float(np.abs(out["topic_rank"].to_numpy() - topic).max())
    cores_equal = bool((out["core_number"].to_numpy() == g.core).all())
    s = report.seconds
    prep = s["total"] - s["pagerank"] - s["core"] - s["audience"]
    return [
        [
            f"{edges:,}",
            "in-process",
            f"{build:.1f}",
            f"{metrics:.1f}",
            f"{topic_s:.1f}",
            f"{audience_s:.2f}",
            f"{build + metrics + topic_s + audience_s:.1f}",
            f"peak RSS {rss:.0f} MB",
        ],
        [
            f"{edges:,}",
            f"Spark {session.master()}",
            f"files {write:.1f} + JVM {start:.1f} + load/other {prep:.1f}",
            f"PR+topic {s['pagerank']:.1f} ({report.iterations['pagerank']} it) + core {s['core']:.1f} "
            f"({report.iterations['core']} it)",
            "(with PR)",
            f"{s['audience']:.1f}",
            f"{write + start + s['total']:.1f}",
            f"largest PageRank difference {pr_diff:.1e}, topic rank {topic_diff:.1e}, cores equal: {cores_equal}",
        ],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000000")
    parser.add_argument("--master", help="Spark master (default SOROT_SPARK_MASTER or local[2])")
    parser.add_argument("--driver-memory", default="6g")
    args = parser.parse_args()
    if args.master:
        os.environ["SOROT_SPARK_MASTER"] = args.master
    os.environ.setdefault("SOROT_SPARK_DRIVER_MEMORY", args.driver_memory)
    rows: list[list[object]] = []
    before = os.getloadavg()
    for size in map(int, args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="sorot-spark-bench-") as tmp:
            rows += one(size, Path(tmp))
    after = os.getloadavg()
    table(
        f"Graph metrics, in-process vs Spark (load average {before[0]:.1f} before, {after[0]:.1f} after, "
        f"{os.cpu_count()} cores)",
        ["edges", "engine", "build / prepare s", "global metrics s", "topic rank s", "audience s", "total s", "notes"],
        rows,
    )
    session.stop()


if __name__ == "__main__":
    main()
