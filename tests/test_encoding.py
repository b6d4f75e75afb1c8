"""Real-world columns as features: numbers as people write them, categories, timestamps, ids.

What aad.load_data (the workbench, and the command line) makes of a table, and that new
rows are encoded as the training table was (load_rows(NEW, like=data)).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from cards import KINDS, RARE, card_transactions, write_cards

import aad
from aad.encoding import parse_timestamps, read_numbers


def _load(tmp_path, text: str, **kwargs) -> aad.Dataset:
    path = tmp_path / "t.csv"
    path.write_text(text)
    return aad.load_data(str(path), **kwargs)


# --------------------------------------------------------------------------- numbers as written


@pytest.mark.parametrize(
    ("cells", "expected", "how"),
    [
        (
            ["$4,968.27", "$12.50", "$0.99"],
            [4968.27, 12.5, 0.99],
            "thousands separators and a unit or currency",
        ),
        (["40.95 EUR", "3 EUR", "-"], [40.95, 3.0, np.nan], "a unit or currency (EUR)"),
        (["12 kg", "7.5 kg", "130 kg"], [12.0, 7.5, 130.0], "a unit or currency (kg)"),
        (["1,5", "2,25", "70,933"], [1.5, 2.25, 70.933], "a decimal comma"),  # 1,5 says: commas are decimal
        (["70,933", "1,250.5", "3"], [70933.0, 1250.5, 3.0], "thousands separators"),  # 1,250.5: thousands
        (["1.234,5", "12,25"], [1234.5, 12.25], "thousands separators and a decimal comma"),
        (["1 234 567", "89"], [1234567.0, 89.0], "thousands separators"),
        (["-$5.00", "$-3", "\u22122"], [-5.0, -3.0, -2.0], "a unit or currency ($)"),
        (["5%", "12.5 %"], [5.0, 12.5], "a unit or currency (%)"),
    ],
)
def test_numbers_written_with_separators_units_or_currencies_are_read_with_a_note(cells, expected, how):
    reading = read_numbers(pd.Series(cells, dtype=object), "amount")
    np.testing.assert_array_equal(reading.values, np.array(expected, dtype=float))
    assert how in reading.note("amount").text


def test_a_cell_that_reads_either_way_is_refused_naming_both_readings(tmp_path):
    with pytest.raises(aad.DataError) as refused:
        _load(tmp_path, 'a,b\n"70,933",1\n"1,250",2\n3,4\n')
    message = str(refused.value)
    assert (
        "column 'a' holds '70,933' at row 0 (file line 2): a thousands separator or a decimal comma"
        in message
    )
    assert "70,933 is 70933 or 70.933" in message
    with pytest.raises(aad.DataError, match=r"mixes number formats: '1,5' at row 0 .* has a decimal comma, "):
        _load(tmp_path, 'a,b\n"1,5",1\n"2,345.6",2\n3,4\n')


def test_the_training_columns_separator_reads_new_rows_that_alone_would_be_ambiguous(tmp_path):
    train = _load(tmp_path, 'a,b\n"4,968.27",1\n"12.5",2\n"3",3\n')
    (tmp_path / "new.csv").write_text('a,b\n"70,933",1\n')
    assert aad.load_rows(tmp_path / "new.csv", like=train).X[0, 0] == 70933.0


def test_the_strict_loader_still_refuses_what_the_workbench_reads(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('amount,b\n"$1,234.50",1\n"$3.00",2\n"$4.00",3\n')
    with pytest.raises(aad.DataError, match="column 'amount' is not numeric"):
        aad.load_dataset(path)
    assert aad.load_data(str(path)).X[:, 0].tolist() == [1234.5, 3.0, 4.0]


# --------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("cells", "hours", "weekdays"),
    [
        (["2024-03-02T02:15:00+01:00", "2024-03-04 23:00"], [2, 23], [6, 1]),  # the clock as written
        (["2006-04-01 00:00:00.000 +0200", "2006-04-02 13:00:00.000 +0200"], [0, 13], [6, 7]),
        (["02.03.2024 14:05", "31.12.2024 07:00"], [14, 7], [6, 2]),
        (["12/31/2024 11:30 PM", "1/2/2024 12:00 AM"], [23, 0], [2, 2]),  # month first: 31 says so
    ],
)
def test_timestamps_are_read_as_written_in_several_formats(cells, hours, weekdays):
    times = parse_timestamps(pd.Series(cells, dtype=object)).times
    assert times.dt.hour.tolist() == hours
    assert (times.dt.day_of_week + 1).tolist() == weekdays  # 1 Monday .. 7 Sunday (ISO 8601)


def test_a_timestamp_gives_its_hour_weekday_and_month_and_ambiguous_dates_stay_context(tmp_path):
    rows = "".join(
        f"2024-{1 + i % 3:02d}-{1 + i % 27:02d} {i % 24:02d}:10,{i % 5},03/04/2024\n" for i in range(40)
    )
    data = _load(tmp_path, "ts,a,d\n" + rows)
    assert data.feature_names == ("ts.hour", "ts.weekday", "ts.month", "a")
    assert [s.kind for s in data.specs[:3]] == ["part", "part", "part"]
    assert data.X[5, :3].tolist() == [5.0, pd.Timestamp("2024-03-06").isoweekday(), 3.0]
    assert (
        "column 'd' holds dates such as '03/04/2024', whose day and month cannot be told apart"
        in data.notes[-1]
    )
    assert data.context.columns.tolist() == ["d"]
    only_hour = _load(tmp_path, "ts,a,d\n" + rows, features=["ts.hour", "a"])
    assert only_hour.feature_names == ("ts.hour", "a")
    with pytest.raises(aad.DataError, match="column 'a' does not hold timestamps, so it has no hour"):
        _load(tmp_path, "ts,a,d\n" + rows, features=["a.hour"])


# --------------------------------------------------------------------------- categories and context


def test_a_category_is_encoded_as_its_rarity_and_ids_free_text_and_answers_are_context(tmp_path):
    table = card_transactions(600, seed=3, frauds=5)
    path = tmp_path / "cards.csv"
    table.drop(columns=["kind"]).to_csv(path, index=False)
    data = aad.load_data(str(path))
    assert data.feature_names == (
        "timestamp.hour",
        "timestamp.weekday",
        "merchant_category",
        "channel",
        "amount",
        "failed_pin_attempts",
        "distance_km",
    )
    assert data.context.columns.tolist() == ["txn_id", "card_id", "is_fraud"]
    assert data.answers == ("is_fraud",)
    merchant = data.specs[2]
    counts = table["merchant_category"].value_counts()
    j = data.feature_names.index("merchant_category")
    row = int(np.flatnonzero(table["merchant_category"] == RARE)[0])
    assert data.X[row, j] == 600 / counts[RARE]  # one row in 120 holds it
    assert data.X[:, j].max() == data.X[row, j]  # the rarest value is the most extreme
    assert merchant.count("grocery") == counts["grocery"]
    assert [s.kind for s in data.specs[4:]] == ["number", "integer", "number"]
    assert data.filled is not None
    assert data.filled[:, 4].sum() == (table["amount"] == "").sum()
    notes = "\n".join(data.notes)
    assert (
        "2 columns look like identifiers (named like one, or a whole number of their own in nearly every "
        "row): left out of the features, shown beside the rows; " in notes
    )
    assert "choose them among the features to use them: 'txn_id', 'card_id'" in notes
    assert "'is_fraud' looks like a ground truth (0/1, named like one)" in notes
    assert "2 text columns are categories, each value encoded as its rarity" in notes
    assert (
        "2 columns hold numbers written with separators, a unit or a currency, read as numbers: 'amount'"
        in notes
    )
    assert re.search(r"column 'amount': \d+ missing values filled with the column median", notes)


@pytest.mark.parametrize(
    ("answer", "columns"),
    [
        ("Class", {"Time": None, "V1": None, "Amount": None}),  # the Kaggle card-fraud table
        ("isFraud", {"amount": None, "oldbalanceOrg": None}),  # PaySim, camelCase
    ],
)
def test_the_answer_columns_of_well_known_fraud_tables_are_never_features(tmp_path, answer, columns):
    rng = np.random.default_rng(0)
    y = (np.arange(300) % 50 == 0).astype(int)
    frame = pd.DataFrame({name: rng.normal(size=300) for name in columns} | {answer: y})
    frame.to_csv(tmp_path / "fraud.csv", index=False)
    data = aad.load_data(tmp_path / "fraud.csv")
    assert data.feature_names == tuple(columns)
    assert f"{answer!r} looks like a ground truth" in " ".join(data.notes)
    with pytest.raises(aad.DataError, match=f"{answer!r} looks like one: --label-col {answer}"):
        aad.simulate(data, budget=5, reruns=1)
    assert aad.load_data(tmp_path / "fraud.csv", label_column=answer).y.sum() == 6


def test_a_column_of_dates_with_one_stray_cell_names_the_cell(tmp_path):
    when = pd.date_range("2024-01-01", periods=200, freq="37min").strftime("%Y-%m-%d %H:%M").tolist()
    when[7] = "not a date"
    x = np.random.default_rng(0).normal(size=200)
    pd.DataFrame({"when": when, "x": x}).to_csv(tmp_path / "t.csv", index=False)
    data = aad.load_data(tmp_path / "t.csv")
    assert data.feature_names == ("x",)
    assert data.notes == (
        "column 'when' holds dates, but row 7 (file line 9) holds 'not a date': left out of the features; "
        "fix that value (or make it an empty cell) to use its hour, weekday and month",
    )
    with pytest.raises(aad.DataError, match=r"row 7 \(file line 9\) holds 'not a date'; fix that value"):
        aad.load_data(tmp_path / "t.csv", features=["when", "x"])
    when[7] = ""
    pd.DataFrame({"when": when, "x": x}).to_csv(tmp_path / "t.csv", index=False)
    assert aad.load_data(tmp_path / "t.csv").feature_names[-1] == "x"
    assert "when.hour" in aad.load_data(tmp_path / "t.csv").feature_names


def test_a_category_whose_values_are_equally_common_says_why_it_cannot_separate_rows(tmp_path):
    x = np.random.default_rng(0).normal(size=300)
    pd.DataFrame({"s": ["y", "n"] * 150, "x": x}).to_csv(tmp_path / "t.csv", index=False)
    assert aad.load_data(tmp_path / "t.csv").notes == (
        "column 's' holds its 2 values equally often, so each has the same rarity in every row: it cannot "
        "separate rows",
    )


def test_text_unique_to_each_row_or_the_same_in_every_row_is_shown_not_modelled(tmp_path):
    rows = "".join(f"c{i},{'x' if i % 2 else 'y'},same,{i % 9}\n" for i in range(30))
    data = _load(tmp_path, "code,kind,note,a\n" + rows)
    assert data.feature_names == ("kind", "a")
    assert data.context.columns.tolist() == ["code", "note"]
    chosen = _load(tmp_path, "code,kind,note,a\n" + rows, features=["code", "a"])  # chosen: a category
    assert chosen.specs[0].kind == "category"
    assert "column 'code' holds its 30 values equally often" in " ".join(chosen.notes)  # each value once


def test_new_rows_are_encoded_with_the_training_tables_encoding(tmp_path):
    train = _load(
        tmp_path,
        "c,ts,a\n" + "".join(f"{'ab'[i % 2]},2024-01-0{1 + i % 7} {i % 24}:00,{i % 11}\n" for i in range(40)),
    )
    (tmp_path / "new.csv").write_text("id,a,ts,c\n1,5,2024-02-05 03:00,a\n2,7,2024-02-06 04:00,zz\n3,8,,\n")
    rows = aad.load_rows(tmp_path / "new.csv", like=train)
    spec = train.specs[train.feature_names.index("c")]
    assert rows.feature_names == train.feature_names
    assert rows.X[:, 0].tolist() == [spec.rarity("a"), 2 * 40, 2 * 40]  # unseen (and missing): rarer than any
    assert rows.X[0, 1:3].tolist() == [3.0, 1.0]  # hour, weekday (2024-02-05 is a Monday)
    assert rows.X[2, 1] == np.median(train.X[:, 1])  # a missing timestamp: the training median, said
    notes = " ".join(rows.notes)
    assert "column 'c': 2 rows hold a category the model's data never had ('zz', (missing))" in notes
    assert "share 0, encoded as rarer than any value it had" in notes
    assert rows.table().columns.tolist() == ["id", "c", "ts", "a"]  # as written: the category, the time


def test_a_new_rows_cell_that_is_no_timestamp_is_named_with_its_file_line(tmp_path):
    train = _load(tmp_path, "ts,a\n" + "".join(f"2024-01-0{1 + i % 7} {i % 24}:00,{i}\n" for i in range(40)))
    times = [f"2024-03-0{1 + i % 7} 0{i % 10}:00" for i in range(300)]
    times[217] = "garbage"
    (tmp_path / "new.csv").write_text("ts,a\n" + "".join(f"{t},{i}\n" for i, t in enumerate(times)))
    with pytest.raises(aad.DataError) as caught:
        aad.load_rows(tmp_path / "new.csv", like=train)
    message = str(caught.value)
    assert "column 'ts' holds 'garbage' at row 217 (file line 219), which is no date and time" in message
    assert "or leave the cell empty" in message


def test_new_rows_with_no_row_are_read_with_a_timestamp_feature_and_an_empty_one_is_named(tmp_path):
    """A scheduled job's quiet day (a header, no rows) scores nothing, timestamp feature or not
    (it was refused: "does not hold timestamps"); a timestamp column empty in every row is the
    changed export it looks like, said as for any feature."""
    train = _load(tmp_path, "ts,a\n" + "".join(f"2024-01-0{1 + i % 7} {i % 24}:00,{i}\n" for i in range(40)))
    (tmp_path / "none.csv").write_text("ts,a\n")
    assert aad.load_rows(tmp_path / "none.csv", like=train).n_rows == 0
    (tmp_path / "blank.csv").write_text("ts,a\n,5\n,7\n")
    with pytest.raises(
        aad.DataError, match=r"column 'ts\.hour' is empty in every row, and the model was fitted"
    ):
        aad.load_rows(tmp_path / "blank.csv", like=train)


# --------------------------------------------------------------------------- notes grouped


def test_repeated_notes_are_one_line_on_the_data_and_on_the_command_line(tmp_path, capsys):
    from app.cli import main

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"c{i}": np.full(50, i) for i in range(37)})
    frame["x"], frame["label"] = rng.normal(size=50), ["anomaly"] * 2 + ["nominal"] * 48
    frame.loc[3, "x"] = np.nan
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    notes = aad.load_data(str(path)).notes
    constant = [n for n in notes if "constant" in n]
    assert constant == [
        "37 columns are constant (the same value in every row), so they cannot separate rows: 'c0' (0), "
        "'c1' (1), 'c2' (2), 'c3' (3), 'c4' (4), 'c5' (5), 'c6' (6), 'c7' (7) and 29 more"
    ]
    assert main(["simulate", str(path), "--budget", "2", "--reruns", "1"]) == 0
    err = capsys.readouterr().err
    assert err.count("note: ") == 2  # the constant columns, the filled cell
    assert "note: 37 columns are constant" in err


# --------------------------------------------------------------------------- a rare category is found


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_fraud_unusual_only_by_its_rare_category_ranks_in_the_forests_top(tmp_path, seed):
    """20 purchases at a crypto exchange among 5,000 transactions, ordinary in every other
    way: the rare category alone puts them in the top 5 % of the isolation forest's ranking;
    without the category column they rank with everybody else."""
    path, table = write_cards(tmp_path, 5000, seed=seed)
    data = aad.load_data(str(path))
    rare = np.flatnonzero(table["kind"] == "rare category")

    def ranks(dataset) -> np.ndarray:
        scores = aad.AADForest(random_state=seed).fit(dataset.X).anomaly_score()
        rank = np.empty(len(scores), dtype=np.int64)
        rank[np.argsort(-scores)] = np.arange(1, len(scores) + 1)
        return rank[rare]

    with_category = ranks(data)
    without = ranks(
        aad.select_columns(data, features=[f for f in data.feature_names if f != "merchant_category"])
    )
    assert np.median(with_category) <= 250, np.sort(with_category)  # the top 5 %
    assert (with_category <= 500).mean() >= 0.75
    assert np.median(without) > 1000, np.sort(without)  # nothing else about them is unusual
    assert set(KINDS) == set(table["kind"]) - {""}


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("TransactionID", 2_987_000 + np.arange(200)),  # camelCase, as the IEEE-CIS fraud table names it
        ("userId", np.arange(200) * 7),
        ("Order No.", np.random.default_rng(0).permutation(200) + 5_000),
        ("invoice_number", np.random.default_rng(1).permutation(200) * 13),
        ("reference", 100_000 + np.random.default_rng(2).permutation(200)),  # a run of row numbers, shuffled
        ("card", 4_000_000_000_000_000 + np.random.default_rng(3).integers(0, 10**12, 200)),
    ],
)
def test_whole_numbers_that_identify_rows_are_context_not_features(name, values):
    """An id is no measurement: as a feature its ends would look isolated. Found by a camelCase
    name, a number-like name with nearly every value its own, a run of row numbers, or 16 digits."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({name: values, "amount": rng.normal(50, 5, 200).round(2)})
    data = aad.dataset_from_frame(frame, non_numeric="encode")
    assert data.feature_names == ("amount",)
    assert name in data.context.columns
    assert any(f"column {name!r} looks like an identifier" in note for note in data.notes)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("n_items", np.random.default_rng(0).integers(1, 9, 200)),  # a count: its values repeat
        ("amount_cents", np.random.default_rng(1).permutation(200) * 250),  # own values, a wide range
        ("floor_number", np.random.default_rng(2).integers(0, 30, 200)),  # named like a number, repeats
        ("paid", np.random.default_rng(3).integers(0, 1000, 200)),  # 'id' inside a word
    ],
)
def test_whole_number_measurements_stay_features(name, values):
    frame = pd.DataFrame({name: values, "amount": np.random.default_rng(4).normal(50, 5, 200).round(2)})
    assert aad.dataset_from_frame(frame, non_numeric="encode").feature_names == (name, "amount")


