"""The Spark graph job: the ranking's graph metrics from snapshot Parquet files, written as Parquet.

Input: a snapshot directory (``accounts.parquet``, ``follows.parquet``, ``interactions.parquet``,
``manifest.json`` with ``built_at``), as the snapshot store writes it. Output directory:

- ``metrics.parquet``: id, pagerank, in_degree, core_number (``--metrics``) and topic_rank (``--restart``);
- ``audience.parquet``: a candidate's audience statistics (``--candidates``, optionally ``--target``).

The semantics are the in-process engine's (graph/centrality.py, graph/ranking.py): PageRank with
networkx's rules, stopping at the same L1 change; core numbers of the directed follows with
self-loops ignored and a reciprocal pair counted twice. Joins and aggregations are DataFrame
operations; the iterations keep the node vector on the driver and the edges in cached blocks
(graph/spark/blocks.py), so an iteration is one pass over the edges and never grows a plan.

Run it with ``spark-submit --py-files sorot.zip graph/spark/job.py SNAPSHOT OUT --metrics`` or
``python -m graph.spark.job`` (local mode, or the master in SOROT_SPARK_MASTER).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from graph.build import FOLLOW_WEIGHT
from graph.centrality import ALPHA, L1_TOLERANCE, ConvergenceError
from graph.spark import blocks
from graph.spark.audience import audience
from graph.spark.inputs import Graph, load

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import DataFrame, SparkSession

# Above this many floats the node vector goes to the tasks as a broadcast, below it inside the closure.
BROADCAST_MIN = 100_000
MAX_ITER = 200
# k-core steps a block takes on its own rows per global round. More did not save rounds on the benchmark
# graph (most neighbours sit in other blocks) and cost more per round: 1M edges took 36 s with 1, 77 s with 50.
LOCAL_SWEEPS = 1


@dataclass
class Request:
    snapshot: str  # directory (any URI Spark reads: file://, hdfs://, s3a://)
    out: str
    metrics: bool = True  # pagerank, in_degree, core_number
    restart: str | None = None  # Parquet (account_id, n): topic_rank's restart weights
    candidates: str | None = None  # Parquet (id): accounts to compute audience statistics for
    target: str | None = None  # Parquet (id): the target audience
    built_at: datetime | None = None  # default: the manifest's
    since: datetime | None = None  # only interactions at or after this (files with an ``at`` column)


@dataclass
class Report:
    nodes: int = 0
    edges: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    iterations: dict[str, int] = field(default_factory=dict)


def _pack(df: DataFrame, g: Graph) -> RDD[blocks.Block]:
    """(row, col, val) rows -> cached CSR blocks of contiguous row ranges."""
    ids = g.spark.sparkContext.broadcast(g.ids)
    n = g.n
    parts = int(g.spark.conf.get("spark.sql.shuffle.partitions") or 4)

    def pack(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return blocks.pack(batches, ids.value)

    packed = df.repartitionByRange(parts, "row").mapInArrow(pack, blocks.BLOCK_DDL)
    rdd = packed.rdd.map(lambda r: blocks.unpack(r, n)).cache()
    rdd.count()
    return rdd


def _each(
    rdd: RDD[blocks.Block], x: Any, fn: Callable[[blocks.Block, Any], tuple[int, np.ndarray]], size: int = 0
) -> list[tuple[int, np.ndarray]]:
    """``fn(block, x)`` on every block; ``x`` (``size`` numbers) shipped in the closure or, when large,
    as a broadcast."""
    if (size or x.size) < BROADCAST_MIN:
        return rdd.map(lambda b: fn(b, x)).collect()
    shared = rdd.context.broadcast(x)
    try:
        return rdd.map(lambda b: fn(b, shared.value)).collect()
    finally:
        shared.destroy()


def pagerank(g: Graph, restarts: list[np.ndarray | None], report: Report) -> np.ndarray:
    """PageRank for each restart vector (None: uniform) at once, one column each; n x len(restarts).

    As graph.centrality.pagerank: x <- alpha (Q^T x + dangling mass x p) + (1 - alpha) p from a uniform
    start; a column is final at the first iteration whose L1 change is below the tolerance.
    """
    from pyspark.sql import functions as F

    n, m = g.n, len(restarts)
    if n == 0:
        return np.zeros((0, m))
    edges = g.follows.select(
        F.col("follower_id").alias("src"), F.col("followee_id").alias("dst"), F.lit(FOLLOW_WEIGHT).alias("w")
    ).unionByName(
        g.interactions.where(F.col("actor_id") != F.col("author_id")).select(
            F.col("actor_id").alias("src"), F.col("author_id").alias("dst"), "w"
        )
    )
    out = edges.groupBy("src").agg(F.sum("w").alias("out")).where(F.col("out") > 0).cache()
    normalised = edges.join(out, "src").select(
        F.col("dst").alias("row"), F.col("src").alias("col"), (F.col("w") / F.col("out")).alias("val")
    )
    started = time.perf_counter()
    rdd = _pack(normalised, g)
    report.edges = int(rdd.map(lambda b: b[1].nnz).sum())
    dangling = np.ones(n, dtype=bool)
    idx, found = g.dense(out.select("src").toArrow(), "src")
    dangling[idx[found]] = False
    out.unpersist()
    p = np.empty((n, m))
    for j, r in enumerate(restarts):
        if r is None:
            p[:, j] = 1.0 / n
        elif not r.sum() > 0:
            raise ValueError("personalization must have a positive sum")
        else:
            p[:, j] = r / r.sum()
    x = np.full((n, m), 1.0 / n)
    result = np.empty((n, m))
    active = np.arange(m)
    try:
        for it in range(1, MAX_ITER + 1):
            last = x[:, active]
            qx = blocks.assemble(_each(rdd, last, blocks.multiply), n, active.size)
            pa_ = p[:, active]
            x_new = ALPHA * (qx + last[dangling].sum(axis=0) * pa_) + (1 - ALPHA) * pa_
            done = np.abs(x_new - last).sum(axis=0) < L1_TOLERANCE
            result[:, active[done]] = x_new[:, done]
            x[:, active] = x_new
            active = active[~done]
            if active.size == 0:
                report.iterations["pagerank"] = it
                report.seconds["pagerank"] = time.perf_counter() - started
                return result
    finally:
        rdd.unpersist()
    raise ConvergenceError(f"PageRank did not converge in {MAX_ITER} iterations")


def core_numbers(g: Graph, report: Report) -> np.ndarray:
    """Exact k-core numbers by repeated h-index steps over the symmetrised follows (multiplicities kept)."""
    from pyspark.sql import functions as F

    started = time.perf_counter()
    pairs = (
        g.follows.where(F.col("follower_id") != F.col("followee_id"))
        .select(F.col("follower_id").alias("a"), F.col("followee_id").alias("b"))
        .distinct()
    )
    both = pairs.select(F.col("a").alias("row"), F.col("b").alias("col")).unionByName(
        pairs.select(F.col("b").alias("row"), F.col("a").alias("col"))
    )
    rdd = _pack(both.withColumn("val", F.lit(1.0)), g)
    try:
        estimate = blocks.assemble(rdd.map(blocks.row_sums).collect(), g.n).astype(np.int64)
        changed: np.ndarray | None = None  # the first round looks at every node
        for it in range(1, g.n + 2):
            size = g.n + (changed.size if changed is not None else 0)
            step = blocks.assemble(_each(rdd, (estimate, changed), _h_sweeps, size), g.n, dtype=np.int64)
            if np.array_equal(step, estimate):
                report.iterations["core"] = it
                report.seconds["core"] = time.perf_counter() - started
                return estimate
            changed = np.flatnonzero(step != estimate)
            estimate = step
    finally:
        rdd.unpersist()
    raise RuntimeError("core numbers did not settle")  # cannot happen: estimates only fall, and are >= 0


def _h_sweeps(block: blocks.Block, state: tuple[np.ndarray, np.ndarray | None]) -> tuple[int, np.ndarray]:
    estimate, changed = state
    return blocks.h_step(block, estimate, changed, sweeps=LOCAL_SWEEPS)


def in_degree(g: Graph) -> np.ndarray:
    counts = g.follows.groupBy("followee_id").count().toArrow()
    out = np.zeros(g.n, dtype=np.int64)
    idx, found = g.dense(counts, "followee_id")
    out[idx[found]] = counts.column("count").to_numpy()[found]
    return out


def restart_vector(g: Graph, path: str) -> np.ndarray:
    """Restart weights per account from Parquet (account_id, n); accounts outside the snapshot dropped."""
    table = g.spark.read.parquet(path).select("account_id", "n").toArrow()
    idx, known = g.dense(table, "account_id")
    vector = np.zeros(g.n)
    np.add.at(vector, idx[known], table.column("n").to_numpy().astype(np.float64)[known])
    return vector


def run(spark: SparkSession, req: Request) -> Report:
    from pyspark.sql import functions as F

    report = Report()
    started = time.perf_counter()
    g = load(spark, req.snapshot, req.built_at, req.since)
    report.nodes = g.n
    out = req.out.rstrip("/")
    columns: dict[str, Any] = {"id": g.ids}
    restarts: list[np.ndarray | None] = []
    if req.metrics:
        restarts.append(None)
    if req.restart:
        restarts.append(restart_vector(g, req.restart))
    if restarts:
        ranks = pagerank(g, restarts, report)
        if req.metrics:
            columns["pagerank"] = ranks[:, 0]
        if req.restart:
            columns["topic_rank"] = ranks[:, -1]
    if req.metrics:
        columns["in_degree"] = in_degree(g)
        columns["core_number"] = core_numbers(g, report)
    if len(columns) > 1:
        table = pa.table(columns)
        spark.createDataFrame(table).coalesce(1).write.mode("overwrite").parquet(f"{out}/metrics.parquet")
    if req.candidates:
        t = time.perf_counter()
        cands = spark.read.parquet(req.candidates).select(F.col("id").cast("long"))
        target = spark.read.parquet(req.target).select(F.col("id").cast("long")) if req.target else None
        audience(g, cands, target).coalesce(1).write.mode("overwrite").parquet(f"{out}/audience.parquet")
        report.seconds["audience"] = time.perf_counter() - t
    report.seconds["total"] = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sorot's graph metrics on Spark: snapshot Parquet in, Parquet out.")
    parser.add_argument("snapshot", help="snapshot directory (accounts/follows/interactions.parquet, manifest.json)")
    parser.add_argument("out", help="output directory")
    parser.add_argument("--metrics", action="store_true", help="pagerank, in_degree and core_number")
    parser.add_argument("--restart", help="Parquet (account_id, n): topic rank with these restart weights")
    parser.add_argument("--candidates", help="Parquet (id): audience statistics of these accounts")
    parser.add_argument("--target", help="Parquet (id): the target audience for --candidates")
    parser.add_argument("--since", type=datetime.fromisoformat, help="only interactions at or after (ISO time)")
    args = parser.parse_args(argv)
    from graph.spark import session

    req = Request(args.snapshot, args.out, args.metrics, args.restart, args.candidates, args.target, since=args.since)
    report = run(session.get(), req)
    print(json.dumps({"nodes": report.nodes, "seconds": report.seconds, "iterations": report.iterations}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
