"""A table too big to hold: the working set, its session, its model and rules on the whole table."""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP, strict_session_state  # noqa: F401  (the app's fixture: serialisable state)

import aad
from aad.scale.working_set import TABLE_ROW, build_working_set, is_too_big
from app import keys, text
from app.cli import main

N_ROWS, SAMPLE, TOP = 4000, 600, 30


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """4,000 rows in a folder of 4 Parquet files and in one CSV: 3 features (a gap), an id, a truth."""
    folder = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(8)
    X = np.vstack([rng.normal(size=(N_ROWS - 12, 3)), rng.normal(6, 0.2, size=(12, 3))])
    order = rng.permutation(N_ROWS)
    frame = pd.DataFrame(X[order], columns=["a", "b", "c"])
    frame["b"] = frame["b"].mask(frame.index.isin([7, 100, 2500]))
    frame.insert(0, "id", [f"k{i}" for i in range(N_ROWS)])
    frame["label"] = np.where(order >= N_ROWS - 12, "anomaly", "nominal")
    (folder / "parts").mkdir()
    for i in range(4):
        frame.iloc[i * 1000 : (i + 1) * 1000].to_parquet(folder / "parts" / f"part-{i}.parquet")
    frame.to_csv(folder / "big.csv", index=False)
    return folder, frame


@pytest.fixture(scope="module")
def built(big, tmp_path_factory):
    folder, _ = big
    return build_working_set(
        folder / "parts", tmp_path_factory.mktemp("kept"), sample_rows=SAMPLE, top_rows=TOP, seed=5
    )


def test_the_working_set_is_a_seeded_uniform_sample_and_the_top_rows_outside_it(big, built):
    _folder, frame = big
    spec, kept = built.spec, pd.read_parquet(built.path)
    assert (spec["table_rows"], spec["sample_rows"], spec["top_rows"], spec["seed"]) == (
        N_ROWS,
        SAMPLE,
        TOP,
        5,
    )
    sample = np.sort(np.random.default_rng(5).choice(N_ROWS, SAMPLE, replace=False))
    assert kept[TABLE_ROW].tolist()[:SAMPLE] == sample.tolist()
    assert kept.columns.tolist() == [TABLE_ROW, "id", "a", "b", "c", "label"]
    assert kept["id"].tolist() == frame["id"].iloc[kept[TABLE_ROW]].tolist()
    # the top rows are the best of the whole table outside the sample, by the forest grown on the sample
    forest = aad.AADForest(random_state=5).fit(aad.load_data(str(built.path)).X[:SAMPLE])
    model = aad.scale.PortableModel.from_forest(
        forest, fill_values=spec["fill"], feature_names=spec["features"]
    )
    scores = model.anomaly_score(frame[["a", "b", "c"]])
    outside = np.setdiff1d(np.arange(N_ROWS), sample)
    best = np.sort(outside[np.lexsort((outside, -scores[outside]))[:TOP]])
    assert kept[TABLE_ROW].tolist()[SAMPLE:] == best.tolist()
    assert set(np.flatnonzero(frame["label"] == "anomaly")) <= set(kept[TABLE_ROW]), "every planted anomaly"


def test_a_csv_of_the_same_rows_gives_the_same_working_set(big, built, tmp_path):
    folder, _ = big
    again = build_working_set(folder / "big.csv", tmp_path, sample_rows=SAMPLE, top_rows=TOP, seed=5)
    assert again.spec["table_fingerprint"] == built.spec["table_fingerprint"]
    first, second = pd.read_parquet(built.path), pd.read_parquet(again.path)
    pd.testing.assert_frame_equal(first, second)


