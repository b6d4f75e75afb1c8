"""Scoring beyond memory: out of core (Arrow batches), on Dask, and the rules' SQL in DuckDB.

The same scores everywhere: the session's model in memory, the model file, the out-of-core
scorer over CSV, Parquet and folders of Parquet files, a Dask cluster (in-process), ONNX.
"""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path

import duckdb
import numpy as np
import onnxruntime
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

import aad
from aad.scale import TableScorer
from aad.scale.dask import score_dask
from aad.scale.onnx_export import to_onnx
from aad.scale.read import find_files, plan_pieces, read_batches
from app.cli import main


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """1,200 rows (an id, 3 features with gaps, a text column), as CSV, Parquet and a folder of
    Parquet files whose names sort differently as text and as numbers."""
    folder = tmp_path_factory.mktemp("table")
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(1180, 3)), rng.normal(5, 0.3, size=(20, 3))])
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame.insert(0, "id", [f"r{i:04d}" for i in range(len(frame))])
    frame["kind"] = rng.choice(["x", "y"], len(frame))
    frame.loc[[2, 600, 1199], "b"] = np.nan
    frame.to_csv(folder / "all.csv", index=False)
    frame.to_parquet(folder / "all.parquet", row_group_size=250)
    (folder / "parts").mkdir()
    bounds = [0, 100, 350, 700, 1200]
    for name, lo, hi in zip(["part.0", "part.2", "part.10", "part.11"], bounds[:-1], bounds[1:], strict=True):
        frame.iloc[lo:hi].to_parquet(folder / "parts" / f"{name}.parquet", row_group_size=90)
    (folder / "parts" / "_SUCCESS").write_text("")
    return folder, frame


@pytest.fixture(scope="module")
def learned(table, tmp_path_factory):
    """A model learned from 8 labels on the table, its file, and the in-memory scores of the table."""
    folder, _frame = table
    dataset = aad.load_dataset(folder / "all.csv", non_numeric="drop")
    known = np.full(dataset.n_rows, aad.UNLABELLED)
    known[[1180, 1185, 3, 9, 27, 100, 1190, 44]] = [1, 1, 0, 0, 0, 0, 1, 0]
    forest = aad.AADForest(random_state=2).fit(dataset.X, known)
    model = aad.export_model(forest, dataset, n_labels=8, n_anomalies=3)
    path = model.save(tmp_path_factory.mktemp("model") / "model.json")
    rows = aad.load_rows(folder / "all.csv", like=dataset)  # the gaps filled as --apply fills them
    return path, model, forest.anomaly_score(rows.X)


def test_out_of_core_scores_csv_parquet_and_a_folder_as_the_model_in_memory(table, learned, tmp_path):
    folder, frame = table
    _, model, expected = learned
    for source in ("all.csv", "all.parquet", "parts"):
        out = tmp_path / f"{source}.parquet"
        report = TableScorer(model, [folder / source], columns=["id"], batch_rows=97).write(out)
        scored = pd.read_parquet(out)
        assert scored.columns.tolist() == ["row", "anomaly_score", "id"]
        assert scored["row"].tolist() == list(range(1200)), source
        assert scored["id"].tolist() == frame["id"].tolist(), "rows in file order, part.2 before part.10"
        np.testing.assert_array_equal(scored["anomaly_score"], expected)
        assert report.rows == report.written == 1200
        assert report.filled == {"b": 3}


@pytest.mark.parametrize(
    "batch_rows", [97, 1]
)  # the empty rows within the last batch, or batches of their own
def test_a_spreadsheets_empty_rows_at_the_end_are_left_out_as_the_loader_does(
    table, learned, tmp_path, batch_rows
):
    folder, _ = table
    _, model, expected = learned
    source = tmp_path / "excel.csv"
    source.write_text((folder / "all.csv").read_text() + ",,,,\r\n,,,,\r\n\r\n,,,,\r\n")
    assert aad.load_data(source).n_rows == 1200
    report = TableScorer(model, [source], batch_rows=batch_rows).write(tmp_path / "s.csv")
    scored = pd.read_csv(tmp_path / "s.csv")
    assert scored["row"].tolist() == list(range(1200))
    np.testing.assert_allclose(scored["anomaly_score"], expected, rtol=1e-15)
    assert report.filled == {"b": 3}
    assert (
        report.notes(model)[0]
        == "excel.csv: left out 3 empty rows at the end of the file (no value in any column)"
    )


def test_several_tables_are_numbered_one_after_the_other(table, learned, tmp_path):
    folder, _ = table
    _, model, expected = learned
    TableScorer(model, [folder / "all.csv", folder / "parts"]).write(tmp_path / "two.csv")
    scored = pd.read_csv(tmp_path / "two.csv")
    assert scored["row"].tolist() == list(range(2400))
    np.testing.assert_allclose(scored["anomaly_score"], np.r_[expected, expected], rtol=1e-15)


