"""A card-transaction table through every door: the Python API, aad simulate, rules, score,
select. One loader reads it the same way everywhere; derived features (a category's rarity, a
timestamp's hour) are made on new rows as on the training table; rules speak of categories,
hours and whole numbers, and every export selects the rows the rule objects select."""

from __future__ import annotations

import io

import duckdb
import numpy as np
import pandas as pd
import pytest
from cards import RARE, card_transactions, write_cards

import aad
from app.cli import main


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    """The table (3,000 rows), the same table's frauds as labels, and a second month of rows."""
    folder = tmp_path_factory.mktemp("cards")
    path, table = write_cards(folder, 3000, seed=5, frauds=15)
    labels = folder / "labels.csv"
    frauds = np.flatnonzero(table["is_fraud"])
    labels.write_text("row,label\n" + "".join(f"{r},anomaly\n" for r in frauds) + "0,nominal\n1,nominal\n")
    new = card_transactions(400, seed=6, frauds=4).drop(columns=["kind", "is_fraud"])
    new.to_csv(folder / "new.csv", index=False)
    return path, table, labels, folder / "new.csv"


def _learned(path, labels_path) -> tuple[aad.Dataset, aad.AADForest]:
    data = aad.load_data(str(path))
    known = aad.read_labels(labels_path, data.n_rows)
    return data, aad.AADForest(random_state=0).fit(data.X, known)


def test_the_command_line_reads_the_table_as_the_workbench_does(cards, capsys):
    path, _table, labels, _ = cards
    data = aad.load_data(str(path))
    assert main(["simulate", str(path), "--label-col", "is_fraud", "--budget", "30", "--reruns", "1"]) == 0
    err = capsys.readouterr().err
    assert [line[6:] for line in err.splitlines() if line.startswith("note: ")] == list(
        aad.load_data(str(path), label_column="is_fraud").notes
    )
    assert main(["score", str(path), "--labels", str(labels), "--no-values"]) == 0
    scored = pd.read_csv(io.StringIO(capsys.readouterr().out))
    known = aad.read_labels(labels, data.n_rows)
    expected = aad.AADForest(random_state=0).fit(data.X, known).anomaly_score()
    np.testing.assert_allclose(scored["anomaly_score"], expected, rtol=1e-12)


def test_new_rows_score_as_the_same_rows_of_the_training_table(cards, tmp_path, capsys):
    path, table, labels, _ = cards
    data, model = _learned(path, labels)
    rare = np.flatnonzero((table["merchant_category"] == RARE) & (table["amount"] != ""))
    rows = [int(rare[0]), 17, 3]  # a rare category, in another order than the training table's
    again = tmp_path / "again.csv"
    table.drop(columns=["kind", "is_fraud"]).iloc[rows].to_csv(again, index=False)
    new = aad.load_rows(again, like=data)  # the training table's rarities, hours and amounts
    np.testing.assert_array_equal(new.X, data.X[rows])
    np.testing.assert_allclose(model.anomaly_score(new.X), model.anomaly_score()[rows], rtol=1e-12)
    assert main(["score", str(path), "--labels", str(labels), "--apply", str(again)]) == 0
    scored = pd.read_csv(io.StringIO(capsys.readouterr().out))
    np.testing.assert_allclose(scored["anomaly_score"], model.anomaly_score()[rows], rtol=1e-12)
    assert scored["merchant_category"].tolist() == table["merchant_category"].iloc[rows].tolist()


def test_an_unseen_category_in_new_rows_is_the_rarest_and_said(cards, tmp_path, capsys):
    path, table, labels, _ = cards
    data, model = _learned(path, labels)
    new = table.drop(columns=["kind", "is_fraud"]).iloc[[3, 3]].copy()
    new["merchant_category"] = ["grocery", "gift_cards"]
    new.to_csv(tmp_path / "new.csv", index=False)
    rows = aad.load_rows(tmp_path / "new.csv", like=data)
    j = data.feature_names.index("merchant_category")
    assert rows.X[1, j] == 2 * data.n_rows > data.X[:, j].max()
    assert model.anomaly_score(rows.X)[1] > model.anomaly_score(rows.X)[0]
    assert main(["score", str(path), "--labels", str(labels), "--apply", str(tmp_path / "new.csv")]) == 0
    assert (
        "note: column 'merchant_category': 1 row hold a category the model's data never had ('gift_cards')"
        in (capsys.readouterr().err)
    )


