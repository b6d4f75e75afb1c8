"""`LeafRows`: which rows share a leaf of one tree, in two bytes per row.

A label changes the score of exactly the rows that share a leaf with it, so the model keeps,
per tree, every leaf's rows (an inverted index of the rows' leaves, built once at ``fit``).
Kept as 32-bit row numbers it is the largest thing the model holds (4 bytes x trees x rows:
4 GB for 100 trees over 10M rows). Here the rows are sorted by leaf, ascending within a
leaf, and only each row number's low 16 bits are stored; the high bits are recovered from
how many of the leaf's rows fall in each block of 65,536 rows. Half the memory, and no
slower: the rows come back as the 64-bit numbers numpy indexes with directly.

A label adds a step to the rows of its leaves, one leaf per tree (:func:`add_to_leaf_rows`).
Tree after tree, that walks the whole table's accumulators a hundred times, a few rows per
cache line; block after block of 65,536 rows instead, every tree's step reaches the block's
accumulators while they sit in the cache, all accumulators in one sparse product (exact:
integer steps summed in float64 below 2**53). On one core at 10M rows, 6 to 7 times faster than tree by
tree; a whole label at 10M rows went from 254 to 139 ms (README, *Measured*).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._threads import map_in_threads

__all__ = ["LeafRows", "add_to_leaf_rows"]

_BITS = 16
_BLOCK = 1 << _BITS
_EXACT_SUM = 2.0**53  # integers whose absolute values sum below this add exactly in float64


@dataclass(frozen=True, eq=False)
class LeafRows:
    """The rows of every leaf of one tree.

    Attributes
    ----------
    low : ndarray of uint16, shape (n_rows,)
        Row numbers sorted by leaf (ascending within a leaf), modulo 65,536.
    starts : ndarray of int64, shape (n_leaves + 1,)
        Where each leaf's rows begin in ``low``.
    per_block : ndarray of int32, shape (n_leaves, n_blocks)
        How many of each leaf's rows fall in each block of 65,536 rows.

    Examples
    --------
    >>> leaves = np.array([2, 0, 2, 1, 0], dtype=np.uint8)
    >>> index = LeafRows.build(leaves, n_leaves=3)
    >>> [index.rows(k).tolist() for k in range(3)]
    [[1, 4], [3], [0, 2]]
    >>> big = np.zeros(200_000, dtype=np.uint8); big[[5, 70_000, 199_999]] = 1
    >>> LeafRows.build(big, n_leaves=2).rows(1).tolist()
    [5, 70000, 199999]
    """

    low: np.ndarray
    starts: np.ndarray
    per_block: np.ndarray

    @classmethod
    def build(cls, leaves: np.ndarray, *, n_leaves: int) -> LeafRows:
        """Index one tree's leaf numbers (``leaves[i]``: the leaf of row ``i``, ``< n_leaves``)."""
        order = np.argsort(leaves, kind="stable")  # a radix sort for one- and two-byte leaves
        counts = np.bincount(leaves, minlength=n_leaves)
        n_blocks = max(1, -(-len(leaves) // _BLOCK))
        per_block = np.empty((n_leaves, n_blocks), dtype=np.int32)
        for b in range(n_blocks):
            per_block[:, b] = np.bincount(leaves[b * _BLOCK : (b + 1) * _BLOCK], minlength=n_leaves)
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(order.astype(np.uint16), starts, per_block)

    @property
    def nbytes(self) -> int:
        """Memory held, in bytes."""
        return self.low.nbytes + self.starts.nbytes + self.per_block.nbytes

    def rows(self, leaf: int) -> np.ndarray:
        """The rows in ``leaf``, ascending (int64)."""
        counts = self.per_block[leaf]
        out = np.repeat(np.arange(len(counts), dtype=np.int64) << _BITS, counts)
        out |= self.low[self.starts[leaf] : self.starts[leaf + 1]]
        return out

    def segment(self, leaf: int) -> tuple[np.ndarray, np.ndarray]:
        """The leaf's rows modulo 65,536 (``low``'s slice) and where each block's part of them
        starts in it (``n_blocks + 1`` cuts): block ``b``'s rows are
        ``b * 65,536 + low[cuts[b]:cuts[b + 1]]``.

        >>> big = np.zeros(200_000, dtype=np.uint8); big[[5, 70_000, 199_999]] = 1
        >>> low, cuts = LeafRows.build(big, n_leaves=2).segment(1)
        >>> low.tolist(), cuts.tolist()
        ([5, 4464, 3391], [0, 1, 2, 2, 3])
        """
        cuts = np.zeros(self.per_block.shape[1] + 1, dtype=np.int64)
        np.cumsum(self.per_block[leaf], out=cuts[1:])
        return self.low[self.starts[leaf] : self.starts[leaf + 1]], cuts


def add_to_leaf_rows(
    indexes: Sequence[LeafRows],
    leaves: Sequence[int],
    updates: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    workers: int = 1,
) -> None:
    """For each ``(accumulator, steps)``: add ``steps[t]`` (int64) to the accumulator of every
    row in leaf ``leaves[t]`` of tree ``t`` (``indexes[t]``), block by block of 65,536 rows,
    the blocks shared among ``workers`` threads (1.4 times faster on two: numpy holds the GIL
    for part of the work).

    In a block, the leaves' rows are the columns of a sparse 0/1 matrix (rows x trees, built
    from the index as it is stored: no sort) and every accumulator's steps a column of a dense
    one (trees x accumulators): one product adds all of them in a single pass over the rows,
    where a ``bincount`` per accumulator made a pass each (three accumulators on a top row's
    leaves at 1M rows: 21 ms against 29; `benchmarks/bench_scale.py` times the whole label).

    >>> trees = [LeafRows.build(np.array(x, dtype=np.uint8), n_leaves=2) for x in ([0, 1, 1], [1, 1, 0])]
    >>> total, twice = np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)
    >>> add_to_leaf_rows(trees, [1, 1], [(total, np.array([10, 1])), (twice, np.array([20, 2]))])
    >>> total.tolist(), twice.tolist()
    ([1, 11, 10], [2, 22, 20])
    """
    segments = [index.segment(leaf) for index, leaf in zip(indexes, leaves, strict=True)]
    n_rows = len(indexes[0].low)
    n_blocks = len(segments[0][1]) - 1
    exact = all(
        np.abs(np.asarray(s, dtype=np.float64)).sum() < _EXACT_SUM for _, s in updates
    )  # no int64 wrap
    steps = np.stack([np.asarray(s, dtype=np.float64) for _, s in updates], axis=1)  # trees x accumulators

    def add(b: int) -> None:
        parts = [low[cuts[b] : cuts[b + 1]] for low, cuts in segments]
        lo, hi = b * _BLOCK, min(n_rows, (b + 1) * _BLOCK)
        if exact:
            summed = _members(parts, hi - lo) @ steps
            for j, (accumulator, _) in enumerate(updates):
                accumulator[lo:hi] += summed[:, j].astype(np.int64)
        else:  # steps too large to sum exactly in float64: tree by tree, in integers
            for accumulator, tree_steps in updates:
                block = accumulator[lo:hi]
                for part, step in zip(parts, tree_steps.tolist(), strict=True):
                    block[part] += step

    map_in_threads(add, range(n_blocks), workers=max(1, min(workers, n_blocks)))


def _members(parts: Sequence[np.ndarray], n_rows: int) -> sparse.csc_array:
    """The 0/1 matrix whose column ``t`` holds a 1 in the rows ``parts[t]`` (each ascending)."""
    ends = np.cumsum([len(part) for part in parts], dtype=np.int64)
    indptr = np.zeros(len(parts) + 1, dtype=np.int32)
    indptr[1:] = ends
    rows = np.concatenate(parts, dtype=np.int32)
    return sparse.csc_array((_ones(len(rows)), rows, indptr), shape=(n_rows, len(parts)))


_ONES = np.ones(1 << 20)
_ONES.flags.writeable = False


def _ones(n: int) -> np.ndarray:
    """A read-only view of ``n`` ones (the matrices' values), grown once when too short."""
    global _ONES
    ones = _ONES  # this thread's view: another may replace the global meanwhile
    if len(ones) < n:
        ones = np.ones(max(n, 2 * len(ones)))
        ones.flags.writeable = False
        _ONES = ones
    return ones[:n]
