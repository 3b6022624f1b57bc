"""Sorot's sparse graph arithmetic equals networkx's on graphs networkx can hold."""

from __future__ import annotations

from datetime import UTC, datetime

import networkx as nx
import numpy as np
import polars as pl
import pytest

from graph.build import INTERACTION_WEIGHTS, build_snapshot
from graph.centrality import core_numbers, pagerank


def random_graph(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    g = nx.scale_free_graph(n, seed=seed)
    edges = np.array([(u, v) for u, v in g.edges()], dtype=np.int64)
    return edges[:, 0], edges[:, 1]


def weighted_digraph(src: np.ndarray, dst: np.ndarray, w: np.ndarray, n: int) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for u, v, x in zip(src.tolist(), dst.tolist(), w.tolist(), strict=True):
        g.add_edge(u, v, weight=g[u][v]["weight"] + x if g.has_edge(u, v) else x)
    return g


class TestPagerank:
    @pytest.mark.parametrize("n", [50, 2000, 20_000])
    def test_equals_networkx(self, n: int) -> None:
        src, dst = random_graph(n, 0, seed=n)
        w = np.random.default_rng(n).integers(1, 4, src.size).astype(float)
        import scipy.sparse as sp

        matrix = sp.csr_array((w, (src, dst)), shape=(n, n))
        g = weighted_digraph(src, dst, w, n)
        ours = pagerank(matrix, l1_tol=1e-12)
        ref = nx.pagerank(g, alpha=0.85, tol=1e-14, max_iter=500)
        assert np.abs(ours - np.array([ref[i] for i in range(n)])).max() < 1e-6
        restart = np.zeros(n)
        restart[[1, 3, 7]] = [1.0, 2.0, 5.0]
        ours = pagerank(matrix, personalization=restart, l1_tol=1e-12)
        ref = nx.pagerank(g, personalization={1: 1.0, 3: 2.0, 7: 5.0}, tol=1e-14, max_iter=500)
        assert np.abs(ours - np.array([ref[i] for i in range(n)])).max() < 1e-6

    def test_snapshot_weights_follow_the_published_definition(self) -> None:
        accounts = pl.DataFrame({"id": [10, 20, 30, 40]})
        follows = pl.DataFrame({"follower_id": [10, 20, 30, 40], "followee_id": [20, 30, 10, 10]})
        interactions = pl.DataFrame(
            {"actor_id": [10, 10, 30, 40], "author_id": [20, 20, 10, 40], "kind": ["like", "repost", "reply", "like"]}
        )
        snap = build_snapshot("mastodon", datetime.now(UTC), accounts, follows, interactions)
        w = snap.weights.toarray()
        assert w[0, 1] == 1 + INTERACTION_WEIGHTS["like"] + INTERACTION_WEIGHTS["repost"]  # follow + like + repost
        assert w[2, 0] == 1 + INTERACTION_WEIGHTS["reply"]
        assert w[3, 3] == 0  # engaging with oneself is not an edge
        g = nx.DiGraph()
        for u, v in zip(*np.nonzero(w), strict=True):
            g.add_edge(int(u), int(v), weight=float(w[u, v]))
        g.add_nodes_from(range(4))
        ref = nx.pagerank(g, tol=1e-13, max_iter=1000)
        assert np.abs(pagerank(snap.weights, l1_tol=1e-12) - [ref[i] for i in range(4)]).max() < 1e-9


class TestCoreNumbers:
    @pytest.mark.parametrize("n", [30, 3000, 30_000])
    def test_equals_networkx(self, n: int) -> None:
        src, dst = random_graph(n, 0, seed=n + 1)
        g = nx.DiGraph()
        g.add_nodes_from(range(n))
        g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
        g.remove_edges_from(list(nx.selfloop_edges(g)))
        ref = nx.core_number(g)
        ours = core_numbers(src, dst, n)
        assert ours.tolist() == [ref[i] for i in range(n)]
        assert ours.max() >= 3  # a graph with real cores


class TestTopicRankReuse:
    def test_one_topic_is_computed_once_per_snapshot_and_equals_a_fresh_computation(self) -> None:
        from graph import engine

        src, dst = random_graph(500, 0, seed=11)
        ids = np.arange(1, 501)
        snap = build_snapshot(
            "mastodon",
            datetime.now(UTC),
            pl.DataFrame({"id": ids}),
            pl.DataFrame({"follower_id": ids[src], "followee_id": ids[dst]}),
            pl.DataFrame(schema={"actor_id": pl.Int64, "author_id": pl.Int64, "kind": pl.String}),
        )
        coffee, tea = np.zeros(500), np.zeros(500)
        coffee[[1, 2, 3]] = 1.0
        tea[[4, 5]] = 2.0
        first = engine.topic_rank(snap, coffee)
        assert engine.topic_rank(snap, coffee.copy()) is first  # same restart weights: the kept vector
        assert not first.flags.writeable  # shared by later requests
        other = engine.topic_rank(snap, tea)
        assert np.abs(first - pagerank(snap.weights, personalization=coffee)).max() == 0
        assert np.abs(other - pagerank(snap.weights, personalization=tea)).max() == 0
        for k in range(engine.TOPICS_KEPT + 2):  # the oldest are dropped, the cache stays bounded
            restart = np.zeros(500)
            restart[k + 10] = 1.0
            engine.topic_rank(snap, restart)
        assert len(snap.cache["topic_ranks"]) == engine.TOPICS_KEPT
