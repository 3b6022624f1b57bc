"""The Spark engine's runs and metrics in PostgreSQL (graph_metric_runs, graph_metrics)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from uuid import UUID

import polars as pl

from sql import Conn, Q

METRIC_SCHEMA = {
    "account_id": pl.Int64,
    "pagerank": pl.Float64,
    "topic_rank": pl.Float64,
    "in_degree": pl.Int64,
    "core_number": pl.Int64,
}


@dataclass
class RunInfo:
    graph_key: str
    topic_key: str
    nodes: int
    edges: int
    seconds: float
    iterations: dict[str, int] = field(default_factory=dict)


async def find_run(conn: Conn, graph_key: str, topic_key: str) -> UUID | None:
    run_id: UUID | None = await conn.fetchval(Q["graph_metrics.find_run"], graph_key, topic_key)
    return run_id


async def save_run(conn: Conn, info: RunInfo, metrics: pl.DataFrame) -> UUID:
    """A run and its rows (``metrics`` has ``id`` and any of the metric columns; leave opted-out accounts
    out); an equal run saved meanwhile by another request wins, and its id is returned."""
    async with conn.transaction():
        await conn.execute(Q["graph_metrics.prune_runs"])
        run_id: UUID | None = await conn.fetchval(
            Q["graph_metrics.insert_run"],
            info.graph_key,
            info.topic_key,
            "spark",
            info.nodes,
            info.edges,
            info.seconds,
            json.dumps(info.iterations),
        )
        if run_id is None:
            existing = await find_run(conn, info.graph_key, info.topic_key)
            if existing is None:
                raise LookupError("a concurrent run vanished")
            return existing
        rows = metrics.rename({"id": "account_id"})
        rows = rows.with_columns(
            [pl.lit(None, dtype=t).alias(c) for c, t in METRIC_SCHEMA.items() if c not in rows.columns]
        ).select(pl.lit(str(run_id)).alias("run_id"), *METRIC_SCHEMA)
        buf = io.BytesIO()
        rows.write_csv(buf, include_header=False)
        buf.seek(0)
        await conn.copy_to_table("graph_metrics", source=buf, format="csv", columns=rows.columns)
        await conn.execute(Q["graph_metrics.drop_opted_out"], run_id)
        return run_id


async def run_metrics(conn: Conn, run_id: UUID) -> pl.DataFrame:
    buf = io.BytesIO()
    await conn.copy_from_query(Q["graph_metrics.run_metrics"], run_id, output=buf, format="csv", header=True)
    if buf.tell() == 0:
        return pl.DataFrame(schema=METRIC_SCHEMA)
    buf.seek(0)
    return pl.read_csv(buf, schema=METRIC_SCHEMA)
