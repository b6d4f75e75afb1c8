"""Sessions: durable before in-memory, reopened exactly, shared between tabs."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aad
from aad.portfolio import PATIENCE


def _new(store, fitted_toy2, **kwargs) -> aad.Session:
    dataset, factory = fitted_toy2
    return aad.Session.create(dataset, store=store, model_factory=factory, **kwargs)


def _reopen(session, fitted_toy2) -> aad.Session:
    return aad.Session.open(session.id, store=session.store, model_factory=fitted_toy2[1])


def test_the_first_batch_is_the_top_of_the_forest_ranking(store, fitted_toy2):
    session = _new(store, fitted_toy2, batch_size=3)
    top = np.argsort(-session.scores(), kind="stable")[:3]
    assert session.batch().tolist() == top.tolist()
    assert session.ranks(session.batch()).tolist() == [1, 2, 3]
    assert session.version == 0
    assert session.n_labels == 0


def test_a_label_is_committed_before_the_model_changes(store, fitted_toy2, monkeypatch):
    session = _new(store, fitted_toy2)
    row = int(session.batch()[0])
    seen = []
    append = store.append

    def spy(*args, **kwargs):
        seen.append(int(session.model.labels_[row]))  # the model, at the moment of writing
        return append(*args, **kwargs)

    monkeypatch.setattr(store, "append", spy)
    session.label(row, "anomaly")
    assert seen == [aad.UNLABELLED]
    assert session.model.labels_[row] == aad.ANOMALY


def test_when_the_write_fails_the_model_does_not_change(store, fitted_toy2, monkeypatch):
    session = _new(store, fitted_toy2)
    before = session.scores().copy()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "append", fail)
    with pytest.raises(OSError, match="disk full"):
        session.label(int(session.batch()[0]), "anomaly")
    assert session.n_labels == 0
    assert session.version == 0
    assert np.array_equal(session.scores(), before)


def test_a_bad_label_or_row_is_refused_before_anything_is_stored(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    with pytest.raises(aad.LabelError, match="row 485 is out of range: the data has 485 rows"):
        session.label(485, "anomaly")
    with pytest.raises(aad.LabelError, match="a label must be anomaly or nominal"):
        session.label(3, "maybe")
    with pytest.raises(aad.LabelError, match="nothing to undo"):
        session.undo()
    assert store.actions(session.id) == []


def test_labelling_the_top_row_nominal_moves_it_down_and_the_next_card_up(store, fitted_toy2):
    session = _new(store, fitted_toy2, batch_size=2)
    first, second = session.batch().tolist()
    session.label(first, "nominal")
    assert session.batch().tolist() == [second]
    assert session.ranks([first])[0] > 1
    assert session.ranks([second], previous=True)[0] == 2


def test_undo_reverts_exactly_and_brings_the_card_back(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    start = session.scores().copy()
    row = int(session.batch()[0])
    session.label(row, "anomaly")
    assert row not in session.batch()
    session.undo()
    assert session.batch().tolist() == [row]
    assert np.array_equal(session.scores(), start)
    assert [a.kind for a in session.history()] == ["label", "undo"]
    assert session.version == 2


def test_undoing_a_bulk_label_draws_a_fresh_batch_instead_of_showing_every_undone_row(store, fitted_toy2):
    session = _new(store, fitted_toy2, batch_size=2)
    fresh = session.batch().tolist()
    bulk = [int(r) for r in np.argsort(session.scores())[:40]]  # 40 ordinary rows, labelled at once
    session.label(bulk, "nominal")
    session.undo()
    assert session.batch().tolist() == fresh
    reopened = aad.Session.open(session.id, store=store)
    assert reopened.batch().tolist() == fresh


def test_a_bulk_label_elsewhere_than_the_cards_draws_a_fresh_batch(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    card = int(session.batch()[0])
    cluster = np.argsort(-session.scores())[5:45]  # high-scored rows, not the card
    session.label([int(r) for r in cluster if r != card], "anomaly")
    expected = int(session.learner.next_queries(1)[0])
    assert expected != card  # the model moved on: the old card is no longer the top query
    assert session.batch().tolist() == [expected]
    assert _reopen(session, fitted_toy2).batch().tolist() == [expected]


def test_labelling_rows_that_already_carry_the_label_costs_nothing(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    session.label([3, 4], "nominal")
    action = session.label([3, 4, 5], "nominal")
    assert action.rows == (5,)
    assert session.n_labels == 3
    assert session.discovery()["labels"].tolist() == [1, 2, 3]
    with pytest.raises(aad.LabelError, match="every given row is already labelled nominal"):
        session.label([3, 5], "nominal")
    assert session.label(3, "anomaly").rows == (3,)  # a different label still replaces it


def test_a_reopened_session_still_knows_the_ranks_before_its_latest_label(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    session.label(int(session.batch()[0]), "anomaly")
    before = session.scores().copy()
    session.label(int(session.batch()[0]), "nominal")
    rows = [0, 7, 300]
    again = _reopen(session, fitted_toy2)
    assert again.ranks(rows, previous=True).tolist() == session.ranks(rows, previous=True).tolist()
    assert (
        again.ranks(rows, previous=True).tolist()
        == (1 + (before[None, :] > before[rows, None]).sum(1)).tolist()
    )
    assert _reopen(_new(store, fitted_toy2), fitted_toy2).ranks(rows, previous=True) is None  # no label yet


def test_skipped_rows_leave_the_queue_until_brought_back(store, fitted_toy2):
    session = _new(store, fitted_toy2, batch_size=2)
    first, second = session.batch().tolist()
    session.skip(first)
    assert first not in session.batch()
    assert session.skipped == {first}
    session.label(second, "nominal")
    assert first not in session.batch()
    session.unskip()
    assert session.skipped == set()
    with pytest.raises(aad.LabelError, match="no skipped rows"):
        session.unskip()


def test_after_a_skip_every_label_from_the_queue_still_counts_for_the_ranking_followed(store, fitted_toy2):
    """A skipped row stayed every ranking's proposal while it ranked first, so no later label was
    any ranking's: the records and the streak of nominals stood still (no challenger asked) until
    the row was brought back or fell. A session saved before keeps that rule, and replays to it."""
    new, old = _new(store, fitted_toy2), _new(store, fitted_toy2, params={"skips_aside": False})
    proposers = {}
    for session in (new, old):
        session.skip(int(session.batch()[0]))
        proposers[session] = []
        for _ in range(20):
            row = int(session.batch()[0])
            proposers[session].append(session.proposed_by(row))
            session.label(row, "anomaly" if session.dataset.y[row] else "nominal")
    assert all(proposers[new])  # every row shown was some ranking's proposal: it counts
    assert sum(n for _, n in new.queue_records().values()) >= 20
    assert not proposers[old][0]  # the rule before: the skipped row was every proposal
    assert sum(map(bool, proposers[old])) < 20  # labels lost to the records while it stayed on top
    again = _reopen(new, fitted_toy2)
    assert again.learner.portfolio.state == new.learner.portfolio.state
    assert again.batch().tolist() == new.batch().tolist()
    assert _reopen(old, fitted_toy2).learner.portfolio.state == old.learner.portfolio.state
    new.unskip()
    new.undo()  # the unskip undone: the row set aside again, the proposals without it
    assert new.learner.portfolio.aside == new.skipped


def test_configure_changes_the_next_batch_and_checks_its_values(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    session.configure(batch_size=4)
    assert len(session.batch()) == 4
    assert store.get(session.id).batch_size == 4
    with pytest.raises(aad.UnknownStrategyError, match="unknown query strategy 'best'; choose one of"):
        session.configure(strategy="best")
    with pytest.raises(aad.AADError, match="The 'batch_size' parameter of Session must be an int"):
        session.configure(batch_size=0)


def test_reopening_gives_the_same_labels_scores_batch_and_history(store, fitted_toy2):
    session = _new(store, fitted_toy2, batch_size=3, seed=2)
    rows = session.batch().tolist()
    session.label(rows[0], "anomaly")
    session.skip(rows[1])
    session.label([10, 20, 30], "nominal")
    session.undo()
    session.label(rows[2], "nominal")
    again = _reopen(session, fitted_toy2)
    assert again.labels() == session.labels() == store.labels(session.id)
    assert np.array_equal(again.scores(), session.scores())
    assert again.batch().tolist() == session.batch().tolist()
    assert again.skipped == session.skipped
    assert again.history() == session.history()
    assert again.learner.history == session.learner.history
    assert again.record.seed == 2


actions = st.lists(
    st.tuples(st.sampled_from(["anomaly", "nominal", "skip", "undo", "redo", "bulk"]), st.integers(0, 484)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=actions)
def test_any_sequence_of_actions_replays_to_the_same_model(tmp_path, fitted_toy2, script):
    session = _new(aad.Store(tmp_path / f"{abs(hash(tuple(script)))}.sqlite"), fitted_toy2, batch_size=2)
    for kind, row in script:
        if kind == "undo":
            if session.can_undo:
                session.undo()
        elif kind == "redo":
            if session.can_redo:
                session.redo()
        elif kind == "bulk":
            rows = [row, (row * 7) % 485]
            if (session.model.labels_[rows] != aad.ANOMALY).any():  # otherwise refused: nothing to do
                session.label(rows, "anomaly")
        elif kind == "skip":
            session.skip(int(session.batch()[0]) if len(session.batch()) else row)
        else:
            session.label(int(session.batch()[0]), kind)
    again = _reopen(session, fitted_toy2)
    assert again.labels() == session.labels()
    assert np.array_equal(again.scores(), session.scores())
    assert again.batch().tolist() == session.batch().tolist()
    fresh = aad.fit_model(session.dataset, session.record.params, session.seed)
    rows = sorted(session.labels())
    if rows:
        fresh.set_labels(rows, [session.labels()[r] for r in rows])
    assert np.allclose(fresh.anomaly_score(), session.scores(), rtol=0, atol=1e-12)


def test_a_second_tab_catches_up_before_it_acts(store, fitted_toy2):
    one = _new(store, fitted_toy2)
    two = _reopen(one, fitted_toy2)
    row = int(one.batch()[0])
    one.label(row, "anomaly")
    assert two.n_labels == 0
    assert two.refresh() is True
    assert two.labels() == {row: 1}
    assert np.array_equal(two.scores(), one.scores())
    two.label(int(two.batch()[0]), "nominal")  # writes, then applies both tabs' actions in log order
    one.refresh()
    assert one.labels() == two.labels()
    assert len(one.labels()) == 2
    assert two.refresh() is False


def test_the_same_seed_gives_the_same_session_and_another_seed_another(store, fitted_toy2):
    a, b, c = (_new(store, fitted_toy2, seed=s) for s in (5, 5, 6))
    for session in (a, b):
        session.label(int(session.batch()[0]), "nominal")
    assert a.batch().tolist() == b.batch().tolist()
    assert np.array_equal(a.scores(), b.scores())
    assert not np.array_equal(a.initial_scores(), c.initial_scores())


def test_a_session_pickles_as_its_address_and_reopens(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    session.label(int(session.batch()[0]), "anomaly")
    data = pickle.dumps(session)
    assert len(data) < 500  # no arrays: the store holds the state
    again = pickle.loads(data)
    assert again.id == session.id
    assert again.labels() == session.labels()
    assert np.array_equal(again.scores(), session.scores())


def test_discovery_curves_count_anomalies_against_labels(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    y = session.dataset.y
    rows = np.flatnonzero(y)[:2].tolist() + np.flatnonzero(~y)[:1].tolist()
    for row, value in zip(rows, [1, 1, 0], strict=True):
        session.label(row, value)
    curves = session.discovery()
    assert curves["labels"].tolist() == [1, 2, 3]
    assert curves["found"].tolist() == [1, 2, 2]
    assert curves["truth_found"].tolist() == [1, 2, 2]
    top = np.argsort(-session.initial_scores(), kind="stable")[:3]
    assert curves["baseline_found"].tolist() == np.cumsum(y[top]).tolist()


def test_a_corrected_label_is_not_counted_twice_on_the_discovery_curves(store, fitted_toy2):
    """A true anomaly labelled nominal by mistake, then corrected (as on the Explore page),
    is one row: one point, one true anomaly, and the correction shows on that point."""
    session = _new(store, fitted_toy2)
    y = session.dataset.y
    anomaly, nominal = int(np.flatnonzero(y)[0]), int(np.flatnonzero(~y)[0])
    session.label(anomaly, "nominal")
    session.label(nominal, "nominal")
    session.label([anomaly], "anomaly")  # the correction
    curves = session.discovery()
    assert curves["labels"].tolist() == [1, 2]
    assert curves["found"].tolist() == [0, 1]  # after the correction, one anomaly among the labels
    assert curves["truth_found"].tolist() == [1, 1]
    assert len(curves["baseline_found"]) == 2


def test_score_grid_is_the_model_score_on_the_grid(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    session.label(int(session.batch()[0]), "anomaly")
    xs, ys, z = session.score_grid(resolution=7)
    assert z.shape == (7, 7)
    assert xs[0] < session.dataset.X[:, 0].min()
    assert ys[-1] > session.dataset.X[:, 1].max()
    expected = session.model.anomaly_score(np.array([[xs[3], ys[5]]]))[0]
    assert z[5, 3] == expected


def test_percentiles_place_each_value_in_its_column(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    X = session.dataset.X
    low, high = int(np.argmin(X[:, 0])), int(np.argmax(X[:, 0]))
    n = session.dataset.n_rows
    assert session.percentiles(low)[0] == pytest.approx(50 / n)
    assert session.percentiles(high)[0] == pytest.approx(100 - 50 / n)


def test_a_file_this_aad_reads_otherwise_says_how_then_and_now_and_keeps_the_labels(
    store, tmp_path, monkeypatch
):
    """An older aad read durations written `0 days 00:22:41` as a category; this one reads seconds.
    The session cannot reopen on the new reading (its labels were given on the other), and the
    message says how the column was read then and now, and how to carry the labels on."""
    rng = np.random.default_rng(1)
    waits = [f"0 days 00:{m:02d}:00" for m in rng.integers(0, 12, 80)]  # 12 values: a category then
    frame = pd.DataFrame({"x": rng.normal(size=80), "wait": waits})
    path = tmp_path / "calls.csv"
    frame.to_csv(path, index=False)
    with monkeypatch.context() as older:  # the reader before durations
        older.setattr(aad.encoding, "read_durations", lambda series, **_: None)
        session = aad.Session.create(aad.load_data(str(path)), store=store, params={"n_estimators": 20})
    session.label(3, "anomaly")
    with pytest.raises(aad.DataError) as raised:
        aad.Session.open(session.id, store=store)
    said = str(raised.value)
    assert "no longer reads as it did when the session started" in said
    assert "then: column 'wait' is a category" in said
    assert "now: column 'wait' is a duration" in said
    assert f"aad sessions export {session.id} --output labels.csv" in said
    assert store.get(session.id).fingerprint == session.record.fingerprint  # nothing rewritten, labels kept


def test_a_session_on_a_file_reopens_and_notices_a_changed_file(store, tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    frame["truth"] = np.where(np.arange(60) < 3, "anomaly", "nominal")
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    data = aad.load_data(str(path), features=["c", "a"], label_column="truth")
    session = aad.Session.create(data, store=store, params={"n_estimators": 20})
    session.label(4, "anomaly")
    again = aad.Session.open(session.id, store=store)
    assert again.dataset.feature_names == ("c", "a")
    assert again.dataset.n_anomalies == 3
    assert again.labels() == {4: 1}
    assert again.record.params["n_estimators"] == 20
    frame.loc[0, "a"] = 99.0
    frame.to_csv(path, index=False)
    with pytest.raises(aad.DataError, match="has changed since the session started"):
        aad.Session.open(session.id, store=store)
    path.rename(tmp_path / "moved.csv")  # the error named a file the analyst never passed (helper-36)
    with pytest.raises(aad.DataError, match=rf"session {session.id}'s data, .*t\.csv, cannot be read"):
        aad.Session.open(session.id, store=store)
    assert store.labels(session.id) == {4: 1}


def test_data_not_from_a_file_cannot_start_a_session(store):
    data = aad.dataset_from_frame(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))
    with pytest.raises(aad.DataError, match="must come from a shipped dataset or a file"):
        aad.Session.create(data, store=store)
    assert store.summaries() == []


def test_bad_forest_parameters_store_nothing(store, fitted_toy2):
    with pytest.raises(aad.AADError, match="The 'n_estimators' parameter of AADForest"):
        aad.Session.create(fitted_toy2[0], store=store, params={"n_estimators": 0})
    assert store.summaries() == []


def test_select_columns_picks_features_and_any_column_as_ground_truth(toy2):
    only_y = aad.select_columns(toy2, features=["y"], label_column=None)
    assert only_y.feature_names == ("y",)
    assert only_y.y is None
    assert np.array_equal(only_y.X[:, 0], toy2.X[:, 1])
    assert aad.select_columns(toy2) is toy2
    frame = toy2.frame().assign(flag=toy2.y.astype(int))
    table = aad.dataset_from_frame(frame, label_column=None, source="t.csv")
    chosen = aad.select_columns(table, features=["x", "y"], label_column="flag")
    assert np.array_equal(chosen.y, toy2.y)
    with pytest.raises(aad.DataError, match="cannot be both a feature and the ground truth"):
        aad.select_columns(table, features=["x", "flag"], label_column="flag")
    with pytest.raises(aad.DataError, match="there is no column 'z'"):
        aad.select_columns(table, features=["z"])
    with pytest.raises(aad.DataError, match="choose at least one feature column"):
        aad.select_columns(table, features=[], label_column=None)


def test_fitting_a_session_model_reports_progress_for_the_progress_bar(toy2):
    steps = []
    model = aad.fit_model(
        toy2, {"n_estimators": 20}, 3, progress=lambda step, done: steps.append((step, done))
    )
    fractions = [done for _, done in steps]
    assert fractions == sorted(fractions)
    assert steps[0] == ("growing the isolation trees", 0.0)
    assert steps[-1] == ("ready", 1.0)
    assert np.array_equal(model.anomaly_score(), aad.fit_model(toy2, {"n_estimators": 20}, 3).anomaly_score())


def test_unusualness_puts_a_large_shared_shift_before_noise_at_the_edge(store, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    X[:20, :2] += 6.0  # twenty rows shifted by 6 sigma in two columns: none alone at the top
    X[0, 5] = 2.9  # row 0's highest value in a noise column: near the top percentile too
    path = tmp_path / "shift.csv"
    pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).to_csv(path, index=False)
    session = aad.Session.create(aad.load_dataset(path), store=store, seed=0)
    far = session.unusualness(0)
    assert set(np.argsort(-far)[:2]) == {0, 1}
    assert far[0] > 1.5 * far[5]


def test_the_labels_download_carries_each_rows_id_and_reads_back(store, tmp_path):
    path = tmp_path / "txn.csv"
    path.write_text("txn_id,amount,hour\n" + "".join(f"T{i},{i % 11}.5,{(i * 7) % 13}\n" for i in range(30)))
    session = aad.Session.create(aad.load_data(str(path)), store=store, seed=0)
    session.label([4, 2], "anomaly", kind="=takeover", analyst="ann")
    session.label(9, "nominal", note="called the customer, it was them", analyst="bob")
    table = pd.read_csv(io.StringIO(session.labels_csv()), keep_default_na=False)
    assert table.drop(columns="labelled_at").to_dict("list") == {
        "row": [2, 4, 9],
        "label": ["anomaly", "anomaly", "nominal"],
        "kind": ["'=takeover", "'=takeover", ""],  # spreadsheet-safe: no formula
        "note": ["", "", "called the customer, it was them"],
        "analyst": ["ann", "ann", "bob"],
        "txn_id": ["T2", "T4", "T9"],
    }
    assert table["labelled_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    (tmp_path / "labels.csv").write_text(session.labels_csv())
    assert np.flatnonzero(aad.read_labels(tmp_path / "labels.csv", n_rows=30) == 1).tolist() == [2, 4]


def test_a_session_saved_before_class_balance_existed_keeps_its_scores(store, fitted_toy2):
    """Sessions stored without a "balance" parameter were scored with the fully balanced
    update; reopened, they still are, so the queue the analyst saw does not change."""
    import json
    import sqlite3

    session = _new(store, fitted_toy2)
    session.label([0, 1], "nominal")
    session.label(2, "anomaly")
    assert session.model.balance == aad.session.DEFAULT_PARAMS["balance"] < 1
    old = {k: v for k, v in session.record.params.items() if k != "balance"}
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET params = ? WHERE id = ?", (json.dumps(old), session.id))
    reopened = _reopen(session, fitted_toy2)
    assert reopened.model.balance == 1.0
    forest = {k: v for k, v in old.items() if k not in aad.session._LEARNER_PARAMS}
    fresh = aad.AADForest(**forest, balance=1.0, random_state=session.seed).fit(fitted_toy2[0].X)
    fresh.set_labels(list(session.labels()), list(session.labels().values()))
    np.testing.assert_allclose(reopened.scores(), fresh.anomaly_score(), rtol=1e-12)


def test_a_session_saved_on_trees_of_256_rows_reopens_on_them(store, tmp_path):
    """The default became 512 rows per tree; a session keeps the forest it was labelled on."""
    import json
    import sqlite3

    path = tmp_path / "t.csv"
    frame = pd.DataFrame(np.random.default_rng(3).normal(size=(900, 3)), columns=list("abc"))
    frame.to_csv(path, index=False)
    new = aad.Session.create(aad.load_data(str(path)), store=store, seed=2)
    assert new.record.params["max_samples"] == new.model.forest_.max_samples == aad.model.SAMPLES == 512
    old = aad.Session.create(aad.load_data(str(path)), store=store, seed=2, params={"max_samples": 256})
    old.label(int(old.batch()[0]), "nominal")
    reopened = aad.Session.open(old.id, store=store)
    assert reopened.model.forest_.max_samples == 256
    np.testing.assert_array_equal(reopened.scores(), old.scores())
    bare = {k: v for k, v in old.record.params.items() if k != "max_samples"}  # as stored before
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET params = ? WHERE id = ?", (json.dumps(bare), old.id))
    assert aad.Session.open(old.id, store=store).model.forest_.max_samples == 256


def _label_queue(session, n) -> None:
    y = session.dataset.y
    for _ in range(n):
        row = int(session.batch()[0])
        session.label(row, "anomaly" if y[row] else "nominal")


def test_a_session_follows_the_adaptive_queue_and_reopens_on_the_same_record(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    assert session.record.params["queue"] == "adaptive"
    _label_queue(session, 30)
    state, batch = session.learner.portfolio.state, session.batch().tolist()
    assert state.found
    assert sum(state.hits) > 0
    again = _reopen(session, fitted_toy2)
    assert again.learner.portfolio.state == state
    assert again.batch().tolist() == batch


def test_a_session_saved_before_the_portfolio_keeps_following_the_learned_model(store, fitted_toy2):
    """Its queue is what the analyst saw: the learned model's top rows, however the labels went."""
    import json
    import sqlite3

    session = _new(store, fitted_toy2)
    old = {k: v for k, v in session.record.params.items() if k != "queue"}
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET params = ? WHERE id = ?", (json.dumps(old), session.id))
    before = _reopen(session, fitted_toy2)
    assert before.learner.queue == "feedback"
    assert before.learner.portfolio is None
    _label_queue(before, 25)
    free = before.model.labels_ == -1
    expected = int(np.argmax(np.where(free, before.scores(), -np.inf)))
    assert before.batch().tolist() == [expected]


