"""Compact descriptions: a few rules that cover the labelled anomalies.

Every node of every isolation tree is a box (a *region*). For each row to describe
(by default the labelled anomalies), the candidates are the regions that contain it: the
nodes on its path in every tree, from its leaf up to the root. Regions whose precision on
the labels (labelled anomalies / labelled rows inside) is below ``min_precision`` are
dropped; the rest are ranked by their learned score, the mean anomaly score of the rows
inside (the paper's "weight x node score", extended from the leaves the feedback weighs to
every node), and the ``n_top`` best distinct ones per row are kept. A set-cover integer
program then picks the cheapest set of candidates that covers every row, where a region
costs

    1 + length_penalty * length + nominal_penalty * nominals + volume_penalty * volume,

``length`` its number of finite bounds, ``nominals`` the labelled nominals inside and
``volume`` the fraction of the data's rows inside that are neither described nor labelled
anomalies (the data's own measure of a box's size: it ignores feature units and does not
vanish in high dimension). The constant 1 makes the description compact: with the
defaults, a labelled nominal inside costs as much as one more rule, and so does a region
holding 5 % of the data beyond its anomalies. A row none of whose regions is precise
enough keeps its most precise ones, so every row is covered. The program itself is
:func:`aad.cover.solve_cover`.

With only anomalies labelled, precision on the labels is 1 for every region and only the
volume keeps regions small: when such anomalies are scattered, the cheapest cover may be
a few large regions. Labelled nominals (as an AAD session collects them) or a larger
``volume_penalty`` make the rules tighter.

References
----------
Das, Islam, Doppa, Fern, "Active Anomaly Detection via Ensembles: Insights, Algorithms,
and Interpretability", arXiv:1901.08930 (compact descriptions).
Liu, Ting, Zhou, "Isolation Forest", ICDM 2008.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np

from ._validation import Interval, validate_params
from .cover import run_cover, solve_cover
from .data import Dataset, validate_matrix
from .detectors.surrogate import agreement, axis_aligned
from .encoding import FeatureSpec
from .errors import DataError, DescriptionError, LabelError
from .labels import ANOMALY, label_array
from .regions import RegionStats, region_stats
from .rules import Rule, model_feature_names
from .terms import rule_text

__all__ = [
    "BROAD_SHARE",
    "DEFAULTS",
    "UNTESTED_SHARE",
    "Cover",
    "DescribedRule",
    "Description",
    "cover_rows",
    "describe_anomalies",
    "describe_rows",
    "solve_cover",
]

DEFAULTS = {
    "time_limit": 1.0,
    "min_precision": 0.5,
    "n_top": 10,
    "length_penalty": 0.1,
    "nominal_penalty": 1.0,
    "volume_penalty": 20.0,
}
#: Rules that together cover this share of all rows or more get a note: anomalies are rare,
#: so a description of half the data says little about them.
BROAD_SHARE = 0.5
#: A rule whose rows are this unlabelled, with no labelled nominal among them, is untested.
UNTESTED_SHARE = 0.9
_PARAMS = {
    "time_limit": [Interval("float", 0, None, "neither")],
    "min_precision": [Interval("float", 0, 1)],
    "n_top": [Interval("int", 1, None)],
    "length_penalty": [Interval("float", 0, None)],
    "nominal_penalty": [Interval("float", 0, None)],
    "volume_penalty": [Interval("float", 0, None)],
}


@dataclass(frozen=True)
class DescribedRule:
    """A rule with what it covers in the data it was learned on.

    Attributes
    ----------
    rule : Rule
    support : int
        Rows covered.
    anomalies, nominals : int
        Labelled anomalies / labelled nominals covered.
    precision : float
        ``anomalies / (anomalies + nominals)``: precision on the labels (NaN with no label inside).

    Examples
    --------
    The rules of a :class:`Description` are DescribedRules: a rule, with the rows and the
    labels it holds in the data it was learned on:

    >>> from aad import AADForest
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(200, 2)), rng.normal(6, 0.2, size=(5, 2))])
    >>> labels = np.r_[np.full(200, -1), np.ones(5, int)]
    >>> model = AADForest(n_estimators=20, random_state=0).fit(X, labels)
    >>> rule = describe_anomalies(model, X, feature_names=["amount", "delay"]).rules[0]
    >>> rule.format(digits=2), rule.support, rule.anomalies, rule.nominals, rule.precision
    ('amount > 4.8', 5, 5, 0, 1.0)
    >>> np.flatnonzero(rule.mask(X)).tolist()
    [200, 201, 202, 203, 204]
    """

    rule: Rule
    support: int
    anomalies: int
    nominals: int
    #: The names and the columns' encoding of the description it belongs to: its text's defaults.
    feature_names: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    encoding: tuple[FeatureSpec, ...] = field(default=(), repr=False, compare=False)

    @property
    def precision(self) -> float:
        """Precision on the labels."""
        labelled = self.anomalies + self.nominals
        return self.anomalies / labelled if labelled else float("nan")

    def mask(self, X: np.ndarray) -> np.ndarray:
        """The rule's mask (see :meth:`Rule.mask`)."""
        return self.rule.mask(X)

    def format(
        self,
        feature_names: Sequence[str] | None = None,
        *,
        digits: int | None = None,
        encoding: Sequence[FeatureSpec] | None = None,
        values: int | None = None,
    ) -> str:
        """The rule's text (see :meth:`Rule.format`); with ``encoding``, in the columns' terms
        (``merchant = atm``, ``hour in 1..4``, ``pins >= 2``: :func:`aad.terms.rule_text`; ``values``:
        at most that many of a category's values listed). By default in the names and terms of
        the description it belongs to."""
        names = self.feature_names if feature_names is None else feature_names
        if encoding is None:  # the description's terms, unless other names were given
            encoding = self.encoding if feature_names is None else ()
        if encoding:
            return rule_text(self.rule, encoding, digits, values=values)
        return self.rule.format(names, digits=digits)


