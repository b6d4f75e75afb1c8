"""The AAD papers' streaming protocol, replayed with a ground-truth oracle.

The table is read in file order, in windows of ``window`` rows. The first window grows the
forest; every window then gets ``budget_per_window`` top-1 queries on the retained pool
(the highest-scored unlabelled row, its true label, the model updated after each), every
labelled row is kept, and the pool keeps the ``pool_size`` highest-scored unlabelled rows
of (the pool + the new window) (:class:`~aad.stream.streaming.StreamingAAD`). Beside each
run, the same stream with trees that are never replaced, and batch AAD spending the same
budget on the whole table at once (the learned model's ranking, the same forest size).

The reference's "10 label-only weight updates" after a replacement have no counterpart to
run here: aad's leaf values are an exact function of the labels, so re-applying the labels
to the new leaves (which :class:`StreamingAAD` does) is the converged update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._validation import MAX_SEED, Interval, validate_params
from ..data import validate_matrix
from ..errors import DataError
from ..learner import ActiveLearner
from ..model import AADForest
from ..query import top_unlabelled
from ..simulate import _check_truth
from .streaming import StreamingAAD, WindowReport

__all__ = ["StreamResult", "StreamRun", "replay_stream"]


@dataclass(frozen=True, eq=False)
class StreamRun:
    """One seeded replay: per window, the anomalies found and what the stream did."""

    seed: int
    windows: list[WindowReport]
    found: list[int]
    no_replacement_found: list[int]
    batch_found: int
    no_replacement_windows: list[WindowReport] = field(default_factory=list)
    queried: list[list[int]] = field(default_factory=list)  # per window: the rows asked, as numbered in X
    no_replacement_queried: list[list[int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready: ``windows`` holds one object per window."""
        return {
            "seed": self.seed,
            "found": int(sum(self.found)),
            "no_replacement_found": int(sum(self.no_replacement_found)),
            "batch_found": self.batch_found,
            "windows": [
                {
                    "window": w.window,
                    "rows": w.rows,
                    "found": f,
                    "no_replacement_found": g,
                    "trees_replaced": w.trees_replaced,
                    "drifted_trees": w.drifted_trees,
                    "drift_alarm": w.drift_alarm,
                    "no_replacement_drift_alarm": fixed.drift_alarm,
                    "retained_rows": w.retained_rows,
                    "queried": asked,
                    "no_replacement_queried": asked_fixed,
                    "seconds": round(w.seconds, 6),
                }
                for w, f, g, fixed, asked, asked_fixed in zip(
                    self.windows,
                    self.found,
                    self.no_replacement_found,
                    self.no_replacement_windows,
                    self.queried or [[] for _ in self.windows],
                    self.no_replacement_queried or [[] for _ in self.windows],
                    strict=True,
                )
            ],
        }


@dataclass(frozen=True, eq=False)
class StreamResult:
    """Every replay of one stream, with the summaries ``aad stream --json`` writes.

    Examples
    --------
    A stream whose normal region moves, replayed in windows of 200 rows with 6 labels each:
    the anomalies found with drifted trees replaced, with trees never replaced, and by batch
    AAD spending the same 30 labels on the whole table; then, per window, the anomalies found
    and the trees replaced:

    >>> from aad.stream.synthetic import make_drift_stream
    >>> X, y = make_drift_stream("moving", n_windows=5, window=200, n_features=2, anomaly_rate=0.03,
    ...                          random_state=0)
    >>> result = replay_stream(X, y, window=200, budget_per_window=6,
    ...                        stream_params={"n_estimators": 20, "max_samples": 64})
    >>> result.n_rows, result.n_anomalies, len(result.runs)
    (1000, 30, 1)
    >>> result.mean_found, result.no_replacement_mean_found, result.batch_mean_found
    (15.0, 14.0, 16.0)
    >>> run = result.runs[0]
    >>> run.found, [w.trees_replaced for w in run.windows]
    ([4, 3, 3, 2, 3], [0, 20, 20, 20, 20])
    """

    n_rows: int
    n_anomalies: int
    window: int
    budget_per_window: int
    runs: list[StreamRun]
    params: dict = field(default_factory=dict)

    @property
    def mean_found(self) -> float:
        """Anomalies found over the whole stream, mean over the runs."""
        return float(np.mean([sum(r.found) for r in self.runs]))

    @property
    def no_replacement_mean_found(self) -> float:
        """The same with trees never replaced."""
        return float(np.mean([sum(r.no_replacement_found) for r in self.runs]))

    @property
    def batch_mean_found(self) -> float:
        """Batch AAD on the whole table with the same budget, mean over the runs."""
        return float(np.mean([r.batch_found for r in self.runs]))

    @property
    def seconds_per_window_median(self) -> float:
        """Median time to take in a window (drift check, replacement, pool), over every run."""
        return float(np.median([w.seconds for r in self.runs for w in r.windows]))

    def to_dict(self) -> dict:
        """A JSON-ready summary."""
        return {
            "n_rows": self.n_rows,
            "n_anomalies": self.n_anomalies,
            "window": self.window,
            "budget_per_window": self.budget_per_window,
            "params": self.params,
            "mean_found": self.mean_found,
            "no_replacement_mean_found": self.no_replacement_mean_found,
            "batch_mean_found": self.batch_mean_found,
            "seconds_per_window_median": self.seconds_per_window_median,
            "runs": [run.to_dict() for run in self.runs],
        }


_CONSTRAINTS = {
    "window": [Interval("int", 2, None)],
    "budget_per_window": [Interval("int", 1, None)],
    "reruns": [Interval("int", 1, 10_000)],
    "seed": [Interval("int", 0, MAX_SEED)],
}