def test_a_session_saved_before_the_dry_spell_challenger_keeps_its_queue(store, fitted_toy2):
    """Sessions stored without "explores_early" were labelled under the rule that asked no
    challenger before the first anomaly; reopened, they keep it, and new sessions ask one."""
    import json
    import sqlite3

    session = _new(store, fitted_toy2)
    assert session.record.params["explores_early"] is True
    assert session.learner.portfolio.state.explores_early
    old = {k: v for k, v in session.record.params.items() if k != "explores_early"}
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET params = ? WHERE id = ?", (json.dumps(old), session.id))
    before = _reopen(session, fitted_toy2)
    assert before.learner.queue == "adaptive"
    assert not before.learner.portfolio.state.explores_early
    for _ in range(2 * PATIENCE):  # a dry spell: nominals only, no challenger under the old rule
        row = int(before.batch()[0])
        assert before.proposed_by(row)[0] == "feedback"
        before.label(row, "nominal")
    assert not before.learner.portfolio.state.exploring


def test_a_session_saved_before_the_first_look_replays_its_queue(store, fitted_toy2):
    """Sessions stored without "first_look" were labelled without the forest's first look;
    reopened, they replay their labels under that rule to the same record and the same next
    row, and new sessions give the look (on 100 trees, where the two rules part on toy2)."""
    import json
    import sqlite3

    trees = {"n_estimators": 100}
    new = _new(store, fitted_toy2, params=trees)
    old = _new(store, fitted_toy2, params={**trees, "first_look": False})
    _label_queue(new, 60)
    _label_queue(old, 60)
    assert new.learner.portfolio.state.looks == (3, 4)
    assert [a.rows for a in new.history()] != [a.rows for a in old.history()]  # the rules part
    state, batch = old.learner.portfolio.state, old.batch().tolist()
    stored = {k: v for k, v in old.record.params.items() if k != "first_look"}
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET params = ? WHERE id = ?", (json.dumps(stored), old.id))
    before = _reopen(old, fitted_toy2)
    assert before.learner.portfolio.state == state
    assert before.batch().tolist() == batch


