"""Rules for a detector that is not made of axis-aligned boxes.

A compact description (:mod:`aad.describe`) is a few boxes, ``a < x <= b`` on some
features: every node of an axis-aligned isolation tree is one, which is why the forest's
own regions can describe its labelled anomalies exactly. An extended isolation forest
splits on hyperplanes (``0.3 x - 0.9 y <= 1.2``), and an ensemble's score has no regions
at all: no box states what they learned. Rather than a silently wrong rule, they are
described through a **surrogate**: an axis-aligned isolation forest grown on the same rows
with the same seed, whose regions are the candidate boxes around the labelled anomalies,
and whose region values are the *detector's* current scores (the mean score of the rows
inside each region), so that the boxes chosen are the ones where the detector scores
high. The description then says so (a note, and ``surrogate`` in its provenance), with
its **agreement**: of the ``k`` rows the rules select, the share that the detector itself
ranks among its ``k`` highest (1.0: the rules select exactly the detector's top rows).

The same surrogate says which box isolates a row on the cards (:func:`aad.explain_row`).
"""

from __future__ import annotations

import numpy as np

from ..model import AADForest

__all__ = ["SurrogateForest", "agreement", "axis_aligned"]


class SurrogateForest(AADForest):
    """An axis-aligned isolation forest whose leaf values are another detector's scores.

    Fitted on the detector's training rows; :meth:`follow` copies the detector's current
    labels and scores (the leaf value is the mean current score of the training rows in
    the leaf), so the regions are ranked as the detector ranks their rows.
    """

    def follow(self, detector) -> SurrogateForest:
        """Take ``detector``'s current labels and scores; returns self."""
        self.labels_ = detector.labels_.copy()
        scores = np.asarray(detector.anomaly_score(), dtype=np.float64)
        values = np.zeros(self.forest_.n_leaves)
        for t in range(self.forest_.n_estimators):
            lo, hi = self.forest_.leaf_offset[t], self.forest_.leaf_offset[t + 1]
            size = hi - lo
            total = np.bincount(self.leaf_index_[t], weights=scores, minlength=size)
            rows = np.bincount(self.leaf_index_[t], minlength=size)
            values[lo:hi] = np.divide(total, rows, out=np.full(size, scores.min()), where=rows > 0)
        self._followed = values
        self.detector_ = detector
        return self

    @property
    def leaf_values_(self) -> np.ndarray:
        """The detector's mean current score of the training rows in each leaf."""
        return self._followed


def axis_aligned(model, X):
    """``model`` itself when its trees are axis-aligned boxes, else its surrogate (fitted
    once on ``X``, the model's training rows, and kept on the model) following its labels
    and scores.

    Examples
    --------
    >>> from aad.detectors import AADEnsemble
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(200, 2)), [[7, 7]]])
    >>> ensemble = AADEnsemble(members=("lof",), random_state=0).fit(X)
    >>> surrogate = axis_aligned(ensemble, X)
    >>> type(surrogate).__name__, surrogate.forest_.n_estimators
    ('SurrogateForest', 200)
    """
    if isinstance(model, AADForest) and model.axis_aligned:
        return model
    model._check_fitted()
    surrogate = getattr(model, "_surrogate", None)
    if surrogate is None:
        seed = model.random_state if isinstance(model.random_state, int) else 0
        surrogate = SurrogateForest(random_state=seed, n_jobs=getattr(model, "n_jobs", None)).fit(
            np.asarray(X, dtype=np.float64)
        )
        model._surrogate = surrogate
    return surrogate.follow(model)


def agreement(model, selected: np.ndarray) -> float:
    """Of the ``k`` rows in ``selected`` (a mask of the training rows), the share that
    ``model`` ranks among its ``k`` highest scores (1.0 when ``k`` is 0).

    >>> from aad import AADForest
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(100, 2)), [[9, 9]]])
    >>> model = AADForest(random_state=0).fit(X)
    >>> agreement(model, np.arange(101) == 100)
    1.0
    """
    selected = np.asarray(selected, dtype=bool)
    k = int(selected.sum())
    if k == 0:
        return 1.0
    scores = model.anomaly_score()
    top = np.argsort(-scores, kind="stable")[:k]
    return float(selected[top].sum() / k)
