"""`AADForest`: an isolation forest whose ranking learns from labels.

The estimator follows scikit-learn's contract: keyword-only parameters stored as given,
all work in :meth:`AADForest.fit`, fitted attributes ending in ``_``. After ``fit``,
:meth:`AADForest.set_label` records a label and updates the ranking of every row;
:meth:`AADForest.anomaly_score` returns it (higher means more anomalous).

How it stays fast: each label changes the value of the ``T`` leaves its row falls in
(:mod:`aad.weights`), so only the rows sharing one of those leaves change score. The
model keeps, per row, the information-weighted number of labelled anomalies and
nominals it shares a leaf with (exact integers, so an undo restores the same numbers;
once the local leaf beliefs are asked, also the sum of its leaves' posterior means,
:mod:`aad.beliefs`), and an inverted index from leaves to rows. A label costs one pass over
the rows in its ``T`` leaves; the score of every row is then two multiply-adds.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator

from . import beliefs, hinge
from ._validation import RANDOM_STATE, Interval, Options, check_param_names, validate_params
from .data import Dataset, validate_matrix
from .errors import DataError, LabelError, NotFittedError, UnknownStrategyError
from .forest import LeafForest, average_path_length, fit_forest, gather_leaves, in_row_blocks, n_workers
from .labels import ANOMALY, NOMINAL, UNLABELLED, label_array, per_row, to_label
from .leaf_rows import LeafRows, add_to_leaf_rows
from .query import best_in_block, best_of_blocks
from .weights import BALANCE, MAX_RATIO, class_weights, leaf_values

__all__ = ["RANKINGS", "SAMPLES", "TREES", "AADForest", "default_n_estimators"]

_QUANTUM = 2.0**24  # information is accumulated in units of 2**-24 bits, as int64
_SAT_UNIT = 2**16  # log2(1 + count) is tabulated in units of 2**-16, as int64
_SATURATING = 2  # row of ``_shared``: information shared with anomalies, counted through log2(1 + c)

#: The rankings a fitted model offers (:meth:`AADForest.ranking`).
RANKINGS = ("feedback", "strong", "saturating", "forest", "beliefs")
#: How many times the learned model's feedback strength the ``"strong"`` ranking pushes.
STRONG = 2.0

#: Trees of a model unless told otherwise, on tables up to 500,000 rows (:func:`default_n_estimators`).
TREES = 200
_LABEL_WORK = 100 * 1_000_000  # trees x rows of a label's work at most (100 trees over 1M rows)

#: Rows each tree is grown on unless told otherwise (``max_samples``), and so its depth cap
#: (``ceil(log2(512)) = 9``). Twice the isolation forest's customary 256: leaves twice as fine,
#: so a label lifts (or lowers) the rows that are really like it. On the 26 tuning tables
#: (``benchmarks/choose.py --only samples --reruns 20``, budget 100) 512 found 17.4 more than
#: 256 (paired standard error 4.8; +15.3 +- 4.4 on seeds 20-39), 128 found 48.6 fewer and
#: 1024 4.5 and 24.4 fewer (seeds 0-19, 20-39: a dense cluster and anomalies in a low-variance
#: direction stop being isolated, the masking that made 256 the forest's default). 384 ties
#: 512: +1.7 +- 2.0 over 60 paired seeds of the tuning tables and 17 fresh ones
#: (``benchmarks/samples_fresh.py``), ahead where anomalies sit off a thin direction of
#: correlated features, behind on scattered anomalies and classification-like tables.
SAMPLES = 512


def default_n_estimators(n_rows: int) -> int:
    """The trees of a model on ``n_rows`` rows when none are given: :data:`TREES` (200) up to
    500,000 rows; above, fewer, so that a label's work (the rows sharing its leaves, which
    grows as trees x rows) stays what 100 trees cost over 1,000,000 rows; never fewer than 100.

    More trees average the leaf sharing a label spreads over more partitions of the data:
    200 trees found 19.6 more anomalies than 100 over the 26 tuning tables (20 seeds, paired
    standard error 6.0, on 256 rows per tree; 26.1 +- 4.6 on 512, where 300 and 400 trees add
    only 4.0 +- 4.1 and 6.2 +- 5.6: ``benchmarks/choose.py --only "trees "``), and a label
    costs about twice the time, which the cap keeps off the largest tables.

    >>> default_n_estimators(10_000), default_n_estimators(750_000), default_n_estimators(5_000_000)
    (200, 133, 100)
    """
    return int(min(TREES, max(100, _LABEL_WORK // max(int(n_rows), 1))))


class AADForest(BaseEstimator):
    """Active Anomaly Discovery on an isolation forest.

    Parameters
    ----------
    n_estimators : int or None, default=None
        Number of isolation trees; None: 200, fewer on tables above 500,000 rows
        (:func:`default_n_estimators`, never fewer than 100).
    max_samples : int, default=512
        Rows each tree is grown on (capped at the number of rows), :data:`SAMPLES`; trees are
        grown to depth ``ceil(log2(max_samples))``. 256 is the isolation forest's own default
        (and this engine's before 2026-12): before any label, the ranking of
        ``IsolationForest(max_samples=256)``.
    eta : float, default=1.0
        Feedback strength (see :func:`aad.weights.linear_update`); 0 turns feedback off.
    balance : float, default=0.8
        How far the rarer class of labels is weighted up, from 0 (every label weighs the
        same) to 1 (each class weighs half, however few its labels); see
        :func:`aad.weights.class_weights`.
    max_ratio : float or None, default=10.0
        One label of the rarer class weighs at most this many labels of the other (None: no
        cap, the rule before): one nominal among a hundred anomalies labelled in bulk would
        otherwise outweigh 42 of them where they share leaves.
    loss : {"linear", "hinge"}, default="linear"
        ``"linear"``: the closed-form AAD update in which every label keeps pushing.
        ``"hinge"``: the reference AAD hinge loss around the tau-quantile score, solved
        exactly (:mod:`aad.hinge`); kept for comparison. Its solution depends on the scores
        before each update, so it depends on the order of the labels (as in the reference).
    tau : float, default=0.03
        Anomaly fraction defining the hinge loss's quantile (unused by ``"linear"``).
    random_state : int, Generator, RandomState or None
        Seed of the forest.
    n_jobs : int, optional
        Threads for growing and applying the trees (default: all cores; -1 all, -2 all
        but one, as in scikit-learn).

    Attributes
    ----------
    n_estimators_ : int
        The trees grown (``n_estimators``, or :func:`default_n_estimators` of the rows).
    forest_ : LeafForest
        The trees, as regions and leaves.
    leaf_index_ : ndarray of shape (n_estimators, n_samples)
        Leaf of every training row in every tree.
    labels_ : ndarray of int8, shape (n_samples,)
        1 anomaly, 0 nominal, -1 unlabelled.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names of ``X``, when ``X`` was a DataFrame with string column names; a
        DataFrame given to :meth:`anomaly_score` later is matched to them by name.
    node_rows_ : ndarray of shape (n_nodes,)
        Training rows inside every node (region) of the forest.
    fit_seconds_ : dict
        Wall time of the fit: ``grow`` (the trees) and ``index`` (leaf indices, scores).

    Examples
    --------
    Two planted outliers rank first; labelling one nominal moves it down:

    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(200, 2)), [[6, 6], [-6, 6]]])
    >>> model = AADForest(random_state=0).fit(X)
    >>> sorted(np.argsort(-model.anomaly_score())[:2].tolist())
    [200, 201]
    >>> before = model.anomaly_score()[201]
    >>> model.set_label(201, "nominal")
    >>> bool(model.anomaly_score()[201] < before)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "n_estimators": [Options((None,)), Interval("int", 1, 10_000)],
        "max_samples": [Interval("int", 2, None)],
        "eta": [Interval("float", 0, 1000)],
        "balance": [Interval("float", 0, 1)],
        "max_ratio": [Options((None,)), Interval("float", 1, None)],
        "loss": [Options(("linear", "hinge"))],
        "tau": [Interval("float", 0, 1, "neither")],
        "random_state": [RANDOM_STATE],
        "n_jobs": [Options((None,)), Interval("int", 1, 1024), Interval("int", -1024, -1)],
    }

    def __init__(
        self,
        *,
        n_estimators: int | None = None,
        max_samples: int = SAMPLES,
        eta: float = 1.0,
        balance: float = BALANCE,
        max_ratio: float | None = MAX_RATIO,
        loss: str = "linear",
        tau: float = 0.03,
        random_state: int | np.random.Generator | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.eta = eta
        self.balance = balance
        self.max_ratio = max_ratio
        self.loss = loss
        self.tau = tau
        self.random_state = random_state
        self.n_jobs = n_jobs

    def set_params(self, **params) -> AADForest:
        """Set parameters; on a fitted model checked at once (unfitted, ``fit`` checks them).

        On a fitted model those that act at every label (``eta``, ``balance``, ``max_ratio``,
        ``loss``, ``tau``) apply to the scores at once, labels included; those of the trees
        (``n_estimators``, ``max_samples``, ``random_state``) at the next ``fit``.

        Examples
        --------
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> model = AADForest(n_estimators=10, random_state=0).fit(X)
        >>> model.set_label(0, "anomaly")
        >>> before = model.anomaly_score()[0]
        >>> bool(model.set_params(eta=0).anomaly_score()[0] < before)  # no feedback: row 0 falls back
        True
        >>> model.set_params(eta=-50)
        Traceback (most recent call last):
        ...
        aad.errors.AADError: The 'eta' parameter of AADForest must be a float in the range [0, 1000]...
        """
        merged = {**self.get_params(deep=False), **params}
        check_param_names(type(self).__name__, self._parameter_constraints, params)
        if hasattr(self, "forest_"):  # they act at once; unfitted, fit checks them (scikit-learn's way)
            validate_params(type(self).__name__, self._parameter_constraints, merged)
        super().set_params(**params)
        if hasattr(self, "forest_") and (self.labels_ != UNLABELLED).any():
            self._changed()
        return self

    # ------------------------------------------------------------------ fitting

    def fit(
        self,
        X,
        labels=None,
        *,
        progress: Callable[[str, float], None] | None = None,
        grow_on=None,
    ) -> AADForest:
        """Grow the forest on ``X``; optionally learn from labels known beforehand.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        labels : array-like of shape (n_samples,), optional
            1 / 0 / -1 (or True/False/None) for anomaly / nominal / unknown: labels
            known before the first query. The weights are learned from them at once.
        progress : callable, optional
            Called as ``progress(step, fraction_done)`` while fitting (for progress bars).
        grow_on : array-like of int, optional
            The rows of ``X`` the trees are grown on (default: all); every row is placed in
            the trees and scored. A working set grows its forest on its uniform sample.

        Returns
        -------
        self
        """
        validate_params(type(self).__name__, self._parameter_constraints, self.get_params(deep=False))
        names = _column_names(X)
        X = validate_matrix(X)
        known = None if labels is None else label_array(labels, X.shape[0])  # refused before any change
        grown_from = X if grow_on is None else X[_grow_rows(grow_on, X.shape[0])]
        self.n_estimators_ = self.n_estimators or default_n_estimators(X.shape[0])
        report = progress or (lambda step, fraction: None)
        report("growing the isolation trees", 0.0)
        start = time.perf_counter()
        self.forest_: LeafForest = self._grow_forest(grown_from)
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        grown = time.perf_counter()
        trees = self.n_estimators_
        self.leaf_index_ = self.forest_.apply(
            X,
            n_jobs=self.n_jobs,
            progress=lambda done: report("placing every row in every tree", 0.1 + 0.7 * done / trees),
        )
        report("indexing the leaves", 0.8)
        self._index(self.leaf_index_, np.full(X.shape[0], UNLABELLED, dtype=np.int8))
        self.fit_seconds_ = {"grow": grown - start, "index": time.perf_counter() - grown}
        if known is not None:
            rows = np.flatnonzero(known != UNLABELLED)
            self.set_labels(rows, known[rows])
        report("ready", 1.0)
        return self

    #: Whether every node of the forest is an axis-aligned box (rules are read from it).
    axis_aligned: ClassVar[bool] = True

    def _grow_forest(self, X: np.ndarray) -> LeafForest:
        """The trees, grown on ``X`` (the hook :class:`aad.ExtendedAADForest` replaces)."""
        return fit_forest(
            X,
            n_estimators=self.n_estimators_,
            max_samples=self.max_samples,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )

    @property
    def rankings_(self) -> tuple[str, ...]:
        """The rankings this model offers (:meth:`ranking`): all of them with the linear loss."""
        return RANKINGS if self.loss == "linear" else ("feedback", "forest")

    def unsupervised_score(self, X) -> np.ndarray:
        """The plain forest's score of ``X`` (no feedback; higher = more anomalous):
        ``-IsolationForest.score_samples``, the baseline of a simulation."""
        self._check_fitted()
        X = validate_matrix(self._by_name(X), n_features=self.n_features_in_, min_rows=0)
        if X.shape[0] == 0:
            return np.empty(0)
        return -self.forest_.iforest.score_samples(X.astype(np.float32))

    def calibrated_score(self, X=None) -> np.ndarray:
        """Scores in (0, 1]: 0.5 is a typical training row, higher is more anomalous.

        The current scores placed among the training rows' current scores
        (:mod:`aad.detectors.calibration`), the same scale for every detector.
        """
        from .detectors.calibration import calibrated

        return calibrated(self, X)

    @classmethod
    def _on_forest(cls, forest, X: np.ndarray, **params) -> AADForest:
        """A model on trees grown elsewhere (Half-Space Trees, :mod:`aad.stream`), no label yet."""
        model = cls(**params)
        validate_params(cls.__name__, cls._parameter_constraints, model.get_params(deep=False))
        X = validate_matrix(X)
        model.forest_ = forest
        model.n_estimators_ = forest.n_estimators
        model.n_features_in_ = X.shape[1]
        start = time.perf_counter()
        model._index(forest.apply(X), np.full(X.shape[0], UNLABELLED, dtype=np.int8))
        model.fit_seconds_ = {"grow": 0.0, "index": time.perf_counter() - start}
        return model

    def copy(self) -> AADForest:
        """An independent copy for another labelling session, cheap at any size.

        The forest, the leaf index and every array derived from them are shared (they are
        never modified after ``fit``); the labels and what depends on them are copied.
        """
        self._check_fitted()
        twin = copy.copy(self)
        twin.labels_ = self.labels_.copy()
        twin._counts = self._counts.copy()
        twin._shared = self._shared.copy()
        twin._belief_sums = None if self._belief_sums is None else self._belief_sums.copy()
        twin._scores = None
        twin._saturating = None
        twin._strong = None
        twin._beliefs = None
        return twin

    # ------------------------------------------------------------------ growing

    def add_rows(self, X, labels=None) -> np.ndarray:
        """Append rows to a fitted model without refitting: the trees stay, every label stays.

        The new rows are placed in the existing trees; the learned leaf values (which depend
        on the labels alone) carry over, so every score is exactly what a model given all
        the rows at once, with the same trees and labels, computes.

        Parameters
        ----------
        X : array-like of shape (n_new, n_features)
            The new rows (same columns as at ``fit``).
        labels : array-like of shape (n_new,), optional
            Labels known for the new rows (1 / 0 / -1).

        Returns
        -------
        ndarray of int64, shape (n_new,)
            The row numbers the new rows got (they follow the existing rows).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2))
        >>> model = AADForest(n_estimators=20, random_state=0).fit(X[:150])
        >>> model.set_label(3, "nominal")
        >>> model.add_rows(X[150:]).tolist()[:3], model.labels_.shape, model.n_labels_
        ([150, 151, 152], (200,), 1)
        """
        self._check_fitted()
        X = validate_matrix(self._by_name(X), n_features=self.n_features_in_, min_rows=0)
        known = label_array(labels, X.shape[0]) if labels is not None else None
        new_index = self.forest_.apply(X, n_jobs=self.n_jobs)
        start = self.labels_.shape[0]
        added = np.full(X.shape[0], UNLABELLED, dtype=np.int8) if known is None else known
        self._index(
            np.concatenate([self.leaf_index_, new_index], axis=1), np.concatenate([self.labels_, added])
        )
        return np.arange(start, start + X.shape[0], dtype=np.int64)

    def keep_rows(self, rows) -> None:
        """Forget every row but ``rows`` (renumbered ``0 .. len(rows) - 1`` in the order given).

        Dropping unlabelled rows changes no leaf value and no score of a kept row. A
        labelled row can never be dropped: nothing labelled is ever lost.

        Raises
        ------
        LabelError
            When a labelled row is not among ``rows``, or a row is out of range or repeated.
        """
        self._check_fitted()
        rows = self._check_rows(rows)
        dropped = np.setdiff1d(np.flatnonzero(self.labels_ != UNLABELLED), rows)
        if len(dropped):
            raise LabelError(
                f"row {int(dropped[0])} is labelled and would be dropped; keep every labelled row "
                f"({len(dropped)} left out)"
            )
        self._index(self.leaf_index_[:, rows], self.labels_[rows])
        self._renumbered = getattr(self, "_renumbered", 0) + 1  # a learner's log names the old numbers

    def _use_forest(self, forest, leaf_index: np.ndarray) -> None:
        """Swap in another forest (trees regrown, masses moved) with every row's leaves in it;
        the labels are re-applied to the new leaves (:mod:`aad.stream`)."""
        self.forest_ = forest
        self._index(leaf_index, self.labels_)

    def _index(self, leaf_index: np.ndarray, labels: np.ndarray) -> None:
        """Everything derived from the forest, the rows' leaves and the labels, recomputed exactly."""
        self.leaf_index_ = leaf_index
        self.labels_ = labels
        n_rows = leaf_index.shape[1]
        self._base = -self.forest_.gather(self.forest_.path_length, leaf_index) / self.forest_.n_estimators
        self._info_q = np.rint(self.forest_.information * _QUANTUM).astype(np.int64)
        self._counts = np.zeros((2, self.forest_.n_leaves), dtype=np.int64)
        self._shared = np.zeros((3, n_rows), dtype=np.int64)
        sizes = np.diff(self.forest_.leaf_offset).tolist()
        with ThreadPoolExecutor(n_workers(self.n_jobs)) as pool:  # numpy sorts without the GIL
            self._inverted = list(
                pool.map(lambda t: LeafRows.build(leaf_index[t], n_leaves=sizes[t]), range(len(sizes)))
            )
        if self.axis_aligned:  # the leaves' row counts are the index's: no second pass over the rows
            self.node_rows_ = self.forest_.subtree_counts(
                np.concatenate([np.diff(r.starts) for r in self._inverted])
            )
        else:
            self.node_rows_ = None
        self._hinge_values: np.ndarray | None = None
        self._scores: np.ndarray | None = None
        self._saturating: np.ndarray | None = None
        self._strong: np.ndarray | None = None
        self._prior = beliefs.prior(self.forest_)
        self._belief_sums: np.ndarray | None = None  # kept from the first time the beliefs are asked
        self._beliefs: np.ndarray | None = None
        self._generation = getattr(self, "_generation", 0) + 1
        if (labels != UNLABELLED).any():
            self._recount()
            self._changed()

    # ------------------------------------------------------------------ labels

    @property
    def n_labels_(self) -> int:
        """Number of labelled rows."""
        self._check_fitted()
        return int((self.labels_ != UNLABELLED).sum())

    @property
    def n_anomalies_(self) -> int:
        """Number of rows labelled anomaly."""
        self._check_fitted()
        return int((self.labels_ == ANOMALY).sum())

    def set_label(self, row: int, label) -> None:
        """Label one row (anomaly/nominal, 1/0, True/False), or -1/None to remove its label.

        Raises
        ------
        LabelError
            For a row outside the data or an unknown label.
        """
        self.set_labels([row], [label])

    def set_labels(self, rows, labels) -> None:
        """Label several rows at once (one label each, or one for all); the ranking is updated
        once, at the end."""
        self._check_fitted()
        rows = self._check_rows(rows)
        labels = per_row(labels, len(rows))  # one label each, or one for all
        if len(rows) != len(labels):
            raise LabelError(f"got {len(rows)} rows but {len(labels)} labels; give one label per row")
        new = np.array([to_label(v, allow_unlabelled=True) for v in labels], dtype=np.int8)
        if len(rows) > 0.05 * self.labels_.shape[0] + 64:
            self.labels_[rows] = new
            self._recount()
        else:
            for row, label in zip(rows.tolist(), new.tolist(), strict=True):
                self._relabel(row, label)
        self._changed()

    def unlabel(self, row: int) -> None:
        """Remove the label of ``row`` (an undo of :meth:`set_label`)."""
        self.set_label(row, UNLABELLED)

    def _relabel(self, row: int, label: int) -> None:
        old = int(self.labels_[row])
        if old == label:
            return
        if old != UNLABELLED:
            self._move(row, old, -1)
        if label != UNLABELLED:
            self._move(row, label, +1)
        self.labels_[row] = label

    def _move(self, row: int, label: int, sign: int) -> None:
        leaves = self.forest_.leaf_offset[:-1] + self.leaf_index_[:, row]
        before = self._counts[label, leaves].copy()
        believed = self._leaf_beliefs(leaves) if self._belief_sums is not None else None
        self._counts[label, leaves] += sign
        updates = [(self._shared[label], sign * self._info_q[leaves])]
        if label == ANOMALY:
            saturating = self._info_q[leaves] * (_saturation(before + sign) - _saturation(before))
            updates.append((self._shared[_SATURATING], saturating))
        if believed is not None:
            updates.append((self._belief_sums, self._leaf_beliefs(leaves) - believed))
        self._add_to_leaf_rows(row, updates)

    def _leaf_beliefs(self, leaves: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The leaves' posterior means, in units of :data:`aad.beliefs.QUANTUM` (int64)."""
        a0, b0 = self._prior
        counts = self._counts[:, leaves]
        return beliefs.posterior_means(a0[leaves], b0[leaves], counts[ANOMALY], counts[NOMINAL])

    def _add_to_leaf_rows(self, row: int, updates: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """For each ``(accumulator, steps)``: add ``steps[t]`` to the accumulator of every row that
        shares ``row``'s leaf in tree ``t``. A label's whole cost; on big tables the blocks of
        rows are shared among the cores (:func:`aad.leaf_rows.add_to_leaf_rows`)."""
        workers = n_workers(self.n_jobs) if self.labels_.shape[0] >= _PARALLEL_ROWS else 1
        add_to_leaf_rows(self._inverted, self.leaf_index_[:, row].tolist(), updates, workers=workers)

    def _recount(self) -> None:
        self._counts[:] = 0
        offsets = self.forest_.leaf_offset[:-1, None]
        for label in (NOMINAL, ANOMALY):
            rows = np.flatnonzero(self.labels_ == label)
            np.add.at(self._counts[label], (offsets + self.leaf_index_[:, rows]).ravel(), 1)
            table = self._info_q * self._counts[label]
            self._shared[label] = _gather_int(self.forest_, table, self.leaf_index_)
        table = self._info_q * _saturation(self._counts[ANOMALY])
        self._shared[_SATURATING] = _gather_int(self.forest_, table, self.leaf_index_)
        if self._belief_sums is not None:
            self._belief_sums = _gather_int(self.forest_, self._leaf_beliefs(), self.leaf_index_)

    def _changed(self) -> None:
        if self.loss == "hinge":
            current = self._compute_raw_score()  # the weights the analyst saw
            self._hinge_values = hinge.solve_leaf_values(self, current)
        self._scores = None
        self._saturating = None
        self._strong = None
        self._beliefs = None
        self._generation += 1

    def _restore_hinge(self, values: np.ndarray | None) -> None:
        """Put back the hinge solution of an earlier state (an exact undo; see ActiveLearner)."""
        self._hinge_values = values
        self._scores = None
        self._generation += 1

    # ------------------------------------------------------------------ scores

    @property
    def leaf_values_(self) -> np.ndarray:
        """Score contribution ``v`` of every leaf (``-path_length`` before any label)."""
        self._check_fitted()
        if self.loss == "hinge" and self._hinge_values is not None:
            return self._hinge_values
        n_anomalies, n_nominals = self._class_counts()
        return leaf_values(
            self.forest_.path_length,
            self._info_q / _QUANTUM,  # the information the fast path accumulates, exactly
            self._counts[ANOMALY],
            self._counts[NOMINAL],
            n_anomalies=n_anomalies,
            n_nominals=n_nominals,
            eta=self.eta,
            balance=self.balance,
            max_ratio=self.max_ratio,
        )

    def _class_counts(self) -> tuple[int, int]:
        """Labelled anomalies and nominals, read off the first tree's leaf counts (every labelled
        row is in exactly one of its leaves): no pass over the rows."""
        first = slice(int(self.forest_.leaf_offset[0]), int(self.forest_.leaf_offset[1]))
        return int(self._counts[ANOMALY, first].sum()), int(self._counts[NOMINAL, first].sum())

    @property
    def weights_(self) -> np.ndarray:
        """AAD weights ``w`` with ``score = w . phi(x)``: all ones before any label."""
        return self.leaf_values_ / -self.forest_.path_length

    def raw_score(self) -> np.ndarray:
        """``s(x) = mean_t v[leaf_t(x)]`` of the training rows (minus a mean path length)."""
        self._check_fitted()
        if self._scores is None:
            self._scores = self._compute_raw_score()
        return self._scores

    def _compute_raw_score(self) -> np.ndarray:
        if self.loss == "hinge" and self._hinge_values is not None:
            return self.forest_.gather(self._hinge_values, self.leaf_index_) / self.n_estimators_
        return self._linear_raw_score(self._shared[ANOMALY], 1.0)

    def _linear_raw_score(self, lifted: np.ndarray, unit: float) -> np.ndarray:
        """``base + eta (w_A lifted / unit - w_N shared_N) / T``, in path-length units."""
        block = self._linear_blocks(lifted, unit)
        if block is None:
            return self._base.copy()
        raw = np.empty(len(self._base))
        in_row_blocks(len(raw), lambda start, stop: block(start, stop, raw[start:stop]), n_jobs=self.n_jobs)
        return raw

    def _linear_blocks(self, lifted: np.ndarray, unit: float):
        """``block(start, stop, out=None)``: :meth:`_linear_raw_score` of rows ``start:stop`` (the same
        operations, so the same numbers, whether written into every row's ranking or searched a
        block at a time); None before any label or without feedback, when it is the forest's."""
        n_anomalies, n_nominals = self._class_counts()
        if n_anomalies + n_nominals == 0 or self.eta == 0:
            return None
        scale = self.eta / (self.n_estimators_ * _QUANTUM)
        per_anomaly, per_nominal = class_weights(
            n_anomalies, n_nominals, balance=self.balance, max_ratio=self.max_ratio
        )
        lift, push, nominal = scale * per_anomaly / unit, scale * per_nominal, self._shared[NOMINAL]

        def block(start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
            part = np.empty(stop - start) if out is None else out
            np.multiply(lifted[start:stop], lift, out=part)
            part -= np.multiply(nominal[start:stop], push, dtype=np.float64)
            part += self._base[start:stop]
            return part

        return block

    def _strong_score(self) -> np.ndarray:
        """``base + STRONG (raw - base)``: the learned model at ``STRONG`` times its strength,
        in blocks of rows shared among the cores (no table-sized temporaries)."""
        raw, base, strong = self.raw_score(), self._base, np.empty(len(self._base))

        def block(start: int, stop: int) -> None:
            part = strong[start:stop]
            np.subtract(raw[start:stop], base[start:stop], out=part)
            part *= STRONG
            part += base[start:stop]

        in_row_blocks(len(strong), block, n_jobs=self.n_jobs)
        return strong

    def ranking(self, name: str = "feedback") -> np.ndarray:
        """The training rows' raw scores under one of the model's rankings (higher first).

        * ``"feedback"``: :meth:`raw_score`, the learned model (what :meth:`anomaly_score` ranks by);
        * ``"strong"``: the learned model at :data:`STRONG` times the feedback strength
          (the raw score is linear in ``eta``: ``forest + STRONG * (feedback - forest)``): it
          leaves the regions labelled nominal twice as fast, and reaches first the few
          anomalies that share their leaves with many nominals (the query portfolio asks it
          only in a dry spell before the first anomaly);
        * ``"saturating"``: the same update, except that the lift a leaf gets from its labelled
          anomalies grows as ``log2(1 + count)`` instead of ``count``: a region where many
          anomalies were found stops pulling its neighbours up ever harder, while every
          nominal keeps pushing its own leaves down;
        * ``"forest"``: the isolation forest's order, no feedback at all;
        * ``"beliefs"``: local leaf beliefs (:mod:`aad.beliefs`, BALIF's update): every leaf's
          Beta belief that its rows are anomalies, the forest's score as a weak prior, a label
          deciding its own leaves and nothing else; the mean over the trees of a row's leaves.

        Each costs one vectorised pass (the model keeps their per-row accumulators
        exact); the query portfolio (:mod:`aad.portfolio`) chooses among them.

        Examples
        --------
        >>> X = np.vstack([np.random.default_rng(0).normal(size=(100, 2)), [[8, 8], [8, 7.5]]])
        >>> model = AADForest(random_state=0).fit(X)
        >>> model.set_label(100, "anomaly")
        >>> [int(np.argmax(np.where(model.labels_ == -1, model.ranking(r), -np.inf))) for r in RANKINGS]
        [101, 101, 101, 101, 101]
        """
        self._check_fitted()
        if name == "feedback":
            return self.raw_score()
        if name == "forest":
            return self._base
        if name == "beliefs":
            return self._belief_ranking()
        if name in ("saturating", "strong") and self.loss == "hinge":
            raise UnknownStrategyError(
                f"the {name} ranking needs the linear loss; this model uses the hinge loss"
            )
        if name == "strong":
            if self._strong is None:
                self._strong = self._strong_score()
            return self._strong
        if name == "saturating":
            if self._saturating is None:
                self._saturating = self._linear_raw_score(self._shared[_SATURATING], float(_SAT_UNIT))
            return self._saturating
        raise UnknownStrategyError(f"unknown ranking {name!r}; choose one of {', '.join(RANKINGS)}")

    def _belief_ranking(self) -> np.ndarray:
        """The beliefs' ranking; their sums are kept label by label from the first time it is asked."""
        if self._beliefs is None:
            self._beliefs = self._kept_belief_sums() / float(self.n_estimators_ * beliefs.QUANTUM)
        return self._beliefs

    def _kept_belief_sums(self) -> np.ndarray:
        if self._belief_sums is None:
            self._belief_sums = _gather_int(self.forest_, self._leaf_beliefs(), self.leaf_index_)
        return self._belief_sums

    def best_unlabelled(self, names: Sequence[str], closed: np.ndarray) -> tuple[int, ...]:
        """Each ranking's highest row (:meth:`ranking`) that ``closed`` leaves open, ties to the
        lowest; -1 when none is: the rows ``top_unlabelled(model.ranking(name), closed, 1)`` gives,
        found in one pass over the rows for all of them, each ranking computed a block of rows at
        a time where the model can (the learned and saturating rankings from their sums, the
        beliefs on their integer sums) rather than written out for every row and read again.

        >>> X = np.vstack([np.random.default_rng(0).normal(size=(100, 2)), [[8, 8], [8, 7.5]]])
        >>> model = AADForest(random_state=0).fit(X)
        >>> model.set_label(100, "anomaly")
        >>> model.best_unlabelled(("feedback", "saturating", "beliefs"), model.labels_ != -1)
        (101, 101, 101)
        """
        self._check_fitted()
        blocks = [self._ranking_blocks(name) for name in names]
        n_rows = len(self._base)
        if n_rows == 0 or not blocks:
            return (-1,) * len(blocks)

        def work(start: int, stop: int) -> list[tuple]:
            return [best_in_block(block(start, stop), closed[start:stop], start) for block in blocks]

        per_block = in_row_blocks(n_rows, work, n_jobs=self.n_jobs)
        return tuple(best_of_blocks(found[k] for found in per_block) for k in range(len(blocks)))

    def _ranking_blocks(self, name: str) -> Callable:
        """``block(start, stop)``: the scores of rows ``start:stop`` under one ranking, computed there
        when the ranking is linear in the model's sums and not written out yet."""
        if name == "beliefs":
            sums = self._kept_belief_sums()
            return lambda start, stop: sums[start:stop]
        linear = {
            "feedback": (self._scores, ANOMALY, 1),
            "saturating": (self._saturating, _SATURATING, _SAT_UNIT),
        }
        if self.loss == "linear" and name in linear and linear[name][0] is None:
            _, lifted, unit = linear[name]
            block = self._linear_blocks(self._shared[lifted], float(unit))
            if block is not None:
                return block
        scores = self.ranking(name)
        return lambda start, stop: scores[start:stop]

    def anomaly_score(self, X=None) -> np.ndarray:
        """Anomaly score of every row: higher means more anomalous.

        ``2 ** (s(x) / c(max_samples))``: before any label it equals the isolation
        forest's score (``-IsolationForest.score_samples``), in (0, 1]; feedback
        multiplies it by ``2 ** (change / c(max_samples))``, so it can exceed 1. Beyond
        ``2 ** ±500`` (thousands of labels) it stops being exponential, so that it stays
        finite and positive and keeps the order of ``s(x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), optional
            New rows to score with the current weights; the training rows when omitted.
        """
        self._check_fitted()
        if X is None:
            raw = self.raw_score()
        else:
            X = validate_matrix(self._by_name(X), n_features=self.n_features_in_, min_rows=0)
            if X.shape[0] == 0:  # a batch job's quiet day: nothing to score
                return np.empty(0)
            index = self.forest_.apply(X, n_jobs=self.n_jobs)
            raw = self.forest_.gather(self.leaf_values_, index) / self.n_estimators_
        return _score_from_raw(raw / float(average_path_length(self.forest_.max_samples)))

    def transform(self, X) -> sparse.csr_matrix:
        """The AAD features ``phi(X)``: one column per leaf, ``-h_leaf / T`` where a row lands.

        ``anomaly_score`` is ``2 ** (phi(X) @ weights_ / c(max_samples))``. Meant for
        checking and small data: the engine itself never builds this matrix.
        """
        self._check_fitted()
        X = validate_matrix(self._by_name(X), n_features=self.n_features_in_, min_rows=1)
        index = self.forest_.apply(X, n_jobs=self.n_jobs).astype(np.int64)
        cols = (self.forest_.leaf_offset[:-1, None] + index).T.ravel()
        rows = np.repeat(np.arange(X.shape[0]), self.n_estimators_)
        vals = -self.forest_.path_length[cols] / self.n_estimators_
        return sparse.csr_matrix((vals, (rows, cols)), shape=(X.shape[0], self.forest_.n_leaves))

    # ------------------------------------------------------------------ checks

    def _check_fitted(self) -> None:
        if not hasattr(self, "forest_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(X) before using it")

    def _by_name(self, X):
        """A DataFrame's columns in the order the model was fitted on (matched by name)."""
        return match_columns(X, getattr(self, "feature_names_in_", None), type(self).__name__)

    def _check_rows(self, rows) -> np.ndarray:
        n = self.labels_.shape[0]
        arr = np.asarray(rows)
        wrong = [] if arr.size == 0 or np.issubdtype(arr.dtype, np.integer) else arr.ravel().tolist()
        if arr.dtype == object:  # numbers beyond 64 bits, None, text: row by row
            wrong = [v for v in wrong if isinstance(v, bool) or not isinstance(v, int | np.integer)]
            if not wrong:
                far = next(v for v in arr.ravel().tolist() if not 0 <= v < n)
                raise LabelError(f"row {far} is out of range: the data has {n} rows (0 to {n - 1})")
        if wrong:
            raise LabelError(f"a row must be an integer row number (0 to {n - 1}); got {wrong[0]!r}")
        if arr.dtype == np.uint64 and arr.size and arr.max() >= n:  # not wrapped to a negative number
            raise LabelError(f"row {int(arr.max())} is out of range: the data has {n} rows (0 to {n - 1})")
        arr = arr.astype(np.int64).ravel()
        bad = (arr < 0) | (arr >= n)
        if bad.any():
            raise LabelError(f"row {int(arr[bad][0])} is out of range: the data has {n} rows (0 to {n - 1})")
        if len(np.unique(arr)) != len(arr):
            raise LabelError("the same row appears twice in one call; give each row once")
        return arr


def _grow_rows(rows, n_rows: int) -> np.ndarray:
    """``grow_on`` checked: at least two distinct row numbers of ``X``."""
    rows = np.asarray(rows)
    if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer) or len(np.unique(rows)) < 2:
        raise DataError("grow_on must list at least two distinct row numbers of X")
    outside = rows[(rows < 0) | (rows >= n_rows)]
    if len(outside):
        raise DataError(f"grow_on holds row {int(outside[0])}; X has rows 0 to {n_rows - 1}")
    return rows


def match_columns(X, fitted: np.ndarray | None, owner: str, *, stacklevel: int = 4):
    """``X``'s columns in the order of ``fitted`` (the names a model was fitted on), matched by
    name; ``X`` as it is without names on either side (warned: read in the fitted order;
    ``stacklevel`` points the warning at the caller's caller)."""
    names = _column_names(X)
    if fitted is not None and names is None:
        warnings.warn(
            f"X has no column names, but this {owner} was fitted on named columns "
            f"({', '.join(map(str, fitted[:10]))}): its columns are read in that order. "
            "Pass a DataFrame to have them matched by name.",
            UserWarning,
            stacklevel=stacklevel,
        )
    if fitted is None and names is not None and not isinstance(X, Dataset):  # a DataFrame, as scikit-learn
        warnings.warn(
            f"X has column names ({', '.join(map(str, names[:10]))}), but this {owner} was fitted without "
            "them (an array): its columns are read by position. Fit on a DataFrame or a Dataset to have them "
            "matched by name.",
            UserWarning,
            stacklevel=stacklevel,
        )
    if names is None or fitted is None:
        return X
    if isinstance(X, Dataset):
        X = X.frame()
    missing = [name for name in fitted if name not in set(names)]
    if missing:
        raise DataError(
            f"X lacks the column(s) {', '.join(map(repr, missing[:5]))} the model was fitted on "
            f"({', '.join(map(str, fitted[:10]))}); pass a DataFrame with those columns"
        )
    return X[list(fitted)]


def _column_names(X) -> np.ndarray | None:
    """A DataFrame's column names (as scikit-learn keeps them) or a Dataset's feature names, None
    for other inputs."""
    columns = X.feature_names if isinstance(X, Dataset) else getattr(X, "columns", None)
    if columns is None or not all(isinstance(name, str) for name in columns):
        return None
    index = pd.Index(columns)
    twice = sorted(set(index[index.duplicated()]))  # one pass, however wide the frame
    if twice:
        raise DataError(
            f"X names the column {twice[0]!r} twice, so its columns could not be matched by name when "
            "scoring; give every column its own name"
        )
    return np.asarray(columns, dtype=object)


#: Rows from which a label's update is split over the cores (below, threads cost more than they save).
_PARALLEL_ROWS = 200_000

_LINEAR_BEYOND = 500.0  # |exponent| beyond which the score stops being exponential (2**500 ~ 3e150)


def _score_from_raw(z: np.ndarray) -> np.ndarray:
    """``2 ** z`` within ``|z| <= 500``, continued beyond with the same value and slope by a
    function that grows linearly (above) or decays as ``1 / z`` (below): finite, positive and
    strictly increasing for any ``z`` (no overflow to inf, no underflow to 0, no ties).

    >>> z = np.array([-2000.0, -1.0, 0.0, 2000.0])
    >>> (_score_from_raw(z) / [2.0**-500, 1, 1, 2.0**500]).round(4).tolist()
    [0.001, 0.5, 1.0, 1040.7208]
    """
    z = np.asarray(z, dtype=np.float64)
    if z.size == 0 or (-_LINEAR_BEYOND <= z.min() and z.max() <= _LINEAR_BEYOND):  # the usual case
        return np.exp2(z)
    score = np.exp2(np.clip(z, -_LINEAR_BEYOND, _LINEAR_BEYOND))
    above, below = z > _LINEAR_BEYOND, z < -_LINEAR_BEYOND
    if above.any():
        score[above] *= 1.0 + np.log(2.0) * (z[above] - _LINEAR_BEYOND)
    if below.any():
        score[below] /= 1.0 + np.log(2.0) * (-_LINEAR_BEYOND - z[below])
    return score


def _saturation(counts: np.ndarray) -> np.ndarray:
    """``round(2**16 log2(1 + count))`` as int64: the saturating lift in exact integer units.

    >>> _saturation(np.array([0, 1, 3, 7])).tolist()
    [0, 65536, 131072, 196608]
    """
    return np.rint(np.log2(1.0 + np.asarray(counts, dtype=np.float64)) * _SAT_UNIT).astype(np.int64)


def _gather_int(forest: LeafForest, table: np.ndarray, leaf_index: np.ndarray) -> np.ndarray:
    return gather_leaves(np.asarray(table, dtype=np.int64), forest.leaf_offset, leaf_index)
