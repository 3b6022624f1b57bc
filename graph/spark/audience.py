"""The candidates' audience statistics (graph/ranking.py's audience_stats) as DataFrame operations."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from graph import authenticity as au
from graph.spark.inputs import Graph

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

WILSON_Z = 1.959964


def suspicion(g: Graph) -> DataFrame:
    """id, suspect: graph/authenticity.py's suspicion, as DataFrame operations."""
    from pyspark.sql import functions as F

    cutoff = int((g.built_at - timedelta(days=au.NEW_ACCOUNT_DAYS)).timestamp())
    following = F.coalesce(F.col("following_count"), F.lit(0))
    engaged = g.interactions.select(F.col("actor_id").alias("id")).distinct().withColumn("engaged", F.lit(True))
    a = g.accounts.join(engaged, "id", "left").select(
        "id",
        (following > au.MASS_FOLLOWING).alias("mass_following"),
        (F.coalesce(F.col("posts_count"), F.lit(-1)) == 0).alias("no_posts"),
        (~F.coalesce(F.col("has_avatar"), F.lit(True)) & F.coalesce(F.col("empty_bio"), F.lit(False))).alias(
            "default_profile"
        ),
        ((F.coalesce(F.col("created_epoch"), F.lit(0)) > cutoff) & (following > au.NEW_HIGH_FOLLOWING)).alias(
            "new_high_following"
        ),
        ((F.coalesce(F.col("posts_count"), F.lit(-1)) == 0) & F.col("engaged").isNull() & (following > 0)).alias(
            "silent"
        ),
    )
    silent = a.select(F.col("id").alias("follower_id"), "silent")
    f = g.follows.join(silent, "follower_id", "left")
    targets = (
        f.groupBy(F.col("followee_id").alias("id"))
        .agg(F.count(F.lit(1)).alias("followers"), F.sum(F.col("silent").cast("long")).alias("silent_followers"))
        .where(
            (F.col("silent_followers") >= au.FARM_TARGET_MIN_FOLLOWERS)
            & (F.col("silent_followers") / F.col("followers") >= au.FARM_TARGET_BOT_SHARE)
        )
        .select(F.col("id").alias("followee_id"), F.lit(True).alias("target"))
    )
    on_target = (
        g.follows.join(targets, "followee_id", "left")
        .groupBy(F.col("follower_id").alias("id"))
        .agg(F.count(F.lit(1)).alias("following"), F.count("target").alias("on_target"))
    )
    member = (
        F.col("silent")
        & (F.coalesce(F.col("on_target"), F.lit(0)) >= 1)
        & (F.coalesce(F.col("on_target") / F.col("following"), F.lit(0.0)) >= au.FARM_MEMBER_TARGET_SHARE)
    )
    reasons = F.col("mass_following") | F.col("no_posts") | F.col("default_profile") | F.col("new_high_following")
    return a.join(on_target, "id", "left").select("id", (reasons | member).alias("suspect"))


def audience(g: Graph, candidates: DataFrame, target: DataFrame | None) -> DataFrame:
    """graph.ranking.audience_stats for each candidate: counts over its distinct stored followers."""
    from pyspark.sql import functions as F

    flags = suspicion(g).join(g.accounts.select("id", "following_count"), "id")
    if target is not None:
        target = target.select("id").distinct().join(g.accounts.select("id"), "id")
        target_size = max(target.count(), 1)
        flags = flags.join(target.withColumn("in_target", F.lit(True)), "id", "left")
    else:
        flags = flags.withColumn("in_target", F.lit(None).cast("boolean"))
    credible = ~F.col("suspect")
    known = F.col("following_count").isNotNull()
    cands = F.broadcast(candidates.select(F.col("id").alias("cand")).distinct())
    follows = (
        g.follows.select(F.col("followee_id").alias("cand"), F.col("follower_id").alias("id"))
        .join(cands, "cand")  # the candidates' followers only, before the shuffles
        .distinct()
    )
    counted = (
        follows.join(flags, "id")
        .groupBy("cand")
        .agg(
            F.count(F.lit(1)).alias("followers"),
            F.sum(credible.cast("long")).alias("credible"),
            F.sum(known.cast("long")).alias("known"),
            F.sum((known & (F.col("following_count") < au.MASS_FOLLOWING)).cast("long")).alias("reachable"),
            F.sum((credible & F.coalesce(F.col("in_target"), F.lit(False))).cast("long")).alias("targeted"),
        )
    )
    zero = F.lit(0).cast("long")
    c = cands.join(counted, "cand", "left")
    c = c.select(
        "cand",
        *(F.coalesce(F.col(k), zero).alias(k) for k in ("followers", "credible", "known", "reachable", "targeted")),
    )
    nan = F.lit(float("nan"))
    n, k = F.col("followers").cast("double"), F.col("credible").cast("double")
    z2 = WILSON_Z * WILSON_Z
    p = k / n
    denom = 1 + F.lit(z2) / n
    centre = (p + F.lit(z2) / (2 * n)) / denom
    half = WILSON_Z * F.sqrt(p * (1 - p) / n + F.lit(z2) / (4 * n * n)) / denom
    in_target = F.col("targeted") if target is not None else F.col("credible")
    return c.select(
        F.col("cand").alias("id"),
        "followers",
        "credible",
        F.when(n > 0, k / n).otherwise(0.0).alias("authenticity"),
        F.when(n > 0, F.greatest(F.lit(0.0), centre - half)).otherwise(0.0).alias("low"),
        F.when(n > 0, F.least(F.lit(1.0), centre + half)).otherwise(1.0).alias("high"),
        F.when(F.col("known") > 0, F.col("reachable") / F.col("known")).otherwise(nan).alias("reachability"),
        (F.when(k > 0, F.col("targeted") / k).otherwise(0.0) if target is not None else nan).alias("fit"),
        (F.col("targeted") / F.lit(float(target_size)) if target is not None else nan).alias("coverage"),
        in_target.cast("double").alias("in_target"),
    )
