"""The regions that contain a row: their statistics, the candidates that describe it, and
the region that isolates it.

Every node of every isolation tree is a region (a box). :func:`region_stats` counts, for
every node at once, the rows, labelled anomalies and labelled nominals it holds and its
learned score, from the model's per-node row counts, the labelled rows' paths and the
leaf values (no pass over the data, no row-by-node matrix). :func:`explain_row` says why
one row is anomalous: the shortest region that isolates it, and the share of the
isolation each feature's splits did.

The node boxes use float64 thresholds equivalent to the trees' float32 routing
(:func:`aad.forest.float64_threshold`), so a region's counts are exactly the rows its rule
selects on the training data.

References
----------
Liu, Ting, Zhou, "Isolation Forest", ICDM 2008.
Das, Islam, Doppa, Fern, arXiv:1901.08930 (regions and their learned weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .data import Dataset, validate_matrix
from .detectors.surrogate import axis_aligned
from .encoding import FeatureSpec
from .errors import LabelError
from .forest import LeafForest
from .labels import ANOMALY, NOMINAL
from .rules import Rule, model_feature_names
from .terms import rule_text

__all__ = ["RegionStats", "RowExplanation", "explain_row", "region_stats"]


@dataclass(frozen=True, eq=False)
class RegionStats:
    """Per-node statistics of a fitted model's forest on its training rows.

    Attributes
    ----------
    forest : LeafForest
    leaf_index : ndarray of shape (n_estimators, n_samples)
        The model's leaf index of every training row.
    rows, anomalies, nominals : ndarray of shape (n_nodes,)
        Rows, labelled anomalies and labelled nominals inside each node.
    value : ndarray of shape (n_nodes,)
        The region's learned score: the mean learned leaf value (``v``, higher = more
        anomalous) of the training rows inside it, in its tree. For a leaf it is the leaf's
        value; the paper's "weight x node score", extended to every node.
    """

    forest: LeafForest
    leaf_index: np.ndarray
    rows: np.ndarray
    anomalies: np.ndarray
    nominals: np.ndarray
    value: np.ndarray

    @property
    def precision(self) -> np.ndarray:
        """Labelled anomalies / labelled rows in each node (NaN with no label inside)."""
        labelled = self.anomalies + self.nominals
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(labelled > 0, self.anomalies / labelled, np.nan)

    def path_nodes(self, rows: int | np.ndarray) -> np.ndarray:
        """Every node that contains each row: leaf first, padded with -1.

        Returns
        -------
        ndarray of int64
            Shape ``(n_estimators, max_depth + 1)`` for one row, ``(n_rows, n_estimators,
            max_depth + 1)`` for several.
        """
        single = np.ndim(rows) == 0
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        parent = self.forest.nodes.parent
        depth = int(self.forest.nodes.depth.max()) + 1
        current = self.forest.leaf_nodes(self.leaf_index[:, rows]).T  # (rows, trees)
        out = np.full((len(rows), current.shape[1], depth), -1, dtype=np.int64)
        for level in range(depth):
            out[:, :, level] = current
            current = np.where(current >= 0, parent[np.maximum(current, 0)], -1)
        return out[0] if single else out

    def candidate_nodes(
        self, rows: np.ndarray, *, min_precision: float, n_top: int, gaps: np.ndarray | None = None
    ) -> np.ndarray:
        """For each row, the ``n_top`` distinct regions with the highest learned score among
        those that contain it and have precision on the labels of at least ``min_precision``
        (a row with none keeps its most precise regions). Returns the sorted union.

        ``gaps`` (one line of bools per row of ``rows``) marks features the row has no value
        for: regions bounding those features are not the row's candidates."""
        precision, score = self.precision, self.value
        signature = np.c_[self.rows, self.anomalies, self.nominals, np.round(score, 9)]
        chosen: set[int] = set()
        paths = self.path_nodes(np.asarray(rows, dtype=np.int64))
        for i, path in enumerate(paths):
            nodes = np.unique(path)
            nodes = nodes[nodes >= 0]
            if gaps is not None and gaps[i].any():
                nodes = nodes[~self._bounds_any(nodes, gaps[i])]
                if len(nodes) == 0:
                    continue
            ok = nodes[~(precision[nodes] < min_precision)]
            if len(ok) == 0:
                ok = nodes[precision[nodes] == np.nanmax(precision[nodes])]
            order = ok[np.lexsort((ok, -score[ok]))]
            _, first = np.unique(signature[order], axis=0, return_index=True)
            chosen.update(order[np.sort(first)][:n_top].tolist())
        return np.array(sorted(chosen), dtype=np.int64)

    def _bounds_any(self, nodes: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Whether each node's box has a finite bound on any of ``features`` (a bool mask)."""
        lower, upper = self.forest.nodes.bounds(nodes)
        return (np.isfinite(lower[:, features]) | np.isfinite(upper[:, features])).any(axis=1)


def region_stats(model, labels: np.ndarray | None = None) -> RegionStats:
    """Rows, labelled anomalies and nominals, and the learned score of every node of ``model``.

    ``O(labelled rows x trees + nodes)``: the row counts are the model's ``node_rows_``,
    the label counts come from the labelled rows' paths, and the learned score from the
    leaf values, so a description at a million rows costs no pass over the data.

    Parameters
    ----------
    model : AADForest
        Fitted.
    labels : ndarray of shape (n_samples,), optional
        1 / 0 / -1; ``model.labels_`` when omitted.

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
    index = model.leaf_index_
    anomalies = forest.path_counts(index[:, labels == ANOMALY])
    nominals = forest.path_counts(index[:, labels == NOMINAL])
    rows = model.node_rows_
    weighted = np.zeros(len(forest.nodes))
    weighted[forest.leaf_node] = rows[forest.leaf_node] * model.leaf_values_
    value = forest.up_the_trees(weighted) / np.maximum(rows, 1)
    return RegionStats(forest, index, rows, anomalies, nominals, value)


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
    encoding : tuple of FeatureSpec
        How each feature is made from the table's columns, when ``X`` was a Dataset: the
        rule is then written in the columns' terms (``merchant = atm``, ``hour in 1..4``).
    by_surrogate : bool
        True when the model has no boxes of its own (an extended isolation forest, an
        ensemble): the rule and the shares are then an axis-aligned surrogate forest's
        (:mod:`aad.detectors.surrogate`), a true statement about the data but not the
        detector's own reasoning; say so wherever the explanation is shown.

    Examples
    --------
    :func:`explain_row` makes one. Row 301, one of four planted anomalies, is alone in the
    region ``delay > 6.26...``; the splits that set it apart were mostly on ``amount``, and
    rule 0 of the description covers it:

    >>> from aad import AADForest
    >>> from aad.describe import describe_anomalies
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(300, 2)), rng.normal(6, 0.2, size=(4, 2))])
    >>> model = AADForest(n_estimators=20, random_state=0).fit(X, np.r_[np.full(300, -1), np.ones(4)])
    >>> description = describe_anomalies(model, X, feature_names=["amount", "delay"])
    >>> why = explain_row(model, X, 301, feature_names=["amount", "delay"], description=description)
    >>> why.rule_text(digits=2), why.support, why.top_features(), why.covering_rules
    ('delay > 6.3', 1, ['amount', 'delay'], (0,))
    >>> print(why.format())
    row 301 is isolated by delay > 6.26... (1 row); features: amount 72%, delay 28%
    """

    row: int
    rule: Rule
    support: int
    importances: tuple[tuple[int, float], ...]
    feature_names: tuple[str, ...]
    covering_rules: tuple[int, ...] = ()
    encoding: tuple[FeatureSpec, ...] = ()
    by_surrogate: bool = False

    def rule_text(self, digits: int | None = None, *, values: int | None = None) -> str:
        """The isolating region for people (in the columns' terms when the encoding is known;
        ``values``: at most that many of a category's values listed)."""
        if self.encoding:
            return rule_text(self.rule, self.encoding, digits, values=values)
        return self.rule.format(self.feature_names, digits=digits)

    def top_features(self, k: int = 3) -> list[str]:
        """Names of the ``k`` features that matter most for this row."""
        return [self.feature_names[f] for f, _ in self.importances[:k]]

    def format(self) -> str:
        """One sentence for people."""
        shares = ", ".join(f"{self.feature_names[f]} {w:.0%}" for f, w in self.importances[:3])
        return (
            f"row {self.row} is isolated by {self.rule_text()} "
            f"({self.support} row{'s' if self.support != 1 else ''}); features: {shares}"
        )


def explain_row(model, X, row: int, *, feature_names: Sequence[str] | None = None, description=None):
    """The region that isolates ``row`` and the features that matter most for it.

    Parameters
    ----------
    model : AADForest
        Fitted on ``X``.
    X : ndarray of shape (n_samples, n_features) or Dataset
        The model's training data (a Dataset also gives the names and how each feature is
        made from the table's columns).
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
    dataset = X if isinstance(X, Dataset) else None
    X = validate_matrix(model._by_name(X), n_features=model.n_features_in_)
    n = model.labels_.shape[0]
    if X.shape[0] != n or not 0 <= int(row) < n:
        raise LabelError(f"row {row} is not a training row: the model was fitted on {n} rows of X")
    own = model
    model = axis_aligned(model, X)  # a hyperplane forest or an ensemble: its axis-aligned surrogate
    names = tuple(feature_names or (dataset.feature_names if dataset else model_feature_names(model)))
    stats = region_stats(model)
    paths = stats.path_nodes(int(row))
    rule, support = _isolating_rule(stats, paths)
    covering = () if description is None else _covering(description, X[[int(row)]])
    return RowExplanation(
        row=int(row),
        rule=rule,
        support=support,
        importances=_importances(stats.forest, paths, X.shape[1]),
        feature_names=names,
        covering_rules=covering,
        encoding=dataset.specs if dataset is not None and names == dataset.feature_names else (),
        by_surrogate=model is not own,
    )


def _isolating_rule(stats: RegionStats, paths: np.ndarray) -> tuple[Rule, int]:
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
    return rules[best], int(rows[best])


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