@dataclass(frozen=True, eq=False)
class Description:
    """A compact description: rules that together cover the described rows.

    Attributes
    ----------
    rules : list of DescribedRule
        Most anomalies covered first. Empty when there was nothing to describe.
    feature_names : tuple of str
    rows : ndarray of int
        The rows described (the labelled anomalies for :func:`describe_anomalies`).
    uncovered : ndarray of int
        Described rows that no candidate region covers (empty unless a value sits exactly
        on a float32 split threshold).
    status : str
        The solver's status (``"optimal"``, ``"user_limit"`` when the time limit stopped it
        with a feasible cover), ``"greedy"`` when it stopped it and the greedy cover was
        cheaper (or the only one found), or ``"empty"`` when there was nothing to solve.
    seconds : float
        Time spent in the integer program.
    n_candidates : int
        Candidate regions the program chose from.
    provenance : dict
        Dataset fingerprint, rows, forest seed, labels, tau, created time, version.
    notes : tuple of str
        Warnings for the reader: rules so broad (covering ``BROAD_SHARE`` of all rows or
        more) that they describe little, or rules with no labelled nominal whose rows are
        ``UNTESTED_SHARE`` or more unlabelled (precision on so few labels says little), and
        rules testing cells missing in the table.
    encoding : tuple of FeatureSpec
        How each feature is made from the table's columns (the dataset's), so that the
        rules are written in the columns' terms; empty for a plain matrix.

    Examples
    --------
    Two groups of labelled anomalies, described by one rule each; :meth:`mask` selects the
    rows the rules cover:

    >>> from aad import AADForest
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(300, 2)), rng.normal(6, 0.2, size=(4, 2)),
    ...                rng.normal(-6, 0.2, size=(3, 2))])
    >>> labels = np.r_[np.full(300, -1), np.ones(7, int)]
    >>> model = AADForest(n_estimators=20, random_state=0).fit(X, labels)
    >>> description = describe_anomalies(model, X, feature_names=["amount", "delay"])
    >>> len(description), description.status, description.rows.tolist()
    (2, 'optimal', [300, 301, 302, 303, 304, 305, 306])
    >>> print(description.format())
    amount > 4.48...  [support 4, anomalies 4, nominals 0, precision 1.00]
    amount <= -4.52...  [support 3, anomalies 3, nominals 0, precision 1.00]
    >>> np.flatnonzero(description.mask(X)).tolist()
    [300, 301, 302, 303, 304, 305, 306]
    """

    rules: list[DescribedRule]
    feature_names: tuple[str, ...]
    rows: np.ndarray
    uncovered: np.ndarray
    status: str
    seconds: float
    n_candidates: int
    provenance: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    encoding: tuple[FeatureSpec, ...] = field(default=(), repr=False)

    def __len__(self) -> int:
        return len(self.rules)

    def mask(self, X) -> np.ndarray:
        """Rows covered by any rule; a DataFrame's columns are matched by name."""
        columns = getattr(X, "columns", None)
        if columns is not None:
            missing = [name for name in self.feature_names if name not in set(map(str, columns))]
            if missing:
                raise DataError(
                    f"the table lacks the column(s) {', '.join(map(repr, missing[:5]))} the rules "
                    f"were made on ({', '.join(self.feature_names[:10])}); pass a table with them"
                )
            X = X.rename(columns=str)[list(self.feature_names)]
        return _covered(self.rules, X)

    def agreement(self, X, scores) -> tuple[int, int]:
        """How the rules compare with the model's ranking: the rows they select, and how many of
        them are among the model's as many top-scored rows. The rules describe the anomalies
        labelled; the ranking reaches kinds they do not cover (a security analyst's rules took 159
        of 288 attack rows the next day, the model's top 300 took 280).

        Examples
        --------
        >>> from aad import AADForest
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(size=(300, 2)), rng.normal(6, 0.2, size=(4, 2)), [[-6, 6]]])
        >>> labels = np.r_[np.full(300, -1), np.ones(4, int), -1]
        >>> model = AADForest(n_estimators=20, random_state=0).fit(X, labels)
        >>> description = describe_anomalies(model, X)
        >>> description.agreement(X, model.anomaly_score(X))  # the learned model ranks the four first
        (4, 4)
        >>> forest = AADForest(n_estimators=20, random_state=0).fit(X)  # the forest's order: row 304 first
        >>> description.agreement(X, forest.anomaly_score(X))
        (4, 3)
        """
        selected = self.mask(X)
        n = int(selected.sum())
        top = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:n]
        return n, int(selected[top].sum())

    def format(self) -> str:
        """One line per rule with its coverage, for people."""
        lines = [
            f"{d.format(self.feature_names, encoding=self.encoding)}  [support {d.support}, "
            f"anomalies {d.anomalies}, "
            f"nominals {d.nominals}, precision {d.precision:.2f}]"
            for d in self.rules
        ]
        return "\n".join(lines) if lines else "(no labelled anomaly to describe)"


