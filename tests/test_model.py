"""AADForest: the ranking, the effect of labels, and the exactness of the fast path."""

from __future__ import annotations

import numpy as np
import pytest

import aad
from aad.forest import average_path_length


def ranks(scores: np.ndarray) -> np.ndarray:
    """Rank of every row, 0 = most anomalous."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    out = np.empty_like(order)
    out[order] = np.arange(len(scores))
    return out


def slow_scores(model: aad.AADForest, X: np.ndarray) -> np.ndarray:
    """``w . phi(x)`` the straightforward way: a sparse matrix product."""
    raw = model.transform(X) @ model.weights_
    return np.exp2(raw / average_path_length(model.forest_.max_samples))


def test_planted_outliers_rank_first_before_and_after_feedback(planted):
    model = aad.AADForest(random_state=0).fit(planted)
    assert set(np.argsort(-model.anomaly_score())[:2]) == {300, 301}
    for row in np.argsort(-model.anomaly_score())[2:12]:
        model.set_label(int(row), "nominal")
    assert set(np.argsort(-model.anomaly_score())[:2]) == {300, 301}


def test_uniform_weights_equal_the_isolation_forest_score(planted):
    model = aad.AADForest(random_state=1).fit(planted)
    np.testing.assert_allclose(
        model.anomaly_score(), -model.forest_.iforest.score_samples(planted), rtol=1e-12
    )
    np.testing.assert_array_equal(model.weights_, np.ones(model.forest_.n_leaves))


def test_nominal_label_moves_the_row_and_its_cluster_down(clustered):
    X, _ = clustered
    model = aad.AADForest(random_state=2).fit(X)
    before, rank_before = model.anomaly_score().copy(), ranks(model.anomaly_score())
    model.set_label(400, "nominal")
    after = model.anomaly_score()
    assert ranks(after)[400] > rank_before[400] + 100
    drop = np.log(before / after)
    cluster, others = np.arange(401, 408), np.arange(0, 400)
    assert (drop[cluster] > 0).all()
    assert drop[cluster].mean() > 5 * drop[others].mean()
    assert ranks(after)[cluster].mean() > rank_before[cluster].mean()


def test_anomaly_label_lifts_the_rows_like_it(clustered):
    X, _ = clustered
    model = aad.AADForest(random_state=3).fit(X)
    before, rank_before = model.anomaly_score().copy(), ranks(model.anomaly_score())
    model.set_label(400, "anomaly")
    after = model.anomaly_score()
    rise = np.log(after / before)
    cluster, others = np.arange(401, 408), np.arange(0, 400)
    assert (rise[cluster] > 0).all()
    assert rise[cluster].mean() > 5 * max(rise[others].mean(), 0)
    assert ranks(after)[cluster].mean() < rank_before[cluster].mean()


def test_fast_scores_equal_the_straightforward_product(clustered):
    X, y = clustered
    model = aad.AADForest(n_estimators=30, random_state=4).fit(X)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(X), 25, replace=False)
    for i, row in enumerate(rows):
        model.set_label(int(row), bool(y[row]) or i % 3 == 0)
        if i % 5 == 4:
            model.unlabel(int(rows[i - 2]))
        np.testing.assert_allclose(model.anomaly_score(), slow_scores(model, X), rtol=1e-9)
    np.testing.assert_allclose(model.anomaly_score(X), model.anomaly_score(), rtol=1e-12)


@pytest.mark.parametrize("balance", [1.0, 0.8, 0.0])
def test_class_balance_weights_a_lone_anomaly_against_many_nominals(clustered, balance):
    """balance=1 is the papers' balanced mean per class: one anomaly among 9 nominals pushes
    its leaves up as hard as the 9 together push theirs down; lower exponents less so."""
    X, _ = clustered
    model = aad.AADForest(n_estimators=20, balance=balance, random_state=3).fit(X)
    model.set_labels(np.arange(10), ["anomaly"] + ["nominal"] * 9)
    counts = [np.zeros(model.forest_.n_leaves) for _ in range(2)]
    offsets = model.forest_.leaf_offset[:-1]
    for row, which in zip(range(10), [0] + [1] * 9, strict=True):
        np.add.at(counts[which], offsets + model.leaf_index_[:, row], 1)
    per_anomaly, per_nominal = 2 * (10 / 2) ** balance, 2 * (10 / 18) ** balance
    expected = model.forest_.information * (per_anomaly * counts[0] - per_nominal * counts[1])
    np.testing.assert_allclose(model.leaf_values_ + model.forest_.path_length, expected, atol=1e-6)
    assert per_anomaly / per_nominal == pytest.approx(9**balance)


def test_one_nominal_among_many_anomalies_does_not_sink_the_kind_they_share_leaves_with():
    """An analyst's review: 108 frauds of one kind labelled in bulk, then one row like them
    labelled nominal, and 12 of the 108 ranked last of 20,000. The class weights are capped:
    one nominal weighs at most 10 anomalies (``max_ratio``; None is the rule before)."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(3000, 4)), rng.normal(4, 0.3, size=(80, 4))])
    worst = {}
    for ratio in (None, 10.0):
        model = aad.AADForest(random_state=0, max_ratio=ratio).fit(X)
        model.set_labels(np.arange(3000, 3079), ["anomaly"] * 79)
        model.set_label(3079, "nominal")
        rank = (-model.anomaly_score()).argsort().argsort() + 1
        worst[ratio] = int(rank[3000:3079].max())
    assert worst[10.0] <= 80  # every labelled anomaly still among the top 80 rows
    assert worst[None] > 3000  # uncapped, one of them among the last rows of 3,080


