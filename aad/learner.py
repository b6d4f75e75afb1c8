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

from .errors import LabelError
from .labels import ANOMALY, UNLABELLED, to_label
from .model import AADForest
from .query import QueryContext, select_queries

__all__ = ["ActiveLearner", "LabelEvent"]


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
    model : AADForest
        A fitted model; the learner changes its labels.
    X : ndarray of shape (n_samples, n_features), optional
        The training features, for strategies that measure distances.
    strategy : str, default="top"
        Query strategy (see :func:`aad.query.strategy_names`).
    batch_size : int, default=1
        Rows per query batch.
    random_state : int or None
        Seed for random strategies; the batch after ``m`` events depends only on it and ``m``.

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
    ) -> None:
        model._check_fitted()
        self.model = model
        self.X = X
        self.strategy = strategy
        self.batch_size = batch_size
        self.random_state = random_state
        self._log: list[LabelEvent] = []

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

    def next_queries(self, k: int | None = None, *, strategy: str | None = None) -> np.ndarray:
        """The next batch of unlabelled rows to show, per the query strategy."""
        context = QueryContext(
            scores=self.scores(), labelled=self.model.labels_ != UNLABELLED, model=self.model, X=self.X
        )
        seed = None if self.random_state is None else [self.random_state, len(self._log)]
        return select_queries(
            context,
            k or self.batch_size,
            strategy=strategy or self.strategy,
            random_state=seed,
        )

    def label(self, row: int, label) -> LabelEvent:
        """Record ``label`` (anomaly/nominal, 1/0, True/False) for ``row``."""
        return self._apply(int(row), to_label(label))

    def retract(self, row: int) -> LabelEvent:
        """Remove the label of ``row``."""
        if self.model.labels_[int(row)] == UNLABELLED:
            raise LabelError(f"row {row} has no label to retract")
        return self._apply(int(row), UNLABELLED)

    def undo(self) -> LabelEvent:
        """Revert the most recent event; returns it.

        Raises
        ------
        LabelError
            When there is nothing to undo.
        """
        if not self._log:
            raise LabelError("there is nothing to undo: no label has been given yet")
        event = self._log.pop()
        self.model.set_label(event.row, event.previous)
        return event

    def _apply(self, row: int, label: int) -> LabelEvent:
        self.model._check_rows([row])
        previous = int(self.model.labels_[row])
        self.model.set_label(row, label)
        event = LabelEvent(row=row, label=label, previous=previous)
        self._log.append(event)
        return event

    def is_anomaly(self, row: int) -> bool:
        """Whether ``row`` is currently labelled anomaly."""
        return bool(self.model.labels_[row] == ANOMALY)
