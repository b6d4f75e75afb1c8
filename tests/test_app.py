"""The workbench, driven by Streamlit's AppTest: label, undo, reopen, explore, upload, resume."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hover import hover_lines, write_hostile_table
from streamlit import config
from streamlit.testing.v1 import AppTest

import aad
from app import charts, keys, state, views
from app.cli import main

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")


def _action(at, name: str):
    """The Label page's button ``name`` for the card on screen (its key names the card's row)."""
    return next(b for b in at.button if b.key and b.key.startswith(f"{name}-"))


@pytest.fixture(autouse=True)
def strict_session_state():
    before = config.get_option("runner.enforceSerializableSessionState")
    config.set_option("runner.enforceSerializableSessionState", True)
    yield
    config.set_option("runner.enforceSerializableSessionState", before)


def _app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _session(at: AppTest) -> aad.Session:
    return at.session_state[keys.SESSION]


def _top_card(at: AppTest) -> int:
    heading = next(
        m.value for m in at.markdown if m.value.startswith("### Row ") and "now labelling" in m.value
    )
    return int(heading.split()[2])


def test_it_opens_on_the_label_page_with_a_new_session_on_the_data(db):
    at = _app()
    assert not at.exception
    assert at.title[0].value == "Label"
    session = _session(at)
    assert at.query_params[keys.URL_SESSION] == session.id
    assert [s.id for s in aad.Store(db).summaries()] == [session.id]
    assert (_metric(at, "Labels"), _metric(at, "Anomalies"), _metric(at, "Unlabelled")) == (
        "0",
        "0",
        "485",
    )
    assert _top_card(at) == int(np.argmax(session.scores()))
    current = _top_card(at)
    assert {
        keys.for_card(name, current) for name in (keys.LABEL_ANOMALY, keys.LABEL_NOMINAL, keys.LABEL_SKIP)
    } <= {b.key for b in at.button}
    assert keys.LABEL_UNDO in {b.key for b in at.button}
    assert at.button(key=keys.LABEL_UNDO).disabled


def test_the_buttons_label_skip_and_undo_and_the_counts_follow(db):
    at = _app()
    first = _top_card(at)
    _action(at, keys.LABEL_ANOMALY).click().run()
    assert (_metric(at, "Labels"), _metric(at, "Anomalies")) == ("1", "1")
    second = _top_card(at)
    assert second != first
    _action(at, keys.LABEL_NOMINAL).click().run()
    third = _top_card(at)
    _action(at, keys.LABEL_SKIP).click().run()
    assert (_metric(at, "Labels"), _metric(at, "Anomalies"), _metric(at, "Skipped")) == ("2", "1", "1")
    assert aad.Store(db).labels(_session(at).id) == {first: 1, second: 0}
    at.button(key=keys.LABEL_UNDO).click().run()
    assert _metric(at, "Skipped") == "0"
    assert _top_card(at) == third
    at.button(key=keys.LABEL_UNDO).click().run()
    assert (_metric(at, "Labels"), _metric(at, "Model")) == ("1", "v5")
    assert _top_card(at) == second
    assert any(f"Last: undo label row {second} → nominal · model v5" in c.value for c in at.caption)
    assert not at.exception


def test_redo_gives_back_the_label_undo_took_back_with_its_kind_and_note(db):
    at = _app()
    assert at.button(key=keys.LABEL_REDO).disabled  # nothing undone yet
    _session(at).label(0, "anomaly", kind="account takeover")  # a kind written before is offered
    at.run()
    row = _top_card(at)
    at.selectbox(key=keys.LABEL_KIND).set_value("account takeover").run()
    at.text_input(key=keys.LABEL_NOTE).input("two cards, one hour").run()
    _action(at, keys.LABEL_ANOMALY).click().run()
    scores, following = _session(at).scores().copy(), _top_card(at)
    at.button(key=keys.LABEL_UNDO).click().run()
    assert _top_card(at) == row
    assert _session(at).row_label(row) is None
    assert not at.button(key=keys.LABEL_REDO).disabled
    at.button(key=keys.LABEL_REDO).click().run()
    state = _session(at).row_label(row)
    assert (state.label, state.kind, state.note) == (1, "account takeover", "two cards, one hour")
    assert np.array_equal(_session(at).scores(), scores)  # the model as before the undo
    assert _top_card(at) == following
    caption = f"Last: redo label row {row} → anomaly (account takeover) · model v4"
    assert any(caption in c.value for c in at.caption)
    assert at.button(key=keys.LABEL_REDO).disabled  # nothing more to redo
    again = aad.Session.open(_session(at).id, store=aad.Store(db))  # a reload replays the redo
    assert again.row_label(row).note == "two cards, one hour"
    assert not at.exception


def test_several_undos_are_redone_in_turn_and_a_new_label_ends_them(db):
    at = _app()
    rows = []
    for name in (keys.LABEL_ANOMALY, keys.LABEL_NOMINAL, keys.LABEL_SKIP):
        rows.append(_top_card(at))
        _action(at, name).click().run()
    for _ in range(3):
        at.button(key=keys.LABEL_UNDO).click().run()
    assert _top_card(at) == rows[0]
    at.button(key=keys.LABEL_REDO).click().run()
    assert aad.Store(db).labels(_session(at).id) == {rows[0]: 1}
    at.button(key=keys.LABEL_REDO).click().run()
    assert aad.Store(db).labels(_session(at).id) == {rows[0]: 1, rows[1]: 0}
    assert any(f"Last: redo label row {rows[1]} → nominal · model v8" in c.value for c in at.caption)
    assert not at.button(key=keys.LABEL_REDO).disabled  # the skip is still to redo
    _action(at, keys.LABEL_NOMINAL).click().run()  # a new label instead: the skip stays undone
    assert at.button(key=keys.LABEL_REDO).disabled
    assert _metric(at, "Skipped") == "0"
    at.switch_page("screens/progress.py").run()
    history = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert history["action"].tolist()[:4] == ["label", "redo label", "redo label", "undo label"]
    assert history["via"].tolist()[1:3] == ["card", "card"]  # where the label given back was given
    assert not at.exception


def test_the_sidebar_lists_the_redo_key(db):
    assert any("**U**\u00a0undo · **Shift+U**\u00a0redo" in c.value for c in _app().sidebar.caption)


def test_two_presses_merged_into_one_run_apply_neither_and_say_so(db):
    """N then A within a tenth of a second reach the server as one run (Streamlit merges
    them) whose callbacks come in no set order: neither may label the card."""
    at = _app()
    card = _top_card(at)
    _action(at, keys.LABEL_NOMINAL).click()
    _action(at, keys.LABEL_ANOMALY).click().run()
    assert aad.Store(db).labels(_session(at).id) == {}
    assert _top_card(at) == card
    warning = at.warning[0].value
    assert warning.startswith(f"Anomaly on row {card} and Nominal on row {card} arrived at the same moment")
    _action(at, keys.LABEL_NOMINAL).click().run()  # pressed again, alone: applied
    assert aad.Store(db).labels(_session(at).id) == {card: 0}
    assert not at.warning
    assert not at.exception


def test_a_press_from_a_card_already_labelled_is_dropped_and_the_next_press_applies(db):
    """Streamlit may deliver a handled press again with the next one: the stale press (its
    card is labelled) neither labels anything nor blocks the press on the card on screen."""
    at = _app()
    first = _top_card(at)
    _action(at, keys.LABEL_NOMINAL).click().run()
    second = _top_card(at)
    stale = state.Press(_session(at).id, "anomaly", first, _session(at).version)
    at.session_state[keys.PRESSES] = [stale]
    _action(at, keys.LABEL_NOMINAL).click().run()
    assert aad.Store(db).labels(_session(at).id) == {first: 0, second: 0}
    assert not at.warning


def test_another_key_just_after_a_label_on_the_same_card_is_not_applied_and_is_named(db):
    """A then N within a few hundredths of a second arrive in two runs: A labels the card, N
    names a card no longer open. It was dropped silently (helper-34); the page now says so."""
    at = _app()
    first = _top_card(at)
    _action(at, keys.LABEL_ANOMALY).click().run()
    at.session_state[keys.PRESSES] = [
        state.Press(_session(at).id, "nominal", first, _session(at).version - 1)
    ]
    at.run()
    assert aad.Store(db).labels(_session(at).id) == {first: 1}
    warning = at.warning[0].value
    assert warning.startswith(f"Nominal on row {first} came just after Anomaly on row {first} was applied")
    assert "press **U** (undo) and then the key you meant" in warning
    again = state.Press(_session(at).id, "anomaly", first, _session(at).version - 1)  # delivered again
    at.session_state[keys.PRESSES] = [again]
    at.run()
    assert not at.warning
    assert not at.exception


def test_a_rerun_with_nothing_changed_keeps_the_card_and_writes_nothing(db):
    at = _app()
    card = _top_card(at)
    at.run()
    assert _top_card(at) == card
    assert aad.Store(db).actions(_session(at).id) == []


def test_the_session_in_the_url_reopens_with_the_same_labels_and_scores(db, monkeypatch):
    at = _app()
    _action(at, keys.LABEL_ANOMALY).click().run()
    _action(at, keys.LABEL_NOMINAL).click().run()
    before = _session(at)
    monkeypatch.delenv("AAD_DATA")  # a restarted server, a second tab: only the URL knows the session
    again = _app(session=before.id)
    assert not again.exception
    reopened = _session(again)
    assert reopened.id == before.id
    assert reopened.labels() == before.labels()
    assert np.array_equal(reopened.scores(), before.scores())
    assert _top_card(again) == _top_card(at)
    assert _metric(again, "Labels") == "2"


def test_batch_size_shows_more_cards_each_with_its_own_buttons(db):
    at = _app()
    at.number_input(key=keys.LABEL_BATCH_SIZE).set_value(3).run()
    rows = _session(at).batch().tolist()
    assert len(rows) == 3
    assert _top_card(at) == rows[0]
    at.button(key=keys.card_button("anomaly", rows[2])).click().run()
    assert _session(at).labels() == {rows[2]: 1}
    assert aad.Store(_session(at).store.path).get(_session(at).id).batch_size == 3
    assert _top_card(at) == rows[0]


def test_a_second_launch_resumes_the_unlabelled_session_and_says_it_has_no_labels_yet(db):
    first = _app()
    held = _session(first)
    assert held.n_labels == 0
    again = _app()  # aad app on the same data again, before any label
    assert _session(again).id == held.id
    (toast,) = [t.value for t in again.toast]
    assert toast.startswith(f"Resumed session {held.id}, on toy2, no labels yet.")
    assert "(0 labels)" not in toast


def test_a_new_tab_resumes_the_session_with_the_most_labels_on_the_data_never_an_empty_one(db):
    toy2 = aad.load_dataset("toy2")
    store = aad.Store(db)
    aad.Session.create(toy2, store=store, seed=3)
    most = aad.Session.create(toy2, store=store, seed=2)
    most.label([3, 4], "anomaly")
    aad.Session.create(toy2, store=store, seed=4)  # changed last, but empty: never resumed silently
    aad.Session.create(aad.load_dataset("yeast"), store=store)  # other data: never resumed
    at = _app()
    assert not at.exception
    assert _session(at).id == most.id
    assert any(  # as a toast: the page keeps its lines for the first card
        f"Resumed session {most.id}, the one with the most labels on toy2 (2 labels)" in t.value
        for t in at.toast
    )
    assert not at.info
    assert len(store.summaries()) == 4  # no new, empty session

    other = aad.Session.create(toy2, store=store, seed=1)
    other.label(9, "nominal")  # labelled since, with fewer labels: which one is meant? the page asks
    store.update(most.id, title="renamed since")  # a rename is no labelling: the page still asks
    at = _app()
    assert not at.metric  # no session opened: the page asks
    assert any("2 sessions on toy2 hold labels" in i.value for i in at.info)
    assert {keys.resume_launch(most.id), keys.resume_launch(other.id)} <= {b.key for b in at.button}
    at.button(key=keys.resume_launch(other.id)).click().run()
    assert _session(at).id == other.id
    assert at.query_params[keys.URL_SESSION] == other.id
    assert _metric(at, "Labels") == "1"
    other.label([10, 11], "nominal")  # now it has the most labels, and the latest: resumed without asking
    assert _session(_app()).id == other.id


def test_the_next_days_export_of_the_launched_file_keeps_yesterdays_session_reachable(
    db, tmp_path, monkeypatch
):
    """``aad app daily.csv``; the file is overwritten overnight with other rows (not a growth:
    yesterday's rows changed): the new session says which session holds yesterday's labels,
    and that session still opens. (A file that only grew resumes yesterday's session with the
    new rows added: ``test_session_growth.py``.)"""
    daily = tmp_path / "daily.csv"
    daily.write_bytes(_csv(80))
    monkeypatch.setenv("AAD_DATA", str(daily))
    yesterday = _session(_app())
    yesterday.label([0, 1], "nominal")
    assert Path(yesterday.record.source).parent == aad.Store(db).uploads_dir  # on a copy of the file
    daily.write_bytes(_csv(90, seed=4))  # the next day's export, every row of it new
    at = _app()
    assert _session(at).id != yesterday.id
    assert any(f"daily.csv has changed since session {yesterday.id} (2 labels" in t.value for t in at.toast)
    reopened = aad.Session.open(yesterday.id, store=aad.Store(db))
    assert reopened.labels() == {0: 0, 1: 0}
    assert reopened.dataset.n_rows == 81  # yesterday's 80 rows and the planted one


def test_the_next_days_export_holding_yesterdays_rows_and_more_grows_yesterdays_session(
    db, tmp_path, monkeypatch
):
    daily = tmp_path / "daily.csv"
    daily.write_bytes(_csv(80))
    monkeypatch.setenv("AAD_DATA", str(daily))
    yesterday = _session(_app())
    yesterday.label([0, 1], "nominal")
    daily.write_bytes(_csv(90))  # yesterday's 80 rows (the same draws), 10 more, the planted one
    at = _app()
    assert _session(at).id == yesterday.id
    assert _session(at).dataset.n_rows == 91
    assert _session(at).labels() == {0: 0, 1: 0}
    assert any(f"daily.csv grew since session {yesterday.id}" in t.value for t in at.toast)


def test_a_grown_file_with_a_category_column_grows_yesterdays_session(db, tmp_path, monkeypatch):
    """A category is encoded by its rarity in the whole file, so the new rows change every old
    row's code when the grown file is read on its own: yesterday's rows are still recognised
    (read as the session reads its rows), and the session grows instead of a new, empty one."""
    rng = np.random.default_rng(0)
    merchants = rng.choice(["grocer", "fuel", "travel", "games"], 300, p=[0.5, 0.3, 0.15, 0.05])
    frame = pd.DataFrame({"amount": rng.normal(50, 5, 300).round(2), "merchant": merchants})
    daily = tmp_path / "daily.csv"
    frame.iloc[:200].to_csv(daily, index=False)
    monkeypatch.setenv("AAD_DATA", str(daily))
    yesterday = _session(_app())
    assert "merchant" in yesterday.dataset.feature_names
    yesterday.label([0, 1], "nominal")
    frame.to_csv(daily, index=False)  # yesterday's 200 rows and 100 more, the categories' shares shifted
    at = _app()
    assert _session(at).id == yesterday.id
    assert _session(at).dataset.n_rows == 300
    assert _session(at).labels() == {0: 0, 1: 0}
    assert any(f"daily.csv grew since session {yesterday.id}" in t.value for t in at.toast)


def test_aad_app_on_a_file_takes_its_answer_column_as_the_truth_and_the_data_page_offers_the_file(
    db, tmp_path, monkeypatch
):
    """``aad app cards.csv`` with a 0/1 ``is_fraud`` column: the launch session evaluates with it
    (as the Data page would preselect it), and the Data page starts on that file, not a shipped one."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"amount": rng.normal(50, 5, 200).round(2), "hour": rng.integers(0, 24, 200)})
    frame["is_fraud"] = 0
    frame.loc[7, ["amount", "is_fraud"]] = [990.0, 1]
    path = tmp_path / "cards.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setenv("AAD_DATA", str(path))
    at = _app()
    session = _session(at)
    assert session.dataset.label_column == "is_fraud"
    assert session.dataset.n_anomalies == 1
    assert "is_fraud" not in session.dataset.feature_names
    said = "`is_fraud` looks like a ground truth, so this session is evaluated with it"
    assert any(said in t.value for t in at.toast)
    at.switch_page("screens/data.py").run()
    assert at.radio(key=keys.DATA_SOURCE).value == state.LAUNCHED
    assert any("cards.csv" in c.value for c in at.caption)
    assert at.selectbox(key=keys.DATA_LABEL_COLUMN).value == "is_fraud"


def test_a_label_column_of_fraud_ok_and_blanks_neither_stops_the_launch_nor_the_data_page(
    db, tmp_path, monkeypatch
):
    """``label`` holding fraud/ok and empty cells: ``aad app`` opens the file without a ground
    truth (saying why), and the Data page asks for the anomaly value yet lets the analyst start
    without one; the value chosen, the empty cells are refused in one message and starting
    without a ground truth stays possible."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"amount": rng.normal(50, 5, 120).round(2), "hour": rng.integers(0, 24, 120)})
    frame["label"] = rng.choice(["ok", "fraud", ""], 120, p=[0.8, 0.05, 0.15])
    path = tmp_path / "cases.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setenv("AAD_DATA", str(path))
    at = _app()
    assert not at.exception
    session = _session(at)
    assert session.dataset.y is None
    assert session.dataset.feature_names == ("amount", "hour")
    at.switch_page("screens/data.py").run()
    assert not at.exception
    assert any("choose above which value marks an anomaly, or label without" in i.value for i in at.info)
    assert at.selectbox(key=keys.DATA_LABEL_COLUMN).value == "(none)"
    assert at.button(key=keys.DATA_START)
    at.selectbox(key=keys.DATA_ANOMALY_VALUE).set_value("fraud").run()
    assert any("holds an empty cell" in e.value and "(none) on the Data page" in e.value for e in at.error)
    assert at.selectbox(key=keys.DATA_LABEL_COLUMN).value == "(none)"
    at.button(key=keys.DATA_START).click().run()
    assert not at.exception
    assert _session(at).id != session.id
    assert _session(at).dataset.y is None


def test_a_named_ground_truth_in_other_words_never_becomes_a_feature_while_its_value_is_asked(
    db, tmp_path, monkeypatch
):
    """The analyst names ``outcome`` (fraud/ok) as the ground truth: until its anomaly value is
    chosen, nothing can start, so the answer column is never offered as a feature."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"amount": rng.normal(50, 5, 120).round(2), "hour": rng.integers(0, 24, 120)})
    frame["outcome"] = rng.choice(["ok", "fraud"], 120, p=[0.9, 0.1])
    path = tmp_path / "cases.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setenv("AAD_DATA", str(path))
    at = _app()
    at.switch_page("screens/data.py").run()
    at.text_input(key=keys.DATA_LABEL_NAME).set_value("outcome").run()
    assert not at.exception
    assert any("choose above which value marks an anomaly" in i.value for i in at.info)
    assert [b for b in at.button if b.key == keys.DATA_START] == []
    at.selectbox(key=keys.DATA_ANOMALY_VALUE).set_value("fraud").run()
    assert "outcome" not in at.multiselect(key=keys.DATA_FEATURES).value
    at.button(key=keys.DATA_START).click().run()
    assert _session(at).dataset.feature_names == ("amount", "hour")
    assert _session(at).dataset.n_anomalies == int((frame["outcome"] == "fraud").sum())


def test_explore_labels_a_box_selection_in_bulk(db):
    at = _app()
    at.switch_page("screens/explore.py").run()
    assert not at.exception
    assert at.title[0].value == "Explore"
    session = _session(at)
    session.label(17, "anomaly")  # already labelled: costs no second label
    at.run()
    chosen = [3, 17, 42]
    at.session_state[keys.explore_chart(session.version)] = {
        "selection": {
            "points": [{"point_index": i, "customdata": [r]} for i, r in enumerate(chosen)],
            "point_indices": [0, 1, 2],
            "box": [],
            "lasso": [],
        }
    }
    at.run()
    assert any(m.value.startswith("**3 rows selected**") for m in at.markdown)
    at.button(key=keys.EXPLORE_BULK_ANOMALY).click().run()
    assert aad.Store(db).labels(session.id) == dict.fromkeys(chosen, 1)
    assert any("Labelled 2 rows anomaly; 1 already was" in s.value for s in at.success)
    assert _session(at).n_labels == 3
    assert _session(at).discovery()["labels"].tolist() == [1, 2, 3]
    assert not any(m.value.startswith("**3 rows selected**") for m in at.markdown)  # selection cleared


def test_explore_projects_wide_data_on_principal_components(db, monkeypatch):
    monkeypatch.setenv("AAD_DATA", "yeast")
    at = _app()
    at.switch_page("screens/explore.py").run()
    assert not at.exception
    assert any("first two principal components" in c.value for c in at.caption)


def _explore_trace(at: AppTest, name: str) -> dict:
    spec = next(c.proto.spec for c in at.get("plotly_chart") if '"unlabelled"' in c.proto.spec)
    return next(t for t in json.loads(spec)["data"] if t["name"] == name)


def _hovers(trace: dict) -> dict[int, list[str]]:
    """Each point's hover lines, by its row."""
    return {int(point[0]): hover_lines(trace, i) for i, point in enumerate(trace["customdata"])}


def test_explore_hover_says_the_label_and_kind_and_the_plotted_values_as_written(db, tmp_path, monkeypatch):
    path = write_hostile_table(tmp_path / "cards.csv", wide=False)  # two features: shop, amount
    written = pd.read_csv(path, dtype=str)
    monkeypatch.setenv("AAD_DATA", str(path))
    at = _app()
    session = _session(at)
    session.label([0, 1], "anomaly", kind="<b>card</b> %{y} **z**")
    session.label(2, "nominal")
    at.switch_page("screens/explore.py").run()
    assert not at.exception
    anomalies = _hovers(_explore_trace(at, "anomaly"))
    rank = views.all_ranks(session)[0]
    assert anomalies[0] == [
        f"row 0 · rank {rank:,}",
        "anomaly · <b>card</b> %{y} **z**",
        "shop: <b>x</b>",
        f"amount: {written.amount[0]}",  # as the file writes it: $88.93, not 88.93
    ]
    assert anomalies[1][2] == "shop: %{y}"
    assert _hovers(_explore_trace(at, "nominal"))[2][1:3] == ["nominal", "shop: **x**"]
    unlabelled = _hovers(_explore_trace(at, "unlabelled"))
    assert unlabelled[3][1] == "shop: <br>x"
    assert unlabelled[4][1] == f"shop: {'A' * 39}…"  # cut to a sane length
    assert unlabelled[7][1:] == [f"shop: {written.shop[7]}", "amount: $9,999.99"]


def test_explore_hover_of_wide_data_shows_the_columns_the_plane_shows_most(db, tmp_path, monkeypatch):
    path = write_hostile_table(tmp_path / "cards.csv")
    written = pd.read_csv(path, dtype=str)
    monkeypatch.setenv("AAD_DATA", str(path))
    at = _app()
    at.switch_page("screens/explore.py").run()
    assert not at.exception
    session = _session(at)
    chosen = [session.dataset.specs[j].column for j in charts.plane_features(session.dataset.X)]
    unlabelled = _hovers(_explore_trace(at, "unlabelled"))
    columns = [line.split(": ")[0] for line in unlabelled[0][1:]]
    assert columns == list(dict.fromkeys(chosen))  # a timestamp's parts show as the timestamp, once
    assert "when" in columns
    for row in (0, 11):
        shown = dict(line.split(": ", 1) for line in unlabelled[row][1:])
        assert shown["when"] == written.when[row]  # the timestamp as written
        if "qty" in shown:  # a whole number, or (missing) where the file has none
            assert shown["qty"] == ("(missing)" if row == 11 else f"{float(written.qty[row]):g}")


def test_the_sidebar_shows_the_rows_per_tree_the_forest_used(db, monkeypatch, tmp_path):
    captions = [c.value for c in _app().sidebar.caption]  # toy2: 485 rows, fewer than a tree asks
    assert any(f"max_samples 485 (all rows; {aad.model.SAMPLES} asked) ·" in c for c in captions)
    assert any("ground truth `label` (never shown to the model)" in c for c in captions)
    monkeypatch.setenv("AAD_DATA", "yeast")  # 1,191 rows
    assert any(f"max_samples {aad.model.SAMPLES} ·" in c.value for c in _app().sidebar.caption)
    small = tmp_path / "small.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"]).to_csv(small, index=False)
    monkeypatch.setenv("AAD_DATA", str(small))
    at = _app()
    assert not at.exception
    assert any(f"max_samples 40 (all rows; {aad.model.SAMPLES} asked)" in c.value for c in at.sidebar.caption)