def describe_anomalies(model, X, *, labels=None, feature_names: Sequence[str] | None = None, **params):
    """A compact description of the labelled anomalies: a few rules that cover them all.

    Parameters
    ----------
    model : AADForest
        Fitted on ``X``.
    X : ndarray of shape (n_samples, n_features) or Dataset
        The training data of ``model`` (a :class:`~aad.data.Dataset` also gives the names
        and the fingerprint).
    labels : array-like of shape (n_samples,), optional
        1 anomaly / 0 nominal / -1 unlabelled; ``model.labels_`` when omitted.
    feature_names : sequence of str, optional
        Column names for printing and exports (default: the dataset's, else ``x0, x1, ...``).
    **params
        ``time_limit`` (1.0 s), ``min_precision`` (0.5), ``n_top`` (10), ``length_penalty``
        (0.1), ``nominal_penalty`` (1.0), ``volume_penalty`` (20.0): see the module notes.

    Returns
    -------
    Description
        With no labelled anomaly, an empty description (no rule, status ``"empty"``).

    Raises
    ------
    DescriptionError
        When the integer program cannot be solved.

    Examples
    --------
    >>> from aad import AADForest
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(200, 2)), rng.normal(6, 0.2, size=(5, 2))])
    >>> labels = np.r_[np.full(200, -1), np.ones(5, int)]
    >>> model = AADForest(n_estimators=20, random_state=0).fit(X, labels)
    >>> description = describe_anomalies(model, X, feature_names=["a", "b"])
    >>> len(description), description.rules[0].anomalies, description.rules[0].precision
    (1, 5, 1.0)
    """
    settings = _settings("describe_anomalies", params)
    labels = _labels(model, labels)
    return _describe(model, X, np.flatnonzero(labels == ANOMALY), labels, feature_names, settings)