def test_a_bad_cell_in_a_later_file_or_batch_is_named_by_its_row_and_line_in_its_file(
    table, learned, tmp_path, capsys
):
    """Review 19: a bad cell in the last of three CSV files was named 'p2.csv, rows from 288500:
    ... row 11499' (a row of the table, then of the batch), where `aad select` says 'row 99999
    (file line 100001)'. Its row in its file and its file line (past an empty line), whichever
    batch or piece of the file (a Dask partition: some row groups) it is read in."""
    _, frame = table
    model = str(learned[0])
    frame[["a", "b", "c"]].iloc[:50].to_csv(tmp_path / "p0.csv", index=False)
    lines = frame[["a", "b", "c"]].iloc[:60].to_csv(index=False).splitlines()
    lines[11:11] = [""]  # an empty line after row 9: the rows below are a line further down
    lines[47] = lines[47].split(",")[0] + ",pending,1.0"  # row 45 of the file, on line 48
    (tmp_path / "p1.csv").write_text("\n".join(lines) + "\n")
    tables = [str(tmp_path / "p0.csv"), str(tmp_path / "p1.csv")]
    assert main(["score", "--model", model, *tables, "--batch-rows", "20"]) == 2
    err = capsys.readouterr().err
    assert "column 'b' of p1.csv holds 'pending' at row 45 (file line 48);" in err
    parquet = frame[["a", "b", "c"]].astype({"b": str}).iloc[:100]
    parquet.loc[93, "b"] = "pending"
    parquet.to_parquet(tmp_path / "p2.parquet", row_group_size=20)
    assert main(["score", "--model", model, str(tmp_path / "p0.csv"), str(tmp_path / "p2.parquet")]) == 2
    assert "column 'b' of p2.parquet holds 'pending' at row 93;" in capsys.readouterr().err
    last = plan_pieces(find_files([tmp_path / "p2.parquet"]), rows_per_piece=40)[-1]
    assert last.row_groups == (4,)
    with pytest.raises(aad.DataError, match="'pending' at row 93;"):
        list(read_batches(last, ["a", "b", "c"], encoding=aad.load_model(model).encoding))


def test_top_keeps_the_best_rows_best_first_with_ties_to_the_lower_row(table, learned, tmp_path):
    folder, _ = table
    _, model, expected = learned
    TableScorer(model, [folder / "parts", folder / "all.parquet"], batch_rows=64).write(
        tmp_path / "t.parquet", top=9
    )
    best = pd.read_parquet(tmp_path / "t.parquet")
    both = np.r_[expected, expected]
    order = np.lexsort((np.arange(2400), -both))[:9]
    assert best["row"].tolist() == order.tolist()
    assert best["rank"].tolist() == list(range(1, 10))
    assert best["row"].tolist()[:2] == [order[0], order[0] + 1200]  # a row's twin ties it: the lower first


def test_the_dask_engine_writes_the_same_scores_as_partitioned_parquet(table, learned, tmp_path):
    folder, frame = table
    _, model, expected = learned
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            report = score_dask(
                model, [folder / "parts", folder / "all.csv"], tmp_path / "out", client=client,
                columns=["id"], rows_per_partition=300,
            )  # fmt: skip
            top = score_dask(model, [folder / "all.parquet"], tmp_path / "top.csv", client=client, top=4)
            address = ["--scheduler", cluster.scheduler_address]  # `aad score` on a running cluster
            args = [
                "score",
                "--model",
                str(learned[0]),
                str(folder / "all.csv"),
                "--engine",
                "dask",
                *address,
            ]
            assert main([*args, "--output", str(tmp_path / "by_address")]) == 0
    parts = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert parts == [f"part.{i:05d}.parquet" for i in range(len(parts))]
    assert len(parts) == 6
    scored = pd.read_parquet(tmp_path / "out")  # any engine reads the folder: here pandas (pyarrow)
    assert scored["row"].tolist() == list(range(2400))
    assert scored["id"].tolist() == frame["id"].tolist() * 2
    np.testing.assert_array_equal(scored["anomaly_score"], np.r_[expected, expected])
    assert report.rows == 2400
    assert report.filled == {"b": 6}
    assert (
        pd.read_csv(tmp_path / "top.csv")["row"].tolist() == np.argsort(-expected, kind="stable")[:4].tolist()
    )
    assert top.written == 4
    np.testing.assert_array_equal(pd.read_parquet(tmp_path / "by_address")["anomaly_score"], expected)


def test_every_engine_agrees_on_small_data(table, learned, tmp_path, capsys):
    """In memory, the file, out of core (command line), Dask (command line, local cluster), ONNX."""
    folder, _ = table
    path, model, expected = learned
    X = pd.read_csv(folder / "all.csv")[["a", "b", "c"]].to_numpy()
    assert (
        main(
            [
                "score",
                "--model",
                str(path),
                str(folder / "all.parquet"),
                "--output",
                str(tmp_path / "o.parquet"),
            ]
        )
        == 0
    )
    assert main(["score", "--model", str(path), str(folder / "parts"), "--engine", "dask", "--workers", "1",
                 "--output", str(tmp_path / "dask")]) == 0  # fmt: skip
    onnx = onnxruntime.InferenceSession(to_onnx(model)).run(None, {"X": X})[0]
    engines = {
        "file": model.anomaly_score(X),
        "out of core": pd.read_parquet(tmp_path / "o.parquet")["anomaly_score"].to_numpy(),
        "dask": pd.read_parquet(tmp_path / "dask")["anomaly_score"].to_numpy(),
        "onnx": onnx,
    }
    for name, scores in engines.items():
        np.testing.assert_allclose(scores, expected, rtol=1e-12, atol=0, err_msg=name)
    err = capsys.readouterr().err
    assert "scored 1,200 rows of 1 file" in err
    assert "note: column 'b': 3 missing values filled with" in err


def test_the_output_has_the_names_and_values_of_score_apply(table, tmp_path, capsys):
    _folder, _ = table
    (tmp_path / "labels.csv").write_text("row,label\n6,anomaly\n3,nominal\n")
    train = ["toy2", "--labels", str(tmp_path / "labels.csv")]
    (tmp_path / "new.csv").write_text("y,x,id\n1,2,a\n5,5,b\n,3,c\n")
    assert main(["score", *train, "--apply", str(tmp_path / "new.csv")]) == 0
    applied = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert main(["model", "export", *train, "--output", str(tmp_path / "m.json")]) == 0
    out = tmp_path / "s.parquet"
    assert (
        main(["score", "--model", str(tmp_path / "m.json"), str(tmp_path / "new.csv"), "--output", str(out)])
        == 0
    )
    scored = pd.read_parquet(out)
    assert scored.columns.tolist() == ["row", "anomaly_score"]
    assert scored["row"].tolist() == applied["row"].tolist()
    np.testing.assert_allclose(scored["anomaly_score"], applied["anomaly_score"], rtol=1e-15)


