"""Scores as a table, for people and other systems: one row per scored row, ranked.

:func:`score_table` is what ``aad score`` writes and what the workbench downloads: the
row number, its ``anomaly_score`` (higher is more anomalous) and its ``rank`` (1 is the
most anomalous; ties go to the lower row), optionally the analyst's label and the
features beside them.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from .errors import DataError
from .labels import ANOMALY, NOMINAL, label_array

__all__ = ["score_table"]


def score_table(
    scores: np.ndarray,
    *,
    top: int | None = None,
    labels: np.ndarray | None = None,
    features: pd.DataFrame | None = None,
    reference: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per scored row: ``row``, ``anomaly_score``, ``rank``, ``percentile``
    [, ``label``, features...].

    ``percentile`` is the share of the reference rows scoring below the row, in percent:
    a cut-off that keeps its meaning while feedback rescales the scores (above 99: more
    anomalous than 99 % of the data the model learned from).

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Anomaly scores, higher = more anomalous.
    top : int, optional
        Keep only the ``top`` highest-scored rows, best first; all rows in row order otherwise.
    labels : ndarray of shape (n_samples,), optional
        1 / 0 / -1 per row: adds a ``label`` column (``anomaly``, ``nominal`` or empty).
    features : DataFrame with n_samples rows, optional
        Columns appended after the scores (their names are kept).
    reference : ndarray, optional
        Scores the percentile is taken against: the training rows' scores when ``scores``
        are new rows' (default: ``scores`` themselves).

    Examples
    --------
    >>> table = score_table(np.array([0.2, 0.9, 0.5, 0.3]))
    >>> table["rank"].tolist(), table["percentile"].tolist()
    ([4, 1, 2, 3], [0.0, 75.0, 50.0, 25.0])
    >>> score_table(np.array([0.2, 0.9, 0.5]), top=1, labels=np.array([-1, 1, 0]))
       row  anomaly_score  rank  percentile    label
    0    1            0.9     1   66.666667  anomaly
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise DataError(f"scores must be one-dimensional (one per row); got shape {scores.shape}")
    missing = np.isnan(scores)
    if missing.any():  # it would rank last yet take the highest percentile
        raise DataError(f"scores hold NaN, at row {int(np.argmax(missing))}; every row needs a score")
    if top is not None and (isinstance(top, bool) or not isinstance(top, numbers.Integral) or top < 1):
        raise DataError(f"top must be a whole number of rows, at least 1; got {top!r}")
    order = np.lexsort((np.arange(len(scores)), -scores))
    rank = np.empty(len(scores), dtype=np.int64)
    rank[order] = np.arange(1, len(scores) + 1)
    base = np.sort(scores if reference is None else np.asarray(reference, dtype=np.float64))
    # scores equal to 12 digits tie: a training row scored again through the trees (new rows'
    # path) rounds differently in the last bits, and must keep its percentile
    below = np.searchsorted(base, scores - 1e-12 * np.abs(scores), side="left")
    percentile = 100.0 * below / max(len(base), 1)
    table = pd.DataFrame(
        {"row": np.arange(len(scores)), "anomaly_score": scores, "rank": rank, "percentile": percentile}
    )
    if labels is not None:
        labels = label_array(labels, len(scores))
        names = np.select([labels == ANOMALY, labels == NOMINAL], ["anomaly", "nominal"], "")
        table["label"] = names
    if features is not None:
        if len(features) != len(scores):
            raise DataError(
                f"features has {len(features)} rows but there are {len(scores)} scores; "
                "give one row per score"
            )
        taken = [c for c in features.columns if c in table.columns]
        renamed = features.rename(columns={c: f"{c} (data)" for c in taken}) if taken else features
        table = pd.concat([table, renamed.reset_index(drop=True)], axis=1)
    return table if top is None else table.iloc[order[:top]].reset_index(drop=True)
