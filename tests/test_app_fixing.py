"""The workbench, driven by AppTest: find and fix rows, kinds and notes, labels files, sessions.

* Label page: the kind and note beside the buttons go with the label; the table view edits
  labels through the same checked writes as the buttons (a row another tab labelled since is
  refused); the cards never show a column that looks like the answer.
* Rows page: search by id, label, kind, rank and value range; relabel from the table (it
  says what changed); bulk labels; a row's own card; a labels file is one action, one undo,
  and a bad one names every bad line.
* Sessions page: title and description, deletion to the archive (after typing the id), restore.
* Who labelled what: the name given in the sidebar goes with every action.
"""

from __future__ import annotations

import gc
import io
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

import aad
from app import keys, text, views

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")


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


def _session(at: AppTest) -> aad.Session:
    return at.session_state[keys.SESSION]


def _action(at, name: str):
    return next(b for b in at.button if b.key and b.key.startswith(f"{name}-"))


@pytest.fixture
def txn(tmp_path, monkeypatch, db) -> Path:
    """A table with an id, a category, a 0/1 answer column, and one planted outlier (row 5)."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "txn_id": [f"T{i:03d}" for i in range(120)],
            "merchant": rng.choice(["grocery", "fuel", "cafe"], 120),
            "amount": rng.normal(50, 5, 120).round(2),
            "hour": rng.integers(8, 20, 120),
            "is_fraud": np.zeros(120, int),
        }
    )
    frame.loc[5, ["amount", "hour", "is_fraud"]] = [900.0, 3, 1]
    path = tmp_path / "txn.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setenv("AAD_DATA", str(path))
    return path


def test_the_kind_and_note_beside_the_buttons_go_with_the_label_and_into_the_history(db):
    """(A kind typed anew is picked in a real browser: AppTest's select box takes listed values only.)"""
    at = _app()
    _session(at).label(0, "anomaly", kind="account takeover")  # a kind written before is offered
    at.run()
    row = int(_session(at).batch()[0])
    assert at.selectbox(key=keys.LABEL_KIND).options == ["account takeover"]
    at.selectbox(key=keys.LABEL_KIND).set_value("account takeover").run()
    at.text_input(key=keys.LABEL_NOTE).input("**x** [l](http://e)").run()
    _action(at, keys.LABEL_ANOMALY).click().run()
    session = _session(at)
    state = session.row_label(row)
    assert (state.label, state.kind, state.note) == (1, "account takeover", "**x** [l](http://e)")
    assert aad.Store(db).actions(session.id)[-1].via == "card"
    assert at.selectbox(key=keys.LABEL_KIND).value is None  # emptied for the next card
    assert at.text_input(key=keys.LABEL_NOTE).value == ""
    at.switch_page("screens/progress.py").run()
    kinds, history = (d.value for d in at.dataframe)  # the anomalies by kind, then the history
    assert kinds.values.tolist() == [[2, "account takeover"]]
    assert history.loc[0, ["label", "kind", "note", "via"]].tolist() == [
        "anomaly",
        "account takeover",
        "**x** [l](http://e)",
        "card",
    ]
    assert history.loc[0, "analyst"] == aad.session.default_analyst()


def test_a_kind_is_never_carried_onto_a_card_after_a_visit_to_another_page(db):
    """Streamlit forgets a widget's state on a page not drawn: back on the Label page the kind box
    must be empty again, not the first kind in its list, so an A press saves no kind unasked."""
    at = _app()
    _session(at).label(0, "anomaly", kind="account takeover")
    at.run()
    assert at.selectbox(key=keys.LABEL_KIND).value is None
    at.switch_page("screens/progress.py").run()
    at.switch_page("screens/label.py").run()
    assert at.selectbox(key=keys.LABEL_KIND).value is None
    row = int(_session(at).batch()[0])
    _action(at, keys.LABEL_ANOMALY).click().run()
    assert _session(at).row_label(row).kind is None


def test_the_kind_is_kept_for_the_next_cards_only_when_asked_and_never_saved_on_a_nominal(db):
    """An analyst's review: typing the same kind on card after card. Kept on request only, through
    labels, a skip, an undo and a visit to another page; a nominal never takes it."""
    at = _app()
    session = _session(at)
    session.label(0, "anomaly", kind="card testing")
    at.run()
    box = at.checkbox(key=keys.LABEL_KEEP_KIND)
    assert (box.label, box.value) == ("Keep this kind for the next cards", False)  # off by default
    at.checkbox(key=keys.LABEL_KEEP_KIND).check().run()
    at.selectbox(key=keys.LABEL_KIND).set_value("card testing").run()
    first = int(session.batch()[0])
    _action(at, keys.LABEL_ANOMALY).click().run()
    assert session.row_label(first).kind == "card testing"
    assert at.selectbox(key=keys.LABEL_KIND).value == "card testing"  # kept for the next card
    assert at.text_input(key=keys.LABEL_NOTE).value == ""  # a note is the card's own
    nominal = int(session.batch()[0])
    _action(at, keys.LABEL_NOMINAL).click().run()
    assert (session.row_label(nominal).label, session.row_label(nominal).kind) == (0, None)
    assert at.selectbox(key=keys.LABEL_KIND).value == "card testing"  # still there for the next anomaly
    _action(at, keys.LABEL_SKIP).click().run()
    assert at.selectbox(key=keys.LABEL_KIND).value == "card testing"
    at.button(key=keys.LABEL_UNDO).click().run()  # the skipped card is back: the kind stays
    assert at.selectbox(key=keys.LABEL_KIND).value == "card testing"
    at.switch_page("screens/progress.py").run()
    at.switch_page("screens/label.py").run()
    assert at.checkbox(key=keys.LABEL_KEEP_KIND).value
    assert at.selectbox(key=keys.LABEL_KIND).value == "card testing"
    later = int(session.batch()[0])
    _action(at, keys.LABEL_ANOMALY).click().run()
    assert session.row_label(later).kind == "card testing"
    at.selectbox(key=keys.LABEL_KIND).set_value(None).run()  # changed by the analyst: nothing kept
    _action(at, keys.LABEL_SKIP).click().run()
    assert at.selectbox(key=keys.LABEL_KIND).value is None
    at.selectbox(key=keys.LABEL_KIND).set_value("card testing").run()
    at.checkbox(key=keys.LABEL_KEEP_KIND).uncheck().run()  # off: this card's box empties, and the next
    assert at.selectbox(key=keys.LABEL_KIND).value is None  # (it kept the kind for one more A)
    now = int(session.batch()[0])
    _action(at, keys.LABEL_ANOMALY).click().run()
    assert session.row_label(now).kind is None
    _action(at, keys.LABEL_SKIP).click().run()
    assert at.selectbox(key=keys.LABEL_KIND).value is None
    assert not at.exception


def test_a_nominal_never_takes_the_kind_in_the_box_even_one_too_long_to_save(db):
    """A kind kept for the next anomaly must not stop a Nominal label (the engine refuses a kind
    over 80 characters on any label it is given with)."""
    at = _app()
    at.checkbox(key=keys.LABEL_KEEP_KIND).check().run()
    # as if typed into the box (it takes new kinds; AppTest's select box takes listed values only)
    at.session_state[keys.LABEL_KEPT_KIND] = (_session(at).id, "x" * 81)
    at.switch_page("screens/progress.py").run()
    at.switch_page("screens/label.py").run()
    assert at.selectbox(key=keys.LABEL_KIND).value == "x" * 81
    row = int(_session(at).batch()[0])
    _action(at, keys.LABEL_NOMINAL).click().run()
    assert not at.error
    assert (_session(at).row_label(row).label, _session(at).row_label(row).kind) == (0, None)
    assert at.selectbox(key=keys.LABEL_KIND).value == "x" * 81  # kept for the next anomaly


def test_a_kind_renamed_on_the_progress_page_is_one_action_and_every_kind_list_follows(db):
    at = _app()
    session = _session(at)
    session.label([0, 1], "anomaly", kind="card test")
    session.label(2, "anomaly", kind="card testing")
    session.label(3, "anomaly", kind="takeover")
    at.run()
    at.checkbox(key=keys.LABEL_KEEP_KIND).check().run()
    at.selectbox(key=keys.LABEL_KIND).set_value("card test").run()  # kept for the next cards
    at.switch_page("screens/rows.py").run()
    at.multiselect(key=keys.ROWS_KINDS).set_value(["card test"]).run()
    at.switch_page("screens/progress.py").run()
    assert at.selectbox(key=keys.KIND_RENAME_OLD).options == ["card test", "card testing", "takeover"]
    at.selectbox(key=keys.KIND_RENAME_OLD).set_value("card test")
    at.text_input(key=keys.KIND_RENAME_NEW).input("Card  Testing").run()
    assert at.button(key=keys.KIND_RENAME).label == "Merge into card testing (2 + 1 rows)"
    n_actions = len(aad.Store(db).actions(session.id))
    at.button(key=keys.KIND_RENAME).click().run()
    assert len(aad.Store(db).actions(session.id)) == n_actions + 1  # one action
    assert session.kinds() == {"card testing": 3, "takeover": 1}
    assert at.success[0].value.startswith("Merged card test into card testing: 3 anomalies of it now")
    assert at.dataframe[0].value.values.tolist() == [[3, "card testing"], [1, "takeover"]]
    assert at.text_input(key=keys.KIND_RENAME_NEW).value == ""
    at.switch_page("screens/label.py").run()
    last = next(c.value for c in at.caption if c.value.startswith("Last:"))
    assert last.startswith("Last: rename kind card test → card testing on 2 rows · model v4"), last
    assert views.history_frame(session)["action"].tolist()[0] == "rename kind"
    assert at.selectbox(key=keys.LABEL_KIND).options == ["card testing", "takeover"]
    assert at.selectbox(key=keys.LABEL_KIND).value == "card testing"  # the kept kind follows
    at.switch_page("screens/rows.py").run()
    assert at.multiselect(key=keys.ROWS_KINDS).value == ["card testing"]  # the filter follows
    assert sorted(at.dataframe[0].value["row"]) == [0, 1, 2]
    at.switch_page("screens/label.py").run()
    at.button(key=keys.LABEL_UNDO).click().run()  # one Undo takes the merge back
    assert session.kinds() == {"card test": 2, "card testing": 1, "takeover": 1}
    last = next(c.value for c in at.caption if c.value.startswith("Last:"))
    assert last.startswith("Last: undo rename kind card test → card testing on 2 rows"), last
    assert not at.exception


@pytest.mark.parametrize(
    ("new", "said"),
    [
        ("", "the new name of the kind 'card test' is empty: type a name; nothing was changed"),
        ("CARD test", "'CARD test' differs from 'card test' only in case"),
    ],
)
def test_a_kind_rename_that_cannot_be_says_why_on_the_page_and_writes_nothing(db, new, said):
    at = _app()
    session = _session(at)
    session.label([0, 1], "anomaly", kind="card test")
    at.switch_page("screens/progress.py").run()
    at.text_input(key=keys.KIND_RENAME_NEW).input(new).run()
    assert at.button(key=keys.KIND_RENAME).label == "Rename"
    at.button(key=keys.KIND_RENAME).click().run()
    assert at.error[0].value == text.md(said) or at.error[0].value.startswith(text.md(said))
    assert len(aad.Store(db).actions(session.id)) == 1
    assert session.kinds() == {"card test": 2}


def test_a_kind_is_shown_as_text_in_the_rename_form_never_as_markup(db):
    at = _app()
    session = _session(at)
    kind = "**x** :red[y] <b>z</b>"
    session.label(0, "anomaly", kind=kind)
    at.switch_page("screens/progress.py").run()
    at.text_input(key=keys.KIND_RENAME_NEW).input("_new_ [l](http://e)").run()
    assert at.button(key=keys.KIND_RENAME).label == (
        f"Rename {text.md(kind)} to {text.md('_new_ [l](http://e)')} (1 row)"
    )
    at.button(key=keys.KIND_RENAME).click().run()
    assert session.kinds() == {"_new_ [l](http://e)": 1}
    assert at.success[0].value.startswith(
        f"Renamed {text.md(kind)} to {text.md('_new_ [l](http://e)')} on 1 row"
    )


def test_the_name_given_in_the_sidebar_goes_with_every_action_of_the_tab(db):
    at = _app()
    at.sidebar.text_input(key=keys.ANALYST_INPUT).input("  Ann   Lee ").run()
    assert any('aad_analyst=\' + "Ann%20Lee"' in h.proto.body for h in at.get("html"))  # kept in a cookie
    _action(at, keys.LABEL_NOMINAL).click().run()
    at.button(key=keys.LABEL_UNDO).click().run()
    assert [a.analyst for a in aad.Store(db).actions(_session(at).id)] == ["Ann Lee", "Ann Lee"]


def test_a_name_with_direction_or_control_characters_is_recorded_without_them(db):
    """U+202E and "yrrah" showed as "harry" in the sidebar, the analysts column and the history
    (helper-36)."""
    at = _app()
    at.sidebar.text_input(key=keys.ANALYST_INPUT).input("\u202eyrrah\x1b]0;x").run()
    _action(at, keys.LABEL_NOMINAL).click().run()
    assert [a.analyst for a in aad.Store(db).actions(_session(at).id)] == ["yrrah]0;x"]


def test_the_sessions_picker_shows_a_long_or_reversing_title_without_hiding_the_id(db):
    at = _app()
    session = _session(at)
    aad.Store(db).update(session.id, title="abc\u202edcba " + "x" * 100)
    at.switch_page("screens/sessions.py").run()
    picker = at.selectbox(key=keys.SESSIONS_PICK)
    shown = picker.format_func(session.id)
    assert shown.startswith("abc\\u202edcba xxx")  # the control as its escape: nothing turned around
    assert f"… · {session.id} · " in shown  # the title cut to 40 characters, the id in view
    assert " · 0 labels · " in shown
    table = next(d.value for d in at.dataframe if "title" in d.value.columns)
    assert table["title"].iloc[0].startswith("abc\\u202edcba")
    assert not at.exception


def test_the_table_view_is_kept_in_the_url_so_a_reload_keeps_it(db):
    """A reload came back to the cards, where the letters typed for the grid labelled rows."""
    at = _app()
    assert at.segmented_control(key=keys.LABEL_VIEW).value == "Cards"
    at.segmented_control(key=keys.LABEL_VIEW).set_value("Table").run()
    assert at.query_params[keys.URL_VIEW] == "table"
    reloaded = _app(**{keys.URL_SESSION: _session(at).id, keys.URL_VIEW: "table"})
    assert reloaded.segmented_control(key=keys.LABEL_VIEW).value == "Table"
    assert any(d.key and d.key.startswith("label_table") for d in reloaded.dataframe)
    assert any(c.value.startswith("Keys: off in the table view") for c in reloaded.sidebar.caption)
    reloaded.segmented_control(key=keys.LABEL_VIEW).set_value("Cards").run()
    assert keys.URL_VIEW not in reloaded.query_params


def test_the_table_view_labels_through_the_same_checked_write_and_refuses_a_row_labelled_since(db):
    at = _app()
    assert any(c.value.startswith("Keys: **A**") for c in at.sidebar.caption)
    at.switch_page("screens/rows.py").run()  # where the keys do nothing, the sidebar lists none
    assert not any(c.value.startswith("Keys") for c in at.sidebar.caption)
    at.switch_page("screens/label.py").run()
    at.session_state[keys.LABEL_VIEW] = "Table"
    at.run()
    assert any(c.value.startswith("Keys: off in the table view") for c in at.sidebar.caption)
    session = _session(at)
    table = next(d for d in at.dataframe if d.key and d.key.startswith("label_table"))
    listed = table.value["row"].tolist()
    assert listed[0] == int(session.batch()[0])
    assert len(listed) == 20
    assert table.value["label"].eq("—").all()
    key = keys.table_editor("label_table", session.id, session.version, 0)
    at.session_state[key] = {
        "edited_rows": {
            1: {"label": "anomaly", "kind": "mule"},
            2: {"label": "nominal", "note": "looked fine"},
        },
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert any(t.value.startswith("Labelled 1 row anomaly; labelled 1 row nominal") for t in at.toast)
    assert _session(at).row_label(listed[1]).kind == "mule"
    assert _session(at).row_label(listed[2]).note == "looked fine"
    assert not at.error
    key = keys.table_editor("label_table", session.id, _session(at).version, 1)
    at.session_state[key] = {"edited_rows": {0: {"note": "hm"}}, "added_rows": [], "deleted_rows": []}
    at.run()  # a note alone on an unlabelled row: refused, with the reason
    assert any("has no label: label it before giving it a kind or a note" in e.value for e in at.error)
    drawn = next(d for d in at.dataframe if d.key and d.key.startswith("label_table"))
    first = drawn.value["row"].tolist()[0]
    at.session_state[drawn.key] = {"edited_rows": {0: {"kind": "Mule"}}, "added_rows": [], "deleted_rows": []}
    at.run()  # a kind alone on an unlabelled row: an anomaly of that kind (a label first hid the row)
    assert _session(at).row_label(first).label == aad.ANOMALY
    assert _session(at).row_label(first).kind == "mule"  # the kind's first spelling kept
    assert not at.error

    drawn = next(d for d in at.dataframe if d.key and d.key.startswith("label_table"))
    target = listed[3]
    position = drawn.value["row"].tolist().index(target)
    other = aad.Session.open(session.id, store=aad.Store(db))  # another tab labels a row on screen here
    other.label(target, "nominal")
    at.session_state[drawn.key] = {
        "edited_rows": {position: {"label": "anomaly"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()  # this table was drawn before: the row showed as unlabelled
    assert any(
        f"row {target} was unlabelled when this page was drawn and is now nominal" in e.value
        for e in at.error
    )
    assert aad.Store(db).labels(session.id)[target] == aad.NOMINAL


def test_the_cards_and_tables_never_show_a_column_that_looks_like_the_answer(txn):
    at = _app()
    assert int(_session(at).batch()[0]) == 5
    context = next(c.value for c in at.caption if c.value.startswith("txn_id"))
    assert context == "txn_id `T005`"  # the id; merchant, a category, is a feature on the card
    assert "is_fraud" not in context
    at.session_state[keys.LABEL_VIEW] = "Table"
    at.run()
    table = next(d for d in at.dataframe if d.key and d.key.startswith("label_table")).value
    assert "is_fraud" not in table.columns
    assert "txn_id" in table.columns
    at.switch_page("screens/rows.py").run()
    assert "is_fraud" not in at.dataframe[0].value.columns
    scores = pd.read_csv(io.StringIO(views.scores_csv(_session(at))()))
    assert {"txn_id", "merchant", "amount", "hour"} <= set(scores.columns)  # the downloads keep the columns
    assert _session(at).dataset.label_column == "is_fraud"  # but the ground truth, as on the Data page


def test_rows_are_found_by_id_label_kind_rank_and_value_range_and_relabelled_from_the_table(txn):
    at = _app()
    session = _session(at)
    session.label([5, 7], "anomaly", kind="fraud")
    session.label([8, 9], "nominal")
    at.switch_page("screens/rows.py").run()
    at.text_input(key=keys.ROWS_SEARCH).input("t009").run()
    found = at.dataframe[0].value
    assert found["row"].tolist() == [9]
    assert any(m.value.startswith("### Row 9 · nominal") for m in at.markdown)  # one match: its card
    at.text_input(key=keys.ROWS_SEARCH).input("").run()
    at.multiselect(key=keys.ROWS_LABELS).set_value(["anomaly", "nominal"]).run()
    assert sorted(at.dataframe[0].value["row"]) == [5, 7, 8, 9]
    at.multiselect(key=keys.ROWS_KINDS).set_value(["fraud"]).run()
    assert sorted(at.dataframe[0].value["row"]) == [5, 7]
    at.multiselect(key=keys.ROWS_KINDS).set_value([]).run()
    at.multiselect(key=keys.ROWS_LABELS).set_value([]).run()
    at.number_input(key=keys.ROWS_TOP).set_value(3).run()
    assert at.dataframe[0].value["rank"].max() <= 3
    at.number_input(key=keys.ROWS_TOP).set_value(0).run()
    at.multiselect(key=keys.ROWS_RANGE_COLUMNS).set_value(["amount"]).run()
    at.number_input(key="rows_low_amount").set_value(100.0).run()
    assert at.dataframe[0].value["row"].tolist() == [5]

    at.multiselect(key=keys.ROWS_RANGE_COLUMNS).set_value([]).run()
    at.multiselect(key=keys.ROWS_LABELS).set_value(["nominal"]).run()
    listed = at.dataframe[0].value["row"].tolist()
    position = listed.index(8)
    key = keys.table_editor("rows_table", session.id, _session(at).version, 0)
    at.session_state[key] = {
        "edited_rows": {position: {"label": "anomaly"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert any(s.value.startswith("1 row changed from nominal to anomaly") for s in at.success)
    assert _session(at).labels()[8] == aad.ANOMALY
    assert aad.Store(_session(at).store.path).actions(session.id)[-1].via == "rows"


def test_the_rows_page_offers_to_label_the_rows_found_together_only_once_searched_or_filtered(txn):
    """Unfiltered, "Label all 485 as anomaly" sat under the table: one click from every row."""
    at = _app()
    at.switch_page("screens/rows.py").run()
    assert not [b for b in at.button if b.key in (keys.ROWS_BULK_ANOMALY, keys.ROWS_BULK_NOMINAL)]
    assert any("Search or filter to label the rows found together" in c.value for c in at.caption)
    at.multiselect(key=keys.ROWS_LABELS).set_value(["unlabelled"]).run()
    assert at.button(key=keys.ROWS_BULK_NOMINAL).label.startswith("Label all ")


def test_a_new_search_that_finds_one_row_shows_that_row_not_the_row_gone_to_before(txn):
    """Go to row 11, then search a row number: the card stayed row 11's (helper-35)."""
    at = _app()
    at.switch_page("screens/rows.py").run()
    at.number_input(key=keys.ROWS_GOTO).set_value(11).run()
    assert any(m.value.startswith("### Row 11 ·") for m in at.markdown)
    at.text_input(key=keys.ROWS_SEARCH).input("27").run()  # a bare row number puts that row first
    headings = [m.value for m in at.markdown if m.value.startswith("### Row ")]
    assert at.number_input(key=keys.ROWS_GOTO).value is None
    assert not any(h.startswith("### Row 11 ·") for h in headings)
    assert not at.exception


def test_a_rows_own_card_labels_it_with_a_kind_and_note_and_bulk_labels_say_what_changed(txn):
    at = _app()
    session = _session(at)
    session.label(11, "nominal")
    at.switch_page("screens/rows.py").run()
    at.number_input(key=keys.ROWS_GOTO).set_value(11).run()
    assert any(m.value.startswith("### Row 11 · nominal") for m in at.markdown)
    session.label(12, "anomaly", kind="card testing")
    at.run()
    at.selectbox(key=keys.for_card(keys.ROWS_KIND, 11)).set_value("card testing").run()
    at.text_input(key=keys.for_card(keys.ROWS_NOTE, 11)).input("two cards, one shop").run()
    at.button(key=keys.for_card("rows_anomaly", 11)).click().run()
    assert any(s.value.startswith("1 row changed from nominal to anomaly") for s in at.success)
    state = _session(at).row_label(11)
    assert (state.label, state.kind, state.note) == (1, "card testing", "two cards, one shop")

    merchants = pd.read_csv(txn)["merchant"]  # a category (a feature): found by its text too
    grocery = set(np.flatnonzero(merchants == "grocery").tolist())
    at.text_input(key=keys.ROWS_SEARCH).input("GROCERY").run()
    assert set(views.find_rows(_session(at), "GROCERY").tolist()) == grocery
    at.button(key=keys.ROWS_BULK_NOMINAL).click().run()
    fresh = len(grocery - {11})
    expected = f"Labelled {fresh} rows nominal" + (
        "; 1 row changed from anomaly to nominal" if 11 in grocery else ""
    )
    assert any(s.value.startswith(expected) for s in at.success), [s.value for s in at.success]
    assert {r for r, v in _session(at).labels().items() if v == aad.NOMINAL} == grocery


def test_the_rows_pages_inputs_have_names_of_their_own_and_its_card_says_it_has_no_keys(txn):
    """Review 25, defect 10: the Kind filter and the kind box of "Label all N" were both named
    "Kind" (a screen reader could not tell them apart), and the Rows page's card, unlike the
    Label page's, has no A/N keys without saying so."""
    at = _app()
    at.switch_page("screens/rows.py").run()
    at.text_input(key=keys.ROWS_SEARCH).input("GROCERY").run()
    at.number_input(key=keys.ROWS_GOTO).set_value(11).run()
    assert at.selectbox(key=keys.ROWS_BULK_KIND).label == "Kind for the rows found"
    assert at.multiselect(key=keys.ROWS_KINDS).label == "Kind"
    names = [w.label for w in [*at.text_input, *at.selectbox, *at.multiselect, *at.number_input]]
    assert len(names) == len(set(names)), names
    assert any("A and N label on the Label page only" in c.value for c in at.caption)


def test_the_rows_pages_search_and_filters_outlive_a_visit_to_another_page(txn):
    """An analyst's review: search, look at the Label page, come back: the search was gone."""
    at = _app()
    at.switch_page("screens/rows.py").run()
    at.text_input(key=keys.ROWS_SEARCH).input("GROCERY").run()
    at.multiselect(key=keys.ROWS_LABELS).select("unlabelled").run()
    at.multiselect(key=keys.ROWS_RANGE_COLUMNS).select("amount").run()
    at.number_input(key="rows_high_amount").set_value(50.0).run()
    found = next(m.value for m in at.markdown if m.value.endswith("found**"))
    at.switch_page("screens/label.py").run()
    at.switch_page("screens/rows.py").run()
    assert not at.exception
    assert at.text_input(key=keys.ROWS_SEARCH).value == "GROCERY"
    assert at.multiselect(key=keys.ROWS_LABELS).value == ["unlabelled"]
    assert at.number_input(key="rows_high_amount").value == 50.0
    assert next(m.value for m in at.markdown if m.value.endswith("found**")) == found


def test_a_value_range_says_how_many_rows_with_no_value_it_leaves_out(tmp_path, db):
    """An analyst's review: a range over the whole column silently dropped the 40 rows with no
    amount (their cards show the value filled in)."""
    amount = np.arange(30.0)
    amount[[3, 7]] = np.nan
    frame = pd.DataFrame({"amount": amount, "fee": np.arange(30.0) % 7})
    frame.to_csv(tmp_path / "t.csv", index=False)
    session = aad.Session.create(aad.load_data(str(tmp_path / "t.csv")), store=aad.Store(db))
    whole = views.find_rows(session, "", ranges={"amount": (None, None)})
    assert sorted(whole.tolist()) == [r for r in range(30) if r not in (3, 7)]
    said = views.range_gaps(session, ["amount", "fee"])
    assert said == "Rows with no value match no range, so these are left out: amount: 2 rows."


def test_a_date_is_found_as_the_file_writes_it_in_the_columns_own_order(tmp_path, db):
    """The card shows ``2024-10-28``; an analyst types the date as the export writes it."""
    days = ["10/28/2024 14:30", "10/29/2024 09:00", "03/04/2024 11:15", "10/28/2024 23:59"] * 5
    frame = pd.DataFrame({"booked": days, "amount": np.arange(20.0), "memo": ["x"] * 20})
    frame.to_csv(tmp_path / "ledger.csv", index=False)
    session = aad.Session.create(aad.load_data(str(tmp_path / "ledger.csv")), store=aad.Store(db))

    def found(query: str) -> list[int]:
        return sorted(views.find_rows(session, query).tolist())

    on_the_28th = [r for r in range(20) if r % 4 in (0, 3)]
    assert found("10/28/2024") == found("2024-10-28") == found("Oct 28, 2024") == on_the_28th
    assert found("03/04/2024") == list(range(2, 20, 4))  # the column's order: month first
    assert found("28.10.2024 23:59") == list(range(3, 20, 4))  # a time too: that minute
    assert found("30.10.2024") == []


def test_a_value_copied_off_a_card_finds_the_rows_typing_it_finds(db, tmp_path):
    """The cards break links with a zero-width space (``http:\u200b//``): copied into a search it
    found nothing."""
    memos = ["+SUM(A1:A9)", "see http://evil.example", "a@b.org", "plain"] * 10
    frame = pd.DataFrame({"memo": memos, "amount": np.arange(40.0)})
    frame.to_csv(tmp_path / "memos.csv", index=False)
    session = aad.Session.create(aad.load_data(str(tmp_path / "memos.csv")), store=aad.Store(db))
    for typed in ("+SUM(A1:A9)", "http://evil.example", "a@b.org"):
        copied = text.md(typed).replace("\\", "")  # as the card shows it, its escapes not copied
        assert "\u200b" in copied
        assert sorted(views.find_rows(session, copied).tolist()) == sorted(views.find_rows(session, typed))
        assert len(views.find_rows(session, typed)) == 10


def test_a_value_in_double_quotes_finds_only_the_cells_that_are_that_whole_value(db, tmp_path, monkeypatch):
    """Review 25, defect 3: Find 10.45.218.15 listed every row of 10.45.218.157, another host."""
    ips = ["10.45.218.157"] * 6 + ["10.45.218.15"] * 3 + ["10.45.218.1"] * 2 + ["185.220.101.47"] * 29
    agents = ["curl/8.5.0"] * 20 + ["curl/8.5.0 (x)"] * 20
    frame = pd.DataFrame({"src_ip": ips, "agent": agents, "bytes": np.arange(40.0)})
    frame.to_csv(tmp_path / "log.csv", index=False)
    monkeypatch.setenv("AAD_DATA", str(tmp_path / "log.csv"))
    at = _app()
    session = _session(at)

    def found(query: str) -> list[int]:
        return sorted(views.find_rows(session, query).tolist())

    assert found("10.45.218.15") == list(range(9))  # a substring, as analysts search
    assert found('"10.45.218.15"') == [6, 7, 8]  # the whole cell: that host only
    assert found('"10.45.218.1"') == [9, 10]
    assert found('"10.45.218"') == []
    assert found('"CURL/8.5.0 (X)"') == list(range(20, 40))  # any case; the spaces are the value's
    assert found('"curl/8.5.0" 10.45') == list(range(11))  # with a word found in part of a cell
    assert found('"10.45.218.15" "curl/8.5.0 (x)"') == []  # every quoted value must be found
    at.switch_page("screens/rows.py").run()
    box = at.text_input(key=keys.ROWS_SEARCH)
    assert "double quotes" in box.help
    assert '"10.45.218.15"' in box.help
    assert '("…": a whole value)' in box.placeholder
    box.input('"10.45.218.15"').run()
    assert any(m.value.startswith("**3 rows found**") for m in at.markdown)


def test_a_row_number_finds_that_row_first_then_the_rows_whose_text_holds_it(db, tmp_path):
    frame = pd.DataFrame({"ref": [f"R{i}27" for i in range(40)], "amount": np.arange(40.0)})
    frame.to_csv(tmp_path / "refs.csv", index=False)
    session = aad.Session.create(aad.load_data(str(tmp_path / "refs.csv")), store=aad.Store(db))
    found = views.find_rows(session, "27").tolist()
    assert found[0] == 27  # the row the analyst named, though others rank higher
    assert sorted(found) == list(range(40))  # and every row whose ref holds "27", by rank
    best = views.find_rows(session, "", top=1).tolist()
    assert views.find_rows(session, "27", top=1).tolist() == best  # the other filters still hold
    assert views.find_rows(session, "²7").tolist() == []  # a digit int() cannot read is text


def test_a_labels_file_is_one_action_one_undo_and_a_bad_one_names_every_bad_line(txn):
    at = _app()
    at.switch_page("screens/rows.py").run()
    known = b"txn_id,label,kind\nT005,anomaly,skimming\nT010,nominal,\nT011,1,\n"
    at.file_uploader(key=f"{keys.ROWS_UPLOAD}_0").set_value(("known.csv", known, "text/csv")).run()
    message = next(s.value for s in at.success)
    assert message.startswith("known.csv: labelled 2 rows anomaly; labelled 1 row nominal")
    assert "**Undo** takes it all back" in message
    assert _session(at).labels() == {5: 1, 10: 0, 11: 1}
    assert _session(at).row_label(5).kind == "skimming"
    at.switch_page("screens/label.py").run()
    at.button(key=keys.LABEL_UNDO).click().run()
    assert _session(at).labels() == {}

    at.switch_page("screens/rows.py").run()
    bad = b"txn_id,label\nT005,anomaly\nT999,anomaly\nT010,maybe\nT005,nominal\n"
    at.file_uploader(key=f"{keys.ROWS_UPLOAD}_1").set_value(("bad labels.csv", bad, "text/csv")).run()
    error = at.error[0].value
    assert error.startswith("bad labels.csv has 3 bad lines, so no label was read:")
    assert "\n- line 3: no row of the data has txn_id 'T999'" in error
    assert "\n- line 4: a label must be anomaly or nominal" in error
    assert "\n- labels row 5 twice (lines 2 and 5); keep one label per row" in error
    assert _session(at).labels() == {}


def test_the_explore_pages_bulk_relabel_says_what_it_changed(db):
    at = _app()
    at.switch_page("screens/explore.py").run()
    session = _session(at)
    session.label(99, "anomaly", kind="cluster")
    session.undo()  # the kind stays on offer
    session.label([3, 42], "nominal")
    at.run()
    at.session_state[keys.explore_chart(session.version)] = {
        "selection": {
            "points": [{"point_index": i, "customdata": [r]} for i, r in enumerate([3, 17, 42])],
            "point_indices": [0, 1, 2],
            "box": [],
            "lasso": [],
        }
    }
    at.run()
    at.selectbox(key=keys.EXPLORE_KIND).set_value("cluster").run()
    at.button(key=keys.EXPLORE_BULK_ANOMALY).click().run()
    assert any(
        s.value.startswith("Labelled 1 row anomaly; 2 rows changed from nominal to anomaly")
        for s in at.success
    )
    assert {r: s.kind for r, s in _session(at).row_labels().items()} == dict.fromkeys([3, 17, 42], "cluster")


def test_a_session_is_named_described_deleted_to_the_archive_and_restored(db):
    at = _app()
    session = _session(at)
    _action(at, keys.LABEL_ANOMALY).click().run()
    at.switch_page("screens/sessions.py").run()
    at.text_input(key=keys.SESSIONS_TITLE).input("March fraud").run()
    at.text_area(key=keys.SESSIONS_DESCRIPTION).input("first pass; **agreed** with ops").run()
    at.button(key=keys.SESSIONS_SAVE).click().run()
    record = aad.Store(db).get(session.id)
    assert (record.title, record.description) == ("March fraud", "first pass; **agreed** with ops")
    assert at.dataframe[0].value["title"].tolist() == ["March fraud"]
    assert at.button(key=keys.SESSIONS_DELETE).disabled  # the id is typed first
    at.text_input(key=keys.SESSIONS_CONFIRM).input("nope").run()
    assert at.button(key=keys.SESSIONS_DELETE).disabled
    at.text_input(key=keys.SESSIONS_CONFIRM).input(session.id).run()
    at.button(key=keys.SESSIONS_DELETE).click().run()
    assert any(
        f"Deleted session {session.id}: its 1 action is kept in the archive" in s.value for s in at.success
    )
    assert aad.Store(db).summaries() == []
    assert keys.URL_SESSION not in at.query_params
    assert any("No sessions yet" in i.value for i in at.info)
    at.button(key=keys.restore_button(session.id)).click().run()
    assert [s.id for s in aad.Store(db).summaries()] == [session.id]
    assert aad.Store(db).labels(session.id) == session.labels()

    aad.Store(db).archive(session.id, by="ann")
    again = _app(session=session.id)  # a bookmark of a deleted session says so
    assert f"session {session.id} was deleted by ann on " in again.error[0].value


def test_a_save_writes_only_what_was_changed_and_never_over_what_another_tab_saved_since(db):
    """Ann saved a description; Bob, whose form was drawn before, changed the title only and
    saved: the description was wiped, and both tabs said "Saved" (helper-36)."""
    ann = _app()
    session = _session(ann)
    bob = _app(session=session.id)
    for tab in (ann, bob):
        tab.switch_page("screens/sessions.py").run()
    ann.text_area(key=keys.SESSIONS_DESCRIPTION).input("ann wrote this").run()
    ann.button(key=keys.SESSIONS_SAVE).click().run()
    bob.text_input(key=keys.SESSIONS_TITLE).input("Bob's title").run()
    bob.button(key=keys.SESSIONS_SAVE).click().run()
    record = aad.Store(db).get(session.id)
    assert (record.title, record.description) == ("Bob's title", "ann wrote this")
    bob.text_area(key=keys.SESSIONS_DESCRIPTION).input("bob's").run()  # Ann's is not on his page
    bob.button(key=keys.SESSIONS_SAVE).click().run()
    assert aad.Store(db).get(session.id).description == "ann wrote this"
    assert "changed elsewhere since this page showed it (description now: ann wrote this)" in (
        bob.warning[0].value
    )
    bob.button(key=keys.SESSIONS_SAVE).click().run()  # again, knowing: his replaces hers
    assert aad.Store(db).get(session.id).description == "bob's"
    assert not bob.exception


def test_an_action_on_a_session_deleted_in_another_tab_says_so_in_the_pages_words(db):
    """Pressing A there gave the command line's "there is no session ... list the sessions with
    `aad sessions list`" with the server's path (helper-36); nothing is stored."""
    at = _app()
    session = _session(at)
    aad.Store(db).archive(session.id, by="ann")
    _action(at, keys.LABEL_ANOMALY).click().run()
    message = at.error[0].value
    assert f"session {session.id} was deleted by ann on " in message
    assert "restore it on the **Sessions** page" in message
    assert "aad sessions list" not in message
    assert str(db) not in message
    assert aad.Store(db).archived()[0].n_labels == 0


def test_leaving_a_session_lets_the_server_free_it(db):
    at = _app()
    first = _session(at)
    other = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(db), seed=9)
    gone = weakref.ref(first)
    del first
    at.switch_page("screens/sessions.py").run()
    at.selectbox(key=keys.SESSIONS_PICK).set_value(other.id).run()
    at.button(key=keys.SESSIONS_RESUME).click().run()
    assert _session(at).id == other.id
    at.run()  # Streamlit keeps the state of the run before (the widgets' old values) until the next
    gc.collect()
    assert gone() is None  # nothing of the tab, the caches or the pages still holds the session left


def test_a_column_name_with_markup_is_shown_as_text_in_the_value_range_filter(tmp_path, monkeypatch, db):
    """Widget labels are Markdown: a column named ``**amt** [l](example.com) $x$`` must not become
    bold text, a link from the data, or a formula."""
    name = "**amt** [l](example.com) $x$"
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({name: rng.normal(50, 5, 80).round(2), "hour": rng.integers(0, 24, 80)})
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setenv("AAD_DATA", str(path))
    at = _app()
    at.switch_page("screens/rows.py").run()
    at.multiselect(key=keys.ROWS_RANGE_COLUMNS).set_value([name]).run()
    assert not at.exception
    labels = [at.number_input(key=f"rows_{end}_{name}").label for end in ("low", "high")]
    assert labels == [f"{text.md(name)} from", f"{text.md(name)} to"]
    assert all("**amt**" not in label and "[l](" not in label and "$x$" not in label for label in labels)


def test_a_search_finds_values_as_the_file_writes_them(tmp_path):
    """Rows -> Find read the values as parsed: "2024-10-14T00:00:21+00:00" (the file's timestamp),
    "404" in a column of codes and "1021" in an id column, each with an empty cell that made the
    column floats (404.0, 1021.0), found nothing (helper-57's review)."""
    csv = tmp_path / "web.csv"
    lines = ["ts,status,bytes,user_id"]
    for i in range(40):
        status = "" if i == 5 else (404 if i % 7 == 0 else 200)
        uid = "" if i == 3 else 1000 + i
        lines.append(f"2024-10-14T00:00:{i:02d}+00:00,{status},{100 + i * 13},{uid}")
    csv.write_text("\n".join(lines) + "\n")
    data = aad.load_data(str(csv), categories=["status"])
    session = aad.Session.create(data, store=aad.Store(tmp_path / "s.sqlite"), params={"n_estimators": 10})
    for query, rows in (
        ('"2024-10-14T00:00:21+00:00"', [21]),
        ("T00:00:21", [21]),
        ('"404"', [0, 7, 14, 21, 28, 35]),
        ('"1021"', [21]),
    ):
        assert sorted(views.find_rows(session, query).tolist()) == rows, query


def test_the_last_action_line_cuts_a_long_kind(tmp_path):
    """A kind of 66 characters wrapped the "Last:" line to three lines at 1280x720 and pushed the
    first card off the screen (helper-58's review): it is cut as the cards cut a value."""
    session = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(tmp_path / "s.sqlite"))
    kind = "credential stuffing from a residential proxy pool rotating per try"
    session.label(3, "anomaly", kind=kind)
    line = views.last_action(session)
    assert kind[:39] + "…" in line
    assert kind not in line