def test_a_year_in_a_yearly_table_stays_a_feature():
    """30 years, one row each: distinct whole numbers in a run, as row numbers are, yet a measure;
    a run of row numbers is told from it by its length (100 rows or more)."""
    frame = pd.DataFrame({"year": 1990 + np.arange(30), "gdp": np.random.default_rng(0).normal(size=30)})
    assert aad.dataset_from_frame(frame, non_numeric="encode").feature_names == ("year", "gdp")


def test_dots_in_a_table_of_decimal_commas_separate_thousands(tmp_path):
    """A German export: ``menge`` holds 800 and 25.592 (25,592), ``preis`` 48,70. pandas reads
    25.592 as a decimal; the table's decimal commas say its dots separate thousands."""
    text = "kiste;menge;preis\n" + "".join(
        f"{i % 7};{f'{800 + 997 * i:,}'.replace(',', '.')};{f'{i % 50 + 0.25:.2f}'.replace('.', ',')}\n"
        for i in range(40)
    )
    data = _load(tmp_path, text)
    menge = data.X[:, data.feature_names.index("menge")]
    assert menge.tolist() == [800 + 997 * i for i in range(40)]
    assert "'menge' ('1.797' is 1797)" in " ".join(data.notes)


def test_dots_in_a_table_of_both_decimal_marks_are_read_as_decimals_and_said(tmp_path):
    text = "a;menge;preis\n" + "".join(
        f"{i / 8:.3f};{f'{800 + 997 * i:,}'.replace(',', '.')};{f'{i % 50 + 0.25:.2f}'.replace('.', ',')}\n"
        for i in range(40)
    )
    data = _load(tmp_path, text)
    assert data.X[1, data.feature_names.index("menge")] == 1.797  # as written: ambiguous, so said
    said = "column 'menge' holds cells such as '1.797', read with a decimal point, in a table that also"
    assert any(note.startswith(said) for note in data.notes)


