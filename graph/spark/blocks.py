"""The numeric kernels the Spark job runs inside its tasks: one block of rows of a sparse matrix each.

The edges are range-partitioned by their row node, so a block holds every entry of a contiguous
range of rows ``[lo, lo + rows)`` as a CSR matrix over all columns. An iteration broadcasts the
current vector (one float or int per node), each task multiplies its block, and the driver puts
the row ranges side by side. Edges stay distributed and cached; only the node vector travels.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

BLOCK_SCHEMA = pa.schema(
    [
        ("lo", pa.int64()),
        ("rows", pa.int64()),
        ("indptr", pa.binary()),
        ("indices", pa.binary()),
        ("data", pa.binary()),
    ]
)
BLOCK_DDL = "lo long, rows long, indptr binary, indices binary, data binary"

Block = tuple[int, sp.csr_array]


def index_dtype(n: int) -> type:
    """Column indices of a block: 4 bytes each while the accounts fit."""
    return np.int32 if n < 2**31 else np.int64


def lookup(ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense indices of account ids in the sorted ``ids``, and which of them are there at all."""
    values = np.asarray(values, dtype=np.int64)
    idx = np.searchsorted(ids, values)
    found = np.zeros(values.size, dtype=bool)
    inside = idx < ids.size
    found[inside] = ids[idx[inside]] == values[inside]
    return idx, found


def pack(batches: Iterator[pa.RecordBatch], ids: np.ndarray) -> Iterator[pa.RecordBatch]:
    """One partition of (row id, column id, value) rows -> one CSR block over dense indices.

    ``ids`` are the snapshot's sorted account ids: dense index = position in it. Rows are summed
    where a (row, column) pair repeats, as scipy does when the in-process snapshot is built. An edge
    with an end outside the accounts is left out.
    """
    tables = [b for b in batches if b.num_rows]
    if not tables:
        return
    table = pa.Table.from_batches(tables)
    row, row_ok = lookup(ids, table.column("row").to_numpy())
    col, col_ok = lookup(ids, table.column("col").to_numpy())
    ok = row_ok & col_ok
    if not ok.any():
        return
    row, col, val = row[ok], col[ok], table.column("val").to_numpy().astype(np.float64)[ok]
    lo, hi = int(row.min()), int(row.max()) + 1
    m = sp.csr_array((val, (row - lo, col)), shape=(hi - lo, ids.size))
    m.sum_duplicates()
    yield pa.RecordBatch.from_pylist(
        [
            {
                "lo": lo,
                "rows": hi - lo,
                "indptr": m.indptr.astype(np.int64).tobytes(),
                "indices": m.indices.astype(index_dtype(ids.size)).tobytes(),
                "data": m.data.tobytes(),
            }
        ],
        schema=BLOCK_SCHEMA,
    )


def unpack(row: object, n: int) -> Block:
    """A packed block (a Row of ``BLOCK_SCHEMA``) as (first row, CSR matrix)."""
    lo, rows, indptr, indices, data = (getattr(row, f) for f in BLOCK_SCHEMA.names)
    m = sp.csr_array(
        (np.frombuffer(data, np.float64), np.frombuffer(indices, index_dtype(n)), np.frombuffer(indptr, np.int64)),
        shape=(rows, n),
    )
    return int(lo), m


def multiply(block: Block, x: np.ndarray) -> tuple[int, np.ndarray]:
    """This block's rows of ``M @ x`` (``x`` is n x columns)."""
    lo, m = block
    return lo, np.asarray(m @ x)


def row_sums(block: Block) -> tuple[int, np.ndarray]:
    lo, m = block
    return lo, np.asarray(m.sum(axis=1)).ravel()


def h_step(
    block: Block, estimate: np.ndarray, changed: np.ndarray | None = None, sweeps: int = 1
) -> tuple[int, np.ndarray]:
    """Steps of the distributed k-core algorithm (Montresor, De Pellegrini, Miorandi 2013) for this
    block's rows: the new estimate of node v is min(estimate[v], h) where h is the largest k such that
    neighbours with estimate >= k weigh at least k together (weights: edge multiplicities).

    Started from the degrees, estimates never fall below the core numbers whatever order the steps
    take, and a state no step changes is exactly the core numbers. So a block may take up to
    ``sweeps`` steps on its own rows (seeing its own new estimates) before the next global round, and
    only rows with a neighbour whose estimate moved (``changed``: node ids; None: all) are recomputed."""
    lo, m = block
    rows = m.shape[0]
    est = estimate.copy()
    dirty = np.arange(rows) if changed is None else _rows_touching(m, changed)
    for _ in range(sweeps):
        if dirty.size == 0:
            break
        current = est[lo + dirty]
        new = np.minimum(current, _h(sp.csr_array(m[dirty]), est))
        moved = new != current
        if not moved.any():
            break
        est[lo + dirty[moved]] = new[moved]
        dirty = _rows_touching(m, lo + dirty[moved])
    return lo, est[lo : lo + rows]


def _rows_touching(m: sp.csr_array, nodes: np.ndarray) -> np.ndarray:
    """This block's rows with a neighbour among ``nodes`` (one gather over the block's entries)."""
    mark = np.zeros(m.shape[1], dtype=np.int32)
    mark[nodes] = 1
    counts = np.diff(m.indptr)
    hits = np.zeros(m.shape[0], dtype=np.int64)
    nonempty = counts > 0
    if nonempty.any():
        hits[nonempty] = np.add.reduceat(mark[m.indices], m.indptr[:-1][nonempty])
    touched: np.ndarray = np.flatnonzero(hits)
    return touched


def _h(m: sp.csr_array, estimate: np.ndarray) -> np.ndarray:
    """Per row: the largest k such that its neighbours with estimate >= k weigh at least k."""
    counts = np.diff(m.indptr)
    rows = np.repeat(np.arange(m.shape[0]), counts)
    values = estimate[m.indices]
    order = np.lexsort((-values, rows))
    values, weights = values[order], m.data[order]
    cumulative = np.cumsum(weights)
    before = np.concatenate([[0.0], cumulative])[m.indptr[:-1]]
    within = cumulative - np.repeat(before, counts)
    # Within ties the last one holds the tie's full cumulative weight, so the max below needs no tie handling.
    candidate = np.minimum(values, within)
    h = np.zeros(m.shape[0], dtype=np.int64)
    starts = m.indptr[:-1][counts > 0]
    if starts.size:
        h[counts > 0] = np.maximum.reduceat(candidate, starts).astype(np.int64)
    return h


def assemble(
    parts: list[tuple[int, np.ndarray]], n: int, columns: int | None = None, dtype: type = np.float64
) -> np.ndarray:
    """Row ranges from the blocks -> one vector (or n x columns matrix); rows no block holds are 0."""
    out: np.ndarray = np.zeros((n, columns) if columns else n, dtype=dtype)
    for lo, part in parts:
        out[lo : lo + part.shape[0]] = part
    return out
