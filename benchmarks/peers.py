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

import hashlib
import json
import os
from pathlib import Path

import numpy as np

__all__ = ["PEERS", "balif_queries", "coniferest_queries", "fingerprint", "peer_queries", "peer_runs"]

#: Where the peers' runs are kept (see :func:`peer_runs`).
CACHE = Path(__file__).with_name("results") / "peer_runs.json"


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


def fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    """A short content hash of a table and its ground truth (the cache key of a peer's runs)."""
    digest = hashlib.sha256(np.ascontiguousarray(X, dtype=np.float64).tobytes())
    digest.update(np.asarray(y, dtype=bool).tobytes())
    return digest.hexdigest()[:16]


def peer_runs(
    name: str, X: np.ndarray, y: np.ndarray, *, budget: int, seeds, cache: Path | None = CACHE
) -> list[np.ndarray] | None:
    """One run of peer ``name`` per seed (its queried rows), None when it is not installed.

    The peers are slow (BALIF rescores every row with every tree after each label, about
    0.1-0.3 s per label at 10k rows), and deterministic for a given table, seed and budget:
    runs are kept in ``cache`` (a JSON file, keyed by peer, the table's content hash,
    budget and seed), so that every benchmark shows the peers beside aad without running
    them again. Delete the file (or pass ``cache=None``) to run them afresh.
    """
    store = json.loads(cache.read_text()) if cache is not None and cache.exists() else {}
    key = f"{name}:{fingerprint(X, y)}:{budget}"
    runs = []
    for seed in seeds:
        if f"{key}:{seed}" not in store:
            queried = peer_queries(name, X, y, budget=budget, seed=seed)
            if queried is None:
                return None
            store[f"{key}:{seed}"] = queried.tolist()
            if cache is not None:
                _write(cache, store)
        runs.append(np.asarray(store[f"{key}:{seed}"]))
    return runs


def _write(cache: Path, store: dict) -> None:
    """Merge into the file (another benchmark may have added runs meanwhile) and replace it whole."""
    on_disk = json.loads(cache.read_text()) if cache.exists() else {}
    on_disk.update(store)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(on_disk, separators=(",", ":")))
    os.replace(tmp, cache)
