"""The peers, run the way a new user runs them: coniferest's AAD and BALIF.

Both get what aad gets: 100 trees of 256 rows, the same data, the same seeds (one forest
per seed), top-1 queries and a ground-truth oracle. Each function returns one run's
queried rows in order, so that any curve (anomalies found, kinds found) can be read off
it. Both are optional benchmark dependencies (``make bench`` installs them); a missing
one returns None and the tables say "not installed".

* **coniferest** (snad-space, ``coniferest.aadforest.AADForest``): the AAD weight update as
  a quadratic program; after each label ``fit_known`` with every label so far; the next
  query is the unlabelled row with the lowest score (its scores: lower = more anomalous).
* **BALIF** (Bayesian Active Learning Isolation Forest, PyPI ``balif``,
  ``BADIForest(prior_sample_size=0.1, contamination=0.03)``): a Beta belief per leaf with
  the forest's depth as a weak prior; the next query is the unlabelled row with the
  highest posterior mean (``decision_function``), and ``update`` takes each label.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PEERS", "balif_queries", "coniferest_queries", "peer_queries"]


def coniferest_queries(X: np.ndarray, y: np.ndarray, *, budget: int, seed: int) -> np.ndarray | None:
    """Rows coniferest queries, in order, in one run; None when it is not installed."""
    try:
        from coniferest.aadforest import AADForest
        from coniferest.label import Label
    except ImportError:
        return None
    X = np.ascontiguousarray(X, dtype=np.float64)
    forest = AADForest(n_trees=100, n_subsamples=min(256, len(X)), random_seed=seed, n_jobs=1).fit(X)
    labels = np.full(len(X), Label.UNKNOWN, dtype=int)
    queried = []
    for _ in range(budget):
        scores = np.where(labels == Label.UNKNOWN, forest.score_samples(X), np.inf)
        row = int(np.argmin(scores))  # coniferest: lower = more anomalous
        labels[row] = Label.ANOMALY if y[row] else Label.REGULAR
        queried.append(row)
        known = labels != Label.UNKNOWN
        forest.fit_known(X, X[known], labels[known])
    return np.asarray(queried)


def balif_queries(X: np.ndarray, y: np.ndarray, *, budget: int, seed: int) -> np.ndarray | None:
    """Rows BALIF queries, in order, in one run; None when it is not installed."""
    try:
        from balif import BADIForest
    except ImportError:
        return None
    X = np.ascontiguousarray(X, dtype=np.float64)
    model = BADIForest(
        n_estimators=100,
        max_samples=min(256, len(X)),
        contamination=0.03,
        prior_sample_size=0.1,
        random_state=seed,
    ).fit(X)
    labelled = np.zeros(len(X), dtype=bool)
    queried = []
    for _ in range(budget):
        scores = np.where(labelled, -np.inf, model.decision_function(X))
        row = int(np.argmax(scores))
        labelled[row] = True
        queried.append(row)
        model.update(X[row : row + 1], np.array([int(y[row])]))
    return np.asarray(queried)


PEERS = {"coniferest": coniferest_queries, "BALIF": balif_queries}


def peer_queries(name: str, X: np.ndarray, y: np.ndarray, *, budget: int, seed: int) -> np.ndarray | None:
    """One run of the peer called ``name`` (a key of :data:`PEERS`)."""
    return PEERS[name](X, np.asarray(y, dtype=bool), budget=budget, seed=seed)
