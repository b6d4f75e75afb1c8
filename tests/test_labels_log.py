"""What the log holds beyond the labels: kinds, notes, analysts, labels files, the archive.

* An anomaly's kind and any label's note are stored with the label, replayed, undone with
  it, exported, and never change what the model learns.
* A labels file is one action (one undo); every bad line is named.
* Deleting a session moves it to the archive (triggers refuse any other way out); it restores.
* A schema-3 database (before all this) opens, upgrades, and replays to the same scores.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3

import numpy as np
import pandas as pd
import pytest

import aad
from aad.session import Edit
from aad.store import replay


@pytest.fixture(scope="module")
def fitted_toy2():
    toy2 = aad.load_dataset("toy2")
    return toy2, aad.fit_model(toy2, dict(aad.session.DEFAULT_PARAMS), 0)


@pytest.fixture
def store(tmp_path) -> aad.Store:
    return aad.Store(tmp_path / "sessions.sqlite")


def _new(store, fitted, **kwargs) -> aad.Session:
    data, model = fitted
    return aad.Session.create(data, store=store, model_factory=lambda *_: model.copy(), **kwargs)


def _txn_table(tmp_path, n: int = 40):
    path = tmp_path / "txn.csv"
    rows = "".join(f"T{i},{100 + i},{i % 11}.5,{(i * 7) % 13}\n" for i in range(n))
    path.write_text("txn_id,customer_id,amount,hour\n" + rows)
    return path


# --------------------------------------------------------------------------- kinds and notes


def test_kinds_and_notes_are_stored_replayed_and_never_change_what_the_model_learns(store, fitted_toy2):
    plain, annotated = _new(store, fitted_toy2), _new(store, fitted_toy2)
    for session, kind, note in ((plain, None, None), (annotated, "account takeover", "new device, far away")):
        session.label([3, 5], "anomaly", kind=kind, note=note)
        session.label(7, "nominal", note=note)
    annotated.annotate(3, kind="card testing", note="")  # the kind alone: the model does not move
    np.testing.assert_array_equal(plain.scores(), annotated.scores())
    assert plain.batch().tolist() == annotated.batch().tolist()
    assert plain.learner.history == annotated.learner.history
    assert annotated.version == 3

    states = annotated.row_labels()
    assert (states[3].kind, states[3].note) == ("card testing", None)
    assert (states[5].kind, states[5].note) == ("account takeover", "new device, far away")
    assert (states[7].label, states[7].kind, states[7].note) == (0, None, "new device, far away")
    assert annotated.kinds() == {"account takeover": 1, "card testing": 1}
    reopened = aad.Session.open(annotated.id, store=store, dataset=fitted_toy2[0])
    assert reopened.row_labels() == states
    np.testing.assert_array_equal(reopened.scores(), plain.scores())


def test_an_undo_takes_back_a_kind_change_alone_and_a_kind_is_kept_in_its_first_spelling(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    session.label(3, "anomaly", kind="Account takeover")
    session.label(4, "anomaly", kind="  account   TAKEOVER ")
    assert session.row_label(4).kind == "Account takeover"
    scores = session.scores().copy()
    session.annotate(4, kind="mule")
    session.undo()
    assert session.row_label(4).kind == "Account takeover"
    np.testing.assert_array_equal(session.scores(), scores)
    assert session.kind_names() == ["Account takeover", "mule"]  # an undone kind stays on offer


def test_a_mistyped_kind_corrected_on_its_rows_is_no_longer_offered(store, fitted_toy2):
    """An analyst's review: "acard testing", typed once and corrected, stayed in every kind list."""
    session = _new(store, fitted_toy2)
    session.label([3, 5], "anomaly", kind="card testing")
    session.label(4, "anomaly", kind="acard testing")
    assert session.kind_names() == ["card testing", "acard testing"]
    session.annotate(4, kind="card testing")
    assert session.kind_names() == ["card testing"]
    session.label(6, "anomaly", kind="ACARD testing")  # written again: offered again, first spelling
    assert session.kind_names() == ["card testing", "acard testing"]


