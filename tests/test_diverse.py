"""Diverse query batches: top-random, bal-d and bal-e (the shared contract is in test_query.py)."""

from __future__ import annotations

import numpy as np
import pytest

import aad
from aad.diverse import candidate_pool, pool_size
from aad.query import QueryContext, select_queries


@pytest.fixture(scope="module")
def two_kinds() -> tuple[np.ndarray, aad.AADForest]:
    """400 nominal rows and two tight clusters of anomalies on either side: rows 400-405 and 406-411."""
    rng = np.random.default_rng(5)
    X = np.vstack(
        [
            rng.normal(size=(400, 2)),
            rng.normal([6.0, 0.0], 0.05, size=(6, 2)),
            rng.normal([-6.0, 0.0], 0.05, size=(6, 2)),
        ]
    )
    model = aad.AADForest(random_state=0).fit(X)
    return X, model


def context_for(X, model, scores=None) -> QueryContext:
    scores = model.anomaly_score() if scores is None else scores
    return QueryContext(scores, model.labels_ != aad.UNLABELLED, model=model, X=X)


def kinds(rows) -> set[str]:
    return {"A" if 400 <= r < 406 else "B" if r >= 406 else "nominal" for r in np.asarray(rows).tolist()}


def test_top_spends_a_batch_on_one_kind_when_it_ranks_first(two_kinds):
    X, model = two_kinds
    scores = model.anomaly_score().copy()
    scores[400:406] += 10.0  # kind A ranks first
    assert kinds(select_queries(context_for(X, model, scores), 2, strategy="top")) == {"A"}


@pytest.mark.parametrize("strategy", ["bal-d", "bal-e"])
def test_diverse_strategies_spend_the_batch_on_both_kinds(two_kinds, strategy):
    X, model = two_kinds
    scores = model.anomaly_score().copy()
    scores[400:406] += 10.0
    scores[406:412] += 5.0  # kind B ranks just below kind A
    rows = select_queries(context_for(X, model, scores), 3, strategy=strategy, random_state=0)
    assert kinds(rows) == {"A", "B"}
    assert rows[0] == np.argmax(scores)  # the most anomalous row is always asked


def test_top_random_draws_from_the_pool_with_the_seed(two_kinds):
    X, model = two_kinds
    context = context_for(X, model)
    pool = set(candidate_pool(context, 3).tolist())
    draws = {
        tuple(select_queries(context, 3, strategy="top-random", random_state=s).tolist()) for s in range(8)
    }
    assert all(set(d) <= pool for d in draws)
    assert len(draws) > 1


def test_the_pool_stays_among_rows_the_model_thinks_anomalous():
    scores = np.arange(1000, dtype=float)
    labelled = np.zeros(1000, dtype=bool)
    context = QueryContext(scores, labelled)
    assert candidate_pool(context, 3).tolist() == list(range(999, 990, -1))  # 3 k rows, all in the top 3 %
    labelled[970:] = True  # the top 3 % is labelled: the batch is the plain top k
    assert candidate_pool(context, 3).tolist() == [969, 968, 967]
    assert pool_size(5) == 15


@pytest.mark.parametrize("strategy", ["bal-d", "bal-e"])
def test_strategies_that_need_the_features_say_so(strategy):
    context = QueryContext(np.arange(100, dtype=float), np.zeros(100, dtype=bool))
    with pytest.raises(aad.DataError, match=f"query strategy '{strategy}'"):
        select_queries(context, 2, strategy=strategy)


@pytest.mark.parametrize("strategy", ["bal-d", "bal-e"])
def test_diverse_batches_reveal_more_anomaly_classes_on_toy2(toy2, strategy):
    classes = aad.load_classes("toy2")
    top = aad.simulate(toy2, budget=45, reruns=3, batch_size=3, classes=classes).to_dict()
    diverse = aad.simulate(
        toy2, budget=45, reruns=3, batch_size=3, strategy=strategy, classes=classes
    ).to_dict()
    assert diverse["mean_classes_per_batch"] > top["mean_classes_per_batch"]
    assert diverse["mean_found"][-1] >= top["mean_found"][-1] - 2.0