def test_progress_shows_the_history_with_model_versions_and_what_each_undo_undid(db):
    at = _app()
    for key in (keys.LABEL_ANOMALY, keys.LABEL_SKIP, keys.LABEL_UNDO, keys.LABEL_UNDO, keys.LABEL_NOMINAL):
        (at.button(key=key) if key == keys.LABEL_UNDO else _action(at, key)).click().run()
    at.switch_page("screens/progress.py").run()
    assert not at.exception
    history = at.dataframe[0].value
    assert history["model version"].tolist() == [5, 4, 3, 2, 1]
    assert history["action"].tolist() == ["label", "undo label", "undo skip", "skip", "label"]
    assert history["label"].tolist() == ["nominal", "anomaly", "", "", "anomaly"]
    rows = history["rows"].tolist()
    assert rows[1] == rows[4]  # the undo names the row whose label it took back
    assert rows[2] == rows[3]


def test_rules_appear_once_an_anomaly_is_labelled(db):
    at = _app()
    at.switch_page("screens/rules.py").run()
    assert any("No anomaly labelled yet" in i.value for i in at.info)
    session = _session(at)
    session.label(np.flatnonzero(session.dataset.y)[:5].tolist(), "anomaly")
    at.run()
    assert not at.exception
    shown = at.table[0].value  # a table that wraps long rules, every column on screen
    assert shown["rule"].str.fullmatch(r"`[^`]+`").all()
    assert shown["no."].tolist() == list(range(1, len(shown) + 1))  # as the warnings number them
    described = aad.describe_anomalies(
        session.model, session.dataset, labels=session.model.labels_, time_limit=1
    )
    rules = views.rules_frame(session, described)
    assert shown["true precision"].tolist() == [f"{v:.2f}" for v in rules["true precision"]]
    assert len(rules) >= 1
    assert list(rules.columns) == [
        "rule",
        "support",
        "anomalies",
        "nominals",
        "unlabelled",
        "precision on labels",
        "true precision",
    ]
    assert rules["anomalies"].sum() >= 5
    assert (rules["unlabelled"] == rules["support"] - rules["anomalies"] - rules["nominals"]).all()
    description = aad.describe_anomalies(session.model, session.dataset, time_limit=1.0)
    truth = [session.dataset.y[r.mask(session.dataset.X)].mean() for r in description.rules]
    np.testing.assert_allclose(rules["true precision"], truth)
    labels_button = at.download_button(key=keys.RULES_DOWNLOAD_LABELS)
    assert "5 rows" in labels_button.label
    assert "all 485 rows" in at.download_button(key=keys.RULES_DOWNLOAD_SCORES).label