def test_one_long_cell_neither_pads_the_column_nor_reads_as_a_number():
    """A 20 kB cell among 3,000 numbers: read as the text it is (a stray cell), in memory that
    grows with the cells' own sizes (a fixed-width array padded every cell to 20 kB: 240 MB)."""
    import tracemalloc

    cells = pd.Series([f"{i}.5" for i in range(3000)], dtype=object)
    cells.iloc[4] = "7" * 20_000 + "x"
    tracemalloc.start()
    reading = read_numbers(cells, "b")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert reading.stray == 4
    assert np.isfinite(reading.values[np.arange(3000) != 4]).all()
    assert peak < 30_000_000


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            ["23/06/24 09:02", "01/07/24 13:30"],
            ["2024-06-23 09:02", "2024-07-01 13:30"],
        ),  # day first, 2-digit year
        (["Jun 23, 2024 09:02 AM", "Jul 1, 2024 01:30 PM"], ["2024-06-23 09:02", "2024-07-01 13:30"]),
        (["23 Jun 2024", "1-Sept-2024 14:00"], ["2024-06-23 00:00", "2024-09-01 14:00"]),
    ],
)
def test_dates_with_two_digit_years_or_month_names_are_timestamps(cells, expected):
    reading = parse_timestamps(pd.Series(cells))
    assert reading.times.tolist() == [pd.Timestamp(t) for t in expected]


