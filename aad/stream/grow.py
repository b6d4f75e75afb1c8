"""Growing a fitted model by a batch of rows: drift checked, drifted trees regrown, labels kept.

What a labelling session does when the analyst adds rows (the next day's export): the new
rows are placed in the trees (:meth:`aad.AADForest.add_rows`), each tree's leaf
distribution of the new rows is compared with that of the rows the model had
(:func:`aad.stream.drift.kl_divergence`; each tree's threshold is the 95 % quantile of the
divergence between the old rows and random samples of them as large as the addition), and when
at least ``min_drifted`` of the trees drifted, exactly those are regrown (on the new rows, as
a stream does, or on the whole table, as a session that ranks every row it holds does:
``regrow_on``) and every label is re-applied. ADWIN (river, when installed) watches the forest scores of
the old rows and then the new ones, in order, and says whether their distribution moved.
Every random choice comes from ``random_state``: the same call grows the same model.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from ..data import validate_matrix
from ..forest import average_path_length
from ..model import AADForest
from .drift import kl_divergence, kl_thresholds, regrow_trees

__all__ = ["Growth", "grow_model"]

_ADWIN_HISTORY = 8192  # old rows ADWIN reads before the new ones


@dataclass(frozen=True, eq=False)
class Growth:
    """What adding rows did to a model.

    Attributes
    ----------
    rows_added : int
    drifted_trees : int
        Trees whose leaf distribution on the new rows exceeded their threshold.
    trees_replaced : int
        Trees regrown on the new rows (0 unless at least ``min_drifted`` of them drifted and
        at least ``regrow_rows`` rows were added).
    drift_alarm : bool or None
        ADWIN saw the forest scores move within the new rows; None without river.
    scores_before : ndarray of shape (n_before,)
        The old rows' scores before the addition.
    scores_after : ndarray of shape (n_before + rows_added,)
        Every row's score after it.
    regrow_rows : int
        New rows a regrown tree is grown on, as many as the forest's trees were (its
        ``max_samples``): an addition of fewer rows regrows no tree.
    regrown_on : {"new", "table"}
        What a regrown tree was grown on: the new rows, or the whole table.
    """

    rows_added: int
    drifted_trees: int
    trees_replaced: int
    drift_alarm: bool | None
    scores_before: np.ndarray
    scores_after: np.ndarray
    regrow_rows: int = 0
    regrown_on: str = "new"


def grow_model(
    model: AADForest,
    X_old: np.ndarray,
    X_new: np.ndarray,
    *,
    random_state: int | np.random.Generator | None,
    min_drifted: float = 0.1,
    quantile: float = 0.95,
    regrow_on: str = "new",
) -> Growth:
    """Add the rows ``X_new`` to ``model`` (fitted on ``X_old``, labels and all), with drift handling.

    Parameters
    ----------
    model : AADForest
        Fitted, its rows being ``X_old``; changed in place.
    X_old : ndarray of shape (n_before, n_features)
    X_new : ndarray of shape (n_new, n_features)
    random_state : int, Generator or None
        Seed of the drift thresholds' splits and of regrown trees.
    min_drifted : float, default=0.1
        Share of the trees that must drift before any is regrown.
    quantile : float, default=0.95
        Per-tree threshold (:func:`aad.stream.drift.kl_thresholds`).
    regrow_on : {"new", "table"}, default="new"
        The rows a drifted tree is regrown on: the new rows (a stream, which lets its old rows
        go), or the whole table, old and new rows (a labelling session, which ranks every row it
        holds: trees grown on the new rows alone isolate the old ones, which then crowd its top).

    Returns
    -------
    Growth

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> old, new = rng.normal(size=(800, 2)), rng.normal(4.0, 1.0, size=(600, 2))
    >>> model = AADForest(n_estimators=30, random_state=0).fit(old)
    >>> model.set_label(0, "nominal")
    >>> growth = grow_model(model, old, new, random_state=0)
    >>> growth.rows_added, growth.trees_replaced > 3, model.labels_.shape, model.n_labels_
    (600, True, (1400,), 1)
    """
    if regrow_on not in ("new", "table"):
        raise ValueError(f"regrow_on must be 'new' or 'table'; got {regrow_on!r}")
    X_old = validate_matrix(X_old, n_features=model.n_features_in_)
    X_new = validate_matrix(X_new, n_features=model.n_features_in_, min_rows=1)
    rng = np.random.default_rng(random_state)
    before = model.anomaly_score()
    forest = model.forest_
    new_index = forest.apply(X_new)
    drifted = np.empty(0, dtype=np.int64)
    if X_old.shape[0] >= 4:  # thresholds calibrated on samples of the new rows' size, drawn from the old
        m = min(X_new.shape[0], X_old.shape[0] // 2)
        thresholds = kl_thresholds(
            forest, model.leaf_index_, quantile=quantile, sample_size=m, random_state=rng
        )
        drifted = np.flatnonzero(kl_divergence(forest, model.leaf_index_, new_index) > thresholds)
    alarm = _adwin(forest, model.leaf_index_, new_index)
    model.add_rows(X_new)
    replaced = 0
    needed = max(1, int(np.ceil(min_drifted * forest.n_estimators)))
    if len(drifted) >= needed and X_new.shape[0] >= forest.max_samples and forest.iforest is not None:
        seed = int(rng.integers(2**31 - 1))
        X_all = np.vstack([X_old, X_new])
        grown = regrow_trees(forest, drifted, X_new if regrow_on == "new" else X_all, random_state=seed)
        model._use_forest(grown, grown.apply(X_all))
        replaced = len(drifted)
    after = model.anomaly_score()
    return Growth(
        X_new.shape[0], len(drifted), replaced, alarm, before, after, int(forest.max_samples), regrow_on
    )


def _adwin(forest, old_index: np.ndarray, new_index: np.ndarray) -> bool | None:
    """ADWIN over the forest scores of the old rows (the latest 8,192), then the new: did it
    fire in the new part?"""
    if importlib.util.find_spec("river") is None:
        return None
    from river.drift import ADWIN

    scale = float(average_path_length(forest.max_samples)) * forest.n_estimators
    detector = ADWIN()
    recent = old_index[:, -_ADWIN_HISTORY:]
    for value in np.exp2(-forest.gather(forest.path_length, recent) / scale).tolist():
        detector.update(value)
    alarm = False
    for value in np.exp2(-forest.gather(forest.path_length, new_index) / scale).tolist():
        detector.update(value)
        alarm = alarm or bool(detector.drift_detected)
    return alarm
