"""A session in one file (``aad sessions dump`` / ``load``): it goes on elsewhere as it was.

* the round trip: every action comes back with its number, time, analyst and source; the
  labels, kinds, notes, skips and the undo history reopen as they were, and the session goes on;
* the data: an uploaded table travels in the file, a user's file is found at its path or
  given with ``--data``, and another table is refused (its labels would fall on other rows);
  rows added to the session travel with it;
* hostile or damaged files and taken ids: one message each, and nothing is written.
"""

from __future__ import annotations

import json
import shlex
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aad
from aad import transfer
from app.cli import main


def _table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(0, 1, n).round(4), "b": rng.normal(0, 1, n).round(4)})
    frame.loc[[5, 77], ["a", "b"]] = [[9.0, 9.0], [-8.0, 7.5]]
    return frame


@pytest.fixture
def labelled(tmp_path) -> aad.Session:
    """A session on a user's CSV with labels, kinds, notes, two analysts, a skip, an undo and a redo."""
    path = tmp_path / "txns.csv"
    _table().to_csv(path, index=False)
    store = aad.Store(tmp_path / "mine" / "sessions.sqlite")
    session = aad.Session.create(aad.load_data(str(path)), store=store, seed=4, title="Q3 review")
    session.label(5, "anomaly", kind="ring", note="two cards, one device", analyst="ana")
    session.label([10, 11], "nominal", analyst="ben", via="table")
    session.skip(12, analyst="ana")
    session.label(77, "anomaly", kind="ring", analyst="ana")
    session.undo(analyst="ana")
    session.redo(analyst="ana")
    session.label(13, "nominal", analyst="ben")
    session.undo(analyst="ben")  # the undo history: a redo of 13 is still possible
    return session


def _log(store: aad.Store, session_id: str) -> list[tuple]:
    return [(a.number, a.kind, a.rows, a.labels, a.anomaly_kinds, a.notes, a.created_at, a.analyst, a.via)
            for a in store.actions(session_id)]  # fmt: skip


def test_a_loaded_session_goes_on_as_it_was_with_its_whole_log(labelled, tmp_path):
    file = tmp_path / "q3.aad.zip"
    dumped = aad.dump_session(labelled.store, labelled.id, file)
    assert (dumped.n_actions, dumped.files) == (8, ())  # the data is the user's file: not carried

    theirs = aad.Store(tmp_path / "theirs.sqlite")
    record = aad.load_session(theirs, file)
    assert record.id == labelled.id
    assert record.title == "Q3 review"
    assert _log(theirs, record.id) == _log(labelled.store, labelled.id)

    again = aad.Session.open(record.id, store=theirs)
    assert again.labels() == labelled.labels() == {5: 1, 10: 0, 11: 0, 77: 1}
    assert again.kinds() == labelled.kinds()
    assert again.skipped == labelled.skipped == {12}
    assert again.version == labelled.version
    np.testing.assert_array_equal(again.scores(), labelled.scores())
    assert again.can_redo  # the undo history came too
    again.redo(analyst="cy")
    assert again.labels()[13] == 0
    again.label(int(again.batch()[0]), "nominal", analyst="cy")  # and it goes on
    assert aad.Session.open(record.id, store=theirs).version == labelled.version + 2


def test_an_uploaded_table_travels_in_the_file(tmp_path):
    store = aad.Store(tmp_path / "mine" / "sessions.sqlite")
    upload = store.save_upload(_table().to_csv(index=False).encode(), ".csv")
    session = aad.Session.create(aad.load_data(str(upload), name="upload.csv"), store=store, seed=0)
    session.label(5, "anomaly")
    file = tmp_path / "s.zip"
    assert aad.dump_session(store, session.id, file).files == ("data/table.csv",)
    shutil.rmtree(tmp_path / "mine")  # another machine: the upload is not there

    theirs = aad.Store(tmp_path / "theirs" / "sessions.sqlite")
    record = aad.load_session(theirs, file)
    assert Path(record.source).parent == theirs.uploads_dir
    assert aad.Session.open(record.id, store=theirs).labels() == {5: 1}