def test_the_pages_rule_exports_carry_the_same_provenance_as_the_command_line(tmp_path):
    session = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(tmp_path / "s.sqlite"))
    session.label(np.flatnonzero(session.dataset.y)[:4].tolist(), "anomaly")
    session.label([0], "nominal")
    labels = tmp_path / "labels.csv"
    labels.write_text(session.labels_csv())
    cli_json = tmp_path / "rules.json"
    assert main(["rules", "toy2", "--labels", str(labels), "--output", str(cli_json)]) == 0
    from_cli = json.loads(cli_json.read_text())
    description = aad.describe_anomalies(session.model, session.dataset, labels=session.model.labels_)
    from_page = json.loads(views.export_rules(session, description, "json"))
    assert from_page["rules"] == from_cli["rules"]
    assert from_cli["provenance"].keys() <= from_page["provenance"].keys()
    for key in (
        "dataset",
        "fingerprint",
        "rows",
        "features",
        "forest_seed",
        "n_labels",
        "n_anomalies",
        "tau",
    ):
        assert from_page["provenance"][key] == from_cli["provenance"][key], key
    assert from_page["provenance"]["session"] == session.id
    markdown = views.export_rules(session, description, "markdown")
    assert "- forest_seed: 0" in markdown
    assert "{'" not in markdown  # no Python reprs for people to read