def test_random_weights_through_the_feature_map(planted):
    model = aad.AADForest(n_estimators=15, random_state=5).fit(planted)
    w = np.random.default_rng(1).normal(size=model.forest_.n_leaves)
    direct = model.transform(planted) @ w
    gathered = model.forest_.gather(w * -model.forest_.path_length, model.leaf_index_) / 15
    np.testing.assert_allclose(direct, gathered, rtol=1e-12)


def test_undo_restores_the_previous_weights_exactly(clustered):
    X, y = clustered
    model = aad.AADForest(random_state=6).fit(X)
    for row in (3, 400, 50):
        model.set_label(row, bool(y[row]))
    weights, scores = model.weights_.copy(), model.anomaly_score().copy()
    model.set_label(401, "anomaly")
    model.set_label(12, "nominal")
    model.unlabel(12)
    model.unlabel(401)
    np.testing.assert_array_equal(model.weights_, weights)
    np.testing.assert_array_equal(model.anomaly_score(), scores)


def test_label_order_does_not_matter(clustered):
    X, y = clustered
    rows = [5, 400, 403, 77, 410, 9]
    a = aad.AADForest(random_state=7).fit(X)
    b = aad.AADForest(random_state=7).fit(X)
    for row in rows:
        a.set_label(row, bool(y[row]))
    for row in reversed(rows):
        b.set_label(row, bool(y[row]))
    np.testing.assert_array_equal(a.anomaly_score(), b.anomaly_score())


def test_bulk_labels_and_seeded_fit_agree_with_one_by_one(clustered):
    X, y = clustered
    labels = np.full(len(X), -1)
    rows = np.random.default_rng(2).choice(len(X), 60, replace=False)
    labels[rows] = y[rows]
    seeded = aad.AADForest(random_state=8).fit(X, labels)
    stepwise = aad.AADForest(random_state=8).fit(X)
    for row in rows:
        stepwise.set_label(int(row), int(y[row]))
    np.testing.assert_allclose(seeded.anomaly_score(), stepwise.anomaly_score(), rtol=1e-12)
    assert seeded.n_labels_ == 60
    assert seeded.n_anomalies_ == int(y[rows].sum())


def test_relabelling_replaces_the_old_label(clustered):
    X, _ = clustered
    model = aad.AADForest(random_state=9).fit(X)
    model.set_label(400, "nominal")
    model.set_label(400, "anomaly")
    fresh = aad.AADForest(random_state=9).fit(X)
    fresh.set_label(400, "anomaly")
    np.testing.assert_array_equal(model.anomaly_score(), fresh.anomaly_score())


def test_no_feedback_when_eta_is_zero(clustered):
    X, _y = clustered
    model = aad.AADForest(eta=0.0, random_state=10).fit(X)
    before = model.anomaly_score().copy()
    model.set_label(400, "anomaly")
    np.testing.assert_array_equal(model.anomaly_score(), before)


def test_hinge_loss_learns_from_labels_too(clustered):
    X, _y = clustered
    model = aad.AADForest(loss="hinge", random_state=11).fit(X)
    before = ranks(model.anomaly_score())
    top = int(np.argmin(before))
    model.set_label(top, "nominal")
    assert ranks(model.anomaly_score())[top] > before[top]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"n_estimators": 0},
            r"The 'n_estimators' parameter of AADForest must be one of None or an int in the range "
            r"\[1, 10000\]",
        ),
        ({"max_samples": 1}, "The 'max_samples' parameter of AADForest must be an int >= 2. Got 1"),
        (
            {"eta": -1.0},
            r"The 'eta' parameter of AADForest must be a float in the range \[0, 1000\]. Got -1.0",
        ),
        (
            {"balance": 1.5},
            r"The 'balance' parameter of AADForest must be a float in the range \[0, 1\]. Got 1.5",
        ),
        ({"max_ratio": 0.5}, "The 'max_ratio' parameter of AADForest must be one of None or a float >= 1"),
        (
            {"loss": "squared"},
            "The 'loss' parameter of AADForest must be one of 'linear', 'hinge'. Got 'squared'",
        ),
        ({"tau": 1.5}, r"The 'tau' parameter of AADForest must be a float in the range \(0, 1\). Got 1.5"),
        ({"random_state": -3}, "The 'random_state' parameter of AADForest must be None"),
        ({"n_jobs": 0}, "The 'n_jobs' parameter of AADForest must be one of None or an int"),
    ],
)
def test_every_parameter_is_validated(planted, params, message):
    assert set(aad.AADForest._parameter_constraints) == set(aad.AADForest().get_params())
    with pytest.raises(aad.AADError, match=message):
        aad.AADForest(**params).fit(planted)