def test_a_session_on_it_grows_the_forest_on_the_sample_and_replays_exactly(built, tmp_path):
    store = aad.Store(tmp_path / "s.sqlite")
    data = aad.load_data(str(built.path))
    assert data.feature_names == ("a", "b", "c")
    assert data.label_column == "label"
    assert all(TABLE_ROW not in note for note in data.notes)
    session = aad.Session.create(data, store=store, seed=5)
    assert session.record.working_set == built.spec
    # the forest is the one that chose the rows: the top row of the working set is its first query
    assert int(session.batch()[0]) == int(np.argmax(session.scores()))
    for _ in range(4):
        row = int(session.batch()[0])
        session.label(row, "anomaly" if data.y[row] else "nominal")
    again = aad.Session.open(session.id, store=store)
    np.testing.assert_array_equal(again.scores(), session.scores())
    assert again.record.working_set == built.spec
    # its labels name working-set rows; the export names the table's beside them, with --context or not
    out = tmp_path / "labels.csv"
    assert main(["sessions", "export", session.id, "--db", str(store.path), "--output", str(out)]) == 0
    exported = pd.read_csv(out)
    assert list(exported.columns[:2]) == ["row", TABLE_ROW]
    assert exported[TABLE_ROW].tolist() == data.context[TABLE_ROW].iloc[exported["row"]].tolist()


def test_its_model_and_rules_apply_to_the_whole_table(big, built, tmp_path, capsys):
    folder, frame = big
    store = aad.Store(tmp_path / "s.sqlite")
    session = aad.Session.create(aad.load_data(str(built.path)), store=store, seed=5)
    for row in [*np.flatnonzero(session.dataset.y)[:3].tolist(), 0, 1]:
        session.label(row, "anomaly" if session.dataset.y[row] else "nominal")
    db = ["--session", session.id, "--db", str(store.path)]
    assert main(["model", "export", *db, "--output", str(tmp_path / "m.json")]) == 0
    assert aad.load_model(tmp_path / "m.json").provenance["working_set"]["table"] == str(folder / "parts")
    assert (
        main(
            [
                "score",
                "--model",
                str(tmp_path / "m.json"),
                str(folder / "parts"),
                "--output",
                str(tmp_path / "s.parquet"),
            ]
        )
        == 0
    )
    scored = pd.read_parquet(tmp_path / "s.parquet")
    assert scored["row"].tolist() == list(range(N_ROWS))
    rows = pd.read_parquet(built.path)[TABLE_ROW].to_numpy()
    np.testing.assert_allclose(scored["anomaly_score"].to_numpy()[rows], session.scores(), rtol=1e-12)
    # the rules' SQL, in DuckDB over the folder, selects the table rows the rules select in the working set
    assert main(["rules", *db, "--format", "sql"]) == 0
    where = capsys.readouterr().out.strip()
    glob = str(folder / "parts" / "*.parquet")
    found = {r[0] for r in duckdb.sql(f"SELECT id FROM read_parquet('{glob}') WHERE {where}").fetchall()}
    description = aad.describe_anomalies(session.model, session.dataset, labels=session.model.labels_)
    inside = np.any([r.rule.mask(session.dataset.X_as_read) for r in description.rules], axis=0)
    assert set(frame["id"].iloc[rows[inside]]) <= found
    assert len(found) >= 3


def test_a_table_no_bigger_than_the_sample_is_labelled_whole(big, tmp_path):
    folder, _ = big
    whole = build_working_set(folder / "parts", tmp_path, sample_rows=10_000, top_rows=TOP, seed=1)
    assert (whole.spec["sample_rows"], whole.spec["top_rows"]) == (N_ROWS, 0)
    assert pd.read_parquet(whole.path)[TABLE_ROW].tolist() == list(range(N_ROWS))
    assert whole.summary == f"every row of parts ({N_ROWS:,} rows)"


def test_what_is_too_big(big, tmp_path, monkeypatch):
    folder, _ = big
    assert is_too_big(folder / "parts")
    assert not is_too_big(folder / "big.csv")
    monkeypatch.setenv("AAD_MAX_ROWS", "999")
    assert is_too_big(folder / "parts" / "part-0.parquet") is True  # 1,000 rows, from its footer
    assert is_too_big(folder / "big.csv")  # estimated from its size and first lines
    assert not is_too_big("toy2")


