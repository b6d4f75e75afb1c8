"""Streams: rows added without refitting, Half-Space Trees, drift per tree, the replayed protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aad
from aad.forest import average_path_length, fit_forest
from aad.stream.drift import kl_divergence, kl_thresholds, regrow_trees
from aad.stream.hst import fit_half_space_forest
from aad.stream.replay import replay_stream
from aad.stream.streaming import StreamingAAD


def _blobs(seed: int, n: int = 600, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(shift, 1.0, size=(n - 10, 3)), rng.normal(shift + 6.0, 0.3, size=(10, 3))])


# ---------------------------------------------------------------- a model takes new rows


def test_added_rows_score_exactly_as_a_model_given_all_rows_at_once():
    X = _blobs(0)
    params = {"n_estimators": 50, "random_state": 3}
    model = aad.AADForest(**params).fit(X[:400])
    model.set_labels([1, 2, 395], [0, 0, 1])
    new = model.add_rows(X[400:], labels=np.r_[-1, 1, np.full(198, -1)])
    model.set_labels([590, 450], [1, 0])
    assert new.tolist() == list(range(400, 600))
    whole = aad.AADForest(**params).fit(X, grow_on=np.arange(400))  # the same trees
    whole.set_labels([1, 2, 395, 401, 590, 450], [0, 0, 1, 1, 1, 0])
    assert np.array_equal(model.anomaly_score(), whole.anomaly_score())
    assert np.array_equal(model.ranking("saturating"), whole.ranking("saturating"))
    assert np.array_equal(model.leaf_values_, whole.leaf_values_)
    assert np.array_equal(model.node_rows_, whole.node_rows_)


def test_keep_rows_keeps_scores_and_refuses_to_lose_a_label():
    X = _blobs(1)
    model = aad.AADForest(n_estimators=30, random_state=0).fit(X)
    model.set_labels([5, 595], [0, 1])
    before = model.anomaly_score()
    with pytest.raises(aad.LabelError, match="row 595 is labelled and would be dropped"):
        model.keep_rows([5, 6, 7])
    model.keep_rows([5, 100, 595])
    assert np.array_equal(model.anomaly_score(), before[[5, 100, 595]])
    assert model.labels_.tolist() == [0, -1, 1]


def test_add_rows_refuses_other_columns():
    model = aad.AADForest(n_estimators=10, random_state=0).fit(_blobs(2))
    with pytest.raises(aad.DataError, match="X has 2 columns but the model was fitted on 3; pass the same"):
        model.add_rows(np.zeros((4, 2)))


# ---------------------------------------------------------------- Half-Space Trees


def test_half_space_forest_scores_as_river_does():
    from river.anomaly import HalfSpaceTrees

    rng = np.random.default_rng(0)
    window = 128
    X = rng.normal(size=(3 * window + 50, 3))
    forest = fit_half_space_forest(X[:window], n_estimators=5, height=6, random_state=7)
    seed = int(np.random.default_rng(7).integers(2**31 - 1))  # the seed the forest handed river
    low, high = X[:window].min(axis=0), X[:window].max(axis=0)
    unit = (X - low) / (high - low)  # river's trees live on the unit cube: rows scaled by the first window
    river = HalfSpaceTrees(n_trees=5, height=6, window_size=window, seed=seed)
    for row in unit[: 3 * window]:
        river.learn_one(dict(enumerate(row)))
    pivoted = forest.with_masses(X[2 * window : 3 * window])  # river's masses: the last full window
    expected = [river.score_one(dict(enumerate(row))) for row in unit[3 * window :]]
    mass_sum = pivoted.gather(pivoted.path_length, pivoted.apply(X[3 * window :])) * window
    np.testing.assert_allclose(1 - mass_sum / river._max_score, expected, rtol=0, atol=1e-12)


def test_half_space_trees_split_every_feature_whatever_its_units():
    """River draws a split's feature in proportion to its range: grown on raw ranges, a column
    in cents would take every split. Grown on the unit cube, the anomalies off the other
    columns are found as well in cents as in thousands."""
    rng = np.random.default_rng(1)
    xyz = rng.normal(size=(2048, 3))
    xyz[:20] += 6.0
    amount = rng.normal(50, 10, (2048, 1))
    found = []
    for unit in (1.0, 1e5):
        X = np.hstack([amount * unit, xyz])
        forest = fit_half_space_forest(X, n_estimators=30, height=6, random_state=0)
        split = np.concatenate([part["feature"][part["feature"] >= 0] for part in forest.parts])
        assert np.bincount(split, minlength=4).min() > 0.15 * len(split)  # every column takes its share
        model = aad.AADForest._on_forest(forest, X, n_estimators=30)
        found.append(int((np.argsort(-model.anomaly_score())[:20] < 20).sum()))
    assert found[0] == found[1] >= 15


def test_feedback_reweights_half_space_leaves():
    X = _blobs(3)
    forest = fit_half_space_forest(X, n_estimators=30, height=6, random_state=0)
    model = aad.AADForest._on_forest(forest, X, n_estimators=30)
    before = model.anomaly_score()
    top = int(np.argmax(before))
    assert top >= 590  # a planted outlier ranks first on the masses alone
    model.set_label(top, "anomaly")
    mates = np.setdiff1d(np.arange(590, 600), [top])
    lifted = model.anomaly_score()
    assert (lifted[mates] > before[mates]).all()  # they share its leaves
    model.set_label(top, "nominal")
    assert model.anomaly_score()[top] < before[top]
    assert (model.anomaly_score()[mates] < before[mates]).all()


# ---------------------------------------------------------------- drift per tree


def test_regrown_trees_replace_only_the_trees_named():
    X = _blobs(4, n=1024)
    forest = fit_forest(X, n_estimators=10, random_state=0)
    regrown = regrow_trees(forest, [2, 7], X + 5.0, random_state=1)
    before, after = forest.apply(X), regrown.apply(X)
    kept = [t for t in range(10) if t not in (2, 7)]
    assert np.array_equal(before[kept], after[kept])
    assert not np.array_equal(before[2], after[2])
    sklearn_score = -regrown.iforest.score_samples(X.astype(np.float32))
    ours = np.exp2(-regrown.gather(regrown.path_length, after) / 10 / average_path_length(256))
    np.testing.assert_allclose(ours, sklearn_score, rtol=1e-12)


def test_kl_thresholds_separate_drift_from_noise():
    rng = np.random.default_rng(5)
    reference = rng.normal(size=(1024, 3))
    forest = fit_forest(reference, n_estimators=40, random_state=0)
    thresholds = kl_thresholds(forest, forest.apply(reference), random_state=0)
    same = kl_divergence(forest, forest.apply(reference), forest.apply(rng.normal(size=(1024, 3))))
    moved = kl_divergence(forest, forest.apply(reference), forest.apply(rng.normal(1.0, 1.0, size=(1024, 3))))
    assert (same > thresholds).sum() <= 4  # about 5 % of the trees alarm without drift, at most
    assert (moved > thresholds).all()


# ---------------------------------------------------------------- the stream


@pytest.mark.parametrize("detector", ["iforest", "hst"])
def test_stream_replaces_drifted_trees_and_keeps_every_label(detector):
    rng = np.random.default_rng(6)
    stream = StreamingAAD(detector=detector, n_estimators=30, max_samples=64, height=6, random_state=0)
    stream.fit(rng.normal(size=(256, 3)))
    stream.set_label(0, "anomaly")
    stream.set_label(1, "nominal")
    labelled = stream.row_ids_[:2].tolist()
    calm = stream.add_window(rng.normal(size=(256, 3)))
    moved = stream.add_window(rng.normal(4.0, 1.0, size=(256, 3)))
    assert calm.trees_replaced == 0
    assert moved.trees_replaced >= 3
    assert stream.row_ids_[stream.model_.labels_ != -1].tolist() == labelled
    assert len(stream.row_ids_) <= 256 + 2  # the pool and the labelled rows
    # the labels re-applied to the new trees: as a model fresh on the same trees with the same labels
    fresh = aad.AADForest._on_forest(stream.model_.forest_, stream.X_, n_estimators=30)
    fresh.set_labels([0, 1], [1, 0])
    assert np.array_equal(fresh.anomaly_score(), stream.anomaly_score())


def test_stream_memory_stays_bounded_and_adwin_sees_a_jump():
    rng = np.random.default_rng(7)
    stream = StreamingAAD(n_estimators=20, max_samples=64, drift="none", random_state=0)
    stream.fit(rng.normal(size=(200, 2)))
    sizes, alarms = [], []
    for k in range(12):
        stream.set_label(int(np.argmax(np.where(stream.model_.labels_ == -1, stream.anomaly_score(), -1))), 0)
        shift = 0.0 if k < 8 else 5.0
        report = stream.add_window(rng.normal(shift, 1.0, size=(200, 2)))
        sizes.append(report.retained_rows)
        alarms.append(report.drift_alarm)
    assert max(sizes) <= 200 + 13
    assert stream.model_.n_labels_ == 12
    assert len(stream._buffer) <= 800
    assert not any(alarms[:8])
    assert any(alarms[8:])


def test_stream_is_seeded():
    X = _blobs(8, n=800)
    a = StreamingAAD(n_estimators=20, max_samples=64, random_state=4).fit(X[:400])
    b = StreamingAAD(n_estimators=20, max_samples=64, random_state=4).fit(X[:400])
    a.add_window(X[400:] + 3.0)
    b.add_window(X[400:] + 3.0)
    assert np.array_equal(a.anomaly_score(), b.anomaly_score())


@pytest.mark.parametrize("detector", ["iforest", "hst"])
def test_a_stream_takes_windows_of_one_row(detector):
    """Review 20 (H2): a one-row window broke every later Half-Space window (its masses gave a
    window of 1 row, whose average path length is 0). A micro-batch smaller than half the
    first window now waits for the next ones before the masses follow it."""
    X = _blobs(9, n=900)

    def run() -> StreamingAAD:
        stream = StreamingAAD(detector=detector, n_estimators=10, max_samples=64, height=5, random_state=3)
        stream.fit(X[:256]).add_window(X[256:500])
        for row in range(500, 520):
            stream.add_window(X[row : row + 1])
        stream.add_window(X[520:768])
        stream.set_label(stream.top_unlabelled(), "anomaly")
        stream.add_window(X[768:769])
        return stream

    stream = run()
    scores = stream.anomaly_score()
    assert np.isfinite(scores).all()
    assert scores.std() > 0
    assert np.array_equal(scores, run().anomaly_score())  # same seed, same result
    assert stream.n_seen_ == 769
    assert stream.model_.n_labels_ == 1
    if detector == "hst":  # the masses of the 20 single rows and the 248 rows after them
        assert stream.model_.forest_.window_size == 268


def test_stream_refuses_bad_parameters():
    with pytest.raises(ValueError, match="'detector' parameter of StreamingAAD"):
        StreamingAAD(detector="lof").fit(np.zeros((10, 2)))
    with pytest.raises(aad.NotFittedError, match="fit"):
        StreamingAAD().add_window(np.zeros((10, 2)))


def test_replay_finds_what_batch_finds_on_a_stream_without_drift():
    rng = np.random.default_rng(9)
    X = np.vstack([rng.normal(size=(1200, 3)), rng.normal(5.0, 0.3, size=(24, 3))])
    y = np.r_[np.zeros(1200), np.ones(24)]
    order = rng.permutation(len(X))
    result = replay_stream(
        X[order],
        y[order],
        window=300,
        budget_per_window=8,
        stream_params={"n_estimators": 30, "max_samples": 64},
    )
    summary = result.to_dict()
    assert summary["mean_found"] >= 20
    assert summary["batch_mean_found"] >= 20
    windows = summary["runs"][0]["windows"]
    assert len(windows) == 5
    assert sum(w["found"] for w in windows) == summary["mean_found"]
    assert {"found", "trees_replaced", "drift_alarm", "seconds"} <= set(windows[0])


def test_replay_refuses_a_budget_larger_than_the_window():
    with pytest.raises(aad.DataError, match="budget per window"):
        replay_stream(np.zeros((20, 2)), np.r_[1, np.zeros(19)], window=5, budget_per_window=6)


def test_replay_refuses_a_window_that_leaves_nothing_to_stream():
    y = np.r_[1, np.zeros(19)]
    no_second = "a window of 11 rows leaves no full second window in the stream's 20 rows; choose a window of"
    with pytest.raises(aad.DataError, match=no_second):
        replay_stream(np.zeros((20, 2)), y, window=11, budget_per_window=2)
    too_many = r"'reruns' parameter of replay_stream must be an int in the range \[1, 10000\]"
    with pytest.raises(aad.AADError, match=too_many):
        replay_stream(np.zeros((20, 2)), y, window=5, reruns=10**8)


def test_labelling_a_row_in_the_last_leaf_of_a_full_tree():
    """Half-Space Trees of height 8 have 256 leaves: leaf 255 fits a uint8 index, its successor does not."""
    rng = np.random.default_rng(10)
    X = rng.uniform(size=(4000, 2))
    forest = fit_half_space_forest(X, n_estimators=3, height=8, random_state=0)
    model = aad.AADForest._on_forest(forest, X, n_estimators=3)
    row = int(np.flatnonzero((model.leaf_index_ == 255).any(axis=0))[0])
    model.set_label(row, "anomaly")  # the one-label path
    recounted = aad.AADForest._on_forest(forest, X, n_estimators=3)
    recounted.set_labels(np.arange(300), [1 if r == row else -1 for r in range(300)])  # the recount path
    assert np.array_equal(model.anomaly_score(), recounted.anomaly_score())


@pytest.mark.parametrize("kind", ["control", "moving", "new_kind"])
def test_drift_streams_are_seeded_and_drift_as_named(kind):
    from aad.stream.synthetic import make_drift_stream

    X, y = make_drift_stream(kind, n_windows=4, window=400, random_state=3)
    again, _ = make_drift_stream(kind, n_windows=4, window=400, random_state=3)
    assert np.array_equal(X, again)
    assert y.reshape(4, 400).sum(axis=1).tolist() == [4, 4, 4, 4]
    first, last = X[:400][~y[:400]].mean(axis=0), X[-400:][~y[-400:]].mean(axis=0)
    assert (np.linalg.norm(last - first) > 3) == (kind == "moving")
    late = X[800:][y[800:]]
    gaps = np.linalg.norm(late[:, None, :] - late[None, :, :], axis=2) + np.eye(len(late)) * 99
    assert (gaps.min() < 1.0) == (kind == "new_kind")  # the new kind: a tight cluster


@pytest.mark.parametrize("kind", ["jump", "spread", "appear", "return"])
def test_held_out_drift_streams_change_the_control_as_named(kind):
    """Each later kind is the control stream (same seed) with one change: measured against it."""
    from aad.stream.synthetic import make_drift_stream

    control, y = make_drift_stream("control", n_windows=4, window=400, random_state=3)
    X, same_y = make_drift_stream(kind, n_windows=4, window=400, random_state=3)
    again, _ = make_drift_stream(kind, n_windows=4, window=400, random_state=3)
    assert np.array_equal(same_y, y)
    assert np.array_equal(X, again)
    moved = np.linalg.norm(X - control, axis=1)
    if kind == "jump":  # nothing, then 6 spreads for every row from one moment on
        changed = moved > 1e-9
        assert changed.any()
        assert not changed[:400].any()
        assert np.all(np.diff(changed.astype(int)) >= 0)
        assert np.allclose(moved[changed], 6.0)
    elif kind == "spread":  # rows drift away from their cluster more and more
        assert moved[:400].mean() < 1.0 < 3.0 < moved[-400:].mean()
    elif kind == "appear":  # some nominal rows, only late, moved far: a new cluster
        changed = moved > 1e-9
        assert not changed[y].any()
        assert not changed[:600].any()
        assert 0.2 < changed[800:].mean() < 0.4
        assert np.median(moved[changed]) > 4
    else:  # away and back
        assert moved[:40].max() < 1.0
        assert moved[-40:].max() < 1.0
        assert moved[780:820].min() > 5.5


def test_a_tree_kept_at_a_replacement_keeps_its_reference_so_slow_drift_is_caught_later():
    """Under a slowly widening normal region, trees not replaced at one replacement stay
    compared with the window they were grown for (their thresholds unchanged), so they are
    replaced later; re-basing every tree (the reference code's rule) excuses them."""
    from aad.stream.synthetic import make_drift_stream

    replaced = {}
    for kind in ("spread", "control"):
        X, _ = make_drift_stream(kind, n_windows=8, window=512, random_state=7)
        for rebase in ("replaced", "all"):
            params = {"n_estimators": 50, "max_samples": 128, "rebase": rebase, "random_state": 0}
            stream = StreamingAAD(**params).fit(X[:512])
            total = 0
            for k in range(1, 8):
                before = stream.thresholds_.copy()
                report = stream.add_window(X[k * 512 : (k + 1) * 512])
                total += report.trees_replaced
                if report.trees_replaced:
                    unchanged = int(np.sum(stream.thresholds_ == before))
                    kept = 50 - report.trees_replaced
                    assert unchanged == kept if rebase == "replaced" else unchanged < kept
            replaced[kind, rebase] = total
    assert replaced["spread", "replaced"] > 2 * replaced["spread", "all"] > 0
    assert replaced["control", "replaced"] == replaced["control", "all"] == 0


# ---------------------------------------------------------------- a model grown by a batch of rows


@pytest.mark.parametrize("n_new", [60, 700])
def test_growing_without_drift_keeps_the_trees_and_every_old_score(n_new):
    from aad.stream.grow import grow_model

    rng = np.random.default_rng(11)
    old, new = rng.normal(size=(1500, 3)), rng.normal(size=(n_new, 3))
    model = aad.AADForest(n_estimators=60, random_state=0).fit(old)
    model.set_labels([3, 4], [1, 0])
    growth = grow_model(model, old, new, random_state=0)
    assert growth.trees_replaced == 0
    assert growth.drifted_trees <= 6  # a tree's test fires about 5 % of the time at most
    assert np.array_equal(growth.scores_after[:1500], growth.scores_before)
    assert growth.drift_alarm is False


def test_growing_with_drift_regrows_trees_keeps_labels_and_is_seeded():
    from aad.stream.grow import grow_model

    rng = np.random.default_rng(12)
    old, new = rng.normal(size=(800, 3)), rng.normal(3.0, 1.0, size=(600, 3))
    twins = [aad.AADForest(n_estimators=40, random_state=0).fit(old) for _ in range(2)]
    growths = []
    for model in twins:
        model.set_labels([0, 799], [0, 1])
        growths.append(grow_model(model, old, new, random_state=5))
    assert growths[0].trees_replaced >= 4
    assert growths[0].drift_alarm is True
    assert twins[0].labels_[[0, 799]].tolist() == [0, 1]
    assert np.array_equal(growths[0].scores_after, growths[1].scores_after)


@pytest.mark.parametrize("detector", ["iforest", "hst"])
def test_a_window_is_matched_to_the_first_by_column_name(detector):
    """A stream fitted on a DataFrame reads the next windows' columns by name, as AADForest reads
    new rows: a renamed column is refused, reordered columns score as in order (both were
    matched by position, silently)."""
    X = np.random.default_rng(0).normal(size=(1024, 4))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    first, second = frame.iloc[:512], frame.iloc[512:]
    stream = aad.StreamingAAD(detector=detector, random_state=0).fit(first)
    with pytest.raises(aad.DataError, match=r"X lacks the column\(s\) 'a' the model was fitted on"):
        stream.add_window(second.rename(columns={"a": "zz"}))
    stream.add_window(second[["d", "c", "b", "a"]])
    in_order = aad.StreamingAAD(detector=detector, random_state=0).fit(first)
    in_order.add_window(second)
    np.testing.assert_array_equal(stream.anomaly_score(), in_order.anomaly_score())


def test_the_next_question_is_the_top_unlabelled_retained_row():
    """The README's loop asks a new row each window (argmax over every retained row asked the
    same labelled row again)."""
    from aad.stream.synthetic import make_drift_stream

    X, y = make_drift_stream("moving", n_windows=4, window=512, random_state=0)
    stream = aad.StreamingAAD(random_state=0).fit(X[:512])
    asked = []
    for k in range(1, 4):
        stream.add_window(X[k * 512 : (k + 1) * 512])
        row = stream.top_unlabelled()
        assert stream.labels_[row] == aad.UNLABELLED
        stream.set_label(row, bool(y[stream.row_ids_[row]]))
        asked.append(int(stream.row_ids_[row]))
    assert len(set(asked)) == 3
    assert (stream.labels_ != aad.UNLABELLED).sum() == 3


def test_a_replay_records_the_rows_it_asked_so_its_counts_can_be_checked():
    """Per window, the rows asked (numbered as in the stream): each seen by then, none twice,
    and the anomalies among them are the window's count (a researcher could not check them)."""
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(size=(900, 3)), rng.normal(5, 0.5, size=(30, 3))])
    y = np.r_[np.zeros(900), np.ones(30)].astype(bool)
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    result = replay_stream(
        X, y, window=300, budget_per_window=8, stream_params={"n_estimators": 20, "max_samples": 64}
    )
    run = result.runs[0].to_dict()
    asked = [row for w in run["windows"] for row in w["queried"]]
    assert len(asked) == len(set(asked)) == 8 * len(run["windows"])
    for k, w in enumerate(run["windows"]):
        assert max(w["queried"]) < min(300 * (k + 1), len(X))  # rows seen by the end of window k
        assert w["found"] == int(y[w["queried"]].sum())
        assert w["no_replacement_found"] == int(y[w["no_replacement_queried"]].sum())
    assert run["found"] == int(y[asked].sum())
