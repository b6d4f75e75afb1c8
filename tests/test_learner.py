"""The labelling loop: labels, retractions, undo."""

from __future__ import annotations

import numpy as np
import pytest

import aad


@pytest.fixture
def learner(clustered) -> aad.ActiveLearner:
    X, _ = clustered
    return aad.ActiveLearner(aad.AADForest(n_estimators=40, random_state=1).fit(X), X, batch_size=3)


def test_the_first_query_is_the_top_ranked_row(learner):
    scores = learner.scores()
    assert learner.next_queries(1)[0] == int(np.argmax(scores))
    assert len(learner.next_queries()) == 3


def test_labelling_changes_the_next_query(learner):
    first = int(learner.next_queries(1)[0])
    learner.label(first, "nominal")
    assert int(learner.next_queries(1)[0]) != first


def test_undo_restores_labels_and_scores(learner):
    start = learner.scores().copy()
    learner.label(400, "anomaly")
    learner.label(5, "nominal")
    learner.label(5, "anomaly")
    assert learner.n_labels == 2
    assert learner.n_anomalies == 2
    assert learner.undo() == aad.LabelEvent(row=5, label=1, previous=0)
    assert learner.model.labels_[5] == 0
    learner.undo()
    learner.undo()
    np.testing.assert_array_equal(learner.scores(), start)
    with pytest.raises(aad.LabelError, match="nothing to undo"):
        learner.undo()


def test_with_the_hinge_loss_an_undo_to_no_label_is_exact_so_the_same_label_again_gives_the_same_model(
    clustered,
):
    """The hinge solution depends on the path: undoing the first label must leave no solution at
    all, as before it (not the prior's, equal only to the last bits), so that the same label given
    again (a redo) solves the same problem and gives the same scores, bit for bit."""
    X, _ = clustered
    learner = aad.ActiveLearner(aad.AADForest(n_estimators=40, random_state=1, loss="hinge").fit(X), X)
    start = learner.scores().copy()
    learner.label(400, "anomaly")
    once = learner.scores().copy()
    learner.undo()
    np.testing.assert_array_equal(learner.scores(), start)
    learner.label(400, "anomaly")
    np.testing.assert_array_equal(learner.scores(), once)


def test_retract_is_an_event_that_undo_reverts(learner):
    learner.label(400, "anomaly")
    learner.retract(400)
    assert learner.n_labels == 0
    learner.undo()
    assert learner.is_anomaly(400)
    with pytest.raises(aad.LabelError, match="row 3 has no label to retract"):
        learner.retract(3)


def test_replaying_the_log_rebuilds_the_same_state(learner, clustered):
    X, _ = clustered
    for row, label in [(400, 1), (3, 0), (401, 1), (3, 1)]:
        learner.label(row, label)
    learner.undo()
    replayed = aad.AADForest(n_estimators=40, random_state=1).fit(X)
    for event in learner.history:
        replayed.set_label(event.row, event.label)
    np.testing.assert_array_equal(replayed.anomaly_score(), learner.scores())


def test_after_keep_rows_the_learner_refuses_rather_than_undo_another_rows_label(learner):
    """keep_rows renumbers the rows: the log's row numbers would name other rows, so an undo
    would take the wrong label away. The learner refuses; every label stays on the model."""
    learner.label(1, "anomaly")
    learner.label(0, "nominal")
    n = learner.model.labels_.shape[0]
    learner.model.keep_rows(np.r_[1, 0, 2:n])  # rows 0 and 1 swap numbers
    for act in (learner.undo, lambda: learner.next_queries(1), lambda: learner.label(5, "nominal")):
        with pytest.raises(aad.LabelError, match=r"renumbered \(model.keep_rows\).*new ActiveLearner"):
            act()
    assert learner.model.labels_[:2].tolist() == [1, 0]  # both labels kept, on their new numbers
    fresh = aad.ActiveLearner(learner.model, learner.X[np.r_[1, 0, 2:n]])
    assert fresh.n_labels == 2


def test_after_add_rows_the_learner_asks_for_the_new_rows_features(clustered):
    X, _ = clustered
    learner = aad.ActiveLearner(aad.AADForest(n_estimators=40, random_state=1).fit(X), X, strategy="bal-e")
    learner.label(int(learner.next_queries(1)[0]), "anomaly")
    learner.model.add_rows(X[:30])
    with pytest.raises(aad.DataError, match=r"the model has \d+ rows but the learner's X has \d+.*vstack"):
        learner.next_queries(3)
    learner.X = np.vstack([learner.X, X[:30]])
    assert len(learner.next_queries(3)) == 3


def test_a_learner_over_an_ensemble_pickles_and_continues_alike(clustered):
    import pickle

    X, _ = clustered
    model = aad.AADEnsemble(members=["iforest", "lof"], random_state=0).fit(X)
    learner = aad.ActiveLearner(model, X)
    learner.label(int(learner.next_queries(1)[0]), "anomaly")
    twin = pickle.loads(pickle.dumps(learner))
    for _ in range(3):
        row = int(learner.next_queries(1)[0])
        assert int(twin.next_queries(1)[0]) == row
        learner.label(row, "nominal")
        twin.label(row, "nominal")
    np.testing.assert_array_equal(twin.scores(), learner.scores())


@pytest.mark.parametrize(
    ("act", "message"),
    [
        (lambda learner: learner.label(2**70, "anomaly"), "row 1180591620717411303424 is out of range"),
        (lambda learner: learner.label(None, "anomaly"), "a row must be an integer row number .*; got None"),
        (lambda learner: learner.label(np.uint64(2**63 + 5), 1), "row 9223372036854775813 is out of range"),
        (lambda learner: learner.next_queries(1, explore=True, exclude="abc"), "got 'abc'"),
        (lambda learner: learner.next_queries(1, explore=True, exclude=[9999]), "row 9999 is out of range"),
        (lambda learner: learner.proposed_by("x"), "a row must be an integer row number .*; got 'x'"),
    ],
)
def test_hostile_rows_get_one_label_error_not_a_bare_exception(learner, act, message):
    """Each raised AttributeError, TypeError, IndexError or named a negative row (helper-33)."""
    with pytest.raises(aad.LabelError, match=message):
        act(learner)
    assert learner.n_labels == 0


def test_a_learner_over_something_that_is_no_fitted_aad_model_says_so(clustered):
    from sklearn.ensemble import IsolationForest

    X, _ = clustered
    for model in (None, IsolationForest(random_state=0).fit(X)):
        with pytest.raises(aad.DataError, match="ActiveLearner needs a fitted aad model"):
            aad.ActiveLearner(model, X)
