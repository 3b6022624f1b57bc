"""Snapshot files as the Spark job reads them (the snapshot store's contract) and its output back."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

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