def test_the_scores_download_is_the_page_it_was_clicked_on(tmp_path):
    session = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(tmp_path / "s.sqlite"))
    session.label([3, 4], "anomaly")
    write = views.scores_csv(session)
    expected = session.scores().copy()
    session.label(5, "nominal")  # a later label must not leak into a download of the earlier page
    table = pd.read_csv(io.StringIO(write()))
    assert list(table.columns) == ["row", "anomaly_score", "rank", "percentile", "label", "x", "y"]
    np.testing.assert_allclose(table["anomaly_score"], expected)
    assert table["label"].fillna("").tolist()[3:6] == ["anomaly", "anomaly", ""]
    assert table.loc[table["rank"] == 1, "anomaly_score"].item() == expected.max()
    np.testing.assert_array_equal(table[["x", "y"]].to_numpy(), session.dataset.X)


def test_the_scores_download_writes_a_timestamp_as_the_file_wrote_it(tmp_path):
    """Review 25, defect 4: the download wrote '2024-10-14 00:00:21' for the file's
    '2024-10-14T00:00:21+00:00', unlike ``aad score --model --columns``; it no longer joined back."""
    when = [t.isoformat() for t in pd.date_range("2024-10-14", periods=60, freq="23min", tz="UTC")]
    rng = np.random.default_rng(1)
    path = tmp_path / "log.csv"
    frame = pd.DataFrame({"timestamp": when, "ip": rng.choice(["10.0.0.1", "10.0.0.2"], 60)})
    frame.assign(bytes=rng.normal(900, 40, 60).round(1)).to_csv(path, index=False)
    read = aad.load_data(str(path))
    some = ["timestamp.hour", "bytes"]
    chosen = (read, aad.load_data(str(path), features=some), aad.select_columns(read, features=some))
    for n, dataset in enumerate(chosen):  # the columns as read, some of them, or chosen afterwards
        session = aad.Session.create(dataset, store=aad.Store(tmp_path / f"s{n}.sqlite"))
        session.label(4, "anomaly")
        table = pd.read_csv(io.StringIO(views.scores_csv(session)()), keep_default_na=False)
        assert table["timestamp"].tolist() == when
        assert session.dataset.table()["timestamp"].iloc[0] == pd.Timestamp("2024-10-14")  # still a date