def describe_rows(model, X, rows, *, labels=None, feature_names: Sequence[str] | None = None, **params):
    """A compact description of any rows of the training data.

    The same as :func:`describe_anomalies` (which describes the labelled anomalies), for
    any set of rows: a selection in the app, or the pool of a diverse query batch. Regions
    are still judged by the labels (their precision and the nominals inside); the rows to
    describe do not count towards a region's volume.

    Parameters
    ----------
    model, X, labels, feature_names, **params
        As for :func:`describe_anomalies`.
    rows : array-like of int
        Row numbers to cover.

    Returns
    -------
    Description

    Examples
    --------
    >>> from aad import AADForest
    >>> rng = np.random.default_rng(1)
    >>> X = np.vstack([rng.normal(size=(200, 2)), rng.normal(-6, 0.2, size=(4, 2))])
    >>> model = AADForest(n_estimators=20, random_state=0).fit(X)
    >>> description = describe_rows(model, X, [200, 201, 202, 203])
    >>> len(description), bool(description.mask(X)[200:].all())
    (1, True)
    """
    return _describe(model, X, rows, labels, feature_names, _settings("describe_rows", params))


def _describe(model, X, rows, labels, feature_names, settings: dict) -> Description:
    dataset = X if isinstance(X, Dataset) else None
    X = _training_matrix(model, X)
    names = _feature_names(feature_names, dataset, model)
    labels = _labels(model, labels)
    rows = _row_numbers(rows, X.shape[0])
    gaps = dataset.filled if dataset is not None else None
    detector, model = model, axis_aligned(model, X)  # boxes: the model's own, or its surrogate's
    cover = cover_rows(model, rows, labels, settings, gaps)
    if gaps is None:
        rules = [cover.described(j) for j in cover.chosen]
    else:  # count on the table as it is, gaps and all: what the exported rules select
        X = dataset.X_as_read
        rules = [_recount(cover.rules[j], X, labels) for j in cover.chosen]
    encoding = dataset.specs if dataset is not None else ()
    rules = sorted(
        (replace(r, feature_names=tuple(names), encoding=tuple(encoding)) for r in rules), key=_order
    )
    surrogate = {} if detector is model else _surrogate_info(detector, model, _covered(rules, X))
    return Description(
        rules=rules,
        feature_names=names,
        rows=rows,
        uncovered=rows[~cover.membership.any(axis=1)],
        status=cover.status,
        seconds=cover.seconds,
        n_candidates=len(cover.rules),
        provenance=_provenance(detector, X, names, labels, dataset) | surrogate,
        notes=_surrogate_notes(surrogate) + _notes(rules, X, labels) + _gap_notes(rows, cover, gaps),
        encoding=encoding,
    )


def _surrogate_info(detector, surrogate, selected: np.ndarray) -> dict:
    """What a description through a surrogate must say: the detector, and the agreement."""
    from .detectors import detector_name

    return {
        "detector": detector_name(detector),
        "described_by": "axis-aligned surrogate",
        "surrogate_seed": surrogate.random_state,
        "surrogate_rows": int(selected.sum()),
        "surrogate_agreement": round(agreement(detector, selected), 4),
    }


def _surrogate_notes(info: dict) -> tuple[str, ...]:
    if not info:
        return ()
    what = {
        "eif": "an extended isolation forest splits on hyperplanes (several features at once)",
        "ensemble": "an ensemble's score comes from its members, not from regions",
    }[info["detector"]]
    k = info["surrogate_rows"]
    return (
        f"{what}, which no box states exactly: these rules are boxes of an axis-aligned isolation "
        f"forest (seed {info['surrogate_seed']}) around the labelled anomalies, chosen where the detector "
        f"scores high. They agree with the detector on {info['surrogate_agreement']:.0%} of the "
        f"{k:,} rows they select (that share is among its {k:,} highest-scored rows); the detector's "
        "scores, not these rules, rank the rows",
    )