def test_a_users_file_is_given_with_data_and_another_table_is_refused(labelled, tmp_path):
    file = tmp_path / "q3.zip"
    aad.dump_session(labelled.store, labelled.id, file)
    moved = tmp_path / "elsewhere" / "txns-copy.csv"
    moved.parent.mkdir()
    shutil.move(labelled.record.source, moved)
    theirs = aad.Store(tmp_path / "theirs.sqlite")

    with pytest.raises(
        aad.DataError, match=r"which is not there, and q3\.zip does not carry it; pass the file with --data"
    ):
        aad.load_session(theirs, file)
    other = tmp_path / "other.csv"
    _table(seed=1).to_csv(other, index=False)
    with pytest.raises(aad.DataError, match=r"is not the data session .* was labelled on .* other rows"):
        aad.load_session(theirs, file, data=other)
    assert theirs.summaries() == []  # nothing written by a refusal

    record = aad.load_session(theirs, file, data=moved)
    assert record.source == str(moved.resolve())
    assert aad.Session.open(record.id, store=theirs).labels() == labelled.labels()


def test_rows_added_to_the_session_travel_with_it(tmp_path):
    day1, day2 = tmp_path / "day1.csv", tmp_path / "day2.csv"
    _table(300).to_csv(day1, index=False)
    pd.concat([_table(300), _table(200, seed=2) + 3]).to_csv(day2, index=False)
    store = aad.Store(tmp_path / "mine" / "sessions.sqlite")
    session = aad.Session.create(aad.load_data(str(day1)), store=store, seed=1)
    session.label(5, "anomaly")
    session.add_rows(str(day2))
    session.label(310, "nominal")
    file = tmp_path / "grown.zip"
    assert aad.dump_session(store, session.id, file).files == ("added/2.csv",)
    shutil.rmtree(tmp_path / "mine")  # the kept copy of day 2 goes with the database
    day2.unlink()

    theirs = aad.Store(tmp_path / "theirs.sqlite")
    again = aad.Session.open(aad.load_session(theirs, file).id, store=theirs)
    assert again.dataset.n_rows == 500
    assert again.labels() == {5: 1, 310: 0}


def test_a_taken_id_is_refused_and_a_new_id_loads_beside_it(labelled, tmp_path):
    file = tmp_path / "q3.zip"
    aad.dump_session(labelled.store, labelled.id, file)
    with pytest.raises(aad.AADError, match=r"already in .* a new session \(a new id: --new-id"):
        aad.load_session(labelled.store, file)
    record = aad.load_session(labelled.store, file, new_id=True)
    assert record.id != labelled.id
    assert aad.Session.open(record.id, store=labelled.store).labels() == labelled.labels()
    labelled.store.archive(labelled.id)
    with pytest.raises(aad.AADError, match="in its list or its archive"):  # a deleted one keeps its id
        aad.load_session(labelled.store, file)


def _rewritten(file: Path, out: Path, change) -> Path:
    """A copy of the session file ``file`` with its manifest changed by ``change``."""
    with zipfile.ZipFile(file) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "session.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
            dst.writestr(info.filename, data)
    return out


def _set(path: str, value):
    def change(manifest):
        *keys, last = path.split(".")
        target = manifest
        for key in keys:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[int(last) if isinstance(target, list) else last] = value

    return change


def _repeat_cell(label):
    """Review 19: the first action's first row once more, labelled ``label`` (None: the same cell)."""

    def change(manifest):
        cells = manifest["actions"][0]["cells"]
        cells.append(list(cells[0]) if label is None else [cells[0][0], label, None, None])

    return change


