"""Speed and memory of the labelling loop, on synthetic data of any size.

:func:`make_benchmark_data` generates the documented synthetic table; :func:`run_benchmark`
times what an analyst waits for: growing and indexing the forest, the first query, and
every label (label -> leaf weights -> every row rescored -> next query).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import DataError
from .learner import ActiveLearner
from .model import AADForest

__all__ = ["make_benchmark_data", "peak_rss_mb", "run_benchmark"]


def make_benchmark_data(
    n_rows: int,
    n_features: int = 20,
    *,
    anomaly_fraction: float = 0.01,
    random_state: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian-mixture table with planted anomalies.

    Nominal rows come from 5 Gaussian clusters (centres drawn in ``[-5, 5]^d``, unit
    variance). Anomalies (``anomaly_fraction`` of the rows) are half scattered uniformly
    over ``[-8, 8]^d`` and half in 3 tight clusters (standard deviation 0.1) placed
    between the nominal clusters. Rows are shuffled.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of bool, True for the planted anomalies

    Examples
    --------
    >>> X, y = make_benchmark_data(1000, 4, random_state=0)
    >>> X.shape, int(y.sum())
    ((1000, 4), 10)
    """
    rng = np.random.default_rng(random_state)
    n_anomalies = max(1, round(anomaly_fraction * n_rows))
    n_nominal = n_rows - n_anomalies
    centres = rng.uniform(-5, 5, size=(5, n_features))
    # Built in place, a block of rows at a time, and shuffled a column at a time: the same numbers
    # as stacking and shuffling whole arrays, in one array's memory (10M x 20: 1.6 GB, not 5).
    X = np.empty((n_rows, n_features))
    which = rng.integers(0, 5, n_nominal)
    for start in range(0, n_nominal, _BLOCK):
        stop = min(n_nominal, start + _BLOCK)
        X[start:stop] = centres[which[start:stop]]
        X[start:stop] += rng.normal(size=(stop - start, n_features))
    n_scattered = n_anomalies // 2
    X[n_nominal : n_nominal + n_scattered] = rng.uniform(-8, 8, size=(n_scattered, n_features))
    micro = (centres[:3] + centres[[1, 2, 0]]) / 2 + rng.normal(0, 0.5, size=(3, n_features))
    clustered = micro[rng.integers(0, 3, n_anomalies - n_scattered)]
    X[n_nominal + n_scattered :] = clustered + rng.normal(0, 0.1, size=clustered.shape)
    y = np.r_[np.zeros(n_nominal, bool), np.ones(n_anomalies, bool)]
    order = rng.permutation(n_rows)
    for j in range(n_features):
        X[:, j] = X[order, j]
    return X, y[order]


_BLOCK = 1 << 18  # rows generated together


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Linux's ``VmHWM`` where there is one: ``ru_maxrss`` survives fork and exec, so a process
    started by a big one would report its parent's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_benchmark(
    X: np.ndarray,
    y: np.ndarray | None = None,
    *,
    n_estimators: int | None = None,
    n_labels: int = 50,
    random_state: int = 0,
    n_jobs: int | None = None,
    queue: str = "adaptive",
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Time the labelling loop on ``X``.

    Each query (top-1) is answered with ``y`` when given, otherwise as nominal (the slow
    case: nominal rows share the big leaves). ``queue`` is the learner's
    (:class:`~aad.learner.ActiveLearner`): the adaptive queue also keeps the record of
    every ranking's proposals, which each label pays for.

    Returns
    -------
    dict
        ``rows``, ``features``, ``trees``, ``labels``, ``fit_seconds`` (growing plus
        indexing), ``grow_seconds``, ``index_seconds``, ``first_query_seconds`` (from the
        start of the fit to the first query), ``label_latency_ms`` (``p50``, ``p95``,
        ``max``), ``peak_rss_mb``, ``anomalies_found``.

    Examples
    --------
    >>> X, y = make_benchmark_data(2000, 5)
    >>> out = run_benchmark(X, y, n_estimators=20, n_labels=5)
    >>> out["rows"], out["labels"], out["label_latency_ms"]["p50"] > 0
    (2000, 5, True)
    """
    if not 0 <= n_labels < len(X):
        raise DataError(
            f"the benchmark labels {n_labels} rows one by one, so the data needs more than "
            f"{n_labels} rows; it has {len(X)}. Use fewer labels or more rows"
        )
    start = time.perf_counter()
    model = AADForest(n_estimators=n_estimators, random_state=random_state, n_jobs=n_jobs).fit(X)
    fit_seconds = time.perf_counter() - start
    learner = ActiveLearner(model, queue=queue)
    query = int(learner.next_queries(1)[0])
    first_query = time.perf_counter() - start
    latencies = []
    for done in range(n_labels):
        tick = time.perf_counter()
        learner.label(query, bool(y[query]) if y is not None else False)
        query = int(learner.next_queries(1)[0])
        latencies.append(time.perf_counter() - tick)
        if progress is not None:
            progress(done + 1, n_labels)
    ms = 1000 * np.asarray(latencies)
    return {
        "rows": int(X.shape[0]),
        "features": int(X.shape[1]),
        "trees": model.n_estimators_,
        "labels": n_labels,
        "queue": queue,
        "fit_seconds": fit_seconds,
        "grow_seconds": model.fit_seconds_["grow"],
        "index_seconds": model.fit_seconds_["index"],
        "first_query_seconds": first_query,
        "label_latency_ms": {
            "p50": float(np.median(ms)) if n_labels else 0.0,
            "p95": float(np.percentile(ms, 95)) if n_labels else 0.0,
            "max": float(ms.max()) if n_labels else 0.0,
        },
        "peak_rss_mb": peak_rss_mb(),
        "anomalies_found": model.n_anomalies_,
    }
