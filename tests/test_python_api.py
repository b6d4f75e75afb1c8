"""The engine as a Python user meets it: labels in any common encoding, scikit-learn's
contract, DataFrames matched by name, and inputs refused with a message rather than
silently misread."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import sklearn.exceptions
from markdown_it import MarkdownIt
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

import aad

# ----------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("encode", "every_row"),
    [
        (lambda y: np.where(y, 1.0, 0.0), True),  # 1.0/0.0 labels every row
        (lambda y: pd.Series(np.where(y, 1.0, np.nan)), False),  # NaN, None, NA: unknown
        (lambda y: pd.Series(np.where(y, 1, 0)).astype("Int64").where(pd.Series(y), pd.NA), False),
        (lambda y: np.where(y, "anomaly", None), False),
        (lambda y: [True if v else None for v in y], False),
    ],
)
def test_known_labels_in_any_common_encoding_seed_the_model(planted, encode, every_row):
    y = np.zeros(len(planted), bool)
    y[[300, 301]] = True
    model = aad.AADForest(n_estimators=20, random_state=0).fit(planted, encode(y))
    assert model.n_anomalies_ == 2
    assert model.n_labels_ == (len(planted) if every_row else 2)


def test_refused_labels_leave_a_fitted_model_as_it_was(planted):
    model = aad.AADForest(n_estimators=10, random_state=0).fit(planted, np.r_[np.full(300, -1), 1, 1])
    before = model.anomaly_score().copy()
    with pytest.raises(aad.LabelError, match=r"labels\[5\] is 'maybe'"):
        model.fit(planted, ["maybe" if i == 5 else -1 for i in range(len(planted))])
    assert model.n_anomalies_ == 2
    np.testing.assert_array_equal(model.anomaly_score(), before)


def test_two_dimensional_labels_are_refused_with_the_fix(planted):
    with pytest.raises(aad.LabelError, match=r"one-dimensional .* labels.ravel\(\)"):
        aad.AADForest(n_estimators=5).fit(planted, np.zeros((len(planted), 1)))


def test_one_vocabulary_for_labels_everywhere():
    words = ("anomalous", "normal", " Anomaly ", "1.0", 1.0, True, "FALSE", 0)
    assert [aad.to_label(word) for word in words] == [1, 0, 1, 1, 1, 1, 0, 0]
    assert aad.parse_labels(["anomalous", "normal"]).tolist() == [True, False]


# ----------------------------------------------------------------------------- scores


def test_scores_stay_finite_and_ordered_far_beyond_the_usual_number_of_labels(clustered):
    X, y = clustered
    labels = np.where(np.arange(len(y)) % 3 == 0, y.astype(int), -1)
    model = aad.AADForest(n_estimators=20, eta=1000, random_state=0).fit(X, labels)
    scores, raw = model.anomaly_score(), model.raw_score()
    assert np.abs(raw).max() / aad.average_path_length(256) > 500  # beyond 2**±500
    assert np.isfinite(scores).all()
    unlabelled = np.flatnonzero(labels == -1)
    assert aad.ActiveLearner(model, X).next_queries(1)[0] == unlabelled[np.argmax(raw[unlabelled])]
    np.testing.assert_array_equal(np.argsort(scores, kind="stable"), np.argsort(raw, kind="stable"))


def test_a_dataframe_is_scored_by_column_name_not_position():
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 3)) * [1, 10, 100], columns=list("abc"))
    model = aad.AADForest(n_estimators=20, random_state=0).fit(frame)
    assert model.feature_names_in_.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(model.anomaly_score(frame[["c", "a", "b"]]), model.anomaly_score(frame))
    with pytest.raises(aad.DataError, match="X lacks the column"):
        model.anomaly_score(frame[["a", "b"]])


def test_a_model_fitted_on_a_dataframe_describes_and_explains_with_its_column_names():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(500, 3)), columns=["amount", "hour", "age"])
    frame.loc[:4, "amount"] += 8
    labels = np.full(500, aad.UNLABELLED)
    labels[:5], labels[5:40] = aad.ANOMALY, aad.NOMINAL
    model = aad.AADForest(n_estimators=50, random_state=0).fit(frame, labels)
    shuffled = frame[["age", "hour", "amount"]]
    description = aad.describe_anomalies(model, shuffled)  # matched by name, as the scores are
    assert description.feature_names == ("amount", "hour", "age")
    assert description.mask(shuffled)[:5].all()
    np.testing.assert_array_equal(description.mask(shuffled), description.mask(frame))
    selected = frame.query(aad.export_rules(description, "pandas")).index.to_numpy()
    np.testing.assert_array_equal(selected, np.flatnonzero(description.mask(frame)))
    why = aad.explain_row(model, shuffled, 0).format()
    assert why.startswith("row 0 is isolated by amount > ")
    assert "x0" not in why
    with pytest.raises(aad.DataError, match="lacks the column"):
        description.mask(frame[["amount", "hour"]])


def test_an_array_given_to_a_model_fitted_on_a_dataframe_is_read_by_position_with_a_warning():
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(100, 2)), columns=["a", "b"])
    model = aad.AADForest(n_estimators=10, random_state=0).fit(frame)
    with pytest.warns(UserWarning, match=r"no column names.*fitted on named columns \(a, b\)"):
        scores = model.anomaly_score(frame.to_numpy())
    np.testing.assert_array_equal(scores, model.anomaly_score(frame))


def test_new_rows_with_nothing_in_them_score_to_nothing_and_missing_cells_are_located():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 9.0], "b": [1.0, 2.0, 3.0, 5.0]})
    model = aad.AADForest(n_estimators=10, random_state=0).fit(frame)
    assert model.anomaly_score(frame.iloc[:0]).shape == (0,)
    new = pd.DataFrame({"a": pd.array([1.0, None], dtype="Float64"), "b": [1.0, 2.0]})
    with pytest.raises(aad.DataError, match=r"nan at row 1, column 0.*load_rows\(NEW, like=TRAINING\)"):
        model.anomaly_score(new)


# ----------------------------------------------------------------------------- scikit-learn


def test_the_model_keeps_scikit_learns_contract(planted):
    model = aad.AADForest(n_estimators=10, random_state=0)
    twin = clone(model).set_params(eta=2.0)
    assert twin.get_params(deep=True)["eta"] == 2.0
    assert model.eta == 1.0
    with pytest.raises(sklearn.exceptions.NotFittedError):
        model.anomaly_score()
    with pytest.raises(sklearn.exceptions.NotFittedError):
        check_is_fitted(model)
    model.fit(planted)
    check_is_fitted(model)
    seeded = aad.AADForest(n_estimators=10, random_state=np.random.RandomState(0), n_jobs=-1).fit(planted)
    assert seeded.anomaly_score().shape == (len(planted),)


# ----------------------------------------------------------------------------- the learner


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda learner: learner.label(1.7, "anomaly"), "must be an integer row number"),
        (lambda learner: learner.label(True, "anomaly"), "must be an integer row number"),
        (lambda learner: learner.label("3", "anomaly"), "must be an integer row number"),
        (lambda learner: learner.retract(302), "row 302 is out of range"),
        (lambda learner: learner.is_anomaly(-1), "row -1 is out of range"),
        (lambda learner: learner.next_queries(0), "'k' parameter of next_queries"),
        (lambda learner: learner.next_queries(2.5), "'k' parameter of next_queries"),
    ],
)
def test_the_learner_refuses_what_is_not_a_row_or_a_batch(planted, call, message):
    learner = aad.ActiveLearner(aad.AADForest(n_estimators=5, random_state=0).fit(planted), planted)
    with pytest.raises(aad.AADError, match=message):
        call(learner)
    assert learner.n_labels == 0


def test_the_learner_checks_its_strategy_and_data_at_once(planted):
    model = aad.AADForest(n_estimators=5, random_state=0).fit(planted)
    with pytest.raises(aad.UnknownStrategyError, match="unknown query strategy 'nope'"):
        aad.ActiveLearner(model, planted, strategy="nope")
    with pytest.raises(aad.DataError, match="X has 10 rows but the model was fitted on 302"):
        aad.ActiveLearner(model, planted[:10])


def test_undo_under_the_hinge_loss_restores_the_scores_exactly(clustered):
    X, y = clustered
    learner = aad.ActiveLearner(aad.AADForest(n_estimators=20, loss="hinge", random_state=0).fit(X), X)
    for _ in range(4):
        row = int(learner.next_queries()[0])
        learner.label(row, bool(y[row]))
    before = learner.scores().copy()
    row = int(learner.next_queries()[0])
    learner.label(row, bool(y[row]))
    learner.undo()
    np.testing.assert_array_equal(learner.scores(), before)


# ----------------------------------------------------------------------------- descriptions


def test_a_boolean_mask_describes_the_rows_it_marks(clustered):
    X, y = clustered
    model = aad.AADForest(n_estimators=20, random_state=0).fit(X)
    by_mask = aad.describe_rows(model, X, y)
    assert by_mask.rows.tolist() == np.flatnonzero(y).tolist()
    with pytest.raises(aad.LabelError, match="integer row numbers or a boolean mask"):
        aad.describe_rows(model, X, [1.7])
    with pytest.raises(aad.LabelError, match="one name per column"):
        aad.describe_rows(model, X, [400], feature_names="xyz")


def test_rules_covering_most_rows_come_with_a_note(clustered):
    X = np.random.default_rng(11).normal(size=(400, 3))
    scattered = np.zeros(len(X), bool)
    scattered[np.random.default_rng(1).choice(len(X), 40, replace=False)] = True  # no pattern at all
    model = aad.AADForest(n_estimators=20, random_state=0).fit(X, np.where(scattered, 1, -1))
    broad = aad.describe_anomalies(model, X)
    assert broad.mask(X).mean() >= aad.describe.BROAD_SHARE
    assert "label some nominals" in broad.notes[0]
    assert json.loads(aad.export_rules(broad, "json"))["provenance"]["notes"] == list(broad.notes)
    shown = MarkdownIt("commonmark").render(aad.export_rules(broad, "markdown"))  # travels with the rules
    assert f"<strong>Note:</strong> {broad.notes[0]}" in shown
    rng = np.random.default_rng(11)  # 100 anomalies at random among 6000 rows, 1000 nominals labelled
    many = rng.normal(size=(6000, 3))
    labels = np.full(len(many), aad.UNLABELLED)
    order = rng.permutation(len(many))
    labels[order[:100]], labels[order[100:1100]] = aad.ANOMALY, aad.NOMINAL
    coarse = aad.AADForest(n_estimators=20, max_samples=256, random_state=0)  # coarse leaves: broad rules
    mixed = aad.describe_anomalies(coarse.fit(many, labels), many)
    assert mixed.mask(many).mean() >= aad.describe.BROAD_SHARE
    assert "not a usable filter" in mixed.notes[0]  # more labels would not help: it does not ask for them
    assert "label more" not in mixed.notes[0]
    X, y = clustered
    tight = aad.describe_anomalies(
        aad.AADForest(n_estimators=20, random_state=0).fit(X, np.where(y, 1, 0)), X
    )
    assert tight.mask(X).mean() < aad.describe.BROAD_SHARE
    assert tight.notes == ()


# ----------------------------------------------------------------------------- rules files


def test_rules_files_from_spreadsheets_are_read():
    names = ["x"]
    expected = [aad.Rule([aad.Predicate(0, "<=", 1.0)])]
    assert aad.read_rules("\ufeffrule,feature,op,value\n1,x,<=,1\n", "csv", feature_names=names) == expected
    assert aad.read_rules(b"rule;feature;op;value\n1;x;<=;1\n", "csv", feature_names=names) == expected
    text = aad.export_rules(expected[0], "json", feature_names=names)
    assert aad.read_rules("\ufeff" + text, "json", feature_names=names) == expected
    document = json.loads(text)
    document["rules"][0]["predicates"][0]["value"] = True
    with pytest.raises(aad.DataError, match="is not a number"):
        aad.read_rules(json.dumps(document), "json", feature_names=names)


# ----------------------------------------------------------------------------- simulation


def test_simulation_reads_integer_ground_truth_as_bool(toy2):
    classes = aad.load_classes("toy2")
    as_bool = aad.simulate_run(toy2.X, toy2.y, budget=15, seed=4, batch_size=3, classes=classes)
    as_int = aad.simulate_run(toy2.X, toy2.y.astype(int), budget=15, seed=4, batch_size=3, classes=classes)
    assert as_int.batch_classes.tolist() == as_bool.batch_classes.tolist()
    assert as_int.found.tolist() == as_bool.found.tolist()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: aad.simulate_run(d.X, d.y[:-1], budget=5, seed=0), "one ground-truth value per row of X"),
        (lambda d: aad.simulate_run(d.X, d.y, budget=1000, seed=0), "the budget must be between 1 and 485"),
        (lambda d: aad.simulate(d.X), "simulate takes a Dataset"),
    ],
)
def test_simulation_refuses_mismatched_inputs(toy2, call, message):
    with pytest.raises(aad.AADError, match=message):
        call(toy2)


# ----------------------------------------------------------------------------- tables


def test_score_table_checks_what_it_is_given():
    scores = np.array([0.2, 0.9, 0.5])
    assert aad.score_table(scores, labels=[1, 0, -1])["label"].tolist() == ["anomaly", "nominal", ""]
    with pytest.raises(aad.DataError, match="top must be a whole number of rows"):
        aad.score_table(scores, top=-1)
    with pytest.raises(aad.DataError, match="features has 2 rows but there are 3 scores"):
        aad.score_table(scores, features=pd.DataFrame({"a": [1, 2]}))


def test_rules_are_counted_on_the_table_as_it_is_with_its_missing_values():
    rng = np.random.default_rng(3)
    x = rng.normal(size=530)
    x[rng.choice(500, 80, replace=False)] = np.nan
    x[500:510] = np.nan  # a third of the anomalies have no x: only y can describe them
    frame = pd.DataFrame({"x": x, "y": np.r_[rng.normal(size=500), rng.normal(6, 0.2, 30)]})
    data = aad.dataset_from_frame(frame, label_column=None)
    truth = np.r_[np.zeros(500, bool), np.ones(30, bool)]
    model = aad.AADForest(random_state=0).fit(data.X, np.where(truth, 1, 0))
    description = aad.describe_anomalies(model, data)
    assert description.mask(data.X_as_read)[truth].all()  # covered as the exported rules select
    for described in description.rules:
        query = aad.export_rules([described.rule], "pandas", feature_names=["x", "y"])
        assert len(frame.query(query)) == described.support


def test_score_table_refuses_a_nan_score_it_would_rank_last_but_give_the_top_percentile():
    with pytest.raises(aad.DataError, match="scores hold NaN, at row 1; every row needs a score"):
        aad.score_table(np.array([0.2, np.nan, 0.5]))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: aad.read_rules(None, "json"), "read_rules takes the rules' text"),
        (lambda d: aad.export_rules(None, "sql"), "export_rules takes rules or a description; got NoneType"),
        (lambda d: aad.data.dataset_from_frame(np.ones((3, 2))), "takes a pandas DataFrame; got ndarray"),
        (lambda d: aad.export_model(np.ones(3), d), "export_model takes a fitted aad model; got ndarray"),
        (lambda d: aad.export_model(aad.AADForest(), d), "not fitted yet"),
        (lambda d: aad.simulate(d, budget=5, reruns=1, classes="abc"), "classes must list one class per row"),
        (lambda d: aad.simulate(d, budget=5, model_params={"random_state": 3}), "give the seed as"),
        (lambda d: aad.StreamingAAD().set_params(bogus=1), "StreamingAAD has no parameter 'bogus'"),
    ],
)
def test_wrong_arguments_through_the_api_get_one_aad_error(call, message):
    """Each raised a bare AttributeError or TypeError, some only after work began (helper-33)."""
    with pytest.raises(aad.AADError, match=re.escape(message)):
        call(aad.load_dataset("toy2"))


def test_a_list_of_classes_and_a_stream_clone_work():
    import sklearn.base

    data = aad.load_dataset("toy2")
    classes = list(aad.data.load_classes("toy2"))  # was indexed as an array after the first run began
    assert aad.simulate(data, budget=10, reruns=1, classes=classes).runs[0].classes_found[-1] >= 1
    stream = aad.StreamingAAD(eta=2.0)
    assert sklearn.base.clone(stream).get_params() == stream.get_params()


def test_a_kind_or_a_note_that_is_no_text_is_refused(tmp_path):
    session = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(tmp_path / "s.sqlite"))
    with pytest.raises(aad.LabelError, match="a kind is text; got int 5; nothing was saved"):
        session.label([7], "anomaly", kind=5)
    assert session.n_labels == 0


def test_a_series_as_x_gets_the_reshape_hint_and_more_wrong_arguments_are_named(tmp_path):
    """A pandas Series as X raised a bare TypeError after the dtype check came in (helper-35)."""
    data = aad.load_dataset("toy2")
    with pytest.raises(aad.DataError, match=r"for one feature use X.reshape\(-1, 1\)"):
        aad.AADForest().fit(pd.Series([1.0, 2.0, 3.0]))
    model = aad.AADForest(n_estimators=5, random_state=0).fit(data.X)
    with pytest.raises(aad.DataError, match=r"for one row use X.reshape\(1, -1\)"):
        model.anomaly_score(pd.Series(data.X[0]))
    path = tmp_path / "ab.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6\n")
    with pytest.raises(aad.DataError, match="there is no column 1 to use as a feature"):
        aad.load_dataset(path, features=[1])
    with pytest.raises(aad.DataError, match="a description needs a fitted aad model; got NoneType"):
        aad.describe_anomalies(None, data.X)
    with pytest.raises(
        aad.ModelFileError, match=r"fitted on \(aad.load_data\(FILE\), or aad.dataset_from_frame"
    ):
        aad.export_model(model, data.X)
    labels = np.full(data.n_rows, "-1", dtype=object)  # the text -1, as fit's own message offers
    labels[0] = "anomaly"
    assert aad.AADForest(n_estimators=5, random_state=0).fit(data.X, labels).n_labels_ == 1


def test_new_rows_in_a_dataframe_are_read_as_a_files_rows_would_be(tmp_path):
    """A rare category's rarity is the training table's: the only in-memory route a reviewer
    found (dataset_from_frame on the new rows) took it from the new batch, and 30 % of the
    batch being 'crypto' made it common (40 of them in the top 100, not 96)."""
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {"amount": rng.gamma(2, 20, 3000), "merchant": rng.choice(["fuel", "shop", "atm"], 3000)}
    )
    train.loc[:4, "merchant"] = "crypto"
    data = aad.dataset_from_frame(train, non_numeric="encode")
    new = pd.DataFrame(
        {"merchant": rng.choice(["crypto", "fuel"], 200, p=[0.3, 0.7]), "amount": rng.gamma(2, 20, 200)}
    )
    new.to_csv(tmp_path / "new.csv", index=False)
    in_memory, from_file = aad.load_rows(new, like=data), aad.load_rows(tmp_path / "new.csv", like=data)
    np.testing.assert_allclose(in_memory.X, from_file.X, rtol=1e-12)
    crypto = new["merchant"].to_numpy() == "crypto"
    assert (in_memory.X[crypto, 1] == 600.0).all()  # 3,000 rows / 5 crypto rows: as rare as in training


def test_a_model_fitted_on_a_dataset_matches_a_dataframes_columns_by_name():
    """fit(Dataset) kept no names: a DataFrame in another order was read by position, wrongly,
    without a word."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(300, 3)) * [1, 10, 100], columns=["a", "b", "c"])
    data = aad.dataset_from_frame(frame)
    model = aad.AADForest(n_estimators=20, random_state=0).fit(data)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_array_equal(model.anomaly_score(frame[["c", "a", "b"]]), model.anomaly_score(frame))
    np.testing.assert_array_equal(model.anomaly_score(data), model.anomaly_score(frame))


def test_mistakes_made_from_python_are_aad_errors_that_name_the_fix():
    """A predicate's op or feature, and a DataFrame with a text column given to fit, raised bare
    ValueErrors (the second said only "could not convert string to float: 'b'")."""
    with pytest.raises(aad.DataError, match=r"op must be '<=' or '>'.*got '>='"):
        aad.Predicate(0, ">=", 1.0)
    with pytest.raises(aad.DataError, match="feature must be a column number"):
        aad.Predicate("a", ">", 1.0)
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0], "merchant": ["atm", "fuel", "atm"]})
    with pytest.raises(aad.DataError, match=r"column 'merchant' is no number.*non_numeric='encode'"):
        aad.AADForest(n_estimators=5).fit(frame)
