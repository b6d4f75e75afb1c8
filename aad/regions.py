"""The regions that contain a row: their statistics, the candidates that describe it, and
the region that isolates it.

Every node of every isolation tree is a region (a box). :func:`region_stats` counts, for
every node at once, the rows, labelled anomalies and labelled nominals it holds and the
sum of their anomaly scores, by adding the rows' leaves up the trees (``O(trees x rows)``,
no row-by-node matrix). :func:`explain_row` says why one row is anomalous: the shortest
region that isolates it, and the share of the isolation each feature's splits did.

The counts use the trees' own routing (float32 comparisons); rule masks on the float64
data may differ for a value lying exactly on a threshold, so every figure a user sees is
recomputed with :meth:`aad.rules.Rule.mask`.

References
----------
Liu, Ting, Zhou, "Isolation Forest", ICDM 2008.
Das, Islam, Doppa, Fern, arXiv:1901.08930 (regions and their learned weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .data import validate_matrix
from .errors import LabelError
from .forest import LeafForest
from .labels import ANOMALY, NOMINAL
from .rules import Rule, default_feature_names

__all__ = ["RegionStats", "RowExplanation", "explain_row", "region_stats"]


@dataclass(frozen=True, eq=False)
class RegionStats:
    """Per-node statistics of a fitted model's forest on its training rows.

    Attributes
    ----------
    forest : LeafForest
    leaf_node : ndarray of shape (n_estimators, n_samples)
        Global node id of the leaf each row reaches in each tree.
    rows, anomalies, nominals, score_sum : ndarray of shape (n_nodes,)
        Rows, labelled anomalies and labelled nominals inside each node, and the sum of
        their anomaly scores.
    """

    forest: LeafForest
    leaf_node: np.ndarray
    rows: np.ndarray
    anomalies: np.ndarray
    nominals: np.ndarray
    score_sum: np.ndarray

    @property
    def precision(self) -> np.ndarray:
        """Labelled anomalies / labelled rows in each node (NaN with no label inside)."""
        labelled = self.anomalies + self.nominals
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(labelled > 0, self.anomalies / labelled, np.nan)

    @property
    def mean_score(self) -> np.ndarray:
        """Mean anomaly score of the rows in each node: the region's learned score."""
        return self.score_sum / np.maximum(self.rows, 1)

    def path_nodes(self, row: int) -> np.ndarray:
        """Every node that contains ``row``: one line per tree, leaf first, padded with -1.

        Returns
        -------
        ndarray of int64, shape (n_estimators, max_depth + 1)
        """
        parent = self.forest.nodes.parent
        depth = int(self.forest.nodes.depth.max()) + 1
        out = np.full((self.leaf_node.shape[0], depth), -1, dtype=np.int64)
        current = self.leaf_node[:, row].astype(np.int64)
        for level in range(depth):
            out[:, level] = current
            current = np.where(current >= 0, parent[np.maximum(current, 0)], -1)
        return out

    def candidate_nodes(self, rows: np.ndarray, *, min_precision: float, n_top: int) -> np.ndarray:
        """For each row, the ``n_top`` distinct regions with the highest learned score among
        those that contain it and have precision on the labels of at least ``min_precision``
        (a row with none keeps its most precise regions). Returns the sorted union."""
        precision, score = self.precision, self.mean_score
        signature = np.c_[self.rows, np.round(self.score_sum, 9)]
        chosen: set[int] = set()
        for row in np.asarray(rows, dtype=np.int64).tolist():
            nodes = np.unique(self.path_nodes(row))
            nodes = nodes[nodes >= 0]
            ok = nodes[~(precision[nodes] < min_precision)]
            if len(ok) == 0:
                ok = nodes[precision[nodes] == np.nanmax(precision[nodes])]
            order = ok[np.lexsort((ok, -score[ok]))]
            _, first = np.unique(signature[order], axis=0, return_index=True)
            chosen.update(order[np.sort(first)][:n_top].tolist())
        return np.array(sorted(chosen), dtype=np.int64)


def region_stats(model, labels: np.ndarray | None = None, scores: np.ndarray | None = None) -> RegionStats:
    """Count rows, labelled anomalies and nominals, and sum scores in every node of ``model``.

    Parameters
    ----------
    model : AADForest
        Fitted.
    labels : ndarray of shape (n_samples,), optional
        1 / 0 / -1; ``model.labels_`` when omitted.
    scores : ndarray of shape (n_samples,), optional
        ``model.anomaly_score()`` when omitted.

    Examples
    --------
    >>> from aad import AADForest
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> stats = region_stats(AADForest(n_estimators=3, random_state=0).fit(X))
    >>> roots = stats.forest.nodes.tree_offset[:-1]
    >>> stats.rows[roots].tolist()
    [50.0, 50.0, 50.0]
    """
    model._check_fitted()
    forest: LeafForest = model.forest_
    labels = model.labels_ if labels is None else np.asarray(labels)
    scores = model.anomaly_score() if scores is None else np.asarray(scores, dtype=np.float64)
    leaf_node = forest.leaf_node[forest.leaf_offset[:-1, None] + model.leaf_index_.astype(np.int64)]
    values = np.vstack([np.ones_like(scores), labels == ANOMALY, labels == NOMINAL, scores])
    sums = _node_sums(forest, leaf_node, values)
    return RegionStats(forest, leaf_node, sums[0], sums[1], sums[2], sums[3])


