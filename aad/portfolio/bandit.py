"""Champion and challengers: which ranking the queue follows, learned from the labels.

A fitted model offers several rankings of the unlabelled rows (:data:`aad.model.RANKINGS`):
the learned model, the same at twice the feedback strength (asked only before the first
anomaly), a variant whose lift from found anomalies saturates, and the plain isolation
forest. Each ranking proposes its top row (a ranking with nothing to propose, -1); every
label is an outcome for the rankings that proposed that row (an anomaly is a hit, a nominal
a miss), so each ranking keeps a record of its proposals, ``Beta(1 + hits, 1 + misses)``.

The queue follows the **champion**, the ranking with the best record (the learned model
at first). When the champion's proposals come back nominal :data:`PATIENCE` times in a
row, the queue asks a **challenger** once: the ranking with the best record among those
proposing another row. A challenger whose record overtakes the champion's becomes the
champion. Each challenger in a row that comes back nominal doubles the patience (up to
``2 ** MAX_BACKOFF`` times), so a dry spell where nothing pays costs few queries away
from the champion, whose nominals teach the model the most. So the queue keeps
exploiting while it pays, and turns to rows the learned model does not favour when it
stops paying: when a kind of anomaly is used up, or when the found anomalies' neighbours
turn out nominal (scattered anomalies).

Until the first anomaly is found the rankings differ only in how much nominals count
(the strong ranking twice, the forest not at all; the saturating ranking is the learned
model then): no record is kept, but the champion's streak counts, so a dry spell before
the first anomaly asks challengers too, in a **round**: each ranking proposing another row
once (the strong ranking, then the forest), and only a round that comes back all nominal
doubles the patience. Their nominals teach the model as well; when one of their rows is the
first anomaly, the records start there with the learned model still the champion, and the
strong ranking proposes nothing from then on (:class:`~aad.portfolio.queue.Portfolio`:
after the first anomaly it gained nothing and, a challenger with the learned model's record,
took turns from the saturating ranking that finds the next kind). The
strong ranking leaves the regions labelled nominal twice as fast, so it reaches anomalies
hidden among nominals (a thin direction of correlated features, a tight cluster inside the
normal range) sooner; the forest reaches a kind the nominals labelled first would bury (a
cluster between two modes: ``benchmarks/between.py``, README *Where feedback does not
help*). Either alone loses what the other finds.

After the first anomaly the rankings share every row until they part, so a ranking never
asked has on record only the rows it shared with the champion. When the champion's nominal
(a row the forest did not propose) leaves the **forest's record ahead of the champion's**,
the forest is asked at once, a **first look** (``looks``), instead of after a streak of
:data:`PATIENCE`; a first look that misses does not double the patience (nor, under this
rule, does any ranking asked for the first time). Where the found anomalies' neighbours are
nominal (scattered anomalies, a spent kind) the forest's next row is the way out, and it is
asked a streak sooner. And a champion demoted by its own nominal **hands its streak on**
(``keeps_streak``): two rankings with close records would otherwise trade the lead at every
nominal, the streak would never reach the patience, and a third ranking would never be asked.
While the forest is due its look, a label of its top row from elsewhere (a search, a bulk
label) counts as the look, as a challenger's row does once the streak reached the patience.

The state is a pure fold over the labels' outcomes (:func:`step`), so it replays exactly
from a session's log and an undo is a pop.

``PATIENCE = 4`` and the doubling were chosen on 26 tuning tables made for the purpose
(``benchmarks/choose.py``: patience 3 to 6 find within 1 % of each other in total, 4 is
the middle; the doubling found 1.2 more then, 0.3 in a rerun, ``results/choose.md``), never
on the shipped datasets or the reported held-out tables. The challenger before the first
anomaly was kept on the same tables and the between-modes table: 1298.3 found with it, 1300.3
without (40 seeds; -2.0, paired standard error 2.1: ``results/choose_first_anomaly.md``),
and 2 runs of 50 that miss the cluster between two modes instead of 8 (on 100 trees, the
default then). The strong ranking and the round were kept on the same tables: 1342.0 found
against 1334.0 for the portfolio of three (20 seeds; +8.1, paired standard error 2.0:
``results/choose_strong_none.md``); the strong ranking as the one challenger of a dry spell
found 1344.8 but buried the cluster between two modes more often; kept after the first
anomaly it found as much (1341.9) and cost a kind on the card table of
``benchmarks/kinds.py --small`` (``results/choose_strong.md``, README). The forest's first
look with the streak handed on found 1.5 more on the same tables (60 seeds, paired standard
error 0.6: ``results/choose_forest_s_only*.md``, ``choose_streak_kept_seeds40-59.md``) and 1.5
more (0.9) on 19 tables drawn afresh to check it; a first look for every ranking, or one
while the champion hits at most half its rows, or the streak handed on alone, tied or lost
(``results/choose_a_first_look*.md``, README *What the rankings not followed would have found*).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

__all__ = ["MAX_BACKOFF", "PATIENCE", "PortfolioState", "step"]

#: Nominals in a row from the champion's proposals before one challenger is asked.
PATIENCE = 4
#: Challengers that came back nominal in a row double the patience, up to 2**MAX_BACKOFF times.
MAX_BACKOFF = 4
#: The fields of :class:`PortfolioState` that are its rule, not its record: kept when the
#: records start at the first anomaly (:meth:`PortfolioState.restarted`).
_SETTINGS = ("patience", "explores_early", "looks", "keeps_streak")


@dataclass(frozen=True)
class PortfolioState:
    """The record of every ranking, the champion and its streak of nominals.

    Attributes
    ----------
    hits, misses : tuple of int
        Per ranking: its proposals labelled anomaly / nominal.
    asked : tuple of bool
        Per ranking: whether the queue has followed it yet (only those can be champion).
    champion : int
        The ranking the queue follows.
    streak : int
        Nominals in a row among the champion's proposals.
    found : bool
        Whether an anomaly has been labelled yet (no record is kept before).
    patience : int
        Streak at which one challenger is asked, doubled for each challenger in a row that
        came back nominal (``backoff``): when exploring does not pay, explore less.
    backoff : int
        Challengers asked in a row whose row was nominal (before the first anomaly: rounds
        of challengers).
    explores_early : bool
        Whether a dry spell before the first anomaly asks a challenger too (the default; a
        session saved before the rule existed keeps False, the rule it was labelled under).
    tried : tuple of int
        Before the first anomaly: the challengers asked in the current round of the dry spell.
    looks : tuple of int
        The rankings given a first look (the forest's order, the leaf beliefs): never asked
        yet, one is asked after the champion's nominal once its record beats the champion's.
        Under this rule a ranking asked for the first time (a first look, or any challenger
        never asked before) does not double the patience when its row is nominal. Empty: no
        first look (the rule of sessions saved before it).
    keeps_streak : bool
        Whether a champion demoted by its own nominal hands its streak on to the new one
        (False: the streak starts again at every change, the rule of sessions saved before).

    Examples
    --------
    Three rankings; the row all three propose is an anomaly, then four of the champion's
    proposals (which the second ranking shares) come back nominal:

    >>> state = step(PortfolioState.start(3), (7, 7, 7), 7, anomaly=True)
    >>> for row in (8, 9, 10, 11):
    ...     state = step(state, (row, row, 5), row, anomaly=False)
    >>> state.hits, state.misses, state.streak, state.exploring
    ((1, 1, 1), (4, 4, 0), 4, True)
    >>> state.challenger((12, 12, 5))  # the forest proposes another row: it is asked
    2
    >>> state = step(state, (12, 12, 5), 5, anomaly=True)
    >>> state.champion, state.streak
    (2, 0)

    With a first look for the forest (``looks``), one nominal it did not propose is enough
    once it leaves the forest's record ahead of the champion's:

    >>> state = step(PortfolioState.start(3, looks=(2,)), (7, 7, 7), 7, anomaly=True)
    >>> state = step(state, (8, 8, 5), 8, anomaly=False)
    >>> state.means.round(2).tolist(), state.exploring, state.challenger((9, 9, 5))
    ([0.5, 0.5, 0.67], True, 2)
    """

    hits: tuple[int, ...]
    misses: tuple[int, ...]
    asked: tuple[bool, ...]
    champion: int = 0
    streak: int = 0
    found: bool = False
    patience: int = PATIENCE
    backoff: int = 0
    explores_early: bool = True
    tried: tuple[int, ...] = ()
    looks: tuple[int, ...] = ()
    keeps_streak: bool = False

    @classmethod
    def start(
        cls,
        n_rankings: int,
        *,
        patience: int = PATIENCE,
        explores_early: bool = True,
        looks: tuple[int, ...] = (),
        keeps_streak: bool = False,
    ) -> PortfolioState:
        """No record yet; the first ranking is the champion."""
        zeros = (0,) * n_rankings
        asked = (True,) + (False,) * (n_rankings - 1)
        return cls(
            zeros,
            zeros,
            asked,
            patience=patience,
            explores_early=explores_early,
            looks=tuple(looks),
            keeps_streak=keeps_streak,
        )

    def restarted(self) -> PortfolioState:
        """No record yet, under the same rule: the state's settings (``_SETTINGS``) kept."""
        return PortfolioState.start(len(self.hits), **{name: getattr(self, name) for name in _SETTINGS})

    @property
    def means(self) -> np.ndarray:
        """Posterior mean hit rate of every ranking, ``(1 + hits) / (2 + hits + misses)``."""
        hits, misses = np.asarray(self.hits, float), np.asarray(self.misses, float)
        return (1.0 + hits) / (2.0 + hits + misses)

    @property
    def exploring(self) -> bool:
        """Whether the next query may go to a challenger.

        It may when the streak reached the patience, or when a ranking is due its first look.
        """
        return self._due or bool(self._first_looks())

    @property
    def _due(self) -> bool:
        """Whether the streak reached the patience."""
        if not (self.found or self.explores_early):
            return False
        return self.streak >= self.patience * 2 ** min(self.backoff, MAX_BACKOFF)

    def _first_looks(self) -> list[int]:
        """The rankings due a first look: of ``looks``, never asked, their record ahead.

        Only after the first anomaly and a nominal from the champion.
        """
        if not self.found or self.streak < 1:
            return []
        means = self.means
        return [k for k in self.looks if not self.asked[k] and means[k] > means[self.champion]]

    def challenger(self, tops: Sequence[int]) -> int | None:
        """The ranking to ask when exploring, or None when there is none.

        A ranking due its first look that proposes another row than the champion's; else,
        once the streak reached the patience, the best record among those whose top row
        differs from the champion's (before the first anomaly, among those not yet asked in
        this round: the lowest first).
        """
        others = self._others(tops)
        candidates = [k for k in self._first_looks() if k in others]
        if not candidates and self._due:
            candidates = [k for k in others if self.found or k not in self.tried]
        if not candidates:
            return None
        means = self.means
        return max(candidates, key=lambda k: (means[k], -k))

    def _others(self, tops: Sequence[int]) -> list[int]:
        """The rankings that propose a row, another than the champion's."""
        champion = tops[self.champion]
        return [k for k in range(len(tops)) if k != self.champion and tops[k] not in (champion, -1)]

    def follows(self, tops: Sequence[int], row: int) -> int | None:
        """The ranking the queue followed when it showed ``row``: the champion when it
        proposed the row, the challenger when exploring and it did, else None."""
        if tops[self.champion] == row:
            return self.champion
        k = self.challenger(tops) if self.exploring else None
        return k if k is not None and tops[k] == row else None


def step(state: PortfolioState, tops: Sequence[int], row: int, *, anomaly: bool) -> PortfolioState:
    """The state after ``row``'s first label.

    Parameters
    ----------
    state : PortfolioState
    tops : sequence of int
        Per ranking, its proposal: its top unlabelled row just before the label.
    row : int
        The row labelled.
    anomaly : bool
        The label.
    """
    if not state.found and not anomaly:
        return _dry(state, tops, row) if state.explores_early else state
    if not state.found:  # the first anomaly: the records start now
        state = replace(state.restarted(), found=True)
    followed = state.follows(tops, row)
    proposed = [t == row for t in tops]
    hits = tuple(h + int(p and anomaly) for h, p in zip(state.hits, proposed, strict=True))
    misses = tuple(m + int(p and not anomaly) for m, p in zip(state.misses, proposed, strict=True))
    asked = tuple(a or k == followed for k, a in enumerate(state.asked))
    backoff = state.backoff
    if followed == state.champion:
        streak = 0 if anomaly else state.streak + 1
    elif followed is not None:  # a challenger was asked
        streak = 0
        fresh = bool(state.looks) and not state.asked[followed]  # its first question, under the look rule
        backoff = 0 if anomaly else backoff + int(not fresh)  # a first question missed is no backoff
    else:  # a row the queue did not propose (a bulk label, a search): the streak is not about it
        streak = state.streak
    champion = _best(hits, misses, asked, state.champion)
    if champion != state.champion:  # a champion demoted by its own nominal may hand its streak on
        handed = state.keeps_streak and not anomaly and followed == state.champion
        streak = streak if handed else 0
    return replace(
        state, hits=hits, misses=misses, asked=asked, champion=champion, streak=streak, backoff=backoff
    )


def _dry(state: PortfolioState, tops: Sequence[int], row: int) -> PortfolioState:
    """A nominal before the first anomaly: no record, but the streak counts as later, so a
    dry spell asks a round of challengers; a round all nominal counts as one challenger
    missed (the backoff)."""
    followed = state.follows(tops, row)
    if followed == state.champion:
        return replace(state, streak=state.streak + 1)
    if followed is None:
        return state
    tried = (*state.tried, followed)  # a challenger asked, its row nominal too
    if any(k not in tried for k in state._others(tops)):
        return replace(state, tried=tried)  # the round goes on: the streak still asks
    return replace(state, streak=0, backoff=state.backoff + 1, tried=())


def _best(hits: tuple[int, ...], misses: tuple[int, ...], asked: tuple[bool, ...], champion: int) -> int:
    """The ranking with the best record among those the queue has followed (ties: the lowest)."""
    means = [(1 + h) / (2 + h + m) for h, m in zip(hits, misses, strict=True)]
    followed = [k for k in range(len(hits)) if asked[k]]
    return max(followed, key=lambda k: (means[k], -k))
