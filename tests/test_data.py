"""Loading and validating tables: shipped names, files, and every bad-input message."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from bad_inputs import BAD_INPUTS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import aad
from aad.data import validate_matrix


def write(tmp_path, text: str | bytes, name: str = "data.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_shipped_datasets_have_their_documented_sizes():
    sizes = {
        name: (aad.load_dataset(name).n_rows, aad.load_dataset(name).n_anomalies)
        for name in aad.list_datasets()
    }
    assert sizes == {
        "abalone": (1920, 29),
        "ann_thyroid_1v3": (3251, 73),
        "cardiotocography_1": (1700, 45),
        "mammography": (11183, 260),
        "shuttle_1v23567": (12345, 867),
        "toy2": (485, 35),
        "yeast": (1191, 55),
    }


def test_label_column_is_detected_by_name_and_excluded_from_features():
    ds = aad.load_dataset("mammography")
    assert ds.label_column == "ground.truth"
    assert "ground.truth" not in ds.feature_names
    assert ds.n_features == 6


@pytest.mark.parametrize(
    ("values", "expected"), [(["1", "0"], [True, False]), (["true", "FALSE"], [True, False])]
)
def test_label_vocabularies(tmp_path, values, expected):
    path = write(tmp_path, f"a,b,label\n1,2,{values[0]}\n3,5,{values[1]}\n")
    assert aad.load_dataset(path).y.tolist() == expected


def test_named_label_column_and_no_label_column(tmp_path):
    path = write(tmp_path, "truth,a\nanomaly,1\nnominal,2\nnominal,4\n")
    assert aad.load_dataset(path, label_column="truth").y.tolist() == [True, False, False]
    with pytest.raises(aad.DataError, match=r"column 'truth' is not numeric: row 0 .* 'anomaly'"):
        aad.load_dataset(path, label_column=None)


def test_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["nominal", "anomaly", "nominal"]})
    frame.to_parquet(tmp_path / "t.parquet")
    ds = aad.load_dataset(tmp_path / "t.parquet")
    assert ds.X[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert ds.y.tolist() == [False, True, False]


def test_semicolon_delimiter_is_detected(tmp_path):
    ds = aad.load_dataset(write(tmp_path, "a;b\n1;2\n3;4\n5;6\n"))
    assert ds.feature_names == ("a", "b")
    assert ds.X.shape == (3, 2)


def test_missing_values_are_filled_and_reported(tmp_path):
    ds = aad.load_dataset(write(tmp_path, "a,b\n1,10\n,20\n3,30\n"))
    assert ds.X[1, 0] == 2.0
    assert ds.notes == ("column 'a': 1 missing value filled with the column median 2",)


def test_constant_column_is_kept_and_reported(tmp_path):
    ds = aad.load_dataset(write(tmp_path, "a,b\n1,5\n2,5\n3,5\n"))
    assert any("column 'b' is constant" in note for note in ds.notes)


def test_fingerprint_depends_on_values():
    a = aad.dataset_from_frame(pd.DataFrame({"x": [1.0, 2.0]}))
    b = aad.dataset_from_frame(pd.DataFrame({"x": [1.0, 2.5]}))
    assert a.fingerprint != b.fingerprint
    assert a.fingerprint == aad.dataset_from_frame(pd.DataFrame({"x": [1.0, 2.0]})).fingerprint


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.name for b in BAD_INPUTS])
def test_bad_files_get_a_clear_message(tmp_path, monkeypatch, bad):
    for key, value in bad.env:
        monkeypatch.setenv(key, value)
    path = bad.write(tmp_path)
    if bad.repairable:
        assert any(re.search(bad.message, note) for note in aad.load_dataset(path).notes)
    else:
        with pytest.raises(aad.DataError, match=bad.message):
            aad.load_dataset(path)


def test_empty_label_cell(tmp_path):
    path = write(tmp_path, b"a,label\n1,anomaly\n2,\n")
    with pytest.raises(aad.DataError, match=r"label column 'label' holds an empty cell at row 1"):
        aad.load_dataset(path, label_column="label")  # named: its cells must be labels


def test_a_column_named_label_that_holds_no_labels_loads_the_table_without_a_ground_truth(tmp_path):
    """``label`` of fraud/ok/blank (a truth in other words, partly filled): found by its name, it
    cannot be read as labels, so the table loads without a ground truth, the column is no
    feature, and a note says why and how to use it; named with its anomaly value, it is read."""
    path = write(tmp_path, b"a,label\n1,fraud\n2,ok\n3,\n4,ok\n")
    assert aad.load_dataset(path).feature_names == ("a",)
    dropped = aad.load_dataset(path, non_numeric="drop")
    assert len(dropped.notes) == 1  # one note, not a second one offering it as the ground truth
    data = aad.load_data(str(path))  # as the command line and the workbench read a file
    assert data.y is None
    assert data.label_column is None
    assert data.feature_names == ("a",)
    assert list(data.context.columns) == ["label"]
    assert len(data.notes) == 1
    assert "'label' is named like a ground truth, but holds 'fraud' at row 0 (file line 2)" in data.notes[0]
    assert "--anomaly-value" in data.notes[0]
    with pytest.raises(aad.DataError, match=r"empty cell at row 2 .*fill it in, or .*--label-col none"):
        aad.load_dataset(path, label_column="label", anomaly_value="fraud")
    path.write_bytes(b"a,label\n1,fraud\n2,ok\n3,ok\n4,ok\n")
    assert aad.load_dataset(path, label_column="label", anomaly_value="fraud").y.tolist() == [1, 0, 0, 0]


def test_table_of_only_a_label_column(tmp_path):
    with pytest.raises(aad.DataError, match="no feature columns"):
        aad.load_dataset(write(tmp_path, b"label\nanomaly\nnominal\n"))


def test_feature_selection(tmp_path):
    path = write(tmp_path, b"a,b,c,label\n1,2,x,0\n3,4,y,1\n")
    ds = aad.load_dataset(path, features=["b", "a"])
    assert ds.feature_names == ("b", "a")
    assert ds.X[0].tolist() == [2.0, 1.0]
    with pytest.raises(aad.DataError, match="there is no column 'z' to use as a feature"):
        aad.load_dataset(path, features=["z"])
    with pytest.raises(aad.DataError, match="cannot be both the label column and a feature"):
        aad.load_dataset(path, features=["a", "label"])


def test_width_limit_is_configurable(tmp_path, monkeypatch):
    path = write(tmp_path, b"a,b,c\n1,2,3\n4,5,6\n")
    with pytest.raises(aad.DataError, match="3 feature columns, more than the limit of 2"):
        aad.load_dataset(path, max_features=2)
    monkeypatch.setenv("AAD_MAX_FEATURES", "2")
    with pytest.raises(aad.DataError, match="limit of 2"):
        aad.load_dataset(path)


def test_parquet_that_is_really_csv(tmp_path):
    with pytest.raises(aad.DataError, match=r"is not a Parquet file .* rename it to \.csv"):
        aad.load_dataset(write(tmp_path, "a,b\n1,2\n3,4\n", name="t.parquet"))


def test_size_limit(tmp_path):
    with pytest.raises(aad.DataError, match="over the limit of"):
        aad.load_dataset(write(tmp_path, "a,b\n" + "1,2\n" * 1000), max_bytes=100)


@pytest.mark.parametrize("name", ["nosuch", "../datasets/toy2", "/etc/passwd.csv", "toy2.csv"])
def test_unknown_names_and_paths(name):
    with pytest.raises(aad.DataError, match=r"no shipped dataset or file|does not exist"):
        aad.load_dataset(name)


def test_missing_named_label_column(toy2):
    with pytest.raises(
        aad.DataError, match="there is no label column 'truth'; the columns are 'label', 'x', 'y'"
    ):
        aad.load_dataset("toy2", label_column="truth")


@pytest.mark.parametrize(
    ("X", "kwargs", "message"),
    [
        ([1.0, 2.0], {}, "must be 2-D"),
        ([[1.0, np.nan], [2.0, 3.0]], {}, "holds nan at row 0, column 1"),
        ([[1.0, 2.0], [3.0, -1e39]], {}, r"holds -1e\+39 at row 1, column 1, beyond .*float32"),
        ([[1.0, 2.0]], {}, "at least 2 are needed"),
        ([["a", "b"], ["c", "d"]], {}, "numeric 2-D array"),
    ],
)
def test_validate_matrix(X, kwargs, message):
    with pytest.raises(aad.DataError, match=message):
        validate_matrix(X, **kwargs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list('ab,;\n\t"x1.-e 0\r')), max_size=200))
@example(text="0\t\r0")  # a bare carriage return ends a line for pandas and for the short-row check
@example(text="a,b\r1,2\r3\r")
@example(text=";\r0;")  # a row index dropped, then a trailing delimiter: was an IndexError
def test_any_csv_text_loads_or_raises_our_error(tmp_path, text):
    path = tmp_path / "fuzz.csv"
    path.write_text(text)
    try:
        ds = aad.load_dataset(path)
    except aad.DataError:
        return
    assert ds.X.ndim == 2
    assert ds.n_rows >= 2
    assert np.isfinite(ds.X).all()


def test_features_and_the_label_column_are_found_despite_spaces_around_their_names(tmp_path):
    path = write(tmp_path, " a , b , truth \n1,2,anomaly\n2,3,nominal\n3,5,nominal\n")
    ds = aad.load_dataset(path, label_column="truth", features=["b"])
    assert ds.feature_names == (" b ",)
    assert ds.y.tolist() == [True, False, False]
    with pytest.raises(
        aad.DataError, match=r"no column 'q' to use as a feature; the columns are ' a ', ' b '"
    ):
        aad.load_dataset(path, label_column="truth", features=["q"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n_rows=st.integers(2, 30),
    bad_row=st.integers(0, 29),
    blanks=st.lists(st.integers(0, 31), max_size=6),
    newline=st.sampled_from(["\n", "\r\n"]),
    quoted=st.booleans(),
)
def test_an_error_names_the_file_line_the_bad_value_is_on(tmp_path, n_rows, bad_row, blanks, newline, quoted):
    bad_row %= n_rows
    rows = [f"{i},{'x' if i == bad_row else i * 2}" for i in range(n_rows)]
    if quoted:  # a quoted field spanning two lines in the first row
        rows[0] = f'{rows[0]},"two{newline}lines"'
        rows[1:] = [f"{r},plain" for r in rows[1:]]
    lines = ["a,b" + (",note" if quoted else ""), *rows]
    for position in sorted(blanks, reverse=True):  # blank lines anywhere after the header
        lines.insert(min(1 + position, len(lines)), "")
    text = newline.join(lines) + newline
    path = write(tmp_path, text)
    physical = text.replace("\r\n", "\n").split("\n")
    expected = next(i for i, line in enumerate(physical, start=1) if line.startswith(f"{bad_row},x"))
    with pytest.raises(aad.DataError, match=rf"row {bad_row} \(file line {expected}\) holds 'x'"):
        aad.load_dataset(path, features=["b"])


def test_a_parquet_index_with_a_name_is_a_column_an_unnamed_one_is_not(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"temp": rng.normal(size=20), "pressure": rng.normal(size=20)})
    frame.set_index(pd.Index(rng.normal(size=20), name="flow")).to_parquet(tmp_path / "named.parquet")
    frame.iloc[5:].to_parquet(tmp_path / "filtered.parquet")  # keeps its row numbers 5..19 as index
    assert aad.load_dataset(tmp_path / "named.parquet").feature_names == ("flow", "temp", "pressure")
    filtered = aad.load_dataset(tmp_path / "filtered.parquet")
    assert filtered.feature_names == ("temp", "pressure")
    assert filtered.n_rows == 15


def test_new_rows_find_columns_despite_spaces_and_refuse_a_string_of_names(tmp_path):
    (tmp_path / "new.csv").write_text(" a , b \n1,2\n3,4\n")
    train = aad.dataset_from_frame(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 5.0]}))
    assert aad.load_rows(tmp_path / "new.csv", like=train).X.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(aad.DataError, match=r"columns must be a list of column names; got the string 'ab'"):
        aad.load_rows(tmp_path / "new.csv", columns="ab")
    with pytest.raises(aad.DataError, match="list 'a' twice"):
        aad.load_rows(tmp_path / "new.csv", columns=["a", "a"])


def test_a_path_is_read_and_a_dataframe_is_sent_to_its_own_door(tmp_path):
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 5.0, 4.0]}).to_csv(tmp_path / "t.csv", index=False)
    assert aad.load_data(tmp_path / "t.csv").feature_names == ("a", "b")
    door = r"got a value of type DataFrame; for a DataFrame use aad.dataset_from_frame\(frame\)"
    with pytest.raises(aad.DataError, match=door):
        aad.load_data(pd.DataFrame({"a": [1.0]}))
    like = aad.load_data(tmp_path / "t.csv")  # new rows in a DataFrame: read as a file's, by name
    assert aad.load_rows(pd.DataFrame({"b": [1.0], "a": [2.0]}), like=like).X.tolist() == [[2.0, 1.0]]
    with pytest.raises(aad.DataError, match=r"the DataFrame has no column 'b' \(its columns: 'a'\)"):
        aad.load_rows(pd.DataFrame({"a": [1.0]}), like=like)


def test_a_parquet_file_naming_a_column_twice_is_refused_naming_it(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table([pa.array([1.0, 2.0, 3.0])] * 3, names=["x", "x", "y"])
    pq.write_table(table, tmp_path / "dup.parquet")
    with pytest.raises(
        aad.DataError, match=r"^column name 'x' appears twice \(columns 1 and 2\); rename one"
    ):
        aad.load_data(tmp_path / "dup.parquet")


def test_an_empty_column_is_left_out_with_a_note_unless_asked_for(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,notes\n1,2,\n3,4,\n5,7,\n2,2,\n")
    data = aad.load_data(tmp_path / "t.csv")
    assert data.feature_names == ("a", "b")
    assert data.notes == ("column 'notes' is empty (every value is missing): left out",)
    with pytest.raises(aad.DataError, match=r"'notes' is empty .*; leave it out of the features"):
        aad.load_data(tmp_path / "t.csv", features=["a", "notes"])


def test_a_column_the_forest_cannot_hold_is_left_out_and_shown_unless_asked_for(tmp_path):
    """One unused column of -1e300 (or inf) no longer blocks the table: the workbench has no
    --features option to leave it out before the Data page can."""
    (tmp_path / "t.csv").write_text("a,b,huge,inf_col\n1,2,5,1\n3,4,-1e300,inf\n5,7,2,2\n2,2,1,3\n")
    data = aad.load_data(tmp_path / "t.csv")
    assert data.feature_names == ("a", "b")
    assert list(data.context.columns) == ["huge", "inf_col"]  # shown beside the rows
    (note,) = data.notes
    assert note.startswith("2 columns of numbers hold an infinite value or a magnitude beyond")
    assert "'huge' (row 1 holds -1e+300), 'inf_col' (row 1 holds inf)" in note
    with pytest.raises(aad.DataError, match=r"column 'huge' holds -1e\+300 at row 1 \(file line 3\), beyond"):
        aad.load_data(tmp_path / "t.csv", features=["a", "huge"])


def test_a_model_refuses_a_frame_that_names_a_column_twice():
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 3)), columns=["a", "a", "c"])
    with pytest.raises(aad.DataError, match="names the column 'a' twice"):
        aad.AADForest(random_state=0).fit(frame)


def test_the_workbench_keeps_ids_answers_and_dates_out_of_the_features(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "customer_id": rng.permutation(40),
            "ts": pd.date_range("2024-01-01", periods=40, freq="h"),
            "amount": rng.normal(size=40),
            "is_fraud": (np.arange(40) == 3).astype(int),
            "is_weekend": (np.arange(40) % 7 < 2).astype(int),  # a 0/1 measurement: kept
        }
    )
    frame.to_parquet(tmp_path / "txn.parquet")
    data = aad.load_dataset(tmp_path / "txn.parquet", non_numeric="drop")
    assert data.feature_names == ("amount", "is_weekend")
    assert list(data.context.columns) == ["customer_id", "ts", "is_fraud"]
    notes = " ".join(data.notes)
    assert "'customer_id' looks like an identifier" in notes
    assert "'ts' holds dates or times" in notes
    assert "'is_fraud' looks like a ground truth" in notes
    with pytest.raises(aad.DataError, match="column 'ts' holds dates or times, not numbers"):
        aad.load_dataset(tmp_path / "txn.parquet", features=["ts", "amount"])
    chosen = aad.load_data(
        str(tmp_path / "txn.parquet"), features=["amount", "customer_id"], label_column="is_fraud"
    )
    assert chosen.feature_names == ("amount", "customer_id")
    assert chosen.n_anomalies == 1
    assert not [n for n in chosen.notes if "customer_id" in n or "is_fraud" in n]  # chosen after all
    workbench = aad.load_data(str(tmp_path / "txn.parquet"))  # a timestamp's parts are features there
    assert workbench.feature_names == ("ts.hour", "ts.weekday", "amount", "is_weekend")
    assert list(workbench.context.columns) == ["customer_id", "is_fraud"]
    assert workbench.answers == ("is_fraud",)
    assert "its hour and weekday are features (ts.hour, ts.weekday)" in " ".join(workbench.notes)


def test_new_rows_keep_their_other_columns_and_their_file_name(tmp_path):
    (tmp_path / "new.csv").write_text("txn_id,a,b\nT1,1,2\nT2,3,4\n")
    train = aad.dataset_from_frame(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 5.0]}))
    rows = aad.load_rows(tmp_path / "new.csv", like=train)
    assert rows.name == "new"
    assert rows.table().columns.tolist() == ["txn_id", "a", "b"]


def test_the_table_shown_and_downloaded_writes_whole_numbers_as_integers(tmp_path):
    (tmp_path / "t.csv").write_text("hour,amount\n7,1.5\n,2.25\n20,3.0\n")
    data = aad.load_dataset(tmp_path / "t.csv")
    assert data.X[1, 0] == 13.5  # the model sees the median in the gap
    text = aad.score_table(np.zeros(3), features=data.table()).to_csv(index=False)
    assert [line.split(",", 4)[4] for line in text.splitlines()[1:]] == ["7,1.5", ",2.25", "20,3.0"]
    frame = pd.DataFrame({"dist": np.array([15.38, 0.1, 871.64], dtype=np.float32)})
    frame.to_parquet(tmp_path / "f32.parquet")
    written = aad.load_dataset(tmp_path / "f32.parquet").table().to_csv(index=False)
    assert written.splitlines() == ["dist", "15.38", "0.1", "871.64"]  # not 15.380000114440918


def test_a_mostly_empty_column_is_said_to_set_its_few_filled_rows_apart(tmp_path):
    """99 % empty, filled with the median: the 20 rows holding a value are isolated for that alone;
    the note says so and how to avoid it (the analyst decides: having a value may be the news)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=2000), "refund": np.nan})
    frame.loc[:19, "refund"] = rng.uniform(10, 90, 20)
    data = aad.dataset_from_frame(frame)
    note = next(n for n in data.notes if "'refund'" in n)
    assert note.startswith("column 'refund': 1,980 of 2,000 cells missing (99%), filled with the column")
    assert "the 20 rows with a value may stand apart for having one" in note
    assert data.feature_names == ("a", "refund")  # kept: the analyst chooses


