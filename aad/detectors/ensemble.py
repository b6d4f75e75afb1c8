"""`AADEnsemble`: AAD over an ensemble of detectors, learning how much to trust each.

Each member is a detector with a score of its own (:mod:`aad.detectors.members`: a local
outlier factor, a one-class SVM, an autoencoder's reconstruction error, any PyOD
detector), or a column of precomputed scores (:mod:`aad.detectors.scores_file`). Every
member's score, calibrated against the training rows (:class:`~aad.detectors.calibration.Calibration`:
``z``, the probit of its rank, 0 for the median row), is one feature of a linear score

    s(x) = (1/M) Σ_m w_m z_m(x),

as in "AAD with precomputed scores" (Das et al., arXiv:1901.08930): the weights start
uniform (``w = 1``), so the first ranking is the plain ensemble's (the mean calibrated
score), and the labels learn them with the same closed-form update, class balance and
prior as the forest's leaves (:mod:`aad.weights`):

    w = max(0, 1 + eta * b * (ω_A Σ_A (z(a) − c) − ω_N Σ_N (z(n) − c))),   b = PRIOR,

the minimiser of the linear AAD loss plus a Gaussian prior ``(w − 1)² / (2 η b)`` under
``w ≥ 0`` (separable, so the constraint is a clip), with each member's feature centred at
``c = CENTRE``, the calibrated score of a member's top ``TAU`` = 3 % (AAD's ``tau``): a
member that places a labelled anomaly in its top 3 % gains weight, one that places a
labelled nominal there loses it, and one that keeps a nominal below gains; down to 0
(ignored, never inverted). Without the centring every queried row scores high on every
member, so every nominal label lowered every weight. The sums are kept in exact integers (the ``z`` of
every row quantised to ``2**-20``), so an undo restores the weights bit for bit, and the
update does not depend on the order of the labels.

**The isolation forest as a member** (``"iforest"`` in ``members``): its leaves keep
learning as in :class:`~aad.model.AADForest`, from the same labels; its feature is its
*current* learned score, calibrated against its unsupervised scores, and its weight learns
from its unsupervised calibrated score like any other member's. So the forest says where
(its leaves), and the weights say how much to trust it against the others.

The ensemble offers two rankings to the query portfolio (:mod:`aad.portfolio`):
``"feedback"`` (the learned score) and ``"unsupervised"`` (the plain ensemble, no feedback).

The centring and ``PRIOR = 0.01`` were chosen on the tuning tables of
``benchmarks/choose.py`` (never on the shipped or held-out tables):
``benchmarks/results/detectors_prior.md``. Learning the weights helps little there (875
anomalies found against 871.5 with uniform weights), and stronger weight learning costs a
lot (729 at ``PRIOR = 1``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
from scipy.special import ndtri
from sklearn.base import BaseEstimator

from .._validation import RANDOM_STATE, Interval, Options, StrSequence, check_param_names, validate_params
from ..data import validate_matrix
from ..errors import DataError, LabelError, NotFittedError
from ..labels import ANOMALY, NOMINAL, UNLABELLED, label_array, per_row, to_label
from ..model import AADForest, _column_names
from ..weights import BALANCE, MAX_RATIO, class_weights
from .calibration import Calibration, calibrated
from .members import MAX_ROWS, FittedMember, check_member, fit_member
from .scores_file import ScoreTable, score_table_from

__all__ = ["CALLS", "CENTRE", "DEFAULT_MEMBERS", "PRIOR", "TAU", "AADEnsemble", "weights_path"]

#: Members of a new ensemble unless told otherwise.
DEFAULT_MEMBERS = ("iforest", "lof", "ocsvm", "autoencoder")
#: Prior variance ``b`` of a member's weight, per unit of calibrated score per label.
PRIOR = 0.01
#: A member *calls a row anomalous* when the row's calibrated score is at least this
#: (the member's top 5 %).
CALLS = 0.95
_UNIT = 2**20  # calibrated scores are accumulated in units of 2**-20, as int64
#: The calibrated score of a member's top ``TAU`` share: a labelled row counts for a member
#: by how far above it the member places the row (an anomaly there: trust it more; a
#: nominal there: less), as AAD's ``tau`` quantile separates "ranked anomalous" from not.
TAU = 0.03
CENTRE = float(ndtri(1.0 - TAU))
_CENTRE_UNITS = round(CENTRE * _UNIT)


class AADEnsemble(BaseEstimator):
    """Active Anomaly Discovery over an ensemble of detectors (see the module notes).

    Parameters
    ----------
    members : sequence of str, default=("iforest", "lof", "ocsvm", "autoencoder")
        Built-in members (:func:`aad.detectors.members.check_member`); precomputed scores
        given to :meth:`fit` are members too. May be empty when scores are given.
    eta : float, default=1.0
        Feedback strength; 0 turns feedback off.
    balance : float, default=0.8
        Class balance of the labels (:func:`aad.weights.class_weights`).
    max_ratio : float or None, default=10.0
        One label of the rarer class weighs at most this many of the other (None: no cap).
    n_estimators : int or None, default=None
        The isolation forest member's trees (None: :func:`aad.model.default_n_estimators`).
    max_samples : int, default=256
        The isolation forest member's rows per tree.
    max_rows : int, default=4096
        Rows the other built-in members are fitted on (a uniform sample; all rows are scored).
    random_state : int or None
        Seed of every member (the forest's, the samples, the autoencoder's).
    n_jobs : int, optional
        Threads for the forest member.

    Attributes
    ----------
    member_names_ : tuple of str
        One per member: the built-in ones in the order given, then the precomputed columns.
    member_kinds_ : tuple of str
        ``"forest"`` (learned leaves), ``"detector"`` (fitted here) or ``"scores"`` (given).
    members_ : dict of str to FittedMember
        The fitted detectors (not the forest, not precomputed scores).
    forest_member_ : AADForest or None
        The isolation forest member, whose leaves learn from the labels.
    calibrations_ : tuple of Calibration
        Each member's calibration against its training scores (the forest's: unsupervised).
    base_z_ : ndarray of shape (n_samples, n_members)
        Calibrated scores without feedback (quantised to ``2**-20``).
    labels_ : ndarray of int8
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(300, 3)), [[6, 6, 6], [-6, 6, 0]]])
    >>> model = AADEnsemble(members=("iforest", "lof"), random_state=0).fit(X)
    >>> model.weights_.tolist()
    [1.0, 1.0]
    >>> sorted(np.argsort(-model.anomaly_score())[:2].tolist())
    [300, 301]
    >>> model.set_label(300, "anomaly")
    >>> bool((model.weights_ != 1).any())
    True
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "members": [StrSequence()],
        "eta": [Interval("float", 0, 1000)],
        "balance": [Interval("float", 0, 1)],
        "max_ratio": [Options((None,)), Interval("float", 1, None)],
        "n_estimators": [Options((None,)), Interval("int", 1, 10_000)],
        "max_samples": [Interval("int", 2, None)],
        "max_rows": [Interval("int", 10, None)],
        "random_state": [RANDOM_STATE],
        "n_jobs": [Options((None,)), Interval("int", 1, 1024), Interval("int", -1024, -1)],
    }
    #: The rankings the model offers to the queue.
    rankings_: ClassVar[tuple[str, ...]] = ("feedback", "unsupervised")

    def __init__(
        self,
        *,
        members: Sequence[str] = DEFAULT_MEMBERS,
        eta: float = 1.0,
        balance: float = BALANCE,
        max_ratio: float | None = MAX_RATIO,
        n_estimators: int | None = None,
        max_samples: int = 256,
        max_rows: int = MAX_ROWS,
        random_state: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.members = members
        self.eta = eta
        self.balance = balance
        self.max_ratio = max_ratio
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_rows = max_rows
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ fitting

    def set_params(self, **params) -> AADEnsemble:
        """Set parameters; on a fitted ensemble checked at once, where ``eta``, ``balance`` and
        ``max_ratio`` apply to the scores at once (its forest member's too), the others at the
        next ``fit`` (unfitted, ``fit`` checks them, scikit-learn's way)."""
        check_param_names(type(self).__name__, self._parameter_constraints, params)
        if hasattr(self, "calibrations_"):
            merged = {**self.get_params(deep=False), **params}
            validate_params(type(self).__name__, self._parameter_constraints, merged)
        super().set_params(**params)
        learning = {k: v for k, v in params.items() if k in ("eta", "balance", "max_ratio")}
        if hasattr(self, "calibrations_"):
            if self.forest_member_ is not None and learning:
                self.forest_member_.set_params(**learning)
            self._scores = None
        return self

    def fit(
        self,
        X,
        labels=None,
        *,
        scores=None,
        progress: Callable[[str, float], None] | None = None,
        grow_on=None,
    ) -> AADEnsemble:
        """Fit every member on ``X``; optionally learn from labels known beforehand.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        labels : array-like of shape (n_samples,), optional
            As for :meth:`aad.AADForest.fit`.
        scores : ScoreTable, DataFrame or array of shape (n_samples, k), optional
            Precomputed scores: one member per column (higher = more anomalous).
        progress : callable, optional
            ``progress(step, fraction_done)``.
        grow_on : array-like of int, optional
            The rows the members are fitted on (default: all); every row is scored.
        """
        validate_params(type(self).__name__, self._parameter_constraints, self.get_params(deep=False))
        names = _column_names(X)
        X = validate_matrix(X)
        n = X.shape[0]
        known = None if labels is None else label_array(labels, n)
        built_in = self._check_members()
        table = None if scores is None else score_table_from(scores, n)
        self._check_names(built_in, table)
        report = progress or (lambda step, fraction: None)
        seed = _seed(self.random_state)
        self.forest_member_ = None
        self.members_: dict[str, FittedMember] = {}
        raw, kinds = [], []
        for k, name in enumerate(built_in):
            report(f"fitting the {name} member", k / max(1, len(built_in)))
            if name == "iforest":
                self.forest_member_ = AADForest(
                    n_estimators=self.n_estimators,
                    max_samples=self.max_samples,
                    eta=self.eta,
                    balance=self.balance,
                    max_ratio=self.max_ratio,
                    random_state=seed,
                    n_jobs=self.n_jobs,
                ).fit(X, grow_on=grow_on)
                raw.append(self.forest_member_.anomaly_score())
                kinds.append("forest")
            else:
                pool = X if grow_on is None else X[np.asarray(grow_on)]
                member = fit_member(name, pool, random_state=seed, max_rows=self.max_rows)
                self.members_[name] = member
                raw.append(member.train_scores if grow_on is None else member.score(X))
                kinds.append("detector")
        if table is not None:
            raw.extend(table.values.T)
            kinds.extend(["scores"] * len(table.names))
        self.member_names_ = tuple(built_in) + (table.names if table is not None else ())
        self.member_kinds_ = tuple(kinds)
        self.calibrations_ = tuple(Calibration.fit(r) for r in raw)
        z = np.column_stack([c.z_score(r) for c, r in zip(self.calibrations_, raw, strict=True)])
        self._zq = np.rint(z * _UNIT).astype(np.int64)
        self.base_z_ = self._zq / _UNIT
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.labels_ = np.full(n, UNLABELLED, dtype=np.int8)
        self._sums = np.zeros((2, len(self.member_names_)), dtype=np.int64)
        self._scores: np.ndarray | None = None
        if known is not None:
            rows = np.flatnonzero(known != UNLABELLED)
            self.set_labels(rows, known[rows])
        report("ready", 1.0)
        return self

    def _check_members(self) -> tuple[str, ...]:
        if isinstance(self.members, str):
            raise DataError(
                f"members must be a list of names, such as ['lof', 'ocsvm']; got {self.members!r}"
            )
        names = tuple(check_member(str(m)) for m in self.members)
        twice = sorted({m for m in names if names.count(m) > 1})
        if twice:
            raise DataError(f"the member {twice[0]!r} is named twice; name each member once")
        return names

    @staticmethod
    def _check_names(built_in: tuple[str, ...], table: ScoreTable | None) -> None:
        if table is None:
            if not built_in:
                raise DataError(
                    "an ensemble needs at least one member: name built-in members, or give scores"
                )
            return
        clash = [name for name in table.names if name in built_in]
        if clash:
            raise DataError(
                f"the scores name a column {clash[0]!r}, as the built-in member of that name; "
                "rename the column"
            )

    def copy(self) -> AADEnsemble:
        """An independent copy for another labelling session (the members are shared)."""
        self._check_fitted()
        twin = copy.copy(self)
        twin.labels_ = self.labels_.copy()
        twin._sums = self._sums.copy()
        twin._scores = None
        if self.forest_member_ is not None:
            twin.forest_member_ = self.forest_member_.copy()
        return twin

    # ------------------------------------------------------------------ labels

    @property
    def n_labels_(self) -> int:
        """Number of labelled rows."""
        self._check_fitted()
        return int((self.labels_ != UNLABELLED).sum())

    @property
    def n_anomalies_(self) -> int:
        """Number of rows labelled anomaly."""
        self._check_fitted()
        return int((self.labels_ == ANOMALY).sum())

    def set_label(self, row: int, label) -> None:
        """Label one row (anomaly/nominal, 1/0, True/False), or -1/None to remove its label."""
        self.set_labels([row], [label])

    def set_labels(self, rows, labels) -> None:
        """Label several rows at once (one label each, or one for all); the weights are updated
        once, at the end."""
        self._check_fitted()
        rows = self._check_rows(rows)
        labels = per_row(labels, len(rows))  # one label each, or one for all
        if len(rows) != len(labels):
            raise LabelError(f"got {len(rows)} rows but {len(labels)} labels; give one label per row")
        new = np.array([to_label(v, allow_unlabelled=True) for v in labels], dtype=np.int8)
        for row, label in zip(rows.tolist(), new.tolist(), strict=True):
            old = int(self.labels_[row])
            if old != UNLABELLED:
                self._sums[old] -= self._zq[row]
            if label != UNLABELLED:
                self._sums[label] += self._zq[row]
            self.labels_[row] = label
        if self.forest_member_ is not None:
            self.forest_member_.set_labels(rows, new)
        self._scores = None

    def unlabel(self, row: int) -> None:
        """Remove the label of ``row``."""
        self.set_label(row, UNLABELLED)

    # ------------------------------------------------------------------ scores

    @property
    def weights_(self) -> np.ndarray:
        """Each member's learned weight (1 before any label; 0 = ignored)."""
        self._check_fitted()
        n_nominals = self.n_labels_ - self.n_anomalies_
        return _weights(self._sums, self.n_anomalies_, n_nominals, self.eta, self.balance, self.max_ratio)

    def member_z(self, X=None) -> np.ndarray:
        """Every member's calibrated score ``z`` of the training rows (or of new rows ``X``),
        the forest's with its current leaves: shape (n_rows, n_members)."""
        self._check_fitted()
        if X is None:
            if self.forest_member_ is None:
                return self.base_z_
            z = self.base_z_.copy()
            j = self.member_kinds_.index("forest")
            z[:, j] = self.calibrations_[j].z_score(self.forest_member_.anomaly_score())
            return z
        X = validate_matrix(AADForest._by_name(self, X), n_features=self.n_features_in_, min_rows=0)
        if X.shape[0] == 0:  # a batch job's quiet day: nothing to score
            return np.empty((0, len(self.member_names_)))
        given = [
            name
            for name, kind in zip(self.member_names_, self.member_kinds_, strict=True)
            if kind == "scores"
        ]
        if given:
            raise DataError(
                f"this ensemble learned from precomputed scores ({', '.join(given[:5])}), which it does not "
                "have for new rows; score the new rows with those detectors and fit on them, or use "
                "built-in members only"
            )
        columns = []
        for name, calibration in zip(self.member_names_, self.calibrations_, strict=True):
            raw = self.forest_member_.anomaly_score(X) if name == "iforest" else self.members_[name].score(X)
            columns.append(calibration.z_score(raw))
        return np.column_stack(columns) if columns else np.empty((X.shape[0], 0))

    def raw_score(self) -> np.ndarray:
        """The learned linear score of the training rows, ``(1/M) Σ w_m z_m``."""
        self._check_fitted()
        if self._scores is None:
            self._scores = self.member_z() @ self.weights_ / len(self.member_names_)
        return self._scores

    def anomaly_score(self, X=None) -> np.ndarray:
        """The learned score (higher = more anomalous) of the training rows, or of new rows ``X``.

        On the calibrated scale of the members: 0 is a row every member finds typical
        (before any label, the plain ensemble's mean calibrated score). For a score where
        0.5 is a typical row, use :meth:`calibrated_score`.
        """
        if X is None:
            return self.raw_score().copy()
        z = self.member_z(X)
        return z @ self.weights_ / len(self.member_names_)

    def calibrated_score(self, X=None) -> np.ndarray:
        """Scores in (0, 1]: 0.5 a typical training row, higher more anomalous (:func:`calibrated`)."""
        return calibrated(self, X)

    def ranking(self, name: str = "feedback") -> np.ndarray:
        """The training rows' scores under one of :attr:`rankings_` (higher first).

        ``"feedback"``: the learned score; ``"unsupervised"``: the plain ensemble (uniform
        weights, the forest member without feedback).
        """
        self._check_fitted()
        if name == "feedback":
            return self.raw_score()
        if name == "unsupervised":
            if not hasattr(self, "_plain"):
                self._plain = self.base_z_.mean(axis=1)
            return self._plain
        from ..errors import UnknownStrategyError

        raise UnknownStrategyError(
            f"an ensemble offers the rankings {', '.join(self.rankings_)}; got {name!r}"
        )

    def member_view(self, row: int) -> list[dict]:
        """For one training row, each member's calibrated score, whether it calls the row
        anomalous (:data:`CALLS`: its top 5 %) and its learned weight, for people."""
        self._check_fitted()
        row = int(self._check_rows([row])[0])
        z = self.member_z()[row]
        weights = self.weights_
        out = []
        for j, name in enumerate(self.member_names_):
            p = float(_ndtr(z[j]))
            out.append(
                {
                    "member": name,
                    "kind": self.member_kinds_[j],
                    "calibrated": p,
                    "calls": p >= CALLS,
                    "weight": float(weights[j]),
                }
            )
        return out

    # ------------------------------------------------------------------ checks

    def _check_fitted(self) -> None:
        if not hasattr(self, "calibrations_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(X) before using it")

    _by_name = AADForest._by_name
    _check_rows = AADForest._check_rows


def weights_path(model: AADForest | AADEnsemble, events) -> np.ndarray:
    """The ensemble's member weights after each of ``events`` (the learner's history: row,
    label, previous), replayed from no label: shape (len(events) + 1, n_members), row 0 the start.

    Examples
    --------
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(200, 2)), [[7, 7]]])
    >>> model = AADEnsemble(members=("iforest", "lof"), random_state=0).fit(X)
    >>> from aad.learner import LabelEvent
    >>> weights_path(model, [LabelEvent(200, 1, -1)]).shape
    (2, 2)
    """
    model._check_fitted()
    sums = np.zeros_like(model._sums)
    labels = np.full(model.labels_.shape[0], UNLABELLED, dtype=np.int8)
    n_anomalies = n_nominals = 0
    out = [_weights(sums, 0, 0, model.eta, model.balance, model.max_ratio)]
    for event in events:
        old, new = int(labels[event.row]), int(event.label)
        if old != UNLABELLED:
            sums[old] -= model._zq[event.row]
            n_anomalies -= old == ANOMALY
            n_nominals -= old == NOMINAL
        if new != UNLABELLED:
            sums[new] += model._zq[event.row]
            n_anomalies += new == ANOMALY
            n_nominals += new == NOMINAL
        labels[event.row] = new
        out.append(_weights(sums, n_anomalies, n_nominals, model.eta, model.balance, model.max_ratio))
    return np.vstack(out)


def _weights(
    sums: np.ndarray, n_anomalies: int, n_nominals: int, eta: float, balance: float, max_ratio: float | None
) -> np.ndarray:
    """``max(0, 1 + eta * PRIOR * (ω_A Σ_A (z − c) − ω_N Σ_N (z − c)))``, ``c`` = :data:`CENTRE`,
    from the exact integer sums."""
    if n_anomalies + n_nominals == 0 or eta == 0:
        return np.ones(sums.shape[1])
    per_anomaly, per_nominal = class_weights(n_anomalies, n_nominals, balance=balance, max_ratio=max_ratio)
    anomalies = (sums[ANOMALY] - n_anomalies * _CENTRE_UNITS).astype(np.float64)
    nominals = (sums[NOMINAL] - n_nominals * _CENTRE_UNITS).astype(np.float64)
    push = per_anomaly * anomalies - per_nominal * nominals
    return np.maximum(0.0, 1.0 + eta * PRIOR * push / _UNIT)


def _ndtr(z: float) -> float:
    from scipy.special import ndtr

    return float(ndtr(z))


def _seed(random_state) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    return int(random_state)
