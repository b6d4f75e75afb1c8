"""Flag columns as other systems write them (true/false, TRUE/FALSE, yes/no, Parquet booleans):
read as written, exported so that SQL and pandas select the rows aad reports, and matched by
their truth when the next export spells them otherwise."""

from __future__ import annotations

import io

import duckdb
import numpy as np
import pandas as pd
import pytest

import aad
from app.cli import main

ROWS, ANOMALIES = 1200, 20


def _flag_table(tmp_path, *, words=("true", "false"), blanks=True, name="flags.csv"):
    """Amounts with a flag column; the anomalies are large amounts with the flag set, the next
    rows large amounts without it, labelled nominal (a rule must test the flag); every 40th row
    after them leaves the flag empty when ``blanks``."""
    rng = np.random.default_rng(7)
    amount = rng.normal(50, 10, ROWS).round(2)
    flag = np.where(rng.random(ROWS) < 0.08, words[0], words[1]).astype(object)
    amount[: 2 * ANOMALIES] = rng.uniform(150, 200, 2 * ANOMALIES).round(2)
    flag[:ANOMALIES], flag[ANOMALIES : 2 * ANOMALIES] = words  # large amounts, the flag set or not
    if blanks:
        flag[2 * ANOMALIES :: 40] = None
    frame = pd.DataFrame({"amount": amount, "foreign": flag, "hour": rng.integers(0, 24, ROWS)})
    path = tmp_path / name
    frame.to_csv(path, index=False)
    labels = tmp_path / "labels.csv"
    pairs = [(r, "anomaly") for r in range(ANOMALIES)] + [
        (r, "nominal") for r in range(ANOMALIES, 2 * ANOMALIES + 40)
    ]
    labels.write_text("row,label\n" + "".join(f"{r},{lab}\n" for r, lab in pairs))
    return path, labels


def _rules(path, labels, fmt, capsys) -> str:
    assert (
        main(["rules", str(path), "--labels", str(labels), "--format", fmt, "--features", "amount,foreign"])
        == 0
    )
    return capsys.readouterr().out


@pytest.mark.parametrize("words", [("true", "false"), ("TRUE", "FALSE"), ("True", "False")])
def test_a_flag_with_empty_cells_is_read_and_exported_as_the_file_writes_it(tmp_path, capsys, words):
    path, labels = _flag_table(tmp_path, words=words)
    table = aad.load_data(path).table()
    assert set(table["foreign"].dropna()) == set(words)  # not pandas' True and False

    sql = _rules(path, labels, "sql", capsys)
    assert f"IN ('{words[0]}')" in sql or f"IN ('{words[1]}')" in sql  # the words as written
    query = _rules(path, labels, "pandas", capsys).strip().splitlines()[-1]
    rules = tmp_path / "rules.json"
    rules.write_text(_rules(path, labels, "json", capsys))
    assert main(["select", str(rules), str(path)]) == 0
    selected = len(pd.read_csv(io.StringIO(capsys.readouterr().out)))
    assert selected >= ANOMALIES

    raw = pd.read_csv(path)  # pandas' own reading: a bool column with gaps
    assert len(table.query(query)) == len(raw.query(query)) == selected
    as_text = duckdb.sql(
        f"SELECT count(*) FROM read_csv('{path}', types={{'foreign': 'VARCHAR'}}) WHERE {sql}"
    ).fetchall()[0][0]
    typed = duckdb.sql(f"SELECT count(*) FROM read_csv('{path}') WHERE {sql}").fetchall()[0][0]
    assert as_text == typed == selected


def _own_and_model_scores(tmp_path, path, labels, new, capsys):
    assert main(["score", str(path), "--labels", str(labels), "--no-values"]) == 0
    own = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("row")["anomaly_score"]
    model = tmp_path / "model.json"
    assert main(["model", "export", str(path), "--labels", str(labels), "--output", str(model)]) == 0
    capsys.readouterr()
    assert main(["score", "--model", str(model), str(new)]) == 0
    out = capsys.readouterr()
    scored = pd.read_csv(io.StringIO(out.out)).set_index("row")["anomaly_score"]
    return own, scored, out.err


@pytest.mark.parametrize("blanks", [True, False])
def test_a_model_file_scores_its_own_training_file_as_the_session_did(tmp_path, capsys, blanks):
    path, labels = _flag_table(tmp_path, blanks=blanks)  # without blanks pandas reads a bool: 1 and 0
    own, scored, err = _own_and_model_scores(tmp_path, path, labels, path, capsys)
    np.testing.assert_allclose(scored.sort_index().to_numpy(), own.sort_index().to_numpy(), rtol=1e-9)
    assert "never had" not in err


def test_a_flag_written_with_other_words_scores_the_same_and_says_so(tmp_path, capsys):
    path, labels = _flag_table(tmp_path, words=("True", "False"))
    respelled = pd.read_csv(path, dtype=str, keep_default_na=False)
    respelled["foreign"] = respelled["foreign"].map({"True": "yes", "False": "no", "": ""})
    new = tmp_path / "next_export.csv"
    respelled.to_csv(new, index=False)
    own, scored, err = _own_and_model_scores(tmp_path, path, labels, new, capsys)
    np.testing.assert_allclose(scored.sort_index().to_numpy(), own.sort_index().to_numpy(), rtol=1e-9)
    assert "column 'foreign' writes its flag in other words" in err
    assert "'yes' as 'True'" in err
    assert "never had" not in err

    assert main(["score", str(path), "--labels", str(labels), "--apply", str(new), "--no-values"]) == 0
    applied = capsys.readouterr()
    scores = pd.read_csv(io.StringIO(applied.out)).set_index("row")["anomaly_score"]
    np.testing.assert_allclose(scores.sort_index().to_numpy(), own.sort_index().to_numpy(), rtol=1e-9)
    assert "'no' as 'False'" in applied.err


def test_rules_learned_on_a_csv_flag_select_the_same_rows_of_a_parquet_boolean(tmp_path, capsys):
    path, labels = _flag_table(tmp_path, words=("True", "False"))
    rules = tmp_path / "rules.json"
    assert (
        main(
            [
                "rules",
                str(path),
                "--labels",
                str(labels),
                "--output",
                str(rules),
                "--features",
                "amount,foreign",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["select", str(rules), str(path)]) == 0
    from_csv = pd.read_csv(io.StringIO(capsys.readouterr().out))["row"].tolist()

    frame = pd.read_csv(path)
    frame["foreign"] = frame["foreign"].astype("boolean")
    parquet = tmp_path / "flags.parquet"
    frame.to_parquet(parquet, index=False)
    assert main(["select", str(rules), str(parquet)]) == 0
    from_parquet = pd.read_csv(io.StringIO(capsys.readouterr().out))["row"].tolist()
    assert from_parquet == from_csv
    assert len(from_csv) >= ANOMALIES
