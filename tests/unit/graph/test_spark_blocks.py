"""The Spark job's block kernels, without Spark: row blocks reassemble, and h-index steps reach core numbers."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.centrality import core_numbers
from graph.spark import blocks


def split(m: sp.csr_array, cuts: list[int]) -> list[blocks.Block]:
    bounds = [0, *cuts, m.shape[0]]
    return [(lo, sp.csr_array(m[lo:hi])) for lo, hi in itertools.pairwise(bounds) if hi > lo]


def cores_by_h_steps(src: np.ndarray, dst: np.ndarray, n: int, cuts: list[int], sweeps: int = 1) -> np.ndarray:
    keep = src != dst
    pairs = np.unique(np.stack([src[keep], dst[keep]], axis=1), axis=0).reshape(-1, 2)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    adj = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))
    parts = split(adj, cuts)
    estimate = blocks.assemble([blocks.row_sums(b) for b in parts], n).astype(np.int64)
    changed = None
    while True:
        step = blocks.assemble([blocks.h_step(b, estimate, changed, sweeps) for b in parts], n, dtype=np.int64)
        if np.array_equal(step, estimate):
            return estimate
        changed = np.flatnonzero(step != estimate)
        estimate = step


class TestHSteps:
    @given(
        n=st.integers(1, 40),
        edges=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=200),
        cuts=st.lists(st.integers(1, 39), max_size=3, unique=True),
        sweeps=st.sampled_from([1, 2, 50]),
    )
    @settings(max_examples=200, deadline=None)
    def test_equal_core_numbers(self, n: int, edges: list[tuple[int, int]], cuts: list[int], sweeps: int) -> None:
        e = np.array([(u % n, v % n) for u, v in edges], dtype=np.int64).reshape(-1, 2)
        expected = core_numbers(e[:, 0], e[:, 1], n)
        found = cores_by_h_steps(e[:, 0], e[:, 1], n, sorted(c for c in cuts if c < n), sweeps)
        assert found.tolist() == expected.tolist()


class TestPack:
    def test_round_trip_sums_repeats(self) -> None:
        ids = np.array([5, 9, 20, 31], dtype=np.int64)
        batch = pa.RecordBatch.from_pydict({"row": [9, 20, 9], "col": [5, 31, 5], "val": [0.5, 1.0, 0.25]})
        (packed,) = list(blocks.pack(iter([batch]), ids))
        row = packed.to_pylist()[0]
        lo, m = blocks.unpack(type("Row", (), row)(), ids.size)
        assert lo == 1
        assert m.toarray().tolist() == [[0.75, 0, 0, 0], [0, 0, 0, 1.0]]
        x = np.arange(4.0).reshape(4, 1)
        assert blocks.assemble([blocks.multiply((lo, m), x)], 4, 1).ravel().tolist() == [0, 0, 3.0, 0]

    def test_edges_to_unknown_accounts_are_left_out(self) -> None:
        ids = np.array([5, 9], dtype=np.int64)
        batch = pa.RecordBatch.from_pydict({"row": [9, 9, 4, 100], "col": [5, 7, 5, 9], "val": [1.0, 2.0, 3.0, 4.0]})
        (packed,) = list(blocks.pack(iter([batch]), ids))
        lo, m = blocks.unpack(type("Row", (), packed.to_pylist()[0])(), ids.size)
        assert (lo, m.toarray().tolist()) == (1, [[1.0, 0.0]])
        idx, found = blocks.lookup(ids, np.array([9, 10, 1]))
        assert found.tolist() == [True, False, False] and idx[found].tolist() == [1]

    def test_empty_partition_yields_nothing(self) -> None:
        assert list(blocks.pack(iter([]), np.array([1]))) == []


@pytest.mark.parametrize("n", [1, 7])
def test_assemble_leaves_missing_rows_zero(n: int) -> None:
    assert blocks.assemble([], n).tolist() == [0.0] * n