def test_the_rules_sql_runs_in_duckdb_over_a_parquet_folder(table, tmp_path, capsys):
    folder, frame = table
    (tmp_path / "labels.csv").write_text("row,label\n1180,anomaly\n1185,anomaly\n3,nominal\n")
    assert (
        main(["rules", str(folder / "all.csv"), "--labels", str(tmp_path / "labels.csv"), "--format", "sql"])
        == 0
    )
    where = capsys.readouterr().out.strip()
    labels = str(tmp_path / "labels.csv")
    rules_json = str(tmp_path / "rules.json")
    assert (
        main(
            ["rules", str(folder / "all.csv"), "--labels", labels, "--format", "json", "--output", rules_json]
        )
        == 0
    )
    rules = aad.read_rules((tmp_path / "rules.json").read_text(), "json", feature_names=["a", "b", "c"])
    X = frame[["a", "b", "c"]].to_numpy()
    expected = np.flatnonzero(np.any([rule.mask(X) for rule in rules], axis=0))
    glob = str(folder / "parts" / "*.parquet")
    found = duckdb.sql(
        f"SELECT id FROM read_parquet('{glob}') WHERE {where} ORDER BY id"
    ).fetchall()  # the README's example, over the folder
    assert [r[0] for r in found] == frame["id"].iloc[expected].tolist()
    assert len(expected) >= 2


BAD = {
    "no such table": (["nowhere.parquet"], "there is no file or folder 'nowhere.parquet'"),
    # review 19: a pipe and a device were called 'there is no file or folder'
    "a pipe": (["fifo.csv"], "file 'fifo.csv' is not a regular file (a pipe or a device"),
    "a device": (["/dev/null"], "file '/dev/null' is not a regular file (a pipe or a device"),
    "a folder without parquet": (["empty_dir"], "holds no Parquet file"),
    "a table without a feature": (["no_b.csv"], "no_b.csv has no column 'b' (its columns: 'a', 'c')"),
    "a text cell": (
        ["text.csv"],
        "column 'b' of text.csv holds 'lots' at row 1 (file line 3); every feature must be a number",
    ),
    "a decimal comma": (["comma.csv"], "holds '1,5' at row 0 (file line 2): a decimal comma"),
    "an infinity": (["inf.csv"], "column 'a' holds an infinite value at row 1"),
    "UTF-16 cut mid-character": (["cut16.csv"], "cut16.csv is not well-formed UTF-16 text (truncated data)"),
    "Windows-1252 and UTF-8 in one file": (
        ["mixed.csv"],
        "mixed.csv mixes two encodings: Windows-1252 (byte 10) and UTF-8 (line 3, 'ü')",
    ),
    "a parquet column of dates": (["dates.parquet"], "column 'c' of dates.parquet holds dates or times"),
    "an empty parquet column": (["gap.parquet"], "column 'b' is empty in every row of gap.parquet"),
    "an unknown output": (["ok.csv", "--output", "out.xlsx"], "end it with .parquet (Parquet) or .csv"),
    "the output inside a table": (
        ["parts_ok", "--output", "parts_ok/s.parquet"],
        "--output parts_ok/s.parquet is inside the input parts_ok, a folder being scored",
    ),
    "the output is a table": (
        ["ok.csv", "--output", "ok.csv"],
        "--output ok.csv is the input ok.csv: writing there would destroy it",
    ),
    "dask into a table": (
        ["parts_ok", "--engine", "dask", "--output", "parts_ok"],
        "--output parts_ok is the input parts_ok: writing there would destroy it",
    ),
    "dask inside a table": (
        ["parts_ok", "--engine", "dask", "--output", "parts_ok/scores"],
        "--output parts_ok/scores is inside the input parts_ok, a folder being scored",
    ),
    "a carried column that is not there": (["ok.csv", "--columns", "id"], "ok.csv has no column 'id'"),
    "a carried column named twice": (
        ["ok.csv", "--columns", "a,a"],
        "Invalid value for '--columns': 'a' is named",
    ),
    "a scheduler without dask": (
        ["ok.csv", "--scheduler", "tcp://127.0.0.1:1", "--output", "s.csv"],
        "--scheduler applies to --engine dask; add --engine dask",
    ),
    "workers and partitions without dask": (
        ["ok.csv", "--workers", "2", "--partition-rows", "10", "--output", "s.csv"],
        "--workers, --partition-rows apply to --engine dask",
    ),
    "dask without an output": (
        ["ok.csv", "--engine", "dask"],
        "--engine dask writes a folder of Parquet files",
    ),
    "dask into a full folder": (["ok.csv", "--engine", "dask", "--output", "parts_ok"], "is not empty"),
    "labels with a model": (["ok.csv", "--labels", "l.csv"], "--labels does not go with --model"),
    "no table": ([], "name the tables to score after --model FILE"),
    "a line of megabytes and no newline": (
        ["line.csv"],
        f"line.csv has no column 'a' (its columns: '{'x' * 40}'...)",
    ),
    "a CSV naming a column twice": (["dup.csv"], "dup.csv: column name 'a' appears twice (columns 1 and 4)"),
    "a Parquet file naming a column twice": (
        ["dup.parquet"],
        "dup.parquet: column name 'a' appears twice (columns 1 and 4); rename one of them",
    ),
    "a scheduler address of no form": (
        ["ok.csv", "--engine", "dask", "--output", "out", "--scheduler", "notanaddress"],
        "the scheduler address 'notanaddress' is not one Dask connects to; give tcp://HOST:PORT",
    ),
    "a scheduler address without its port": (
        ["ok.csv", "--engine", "dask", "--output", "out", "--scheduler", "127.0.0.1"],
        "the scheduler address '127.0.0.1' is not one Dask connects to",
    ),
    "a scheduler address of the web": (
        ["ok.csv", "--engine", "dask", "--output", "out", "--scheduler", "http://127.0.0.1:8786"],
        "the scheduler address 'http://127.0.0.1:8786' is not one Dask connects to",
    ),
    "dask on a Parquet file naming a column twice": (
        ["dup.parquet", "--engine", "dask", "--output", "out"],
        "dup.parquet: column name 'a' appears twice",
    ),
    "a top too big to hold": (["ok.csv", "--top", "20000000"], "--top 20,000,000 would hold that many rows"),
}


