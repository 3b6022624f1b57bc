"""The snapshot files as Spark DataFrames, and the snapshot's accounts in dense-index order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from graph.build import INTERACTION_WEIGHTS
from graph.spark import blocks

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession


@dataclass
class Graph:
    spark: SparkSession
    accounts: DataFrame
    follows: DataFrame
    interactions: DataFrame
    ids: np.ndarray  # sorted account ids: dense index = position
    built_at: datetime

    @property
    def n(self) -> int:
        return int(self.ids.size)

    def dense(self, table: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Dense indices of a column of account ids, and which are in the snapshot at all."""
        return blocks.lookup(self.ids, table.column(column).to_numpy())


def load(spark: SparkSession, snapshot: str, built_at: datetime | None = None, since: datetime | None = None) -> Graph:
    from pyspark.sql import functions as F

    base = snapshot.rstrip("/")
    accounts = spark.read.parquet(f"{base}/accounts.parquet")
    follows = spark.read.parquet(f"{base}/follows.parquet").select("follower_id", "followee_id")
    interactions = spark.read.parquet(f"{base}/interactions.parquet")
    if since is not None and "at" in interactions.columns:
        interactions = interactions.where(F.col("at") >= F.lit(since))
    # An exported in-memory snapshot carries each edge's summed weight; the store's files carry the kind.
    weight = F.col("weight") if "weight" in interactions.columns else _weight(F.col("kind"))
    interactions = interactions.select("actor_id", "author_id", weight.cast("double").alias("w"))
    if built_at is None:
        manifest = spark.read.json(f"{base}/manifest.json", multiLine=True).first()
        if manifest is None:
            raise ValueError(f"{base}/manifest.json is empty")
        built_at = datetime.fromisoformat(str(manifest["built_at"]))
    ids = np.sort(accounts.select(F.col("id").cast("long")).toArrow().column("id").to_numpy())
    return Graph(spark, accounts, follows, interactions, ids, built_at)


def _weight(kind: Column) -> Column:
    from pyspark.sql import functions as F

    pairs = [F.lit(v) for k, w in INTERACTION_WEIGHTS.items() for v in (k, w)]
    return F.coalesce(F.create_map(*pairs)[kind], F.lit(0.0))