def _node_sums(forest: LeafForest, leaf_node: np.ndarray, values: np.ndarray) -> np.ndarray:
    n_nodes = len(forest.nodes)
    flat = leaf_node.ravel()
    sums = np.vstack(
        [np.bincount(flat, weights=np.tile(v, leaf_node.shape[0]), minlength=n_nodes) for v in values]
    )
    depth, parent = forest.nodes.depth, forest.nodes.parent
    for level in range(int(depth.max()), 0, -1):
        idx = np.flatnonzero(depth == level)
        for k in range(len(values)):
            sums[k] += np.bincount(parent[idx], weights=sums[k, idx], minlength=n_nodes)
    return sums


@dataclass(frozen=True, eq=False)
class RowExplanation:
    """Why one row is anomalous.

    Attributes
    ----------
    row : int
    rule : Rule
        The shortest region (over all trees) that isolates the row: the first node on its
        path holding it alone, or its smallest leaf when no node does (duplicates).
    support : int
        Rows of the data the rule covers (1 when it isolates the row).
    importances : tuple of (int, float)
        ``(feature, share)``, largest first: the share of the rows separated from this row,
        over all trees, by splits on each feature. The shares sum to 1.
    feature_names : tuple of str
    covering_rules : tuple of int
        Indices of the description's rules that cover the row (when a description was given).
    """

    row: int
    rule: Rule
    support: int
    importances: tuple[tuple[int, float], ...]
    feature_names: tuple[str, ...]
    covering_rules: tuple[int, ...] = ()

    def top_features(self, k: int = 3) -> list[str]:
        """Names of the ``k`` features that matter most for this row."""
        return [self.feature_names[f] for f, _ in self.importances[:k]]

    def format(self) -> str:
        """One sentence for people."""
        shares = ", ".join(f"{self.feature_names[f]} {w:.0%}" for f, w in self.importances[:3])
        return (
            f"row {self.row} is isolated by {self.rule.format(self.feature_names)} "
            f"({self.support} row{'s' if self.support != 1 else ''}); features: {shares}"
        )


def explain_row(model, X, row: int, *, feature_names: Sequence[str] | None = None, description=None):
    """The region that isolates ``row`` and the features that matter most for it.

    Parameters
    ----------
    model : AADForest
        Fitted on ``X``.
    X : ndarray of shape (n_samples, n_features)
        The model's training data.
    row : int
        The row to explain.
    feature_names : sequence of str, optional
    description : Description, optional
        A compact description; the explanation then lists the rules that cover the row.

    Returns
    -------
    RowExplanation

    Examples
    --------
    >>> from aad import AADForest
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(200, 2)), [[0.0, 9.0]]])
    >>> why = explain_row(AADForest(random_state=0).fit(X), X, 200, feature_names=["a", "b"])
    >>> why.top_features(1), why.support
    (['b'], 1)
    """
    model._check_fitted()
    X = validate_matrix(X, n_features=model.n_features_in_)
    n = model.leaf_index_.shape[1]
    if X.shape[0] != n or not 0 <= int(row) < n:
        raise LabelError(f"row {row} is not a training row: the model was fitted on {n} rows of X")
    names = tuple(feature_names or default_feature_names(X.shape[1]))
    stats = region_stats(model, scores=np.zeros(n))
    paths = stats.path_nodes(int(row))
    rule = _isolating_rule(stats, paths)
    covering = () if description is None else _covering(description, X[[int(row)]])
    return RowExplanation(
        row=int(row),
        rule=rule,
        support=int(rule.mask(X).sum()),
        importances=_importances(stats.forest, paths, X.shape[1]),
        feature_names=names,
        covering_rules=covering,
    )


def _isolating_rule(stats: RegionStats, paths: np.ndarray) -> Rule:
    picks = []
    for tree_path in paths:
        path = tree_path[tree_path >= 0][::-1]  # root first
        alone = np.flatnonzero(stats.rows[path] <= 1)
        picks.append(int(path[alone[0]]) if len(alone) else int(path[-1]))
    picks = np.array(picks)
    lower, upper = stats.forest.nodes.bounds(picks)
    rules = [Rule.from_bounds(lo, hi) for lo, hi in zip(lower, upper, strict=True)]
    rows = stats.rows[picks]
    best = min(range(len(rules)), key=lambda t: (rows[t] > 1, len(rules[t]), rows[t], t))
    return rules[best]


def _importances(forest: LeafForest, paths: np.ndarray, n_features: int) -> tuple[tuple[int, float], ...]:
    nodes = forest.nodes
    child = paths[:, :-1].ravel()
    parent = paths[:, 1:].ravel()
    valid = (child >= 0) & (parent >= 0)
    child, parent = child[valid], parent[valid]
    cut = (nodes.n_samples[parent] - nodes.n_samples[child]).astype(np.float64)
    weight = np.bincount(nodes.feature[parent], weights=cut, minlength=n_features)
    total = weight.sum()
    share = weight / total if total > 0 else np.full(n_features, 1.0 / n_features)
    order = np.lexsort((np.arange(n_features), -share))
    return tuple((int(f), float(share[f])) for f in order if share[f] > 0 or total == 0)


def _covering(description, x: np.ndarray) -> tuple[int, ...]:
    return tuple(i for i, described in enumerate(description.rules) if described.mask(x)[0])