def _both(first, second):
    def change(manifest):
        first(manifest)
        second(manifest)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("format", "something else"), "is not a session file: its session.json does not say format"),
        (
            _set("format_version", 2),
            "format version 2, newer than this aad reads (1); load it with a newer aad",
        ),
        (_set("record.features", "a"), "record gives features as 'a'; expected list"),
        (_set("record.id", "../../etc"), "gives the session id '../../etc'; ids are letters and digits"),
        (_set("actions.0.cells.0.1", 7), "action 1 needs its cells as [row, label (1, 0, -1 or null)"),
        (_set("actions.0.cells.0.0", -3), "action 1 names row -3; rows are numbered from 0"),
        (_set("actions.0.cells.0.2", "k" * 81), "anomaly kind is 81 characters long; keep it to 80"),
        (_set("actions.1.number", 9), "action 2 is numbered 9; the numbers run 1, 2, 3"),
        (_set("actions.2.kind", "drop table"), "action 3 is not an action of a kind this aad knows"),
        (_set("record.title", "t" * 500), "session title is 500 characters long"),
        (_set("actions", {}), "holds no list 'actions'"),
        # numbers SQLite cannot hold, and sessions that would not reopen: refused at the load, not after
        (_set("record.seed", 2**70), "holds a session this aad cannot rebuild"),
        (_set("record.batch_size", 2**70), "holds a session this aad cannot rebuild"),
        (_set("actions.0.cells.0.0", 2**70), "but the session has 300 rows then"),
        (_set("record.seed", -5), "holds a session this aad cannot rebuild"),
        (_set("record.strategy", "evil"), "unknown query strategy 'evil'"),
        (_set("record.params", {"evil": 1}), "'evil', a parameter this aad does not know"),
        (_set("record.params", {"n_estimators": -3}), "does not reopen, so it was not loaded"),
        (_set("actions.2.rows", [99999]), "action 3 names row 99,999, but the session has 300 rows then"),
        (_set("record.batch", [10**9]), "batch names row 1,000,000,000 of 300"),
        (_set("record.working_set", {"table_rows": "x"}), "describes a working set that is not its data's"),
        (
            _set("record.source", "shipped:../x"),
            "gives the data 'shipped:../x', which names no shipped dataset",
        ),
        (_set("actions.0.created_at", "soon\x1b[2J"), "action 1's created_at is 'soon\\x1b[2J', not a time"),
        (_set("actions.1.cells.0.2", "ring"), "action 2 gives a kind of anomaly to a row it labels nominal"),
        (
            _both(_set("actions.1.cells.0.1", -1), _set("actions.1.cells.0.2", "ring")),
            "action 2 gives a kind of anomaly to a row it labels nominal or unlabels",
        ),
        (_repeat_cell(0), "twice in its cells, and an action labels each row once"),  # the last won
        (_repeat_cell(None), "twice in its cells, and an action labels each row once"),
    ],
)
def test_a_malformed_session_file_is_refused_in_one_message_and_nothing_is_written(
    labelled, tmp_path, change, message
):
    file = aad.dump_session(labelled.store, labelled.id, tmp_path / "q3.zip").path
    theirs = aad.Store(tmp_path / "theirs.sqlite")
    with pytest.raises(aad.AADError) as err:
        aad.load_session(theirs, _rewritten(file, tmp_path / "bad.zip", change))
    assert message in str(err.value)
    assert theirs.summaries() == []
    assert theirs.archived() == []


def test_damaged_oversized_and_foreign_files_are_refused_before_any_work(labelled, tmp_path, monkeypatch):
    theirs = aad.Store(tmp_path / "theirs.sqlite")
    csv = tmp_path / "labels.csv"
    csv.write_text("row,label\n5,anomaly\n")
    with pytest.raises(aad.DataError, match=r"is not a session file .* use `aad sessions import`"):
        aad.load_session(theirs, csv)
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as z:
        z.writestr("other.txt", "x")
    with pytest.raises(aad.DataError, match=r"has no session\.json"):
        aad.load_session(theirs, tmp_path / "empty.zip")

    file = aad.dump_session(labelled.store, labelled.id, tmp_path / "q3.zip").path
    monkeypatch.setattr(transfer, "MAX_MANIFEST_BYTES", 100)
    with pytest.raises(aad.DataError, match=r"holds a session.json of [\d,]+ bytes, over the 100") as err:
        aad.load_session(theirs, file)
    assert "AAD_MAX_FILE_MB" not in str(err.value)  # a setting that would not lift this limit
    monkeypatch.undo()

    stored = tmp_path / "stored.zip"
    with zipfile.ZipFile(file) as src, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as dst:
        dst.writestr("session.json", src.read("session.json"))
    raw = bytearray(stored.read_bytes())  # flip one byte of the stored manifest: its checksum fails
    at = raw.index(b'"format"')
    raw[at + 2] ^= 0x01
    stored.write_bytes(bytes(raw))
    with pytest.raises(aad.DataError, match="is damaged"):
        aad.load_session(theirs, stored)
    assert theirs.summaries() == []


