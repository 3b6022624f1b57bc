"""Hashed word and character n-gram features, computed for a whole batch with numpy.

Words (unigrams and bigrams) are hashed with CRC-32; character n-grams (2 to 5, over the
normalised words joined by spaces) with a polynomial rolling hash over code points, in numpy
for every text of a batch at once, which is what makes scoring fast. Each block gets sublinear
term frequency times IDF and its own L2 norm, like two TF-IDF vectorisers side by side.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from listening.sentiment.normalise import words

BITS = 19
DIM = 1 << BITS
CHAR_SIZES = (2, 3, 4, 5)
_MASK = np.uint64(DIM - 1)
_PRIME = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _word_hashes(tokens: list[str]) -> list[int]:
    grams = [f"w {t}" for t in tokens] + [f"b {a} {b}" for a, b in itertools.pairwise(tokens)]
    return [zlib.crc32(g.encode()) & (DIM - 1) for g in grams]


def _char_hashes(texts: list[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(row, column) of every character n-gram of every text; n-grams never span two texts."""
    padded = [f" {t} " for t in texts]
    codes = np.frombuffer("\0".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.cumsum([0] + [len(p) + 1 for p in padded[:-1]])
    rows_all: list[NDArray[np.int64]] = []
    cols_all: list[NDArray[np.int64]] = []
    is_sep = (codes == 0).astype(np.int64)
    sep_before = np.concatenate(([0], np.cumsum(is_sep)))
    with np.errstate(over="ignore"):
        for n in CHAR_SIZES:
            count = len(codes) - n + 1
            if count <= 0:
                continue
            h = np.full(count, np.uint64(n), dtype=np.uint64)
            for k in range(n):
                h = h * _PRIME + codes[k : k + count]
            ok = (sep_before[n : n + count] - sep_before[:count]) == 0
            positions = np.nonzero(ok)[0]
            mixed = (h[ok] * _MIX) >> np.uint64(64 - BITS)
            rows_all.append(np.searchsorted(starts, positions, side="right") - 1)
            cols_all.append((mixed & _MASK).astype(np.int64))
    if not rows_all:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows_all), np.concatenate(cols_all)


def _tf(rows: NDArray[np.int64], cols: NDArray[np.int64], n: int) -> sparse.csr_matrix:
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, DIM))
    m.sum_duplicates()
    m.data = 1.0 + np.log(m.data)
    return m


def counts(texts: Sequence[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Sublinear term frequencies of the word block and the character block."""
    tokens = [words(t) for t in texts]
    w_rows: list[int] = []
    w_cols: list[int] = []
    for i, toks in enumerate(tokens):
        hashes = _word_hashes(toks)
        w_rows.extend([i] * len(hashes))
        w_cols.extend(hashes)
    c_rows, c_cols = _char_hashes([" ".join(t) for t in tokens])
    n = len(texts)
    return _tf(np.asarray(w_rows, np.int64), np.asarray(w_cols, np.int64), n), _tf(c_rows, c_cols, n)


def _l2(m: sparse.csr_matrix) -> sparse.csr_matrix:
    row_of = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    norms = np.sqrt(np.bincount(row_of, weights=m.data.astype(np.float64) ** 2, minlength=m.shape[0]))
    norms[norms == 0] = 1.0
    m = m.copy()
    m.data /= norms[row_of].astype(m.data.dtype)
    return m


def _weigh(m: sparse.csr_matrix, weights: NDArray[np.float32]) -> sparse.csr_matrix:
    m = m.copy()
    m.data *= weights[m.indices]
    return m


def transform(
    texts: Sequence[str], idf_words: NDArray[np.float32], idf_chars: NDArray[np.float32]
) -> sparse.csr_matrix:
    w, c = counts(texts)
    return sparse.csr_matrix(_l2(_weigh(w, idf_words)) + _l2(_weigh(c, idf_chars)))


def idf(tf: sparse.csr_matrix) -> NDArray[np.float32]:
    """Smoothed inverse document frequency, as scikit-learn computes it."""
    df = np.bincount(tf.indices, minlength=DIM)
    n = tf.shape[0]
    weights: NDArray[np.float32] = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
    return weights
