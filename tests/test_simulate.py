"""Simulated discovery: feedback finds more anomalies than the ranking alone."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import aad


def test_same_seed_same_curve(toy2):
    a = aad.simulate(toy2, budget=30, reruns=2, seed=5)
    b = aad.simulate(toy2, budget=30, reruns=2, seed=5)
    for run_a, run_b in zip(a.runs, b.runs, strict=True):
        np.testing.assert_array_equal(run_a.queried, run_b.queried)
    c = aad.simulate(toy2, budget=30, reruns=1, seed=6)
    assert not np.array_equal(a.runs[0].queried, c.runs[0].queried)


def test_no_feedback_baseline_is_the_isolation_forest_ranking(toy2):
    result = aad.simulate(toy2, budget=60, reruns=3)
    for run in result.runs:
        np.testing.assert_array_equal(run.baseline_found, run.iforest_found)


def test_every_detector_reports_the_isolation_forest_of_the_runs_own_trees_and_rows(toy2):
    """The isolation forest column of an extended forest's runs is the forest grown with the
    trees and rows per tree the run names (it was 200 x 512 whatever they said)."""
    small = {"n_estimators": 10, "max_samples": 32}
    plain = aad.simulate(toy2, budget=40, reruns=2, seed=3, model_params=small)
    extended = aad.simulate(toy2, budget=40, reruns=2, seed=3, model_params=small, detector="eif")
    default = aad.simulate(toy2, budget=40, reruns=2, seed=3, detector="eif")
    for a, b in zip(plain.runs, extended.runs, strict=True):
        np.testing.assert_array_equal(a.iforest_found, b.iforest_found)
    assert any(
        not np.array_equal(b.iforest_found, c.iforest_found)
        for b, c in zip(extended.runs, default.runs, strict=True)
    )


@pytest.mark.parametrize(("name", "budget", "margin"), [("toy2", 35, 5.0), ("ann_thyroid_1v3", 50, 15.0)])
def test_feedback_beats_the_no_feedback_baseline(name, budget, margin):
    result = aad.simulate(aad.load_dataset(name), budget=budget, reruns=3)
    assert result.mean_found[-1] >= result.baseline_mean_found[-1] + margin


def test_batches_spend_the_budget_exactly(toy2):
    result = aad.simulate(toy2, budget=10, reruns=1, batch_size=4)
    run = result.runs[0]
    assert len(run.queried) == 10 == len(set(run.queried.tolist()))
    assert run.found[-1] == toy2.y[run.queried].sum()


def test_json_summary_has_the_documented_keys(toy2):
    summary = aad.simulate(toy2, budget=5, reruns=2).to_dict()
    assert {
        "dataset",
        "n_rows",
        "n_anomalies",
        "budget",
        "strategy",
        "batch_size",
        "runs",
        "mean_found",
        "std_found",
        "baseline_mean_found",
        "seconds_per_label_median",
    } <= set(summary)
    assert {"seed", "found", "baseline_found", "iforest_found"} <= set(summary["runs"][0])
    assert [r["seed"] for r in summary["runs"]] == [0, 1]
    assert len(summary["mean_found"]) == 5


def test_class_file_counts_distinct_classes(toy2):
    classes = aad.load_classes("toy2")
    summary = aad.simulate(toy2, budget=40, reruns=2, batch_size=4, classes=classes).to_dict()
    curve = summary["classes_found"]
    assert len(curve) == 40
    assert curve == sorted(curve)
    assert curve[-1] <= 2
    assert 0 < summary["mean_classes_per_batch"] <= 2


def test_a_class_file_of_one_column_with_empty_lines_says_why_it_has_fewer_rows(toy2, tmp_path):
    classes = aad.load_classes("toy2", y=toy2.y)
    path = tmp_path / "classes.csv"
    lines = [f"{c}\n" if flag else "\n" for c, flag in zip(classes, toy2.y, strict=True)]
    path.write_text("class\n" + "".join(lines))  # the nominal rows' classes left empty
    with pytest.raises(aad.DataError, match="a file of one column skips its empty lines"):
        aad.load_classes(path, y=toy2.y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": 0}, "The 'budget' parameter of simulate must be an int >= 1. Got 0"),
        ({"budget": 10.5}, "The 'budget' parameter of simulate must be an int >= 1. Got 10.5"),
        ({"seed": None}, "The 'seed' parameter of simulate must be an int in the range [0, 4294967295]"),
        ({"budget": 486}, "the budget must be between 1 and 485, the number of rows of toy2; got 486"),
        ({"reruns": 0}, "The 'reruns' parameter of simulate must be an int in the range [1, 10000]. Got 0"),
        ({"reruns": 10**8}, "The 'reruns' parameter of simulate must be an int in the range [1, 10000]"),
        ({"batch_size": 0}, "The 'batch_size' parameter of simulate must be an int >= 1. Got 0"),
        ({"classes": np.array(["a", "b"])}, "the class file has 2 rows but toy2 has 485"),
    ],
)
def test_bad_simulation_settings(toy2, kwargs, message):
    with pytest.raises(aad.AADError, match=re.escape(message)):
        aad.simulate(toy2, **kwargs)


def test_simulation_needs_ground_truth(toy2):
    unlabelled = aad.dataset_from_frame(toy2.frame(), name="toy2")
    with pytest.raises(aad.DataError, match="has no ground-truth column"):
        aad.simulate(unlabelled)


def test_a_truth_written_in_other_words_is_met_with_the_option_that_reads_it(tmp_path, capsys):
    """A `label` column of fraud/ok: the error named --label-col, though the column is found by
    its name; it names --anomaly-value and the rarest value, for simulate and stream alike."""
    from app.cli import main

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"label": np.where(np.arange(300) < 10, "fraud", "ok"), "a": rng.normal(size=300)})
    frame.to_csv(tmp_path / "fraud.csv", index=False)
    for command in (["simulate", "--budget", "5"], ["stream", "--window", "100"]):
        assert main([command[0], str(tmp_path / "fraud.csv"), *command[1:]]) == 2
        error = capsys.readouterr().err.splitlines()[-1]
        assert "--label-col" not in error
        assert "column 'label' holds 'ok' (290 rows) and 'fraud' (10 rows), not anomaly/nominal" in error
        assert error.endswith("as --anomaly-value fraud (its rarest value)")
    assert main(["simulate", str(tmp_path / "fraud.csv"), "--budget", "5", "--anomaly-value", "fraud"]) == 0


def test_the_spread_over_runs_is_the_sample_standard_deviation_and_one_run_has_none(toy2):
    """A researcher recomputes the spread with pandas (ddof=1); numpy's default (ddof=0) said
    0.49 where the sample's is 0.516, and one run printed ± 0.0."""
    result = aad.simulate(toy2, budget=30, reruns=4, seed=2)
    found = np.vstack([run.found for run in result.runs])
    np.testing.assert_allclose(result.std_found, pd.DataFrame(found).std(axis=0).to_numpy())
    single = aad.simulate(toy2, budget=5, reruns=1)
    assert single.std_found is None
    assert single.to_dict()["std_found"] is None


def test_a_class_file_giving_anomalies_the_nominal_rows_class_is_refused(toy2, tmp_path):
    """Three anomaly rows given 'nominal' counted 'nominal' as a kind of anomaly found (3
    classes found where there were 2), without a word."""
    classes = np.where(toy2.y, "kind a", "nominal").astype(object)
    anomalies = np.flatnonzero(toy2.y)
    classes[anomalies[:3]] = "nominal"
    path = tmp_path / "classes.csv"
    pd.DataFrame({"class": classes}).to_csv(path, index=False)
    with pytest.raises(
        aad.DataError, match=rf"gives anomaly row {anomalies[0]} the class 'nominal', that of every"
    ):
        aad.load_classes(path, y=toy2.y)
    classes[anomalies[:3]] = "kind b"
    pd.DataFrame({"class": classes}).to_csv(path, index=False)
    assert set(aad.load_classes(path, y=toy2.y)[toy2.y]) == {"kind a", "kind b"}
