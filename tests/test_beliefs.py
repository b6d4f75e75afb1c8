"""The local leaf beliefs (``AADForest.ranking("beliefs")``, :mod:`aad.beliefs`): kept label by
label, exactly as a recount computes them; local; asked by the queue with a first look."""

import numpy as np
import pytest

import aad
from aad.beliefs import QUANTUM, posterior_means, prior
from aad.portfolio import Portfolio


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(600, 3)), rng.normal(6, 0.2, size=(8, 3)), [[-7, 7, 0], [7, -7, 0]]])
    return X, aad.AADForest(n_estimators=40, max_samples=128, random_state=0).fit(X)


def _recomputed(model) -> np.ndarray:
    """The beliefs from the leaf counts alone, as BALIF states them: each leaf's posterior mean
    ``(a0 + anomalies) / (a0 + b0 + labels)``, averaged over the trees of a row's leaves."""
    a0, b0 = prior(model.forest_)
    anomalies = np.zeros(model.forest_.n_leaves)
    nominals = np.zeros(model.forest_.n_leaves)
    for t in range(model.n_estimators_):
        leaves = model.forest_.leaf_offset[t] + model.leaf_index_[t]
        np.add.at(anomalies, leaves[model.labels_ == 1], 1)
        np.add.at(nominals, leaves[model.labels_ == 0], 1)
    means = posterior_means(a0, b0, anomalies, nominals)
    return model.forest_.gather(means.astype(np.float64), model.leaf_index_) / (model.n_estimators_ * QUANTUM)


def test_the_beliefs_kept_label_by_label_equal_a_recount(fitted):
    _, fitted_model = fitted
    model = fitted_model.copy()
    model.ranking("beliefs")  # kept from here on
    labels = [(600, 1), (3, 0), (601, 1), (608, 1), (3, 1), (50, 0), (601, -1)]  # a correction, a retraction
    for row, label in labels:
        model.set_label(row, label)
    kept = model.ranking("beliefs")
    assert np.array_equal(kept, _recomputed(model))
    fresh = fitted_model.copy()
    fresh.set_labels(np.flatnonzero(model.labels_ != -1), model.labels_[model.labels_ != -1])
    assert np.array_equal(fresh.ranking("beliefs"), kept)  # asked only after the labels: counted at once


def test_undoing_every_label_gives_back_the_beliefs_bit_for_bit(fitted):
    _, fitted_model = fitted
    model = fitted_model.copy()
    before = model.ranking("beliefs").copy()
    rows = [600, 3, 608, 50, 609]
    model.set_labels(rows, [1, 0, 1, 0, 1])
    assert not np.array_equal(model.ranking("beliefs"), before)
    for row in rows:
        model.unlabel(row)
    assert np.array_equal(model.ranking("beliefs"), before)


def test_a_label_moves_only_the_rows_that_share_one_of_its_leaves(fitted):
    """The update is local: a nominal lowers the rows of its leaves, and no other row moves
    (the learned model moves every row, through the class weights)."""
    _, fitted_model = fitted
    model = fitted_model.copy()
    before = model.ranking("beliefs").copy()
    model.set_label(609, "nominal")
    after = model.ranking("beliefs")
    shares = (model.leaf_index_ == model.leaf_index_[:, [609]]).any(axis=0)
    assert np.array_equal(after[~shares], before[~shares])
    assert after[609] < before[609]
    assert (after[shares] <= before[shares]).all()


def test_before_any_label_the_beliefs_rank_the_isolated_rows_first(fitted):
    """The prior is the forest's score: the ten planted rows (a far cluster, two scattered) lead."""
    _, model = fitted
    top = np.argsort(-model.ranking("beliefs"), kind="stable")[:10]
    assert sorted(top.tolist()) == list(range(600, 610))


def test_a_nominal_hands_the_top_to_rows_in_leaves_nobody_has_labelled(fitted):
    """BALIF's way to another kind: one row of the far cluster labelled nominal takes the
    cluster's leaves out of the beliefs, and the two scattered rows, in leaves nobody has
    labelled, come first."""
    _, fitted_model = fitted
    model = fitted_model.copy()
    model.set_label(603, "nominal")
    scores = np.where(model.labels_ == -1, model.ranking("beliefs"), -np.inf)
    assert sorted(np.argsort(-scores, kind="stable")[:2].tolist()) == [608, 609]


def test_the_portfolio_gives_the_beliefs_a_first_look_as_it_gives_the_forest(fitted):
    _, fitted_model = fitted
    model = fitted_model.copy()
    portfolio = Portfolio(model)
    assert portfolio.rankings == ("feedback", "strong", "saturating", "forest", "beliefs")
    assert portfolio.state.looks == (3, 4)
    assert Portfolio(model, first_look=False).state.looks == ()


def test_a_learner_without_the_beliefs_keeps_the_four_rankings(fitted):
    X, fitted_model = fitted
    learner = aad.ActiveLearner(fitted_model.copy(), X, beliefs_ranking=False)
    assert learner.portfolio.rankings == ("feedback", "strong", "saturating", "forest")
    alone = aad.ActiveLearner(fitted_model.copy(), X, queue="beliefs")
    assert alone.following == "beliefs"
    assert 600 <= int(alone.next_queries(1)[0]) < 610


def test_the_hinge_loss_offers_no_beliefs_to_the_queue(fitted):
    X, _ = fitted
    model = aad.AADForest(n_estimators=10, loss="hinge", random_state=0).fit(X)
    assert model.rankings_ == ("feedback", "forest")


def test_the_extended_forest_has_beliefs_from_its_path_lengths():
    pytest.importorskip("isotree")
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(300, 2)), [[6, 6]]])
    model = aad.ExtendedAADForest(n_estimators=20, random_state=0).fit(X)
    assert "beliefs" in model.rankings_
    assert int(np.argmax(model.ranking("beliefs"))) == 300


def test_every_rankings_best_row_is_its_top_unlabelled_row_ties_to_the_lowest():
    """``best_unlabelled`` (the queue's search: every ranking in one pass, the learned and
    saturating rankings a block of rows at a time, the beliefs on their integer sums) finds the
    rows the rankings' arrays would give, ties included; -1 when every row is closed."""
    from aad.query import top_unlabelled

    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(size=(300, 2)), [[5, 5]] * 4, [[-5, 5]] * 3])  # duplicates: tied scores
    model = aad.AADForest(n_estimators=30, random_state=1).fit(X)
    for rows, labels in [([], []), ([300], [1]), ([301, 5], [0, 0]), ([304, 6, 7], [1, 0, 1])]:
        model.set_labels(rows, labels)
        closed = model.labels_ != -1
        closed[[10, 302]] = True  # set aside
        expected = tuple(int(top_unlabelled(model.ranking(name), closed, 1)[0]) for name in model.rankings_)
        model._changed()  # the arrays dropped: computed a block of rows at a time
        assert model.best_unlabelled(model.rankings_, closed) == expected
        assert model.best_unlabelled(model.rankings_, np.ones(len(X), bool)) == (-1,) * 5


def test_a_forest_that_cannot_split_gives_even_beliefs_not_nan():
    """Two rows (or identical ones): every tree is one leaf, whose prior divided 0 by 0 (NaN
    beliefs, cast to -1.1e11 and 20 warnings)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = aad.AADForest(random_state=0).fit(np.ones((2, 3)))
        beliefs = model.ranking("beliefs")
    assert np.isfinite(beliefs).all()
    assert beliefs.tolist() == [0.5, 0.5]