def test_a_parquet_file_that_decodes_over_the_size_limit_is_labelled_through_a_working_set(
    tmp_path, monkeypatch
):
    rng = np.random.default_rng(0)  # 100 distinct values a column: a few hundred kB on disk
    frame = pd.DataFrame({c: rng.integers(0, 100, 200_000).astype(float) for c in "ab"})
    frame.to_parquet(tmp_path / "dense.parquet")
    dense = tmp_path / "dense.parquet"
    assert dense.stat().st_size < 1_000_000
    assert not is_too_big(dense)
    monkeypatch.setenv("AAD_MAX_FILE_MB", "1")  # 3.2 MB once decoded: too big to hold, so a working set
    assert is_too_big(dense)
    with pytest.raises(aad.DataError, match=r"dense\.parquet would take 3\.2 MB once decoded"):
        aad.load_data(str(dense))  # whole, it is refused from its metadata
    made = build_working_set(dense, tmp_path / "kept", sample_rows=1_000, top_rows=10)
    assert (made.spec["table_rows"], aad.load_data(str(made.path)).n_rows) == (200_000, 1_010)


def test_bad_tables_and_sizes_are_refused_before_reading_rows(tmp_path):
    (tmp_path / "mixed").mkdir()
    pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0]}).to_parquet(tmp_path / "mixed" / "p1.parquet")
    pd.DataFrame({"a": [1.0, 2.0]}).to_parquet(tmp_path / "mixed" / "p2.parquet")
    with pytest.raises(aad.DataError, match=r"p2\.parquet lacks the column 'b' that p1\.parquet has"):
        build_working_set(tmp_path / "mixed", tmp_path)
    (tmp_path / "own").mkdir()
    pd.DataFrame({TABLE_ROW: [1, 2], "a": [1.0, 2.0]}).to_parquet(tmp_path / "own" / "p.parquet")
    with pytest.raises(aad.DataError, match="has a column named 'table_row'"):
        build_working_set(tmp_path / "own", tmp_path)
    with pytest.raises(aad.DataError, match="sample_rows must be a whole number of at least 2; got 1"):
        build_working_set(tmp_path / "mixed", tmp_path, sample_rows=1)


