"""The Spark job's metrics equal the in-process engine's on small awkward graphs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest

from graph.build import Snapshot, build_snapshot
from graph.centrality import core_numbers
from graph.ranking import AudienceStats, audience_stats, global_metrics, topic_rank
from graph.spark import files, job
from tests.spark.graphs import BUILT_AT, frames

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass
class Run:
    snap: Snapshot
    restart: np.ndarray
    candidates: np.ndarray
    target: np.ndarray | None
    metrics: pl.DataFrame
    audience: pl.DataFrame
    report: job.Report


CASES = {
    # n, seed, with a target, without interactions
    "scale-free 300, target": (300, 3, True, False),
    "scale-free 120, no target, no interactions": (120, 11, False, True),
}


@pytest.fixture(scope="module", params=list(CASES))
def run(request: pytest.FixtureRequest, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Run:
    n, seed, with_target, no_interactions = CASES[request.param]
    accounts, follows, interactions = frames(n, seed)
    if no_interactions:
        interactions = interactions.clear()
    snap = build_snapshot("mastodon", BUILT_AT, accounts, follows, interactions)
    d = tmp_path_factory.mktemp("spark")
    files.write_snapshot(d / "snap", "mastodon", BUILT_AT, accounts, follows, interactions)
    rng = np.random.default_rng(seed)
    posters = rng.choice(snap.n, size=5, replace=False)
    restart = np.zeros(snap.n)
    restart[posters] = rng.integers(1, 5, size=5)
    # An account outside the snapshot in the restart file is dropped, as the service drops it.
    files.write_restart(d / "restart.parquet", np.append(snap.ids[posters], 7), np.append(restart[posters], 9.0))
    candidates = np.sort(rng.choice(snap.n, size=n // 3, replace=False))
    files.write_ids(d / "candidates.parquet", snap.ids[candidates])
    target = None
    if with_target:
        target = rng.random(snap.n) < 0.4
        files.write_ids(d / "target.parquet", np.append(snap.ids[target], 5))
    req = job.Request(
        str(d / "snap"),
        str(d / "out"),
        metrics=True,
        restart=str(d / "restart.parquet"),
        candidates=str(d / "candidates.parquet"),
        target=str(d / "target.parquet") if with_target else None,
    )
    report = job.run(spark, req)
    metrics = files.read_output(d / "out" / "metrics.parquet").sort("id")
    audience = files.read_output(d / "out" / "audience.parquet").sort("id")
    return Run(snap, restart, candidates, target, metrics, audience, report)


class TestGlobalMetrics:
    def test_every_account_once(self, run: Run) -> None:
        assert run.metrics["id"].to_numpy().tolist() == run.snap.ids.tolist()

    def test_pagerank_within_1e6_per_node(self, run: Run) -> None:
        ours = run.metrics["pagerank"].to_numpy()
        assert np.abs(ours - global_metrics(run.snap).pagerank).max() < 1e-6
        assert abs(ours.sum() - 1) < 1e-6

    def test_core_numbers_exact(self, run: Run) -> None:
        s = run.snap
        expected = core_numbers(s.follow_src, s.follow_dst, s.n)
        assert run.metrics["core_number"].to_numpy().tolist() == expected.tolist()
        assert expected.max() >= 3  # the graphs have real cores, not just leaves

    def test_in_degree_exact(self, run: Run) -> None:
        assert run.metrics["in_degree"].to_numpy().tolist() == global_metrics(run.snap).in_degree.tolist()

    def test_graph_has_the_awkward_parts(self, run: Run) -> None:
        s = run.snap
        out = np.asarray(s.weights.sum(axis=1)).ravel()
        assert (out == 0).any()  # dangling nodes
        assert (s.follow_src == s.follow_dst).any()  # self-loops
        pairs = set(zip(s.follow_src.tolist(), s.follow_dst.tolist(), strict=True))
        assert any((b, a) in pairs for a, b in pairs if a != b)  # reciprocal edges


class TestTopicRank:
    def test_within_1e6_per_node(self, run: Run) -> None:
        ours = run.metrics["topic_rank"].to_numpy()
        expected = topic_rank(run.snap, run.restart)
        assert np.abs(ours - expected).max() < 1e-6
        assert not np.allclose(ours, run.metrics["pagerank"].to_numpy(), atol=1e-4)  # a different vector


class TestAudience:
    COUNTS = ("followers", "credible", "in_target")
    RATIOS = ("authenticity", "low", "high", "reachability", "fit", "coverage")

    def expected(self, run: Run) -> AudienceStats:
        return audience_stats(run.snap, run.candidates, run.target)

    def test_one_row_per_candidate(self, run: Run) -> None:
        assert run.audience["id"].to_numpy().tolist() == run.snap.ids[run.candidates].tolist()

    def test_counts_exact(self, run: Run) -> None:
        st = self.expected(run)
        for name in self.COUNTS:
            assert run.audience[name].to_numpy().astype(float).tolist() == getattr(st, name).astype(float).tolist()
        assert run.audience["credible"].sum() < run.audience["followers"].sum()  # some followers are suspect

    def test_ratios_equal(self, run: Run) -> None:
        # The in-process engine sums in float32; the job in doubles.
        st = self.expected(run)
        for name in self.RATIOS:
            ours, theirs = run.audience[name].to_numpy().astype(float), getattr(st, name).astype(float)
            assert np.array_equal(np.isnan(ours), np.isnan(theirs)), name
            assert np.allclose(ours, theirs, rtol=1e-6, atol=1e-9, equal_nan=True), name
        if run.target is None:
            assert run.audience["fit"].is_nan().all()
