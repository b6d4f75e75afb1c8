"""The session store: an append-only, durable log; labels are its replay; the CLI reads it."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest

import aad
from aad.store import Action, replay_labels
from app.cli import main


def _session(store: aad.Store, **overrides) -> aad.SessionRecord:
    fields = {
        "dataset": "toy2",
        "source": "shipped:toy2",
        "fingerprint": "f" * 64,
        "features": ("x", "y"),
        "label_column": "label",
        "params": {"n_estimators": 100, "max_samples": 256, "eta": 1.0},
        "seed": 0,
    }
    return store.create_session(**{**fields, **overrides})


@pytest.fixture
def store(tmp_path) -> aad.Store:
    return aad.Store(tmp_path / "deep" / "sessions.sqlite")


def test_a_new_store_creates_its_folder_and_runs_in_wal_mode(store):
    assert store.path.is_file()
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_record_round_trips_with_its_parameters(store):
    rec = _session(store, seed=7, strategy="top", batch_size=3)
    again = store.get(rec.id)
    assert again == rec
    assert again.params == {"n_estimators": 100, "max_samples": 256, "eta": 1.0}
    assert (again.seed, again.batch_size, again.features) == (7, 3, ("x", "y"))


def test_actions_are_numbered_in_order_and_group_their_rows(store):
    rec = _session(store)
    first = store.append(rec.id, "label", [5, 9], [1, 0])
    second = store.append(rec.id, "skip", [3])
    third = store.append(rec.id, "undo")
    assert [first.number, second.number, third.number] == [1, 2, 3]
    actions = store.actions(rec.id)
    assert [(a.kind, a.rows, a.labels) for a in actions] == [
        ("label", (5, 9), (1, 0)),
        ("skip", (3,), ()),
        ("undo", (), ()),
    ]
    assert actions[0] == first
    assert [a.number for a in store.actions(rec.id, after=1)] == [2, 3]


def test_events_cannot_be_changed_or_deleted(store):
    rec = _session(store)
    store.append(rec.id, "label", [5], [1])
    with sqlite3.connect(store.path) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE events SET label = 0")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM events")
    assert store.labels(rec.id) == {5: 1}


@pytest.mark.parametrize(
    ("kind", "rows", "labels", "message"),
    [
        ("relabel", [1], None, "unknown action kind 'relabel'"),
        ("undo", [1], None, "an undo takes no rows"),
        ("label", [], [], "a label action needs at least one row"),
        ("label", [1, 2], [1], "got 2 rows but 1 labels"),
        ("skip", [1], [1], "labels go with label actions only"),
    ],
)
def test_malformed_actions_are_refused_and_nothing_is_written(store, kind, rows, labels, message):
    rec = _session(store)
    with pytest.raises(aad.AADError, match=message):
        store.append(rec.id, kind, rows, labels)
    assert store.actions(rec.id) == []


def test_an_unknown_session_says_how_to_find_one(store):
    with pytest.raises(aad.SessionNotFoundError, match=r"no session 'nope'.*aad sessions list"):
        store.get("nope")
    with pytest.raises(aad.SessionNotFoundError):
        store.append("nope", "label", [1], [1])


def _act(number, kind, rows=(), labels=()):
    return Action(number, kind, tuple(rows), tuple(labels), "", number)


def test_an_undo_reverts_the_latest_action_not_yet_undone():
    actions = [
        _act(1, "label", [1], [1]),
        _act(2, "label", [2, 3], [0, 0]),
        _act(3, "skip", [4]),
        _act(4, "undo"),  # the skip
        _act(5, "undo"),  # rows 2 and 3
        _act(6, "label", [1], [0]),  # relabel row 1
        _act(7, "undo"),  # back to anomaly
        _act(8, "undo"),  # row 1 unlabelled
        _act(9, "undo"),  # nothing left: no effect
        _act(10, "label", [6], [1]),
    ]
    assert replay_labels(actions[:2]) == {1: 1, 2: 0, 3: 0}
    assert replay_labels(actions[:5]) == {1: 1}
    assert replay_labels(actions[:6]) == {1: 0}
    assert replay_labels(actions[:7]) == {1: 1}
    assert replay_labels(actions) == {6: 1}


def test_summaries_count_the_labels_in_effect_newest_first(store):
    old, new = _session(store), _session(store, dataset="other")
    store.append(old.id, "label", [1, 2, 3], [1, 1, 0])
    store.append(new.id, "label", [4], [1])
    store.append(new.id, "undo")
    first, second = store.summaries()
    assert (first.id, first.n_labels, first.n_anomalies, first.n_actions) == (new.id, 0, 0, 2)
    assert (second.id, second.n_labels, second.n_anomalies) == (old.id, 3, 2)
    assert set(first.to_dict()) >= {"id", "dataset", "n_labels", "n_anomalies", "updated_at"}


def test_uploads_are_stored_once_under_the_hash_of_their_bytes(store):
    a = store.save_upload(b"x,y\n1,2\n", ".CSV")
    b = store.save_upload(b"x,y\n1,2\n", ".csv")
    c = store.save_upload(b"x,y\n3,4\n", ".exe")
    assert a == b
    assert a.read_bytes() == b"x,y\n1,2\n"
    assert a.parent == store.uploads_dir
    assert a.suffix == ".csv"
    assert len(a.stem) == 64
    assert c != a
    assert c.suffix == ".csv"


def test_a_kept_file_is_a_copy_under_the_hash_of_its_bytes_that_outlives_the_original(store, tmp_path):
    original = tmp_path / "daily.csv"
    original.write_bytes(b"x,y\n1,2\n" * 300_000)  # 2.4 MB: copied in chunks
    kept = store.keep_file(original)
    assert kept == store.save_upload(original.read_bytes(), ".csv")  # the same name an upload gets
    assert store.keep_file(original) == kept
    original.write_bytes(b"x,y\n3,4\n")  # the next day's export
    assert kept.read_bytes() == b"x,y\n1,2\n" * 300_000
    assert store.keep_file(original) != kept
    assert sorted(p.suffix for p in store.uploads_dir.iterdir()) == [".csv", ".csv"]  # no part file left


def test_the_default_database_is_per_user_unless_aad_db_says(monkeypatch, tmp_path):
    monkeypatch.delenv("AAD_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert aad.default_db_path() == tmp_path / "aad" / "sessions.sqlite"
    monkeypatch.setenv("AAD_DB", str(tmp_path / "mine.sqlite"))
    assert aad.default_db_path() == tmp_path / "mine.sqlite"


def test_concurrent_writers_never_share_an_action_number(store):
    rec = _session(store)

    def write(offset: int) -> None:
        other = aad.Store(store.path)  # another tab, another connection
        for i in range(20):
            other.append(rec.id, "label", [offset + i], [1])

    threads = [threading.Thread(target=write, args=(100 * t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = [a.number for a in store.actions(rec.id)]
    assert numbers == list(range(1, 81))
    assert len(store.labels(rec.id)) == 80


def test_a_committed_action_survives_sigkill(store):
    rec = _session(store)
    script = textwrap.dedent(
        f"""
        import sys, time, aad
        store = aad.Store({str(store.path)!r})
        for row in range(25):
            store.append({rec.id!r}, "label", [row], [row % 2])
            print(row, flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        confirmed = [int(proc.stdout.readline()) for _ in range(25)]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert store.labels(rec.id) == {row: row % 2 for row in confirmed}


def test_labels_csv_has_row_and_label_columns_sorted_by_row():
    assert aad.labels_csv({9: 0, 2: 1}) == "row,label\n2,anomaly\n9,nominal\n"
    assert aad.labels_csv({}) == "row,label\n"


# --------------------------------------------------------------------------- aad sessions


def test_sessions_list_json_has_the_promised_fields(store, capsys):
    rec = _session(store)
    store.append(rec.id, "label", [3, 8], [1, 0])
    assert main(["sessions", "list", "--db", str(store.path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [store.summaries()[0].to_dict()]
    assert {k: listed[0][k] for k in ("id", "dataset", "n_labels", "n_anomalies")} == {
        "id": rec.id,
        "dataset": "toy2",
        "n_labels": 2,
        "n_anomalies": 1,
    }
    assert listed[0]["updated_at"]
    assert listed[0]["features"] == ["x", "y"]


def test_sessions_list_prints_a_table(store, capsys):
    rec = _session(store)
    store.append(rec.id, "label", [3, 8, 11], [1, 0, 0])
    assert main(["sessions", "list", "--db", str(store.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line.replace("updated (UTC)", "updated").split() for line in lines if "dataset" in line)
    row = next(line.split() for line in lines if rec.id in line)
    cells = dict(zip(header, [*row[:1], " ".join(row[1:3]), *row[3:]], strict=False))  # a date, a time
    assert [cells["labels"], cells["anomalies"], cells["dataset"]] == ["3", "1", "toy2"], lines


def test_sessions_list_keeps_every_id_and_name_whole_on_its_line_when_piped(store, capsys):
    long_name = "transactions_2026_q3_all_branches_after_the_merge.csv"
    recs = [_session(store), _session(store, dataset=long_name)]
    assert main(["sessions", "list", "--db", str(store.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "id"
    rows = {line.split()[0]: line.split()[-1] for line in lines[1:]}
    assert rows == {recs[0].id: "toy2", recs[1].id: long_name}


def test_sessions_export_writes_the_labels_in_effect(store, tmp_path, capsys):
    rec = _session(store)
    store.append(rec.id, "label", [8, 3], [0, 1])
    store.append(rec.id, "label", [5], [1])
    store.append(rec.id, "undo")
    out = tmp_path / "labels.csv"
    assert main(["sessions", "export", rec.id, "--db", str(store.path), "--output", str(out)]) == 0
    when = store.actions(rec.id)[0].created_at[:19].replace("T", " ")
    expected = f"row,label,kind,note,analyst,labelled_at\n3,anomaly,,,,{when}\n8,nominal,,,,{when}\n"
    assert out.read_text() == expected
    assert main(["sessions", "export", rec.id, "--db", str(store.path)]) == 0
    assert capsys.readouterr().out == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sessions", "export", "nope"], "there is no session 'nope'"),
        (["sessions", "export", "x", "--db", "{missing}"], "there is no session database at"),
        (["sessions", "list", "--db", "{folder}"], "is a folder; pass the session database file"),
        (["app", "toy2", "--db", "{folder}"], "is a folder; pass the database file (a .sqlite file)"),
        (["sessions", "list", "--db", "{not_a_db}"], "is not an aad session database"),
        (["sessions", "export", "x", "--db", "{not_a_db}"], "is not an aad session database"),
        (["score", "--session", "x", "--db", "{not_a_db}"], "is not an aad session database"),
    ],
)
def test_sessions_errors_are_one_line(store, tmp_path, capsys, argv, message):
    not_a_db = tmp_path / "data.sqlite"  # a CSV saved under the wrong name
    not_a_db.write_text("x,y\n1,2\n" * 100)
    argv = [
        a.replace("{missing}", str(tmp_path / "none.sqlite"))
        .replace("{not_a_db}", str(not_a_db))
        .replace("{folder}", str(tmp_path))
        for a in argv
    ]
    if "--db" not in argv:
        argv += ["--db", str(store.path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("aad: error: ")
    assert message in err
    assert err.count("\n") == 1


def test_listing_before_any_session_exists_is_an_empty_list(tmp_path, capsys):
    missing = str(tmp_path / "none.sqlite")
    assert main(["sessions", "list", "--db", missing, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["sessions", "list", "--db", missing]) == 0  # a typo must not read as "the sessions are gone"
    assert capsys.readouterr().out.strip() == f"no sessions yet (there is no session database at {missing})"
    assert not (tmp_path / "none.sqlite").exists()  # listing creates nothing


def test_summaries_follow_the_order_of_changes_even_within_one_millisecond(store):
    sessions = [_session(store, dataset=f"d{i}") for i in range(6)]
    order = [3, 0, 5, 1]
    for i in order:  # far quicker than the clock's millisecond
        store.append(sessions[i].id, "label", [i], [1])
    expected = [sessions[i].id for i in reversed(order)] + [sessions[4].id, sessions[2].id]
    assert [s.id for s in store.summaries()] == expected
    store.update(sessions[2].id, strategy="bal-d")
    assert store.summaries()[0].id == sessions[2].id


# --------------------------------------------------------------------------- schema versions

#: A session database as aad wrote it before working sets (schema 3), word for word.
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


@pytest.fixture
def schema_3(tmp_path):
    """A schema-3 database holding session v3 on toy2: row 7 anomaly, row 9 nominal."""
    path = tmp_path / "v3.sqlite"
    now = "2025-06-01T00:00:00.000+00:00"
    params = json.dumps(aad.session.DEFAULT_PARAMS, sort_keys=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(_SCHEMA_V3)
        fingerprint = aad.load_dataset("toy2").fingerprint
        conn.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'top', 1, '[]', ?, ?, '[]', 1, NULL)",
            ("v3", "toy2", "shipped:toy2", fingerprint, '["x", "y"]', "label", params, now, now),
        )
        events = [("v3", 1, 1, "label", 7, 1, now), ("v3", 2, 2, "label", 9, 0, now)]
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", events)
    conn.close()
    return path


def _user_version(path) -> int:
    with sqlite3.connect(path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return version


def test_a_schema_3_database_is_upgraded_to_4_and_keeps_its_sessions(schema_3):
    store = aad.Store(schema_3)
    assert _user_version(schema_3) == aad.store._SCHEMA_VERSION == 5
    with sqlite3.connect(schema_3) as conn:
        assert "working_set" in {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
    assert store.get("v3").working_set is None
    assert store.labels("v3") == {7: aad.ANOMALY, 9: aad.NOMINAL}
    session = aad.Session.open("v3", store=store)
    assert session.labels() == {7: aad.ANOMALY, 9: aad.NOMINAL}
    session.label(int(session.batch()[0]), "nominal")
    spec = {"table": "/data/big", "stamp": "s" * 64, "sample_rows": 2, "top_rows": 0}
    new = _session(store, working_set=spec)  # the upgraded file holds working-set sessions too
    assert aad.Store(schema_3).get(new.id).working_set == spec
    assert store.latest_on_table("/data/big", "s" * 64) == new.id
    assert aad.Store(schema_3).labels("v3") == session.labels()  # opening it again changes nothing


def test_a_database_of_schema_6_is_refused_and_left_as_it_is(store, capsys):
    _session(store)
    store.close()
    with sqlite3.connect(store.path) as conn:
        conn.execute("PRAGMA user_version = 6")
    conn.close()
    before = store.path.read_bytes()
    with pytest.raises(aad.DatabaseError, match=r"session database schema 6; this aad reads up to 5\)"):
        aad.Store(store.path)
    for argv in (
        ["sessions", "list", "--db", str(store.path)],
        ["score", "--session", "x", "--db", str(store.path)],
        ["model", "export", "--session", "x", "--db", str(store.path), "--output", str(store.path) + ".json"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "was written by a newer aad (session database schema 6; this aad reads up to 5)" in err
    assert store.path.read_bytes() == before
    assert _user_version(store.path) == 6  # never downgraded


def test_a_read_only_schema_3_database_lists_and_exports_without_an_upgrade(schema_3, monkeypatch, capsys):
    """A file aad cannot write cannot be upgraded: it is read as schema 4 all the same."""
    before = schema_3.read_bytes()
    monkeypatch.setattr(aad.store, "_writable", lambda path: False)
    store = aad.Store(schema_3)
    assert store.read_only
    assert store.get("v3").working_set is None
    assert [(s.id, s.n_labels) for s in store.summaries()] == [("v3", 2)]
    assert store.latest_on_table("/data/big", "s" * 64) is None
    with pytest.raises(aad.DatabaseError, match="is read-only: the label was not saved"):
        aad.Session.open("v3", store=store).label(5, "anomaly")
    assert main(["sessions", "list", "--db", str(schema_3), "--json"]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)] == ["v3"]
    assert main(["sessions", "export", "v3", "--db", str(schema_3)]) == 0
    exported = (
        "row,label,kind,note,analyst,labelled_at\n"
        "7,anomaly,,,,2025-06-01 00:00:00\n9,nominal,,,,2025-06-01 00:00:00\n"
    )
    assert capsys.readouterr().out == exported  # schema 4's columns, empty in an older file
    store.close()
    assert schema_3.read_bytes() == before
    assert _user_version(schema_3) == 3