def test_a_country_code_na_is_text_to_the_loader_the_model_file_and_the_rules(tmp_path, capsys):
    """An engineer's review: ``NA`` (Namibia) in a text column was read as missing by the loader
    (pandas' default), as text by ``--model`` (pyarrow) and by databases; the SQL export then
    wrote ``"country" IS NULL``, which selects nothing in DuckDB, and ``--model`` noted 99 rows
    "never seen" on the model's own training file."""
    rng = np.random.default_rng(5)
    n = 300
    frame = pd.DataFrame(
        {"country": rng.choice(["DE", "FR", "NA"], n, p=[0.6, 0.3, 0.1]), "amount": rng.gamma(2, 50, n)}
    )
    frame.loc[[0, 1], "country"] = None  # an empty cell stays missing
    frame.to_csv(tmp_path / "train.csv", index=False)
    dataset = aad.load_data(str(tmp_path / "train.csv"))
    written = dataset.sources["country"]
    assert (written == "NA").sum() == (frame["country"] == "NA").sum()
    assert written.isna().sum() == 2
    known = np.full(n, aad.UNLABELLED)
    known[np.flatnonzero(frame["country"] == "NA")[:3]] = 1
    known[[5, 6, 7]] = 0
    forest = aad.AADForest(random_state=1).fit(dataset.X, known)
    path = aad.export_model(forest, dataset, n_labels=6, n_anomalies=3).save(tmp_path / "model.json")
    out = tmp_path / "own.csv"
    assert main(["score", "--model", str(path), str(tmp_path / "train.csv"), "--output", str(out)]) == 0
    assert "never had" not in capsys.readouterr().err
    np.testing.assert_allclose(pd.read_csv(out)["anomaly_score"], forest.anomaly_score(), rtol=1e-12)


@pytest.fixture
def bad_tables(tmp_path, learned, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty_dir").mkdir()
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "no_b.csv").write_text("a,c\n1,2\n")
    (tmp_path / "text.csv").write_text("a,b,c\n1,2,3\n1,lots,3\n")
    (tmp_path / "comma.csv").write_text("a;b;c\n1;1,5;3\n")
    (tmp_path / "inf.csv").write_text("a,b,c\n1,2,3\ninf,2,3\n")
    (tmp_path / "ok.csv").write_text("a,b,c\n1,2,3\n")
    (tmp_path / "line.csv").write_text("x" * 3_000_000)
    (tmp_path / "dup.csv").write_text("a,b,c,a\n1,2,3,400\n")
    pq.write_table(pa.Table.from_arrays([pa.array([1.0])] * 4, names=["a", "b", "c", "a"]), "dup.parquet")
    (tmp_path / "cut16.csv").write_bytes("a\tb\tc\n1\t2\t3\n".encode("utf-16") + b"\x41")
    (tmp_path / "mixed.csv").write_bytes("a,b,c\n1,2,\u00e9\n".encode("cp1252") + "1,2,\u00fc\n".encode())
    pd.DataFrame({"a": [1.0], "b": [2.0], "c": pd.to_datetime(["2024-01-01"])}).to_parquet("dates.parquet")
    pq.write_table(
        pa.table({"a": [1.0, 2.0], "b": pa.array([None, None], pa.float64()), "c": [1.0, 2.0]}), "gap.parquet"
    )
    (tmp_path / "parts_ok").mkdir()
    pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0]}).to_parquet("parts_ok/p.parquet")
    return str(learned[0])


