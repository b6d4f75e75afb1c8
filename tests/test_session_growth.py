"""A session that grows: rows added to it are recognised, appended, logged and replayed exactly.

* the engine: rows already present are recognised (a multiset), the rest appended; every
  label is kept; the log records the addition with the content hash of the rows added, so
  reopening the session (a reload, a restart) replays it bit for bit; a table that changed
  under the log is refused in one line; an undo after an addition takes back the label
  before it (an addition is outside the undo history);
* the workbench (AppTest): the Progress page's upload adds the rows, says what they did and
  draws the scores before and after; a fresh tab on the same session shows the same rows.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import aad
from app import keys, views

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")


def _table(n: int, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"a": rng.normal(shift, 1, n).round(4), "b": rng.normal(shift, 1, n).round(4), "label": "nominal"}
    )
    frame.loc[[3, n - 2], ["a", "b", "label"]] = [
        [shift + 8.0, shift + 8.0, "anomaly"],
        [shift - 7, 7.0, "anomaly"],
    ]
    return frame


@pytest.fixture
def grown(tmp_path) -> tuple[Path, Path, Path]:
    """Day 1's export (400 rows) and day 2's (day 1's rows, reordered, and 300 new ones, moved)."""
    day1, day2 = _table(400), _table(300, seed=1, shift=3.0)
    first, second = tmp_path / "day1.csv", tmp_path / "day2.csv"
    day1.to_csv(first, index=False)
    pd.concat([day2.iloc[:150], day1.iloc[::-1], day2.iloc[150:]]).to_csv(second, index=False)
    return first, second, tmp_path / "s.sqlite"


def test_added_rows_are_appended_labels_kept_and_a_reopen_replays_exactly(grown):
    first, second, db = grown
    store = aad.Store(db)
    # trees of 256 rows, so that the 300 new rows can regrow one
    session = aad.Session.create(aad.load_data(str(first)), store=store, seed=3, params={"max_samples": 256})
    session.label(3, "anomaly")
    session.label(10, "nominal")
    growth = session.add_rows(str(second))
    assert growth.rows_added == 300
    assert session.dataset.n_rows == 700
    assert session.labels() == {3: 1, 10: 0}
    assert growth.trees_replaced > 0  # the new rows moved by 3 spreads: the forest's leaves drifted
    assert growth.drift_alarm is True
    new_outlier = 400 + 150 + (300 - 2 - 150)
    assert session.dataset.y[new_outlier]
    session.label(new_outlier, "anomaly")
    again = aad.Session.open(session.id, store=aad.Store(db))
    assert again.dataset.n_rows == 700
    assert np.array_equal(again.scores(), session.scores())
    assert again.labels() == session.labels()
    assert [a.kind for a in again.history()] == ["label", "label", "add_rows", "label"]
    assert again.history()[2].addition.content_hash == store.actions(session.id)[2].addition.content_hash


def test_the_sidebar_says_the_trees_hold_the_rows_before_an_addition(grown):
    from app.state import pages

    first, second, db = grown
    session = aad.Session.create(aad.load_data(str(first)), store=aad.Store(db), seed=3)
    assert pages._max_samples(session) == f"max_samples 400 (all rows; {aad.model.SAMPLES} asked)"
    session.add_rows(str(second))  # 300 rows: too few to regrow a tree of 400
    assert pages._max_samples(session) == (
        f"max_samples 400 (all rows before the added ones; {aad.model.SAMPLES} asked)"
    )


def test_an_addition_too_small_to_regrow_a_tree_says_so(grown):
    """Trees grown on all 400 first rows (fewer than 512): 300 drifted rows cannot regrow one."""
    first, second, db = grown
    session = aad.Session.create(aad.load_data(str(first)), store=aad.Store(db), seed=3)
    growth = session.add_rows(str(second))
    assert growth.drifted_trees > 0
    assert growth.trees_replaced == 0
    assert growth.regrow_rows == 400
    text = views.growth_text(growth)
    assert f"no tree replaced ({growth.drifted_trees} trees of the forest drifted; " in text
    assert "a tree is regrown on at least 400 new rows)" in text


def test_a_table_with_nothing_new_adds_nothing_and_says_so(grown):
    first, _, db = grown
    session = aad.Session.create(aad.load_data(str(first)), store=aad.Store(db), seed=0)
    with pytest.raises(aad.DataError, match=r"every row of day1.csv is already in the session \(400 rows\)"):
        session.add_rows(str(first))
    assert session.version == 0


def test_an_undo_after_an_addition_takes_back_the_label_before_it(grown):
    first, second, db = grown
    session = aad.Session.create(aad.load_data(str(first)), store=aad.Store(db), seed=0)
    session.label(3, "anomaly")
    session.add_rows(str(second))
    session.undo()
    assert session.labels() == {}
    assert session.dataset.n_rows == 700
    assert aad.Session.open(session.id, store=aad.Store(db)).labels() == {}


def test_an_addition_ends_what_can_be_redone(grown):
    first, second, db = grown
    session = aad.Session.create(aad.load_data(str(first)), store=aad.Store(db), seed=0)
    session.label(3, "anomaly")
    session.undo()
    assert session.can_redo
    session.add_rows(str(second))  # a new action: the label undone before it stays undone
    assert not session.can_redo
    with pytest.raises(aad.LabelError, match="there is nothing to redo"):
        session.redo()
    assert not aad.Session.open(session.id, store=aad.Store(db)).can_redo


def test_a_kept_table_that_changed_is_refused_on_reopening(grown):
    first, second, db = grown
    store = aad.Store(db)
    session = aad.Session.create(aad.load_data(str(first)), store=store, seed=0)
    session.add_rows(str(second))
    kept = Path(store.actions(session.id)[0].addition.path)
    kept.chmod(0o644)
    kept.write_text(kept.read_text().replace("nominal", "anomaly", 1))
    with pytest.raises(aad.DataError, match="are not the rows read from that file now"):
        aad.Session.open(session.id, store=aad.Store(db))
    kept.write_text(kept.read_text()[: len(kept.read_text()) // 2] + '"')  # cut mid-line, a quote open
    with pytest.raises(aad.DataError) as err:  # named by the file the rows came from, not the copy's hash
        aad.Session.open(session.id, store=aad.Store(db))
    assert f"added at version 1 from {second.name} (kept as {kept}) cannot be read" in str(err.value)
    assert store.labels(session.id) == {}  # nothing lost: the log is as it was


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"detector": "eif"}, "detector is an extended isolation forest, whose model cannot take new rows"),
        (
            {"detector": "ensemble", "members": ["iforest", "lof"]},
            "detector is an ensemble, whose model cannot take new rows",
        ),
    ],
)
def test_a_session_whose_model_cannot_grow_refuses_rows_and_writes_nothing(grown, params, said):
    """Only an isolation forest's trees grow: an extended forest's or an ensemble's addition was
    logged, then failed with a traceback, at every reopening after (the session was lost)."""
    first, second, db = grown
    store = aad.Store(db)
    session = aad.Session.create(aad.load_data(str(first)), store=store, seed=0, params=params)
    session.label(3, "anomaly")
    with pytest.raises(aad.DataError, match=said + r"; start a new session on the grown table"):
        session.add_rows(str(second))
    assert [a.kind for a in store.actions(session.id)] == ["label"]  # nothing logged
    again = aad.Session.open(session.id, store=aad.Store(db))
    assert again.dataset.n_rows == 400
    assert again.labels() == {3: 1}