def replay_stream(
    X,
    y,
    *,
    window: int = 1024,
    budget_per_window: int = 20,
    reruns: int = 1,
    seed: int = 0,
    stream_params: dict | None = None,
    batch: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> StreamResult:
    """Replay ``X`` in windows with the true labels ``y`` answering every query.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Rows in stream order.
    y : array-like of shape (n_samples,)
        Ground truth (bool or 1/0).
    window : int, default=1024
    budget_per_window : int, default=20
    reruns : int, default=1
        Seeds ``seed .. seed + reruns - 1``.
    seed : int, default=0
    stream_params : dict, optional
        :class:`StreamingAAD` parameters (``detector``, ``drift``, ``n_estimators``, ...).
    batch : bool, default=True
        Run batch AAD on the whole table too (``batch_found`` is -1 otherwise).
    progress : callable, optional
        ``progress(windows_done, windows_total)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(600, 2)), rng.normal(6, 0.3, size=(12, 2))])
    >>> y = np.r_[np.zeros(600), np.ones(12)]
    >>> order = rng.permutation(len(X))
    >>> result = replay_stream(X[order], y[order], window=200, budget_per_window=5,
    ...                        stream_params={"n_estimators": 20, "max_samples": 64})
    >>> len(result.runs[0].windows), result.mean_found >= 8
    (4, True)
    """
    validate_params(
        "replay_stream",
        _CONSTRAINTS,
        {"window": window, "budget_per_window": budget_per_window, "reruns": reruns, "seed": seed},
    )
    X = validate_matrix(X)
    y = _truth(y, X.shape[0])
    _check_truth("the stream", y)
    if budget_per_window > window:
        raise DataError(f"the budget per window ({budget_per_window}) exceeds the window ({window} rows)")
    if window * 2 > X.shape[0]:  # the first window only grows the trees: nothing would be streamed
        fix = (
            f"choose a window of at most {X.shape[0] // 2:,} rows"
            if X.shape[0] >= 4  # a window holds 2 rows at least
            else "a stream needs 4 rows at least (two windows of 2)"
        )
        raise DataError(
            f"a window of {window:,} rows leaves no full second window in the stream's {X.shape[0]:,} rows; "
            f"{fix}"
        )
    if seed + reruns - 1 > MAX_SEED:
        raise DataError(
            f"the runs use the seeds {seed} to {seed + reruns - 1}; a seed must be at most {MAX_SEED}"
        )
    params = dict(stream_params or {})
    StreamingAAD(**params)  # unknown names refused here, with Python's message
    starts = list(range(0, X.shape[0], window))
    total = 2 * len(starts) * reruns
    runs, done = [], 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    for r in range(reruns):
        found, windows, queried = _one_stream(
            X, y, starts, window, budget_per_window, {**params, "random_state": seed + r}, tick
        )
        fixed, fixed_windows, fixed_queried = _one_stream(
            X,
            y,
            starts,
            window,
            budget_per_window,
            {**params, "drift": "none", "random_state": seed + r},
            tick,
        )
        budget = min(budget_per_window * len(starts), X.shape[0])
        batch_found = _batch(X, y, budget, seed + r, params) if batch else -1
        runs.append(
            StreamRun(seed + r, windows, found, fixed, batch_found, fixed_windows, queried, fixed_queried)
        )
    return StreamResult(
        n_rows=X.shape[0],
        n_anomalies=int(y.sum()),
        window=window,
        budget_per_window=budget_per_window,
        runs=runs,
        params={"seed": seed, "reruns": reruns, **_without_seed(StreamingAAD(**params).get_params())},
    )


def _without_seed(params: dict) -> dict:
    """The stream's parameters without ``random_state``: every run has its own (``seed + r``, in
    its :class:`StreamRun`), so one value beside ``seed`` would contradict it."""
    return {name: value for name, value in params.items() if name != "random_state"}


def _one_stream(X, y, starts, window, budget, params, tick):
    """One replay: per window the anomalies found, what the stream did, and the rows it asked
    (numbered as in ``X``)."""
    stream = StreamingAAD(**params).fit(X[: starts[0] + window])
    found, queried = [], []
    for k, start in enumerate(starts):
        if k:
            stream.add_window(X[start : start + window])
        asked = []
        for _ in range(budget):
            labels = stream.model_.labels_
            if not (labels == -1).any():
                break
            row = int(top_unlabelled(stream.anomaly_score(), labels != -1, 1)[0])
            asked.append(int(stream.row_ids_[row]))
            stream.set_label(row, bool(y[asked[-1]]))
        found.append(int(y[asked].sum()) if asked else 0)
        queried.append(asked)
        tick()
    return found, stream.windows_, queried


def _batch(X: np.ndarray, y: np.ndarray, budget: int, seed: int, params: dict) -> int:
    """Batch AAD: the whole table at once, the learned model's top-1 queries."""
    model = AADForest(
        n_estimators=params.get("n_estimators", 100),
        max_samples=params.get("max_samples", 256),
        eta=params.get("eta", 1.0),
        random_state=seed,
        n_jobs=1,
    ).fit(X)
    learner = ActiveLearner(model, queue="feedback")
    hits = 0
    for _ in range(budget):
        row = int(learner.next_queries(1)[0])
        learner.label(row, bool(y[row]))
        hits += bool(y[row])
    return hits


def _truth(y, n_rows: int) -> np.ndarray:
    arr = np.asarray(y)
    if arr.shape != (n_rows,):
        raise DataError(f"y must hold one ground-truth value per row of X ({n_rows}); got shape {arr.shape}")
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
            raise DataError("y must be the ground truth as bool or 1 (anomaly) / 0 (nominal)")
        arr = arr.astype(bool)
    return arr
