"""Hostile files, hostile names, broken disks: one test (or more) per kind of hole (issue 17).

Every kind here is something an adversarial review found once; the tests check the kind, not
the one instance: nested and exotic Parquet columns, files that decode far beyond their size,
CSV cells a spreadsheet would run, names pandas cannot tell apart, banners from C libraries on
stdout, markup in names, outputs that would overwrite inputs, databases from elsewhere (newer,
damaged, read-only, full), hostile rules files, absurd sizes and a closed stdout.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import aad
from aad.tables import csv_text, from_spreadsheet_safe, spreadsheet_safe
from app import charts, hosts, keys, state, text, views
from app.cli import main

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "streamlit_app.py")
AAD = [sys.executable, "-m", "app.cli"]


def _labels(tmp_path: Path, rows: dict[int, str] | None = None) -> Path:
    rows = rows or {0: "anomaly", 3: "nominal"}
    path = tmp_path / "labels.csv"
    path.write_text("row,label\n" + "".join(f"{r},{v}\n" for r, v in rows.items()))
    return path


def _table(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n) * 3})


# --------------------------------------------------------------------------- nested and exotic columns


def _nested_parquet(path: Path, n: int = 60) -> Path:
    base = _table(n)
    table = pa.table(
        {
            "a": base["a"],
            "b": base["b"],
            "point": pa.array([{"x": i, "tag": f"t{i}"} for i in range(n)]),
            "tags": pa.array([[i, i + 1] for i in range(n)]),
            "attrs": pa.array([[("k", i)] for i in range(n)], type=pa.map_(pa.string(), pa.int64())),
            "blob": pa.array([bytes([i % 256, 0]) for i in range(n)]),
            "nothing": pa.nulls(n),
            "day": pa.array([pd.Timestamp("2026-01-01").date()] * n),
        }
    )
    pq.write_table(table, path)
    return path


def test_nested_and_exotic_parquet_columns_load_as_context_or_are_left_out_with_a_note(tmp_path):
    dataset = aad.load_data(str(_nested_parquet(tmp_path / "nested.parquet")))
    assert dataset.feature_names == ("a", "b")
    notes = " | ".join(dataset.notes)
    assert "3 columns hold nested values, read as JSON text: 'point' (struct<" in notes  # one line
    for name, kind in (("point", "struct"), ("tags", "list"), ("attrs", "map")):
        assert f"{name!r} ({kind}<" in notes
    # different in every row: context, beside the rows
    assert "3 text columns hold a different value in (almost) every row" in notes
    assert (
        "2 columns hold no usable values (binary data, or no values at all): left out: 'blob', 'nothing'"
        in notes
    )
    assert json.loads(dataset.context["point"][3]) == {"x": 3, "tag": "t3"}
    assert json.loads(dataset.context["attrs"][3]) == {"k": 3}
    assert "blob" not in dataset.context.columns


def test_the_command_line_scores_a_nested_parquet_and_writes_every_row_it_reports(tmp_path, capsys):
    data = _nested_parquet(tmp_path / "nested.parquet")
    out = tmp_path / "scores.csv"
    assert main(["score", str(data), "--labels", str(_labels(tmp_path)), "--output", str(out)]) == 0
    err = capsys.readouterr().err
    assert "columns hold nested values, read as JSON text: 'point' (struct<" in err
    assert "wrote 60 rows to" in err
    scores = pd.read_csv(out)
    assert len(scores) == 60
    assert json.loads(scores.loc[scores["row"] == 5, "tags"].item()) == [5, 6]


def test_the_data_page_starts_a_session_on_a_nested_parquet_upload(db, tmp_path):
    data = _nested_parquet(tmp_path / "nested.parquet").read_bytes()
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(
        ("nested.parquet", data, "application/octet-stream")
    ).run()
    assert not at.exception
    assert not at.error
    assert any("hold nested values" in i.value for i in at.info)
    at.button(key=keys.DATA_START).click().run()
    assert not at.exception
    session = at.session_state[keys.SESSION]
    assert session.dataset.feature_names == ("a", "b")
    assert len(pd.read_csv(io.StringIO(views.scores_csv(session)()))) == 60


def test_a_writer_never_reports_rows_it_did_not_write(tmp_path, capsys):
    """A failed write is an error, and says so; no file is left half-written."""
    labels = _labels(tmp_path)
    status = main(["score", "toy2", "--labels", str(labels), "--output", "/dev/full"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.splitlines()[-1].startswith("aad: error: disk full: /dev/full was not written")
    assert "wrote" not in err
    before = sorted(tmp_path.iterdir())
    assert main(["score", "toy2", "--labels", str(labels), "--output", str(tmp_path / "s.csv")]) == 0
    assert "wrote 485 rows to" in capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "s.csv")) == 485
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*(p.name for p in before), "s.csv"])


@pytest.fixture
def umask_022():
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_an_output_file_gets_the_mode_a_plain_open_would_give_and_keeps_its_own(tmp_path, umask_022, capsys):
    """Written whole through a temporary file, but readable by the team as any new file is
    (not mkstemp's 0600), and an existing file keeps its mode; a link is written through."""
    labels = _labels(tmp_path)
    scores, rules = tmp_path / "scores.csv", tmp_path / "rules.json"
    assert main(["score", "toy2", "--labels", str(labels), "--output", str(scores)]) == 0
    assert main(["rules", "toy2", "--labels", str(labels), "--format", "json", "--output", str(rules)]) == 0
    assert [oct(path.stat().st_mode & 0o777) for path in (scores, rules)] == ["0o644", "0o644"]
    scores.chmod(0o640)
    link = tmp_path / "latest.csv"
    link.symlink_to(scores)
    assert main(["score", "toy2", "--labels", str(labels), "--output", str(link)]) == 0
    assert link.is_symlink()
    assert oct(scores.stat().st_mode & 0o777) == "0o640"
    assert len(pd.read_csv(link)) == 485
    capsys.readouterr()


def test_a_parquet_name_for_a_csv_output_is_refused_before_any_work(tmp_path, capsys):
    """`aad score` (without a model file) and `aad select` write CSV: under a .parquet name no
    Parquet reader, aad's included, would take the file."""
    labels = _labels(tmp_path)
    (tmp_path / "rules.json").write_text("{}")
    for argv in (
        ["score", "toy2", "--labels", str(labels), "--output", str(tmp_path / "s.parquet")],
        ["select", str(tmp_path / "rules.json"), "toy2", "--output", str(tmp_path / "sel.pq")],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert "names a Parquet file, but `aad " in err
        assert "writes CSV; end the name with .csv" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv", "rules.json"]


@pytest.mark.parametrize("command", ["score", "simulate"])
def test_a_read_only_file_is_refused_as_an_output_not_replaced(tmp_path, command, capsys):
    """Even for root, who may write anything: a file made read-only (a shared dataset) is kept,
    and the command says so before it does any work."""
    target = tmp_path / "toy2.csv"
    target.write_text("label,x\nnominal,1\n")
    target.chmod(0o444)
    labels = _labels(tmp_path)
    argv = {
        "score": ["score", "toy2", "--labels", str(labels), "--output", str(target)],
        "simulate": ["simulate", "toy2", "--budget", "3", "--reruns", "1", "--json", str(target)],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"aad: error: {target} could not be written"), err
    assert len(err.splitlines()) == 1
    assert "read-only" in err
    assert "chmod u+w" in err
    assert target.read_text() == "label,x\nnominal,1\n"
    assert oct(target.stat().st_mode & 0o777) == "0o444"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, a folder that takes no new file")
def test_a_folder_that_takes_no_new_file_is_named_as_the_output_not_as_a_temporary_file(
    hostile_model, capsys
):
    data, model = hostile_model
    for argv in (
        ["simulate", "toy2", "--budget", "5", "--reruns", "1", "--plot", "/proc/x.html"],
        ["score", "--model", str(model), str(data), "--output", "/proc/x.csv"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("aad: error: /proc/x."), err
        assert "could not be written" in err
        assert ".part" not in err


def test_standard_output_on_a_full_disk_is_an_error_not_exit_0(tmp_path):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*AAD, "sessions", "list", "--db", str(tmp_path / "none.sqlite"), "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("aad: error: disk full: standard output was not written whole")
    assert len(done.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- sizes from metadata


def test_a_parquet_file_is_refused_from_its_metadata_when_it_would_decode_over_the_limit(
    tmp_path, monkeypatch
):
    path = tmp_path / "small_on_disk.parquet"
    pq.write_table(pa.table({"a": np.zeros(2_000_000), "b": np.ones(2_000_000)}), path)
    assert path.stat().st_size < 100_000  # a few kilobytes that decode to 32 MB
    reads = []
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: reads.append(a) or pytest.fail("decoded"))
    with pytest.raises(aad.DataError) as refused:
        aad.load_dataset(path, max_bytes=10_000_000)
    assert str(refused.value).startswith(
        "small_on_disk.parquet would take 32.0 MB once decoded (2,000,000 rows x 2 columns;"
    )
    assert "over the limit of 10.0 MB" in str(refused.value)
    assert reads == []


def test_the_workbench_refuses_a_parquet_upload_that_decodes_over_its_limit(db, monkeypatch):
    monkeypatch.setenv("AAD_MAX_UPLOAD_MB", "1")
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": np.zeros(500_000), "b": np.ones(500_000)}), buffer)
    at = AppTest.from_file(APP, default_timeout=30).run()
    held = at.session_state[keys.SESSION].id
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("z.parquet", buffer.getvalue(), "application/x")).run()
    assert [e.value.split(";")[0].split(" (")[0] for e in at.error] == [
        "z.parquet would take 8.0 MB once decoded"
    ]
    assert at.session_state[keys.SESSION].id == held


# --------------------------------------------------------------------------- spreadsheet safety

_FORMULAS = ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "'=x", "-cmd"]


def _cells(text_: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_)))


