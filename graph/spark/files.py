"""Snapshot files as the Spark job reads them (the snapshot store's contract) and its output back."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

from graph.build import FOLLOW_WEIGHT, Snapshot

FORMAT = 1


def write_snapshot(
    directory: Path,
    platform: str,
    built_at: datetime,
    accounts: pl.DataFrame,
    follows: pl.DataFrame,
    interactions: pl.DataFrame,
) -> Path:
    """accounts.parquet, follows.parquet, interactions.parquet and manifest.json in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    accounts.write_parquet(directory / "accounts.parquet")
    follows.select("follower_id", "followee_id").write_parquet(directory / "follows.parquet")
    interactions.select("actor_id", "author_id", "kind").write_parquet(directory / "interactions.parquet")
    rows = {"accounts": accounts.height, "follows": follows.height, "interactions": interactions.height}
    manifest = {"format": FORMAT, "platform": platform, "built_at": built_at.isoformat(), "rows": rows}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def export_snapshot(snap: Snapshot, directory: Path) -> Path:
    """An in-memory snapshot as files the job reads, exactly: its accounts and follows, and the rest of each
    edge's weight (the interactions, summed per pair, in a ``weight`` column), plus a weightless self-row
    per account that engaged with anything, since engaging marks an account as not silent."""
    ids = snap.ids
    follows_only = sp.csr_array(
        (np.full(snap.follow_src.size, FOLLOW_WEIGHT), (snap.follow_src, snap.follow_dst)), shape=snap.weights.shape
    )
    rest = sp.coo_array(snap.weights - follows_only)
    keep = rest.data != 0
    interactions = pl.DataFrame(
        {
            "actor_id": np.concatenate([ids[rest.row[keep]], ids[snap.actors]]),
            "author_id": np.concatenate([ids[rest.col[keep]], ids[snap.actors]]),
            "weight": np.concatenate([rest.data[keep], np.zeros(snap.actors.size)]),
        }
    ).with_columns(pl.lit(None, dtype=pl.String).alias("kind"))
    follows = pl.DataFrame({"follower_id": ids[snap.follow_src], "followee_id": ids[snap.follow_dst]})
    directory.mkdir(parents=True, exist_ok=True)
    snap.accounts.write_parquet(directory / "accounts.parquet")
    follows.write_parquet(directory / "follows.parquet")
    interactions.write_parquet(directory / "interactions.parquet")
    rows = {"accounts": snap.n, "follows": follows.height, "interactions": interactions.height}
    manifest = {"format": FORMAT, "platform": snap.platform, "built_at": snap.built_at.isoformat(), "rows": rows}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def write_ids(path: Path, ids: np.ndarray) -> Path:
    pl.DataFrame({"id": np.asarray(ids, dtype=np.int64)}).write_parquet(path)
    return path


def write_restart(path: Path, account_ids: np.ndarray, weights: np.ndarray) -> Path:
    pl.DataFrame({"account_id": np.asarray(account_ids, np.int64), "n": np.asarray(weights, np.float64)}).write_parquet(
        path
    )
    return path


def read_output(path: Path) -> pl.DataFrame:
    """A Parquet output of the job (a directory of part files)."""
    return pl.read_parquet(path / "*.parquet") if path.is_dir() else pl.read_parquet(path)