@pytest.mark.parametrize(
    ("cells", "said"),
    [
        (["anomaly"] + ["nominal"] * 48 + ["anomally"], "holds 'anomally' at row 49"),  # a typo
        (["1"] + ["0"] * 48 + [""], "holds an empty cell at row 49"),  # a gap in a 0/1 column
    ],
)
def test_a_label_column_of_label_words_with_a_bad_cell_is_a_file_to_fix(tmp_path, cells, said):
    """Label words with one typo or gap are refused by row (as before), and the message does not
    suggest naming an anomaly value, which would read the typo as nominal."""
    path = write(tmp_path, ("a,label\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells))).encode())
    with pytest.raises(aad.DataError, match=said) as err:
        aad.load_data(str(path))
    assert "Fix the value" in str(err.value)
    assert "--anomaly-value" not in str(err.value)


@pytest.mark.parametrize(
    ("encoding", "delimiter", "note"),
    [
        ("cp1252", ",", "read as Windows-1252 text (Western European, as Excel on Windows saves a CSV)"),
        ("utf-16", "\t", 'read as UTF-16 text (Excel\'s "Unicode text")'),
    ],
)
def test_excels_other_csv_encodings_are_read_with_a_note(tmp_path, encoding, delimiter, note):
    """Excel on Windows saves "CSV" in Windows-1252 and "Unicode text" in UTF-16 (tab
    delimited): both load, their accented categories as written, the note says which."""
    cities = ["Zürich", "München", "Malmö", "Zürich", "Köln"] * 40
    lines = [delimiter.join(["amount", "city", "price"])]
    lines += [delimiter.join([str(i % 7), city, f"{i} €"]) for i, city in enumerate(cities)]
    path = tmp_path / "excel.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    data = aad.load_data(path, features=["amount", "city"])
    assert data.notes[0].startswith(note)
    assert data.n_rows == 200
    assert dict(data.specs[1].levels) == {"Zürich": 80, "München": 40, "Malmö": 40, "Köln": 40}
    assert data.context["price"].iloc[3] == "3 €"


def test_yes_no_is_a_ground_truth_when_chosen_and_an_answer_when_not(tmp_path):
    """``is_fraud`` written yes/no is read as the ground truth it is named for; a yes/no column
    of answers (``card_present``) stays a feature, never taken for a truth by its values."""
    rows = "".join(
        f"{i % 11}.5,{'yes' if i % 3 else 'no'},{'Yes' if i in (5, 17) else 'no'}\n" for i in range(60)
    )
    path = write(tmp_path, "amount,card_present,is_fraud\n" + rows)
    data = aad.load_data(path, label_column="is_fraud")
    assert np.flatnonzero(data.y).tolist() == [5, 17]
    assert data.feature_names == ("amount", "card_present")
    assert not [note for note in data.notes if "card_present" in note and "ground truth" in note]
    answers = aad.load_data(
        write(
            tmp_path, "amount,card_present\n" + rows.replace(",no\n", "\n").replace(",Yes\n", "\n"), "a.csv"
        )
    )
    assert answers.y is None
    assert answers.feature_names == ("amount", "card_present")


def test_a_german_fraud_column_of_ja_nein_is_a_ground_truth_not_a_feature(tmp_path):
    """``Betrug`` (fraud) written ja/nein in a German export: never a feature nor on a card (it
    would answer for the analyst), and the ground truth once chosen; WAHR/FALSCH (German
    Excel's TRUE/FALSE) reads as well."""
    rows = "".join(
        f"{i % 11},5;{'ja' if i in (5, 17) else 'nein'};{'WAHR' if i % 2 else 'FALSCH'}\n" for i in range(60)
    )
    path = write(tmp_path, "Betrag;Betrug;Karte\n" + rows)
    assert aad.load_data(path).feature_names == ("Betrag", "Karte")
    data = aad.load_data(path, label_column="Betrug")
    assert np.flatnonzero(data.y).tolist() == [5, 17]
    assert aad.to_label("WAHR") == 1
    assert aad.to_label(" falsch ") == 0


def test_a_spreadsheets_total_line_at_the_end_is_no_row(tmp_path):
    """``Summe;;;433.419,57 €`` below the rows (and the empty rows around it) is left out, with
    a note naming its line; a row whose first value is such a word but that fills every
    column is a row."""
    rows = "".join(f"{i};{i % 7},5;x{i % 3}\n" for i in range(40))
    data = aad.load_data(write(tmp_path, "nr;Betrag;Art\n" + rows + ";;\nSumme;433.419,57 €;\n;;\n"))
    assert data.n_rows == 40
    assert "left out line 43, a total ('Summe'), not a row" in data.notes
    full = aad.load_data(
        write(tmp_path, "Art;Betrag\n" + "".join(f"x{i % 3};{i}\n" for i in range(40)) + "Total;5\n", "f.csv")
    )
    assert full.n_rows == 41


def test_excels_error_values_are_missing_values(tmp_path):
    """``#NV`` and ``#WERT!`` (German Excel's #N/A and #VALUE!), ``#DIV/0!``: a formula that gave no
    value is a missing value, filled and said, not a reason to leave the column out."""
    cells = {3: "#WERT!", 7: "#NV", 9: "#DIV/0!"}
    rows = "".join(f"{i},5;{cells.get(i, i)}\n" for i in range(40))
    data = aad.load_data(write(tmp_path, "a;b\n" + rows))
    assert data.feature_names == ("a", "b")
    assert "column 'b': 3 missing values filled with the column median 21" in data.notes


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ("ab", r"got the text 'ab' \(for one column: features=\['ab'\]\)"),  # not the columns a and b
        (("a", "a"), "features names column 'a' twice; name each column once"),
        ([], "features is empty: choose at least one feature column"),
    ],
)
def test_features_given_as_text_twice_or_empty_are_refused_in_words(tmp_path, features, message):
    path = tmp_path / "ab.csv"
    path.write_text("ab,a,b\n1,2,3\n4,5,6\n7,8,9\n")
    for load in (aad.load_dataset, aad.load_data):
        with pytest.raises(aad.DataError, match=message):
            load(path, features=features)
    with pytest.raises(aad.DataError, match=message):
        aad.data.dataset_from_frame(pd.read_csv(path), features=features)
    assert aad.load_dataset(path, features=["ab"]).feature_names == ("ab",)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda X: X + 1j, "X holds complex numbers"),  # the imaginary part was dropped with a warning
        (lambda X: __import__("scipy.sparse").sparse.csr_matrix(X), "X is a sparse matrix; pass a dense"),
        (
            lambda X: pd.DataFrame({"t": pd.date_range("2024-01-01", periods=len(X)), "x": X[:, 0]}),
            "X holds timestamps, which the trees would read as nanoseconds",
        ),
    ],
)
def test_values_that_convert_silently_but_wrongly_are_refused(make, message):
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(aad.DataError, match=message):
        aad.AADForest(n_estimators=5, random_state=0).fit(make(X))