def test_label_errors(planted):
    model = aad.AADForest(n_estimators=5, random_state=0).fit(planted)
    with pytest.raises(aad.LabelError, match="row 302 is out of range: the data has 302 rows"):
        model.set_label(302, "anomaly")
    with pytest.raises(aad.LabelError, match="must be anomaly or nominal"):
        model.set_label(0, "maybe")
    with pytest.raises(aad.LabelError, match="must be an integer row number"):
        model.set_labels([0.5], ["anomaly"])
    with pytest.raises(aad.LabelError, match="labels has 3 entries but the data has 302 rows"):
        aad.AADForest(n_estimators=5).fit(planted, labels=[1, 0, -1])


def test_unfitted_model_says_what_to_do():
    with pytest.raises(aad.NotFittedError, match=r"not fitted yet; call fit\(X\)"):
        aad.AADForest().anomaly_score()


def test_new_rows_need_the_same_columns(planted):
    model = aad.AADForest(n_estimators=5, random_state=0).fit(planted)
    with pytest.raises(aad.DataError, match="X has 3 columns but the model was fitted on 2"):
        model.anomaly_score(np.zeros((4, 3)))


@pytest.mark.parametrize("detector", [aad.AADForest, aad.ExtendedAADForest])
def test_the_plain_forests_score_checks_new_rows_as_the_learned_score_does(planted, detector):
    """unsupervised_score read any array by position: a reordered frame, NaN, a wrong width."""
    import pandas as pd

    frame = pd.DataFrame(planted, columns=["a", "b"])
    model = detector(n_estimators=5, random_state=0).fit(frame)
    reordered = model.unsupervised_score(frame[["b", "a"]])
    np.testing.assert_array_equal(reordered, model.unsupervised_score(frame))
    with pytest.raises(aad.DataError, match="X holds nan at row 1, column 0"):
        model.unsupervised_score(pd.DataFrame({"a": [0.0, np.nan], "b": [1.0, 1.0]}))
    model = detector(n_estimators=5, random_state=0).fit(planted)  # no names: columns by position
    with pytest.raises(aad.DataError, match="X has 3 columns but the model was fitted on 2"):
        model.unsupervised_score(np.zeros((4, 3)))
    with pytest.raises(aad.DataError, match=r"for one row use X.reshape\(1, -1\)"):
        model.unsupervised_score(planted[0])
    with pytest.warns(UserWarning, match=r"X has column names \(a, b\), but .* was fitted without them"):
        assert model.unsupervised_score(frame.iloc[:0]).shape == (0,)  # named, but read by position


def test_set_params_on_a_fitted_model_is_checked_and_acts_at_once(clustered):
    """eta=0 set after a label left the old scores until the next label, and eta=-50 was taken,
    turning the labelled anomaly into the least anomalous row."""
    X, _ = clustered
    model = aad.AADForest(n_estimators=20, random_state=0).fit(X)
    plain = model.anomaly_score().copy()
    model.set_label(int(np.argmax(plain)), "anomaly")
    model.set_label(int(np.argmin(plain)), "nominal")
    np.testing.assert_allclose(model.set_params(eta=0).anomaly_score(), plain)  # no feedback, now
    assert not np.allclose(model.set_params(eta=1).anomaly_score(), plain)
    learned = model.anomaly_score().copy()
    for bad in ({"eta": -50}, {"balance": 7}, {"loss": "bogus"}, {"n_jobs": "x"}):
        with pytest.raises(aad.AADError, match=f"The '{next(iter(bad))}' parameter of AADForest must be"):
            model.set_params(**bad)
    with pytest.raises(aad.AADError, match="AADForest has no parameter 'bogus'; its parameters are balance"):
        model.set_params(bogus=1)
    assert model.get_params()["eta"] == 1
    np.testing.assert_array_equal(model.anomaly_score(), learned)


