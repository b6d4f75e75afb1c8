"""The query portfolio: the labels decide which ranking the queue follows.

A model learned from labels can be trusted too much: on a table whose anomalies share
nothing, the rows around a found anomaly are nominal; on a table with several kinds, the
rows around a used-up kind keep ranking first. The portfolio keeps each of the model's
rankings (:data:`aad.model.RANKINGS`: the learned model, the same at twice the strength, a
saturating variant, the plain forest, the local leaf beliefs) on a record of its proposals'
labels and follows the best one, asking another after a run of nominals
(:mod:`aad.portfolio.bandit`).
:class:`Portfolio` binds it to a model; :class:`aad.learner.ActiveLearner` uses it when
``queue="adaptive"`` (the default).
"""

from .bandit import PATIENCE, PortfolioState, step
from .queue import Portfolio

__all__ = ["PATIENCE", "Portfolio", "PortfolioState", "step"]
