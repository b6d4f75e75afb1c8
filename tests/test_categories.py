"""Columns of numbers that are codes (an HTTP status, a ZIP code, a port) read as categories.

A security analyst's ``status`` (200/401/404/500) was read as a number: rules said ``status <= 300``
and 500, the largest number, was "different" though ordinary (review 25, finding 5). Named in
``categories``, the column is read as a category everywhere: the loader, rules and their exports,
``aad select``, new rows, the model file, a reopened session, the command line.
"""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import aad
from app import keys
from app.cli import main

#: Status codes and how many rows of 2,000 hold each: 401 is the rare one, the planted attack.
CODES = {200: 1500, 404: 260, 500: 150, 302: 70, 401: 20}


def web_log(seed: int = 0) -> pd.DataFrame:
    """An access log: ``status`` codes, bytes and latency; the 401 rows (a credential-stuffing
    burst) are the anomalies, their bytes and latency ordinary."""
    rng = np.random.default_rng(seed)
    status = np.concatenate([np.full(n, code) for code, n in CODES.items()])
    rng.shuffle(status)
    return pd.DataFrame(
        {
            "status": status,
            "bytes": rng.integers(200, 5000, len(status)),
            "latency_ms": rng.gamma(4, 20, len(status)).round(1),
        }
    )


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The log as a CSV, labels naming its 401 rows and some others, and a next day with a code never seen."""
    folder = tmp_path_factory.mktemp("web")
    table = web_log()
    path = folder / "day1.csv"
    table.to_csv(path, index=False)
    attacks = np.flatnonzero(table["status"] == 401)
    ordinary = np.flatnonzero(table["status"] == 500)[:5]
    labels = folder / "labels.csv"
    labels.write_text(
        "row,label\n"
        + "".join(f"{r},anomaly\n" for r in attacks)
        + "".join(f"{r},nominal\n" for r in ordinary)
    )
    day2 = web_log(seed=1).iloc[:300].copy()
    day2.loc[day2.index[:3], "status"] = 418  # a code day 1 never had
    day2.to_csv(folder / "day2.csv", index=False)
    return path, table, labels, folder / "day2.csv"


def test_a_column_named_among_the_categories_is_read_as_one_with_its_values_as_written(web):
    path, table, _, _ = web
    as_number = aad.load_data(str(path))
    assert as_number.specs[0].kind == "integer"
    data = aad.load_data(str(path), categories=("status",))
    spec = data.specs[0]
    assert (spec.name, spec.kind, data.categories) == ("status", "category", ("status",))
    assert dict(spec.levels) == {str(code): n for code, n in CODES.items()}  # 404, not 404.0
    assert data.X[:, 0].tolist() == [len(table) / CODES[code] for code in table["status"]]
    assert data.table()["status"].tolist() == table["status"].tolist()
    assert "column 'status' is read as a category, as asked" in " ".join(data.notes)
    assert data.fingerprint != as_number.fingerprint  # another reading, another model: another session


def test_a_column_with_a_gap_keeps_its_codes_as_written(tmp_path):
    """A missing cell makes pandas read the column as floats: the codes stay 404, not 404.0."""
    (tmp_path / "t.csv").write_text("status,bytes\n200,1\n404,2\n,3\n200,4\n500,5\n")
    spec = aad.load_data(str(tmp_path / "t.csv"), categories=["status"]).specs[0]
    assert dict(spec.levels) == {"200": 2, "404": 1, "500": 1, None: 1}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"categories": ["stauts"]},
            "categories names column 'stauts', which the table does not have (its columns: 'status', "
            "'bytes', 'latency_ms', 'label'); name a column of the table",
        ),
        (
            {"categories": ["label"]},
            "categories names column 'label', the ground truth, which is no feature",
        ),
        (
            {"categories": ["status"], "features": ["bytes"]},
            "categories names column 'status', which is not among the features (bytes); add it to the "
            "features, or leave it out of the categories",
        ),
        ({"categories": "status"}, "categories must be a list of column names; got the text 'status'"),
        ({"categories": ["status", "status"]}, "categories names column 'status' twice"),
    ],
)
def test_bad_category_columns_are_refused_saying_what_and_how_to_fix(tmp_path, kwargs, message):
    frame = web_log().iloc[:50].assign(label=0)
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(aad.DataError, match="categories") as err:
        aad.load_data(str(tmp_path / "t.csv"), **kwargs)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rules", "DATA", "--labels", "LABELS", "--categories", "stauts"], "no"),
        (["score", "DATA", "--labels", "LABELS", "--categories", "stauts"], "no"),
        (["simulate", "DATA", "--label-col", "none", "--categories", "stauts"], "no"),
        (["model", "export", "DATA", "--labels", "LABELS", "--categories", "stauts", "--output", "M"], "no"),
        (["score", "DATA", "--labels", "LABELS", "--categories", ","], "name at least one column"),
        (["app", "DATA", "--categories", "stauts"], "no"),
    ],
)
def test_the_commands_refuse_a_bad_name_with_one_line_and_status_2(web, tmp_path, capsys, argv, message):
    path, _, labels, _ = web
    argv = [{"DATA": str(path), "LABELS": str(labels), "M": str(tmp_path / "m.json")}.get(a, a) for a in argv]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    if message == "no":
        assert "categories names column 'stauts', which the table does not have" in err
    else:
        assert message in err


def test_rules_on_a_code_list_its_values_and_every_export_selects_aad_selects_rows(web, tmp_path, capsys):
    path, table, labels, _ = web
    assert main(["rules", str(path), "--labels", str(labels), "--format", "markdown"]) == 0
    assert "status in {" not in capsys.readouterr().out  # read as a number: thresholds
    argv = ["rules", str(path), "--labels", str(labels), "--categories", "status"]
    assert main([*argv, "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert "` status in {401" in text, text
    assert "status <=" not in text
    assert "status >" not in text
    rules_json = tmp_path / "rules.json"
    assert main([*argv, "--output", str(rules_json)]) == 0
    assert main([*argv, "--format", "sql", "--output", str(tmp_path / "rules.sql")]) == 0
    where = (tmp_path / "rules.sql").read_text()
    assert '"status" IN (' in where or '"status" NOT IN (' in where
    capsys.readouterr()
    assert main(["select", str(rules_json), str(path)]) == 0
    selected = pd.read_csv(io.StringIO(capsys.readouterr().out))["row"].tolist()
    assert selected == np.flatnonzero(table["status"] == 401).tolist()  # the attacks, no 500
    with duckdb.connect() as connection:  # the raw CSV as DuckDB reads it: status an integer
        connection.execute(
            f"CREATE TABLE t AS SELECT row_number() OVER () - 1 AS row_id, * FROM read_csv_auto('{path}')"
        )
        found = connection.execute(f"SELECT row_id FROM t WHERE {where} ORDER BY row_id").fetchall()
    assert [r[0] for r in found] == selected
    assert main([*argv, "--format", "pandas", "--output", str(tmp_path / "rules.txt")]) == 0
    query = (tmp_path / "rules.txt").read_text().strip()
    for frame in (pd.read_csv(path), aad.load_data(str(path), categories=["status"]).table()):
        assert frame.query(query).index.tolist() == selected  # the codes read as numbers, as aad shows them


def test_a_session_with_categories_reopens_reading_them_with_the_same_scores(web, tmp_path):
    path, table, _, _ = web
    store = aad.Store(tmp_path / "s.sqlite")
    data = aad.load_data(str(path), categories=["status"])
    session = aad.Session.create(data, store=store, params={"n_estimators": 30})
    session.label(int(np.flatnonzero(table["status"] == 401)[0]), "anomaly")
    assert session.record.params["categories"] == ["status"]
    again = aad.Session.open(session.id, store=store)
    assert again.dataset.categories == ("status",)
    assert again.dataset.specs[0].kind == "category"
    np.testing.assert_array_equal(again.scores(), session.scores())
    plain = aad.Session.create(aad.load_data(str(path)), store=store, params={"n_estimators": 30})
    assert "categories" not in plain.record.params  # a session without keeps the parameters it had
    assert aad.Session.open(plain.id, store=store).dataset.specs[0].kind == "integer"


def test_new_rows_and_the_model_file_read_a_code_never_seen_as_the_rarest(web, tmp_path, capsys):
    path, _, labels, day2 = web
    data = aad.load_data(str(path), categories=["status"])
    known = aad.read_labels(labels, data.n_rows)
    model = aad.AADForest(random_state=0, n_estimators=50).fit(data.X, known)
    rows = aad.load_rows(str(day2), like=data)
    assert rows.X[:3, 0].tolist() == [2.0 * data.n_rows] * 3  # 418: rarer than any code of day 1
    assert "hold a category the model's data never had ('418')" in " ".join(rows.notes)
    scores = model.anomaly_score(rows.X)
    assert scores[:3].min() > np.quantile(scores, 0.9)
    frame = pd.read_csv(day2)  # status read as integers, as any tool reads the file
    saved = aad.export_model(model, data).save(tmp_path / "model.json")
    np.testing.assert_allclose(aad.load_model(saved).anomaly_score(frame), scores, rtol=1e-12)
    # the command line: the model file scores the next day as `aad score --apply` does
    learn = ["--labels", str(labels), "--categories", "status", "--trees", "50"]
    assert main(["model", "export", str(path), *learn, "--output", str(tmp_path / "cli.json")]) == 0
    out = tmp_path / "scored.csv"
    assert main(["score", "--model", str(tmp_path / "cli.json"), str(day2), "--output", str(out)]) == 0
    capsys.readouterr()
    assert main(["score", str(path), *learn, "--apply", str(day2), "--no-values"]) == 0
    applied = pd.read_csv(io.StringIO(capsys.readouterr().out))["anomaly_score"]
    np.testing.assert_allclose(pd.read_csv(out)["anomaly_score"], applied, rtol=1e-12)
    assert applied[:3].min() > applied.quantile(0.9)


APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")


def test_the_data_page_offers_the_numeric_columns_as_categories_codes_first_and_the_session_keeps_them(
    web, db
):
    path, _, _, _ = web
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value((path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception
    chooser = at.multiselect(key=keys.DATA_CATEGORIES)
    assert chooser.label == "Read as categories"
    assert chooser.options == ["status (5 values)", f"bytes ({web[1]['bytes'].nunique():,} values)",
                               f"latency_ms ({web[1]['latency_ms'].nunique():,} values)"]  # fmt: skip
    assert chooser.value == []
    chooser.set_value(["status"]).run()
    at.multiselect(key=keys.DATA_FEATURES).set_value(["status", "bytes"]).run()  # a feature changed: kept
    assert at.multiselect(key=keys.DATA_CATEGORIES).value == ["status"]
    at.button(key=keys.DATA_START).click().run()
    assert not at.exception
    session = at.session_state[keys.SESSION]
    assert session.dataset.feature_names == ("status", "bytes")
    assert session.dataset.specs[0].kind == "category"
    assert session.record.params["categories"] == ["status"]
    again = aad.Session.open(session.id, store=aad.Store(db))
    assert again.dataset.categories == ("status",)
    np.testing.assert_array_equal(again.scores(), session.scores())


def test_aad_app_file_with_categories_opens_its_session_reading_them(web, db, monkeypatch):
    path, _, _, _ = web
    monkeypatch.setenv("AAD_DATA", str(path))
    monkeypatch.setenv("AAD_CATEGORIES", '["status"]')  # what `aad app FILE --categories status` sets
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    session = at.session_state[keys.SESSION]
    assert session.dataset.categories == ("status",)
    assert session.dataset.specs[0].kind == "category"


def test_aad_app_file_with_categories_does_not_resume_a_session_reading_them_as_numbers(web, db, monkeypatch):
    """An earlier labelled session on the file read `status` as a number; `aad app FILE
    --categories status` resumed it silently, the option dropped (helper-57's review)."""
    path, _, _, _ = web
    earlier = aad.Session.create(aad.load_data(str(path)), store=aad.Store(db), params={"n_estimators": 10})
    earlier.label(0, "anomaly")
    monkeypatch.setenv("AAD_DATA", str(path))
    monkeypatch.setenv("AAD_CATEGORIES", '["status"]')
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    session = at.session_state[keys.SESSION]
    assert session.id != earlier.id
    assert session.dataset.categories == ("status",)


def test_aad_app_file_resumes_the_session_labelled_with_categories(web, db, monkeypatch):
    """The first `aad app FILE` made an empty session; the analyst then read `status` as a
    category on the Data page and labelled 20 rows. Started again without --categories, the
    workbench opened the empty session and never named the labelled one (helper-58's review)."""
    path, _, _, _ = web
    aad.Session.create(aad.load_data(str(path)), store=aad.Store(db), params={"n_estimators": 10})
    read = aad.load_data(str(path), categories=["status"])
    labelled = aad.Session.create(read, store=aad.Store(db), params={"n_estimators": 10})
    labelled.label(0, "anomaly")
    monkeypatch.setenv("AAD_DATA", str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    session = at.session_state[keys.SESSION]
    assert session.id == labelled.id
    assert session.dataset.categories == ("status",)


def test_zip_codes_with_leading_zeros_select_in_pandas_as_the_model_does(tmp_path):
    """pd.read_csv reads the ZIP code 02134 as the number 2134: the pandas export listed only
    '02134', and a rule on the rare ZIP codes selected every row of the commonest one
    (helper-57's review)."""
    from aad.rules import Predicate, Rule

    zips = ["02134"] * 6 + ["10001"] * 3 + ["00501"]
    train, new = tmp_path / "train.csv", tmp_path / "new.csv"
    train.write_text("zip,amount\n" + "".join(f"{z},{i}\n" for i, z in enumerate(zips)))
    new.write_text("zip,amount\n02134,1\n10001,1\n00501,1\n94105,1\n")
    data = aad.load_data(str(train), categories=["zip"])
    rule = Rule([Predicate(data.feature_names.index("zip"), ">", 5.0)])  # the rarest and new ones
    model = rule.mask(aad.load_rows(str(new), like=data).X)
    assert model.tolist() == [False, False, True, True]
    query = aad.export_rules([rule], "pandas", encoding=data.specs)
    for read in (pd.read_csv(new), pd.read_csv(new, dtype={"zip": str})):
        assert read.index.isin(read.query(query).index).tolist() == model.tolist()


def test_the_note_on_numbers_read_as_categories_does_not_call_them_text(tmp_path):
    """Three category columns, two of them numbers read so as asked: the notes said "3 text
    columns are categories", naming status and port (helper-58's review)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "shop": rng.choice(["a", "b", "c"], 300),
            "status": rng.choice([200, 404, 500], 300),
            "port": rng.choice([80, 443], 300),
            "bytes": rng.normal(size=300),
        }
    )
    frame.to_csv(tmp_path / "web.csv", index=False)
    notes = aad.load_data(str(tmp_path / "web.csv"), categories=["status", "port"]).notes
    asked = [n for n in notes if "'status'" in n]
    assert asked == [
        "2 columns of numbers are read as categories, as asked (their values as written, not as "
        "numbers), each value encoded as its rarity: 'status' (3 values), 'port' (2 values)"
    ]
    assert not [n for n in notes if "text columns" in n and "'status'" in n]
