"""Rules: canonical form, equality by meaning, masks, formatting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aad
from aad.rules import Predicate, Rule

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
predicates = st.builds(Predicate, st.integers(0, 3), st.sampled_from(["<=", ">"]), finite)


def brute_force(rule: Rule, X: np.ndarray) -> np.ndarray:
    out = []
    for x in X:
        ok = True
        for p in rule.predicates:
            value = x[p.feature]
            ok = ok and (value <= p.threshold if p.op == "<=" else value > p.threshold)
        out.append(bool(ok))
    return np.array(out, dtype=bool)


def test_canonical_form_keeps_the_tightest_bound_per_feature_and_side():
    rule = Rule(
        [
            Predicate(2, "<=", 5.0),
            Predicate(0, ">", 1.0),
            Predicate(2, "<=", 3.0),
            Predicate(0, ">", 2.0),
            Predicate(0, "<=", 9.0),
        ]
    )
    assert rule.predicates == (Predicate(0, ">", 2.0), Predicate(0, "<=", 9.0), Predicate(2, "<=", 3.0))
    assert rule.features == (0, 2)
    assert len(rule) == 3


def test_equal_meaning_means_equal_and_same_hash():
    a = Rule([Predicate(1, ">", 0.5), Predicate(0, "<=", 2.0), Predicate(0, "<=", 3.0)])
    b = Rule([Predicate(0, "<=", 2.0), Predicate(1, ">", 0.5)])
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, Rule([Predicate(0, "<=", 2.5)])}) == 2


def test_rules_are_immutable():
    rule = Rule([Predicate(0, ">", 1.0)])
    with pytest.raises(AttributeError):
        rule.predicates = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        rule.predicates[0].threshold = 2.0  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(predicates, max_size=6),
    st.lists(st.lists(st.one_of(finite, st.just(np.nan)), min_size=4, max_size=4), min_size=1, max_size=30),
)
def test_mask_equals_a_brute_force_loop(preds, rows):
    rule = Rule(preds)
    X = np.array(rows, dtype=np.float64)
    np.testing.assert_array_equal(rule.mask(X), brute_force(rule, X))
    # the canonical rule means the same as the raw conjunction
    raw = np.ones(len(X), bool)
    for p in preds:
        raw &= p.mask(X)
    np.testing.assert_array_equal(rule.mask(X), raw)


def test_a_missing_value_in_a_tested_feature_leaves_the_row_uncovered():
    rule = Rule([Predicate(0, ">", 0.0), Predicate(1, "<=", 1.0)])
    X = np.array([[1.0, 0.0], [np.nan, 0.0], [1.0, np.nan], [1.0, 2.0]])
    assert rule.mask(X).tolist() == [True, False, False, False]
    assert Rule([Predicate(1, "<=", 1.0)]).mask(np.array([[np.nan, 0.0]])).tolist() == [True]


def test_format_uses_column_names_and_exact_thresholds():
    rule = Rule([Predicate(7, ">", 0.4), Predicate(1, ">", 3.2), Predicate(1, "<=", 5.0)])
    names = [f"x{i}" for i in range(8)]
    assert rule.format(names) == "3.2 < x1 <= 5.0 and x7 > 0.4"
    assert str(Rule()) == "true"
    tiny = Rule([Predicate(0, "<=", 0.1 + 0.2)])
    text = tiny.format(["amount"])
    assert float(text.split("<= ")[1]) == 0.1 + 0.2


@given(st.lists(predicates, min_size=1, max_size=6))
def test_thresholds_round_trip_through_the_formatted_text(preds):
    rule = Rule(preds)
    tokens = rule.format(["a", "b", "c", "d"]).replace(" and ", " ").split()
    numbers = sorted(float(t) for t in tokens if t not in {"a", "b", "c", "d", "<", "<=", ">"})
    assert numbers == sorted(p.threshold for p in rule.predicates)


def test_bounds_round_trip():
    lower = np.array([-np.inf, 1.5, -2.0])
    upper = np.array([3.0, np.inf, 4.0])
    rule = Rule.from_bounds(lower, upper)
    got_lower, got_upper = rule.bounds(3)
    np.testing.assert_array_equal(got_lower, lower)
    np.testing.assert_array_equal(got_upper, upper)


def test_region_rules_select_the_rows_the_trees_route_there():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    model = aad.AADForest(n_estimators=5, random_state=0).fit(X)
    forest = model.forest_
    leaves = forest.leaf_node[forest.leaf_offset[0] : forest.leaf_offset[1]]
    lower, upper = forest.nodes.bounds(leaves)
    masks = np.array([Rule.from_bounds(lo, hi).mask(X) for lo, hi in zip(lower, upper, strict=True)])
    np.testing.assert_array_equal(masks.sum(axis=0), np.ones(300))  # the leaves of a tree partition the rows
    np.testing.assert_array_equal(np.argmax(masks, axis=0), model.leaf_index_[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, "<", 1.0), "op must be '<=' or '>'"),
        ((0, ">", float("nan")), "threshold must be finite"),
        ((0, ">", float("inf")), "threshold must be finite"),
        ((-1, ">", 1.0), "feature must be a column number"),
        ((0, ">", "abc"), "threshold must be a number"),
    ],
)
def test_bad_predicates_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        Predicate(*args)


def test_a_rule_on_a_missing_column_says_so():
    rule = Rule([Predicate(4, ">", 0.0)])
    with pytest.raises(aad.DataError, match="tests feature 4 but the data has 2 column"):
        rule.mask(np.zeros((3, 2)))
    with pytest.raises(aad.DataError, match="only 2 feature name"):
        rule.format(["a", "b"])
    with pytest.raises(TypeError, match="Predicate objects"):
        Rule(["x0 > 1"])  # type: ignore[list-item]