def test_a_kind_renamed_or_merged_is_one_action_one_undo_and_changes_no_label_nor_score(store, fitted_toy2):
    """An analyst's review: fixing "acard testing", or merging "card test" into "card testing",
    meant relabelling every row of it."""
    session = _new(store, fitted_toy2)
    session.label([3, 5], "anomaly", kind="card test")
    session.annotate(5, note="same card, 9 tries")
    session.label([7, 9], "anomaly", kind="card testing")
    session.label(8, "nominal", note="fine")
    scores, actions = session.scores().copy(), len(store.actions(session.id))
    action = session.rename_kind("  CARD   test ", "Card Testing", analyst="ann")  # a merge, in any case
    assert len(store.actions(session.id)) == actions + 1
    assert action.rows == (3, 5)
    assert action.via == "rename kind"  # the history calls it a rename, from the page or from Python
    assert session.kinds() == {"card testing": 4}  # the first spelling stays
    assert session.kind_names() == ["card testing"]
    states = session.row_labels()
    assert (states[5].label, states[5].kind, states[5].note) == (1, "card testing", "same card, 9 tries")
    assert (states[8].label, states[8].kind, states[8].note) == (0, None, "fine")
    assert states[3].analyst == "ann"
    np.testing.assert_array_equal(session.scores(), scores)
    assert '\n3,"anomaly","card testing",' in session.labels_csv()
    reopened = aad.Session.open(session.id, store=store, dataset=fitted_toy2[0])
    assert reopened.row_labels() == session.row_labels()
    session.undo()  # one undo takes the whole merge back
    assert session.kinds() == {"card test": 2, "card testing": 2}
    assert session.row_label(5).note == "same card, 9 tries"
    session.rename_kind("card testing", "card-testing")  # a new name: a rename
    assert session.kinds() == {"card test": 2, "card-testing": 2}
    assert session.kind_names() == ["card test", "card-testing"]  # renamed away: offered no more


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (
            "card test",
            "   ",
            "the new name of the kind 'card test' is empty: type a name; nothing was changed",
        ),
        ("card test", "x" * 81, "the new name is 81 characters long; keep it to 80; nothing was changed"),
        ("card test", " card  test ", "'card test' is already the kind's name: type another name"),
        (
            "card test",
            "Card Test",
            "'Card Test' differs from 'card test' only in case, and kinds are compared",
        ),
        (
            "card tset",
            "x",
            "no labelled anomaly has the kind 'card tset', so there is nothing to rename; "
            "the session's kinds: card test, takeover",
        ),
        ("", "x", "name the kind to rename; nothing was changed"),
        ("card test", "\u200b", "has no visible character"),
        ("card test", "gnitset \u202edrac", "holds a direction control"),
    ],
)
def test_a_kind_rename_that_cannot_be_says_why_and_writes_nothing(store, fitted_toy2, old, new, match):
    session = _new(store, fitted_toy2)
    session.label(3, "anomaly", kind="card test")
    session.label(4, "anomaly", kind="takeover")
    with pytest.raises(aad.LabelError, match=re.escape(match)):
        session.rename_kind(old, new)
    assert len(store.actions(session.id)) == 2
    assert session.kinds() == {"card test": 1, "takeover": 1}


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("\u200b", "has no visible character"),
        ("\u200b\ufeff\u2060", "has no visible character"),
        ("card \u202etset", "holds a direction control"),
        ("\u2067takeover\u2069", "holds a direction control"),
    ],
)
def test_a_kind_that_would_not_show_as_written_is_refused_and_nothing_is_saved(
    store, fitted_toy2, kind, match
):
    """A zero-width kind shows as a blank name, one with U+202E reversed: both could pass for
    another kind in every list and export."""
    session = _new(store, fitted_toy2)
    with pytest.raises(aad.LabelError, match=match):
        session.label(3, "anomaly", kind=kind)
    assert session.n_labels == 0
    assert store.actions(session.id) == []
    session.label(3, "anomaly", kind="\U0001f469\u200d\U0001f4bb insider")  # a joiner inside an emoji shows
    assert session.kinds() == {"\U0001f469\u200d\U0001f4bb insider": 1}


