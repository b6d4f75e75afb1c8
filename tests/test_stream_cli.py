"""``aad stream``: the replayed protocol on the command line, its JSON, its one-line errors."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import aad
from app.charts import stream_figure
from app.cli import main


def _drifting_csv(path) -> None:
    """Three windows of 200 rows; the normal region moves in the third; a few outliers in each."""
    rng = np.random.default_rng(0)
    parts = []
    for k in range(3):
        centre = 0.0 if k < 2 else 4.0
        normal = rng.normal(centre, 1.0, size=(194, 2))
        outliers = rng.normal(centre + 7.0, 0.3, size=(6, 2))
        block = np.vstack([normal, outliers])
        labels = np.r_[np.zeros(194), np.ones(6)]
        order = rng.permutation(200)
        parts.append(np.column_stack([block[order], labels[order]]))
    table = np.vstack(parts)
    lines = [f"{a:.5f},{b:.5f},{'anomaly' if y else 'nominal'}" for a, b, y in table]
    path.write_text("a,b,label\n" + "\n".join(lines) + "\n")


def _argv(data, *, reruns: int) -> list[str]:
    """``aad stream`` over the drifting table: windows of 200, 6 labels each, 30 trees."""
    protocol = ["--window", "200", "--budget-per-window", "6", "--reruns", str(reruns), "--trees", "30"]
    return ["stream", str(data), *protocol]


def test_stream_writes_the_summaries_and_one_window_object_per_window(tmp_path, capsys):
    data, out_json, out_html = tmp_path / "d.csv", tmp_path / "s.json", tmp_path / "s.html"
    _drifting_csv(data)
    argv = _argv(data, reruns=2)
    status = main([*argv, "--max-samples", "64", "--json", str(out_json), "--plot", str(out_html)])
    assert status == 0
    summary = json.loads(out_json.read_text())
    for key in ("mean_found", "no_replacement_mean_found", "batch_mean_found", "seconds_per_window_median"):
        assert isinstance(summary[key], float)
    assert len(summary["runs"]) == 2
    windows = summary["runs"][0]["windows"]
    assert len(windows) == 3
    assert {"found", "trees_replaced", "drift_alarm", "seconds"} <= set(windows[0])
    assert windows[2]["trees_replaced"] > 0  # the normal region moved
    assert summary["mean_found"] == np.mean([sum(w["found"] for w in r["windows"]) for r in summary["runs"]])
    assert "plotly" in out_html.read_text()[:5000].lower()
    assert "found over the stream" in capsys.readouterr().out


def test_stream_rebase_all_reproduces_the_engines_rule_and_is_recorded(tmp_path):
    data, out_json = tmp_path / "d.csv", tmp_path / "s.json"
    _drifting_csv(data)
    argv = _argv(data, reruns=1)
    assert main([*argv, "--rebase", "all", "--json", str(out_json)]) == 0
    summary = json.loads(out_json.read_text())
    assert summary["params"]["rebase"] == "all"
    X = np.loadtxt(data, delimiter=",", skiprows=1, usecols=(0, 1))
    y = np.array([line.endswith("anomaly") for line in data.read_text().splitlines()[1:]])
    again = aad.replay_stream(
        X, y, window=200, budget_per_window=6, stream_params={"rebase": "all", "n_estimators": 30}
    )
    assert summary["mean_found"] == again.mean_found


def test_the_json_names_each_runs_seed_and_no_other(tmp_path):
    """Review 20 (L3): --seed 5 wrote "random_state": null beside "seed": 5."""
    data, out_json = tmp_path / "d.csv", tmp_path / "s.json"
    _drifting_csv(data)
    assert main([*_argv(data, reruns=2), "--seed", "5", "--json", str(out_json)]) == 0
    summary = json.loads(out_json.read_text())
    assert summary["params"]["seed"] == 5
    assert "random_state" not in summary["params"]
    assert [run["seed"] for run in summary["runs"]] == [5, 6]


def test_stream_with_half_space_trees(tmp_path):
    data, out_json = tmp_path / "d.csv", tmp_path / "s.json"
    _drifting_csv(data)
    argv = ["stream", str(data), "--window", "200", "--budget-per-window", "6", "--reruns", "1"]
    assert main([*argv, "--detector", "hst", "--trees", "20", "--json", str(out_json)]) == 0
    summary = json.loads(out_json.read_text())
    assert summary["params"]["detector"] == "hst"
    assert summary["mean_found"] >= 6


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stream", "toy2", "--window", "50", "--budget-per-window", "60"], "exceeds the window"),
        (["stream", "toy2", "--window", "1"], "--window"),
        (["stream", "toy2", "--detector", "lof"], "'lof' is not one of"),
        (["stream", "toy2", "--drift", "sometimes"], "--drift"),
        (["stream", "toy2", "--rebase", "some"], "--rebase"),
        (["stream", "nosuch"], "no shipped dataset or file named 'nosuch'"),
        (["stream", "{unlabelled}"], "no ground-truth column"),
        (["stream", "toy2", "--detector", "hst", "--max-samples", "64"], "leave --max-samples out"),
        (["stream", "toy2", "--plot", "{unlabelled}.json"], "--plot writes an HTML page: name a .html file"),
        (
            ["stream", "toy2", "--min-drifted", "0"],
            "'--min-drifted': a share of the trees, above 0 and at most 1",
        ),
        (["stream", "toy2", "--min-drifted", "1.5"], "above 0 and at most 1; got 1.5"),
        (["stream", "toy2", "--drift", "none", "--rebase", "all"], "--rebase sets how drift is handled"),
        (
            ["stream", "toy2", "--drift", "none", "--min-drifted", "0.5", "--rebase", "all"],
            "--min-drifted, --rebase",
        ),
    ],
)
def test_stream_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    unlabelled = tmp_path / "u.csv"
    unlabelled.write_text("a,b\n" + "\n".join(f"{i},{i % 7}" for i in range(50)) + "\n")
    assert main([arg.format(unlabelled=unlabelled) for arg in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("aad: error:")
    assert message in err[0]


def test_a_stream_without_river_says_to_install_the_extra_from_the_checkout(monkeypatch, capsys):
    """Review 26 (1): the message said pip install "aad[stream]", and the name aad on PyPI is
    another project (an Azure AD B2C token SDK): it now names make extras, run in aad's checkout."""
    for module in ("river", "river.drift", "river.tree", "river.tree.padded"):
        monkeypatch.setitem(sys.modules, module, None)  # river missing, whether installed or not
    assert main(["stream", "toy2", "--window", "100", "--budget-per-window", "2", "--reruns", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("aad: error: river is not installed; streams need it")
    assert "run 'make extras' in aad's checkout" in err[0]
    assert ".[stream]" in err[0]
    assert "aad[" not in err[0]


def test_more_rows_per_tree_than_the_first_window_is_said(tmp_path, capsys):
    argv = ["stream", "toy2", "--window", "100", "--budget-per-window", "2", "--reruns", "1"]
    assert main([*argv, "--max-samples", "5000"]) == 0
    said = "note: --max-samples 5,000 is more than the first window's 100 rows, which grow the trees"
    assert said in capsys.readouterr().err
    assert main([*argv, "--max-samples", "64"]) == 0
    assert "--max-samples" not in capsys.readouterr().err


def test_stream_figure_marks_replacements():
    window = {"found": 1, "no_replacement_found": 1, "trees_replaced": 0, "drift_alarm": False}
    moved = {**window, "trees_replaced": 12, "drift_alarm": True}
    summary = {
        "n_rows": 300,
        "window": 100,
        "budget_per_window": 2,
        "batch_mean_found": 3.0,
        "runs": [{"windows": [window, window, moved]}],
    }
    fig = stream_figure(summary)
    marks = {trace.name: list(trace.x) for trace in fig.data}
    assert marks["trees replaced"] == [3]
    assert marks["ADWIN alarm"] == [3]
    assert list(fig.data[0].y) == [1.0, 2.0, 3.0]


def test_a_table_too_short_for_two_windows_says_what_a_stream_needs(tmp_path, capsys):
    """Three rows: no window of at most 1 row is suggested (a window holds 2 rows at least)."""
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("a,label\n1,nominal\n2,nominal\n9,anomaly\n")
    assert main(["stream", str(tiny), "--window", "2", "--budget-per-window", "1"]) == 2
    err = capsys.readouterr().err
    assert "a stream needs 4 rows at least (two windows of 2)" in err
    assert "at most 1 rows" not in err


def test_a_short_last_window_shows_its_rows_and_the_labels_it_spent(tmp_path, capsys):
    """600 rows in windows of 299: the third holds 2 rows yet asks its 6 labels of the rows kept
    before it; the table said neither, and a reader counted 12 labels where 18 were spent."""
    data = tmp_path / "d.csv"
    _drifting_csv(data)
    argv = ["stream", str(data), "--window", "299", "--budget-per-window", "6", "--trees", "30"]
    assert main([*argv, "--max-samples", "64"]) == 0
    out = capsys.readouterr().out
    rows = [
        line.split("│")[1:4]
        for line in out.splitlines()
        if line.startswith("│") and line.split("│")[1].strip().isdigit()
    ]
    assert [(w.strip(), r.strip(), n.strip()) for w, r, n in rows] == [
        ("0", "299", "6.0"),
        ("1", "299", "6.0"),
        ("2", "2", "6.0"),
    ]
    assert "in 18 labels" in out


def test_no_timing_gives_byte_identical_output_for_the_same_seed(tmp_path, capsys):
    """Timings made every run's JSON and table differ; a researcher diffs or hashes them."""
    data = tmp_path / "d.csv"
    _drifting_csv(data)
    written = []
    for k in range(2):
        out = tmp_path / f"s{k}.json"
        assert main([*_argv(data, reruns=1), "--max-samples", "64", "--no-timing", "--json", str(out)]) == 0
        written.append((out.read_bytes(), capsys.readouterr().out))
    assert written[0] == written[1]
    assert b"seconds" not in written[0][0]
    assert "median time" not in written[0][1]
    for k in range(2):
        out = tmp_path / f"r{k}.json"
        assert (
            main(["simulate", "toy2", "--budget", "15", "--reruns", "2", "--no-timing", "--json", str(out)])
            == 0
        )
        written.append((out.read_bytes(), capsys.readouterr().out))
    assert written[2] == written[3]
    assert b"seconds" not in written[2][0]
