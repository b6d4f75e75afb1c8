"""More detectors under the same feedback.

The published AAD learns from labels over any detector whose score is linear in features
it can weigh. Besides :class:`aad.AADForest` (axis-aligned isolation trees), aad offers:

* :class:`ExtendedAADForest` (:mod:`.eif`): an extended isolation forest (isotree,
  random hyperplane splits), better where features are correlated, with the same leaf
  feedback, undo, sessions and speed as the axis-aligned forest;
* :class:`AADEnsemble` (:mod:`.ensemble`): an ensemble of detectors (:mod:`.members`:
  local outlier factor, one-class SVM, autoencoder, PyOD; the isolation forest's leaves;
  precomputed scores from a file, :mod:`.scores_file`) whose member weights learn from the
  labels, starting uniform;
* calibrated scores for all of them (:mod:`.calibration`): 0.5 a typical row;
* rules for detectors that are not axis-aligned (:mod:`.surrogate`).

:func:`make_detector` builds any of them from a name and parameters, as sessions and the
command line do.
"""

from __future__ import annotations

from ..errors import DataError, UnknownStrategyError
from ..model import AADForest
from .calibration import Calibration, calibrated
from .eif import ExtendedAADForest, isotree_available
from .ensemble import CALLS, DEFAULT_MEMBERS, AADEnsemble, weights_path
from .members import BUILT_IN, check_member, pyod_available
from .scores_file import ScoreTable, load_scores, score_table_from

__all__ = [
    "BUILT_IN",
    "CALLS",
    "DEFAULT_MEMBERS",
    "DETECTORS",
    "AADEnsemble",
    "Calibration",
    "ExtendedAADForest",
    "ScoreTable",
    "calibrated",
    "check_member",
    "detector_name",
    "isotree_available",
    "load_scores",
    "make_detector",
    "pyod_available",
    "score_table_from",
    "weights_path",
]

#: The detectors by name: ``iforest`` (the default), ``eif``, ``ensemble``.
DETECTORS = {"iforest": AADForest, "eif": ExtendedAADForest, "ensemble": AADEnsemble}
_TITLES = {
    "iforest": "isolation forest",
    "eif": "extended isolation forest",
    "ensemble": "ensemble",
}


def detector_name(model) -> str:
    """The name (a key of :data:`DETECTORS`) of a fitted or unfitted detector.

    >>> detector_name(AADEnsemble())
    'ensemble'
    """
    for name, cls in DETECTORS.items():
        if type(model) is cls:
            return name
    raise UnknownStrategyError(
        f"{type(model).__name__} is not one of aad's detectors ({', '.join(DETECTORS)})"
    )


def make_detector(detector: str, params: dict | None = None, *, random_state=None):
    """An unfitted detector ``detector`` (``iforest``, ``eif`` or ``ensemble``) with ``params``.

    Parameters a detector does not take are refused by name, except the forest's ones
    (``loss="linear"``, ``tau``) that an ensemble ignores; an ensemble refuses the hinge loss.

    Examples
    --------
    >>> make_detector("eif", {"ndim": 3, "eta": 0.5}, random_state=1).get_params()["ndim"]
    3
    >>> make_detector("ensemble", {"loss": "hinge"})
    Traceback (most recent call last):
    ...
    aad.errors.DataError: the ensemble learns with the linear loss only; got loss='hinge'
    """
    if detector not in DETECTORS:
        raise UnknownStrategyError(f"unknown detector {detector!r}; choose one of {', '.join(DETECTORS)}")
    params = dict(params or {})
    cls = DETECTORS[detector]
    if cls is AADEnsemble:
        loss = params.pop("loss", "linear")
        params.pop("tau", None)
        if loss != "linear":
            raise DataError(f"the ensemble learns with the linear loss only; got loss={loss!r}")
        if "members" in params:
            params["members"] = tuple(params["members"])
    known = set(cls().get_params())
    unknown = sorted(set(params) - known)
    if unknown:
        raise DataError(
            f"the {_TITLES[detector]} takes no parameter {', '.join(map(repr, unknown))}; it takes "
            f"{', '.join(sorted(known))}"
        )
    if "random_state" in params:  # the seed is the runs' own (simulate's seed, the command's --seed)
        raise DataError(
            "give the seed as random_state= (simulate: seed=), not among the detector's parameters"
        )
    return cls(**params, random_state=random_state)
