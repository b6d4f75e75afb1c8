"""Local leaf beliefs: a Beta belief per leaf that a row reaching it is an anomaly.

The ranking ``"beliefs"`` of :class:`aad.AADForest` (BALIF's update, Bayesian Active
Learning Isolation Forest): every leaf holds ``Beta(a, b)``. Its prior mean is the leaf's
isolation score ``2 ** (-path_length / c(max_samples))``, rescaled per tree to [0, 1] and
clipped to [0.01, 0.99]; the prior weighs :data:`STRENGTH` rows, of which a
:data:`CONTAMINATION` share are anomalies at the least (BALIF's ``prior_sample_size`` 0.1 and
PyOD's default contamination 0.1, not tuned). A labelled anomaly adds 1 to ``a`` in the leaves
it reaches, a nominal 1 to ``b``; a row's belief is the mean over the trees of its leaves'
posterior means. The prior is weak, so one label decides its leaves and nothing else: the
update is local, and it saturates. Where the learned model lifts whole regions around the
anomalies found, a nominal here takes its (often wide) leaves out of the ranking, and the rows
in leaves nobody has labelled rise: a kind nobody has seen yet.

The model keeps each row's sum of posterior means, quantised to :data:`QUANTUM` as an exact
integer, and a label adds its leaves' change of mean to the rows in them (the same pass over
the rows that updates the learned model), so an undo restores the same numbers.
"""

from __future__ import annotations

import numpy as np

from .forest import average_path_length

__all__ = ["CONTAMINATION", "QUANTUM", "STRENGTH", "posterior_means", "prior"]

#: Rows the prior weighs (BALIF's ``prior_sample_size``).
STRENGTH = 0.1
#: The least share of anomalies in the prior (PyOD's default contamination).
CONTAMINATION = 0.1
#: A belief is kept in units of ``1 / QUANTUM``, as an int64.
QUANTUM = 2**24


def prior(forest, *, strength: float | None = None, contamination: float | None = None):
    """Every leaf's prior ``(a, b)``, from the forest alone (``strength`` and ``contamination``:
    :data:`STRENGTH` and :data:`CONTAMINATION` unless given).

    A leaf's isolation score is rescaled in its tree from half the score of the tree's deepest
    leaf (its longest path, in a forest without node depths such as the extended isolation
    forest's) to the score of a leaf one split deep.

    >>> from aad.forest import fit_forest
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(200, 2)), [[6, 6]]])
    >>> forest = fit_forest(X, n_estimators=5, max_samples=64, random_state=0)
    >>> a, b = prior(forest)
    >>> leaf = forest.leaf_offset[0] + forest.apply(X[-1:])[0, 0]
    >>> bool(a[leaf] / (a[leaf] + b[leaf]) > np.median(a / (a + b)))  # the outlier's leaf
    True
    """
    c = float(average_path_length(forest.max_samples))
    score = np.exp2(-forest.path_length / c)
    deepest = _deepest(forest)
    rescaled = np.empty_like(score)
    for t in range(forest.n_estimators):
        lo, hi = forest.leaf_offset[t], forest.leaf_offset[t + 1]
        low, high = 2 ** (-1 - deepest[t] / c), 2 ** (-1 / c)
        # a tree that could not split (two rows a tree, or identical rows) says nothing: odds even
        rescaled[lo:hi] = (score[lo:hi] - low) / (high - low) if high > low else 0.5
    odds = np.clip(rescaled, 0.01, 0.99)
    odds = odds / (1 - odds)
    strength = STRENGTH if strength is None else strength
    contamination = CONTAMINATION if contamination is None else contamination
    a0, b0 = contamination * strength, (1 - contamination) * strength
    return np.maximum(odds * b0, a0), np.maximum(a0 / odds, b0)


def _deepest(forest) -> np.ndarray:
    """Per tree, its deepest leaf's depth (its longest path, without node depths)."""
    offsets = forest.leaf_offset
    nodes = getattr(forest, "nodes", None)
    if nodes is not None and len(getattr(forest, "leaf_node", ())) == forest.n_leaves:
        depth = nodes.depth[forest.leaf_node].astype(np.float64)
    else:
        depth = np.asarray(forest.path_length, dtype=np.float64)
    return np.array([depth[offsets[t] : offsets[t + 1]].max() for t in range(forest.n_estimators)])


def posterior_means(a0: np.ndarray, b0: np.ndarray, anomalies: np.ndarray, nominals: np.ndarray):
    """``round(QUANTUM * a / (a + b))`` as int64, with ``a = a0 + anomalies``, ``b = b0 + nominals``.

    >>> a0, b0 = np.array([0.01, 0.09]), np.array([0.09, 0.01])
    >>> posterior_means(a0, b0, anomalies=np.array([1, 0]), nominals=np.array([0, 1])).tolist()
    [15404535, 1372681]
    """
    a = a0 + anomalies
    return np.rint(a / (a + b0 + nominals) * QUANTUM).astype(np.int64)