def test_rules_speak_of_categories_hours_and_whole_numbers(cards, capsys):
    path, _, labels, _ = cards
    assert main(["rules", str(path), "--labels", str(labels), "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert f"` merchant_category in {{{RARE}, (new)}} `" in text  # a merchant never seen is rarer still
    assert "` failed_pin_attempts >= 2 `" in text or "timestamp.hour in " in text
    assert "1.5" not in "".join(line for line in text.splitlines() if "failed_pin_attempts" in line)
    data, model = _learned(path, labels)
    description = aad.describe_anomalies(model, data)
    sql = aad.export_rules(description, "sql")
    assert '"merchant_category" NOT IN (' in sql  # a merchant never seen is selected
    assert f"'{RARE}'" not in sql


def test_every_export_selects_the_rule_objects_rows_on_the_original_table(cards, tmp_path):
    path, _table, labels, _ = cards
    data, model = _learned(path, labels)
    description = aad.describe_anomalies(model, data, volume_penalty=2.0)  # larger, mixed rules
    expected = description.mask(data.X_as_read)
    original = data.table()  # numbers as numbers, timestamps as dates: as aad reads the file
    for fmt in ("json", "csv"):
        text = aad.export_rules(description, fmt)
        features = aad.rule_features(text, fmt)
        read = aad.load_rows(path, columns=features)
        got = np.zeros(data.n_rows, dtype=bool)
        for rule in aad.read_rules(text, fmt):
            got |= rule.mask(read.X)
        np.testing.assert_array_equal(got, expected)
    query = aad.export_rules(description, "pandas")
    np.testing.assert_array_equal(original.index.isin(original.query(query).index), expected)
    where = aad.export_rules(description, "sql")
    with duckdb.connect() as connection:
        connection.register("raw", pd.read_csv(path, dtype=str, keep_default_na=False))
        connection.execute(
            "CREATE TABLE t AS SELECT row_number() OVER () - 1 AS row_id, * REPLACE ("
            'CAST("timestamp" AS TIMESTAMP) AS "timestamp", '
            "TRY_CAST(replace(replace(amount, '$', ''), ',', '') AS DOUBLE) AS amount, "
            "CAST(replace(distance_km, ' km', '') AS DOUBLE) AS distance_km, "
            "CAST(failed_pin_attempts AS INTEGER) AS failed_pin_attempts) FROM raw"
        )
        found = [r[0] for r in connection.execute(f"SELECT row_id FROM t WHERE {where}").fetchall()]
    np.testing.assert_array_equal(np.isin(np.arange(data.n_rows), found), expected)
    rules = tmp_path / "rules.json"
    rules.write_text(aad.export_rules(description, "json"))
    out = tmp_path / "selected.csv"
    assert main(["select", str(rules), str(path), "--output", str(out)]) == 0
    assert pd.read_csv(out)["row"].tolist() == np.flatnonzero(expected).tolist()


def test_rules_carry_over_to_new_rows(cards):
    """On a second month of transactions (the same categories), the exported rules select the
    rows the rule objects select on those rows encoded as the training table was."""
    path, _, labels, new = cards
    data, model = _learned(path, labels)
    description = aad.describe_anomalies(model, data, volume_penalty=2.0)
    rows = aad.load_rows(new, like=data)
    expected = description.mask(rows.X_as_read)  # a missing cell satisfies no test
    assert expected.sum() >= 4  # the new month's frauds are found
    for fmt in ("json", "csv"):
        text = aad.export_rules(description, fmt)
        read = aad.load_rows(new, columns=aad.rule_features(text, fmt))
        got = np.zeros(rows.n_rows, dtype=bool)
        for rule in aad.read_rules(text, fmt):
            got |= rule.mask(read.X)
        np.testing.assert_array_equal(got, expected)
    frame = rows.table()
    query = aad.export_rules(description, "pandas")
    np.testing.assert_array_equal(frame.index.isin(frame.query(query).index), expected)


def test_aad_rules_says_how_the_rules_compare_with_the_models_ranking(tmp_path, capsys):
    """Rules describe the anomalies labelled; the model's ranking reaches kinds they do not cover.
    A security analyst's exported rules took 159 of the next day's 288 attack rows where the
    model's top 300 took 280, and nothing said so (helper-50's review). Here 10 large crypto
    payments are labelled; the rule on crypto also takes 10 ordinary ones, and the model ranks 10
    unlabelled payments of 1,000 at the grocery above some of those."""
    rng = np.random.default_rng(0)
    shop = rng.choice(["grocery", "fuel"], 2000, p=[0.8, 0.2]).astype(object)
    amount = rng.normal(50, 10, 2000)
    shop[:20], amount[:10], amount[20:30] = "crypto", rng.normal(300, 5, 10), rng.normal(1000, 5, 10)
    path, labels = tmp_path / "payments.csv", tmp_path / "labels.csv"
    pd.DataFrame({"shop": shop, "amount": amount}).to_csv(path, index=False)
    labels.write_text("row,label\n" + "".join(f"{r},anomaly\n" for r in range(10)))
    assert main(["rules", str(path), "--labels", str(labels), "--format", "sql"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    data, model = _learned(path, labels)
    selected = aad.describe_anomalies(model, data).mask(data.X_as_read)
    n = int(selected.sum())
    shared = int(selected[np.argsort(-model.anomaly_score(data.X), kind="stable")[:n]].sum())
    assert shared < n  # the payments of 1,000 come before the ordinary crypto ones
    said = (
        f"note: the rules select {n:,} of 2,000 rows, and {shared:,} of them ({shared * 100 // n}%) are among"
    )
    assert said in err, err
