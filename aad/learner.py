"""`ActiveLearner`: the labelling loop in memory, with undo.

It owns the ordered log of label events of one model: every label (and every
retraction) is an event, :meth:`ActiveLearner.undo` reverts the last one exactly, and
replaying the log on a freshly fitted model with the same seed reproduces the same
ranking (the update is exact and independent of label order). Persistence lives one
layer up, in the session store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import MAX_SEED, Interval, Options, validate_params
from .data import validate_matrix
from .errors import DataError, LabelError, UnknownStrategyError
from .labels import ANOMALY, UNLABELLED, to_label
from .model import RANKINGS, AADForest
from .portfolio import Portfolio
from .query import QueryContext, select_queries, strategy_names

__all__ = ["QUEUES", "ActiveLearner", "LabelEvent"]

#: What the queue can follow: the portfolio (``"adaptive"``) or one ranking of the model
#: (an ensemble's no-feedback ranking is ``"unsupervised"``; see each model's ``rankings_``).
QUEUES = ("adaptive", *RANKINGS, "unsupervised")

_CONSTRAINTS = {
    "batch_size": [Interval("int", 1, 10_000)],
    "random_state": [Options((None,)), Interval("int", 0, MAX_SEED)],
    "explores_early": [Options((True, False))],
    "strong_ranking": [Options((True, False))],
    "first_look": [Options((True, False))],
    "beliefs_ranking": [Options((True, False))],
}


def _training_features(model: AADForest, X) -> np.ndarray:
    """``X`` checked against the model: the rows it was fitted on, the same columns."""
    X = validate_matrix(model._by_name(X), n_features=model.n_features_in_)
    if X.shape[0] != model.labels_.shape[0]:
        raise DataError(
            f"X has {X.shape[0]} rows but the model was fitted on {model.labels_.shape[0]}; "
            "pass the training data the model was fitted on"
        )
    return X


@dataclass(frozen=True)
class LabelEvent:
    """One change of one row's label: ``label`` is 1, 0, or -1 for a retraction."""

    row: int
    label: int
    previous: int