def test_a_session_saved_before_the_cap_on_the_class_weights_keeps_them_uncapped(store, fitted_toy2):
    import json
    import sqlite3

    session = _new(store, fitted_toy2)
    session.label([3, 4], "anomaly")
    assert session.record.params["max_ratio"] == aad.weights.MAX_RATIO
    assert session.model.max_ratio == aad.weights.MAX_RATIO
    stored = {k: v for k, v in session.record.params.items() if k != "max_ratio"}
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET params = ? WHERE id = ?", (json.dumps(stored), session.id))
    before = aad.Session.open(session.id, store=store)  # fitted afresh: its own parameters
    assert before.model.max_ratio is None
    assert before.labels() == {3: 1, 4: 1}


def test_a_session_saved_before_the_strong_ranking_keeps_its_three(store, fitted_toy2):
    """Sessions stored without "strong_ranking" were labelled by a portfolio of three rankings;
    reopened, they keep it (and so the same queue), and new sessions have four."""
    import json
    import sqlite3

    session = _new(store, fitted_toy2)
    assert session.record.params["strong_ranking"] is True
    old = {k: v for k, v in session.record.params.items() if k not in ("strong_ranking", "beliefs_ranking")}
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET params = ? WHERE id = ?", (json.dumps(old), session.id))
    before = _reopen(session, fitted_toy2)
    assert before.learner.portfolio.rankings == ("feedback", "saturating", "forest")
    assert len(before.learner.portfolio.state.hits) == 3