@pytest.mark.parametrize("case", sorted(BAD))
def test_every_bad_table_or_option_is_one_line_and_status_2(bad_tables, capsys, case):
    args, message = BAD[case]
    assert main(["score", "--model", bad_tables, *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert message in err, err
    assert len(err) < 500, err[:500]  # text from the data quoted as an excerpt


def test_files_are_read_in_the_natural_order_of_their_names(table):
    folder, _ = table
    names = [f.path.name for f in find_files([folder / "parts"])]
    assert names == ["part.0.parquet", "part.2.parquet", "part.10.parquet", "part.11.parquet"]


def test_a_table_with_no_rows_writes_the_columns(learned, tmp_path):
    _, model, _ = learned
    (tmp_path / "header.csv").write_text("a,b,c,id\n")
    report = TableScorer(model, [tmp_path / "header.csv"], columns=["id"]).write(tmp_path / "o.parquet")
    assert report.rows == 0
    assert pd.read_parquet(tmp_path / "o.parquet").columns.tolist() == ["row", "anomaly_score", "id"]


def test_a_failed_run_leaves_no_output_behind(learned, tmp_path):
    _, model, _ = learned
    rows = "".join(f"{i},1,2\n" for i in range(500)) + "x,1,2\n"
    (tmp_path / "late.csv").write_text("a,b,c\n" + rows)
    with pytest.raises(aad.DataError, match="holds 'x' at row 500"):
        TableScorer(model, [tmp_path / "late.csv"], batch_rows=100).write(tmp_path / "o.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late.csv"]


def test_a_model_learned_on_categories_times_and_written_numbers_scores_new_rows_as_in_memory(
    tmp_path, capsys
):
    """The model file carries its encoding: a category's rarity, a timestamp's hour and weekday,
    amounts written with a currency; new rows (with a category it never saw) score as in memory."""
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame(
        {
            "merchant": rng.choice(["shop", "atm", "online", "fuel"], n, p=[0.5, 0.3, 0.15, 0.05]),
            "when": pd.date_range("2024-03-01", periods=n, freq="37min").strftime("%Y-%m-%d %H:%M"),
            "amount": [f"${v:,.2f}" for v in rng.gamma(2.0, 400.0, n)],
        }
    )
    frame.to_csv(tmp_path / "train.csv", index=False)
    dataset = aad.load_data(str(tmp_path / "train.csv"))
    assert {s.kind for s in dataset.specs} >= {"category", "part", "number"}
    known = np.full(dataset.n_rows, aad.UNLABELLED)
    known[[0, 1, 2, 3]] = [1, 0, 0, 1]
    forest = aad.AADForest(random_state=4).fit(dataset.X, known)
    model = aad.export_model(forest, dataset, n_labels=4, n_anomalies=2)
    path = model.save(tmp_path / "model.json")
    assert aad.scale.load_model(path).encoding == dataset.encoding  # written and read back whole

    new = frame.sample(60, random_state=1).reset_index(drop=True)
    new.loc[0, "merchant"] = "crypto"  # never seen: rarer than any value the model had
    new.insert(0, "id", range(60))
    new.to_csv(tmp_path / "new.csv", index=False)
    new.to_parquet(tmp_path / "new.parquet")
    expected = forest.anomaly_score(aad.load_rows(tmp_path / "new.csv", like=dataset).X)
    for source in ("new.csv", "new.parquet"):
        out = tmp_path / f"{source}.scores.parquet"
        report = TableScorer(aad.scale.load_model(path), [tmp_path / source], columns=["id"]).write(out)
        np.testing.assert_array_equal(pd.read_parquet(out)["anomaly_score"], expected)
        assert report.unseen == {"merchant": 1}
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:  # the cluster's run counts what the in-process one does
            report = score_dask(
                aad.scale.load_model(path), [tmp_path / "new.parquet"], tmp_path / "dask_out", client=client,
                rows_per_partition=25,
            )  # fmt: skip
    np.testing.assert_array_equal(pd.read_parquet(tmp_path / "dask_out")["anomaly_score"], expected)
    assert report.unseen == {"merchant": 1}
    assert any("1 row holds a category the model's data never had" in n for n in report.notes(model))
    capsys.readouterr()
    assert (
        main(["score", "--model", str(path), str(tmp_path / "new.csv"), "--output", str(tmp_path / "s.csv")])
        == 0
    )
    assert "column 'merchant': 1 row holds a category the model's data never had" in capsys.readouterr().err


def test_a_csvs_empty_cells_are_missing_values_to_the_model_file_as_to_the_loader(tmp_path, capsys):
    """An empty category, timestamp or written-number cell in a CSV is a missing value (the
    ``(missing)`` category, the column's fill), whatever dtype pandas reads the text column as:
    the model file scores the file as the loader does, and as the same rows in Parquet."""
    rng = np.random.default_rng(6)
    n = 300
    frame = pd.DataFrame(
        {
            "merchant": rng.choice(["shop", "atm", "online"], n, p=[0.6, 0.3, 0.1]).astype(object),
            "when": pd.date_range("2024-03-01", periods=n, freq="53min").strftime("%Y-%m-%d %H:%M"),
            "amount": [f"${v:,.2f}" for v in rng.gamma(2.0, 400.0, n)],
            "qty": rng.integers(1, 9, n).astype(float),
        }
    ).astype(object)
    frame.loc[rng.choice(n, 60, replace=False), "merchant"] = None
    frame.loc[[3, 50], "when"] = None
    frame.loc[[5, 70], "amount"] = None
    frame.loc[[9], "qty"] = None
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    dataset = aad.load_data(str(tmp_path / "t.csv"))
    known = np.full(dataset.n_rows, aad.UNLABELLED)
    known[[0, 1, 2]] = [1, 0, 0]
    forest = aad.AADForest(random_state=4).fit(dataset.X, known)
    path = aad.export_model(forest, dataset, n_labels=3, n_anomalies=1).save(tmp_path / "model.json")
    expected = forest.anomaly_score(aad.load_rows(tmp_path / "t.csv", like=dataset).X)
    np.testing.assert_allclose(expected, forest.anomaly_score(), rtol=0, atol=1e-12)  # the training rows
    for source in ("t.csv", "t.parquet"):
        out = tmp_path / f"{source}.scores.csv"
        report = TableScorer(aad.scale.load_model(path), [tmp_path / source]).write(out)
        np.testing.assert_allclose(pd.read_csv(out)["anomaly_score"], expected, rtol=0, atol=1e-12)
        assert report.unseen == {}, source  # an empty cell is no category the model never saw
    capsys.readouterr()


def test_a_column_carried_from_a_csv_and_a_parquet_file_is_text_in_every_batch_and_partition(
    learned, table, tmp_path
):
    """A CSV's carried column is text, a Parquet file's keeps its type: scored together, the
    column is text from both (it stopped the run, or left a cluster's parts disagreeing)."""
    _folder, frame = table
    _, model, _ = learned
    with_int = frame.assign(customer=np.arange(len(frame), dtype=np.int64))
    with_int.iloc[:500].to_parquet(tmp_path / "first.parquet")
    with_int.iloc[500:].to_csv(tmp_path / "second.csv", index=False)
    sources = [tmp_path / "first.parquet", tmp_path / "second.csv"]
    TableScorer(model, sources, columns=["customer"], batch_rows=200).write(tmp_path / "s.parquet")
    scored = pd.read_parquet(tmp_path / "s.parquet")
    assert scored["customer"].tolist() == [str(i) for i in range(len(frame))]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            score_dask(
                model,
                sources,
                tmp_path / "dask_out",
                columns=["customer"],
                client=client,
                rows_per_partition=300,
            )
    parts = sorted((tmp_path / "dask_out").glob("part.*.parquet"))
    assert len(parts) == 2  # one per file
    types = {str(pq.read_schema(p).field("customer").type) for p in parts}
    assert len(types) == 1, types  # every part agrees
    assert types <= {"string", "large_string"}
    assert pd.read_parquet(tmp_path / "dask_out")["customer"].tolist() == [str(i) for i in range(len(frame))]


def test_a_carried_column_named_like_an_output_column_is_written_as_data_by_every_engine(
    learned, table, tmp_path
):
    """A data column ``rank`` beside ``--top`` (which adds its own ``rank``) stopped the run with a
    traceback, in memory and on Dask: it is written as ``rank (data)``, as ``row`` always was."""
    _folder, frame = table
    _, model, scores = learned
    frame.assign(rank=7, row=-1).to_csv(tmp_path / "clash.csv", index=False)
    carried = ["id", "rank", "row"]
    TableScorer(model, [tmp_path / "clash.csv"], columns=carried).write(tmp_path / "top.csv", top=3)
    best = pd.read_csv(tmp_path / "top.csv")
    assert list(best.columns) == ["row", "anomaly_score", "id", "rank (data)", "row (data)", "rank"]
    assert best["rank"].tolist() == [1, 2, 3]
    assert best["row"].tolist() == np.argsort(-scores, kind="stable")[:3].tolist()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            for top, output in ((3, tmp_path / "dask_top.csv"), (None, tmp_path / "dask_all")):
                score_dask(model, [tmp_path / "clash.csv"], output, columns=carried, top=top, client=client)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dask_top.csv"), best)
    every = pd.read_parquet(tmp_path / "dask_all")
    assert list(every.columns) == ["row", "anomaly_score", "id", "rank (data)", "row (data)"]
    assert every["id"].tolist() == frame["id"].tolist()
    np.testing.assert_allclose(every["anomaly_score"], scores)


def test_rows_far_outside_the_models_range_get_a_note_as_a_change_of_unit_would(
    table, learned, tmp_path, capsys
):
    """Next month's file with ``a`` in other units (x 1000): scored, exit 0, and a note says the
    rows lie far outside what the trees split, so a changed unit is not taken silently for
    anomalies; the same rows as learned get no such note."""
    _folder, frame = table
    path, _model, _scores = learned
    same, scaled = tmp_path / "same.csv", tmp_path / "scaled.csv"
    frame.to_csv(same, index=False)
    frame.assign(a=frame["a"] * 1000).to_csv(scaled, index=False)
    assert main(["score", "--model", str(path), str(same), "--output", str(tmp_path / "s.csv")]) == 0
    assert "far outside" not in capsys.readouterr().err
    assert main(["score", "--model", str(path), str(scaled), "--output", str(tmp_path / "t.csv")]) == 0
    err = capsys.readouterr().err
    assert re.search(
        r"feature 'a': 1,[0-9]{3} of 1,200 rows lie far outside the values the model's trees split", err
    )
    assert "has its unit or scale changed?" in err
    assert "feature 'b'" not in err


def test_another_season_is_no_change_of_unit(tmp_path, capsys):
    """A model learned on January to March scores October to December: the month lies outside what
    the trees split, but a month has no unit to change, so no note blames one."""
    rng = np.random.default_rng(0)

    def table(months: list[int], path: Path) -> Path:
        when = [
            f"2024-{rng.choice(months):02d}-{rng.integers(1, 28):02d} {rng.integers(0, 24):02d}:00"
            for _ in range(400)
        ]
        pd.DataFrame({"when": when, "amount": rng.normal(50, 5, 400).round(2)}).to_csv(path, index=False)
        return path

    first = table([1, 2, 3], tmp_path / "q1.csv")
    dataset = aad.load_data(str(first))
    forest = aad.AADForest(random_state=0).fit(dataset.X)
    path = aad.export_model(forest, dataset, n_labels=0, n_anomalies=0).save(tmp_path / "model.json")
    later = table([10, 11, 12], tmp_path / "q4.csv")
    assert main(["score", "--model", str(path), str(later), "--output", str(tmp_path / "s.csv")]) == 0
    assert "far outside" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8", "\t"), ("cp1252", ","), ("utf-16", "\t"), ("utf-16-be", "\t")]
)
def test_a_model_scores_excels_other_encodings_as_the_same_rows_in_utf8(tmp_path, encoding, delimiter):
    """A table saved by Excel in Windows-1252 or UTF-16 (either byte order, a spreadsheet's
    empty rows at the end): its categories match the model's as written, every row scores as
    in UTF-8."""
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(
        {"amount": rng.gamma(2.0, 50.0, 400).round(2), "city": rng.choice(["Zürich", "Malmö", "Köln"], 400)}
    )
    frame.loc[[5, 77], "city"] = "São Paulo"
    frame.to_csv(tmp_path / "utf8.csv", index=False)
    dataset = aad.load_data(tmp_path / "utf8.csv")
    known = np.full(dataset.n_rows, aad.UNLABELLED)
    known[[5, 0, 1]] = [1, 0, 0]
    forest = aad.AADForest(random_state=1).fit(dataset.X, known)
    model = aad.export_model(forest, dataset, n_labels=3, n_anomalies=1)
    text = frame.to_csv(index=False, sep=delimiter, lineterminator="\r\n") + delimiter + "\r\n" * 2
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # Python's utf-16 writes the mark itself
    (tmp_path / "excel.csv").write_bytes((bom + text).encode(encoding))
    report = TableScorer(model, [tmp_path / "excel.csv"], batch_rows=150).write(tmp_path / "s.parquet")
    scored = pd.read_parquet(tmp_path / "s.parquet")
    assert report.rows == 400
    np.testing.assert_allclose(scored["anomaly_score"], forest.anomaly_score(dataset.X), rtol=1e-15)
    assert scored["anomaly_score"].iloc[5] == scored["anomaly_score"].max()  # São Paulo, labelled


def test_a_model_file_matches_codes_with_leading_zeros_as_written(tmp_path):
    """ZIP codes (``02134``) are a category of the model; the model file scores them as the
    loader reads them, rather than as the numbers a reader without the model would see."""
    rng = np.random.default_rng(9)
    zips = rng.choice(["02134", "10001", "07030", "94105"], 300, p=[0.4, 0.4, 0.15, 0.05])
    frame = pd.DataFrame({"amount": rng.gamma(2.0, 50.0, 300).round(2), "zip": zips})
    frame.to_csv(tmp_path / "t.csv", index=False)
    dataset = aad.load_data(tmp_path / "t.csv")
    assert dict(dataset.specs[1].levels)["02134"] > 0
    forest = aad.AADForest(random_state=3).fit(dataset.X)
    model = aad.export_model(forest, dataset, n_labels=0, n_anomalies=0)
    TableScorer(model, [tmp_path / "t.csv"]).write(tmp_path / "s.parquet")
    scored = pd.read_parquet(tmp_path / "s.parquet")
    np.testing.assert_allclose(scored["anomaly_score"], forest.anomaly_score(dataset.X), rtol=1e-15)


def test_a_spreadsheets_total_line_at_the_end_is_left_out_as_the_loader_does(table, learned, tmp_path):
    """``Total,,,...`` below the rows, with empty rows around it: the model file scores the rows
    the loader reads, and says what it left out."""
    folder, _ = table
    _, model, expected = learned
    source = tmp_path / "excel.csv"
    source.write_text((folder / "all.csv").read_text() + ",,,,\r\nTotal,1234.5,,,\r\n,,,,\r\n")
    assert aad.load_data(source).n_rows == 1200
    report = TableScorer(model, [source], batch_rows=97).write(tmp_path / "s.csv")
    scored = pd.read_csv(tmp_path / "s.csv")
    np.testing.assert_allclose(scored["anomaly_score"], expected, rtol=1e-15)
    assert report.notes(model)[0] == (
        "excel.csv: left out a total line ('Total') at the end of the file and 2 empty rows"
    )


def test_dates_without_a_time_of_day_get_a_note_when_the_model_reads_the_hour(tmp_path, capsys):
    """A model that reads ``when.hour`` applied to dates alone (``2024-03-08``, a Parquet date):
    every row would be read at hour 0, silently; a note names the column (--model in process and
    on Dask, --apply). Dates with their times of day get none."""
    rng = np.random.default_rng(1)
    times = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 30 * 24 * 60, 300), unit="min")
    frame = pd.DataFrame({"when": times.strftime("%Y-%m-%d %H:%M"), "amount": rng.gamma(2.0, 20.0, 300)})
    frame.to_csv(tmp_path / "train.csv", index=False)
    (tmp_path / "labels.csv").write_text("row,label\n0,nominal\n")
    train = [str(tmp_path / "train.csv"), "--labels", str(tmp_path / "labels.csv")]
    assert main(["model", "export", *train, "--output", str(tmp_path / "m.json")]) == 0
    assert "when.hour" in aad.load_model(tmp_path / "m.json").feature_names_in_
    frame.to_csv(tmp_path / "timed.csv", index=False)
    frame.assign(when=times.strftime("%Y-%m-%d")).to_csv(tmp_path / "dates.csv", index=False)
    dates = pa.array(times.date, pa.date32())
    pq.write_table(pa.table({"when": dates, "amount": frame["amount"]}), tmp_path / "dates.parquet")
    pq.write_table(pa.table({"when": pa.array(times), "amount": frame["amount"]}), tmp_path / "timed.parquet")
    note = "column 'when' holds dates without a time of day (300 of them), while the model reads their hour"
    model = ["score", "--model", str(tmp_path / "m.json")]
    for name in ("dates.csv", "dates.parquet", "timed.csv", "timed.parquet"):
        capsys.readouterr()
        out = str(tmp_path / f"{name}.scores.csv")
        assert main([*model, str(tmp_path / name), "--output", out, "--batch-rows", "70"]) == 0
        assert capsys.readouterr().err.count(note) == name.startswith("dates"), name  # once, not per batch
        assert main(["score", *train, "--apply", str(tmp_path / name)]) == 0
        assert (note in capsys.readouterr().err) == name.startswith("dates"), name
    capsys.readouterr()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        address = ["--scheduler", cluster.scheduler_address]
        out = str(tmp_path / "dask_out")
        assert (
            main([*model, str(tmp_path / "dates.parquet"), "--engine", "dask", *address, "--output", out])
            == 0
        )
    assert capsys.readouterr().err.count(note) == 1