@pytest.mark.parametrize("cells", [["1.2.3", "4.5.6"], ["Foo 12, 2024", "Bar 1, 2024"], ["Rome", "Paris"]])
def test_version_numbers_and_words_are_no_dates(cells):
    assert parse_timestamps(pd.Series(cells)) is None


def test_an_accountants_negative_numbers_in_brackets_are_read_and_said():
    """(92.61) is -92.61 in a finance export; the column is kept (it was left out for a stray cell)."""
    reading = read_numbers(pd.Series(["12.50", "(92.61)", "$1,234.50", "($1,234.50)", "(3)", "-"]), "amt")
    assert reading.values[:5].tolist() == [12.5, -92.61, 1234.5, -1234.5, -3.0]
    assert reading.stray is None
    assert "negative numbers in brackets" in reading.note("amt").text
    comma = read_numbers(pd.Series(["1,5", "(2,25)", "3"]), "w")
    assert comma.values.tolist() == [1.5, -2.25, 3.0]
    assert read_numbers(pd.Series(["(a)", "(-3)", "b"]), "c").stray == 0  # no number, or two signs: text


def test_a_unit_in_some_cells_and_not_others_is_said():
    """21% beside 0.21: read as written (21 and 0.21), and the note says how many cells lack the unit."""
    reading = read_numbers(pd.Series(["21%", "0.21", "5%", "0.3"]), "rate")
    assert reading.values.tolist() == [21.0, 0.21, 5.0, 0.3]
    assert "2 cells have no unit ('0.21'), compared as written" in reading.note("rate").text
    assert "no unit" not in read_numbers(pd.Series(["$3", "$4"]), "amount").note("amount").text


