"""An isolation forest, taken apart into the regions AAD learns weights for.

scikit-learn's :class:`~sklearn.ensemble.IsolationForest` grows the trees. This module
reads them into flat arrays that the rest of the engine works with:

* a **node table**: for every node of every tree its parent, children, split feature and
  threshold, depth and training-sample count; every node is an axis-aligned box (a
  *region*) whose bounds :meth:`NodeTable.bounds` returns;
* the **leaves**, numbered ``0 .. n_leaves - 1`` across the forest, with their isolation
  path length ``h = depth + c(n_samples)`` (Liu et al., 2008) and their information
  content ``log2(max_samples / n_samples)`` in bits;
* each row's **leaf index** in every tree, a compact ``(n_estimators, n_samples)``
  array of ``uint8`` (a tree grown on 256 samples has at most 256 leaves; one grown on the
  default 512 usually has fewer, else ``uint16``).

No row-by-leaf matrix is ever built: scores are gathered from per-leaf tables.

References
----------
Liu, Ting and Zhou, "Isolation Forest", ICDM 2008.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from sklearn.ensemble import IsolationForest

from ._threads import map_in_threads

__all__ = ["LeafForest", "NodeTable", "average_path_length", "fit_forest", "float64_threshold", "n_workers"]


def average_path_length(n_samples: np.ndarray | int) -> np.ndarray:
    """Expected path length ``c(n)`` of an unsuccessful search in a binary search tree.

    ``c(n) = 2 H(n - 1) - 2 (n - 1) / n`` with ``H(i) ~ ln(i) + 0.5772``; ``c(1) = 0``,
    ``c(2) = 1``. It corrects the depth of a leaf that still holds ``n`` samples.

    Examples
    --------
    >>> average_path_length(np.array([1, 2, 256])).round(3).tolist()
    [0.0, 1.0, 10.245]
    """
    n = np.asarray(n_samples, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


@dataclass(frozen=True, eq=False)
class NodeTable:
    """Every node of every tree, as flat arrays indexed by a global node id.

    Attributes
    ----------
    tree, parent, left, right, feature : ndarray of int32
        Tree number; parent, children (global ids, -1 for none); split feature (-1 at leaves).
    threshold : ndarray of float64
        Split threshold: a row goes left when ``x[feature] <= threshold`` (NaN at leaves),
        for float64 ``x``, exactly as the tree routes it (see :func:`float64_threshold`).
    depth, n_samples : ndarray of int32
        Edges from the root; training samples (of the tree's subsample) in the node.
    tree_offset : ndarray of int64, shape (n_estimators + 1,)
        Global id of each tree's root; the last entry is the number of nodes.
    n_features : int
        Dimension of the boxes.
    """

    tree: np.ndarray
    parent: np.ndarray
    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    depth: np.ndarray
    n_samples: np.ndarray
    tree_offset: np.ndarray
    n_features: int

    @property
    def is_leaf(self) -> np.ndarray:
        """Boolean mask of the leaves."""
        return self.left < 0

    def __len__(self) -> int:
        return int(self.tree.shape[0])

    def bounds(self, nodes: np.ndarray | list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned boxes of ``nodes``: ``lower < x <= upper`` in every feature.

        Returns
        -------
        lower, upper : ndarray of shape (len(nodes), n_features)
            ``-inf`` / ``+inf`` where a side is unbounded.
        """
        nodes = np.asarray(nodes, dtype=np.int64)
        lower = np.full((len(nodes), self.n_features), -np.inf)
        upper = np.full((len(nodes), self.n_features), np.inf)
        rows = np.arange(len(nodes))
        child = nodes.copy()
        while True:
            alive = self.parent[child] >= 0
            if not alive.any():
                return lower, upper
            r, c = rows[alive], child[alive]
            p = self.parent[c]
            f, t = self.feature[p], self.threshold[p]
            went_left = self.left[p] == c
            rl, rr = r[went_left], r[~went_left]
            upper[rl, f[went_left]] = np.minimum(upper[rl, f[went_left]], t[went_left])
            lower[rr, f[~went_left]] = np.maximum(lower[rr, f[~went_left]], t[~went_left])
            child = np.where(alive, self.parent[child], child)


@dataclass(frozen=True, eq=False)
class LeafForest:
    """A fitted isolation forest in AAD form.

    Attributes
    ----------
    iforest : IsolationForest
        The scikit-learn model the trees come from.
    nodes : NodeTable
        All nodes (regions) of all trees.
    leaf_node : ndarray of int32, shape (n_leaves,)
        Global node id of each leaf; leaves are numbered tree by tree.
    leaf_offset : ndarray of int64, shape (n_estimators + 1,)
        First leaf number of each tree.
    path_length : ndarray of float64, shape (n_leaves,)
        ``depth + c(n_samples)`` of each leaf: sklearn's per-tree isolation depth.
    information : ndarray of float64, shape (n_leaves,)
        ``log2(max_samples / n_samples)``: bits of evidence that two rows sharing the
        leaf are alike.
    max_samples : int
        Subsample size each tree was grown on.

    Examples
    --------
    :func:`fit_forest` grows one. Each row's leaf in every tree, then a per-leaf table summed
    over the trees: the mean isolation depth, shortest for the planted outlier, whose leaf
    boxes all contain it:

    >>> X = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), [[5.0, 5.0]]])
    >>> forest = fit_forest(X, n_estimators=10, random_state=0)
    >>> leaves = forest.apply(X)
    >>> forest.n_estimators, forest.max_samples, leaves.shape, leaves.dtype
    (10, 256, (10, 301), dtype('uint8'))
    >>> depth = forest.gather(forest.path_length, leaves) / forest.n_estimators
    >>> int(np.argmin(depth))
    300
    >>> lower, upper = forest.nodes.bounds(forest.leaf_nodes(leaves)[:, 300])
    >>> bool(((lower < X[300]) & (X[300] <= upper)).all())
    True
    """

    iforest: IsolationForest
    nodes: NodeTable
    leaf_node: np.ndarray
    leaf_offset: np.ndarray
    path_length: np.ndarray
    information: np.ndarray
    max_samples: int
    _local_leaf: tuple[np.ndarray, ...]  # per tree: node id (local) -> leaf number in tree

    @property
    def n_estimators(self) -> int:
        """Number of trees."""
        return len(self._local_leaf)

    @property
    def n_leaves(self) -> int:
        """Number of leaves over all trees."""
        return int(self.leaf_offset[-1])

    @property
    def leaf_dtype(self) -> type:
        """Smallest unsigned integer type that holds a leaf number within one tree."""
        widest = int(np.diff(self.leaf_offset).max())
        return np.uint8 if widest <= 256 else np.uint16

    def apply(
        self, X: np.ndarray, *, n_jobs: int | None = None, progress: Callable[[float], None] | None = None
    ) -> np.ndarray:
        """Leaf number of every row in every tree.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        n_jobs : int, optional
            Threads (default: all cores).
        progress : callable, optional
            Called with the number of trees done (in tree units: the rows are placed a block
            at a time, in every tree, so it grows by a fraction of the trees).

        Returns
        -------
        ndarray of shape (n_estimators, n_samples), dtype uint8 (uint16 for large trees)
            ``leaf_offset[t] + out[t, i]`` is the global leaf number of row ``i`` in tree ``t``.
        """
        out = np.empty((self.n_estimators, X.shape[0]), dtype=self.leaf_dtype)
        trees = [estimator.tree_ for estimator in self.iforest.estimators_]
        workers = n_workers(n_jobs)
        rows = max(1024, min(_APPLY_ROWS, -(-X.shape[0] // workers)))  # every worker busy

        def one_block(start: int) -> None:  # float32 a block at a time: no copy of all of X
            block = np.ascontiguousarray(X[start : start + rows], dtype=np.float32)
            for t, tree in enumerate(trees):
                out[t, start : start + len(block)] = self._local_leaf[t][tree.apply(block)]

        starts = range(0, X.shape[0], rows)
        with ThreadPoolExecutor(workers) as pool:  # scikit-learn's apply runs without the GIL
            for done, _ in enumerate(pool.map(one_block, starts), start=1):
                if progress is not None:
                    progress(self.n_estimators * done / len(starts))
        return out

    def leaf_nodes(self, leaf_index: np.ndarray) -> np.ndarray:
        """Global node ids of the leaves in ``leaf_index`` (same shape, int64)."""
        return self.leaf_node[self.leaf_offset[:-1, None] + leaf_index.astype(np.int64)]

    def up_the_trees(self, node_values: np.ndarray) -> np.ndarray:
        """Add every node's value into all its ancestors: leaf sums become subtree sums.

        Parameters
        ----------
        node_values : ndarray of shape (n_nodes,) or (k, n_nodes)
        """
        out = np.array(node_values, dtype=np.float64, copy=True)
        flat = out.reshape(-1, len(self.nodes))
        depth, parent = self.nodes.depth, self.nodes.parent
        for level in range(int(depth.max()), 0, -1):
            idx = np.flatnonzero(depth == level)
            for row in flat:
                row += np.bincount(parent[idx], weights=row[idx], minlength=len(self.nodes))
        return out

    def path_counts(self, leaf_index: np.ndarray) -> np.ndarray:
        """How many of the given rows each node contains (rows given by their leaf index).

        ``O(n_estimators x rows)``: a bincount per tree, then sums up the trees.
        """
        sizes = np.diff(self.leaf_offset)
        per_leaf = [np.bincount(leaf_index[t], minlength=int(sizes[t])) for t in range(self.n_estimators)]
        return self.subtree_counts(np.concatenate(per_leaf))

    def subtree_counts(self, leaf_counts: np.ndarray) -> np.ndarray:
        """Every node's count: the sum of ``leaf_counts`` (one per leaf) over its leaves."""
        counts = np.zeros(len(self.nodes), dtype=np.float64)
        counts[self.leaf_node] = leaf_counts
        return self.up_the_trees(counts)

    def gather(self, table: np.ndarray, leaf_index: np.ndarray) -> np.ndarray:
        """Sum a per-leaf table over the trees: ``sum_t table[leaf_offset[t] + leaf_index[t]]``.

        Parameters
        ----------
        table : ndarray of shape (n_leaves,)
        leaf_index : ndarray of shape (n_estimators, n_samples)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return gather_leaves(np.asarray(table, dtype=np.float64), self.leaf_offset, leaf_index)


T = TypeVar("T")

#: Rows per task of :meth:`LeafForest.apply` (float32 copies of 10 MB at 20 features).
_APPLY_ROWS = 1 << 17
#: Rows per task of :func:`in_row_blocks`: a task's temporaries stay in the cache.
_BLOCK_ROWS = 1 << 18


def in_row_blocks(n_rows: int, work: Callable[[int, int], T], *, n_jobs: int | None = None) -> list[T]:
    """``work(start, stop)`` over consecutive blocks of rows, results in row order; the blocks
    run on every core when there are several (numpy's indexing and arithmetic release the GIL).

    >>> in_row_blocks(600_000, lambda start, stop: stop - start)
    [262144, 262144, 75712]
    """
    starts = range(0, n_rows, _BLOCK_ROWS)
    if len(starts) <= 1:
        return [work(0, n_rows)]
    return map_in_threads(
        lambda start: work(start, min(n_rows, start + _BLOCK_ROWS)), starts, workers=n_workers(n_jobs)
    )


def gather_leaves(
    table: np.ndarray, leaf_offset: np.ndarray, leaf_index: np.ndarray, *, n_jobs: int | None = None
) -> np.ndarray:
    """``sum_t table[leaf_offset[t] + leaf_index[t]]`` for every row, in the table's dtype.

    Blocks of rows in parallel, every tree per block: three times faster than tree by tree
    over all rows at 5M rows on 2 cores, and exact (each row's sum is taken over the trees
    in the same order).

    >>> gather_leaves(np.array([1, 2, 10, 20]), np.array([0, 2, 4]), np.array([[0, 1], [1, 1]])).tolist()
    [21, 22]
    """
    tables = [table[leaf_offset[t] : leaf_offset[t + 1]] for t in range(len(leaf_offset) - 1)]

    def block(start: int, stop: int) -> np.ndarray:
        total = np.zeros(stop - start, dtype=table.dtype)
        for t, values in enumerate(tables):
            total += values[leaf_index[t, start:stop]]
        return total

    return np.concatenate(in_row_blocks(leaf_index.shape[1], block, n_jobs=n_jobs))


def fit_forest(
    X: np.ndarray,
    *,
    n_estimators: int = 100,
    max_samples: int = 256,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
    n_jobs: int | None = None,
) -> LeafForest:
    """Grow an isolation forest on ``X`` and read it into a :class:`LeafForest`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_estimators : int, default=100
        Number of trees.
    max_samples : int, default=256
        Rows drawn (without replacement) to grow each tree; capped at ``n_samples``.
        Trees are grown to depth ``ceil(log2(max_samples))``.
    random_state : int, Generator, RandomState or None
        Seed: the same seed grows the same forest.
    n_jobs : int, optional
        Threads for growing the trees (default: all cores).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> forest = fit_forest(X, n_estimators=10, random_state=0)
    >>> forest.n_estimators, forest.apply(X).shape
    (10, (10, 300))
    """
    seed = _seed(random_state)
    psi = int(min(max_samples, X.shape[0]))
    iforest = IsolationForest(
        n_estimators=n_estimators, max_samples=psi, random_state=seed, n_jobs=n_workers(n_jobs)
    )
    iforest.fit(np.ascontiguousarray(X, dtype=np.float32))
    return _read_forest(iforest, psi, X.shape[1])


def _seed(random_state):
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return random_state


def n_workers(n_jobs: int | None) -> int:
    """Threads to use for ``n_jobs``, as scikit-learn reads it: all the cores this process may
    run on for None or -1, all but ``-n_jobs - 1`` of them for other negative values.

    >>> n_workers(3), n_workers(None) == n_workers(-1) >= 1
    (3, True)
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if n_jobs is None or n_jobs == 0:
        return max(1, cores)
    if n_jobs < 0:
        return max(1, cores + 1 + int(n_jobs))
    return int(n_jobs)


def _read_forest(iforest: IsolationForest, psi: int, n_features: int) -> LeafForest:
    parts = [_read_tree(est.tree_) for est in iforest.estimators_]
    sizes = np.array([len(p["feature"]) for p in parts])
    tree_offset = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    shift = lambda key, t: np.where(parts[t][key] >= 0, parts[t][key] + tree_offset[t], -1)  # noqa: E731
    cat = np.concatenate
    nodes = NodeTable(
        tree=cat([np.full(s, t, np.int32) for t, s in enumerate(sizes)]),
        parent=cat([shift("parent", t) for t in range(len(parts))]).astype(np.int32),
        left=cat([shift("left", t) for t in range(len(parts))]).astype(np.int32),
        right=cat([shift("right", t) for t in range(len(parts))]).astype(np.int32),
        feature=cat([p["feature"] for p in parts]).astype(np.int32),
        threshold=cat([p["threshold"] for p in parts]),
        depth=cat([p["depth"] for p in parts]).astype(np.int32),
        n_samples=cat([p["n_samples"] for p in parts]).astype(np.int32),
        tree_offset=tree_offset,
        n_features=n_features,
    )
    local_leaf, leaf_node = [], []
    for t, part in enumerate(parts):
        leaves = np.flatnonzero(part["left"] < 0)
        remap = np.full(len(part["left"]), -1, dtype=np.int64)
        remap[leaves] = np.arange(len(leaves))
        local_leaf.append(remap)
        leaf_node.append(leaves + tree_offset[t])
    leaf_node_arr = np.concatenate(leaf_node).astype(np.int32)
    counts = np.array([len(x) for x in leaf_node])
    size = nodes.n_samples[leaf_node_arr].astype(np.float64)
    return LeafForest(
        iforest=iforest,
        nodes=nodes,
        leaf_node=leaf_node_arr,
        leaf_offset=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        path_length=nodes.depth[leaf_node_arr] + average_path_length(size),
        information=np.log2(psi / np.maximum(size, 1.0)),
        max_samples=psi,
        _local_leaf=tuple(local_leaf),
    )


def float64_threshold(threshold: np.ndarray) -> np.ndarray:
    """The float64 threshold ``t'`` with ``x <= t'`` exactly when ``float32(x) <= threshold``.

    The trees compare float32 copies of the data with their thresholds. Rewriting each
    threshold as the largest float64 that still rounds (to nearest, ties to even) onto the
    float32 side of the split makes the node boxes, and the rules read from them, select
    exactly the rows the trees route there, for float32 and float64 data alike.

    Examples
    --------
    >>> t = float64_threshold(np.array([0.1]))[0]
    >>> x = np.array([t, np.nextafter(t, np.inf)])
    >>> (x.astype(np.float32).astype(np.float64) <= 0.1).tolist(), (x <= t).tolist()
    ([True, False], [True, False])
    """
    t = np.asarray(threshold, dtype=np.float64)
    below = t.astype(np.float32)
    below = np.where(below.astype(np.float64) > t, np.nextafter(below, np.float32(-np.inf)), below)
    below = below.astype(np.float32)
    above = np.nextafter(below, np.float32(np.inf))
    middle = (below.astype(np.float64) + above.astype(np.float64)) / 2
    ties_round_down = (below.view(np.uint32) & 1) == 0
    out = np.where(ties_round_down, middle, np.nextafter(middle, -np.inf))
    return np.where(np.isfinite(t), out, t)


def _read_tree(tree) -> dict[str, np.ndarray]:
    left = np.where(tree.children_left >= 0, tree.children_left, -1).astype(np.int64)
    right = np.where(tree.children_right >= 0, tree.children_right, -1).astype(np.int64)
    n = tree.node_count
    parent = np.full(n, -1, dtype=np.int64)
    internal = np.flatnonzero(left >= 0)
    parent[left[internal]] = internal
    parent[right[internal]] = internal
    depth = np.zeros(n, dtype=np.int64)
    for node in range(n):  # sklearn stores nodes in depth-first order: parents first
        if left[node] >= 0:
            depth[left[node]] = depth[right[node]] = depth[node] + 1
    feature = np.where(left >= 0, tree.feature, -1)
    threshold = np.where(left >= 0, float64_threshold(tree.threshold), np.nan)
    return {
        "left": left,
        "right": right,
        "parent": parent,
        "depth": depth,
        "feature": feature,
        "threshold": threshold,
        "n_samples": tree.n_node_samples.astype(np.int64),
    }