def test_most_values_ten_times_the_training_median_get_a_note_as_a_change_of_unit(tmp_path):
    """Amounts in cents (x 100) or in hundreds (/ 100) on a heavy-tailed column stay within the
    trees' wide split range, so no row lies far outside it; the whole input's median against
    the training's says it, once (batches, partitions). A new batch of the same kind, and a
    column centred on 0, get no note."""
    rng = np.random.default_rng(4)

    def draw(n: int) -> pd.DataFrame:
        return pd.DataFrame({"amount": rng.lognormal(3.5, 1.5, n).round(2), "balance": rng.normal(0, 100, n)})

    train = draw(2000)
    forest = aad.AADForest(random_state=0).fit(train.to_numpy())
    model = aad.scale.PortableModel.from_forest(
        forest, fill_values=train.median().to_numpy(), feature_names=["amount", "balance"]
    )
    new = draw(2000)
    cases = {
        "same": (new, None),
        "cents": (new.assign(amount=new["amount"] * 100), "ten times the median"),
        "hundreds": (new.assign(amount=new["amount"] / 100), "a tenth of the median"),
    }
    found = {}
    for name, (frame, expected) in cases.items():
        frame.to_parquet(tmp_path / f"{name}.parquet", row_group_size=500)
        report = TableScorer(model, [tmp_path / f"{name}.parquet"], batch_rows=150).write(tmp_path / "s.csv")
        notes = found[name] = [n for n in report.notes(model) if "its unit changed" in n]
        assert len(notes) == (expected is not None), (name, notes)
        if expected is not None:
            assert re.match(
                rf"feature 'amount': 1,\d{{3}} of its 2,000 values are {expected} of the data", notes[0]
            )
            assert "has its unit changed (cents for euros)?" in notes[0]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            report = score_dask(
                model,
                [tmp_path / "cents.parquet"],
                tmp_path / "dask_out",
                client=client,
                rows_per_partition=500,
            )
    assert [n for n in report.notes(model) if "its unit changed" in n] == found["cents"]  # once