def test_a_bracketed_whole_number_beside_decimal_commas_keeps_its_size():
    """(92) beside 2,25: -92, not -920 (the dot of Python's 92.0 read as a thousands separator);
    (inf) is no number."""
    reading = read_numbers(pd.Series(["(92)", "(2,25)", "3,5", "(1e3)"]), "amt")
    assert reading.values.tolist() == [-92.0, -2.25, 3.5, -1000.0]
    assert "thousands" not in reading.note("amt").text
    assert read_numbers(pd.Series(["(inf)", "3"]), "amt").stray == 0


def test_a_currency_column_of_undecided_dots_in_a_table_of_both_marks_loads(tmp_path):
    """1.234 EUR in a table writing 1,5 and 2.5 elsewhere: loaded, read as written, and said."""
    text = "a;b;c\n1,5;2.5;1.234 EUR\n2,5;3.5;2.345 EUR\n3,5;4.5;12 EUR\n4,5;5.5;5 EUR\n"
    data = _load(tmp_path, text)
    assert data.X[:, data.feature_names.index("c")].tolist() == [1.234, 2.345, 12.0, 5.0]
    assert any("'1.234 EUR', read with a decimal point" in note for note in data.notes)


def test_codes_written_with_leading_zeros_are_categories_as_written(tmp_path):
    """A ZIP code ``02134`` (every cell five digits, some starting with 0) is a code, not the number
    2134: a category whose values show and match as written, in new rows too, in a CSV or in
    Parquet; quantities written ``007`` beside ``12`` and ``3`` stay numbers."""
    zips = ["02134", "10001", "94105", "07030", "60601"]
    rows = [
        f"{i % 7}.5,{zips[i % 5] if i != 4 else ''},{'007' if i == 3 else i % 13},x{i}" for i in range(200)
    ]
    data = _load(tmp_path, "amount,zip,qty,ref\n" + "\n".join(rows) + "\n")
    specs = {spec.name: spec for spec in data.specs}
    assert specs["zip"].kind == "category"
    assert {value for value, _ in specs["zip"].levels} == {*zips[:4], None, "60601"}
    assert specs["qty"].kind == "integer"
    note = next(n for n in data.notes if n.startswith("column 'zip'"))
    assert note.startswith("column 'zip' holds codes written with leading zeros ('02134'), read as text")
    new = tmp_path / "new.csv"
    new.write_text("amount,zip,qty,ref\n1.5,02134,3,y\n1.5,2134,3,y\n")
    X = aad.load_rows(new, like=data).X
    column = data.feature_names.index("zip")
    assert X[0, column] == data.X[0, column]  # 02134, as in the training rows
    assert X[1, column] > data.X[:, column].max()  # 2134: a code the data never had
    frame = pd.read_csv(tmp_path / "t.csv", dtype=str)
    frame.to_parquet(tmp_path / "data.parquet")  # text in Parquet: the same codes
    parquet = aad.load_data(tmp_path / "data.parquet")
    np.testing.assert_array_equal(parquet.X, data.X)


