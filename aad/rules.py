"""Rules: conjunctions of threshold tests on features, as immutable value objects.

A :class:`Predicate` is one test, ``x[feature] <= threshold`` or ``x[feature] > threshold``.
A :class:`Rule` is a conjunction of predicates in **canonical form**: for every feature
and side only the tightest bound is kept, and the predicates are sorted by feature, lower
bound first. Two rules that mean the same box are therefore equal and hash alike, and a
set of rules removes duplicates by meaning. Every region of an isolation tree is such a
box (``lower < x <= upper``), which :meth:`Rule.from_bounds` turns into a rule.

Missing values: a comparison with NaN is false, so a predicate on a missing value is
false and a row with a missing value in one of a rule's features is not covered by the
rule. Every export format (:mod:`aad.export`) keeps this meaning: NaN in numpy and pandas,
NULL in SQL.

References
----------
Goix, Birodkar, Gardes, Cleirigh, "skope-rules" (rules as sets of tree-path predicates).
Das, Islam, Doppa, Fern, "Active Anomaly Detection via Ensembles: Insights, Algorithms,
and Interpretability", arXiv:1901.08930 (regions of isolation trees as descriptions).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .errors import DataError

__all__ = ["Predicate", "Rule", "default_feature_names", "threshold_text"]

Op = Literal["<=", ">"]
_OPS = ("<=", ">")


def default_feature_names(n_features: int) -> tuple[str, ...]:
    """Names ``x0, x1, ...`` used when a table's column names are not given.

    Examples
    --------
    >>> default_feature_names(3)
    ('x0', 'x1', 'x2')
    """
    return tuple(f"x{i}" for i in range(n_features))


def model_feature_names(model) -> tuple[str, ...]:
    """The column names a fitted model saw (``feature_names_in_``), else ``x0, x1, ...``.

    Examples
    --------
    >>> import pandas as pd
    >>> from aad import AADForest
    >>> frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0, 50.0], "hour": [9.0, 10.0, 11.0, 3.0]})
    >>> model_feature_names(AADForest(n_estimators=5, random_state=0).fit(frame))
    ('amount', 'hour')
    >>> model_feature_names(AADForest(n_estimators=5, random_state=0).fit(frame.to_numpy()))
    ('x0', 'x1')
    """
    fitted = getattr(model, "feature_names_in_", None)
    return tuple(map(str, fitted)) if fitted is not None else default_feature_names(model.n_features_in_)


@dataclass(frozen=True, order=True)
class Predicate:
    """One threshold test: ``x[feature] <= threshold`` or ``x[feature] > threshold``.

    Parameters
    ----------
    feature : int
        Column number (0-based) in the feature matrix.
    op : {"<=", ">"}
        ``"<="`` is an upper bound, ``">"`` a lower bound.
    threshold : float
        A finite number; stored as a Python float (float64), so it prints and exports
        exactly.

    Examples
    --------
    >>> Predicate(1, ">", 0.5)
    Predicate(feature=1, op='>', threshold=0.5)
    >>> Predicate(1, ">", 0.5).mask(np.array([[0.0, 0.4], [0.0, 0.6], [0.0, np.nan]])).tolist()
    [False, True, False]
    """

    feature: int
    op: Op
    threshold: float

    def __post_init__(self) -> None:
        if (
            isinstance(self.feature, bool)
            or not isinstance(self.feature, int | np.integer)
            or self.feature < 0
        ):
            raise DataError(f"a predicate's feature must be a column number >= 0; got {self.feature!r}")
        if self.op not in _OPS:
            raise DataError(
                f"a predicate's op must be '<=' or '>' (the two sides of a tree's split); got {self.op!r}"
            )
        try:
            threshold = float(self.threshold)
        except (TypeError, ValueError) as err:
            raise DataError(f"a predicate's threshold must be a number; got {self.threshold!r}") from err
        if not math.isfinite(threshold):
            raise DataError(
                f"a predicate's threshold must be finite; got {threshold!r} (leave an unbounded side out)"
            )
        object.__setattr__(self, "feature", int(self.feature))
        object.__setattr__(self, "threshold", threshold)

    def mask(self, X: np.ndarray) -> np.ndarray:
        """Boolean mask of the rows of ``X`` that satisfy the test (false on NaN)."""
        column = np.asarray(X)[:, self.feature]
        return column <= self.threshold if self.op == "<=" else column > self.threshold

    def format(self, feature_names: Sequence[str] | None = None, *, digits: int | None = None) -> str:
        """``name <= threshold`` or ``name > threshold``: exact, or to ``digits`` significant digits."""
        name = _name(self.feature, feature_names)
        return f"{name} {self.op} {threshold_text(self.threshold, digits)}"


@dataclass(frozen=True, init=False)
class Rule:
    """A conjunction of predicates, in canonical form: a box ``lower < x <= upper``.

    Parameters
    ----------
    predicates : iterable of Predicate
        In any order, with any redundancy: only the tightest bound per feature and side is
        kept, and the predicates are sorted (feature, then lower bound before upper bound).
        No predicate at all is the rule that covers every row.

    Attributes
    ----------
    predicates : tuple of Predicate
        The canonical predicates.

    Notes
    -----
    A contradictory rule (``lower >= upper`` on some feature) is kept as given and covers
    no row.

    Examples
    --------
    >>> rule = Rule([Predicate(1, ">", 0.4), Predicate(0, "<=", 5.0), Predicate(0, ">", 3.2),
    ...              Predicate(0, "<=", 7.0)])
    >>> rule.format(["x0", "x1"])
    '3.2 < x0 <= 5.0 and x1 > 0.4'
    >>> rule == Rule([Predicate(0, ">", 3.2), Predicate(1, ">", 0.4), Predicate(0, "<=", 5.0)])
    True
    >>> X = np.array([[4.0, 1.0], [6.0, 1.0], [4.0, np.nan]])
    >>> rule.mask(X).tolist()
    [True, False, False]
    """

    predicates: tuple[Predicate, ...]

    def __init__(self, predicates: Iterable[Predicate] = ()) -> None:
        object.__setattr__(self, "predicates", _canonical(predicates))

    @classmethod
    def from_bounds(cls, lower: np.ndarray, upper: np.ndarray) -> Rule:
        """The rule of the box ``lower < x <= upper``; infinite sides are left out.

        Examples
        --------
        >>> Rule.from_bounds(np.array([-np.inf, 2.0]), np.array([1.5, np.inf])).format()
        'x0 <= 1.5 and x1 > 2.0'
        """
        lower, upper = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
        preds = [Predicate(int(f), ">", float(lower[f])) for f in np.flatnonzero(np.isfinite(lower))]
        preds += [Predicate(int(f), "<=", float(upper[f])) for f in np.flatnonzero(np.isfinite(upper))]
        return cls(preds)

    def __len__(self) -> int:
        return len(self.predicates)

    def __str__(self) -> str:
        return self.format()

    @property
    def features(self) -> tuple[int, ...]:
        """The features the rule tests, sorted."""
        return tuple(sorted({p.feature for p in self.predicates}))

    def bounds(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        """The box as ``(lower, upper)`` arrays of length ``n_features`` (``-inf``/``inf`` when open)."""
        self._check_width(n_features)
        lower, upper = np.full(n_features, -np.inf), np.full(n_features, np.inf)
        for p in self.predicates:
            (upper if p.op == "<=" else lower)[p.feature] = p.threshold
        return lower, upper

    def mask(self, X: np.ndarray) -> np.ndarray:
        """Boolean mask of the rows of ``X`` covered by the rule.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            A NaN in a tested feature makes the row uncovered.

        Returns
        -------
        ndarray of bool, shape (n_samples,)
        """
        X = _as_matrix(X)
        self._check_width(X.shape[1])
        covered = np.ones(X.shape[0], dtype=bool)
        for p in self.predicates:
            covered &= p.mask(X)
        return covered

    def format(self, feature_names: Sequence[str] | None = None, *, digits: int | None = None) -> str:
        """The rule for people, e.g. ``3.2 < x1 <= 5.0 and x7 > 0.4`` (``true`` when empty).

        Thresholds are printed exactly (``repr`` of the float), so the text round-trips;
        ``digits`` rounds them to that many significant digits for display only.

        Examples
        --------
        >>> rule = Rule([Predicate(0, ">", 3.2000000000000006), Predicate(1, "<=", 0.123456789)])
        >>> rule.format(["a", "b"]), rule.format(["a", "b"], digits=3)
        ('a > 3.2000000000000006 and b <= 0.123456789', 'a > 3.2 and b <= 0.123')
        """
        if not self.predicates:
            return "true"
        parts, i = [], 0
        while i < len(self.predicates):
            p = self.predicates[i]
            following = self.predicates[i + 1] if i + 1 < len(self.predicates) else None
            if p.op == ">" and following is not None and following.feature == p.feature:
                name = _name(p.feature, feature_names)
                low, high = threshold_text(p.threshold, digits), threshold_text(following.threshold, digits)
                parts.append(f"{low} < {name} <= {high}")
                i += 2
            else:
                parts.append(p.format(feature_names, digits=digits))
                i += 1
        return " and ".join(parts)

    def _check_width(self, n_features: int) -> None:
        if self.predicates and max(self.features) >= n_features:
            raise DataError(
                f"the rule tests feature {max(self.features)} but the data has {n_features} column(s); "
                "apply it to a table with the columns it was learned on"
            )


def _canonical(predicates: Iterable[Predicate]) -> tuple[Predicate, ...]:
    tightest: dict[tuple[int, str], float] = {}
    for p in predicates:
        if not isinstance(p, Predicate):
            raise TypeError(f"a rule is built from Predicate objects; got {type(p).__name__}")
        key = (p.feature, p.op)
        if key not in tightest:
            tightest[key] = p.threshold
        elif p.op == "<=":
            tightest[key] = min(tightest[key], p.threshold)
        else:
            tightest[key] = max(tightest[key], p.threshold)
    order = sorted(tightest, key=lambda key: (key[0], 0 if key[1] == ">" else 1))
    return tuple(Predicate(f, op, tightest[(f, op)]) for f, op in order)


def _name(feature: int, feature_names: Sequence[str] | None) -> str:
    if feature_names is None:
        return f"x{feature}"
    if feature >= len(feature_names):
        raise DataError(
            f"the rule tests feature {feature} but only {len(feature_names)} feature name(s) were given; "
            "pass one name per column"
        )
    return str(feature_names[feature])


def _as_matrix(X) -> np.ndarray:
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise DataError(f"X must be 2-D (rows x features); got an array with {arr.ndim} dimension(s)")
    return arr


def threshold_text(value: float, digits: int | None) -> str:
    """Exact, or to ``digits`` significant digits as people write them (``12190``, not
    ``1.219e+04``; an exponent only beyond the magnitudes a table's columns hold).

    >>> [threshold_text(v, 3) for v in (12194.96, 0.00123456, 2.5, -3e20)]
    ['12200', '0.00123', '2.5', '-3e+20']
    """
    if digits is None:
        return repr(value)
    if value != 0 and not 1e-6 <= abs(value) < 1e16:
        return f"{value:.{digits}g}"
    return np.format_float_positional(value, precision=digits, unique=False, fractional=False, trim="-")