def test_a_kind_renamed_after_an_undo_of_it_is_offered_no_more(store, fitted_toy2):
    """An undone label keeps its kind on offer; once its rows are renamed, the old name must go
    from every kind list (the Label page's box, the Rows filter), or A would bring it back."""
    session = _new(store, fitted_toy2)
    session.label(3, "anomaly", kind="card test")
    session.undo()
    session.label(4, "anomaly", kind="card test")
    session.rename_kind("card test", "card testing")
    assert session.kind_names() == ["card testing"]
    assert aad.Session.open(session.id, store=store, dataset=fitted_toy2[0]).kind_names() == ["card testing"]


def test_a_kind_rename_takes_the_rows_another_tab_gave_that_kind(store, fitted_toy2):
    here = _new(store, fitted_toy2)
    there = aad.Session.open(here.id, store=store, dataset=fitted_toy2[0])
    there.label([3, 4], "anomaly", kind="card test")  # this tab has not seen them yet
    action = here.rename_kind("card test", "card testing")
    assert action.rows == (3, 4)
    assert here.kinds() == {"card testing": 2}


def test_a_nominal_has_no_kind_and_an_unlabelled_row_takes_no_note(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    session.label(3, "anomaly", kind="fraud", note="seen")
    session.label(3, "nominal")  # relabelled: the kind goes, the note stays
    assert (session.row_label(3).kind, session.row_label(3).note) == (None, "seen")
    with pytest.raises(
        aad.LabelError, match="row 9 has no label: label it before giving it a kind or a note"
    ):
        session.annotate(9, note="hm")
    with pytest.raises(aad.LabelError, match="already carries that label, kind and note"):
        session.annotate(3, note="seen")
    with pytest.raises(aad.LabelError, match="the note is 501 characters long; keep it to 500"):
        session.label(4, "anomaly", note="x" * 501)
    assert session.version == 2


def test_edits_change_each_row_its_own_way_in_one_action_and_say_what_changed(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    session.label([1, 2], "nominal")
    session.label(3, "anomaly", kind="fraud")
    action = session.edit(
        [Edit(1, "anomaly", kind="mule"), Edit(2, ""), Edit(3, None, note="checked"), Edit(4, "nominal")],
        analyst="ann",
        via="table",
    )
    assert session.labels() == {1: 1, 3: 1, 4: 0}
    changes = {
        c.row: (c.before and c.before.label, c.after and c.after.label) for c in session.changes(action)
    }
    assert changes == {1: (0, 1), 2: (0, None), 3: (1, 1), 4: (None, 0)}
    assert session.row_label(3).note == "checked"
    stored = store.actions(session.id)[-1]
    assert (stored.analyst, stored.via, stored.rows) == ("ann", "table", (1, 2, 3, 4))
    assert stored.labels == (1, -1, None, 0)  # row 3: its note only
    session.undo()
    assert session.labels() == {1: 0, 2: 0, 3: 1}


def test_a_table_edit_drawn_before_another_tab_labelled_the_row_is_refused(store, fitted_toy2):
    mine = _new(store, fitted_toy2)
    other = aad.Session.open(mine.id, store=store, dataset=fitted_toy2[0])
    other.label(5, "anomaly")
    with pytest.raises(
        aad.LabelError, match="row 5 was unlabelled when this page was drawn and is now anomaly"
    ):
        mine.label(5, "nominal", expect={5: aad.UNLABELLED})
    assert store.labels(mine.id) == {5: 1}
    mine.label(5, "nominal", expect={5: aad.ANOMALY})  # the page redrawn with the row as it is
    assert store.labels(mine.id) == {5: 0}


def test_each_action_records_its_analyst_the_os_user_by_default(store, fitted_toy2, monkeypatch):
    monkeypatch.setattr(aad.session.getpass, "getuser", lambda: "carol")
    session = _new(store, fitted_toy2)
    session.label(3, "anomaly")
    session.skip(4, analyst="dave")
    session.undo(analyst="erin")
    assert [a.analyst for a in store.actions(session.id)] == ["carol", "dave", "erin"]
    assert store.summaries()[0].analysts == ("carol", "dave", "erin")


# --------------------------------------------------------------------------- labels files


def test_a_labels_file_by_id_with_kinds_is_one_action_and_one_undo(store, tmp_path):
    data = aad.load_data(str(_txn_table(tmp_path)))
    session = aad.Session.create(data, store=store)
    session.label(0, "nominal")
    scores = session.scores().copy()
    known = tmp_path / "known.csv"
    known.write_text("txn_id;label;kind;note\nT3;anomaly;takeover;\nT7;1;;from the bank\nT0;nominal;;\n")
    action = session.import_labels(known, analyst="ann")
    assert session.labels() == {0: 0, 3: 1, 7: 1}
    assert (session.row_label(3).kind, session.row_label(7).note) == ("takeover", "from the bank")
    assert (action.via, action.analyst, action.rows) == ("file known.csv", "ann", (3, 7))  # row 0 unchanged
    session.undo()
    assert session.labels() == {0: 0}
    np.testing.assert_array_equal(session.scores(), scores)


def test_a_labels_file_by_a_numeric_id_and_the_sessions_own_export_read_back(store, tmp_path):
    data = aad.load_data(str(_txn_table(tmp_path)))
    session = aad.Session.create(data, store=store)
    known = tmp_path / "known.csv"
    known.write_text("customer_id,label\n103.0,anomaly\n0110,nominal\n")
    session.import_labels(known)
    assert session.labels() == {3: 1, 10: 0}
    session.annotate(3, kind="=HYPERLINK(x)", note="a, b")
    exported = tmp_path / "export.csv"
    exported.write_text(session.labels_csv())
    again = aad.Session.create(data, store=store, seed=1)
    again.import_labels(exported)
    assert again.row_labels()[3].kind == "=HYPERLINK(x)"  # the spreadsheet guard is taken off again
    assert {r: (s.label, s.kind, s.note) for r, s in again.row_labels().items()} == {
        r: (s.label, s.kind, s.note) for r, s in session.row_labels().items()
    }


def test_every_bad_line_of_a_labels_file_is_named_and_nothing_is_applied(store, tmp_path):
    data = aad.load_data(str(_txn_table(tmp_path)))
    session = aad.Session.create(data, store=store)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "txn_id,label,kind\nT1,anomaly,x\nT99,anomaly,\nT2,maybe,\n\nT1,nominal,\nT4,nominal,fraud\nT5,nominal,\n"
        f"T6,anomaly,{'k' * 90}\n"
    )
    with pytest.raises(aad.labelfile.LabelFileError) as err:
        session.import_labels(bad, name="my labels.csv")
    assert str(err.value).startswith("my labels.csv has 5 bad lines, so no label was read: ")
    assert [line for line, _ in err.value.problems] == [3, 4, 6, 7, 9]
    texts = [text for _, text in err.value.problems]
    assert texts[0] == "no row of the data has txn_id 'T99'"
    assert texts[1].startswith("a label must be anomaly or nominal")
    assert texts[2] == "labels row 1 twice (lines 2 and 6); keep one label per row"
    assert texts[3] == "a kind ('fraud') goes with an anomaly; this line labels row 4 nominal"
    assert texts[4] == "the kind is 90 characters long; keep it to 80"  # named on its line (helper-36)
    assert session.version == 0
    for content, message in (
        ("id,label\n1,anomaly\n", "must have a label column and a row column .* or an id column of the data"),
        ("row,label\n3,anomaly\n", "nothing to change"),
    ):
        bad.write_text(content)
        if "nothing" in message:
            session.import_labels(bad)
        with pytest.raises(aad.AADError, match=message):
            session.import_labels(bad)


# --------------------------------------------------------------------------- the archive


def test_a_deleted_session_moves_to_the_archive_whole_and_comes_back(store, fitted_toy2):
    session = _new(store, fitted_toy2, title="q3")
    session.label([3, 5], "anomaly", kind="fraud", note="n")
    session.skip(9)
    kept = _new(store, fitted_toy2)
    kept.label(4, "nominal")
    before = store.actions(session.id)
    assert store.archive(session.id, by="ann") == 2
    assert [s.id for s in store.summaries()] == [kept.id]
    with pytest.raises(aad.SessionNotFoundError):
        store.get(session.id)
    (archived,) = store.archived()
    assert (archived.id, archived.title, archived.n_labels, archived.archived_by) == (
        session.id,
        "q3",
        2,
        "ann",
    )
    assert store.actions(session.id, archived=True) == before
    with sqlite3.connect(store.path) as conn:  # no way out of the archive but back into the log
        for statement in ("DELETE FROM archived_events", "UPDATE archived_events SET note = 'x'"):
            with pytest.raises(sqlite3.IntegrityError, match="the archive is append-only"):
                conn.execute(statement)
        with pytest.raises(sqlite3.IntegrityError, match="only into the archive"):
            conn.execute("DELETE FROM events")
        with pytest.raises(sqlite3.IntegrityError, match="only into the archive"):
            conn.execute("DELETE FROM sessions")
    store.restore(session.id)
    assert store.archived() == []
    assert store.actions(session.id) == before
    assert store.summaries()[0].id == session.id  # back at the top of the list
    reopened = aad.Session.open(session.id, store=store, dataset=fitted_toy2[0])
    np.testing.assert_array_equal(reopened.scores(), session.scores())


def test_titles_and_descriptions_are_stored_and_checked(store, fitted_toy2):
    session = _new(store, fitted_toy2, title="  March   fraud ", description="first pass\nby the team")
    assert (session.record.title, session.record.description) == ("March fraud", "first pass\nby the team")
    store.update(session.id, title="April", description="")
    assert (store.get(session.id).title, store.get(session.id).description) == ("April", "")
    with pytest.raises(aad.AADError, match="the session title is 121 characters long; keep it to 120"):
        store.update(session.id, title="x" * 121)


# --------------------------------------------------------------------------- old databases

_SCHEMA_V3 = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, dataset TEXT NOT NULL, source TEXT NOT NULL, fingerprint TEXT NOT NULL,
    features TEXT NOT NULL, label_column TEXT, params TEXT NOT NULL, seed INTEGER NOT NULL,
    strategy TEXT NOT NULL, batch_size INTEGER NOT NULL, batch TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '[]',
    changed INTEGER NOT NULL DEFAULT 0, anomaly_value TEXT
);
CREATE TABLE events (
    session_id TEXT NOT NULL REFERENCES sessions(id), seq INTEGER NOT NULL, action INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('label', 'skip', 'unskip', 'undo')), row INTEGER,
    label INTEGER CHECK (label IN (-1, 0, 1)), created_at TEXT NOT NULL, PRIMARY KEY (session_id, seq)
);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE INDEX sessions_by_change ON sessions(changed);
PRAGMA user_version=3;
"""


def test_a_schema_3_database_upgrades_in_place_and_replays_to_the_same_scores(tmp_path, fitted_toy2):
    toy2 = fitted_toy2[0]
    path = tmp_path / "old.sqlite"
    now = "2025-05-01T09:00:00.000+00:00"
    script = [("label", [7, 9], [1, 1]), ("label", [4], [0]), ("skip", [2], None), ("undo", [], None)]
    script += [("undo", [], None), ("label", [9], [0]), ("label", [11], [1])]  # the undos: the skip, row 4
    with sqlite3.connect(path) as conn:
        conn.executescript(_SCHEMA_V3)
        params = json.dumps(aad.session.DEFAULT_PARAMS, sort_keys=True)
        record = ["old3", "toy2", "shipped:toy2", toy2.fingerprint, '["x", "y"]', "label", params, 0, "top"]
        record += [1, "[]", now, now, "[]", 1, None]
        conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", record)
        seq = 0
        for number, (kind, rows, labels) in enumerate(script, start=1):
            for i, row in enumerate(rows or [None]):
                seq += 1
                label = labels[i] if labels else None
                cells = ("old3", seq, number, kind, row, label, now)
                conn.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", cells)
    conn.close()

    store = aad.Store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == seq  # nothing rewritten
    old = aad.Session.open("old3", store=store, dataset=toy2)
    assert old.labels() == {7: 1, 9: 0, 11: 1}
    assert all(s.kind is None and s.note is None and s.analyst is None for s in old.row_labels().values())
    # the learner's parameters (its queue and portfolio) and which model (the isolation forest)
    forest = {k: v for k, v in aad.session.DEFAULT_PARAMS.items() if k not in aad.session._LEARNER_PARAMS}
    fresh = aad.AADForest(**forest, random_state=0).fit(toy2.X)
    fresh.set_labels([7, 9, 11], [1, 0, 1])  # the update is exact and independent of label order
    np.testing.assert_allclose(old.scores(), fresh.anomaly_score(), rtol=1e-12)
    old.label(3, "anomaly", kind="new kind", analyst="ann")  # the upgraded file takes the new fields
    assert replay(store.actions("old3"))[3].kind == "new kind"
    assert store.archive("old3") == 8
    assert store.archived()[0].n_labels == 4


def test_the_labels_export_of_the_command_line_has_the_kinds_notes_and_analysts(store, fitted_toy2, capsys):
    from app.cli import main

    session = _new(store, fitted_toy2)
    session.label(3, "anomaly", kind="fraud", note="@SUM(A1)", analyst="ann")
    session.label(8, "nominal", analyst="bob")
    assert main(["sessions", "export", session.id, "--db", str(store.path)]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert table[["row", "label", "kind", "note", "analyst"]].values.tolist() == [
        [3, "anomaly", "fraud", "'@SUM(A1)", "ann"],
        [8, "nominal", "", "", "bob"],
    ]


def test_the_labels_export_with_context_has_the_ids_as_the_apps_download_and_checks_the_data(
    store, tmp_path, capsys
):
    from app.cli import main

    rng = np.random.default_rng(0)
    path = tmp_path / "txns.csv"
    ids = [f"T{i:04d}" for i in range(60)]
    pd.DataFrame({"txn_id": ids, "amount": rng.normal(size=60), "fee": rng.normal(size=60)}).to_csv(
        path, index=False
    )
    session = aad.Session.create(aad.load_data(str(path)), store=store)
    session.label(17, "anomaly", kind="skimming")
    session.label(4, "nominal")
    assert main(["sessions", "export", session.id, "--db", str(store.path), "--context"]) == 0
    written = capsys.readouterr().out
    assert written == session.labels_csv()  # the browser's download, byte for byte
    table = pd.read_csv(io.StringIO(written), keep_default_na=False)
    assert table[["row", "label", "kind", "txn_id"]].values.tolist() == [
        [4, "nominal", "", "T0004"],
        [17, "anomaly", "skimming", "T0017"],
    ]
    changed = pd.read_csv(path)
    changed.loc[17, "amount"] = 99.0  # the data changed since: the labels would not apply
    changed.to_csv(path, index=False)
    assert main(["sessions", "export", session.id, "--db", str(store.path), "--context"]) == 2
    said = capsys.readouterr().err
    assert "has changed since the session started" in said
    assert "Traceback" not in said


def test_the_sessions_commands_rename_delete_restore_and_import(store, fitted_toy2, tmp_path, capsys):
    from app.cli import main

    session = _new(store, fitted_toy2)
    session.label(3, "anomaly")
    db = ["--db", str(store.path)]
    assert main(["sessions", "rename", session.id, "--title", "First pass", *db]) == 0
    assert store.get(session.id).title == "First pass"
    assert main(["sessions", "list", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out)[0]["title"] == "First pass"
    labels = tmp_path / "known.csv"
    labels.write_text("row,label,kind\n5,anomaly,fraud\n7,nominal,\n3,anomaly,\n")
    assert main(["sessions", "import", session.id, str(labels), *db]) == 0
    assert "known.csv to session" in capsys.readouterr().err
    assert store.labels(session.id) == {3: 1, 5: 1, 7: 0}
    assert len(store.actions(session.id)) == 2  # the whole file: one action
    assert main(["sessions", "delete", session.id, *db]) == 2  # no terminal to ask: --yes needed
    assert "needs a confirmation: pass --yes" in capsys.readouterr().err
    assert main(["sessions", "delete", session.id, "--yes", *db]) == 0
    assert main(["sessions", "list", "--deleted", "--json", *db]) == 0
    (deleted,) = json.loads(capsys.readouterr().out)
    assert (deleted["id"], deleted["n_labels"]) == (session.id, 3)
    assert main(["sessions", "export", session.id, *db]) == 0  # from the archive
    exported = capsys.readouterr()
    assert "was deleted: its labels come from the archive" in exported.err
    assert exported.out.startswith("row,label,kind,note,analyst,labelled_at\n3,anomaly,")
    assert main(["sessions", "restore", session.id, *db]) == 0
    assert store.labels(session.id) == {3: 1, 5: 1, 7: 0}
    assert main(["sessions", "rename", session.id, *db]) == 2
    assert "give --title or --description" in capsys.readouterr().err


def test_the_sessions_kinds_command_lists_renames_and_merges_and_refuses_in_one_line(
    store, fitted_toy2, capsys
):
    from app.cli import main

    session = _new(store, fitted_toy2)
    session.label([3, 5], "anomaly", kind="card test")
    session.label(7, "anomaly", kind="card testing")
    session.label(9, "anomaly", kind="acard \x1b[2J")
    db = ["--db", str(store.path)]
    assert main(["sessions", "kinds", session.id, *db]) == 0
    assert capsys.readouterr().out == "2\tcard test\n1\tcard testing\n1\tacard \\x1b[2J\n"
    assert main(["sessions", "kinds", session.id, "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"kind": "card test", "anomalies": 2},
        {"kind": "card testing", "anomalies": 1},
        {"kind": "acard \x1b[2J", "anomalies": 1},
    ]
    assert main(["sessions", "kinds", session.id, "--rename", "card test", "Card Testing", *db]) == 0
    said = capsys.readouterr().err
    assert "merged kind 'card test' into 'card testing' on 2 rows (3 anomalies of that kind now)" in said
    assert main(["sessions", "kinds", session.id, "--rename", "acard \x1b[2J", "skimming", *db]) == 0
    assert "renamed kind 'acard \\x1b[2J' to 'skimming' on 1 row" in capsys.readouterr().err
    assert replay(store.actions(session.id))[3].kind == "card testing"
    assert len(store.actions(session.id)) == 5  # one action each
    for bad, why in [
        (["card testing", ""], "the new name of the kind 'card testing' is empty"),
        (["card testing", "x" * 81], "the new name is 81 characters long; keep it to 80"),
        (["card testing", "CARD testing"], "differs from 'card testing' only in case"),
        (["card test", "x"], "no labelled anomaly has the kind 'card test'"),
        (["card testing"], "Option '--rename' requires 2 arguments"),
    ]:
        assert main(["sessions", "kinds", session.id, *db, "--rename", *bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("aad: error: "), err
        assert why in err, err
        assert "Traceback" not in err
        assert err.count("\n") == 1
    assert len(store.actions(session.id)) == 5
    assert main(["sessions", "kinds", "nosuch", *db]) == 2
    assert "there is no session 'nosuch'" in capsys.readouterr().err


def test_aad_app_refuses_a_user_header_that_is_no_header_name(capsys):
    from app.cli import main

    assert main(["app", "toy2", "--user-header", "X Forwarded: User"]) == 2
    assert "--user-header must be a header name such as X-Forwarded-User" in capsys.readouterr().err