def _recount(rule: Rule, X: np.ndarray, labels: np.ndarray) -> DescribedRule:
    inside = rule.mask(X)
    return DescribedRule(
        rule, int(inside.sum()), int((labels[inside] == ANOMALY).sum()), int((labels[inside] == 0).sum())
    )


def _gap_notes(rows: np.ndarray, cover: Cover, gaps: np.ndarray | None) -> tuple[str, ...]:
    lost = int((~cover.membership.any(axis=1)).sum())
    if gaps is None or lost == 0:
        return ()
    plural = "rows are" if lost > 1 else "row is"
    return (
        f"{lost} of the {len(rows)} {plural} not covered: every region around them tests a value "
        "missing in the table, and a rule tests a missing value as false (as SQL does)",
    )


def _settings(owner: str, params: dict) -> dict:
    settings = DEFAULTS | params
    unknown = sorted(set(settings) - set(_PARAMS))
    if unknown:
        raise TypeError(f"{owner} got unknown parameter(s) {unknown}; known: {sorted(_PARAMS)}")
    validate_params(owner, _PARAMS, settings)
    return settings


def _feature_names(given, dataset: Dataset | None, model) -> tuple[str, ...]:
    n_features = model.n_features_in_
    if given is None:
        return dataset.feature_names if dataset else model_feature_names(model)
    if isinstance(given, str) or len(given) != n_features:
        got = repr(given) if isinstance(given, str) else f"{len(given)} names"
        raise LabelError(f"feature_names needs one name per column ({n_features}), as a list; got {got}")
    return tuple(str(name) for name in given)


def _covered(rules: list[DescribedRule], X: np.ndarray) -> np.ndarray:
    covered = np.zeros(np.asarray(X).shape[0], dtype=bool)
    for described in rules:
        covered |= described.mask(X)
    return covered


def _notes(rules: list[DescribedRule], X: np.ndarray, labels: np.ndarray) -> tuple[str, ...]:
    if not rules:
        return ()
    share = _covered(rules, X).mean()
    if share >= BROAD_SHARE:
        if any(r.nominals > r.anomalies for r in rules):  # more labels would not help
            return (
                f"the rules cover {share:.0%} of all rows and hold more labelled nominals than "
                "anomalies: every region the forest offers mixes the labelled anomalies with nominals, "
                "so these rules are not a usable filter. Describe a group of similar anomalies "
                "(describe_rows), or rank by the scores instead",
            )
        hint = "label some nominals" if not (labels == 0).any() else "label more nominals inside them"
        return (
            f"the rules cover {share:.0%} of all rows: the labelled anomalies are too scattered for a "
            f"few boxes to separate them from the rest. To get tighter rules, {hint} (in Python, a "
            "larger volume_penalty also helps)",
        )
    untested = [
        (i, r)
        for i, r in enumerate(rules, start=1)
        if r.nominals == 0 and r.support and (r.anomalies + r.nominals) / r.support < 1 - UNTESTED_SHARE
    ]
    return (_untested_note(untested),) if untested else ()


def _untested_note(untested: list[tuple[int, DescribedRule]]) -> str:
    """One note for every rule whose precision of 1.00 rests on a few labels among many rows.

    >>> rule = DescribedRule(rule=None, support=200, anomalies=4, nominals=0)
    >>> _untested_note([(2, rule)])[:60]
    'rule 2 covers 200 rows, 98% of them unlabelled and no labell'
    >>> _untested_note([(2, rule), (5, rule)])[:60]
    'rules 2 and 5 cover 200 and 200 rows, 98% and 98% of them un'
    """
    unlabelled = [f"{1 - (r.anomalies + r.nominals) / r.support:.0%}" for _, r in untested]
    if len(untested) == 1:
        (i, r), share = untested[0], unlabelled[0]
        return (
            f"rule {i} covers {r.support:,} rows, {share} of them unlabelled and no labelled nominal: "
            "its precision of 1.00 is on its labels only. Label some of its unlabelled rows before "
            "trusting it as a filter"
        )
    numbers, sizes = _listed([str(i) for i, _ in untested]), _listed([f"{r.support:,}" for _, r in untested])
    return (
        f"rules {numbers} cover {sizes} rows, {_listed(unlabelled)} of them unlabelled, and no "
        "labelled nominal: their precision of "
        "1.00 is on their labels only. Label some of their unlabelled rows before trusting them as filters"
    )


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@dataclass(frozen=True, eq=False)
class Cover:
    """Candidate regions of some rows and the integer program's choice among them.

    Attributes
    ----------
    rules : list of Rule
        The distinct candidate regions.
    membership : ndarray of bool, shape (n_rows, n_candidates)
        Which candidates contain each described row.
    support, anomalies, nominals : ndarray of int, shape (n_candidates,)
        Training rows, labelled anomalies and labelled nominals inside each candidate.
    chosen : ndarray of int
        Candidates in the cover.
    status : str
    seconds : float
    """

    rules: list[Rule]
    membership: np.ndarray
    support: np.ndarray
    anomalies: np.ndarray
    nominals: np.ndarray
    chosen: np.ndarray
    status: str
    seconds: float

    def described(self, j: int) -> DescribedRule:
        """Candidate ``j`` with its counts."""
        return DescribedRule(
            self.rules[j], int(self.support[j]), int(self.anomalies[j]), int(self.nominals[j])
        )