def test_a_time_of_day_alone_gives_its_hour(tmp_path):
    """A column of clock times without a date (``09:30``, ``2:15 PM``) gives its hour as a
    feature, in new rows too; ``25:10`` is no time of day, so that column stays text."""
    rows = [f"{i % 7}.5,{i % 24:02d}:{i * 7 % 60:02d},{i % 30 + 20}:10" for i in range(120)]
    data = _load(tmp_path, "amount,at,lap\n" + "\n".join(rows) + "\n")
    assert data.feature_names == ("amount", "at.hour", "lap")
    assert data.X[:, 1].tolist() == [float(i % 24) for i in range(120)]
    assert data.sources["at"].iloc[3] == "03:21"  # shown and searched as written, not as a made-up date
    new = tmp_path / "new.csv"
    new.write_text("amount,at,lap\n1.5,2:15 PM,20:10\n1.5,23:59:59,21:10\n")
    rows = aad.load_rows(new, like=data)
    assert rows.X[:, 1].tolist() == [14.0, 23.0]
    assert rows.sources["at"].tolist() == ["2:15 PM", "23:59:59"]  # as written, as in the table's own rows


def test_whole_numbers_with_dots_every_three_digits_are_thousands_in_a_european_file(tmp_path):
    """A German export of whole euros (``20.972`` beside ``543``, semicolons) has its dots read
    as thousands separators, with a note; dotted cells alone say nothing, so they are read as
    written and a note says so; a comma-delimited file's ``1.123`` stays a decimal, unremarked."""
    amounts = [f"{20 + i}.{972 - i}" if i % 3 else str(7 * i) for i in range(60)]
    data = _load(
        tmp_path, "Betrag;Stunde\n" + "\n".join(f"{a};{i % 24}" for i, a in enumerate(amounts)) + "\n"
    )
    assert data.X[:3, 0].tolist() == [0.0, 21971.0, 22970.0]
    assert "column 'Betrag' holds numbers written with thousands separators ('21.971' is read as 21971)" in (
        data.notes
    )
    dotted = _load(
        tmp_path, "Betrag;Stunde\n" + "\n".join(f"{20 + i}.{972 - i};{i % 24}" for i in range(60)) + "\n"
    )
    assert dotted.X[0, 0] == 20.972
    assert dotted.notes[0].startswith(
        "column 'Betrag' holds cells such as '20.972', read with a decimal point"
    )
    english = _load(tmp_path, "x,y\n" + "\n".join(f"{1 + i % 9}.{123 + i},{i}" for i in range(60)) + "\n")
    assert english.X[0, 0] == 1.123
    assert english.notes == ()


