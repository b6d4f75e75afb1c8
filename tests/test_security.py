"""Untrusted files and names: nothing is unpickled, SQL cannot be injected, the server is local.

* No code in ``aad/`` or ``app/`` can unpickle: a scan of the source, and sessions that are
  stored as SQL values and JSON only and reopen with every unpickler disabled. Models are
  never stored: they are refitted from the data and the seed, then the log is replayed.
* Exported SQL quotes every identifier: column names written to attack the query select
  exactly the rows the rules select, in SQLite and DuckDB.
* ``aad app`` binds 127.0.0.1 unless told otherwise, keeps Streamlit's XSRF protection on,
  and caps uploads (``--max-upload-mb`` or ``AAD_MAX_UPLOAD_MB``).
* Names that come from the browser (an upload's file name, a session id in the URL) stay
  data: they cannot pick a file outside the uploads folder or change a query.
"""

from __future__ import annotations

import ast
import json
import pickle
import sqlite3
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import aad
from aad.rules import Predicate, Rule
from app import keys, state
from app.cli import _streamlit_flags, main

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "streamlit_app.py")

# --------------------------------------------------------------------------- nothing unpickles

_UNPICKLING_MODULES = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}
_UNPICKLING_CALLS = {"read_pickle", "eval", "exec", "torch.load", "yaml.load", "np.load", "numpy.load"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def unpickling_uses(source: str, filename: str = "<source>") -> list[str]:
    """Imports of pickling modules and calls that can unpickle or run code, as ``file:line what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module.split(".")[0]]
        found += [f"{filename}:{node.lineno} import {n}" for n in names if n in _UNPICKLING_MODULES]
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in _UNPICKLING_CALLS or name.rsplit(".", 1)[-1] in _UNPICKLING_CALLS:
                found.append(f"{filename}:{node.lineno} call {name}")
            for keyword in node.keywords:  # allow_pickle=True; st.cache_data(persist=...) unpickles
                if keyword.arg in ("allow_pickle", "persist"):
                    found.append(f"{filename}:{node.lineno} {keyword.arg}=")
    return found


def test_the_scan_finds_what_it_looks_for():
    planted = (
        "import pickle\nfrom joblib import load\nimport numpy as np\n"
        "np.load('m.npy', allow_pickle=True)\npd.read_pickle('x')\n"
        "@st.cache_data(persist='disk')\ndef f(): pass\neval('1')\n"
    )
    assert [hit.split(" ", 1)[1] for hit in unpickling_uses(planted)] == [
        "import pickle",
        "import joblib",
        "call np.load",
        "allow_pickle=",
        "call pd.read_pickle",
        "persist=",
        "call eval",
    ]


def test_no_code_in_the_engine_or_the_app_can_unpickle():
    files = sorted([*ROOT.glob("aad/**/*.py"), *ROOT.glob("app/**/*.py")])
    assert len(files) > 20
    found = [hit for path in files for hit in unpickling_uses(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == []


@pytest.fixture
def no_unpickling(monkeypatch):
    """Every unpickler raises: anything that needs one fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(np, "load", refuse)


def test_a_stored_session_is_sql_values_and_json_and_reopens_without_unpickling(tmp_path, no_unpickling):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "".join(f"{i},{'' if i == 3 else i % 7}\n" for i in range(40)))
    store = aad.Store(tmp_path / "sessions.sqlite")
    session = aad.Session.create(aad.load_dataset(path), store=store, seed=3)
    session.label(int(session.batch()[0]), "anomaly")
    session.skip(int(session.batch()[0]))
    session.undo()

    with sqlite3.connect(store.path) as conn:
        for table in ("sessions", "events"):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            for column in columns:
                types = {t for (t,) in conn.execute(f"SELECT DISTINCT typeof({column}) FROM {table}")}
                assert types <= {"text", "integer", "null"}, (table, column, types)
        row = conn.execute("SELECT features, params, batch, notes FROM sessions").fetchone()
    features, params, batch, notes = (json.loads(text) for text in row)
    assert features == ["a", "b"]
    assert params == {
        "eta": 1.0,
        "balance": 0.8,
        "max_samples": aad.model.SAMPLES,
        "n_estimators": 200,
        "queue": "adaptive",
        "explores_early": True,
        "strong_ranking": True,
        "first_look": True,
        "beliefs_ranking": True,
        "detector": "iforest",
        "regrow_on": "table",
        "match_as_read": True,
        "max_ratio": 10.0,
        "skips_aside": True,
    }
    assert all(isinstance(r, int) for r in batch)
    assert notes == ["column 'b': 1 missing value filled with the column median 3"]

    again = aad.Session.open(session.id, store=aad.Store(store.path))
    assert again.labels() == session.labels()
    assert np.array_equal(again.scores(), session.scores())
    again.label(int(again.batch()[0]), "nominal")


