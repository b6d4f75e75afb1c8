"""Half-Space Trees whose leaves AAD feedback re-weights: river's trees, scored in bulk.

Half-Space Trees (Tan, Ting and Liu, 2011) split the feature space at random, without
looking at the data, into trees of fixed height. A row's score counts, along its path
from the root, the *mass* of every node (the rows of a reference window that fell in it)
times ``2 ** depth``, stopping at the first node lighter than ``0.1 * window_size``: a row
in a sparse region stops early with a small total. The trees are river's
(:func:`river.tree.padded.make_padded_tree`, the construction of
:class:`river.anomaly.HalfSpaceTrees`, with its seed sequence); this module reads them into
the flat arrays of :class:`aad.forest.LeafForest`, places many rows at once and keeps the
masses of the latest window, so that :class:`aad.AADForest` learns from labels on its
leaves exactly as on an isolation forest's.

Every leaf of every tree is a region; its *path length* is the tree's mass sum for the
rows reaching it, divided by the window size (``h + 1`` for a row where every level holds
its share of the window, about ``d`` for a row that stops at depth ``d``), so that higher
means more normal, as an isolation path length. ``anomaly_score`` then ranks rows exactly
as river's ``score_one`` does (tested). The information of a leaf is
``log2(window_size / mass)`` of the node where the scoring stops.

References
----------
Tan, Ting, Liu, "Fast Anomaly Detection for Streaming Data", IJCAI 2011.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import numpy as np

from ..errors import DataError
from ..forest import LeafForest, NodeTable
from ._river import require_river

__all__ = ["HalfSpaceForest", "fit_half_space_forest"]

_PADDING = 0.15  # river's HalfSpaceTrees: no split in the outer 15 % of a node's range
_SIZE_LIMIT = 0.1  # river's: the scoring walk stops at a node lighter than this share of the window


@dataclass(frozen=True, eq=False)
class HalfSpaceForest(LeafForest):
    """A :class:`~aad.forest.LeafForest` of Half-Space Trees with the masses of one window.

    Attributes (beyond :class:`~aad.forest.LeafForest`'s; ``iforest`` is None)
    ----------
    height : int
        Depth of every leaf.
    mass : ndarray of int64, shape (n_nodes,)
        Rows of the reference window in every node.
    window_size : int
        Rows of the reference window (``max_samples`` too).
    parts : tuple of dict
        Per tree: ``feature``, ``threshold`` (river's: ``x < threshold`` goes left),
        ``left``, ``right`` (local node ids, pre-order).
    """

    height: int
    mass: np.ndarray
    window_size: int
    parts: tuple

    def apply(self, X: np.ndarray, *, n_jobs: int | None = None, progress=None) -> np.ndarray:
        """Leaf number of every row in every tree (see :meth:`LeafForest.apply`)."""
        X = np.asarray(X, dtype=np.float64)
        out = np.empty((self.n_estimators, X.shape[0]), dtype=self.leaf_dtype)
        rows = np.arange(X.shape[0])
        for t, part in enumerate(self.parts):
            node = np.zeros(X.shape[0], dtype=np.int64)
            for _ in range(self.height):
                left = X[rows, part["feature"][node]] < part["threshold"][node]
                node = np.where(left, part["left"][node], part["right"][node])
            out[t] = self._local_leaf[t][node]
            if progress is not None:
                progress(t + 1)
        return out

    def with_masses(self, X: np.ndarray) -> HalfSpaceForest:
        """The same trees with the masses of the window ``X`` (river's window pivot)."""
        return _assemble(self.parts, self.height, X)

    def with_trees(self, other: HalfSpaceForest, trees, X: np.ndarray) -> HalfSpaceForest:
        """Trees ``trees`` replaced by ``other``'s (in order), the rest kept; masses from ``X``."""
        parts = list(self.parts)
        for k, t in enumerate(np.asarray(trees, dtype=int).tolist()):
            parts[t] = other.parts[k]
        return _assemble(tuple(parts), self.height, X)


def fit_half_space_forest(
    X: np.ndarray,
    *,
    n_estimators: int = 100,
    height: int = 8,
    random_state: int | np.random.Generator | None = None,
) -> HalfSpaceForest:
    """Grow Half-Space Trees with river on the ranges of ``X``; masses from ``X``.

    The trees are grown on the unit cube, as river expects its features scaled to [0, 1],
    and their split points mapped back to each feature's range in ``X``: river draws a
    split's feature in proportion to its range, so grown on raw ranges one column in large
    units (cents, metres) would take nearly every split and the others none.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The first window: its per-feature range bounds the splits, its rows give the masses.
    n_estimators : int, default=100
    height : int, default=8
        Depth of the leaves (``2 ** height`` leaves per tree).
    random_state : int, Generator or None
        Seed of the splits (river's ``seed``).

    Examples
    --------
    >>> X = np.random.default_rng(0).uniform(size=(256, 2))
    >>> forest = fit_half_space_forest(X, n_estimators=3, height=4, random_state=0)
    >>> forest.n_leaves, int(forest.mass[0]), forest.apply(X).shape
    (48, 256, (3, 256))
    """
    make_padded_tree = require_river("river.tree.padded").make_padded_tree
    X = np.asarray(X, dtype=np.float64)
    low, high = X.min(axis=0), X.max(axis=0)
    if not (high > low).any():
        raise DataError("every feature is constant in the first window: Half-Space Trees cannot split it")
    seed = int(np.random.default_rng(random_state).integers(2**31 - 1))
    rng = random.Random(seed)  # river's trees draw from a random.Random, as HalfSpaceTrees(seed=...) does
    parts = []
    for _ in range(n_estimators):
        limits = {i: (0.0, float(high[i] > low[i])) for i in range(X.shape[1])}  # a constant one: no split
        root = make_padded_tree(limits=limits, height=height, padding=_PADDING, rng=rng, r_mass=0, l_mass=0)
        parts.append(_in_range(_flatten(root), low, high))
    return _assemble(tuple(parts), height, X)


def _in_range(part: dict[str, np.ndarray], low: np.ndarray, high: np.ndarray) -> dict[str, np.ndarray]:
    """A tree grown on the unit cube with its split points in the features' ranges."""
    branch = part["feature"] >= 0
    feature = part["feature"][branch]
    threshold = part["threshold"].copy()
    threshold[branch] = low[feature] + threshold[branch] * (high[feature] - low[feature])
    return {**part, "threshold": threshold}


def _flatten(root) -> dict[str, np.ndarray]:
    """A river padded tree as arrays, nodes in pre-order (parents first, left before right)."""
    feature, threshold, left, right, stack = [], [], [], [], [(root, -1, 0)]
    while stack:
        node, parent, side = stack.pop()
        i = len(feature)
        if parent >= 0:
            (left if side == 0 else right)[parent] = i
        children = getattr(node, "children", None)
        is_branch = children is not None and len(children) == 2 and hasattr(node, "threshold")
        feature.append(int(node.feature) if is_branch else -1)
        threshold.append(float(node.threshold) if is_branch else np.nan)
        left.append(-1)
        right.append(-1)
        if is_branch:
            stack.append((children[1], i, 1))
            stack.append((children[0], i, 0))
    return {
        "feature": np.array(feature, dtype=np.int64),
        "threshold": np.array(threshold),
        "left": np.array(left, dtype=np.int64),
        "right": np.array(right, dtype=np.int64),
    }


def _assemble(parts: tuple, height: int, X: np.ndarray) -> HalfSpaceForest:
    """The forest of ``parts`` with the masses of the window ``X``."""
    nodes, local_leaf, leaf_node, leaf_offset = _node_table(parts)
    empty = np.zeros(len(leaf_node))
    shell = HalfSpaceForest(
        iforest=None,
        nodes=nodes,
        leaf_node=leaf_node,
        leaf_offset=leaf_offset,
        path_length=empty,
        information=empty,
        max_samples=max(1, X.shape[0]),
        _local_leaf=local_leaf,
        height=height,
        mass=np.zeros(len(nodes), dtype=np.int64),
        window_size=max(1, X.shape[0]),
        parts=parts,
    )
    mass = np.rint(shell.path_counts(shell.apply(X))).astype(np.int64)
    path_length, information = _leaf_values(nodes, mass, leaf_node, shell.window_size)
    return replace(shell, path_length=path_length, information=information, mass=mass)


def _leaf_values(nodes: NodeTable, mass: np.ndarray, leaf_node: np.ndarray, window: int):
    """Per leaf: river's mass sum (stopping below ``0.1 * window``) / window, and the bits
    ``log2(window / mass)`` of the node where the walk stops."""
    total = np.zeros(len(nodes))
    stop = np.arange(len(nodes))
    stopped = np.zeros(len(nodes), dtype=bool)
    for level in range(int(nodes.depth.max()) + 1):
        idx = np.flatnonzero(nodes.depth == level)
        parent = nodes.parent[idx]
        has_parent = parent >= 0
        before = np.where(has_parent, total[np.maximum(parent, 0)], 0.0)
        done = has_parent & stopped[np.maximum(parent, 0)]
        total[idx] = np.where(done, before, before + mass[idx] * 2.0**level)
        stop[idx] = np.where(done, stop[np.maximum(parent, 0)], idx)
        stopped[idx] = done | (mass[idx] < _SIZE_LIMIT * window)
    path_length = total[leaf_node] / window
    information = np.log2(window / np.maximum(mass[stop[leaf_node]], 1))
    return path_length, information


def _node_table(parts: tuple):
    sizes = np.array([len(p["feature"]) for p in parts])
    offset = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    tree, parent, left, right, feature, threshold, depth = ([] for _ in range(7))
    local_leaf, leaf_node = [], []
    for t, part in enumerate(parts):
        n = sizes[t]
        lt, rt = part["left"], part["right"]
        par = np.full(n, -1, dtype=np.int64)
        inner = np.flatnonzero(lt >= 0)
        par[lt[inner]] = inner
        par[rt[inner]] = inner
        dep = np.zeros(n, dtype=np.int64)
        for node in inner.tolist():  # pre-order: parents first
            dep[lt[node]] = dep[rt[node]] = dep[node] + 1
        base = offset[t]

        def shift(a: np.ndarray, base: int = base) -> np.ndarray:
            return np.where(a >= 0, a + base, -1)

        tree.append(np.full(n, t))
        parent.append(shift(par))
        left.append(shift(lt))
        right.append(shift(rt))
        feature.append(part["feature"])
        # river sends x < t left; the node table's boxes read x <= t': the largest float64 below t
        threshold.append(np.where(lt >= 0, np.nextafter(part["threshold"], -np.inf), np.nan))
        depth.append(dep)
        leaves = np.flatnonzero(lt < 0)
        remap = np.full(n, -1, dtype=np.int64)
        remap[leaves] = np.arange(len(leaves))
        local_leaf.append(remap)
        leaf_node.append(leaves + offset[t])
    cat = np.concatenate
    nodes = NodeTable(
        tree=cat(tree).astype(np.int32),
        parent=cat(parent).astype(np.int32),
        left=cat(left).astype(np.int32),
        right=cat(right).astype(np.int32),
        feature=cat(feature).astype(np.int32),
        threshold=cat(threshold),
        depth=cat(depth).astype(np.int32),
        n_samples=np.zeros(int(offset[-1]), dtype=np.int32),
        tree_offset=offset,
        n_features=int(max(int(f.max()) for f in feature) + 1),
    )
    counts = np.array([len(x) for x in leaf_node])
    return (
        nodes,
        tuple(local_leaf),
        cat(leaf_node).astype(np.int32),
        cat([[0], np.cumsum(counts)]).astype(np.int64),
    )
