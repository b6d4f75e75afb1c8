"""The inverted leaf index: every leaf's rows, in two bytes per row."""

from __future__ import annotations

import numpy as np
import pytest

import aad
from aad.leaf_rows import LeafRows


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
