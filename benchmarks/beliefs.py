"""Local Beta leaf beliefs (as BALIF learns them), as a ranking the query portfolio can follow.

Tried as a fourth ranking of the portfolio (``choose.py --variants beliefs``) and lost on
the tuning tables (see the README, *Which ranking the queue follows*), so it is not in the
engine; kept here so that the measurement can be repeated.

Every leaf holds a belief ``Beta(a, b)`` that a row reaching it is an anomaly. Its prior
mean is the leaf's isolation score ``2 ** (-path_length / c(max_samples))``, rescaled per
tree to [0, 1] and clipped to [0.01, 0.99]; its prior weighs ``strength`` rows, of which a
``contamination`` share are anomalies at the least (BALIF's prior: ``prior_sample_size``
0.1, PyOD's default contamination 0.1). A labelled anomaly adds 1 to ``a`` in the leaves it
reaches, a nominal 1 to ``b``; a row's score is the mean over the trees of its leaves'
posterior means. So one label decides its leaves (the prior is weak) and nothing else:
the update is local, and it saturates.
"""

from __future__ import annotations

import numpy as np

from aad.forest import average_path_length
from aad.labels import ANOMALY, NOMINAL
from aad.model import AADForest

STRENGTH = 0.1
CONTAMINATION = 0.1


class BeliefForest(AADForest):
    """:class:`aad.AADForest` with a fourth ranking, ``"beliefs"`` (recomputed at each call).

    >>> X = np.vstack([np.random.default_rng(0).normal(size=(200, 2)), [[6, 6], [6, 5.5]]])
    >>> model = BeliefForest(random_state=0).fit(X)
    >>> model.set_label(200, "anomaly")
    >>> int(np.argmax(np.where(model.labels_ == -1, model.ranking("beliefs"), -np.inf)))
    201
    """

    @property
    def rankings_(self) -> tuple[str, ...]:
        return (*super().rankings_, "beliefs")

    def ranking(self, name: str = "feedback") -> np.ndarray:
        if name != "beliefs":
            return super().ranking(name)
        a, b = prior(self, strength=STRENGTH, contamination=CONTAMINATION)
        a = a + self._counts[ANOMALY]
        b = b + self._counts[NOMINAL]
        return self.forest_.gather(a / (a + b), self.leaf_index_)


def prior(model: AADForest, *, strength: float, contamination: float) -> tuple[np.ndarray, np.ndarray]:
    """Every leaf's prior ``(a, b)``."""
    forest = model.forest_
    c = float(average_path_length(forest.max_samples))
    depth = forest.nodes.depth[forest.leaf_node].astype(np.float64)
    score = np.exp2(-forest.path_length / c)
    rescaled = np.empty_like(score)
    for t in range(forest.n_estimators):
        lo, hi = forest.leaf_offset[t], forest.leaf_offset[t + 1]
        low, high = 2 ** (-1 - depth[lo:hi].max() / c), 2 ** (-1 / c)
        rescaled[lo:hi] = (score[lo:hi] - low) / (high - low)
    odds = np.clip(rescaled, 0.01, 0.99)
    odds = odds / (1 - odds)
    a0, b0 = contamination * strength, (1 - contamination) * strength
    return np.maximum(odds * b0, a0), np.maximum(a0 / odds, b0)