def test_a_parquet_file_carrying_a_pickle_is_read_without_running_it(tmp_path, no_unpickling):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    hostile = pa.field(
        "x",
        pa.float64(),
        metadata={  # what older pyarrow unpickled on read (CVE-2023-47248)
            b"ARROW:extension:name": b"arrow.py_extension_type",
            b"ARROW:extension:metadata": pickle.dumps(Payload()),
        },
    )
    schema = pa.schema([hostile, pa.field("y", pa.float64())])
    pq.write_table(
        pa.table({"x": [1.0, 2.0, 3.0], "y": [3.0, 1.0, 2.0]}, schema=schema), tmp_path / "t.parquet"
    )
    try:
        aad.load_dataset(tmp_path / "t.parquet")
    except aad.DataError:
        pass  # refusing it is as good as reading it
    assert not marker.exists()


# --------------------------------------------------------------------------- SQL export

HOSTILE_NAMES = ['x" OR 1=1 --', "select", "a;b", '"; DROP TABLE t; --', "it's", "from"]


def _rules() -> list[Rule]:
    """One rule per hostile column, and one that uses them all."""
    return [
        Rule([Predicate(0, ">", 0.5)]),
        Rule([Predicate(1, "<=", -1.0)]),
        Rule([Predicate(2, ">", 1.0), Predicate(3, "<=", 0.0)]),
        Rule([Predicate(4, ">", 1.5), Predicate(5, ">", -0.5), Predicate(0, "<=", 2.0)]),
    ]


def _table(n: int = 300) -> np.ndarray:
    return np.random.default_rng(8).normal(size=(n, len(HOSTILE_NAMES)))


def _expected(X: np.ndarray) -> list[int]:
    mask = np.zeros(len(X), dtype=bool)
    for rule in _rules():
        mask |= rule.mask(X)
    return np.flatnonzero(mask).tolist()


def _create(connection, X: np.ndarray) -> None:
    columns = ", ".join('"' + name.replace('"', '""') + '" DOUBLE' for name in HOSTILE_NAMES)
    connection.execute(f"CREATE TABLE t (row_id INTEGER, {columns})")
    marks = ", ".join("?" * (len(HOSTILE_NAMES) + 1))
    connection.executemany(
        f"INSERT INTO t VALUES ({marks})", [[i, *map(float, row)] for i, row in enumerate(X)]
    )


def test_exported_sql_selects_exactly_the_rules_rows_whatever_the_column_names(tmp_path):
    X = _table()
    where = aad.export_rules(_rules(), "sql", feature_names=HOSTILE_NAMES)
    query = f"SELECT row_id FROM t WHERE {where} ORDER BY row_id"
    assert sqlite3.complete_statement(query + ";")
    for name in HOSTILE_NAMES:  # every name appears quoted, never bare
        assert '"' + name.replace('"', '""') + '"' in where

    with sqlite3.connect(tmp_path / "t.sqlite") as lite:
        _create(lite, X)
        assert [r for (r,) in lite.execute(query)] == _expected(X)  # `1=1` would select all 300
        assert lite.execute("SELECT count(*) FROM t").fetchone() == (len(X),)  # nothing dropped
    duck = duckdb.connect()
    _create(duck, X)
    assert [r for (r,) in duck.execute(query).fetchall()] == _expected(X)
    duck.close()


def test_exported_pandas_query_selects_the_same_rows_with_hostile_names():
    X = _table()
    frame = pd.DataFrame(X, columns=HOSTILE_NAMES)
    expression = aad.export_rules(_rules(), "pandas", feature_names=HOSTILE_NAMES)
    assert frame.query(expression).index.tolist() == _expected(X)


# --------------------------------------------------------------------------- the server


def test_the_server_flags_bind_loopback_keep_xsrf_and_cap_uploads():
    flags = _streamlit_flags(8501, "127.0.0.1")
    assert "--server.address=127.0.0.1" in flags
    assert "--server.enableXsrfProtection=true" in flags
    assert f"--server.maxUploadSize={state.MAX_UPLOAD_MB}" in flags
    assert not any("enableCORS=false" in f or "XsrfProtection=false" in f for f in flags)
    assert "--server.maxUploadSize=7" in _streamlit_flags(8501, "127.0.0.1", 7)