def test_a_session_saved_before_the_leaf_beliefs_replays_its_queue_on_four_rankings(store, fitted_toy2):
    """Sessions stored without "beliefs_ranking" were labelled by a portfolio of four rankings;
    reopened, they replay their labels on those four, to the same record and the same next row,
    and new sessions have five, the beliefs with a first look as the forest's order has."""
    import json
    import sqlite3

    trees = {"n_estimators": 100}
    new = _new(store, fitted_toy2, params=trees)
    old = _new(store, fitted_toy2, params={**trees, "beliefs_ranking": False})
    assert new.learner.portfolio.rankings == ("feedback", "strong", "saturating", "forest", "beliefs")
    assert new.learner.portfolio.state.looks == (3, 4)
    assert old.learner.portfolio.rankings == ("feedback", "strong", "saturating", "forest")
    _label_queue(new, 60)
    _label_queue(old, 60)
    state, batch = old.learner.portfolio.state, old.batch().tolist()
    stored = {k: v for k, v in old.record.params.items() if k != "beliefs_ranking"}
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET params = ? WHERE id = ?", (json.dumps(stored), old.id))
    before = _reopen(old, fitted_toy2)
    assert before.learner.portfolio.rankings == ("feedback", "strong", "saturating", "forest")
    assert before.learner.portfolio.state == state
    assert before.batch().tolist() == batch


