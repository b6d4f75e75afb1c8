"""The command line: outputs, files, and one-line errors with exit status 2."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import sys

import numpy as np
import pandas as pd
import pytest
from bad_inputs import BAD_INPUTS

import aad
from app.cli import main


def test_simulate_writes_json_and_plot(tmp_path, capsys):
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    status = main(
        [
            "simulate",
            "toy2",
            "--budget",
            "12",
            "--reruns",
            "2",
            "--seed",
            "3",
            "--json",
            str(out_json),
            "--plot",
            str(out_html),
        ]
    )
    assert status == 0
    summary = json.loads(out_json.read_text())
    assert summary["budget"] == 12
    assert summary["data"]["features"] == ["x", "y"]
    assert summary["data"]["label_column"] == "label"
    assert summary["data"]["fingerprint"] == aad.load_dataset("toy2").fingerprint
    assert set(summary["versions"]) == {"aad", "scikit-learn", "numpy"}
    assert [r["seed"] for r in summary["runs"]] == [3, 4]
    assert "random_state" not in summary["params"]  # each run's own seed, not a null beside "seed"
    assert "plotly" in out_html.read_text()[:5000].lower()
    assert "(2 runs; top, linear loss, seeds 3-4, 200 trees x 485 rows)" in out_html.read_text()
    printed = capsys.readouterr().out
    assert "toy2: 485 rows, 35 anomalies, 2 runs" in printed
    assert "median time per label" in printed


def test_the_simulation_json_tells_a_relabelled_table_and_its_class_file_apart(tmp_path, capsys):
    """The features' fingerprint alone did not change when labels were swapped (a researcher's
    mean found at 50 went from 39.0 to 36.5 with the same provenance)."""
    toy2 = aad.load_dataset("toy2")
    frame = toy2.frame()
    frame["label"] = np.where(toy2.y, "anomaly", "nominal")
    swapped = frame.copy()
    first_anomaly, first_nominal = int(np.flatnonzero(toy2.y)[0]), int(np.flatnonzero(~toy2.y)[0])
    swapped.loc[[first_anomaly, first_nominal], "label"] = ["nominal", "anomaly"]
    classes = tmp_path / "classes.csv"
    classes.write_text("class\n" + "".join(f"{'a' if y else 'n'}\n" for y in toy2.y))
    provenance = []
    for name, table in (("same.csv", frame), ("swapped.csv", swapped)):
        table.to_csv(tmp_path / name, index=False)
        out = tmp_path / f"{name}.json"
        argv = ["simulate", str(tmp_path / name), "--budget", "3", "--reruns", "1", "--json", str(out)]
        assert main([*argv, "--class-file", str(classes)]) == 0
        provenance.append(json.loads(out.read_text())["data"])
    capsys.readouterr()
    assert provenance[0]["fingerprint"] == provenance[1]["fingerprint"]  # the same features
    assert provenance[0]["truth_fingerprint"] != provenance[1]["truth_fingerprint"]
    assert provenance[0]["class_file_sha256"] == hashlib.sha256(classes.read_bytes()).hexdigest()
    shipped = tmp_path / "shipped.json"  # a shipped dataset's name names its class file
    assert (
        main(
            [
                "simulate",
                "toy2",
                "--budget",
                "2",
                "--reruns",
                "1",
                "--class-file",
                "toy2",
                "--json",
                str(shipped),
            ]
        )
        == 0
    )
    digest = hashlib.sha256((aad.tables.datasets_dir() / "toy2_classes.csv").read_bytes()).hexdigest()
    assert json.loads(shipped.read_text())["data"]["class_file_sha256"] == digest


def test_simulate_on_a_csv_with_a_named_label_column(tmp_path, capsys):
    path = tmp_path / "d.csv"
    rows = "\n".join(f"{i % 7},{(i * 13) % 11},{'yes' if i % 50 == 0 else 'no'}" for i in range(200))
    path.write_text("a,b,truth\n" + rows.replace(",yes", ",anomaly").replace(",no", ",nominal") + "\n")
    assert main(["simulate", str(path), "--label-col", "truth", "--budget", "5", "--reruns", "1"]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "nosuch"], "no shipped dataset or file named 'nosuch'"),
        (["simulate", "toy2", "--budget", "x"], "Invalid value for '--budget'"),
        (["simulate", "toy2", "--budget", "0"], "Invalid value for '--budget'"),
        (["simulate", "toy2", "--strategy", "best"], "unknown query strategy 'best'"),
        (["simulate", "toy2", "--loss", "squared"], "'squared' is not one of 'linear', 'hinge'"),
        (["simulate", "toy2", "--label-col", "truth"], "there is no label column 'truth'"),
        (["simulate", "toy2", "--budget", "999"], "the budget must be between 1 and 485, the number of rows"),
        (
            ["simulate", "toy2", "--budget", "5", "--batch-size", "6"],
            "the batch size 6 is larger than the budget 5",
        ),
        (
            ["simulate", "toy2", "--json", "/no/such/folder/r.json"],
            "the folder /no/such/folder does not exist",
        ),
        (["simulate", "toy2", "--plot", "."], ". is a folder; name a file, in it or elsewhere"),
        (["simulate", "toy2", "--json", "-"], "'-' would write a file named '-', not to standard output"),
        (["score", "toy2", "--labels", "L.csv", "--output", "-"], "'-' would write a file named '-'"),
        (
            ["rules", "toy2", "--labels", "L.csv", "--output", "/no/such/r.sql"],
            "the folder /no/such does not",
        ),
        (
            ["score", "toy2", "--labels", "L.csv", "--output", "/no/such/s.csv"],
            "the folder /no/such does not",
        ),
        (["select", "r.json", "toy2", "--output", "/no/such/s.csv"], "the folder /no/such does not exist"),
        (["rules", "toy2", "--labels", "/"], "labels file '/' is a folder, not a file"),
        (["select", "/", "toy2"], "rules file '/' is a folder, not a file"),
        (["simulate", "/"], "file '/' is a folder, not a file"),
        (["simulate", "toy2", "--class-file", "/"], "class file '/' is a folder, not a file"),
        (
            ["simulate", "toy2", "--reruns", "2", "--seed", "4294967295"],
            "the runs use the seeds 4294967295 to 4294967296, but a seed must be at most 4294967295",
        ),
        (["rules", "toy2", "--labels", "L.csv", "--seed", "99999999999"], "Invalid value for '--seed'"),
        (["bench", "--rows", "50"], "the data needs more than 50 rows; it has 50"),
        (["simulate", "toy2", "--class-file", "typo.csv"], "class file 'typo.csv' does not exist"),
        (["simulate", "toy2", "--features", "x,x"], "'x' is named twice; name each column once"),
        (["simulate", "toy2", "--features", ","], "name at least one column"),
        (["simulate", "toy2", "--features", '"x,y'], "quote a name that holds a comma with double quotes"),
        (["simulate", "toy2", "--reruns", "100000000"], "must be an int in the range [1, 10000]"),
        (["simulate", "toy2", "--eta", "inf"], "expected a finite number; got inf"),
        (["simulate", "toy2", "--eta", "nan"], "expected a finite number; got nan"),
        (["simulate", "toy2", "--eta", "-1"], "expected a number >= 0 (0: no feedback); got -1"),
        (["rules", "toy2", "--labels", "L.csv", "--eta", "nan"], "expected a finite number; got nan"),
        (["rules", "toy2", "--labels", "L.csv", "--trees", "100000"], "Invalid value for '--trees'"),
        (["select", "{sql}", "toy2"], "looks like a sql export, which is for other tools"),
        (["simulate"], "Missing argument"),
        (["simulate", "toy2", "--nope"], "No such option: --nope"),
        (["app", "nosuch"], "no shipped dataset or file named 'nosuch'"),
        (  # review 19: Streamlit said '[Errno -2] Name or service not known', naming no option
            ["app", "toy2", "--host", "bad host"],
            "Invalid value for '--host': 'bad host' is no address or host name this machine resolves",
        ),
        (["simulate", "toy2", "--json", "r.html", "--plot", "r.html"], "--json and --plot both name r.html"),
        (["stream", "toy2", "--json", "s.html", "--plot", "s.html"], "--json and --plot both name s.html"),
        (["score", "toy2", "toy2", "--labels", "L.csv"], "got 2 tables (toy2, toy2); the model learns"),
        (["score", "toy2", "--labels", "L.csv", "--engine", "dask"], "--engine applies to scoring with a"),
        (["bench", "--rows", "100", "--labels", "200"], "--labels 200 is more than the 100 rows"),
        (["bench", "--data", "toy2", "--rows", "50"], "--rows sizes the synthetic data; with --data"),
        (["bench", "--trees", "20000"], "Invalid value for '--trees'"),
    ],
)
def test_bad_usage_is_one_line_and_status_2(capsys, monkeypatch, tmp_path, argv, message):
    def no_work(*args, **kwargs):
        raise AssertionError("bad usage must be refused before any work starts")

    (tmp_path / "rules.sql").write_text('("x" > 1)')
    argv = [str(tmp_path / "rules.sql") if a == "{sql}" else a for a in argv]

    if {"--output", "--json", "--plot"} & set(argv):  # an output path is checked first
        for name in ("simulate", "load_dataset", "load_rows"):
            monkeypatch.setattr(f"aad.{name}", no_work)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("aad: error: ")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_given_as_a_file_is_named_as_one_not_as_missing(tmp_path, capsys):
    pipe = tmp_path / "labels.csv"
    os.mkfifo(pipe)  # what the shell's <(...) passes: nothing is read from it
    assert main(["score", "toy2", "--labels", str(pipe)]) == 2
    err = capsys.readouterr().err
    assert f"labels file '{pipe}' is not a regular file (a pipe or a device" in err
    assert "save it to a file first" in err


def test_a_feature_whose_name_holds_a_comma_is_named_in_quotes(tmp_path, capsys):
    frame = pd.DataFrame({"Amount (USD, incl. tax)": [1.0, 3, 5, 2, 7, 4], "c": [2.0, 4, 1, 2, 1, 3]})
    frame.insert(0, "label", [0, 0, 1, 0, 0, 0])
    frame.to_csv(tmp_path / "t.csv", index=False)
    argv = [
        "simulate",
        str(tmp_path / "t.csv"),
        "--budget",
        "2",
        "--reruns",
        "1",
        "--json",
        str(tmp_path / "r.json"),
    ]
    assert main([*argv, "--features", '"Amount (USD, incl. tax)", c']) == 0
    capsys.readouterr()
    assert main([*argv, "--features", "Amount (USD, incl. tax),c"]) == 2
    assert "no column 'Amount (USD'" in capsys.readouterr().err


def test_a_class_file_adds_the_classes_found_to_the_summary(capsys):
    argv = ["simulate", "toy2", "--strategy", "bal-e", "--batch-size", "3", "--budget", "12", "--reruns", "1"]
    assert main([*argv, "--class-file", "toy2"]) == 0
    out = capsys.readouterr().out
    assert "classes found" in out
    assert "distinct anomaly classes per batch:" in out
    assert main(argv) == 0
    assert "classes found" not in capsys.readouterr().out


def test_a_label_column_of_other_words_is_read_with_anomaly_value(tmp_path, capsys):
    path = tmp_path / "fraud.csv"
    path.write_text(
        "a,b,verdict\n" + "".join(f"{i},{i % 7},{'Fraud' if i == 39 else 'legit'}\n" for i in range(40))
    )
    out = tmp_path / "r.json"
    argv = ["simulate", str(path), "--label-col", "verdict", "--budget", "5", "--reruns", "1"]
    assert main([*argv, "--anomaly-value", "fraud", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["n_anomalies"] == 1
    capsys.readouterr()
    assert main(argv) == 2
    assert "label column 'verdict' holds 'legit'" in capsys.readouterr().err
    assert main([*argv, "--anomaly-value", "bad"]) == 2
    assert "no row of label column 'verdict' holds 'bad'; its values include 'legit', 'Fraud'" in (
        capsys.readouterr().err
    )


def test_datasets_lists_the_shipped_data(capsys):
    assert main(["datasets"]) == 0
    assert "ann_thyroid_1v3" in capsys.readouterr().out


#: What the command line (and the workbench: both read with aad.load_data) does where the strict
#: loader refuses: a column left out, or numbers read as people write them, with a note.
_READ_BY_THE_CLI = {
    "non-numeric column": r"note: column 'city' holds a different value in every row, as an identifier or "
    r"free text does: left out of the features",
    "mixed types": r"note: column 'b' is numeric but row 1 holds 'x': left out of the features; fix",
    "blank lines before a bad value": r"note: column 'b' is numeric but row 1 holds 'x': left out",
    "decimal commas": r"note: column 'a' holds numbers written with a decimal comma \('1,5' is read as 1.5\)",
    "infinite value": r"note: column 'b' holds inf at row 1, beyond .*: left out of the features.*replace "
    r"the infinite values to use it",
    "a value beyond float32": r"note: column 'a' holds 1e\+39 at row 1, beyond .*: left out of the features.*"
    r"rescale it",
    "thousands separators": r"note: column 'a' holds numbers written with thousands separators "
    r"\('1,234.5' is read as 1234.5\)",
}


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.name for b in BAD_INPUTS])
def test_every_bad_file_is_one_line_and_status_2(tmp_path, monkeypatch, capsys, bad):
    for key, value in bad.env:
        monkeypatch.setenv(key, value)
    path = bad.write(tmp_path)
    status = main(["simulate", str(path), "--budget", "2", "--reruns", "1"])
    err = capsys.readouterr().err
    left_out = _READ_BY_THE_CLI.get(bad.name)  # as the workbench does, with a note
    assert re.search(left_out or bad.message, err), err
    if bad.repairable or left_out:  # repaired, said, then simulated or refused for want of ground truth
        lines = err.splitlines()
        if "label" in path.read_text(errors="replace").splitlines()[0]:
            assert status == 0, err
            assert all(line.startswith("note: ") for line in lines), err
        else:
            assert status == 2
            assert lines[:-1], err
            assert all(line.startswith("note: ") for line in lines[:-1]), err
            assert re.match(r"aad: error: \w+ has no ground-truth column, and a simulation needs", lines[-1])
    else:
        assert status == 2
        assert err.count("\n") == 1
        assert err.startswith("aad: error: ")


def test_every_row_labelled_anomaly_cannot_be_simulated(tmp_path, capsys):
    path = tmp_path / "all.csv"
    path.write_text("a,label\n1,anomaly\n2,anomaly\n3,anomaly\n")
    assert main(["simulate", str(path), "--budget", "2", "--reruns", "1"]) == 2
    assert "every row of all is labelled anomaly" in capsys.readouterr().err


def test_more_rows_per_tree_than_the_table_has_is_said_not_silently_capped(tmp_path, capsys):
    assert main(["simulate", "toy2", "--max-samples", "99999999", "--budget", "2", "--reruns", "1"]) == 0
    said = "note: --max-samples 99,999,999 is more than the 485 rows: each tree is grown on all 485"
    assert said in capsys.readouterr().err
    labels = tmp_path / "labels.csv"
    labels.write_text("row,label\n0,anomaly\n1,nominal\n")
    assert main(["rules", "toy2", "--labels", str(labels), "--max-samples", "600"]) == 0
    assert "more than the 485 rows" in capsys.readouterr().err
    assert main(["simulate", "toy2", "--max-samples", "400", "--budget", "2", "--reruns", "1"]) == 0
    assert "more than the" not in capsys.readouterr().err


def test_features_option_selects_columns(capsys):
    assert main(["simulate", "toy2", "--features", "y", "--budget", "3", "--reruns", "1"]) == 0
    assert main(["simulate", "toy2", "--features", "x,zz", "--budget", "3"]) == 2
    assert "there is no column 'zz' to use as a feature" in capsys.readouterr().err


def test_counts_read_as_english():
    from app.text import count

    assert [count(1, "rule"), count(2, "rule"), count(1, "labelled anomaly")] == [
        "1 rule",
        "2 rules",
        "1 labelled anomaly",
    ]
    assert [count(0, "anomaly"), count(35, "labelled anomaly"), count(1200, "row")] == [
        "0 anomalies",
        "35 labelled anomalies",
        "1,200 rows",
    ]


def test_the_workbench_opens_a_table_with_id_and_text_columns_as_the_data_page_does(tmp_path, monkeypatch):
    rows = "".join(f"T{i},{'shop' if i % 3 else 'cafe'},{i % 11}.5,{(i * 7) % 13}\n" for i in range(30))
    table = tmp_path / "txn.csv"
    table.write_text("txn_id,merchant,amount,hour\n" + rows)
    started = []
    monkeypatch.setattr("streamlit.web.cli.main", lambda: started.append(os.environ["AAD_DATA"]))
    monkeypatch.setattr(sys, "argv", sys.argv[:])  # the command points sys.argv at streamlit
    assert main(["app", str(table), "--db", str(tmp_path / "s.sqlite")]) == 0
    assert started == [str(table.resolve())]


def test_the_command_line_leaves_out_an_id_column_as_the_workbench_does(tmp_path, capsys):
    """Sorted tables carry the answer in their ids: a model that sees the id finds the
    anomalies appended last by their row number, and its rules test the id."""
    rows = [f"{i},{(i * 37) % 101 / 10},{(i * 53) % 97 / 10},nominal" for i in range(300)]
    rows += [f"{300 + i},{5 + i % 3 / 10},{5 - i % 2 / 10},anomaly" for i in range(12)]
    table, labels = tmp_path / "sorted.csv", tmp_path / "labels.csv"
    table.write_text("customer_id,a,b,label\n" + "\n".join(rows) + "\n")
    labels.write_text("row,label\n" + "".join(f"{r},anomaly\n" for r in range(300, 306)) + "0,nominal\n")
    assert main(["rules", str(table), "--labels", str(labels), "--format", "sql"]) == 0
    out, err = capsys.readouterr()
    assert "customer_id" not in out
    assert '"a"' in out
    assert "column 'customer_id' looks like an identifier" in err
    assert (
        main(["simulate", str(table), "--budget", "3", "--reruns", "1", "--features", "customer_id,a"]) == 0
    )


def test_simulate_takes_the_class_balance_and_records_it(tmp_path):
    runs = {}
    for balance in ("1", "0.8"):
        out = tmp_path / f"b{balance}.json"
        assert main(["simulate", "ann_thyroid_1v3", "--budget", "40", "--reruns", "1", "--balance", balance,
                     "--json", str(out)]) == 0  # fmt: skip
        runs[balance] = json.loads(out.read_text())
    assert runs["1"]["params"]["balance"] == 1.0
    assert runs["0.8"]["params"]["balance"] == 0.8
    assert runs["1"]["runs"][0]["queried"] != runs["0.8"]["runs"][0]["queried"]


def test_a_class_file_of_other_data_is_refused(tmp_path, capsys):
    other = tmp_path / "other_classes.csv"
    lines = (aad.data.datasets_dir() / "yeast_classes.csv").read_text().splitlines()[:486]
    other.write_text("\n".join(lines) + "\n")
    assert main(["simulate", "toy2", "--budget", "3", "--reruns", "1", "--class-file", str(other)]) == 2
    err = capsys.readouterr().err
    assert "class file 'other_classes.csv' says row" in err
    assert "but the data's ground truth says" in err


def _commands() -> list[list[str]]:
    import typer

    from app.cli import _register_commands, cli

    _register_commands()
    group = typer.main.get_command(cli)
    out = []
    for name, command in group.commands.items():
        subs = getattr(command, "commands", None)
        out += [[name, sub] for sub in subs] if subs else [[name]]
    return out


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_help_is_on_stdout_and_wraps_at_the_terminal_not_at_the_docstrings_line_breaks(
    capsys, monkeypatch, command
):
    """`aad CMD --help | less` shows the help (it went to standard error), and at 80 columns no
    line of the description ends early inside a paragraph (the docstrings' own line breaks,
    kept, left a word or two alone on a line)."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("TERMINAL_WIDTH", raising=False)
    assert main([*command, "--help"]) == 0
    out, err = capsys.readouterr()
    assert f"Usage: aad {' '.join(command)} [OPTIONS]" in out
    assert not err.strip()
    helps = [line for line in out.splitlines() if "--help " in line]
    assert len(helps) == 1
    assert "<bool>" not in helps[0]  # review 19: '--help <bool>', as if it took a value
    text = out.split("╭")[0]
    lines = [line.rstrip() for line in text.splitlines()]
    assert max(map(len, lines)) <= 80
    for line, after in itertools.pairwise(lines):
        if line.strip() and after.strip():  # inside a paragraph: the next word did not fit
            assert len(line) + len(after.split()[0]) + 1 > 79, f"{line!r} then {after!r}"  # 78 and a margin