def test_an_addition_logged_to_a_model_that_cannot_grow_is_named_on_reopening(grown):
    """A log written by an aad that let the addition through: one message, the labels kept."""
    first, second, db = grown
    store = aad.Store(db)
    session = aad.Session.create(aad.load_data(str(first)), store=store, seed=0, params={"detector": "eif"})
    session.label(3, "anomaly")
    rows = aad.load_rows(str(second), like=session.dataset)
    fresh = aad.stream.growth.unseen_rows(session.dataset.X, rows.X, known_y=session.dataset.y, y=None)
    addition = aad.store.Addition("0" * 64, str(store.keep_file(second)), 400, len(fresh))
    store.append_rows(session.id, addition, after=session.version, analyst="old aad", via="file day2.csv")
    with pytest.raises(aad.DataError) as err:
        aad.Session.open(session.id, store=aad.Store(db))
    assert "added at version 2 from day2.csv" in str(err.value)
    assert "cannot be replayed: this session's detector is an extended isolation forest" in str(err.value)
    assert f"aad sessions export {session.id}" in str(err.value)
    assert store.labels(session.id) == {3: 1}


def test_the_progress_page_says_an_ensemble_cannot_grow_before_a_file_is_chosen(grown, monkeypatch):
    first, _, db = grown
    params = {"detector": "ensemble", "members": ["iforest", "lof"]}
    session = aad.Session.create(aad.load_data(str(first)), store=aad.Store(db), seed=0, params=params)
    monkeypatch.setenv("AAD_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params[keys.URL_SESSION] = session.id
    at.run()
    at.switch_page("screens/progress.py").run()
    assert not at.exception
    assert any("detector is an ensemble, whose model cannot take new rows" in i.value for i in at.info)
    assert not [u for u in at.get("file_uploader") if str(u.key).startswith(keys.GROW_UPLOAD)]


def _with_a_gap(tmp_path: Path, name: str, frame: pd.DataFrame) -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_a_row_with_a_missing_cell_is_added_once_whatever_grows_after_it(grown, tmp_path):
    """The missing cell was filled with the median of the session's table, which each addition
    moves: the same export added the row again (601 rows for 600, then 1 for none)."""
    first, _, db = grown
    day1 = pd.read_csv(first)
    more, later = _table(300, seed=5, shift=1.0), _table(300, seed=6, shift=2.0)
    more.loc[10, "a"] = np.nan
    day2 = _with_a_gap(tmp_path, "day2.csv", pd.concat([day1, more]))
    day3 = _with_a_gap(tmp_path, "day3.csv", pd.concat([day1, more, later]))
    store = aad.Store(db)
    session = aad.Session.create(aad.load_data(str(first)), store=store, seed=0)
    assert session.add_rows(str(day2)).rows_added == 300
    assert session.add_rows(str(day3)).rows_added == 300
    with pytest.raises(aad.DataError, match=r"every row of day2\.csv is already in the session"):
        session.add_rows(str(day2))
    reopened = aad.Session.open(session.id, store=aad.Store(db))
    assert reopened.dataset.n_rows == 1000
    assert np.isnan(reopened.dataset.X_as_read[:, 0]).sum() == 1


def test_a_session_saved_before_keeps_matching_rows_as_filled_in(grown, tmp_path):
    """Its log was written under the rule before: replayed under it, so it reopens as it was."""
    first, _, db = grown
    more, later = _table(300, seed=5, shift=1.0), _table(300, seed=6, shift=2.0)
    more.loc[10, "a"] = np.nan
    day1 = pd.read_csv(first)
    day2 = _with_a_gap(tmp_path, "day2.csv", pd.concat([day1, more]))
    day3 = _with_a_gap(tmp_path, "day3.csv", pd.concat([day1, more, later]))
    store = aad.Store(db)
    before = aad.Session.create(
        aad.load_data(str(first)), store=store, seed=0, params={"match_as_read": False}
    )
    before.add_rows(str(day2))
    added = before.add_rows(str(day3)).rows_added
    assert added == 301  # under the rule before, the row with a gap came again
    reopened = aad.Session.open(before.id, store=aad.Store(db))
    assert reopened.dataset.n_rows == 700 + added
    assert bool((reopened.scores() == before.scores()).all())


def test_rows_without_the_sessions_columns_are_refused(grown, tmp_path):
    first, _, db = grown
    session = aad.Session.create(aad.load_data(str(first)), store=aad.Store(db), seed=0)
    other = tmp_path / "other.csv"
    pd.DataFrame({"a": [1.0, 2.0], "label": ["nominal", "anomaly"]}).to_csv(other, index=False)
    with pytest.raises(aad.DataError, match=r"^other\.csv has no column 'b'") as raised:
        session.add_rows(str(other))
    assert aad.Store(db).uploads_dir.name not in str(raised.value)  # the file as given, not its kept copy


def test_added_rows_bring_no_second_ground_truth_column_and_their_context_lines_up(grown, tmp_path):
    """The session's ground truth is its ``y``, not a context column half filled by the new rows;
    a column only the new rows have is empty on the old rows, each row's context its own."""
    first, second, db = grown
    session = aad.Session.create(aad.load_data(str(first)), store=aad.Store(db), seed=0)
    frame = pd.read_csv(second)
    frame["ticket"] = [f"T{i}" for i in range(len(frame))]
    third = tmp_path / "day2_tickets.csv"
    frame.to_csv(third, index=False)
    session.add_rows(str(third))
    context = session.dataset.context
    assert "label" not in context.columns
    assert len(context) == session.dataset.n_rows == 700
    new = frame[~frame["ticket"].isin(frame["ticket"].iloc[150:550])]  # the rows day 1 did not hold
    assert context["ticket"].iloc[:400].isna().all()
    assert context["ticket"].iloc[400:].tolist() == new["ticket"].tolist()
    session.label(450, "anomaly")
    header = session.labels_csv().splitlines()[0].split(",")
    assert "label" not in header[header.index("labelled_at") + 1 :]
    reopened = aad.Session.open(session.id, store=aad.Store(db))
    assert reopened.dataset.context["ticket"].iloc[400:].tolist() == new["ticket"].tolist()


def test_the_progress_page_adds_rows_and_shows_what_they_did(grown, monkeypatch):
    first, second, db = grown
    monkeypatch.setenv("AAD_DB", str(db))
    monkeypatch.setenv("AAD_DATA", str(first))
    at = AppTest.from_file(APP, default_timeout=60).run()
    session = at.session_state[keys.SESSION]
    session.label(3, "anomaly")
    at.switch_page("screens/progress.py").run()
    upload = at.file_uploader(key=f"{keys.GROW_UPLOAD}_0")
    upload.set_value(("day2.csv", second.read_bytes(), "text/csv")).run()
    assert not at.exception
    message = next(s.value for s in at.success)
    assert message.startswith("day2.csv: 300 rows added;")
    assert "every label kept" in message
    assert at.session_state[keys.SESSION].dataset.n_rows == 700
    assert {m.label: m.value for m in at.metric}["Rows added"] == "300"
    assert at.session_state[keys.SESSION].labels() == {3: 1}
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params["session"] = session.id
    fresh.run()
    fresh.switch_page("screens/progress.py").run()
    reopened = fresh.session_state[keys.SESSION]
    assert reopened.dataset.n_rows == 700
    assert np.array_equal(reopened.scores(), at.session_state[keys.SESSION].scores())
    assert {m.label: m.value for m in fresh.metric}["Rows added"] == "300"


def test_additions_are_numbered_with_the_events_and_append_only(grown):
    import sqlite3

    first, second, db = grown
    store = aad.Store(db)
    session = aad.Session.create(aad.load_data(str(first)), store=store, seed=0)
    session.label(3, "anomaly")
    session.add_rows(str(second))
    session.label(10, "nominal")
    assert [(a.number, a.kind) for a in store.actions(session.id)] == [
        (1, "label"),
        (2, "add_rows"),
        (3, "label"),
    ]
    assert store.labels(session.id) == {3: 1, 10: 0}
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
        for statement in ("DELETE FROM additions", "UPDATE additions SET n_rows = 1"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(statement)
    finally:
        conn.close()


def test_aad_app_on_a_file_that_grew_resumes_the_session_with_the_new_rows(grown, monkeypatch, tmp_path):
    first, second, db = grown
    launched = tmp_path / "export.csv"
    launched.write_bytes(first.read_bytes())
    monkeypatch.setenv("AAD_DB", str(db))
    monkeypatch.setenv("AAD_DATA", str(launched))
    at = AppTest.from_file(APP, default_timeout=60).run()
    session = at.session_state[keys.SESSION]
    session.label(3, "anomaly")
    launched.write_bytes(second.read_bytes())  # the next day's export, over the same file
    again = AppTest.from_file(APP, default_timeout=60).run()
    assert not again.exception
    resumed = again.session_state[keys.SESSION]
    assert resumed.id == session.id
    assert resumed.dataset.n_rows == 700
    assert resumed.labels() == {3: 1}
    assert any("grew since session" in t.value and "300 rows added" in t.value for t in again.toast)
    third = AppTest.from_file(APP, default_timeout=60).run()  # another tab: nothing more to add
    assert third.session_state[keys.SESSION].id == session.id
    assert third.session_state[keys.SESSION].dataset.n_rows == 700


def test_rows_added_after_drift_leave_the_old_rows_ranked_as_a_session_on_the_whole_table_would(tmp_path):
    """Day 2's rows moved by 5 spreads: the drifted trees are regrown on the whole table, so the
    old rows do not crowd the top (trees grown on the new rows alone isolated every old row); a
    session saved before the rule (``regrow_on`` absent: the new rows) keeps its own on replay."""
    rng = np.random.default_rng(0)

    def day(shift: float) -> pd.DataFrame:
        X = rng.normal(shift, 1.0, size=(600, 3))
        X[:6] += rng.choice([-1, 1], size=(6, 3)) * 6.0  # six anomalies about each day's mode
        frame = pd.DataFrame(X.round(4), columns=["a", "b", "c"])
        frame["label"] = ["anomaly"] * 6 + ["nominal"] * 594
        return frame

    first, both = tmp_path / "day1.csv", tmp_path / "both.csv"
    one, two = day(0.0), day(5.0)
    one.to_csv(first, index=False)
    pd.concat([one, two]).to_csv(both, index=False)
    y = np.r_[one["label"] == "anomaly", two["label"] == "anomaly"]
    found, said = {}, {}
    for rule in ("table", "new"):
        store = aad.Store(tmp_path / f"{rule}.sqlite")
        params = {"max_samples": 256, "regrow_on": rule}
        session = aad.Session.create(aad.load_data(str(first)), store=store, seed=0, params=params)
        growth = session.add_rows(str(both))
        assert growth.trees_replaced > 0
        found[rule], said[rule] = int(y[np.argsort(-session.scores())[:12]].sum()), views.growth_text(growth)
        again = aad.Session.open(session.id, store=store)
        np.testing.assert_array_equal(again.scores(), session.scores())  # the rule replays as stored
    assert found["table"] >= 10
    assert found["new"] < found["table"]
    assert "regrown on the whole table" in said["table"]
    assert "regrown on the new rows" in said["new"]


def test_added_rows_keep_their_timestamps_as_written_in_the_scores(tmp_path):
    """A timestamp written with its offset is written so in the scores of the rows added too."""
    days = []
    for day, seed in ((14, 0), (15, 1)):
        frame = _table(120, seed=seed, shift=seed)[["a", "b"]]
        when = pd.date_range(f"2024-10-{day}", periods=120, freq="11min", tz="UTC")
        frame.insert(0, "timestamp", [t.isoformat() for t in when])
        frame.to_csv(tmp_path / f"day{day}.csv", index=False)
        days.append(frame)
    first = aad.load_data(str(tmp_path / "day14.csv"))
    session = aad.Session.create(first, store=aad.Store(tmp_path / "s.db"))
    session.add_rows(str(tmp_path / "day15.csv"))
    assert session.dataset.n_rows == 240
    table = pd.read_csv(io.StringIO(views.scores_csv(session)()))
    assert table["timestamp"].tolist() == pd.concat(days)["timestamp"].tolist()