def test_sap_writes_the_minus_after_a_negative_number():
    """``41,21-`` (SAP's export) is -41.21, said in a note; two signs are no number."""
    reading = read_numbers(pd.Series(["41,21-", "1.234,56", "3,5"]), "Betrag")
    assert reading.values.tolist() == [-41.21, 1234.56, 3.5]
    assert "a minus sign after negative numbers ('41,21-' is read as -41.21)" in reading.note("Betrag").text
    assert read_numbers(pd.Series(["-41,21-", "3,5"]), "Betrag").n_stray == 1


def test_dates_written_two_ways_are_each_read_in_their_own(tmp_path):
    """A column of ``31.12.2024`` with, every seventh row, ``2024-12-31`` (two systems' exports
    pasted together) gives its weekday and month, each cell read in its own style; it was a
    category of 183 values."""
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    cells = [d.strftime("%Y-%m-%d") if i % 7 == 0 else d.strftime("%d.%m.%Y") for i, d in enumerate(days)]
    data = _load(
        tmp_path, "amount;booked\n" + "\n".join(f"{i % 5},5;{c}" for i, c in enumerate(cells)) + "\n"
    )
    assert data.feature_names == ("amount", "booked.weekday", "booked.month")
    assert data.X[:, 1].tolist() == [float(d.day_of_week + 1) for d in days]
    assert data.X[:, 2].tolist() == [float(d.month) for d in days]