@pytest.mark.parametrize("there_before", [False, True])
def test_a_failed_dask_run_leaves_no_partial_folder_of_scores(learned, tmp_path, capfd, there_before):
    """A bad cell in the third of three files stops a Dask run (exit 2) with one line (not also
    Dask's own "Compute Failed" log): the first two files' scores are not left behind as a folder
    any reader takes for the result; an empty output folder made beforehand stays empty, and
    nothing else is left beside it."""
    path, _model, _ = learned
    (tmp_path / "in").mkdir()
    for k in range(3):
        frame = pd.DataFrame({"a": [str(i) for i in range(50)], "b": "1", "c": "2"})
        frame.loc[20, "a"] = "x" if k == 2 else "3"
        frame.to_parquet(tmp_path / "in" / f"part.{k}.parquet")
    out = tmp_path / "out"
    if there_before:
        out.mkdir()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        args = ["--engine", "dask", "--scheduler", cluster.scheduler_address, "--output", str(out)]
        assert main(["score", "--model", str(path), str(tmp_path / "in"), *args]) == 2
        err = capfd.readouterr().err
    assert "column 'a' of part.2.parquet holds 'x' at row 20;" in err
    assert [line for line in err.splitlines() if line.strip()] == [err.strip()], err  # aad's line alone
    assert sorted(p.name for p in tmp_path.iterdir()) == (["in", "out"] if there_before else ["in"])
    if there_before:
        assert list(out.iterdir()) == []