def cover_rows(model, rows: np.ndarray, labels: np.ndarray, settings: dict, gaps=None) -> Cover:
    """Candidate regions of ``rows`` and the integer program's choice among them.

    The engine of :func:`describe_rows` for callers that validated their inputs (the
    diverse query strategies). ``settings`` holds every parameter of :func:`describe_rows`.
    ``gaps`` (n_samples x n_features, bool) marks cells missing in the table and filled in
    for the forest: a region testing such a cell does not cover the row, as its exported
    rule would not. Costs ``O(rows x trees)``: no pass over the data.
    """
    stats = region_stats(model, labels)
    nodes = stats.candidate_nodes(
        rows,
        min_precision=settings["min_precision"],
        n_top=settings["n_top"],
        gaps=None if gaps is None else gaps[rows],
    )
    nodes, rules = _distinct_regions(stats, nodes)
    membership = _membership(stats, rows, nodes)
    if gaps is not None:
        membership &= ~_tests_a_gap(rules, gaps[rows])
    extra = stats.forest.path_counts(model.leaf_index_[:, rows[labels[rows] != ANOMALY]])
    wanted_inside = stats.anomalies[nodes] + extra[nodes]
    costs = _costs(stats, nodes, rules, wanted_inside, settings)
    coverable = membership.any(axis=1)
    chosen, status, seconds = _solve(membership[coverable], costs, settings)
    return Cover(
        rules,
        membership,
        stats.rows[nodes].astype(np.int64),
        stats.anomalies[nodes].astype(np.int64),
        stats.nominals[nodes].astype(np.int64),
        chosen,
        status,
        seconds,
    )