def test_aad_app_on_a_bad_folder_fails_fast_in_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["app", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "holds no Parquet file" in err


def test_aad_app_refuses_a_working_set_too_big_before_the_server_starts(big, capsys, monkeypatch):
    """It started the server, and the page said so once the table was opened, naming internals."""
    folder, _ = big
    monkeypatch.setattr("streamlit.web.cli.main", lambda: pytest.fail("the server started"))
    assert main(["app", str(folder / "parts"), "--sample-rows", "100000000"]) == 2
    err = capsys.readouterr().err
    assert "100,000,000 sampled rows and 10,000 top rows make a working set of 100,010,000 rows" in err
    assert "'--sample-rows' / '--top-rows'" in err


def test_the_workbench_labels_a_folder_through_a_working_set(big, tmp_path, monkeypatch):
    folder, _ = big
    monkeypatch.setenv("AAD_DB", str(tmp_path / "s.sqlite"))
    monkeypatch.setenv("AAD_DATA", str(folder / "parts"))
    monkeypatch.setenv("AAD_SAMPLE_ROWS", str(SAMPLE))
    monkeypatch.setenv("AAD_TOP_ROWS", str(TOP))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    session = at.session_state[keys.SESSION]
    assert session.record.working_set["sample_rows"] == SAMPLE
    assert session.dataset.n_rows == SAMPLE + TOP
    note = next(i.value for i in at.sidebar.info if i.value.startswith("**Working set.**"))
    assert f"{SAMPLE + TOP:,} of the {N_ROWS:,} rows of parts" in note
    assert f"aad model export --session {session.id}" in note
    row = int(session.batch()[0])
    table_row = int(session.dataset.context[TABLE_ROW].iloc[row])
    assert any(f"table_row `{table_row}`" in c.value for c in at.caption)  # its number in the table
    again = AppTest.from_file(APP, default_timeout=60).run()  # a restart resumes it, without building again
    assert again.session_state[keys.SESSION].id == session.id
    # the Data page builds another working set, and starts a session on it with the forest that built it
    again.switch_page("screens/data.py").run()
    source = again.radio(key=keys.DATA_SOURCE)
    source.set_value(source.options[2]).run()
    again.number_input(key=keys.DATA_WS_SAMPLE).set_value(900).run()
    again.number_input(key=keys.DATA_WS_SEED).set_value(2).run()
    again.button(key=keys.DATA_WS_BUILD).click().run()
    assert not again.exception
    again.button(key=keys.DATA_START).click().run()
    started = again.session_state[keys.SESSION]
    assert started.id != session.id
    assert (started.dataset.n_rows, started.seed, started.record.working_set["seed"]) == (900 + TOP, 2, 2)


#: A folder name Streamlit's Markdown would read as bold, a link, an image, a colour and a formula.
HOSTILE_FOLDER = "**bold** [link](http:evil) <img src=x> :red[red] $x$ `tick` **b**"


def test_a_hostile_table_name_is_shown_literally_on_the_sidebar_and_the_data_page(big, tmp_path, monkeypatch):
    folder, _ = big
    hostile = tmp_path / HOSTILE_FOLDER
    hostile.mkdir()
    for part in sorted((folder / "parts").iterdir()):
        (hostile / part.name).write_bytes(part.read_bytes())
    monkeypatch.setenv("AAD_DB", str(tmp_path / "s.sqlite"))
    monkeypatch.setenv("AAD_DATA", str(hostile))
    monkeypatch.setenv("AAD_SAMPLE_ROWS", str(SAMPLE))
    monkeypatch.setenv("AAD_TOP_ROWS", str(TOP))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    note = next(i.value for i in at.sidebar.info if i.value.startswith("**Working set.**"))
    assert text.md(HOSTILE_FOLDER) in note
    at.switch_page("screens/data.py").run()
    source = at.radio(key=keys.DATA_SOURCE)
    source.set_value(source.options[2]).run()
    at.number_input(key=keys.DATA_WS_SEED).set_value(3).run()
    at.button(key=keys.DATA_WS_BUILD).click().run()
    assert not at.exception
    assert not at.error
    panel = next(i.value for i in at.info if "is too big to label whole" in i.value)
    assert panel.startswith(text.code(HOSTILE_FOLDER))
    ready = next(s.value for s in at.success if s.value.startswith("Working set ready"))
    assert text.md(HOSTILE_FOLDER) in ready
    shown = [note, panel, ready, *(c.value for c in at.caption)]
    outside_code = [re.sub(r"(`+).*?\1", "", s) for s in shown]  # code spans show their text as it is
    for token in ("**bold**", "[link](", "<img", ":red[", "$x$", "**b**"):  # none unescaped
        assert [s for s in outside_code if re.search(r"(?<!\\)" + re.escape(token), s)] == []
    assert any(text.md(f"{HOSTILE_FOLDER} (working set)") in c.value for c in at.caption)


def test_a_csvs_number_column_with_gaps_stays_a_feature_and_an_empty_column_is_left_out(tmp_path):
    """Whatever dtype pandas reads a CSV's text as: a number column with empty cells is a feature
    (it was dropped as text), and a column with no value at all is left out, as the loader does,
    from a CSV as from Parquet (it stopped the build)."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"amount": rng.lognormal(3, 1, 3000).round(2), "qty": rng.integers(0, 20, 3000)})
    frame.loc[rng.choice(3000, 30, replace=False), "amount"] = np.nan
    frame["spare"] = np.nan
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    for source in ("t.csv", "t.parquet"):
        kept = tmp_path / source.replace(".", "_")
        made = build_working_set(tmp_path / source, kept, sample_rows=500, top_rows=20)
        assert made.spec["features"] == ["amount", "qty"], source
