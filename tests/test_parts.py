"""Tables written as a folder of parts (Spark, Dask): a folder or a pattern, one table.

``aad score --model`` (in one process and on Dask) and ``aad select`` read a folder's parts,
or the files a pattern matches, as one table, skipping what Spark writes beside the data
(``_SUCCESS``, ``.crc`` checksums, hidden files), and refuse parts that differ in their
columns or types, naming the first that does. ``aad select`` reads them a batch at a time
and writes what it writes for the same rows in one file.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cards import write_cards
from distributed import Client, LocalCluster

import aad
from aad.scale import RowBatches, TableScorer
from aad.scale.dask import score_dask
from aad.scale.read import find_files
from app.cli import main


def events(rows: int = 1_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "event_id": [f"e{i:05d}" for i in range(rows)],
            "amount": rng.gamma(2.0, 30.0, rows).round(2),
            "hour": rng.integers(0, 24, rows),
            "merchant": rng.choice(["grocery", "fuel", "online"], rows),
        }
    )
    frame.loc[[3, 500], "amount"] = [9_000.0, 7_500.0]
    frame.loc[[10, 700], "amount"] = np.nan
    return frame


def write_spark(frame: pd.DataFrame, folder, parts: int = 4):
    """``frame`` as Spark writes a dataset: ``part-0000N-<uuid>-c000.snappy.parquet`` files, a
    ``.crc`` checksum beside each, ``_SUCCESS``, and an unfinished ``_temporary`` folder."""
    folder.mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        name = f"part-{i:05d}-3f0c9a1e-c000.snappy.parquet"
        table = pa.Table.from_pandas(frame.iloc[chunk], preserve_index=False)
        pq.write_table(table, folder / name, row_group_size=97)
        (folder / f".{name}.crc").write_bytes(b"crc\x00\x01")
    (folder / "_SUCCESS").write_text("")
    (folder / "_temporary" / "0").mkdir(parents=True)
    (folder / "_temporary" / "0" / "part-00009.parquet").write_bytes(b"half-written")
    return folder


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """The events as one Parquet file, as a Spark folder of 4 parts, and a model learned on them."""
    root = tmp_path_factory.mktemp("events")
    frame = events()
    frame.to_parquet(root / "one.parquet", index=False)
    write_spark(frame, root / "events")
    data = aad.load_data(str(root / "one.parquet"))
    forest = aad.AADForest(n_estimators=30, random_state=0).fit(data.X)
    model = aad.export_model(forest, data, n_labels=0, n_anomalies=0)
    model.save(root / "model.json")
    return root, frame, model


def test_a_spark_folder_and_a_pattern_score_as_the_one_file(table, tmp_path):
    root, frame, model = table
    sources = {
        "file": [root / "one.parquet"],
        "folder": [root / "events"],
        "pattern": [str(root / "events" / "part-*.parquet")],
        "recursive": [str(root / "**" / "part-0000[0-3]-*.parquet")],
    }
    scores = {}
    for kind, source in sources.items():
        report = TableScorer(model, source, columns=["event_id"], batch_rows=128).write(
            tmp_path / f"{kind}.parquet"
        )
        assert report.rows == len(frame), kind
        scores[kind] = pd.read_parquet(tmp_path / f"{kind}.parquet")
    for kind in ("folder", "pattern", "recursive"):
        pd.testing.assert_frame_equal(scores[kind], scores["file"])
    assert [f.path.name[:10] for f in find_files(sources["pattern"])] == [f"part-0000{i}" for i in range(4)]


def test_the_command_line_and_dask_take_a_quoted_pattern(table, tmp_path, capsys):
    root, _frame, model = table
    pattern = str(root / "events" / "part-*.parquet")
    assert (
        main(
            ["score", "--model", str(root / "model.json"), pattern, "--output", str(tmp_path / "cli.parquet")]
        )
        == 0
    )
    assert "of 4 files" in capsys.readouterr().err
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            score_dask(model, [pattern], tmp_path / "dask", client=client, rows_per_partition=300)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "dask"), pd.read_parquet(tmp_path / "cli.parquet")
    )


def _changed(folder, part: int, change) -> None:
    path = sorted(folder.glob("part-*.parquet"))[part]
    pq.write_table(pa.Table.from_pandas(change(pd.read_parquet(path)), preserve_index=False), path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f.assign(amount=f["amount"].astype(str)),
            r"part-00002-3f0c9a1e-c000\.snappy\.parquet has the column 'amount' as string where "
            r"part-00000-3f0c9a1e-c000\.snappy\.parquet has it as double",
        ),
        (
            lambda f: f.drop(columns=["merchant"]),
            r"part-00002-\S+ lacks the column 'merchant' that part-00000-\S+ has",
        ),
        (lambda f: f.assign(note="x"), r"part-00002-\S+ has a column 'note' that part-00000-\S+ has not"),
        (lambda f: f.assign(hour=f["hour"].astype("int32")), "has the column 'hour' as int32 where"),
    ],
    ids=["type", "missing", "extra", "width"],
)
def test_parts_that_differ_are_refused_in_one_line_naming_the_first(table, tmp_path, capsys, change, message):
    _root, frame, _model = table
    folder = write_spark(frame, tmp_path / "events")
    _changed(folder, 2, change)
    _changed(folder, 3, change)  # the first that differs is named
    expected = f"the folder '{folder}' is one table, but its parts differ: "
    with pytest.raises(aad.DataError, match=message) as raised:
        find_files([folder])
    assert str(raised.value).startswith(expected)
    assert str(raised.value).endswith("write the parts again with one schema, or pass the parts that agree")
    with pytest.raises(
        aad.DataError, match=r"the pattern '.*part-\*\.parquet' is one table, but its parts differ"
    ):
        find_files([str(folder / "part-*.parquet")])
    model = table[2]
    model.save(tmp_path / "model.json")
    capsys.readouterr()
    assert (
        main(
            [
                "score",
                "--model",
                str(tmp_path / "model.json"),
                str(folder),
                "--output",
                str(tmp_path / "s.parquet"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "parts differ" in err
    assert not (tmp_path / "s.parquet").exists()


def test_parts_that_lay_out_the_same_values_differently_agree(table, tmp_path):
    """pandas 3 writes text as large_string, Spark and pyarrow as string, a category as a
    dictionary, and a column of None alone as type null: the same table to every reader."""
    _root, frame, model = table
    folder = write_spark(frame, tmp_path / "events")
    parts = sorted(folder.glob("part-*.parquet"))
    _changed(folder, 1, lambda f: f.assign(merchant=None))
    _changed(folder, 2, lambda f: f.assign(merchant=f["merchant"].astype("category")))
    third = pq.read_table(parts[3])
    at = third.schema.get_field_index("merchant")
    pq.write_table(third.set_column(at, "merchant", third.column(at).cast(pa.string())), parts[3])
    kinds = [pq.read_schema(p).field("merchant").type for p in parts]
    assert [str(k) for k in kinds] == [
        "large_string",
        "null",
        "dictionary<values=string, indices=int8, ordered=0>",
        "string",
    ]
    assert len(find_files([folder])) == 4
    report = TableScorer(model, [folder]).write(tmp_path / "s.parquet")
    assert report.rows == len(frame)


def test_a_pattern_that_matches_nothing_is_one_line(table, tmp_path, capsys):
    root, _frame, _model = table
    assert main(["score", "--model", str(root / "model.json"), str(tmp_path / "part-*.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"no file matches the pattern '{tmp_path / 'part-*.parquet'}'" in err


# --------------------------------------------------------------------------- aad select over parts


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    """The card transactions as written (text cells: '$12.50', '13.9 km'), some distances
    missing, as a CSV, one Parquet file, a Spark folder, and the rules `aad rules` learned."""
    root = tmp_path_factory.mktemp("cards")
    path, table = write_cards(root, 3000, seed=5, frauds=15)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[[7, 1500, 2999], "distance_km"] = ""
    frame.to_csv(path, index=False)
    frame.to_parquet(root / "one.parquet", index=False)
    write_spark(frame, root / "cards", parts=5)
    labels = root / "labels.csv"
    frauds = np.flatnonzero(table["is_fraud"])
    labels.write_text("row,label\n" + "".join(f"{r},anomaly\n" for r in frauds) + "0,nominal\n1,nominal\n")
    assert main(["rules", str(path), "--labels", str(labels), "--output", str(root / "rules.json")]) == 0
    return root, path


def _select(capsys, *args) -> tuple[str, list[str]]:
    """What `aad select` writes (stdout, or the output file's text), and its notes."""
    capsys.readouterr()
    assert main(["select", *map(str, args)]) == 0
    out, err = capsys.readouterr()
    output = args[args.index("--output") + 1] if "--output" in args else None
    if output is not None:
        raw = output.read_bytes()
        out = (gzip.decompress(raw) if output.name.endswith(".gz") else raw).decode()
    return out, [line for line in err.splitlines() if line.startswith("note: ")]


def test_select_over_a_folder_a_pattern_or_files_writes_what_it_writes_for_one_file(cards, tmp_path, capsys):
    """Categories, a timestamp's hour, numbers with units: the same rows, numbers, values and
    notes (the missing distances counted over every part) from every form of the table."""
    root, path = cards
    rules = root / "rules.json"
    expected, notes = _select(capsys, rules, path)
    assert expected.count("\n") > 20
    assert any("'distance_km': 3 missing values" in note for note in notes)
    parts = sorted((root / "cards").glob("part-*.parquet"))
    forms = {
        "one parquet": [root / "one.parquet"],
        "folder": [root / "cards"],
        "pattern": [root / "cards" / "part-*.parquet"],
        "files": parts,
    }
    for form, data in forms.items():
        got, got_notes = _select(capsys, rules, *data)
        assert got == expected, form
        assert got_notes == notes, form
    got, _ = _select(capsys, rules, root / "cards", "--output", tmp_path / "rows.csv.gz")
    assert got == expected
    assert (tmp_path / "rows.csv.gz").read_bytes()[:2] == b"\x1f\x8b"


def test_select_reads_typed_parts_as_the_one_file(table, tmp_path, capsys):
    root, _frame, _model = table
    labels = tmp_path / "labels.csv"
    labels.write_text("row,label\n3,anomaly\n500,anomaly\n0,nominal\n1,nominal\n")
    rules = tmp_path / "rules.json"
    assert main(["rules", str(root / "one.parquet"), "--labels", str(labels), "--output", str(rules)]) == 0
    expected, notes = _select(capsys, rules, root / "one.parquet")
    assert pd.read_csv(io.StringIO(expected))["row"].tolist()[:2] == [3, 500]
    got, got_notes = _select(capsys, rules, root / "events")
    assert (got, got_notes) == (expected, notes)


def test_rows_are_read_a_batch_at_a_time_and_numbered_across_the_parts(cards):
    root, path = cards
    features = aad.rule_features((root / "rules.json").read_text(), "json")
    whole = aad.load_rows(path, columns=features)
    batches = RowBatches([root / "cards"], features, batch_rows=128)
    firsts, parts = [], []
    for first, rows in batches:
        assert 0 < rows.n_rows <= 128
        firsts.append(first)
        parts.append(rows.X)
    assert firsts == list(np.cumsum([0] + [len(x) for x in parts[:-1]]))
    assert len(firsts) > 3000 // 128  # each part's rows in batches, the parts one after the other
    np.testing.assert_array_equal(np.vstack(parts), whole.X)
    assert batches.n_rows == whole.n_rows == 3000


def test_select_refuses_in_one_line_before_writing_anything(cards, tmp_path, capsys):
    """Parts that differ, a part lacking a tested column, a pattern matching nothing."""
    root, _path = cards
    rules = root / "rules.json"
    frame = pd.read_parquet(root / "one.parquet")
    folder = write_spark(frame, tmp_path / "cards")
    _changed(folder, 3, lambda f: f.assign(failed_pin_attempts=f["failed_pin_attempts"].astype(int)))
    lacking = write_spark(frame.drop(columns=["merchant_category"]), tmp_path / "lacking")
    cases = {
        folder: "part-00003-3f0c9a1e-c000.snappy.parquet has the column 'failed_pin_attempts' as int64 where",
        lacking: "part-00000-3f0c9a1e-c000.snappy.parquet has no column 'merchant_category'",
        tmp_path / "nothing-*.parquet": "no file matches the pattern",
    }
    for data, message in cases.items():
        capsys.readouterr()
        assert main(["select", str(rules), str(data), "--output", str(tmp_path / "rows.csv")]) == 2
        out, err = capsys.readouterr()
        assert err.count("\n") == 1, err
        assert message in err
        assert out == ""
        assert not (tmp_path / "rows.csv").exists()


def test_select_over_parts_with_no_rows_writes_the_columns(cards, tmp_path, capsys):
    root, _path = cards
    frame = pd.read_parquet(root / "one.parquet").iloc[:0]
    folder = write_spark(frame, tmp_path / "quiet", parts=2)
    out, notes = _select(capsys, root / "rules.json", folder)
    assert out.splitlines()[0].startswith("row,rule,")
    assert out.count("\n") == 1
    assert notes == ["note: quiet has no rows: nothing to select"]


def test_a_bad_cell_in_the_last_part_leaves_no_output_behind(cards, tmp_path, capsys):
    root, _path = cards
    frame = pd.read_parquet(root / "one.parquet")
    folder = write_spark(frame, tmp_path / "cards")
    _changed(folder, 3, lambda f: f.assign(failed_pin_attempts=["pending", *f["failed_pin_attempts"][1:]]))
    capsys.readouterr()
    assert (
        main(["select", str(root / "rules.json"), str(folder), "--output", str(tmp_path / "rows.csv")]) == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert (  # its row in the part, not in the table (review 19)
        "part-00003-3f0c9a1e-c000.snappy.parquet: column 'failed_pin_attempts' is not numeric: row 0 holds "
        "'pending'" in err
    )
    assert not (tmp_path / "rows.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cards"]  # no temporary file either


def test_a_folder_with_a_csv_beside_its_parquet_parts_is_refused_naming_it(table, tmp_path, capsys):
    """A CSV part beside the Parquet ones would be left out of the table unseen (half the rows
    scored, exit 0): the folder is refused, naming the file."""
    root, frame, _ = table
    folder = tmp_path / "mixed"
    folder.mkdir()
    frame.iloc[:500].to_parquet(folder / "part-0.parquet", index=False)
    frame.iloc[500:].to_csv(folder / "part-1.csv", index=False)
    (folder / "_SUCCESS").write_text("")  # no data: still skipped
    with pytest.raises(aad.DataError, match=r"holds 'part-1\.csv' beside its Parquet parts"):
        find_files([folder])
    capsys.readouterr()
    out = tmp_path / "scores.csv"
    assert main(["score", "--model", str(root / "model.json"), str(folder), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "part-1.csv" in err
    assert "Traceback" not in err
    assert not out.exists()
