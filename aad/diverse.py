"""Diverse query batches: spend each batch on different kinds of anomaly.

With a batch of ``k`` queries, the ``k`` top-scored rows are often ``k`` copies of one
kind of anomaly. These strategies first take a *pool* of at most ``pool_size(k) = 3 k``
top-scored unlabelled rows that the model scores in its top ``tau`` fraction
(:func:`candidate_pool`), then choose ``k`` of them that differ:

* ``top-random``: ``k`` rows drawn at random from the pool (a baseline);
* ``bal-d``: describe the pool with a compact description (:mod:`aad.describe`), then pick
  greedily, in score order, the row whose covering regions overlap least with the regions
  of the rows already picked (the BAL-D strategy of Das et al.);
* ``bal-e``: greedy farthest points on standardised features: start from the top row, then
  repeatedly add the pool row farthest (Euclidean) from the rows already picked.

All three are registered in :mod:`aad.query`, share its signature and return the chosen
rows most anomalous first.

References
----------
Das, Islam, Doppa, Fern, "Active Anomaly Detection via Ensembles: Insights, Algorithms,
and Interpretability", arXiv:1901.08930 (diversified batch queries, BAL-D).
"""

from __future__ import annotations

import numpy as np

from .describe import DEFAULTS, cover_rows
from .detectors.surrogate import axis_aligned
from .errors import DataError
from .query import QueryContext, register_strategy, top_unlabelled

__all__ = ["POOL_FACTOR", "candidate_pool", "pool_size"]

#: The pool holds this many candidates per query of the batch.
POOL_FACTOR = 3


def pool_size(k: int) -> int:
    """Size of the pool the diverse strategies choose ``k`` rows from: ``POOL_FACTOR * k``.

    A pool a few times the batch leaves room to choose while staying among the rows the
    model ranks highest, so diversity costs few anomalies.

    Examples
    --------
    >>> pool_size(1), pool_size(3)
    (3, 9)
    """
    return POOL_FACTOR * int(k)


@register_strategy("top-random")
def _top_random(context: QueryContext, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` rows drawn at random from the top ``pool_size(k)`` unlabelled rows."""
    pool = candidate_pool(context, k)
    if len(pool) <= k:
        return pool
    return pool[np.sort(rng.choice(len(pool), size=k, replace=False))]


@register_strategy("bal-d")
def _bal_d(context: QueryContext, k: int, rng: np.random.Generator) -> np.ndarray:
    """Among the top rows, the batch whose covering regions overlap least."""
    pool = candidate_pool(context, k)
    if len(pool) <= k:
        return pool
    model, X = _needs(context, "bal-d", features=False)
    if not getattr(model, "axis_aligned", False):  # hyperplanes or an ensemble: the surrogate's boxes
        model, X = _needs(context, "bal-d", features=True)
        model = axis_aligned(model, X)
    cover = cover_rows(model, np.sort(pool), model.labels_, DEFAULTS)
    order = np.searchsorted(np.sort(pool), pool)  # back to the pool's score order
    membership = cover.membership[order][:, cover.chosen].astype(np.int64)  # (pool, regions)
    return pool[_least_overlap(membership, k)]


@register_strategy("bal-e")
def _bal_e(context: QueryContext, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy farthest points among the top rows, on standardised features."""
    pool = candidate_pool(context, k)
    if len(pool) <= k:
        return pool
    _, X = _needs(context, "bal-e", model=False)
    spread = X.std(axis=0)
    Z = (X[pool] - X.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    return pool[_farthest_points(Z, k)]


def candidate_pool(context: QueryContext, k: int) -> np.ndarray:
    """The rows a diverse batch of ``k`` is chosen from, most anomalous first.

    The top ``pool_size(k)`` unlabelled rows, keeping only those the model scores in its
    top ``tau`` fraction of all rows (``model.tau``, the anomaly fraction the model
    assumes; 0.03 without a model). When no more than ``k`` such rows are left, the pool is
    the top ``k``: a batch never trades a likely anomaly for diversity among rows the model
    thinks nominal.

    Examples
    --------
    The top 3% of these 100 rows are rows 97 to 99; once they are labelled, the pool of a
    batch of 2 is the top 2:

    >>> scores, labelled = np.linspace(0, 1, 100), np.zeros(100, bool)
    >>> candidate_pool(QueryContext(scores, labelled), 2).tolist()
    [99, 98, 97]
    >>> labelled[97:] = True
    >>> candidate_pool(QueryContext(scores, labelled), 2).tolist()
    [96, 95]
    """
    pool = top_unlabelled(context.scores, context.labelled, pool_size(k))
    tau = float(getattr(context.model, "tau", 0.03))
    likely = pool[context.scores[pool] >= np.quantile(context.scores, 1.0 - tau)]
    return likely if len(likely) > k else pool[:k]


def _least_overlap(membership: np.ndarray, k: int) -> np.ndarray:
    """Greedy: each step takes the first row (in pool order) sharing fewest regions with the picked ones."""
    used = np.zeros(membership.shape[1], dtype=np.int64)
    free = np.ones(membership.shape[0], dtype=bool)
    picked = []
    for _ in range(k):
        overlap = np.where(free, membership @ used, np.iinfo(np.int64).max)
        best = int(np.argmin(overlap))
        picked.append(best)
        free[best] = False
        used += membership[best]
    return np.sort(np.asarray(picked))


def _farthest_points(Z: np.ndarray, k: int) -> np.ndarray:
    """Greedy farthest-point traversal from row 0; ties go to the earlier row."""
    picked = [0]
    nearest = np.linalg.norm(Z - Z[0], axis=1)
    nearest[0] = -np.inf
    for _ in range(k - 1):
        best = int(np.argmax(nearest))
        picked.append(best)
        nearest = np.minimum(nearest, np.linalg.norm(Z - Z[best], axis=1))
        nearest[picked] = -np.inf
    return np.sort(np.asarray(picked))


def _needs(context: QueryContext, name: str, *, model: bool = True, features: bool = True):
    if model and context.model is None:
        raise DataError(
            f"query strategy {name!r} uses the forest's regions: pass the fitted model "
            "(QueryContext(..., model=model))"
        )
    if features and context.X is None:
        raise DataError(
            f"query strategy {name!r} looks at the features: pass X (ActiveLearner(model, X), or "
            "QueryContext(..., X=X))"
        )
    return context.model, None if context.X is None else np.asarray(context.X, dtype=np.float64)
