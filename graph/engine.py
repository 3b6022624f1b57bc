"""Which engine computes the ranking's graph metrics: in-process (default) or Spark.

SOROT_GRAPH_ENGINE=inprocess|spark, read on every ranking. With ``spark``, ``prepare`` fills the
snapshot's cache with the Spark job's global metrics and topic rank (stored in PostgreSQL), and
audience statistics run as a Spark job; the rest of the ranking is the same code either way.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from graph import ranking
from graph.build import Snapshot
from graph.centrality import pagerank, transition
from sql import Conn
from sql.errors import ValidationError

ENGINES = ("inprocess", "spark")
TOPICS_KEPT = 8  # topic ranks kept per snapshot: one vector of 8 bytes per account each


def name() -> str:
    engine = (os.environ.get("SOROT_GRAPH_ENGINE") or "inprocess").strip().lower()
    if engine not in ENGINES:
        raise ValidationError(f"SOROT_GRAPH_ENGINE={engine!r}: use inprocess or spark", field="engine")
    return engine


async def prepare(conn: Conn, snap: Snapshot, restart: np.ndarray | None) -> None:
    """Before a ranking: with the Spark engine, its metrics for this snapshot (and topic)."""
    if name() == "spark":
        from graph.spark import engine as spark

        await spark.prepare(conn, snap, restart)
    elif snap.cache.pop("globals_engine", None) == "spark":
        del snap.cache["globals"]  # computed in-process on first use


def topic_rank(snap: Snapshot, restart: np.ndarray) -> np.ndarray:
    if name() == "spark":
        from graph.spark.engine import restart_key

        key, cached = snap.cache.get("spark_topic", ("", None))
        if cached is not None and key == restart_key(restart):
            result: np.ndarray = cached
            return result
    # A snapshot is immutable and topic rank depends only on it and the restart weights, so repeated
    # rankings of one topic (pages, shortlists, exports) reuse it: on 5M edges it is ~0.45 s a request.
    key = hashlib.blake2b(np.ascontiguousarray(restart, dtype=np.float64).tobytes(), digest_size=16).hexdigest()
    kept: dict[str, np.ndarray] = snap.cache.setdefault("topic_ranks", {})
    if key in kept:
        return kept[key]
    if "prepared" not in snap.cache:  # the globals may have come from Spark
        snap.cache["prepared"] = transition(snap.weights)
    ranks = pagerank(snap.weights, personalization=restart, prepared=snap.cache["prepared"])
    ranks.setflags(write=False)  # shared by later requests: nobody may change it in place
    while len(kept) >= TOPICS_KEPT:
        kept.pop(next(iter(kept)), None)
    kept[key] = ranks
    return ranks


def audience_stats(snap: Snapshot, candidates: np.ndarray, target: np.ndarray | None) -> ranking.AudienceStats:
    if name() == "spark":
        from graph.spark import engine as spark

        return spark.audience_stats(snap, candidates, target)
    return ranking.audience_stats(snap, candidates, target)