def _csv(n: int = 80, seed: int = 3) -> bytes:
    rng = np.random.default_rng(seed)
    rows = [f"{a:.4f},{b:.4f}" for a, b in rng.normal(size=(n, 2))] + ["9.0,9.0"]
    return ("amount,hour\n" + "\n".join(rows) + "\n").encode()


def test_an_uploaded_file_starts_a_session_that_survives_a_restart(db, monkeypatch):
    at = _app()
    launch = _session(at).id
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("payments.csv", _csv(), "text/csv")).run()
    assert not at.exception
    assert any("**payments**: 81 rows, 2 features" in c.value for c in at.caption)
    at.number_input(key=keys.DATA_SEED).set_value(7).run()
    at.button(key=keys.DATA_START).click().run()
    assert not at.exception
    assert at.title[0].value == "Label"
    session = _session(at)
    assert session.id != launch
    assert session.record.dataset == "payments"
    assert session.seed == 7
    assert Path(session.record.source).parent == db.parent / "uploads"
    assert _top_card(at) == 80  # the planted outlier
    _action(at, keys.LABEL_ANOMALY).click().run()
    monkeypatch.delenv("AAD_DATA")
    again = _app(session=session.id)
    assert _session(again).labels() == {80: 1}
    assert _session(again).record.dataset == "payments"


def test_a_compressed_csv_uploads_under_its_own_name(db):
    at = _app()
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    packed = gzip.compress(_csv())
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("payments.csv.gz", packed, "application/gzip")).run()
    assert not at.exception
    assert not at.error
    assert any("**payments**: 81 rows, 2 features" in c.value for c in at.caption)
    at.button(key=keys.DATA_START).click().run()
    assert _session(at).record.dataset == "payments"
    assert _top_card(at) == 80  # the planted outlier, read from the compressed bytes


def test_a_bad_upload_shows_the_engine_message_and_keeps_the_session(db, tmp_path):
    bad = b"amount,hour\n1.0,2\n2.0\n3.0,4\n"
    (tmp_path / "bad.csv").write_bytes(bad)
    with pytest.raises(aad.DataError) as expected:
        aad.load_dataset(tmp_path / "bad.csv")
    at = _app()
    held = _session(at).id
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("bad.csv", bad, "text/csv")).run()
    assert [e.value for e in at.error] == [str(expected.value)]
    assert _session(at).id == held
    assert at.query_params[keys.URL_SESSION] == held


def test_the_label_column_help_opens_for_a_label_problem_not_for_an_empty_file(db):
    """An empty file opened the ground truth's help ("The ground truth not read as you meant?"), which
    cannot help it."""
    at = _app()
    _upload(at, "empty.csv", b"")
    assert at.error  # refused
    help_box = next(e for e in at.expander if e.label.startswith("The ground truth not read as you meant"))
    assert not help_box.proto.expanded
    _upload(at, "words.csv", b"a,b,label\n" + b"".join(f"{i},{i % 7},maybe\n".encode() for i in range(40)))
    help_box = next(e for e in at.expander if e.label.startswith("The ground truth not read as you meant"))
    assert help_box.proto.expanded  # a column named label, of values it does not know


def test_an_upload_with_id_text_and_answer_columns_starts_on_its_features_with_the_answer_as_truth(db):
    rows = [f"T{i},{'shop' if i % 3 else 'cafe'},{i % 11}.5,{(i * 7) % 13},{int(i == 5)}" for i in range(60)]
    data = ("txn_id,merchant,amount,hour,is_fraud\n" + "\n".join(rows) + "\n").encode()
    at = _app()
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("txn.csv", data, "text/csv")).run()
    assert not at.exception
    assert not at.error
    repaired = " ".join(i.value for i in at.info)
    assert "column 'txn_id' looks like an identifier (named like one): left out of the features" in repaired
    assert "column 'merchant' is a category of 2 values" in repaired
    assert "'is_fraud' looks like a ground truth (0/1, named like one): left out" in repaired
    features = at.multiselect(key=keys.DATA_FEATURES)
    assert features.value == ["merchant", "amount", "hour"]  # the answer is not fed to the model
    assert "is_fraud" in features.options  # but the analyst may choose it
    assert at.selectbox(key=keys.DATA_LABEL_COLUMN).value == "is_fraud"  # preselected as the truth
    assert any("`is_fraud` looks like a ground truth, so it is chosen as one" in c.value for c in at.caption)
    at.button(key=keys.DATA_START).click().run()
    assert not at.exception
    session = _session(at)
    assert session.dataset.feature_names == ("merchant", "amount", "hour")
    assert session.dataset.y.sum() == 1
    row = _top_card(at)  # the card shows the row's id, which the model never saw, and its category
    assert any(c.value == f"txn_id `T{row}`" for c in at.caption)
    card = at.dataframe[0].value
    assert card["value"][0] == ("shop" if row % 3 else "cafe")
    scores = pd.read_csv(io.StringIO(views.scores_csv(session)()))
    assert scores.columns.tolist() == [
        "row",
        "anomaly_score",
        "rank",
        "percentile",
        "label",
        "txn_id",
        "merchant",
        "amount",
        "hour",
    ]
    assert scores.loc[7, "txn_id"] == "T7"
    assert scores.loc[7, "merchant"] == "shop"
    resumed = aad.Session.open(session.id, store=aad.Store(db))  # the context comes back with the data
    assert resumed.dataset.context["txn_id"].tolist() == [f"T{i}" for i in range(60)]


def test_a_launched_file_that_cannot_be_read_is_named_as_given_not_as_its_kept_copy(
    db, tmp_path, monkeypatch
):
    bad = tmp_path / "daily.csv"
    bad.write_bytes(b"amount,hour\n1,2\ncaf\x81,3\n")  # neither UTF-8 nor Windows-1252
    monkeypatch.setenv("AAD_DATA", str(bad))
    at = _app()
    assert not at.exception
    assert any(e.value.startswith("daily.csv is not UTF-8 text") for e in at.error), [
        e.value for e in at.error
    ]


def test_a_start_that_fails_says_why_in_the_open(db):
    at = _app()
    at.switch_page("screens/data.py").run()
    at.multiselect(key=keys.DATA_FEATURES).set_value([]).run()
    at.button(key=keys.DATA_START).click().run()
    assert any("choose at least one feature column" in e.value for e in at.error)