def test_a_copy_labels_independently_and_shares_the_forest(clustered):
    X, _y = clustered
    model = aad.AADForest(random_state=12).fit(X)
    model.set_label(400, "anomaly")
    twin = model.copy()
    assert twin.forest_ is model.forest_
    assert twin.leaf_index_ is model.leaf_index_
    twin.set_label(3, "nominal")
    assert model.labels_[3] == aad.UNLABELLED
    assert model.n_labels_ == 1
    fresh = aad.AADForest(random_state=12).fit(X)
    fresh.set_labels([400, 3], ["anomaly", "nominal"])
    np.testing.assert_array_equal(twin.anomaly_score(), fresh.anomaly_score())
    np.testing.assert_array_equal(
        model.anomaly_score(),
        aad.AADForest(random_state=12).fit(X, np.r_[np.full(400, -1), 1, np.full(15, -1)]).anomaly_score(),
    )


def test_fit_reports_progress_to_the_end(planted):
    steps = []
    aad.AADForest(n_estimators=10, random_state=0).fit(
        planted, progress=lambda step, done: steps.append((step, done))
    )
    fractions = [done for _, done in steps]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0
    assert fractions[-1] == 1.0
    placing = [done for step, done in steps if step == "placing every row in every tree"]
    assert placing, steps
    assert placing[-1] == pytest.approx(0.8)  # every row placed before the index


def test_placing_rows_reports_progress_block_by_block():
    X = np.random.default_rng(0).normal(size=(5000, 3))
    forest = aad.fit_forest(X, n_estimators=10, random_state=0)
    done = []
    index = forest.apply(X, n_jobs=2, progress=done.append)
    assert len(done) == 2  # two blocks of 2,500 rows, one per thread
    assert done[-1] == pytest.approx(10)
    np.testing.assert_array_equal(index, forest.apply(X, n_jobs=1))  # the same leaves however split


def test_a_big_tables_labels_update_the_same_rows_on_every_core():
    # 250,000 rows: a label's update is split over the cores; one core must give the same scores
    X = np.random.default_rng(1).normal(size=(250_000, 2))
    split, one_core = (aad.AADForest(n_estimators=5, random_state=0, n_jobs=n).fit(X) for n in (2, 1))
    for model in (split, one_core):
        model.set_labels([0, 7, 249_999], [1, 0, 1])
        model.unlabel(7)
    np.testing.assert_array_equal(split.raw_score(), one_core.raw_score())
    np.testing.assert_array_equal(split.ranking("saturating"), one_core.ranking("saturating"))
    fresh = aad.AADForest(n_estimators=5, random_state=0, n_jobs=1).fit(X)
    fresh.set_labels([0, 249_999], [1, 1])  # the same labels, without the undone one
    np.testing.assert_array_equal(split.raw_score(), fresh.raw_score())


@pytest.mark.parametrize("float_sums", [True, False], ids=["bincount", "integer-fallback"])
def test_a_labels_update_block_by_block_equals_counting_every_label_again(monkeypatch, float_sums):
    # 250,001 rows: four blocks of 65,536 and a partial one, shared between two cores; the
    # accumulators each label updates must equal a recount of every label from scratch
    if not float_sums:  # steps too large for float64 sums: the integer path
        monkeypatch.setattr(aad.leaf_rows, "_EXACT_SUM", 0.0)
    X = np.random.default_rng(3).normal(size=(250_001, 3))
    model = aad.AADForest(n_estimators=8, random_state=0, n_jobs=2).fit(X)
    for row, label in [(0, 1), (65_536, 0), (250_000, 1), (131_071, 0), (7, 1)]:
        model.set_label(row, label)
    model.unlabel(65_536)
    updated = model._shared.copy()
    model._recount()
    np.testing.assert_array_equal(updated, model._shared)
    assert np.count_nonzero(updated) > 1000  # the labels reached many rows


def test_set_labels_takes_one_label_for_every_row(clustered):
    X, _ = clustered
    model = aad.AADForest(n_estimators=10, random_state=0).fit(X)
    model.set_labels([1, 2, 3], "anomaly")  # was: TypeError: object of type 'str' has no len()
    model.set_labels([4, 5], 0)
    assert model.labels_[1:6].tolist() == [1, 1, 1, 0, 0]


def test_set_params_on_an_unfitted_model_is_checked_at_fit_as_scikit_learn_does(planted):
    model = aad.AADForest().set_params(eta=-5)  # scikit-learn's estimators raise nothing here
    with pytest.raises(aad.AADError, match="The 'eta' parameter of AADForest must be"):
        model.fit(planted)
    with pytest.raises(aad.AADError, match="AADForest has no parameter 'bogus'"):
        aad.AADForest().set_params(bogus=1)
