"""Ensemble members: detectors whose scores an ensemble learns to trust (or not).

A member is fitted on a uniform sample of the rows (at most ``max_rows``, drawn with the
seed), then scores every row, higher meaning more anomalous. The rows of the sample are
scored as the detector scores its own training rows (a local outlier factor's own
``negative_outlier_factor_``, PyOD's ``decision_scores_``), the others as new rows, so that
a row of the sample is not its own nearest neighbour.

Built in (scikit-learn, standardised features):

* ``lof``: local outlier factor (``novelty=True``, 20 neighbours): how much sparser a row's
  neighbourhood is than its neighbours' neighbourhoods;
* ``ocsvm``: one-class SVM (RBF kernel, ``gamma="scale"``, ``nu=0.05``): how far outside
  the boundary around the bulk of the data a row lies;
* ``autoencoder``: the reconstruction error of a small multilayer perceptron trained to
  reproduce the rows through a narrow middle layer (``MLPRegressor``, layers
  ``(h, b, h)``, ``h = min(64, max(4, d))``, ``b = max(1, min(8, d // 2))``, at most 100 passes
  over the rows: under half the time of 300, for an AUC 0.01 lower on the tuning table digits-7);
* ``pyod:NAME``: any PyOD detector class (``pyod:KNN``, ``pyod:ECOD``, ``pyod:COPOD``,
  ``pyod:HBOS``...), when PyOD is installed (the ``detectors`` extra: ``make extras``), with its
  defaults; ``decision_function`` is its score. A class that needs arguments (``pyod:LSCP``,
  a list of detectors), a library PyOD leaves optional (``pyod:VAE``: torch) or a table it
  cannot take (``pyod:MAD``: one feature) is refused with one message naming the member.

The isolation forest (``iforest``) is a member of another kind: its leaves keep learning
(:mod:`aad.detectors.ensemble`). Precomputed scores (a scores file) are members whose
scores are given.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import LocalOutlierFactor
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM
from threadpoolctl import threadpool_limits

from .._extras import install_extra
from ..errors import DataError, UnknownStrategyError

__all__ = ["BUILT_IN", "FittedMember", "check_member", "fit_member", "pyod_available"]

#: Members scikit-learn provides; ``iforest`` (the forest's leaves) and ``pyod:NAME`` besides.
BUILT_IN = ("lof", "ocsvm", "autoencoder")
#: Rows a member is fitted on at most (a uniform sample; every row is scored).
MAX_ROWS = 4096
_PYOD = re.compile(r"pyod:([A-Za-z][A-Za-z0-9_]{0,40})\Z")


def pyod_available() -> bool:
    """Whether PyOD can be imported (the ``detectors`` extra)."""
    return importlib.util.find_spec("pyod") is not None


def check_member(name: str) -> str:
    """``name`` if it names a member this aad can fit, else an :class:`UnknownStrategyError`.

    >>> check_member("lof")
    'lof'
    >>> check_member("knn")
    Traceback (most recent call last):
    ...
    aad.errors.UnknownStrategyError: unknown ensemble member 'knn'; choose among iforest, lof, ...
    """
    if name == "iforest" or name in BUILT_IN:
        return name
    if _PYOD.match(name):
        if not pyod_available():
            raise UnknownStrategyError(
                f"the member {name!r} needs PyOD, which is not installed; {install_extra('detectors')}, "
                "or choose among iforest, lof, ocsvm, autoencoder"
            )
        _pyod_class(name)
        return name
    raise UnknownStrategyError(
        f"unknown ensemble member {name!r}; choose among iforest, {', '.join(BUILT_IN)}, "
        "or pyod:NAME (a PyOD detector class, such as pyod:KNN)"
    )


@dataclass(frozen=True, eq=False)
class FittedMember:
    """A fitted member: its name, its model and its scores of the training rows.

    Attributes
    ----------
    name : str
    estimator : object
        The fitted detector (with the scaler in front).
    train_scores : ndarray of shape (n_samples,)
        Scores of the rows it was fitted with, higher = more anomalous.
    """

    name: str
    estimator: object
    scaler: StandardScaler
    train_scores: np.ndarray

    def score(self, X: np.ndarray) -> np.ndarray:
        """Scores of new rows (higher = more anomalous)."""
        with threadpool_limits(1, user_api="blas"), _pyod_failure(self.name):
            return _score(self.name, self.estimator, self.scaler.transform(X))


def fit_member(name: str, X: np.ndarray, *, random_state: int, max_rows: int = MAX_ROWS) -> FittedMember:
    """Fit member ``name`` on a uniform sample of ``X`` (at most ``max_rows``) and score every row.

    Examples
    --------
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), [[8, 8]]])
    >>> member = fit_member("lof", X, random_state=0)
    >>> int(np.argmax(member.train_scores))
    300
    """
    check_member(name)
    rng = np.random.default_rng(random_state)
    n = X.shape[0]
    sample = np.sort(rng.choice(n, max_rows, replace=False)) if n > max_rows else np.arange(n)
    scaler = StandardScaler().fit(X[sample])
    Z = scaler.transform(X)
    estimator = _make(name, Z.shape[1], random_state)
    # one BLAS thread: the members' products are small, and threads fighting over shared
    # cores made the autoencoder ten times slower on a busy 2-core machine
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        # a member that stops at its iteration limit is still a member
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        with _pyod_failure(name):
            if name == "autoencoder":
                estimator.fit(Z[sample], Z[sample])
            else:
                estimator.fit(Z[sample])
            scores = _score(name, estimator, Z)
    own = _own_scores(name, estimator)
    if own is not None:  # the sample's rows as the detector sees its training rows
        scores[sample] = own
    if not np.isfinite(scores).all():
        bad = int(np.flatnonzero(~np.isfinite(scores))[0])
        raise DataError(
            f"the {name} member scored row {bad} as {scores[bad]}; it cannot rank this table "
            "(try another member)"
        )
    return FittedMember(name, estimator, scaler, scores)


def _make(name: str, n_features: int, random_state: int):
    if name == "lof":
        return LocalOutlierFactor(n_neighbors=20, novelty=True)
    if name == "ocsvm":
        return OneClassSVM(kernel="rbf", gamma="scale", nu=0.05)
    if name == "autoencoder":
        wide, narrow = min(64, max(4, n_features)), max(1, min(8, n_features // 2))
        return MLPRegressor(
            hidden_layer_sizes=(wide, narrow, wide), max_iter=100, random_state=random_state % 2**32
        )
    cls = _pyod_class(name)
    try:
        return cls(random_state=random_state)
    except TypeError:  # a PyOD detector without randomness
        return cls()


def _pyod_class(name: str):
    """The PyOD class ``name`` names, refused unless aad can build it with its defaults."""
    cls_name = _PYOD.match(name).group(1)
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls_name).lower()  # AutoEncoder: auto_encoder
    cls = None
    for module_name in dict.fromkeys((cls_name.lower(), snake)):
        module = _pyod_module(name, f"pyod.models.{module_name}")
        cls = getattr(module, cls_name, None)
        if cls is not None:
            break
    base = importlib.import_module("pyod.models.base").BaseDetector
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise UnknownStrategyError(
            f"PyOD has no detector {cls_name!r} (pyod.models.{snake}.{cls_name}); "
            "name a class as PyOD spells it, such as pyod:KNN, pyod:ECOD, pyod:HBOS"
        )
    required = [
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if required:
        raise UnknownStrategyError(
            f"the member {name} needs arguments aad cannot give ({', '.join(required)}); "
            "choose a PyOD detector that runs with its defaults, such as pyod:KNN, pyod:ECOD, pyod:HBOS"
        )
    return cls


def _pyod_module(name: str, module_name: str):
    """The module ``module_name``, None if PyOD has none; refused if it needs a missing library."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return importlib.import_module(module_name)  # PyOD prints 'please install torch first'
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if not missing or missing == "pyod":
            return None
        raise UnknownStrategyError(
            f"the member {name} needs the library {missing!r}, which PyOD leaves optional and is "
            f"not installed; pip install {missing.replace('_', '-')}, or choose another member"
        ) from None


@contextlib.contextmanager
def _pyod_failure(name: str):
    """A PyOD member's failure (its own code, any exception) as one :class:`DataError` naming it."""
    if not name.startswith("pyod:"):
        yield
        return
    try:
        yield
    except Exception as error:  # third-party detectors fail in their own ways
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")
        raise DataError(
            f"the member {name} cannot score this table: {reason}; choose another member"
        ) from None


def _score(name: str, estimator, Z: np.ndarray) -> np.ndarray:
    if name in ("lof", "ocsvm"):
        return -np.asarray(estimator.score_samples(Z), dtype=np.float64)
    if name == "autoencoder":
        return np.mean((estimator.predict(Z).reshape(Z.shape) - Z) ** 2, axis=1)
    return np.asarray(estimator.decision_function(Z), dtype=np.float64)


def _own_scores(name: str, estimator) -> np.ndarray | None:
    if name == "lof":
        return -estimator.negative_outlier_factor_
    if name.startswith("pyod:"):
        return np.asarray(estimator.decision_scores_, dtype=np.float64)
    return None
