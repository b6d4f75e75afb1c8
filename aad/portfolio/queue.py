"""`Portfolio`: the champion-challenger state bound to a fitted model.

It asks the model for each ranking's top unlabelled row (the rankings' *proposals*),
records every row's first label as an outcome for the rankings that proposed it
(:func:`aad.portfolio.bandit.step`), and tells the queue which ranking to follow. An undo
restores the state before the label it undoes. Everything it knows is a function of the
labels in the order they came, so a session's log replays it exactly.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np

from ..errors import UnknownStrategyError
from ..labels import ANOMALY, UNLABELLED
from ..model import RANKINGS, AADForest
from ..query import top_unlabelled
from .bandit import PATIENCE, PortfolioState, step

__all__ = ["Portfolio"]

#: Rankings that never change with the labels (no feedback): scanned in a fixed order.
_FIXED = ("forest", "unsupervised")
#: Rankings due a first look (with ``first_look``): the no-feedback orders, and the local leaf
#: beliefs, which find what the learned model passes over as the forest's order does
#: (``benchmarks/choose.py --only "looked at like the forest"``, README).
_LOOKED_AT = (*_FIXED, "beliefs")
#: Rankings asked only in a dry spell before the first anomaly: once an anomaly is labelled
#: they propose nothing (-1), so they keep no record and are never asked (nor computed).
DRY_SPELL_ONLY = ("strong",)


class Portfolio:
    """Which of the model's rankings the queue follows, learned from the labels' outcomes.

    Parameters
    ----------
    model : AADForest
        A fitted model with the linear loss.
    rankings : sequence of str, optional
        The rankings in play (names of :meth:`AADForest.ranking`; default: all the model
        offers, its ``rankings_``); the first is the champion until the labels say otherwise.
    patience : int, default=PATIENCE
        Nominals in a row from the champion before one challenger is asked.
    explores_early : bool, default=True
        Whether a dry spell before the first anomaly asks a challenger too
        (:class:`~aad.portfolio.bandit.PortfolioState`); False is the rule before aad did.
    first_look : bool, default=True
        Whether the no-feedback ranking (the forest's order; an ensemble's ``"unsupervised"``)
        and the local leaf beliefs (``"beliefs"``) get a first look once their record beats the
        champion's, and a champion demoted by
        its own nominal hands its streak on (:mod:`aad.portfolio.bandit`; neither when no
        such ranking is in play); False is the rule of sessions saved before. Measured on
        the forest's order; an ensemble's gets it by the same reasoning, untested on the
        tuning tables.

    Examples
    --------
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), [[7, 7], [7, -7]]])
    >>> model = AADForest(random_state=0).fit(X)
    >>> portfolio = Portfolio(model)
    >>> portfolio.tops()
    (300, 300, 300, 300, 300)
    >>> portfolio.record(300, 1); model.set_label(300, 1)
    >>> portfolio.state.hits, portfolio.following
    ((1, 1, 1, 1, 1), 'feedback')
    """

    def __init__(
        self,
        model: AADForest,
        *,
        rankings: Sequence[str] | None = None,
        patience: int = PATIENCE,
        explores_early: bool = True,
        first_look: bool = True,
    ) -> None:
        model._check_fitted()
        offered = getattr(model, "rankings_", RANKINGS)
        rankings = offered if rankings is None else rankings
        unknown = [r for r in rankings if r not in offered]
        if unknown or not rankings:
            raise UnknownStrategyError(
                f"unknown rankings {', '.join(map(repr, unknown)) or '(none given)'}; "
                f"choose among {', '.join(offered)}"
            )
        self.model = model
        self.rankings = tuple(rankings)
        looks = tuple(i for i, name in enumerate(self.rankings) if first_look and name in _LOOKED_AT)
        self.state = PortfolioState.start(
            len(self.rankings),
            patience=patience,
            explores_early=explores_early,
            looks=looks,
            keeps_streak=bool(looks),
        )
        self._before: list[PortfolioState | None] = []
        self._forest_order: np.ndarray | None = None
        self._ordered: object = None  # the rows' leaves the forest's order was sorted for
        self._proposals: dict[str, tuple[weakref.ref | int, int]] = {}
        self.aside: frozenset[int] = frozenset()
        if "beliefs" in self.rankings:  # their sums are counted once, here, not at the first label
            model.ranking("beliefs")

    def __getstate__(self) -> dict:
        """The portfolio without its cache of proposals (weak references, which do not pickle)."""
        return {**self.__dict__, "_proposals": {}}

    @property
    def following(self) -> str:
        """The champion: the ranking the queue follows."""
        return self.rankings[self.state.champion]

    def tops(self) -> tuple[int, ...]:
        """Each ranking's proposal: its highest unlabelled row (ties: the lowest row)."""
        closed: list[np.ndarray] = []  # the mask of closed rows, made once for all the rankings
        self._search([name for name in self.rankings if name not in _FIXED and self._proposes(name)], closed)
        return tuple(self._top(name, closed) for name in self.rankings)

    def _search(self, names: Sequence[str], closed: list[np.ndarray]) -> None:
        """Find the proposals of ``names`` not found since the last label, in one pass over the rows
        (a model that counts its changes of labels: :meth:`aad.AADForest.best_unlabelled`)."""
        generation = getattr(self.model, "_generation", None)
        if generation is None:
            return
        missing = [name for name in names if self._proposals.get(name, (None,))[0] != generation]
        if not missing:
            return
        if not closed:
            closed.append(self._closed())
        for name, row in zip(missing, self.model.best_unlabelled(missing, closed[0]), strict=True):
            self._proposals[name] = (generation, int(row))

    def top(self, name: str) -> int:
        """One ranking's proposal (-1 when every row is labelled): what the queue shows first
        when it follows ``name``, and what :meth:`record` reads at the next label (found once)."""
        return self._top(name)

    def proposers(self, row: int) -> tuple[str, ...]:
        """The rankings whose proposal (their highest unlabelled row) is ``row``."""
        return tuple(name for name, top in zip(self.rankings, self.tops(), strict=True) if top == row)

    def records(self) -> dict[str, tuple[int, int]]:
        """Each ranking's record so far: its proposals labelled anomaly, and labelled at all."""
        state = self.state
        return {
            name: (int(state.hits[i]), int(state.hits[i] + state.misses[i]))
            for i, name in enumerate(self.rankings)
        }

    def plan(self, k: int = 1, *, explore: bool = False, exclude=()) -> tuple[str, int | None]:
        """The ranking whose order fills the batch, and the row to show first, if any.

        After a streak of nominals, or after one when the forest is due its first look, the
        first row is the challenger's proposal (:meth:`PortfolioState.challenger`). With
        ``explore=True`` ("show me something different"), it is :meth:`different`'s row (not
        one of ``exclude``, the rows on screen). Otherwise None.
        """
        if explore:
            return self.following, self.different(k, exclude=exclude)
        if not self.state.exploring:
            return self.following, None
        tops = self.tops()
        challenger = self.state.challenger(tops)
        return self.following, None if challenger is None else tops[challenger]

    def different(self, k: int = 1, *, exclude=()) -> int | None:
        """ "Show me something different": a row outside the found anomalies' regions, that the
        champion would not show in its next ``k`` and that is not in ``exclude`` (the rows on
        screen, so that asking again shows another).

        The highest such row in the forest's own order (an ensemble's unsupervised one) whose
        leaf holds no labelled anomaly in at least half of the trees (:meth:`outside_found`):
        where the found anomalies' leaves claim a row, the analyst has seen its kind. Such a row
        may still share some values with them (an IP, a user agent): the trees split it off. Without
        a forest's leaves or such a row, the highest row of the other rankings that the champion
        would not show, taken in the order of their records. None when there is none.
        """
        closed = self._closed()
        closed[np.asarray(list(exclude), dtype=np.int64)] = True
        shown = set(self._top_k(self.following, closed, k).tolist())
        fixed = next((name for name in self.rankings if name in _FIXED), None)
        unlike = self._unlike_found()
        if fixed is not None and unlike is not None:
            scores = np.where(unlike & ~closed, self.model.ranking(fixed), -np.inf)
            for row in top_unlabelled(scores, closed, k + 1).tolist():
                if np.isfinite(scores[row]) and row not in shown:
                    return int(row)
        means = self.state.means
        others = sorted(
            (i for i, name in enumerate(self.rankings) if name != self.following and self._proposes(name)),
            key=lambda i: (-means[i], i),
        )
        for i in others:
            for row in self._top_k(self.rankings[i], closed, k + 1).tolist():
                if row not in shown:
                    return int(row)
        return None

    def outside_found(self, row: int) -> bool | None:
        """Whether ``row`` lies outside the found anomalies' regions, as :meth:`different` reads
        them: in at least half of the trees its leaf holds no labelled anomaly (every row, before
        the first anomaly). None for a model without a forest's leaves.

        Ten rows at (7, 7), one of them labelled an anomaly, and one at (-7, 7):

        >>> X = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), np.full((10, 2), 7.0), [[-7, 7]]])
        >>> model = AADForest(random_state=0).fit(X)
        >>> model.set_label(300, 1)
        >>> portfolio = Portfolio(model)
        >>> portfolio.outside_found(301), portfolio.outside_found(310)
        (False, True)
        """
        unlike = self._unlike_found([row])
        return None if unlike is None else bool(unlike[0])

    def _unlike_found(self, rows=None) -> np.ndarray | None:
        """Rows (``rows``, or all) whose leaf holds no labelled anomaly in at least half of the
        trees (every row before the first anomaly); None for a model without a forest's leaves."""
        model = self.model if hasattr(self.model, "_counts") else getattr(self.model, "forest_member_", None)
        if model is None or not hasattr(model, "leaf_index_"):
            return None
        held = (model._counts[ANOMALY] > 0).astype(np.float64)
        index = model.leaf_index_ if rows is None else model.leaf_index_[:, np.asarray(rows, dtype=np.int64)]
        claimed = model.forest_.gather(held, index)
        return claimed <= model.forest_.n_estimators / 2

    def set_aside(self, rows) -> None:
        """Rows no ranking proposes until brought back (a session's skipped rows): the queue
        does not show them, so a ranking whose top row was one would propose a row nobody
        labels, and no later label would count for it (its record and the streak would stop).

        >>> X = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), [[7, 7], [7, -7]]])
        >>> portfolio = Portfolio(AADForest(random_state=0).fit(X))
        >>> portfolio.set_aside({300}); portfolio.tops()
        (301, 301, 301, 301, 301)
        """
        self.aside = frozenset(int(r) for r in rows)
        self._proposals.clear()  # the cached proposals may be rows now set aside

    def record(self, row: int, label: int) -> None:
        """Take ``row``'s label as an outcome; call it *before* the model learns the label."""
        if self.model.labels_[row] != UNLABELLED or label == UNLABELLED:
            self._before.append(None)  # a correction or a retraction is no outcome
            return
        self._before.append(self.state)
        self.state = step(self.state, self.tops(), int(row), anomaly=bool(label == 1))

    def undo(self) -> None:
        """Restore the state before the last :meth:`record`."""
        before = self._before.pop()
        if before is not None:
            self.state = before

    def _closed(self) -> np.ndarray:
        """The rows no ranking may propose: labelled, or set aside."""
        closed = self.model.labels_ != UNLABELLED
        if self.aside:
            closed[list(self.aside)] = True
        return closed

    def _proposes(self, name: str) -> bool:
        """False for a dry-spell ranking once the model has a row labelled anomaly (read off its
        leaf counts: no pass over the rows)."""
        return name not in DRY_SPELL_ONLY or self.model._class_counts()[0] == 0

    def _top_k(self, name: str, labelled: np.ndarray, k: int) -> np.ndarray:
        return top_unlabelled(self.model.ranking(name), labelled, k)

    def _top(self, name: str, closed: list[np.ndarray] | None = None) -> int:
        """The mask of labelled rows is made only when a ranking is searched (a pass over every row),
        and kept in ``closed`` for the next ranking searched in the same call."""
        if not self._proposes(name):
            return -1
        if name in _FIXED:  # a fixed order: the first unlabelled row in it
            rows = getattr(self.model, "leaf_index_", None)  # a new array when rows are added or dropped
            if self._forest_order is None or self._ordered is not rows:
                self._forest_order = np.argsort(-self.model.ranking(name), kind="stable")
                self._ordered = rows
            for start in range(0, len(self._forest_order), 4096):  # labelled rows come first: a short scan
                chunk = self._forest_order[start : start + 4096]
                free = chunk[self.model.labels_[chunk] == UNLABELLED]
                free = [r for r in free.tolist() if r not in self.aside] if self.aside else free
                if len(free):
                    return int(free[0])
            return -1
        generation = getattr(self.model, "_generation", None)  # counts the model's changes of labels
        scores = self.model.ranking(name) if generation is None else None
        known = self._proposals.get(name)
        if known is not None and (known[0] == generation if scores is None else known[0]() is scores):
            return known[1]  # no label since (a label makes a new generation, a new ranking array)
        closed = [] if closed is None else closed
        if not closed:
            closed.append(self._closed())
        if scores is None:  # the model finds the row, without a ranking's array where it can
            self._search([name], closed)
            return self._proposals[name][1]
        top = top_unlabelled(scores, closed[0], 1)
        row = int(top[0]) if len(top) else -1
        self._proposals[name] = (weakref.ref(scores), row)  # no hold on a stale array
        return row
