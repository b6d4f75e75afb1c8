"""Query strategies: one contract for every registered strategy."""

from __future__ import annotations

import numpy as np
import pytest

import aad
from aad.query import QueryContext, select_queries, top_unlabelled


@pytest.fixture(scope="module")
def context(clustered) -> QueryContext:
    X, _y = clustered
    model = aad.AADForest(n_estimators=30, random_state=0).fit(X)
    model.set_labels([400, 3, 7], [1, 0, 0])
    return QueryContext(model.anomaly_score(), model.labels_ != aad.UNLABELLED, model=model, X=X)


@pytest.mark.parametrize("strategy", aad.strategy_names())
@pytest.mark.parametrize("k", [1, 5])
def test_every_strategy_returns_distinct_unlabelled_rows(context, strategy, k):
    rows = select_queries(context, k, strategy=strategy, random_state=3)
    assert len(rows) == k
    assert len(set(rows.tolist())) == k
    assert not context.labelled[rows].any()
    again = select_queries(context, k, strategy=strategy, random_state=3)
    np.testing.assert_array_equal(rows, again)


@pytest.mark.parametrize("strategy", aad.strategy_names())
def test_every_strategy_stops_at_the_unlabelled_rows(strategy, context):
    labelled = np.ones_like(context.labelled)
    labelled[[10, 20]] = False
    small = QueryContext(context.scores, labelled, model=context.model, X=context.X)
    assert sorted(select_queries(small, 5, strategy=strategy, random_state=0).tolist()) == [10, 20]


def test_top_is_the_highest_scores_in_order(context):
    rows = select_queries(context, 4)
    free = np.flatnonzero(~context.labelled)
    expected = free[np.argsort(-context.scores[free], kind="stable")][:4]
    np.testing.assert_array_equal(rows, expected)


def test_ties_go_to_the_lower_row_number():
    scores = np.array([1.0, 3.0, 3.0, 3.0, 0.0])
    assert top_unlabelled(scores, np.array([False, False, True, False, False]), 2).tolist() == [1, 3]


def test_unknown_strategy_lists_the_choices(context):
    with pytest.raises(aad.UnknownStrategyError, match=r"unknown query strategy 'best'; choose one of .*top"):
        select_queries(context, 1, strategy="best")


def test_the_top_row_of_a_big_table_is_the_first_of_its_ties_and_never_labelled():
    # 600,000 rows: three blocks, searched on every core; a tie across blocks goes to the lowest row
    scores = np.zeros(600_000)
    scores[[550_000, 300_000, 400_000]] = 5.0
    labelled = np.zeros(600_000, dtype=bool)
    assert top_unlabelled(scores, labelled, 1).tolist() == [300_000]
    labelled[300_000] = True
    assert top_unlabelled(scores, labelled, 1).tolist() == [400_000]
    labelled[:] = True
    assert top_unlabelled(scores, labelled, 1).tolist() == []


@pytest.mark.parametrize(
    "scores",
    [
        np.zeros(3, np.uint8),
        np.array([5, np.iinfo(np.int64).min, np.iinfo(np.int64).min]),
        np.array([7.0, -np.inf, 2.0]),
    ],
)
def test_the_best_open_row_is_found_whatever_its_score_even_the_types_lowest(scores):
    """Closed rows are masked with the type's lowest value; an open row scoring just that is
    still the best open row (the search of one and of two rows agree), not "every row closed"."""
    closed = np.array([True, False, False])
    assert top_unlabelled(scores, closed, 1).tolist() == top_unlabelled(scores, closed, 2).tolist()[:1]
    assert top_unlabelled(scores, np.ones(3, bool), 1).tolist() == []


@pytest.fixture
def registry(monkeypatch):
    """Strategies registered by a test stay in the test."""
    monkeypatch.setattr(aad.query, "_REGISTRY", dict(aad.query._REGISTRY))


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ([0, 3], "returned row 0, which is labelled"),
        ([3, 3], "returned the same row twice"),
        ([3, 10**6], "returned row 1000000, outside 0 to 5"),
        ([3, -1], "returned row -1, outside 0 to 5"),
        ([1.5, 2.7], "returned float64 values of shape \\(2,\\), not row numbers"),  # not truncated to 1, 2
        ([3, 4, 5], "returned 3 rows for a batch of 2"),
        ([3], "returned 1 rows for a batch of 2"),
    ],
)
def test_a_custom_strategys_rows_are_checked_against_the_contract(registry, returned, message):
    aad.register_strategy("custom")(lambda context, k, rng: np.asarray(returned))
    context = aad.QueryContext(np.linspace(0, 1, 6), np.r_[True, False, False, False, False, False])
    with pytest.raises(
        aad.AADError, match=f"query strategy 'custom' {message}; a strategy returns k distinct"
    ):
        aad.select_queries(context, 2, strategy="custom")


def test_strategy_names_and_the_queries_arguments_are_checked(registry):
    with pytest.raises(aad.AADError, match="a query strategy's name must be a non-empty text; got 5"):
        aad.register_strategy(5)
    with pytest.raises(aad.AADError, match="named 'top' is registered already; pick another name, or pass"):
        aad.register_strategy("top")(lambda context, k, rng: [])
    assert aad.strategy_names()  # still sortable: no number among the names
    context = aad.QueryContext(np.array([0.1, 0.9, 0.5]), np.array([0, 1, 0]))  # 0/1: not row numbers
    assert aad.select_queries(context, 1).tolist() == [2]
    with pytest.raises(aad.AADError, match="the batch size must be a whole number, at least 1; got '2'"):
        aad.select_queries(context, "2")
    with pytest.raises(
        aad.AADError, match=r"random_state must be None, a seed \(integers >= 0\) or a Generator; got -1"
    ):
        aad.select_queries(context, 1, strategy="top-random", random_state=-1)
    with pytest.raises(aad.AADError, match=r"shapes \(3,\) and \(2,\)"):
        aad.QueryContext(np.array([0.1, 0.9, 0.5]), np.array([False, True]))
    with pytest.raises(aad.AADError, match=r"QueryContext's scores hold NaN, at row 1; rank finite scores"):
        aad.QueryContext(np.array([0.5, np.nan, 0.2]), np.zeros(3, bool))