def _tests_a_gap(rules: list[Rule], gaps: np.ndarray) -> np.ndarray:
    """(rows x rules): whether the rule tests a feature the row has no value for."""
    tested = np.zeros((gaps.shape[1], len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        tested[list(rule.features), j] = True
    return (gaps.astype(np.int64) @ tested.astype(np.int64)) > 0


def _distinct_regions(stats: RegionStats, nodes: np.ndarray) -> tuple[np.ndarray, list[Rule]]:
    """Drop nodes whose box repeats an earlier one (the same rows, the same rule)."""
    lower, upper = stats.forest.nodes.bounds(nodes)
    unique: dict[Rule, int] = {}
    for node, lo, hi in zip(nodes.tolist(), lower, upper, strict=True):
        unique.setdefault(Rule.from_bounds(lo, hi), node)
    return np.array(list(unique.values()), dtype=np.int64), list(unique)


def _membership(stats: RegionStats, rows: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    column = np.full(len(stats.forest.nodes), -1, dtype=np.int64)
    column[nodes] = np.arange(len(nodes))
    membership = np.zeros((len(rows), len(nodes)), dtype=bool)
    if len(rows) == 0 or len(nodes) == 0:
        return membership
    paths = stats.path_nodes(rows).reshape(len(rows), -1)
    columns = np.where(paths >= 0, column[np.maximum(paths, 0)], -1)
    which, position = np.nonzero(columns >= 0)
    membership[which, columns[which, position]] = True
    return membership


def _costs(
    stats: RegionStats, nodes: np.ndarray, rules: list[Rule], wanted_inside, settings: dict
) -> np.ndarray:
    n_rows = float(stats.leaf_index.shape[1])
    volume = (stats.rows[nodes] - wanted_inside) / n_rows
    length = np.array([len(rule) for rule in rules], dtype=np.float64)
    return (
        1.0
        + settings["length_penalty"] * length
        + settings["nominal_penalty"] * stats.nominals[nodes]
        + settings["volume_penalty"] * volume
    )


def _solve(membership: np.ndarray, costs: np.ndarray, settings: dict) -> tuple[np.ndarray, str, float]:
    if membership.shape[0] == 0:
        return np.empty(0, dtype=np.int64), "empty", 0.0
    used = np.flatnonzero(membership.any(axis=0))  # regions that cover nothing never help
    start = time.perf_counter()
    chosen, status = run_cover(membership[:, used], costs[used], time_limit=settings["time_limit"])
    return used[chosen], status, time.perf_counter() - start


def _order(described: DescribedRule) -> tuple:
    return (-described.anomalies, described.nominals, described.support, described.rule.predicates)


def _labels(model, labels) -> np.ndarray:
    if not hasattr(model, "_check_fitted"):
        raise DataError(f"a description needs a fitted aad model; got {type(model).__name__}")
    model._check_fitted()
    if labels is None:
        return model.labels_.astype(np.int8)
    return label_array(labels, model.labels_.shape[0])


def _row_numbers(rows, n: int) -> np.ndarray:
    arr = np.asarray(rows)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise LabelError(
                f"a boolean mask of rows needs one entry per training row ({n}); got shape {arr.shape}"
            )
        return np.flatnonzero(arr)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise LabelError(
            f"rows to describe must be integer row numbers or a boolean mask; got values of type {arr.dtype}"
        )
    arr = np.unique(arr.astype(np.int64).ravel())
    if len(arr) and not 0 <= arr.min() <= arr.max() < n:
        raise LabelError(
            f"rows to describe must be training rows, 0 to {n - 1}; got {int(arr.min())} to {int(arr.max())}"
        )
    return arr


def _training_matrix(model, X) -> np.ndarray:
    model._check_fitted()
    X = validate_matrix(model._by_name(X), n_features=model.n_features_in_)
    if X.shape[0] != model.labels_.shape[0]:
        raise DescriptionError(
            f"X has {X.shape[0]} rows but the model was fitted on {model.labels_.shape[0]}; "
            "descriptions are computed on the model's training data: pass the same X"
        )
    return X


def _provenance(model, X, names, labels, dataset: Dataset | None) -> dict:
    import aad  # the package is fully imported by the time a description is made

    seed = model.random_state
    return {
        "dataset": dataset.name if dataset else None,
        "fingerprint": dataset.fingerprint if dataset else _fingerprint(X, names),
        "rows": int(X.shape[0]),
        "features": int(X.shape[1]),
        "forest_seed": seed if seed is None or isinstance(seed, int) else str(seed),
        "n_estimators": _trees(model),
        "max_samples": int(model.max_samples),
        "eta": float(model.eta),
        "balance": float(model.balance),
        "loss": getattr(model, "loss", "linear"),
        "n_labels": int((labels != -1).sum()),
        "n_anomalies": int((labels == ANOMALY).sum()),
        "tau": float(getattr(model, "tau", 0.03)),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": aad.__version__,
    }


def _trees(model) -> int | None:
    """The trees the model grew: its own, or its forest member's (an ensemble); None without."""
    fitted = getattr(model, "n_estimators_", None)
    member = getattr(model, "forest_member_", None)
    if fitted is None and member is not None:
        fitted = member.n_estimators_
    return None if fitted is None else int(fitted)


def _fingerprint(X: np.ndarray, names: Sequence[str]) -> str:
    digest = hashlib.sha256()  # the same recipe as Dataset.fingerprint
    digest.update("\x1f".join(names).encode())
    digest.update(np.ascontiguousarray(X).tobytes())
    return digest.hexdigest()
