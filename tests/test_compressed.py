"""Compressed CSV files (gzip, bzip2, xz, a ZIP of one file, Zstandard) read wherever a CSV is.

The same table as the plain file, by the loader (a session, ``aad app``, ``--apply``), the
out-of-core scorer (``aad score --model``, the working set), ``aad select`` and Dask; a file
that would inflate beyond the size limit refused in bounded memory; a damaged one in one line.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster
from streamlit.testing.v1 import AppTest

import aad
from aad.compressed import compression_of
from aad.scale import TableScorer
from aad.scale.dask import score_dask
from aad.scale.working_set import is_too_big
from app import keys
from app.cli import main

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
KINDS = ["gz", "bz2", "xz", "zip", "zst"]


def compress(data: bytes, kind: str, path: Path) -> Path:
    """``data`` compressed as ``kind`` into ``path`` (a ZIP holds it as ``table.csv``)."""
    if kind == "gz":
        path.write_bytes(gzip.compress(data))
    elif kind == "bz2":
        path.write_bytes(bz2.compress(data))
    elif kind == "xz":
        path.write_bytes(lzma.compress(data))
    elif kind == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("__MACOSX/._table.csv", b"resource fork")  # what macOS adds: not data
            archive.writestr("table.csv", data)
    else:
        with pa.CompressedOutputStream(str(path), "zstd") as stream:
            stream.write(data)
    return path


def excel_export(rows: int = 300) -> bytes:
    """Excel on Windows' "CSV (semicolon)": Windows-1252, decimal commas, a country code NA, a
    total line and an empty row at the end: everything the loader reads its own way."""
    rng = np.random.default_rng(4)
    lines = ["amount;city;country;hour"]
    for i in range(rows):
        amount = f"{rng.gamma(2, 30):.2f}".replace(".", ",")
        lines.append(f"{amount};{['Zürich', 'Köln', 'Malmö'][i % 3]};{['NA', 'DE', 'SE'][i % 3]};{i % 24}")
    lines[5] = "9999,50;Zürich;NA;3"  # an outlier
    lines += ["Summe;;;", ";;;"]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plain") / "export.csv"
    path.write_bytes(excel_export())
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_the_loader_reads_a_compressed_csv_as_the_plain_file(plain, tmp_path, kind):
    """Encoding, delimiter, decimal commas, a text column read again (NA), a total line: the same
    Dataset and the same notes, whatever the compression (told by the bytes, not the name)."""
    packed = compress(plain.read_bytes(), kind, tmp_path / f"export.{kind}")
    expected, got = aad.load_data(str(plain)), aad.load_data(str(packed))
    np.testing.assert_array_equal(got.X, expected.X)
    assert got.feature_names == expected.feature_names == ("amount", "city", "country", "hour")
    assert got.notes == expected.notes
    assert any("Windows-1252" in note for note in got.notes)
    assert got.n_rows == 300  # the total line and the empty row left out
    assert got.table()["country"].iloc[0] == "NA"  # Namibia, not a missing value
    nameless = tmp_path / "upload-7f3a.csv"  # an upload is kept under a name of its own
    nameless.write_bytes(packed.read_bytes())
    np.testing.assert_array_equal(aad.load_data(str(nameless)).X, expected.X)


@pytest.mark.parametrize("kind", KINDS)
def test_the_out_of_core_scorer_reads_a_compressed_csv_as_the_plain_file(plain, tmp_path, kind):
    data = aad.load_data(str(plain))
    model = _model(data, 20)
    packed = compress(plain.read_bytes(), kind, tmp_path / f"export.csv.{kind}")
    expected = TableScorer(model, [plain], batch_rows=64).write(tmp_path / "plain.parquet")
    got = TableScorer(model, [packed], batch_rows=64).write(tmp_path / "packed.parquet")
    assert (got.rows, got.trailing, got.totals) == (300, {packed.name: 2}, {packed.name: "Summe"})
    assert expected.rows == 300
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "packed.parquet"), pd.read_parquet(tmp_path / "plain.parquet")
    )


def test_the_dask_engine_and_the_working_set_read_a_compressed_csv(plain, tmp_path, monkeypatch):
    data = aad.load_data(str(plain))
    model = _model(data, 20)
    packed = compress(plain.read_bytes(), "gz", tmp_path / "export.csv.gz")
    TableScorer(model, [plain]).write(tmp_path / "plain.parquet")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            report = score_dask(model, [packed], tmp_path / "scores", client=client)
    assert report.rows == 300
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "scores"), pd.read_parquet(tmp_path / "plain.parquet")
    )
    assert not is_too_big(packed)
    monkeypatch.setenv("AAD_MAX_ROWS", "100")  # `aad app` labels it through a working set
    assert is_too_big(packed)


def test_a_small_file_that_inflates_beyond_the_limit_is_refused_before_it_is_held(tmp_path, monkeypatch):
    """64 MB of rows in 200 KB of gzip, with a limit of 20 MB: counted a chunk at a time and
    refused in one line naming both sizes, holding a few megabytes, not the 20 the limit allows."""
    row = b"1.5,2.5,3.5\n"
    bomb = tmp_path / "small.csv.gz"
    with gzip.open(bomb, "wb") as fh:
        fh.write(b"a,b,c\n")
        for _ in range(64):
            fh.write(row * ((1 << 20) // len(row) + 1))
    assert bomb.stat().st_size < 1_000_000
    monkeypatch.setenv("AAD_MAX_FILE_MB", "20")
    tracemalloc.start()
    try:
        with pytest.raises(aad.DataError, match=r"small\.csv\.gz holds more than 20\.0 MB once decompressed"):
            aad.load_data(str(bomb))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000, peak
    assert is_too_big(bomb)  # `aad app` labels it through a working set, streamed


def test_a_damaged_or_truncated_file_is_one_line_and_status_2_everywhere(plain, tmp_path, capsys):
    packed = compress(plain.read_bytes(), "gz", tmp_path / "export.csv.gz")
    whole = packed.read_bytes()
    truncated = tmp_path / "truncated.csv.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    damaged = tmp_path / "damaged.csv.gz"
    damaged.write_bytes(whole[:-8] + bytes(b ^ 0xFF for b in whole[-8:]))  # its checksum and size
    data = aad.load_data(str(plain))
    model = _model(data, 10)
    model.save(tmp_path / "model.json")
    rules = tmp_path / "rules.json"
    rules.write_text(
        aad.export_rules([aad.Rule([aad.Predicate(0, ">", 100.0)])], "json", feature_names=["amount"])
    )
    for bad in (truncated, damaged):
        for args in (
            ["simulate", str(bad), "--budget", "2"],
            ["score", "--model", str(tmp_path / "model.json"), str(bad)],
            ["score", "--model", str(tmp_path / "model.json"), str(bad), "--output", str(tmp_path / "s.csv")],
            ["select", str(rules), str(bad)],
        ):
            capsys.readouterr()
            assert main(args) == 2, args
            out, err = capsys.readouterr()
            assert err.count("\n") == 1, err
            assert "Traceback" not in err
            assert f"{bad.name} cannot be decompressed whole as gzip" in err
            assert "truncated or damaged" in err
            assert out == ""
    assert not (tmp_path / "s.csv").exists()  # nothing half-written


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: _zip(p, {"a.csv": b"x\n1\n", "b.csv": b"x\n2\n"}),
            r"is a ZIP of 2 files \('a\.csv', 'b\.csv'\)",
        ),
        (lambda p: _zip(p, {}), "is a ZIP that holds no file"),
        (lambda p: p.write_bytes(gzip.compress(_parquet_bytes())), "holds a Parquet file compressed whole"),
        (
            lambda p: p.write_bytes(gzip.compress(gzip.compress(b"x\n1\n2\n"))),
            r"is compressed twice \(it holds a gzip",
        ),
        (lambda p: p.write_bytes(gzip.compress(b"")), "holds an empty file"),
    ],
    ids=["zip-of-two", "empty-zip", "parquet-in-gzip", "gzip-twice", "empty"],
)
def test_what_a_compressed_file_holds_is_checked_as_a_plain_file_is(tmp_path, capsys, make, message):
    path = tmp_path / "table.csv.gz"
    make(path)
    with pytest.raises(aad.DataError, match=message):
        aad.load_data(str(path))
    data = aad.dataset_from_frame(pd.DataFrame(np.eye(3), columns=["x", "y", "z"]))
    model = _model(data, 2)
    with pytest.raises(aad.DataError, match=message):
        TableScorer(model, [path])  # before a row is read


def _model(data: aad.Dataset, trees: int) -> aad.PortableModel:
    forest = aad.AADForest(n_estimators=trees, random_state=0).fit(data.X)
    return aad.export_model(forest, data, n_labels=0, n_anomalies=0)


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _parquet_bytes() -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"x": [1.0, 2.0]}), sink)
    return sink.getvalue().to_pybytes()


def test_compression_is_told_by_the_first_bytes():
    assert [compression_of(compress_bytes(b"a,b\n", kind)) for kind in ("gz", "bz2", "xz")] == [
        "gzip",
        "bz2",
        "xz",
    ]
    assert compression_of(b"BZh,PK\n1,2\n") is None  # a header that starts with those letters
    assert compression_of(b"PK;x\n") is None


def compress_bytes(data: bytes, kind: str) -> bytes:
    return {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind](data)


def test_outputs_named_gz_are_gzip_and_others_stay_plain(plain, tmp_path, capsys):
    data = aad.load_data(str(plain))
    model = _model(data, 10)
    model.save(tmp_path / "model.json")
    for name in ("scores.csv", "scores.csv.gz"):
        assert (
            main(
                [
                    "score",
                    "--model",
                    str(tmp_path / "model.json"),
                    str(plain),
                    "--output",
                    str(tmp_path / name),
                ]
            )
            == 0
        )
    plain_text = (tmp_path / "scores.csv").read_bytes()
    assert not plain_text.startswith(b"\x1f\x8b")
    assert gzip.decompress((tmp_path / "scores.csv.gz").read_bytes()) == plain_text
    labels = tmp_path / "labels.csv"
    labels.write_text("row,label\n5,anomaly\n0,nominal\n")
    for name in ("applied.csv", "applied.csv.gz"):
        args = [
            "score",
            str(plain),
            "--labels",
            str(labels),
            "--apply",
            str(plain),
            "--output",
            str(tmp_path / name),
        ]
        assert main(args) == 0
    assert (
        gzip.decompress((tmp_path / "applied.csv.gz").read_bytes()) == (tmp_path / "applied.csv").read_bytes()
    )
    capsys.readouterr()
    assert (
        main(
            [
                "score",
                "--model",
                str(tmp_path / "model.json"),
                str(plain),
                "--output",
                str(tmp_path / "s.parquet.gz"),
            ]
        )
        == 2
    )
    assert "Parquet compresses its columns itself: name it .parquet" in capsys.readouterr().err


def test_the_workbench_opens_a_compressed_csv(db, plain, tmp_path, monkeypatch):
    """``aad app export.csv.gz``: the session labels the same rows as on the plain file (its kept
    copy, named by the hash of its bytes, is read by those bytes)."""
    packed = compress(plain.read_bytes(), "gz", tmp_path / "export.csv.gz")
    started = []
    monkeypatch.setattr("streamlit.web.cli.main", lambda: started.append(os.environ["AAD_DATA"]))
    monkeypatch.setattr(sys, "argv", sys.argv[:])
    assert main(["app", str(packed), "--db", str(db)]) == 0
    assert started == [str(packed.resolve())]
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    session = at.session_state[keys.SESSION]
    np.testing.assert_array_equal(session.dataset.X, aad.load_data(str(plain)).X)


def test_every_output_named_gz_is_gzip_and_other_packings_are_refused(plain, tmp_path, capsys):
    """A labels export, the rules and a labelled score named ``.gz`` are gzip as the scores are;
    ``.bz2``, ``.xz``, ``.zst`` and ``.zip`` would be plain text under a name that says otherwise."""
    labels = tmp_path / "labels.csv"
    labels.write_text("row,label\n5,anomaly\n0,nominal\n7,nominal\n")
    commands = {
        "rules": ["rules", str(plain), "--labels", str(labels), "--format", "csv"],
        "score": ["score", str(plain), "--labels", str(labels)],
    }
    for what, args in commands.items():
        for name in (f"{what}.csv", f"{what}.csv.gz"):
            assert main([*args, "--output", str(tmp_path / name)]) == 0
        packed = (tmp_path / f"{what}.csv.gz").read_bytes()
        assert packed.startswith(b"\x1f\x8b")
        assert gzip.decompress(packed) == (tmp_path / f"{what}.csv").read_bytes()
        for ending in (".bz2", ".xz", ".zst", ".zip"):
            capsys.readouterr()
            assert main([*args, "--output", str(tmp_path / f"{what}.csv{ending}")]) == 2
            err = capsys.readouterr().err
            assert "outputs are compressed as gzip only" in err
            assert not re.search(r"^(scored|\d+ rules? cover)", err, re.MULTILINE), err  # before the work
            assert f"{what}.csv.gz" in err
            assert "Traceback" not in err
            assert not (tmp_path / f"{what}.csv{ending}").exists()


def test_a_streamed_gzip_output_names_itself_not_its_temporary_file(plain, tmp_path):
    data = aad.load_data(str(plain))
    _model(data, 10).save(tmp_path / "model.json")
    out = tmp_path / "scores.csv.gz"
    assert main(["score", "--model", str(tmp_path / "model.json"), str(plain), "--output", str(out)]) == 0
    header = out.read_bytes()
    assert header[3] & 0x08  # FNAME: the name gunzip -N gives back
    stored = header[10 : header.index(b"\x00", 10)].decode()
    assert stored == "scores.csv"