def test_a_text_ground_truth_column_can_be_named(db):
    data = b"a,b,verdict\n" + b"".join(
        f"{i},{i % 7},{'anomaly' if i == 3 else 'nominal'}\n".encode() for i in range(40)
    )
    at = _app()
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("v.csv", data, "text/csv")).run()
    assert not at.error
    assert (
        "column 'verdict' looks like a ground truth (its values are anomaly and nominal): left out of the "
        "features and never shown on the cards" in (" ".join(i.value for i in at.info))
    )
    assert at.selectbox(key=keys.DATA_LABEL_COLUMN).value == "verdict"  # anomaly/nominal: preselected
    at.text_input(key=keys.DATA_LABEL_NAME).input("verdict").run()
    assert not at.error
    assert at.selectbox(key=keys.DATA_LABEL_COLUMN).value == "verdict"
    at.button(key=keys.DATA_START).click().run()
    assert _session(at).dataset.n_anomalies == 1
    assert _session(at).dataset.feature_names == ("a", "b")


def test_the_sessions_page_resumes_another_session(db):
    at = _app()
    only_y = aad.select_columns(aad.load_dataset("toy2"), features=["y"])
    other = aad.Session.create(only_y, store=aad.Store(db), seed=4)
    other.label(5, "anomaly")
    at.switch_page("screens/sessions.py").run()
    table = at.dataframe[0].value
    assert table["id"].tolist()[0] == other.id
    assert table[["features", "ground truth"]].values.tolist() == [["y", "label"], ["x, y", "label"]]
    assert set(table["id"]) == {other.id, _session(at).id}
    assert at.selectbox(key=keys.SESSIONS_PICK).value == _session(at).id  # the picker starts on this tab's
    at.selectbox(key=keys.SESSIONS_PICK).set_value(other.id).run()
    at.button(key=keys.SESSIONS_RESUME).click().run()
    assert _session(at).id == other.id
    assert _session(at).labels() == {5: 1}
    assert at.query_params[keys.URL_SESSION] == other.id
    assert at.title[0].value == "Label"  # resuming takes you to the labelling
    assert any(f"Resumed session {other.id}" in t.value for t in at.toast)


def test_an_unknown_session_in_the_url_is_reported_with_where_to_find_one(db, monkeypatch):
    monkeypatch.delenv("AAD_DATA")
    at = _app(session="nope")
    assert not at.exception
    assert at.error[0].value == (
        "there is no session 'nope' in this workbench's database; pick one on the **Sessions** page, "
        "or start one on the **Data** page"
    )
    assert any("No session yet" in i.value for i in at.info)


def test_without_data_the_label_page_points_to_the_data_page(db, monkeypatch):
    monkeypatch.delenv("AAD_DATA")
    at = _app()
    assert not at.exception
    assert any("No session yet" in i.value for i in at.info)
    assert at.page_link[0].label == "Go to the Data page"


def test_a_bare_start_the_next_day_offers_the_latest_stored_session(db, monkeypatch):
    monkeypatch.delenv("AAD_DATA")  # `aad app` without DATA
    store = aad.Store(db)
    aad.Session.create(aad.load_dataset("toy2"), store=store)
    latest = aad.Session.create(aad.load_dataset("yeast"), store=store)
    latest.label([0, 1], "nominal")
    at = _app()
    assert any(f"The latest: `{latest.id}` (yeast, 2 labels)" in i.value for i in at.info)
    at.button(key=keys.RESUME_LATEST).click().run()
    assert _session(at).id == latest.id
    assert at.query_params[keys.URL_SESSION] == latest.id
    assert _metric(at, "Labels") == "2"
    assert keys.SESSIONS_RESUMED not in at.session_state


def test_a_card_shows_values_percentiles_and_the_isolating_region(db):
    at = _app()
    row = _top_card(at)
    table = at.dataframe[0].value
    assert table["feature"].tolist() == ["x", "y"]
    assert table["value"].tolist() == [aad.encoding.number_text(v) for v in _session(at).dataset.X[row]]
    X = _session(at).dataset.X
    below, ties = (X < X[row]).mean(axis=0), (X == X[row]).mean(axis=0)  # ties count half below
    np.testing.assert_allclose(table["percentile"], 100 * (below + ties / 2))
    why = next(m.value for m in at.markdown if m.value.startswith("**Why:**"))
    assert "alone in the region `" in why or "in the small region `" in why
    assert "across all trees, the splits that isolate it are on `" in why
    assert any(m.value.startswith("rank **1** of 485 · **top 0.21%**") for m in at.markdown)
    assert not any("score" in m.value for m in at.markdown)  # ranks, as people read them
    _action(at, keys.LABEL_ANOMALY).click().run()  # the labelled anomaly keeps its high rank
    line = next(m.value for m in at.markdown if m.value.startswith("rank **"))
    assert line.startswith("rank **2** of 485 · **top 0.41%** (1st among unlabelled rows)")


def test_the_data_page_starts_a_session_on_chosen_columns_without_ground_truth(db):
    at = _app()
    at.switch_page("screens/data.py").run()
    at.selectbox(key=keys.DATA_SHIPPED).set_value("yeast").run()
    features = at.multiselect(key=keys.DATA_FEATURES)
    assert features.value == list(aad.load_dataset("yeast").feature_names)
    assert at.selectbox(key=keys.DATA_STRATEGY).value == "top"  # the default, whatever the registry's order
    features.set_value(["V2", "V3", "V4"]).run()
    at.selectbox(key=keys.DATA_LABEL_COLUMN).set_value("(none)").run()
    at.number_input(key=keys.DATA_N_ESTIMATORS).set_value(30).run()
    at.button(key=keys.DATA_START).click().run()
    session = _session(at)
    assert session.dataset.feature_names == ("V2", "V3", "V4")
    assert session.dataset.y is None
    assert session.record.params["n_estimators"] == 30
    assert at.title[0].value == "Label"


def test_the_launcher_and_the_app_agree_on_the_upload_limit():
    from app import cli, state

    assert cli.MAX_UPLOAD_MB == state.MAX_UPLOAD_MB
    assert f"--server.maxUploadSize={state.MAX_UPLOAD_MB}" in cli._streamlit_flags(8501, "127.0.0.1")
    assert "--server.address=127.0.0.1" in cli._streamlit_flags(8501, "127.0.0.1")


def test_a_value_missing_in_the_file_is_marked_on_the_card_and_left_empty_in_the_scores(
    db, monkeypatch, tmp_path
):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(60, 2)), columns=["amount", "hour"])
    frame.loc[59] = [40.0, np.nan]  # the outlier: the top card, with a gap
    frame.to_csv(tmp_path / "gaps.csv", index=False)
    monkeypatch.setenv("AAD_DATA", str(tmp_path / "gaps.csv"))
    at = _app()
    assert _top_card(at) == 59
    card = at.dataframe[0].value
    median = aad.encoding.number_text(np.median(frame["hour"].dropna()))  # what the model read
    assert card["value"].tolist()[1] == "(missing)"  # an analyst's review: the median looked like the row's
    assert card["note"].tolist() == ["", f"read as the median {median}"]
    scores = pd.read_csv(io.StringIO(views.scores_csv(_session(at))()))
    assert np.isnan(scores.loc[59, "hour"])
    assert scores.loc[59, "amount"] == 40.0
    assert scores["hour"].isna().sum() == 1


def test_a_wide_card_lists_the_most_unusual_values_first(db, monkeypatch):
    monkeypatch.setenv("AAD_DATA", "ann_thyroid_1v3")
    at = _app()
    card = at.dataframe[0].value
    session = _session(at)
    row = int(session.batch()[0])
    far = dict(zip(session.dataset.feature_names, session.unusualness(row), strict=True))
    distance = np.array([far[name] for name in card["feature"]])
    assert len(card) == 21
    assert (np.diff(distance) <= 0).all()  # furthest from the median (in IQRs) first
    assert any("21 features, the most unusual first" in c.value for c in at.caption)