def test_a_category_note_cuts_a_long_rarest_value_as_a_screen_shows_it(tmp_path):
    long = "very-long-value-" * 20  # 320 characters, printed whole on the Data page and the sidebar
    path = tmp_path / "t.csv"
    pd.DataFrame({"c": ["a"] * 30 + ["b"] * 20 + [long] * 5, "x": range(55)}).to_csv(path, index=False)
    note = next(n for n in aad.load_data(path).notes if "is a category" in n)
    assert f"the rarest, '{long[:39]}…', in 5 rows" in note


def _calls(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    seconds = rng.integers(30, 3000, n)
    seconds[-5:] = 26 * 3600 + np.arange(5)  # calls of more than a day
    return pd.DataFrame({"amount": rng.normal(50, 5, n).round(2), "seconds": seconds})


def test_durations_written_as_text_are_read_as_seconds(tmp_path):
    """Review 21 (8): `0 days 00:22:41` (pandas, databases) was a category of 1,249 values, and
    `26:03:10` no time at all; now both are seconds, with a note, and times of day stay times."""
    frame = _calls()
    seconds = frame.pop("seconds")
    frame["call"] = pd.to_timedelta(seconds, unit="s").astype(str)  # 0 days 00:22:41, 1 days 02:00:00
    frame["hms"] = [f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" for s in seconds]  # 26:00:00
    frame["opened"] = [f"{9 + i % 8:02d}:{i % 60:02d}" for i in range(len(frame))]  # a time of day
    frame.loc[3, "call"] = ""  # a missing duration
    frame.to_csv(tmp_path / "calls.csv", index=False)
    data = aad.load_data(str(tmp_path / "calls.csv"))
    specs = {spec.name: spec for spec in data.specs}
    assert specs["call"].duration
    assert specs["hms"].duration
    assert specs["opened.hour"].kind == "part"
    known = np.arange(len(frame)) != 3
    np.testing.assert_array_equal(data.X_as_read[known, data.feature_names.index("call")], seconds[known])
    np.testing.assert_array_equal(data.X_as_read[:, data.feature_names.index("hms")], seconds)
    said = " ".join(data.notes)
    assert "2 columns hold durations, read as seconds and compared as durations: 'call' ('0 days" in said
    assert data.table()["hms"].iloc[-1] == pd.Timedelta(hours=26, seconds=4)


def test_new_rows_of_a_duration_column_are_durations_whatever_their_hours(tmp_path):
    """A column learned as durations reads new rows' 00:45:10 as a duration, not a time of day;
    a cell that is no duration is refused, naming it."""
    frame = _calls()
    frame["hms"] = [f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" for s in frame.pop("seconds")]
    frame.to_csv(tmp_path / "calls.csv", index=False)
    data = aad.load_data(str(tmp_path / "calls.csv"))
    (tmp_path / "new.csv").write_text("amount,hms\n50.5,0:45:10\n49.1,1 days 00:00:01\n")
    new = aad.load_rows(str(tmp_path / "new.csv"), like=data)
    assert new.X[:, data.feature_names.index("hms")].tolist() == [2710.0, 86401.0]
    (tmp_path / "bad.csv").write_text("amount,hms\n50.5,0:45:10\n49.1,soon\n")
    with pytest.raises(aad.DataError, match=r"column 'hms' holds 'soon' at .*which is no duration"):
        aad.load_rows(str(tmp_path / "bad.csv"), like=data)


def test_a_decimal_comma_export_keeps_a_column_with_a_number_in_e_notation(tmp_path):
    """pandas' to_csv(sep=";", decimal=",") writes 8.6e-05 as 8,6e-05: one such cell left the
    whole column out of the features (a researcher's table lost a feature and found 6, not 9)."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    frame.loc[7, "b"] = 8.611202287552789e-05
    frame.loc[9, "a"] = -1.5e12
    path = tmp_path / "semi.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    assert "8,611202287552789e-05" in path.read_text()  # as the export writes it
    data = aad.load_data(str(path))
    assert data.feature_names == ("a", "b")
    np.testing.assert_allclose(data.X, frame[["a", "b"]].to_numpy(), rtol=1e-12)
