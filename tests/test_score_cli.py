"""`aad score`: a learned model applied to its own rows, to new rows, and from a session."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import aad
from app.cli import main


def _labels(tmp_path, pairs) -> str:
    path = tmp_path / "labels.csv"
    path.write_text("row,label\n" + "".join(f"{r},{lab}\n" for r, lab in pairs))
    return str(path)


def _scored(capsys) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


def test_scores_are_the_learned_models_and_a_label_moves_its_row_down(tmp_path, capsys):
    toy2 = aad.load_dataset("toy2")
    assert main(["score", "toy2", "--labels", _labels(tmp_path, []), "--seed", "3"]) == 0
    before = _scored(capsys)
    first = int(before.loc[before["rank"] == 1, "row"].iloc[0])

    labels = _labels(tmp_path, [(first, "nominal"), (7, "anomaly")])
    assert main(["score", "toy2", "--labels", labels, "--seed", "3"]) == 0
    after = _scored(capsys)

    known = np.full(toy2.n_rows, aad.UNLABELLED)
    known[[first, 7]] = [0, 1]
    expected = aad.AADForest(random_state=3).fit(toy2.X, known).anomaly_score()
    assert after["row"].tolist() == list(range(toy2.n_rows))
    np.testing.assert_allclose(after["anomaly_score"], expected, rtol=1e-12)
    assert sorted(after["rank"]) == list(range(1, toy2.n_rows + 1))
    assert after.loc[first, "rank"] > 1, "the row labelled nominal is no longer the top row"
    assert after.loc[7, "rank"] < before.loc[7, "rank"], "the row labelled anomaly moved up"


def test_new_rows_are_matched_by_column_name_and_score_like_the_same_rows(tmp_path, capsys):
    toy2 = aad.load_dataset("toy2")
    labels = _labels(tmp_path, [(0, "anomaly"), (1, "nominal")])
    assert main(["score", "toy2", "--labels", labels]) == 0
    own = _scored(capsys)

    rows = [5, 40, 300]
    new = pd.DataFrame({"id": ["a", "b", "c"], "y": toy2.X[rows, 1], "x": toy2.X[rows, 0]})
    new.to_csv(tmp_path / "new.csv", index=False)
    assert main(["score", "toy2", "--labels", labels, "--apply", str(tmp_path / "new.csv")]) == 0
    scored = _scored(capsys)
    assert scored["row"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(scored["anomaly_score"], own.loc[rows, "anomaly_score"], rtol=1e-12)
    # a new row's percentile is its place among the rows the model learned from
    np.testing.assert_allclose(scored["percentile"], own.loc[rows, "percentile"])
    assert scored["id"].tolist() == ["a", "b", "c"]  # the file's other columns, beside the scores


def test_top_writes_the_best_rows_best_first_to_a_file(tmp_path, capsys):
    out = tmp_path / "top.csv"
    assert main(["score", "toy2", "--labels", _labels(tmp_path, []), "--top", "5", "--output", str(out)]) == 0
    table = pd.read_csv(out)
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    assert table["anomaly_score"].is_monotonic_decreasing
    assert "wrote 5 rows" in capsys.readouterr().err


def test_a_single_new_row_with_a_gap_is_filled_with_the_training_median(tmp_path, capsys):
    (tmp_path / "one.csv").write_text("x,y\n,2.5\n")
    labels = _labels(tmp_path, [])
    assert main(["score", "toy2", "--labels", labels, "--apply", str(tmp_path / "one.csv")]) == 0
    captured = capsys.readouterr()
    median_x = float(np.median(aad.load_dataset("toy2").X[:, 0]))
    assert f"filled with the median {median_x:g} of the data the model learned from" in captured.err
    assert len(pd.read_csv(io.StringIO(captured.out))) == 1


def test_timestamps_are_written_to_the_second_not_to_the_microsecond(tmp_path, capsys):
    when = pd.date_range("2024-01-01", periods=60, freq="37min").as_unit("us")  # a Parquet timestamp: no text
    x = np.random.default_rng(0).normal(size=60)
    pd.DataFrame({"when": when, "x": x}).to_parquet(tmp_path / "t.parquet", index=False)
    assert main(["score", str(tmp_path / "t.parquet"), "--labels", _labels(tmp_path, [(3, "anomaly")])]) == 0
    assert _scored(capsys)["when"].tolist()[:2] == ["2024-01-01 00:00:00", "2024-01-01 00:37:00"]


def _logins(path, day: int) -> list[str]:
    """A log whose timestamps are written ISO 8601 with a UTC offset, as a SIEM exports them."""
    rng = np.random.default_rng(day)
    when = pd.date_range(f"2024-10-{day:02d}", periods=80, freq="17min", tz="UTC")
    written = [t.isoformat() for t in when]  # 2024-10-14T00:00:00+00:00
    frame = pd.DataFrame({"timestamp": written, "bytes": rng.normal(1000, 50, 80).round(1)})
    frame.loc[5, "bytes"] = 90_000.0
    frame.to_csv(path, index=False)
    return written


def test_every_scoring_path_writes_a_timestamp_as_the_file_wrote_it(tmp_path, capsys):
    """Review 25, defect 4: --session and --apply wrote '2024-10-14 00:00:21' (the T and the
    +00:00 gone) where --model --columns wrote the file's '2024-10-14T00:00:21+00:00', so the
    scores no longer joined back to the log by its timestamp."""
    day1, day2 = tmp_path / "day1.csv", tmp_path / "day2.csv"
    first, second = _logins(day1, 14), _logins(day2, 15)
    db = tmp_path / "s.sqlite"
    session = aad.Session.create(aad.load_data(str(day1)), store=aad.Store(db), seed=0)
    session.label(5, "anomaly")
    assert main(["score", "--session", session.id, "--db", str(db)]) == 0
    assert _scored(capsys).sort_values("row")["timestamp"].tolist() == first
    assert main(["score", "--session", session.id, "--db", str(db), "--apply", str(day2)]) == 0
    applied = _scored(capsys).sort_values("row")
    assert applied["timestamp"].tolist() == second
    model = tmp_path / "model.json"
    assert main(["model", "export", "--session", session.id, "--db", str(db), "--output", str(model)]) == 0
    capsys.readouterr()
    assert main(["score", "--model", str(model), str(day2), "--columns", "timestamp"]) == 0
    by_model = _scored(capsys).sort_values("row")
    assert by_model["timestamp"].tolist() == applied["timestamp"].tolist()  # the two paths agree


def test_a_session_scores_as_the_app_does(tmp_path, capsys):
    db = tmp_path / "s.sqlite"
    session = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(db), seed=2)
    for row in session.batch()[:1]:
        session.label(int(row), "nominal")
    session.label(11, "anomaly")
    assert main(["score", "--session", session.id, "--db", str(db)]) == 0
    captured = capsys.readouterr()
    scored = pd.read_csv(io.StringIO(captured.out))
    np.testing.assert_allclose(scored["anomaly_score"], session.scores(), rtol=1e-12)
    assert f"session {session.id} (2 labels, 1 anomaly)" in " ".join(captured.err.split())


def test_the_scores_carry_each_rows_label_and_values_unless_asked_not_to(tmp_path, capsys):
    toy2 = aad.load_dataset("toy2")
    labels = _labels(tmp_path, [(3, "anomaly"), (8, "nominal")])
    assert main(["score", "toy2", "--labels", labels]) == 0
    table = _scored(capsys)
    columns = ["row", "anomaly_score", "rank", "percentile", "label", "label (data)", "x", "y"]
    assert table.columns.tolist() == columns  # the analyst's label, then the data's ground truth
    assert table.loc[[3, 8, 0], "label"].fillna("").tolist() == ["anomaly", "nominal", ""]
    assert (table["label (data)"] == "anomaly").sum() == toy2.n_anomalies == 35
    np.testing.assert_array_equal(table[["x", "y"]].to_numpy(), toy2.X)
    new_rows = tmp_path / "new.csv"
    new_rows.write_text("label,x,y\nanomaly,1.0,2.0\nnominal,3.0,4.0\n")
    assert main(["score", "toy2", "--labels", labels, "--apply", str(new_rows)]) == 0
    applied = _scored(capsys)  # the same meaning: no analyst's label on new rows, the file's own beside
    assert applied.columns.tolist() == columns
    assert applied["label"].isna().all()
    assert applied["label (data)"].tolist() == ["anomaly", "nominal"]
    assert main(["score", "toy2", "--labels", labels, "--no-values"]) == 0
    assert _scored(capsys).columns.tolist() == ["row", "anomaly_score", "rank", "percentile"]


def test_rules_and_score_take_the_feature_columns_and_model_options_of_simulate(tmp_path, capsys):
    toy2 = aad.load_dataset("toy2")
    table = pd.DataFrame(
        {"name": [f"r{i}" for i in range(toy2.n_rows)], "x": toy2.X[:, 0], "y": toy2.X[:, 1]}
    )
    table.to_csv(tmp_path / "named.csv", index=False)
    labels = _labels(tmp_path, [(int(r), "anomaly") for r in np.flatnonzero(toy2.y)[:5]])
    options = ["--features", "x,y", "--seed", "4", "--max-samples", "64", "--eta", "2"]
    assert main(["score", str(tmp_path / "named.csv"), "--labels", labels, "--no-values", *options]) == 0
    known = aad.read_labels(labels, toy2.n_rows)
    model = aad.AADForest(random_state=4, max_samples=64, eta=2.0).fit(toy2.X, known)
    np.testing.assert_allclose(_scored(capsys)["anomaly_score"], model.anomaly_score(), rtol=1e-12)
    assert main(["rules", str(tmp_path / "named.csv"), "--labels", labels, "--format", "sql", *options]) == 0
    assert '"x"' in capsys.readouterr().out


APPLY = ["score", "toy2", "--labels", "LABELS", "--apply", "NEW"]


@pytest.mark.parametrize(
    ("argv", "new_file", "message"),
    [
        (["score", "toy2"], None, "say what the model learns from"),
        (["score", "toy2", "--session", "abc"], None, "give either --session ID, or DATA with --labels"),
        (["score", "toy2", "--labels", "LABELS", "--top", "0"], None, "Invalid value for '--top'"),
        (APPLY, "y,z\n1,2\n", "new.csv has no column 'x'"),
        (APPLY, "x,y\n1,two\n", "column 'y' is not numeric"),
        (APPLY, "x,y\n,1\n,2\n", "column 'x' is empty in every row, and the model was fitted on it"),
        (APPLY, "", "new.csv"),
        (["score", "--session", "nosuch", "--db", "DB"], None, "no session"),
        (
            ["score", "--session", "x", "--db", "DB", "--seed", "5", "--trees", "10"],
            None,
            "--seed, --trees apply to DATA with --labels; a session keeps the data, seed and parameters",
        ),
    ],
)
def test_bad_usage_exits_2_with_one_line(tmp_path, capsys, argv, new_file, message):
    labels = _labels(tmp_path, [(0, "anomaly")])
    new = tmp_path / "new.csv"
    if new_file is not None:
        new.write_text(new_file)
    db = tmp_path / "db.sqlite"
    aad.Store(db)
    argv = [{"LABELS": labels, "NEW": str(new), "DB": str(db)}.get(a, a) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("aad: error:")
    assert err.count("\n") == 1
    assert message.lower() in err.lower()


def test_a_batch_with_no_rows_scores_and_selects_nothing_without_failing(tmp_path, capsys):
    """A scheduled job's quiet day: the output's header, a note, and exit status 0."""
    labels = _labels(tmp_path, [(0, "anomaly"), (3, "anomaly"), (5, "nominal")])
    empty, rules = tmp_path / "today.csv", tmp_path / "rules.json"
    empty.write_text("y,x,id\n")
    assert main(["score", "toy2", "--labels", labels, "--apply", str(empty)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith("row,anomaly_score,rank,percentile")
    assert len(captured.out.splitlines()) == 1
    assert "today.csv has a header but no rows" in captured.err
    assert main(["rules", "toy2", "--labels", labels, "--output", str(rules)]) == 0
    assert main(["select", str(rules), str(empty)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().startswith("row,rule")
    assert len(captured.out.splitlines()) == 1
    assert "selects 0 rows of 0" in captured.err or "select 0 rows of 0" in captured.err


def test_select_says_how_many_tested_cells_are_missing(tmp_path, capsys):
    labels = _labels(tmp_path, [(0, "anomaly"), (3, "anomaly"), (5, "nominal")])
    rules, new = tmp_path / "rules.json", tmp_path / "new.csv"
    assert main(["rules", "toy2", "--labels", labels, "--output", str(rules)]) == 0
    new.write_text("x,y\n,1\n,2\n7,\n")
    assert main(["select", str(rules), str(new)]) == 0
    err = capsys.readouterr().err
    assert "2 tested columns have missing values, which no rule's test covers: 'x' (2), 'y' (1)" in err


def test_the_training_rows_scored_as_new_rows_keep_their_percentiles(tmp_path, capsys):
    labels = _labels(tmp_path, [(0, "anomaly"), (3, "anomaly"), (5, "nominal")])
    assert main(["score", "toy2", "--labels", labels, "--no-values"]) == 0
    own = _scored(capsys).sort_values("row")
    toy2 = str(aad.data.datasets_dir() / "toy2.csv")
    assert main(["score", "toy2", "--labels", labels, "--no-values", "--apply", toy2]) == 0
    again = _scored(capsys).sort_values("row")
    np.testing.assert_allclose(again["anomaly_score"], own["anomaly_score"], rtol=1e-12)
    assert again["percentile"].tolist() == own["percentile"].tolist()


@pytest.mark.parametrize("text", [["a", "b", None], ['say "hi"', "x,y", "line\nbreak"]])
def test_the_fast_csv_writer_reads_back_as_pandas_own_csv(text):
    """Scores are written by Arrow (ten times faster at a million rows): what any CSV reader
    gets back must be what pandas' own writer gives, numbers to the last bit."""
    from aad.tables import csv_text

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "row": np.arange(3),
            "anomaly_score": rng.random(3) * 10.0 ** rng.integers(-20, 20, 3),
            "whole": [1.0, 2.0, np.nan],
            "count": pd.array([7, None, 9], dtype="Int64"),
            "id": text,
        }
    )
    ours = pd.read_csv(io.StringIO(csv_text(frame)))
    theirs = pd.read_csv(io.StringIO(frame.to_csv(index=False)))
    pd.testing.assert_frame_equal(ours, theirs)


@pytest.mark.parametrize("detector", [[], ["--detector", "eif"], ["--members", "iforest,lof"]])
def test_apply_says_when_new_rows_seem_in_another_unit_as_score_model_does(tmp_path, capsys, detector):
    """Amounts in cents for euros: ``score --model`` said so twice, ``--apply`` nothing."""
    rng = np.random.default_rng(0)
    euros = pd.DataFrame({"amount": rng.lognormal(3, 0.5, 400).round(2), "items": rng.integers(1, 9, 400)})
    euros.to_csv(tmp_path / "day.csv", index=False)
    cents = euros.assign(amount=euros["amount"] * 100)
    cents.to_csv(tmp_path / "cents.csv", index=False)
    labels = _labels(tmp_path, [(0, "nominal")])
    for new, said in (("day.csv", False), ("cents.csv", True)):
        args = ["score", str(tmp_path / "day.csv"), "--labels", labels, "--apply", str(tmp_path / new)]
        assert main([*args, *detector]) == 0
        err = capsys.readouterr().err
        unit = "feature 'amount': 400 of its 400 values are ten times the median" in err
        assert unit == (said and not detector), err  # an extended forest's or ensemble's: no model file