def test_a_text_ground_truth_of_other_words_is_read_by_naming_the_anomaly_value(db):
    data = b"a,b,verdict\n" + b"".join(
        f"{i},{i % 7},{'Fraud' if i in (3, 9) else 'legit'}\n".encode() for i in range(40)
    )
    at = _app()
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("fraud.csv", data, "text/csv")).run()
    at.text_input(key=keys.DATA_LABEL_NAME).input("verdict").run()
    assert not at.error  # not a file to fix: a question to answer
    assert any("`verdict` holds 'Fraud', 'legit': choose above which value" in i.value for i in at.info)
    session = _start_with_anomaly_value(
        at, ["", "Fraud", "legit"], "Fraud", "ground truth in `verdict` (2 anomalies)"
    )
    assert session.dataset.y.nonzero()[0].tolist() == [3, 9]
    assert session.record.anomaly_value == "Fraud"
    again = aad.Session.open(session.id, store=aad.Store(db))  # a restart reads the truth the same way
    assert again.dataset.y.nonzero()[0].tolist() == [3, 9]


def _start_with_anomaly_value(at: AppTest, offered: list[str], value: str, truth: str) -> aad.Session:
    """Name the anomaly's value among those ``offered`` on the Data page, see the caption say
    ``truth``, and start: the session started."""
    choice = at.selectbox(key=keys.DATA_ANOMALY_VALUE)
    assert choice.options == offered
    choice.set_value(value).run()
    assert not at.error
    assert any(truth in c.value for c in at.caption)
    at.button(key=keys.DATA_START).click().run()
    return _session(at)


def _upload(at: AppTest, name: str, data: bytes) -> None:
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value((name, data, "text/csv")).run()


def test_a_found_label_column_of_other_words_asks_for_its_anomaly_value_and_a_new_file_forgets_it(db):
    words = b"a,b,label\n" + b"".join(
        f"{i},{i % 7},{'fraud' if i in (3, 9) else 'legit'}\n".encode() for i in range(40)
    )
    at = _app()
    _upload(at, "words.csv", words)
    assert not at.error  # found by its name: a question, not a file to fix
    assert any("`label` holds 'fraud', 'legit': choose above" in i.value for i in at.info)
    at.selectbox(key=keys.DATA_ANOMALY_VALUE).set_value("fraud").run()
    assert any("ground truth in `label` (2 anomalies)" in c.value for c in at.caption)
    plain = b"a,b\n" + b"".join(f"{i},{i % 5}\n".encode() for i in range(30))
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("plain.csv", plain, "text/csv")).run()
    assert not at.error  # the value chosen for the last file is not applied to this one
    assert any("**plain**: 30 rows, 2 features" in c.value for c in at.caption)


def test_a_yes_no_column_is_offered_as_ground_truth_and_a_changed_mind_gives_features_back(db):
    rows = "".join(f"{i % 11}.5,{(i * 7) % 13},{'yes' if i == 5 else 'no'}\n" for i in range(40))
    at = _app()
    _upload(at, "txn.csv", ("amount,hour,is_fraud\n" + rows).encode())
    truth = at.selectbox(key=keys.DATA_LABEL_COLUMN)
    assert "is_fraud" in truth.options
    truth.set_value("hour").run()
    assert at.multiselect(key=keys.DATA_FEATURES).value == ["amount"]
    at.selectbox(key=keys.DATA_LABEL_COLUMN).set_value("(none)").run()
    assert at.multiselect(key=keys.DATA_FEATURES).value == ["amount", "hour"]  # given back
    at.selectbox(key=keys.DATA_LABEL_COLUMN).set_value("is_fraud").run()
    assert not any("choose above" in i.value for i in at.info)  # yes/no are label words: no value to name
    assert any("ground truth in `is_fraud` (1 anomaly)" in c.value for c in at.caption)


def test_the_upload_limit_counts_megabytes_as_the_browser_does(tmp_path, monkeypatch, db):
    """The browser refuses an upload over N * 10^6 bytes; the loader must use the same unit,
    or a file of 1.02e6 bytes would pass one check and fail the other."""
    rows = "".join(f"{i % 97}.123456,{(i * 7) % 89}.654321\n" for i in range(60_000))
    table = tmp_path / "big.csv"
    table.write_text("a,b\n" + rows[: 1_020_000 - 4])
    assert 1_000_000 < table.stat().st_size < 2**20
    monkeypatch.setenv("AAD_MAX_UPLOAD_MB", "1")
    monkeypatch.setenv("AAD_DATA", str(table))
    at = _app()
    assert any("over the limit of 1.0 MB" in e.value for e in at.error), [e.value for e in at.error]


def test_the_card_names_the_ranking_that_proposed_it_and_something_different_shows_another(db):
    """The queue's state on the card (who proposed the row, the record of the ranking followed, the
    nominals in a row), and **Something different**: the top of a ranking the queue does not follow."""
    at = _app()
    session = _session(at)
    first = _top_card(at)
    line = next(c.value for c in at.caption if c.value.startswith("Proposed by"))
    assert "the queue follows the learned model" in line
    session.label(first, "anomaly")  # the first anomaly: from now on, every label is a ranking's outcome
    at.run()
    shown = [_top_card(at)]
    for _ in range(3):  # the analyst calls the next three rows nominal
        _action(at, keys.LABEL_NOMINAL).click().run()
        shown.append(_top_card(at))
    line = next(c.value for c in at.caption if "in a row" in c.value)
    assert "3 nominals in a row" in line
    assert "(1 anomaly among the 4 rows it proposed)" in line, line
    before = _top_card(at)
    at.button(key=keys.LABEL_DIFFERENT).click().run()
    assert not at.exception
    now = _top_card(at)
    assert now != before
    assert now not in _session(at).learner.next_queries(1)  # the queue itself would not have shown it
    _says_what_is_true_of(at, now)
    at.button(key=keys.LABEL_DIFFERENT).click().run()  # asked again: another row, not the same
    assert _top_card(at) not in (now, before)
    now = _top_card(at)
    _says_what_is_true_of(at, now)
    _action(at, keys.LABEL_NOMINAL).click().run()  # its label is logged like any other
    assert aad.Store(db).labels(session.id)[now] == aad.NOMINAL
    session = _session(at)
    session.different = session.batch  # every ranking proposes the rows on screen: nothing different
    shown = _top_card(at)
    at.button(key=keys.LABEL_DIFFERENT).click().run()
    assert _top_card(at) == shown
    assert not at.toast
    line = next(c.value for c in at.caption if c.value.startswith("Nothing different to show"))
    assert "every ranking proposes the rows already shown" in line
    at.run()  # said once
    assert not any(c.value.startswith("Nothing different") for c in at.caption)


def _says_what_is_true_of(at: AppTest, row: int) -> None:
    """Review 25, defects 6 and 13: the toast said the row was "unlike the anomalies found so far"
    (it shared their IP, user agent and country) and covered the kind box at 1280x720. The card
    now says, beside the button, what the engine checked of the row, and no toast is shown."""
    assert not at.toast
    line = next(c.value for c in at.caption if c.value.startswith("Something different: "))
    assert "unlike" not in line
    outside = _session(at).outside_found(row)
    assert ("outside the found anomalies' regions" in line) is outside, line
    assert ("inside the found anomalies' regions" in line) is (not outside), line