def _formula_cells(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run as a formula (a plain number is a number)."""
    return [
        cell
        for row in rows
        for cell in row
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and spreadsheet_safe(cell) != cell
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=12), min_size=1, max_size=6), st.lists(st.floats(allow_nan=False), min_size=1)
)
def test_no_text_cell_or_header_of_a_written_csv_starts_a_formula(words, numbers):
    frame = pd.DataFrame({"text": (words * len(numbers))[: len(numbers)], "number": numbers})
    frame.columns = [words[0] or "text", "-number" if words[0] != "-number" else "n"]
    rows = _cells(csv_text(frame))
    assert _formula_cells(rows) == []
    assert [float(r[1]) for r in rows[1:]] == pytest.approx(numbers, nan_ok=True)  # numbers stay numbers
    assert [from_spreadsheet_safe(r[0]) for r in rows[1:]] == [
        str(w) if w != "" else "" for w in frame.iloc[:, 0]
    ]


def test_every_csv_for_people_neutralises_formulas_and_keeps_negative_numbers(tmp_path, capsys):
    n = 40
    frame = _table(n)
    frame["a"] = -np.abs(frame["a"])  # negative numbers stay numbers
    frame["=cmd|' /C calc'!A0"] = [_FORMULAS[i % len(_FORMULAS)] for i in range(n)]
    data = tmp_path / "hostile.csv"
    frame.to_csv(data, index=False)
    labels = _labels(tmp_path, {1: "anomaly", 2: "nominal", 6: "anomaly"})
    scores, rules, selected = tmp_path / "scores.csv", tmp_path / "rules.csv", tmp_path / "selected.csv"
    assert main(["score", str(data), "--labels", str(labels), "--output", str(scores)]) == 0
    assert main(["rules", str(data), "--labels", str(labels), "--format", "csv", "--output", str(rules)]) == 0
    assert main(["select", str(rules), str(data), "--output", str(selected)]) == 0
    store = aad.Store(tmp_path / "s.sqlite")
    session = aad.Session.create(aad.load_data(str(data)), store=store)
    session.label([1, 6], "anomaly")
    capsys.readouterr()
    for written in (scores.read_text(), rules.read_text(), selected.read_text(), session.labels_csv()):
        assert _formula_cells(_cells(written)) == []
    table = _cells(scores.read_text())
    header = table[0]
    assert "'=cmd|' /C calc'!A0" in header
    a = header.index("a")
    assert all(float(row[a]) <= 0 and row[a].startswith("-") for row in table[1:])  # numbers, not text
    hostile = header.index("'=cmd|' /C calc'!A0")
    assert {row[hostile] for row in table[1:]} >= {
        '\'=HYPERLINK("http://x","y")',
        "'+1+2",
        "'-cmd",
        "'@SUM(A1)",
    }


def test_the_rules_csv_of_a_column_named_like_a_formula_selects_what_the_json_selects(tmp_path, capsys):
    frame = _table(80)
    frame.columns = ["=a", "-b"]
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    labels = _labels(tmp_path, {int(frame["=a"].idxmax()): "anomaly", 5: "nominal"})
    outputs = {}
    for fmt in ("json", "csv"):
        exported = tmp_path / f"rules.{fmt}"
        assert (
            main(["rules", str(data), "--labels", str(labels), "--format", fmt, "--output", str(exported)])
            == 0
        )
        assert main(["select", str(exported), str(data)]) == 0
        outputs[fmt] = capsys.readouterr().out
    assert outputs["csv"] == outputs["json"]
    assert "'=a" in (tmp_path / "rules.csv").read_text()


# --------------------------------------------------------------------------- exports select what rules select


def test_the_pandas_export_refuses_names_pandas_reads_as_one_identifier():
    rules = [aad.Rule([aad.Predicate(0, ">", 0.5)])]
    for names in (["a b", "BACKTICK_QUOTED_STRING_a_b"], ["ｘ", "x"]):
        with pytest.raises(aad.DataError, match="are the same name to pandas"):
            aad.export_rules(rules, "pandas", feature_names=names)
        frame = pd.DataFrame({names[0]: [0.0, 1.0], names[1]: [1.0, 0.0]})
        assert frame.query(f"`{names[0]}` > 0.5").index.tolist() != [1]  # what it would have selected
    assert aad.export_rules(rules, "pandas", feature_names=["a b", "a_b"]) == "(`a b` > 0.5)"


def test_a_banner_printed_by_c_code_while_the_solver_runs_never_reaches_stdout(tmp_path, capfd, monkeypatch):
    """HiGHS 1.16 prints a banner from C when it starts; fd 1 must hold the output alone."""
    import cvxpy

    solve = cvxpy.Problem.solve

    def solve_with_a_banner(self, *args, **kwargs):
        os.write(1, b"Running HiGHS 1.16.0 (git hash: x): Copyright (c) 2026 HiGHS under MIT licence terms\n")
        print("a Python-level library message")
        return solve(self, *args, **kwargs)

    monkeypatch.setattr(cvxpy.Problem, "solve", solve_with_a_banner)
    labels = _labels(tmp_path, {0: "anomaly", 6: "anomaly", 3: "nominal"})
    assert main(["rules", "toy2", "--labels", str(labels), "--format", "sql"]) == 0
    out, err = capfd.readouterr()
    expected = aad.export_rules(
        aad.describe_anomalies(
            aad.AADForest(random_state=0).fit(aad.load_dataset("toy2").X, aad.read_labels(labels, 485)),
            aad.load_dataset("toy2"),
        ),
        "sql",
    )
    assert out == expected + "\n"
    assert "Running HiGHS 1.16.0" in err
    assert "a Python-level library message" in err


@pytest.mark.parametrize("fmt", ["sql", "pandas", "json"])
def test_stdout_holds_the_export_alone_with_the_installed_solver(tmp_path, capfd, fmt):
    """Whatever HiGHS is installed (the locked 1.15 prints nothing, 1.16 a banner from C)."""
    labels = _labels(tmp_path, {0: "anomaly", 6: "anomaly", 3: "nominal"})
    assert main(["rules", "toy2", "--labels", str(labels), "--format", fmt]) == 0
    out = capfd.readouterr().out
    data = aad.load_dataset("toy2")
    model = aad.AADForest(random_state=0).fit(data.X, aad.read_labels(labels, data.n_rows))
    expected = aad.export_rules(aad.describe_anomalies(model, data), fmt)
    if fmt == "json":  # its provenance holds the time it was made
        assert json.loads(out)["rules"] == json.loads(expected)["rules"]
    else:
        assert out == expected + "\n"


# --------------------------------------------------------------------------- markup in names


HOSTILE_NAME = "**bold** [link](http://x) <img src=x> :red[red] $x$"


def test_markup_in_names_is_escaped_for_streamlit_markdown():
    escaped = text.md(HOSTILE_NAME + " :smile: www.x.org a@b.org")
    assert re.findall(r"(?<!\\)[*\[\]<>$`]", escaped) == []  # every character with a meaning escaped
    for linked in ("http://", ":smile:", "www.", "a@b"):  # Streamlit links and emojifies after escapes
        assert linked not in escaped
    assert escaped.replace("\\", "").replace("\u200b", "") == HOSTILE_NAME + " :smile: www.x.org a@b.org"
    assert text.code("a`b") == "`` a`b ``"
    assert text.md("# heading\n\n- item") == "\\# heading  - item"


def test_chart_titles_show_names_literally():
    figure = charts.explore_figure(
        np.zeros((3, 2)),
        np.arange(3),
        np.zeros(3),
        np.full(3, -1),
        axis_titles=("<b>x</b>", "<a href=y>y</a>"),
    )
    assert figure.layout.xaxis.title.text == "&lt;b&gt;x&lt;/b&gt;"
    assert figure.layout.yaxis.title.text == "&lt;a href=y&gt;y&lt;/a&gt;"


def test_the_card_and_the_sidebar_show_hostile_names_escaped(db, tmp_path, monkeypatch):
    frame = _table(50)
    frame.columns = [HOSTILE_NAME, "b"]
    frame["note"] = ["[click](http://evil.example)"] * 50
    path = tmp_path / "[x](http:evil).csv"
    frame.to_csv(path, index=False)
    monkeypatch.setenv("AAD_DATA", str(path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert not at.error
    shown = [m.value for m in (*at.markdown, *at.caption, *at.info)]
    outside_code = [re.sub(r"(`+).*?\1", "", s) for s in shown]  # code spans show their text as it is
    for token in ("**bold**", "[link](", "<img", ":red[", "$x$", "[click]("):
        assert [s for s in outside_code if token in s] == []
    assert any(HOSTILE_NAME in s for s in shown)  # shown, in a code span
    assert any("note `[click](http://evil.example)`" in s for s in shown)  # the cell, as code


RLO = "\u202e"  # right-to-left override: shows the text after it backwards


def _agents_session(tmp_path: Path) -> aad.Session:
    """A session whose category cells hold a direction control and a 5,000-character value, each
    on one outlying row, and whose ``status`` ties 536 of 3,000 rows at its highest value."""
    rng = np.random.default_rng(0)
    n = 3000
    agents = rng.choice(["firefox", "chrome", "safari"], n).astype(object)
    agents[0], agents[1] = "curl" + RLO + "3.7", "A" * 5000
    status = np.where(np.arange(n) < 536, 500, rng.choice([200, 201, 204, 301, 404], n))
    frame = pd.DataFrame({"agent": agents, "status": status, "huge": rng.normal(size=n)})
    frame.loc[:1, "huge"] = 40.0
    frame.to_csv(tmp_path / "logs.csv", index=False)
    session = aad.Session.create(aad.load_data(str(tmp_path / "logs.csv")), store=aad.Store(":memory:"))
    session.label(0, "anomaly")
    session.label(1, "anomaly")
    return session


def _rules(session: aad.Session):
    return aad.describe_anomalies(
        session.model, session.dataset, labels=session.model.labels_, time_limit=1.0
    )


def test_a_direction_control_in_the_data_is_shown_as_its_escape_never_applied(tmp_path):
    session = _agents_session(tmp_path)
    description = _rules(session)
    shown = [
        views.why(session, 0),
        views.unusual_values(session, 0),
        views.compact_values(session, 0),
        *views.rules_display(views.rules_frame(session, description))["rule"],
        *views.row_table(session, 0)["value"],
        charts.literal("curl" + RLO),
        charts.plain(RLO + "title"),
        text.printable("x" + RLO),
    ]
    assert [s for s in shown if any(ch in aad.labels.DIRECTION_CONTROLS for ch in s)] == []
    assert "curl\\u202e3.7" in views.row_table(session, 0)["value"].tolist()
    assert "\\u202e" in views.why(session, 0)


def test_a_direction_control_shows_as_its_escape_in_the_grids_too(tmp_path):
    session = _agents_session(tmp_path)
    session.label(2, "anomaly", note="checked" + RLO + "later")
    grids = {
        "rows": views.rows_table(session, [0, 2]),  # the Rows page, the Label page's table, Explore
        "history": views.history_frame(session),  # the Progress page
    }
    for name, grid in grids.items():
        shown = [c for c in grid.columns if c not in views.EDITABLE]
        cells = [v for column in shown for v in grid[column] if isinstance(v, str)]
        assert [c for c in cells if any(ch in aad.labels.DIRECTION_CONTROLS for ch in c)] == [], name
    assert "curl\\u202e3.7" in grids["rows"]["agent"].tolist()  # "curl7.3" read backwards before
    assert "checked\\u202elater" in grids["history"]["note"].tolist()
    assert grids["rows"]["note"].tolist()[1] == "checked" + RLO + "later"  # an edit starts from the note


def test_a_long_value_is_cut_in_the_card_and_the_rules_but_kept_whole_in_the_exports(tmp_path):
    session = _agents_session(tmp_path)
    card_table = views.row_table(session, 1)
    assert card_table.loc[card_table["feature"] == "agent", "value"].tolist() == ["A" * 39 + "…"]
    for shown in (views.why(session, 1), views.unusual_values(session, 1), views.compact_values(session, 1)):
        assert "A" * 39 + "…" in shown
        assert "A" * 41 not in shown
    description = _rules(session)
    rules = views.rules_display(views.rules_frame(session, description))["rule"]
    assert not [r for r in rules if "A" * 41 in r]
    document = json.loads(views.export_rules(session, description, "json"))
    listed = [
        v for r in document["rules"] for p in r["predicates"] if p["feature"] == "agent" for v in p["values"]
    ]
    assert bool(listed) == any("A" * 39 + "…" in r for r in rules)  # a rule on the agents shows the cut value
    assert set(listed) <= {"firefox", "chrome", "safari", "curl" + RLO + "3.7", "A" * 5000}  # kept whole


def test_a_cards_why_lists_three_values_of_a_category_then_how_many_more(tmp_path):
    """Five values of 40 characters took six lines of the card's why at 1280x720, and pushed its
    most unusual values below the screen; the Rules page lists five, the exports all."""
    rng = np.random.default_rng(0)
    shops = np.array([f"shop {i:02d}" for i in range(40)])
    frame = pd.DataFrame({"shop": rng.choice(shops, 2000), "amount": rng.normal(50, 10, 2000)})
    frame["items"] = rng.integers(1, 5, 2000)
    frame.loc[0, ["amount", "items"]] = [400.0, 9]
    frame.to_csv(tmp_path / "shops.csv", index=False)
    session = aad.Session.create(aad.load_data(str(tmp_path / "shops.csv")), store=aad.Store(":memory:"))
    sets = [
        found.split(", ")
        for row in np.argsort(-session.scores())[:30]
        for found in re.findall(r"\{([^}]*)\}", views.why(session, int(row)))
    ]
    cut = [s for s in sets if s[-1].endswith("more")]
    assert cut  # a region of many shops on some card
    assert all(len(s) == 3 + 1 for s in cut), cut  # three shops, then "+5 more"


def test_a_value_many_rows_share_is_placed_by_the_rows_strictly_below_it(tmp_path):
    session = _agents_session(tmp_path)
    status = session.dataset.feature_names.index("status")
    row = int(np.flatnonzero(session.dataset.X[:, status] == 500)[0])
    below, above = session.value_shares(row)
    assert below[status] == pytest.approx(100 * (3000 - 536) / 3000)
    assert above[status] == 0.0
    assert "`status` = 500 is the highest in its column" in views.unusual_values(session, row)
    low = int(np.argmin(session.dataset.X[:, status]))
    place = views._place_in_column(*(share[status] for share in session.value_shares(low)))
    strictly_above = 100 * (session.dataset.X[:, status] > session.dataset.X[low, status]).mean()
    assert place in ("is the lowest in its column", f"is lower than {strictly_above:.0f}% of rows")


def test_rich_markup_in_names_and_paths_is_printed_literally(tmp_path, capsys):
    data = tmp_path / "[bold]x[link=y].csv"
    pd.DataFrame({"a": np.arange(30.0), "label": ["anomaly"] + ["nominal"] * 29}).to_csv(data, index=False)
    out = tmp_path / "[red]scores :smile:.csv"
    assert main(["score", str(data), "--labels", str(_labels(tmp_path)), "--output", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"wrote 30 rows to {out}" in err
    assert "of [bold]x[link=y] with the model" in err
    store = aad.Store(tmp_path / "s.sqlite")
    aad.Session.create(aad.load_data(str(data)), store=store)
    assert main(["sessions", "list", "--db", str(store.path)]) == 0
    assert "[bold]x[link=y]" in capsys.readouterr().out


# --------------------------------------------------------------------------- who the server talks to


def test_the_allowed_hosts_are_the_loopback_names_and_the_bind_address():
    assert hosts.allowed_hosts("127.0.0.1") == ["127.0.0.1", "localhost", "::1"]
    wildcard = hosts.allowed_hosts("0.0.0.0", ["aad.lab"])
    assert "aad.lab" in wildcard
    assert "0.0.0.0" not in wildcard
    assert hosts.host_name(os.uname().nodename) in wildcard  # this machine, by its name


def _asgi_status(check: hosts.HostCheck, host: bytes, kind: str = "http") -> object:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    sent = []

    async def app(scope, receive, send):
        sent.append("passed")

    async def send(message):
        sent.append(message)

    check.app = app
    scope = {"type": kind, "headers": [(b"host", host)]}
    with ThreadPoolExecutor(1) as thread:  # its own event loop: a browser test may run one here
        thread.submit(asyncio.run, check(scope, None, send)).result()
    return sent[0] if sent[0] == "passed" else sent[0].get("status", sent[0].get("code"))


def test_the_host_check_refuses_other_names_for_pages_and_websockets():
    check = hosts.HostCheck(None, allowed=["127.0.0.1", "localhost", "::1"])
    for good in (b"127.0.0.1:8501", b"localhost:8501", b"LOCALHOST", b"[::1]:8501"):
        assert _asgi_status(check, good) == "passed"
    for bad in (b"evil.example:8501", b"127.0.0.1.evil.example", b"", b"localhost.evil:8501"):
        assert _asgi_status(check, bad) == 403
        assert _asgi_status(check, bad, "websocket") == 1008


# --------------------------------------------------------------------------- outputs never destroy inputs


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
@pytest.mark.parametrize(
    "command",
    ["rules", "score", "select", "sessions export", "simulate", "bench", "score --model", "model export"],
)
def test_an_output_naming_an_input_is_refused(tmp_path, capsys, command, how):
    data = tmp_path / "data.csv"
    aad.load_dataset("toy2").frame().assign(
        label=np.where(aad.load_dataset("toy2").y, "anomaly", "nominal")
    ).to_csv(data, index=False)
    labels = _labels(tmp_path)
    rules = tmp_path / "rules.json"
    assert main(["rules", str(data), "--labels", str(labels), "--output", str(rules)]) == 0
    store = aad.Store(tmp_path / "s.sqlite")
    session = aad.Session.create(aad.load_dataset(data), store=store)
    store.close()
    model = tmp_path / "model.json"
    assert main(["model", "export", str(data), "--labels", str(labels), "--output", str(model)]) == 0
    target = {"select": rules, "sessions export": store.path, "score --model": model}.get(command, data)
    output = target
    if how != "same path":
        output = tmp_path / "other-name"
        (output.symlink_to if how == "symlink" else output.hardlink_to)(target)
    flag = "--json" if command in ("simulate", "bench") else "--output"
    argv = {
        "rules": ["rules", str(data), "--labels", str(labels)],
        "score": ["score", str(data), "--labels", str(labels)],
        "select": ["select", str(rules), str(data)],
        "sessions export": ["sessions", "export", session.id, "--db", str(store.path)],
        "simulate": ["simulate", str(data), "--budget", "2", "--reruns", "1"],
        "bench": ["bench", "--data", str(data), "--labels", "2"],
        "score --model": ["score", "--model", str(model), str(data)],
        "model export": ["model", "export", str(data), "--labels", str(labels)],
    }[command]
    before = _digest(target)
    capsys.readouterr()
    assert main([*argv, flag, str(output)]) == 2
    err = capsys.readouterr().err
    assert f"{flag} {output} is the input" in err
    assert "writing there would destroy it" in err
    assert len(err.strip().splitlines()) == 1
    assert _digest(target) == before


# --------------------------------------------------------------------------- databases you did not make


@pytest.fixture
def stored(tmp_path) -> tuple[aad.Store, aad.Session]:
    store = aad.Store(tmp_path / "s.sqlite")
    session = aad.Session.create(aad.load_dataset("toy2"), store=store)
    session.label(int(session.batch()[0]), "anomaly")
    return store, session


def test_a_database_from_a_newer_aad_is_refused_and_left_as_it_is(stored, capsys):
    store, _ = stored
    store.close()
    with sqlite3.connect(store.path) as conn:
        conn.execute("PRAGMA user_version = 9")
    before = _digest(store.path)
    assert main(["sessions", "list", "--db", str(store.path)]) == 2
    err = capsys.readouterr().err
    assert "was written by a newer aad (session database schema 9; this aad reads up to 5)" in err
    assert _digest(store.path) == before
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 9  # never downgraded


def test_an_unknown_event_kind_is_refused_not_replayed_as_something_else(stored):
    store, session = stored
    with sqlite3.connect(store.path) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute(
            "INSERT INTO events (session_id, seq, action, kind, row, label, created_at) "
            "VALUES (?, 99, 99, 'relabel', 3, 1, '2026-01-01T00:00:00')",
            (session.id,),
        )
    with pytest.raises(aad.DatabaseError, match=r"holds an action of kind 'relabel' \(action 99\)"):
        aad.Session.open(session.id, store=aad.Store(store.path))
    with pytest.raises(aad.DatabaseError, match="Nothing was replayed"):
        aad.Store(store.path).labels(session.id)


def test_an_unknown_model_parameter_is_refused(stored):
    store, session = stored
    with sqlite3.connect(store.path) as conn:
        params = json.dumps({**session.record.params, "depth_penalty": 2})
        conn.execute("UPDATE sessions SET params = ? WHERE id = ?", (params, session.id))
    with pytest.raises(aad.DataError, match=r"'depth_penalty', a parameter this aad does not know"):
        aad.Session.open(session.id, store=aad.Store(store.path))


def test_a_full_disk_names_the_label_lost_and_keeps_the_session(stored):
    store, session = stored
    labels, version = session.labels(), session.version
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from here on
    full = None
    for _ in range(500):  # until a page more is needed
        labels, version = session.labels(), session.version
        try:
            session.label(int(session.batch()[0]), "nominal")
        except aad.DatabaseError as err:
            full = err
            break
    assert str(full).startswith("disk full: the label was not saved")
    assert session.labels() == labels
    assert session.version == version
    store._conn.execute(f"PRAGMA max_page_count = {10**6}")
    session.label(int(session.batch()[0]), "nominal")  # space again: the next press saves
    assert aad.Session.open(session.id, store=aad.Store(store.path)).labels() == session.labels()


def test_a_full_disk_is_named_on_the_page_and_the_session_stays(db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    conn = state.store()._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    try:
        for _ in range(200):
            next(b for b in at.button if b.key and b.key.startswith(f"{keys.LABEL_NOMINAL}-")).click().run()
            if at.error:
                break
        assert at.error[0].value.startswith("disk full: the label was not saved")
        assert not at.exception
        held = at.session_state[keys.SESSION]
        assert held.labels() == aad.Store(db).labels(held.id)  # what the page holds is what is stored
    finally:
        conn.execute(f"PRAGMA max_page_count = {10**6}")


def test_a_damaged_database_gets_one_line_naming_the_repair(stored, capsys):
    store, _ = stored
    store.close()
    raw = bytearray(store.path.read_bytes())
    for offset in range(4096, len(raw), 4096):
        raw[offset + 8 : offset + 200] = b"\x07" * 192
    store.path.write_bytes(bytes(raw))
    assert main(["sessions", "list", "--db", str(store.path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "it is damaged (SQLite: database disk image is malformed)" in err
    assert f"sqlite3 {store.path} .recover" in err


def _replace_database(path: Path, how: str) -> None:
    """What the review did to a running workbench's database file."""
    if how == "deleted":
        for f in path.parent.glob(path.name + "*"):
            f.unlink()
    elif how == "renamed over":
        other = path.with_name("notes.txt")
        other.write_text("another file\n")
        os.replace(other, path)
    elif how == "overwritten":
        with open(path, "r+b") as fh:
            fh.write(b"another file\n" * 400)
    else:  # truncated to half
        os.truncate(path, path.stat().st_size // 2)


@pytest.mark.parametrize("how", ["deleted", "renamed over", "overwritten", "truncated"])
def test_a_label_after_the_database_file_was_deleted_or_replaced_is_refused_never_confirmed(tmp_path, how):
    store = aad.Store(tmp_path / "s.sqlite")
    session = aad.Session.create(aad.load_dataset("toy2"), store=store)
    for row in (3, 5, 7):
        session.label(row, "anomaly")
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the labels in the file itself, as after a while
    labels, version = session.labels(), session.version
    _replace_database(store.path, how)
    for row in (11, 12):
        with pytest.raises(aad.DatabaseError) as refused:
            session.label(row, "nominal")
        message = str(refused.value)
        assert message.startswith(
            f"the session database {store.path} was deleted or replaced while the workbench ran ("
        )
        assert (
            f"the label was not saved: restart the workbench (it will make or reopen {store.path})" in message
        )
        assert (session.labels(), session.version) == (labels, version)
    with pytest.raises(aad.DatabaseError, match="the undo was not saved"):
        session.undo()


def test_the_page_shows_the_refusal_not_saved_when_the_database_file_was_deleted(db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    press = next(b for b in at.button if b.key and b.key.startswith(f"{keys.LABEL_ANOMALY}-"))
    press.click().run()
    held = at.session_state[keys.SESSION]
    assert held.n_labels == 1
    _replace_database(db, "deleted")
    next(b for b in at.button if b.key and b.key.startswith(f"{keys.LABEL_NOMINAL}-")).click().run()
    assert not at.exception
    assert "was deleted or replaced while the workbench ran (it is gone)" in at.error[0].value
    assert (
        "the nominal label was not saved" in at.error[0].value
        or "the label was not saved" in at.error[0].value
    )
    assert at.session_state[keys.SESSION].n_labels == 1


def test_a_database_holding_another_programs_tables_is_refused_and_left_as_it_is(tmp_path, capsys):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    before = _digest(other)
    assert main(["sessions", "list", "--db", str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{other} is not an aad session database (it holds t, which aad does not make)" in err
    assert "--db or $AAD_DB" in err
    assert _digest(other) == before
    assert sorted(other.parent.iterdir()) == [other]  # no -wal or -shm beside it either
    with pytest.raises(aad.DatabaseError, match="is not an aad session database"):
        aad.Store(other)
    assert _digest(other) == before


def test_an_empty_file_is_made_a_session_database(tmp_path, capsys):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    assert main(["sessions", "list", "--db", str(empty)]) == 0
    aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(empty))
    assert len(aad.Store(empty).summaries()) == 1


def _write_lock(path: Path) -> sqlite3.Connection:
    """Another program's write transaction on ``path``, held until closed."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_opening_a_current_database_writes_nothing_so_reads_work_while_another_program_writes(
    stored, capsys, monkeypatch
):
    """Opening takes no write lock (on a full disk it could not write either): `aad sessions list`
    and `export` read while another program holds the write lock; a label waits, then says why."""
    store, session = stored
    store.close()
    monkeypatch.setattr("aad.store._BUSY_SECONDS", 0.3)
    holder = _write_lock(store.path)
    try:
        assert main(["sessions", "list", "--db", str(store.path), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["n_labels"] == 1
        assert main(["sessions", "export", session.id, "--db", str(store.path)]) == 0
        assert capsys.readouterr().out.count("\n") == 2
        opened = aad.Session.open(session.id, store=aad.Store(store.path))
        with pytest.raises(aad.DatabaseError) as locked:
            opened.label(next(r for r in range(10) if r not in opened.labels()), "nominal")
        assert str(locked.value).startswith(
            f"another program is writing to the session database {store.path} and kept it locked for 0.3 "
            "seconds: the label was not saved; try again when it finishes, or close it"
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    opened.label(int(opened.batch()[0]), "nominal")
    assert opened.n_labels == 2


def _immutable(path: Path) -> bool:
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    return done.returncode == 0


def test_a_read_only_database_can_be_listed_and_exported(stored, capsys):
    store, session = stored
    store.close()
    if not _immutable(store.path):
        pytest.skip("chattr +i is not available here (a read-only file for root needs it)")
    try:
        assert main(["sessions", "list", "--db", str(store.path), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["n_labels"] == 1
        assert main(["sessions", "export", session.id, "--db", str(store.path)]) == 0
        assert capsys.readouterr().out.startswith("row,label,kind,note,analyst,labelled_at\n")
        opened = aad.Store(store.path)
        assert opened.read_only
        with pytest.raises(aad.DatabaseError, match=r"is read-only: the label was not saved"):
            aad.Session.open(session.id, store=opened).label(5, "anomaly")
    finally:
        subprocess.run(["chattr", "-i", str(store.path)], check=True)


def test_a_kept_copy_deleted_under_a_running_server_is_copied_again(db, tmp_path, monkeypatch):
    daily = tmp_path / "daily.csv"
    _table(40).to_csv(daily, index=False)
    monkeypatch.setenv("AAD_DATA", str(daily))
    first = AppTest.from_file(APP, default_timeout=30).run()
    session = first.session_state[keys.SESSION]
    session.label([0, 1], "nominal")
    kept = Path(session.record.source)
    kept.unlink()
    again = AppTest.from_file(APP, default_timeout=30).run()  # a new tab, the same server
    assert not again.error
    assert not again.exception
    assert again.session_state[keys.SESSION].id == session.id
    assert kept.is_file()
    assert again.session_state[keys.SESSION].labels() == {0: 0, 1: 0}
    kept.unlink()
    _table(41).to_csv(daily, index=False)  # the original changed too: nothing to copy the session from
    by_url = AppTest.from_file(APP, default_timeout=30)
    by_url.query_params[keys.URL_SESSION] = session.id
    by_url.run()
    assert by_url.error[0].value.startswith(f"session {session.id} was labelled on a copy of daily kept at")
    assert "has been deleted" in by_url.error[0].value


# --------------------------------------------------------------------------- hostile rules files


def _rules_json(predicate: str) -> str:
    return '{"schema": "aad-rules/1", "rules": [{"predicates": [' + predicate + "]}]}"


HOSTILE_RULES = {
    "a 400-digit value": (
        "r.json",
        _rules_json('{"feature": "x", "op": ">", "value": ' + "9" * 400 + "}"),
        "digits",
    ),
    "a 5,000-digit value": (
        "r.json",
        _rules_json('{"feature": "x", "op": ">", "value": ' + "9" * 5000 + "}"),
        "digits",
    ),
    "1e400": ("r.json", _rules_json('{"feature": "x", "op": ">", "value": 1e400}'), "must be finite"),
    "deep nesting": (
        "r.json",
        '{"schema": "aad-rules/1", "rules": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "nested too deeply",
    ),
    "a list as a name": ("r.json", _rules_json('{"feature": ["x"], "op": ">", "value": 1}'), "a JSON list"),
    "an object as a name": (
        "r.json",
        _rules_json('{"feature": {"x": 1}, "op": ">", "value": 1}'),
        "a JSON object",
    ),
    "rules as an object": ("r.json", '{"schema": "aad-rules/1", "rules": {"a": 1}}', "needs a list of rules"),
    "a predicate as a list": (
        "r.json",
        _rules_json('["x", ">", 1]'),
        "each predicate needs feature, op and value",
    ),
    "an oversized CSV field": (
        "r.csv",
        "rule,feature,op,value\n1,x,>," + "1" * 200_000 + "\n",
        "field larger than",
    ),
    "a short CSV line": ("r.csv", "rule,feature,op,value\n1,x\n", "has fewer fields than its header"),
    # review 19: a rule with no test selected every row, and "1e3" was read as 1000
    "a rule with no predicate": (
        "r.json",
        '{"schema": "aad-rules/1", "rules": [{"predicates": [{"feature": "x", "op": ">", "value": 1}]}, '
        '{"predicates": []}]}',
        "rule 2 of the aad-rules/1 document has no predicate: it would select every row",
    ),
    "a CSV rule with no test": (
        "r.csv",
        "rule,feature,op,value\n1,x,>,1\n2,,,\n",
        "rule 2 of the rules CSV has no test (no line with an op): it would select every row",
    ),
    "a threshold as text": (
        "r.json",
        _rules_json('{"feature": "x", "op": ">", "value": "1e3"}'),
        "its threshold on 'x' is the text '1e3', not a number",
    ),
    "a huge file": ("r.json", " " * 10_000_001, "over the 10 MB an export of rules ever takes"),
}


@pytest.mark.parametrize("case", list(HOSTILE_RULES), ids=list(HOSTILE_RULES))
def test_a_hostile_rules_file_is_one_line_and_status_2(tmp_path, capsys, case):
    name, content, message = HOSTILE_RULES[case]
    rules = tmp_path / name
    rules.write_text(content)
    status = main(["select", str(rules), "toy2"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("aad: error: ")
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert len(err) < 600  # the hostile value is not echoed whole


# --------------------------------------------------------------------------- absurd sizes, closed stdout


def test_absurd_benchmark_sizes_are_refused_before_any_work(capsys):
    assert main(["bench", "--rows", str(10**11)]) == 2
    err = capsys.readouterr().err
    assert "--rows 100,000,000,000 with --features 20 and --trees 100 needs about" in err
    assert "use at most --rows" in err
    assert main(["bench", "--rows", "10", "--features", str(10**11)]) == 2  # the features are too many
    err = capsys.readouterr().err
    assert re.search(r"use at most --features [\d,]+ with these rows", err), err
    assert "--rows" not in err.split(";")[-1]


@pytest.mark.parametrize(
    "argv", [["sessions", "list", "--json"], ["datasets"], ["rules", "toy2", "--labels", "LABELS"]]
)
def test_a_closed_stdout_is_an_error_not_lost_output(tmp_path, argv):
    labels = _labels(tmp_path)
    argv = [str(labels) if a == "LABELS" else a for a in argv]
    done = subprocess.run(
        [*AAD, *argv, *(["--db", str(tmp_path / "none.sqlite")] if argv[0] == "sessions" else [])],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: os.close(1),
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("aad: error: standard output is closed")


def test_stdout_and_stderr_both_a_closed_pipe_is_still_status_2(tmp_path):
    """Review 19: `aad score ... 2>&1 | head -1` exited 1: the note after the first line failed
    on stderr, and so did the error saying so (a traceback nobody saw)."""
    data = tmp_path / "t.csv"
    _table(60).assign(txn_id=[f"T{i}" for i in range(60)]).to_csv(data, index=False)  # a note: an id
    for table in ("toy2", str(data)):  # what Rich prints, what print() does
        read, write = os.pipe()
        os.close(read)  # the reader left, as head does after its line: every write fails (EPIPE)
        try:
            argv = [*AAD, "score", table, "--labels", str(_labels(tmp_path))]
            done = subprocess.run(argv, stdout=write, stderr=write, cwd=ROOT)
        finally:
            os.close(write)
        assert done.returncode == 2, table


# --------------------------------------------------------------------------- the model file and its scorer


@pytest.fixture(scope="module")
def hostile_model(tmp_path_factory) -> tuple[Path, Path]:
    return _hostile_model(tmp_path_factory.mktemp("hostile_model"))


def _hostile_model(tmp_path: Path, n: int = 40) -> tuple[Path, Path]:
    """A table with a formula-like text column and negative numbers, and the model learned on it."""
    frame = _table(n)
    frame["a"] = -np.abs(frame["a"])
    frame["=cmd|' /C calc'!A0"] = [_FORMULAS[i % len(_FORMULAS)] for i in range(n)]
    data = tmp_path / "hostile.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "model.json"
    labels = _labels(tmp_path, {1: "anomaly", 2: "nominal", 6: "anomaly"})
    assert main(["model", "export", str(data), "--labels", str(labels), "--output", str(model)]) == 0
    return data, model


@pytest.mark.parametrize("where", ["file", "stdout", "top"])
def test_the_scores_of_a_model_file_as_csv_neutralise_formulas(hostile_model, tmp_path, capsys, where):
    data, model = hostile_model
    out = tmp_path / "scores.csv"
    argv = ["score", "--model", str(model), str(data), "--columns", "=cmd|' /C calc'!A0"]
    argv += {"file": ["--output", str(out)], "top": ["--top", "10", "--output", str(out)]}.get(where, [])
    capsys.readouterr()
    assert main(argv) == 0
    written = capsys.readouterr().out if where == "stdout" else out.read_text()
    table = _cells(written)
    assert _formula_cells(table) == []
    assert table[0][:3] == ["row", "anomaly_score", "'=cmd|' /C calc'!A0"]
    assert len(table) == 1 + (10 if where == "top" else 40)
    assert all(float(row[1]) > 0 for row in table[1:])  # the scores are numbers
    assert {row[2] for row in table[1:]} >= ({"'+1+2", "'-cmd", "'@SUM(A1)"} if where != "top" else set())
    frame = pd.read_csv(io.StringIO(written))
    assert [from_spreadsheet_safe(v) for v in frame.iloc[:, 2]] == [
        _FORMULAS[r % len(_FORMULAS)] for r in frame["row"]
    ]


def test_model_show_prints_hostile_names_and_paths_literally(tmp_path, capsys):
    frame = _table(40)
    frame.columns = ["[bold]x[/bold] :smile:", "[link=http://evil]b"]
    data = tmp_path / "[red]d.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "[blue]m :smile:.json"
    labels = _labels(tmp_path)
    assert main(["model", "export", str(data), "--labels", str(labels), "--output", str(model)]) == 0
    assert f"to {model} (aad-model/1)" in capsys.readouterr().err
    assert main(["model", "show", str(model)]) == 0
    out = capsys.readouterr().out
    assert f"{model}: aad-model/1" in out
    assert "features: [bold]x[/bold] :smile: (missing: " in out
    assert "[link=http://evil]b (missing: " in out
    assert "[red]d" in out  # the provenance's data name
    assert main(["model", "show", str(model), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["features"] == list(frame.columns)
    onnx = tmp_path / "[blue]m.onnx"  # its ONNX export is shown from the ONNX file's metadata
    assert main(["model", "export", str(data), "--labels", str(labels), "--output", str(onnx)]) == 0
    capsys.readouterr()
    assert main(["model", "show", str(onnx)]) == 0
    out = capsys.readouterr().out
    assert f"{onnx}: aad-model/1+onnx, 200 trees" in out
    assert "features: [bold]x[/bold] :smile: (missing: " in out
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)))
    assert main(["model", "show", str(tmp_path / "junk.bin")]) == 2
    assert "is not UTF-8 text (byte 128): not a model file" in capsys.readouterr().err


@pytest.mark.parametrize("cut", [0.5, 0.98])
def test_model_show_names_a_damaged_onnx_export_as_one(tmp_path, capsys, cut):
    """An export cut off mid-way (ONNX cannot parse it) or near its end (before its metadata) is
    named a damaged or foreign ONNX model, not a JSON file with bad bytes."""
    data = tmp_path / "d.csv"
    _table(40).to_csv(data, index=False)
    onnx = tmp_path / "m.onnx"
    labels = _labels(tmp_path)
    assert main(["model", "export", str(data), "--labels", str(labels), "--output", str(onnx)]) == 0
    raw = onnx.read_bytes()
    cut_file = tmp_path / "cut.onnx"
    cut_file.write_bytes(raw[: int(len(raw) * cut)])
    capsys.readouterr()
    assert main(["model", "show", str(cut_file)]) == 2
    err = capsys.readouterr().err
    assert "model file cut.onnx is named .onnx, but ONNX cannot read it as a model (truncated" in err
    assert "UTF-8" not in err
    assert "`aad model export --output MODEL.onnx`" in err
    assert "Traceback" not in err


def test_model_show_names_a_foreign_onnx_model_and_a_missing_one(tmp_path, capsys):
    onnx = pytest.importorskip("onnx")
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["x"], ["y"])],
        "other",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])],
    )
    other = tmp_path / "other.onnx"
    other.write_bytes(onnx.helper.make_model(graph).SerializeToString())
    assert main(["model", "show", str(other)]) == 2
    err = capsys.readouterr().err
    assert "model file other.onnx is an ONNX model without aad's metadata" in err
    assert main(["model", "show", str(tmp_path / "gone.onnx")]) == 2  # not an OS error's text
    assert "gone.onnx' does not exist; pass the .json file" in capsys.readouterr().err


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*AAD, *argv], capture_output=True, text=True, cwd=ROOT, **kwargs)


def test_the_scores_of_a_model_file_on_stdout_are_the_output_alone(hostile_model):
    data, model = hostile_model
    done = _run(["score", "--model", str(model), str(data)])
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(io.StringIO(done.stdout)).columns.tolist() == ["row", "anomaly_score"]
    assert len(done.stdout.splitlines()) == 41
    assert "scored 40 rows of 1 file with model.json" in done.stderr
    assert "wrote" not in done.stderr  # standard output is the output, as for every command


@pytest.mark.parametrize("command", ["score --model", "model show --json", "model show", "sessions list"])
def test_a_closed_or_full_stdout_is_an_error_for_the_model_file_commands(hostile_model, tmp_path, command):
    """Also for what Rich prints (model show, the sessions table): it goes through the same guard."""
    data, model = hostile_model
    argv = {
        "score --model": ["score", "--model", str(model), str(data)],
        "model show --json": ["model", "show", str(model), "--json"],
        "model show": ["model", "show", str(model)],
        "sessions list": ["sessions", "list", "--db", str(tmp_path / "none.sqlite")],
    }[command]
    closed = _run(argv, preexec_fn=lambda: os.close(1))
    assert closed.returncode == 2
    assert closed.stderr.strip().splitlines()[-1].startswith("aad: error: standard output is closed")
    with open("/dev/full", "w") as full:
        done = subprocess.run([*AAD, *argv], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("aad: error: disk full: standard output")


@pytest.mark.parametrize("command", ["score --model", "model export"])
def test_a_full_disk_under_a_model_file_output_is_named_and_leaves_nothing(
    hostile_model, tmp_path, capsys, command
):
    data, model = hostile_model
    full = tmp_path / ("full.csv" if command == "score --model" else "full.json")
    full.symlink_to("/dev/full")  # a disk with no room left
    argv = {
        "score --model": ["score", "--model", str(model), str(data)],
        "model export": ["model", "export", str(data), "--labels", str(_labels(tmp_path))],
    }[command]
    before = sorted(p.name for p in tmp_path.iterdir())
    capsys.readouterr()
    assert main([*argv, "--output", str(full)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(f"aad: error: disk full: {full} was not written")
    assert "wrote" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no partial file left beside it


def test_a_damaged_session_row_is_named_and_the_others_still_listed(tmp_path, capsys):
    """A session whose record cannot be read (a forged or broken row) must not hide the others:
    the list leaves it out and says which one and why, on the command line and in Python."""
    db = tmp_path / "s.sqlite"
    store = aad.Store(db)
    good = aad.Session.create(aad.load_dataset("toy2"), store=store, seed=0)
    good.label(0, "anomaly")
    bad = aad.Session.create(aad.load_dataset("toy2"), store=store, seed=1)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sessions SET features = '{bad' WHERE id = ?", (bad.id,))
    assert [s.id for s in aad.Store(db).summaries()] == [good.id]
    checked = aad.Store(db)
    checked.summaries()
    assert list(checked.damaged) == [bad.id]
    assert main(["sessions", "list", "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert good.id in out
    assert bad.id not in out
    assert err.startswith(f"note: session {bad.id} cannot be read (JSONDecodeError")


def test_terminal_escape_sequences_from_files_are_printed_as_escapes(tmp_path, capsys):
    """A column name or a session title holding ESC [2J (clear the screen) or an OSC title
    sequence: printed as its escapes, never as control characters, in errors and in lists."""
    hostile = "amt\x1b[2J\x1b]0;PWNED\x07"
    db = tmp_path / "s.sqlite"
    session = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(db), seed=0)
    session.rename(title=hostile)
    assert main(["sessions", "list", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "amt\\x1b[2J" in out
    data = tmp_path / "t.csv"
    pd.DataFrame({hostile: np.linspace(0, 1, 40), "b": np.linspace(1, 2, 40)}).to_csv(data, index=False)
    assert main(["score", str(data), "--labels", str(_labels(tmp_path)), "--features", "nope"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\x07" not in err


def test_names_in_progress_and_summary_lines_are_printed_as_escapes(tmp_path, capsys):
    """A file named with ESC [31m and a line feed, an output named with an OSC title sequence:
    "wrote N rows to NAME", "N rules select ... in NAME" and simulate's table title printed them
    raw (review 19), so the terminal turned red or took a new title, and one line became two."""
    frame = _table(60)
    frame["label"] = ["anomaly" if i % 12 == 0 else "nominal" for i in range(60)]
    data = tmp_path / "esc\x1b[31mred\nx.csv"
    frame.to_csv(data, index=False)
    labels, model, rules = _labels(tmp_path), tmp_path / "m.json", tmp_path / "r.json"
    assert main(["model", "export", str(data), "--features", "a,b", "--labels", str(labels),
                 "--output", str(model)]) == 0  # fmt: skip
    assert (
        main(["rules", str(data), "--features", "a,b", "--labels", str(labels), "--output", str(rules)]) == 0
    )
    capsys.readouterr()
    out = tmp_path / "o\x1b]0;TITLE\x07\n.csv"
    assert main(["score", "--model", str(model), str(data), "--output", str(out)]) == 0
    assert main(["select", str(rules), str(data), "--output", str(out)]) == 0
    assert main(["simulate", str(data), "--label-col", "label", "--budget", "3", "--reruns", "1"]) == 0
    printed, err = capsys.readouterr()
    assert not set(printed + err) & {"\x1b", "\x07"}
    assert "of 1 file with m.json" in err
    assert err.count(" to " + str(tmp_path / "o\\x1b]0;TITLE\\x07\\n.csv") + "\n") == 2
    assert "of 60 in esc\\x1b[31mred\\nx\n" in err
    assert "esc\\x1b[31mred\\nx: 60 rows, 5 anomalies" in printed


def test_the_markdown_rules_show_control_characters_in_a_column_name_as_escapes():
    """A column named with an OSC title sequence went raw into the Markdown export's rule text
    (review 19): a terminal showing the file would take a new title."""
    text = aad.export_rules(
        [aad.Rule([aad.Predicate(0, ">", 2.5)])], "markdown", feature_names=["amt\x1b]0;PWN\x07\u202e"]
    )
    assert not set(text) & {"\x1b", "\x07", "\u202e"}
    assert "` amt\\x1b]0;PWN\\x07\\u202e > 2.5 `" in text


def test_the_deleted_sessions_list_prints_titles_and_names_without_escape_sequences(tmp_path, capsys):
    """`aad sessions list --deleted` printed a title and a deleter's name as stored: an escape
    sequence cleared the terminal and set its title (helper-36); the live list escaped them."""
    db = tmp_path / "s.sqlite"
    store = aad.Store(db)
    session = aad.Session.create(aad.load_dataset("toy2"), store=store)
    store.update(session.id, title="cat\x1b]0;PWNED\x07\x1b[2J \u202edcba")
    store.archive(session.id, by="mallory\x1b[31m")
    assert main(["sessions", "list", "--deleted", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "cat\\x1b]0;PWNED\\x07\\x1b[2J \\u202edcba" in out
    assert "mallory\\x1b[31m" in out


def test_a_refused_write_of_settings_says_they_were_not_saved(stored):
    store, session = stored
    store.read_only = True  # as a read-only file system opens it
    with pytest.raises(aad.DatabaseError, match=r"is read-only: the session's settings were not saved; "):
        store.update(session.id, title="x")
    with pytest.raises(aad.DatabaseError, match=r"is read-only: the label was not saved; "):
        session.label(11, "anomaly")


@pytest.fixture
def read_only_uploads(monkeypatch):
    """The uploads folder on a read-only file system: writing a kept copy raises as it did there."""
    real_open = Path.open

    def refuse(self, mode="r", *args, **kwargs):
        if "w" in mode and self.suffix == ".part":
            raise OSError(30, "Read-only file system", str(self))
        return real_open(self, mode, *args, **kwargs)

    return lambda: monkeypatch.setattr(Path, "open", refuse)


def test_a_kept_copy_on_a_read_only_file_system_is_the_one_kept_before_or_a_clear_error(
    store, tmp_path, read_only_uploads
):
    table = tmp_path / "cards.csv"
    _table(40).to_csv(table, index=False)
    kept = store.keep_file(table)
    read_only_uploads()
    assert store.keep_file(table) == kept
    _table(40, seed=1).to_csv(table, index=False)
    with pytest.raises(aad.DatabaseError) as refused:
        store.keep_file(table)
    assert str(refused.value).startswith(
        f"the copy of the table aad keeps beside the session database cannot be written in "
        f"{store.uploads_dir} (Read-only file system): no session can be started on it there"
    )


def test_aad_app_file_on_a_read_only_database_opens_the_labelled_session(
    db, tmp_path, monkeypatch, read_only_uploads
):
    table = tmp_path / "cards.csv"
    _table(40).to_csv(table, index=False)
    monkeypatch.setenv("AAD_DATA", str(table))
    first = AppTest.from_file(APP, default_timeout=30).run()
    next(b for b in first.button if b.key and b.key.startswith(f"{keys.LABEL_ANOMALY}-")).click().run()
    labelled = first.session_state[keys.SESSION]
    read_only_uploads()
    again = AppTest.from_file(APP, default_timeout=30).run()
    assert not again.exception
    assert again.session_state[keys.SESSION].id == labelled.id
    assert again.session_state[keys.SESSION].n_labels == 1


def test_checking_the_database_file_keeps_sqlites_locks_so_another_process_writes_are_seen(tmp_path):
    """The check that the file is still the database opened read its header through a descriptor
    it opened and closed; closing any descriptor of a file drops every POSIX lock the process
    holds on it, SQLite's included. Another process then took the database for unused, and on
    closing removed the WAL index: the workbench no longer saw the sessions written after (the
    browser tests: "there is no session ... in this workbench's database")."""
    path = tmp_path / "s.sqlite"
    store = aad.Store(path)
    session = aad.Session.create(aad.load_dataset("toy2"), store=store)
    session.label(3, "anomaly")  # a write: the file is checked before and after it
    script = (
        "import aad, sys; s = aad.Store(sys.argv[1]); "
        "print(aad.Session.create(aad.load_dataset('toy2'), store=s).id); s.close()"
    )
    made = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    other = made.stdout.strip()
    assert store.get(other).id == other  # seen by the workbench's connection
    session.label(5, "nominal")
    assert aad.Store(path).labels(session.id) == {3: aad.ANOMALY, 5: aad.NOMINAL}


def test_a_label_during_another_process_checkpoint_is_saved_not_refused(tmp_path, monkeypatch):
    """Another process's checkpoint writes the larger page count into the header before it
    extends the file: for 150-250 ms the file looked truncated, and 13 of 5,732 labels were
    refused, 5 of them after they were saved (helper-57's review). The check waits that out."""
    import aad.store as store_module

    store = aad.Store(tmp_path / "s.sqlite")
    session = aad.Session.create(aad.load_dataset("toy2"), store=store)
    real, seen = store_module._what_became, []

    def half_way(path, identity, least):  # the next 5 looks see a checkpoint half-way
        what, size = real(path, identity, least)
        seen.append(what)
        return (
            ("it was truncated: 4,096 bytes of the 8,192 it held", size) if len(seen) <= 5 else (what, size)
        )

    monkeypatch.setattr(store_module, "_what_became", half_way)
    session.label(3, "anomaly")
    assert aad.Store(store.path).labels(session.id) == {3: aad.ANOMALY}
    assert len(seen) >= 6  # looked again until the file was whole
