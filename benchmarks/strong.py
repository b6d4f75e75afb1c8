"""The learned model at twice the feedback strength, as one more ranking of the portfolio.

A candidate for the engine, measured and not yet shipped (README, *Which ranking the queue
follows*). The learned model's raw score is linear in the strength ``eta``,

    s_eta(x) = s_0(x) + eta * u(x),

``s_0`` the forest's score and ``u`` the labels' update, so the same model at ``2 eta`` is
``2 s_eta - s_0``: one vectorised pass, no second model. Second in the portfolio it finds
10.8 more on the tuning tables (20 seeds), all of it as the challenger of a dry spell before
the first anomaly, where nominals push it away from the regions they fill twice as fast
(anomalies off a thin direction of correlated features, a tight cluster inside the normal
range); the shipped queue asks the forest's order there, and a cluster that only the forest
still ranks high (``between.py``) is what it costs. ``FROM_FIRST_ANOMALY`` and
:func:`challenger_in_turn` are the two repairs measured (README). ``choose.py --only "strong
feedback"`` measures every variant on the tuning tables.
"""

from __future__ import annotations

import numpy as np

from aad.model import AADForest
from aad.portfolio.bandit import PortfolioState

_SHIPPED_CHALLENGER = PortfolioState.challenger

#: How many times the learned model's strength the ranking pushes.
GAIN = 2.0
#: Whether the ranking is the learned model itself until the first anomaly is labelled (so that
#: in a dry spell, when nominals alone only bury rows, the challenger is the forest's order).
FROM_FIRST_ANOMALY = False


def challenger_in_turn(state: PortfolioState, tops) -> int | None:
    """A replacement for :meth:`PortfolioState.challenger`: in a dry spell before the first
    anomaly the rankings proposing another row than the champion's are asked in turn (the
    ``backoff``-th of them), not the best record; after it, the shipped rule.

    >>> from dataclasses import replace
    >>> state = PortfolioState.start(4)
    >>> challenger_in_turn(state, (1, 2, 1, 3)), challenger_in_turn(replace(state, backoff=1), (1, 2, 1, 3))
    (1, 3)
    """
    if state.found:
        return _SHIPPED_CHALLENGER(state, tops)
    others = [k for k in range(len(tops)) if k != state.champion and tops[k] != tops[state.champion]]
    return others[state.backoff % len(others)] if others else None


class StrongForest(AADForest):
    """:class:`aad.AADForest` with a fourth ranking, ``"strong"`` (recomputed at each call).

    >>> X = np.vstack([np.random.default_rng(0).normal(size=(200, 2)), [[6, 6], [6, 5.5]]])
    >>> model = StrongForest(random_state=0).fit(X)
    >>> model.set_label(200, "anomaly"); model.set_label(0, "nominal")
    >>> strong, learned, forest = (model.ranking(r) for r in ("strong", "feedback", "forest"))
    >>> bool(np.allclose(strong - forest, GAIN * (learned - forest)))
    True
    >>> int(np.where(model.labels_ == -1, strong, -np.inf).argmax())
    201
    """

    @property
    def rankings_(self) -> tuple[str, ...]:
        return (*super().rankings_, "strong")

    def ranking(self, name: str = "feedback") -> np.ndarray:
        if name != "strong":
            return super().ranking(name)
        forest, learned = super().ranking("forest"), super().ranking("feedback")
        if FROM_FIRST_ANOMALY and not self.n_anomalies_:
            return learned
        return forest + GAIN * (learned - forest)