class ActiveLearner:
    """Query, label, undo: the active anomaly discovery loop over a fitted model.

    Parameters
    ----------
    model : AADForest, ExtendedAADForest or AADEnsemble
        A fitted model; the learner changes its labels.
    X : ndarray of shape (n_samples, n_features), optional
        The training features, for strategies that measure distances.
    strategy : str, default="top"
        Query strategy (see :func:`aad.query.strategy_names`).
    batch_size : int, default=1
        Rows per query batch.
    random_state : int or None
        Seed for random strategies; the batch after ``m`` events depends only on it and ``m``.
    queue : {"adaptive", "feedback", "strong", "saturating", "forest"}, default="adaptive"
        Which ranking the strategy draws from. ``"adaptive"``: the one the labels favour
        (:class:`aad.portfolio.Portfolio`: the learned model until its proposals keep
        coming back nominal, then a challenger); otherwise always that ranking of the
        model (``"feedback"``: the learned model, as before the portfolio existed).
    explores_early : bool, default=True
        With the adaptive queue: whether a dry spell before the first anomaly asks a
        challenger too (:mod:`aad.portfolio.bandit`); False is the rule of sessions saved
        before it did.
    strong_ranking : bool, default=True
        With the adaptive queue: whether the learned model at twice the strength
        (``"strong"``, see :meth:`AADForest.ranking`) is among the rankings; False is the
        portfolio of sessions saved before it was.
    first_look : bool, default=True
        With the adaptive queue: whether the forest's order gets a first look once its record
        beats the champion's, and a champion demoted by its own nominal hands its streak of
        nominals on (:mod:`aad.portfolio.bandit`); False is the rule of sessions saved before.
    beliefs_ranking : bool, default=True
        With the adaptive queue: whether the local leaf beliefs (``"beliefs"``, see
        :meth:`AADForest.ranking`) are among the rankings, with a first look as the forest's
        order has; False is the portfolio of sessions saved before they were.

    Attributes
    ----------
    portfolio : Portfolio or None
        The portfolio's record, with ``queue="adaptive"``.

    Examples
    --------
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(100, 2)), [[8, 8]]])
    >>> learner = ActiveLearner(AADForest(random_state=0).fit(X), X)
    >>> row = int(learner.next_queries()[0]); row
    100
    >>> _ = learner.label(row, "anomaly")
    >>> learner.n_labels, learner.undo().row, learner.n_labels
    (1, 100, 0)
    """

    def __init__(
        self,
        model: AADForest,
        X: np.ndarray | None = None,
        *,
        strategy: str = "top",
        batch_size: int = 1,
        random_state: int | None = None,
        queue: str = "adaptive",
        explores_early: bool = True,
        strong_ranking: bool = True,
        first_look: bool = True,
        beliefs_ranking: bool = True,
    ) -> None:
        if not hasattr(model, "_check_fitted") or not hasattr(model, "rankings_"):
            raise DataError(
                "ActiveLearner needs a fitted aad model (AADForest, ExtendedAADForest or AADEnsemble); "
                f"got {type(model).__name__}. Fit one: aad.AADForest().fit(X)"
            )
        model._check_fitted()
        if queue not in QUEUES:
            raise UnknownStrategyError(f"unknown queue {queue!r}; choose one of {', '.join(QUEUES)}")
        if queue == "saturating" and getattr(model, "loss", "linear") != "linear":
            raise UnknownStrategyError(
                "the saturating queue needs the linear loss; this model uses the hinge loss. "
                "Use queue='adaptive', 'feedback' or 'forest'"
            )
        if queue != "adaptive" and queue not in model.rankings_:
            raise UnknownStrategyError(
                f"this {type(model).__name__} offers no {queue!r} ranking; choose the queue among "
                f"adaptive, {', '.join(model.rankings_)}"
            )
        if strategy not in strategy_names():
            raise UnknownStrategyError(
                f"unknown query strategy {strategy!r}; choose one of {', '.join(strategy_names())}"
            )
        validate_params(
            "ActiveLearner",
            _CONSTRAINTS,
            {
                "batch_size": batch_size,
                "random_state": random_state,
                "explores_early": explores_early,
                "strong_ranking": strong_ranking,
                "first_look": first_look,
                "beliefs_ranking": beliefs_ranking,
            },
        )
        self.model = model
        self.X = None if X is None else _training_features(model, X)
        self._renumbered = getattr(model, "_renumbered", 0)  # model.keep_rows renumbers the rows
        self.strategy = strategy
        self.batch_size = batch_size
        self.random_state = random_state
        self._log: list[LabelEvent] = []
        #: Per event, with the hinge loss: the model's hinge solution before it, in a 1-tuple (None
        #: before the first label, when the scores are the linear ones); None with the linear loss.
        self._hinge_before: list[tuple[np.ndarray | None] | None] = []
        self.queue = queue
        kept = {"strong": strong_ranking, "beliefs": beliefs_ranking}
        left_out = {name for name, keep in kept.items() if not keep}
        rankings = tuple(r for r in model.rankings_ if r not in left_out)
        self.portfolio = (
            Portfolio(model, rankings=rankings, explores_early=explores_early, first_look=first_look)
            if queue == "adaptive"
            else None
        )

    def _fixed_rankings(self) -> tuple[str, ...]:
        """The fixed queue first, then the model's other rankings (for "something different")."""
        usable = self.model.rankings_
        return (self.queue, *[r for r in usable if r != self.queue])

    @property
    def following(self) -> str:
        """The ranking the next batch is drawn from (the portfolio's champion, or the fixed queue)."""
        return self.portfolio.following if self.portfolio is not None else self.queue

    def proposed_by(self, row: int) -> tuple[str, ...]:
        """The rankings of the model whose highest unlabelled row is ``row`` (empty when none is:
        a row further down the followed ranking's order, in a batch)."""
        portfolio = self.portfolio or Portfolio(self.model, rankings=self._fixed_rankings())
        return portfolio.proposers(self._row(row))

    def outside_found(self, row: int) -> bool | None:
        """Whether ``row`` lies outside the found anomalies' regions, as "something different"
        reads them (:meth:`aad.portfolio.Portfolio.outside_found`); None without a forest's leaves."""
        portfolio = self.portfolio or Portfolio(self.model, rankings=self._fixed_rankings())
        return portfolio.outside_found(self._row(row))

    @property
    def history(self) -> tuple[LabelEvent, ...]:
        """Every label event, oldest first."""
        return tuple(self._log)

    @property
    def n_labels(self) -> int:
        """Rows that currently carry a label."""
        return self.model.n_labels_

    @property
    def n_anomalies(self) -> int:
        """Rows currently labelled anomaly."""
        return self.model.n_anomalies_

    def scores(self) -> np.ndarray:
        """Current anomaly scores of every row."""
        return self.model.anomaly_score()

    def next_queries(
        self, k: int | None = None, *, strategy: str | None = None, explore: bool = False, exclude=()
    ) -> np.ndarray:
        """The next batch of unlabelled rows to show, per the query strategy and the queue.

        With the adaptive queue, a challenger's proposal comes first after a run of
        nominals (see :mod:`aad.portfolio`), or whenever ``explore=True`` ("show me
        something different": :meth:`aad.portfolio.Portfolio.different`, never a row of
        ``exclude``); the strategy fills the rest from the champion's ranking.
        """
        self._check_rows()
        exclude = [self._row(r) for r in ([exclude] if isinstance(exclude, str) else exclude)]
        if k is None:
            k = self.batch_size
        validate_params("next_queries", {"k": _CONSTRAINTS["batch_size"]}, {"k": k})
        portfolio = self.portfolio
        if portfolio is None and explore:  # a fixed queue asked for something different
            portfolio = Portfolio(self.model, rankings=self._fixed_rankings())
        first = None
        if portfolio is not None:
            following, first = portfolio.plan(k, explore=explore, exclude=exclude)
        else:
            following = self.queue
        if portfolio is not None and k == 1 and (strategy or self.strategy) == "top":
            top = portfolio.top(following)  # the row its record reads at the next label: found once
            rows = np.array([] if top < 0 else [top], dtype=np.int64)
        else:
            scores = self.model.ranking(following)  # the order of anomaly_score, without its 2 ** s pass
            context = QueryContext(
                scores=scores, labelled=self.model.labels_ != UNLABELLED, model=self.model, X=self.X
            )
            seed = None if self.random_state is None else [self.random_state, len(self._log)]
            rows = select_queries(context, k, strategy=strategy or self.strategy, random_state=seed)
        if first is None:
            return rows
        return np.r_[first, rows[rows != first]][:k].astype(np.int64)

    def label(self, row: int, label) -> LabelEvent:
        """Record ``label`` (anomaly/nominal, 1/0, True/False) for ``row``."""
        return self._apply(self._row(row), to_label(label))

    def retract(self, row: int) -> LabelEvent:
        """Remove the label of ``row``."""
        row = self._row(row)
        if self.model.labels_[row] == UNLABELLED:
            raise LabelError(f"row {row} has no label to retract")
        return self._apply(row, UNLABELLED)

    def undo(self) -> LabelEvent:
        """Revert the most recent event; returns it.

        Raises
        ------
        LabelError
            When there is nothing to undo.
        """
        self._check_rows()
        if not self._log:
            raise LabelError("there is nothing to undo: no label has been given yet")
        event = self._log.pop()
        hinge_before = self._hinge_before.pop()
        if self.portfolio is not None:
            self.portfolio.undo()
        self.model.set_label(event.row, event.previous)
        if hinge_before is not None:  # the hinge solution depends on the path: restore it as it was,
            self.model._restore_hinge(hinge_before[0])  # none at all before the first label
        return event

    def _check_rows(self) -> None:
        """The model's rows are still those the log and ``X`` name.

        Raises
        ------
        LabelError
            When ``model.keep_rows`` renumbered them: the undo history would revert other rows.
        DataError
            When ``model.add_rows`` grew the model but not ``X``.
        """
        if getattr(self.model, "_renumbered", 0) != self._renumbered:
            raise LabelError(
                "the model's rows were renumbered (model.keep_rows) after this learner was made, so "
                "its undo history names other rows now; make a new ActiveLearner(model, X[rows]): every "
                "label stays on the model, and the undo history starts again"
            )
        n_rows = self.model.labels_.shape[0]
        if self.X is not None and self.X.shape[0] != n_rows:
            raise DataError(
                f"the model has {n_rows} rows but the learner's X has {self.X.shape[0]}: after "
                "model.add_rows(X_new), give the learner the new rows too: "
                "learner.X = np.vstack([learner.X, X_new])"
            )

    def _row(self, row) -> int:
        """``row`` as a checked row number: an integer from 0 to n - 1, nothing else."""
        self._check_rows()
        if np.ndim(row) != 0:
            raise LabelError(f"give one row number; got {row!r}")
        return int(self.model._check_rows([row])[0])

    def _apply(self, row: int, label: int) -> LabelEvent:
        previous = int(self.model.labels_[row])
        hinge = getattr(self.model, "loss", "") == "hinge"
        self._hinge_before.append((self.model._hinge_values,) if hinge else None)
        if self.portfolio is not None:
            self.portfolio.record(row, label)
        self.model.set_label(row, label)
        event = LabelEvent(row=row, label=label, previous=previous)
        self._log.append(event)
        return event

    def is_anomaly(self, row: int) -> bool:
        """Whether ``row`` is currently labelled anomaly."""
        return bool(self.model.labels_[self._row(row)] == ANOMALY)
