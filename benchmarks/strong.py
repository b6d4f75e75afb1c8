"""The strong ranking's other dry-spell rules: measured on the tuning tables, not shipped.

The engine's second ranking, ``"strong"`` (:meth:`aad.AADForest.ranking`: the learned model
at twice the feedback strength), is asked in a dry spell before the first anomaly in a
*round* with the forest's order (:mod:`aad.portfolio.bandit`): after a streak of nominals,
each ranking proposing another row than the learned model's is asked once, the strong one
first. The rules it was chosen against, each a replacement installed by ``choose.py``:

* :func:`one_challenger_dry`: the rule of the portfolio of three: one challenger after a
  streak, the best record (before the first anomaly every record is even, so the lowest
  index: the strong ranking, never the forest);
* :func:`challenger_in_turn`: one challenger after a streak, the rankings taking turns;
* the strong ranking kept after the first anomaly (``choose.py`` empties
  :data:`aad.portfolio.queue.DRY_SPELL_ONLY`); the engine asks it only before.

``python benchmarks/choose.py --only strong --reruns 20`` measures them (README, *Which
ranking the queue follows*).
"""

from __future__ import annotations

from dataclasses import replace

from aad.portfolio import bandit, queue
from aad.portfolio.bandit import PortfolioState

#: The shipped rules, put back by ``choose.py`` between variants.
SHIPPED_CHALLENGER, SHIPPED_DRY = PortfolioState.challenger, bandit._dry
DRY_SPELL_ONLY = queue.DRY_SPELL_ONLY


def one_challenger_dry(state: PortfolioState, tops, row: int) -> PortfolioState:
    """A replacement for ``bandit._dry``: a challenger's nominal ends the round at once, so
    the dry spell asks one challenger per streak (with :data:`SHIPPED_CHALLENGER`, the best
    record: the first ranking proposing another row).

    >>> state = PortfolioState.start(4, patience=1)
    >>> state = one_challenger_dry(state, (1, 1, 1, 1), 1)
    >>> state.challenger((2, 3, 2, 4))
    1
    >>> one_challenger_dry(state, (2, 3, 2, 4), 3).backoff  # the forest is not asked
    1
    """
    followed = state.follows(tops, row)
    if followed == state.champion:
        return replace(state, streak=state.streak + 1)
    if followed is not None:
        return replace(state, streak=0, backoff=state.backoff + 1)
    return state


def challenger_in_turn(state: PortfolioState, tops) -> int | None:
    """A replacement for :meth:`PortfolioState.challenger` (with :func:`one_challenger_dry`):
    in a dry spell before the first anomaly the rankings proposing another row than the
    champion's are asked in turn (the ``backoff``-th of them); after it, the shipped rule.

    >>> state = PortfolioState.start(4)
    >>> challenger_in_turn(state, (1, 2, 1, 3)), challenger_in_turn(replace(state, backoff=1), (1, 2, 1, 3))
    (1, 3)
    """
    if state.found:
        return SHIPPED_CHALLENGER(state, tops)
    others = [k for k in range(len(tops)) if k != state.champion and tops[k] != tops[state.champion]]
    return others[state.backoff % len(others)] if others else None
