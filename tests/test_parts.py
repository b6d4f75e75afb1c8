"""Tables written as a folder of parts (Spark, Dask): a folder or a pattern, one table.

``aad score --model`` (in one process and on Dask) reads a folder's parts, or the files a
pattern matches, as one table, skipping what Spark writes beside the data (``_SUCCESS``,
``.crc`` checksums, hidden files), and refuses parts that differ in their columns or types,
naming the first that does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

import aad
from aad.scale import TableScorer
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