def test_small_argument_mistakes_are_named(tmp_path):
    with pytest.raises(aad.DataError, match="max_bytes must be a whole number of bytes, at least 1; got -1"):
        aad.load_dataset("toy2", max_bytes=-1)
    assert aad.labels.to_label("-1", allow_unlabelled=True) == aad.UNLABELLED  # as its message offers
    model = aad.AADForest(n_estimators=5, random_state=0).fit(aad.load_dataset("toy2").X)
    with pytest.raises(aad.LabelError, match="appears twice in one call; give each row once"):
        model.keep_rows([5, 5])


def test_a_truth_that_marks_most_rows_anomalous_is_said_to_be_likely_the_other_way_round(tmp_path):
    """59 % anomalies ran without a word; 1 for normal is a common convention elsewhere."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=200), "label": (rng.random(200) < 0.6).astype(int)})
    frame.to_csv(tmp_path / "inverted.csv", index=False)
    said = aad.load_data(tmp_path / "inverted.csv").notes
    assert any("as anomalies: anomalies are the rare class" in note for note in said)
    flipped = aad.load_data(tmp_path / "inverted.csv", anomaly_value="0")
    assert flipped.n_anomalies < 100
    assert not any("the rare class" in note for note in flipped.notes)


@pytest.mark.parametrize(("first", "writer"), [(0, "pandas' to_csv"), (1, "R's write.csv")])
def test_a_row_index_is_dropped_and_said_as_its_writer_numbers_it(tmp_path, first, writer):
    rows = "".join(f"{i + first},{i * 1.5},{i % 3}\n" for i in range(20))
    (tmp_path / "indexed.csv").write_text(",x,y\n" + rows)
    data = aad.load_data(tmp_path / "indexed.csv")
    assert data.feature_names == ("x", "y")
    said = f"numbers the rows {first}, {first + 1}, {first + 2}, ... (a row index, as {writer} writes)"
    assert any(said in note for note in data.notes), data.notes