def _start_on_toy2(at: AppTest, detector: str, *, follow: bool = True, **choices) -> AppTest:
    """The Data page: toy2, 30 trees, the detector and its choices, then Start (and, with
    ``follow``, the Label page it switches to)."""
    at.switch_page("screens/data.py").run()
    at.selectbox(key=keys.DATA_SHIPPED).set_value("toy2").run()
    at.number_input(key=keys.DATA_N_ESTIMATORS).set_value(30).run()
    at.selectbox(key=keys.DATA_DETECTOR).set_value(detector).run()
    if "members" in choices:
        at.multiselect(key=keys.DATA_MEMBERS).set_value(choices["members"]).run()
    if "ndim" in choices:
        at.number_input(key=keys.DATA_NDIM).set_value(choices["ndim"]).run()
    if "scores" in choices:
        at.file_uploader(key=keys.DATA_SCORES).set_value(("scores.csv", choices["scores"], "text/csv")).run()
    at.button(key=keys.DATA_START).click().run()
    return at.switch_page("screens/label.py").run() if follow else at  # AppTest reruns the page it was told


def test_an_ensemble_from_the_data_page_shows_its_members_on_the_card_and_their_weights_on_progress(db):
    at = _start_on_toy2(_app(), "ensemble", members=["iforest", "lof"])
    assert not at.exception
    session = _session(at)
    assert session.detector == "ensemble"
    assert session.record.params["members"] == ["iforest", "lof"]
    row = _top_card(at)
    line = next(m.value for m in at.markdown if m.value.startswith("**Members calling it anomalous:**"))
    for member in session.members(row):
        assert f"`{member['member']}` (weight 1.00" in line
    assert any("Ensemble of `iforest`, `lof`" in c.value for c in at.sidebar.caption)
    _action(at, keys.LABEL_ANOMALY).click().run()
    _action(at, keys.LABEL_NOMINAL).click().run()
    at.switch_page("screens/progress.py").run()
    assert not at.exception
    assert any(s.value == "Member weights" for s in at.subheader)
    weights = [c for c in at.get("plotly_chart") if '"lof"' in c.proto.spec]
    assert len(weights) == 1
    figure = json.loads(weights[0].proto.spec)
    assert [trace["name"] for trace in figure["data"]] == ["iforest", "lof"]
    assert session.member_weights()["weights"].shape == (3, 2)  # the start and two labels


def test_the_data_page_takes_any_pyod_member_typed_as_the_command_line_does(db):
    pytest.importorskip("pyod")
    at = _start_on_toy2(_app(), "ensemble", members=["iforest", "pyod:LODA"])
    assert not at.exception
    assert not at.error
    assert _session(at).record.params["members"] == ["iforest", "pyod:LODA"]


def test_an_extended_forest_from_the_data_page_says_its_rules_and_whys_come_from_a_surrogate(db):
    at = _start_on_toy2(_app(), "eif", ndim=2)
    assert not at.exception
    session = _session(at)
    assert (session.detector, session.record.params["ndim"]) == ("eif", 2)
    assert type(session.model) is aad.ExtendedAADForest
    assert any(
        "axis-aligned surrogate forest" in m.value for m in at.markdown if m.value.startswith("**Why:**")
    )
    _action(at, keys.LABEL_ANOMALY).click().run()
    at.switch_page("screens/rules.py").run()
    assert not at.exception
    assert any("which no box states exactly" in w.value for w in at.warning)


def test_an_uploaded_scores_file_makes_its_columns_ensemble_members_and_a_bad_one_is_refused(db):
    rng = np.random.default_rng(0)
    n = aad.load_dataset("toy2").n_rows
    bad = "mine,theirs\n" + "".join(f"{a:.5f},{b:.5f}\n" for a, b in rng.normal(size=(n - 1, 2)))
    at = _app()
    before = _session(at).id  # the session the app opened on its data
    at = _start_on_toy2(at, "ensemble", members=[], scores=bad.encode(), follow=False)
    assert not at.exception
    message = f"scores.csv has {n - 1} rows of scores but the data has {n} rows"
    assert any(message in e.value for e in at.error)
    assert _session(at).id == before
    good = "mine,theirs\n" + "".join(f"{a:.5f},{b:.5f}\n" for a, b in rng.normal(size=(n, 2)))
    at = _start_on_toy2(_app(), "ensemble", members=[], scores=good.encode())
    assert not at.exception
    assert _session(at).model.member_names_ == ("mine", "theirs")
    at.switch_page("screens/explore.py").run()  # no score for a new point: no contours, said
    assert not at.exception
    said = "No score contours: this ensemble learned from precomputed"
    assert any(c.value.startswith(said) for c in at.caption)


def test_the_queue_help_names_the_sessions_rankings_and_its_rule(tmp_path):
    """The help beside the queue's line describes the session's own queue: the forest's four
    rankings or an ensemble's two, the first look only where the queue gives it, and a fixed
    queue as fixed."""
    store, toy2 = aad.Store(tmp_path / "s.sqlite"), aad.load_dataset("toy2")
    looks = views.queue_help(aad.Session.create(toy2, store=store, seed=0))
    before = views.queue_help(aad.Session.create(toy2, store=store, seed=0, params={"first_look": False}))
    fixed = views.queue_help(aad.Session.create(toy2, store=store, seed=0, params={"queue": "feedback"}))
    members = {"detector": "ensemble", "members": ["iforest", "lof"], "n_estimators": 30}
    ensemble = aad.Session.create(toy2, store=store, seed=0, params=members)
    assert looks.startswith("The model ranks the rows five ways: the **learned model**")
    assert "or the forest's own order or the leaf beliefs after just one, when its record is ahead" in looks
    assert "the **leaf beliefs** (each of the forest's leaves judged by your labels in it alone" in looks
    assert "after just one" not in before
    assert "after just one" not in fixed
    assert "This session's queue follows the learned model alone." in fixed
    assert views.queue_help(ensemble).startswith(
        "The model ranks the rows two ways: the **learned model** (the members re-weighted"
    )
    assert "the ensemble's own order after just one" in views.queue_help(ensemble)
    line = views.queue_line(ensemble, int(ensemble.batch()[0]))
    assert line.startswith("Proposed by every ranking · the queue follows the learned model"), line
    names = views.ranking_names(("feedback", "unsupervised"))
    assert names == "the learned model and the ensemble's own order"
    batch = aad.Session.create(toy2, store=store, seed=0, batch_size=4)
    unproposed = [int(r) for r in batch.batch() if not batch.proposed_by(int(r))]
    assert unproposed  # a batch of four holds rows past the rankings' tops
    assert views.proposed_line(batch, unproposed[0]) == ""
    assert views.queue_line(batch, unproposed[0]).startswith("Next in the queue · the queue follows")


def test_a_truth_marking_most_rows_as_anomalies_can_be_turned_on_the_data_page(db):
    """0/1 labels with 1 for normal: the note said to name the anomaly's value, which the page
    offered only for words (fraud/legit); now for two label words too, the help opened."""
    rows = b"".join(f"{i},{i % 7},{0 if i in (3, 9, 17) else 1}\n".encode() for i in range(40))
    at = _app()
    _upload(at, "turned.csv", b"a,b,label\n" + rows)
    assert any("ground truth in `label` (37 anomalies)" in c.value for c in at.caption)
    assert any("marks 37 of 40 rows (92%) as anomalies" in i.value for i in at.info)
    help_box = next(e for e in at.expander if e.label.startswith("The ground truth not read as you meant"))
    assert help_box.proto.expanded
    session = _start_with_anomaly_value(at, ["", "0", "1"], "0", "ground truth in `label` (3 anomalies)")
    assert session.dataset.y.nonzero()[0].tolist() == [3, 9, 17]
    assert session.record.anomaly_value == "0"