def test_an_empty_string_in_a_parquet_text_column_is_an_empty_cell_to_every_reader(table, tmp_path):
    """A Parquet file whose number column is stored as text, ``''`` where a cell is empty: read
    as the missing value a CSV's empty cell is, by --model, --apply's and select's reader and
    the model file's ``anomaly_score`` (they refused it: "row 2 holds ''")."""
    _folder, frame = table
    rows = frame[["a", "b", "c"]].head(300)
    rows.to_csv(tmp_path / "train.csv", index=False)
    dataset = aad.load_data(tmp_path / "train.csv")
    forest = aad.AADForest(random_state=0).fit(dataset.X)
    model = aad.export_model(forest, dataset, n_labels=0, n_anomalies=0)
    expected = forest.anomaly_score(aad.load_rows(tmp_path / "train.csv", like=dataset).X)
    text = {name: ["" if pd.isna(v) else repr(v) for v in rows[name]] for name in ("a", "b", "c")}
    assert text["b"][2] == ""
    pq.write_table(pa.table(text), tmp_path / "text.parquet")
    applied = aad.load_rows(tmp_path / "text.parquet", like=dataset)  # --apply's reader
    np.testing.assert_array_equal(model.anomaly_score(applied.X), expected)
    assert np.isnan(aad.load_rows(tmp_path / "text.parquet", columns=["b"]).X[2, 0])  # select's
    np.testing.assert_array_equal(model.anomaly_score(pd.read_parquet(tmp_path / "text.parquet")), expected)
    TableScorer(model, [tmp_path / "text.parquet"]).write(tmp_path / "s.csv")  # --model's
    np.testing.assert_allclose(pd.read_csv(tmp_path / "s.csv")["anomaly_score"], expected, rtol=1e-15)


def test_a_header_with_no_rows_writes_no_rows_and_says_so(table, learned, tmp_path, capsys):
    """A scheduled job's quiet day, as --apply and select take it: exit 0, and a note."""
    _, frame = table
    path, _, _ = learned
    empty = tmp_path / "today.csv"
    empty.write_text(",".join(frame.columns) + "\n")
    out = tmp_path / "today.scores.csv"
    assert main(["score", "--model", str(path), str(empty), "--output", str(out)]) == 0
    assert "the input has a header but no rows: nothing to score" in capsys.readouterr().err
    assert pd.read_csv(out).empty


def test_a_missing_scale_extra_is_installed_from_the_checkout(monkeypatch):
    """Review 26 (1): the message said pip install "aad[scale]": the name aad on PyPI is another project."""
    from aad.scale._optional import require

    monkeypatch.setitem(sys.modules, "onnx", None)  # missing, whether installed or not
    said = "onnx is not installed; it comes with aad's 'scale' extra: run 'make extras' in aad's checkout"
    with pytest.raises(aad.AADError, match=said) as raised:
        require("onnx")
    assert "aad[" not in str(raised.value)
