"""The detectors on the command line: --detector, --members, --scores, --ndim, and a bad
scores file as one line with exit status 2."""

from __future__ import annotations

import gzip
import io
import json
import re

import numpy as np
import pandas as pd
import pytest

import aad
from app.cli import main


def _scores_csv(path, n_rows: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = aad.load_dataset("toy2").y
    good = rng.normal(size=n_rows) + 3 * y
    noise = rng.normal(size=n_rows)
    path.write_text("good,noise\n" + "".join(f"{g:.6f},{v:.6f}\n" for g, v in zip(good, noise, strict=True)))
    return path


def test_simulate_on_the_command_line_takes_a_scores_file(tmp_path, capsys):
    path = _scores_csv(tmp_path / "scores.csv", aad.load_dataset("toy2").n_rows)
    out = tmp_path / "r.json"
    argv = ["simulate", "toy2", "--scores", str(path), "--budget", "10", "--reruns", "1", "--json", str(out)]
    assert main(argv) == 0
    assert "ensemble of good, noise" in capsys.readouterr().out
    summary = json.loads(out.read_text())
    assert summary["params"]["detector"] == "ensemble"
    assert summary["data"]["scores"] == str(path)


def _write_scores(path, text: str, kind: str) -> None:
    """``text`` (a comma-separated scores file) written as ``kind``."""
    if kind == "gzip":
        path.write_bytes(gzip.compress(text.encode()))
    elif kind == "parquet":
        pd.read_csv(io.StringIO(text)).to_parquet(path)
    elif kind == "tab":
        path.write_text(text.replace(",", "\t"))
    else:  # Excel in German: semicolons, decimal commas
        path.write_text(text.replace(",", ";").replace(".", ","))


@pytest.mark.parametrize("kind", ["gzip", "parquet", "tab", "semicolon"])
def test_a_scores_file_is_read_as_a_data_file_is(tmp_path, capsys, kind):
    """Review 20 (M6): a .gz or Parquet scores file was 'not a UTF-8 text file', a semicolon one
    'line 2 has 2 fields but the header names 1 detectors', a tab one 'is not a number'."""
    plain = _scores_csv(tmp_path / "scores.csv", aad.load_dataset("toy2").n_rows)
    path = tmp_path / f"scores.{kind}"
    _write_scores(path, plain.read_text(), kind)
    argv = ["simulate", "toy2", "--scores", str(path), "--budget", "5", "--reruns", "1"]
    assert main(argv) == 0
    assert "ensemble of good, noise" in capsys.readouterr().out
    expected = aad.load_scores(plain)
    table = aad.load_scores(path)
    assert table.names == expected.names
    np.testing.assert_array_equal(table.values, expected.values)


def test_simulate_on_the_command_line_takes_the_extended_forest(capsys):
    argv = [
        "simulate",
        "toy2",
        "--detector",
        "eif",
        "--ndim",
        "2",
        "--budget",
        "5",
        "--reruns",
        "1",
        "--trees",
        "20",
    ]
    assert main(argv) == 0
    assert "extended isolation forest (ndim 2)" in capsys.readouterr().out


@pytest.mark.parametrize("detector", ["eif", "ensemble"])
def test_the_command_line_grows_a_detector_on_its_own_rows_per_tree(detector, tmp_path, capsys):
    """Without --max-samples, eif and the ensemble grow on 256 rows a tree on the command line, as
    in Python and the README's table (it passed the isolation forest's 512)."""
    out = tmp_path / "s.json"
    argv = ["simulate", "toy2", "--detector", detector, "--budget", "8", "--reruns", "1", "--trees", "20"]
    assert main([*argv, "--json", str(out)]) == 0
    capsys.readouterr()
    summary = json.loads(out.read_text())
    in_python = aad.simulate(
        aad.load_data("toy2"), budget=8, reruns=1, detector=detector, model_params={"n_estimators": 20}
    )
    assert summary["params"]["max_samples"] == 256
    assert summary["runs"][0]["queried"] == in_python.runs[0].queried.tolist()


def test_rules_on_the_command_line_say_they_come_from_a_surrogate(tmp_path, capsys):
    y = aad.load_dataset("toy2").y
    labels = tmp_path / "labels.csv"
    rows = [*np.flatnonzero(y)[:4].tolist(), *np.flatnonzero(~y)[:4].tolist()]
    labels.write_text("row,label\n" + "".join(f"{r},{'anomaly' if y[r] else 'nominal'}\n" for r in rows))
    argv = ["rules", "toy2", "--labels", str(labels), "--detector", "eif", "--format", "markdown"]
    assert main(argv) == 0
    assert "which no box states exactly" in capsys.readouterr().out


_TOY2_ROWS = 485


def _rows(n: int, cell=lambda i: f"{i * 0.5},{(i * 7) % 11}") -> str:
    return "".join(f"{cell(i)}\n" for i in range(n))


BAD_SCORES = [
    ("wrong row count", "a,b\n" + _rows(_TOY2_ROWS - 1), "has 484 rows of scores but the data has 485 rows"),
    (
        "non-numeric",
        "a,b\n" + _rows(3) + "high,1\n" + _rows(_TOY2_ROWS - 4),
        r"line 5, column 'a': 'high' is not a number",
    ),
    (
        "NaN",
        "a,b\n" + _rows(2) + "NaN,1\n" + _rows(_TOY2_ROWS - 3),
        r"line 4, column 'a': a missing score \('NaN'\)",
    ),
    (
        "empty cell",
        "a,b\n" + _rows(2) + ",1\n" + _rows(_TOY2_ROWS - 3),
        r"line 4, column 'a': a missing score",
    ),
    # review 19: pandas writes a one-column file's NaN as "", which was skipped as a blank line
    # ("has 484 rows of scores but the data has 485 rows")
    (
        "one column, a missing value as pandas writes it",
        "det1\n" + _rows(5, str) + '""\n' + _rows(_TOY2_ROWS - 6, str),
        r"line 7, column 'det1': a missing score \(''\)",
    ),
    (
        "one column, an empty line among the scores",
        "det1\n" + _rows(5, str) + "\n" + _rows(_TOY2_ROWS - 6, str),
        r"line 7 is empty, but lines of scores follow it: a row without a score",
    ),
    ("infinity", "a,b\n" + "inf,1\n" + _rows(_TOY2_ROWS - 1), "'inf' is not a finite number"),
    (
        "constant member",
        "a,b\n" + _rows(_TOY2_ROWS, lambda i: f"{i},3"),
        "scores 3 in column 'b': a constant score",
    ),
    ("duplicate names", "a,a\n" + _rows(_TOY2_ROWS), "names the column 'a' twice"),
    ("nameless column", "a,\n" + _rows(_TOY2_ROWS), "column 2 of .* has no name"),
    ("ragged line", "a,b\n1,2,3\n" + _rows(_TOY2_ROWS - 1), "line 2 has 3 fields but the header names 2"),
    ("empty file", "", "is empty"),
    ("header only", "a,b\n", "has a header .* but no rows of scores"),
    ("clashes with a member", "lof,b\n" + _rows(_TOY2_ROWS), "the scores name a column 'lof'"),
    # review 20 (M5): a row number or an identifier beside the scores became a detector, exit 0
    (
        "a row number column",
        "row,det_a,det_b\n" + _rows(_TOY2_ROWS, lambda i: f"{i},{i * 0.5 % 7},{(i * 7) % 11}"),
        r"column 'row' of .* runs 0, 1, 2 \.\.\. 484: it numbers the rows, and is not a detector's scores .* "
        "remove that column",
    ),
    (
        "rows numbered from 1 under another name",
        "n,det_a\n" + _rows(_TOY2_ROWS, lambda i: f"{i + 1},{(i * 7) % 11}"),
        r"column 'n' of .* runs 1, 2, 3 \.\.\. 485: it numbers the rows",
    ),
    (
        "an id column",
        "det_a,ID\n" + _rows(_TOY2_ROWS, lambda i: f"{(i * 7) % 11},{(i * 13) % 1000 + 5000}"),
        "column 'ID' of .* is named as the rows' number or identifier, and is not a detector's scores",
    ),
]


@pytest.mark.parametrize(("content", "message"), [b[1:] for b in BAD_SCORES], ids=[b[0] for b in BAD_SCORES])
def test_every_bad_scores_file_is_one_line_and_status_2(tmp_path, capsys, content, message):
    path = tmp_path / "scores.csv"
    path.write_text(content)
    argv = ["simulate", "toy2", "--scores", str(path), "--budget", "2", "--reruns", "1"]
    if "lof" in content[:4]:
        argv += ["--members", "lof"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("aad: error: ")
    assert err.count("\n") == 1
    assert re.search(message, err), err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--detector", "svm"], "unknown detector 'svm'; choose one of iforest, eif, ensemble"),
        (["--ndim", "3"], "--ndim applies to --detector eif"),
        (
            ["--detector", "eif", "--ndim", "5"],
            "--ndim 5 asks for hyperplanes over more features than the table's 2",
        ),
        (
            ["--detector", "eif", "--members", "lof"],
            "--members gives ensemble members; use --detector ensemble",
        ),
        (["--members", "lof,lof"], "'lof' is named twice"),
        (["--members", "knn"], "unknown ensemble member 'knn'"),
        (["--members", "pyod:LSCP"], "the member pyod:LSCP needs arguments aad cannot give (detector_list)"),
        (["--members", "pyod:MAD"], "the member pyod:MAD cannot score this table: MAD algorithm is just for"),
        (["--scores", "/no/such.csv"], "the scores file /no/such.csv does not exist"),
        (["--detector", "ensemble", "--loss", "hinge"], "the ensemble learns with the linear loss only"),
    ],
)
def test_bad_detector_options_are_one_line_and_status_2(capsys, argv, message):
    assert main(["simulate", "toy2", "--budget", "2", "--reruns", "1", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