def test_a_session_file_cut_short_is_called_truncated_not_foreign(labelled, tmp_path, capsys):
    """Review 19: the first 600 bytes of a dump (a copy cut short: a ZIP without its directory,
    which is at its end) were called 'not a session file', and the advice was `sessions import`."""
    file = aad.dump_session(labelled.store, labelled.id, tmp_path / "q3.zip").path
    cut = tmp_path / "cut.zip"
    cut.write_bytes(file.read_bytes()[:600])
    db = tmp_path / "theirs.sqlite"
    assert main(["sessions", "load", str(cut), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"aad: error: the session file {cut} is truncated or damaged (a ZIP file without its end, where the "
        "list of its members is): copy it again from where it was dumped\n"
    )
    assert not db.exists()


def test_the_command_line_dumps_and_loads_and_refuses_in_one_line(labelled, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mine, theirs = str(labelled.store.path), str(tmp_path / "new" / "theirs.sqlite")
    assert main(["sessions", "dump", labelled.id, "--db", mine]) == 0
    err = capsys.readouterr().err
    assert f"wrote session {labelled.id} (txns, 8 actions) to {labelled.id}.aad.zip" in err
    assert main(["sessions", "load", f"{labelled.id}.aad.zip", "--db", theirs]) == 0
    err = capsys.readouterr().err
    assert f"loaded session {labelled.id} (txns: 4 labels in 8 actions, by ana, ben)" in err
    assert aad.Store(theirs).labels(labelled.id) == labelled.labels()

    for argv, message in [
        (["sessions", "load", f"{labelled.id}.aad.zip", "--db", theirs], "--new-id"),
        (["sessions", "load", "nosuch.zip", "--db", theirs], "there is no session file nosuch.zip"),
        (["sessions", "dump", "nosuch", "--db", mine], "there is no session 'nosuch'"),
        (["sessions", "load", f"{labelled.id}.aad.zip", "--db", f"{labelled.id}.aad.zip"], "--db"),
    ]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("aad: error: "), err
        assert err.count("\n") == 1, err
        assert message in err, err


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_a_file_nested_too_deep_or_holding_a_member_twice_is_refused(labelled, tmp_path):
    theirs = aad.Store(tmp_path / "theirs.sqlite")
    deep = _zip(tmp_path / "deep.zip", {"session.json": b"[" * 100_000 + b"]" * 100_000})
    with pytest.raises(aad.DataError, match="nested too deeply"):
        aad.load_session(theirs, deep)
    file = aad.dump_session(labelled.store, labelled.id, tmp_path / "q3.zip").path
    with zipfile.ZipFile(file) as src:
        manifest = src.read("session.json")
    twice = tmp_path / "twice.zip"
    with zipfile.ZipFile(twice, "w") as z:
        z.writestr("session.json", b"{}")
        with pytest.warns(UserWarning, match="Duplicate name"):  # unzip shows the first, zipfile the last
            z.writestr("session.json", manifest)
    with pytest.raises(aad.DataError, match=r"holds 'session\.json' twice"):
        aad.load_session(theirs, twice)
    assert theirs.summaries() == []


def test_an_uploaded_file_never_makes_the_server_read_a_path_it_names(labelled, tmp_path):
    """A session file loaded on the Sessions page (``recorded_source=False``) that does not carry
    its data is refused without reading the path it names: its error would quote that file."""
    secret = tmp_path / "secret.csv"
    secret.write_text("ssn,salary\n123-45-6789,99000\n")
    file = aad.dump_session(labelled.store, labelled.id, tmp_path / "q3.zip").path
    leak = _rewritten(file, tmp_path / "leak.zip", _set("record.source", str(secret)))
    theirs = aad.Store(tmp_path / "theirs.sqlite")
    with pytest.raises(aad.DataError) as err:
        aad.load_session(theirs, leak, recorded_source=False)
    assert "does not carry the session's data" in str(err.value)
    assert "ssn" not in str(err.value)
    assert theirs.summaries() == []


def test_added_rows_that_are_not_the_recorded_ones_are_refused_and_nothing_is_kept(tmp_path):
    day1, day2, other = tmp_path / "day1.csv", tmp_path / "day2.csv", tmp_path / "other.csv"
    _table(300).to_csv(day1, index=False)
    pd.concat([_table(300), _table(200, seed=2) + 3]).to_csv(day2, index=False)
    pd.concat([_table(300), _table(200, seed=5) - 3]).to_csv(other, index=False)
    store = aad.Store(tmp_path / "mine" / "sessions.sqlite")
    session = aad.Session.create(aad.load_data(str(day1)), store=store, seed=1)
    session.add_rows(str(day2))
    file = aad.dump_session(store, session.id, tmp_path / "grown.zip").path
    swapped = tmp_path / "swapped.zip"
    with zipfile.ZipFile(file) as src, zipfile.ZipFile(swapped, "w") as dst:
        dst.writestr("session.json", src.read("session.json"))
        dst.writestr("added/1.csv", other.read_bytes())  # another table under the recorded one's name
    theirs = aad.Store(tmp_path / "theirs" / "sessions.sqlite")
    with pytest.raises(aad.DataError, match="does not reopen, so it was not loaded") as err:
        aad.load_session(theirs, swapped)
    assert "added/1.csv in swapped.zip" in str(err.value)  # named as in the file, not by a scratch copy
    assert "aad-load-" not in str(err.value)
    misplaced = _rewritten(file, tmp_path / "misplaced.zip", _set("actions.0.addition.n_before", 5))
    with pytest.raises(aad.DataError, match="adds rows to 5 rows, but the session has 300 then"):
        aad.load_session(theirs, misplaced)
    assert theirs.summaries() == []
    assert not theirs.uploads_dir.exists()  # checked on a scratch copy: nothing kept here


def test_a_relative_database_records_its_tables_by_absolute_paths(tmp_path, monkeypatch, capsys):
    store = aad.Store(tmp_path / "mine" / "sessions.sqlite")
    upload = store.save_upload(_table().to_csv(index=False).encode(), ".csv")
    session = aad.Session.create(aad.load_data(str(upload), name="upload.csv"), store=store, seed=0)
    session.label(5, "anomaly")
    file = aad.dump_session(store, session.id, tmp_path / "s.zip").path
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "b")
    assert main(["sessions", "load", str(file), "--db", "rel.sqlite"]) == 0
    monkeypatch.chdir(tmp_path)  # another working directory: the session still finds its data
    theirs = aad.Store(tmp_path / "b" / "rel.sqlite")
    assert Path(theirs.get(session.id).source).is_absolute()
    assert aad.Session.open(session.id, store=theirs).labels() == {5: 1}


def test_a_refused_load_leaves_no_new_database(labelled, tmp_path, capsys):
    file = aad.dump_session(labelled.store, labelled.id, tmp_path / "q3.zip").path
    Path(labelled.record.source).unlink()  # the data is gone: refused
    db = tmp_path / "new" / "sub" / "theirs.sqlite"
    assert main(["sessions", "load", str(file), "--db", str(db)]) == 2
    assert "which is not there" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()  # nor the folders made for it


def test_dump_refuses_to_write_over_the_sessions_data_or_another_file(labelled, tmp_path, capsys):
    data = labelled.record.source
    db = str(labelled.store.path)
    assert main(["sessions", "dump", labelled.id, "--db", db, "-o", data]) == 2
    assert "is the input" in capsys.readouterr().err
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    assert main(["sessions", "dump", labelled.id, "--db", db, "-o", str(notes)]) == 2
    assert "exists and is not a session file" in capsys.readouterr().err
    assert notes.read_text() == "mine"
    document = _zip(tmp_path / "report.docx", {"word/document.xml": b"<w:document/>"})  # a ZIP, not ours
    assert main(["sessions", "dump", labelled.id, "--db", db, "-o", str(document)]) == 2
    assert "exists and is not a session file" in capsys.readouterr().err
    assert zipfile.ZipFile(document).namelist() == ["word/document.xml"]
    labelled.store.archive(labelled.id)
    assert main(["sessions", "dump", labelled.id, "--db", db]) == 2
    assert "was deleted (it is in the archive" in capsys.readouterr().err


def test_an_export_to_a_terminal_shows_escape_sequences_as_escapes(labelled, monkeypatch, capsys):
    labelled.label(20, "anomaly", kind="ring\x1b[2J", analyst="ana")
    monkeypatch.setattr("app.cli._on_terminal", lambda: True)
    assert main(["sessions", "export", labelled.id, "--db", str(labelled.store.path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "ring\\x1b[2J" in out


def test_a_restored_sessions_name_prints_as_text(tmp_path, capsys):
    table = tmp_path / "t.csv"
    _table().to_csv(table, index=False)
    store = aad.Store(tmp_path / "s.sqlite")
    session = aad.Session.create(aad.load_data(str(table), name="t\x1b[2J"), store=store, seed=0)
    store.archive(session.id)
    assert main(["sessions", "restore", session.id, "--db", str(store.path)]) == 0
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "t\\x1b[2J" in err


def test_a_session_whose_kept_copy_was_deleted_dumps_its_log_alone_to_load_with_data(tmp_path, capsys):
    """Review24 #7 and #8: the dump gives the log alone, says how to load it, and quotes the path."""
    folder = tmp_path / "dir with space $(touch PWNED) `id` ;&|"
    folder.mkdir()
    original = folder / "cards.csv"
    _table().to_csv(original, index=False)
    store = aad.Store(folder / "s.sqlite")
    kept = store.keep_file(original)
    session = aad.Session.create(aad.load_data(str(kept), name="cards"), store=store, seed=4)
    session.label(5, "anomaly", analyst="ana")
    kept.unlink()
    out = folder / "d.zip"
    assert main(["sessions", "dump", session.id, "--db", str(store.path), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"load it with `aad sessions load {shlex.quote(str(out))} --data PATH`, PATH the table" in err
    assert "is not there any more, and the file holds the log alone" in err
    theirs = str(tmp_path / "theirs.sqlite")
    assert main(["sessions", "load", str(out), "--db", theirs, "--data", str(original)]) == 0
    assert aad.Store(theirs).labels(session.id) == {5: aad.ANOMALY}
    capsys.readouterr()
    assert main(["sessions", "dump", session.id, "--db", str(store.path), "-o", str(out), "--with-data"]) == 2
    assert "put it back, or dump the session without --with-data" in capsys.readouterr().err


def test_a_damaged_database_at_an_odd_path_gets_a_recovery_command_that_pastes(tmp_path, capsys):
    bad = tmp_path / "a b $(x)" / "s.sqlite"
    bad.parent.mkdir()
    bad.write_bytes(b"not a database" * 100)
    assert main(["sessions", "list", "--db", str(bad)]) == 2
    assert f"`sqlite3 {shlex.quote(str(bad))} .recover | sqlite3 recovered.sqlite`" in capsys.readouterr().err


def test_importing_an_export_that_changes_nothing_succeeds(labelled, tmp_path, capsys):
    """Review24 #9: a scripted re-sync of the labels as they are is not an error."""
    db, exported = str(labelled.store.path), tmp_path / "labels.csv"
    assert main(["sessions", "export", labelled.id, "--db", db, "-o", str(exported)]) == 0
    version = labelled.version
    capsys.readouterr()
    assert main(["sessions", "import", labelled.id, str(exported), "--db", db]) == 0
    err = capsys.readouterr().err
    assert err.startswith("nothing to change: every row of labels.csv already carries its label")
    assert aad.Store(db).actions(labelled.id)[-1].number == version
