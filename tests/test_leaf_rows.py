"""The inverted leaf index: every leaf's rows, in two bytes per row."""

from __future__ import annotations

import numpy as np
import pytest

import aad
from aad.leaf_rows import LeafRows, add_to_leaf_rows


@pytest.mark.parametrize(
    ("n_rows", "n_leaves", "dtype"), [(1, 1, np.uint8), (70_000, 256, np.uint8), (300_000, 600, np.uint16)]
)
def test_every_leaf_gives_back_exactly_its_rows_in_order(n_rows, n_leaves, dtype):
    leaves = np.random.default_rng(n_rows).integers(0, n_leaves, n_rows).astype(dtype)
    index = LeafRows.build(leaves, n_leaves=n_leaves)
    for leaf in range(n_leaves):
        np.testing.assert_array_equal(index.rows(leaf), np.flatnonzero(leaves == leaf))


def test_the_index_holds_two_bytes_per_row():
    leaves = np.random.default_rng(0).integers(0, 256, 1_000_000).astype(np.uint8)
    index = LeafRows.build(leaves, n_leaves=256)
    assert index.nbytes < 2.2 * len(leaves)  # 32-bit row numbers took 4


def test_a_model_indexes_every_row_of_every_tree():
    X = np.random.default_rng(0).normal(size=(3000, 3))
    model = aad.AADForest(n_estimators=7, random_state=0).fit(X)
    for t, index in enumerate(model._inverted):
        k = int(model.leaf_index_[t, 42])
        np.testing.assert_array_equal(index.rows(k), np.flatnonzero(model.leaf_index_[t] == k))


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("scale", [1, 2**32])  # the second sums past 2**53: added in integers, tree by tree
def test_a_label_adds_each_accumulators_steps_to_exactly_the_rows_of_its_leaves(workers, scale):
    """Several accumulators in one pass, over blocks of 65,536 rows: what adding each tree's step
    to its leaf's rows one by one gives, to the unit (the model's undo relies on it)."""
    rng = np.random.default_rng(1)
    n_rows, n_trees = 200_000, 6
    leaf_index = rng.integers(0, 40, size=(n_trees, n_rows)).astype(np.uint8)
    indexes = [LeafRows.build(leaf_index[t], n_leaves=40) for t in range(n_trees)]
    leaves = rng.integers(0, 40, n_trees).tolist()
    steps = [rng.integers(-(2**20), 2**20, n_trees) * scale for _ in range(3)]
    start = rng.integers(-(2**40), 2**40, size=(3, n_rows))
    totals = start.copy()
    add_to_leaf_rows(indexes, leaves, [(totals[k], steps[k]) for k in range(3)], workers=workers)
    expected = start.copy()
    for k in range(3):
        for t in range(n_trees):
            expected[k, leaf_index[t] == leaves[t]] += int(steps[k][t])
    np.testing.assert_array_equal(totals, expected)


def test_steps_whose_sum_overflows_int64_are_still_added_exactly():
    """The check for an exact float64 sum is made in float64: in int64 the absolute steps'
    sum wrapped negative and the float path was taken (row 0 came out 0 instead of 1)."""
    trees = [LeafRows.build(np.zeros(3, dtype=np.uint8), n_leaves=1) for _ in range(3)]
    total = np.zeros(3, dtype=np.int64)
    add_to_leaf_rows(trees, [0, 0, 0], [(total, np.array([2**62, -(2**62) + 1, 2**62]))])
    assert total.tolist() == [2**62 + 1] * 3