@pytest.fixture
def launched(monkeypatch, tmp_path):
    """``aad app`` with Streamlit replaced by a recorder of its command line."""
    from streamlit.web import cli as streamlit_cli

    calls = []
    monkeypatch.setattr(streamlit_cli, "main", lambda: calls.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    for name in ("AAD_DATA", "AAD_DB", "AAD_MAX_UPLOAD_MB", "AAD_ALLOWED_HOSTS"):  # aad app sets them
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)

    def launch(*argv: str) -> list[str]:
        assert main(["app", *argv, "--db", str(tmp_path / "db.sqlite")]) == 0
        return calls[-1]

    return launch


def test_aad_app_binds_loopback_by_default_and_keeps_xsrf_on(launched):
    argv = launched("toy2")
    assert "--server.address=127.0.0.1" in argv
    assert "--server.enableXsrfProtection=true" in argv
    assert "--server.maxUploadSize=200" in argv
    assert "--server.address=0.0.0.0" in launched("--host", "0.0.0.0")  # only when told


def test_aad_app_serves_the_pages_behind_the_host_check(launched, capsys):
    import os

    argv = launched("toy2")
    assert argv[2].endswith("app/server.py")  # st.App with app.hosts.HostCheck in front
    assert os.environ["AAD_ALLOWED_HOSTS"] == "127.0.0.1,localhost,::1"
    launched("--host", "0.0.0.0", "--allow-host", "aad.lab")
    allowed = os.environ["AAD_ALLOWED_HOSTS"].split(",")
    assert "aad.lab" in allowed
    assert "0.0.0.0" not in allowed
    assert "listening on every interface: anyone who can reach port 8501" in capsys.readouterr().err


def test_the_upload_cap_comes_from_the_option_or_the_environment(launched, monkeypatch):
    assert "--server.maxUploadSize=5" in launched("--max-upload-mb", "5")
    assert state.max_upload_mb() == 5  # handed to the app in the same process
    monkeypatch.setenv("AAD_MAX_UPLOAD_MB", "12")
    assert "--server.maxUploadSize=12" in launched()
    assert state.max_upload_mb() == 12


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--max-upload-mb", "0"], None, "Invalid value for '--max-upload-mb'"),
        ([], "lots", "Invalid value for '--max-upload-mb'"),
    ],
)
def test_a_bad_upload_cap_is_one_line_and_status_2(monkeypatch, capsys, argv, env, message):
    if env is not None:
        monkeypatch.setenv("AAD_MAX_UPLOAD_MB", env)
    assert main(["app", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aad: error: ")
    assert err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "lots", "²"])
def test_the_app_refuses_a_bad_upload_cap_with_a_clear_message(monkeypatch, value):
    monkeypatch.setenv("AAD_MAX_UPLOAD_MB", value)
    with pytest.raises(aad.AADError, match=r"AAD_MAX_UPLOAD_MB must be a whole number of megabytes"):
        state.max_upload_mb()


# --------------------------------------------------------------------------- names from the browser


def _data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    return at


def test_an_upload_over_the_configured_cap_is_refused_with_the_loaders_message(db, monkeypatch):
    monkeypatch.setenv("AAD_MAX_UPLOAD_MB", "1")
    at = _data_page()
    held = at.session_state[keys.SESSION].id
    assert "up to 1 MB" in at.file_uploader(key=keys.DATA_UPLOAD).label
    big = b"a,b\n" + b"1,2\n" * 300_000  # 1.2 MB: the browser's uploader would refuse it first
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("big.csv", big, "text/csv")).run()
    assert [e.value for e in at.error] == [
        "big.csv is 1.2 MB, over the limit of 1.0 MB; use a sample of the rows or raise the limit"
    ]
    assert at.session_state[keys.SESSION].id == held
    assert not at.exception


def test_an_uploads_name_cannot_place_the_file_outside_the_uploads_folder(db):
    at = _data_page()
    name = "../../../etc/cron.d/x;rm -rf ~.csv"
    at.file_uploader(key=keys.DATA_UPLOAD).set_value((name, b"a,b\n1,2\n3,5\n4,4\n", "text/csv")).run()
    assert not at.error
    stored = list((db.parent / "uploads").iterdir())
    assert len(stored) == 1
    assert stored[0].parent == db.parent / "uploads"
    assert stored[0].name == f"{stored[0].stem}.csv"
    assert len(stored[0].stem) == 64
    hostile_suffix = aad.Store(db).save_upload(b"x,y\n1,2\n", "/../../x.sh")
    assert hostile_suffix.parent == db.parent / "uploads"
    assert hostile_suffix.suffix == ".csv"


def test_a_hostile_session_id_in_the_url_is_just_an_unknown_session(db, monkeypatch):
    monkeypatch.delenv("AAD_DATA")
    aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(db))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params[keys.URL_SESSION] = "x' OR '1'='1"
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("there is no session \"x' OR '1'='1\"")
    assert keys.SESSION not in at.session_state
