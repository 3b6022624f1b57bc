"""The Spark engine behind the ranking: global metrics and topic ranks through PostgreSQL, audience
statistics per request.

Global metrics (PageRank, in-degree, core numbers) and a topic's rank are computed once per snapshot
graph (and restart vector), stored in graph_metrics, and read back from there while the graph is
unchanged. Audience statistics depend on the request's candidates and target and come straight from
the job's Parquet output. Snapshot files are written to SOROT_SPARK_WORKDIR (shared storage on a
cluster), keyed by content.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from uuid import UUID

import numpy as np
import polars as pl

from graph.build import Snapshot
from graph.ranking import AudienceStats, Globals
from graph.spark import files, job, session
from graph.spark import repository as repo
from sql import Conn
from sql.errors import UpstreamError

KEEP_EXPORTS = 4


def workdir() -> Path:
    base = os.environ.get("SOROT_SPARK_WORKDIR") or str(Path(os.environ.get("SOROT_HOME", ".sorot")) / "spark")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def graph_key(snap: Snapshot) -> str:
    """What the global metrics depend on: the accounts and the weighted edges."""
    if "graph_key" not in snap.cache:
        w = snap.weights
        arrays = (snap.ids, snap.follow_src, snap.follow_dst, w.indptr, w.indices, w.data)
        snap.cache["graph_key"] = _digest(*(np.ascontiguousarray(a).tobytes() for a in arrays))
    key: str = snap.cache["graph_key"]
    return key


def restart_key(restart: np.ndarray) -> str:
    return _digest(np.ascontiguousarray(restart, dtype=np.float64).tobytes())


def snapshot_dir(snap: Snapshot) -> Path:
    """The snapshot exported once (accounts' profile fields and the build time matter to audience statistics)."""
    if "spark_dir" not in snap.cache:
        profile = snap.accounts.hash_rows(seed=0).to_numpy().tobytes()
        name = _digest(graph_key(snap).encode(), profile, snap.built_at.isoformat().encode())
        directory = workdir() / "snapshots" / name
        if not (directory / "manifest.json").exists():
            tmp = Path(tempfile.mkdtemp(dir=workdir(), prefix="export-"))
            files.export_snapshot(snap, tmp)
            directory.parent.mkdir(parents=True, exist_ok=True)
            try:
                tmp.rename(directory)
            except OSError:  # another request exported the same snapshot meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
            _prune(directory.parent)
        snap.cache["spark_dir"] = directory
    path: Path = snap.cache["spark_dir"]
    return path


def _prune(parent: Path) -> None:
    exports = sorted(parent.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in exports[KEEP_EXPORTS:]:
        shutil.rmtree(old, ignore_errors=True)


def _run(snap: Snapshot, **request: object) -> tuple[job.Report, Path]:
    """The job on this snapshot; Spark that cannot start or fails is the engine's upstream failing (502)."""
    out = Path(tempfile.mkdtemp(dir=workdir(), prefix="out-"))
    req = job.Request(str(snapshot_dir(snap)), str(out), built_at=snap.built_at, **request)  # type: ignore[arg-type]
    try:
        spark = session.get()
    except session.SparkUnavailableError as e:
        raise UpstreamError(f"the Spark graph engine (SOROT_GRAPH_ENGINE=spark) cannot start: {e}") from e
    try:
        return job.run(spark, req), out
    except Exception as e:
        from py4j.protocol import Py4JError  # type: ignore[import-untyped]
        from pyspark.errors import PySparkException

        if isinstance(e, PySparkException | Py4JError):
            raise UpstreamError(f"the Spark graph job failed on {session.master()}: {type(e).__name__}") from e
        raise


def _compute(snap: Snapshot, metrics: bool, restart: np.ndarray | None) -> tuple[list[repo.RunInfo], pl.DataFrame]:
    """One job for the global metrics and/or one topic rank (their PageRanks iterate together): the runs
    it makes, its rows and what it cost."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=workdir(), prefix="in-") as tmp:
        extra: dict[str, object] = {"metrics": metrics}
        if restart is not None:
            nz = np.flatnonzero(restart)
            extra["restart"] = str(files.write_restart(Path(tmp) / "restart.parquet", snap.ids[nz], restart[nz]))
        report, out = _run(snap, **extra)
    try:
        rows = files.read_output(out / "metrics.parquet")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    seconds = time.perf_counter() - started
    keys = ([""] if metrics else []) + ([restart_key(restart)] if restart is not None else [])
    runs = [repo.RunInfo(graph_key(snap), k, report.nodes, report.edges, seconds, report.iterations) for k in keys]
    return runs, rows


GLOBAL_COLUMNS = ["id", "pagerank", "in_degree", "core_number"]


async def _runs(conn: Conn, snap: Snapshot, restart: np.ndarray | None) -> list[UUID]:
    """The stored runs of the global metrics (and of the topic), computed in one job and stored first
    where there are none."""
    key = graph_key(snap)
    found = await repo.find_run(conn, key, "")
    topic = await repo.find_run(conn, key, restart_key(restart)) if restart is not None else None
    want_topic = restart is not None and topic is None
    if found is None or want_topic:
        runs, rows = await asyncio.to_thread(_compute, snap, found is None, restart if want_topic else None)
        rows = rows.sort("id")  # the snapshot's order, to line up with its opted-out flags
        opted_out = snap.accounts["opted_out"].fill_null(False).to_numpy()
        for info in runs:
            columns = GLOBAL_COLUMNS if info.topic_key == "" else ["id", "topic_rank"]
            saved = await repo.save_run(conn, info, rows.select(columns).filter(~pl.Series(opted_out)))
            found, topic = (saved, topic) if info.topic_key == "" else (found, saved)
    if found is None:
        raise LookupError("the global metrics run was not stored")
    return [found] if topic is None else [found, topic]


def _aligned(snap: Snapshot, rows: pl.DataFrame, column: str, dtype: type) -> np.ndarray:
    """A stored column per dense index; accounts without a row (opted out) get 0."""
    out: np.ndarray = np.zeros(snap.n, dtype=dtype)
    idx = snap.index(rows["account_id"].to_numpy())
    found = idx >= 0
    out[idx[found]] = rows[column].fill_null(0).to_numpy().astype(dtype)[found]
    return out


async def prepare(conn: Conn, snap: Snapshot, restart: np.ndarray | None) -> None:
    """Put the Spark engine's global metrics (and the topic rank of ``restart``) into the snapshot's cache."""
    need_topic = restart is not None and snap.cache.get("spark_topic", ("",))[0] != restart_key(restart)
    if snap.cache.get("globals_engine") == "spark" and not need_topic:
        return
    runs = await _runs(conn, snap, restart)
    if snap.cache.get("globals_engine") != "spark":
        rows = await repo.run_metrics(conn, runs[0])
        snap.cache["globals"] = Globals(
            pagerank=_aligned(snap, rows, "pagerank", np.float64),
            in_degree=_aligned(snap, rows, "in_degree", np.int64),
            core=_aligned(snap, rows, "core_number", np.int64),
        )
        snap.cache["globals_engine"] = "spark"
    if restart is not None and need_topic:  # the latest topic only: n floats each
        topic = _aligned(snap, await repo.run_metrics(conn, runs[-1]), "topic_rank", np.float64)
        snap.cache["spark_topic"] = (restart_key(restart), topic)


def audience_stats(snap: Snapshot, candidates: np.ndarray, target: np.ndarray | None) -> AudienceStats:
    """graph.ranking.audience_stats through the Spark job (blocking: call it from a thread)."""
    with tempfile.TemporaryDirectory(dir=workdir(), prefix="in-") as tmp:
        extra: dict[str, object] = {
            "metrics": False,
            "candidates": str(files.write_ids(Path(tmp) / "candidates.parquet", snap.ids[candidates])),
        }
        if target is not None:
            extra["target"] = str(files.write_ids(Path(tmp) / "target.parquet", snap.ids[target]))
        _, out = _run(snap, **extra)
    try:
        rows = files.read_output(out / "audience.parquet")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    order = pl.DataFrame({"id": snap.ids[candidates]}).with_row_index("pos")
    rows = order.join(rows, on="id", how="left").sort("pos")

    def col(name: str) -> np.ndarray:
        return rows[name].cast(pl.Float64).fill_null(0.0).to_numpy()

    return AudienceStats(
        followers=col("followers"),
        credible=col("credible"),
        authenticity=col("authenticity"),
        low=col("low"),
        high=col("high"),
        reachability=col("reachability"),
        fit=col("fit"),
        coverage=col("coverage"),
        in_target=col("in_target"),
    )
