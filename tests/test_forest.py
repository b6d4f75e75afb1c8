"""The forest in AAD form: leaves, regions, and the isolation-forest score."""

from __future__ import annotations

import numpy as np

import aad
from aad.forest import average_path_length, fit_forest


def test_average_path_length_matches_the_formula():
    n = np.array([1, 2, 3, 256])
    harmonic = np.log(n[2:] - 1) + np.euler_gamma
    expected = np.r_[0.0, 1.0, 2 * harmonic - 2 * (n[2:] - 1) / n[2:]]
    np.testing.assert_allclose(average_path_length(n), expected)


def test_leaf_index_is_compact_and_consistent(planted):
    forest = fit_forest(planted, n_estimators=20, random_state=0)
    index = forest.apply(planted)
    assert index.shape == (20, len(planted))
    assert index.dtype == np.uint8
    assert (index < np.diff(forest.leaf_offset)[:, None]).all()
    np.testing.assert_array_equal(index, forest.apply(planted, n_jobs=1))


def test_every_row_lies_in_the_box_of_its_leaf(planted):
    forest = fit_forest(planted, n_estimators=10, random_state=1)
    index = forest.apply(planted)
    for t in range(forest.n_estimators):
        leaves = forest.leaf_node[forest.leaf_offset[t] + index[t]]
        lower, upper = forest.nodes.bounds(leaves)
        assert ((planted > lower) & (planted <= upper)).all()


def test_boxes_of_a_tree_partition_the_space(planted):
    forest = fit_forest(planted, n_estimators=3, random_state=2)
    rng = np.random.default_rng(0)
    points = rng.uniform(-10, 10, size=(500, 2))
    t0, t1 = forest.leaf_offset[0], forest.leaf_offset[1]
    lower, upper = forest.nodes.bounds(forest.leaf_node[t0:t1])
    inside = ((points[:, None, :] > lower) & (points[:, None, :] <= upper)).all(axis=2)
    assert (inside.sum(axis=1) == 1).all()


def test_boxes_route_float64_values_next_to_a_threshold_like_the_trees(planted):
    forest = fit_forest(planted, n_estimators=5, random_state=8)
    splits = np.flatnonzero(forest.nodes.feature >= 0)[:40]
    for node in splits:
        f, t = forest.nodes.feature[node], forest.nodes.threshold[node]
        near = np.array([np.nextafter(t, -np.inf), t, np.nextafter(t, np.inf), t + 1e-9, t - 1e-9])
        X = np.tile(planted[:1], (len(near), 1))
        X[:, f] = near
        tree = forest.nodes.tree[node]
        route = forest.iforest.estimators_[tree].tree_.decision_path(X.astype(np.float32)).toarray()
        local_left = forest.nodes.left[node] - forest.nodes.tree_offset[tree]
        reaches = route[:, node - forest.nodes.tree_offset[tree]] == 1
        went_left = route[:, local_left] == 1
        np.testing.assert_array_equal(went_left[reaches], (near <= t)[reaches])


def test_mean_path_length_reproduces_the_isolation_forest_score(planted):
    forest = fit_forest(planted, random_state=3)
    index = forest.apply(planted)
    mean_path = forest.gather(forest.path_length, index) / forest.n_estimators
    ours = 2.0 ** (-mean_path / average_path_length(forest.max_samples))
    np.testing.assert_allclose(ours, -forest.iforest.score_samples(planted), rtol=1e-12)


def test_same_seed_same_forest_other_seed_other_forest(planted):
    a, b, c = (fit_forest(planted, n_estimators=5, random_state=s) for s in (4, 4, 5))
    np.testing.assert_array_equal(a.nodes.threshold, b.nodes.threshold)
    assert len(a.nodes) != len(c.nodes) or not np.array_equal(
        a.nodes.threshold, c.nodes.threshold, equal_nan=True
    )


def test_information_is_log2_of_the_sample_share(planted):
    forest = fit_forest(planted, n_estimators=5, random_state=6)
    size = forest.nodes.n_samples[forest.leaf_node]
    np.testing.assert_allclose(forest.information, np.log2(256 / size))
    assert isinstance(forest, aad.LeafForest)