def test_something_different_replaces_the_batch_and_the_streak_counts_nominals(store, fitted_toy2):
    session = _new(store, fitted_toy2, batch_size=2)
    usual = session.batch().tolist()
    different = session.different().tolist()
    assert different[0] not in usual
    assert different[1] == usual[0]
    assert session.batch().tolist() == different  # kept as the current batch
    assert session.streak == 0
    session.label(different[0], "nominal")
    session.label(different[1], "nominal")
    assert session.streak == 2
    session.undo()
    assert session.streak == 1
    row = int(session.batch()[0])
    session.label(row, "anomaly")
    assert session.streak == 0


def test_rows_the_analyst_picks_are_no_part_of_the_queues_streak(store, fitted_toy2, tmp_path):
    session = _new(store, fitted_toy2)
    session.label(int(session.batch()[0]), "nominal", via="card")
    assert session.streak == 1
    ranks = np.argsort(-session.scores())
    picked = [int(r) for r in ranks[-20:]]  # twenty normal rows selected on the Explore page
    session.label(picked, "nominal", via="explore")
    session.label(picked[0], "anomaly", via="rows")  # a search's row: no anomaly the queue found
    assert session.streak == 1  # it said 21 nominals in a row, and hinted a kind was used up
    session.label(int(session.batch()[0]), "nominal", via="card")
    assert session.streak == 2
    assert _reopen(session, fitted_toy2).streak == 2  # the same after a reload


def test_an_unknown_queue_is_refused_before_anything_is_stored(store, fitted_toy2):
    with pytest.raises(aad.UnknownStrategyError, match="unknown queue"):
        _new(store, fitted_toy2, params={"queue": "fastest"})
    assert store.summaries() == []
