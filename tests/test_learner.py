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
