"""Simulated discovery runs: a ground-truth oracle answers every query.

A run fits a model with one seed, then repeatedly asks the query strategy for a batch,
reveals the true labels of the batch, and updates the model, until the budget is spent.
Its discovery curve is the cumulative number of anomalies found after 1..budget labels.
Two baselines come with every run: the model's own ranking without feedback, and the
plain ``IsolationForest.score_samples`` ranking of the same forest.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._validation import MAX_SEED, Interval, validate_params
from .data import Dataset, validate_matrix
from .detectors import make_detector, score_table_from
from .errors import DataError
from .forest import fit_forest
from .learner import ActiveLearner
from .model import SAMPLES, AADForest, default_n_estimators
from .query import top_unlabelled

__all__ = ["SimulationResult", "SimulationRun", "simulate", "simulate_run"]


@dataclass(frozen=True, eq=False)
class SimulationRun:
    """One seeded run.

    Attributes
    ----------
    seed : int
    queried : ndarray of int, shape (budget,)
        Rows in the order they were labelled.
    found, baseline_found, iforest_found : ndarray of int, shape (budget,)
        Cumulative anomalies after 1..budget labels: with feedback, in the model's
        no-feedback order, and in the isolation forest's order.
    seconds_per_label : ndarray of float, shape (budget,)
        Time to take a label, update the model, rescore every row and pick the next query.
    classes_found : ndarray of int, shape (budget,), optional
        Distinct anomaly classes found after 1..budget labels (with a class file).
    batch_classes : ndarray of int, optional
        Distinct anomaly classes among the anomalies of each batch.

    Examples
    --------
    Ten planted anomalies of two classes among 300 rows; with the classes given, the run
    counts the classes found too:

    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(300, 2)), rng.normal(5, 0.3, size=(6, 2)),
    ...                rng.normal((-5, 5), 0.3, size=(4, 2))])
    >>> y = np.r_[np.zeros(300, bool), np.ones(10, bool)]
    >>> classes = ["normal"] * 300 + ["burst"] * 6 + ["drift"] * 4
    >>> run = simulate_run(X, y, budget=12, seed=0, classes=classes, model_params={"n_estimators": 20})
    >>> run.seed, len(run.queried), run.seconds_per_label.shape
    (0, 12, (12,))
    >>> run.found.tolist()
    [1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10, 10]
    >>> run.classes_found.tolist()
    [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    """

    seed: int
    queried: np.ndarray
    found: np.ndarray
    baseline_found: np.ndarray
    iforest_found: np.ndarray
    seconds_per_label: np.ndarray
    classes_found: np.ndarray | None = None
    batch_classes: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """All runs of one simulation, with their summaries.

    Attributes
    ----------
    dataset : str
    n_rows, n_anomalies : int
    budget : int
        Labels per run.
    strategy : str
    batch_size : int
    runs : list of SimulationRun
        One per seed.
    params : dict
        The seeds, the queue, the detector and its parameters.

    Examples
    --------
    Three runs of 10 labels on a shipped dataset: the mean discovery curve (anomalies found
    after 1..10 labels), its spread over the runs, and the summary ``aad simulate --json`` writes:

    >>> from aad.data import load_dataset
    >>> result = simulate(load_dataset("toy2"), budget=10, reruns=3, model_params={"n_estimators": 20})
    >>> [run.seed for run in result.runs], result.n_rows, result.n_anomalies
    ([0, 1, 2], 485, 35)
    >>> result.mean_found.round(2).tolist()
    [0.0, 0.0, 0.0, 0.67, 1.33, 2.0, 2.67, 3.33, 4.33, 5.33]
    >>> result.std_found.shape, result.params["n_estimators"]
    ((10,), 20)
    >>> sorted(result.to_dict())
    ['baseline_mean_found', 'batch_size', 'budget', 'dataset', 'iforest_mean_found', 'mean_found',
     'n_anomalies', 'n_rows', 'params', 'runs', 'seconds_per_label_median', 'std_found', 'strategy']
    """

    dataset: str
    n_rows: int
    n_anomalies: int
    budget: int
    strategy: str
    batch_size: int
    runs: list[SimulationRun]
    params: dict = field(default_factory=dict)

    def _stack(self, name: str) -> np.ndarray:
        return np.vstack([getattr(run, name) for run in self.runs]).astype(float)

    @property
    def mean_found(self) -> np.ndarray:
        """Mean discovery curve over the runs."""
        return self._stack("found").mean(axis=0)

    @property
    def std_found(self) -> np.ndarray | None:
        """Sample standard deviation (``ddof=1``, as pandas and R compute it) of the discovery
        curve over the runs; None for one run, which has no spread."""
        found = self._stack("found")
        return found.std(axis=0, ddof=1) if len(found) > 1 else None

    @property
    def baseline_mean_found(self) -> np.ndarray:
        """Mean curve of the model's ranking without feedback."""
        return self._stack("baseline_found").mean(axis=0)

    @property
    def iforest_mean_found(self) -> np.ndarray:
        """Mean curve of the isolation forest's ranking."""
        return self._stack("iforest_found").mean(axis=0)

    @property
    def seconds_per_label_median(self) -> float:
        """Median time per label over all labels of all runs."""
        return float(np.median(np.concatenate([r.seconds_per_label for r in self.runs])))

    def to_dict(self) -> dict:
        """A JSON-ready summary (the ``--json`` output of ``aad simulate``)."""
        out = {
            "dataset": self.dataset,
            "n_rows": self.n_rows,
            "n_anomalies": self.n_anomalies,
            "budget": self.budget,
            "strategy": self.strategy,
            "batch_size": self.batch_size,
            "params": self.params,
            "runs": [_run_dict(run) for run in self.runs],
            "mean_found": _floats(self.mean_found),
            "std_found": None if self.std_found is None else _floats(self.std_found),
            "baseline_mean_found": _floats(self.baseline_mean_found),
            "iforest_mean_found": _floats(self.iforest_mean_found),
            "seconds_per_label_median": self.seconds_per_label_median,
        }
        if all(run.classes_found is not None for run in self.runs):
            out["classes_found"] = _floats(self._stack("classes_found").mean(axis=0))
            per_batch = np.concatenate([run.batch_classes for run in self.runs])
            out["mean_classes_per_batch"] = float(per_batch.mean()) if len(per_batch) else 0.0
        return out


def simulate(
    dataset: Dataset,
    *,
    budget: int = 100,
    reruns: int = 10,
    seed: int = 0,
    strategy: str = "top",
    batch_size: int = 1,
    classes: np.ndarray | None = None,
    model_params: dict | None = None,
    queue: str = "adaptive",
    progress: Callable[[int, int], None] | None = None,
    detector: str | None = None,
    scores=None,
) -> SimulationResult:
    """Run ``reruns`` seeded discovery runs (seeds ``seed .. seed + reruns - 1``).

    Parameters
    ----------
    dataset : Dataset
        Must have ground truth (``dataset.y``).
    budget : int, default=100
        Labels per run.
    reruns : int, default=10
    seed : int, default=0
    strategy : str, default="top"
    batch_size : int, default=1
    classes : ndarray of shape (n_samples,), optional
        Original class of every row, to count distinct anomaly classes found.
    model_params : dict, optional
        Extra parameters of the detector (:func:`aad.detectors.make_detector`).
    queue : str, default="adaptive"
        Which ranking the queries follow (:class:`~aad.learner.ActiveLearner`'s ``queue``).
    progress : callable, optional
        Called as ``progress(labels_done, labels_total)``.
    detector : {"iforest", "eif", "ensemble"}, optional
        The model (:data:`aad.detectors.DETECTORS`); by default the isolation forest, or with
        precomputed ``scores`` an ensemble of them (of them alone unless ``model_params`` names
        built-in ``members`` too, as ``aad simulate --scores`` does).
    scores : ScoreTable, DataFrame or array of shape (n_samples, k), optional
        Precomputed scores, one ensemble member per column (``aad.load_scores``).

    Examples
    --------
    >>> from aad.data import load_dataset
    >>> result = simulate(load_dataset("toy2"), budget=20, reruns=2)
    >>> result.mean_found.shape, bool(result.mean_found[-1] >= result.baseline_mean_found[-1])
    ((20,), True)
    """
    if not isinstance(dataset, Dataset):
        raise DataError(
            f"simulate takes a Dataset (aad.load_dataset(...) or aad.dataset_from_frame(...)); got "
            f"{type(dataset).__name__}. For arrays X, y use simulate_run(X, y, budget=..., seed=...)"
        )
    validate_params(
        "simulate", _COUNTS, {"budget": budget, "reruns": reruns, "seed": seed, "batch_size": batch_size}
    )
    _check_simulation(dataset, budget, reruns, batch_size, classes)
    if seed + reruns - 1 > MAX_SEED:
        raise DataError(
            f"the runs use the seeds {seed} to {seed + reruns - 1}, but a seed must be at most "
            f"{MAX_SEED} (2**32 - 1); lower the seed or the number of reruns"
        )
    if detector is None:
        detector = "iforest" if scores is None else "ensemble"
    if scores is not None:
        scores = score_table_from(scores, dataset.n_rows)
        if detector != "ensemble":
            raise DataError(
                f"precomputed scores are members of an ensemble; use detector='ensemble' (got {detector!r})"
            )
        model_params = {"members": [], **(model_params or {})}  # the scores alone, unless members are named
    template = make_detector(detector, model_params)  # refuses unknown parameters before any run
    total = budget * reruns
    runs = []
    for r in range(reruns):

        def tick(done: int, r: int = r) -> None:
            if progress is not None:
                progress(r * budget + done, total)

        runs.append(
            simulate_run(
                dataset.X,
                dataset.y,
                budget=budget,
                seed=seed + r,
                strategy=strategy,
                batch_size=batch_size,
                classes=classes,
                model_params=model_params,
                queue=queue,
                on_label=tick,
                detector=detector,
                scores=scores,
            )
        )
    return SimulationResult(
        dataset=dataset.name,
        n_rows=dataset.n_rows,
        n_anomalies=int(dataset.y.sum()),
        budget=budget,
        strategy=strategy,
        batch_size=batch_size,
        runs=runs,
        params={
            "seed": seed,
            "reruns": reruns,
            "queue": queue,
            "detector": detector,
            **_json_params(_grown(_without_seed(template.get_params()), dataset.n_rows)),
            **({} if scores is None else {"scores": list(scores.names)}),
        },
    )


def simulate_run(
    X: np.ndarray,
    y: np.ndarray,
    *,
    budget: int,
    seed: int,
    strategy: str = "top",
    batch_size: int = 1,
    classes: np.ndarray | None = None,
    model_params: dict | None = None,
    queue: str = "adaptive",
    on_label: Callable[[int], None] | None = None,
    detector: str = "iforest",
    scores=None,
) -> SimulationRun:
    """One seeded run; see :func:`simulate`.

    ``y`` is the ground truth, one bool (or 1/0) per row of ``X``.

    Examples
    --------
    A run on arrays: after 30 labels the feedback has found more anomalies than the same
    model's ranking without feedback and the plain isolation forest's:

    >>> from aad.data import load_dataset
    >>> data = load_dataset("toy2")
    >>> run = simulate_run(data.X, data.y, budget=30, seed=0, model_params={"n_estimators": 50})
    >>> int(run.found[-1]), int(run.baseline_found[-1]), int(run.iforest_found[-1])
    (21, 14, 14)
    """
    validate_params(
        "simulate_run", _COUNTS, {"budget": budget, "reruns": 1, "seed": seed, "batch_size": batch_size}
    )
    X = validate_matrix(X)
    y = _ground_truth(y, X.shape[0])
    name = f"X ({X.shape[0]} rows)"
    _check_truth(name, y)
    _check_counts(name, X.shape[0], budget, batch_size, classes)
    classes = None if classes is None else np.asarray(classes, dtype=object)  # a list indexes as an array
    model = make_detector(detector, model_params, random_state=seed)
    model = model.fit(X) if scores is None else model.fit(X, scores=scores)
    start = model.anomaly_score()
    no_labels = np.zeros(len(y), dtype=bool)
    baseline = top_unlabelled(start, no_labels, budget)
    iforest = top_unlabelled(_forest_scores(model, X, seed, model_params or {}), no_labels, budget)
    learner = ActiveLearner(
        model, X, strategy=strategy, batch_size=batch_size, random_state=seed, queue=queue
    )
    queried, seconds, batch_classes = [], [], []
    tick = time.perf_counter()
    while len(queried) < budget:
        k = min(batch_size, budget - len(queried))
        batch = learner.next_queries(k)
        for row in batch.tolist():
            learner.label(row, int(y[row]))
        learner.scores()  # rescored, as the next query needs
        now = time.perf_counter()
        seconds.extend([(now - tick) / len(batch)] * len(batch))
        tick = now
        queried.extend(batch.tolist())
        if classes is not None:
            batch_classes.append(len(set(classes[batch[y[batch]]].tolist())))
        if on_label is not None:
            on_label(len(queried))
    queried_arr = np.asarray(queried)
    return SimulationRun(
        seed=seed,
        queried=queried_arr,
        found=np.cumsum(y[queried_arr]),
        baseline_found=np.cumsum(y[baseline]),
        iforest_found=np.cumsum(y[iforest]),
        seconds_per_label=np.asarray(seconds),
        classes_found=None if classes is None else _classes_curve(queried_arr, y, classes),
        batch_classes=None if classes is None else np.asarray(batch_classes),
    )


def _forest_scores(model, X: np.ndarray, seed: int, params: dict) -> np.ndarray:
    """The plain isolation forest's scores (the baseline every run reports): the model's own
    forest when it has one, else an isolation forest grown with the same seed and the trees and
    rows per tree ``params`` name (``n_estimators``, ``max_samples``; :class:`AADForest`'s
    defaults for those it does not), so every detector's runs with the same settings report the
    same baseline."""
    if isinstance(model, AADForest) and model.axis_aligned:
        return model.unsupervised_score(X)
    trees = params.get("n_estimators") or default_n_estimators(X.shape[0])
    forest = fit_forest(
        X, n_estimators=trees, max_samples=params.get("max_samples") or SAMPLES, random_state=seed
    )
    return -forest.iforest.score_samples(X.astype(np.float32))


def _grown(params: dict, n_rows: int) -> dict:
    """``params`` with the trees the models grew when none were asked for (None)."""
    if "n_estimators" in params and params["n_estimators"] is None:
        return {**params, "n_estimators": default_n_estimators(n_rows)}
    return params


def _without_seed(params: dict) -> dict:
    """A model's parameters without ``random_state``: every run has its own seed (``seed + r``, in
    its :class:`SimulationRun`), so a ``None`` beside ``seed`` would contradict it."""
    return {name: value for name, value in params.items() if name != "random_state"}


def settings_caption(params: dict, n_runs: int, n_rows: int | None = None) -> str:
    """The seeds and the forest of a summary's runs, for a table's or a figure's title (a tree
    is grown on at most the table's ``n_rows``).

    >>> settings_caption({"seed": 3, "n_estimators": 200, "max_samples": 512}, 10, 485)
    'seeds 3-12, 200 trees x 485 rows'
    """
    first = int(params.get("seed", 0))
    seeds = f"seed {first}" if n_runs == 1 else f"seeds {first}-{first + n_runs - 1}"
    trees, rows = params.get("n_estimators"), params.get("max_samples")
    if not (trees and rows):
        return seeds
    return f"{seeds}, {trees} trees x {min(rows, n_rows or rows)} rows"


def _json_params(params: dict) -> dict:
    return {key: list(value) if isinstance(value, tuple) else value for key, value in params.items()}


def _classes_curve(queried: np.ndarray, y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    seen: set = set()
    curve = []
    for row in queried:
        if y[row]:
            seen.add(classes[row])
        curve.append(len(seen))
    return np.asarray(curve)


def _check_simulation(dataset: Dataset, budget: int, reruns: int, batch_size: int, classes) -> None:
    if dataset.y is None:
        raise DataError(
            no_truth(
                dataset,
                "a simulation",
                "(load_dataset(..., label_column=NAME), --label-col on the command line)",
            )
        )
    _check_truth(dataset.name, dataset.y)
    _check_counts(dataset.name, dataset.n_rows, budget, batch_size, classes)


def no_truth(dataset: Dataset, needs: str, how: str) -> str:
    """The message for a table without a ground truth that ``needs`` one (``a simulation``):
    name the column ``how`` says, or, when a column named like one holds other words (fraud/ok),
    name the value that marks an anomaly."""
    unread = [note.column for note in dataset.note_items if note.kind == "unread_truth" and note.column]
    if unread and dataset.context is not None and unread[0] in dataset.context.columns:
        return f"{dataset.name} has no ground truth {needs} can read" + _anomaly_value_hint(
            unread[0], dataset.context[unread[0]]
        )
    hint = truth_hint(dataset)
    return f"{dataset.name} has no ground-truth column, and {needs} needs one; name it {how}{hint}"


def truth_hint(dataset: Dataset) -> str:
    """``; 'Class' looks like one: --label-col Class`` when the loader left out a column that
    looks like a ground truth (empty otherwise)."""
    answers = [note.column for note in dataset.note_items if note.kind == "answer" and note.column]
    if not answers:
        return ""
    name = answers[0]
    return f"; {name!r} looks like one: --label-col {shlex.quote(name)}"


def _anomaly_value_hint(name: str, column) -> str:
    """``: column 'label' holds 'ok' (290 rows) and 'fraud' (10 rows), not anomaly/nominal;
    name the value that marks an anomaly, as --anomaly-value fraud``: its rarest value."""
    counts = column.dropna().astype(str).value_counts()
    shown = " and ".join(f"{value!r} ({n:,} rows)" for value, n in counts.head(2).items())
    more = f" and {len(counts) - 2} more values" if len(counts) > 2 else ""
    rarest = str(counts.index[-1])
    return (
        f": column {name!r} holds {shown}{more}, not anomaly/nominal; name the value that marks an anomaly, "
        f"as --anomaly-value {shlex.quote(rarest)} (its rarest value)"
    )


_COUNTS = {
    "budget": [Interval("int", 1, None)],
    "reruns": [Interval("int", 1, 10_000)],
    "seed": [Interval("int", 0, MAX_SEED)],
    "batch_size": [Interval("int", 1, None)],
}


def _ground_truth(y, n_rows: int) -> np.ndarray:
    arr = np.asarray(y)
    if arr.shape != (n_rows,):
        raise DataError(f"y must hold one ground-truth value per row of X ({n_rows}); got shape {arr.shape}")
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
            raise DataError("y must be the ground truth as bool or 1 (anomaly) / 0 (nominal)")
        arr = arr.astype(bool)
    return arr


def _check_truth(name: str, y: np.ndarray) -> None:
    if not y.any():
        raise DataError(f"the ground truth of {name} has no anomaly: there is nothing to find")
    if y.all():
        raise DataError(
            f"every row of {name} is labelled anomaly in the ground truth, so there is "
            "nothing to discover; check the label column (anomaly/nominal, 1/0, true/false, yes/no)"
        )


def _check_counts(name: str, n_rows: int, budget: int, batch_size: int, classes) -> None:
    if budget > n_rows:
        raise DataError(
            f"the budget must be between 1 and {n_rows}, the number of rows of {name}; got {budget}"
        )
    if batch_size > budget:
        raise DataError(
            f"the batch size {batch_size} is larger than the budget {budget}; "
            f"use a batch size of at most {budget}, or a larger budget"
        )
    if classes is not None and (np.ndim(classes) != 1 or isinstance(classes, str)):
        raise DataError(f"classes must list one class per row of {name}; got {type(classes).__name__}")
    if classes is not None and len(classes) != n_rows:
        raise DataError(
            f"the class file has {len(classes)} rows but {name} has {n_rows}; "
            "it must list one class per row, in the same order"
        )


def _run_dict(run: SimulationRun) -> dict:
    out = {
        "seed": run.seed,
        "found": run.found.tolist(),
        "baseline_found": run.baseline_found.tolist(),
        "iforest_found": run.iforest_found.tolist(),
        "queried": run.queried.tolist(),
        "seconds_per_label": _floats(run.seconds_per_label, 6),
    }
    if run.classes_found is not None:
        out["classes_found"] = run.classes_found.tolist()
        out["batch_classes"] = run.batch_classes.tolist()
    return out


def _floats(values: np.ndarray, digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in values]
