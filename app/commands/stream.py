"""``aad stream``: replay a table as a stream of windows, the AAD papers' streaming protocol."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import typer
from rich.table import Table

import aad
from aad.simulate import no_truth
from app.cli import (
    AnomalyValue,
    Categories,
    Features,
    LabelCol,
    NoTiming,
    OutputError,
    _categories,
    _err,
    _features,
    _label_column,
    _out,
    _print_notes,
    _progress,
    _provenance,
    _writable,
    _writable_html,
    _write_output,
    check_not_input,
    cli,
    without_timing,
)
from app.text import count, printable


def _share(value: float | None) -> float | None:
    """Option callback: a share of the trees, above 0 and at most 1."""
    if value is not None and not 0.0 < value <= 1.0:
        raise typer.BadParameter(f"a share of the trees, above 0 and at most 1; got {value:g}")
    return value


@cli.command()
def stream(
    data: Annotated[
        str, typer.Argument(help="A shipped dataset's name or a CSV/Parquet file, read in file order.")
    ],
    window: Annotated[int, typer.Option(min=2, help="Rows per window.")] = 1024,
    budget_per_window: Annotated[int, typer.Option(min=1, help="Labels (top-1 queries) per window.")] = 20,
    detector: Annotated[
        Literal["iforest", "hst"],
        typer.Option(
            help="iforest: isolation forest (default); hst: Half-Space Trees, masses of the latest window."
        ),
    ] = "iforest",
    drift: Annotated[
        Literal["kl", "none"],
        typer.Option(
            help="kl: regrow the trees whose leaf distribution drifted (KL test per tree); none: never."
        ),
    ] = "kl",
    min_drifted: Annotated[
        float | None,
        typer.Option(
            callback=_share,
            help="With --drift kl: the share of the trees that must drift before any is regrown, above 0 and "
            "at most 1 (0.1).",
        ),
    ] = None,
    rebase: Annotated[
        Literal["replaced", "all"] | None,
        typer.Option(
            help="With --drift kl: after a replacement, the trees compared with the new window from then "
            "on: replaced (only the regrown ones, the default; the others keep their own reference) or all "
            "(the reference code's rule)."
        ),
    ] = None,
    label_col: LabelCol = "auto",
    anomaly_value: AnomalyValue = None,
    features: Features = None,
    categories: Categories = None,
    reruns: Annotated[int, typer.Option(min=1, help="Runs, with seeds SEED .. SEED+RERUNS-1.")] = 3,
    seed: Annotated[int, typer.Option(min=0, max=aad.MAX_SEED, help="Seed of the first run.")] = 0,
    trees: Annotated[int, typer.Option(min=1, max=10_000, help="Trees.")] = 100,
    max_samples: Annotated[
        int | None,
        typer.Option(min=2, help="Rows per isolation tree (256); Half-Space Trees take the first window."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.", callback=_writable)
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Write the per-window curves as HTML.", callback=_writable_html)
    ] = None,
    no_timing: NoTiming = False,
) -> None:
    """Replay a table as a stream: windows in file order, a ground-truth oracle answers the queries.

    The first window grows the trees; every window gets BUDGET_PER_WINDOW top-1 queries, each
    label updating the model; labelled rows are always kept and the pool keeps the WINDOW
    highest-scored unlabelled rows. With --drift kl, when at least MIN_DRIFTED of the trees'
    leaf distributions drifted from their reference window, those trees are regrown on the
    rows since the last replacement (and take the new window as their reference; with
    --rebase all, every tree does), and every label re-applied. Beside it: the same stream
    with fixed trees, and batch AAD spending the same budget on the whole table.
    """
    given = [
        flag for flag, value in (("--min-drifted", min_drifted), ("--rebase", rebase)) if value is not None
    ]
    if drift == "none" and given:
        raise aad.DataError(
            f"{', '.join(given)} {'sets' if len(given) == 1 else 'set'} how drift is handled, and --drift "
            "none never regrows a tree: use --drift kl, or leave them out"
        )
    if detector == "hst" and max_samples is not None:
        raise aad.DataError(
            "--max-samples sets the isolation forest's rows per tree; Half-Space Trees take their ranges "
            "and masses from the first window (--window): leave --max-samples out with --detector hst"
        )
    for written in (json_out, plot):
        check_not_input(written, data, option="--json" if written is json_out else "--plot")
    if json_out is not None and plot is not None and json_out.resolve() == plot.resolve():
        raise OutputError(f"--json and --plot both name {plot}; give each its own file")
    dataset = aad.load_data(
        data,
        label_column=_label_column(label_col),
        features=_features(features),
        anomaly_value=anomaly_value,
        categories=_categories(categories),
    )
    _print_notes(dataset)
    if dataset.y is None:
        raise aad.DataError(no_truth(dataset, "a replay", "with --label-col"))
    params = {
        "detector": detector,
        "drift": drift,
        "min_drifted": 0.1 if min_drifted is None else min_drifted,
        "rebase": rebase or "replaced",
        "n_estimators": trees,
        "max_samples": 256 if max_samples is None else max_samples,
    }
    if max_samples is not None and max_samples > min(window, dataset.n_rows):
        grown = min(window, dataset.n_rows)
        _err.print(
            f"note: --max-samples {max_samples:,} is more than the first window's {grown:,} rows, which grow "
            f"the trees: each tree is grown on all {grown:,}"
        )
    n_windows = -(-dataset.n_rows // window)
    with _progress() as bar:
        task = bar.add_task(f"streaming {printable(dataset.name)}", total=2 * n_windows * reruns)
        result = aad.replay_stream(
            dataset.X,
            dataset.y,
            window=window,
            budget_per_window=budget_per_window,
            reruns=reruns,
            seed=seed,
            stream_params=params,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    summary = result.to_dict() | _provenance(dataset, None)
    summary = without_timing(summary) if no_timing else summary
    _print_stream(dataset.name, summary)
    if json_out is not None:
        _write_output(json.dumps(summary, indent=1), json_out)
    if plot is not None:
        from app.charts import stream_figure

        _write_output(stream_figure(summary).to_html(include_plotlyjs=True), plot)


#: The per-window table's columns.
_STREAM_COLUMNS = (
    "window",
    "rows",
    "labels",
    "found",
    "fixed trees",
    "trees replaced",
    "ADWIN alarms",
    "ADWIN, fixed trees",
    "seconds",
)


def _print_stream(name: str, summary: dict) -> None:
    runs = summary["runs"]
    table = Table(
        title=f"{name}: {summary['n_rows']:,} rows, {count(summary['n_anomalies'], 'anomaly')}, windows of "
        f"{summary['window']}, {summary['budget_per_window']} labels each, {count(len(runs), 'run')}"
    )
    timed = "seconds_per_window_median" in summary  # not with --no-timing
    for column in _STREAM_COLUMNS if timed else _STREAM_COLUMNS[:-1]:
        table.add_column(column, justify="right")
    for k in range(len(runs[0]["windows"])):
        at = [run["windows"][k] for run in runs]
        table.add_row(
            str(k),
            f"{at[0]['rows']:,}",
            f"{np.mean([len(w['queried']) for w in at]):.1f}",
            f"{np.mean([w['found'] for w in at]):.1f}",
            f"{np.mean([w['no_replacement_found'] for w in at]):.1f}",
            f"{np.mean([w['trees_replaced'] for w in at]):.1f}",
            f"{sum(w['drift_alarm'] for w in at)}/{len(at)}",
            f"{sum(w['no_replacement_drift_alarm'] for w in at)}/{len(at)}",
            *([f"{np.median([w['seconds'] for w in at]):.3f}"] if timed else []),
        )
    _out.print(table)
    _out.print(
        "ADWIN alarms: runs whose ADWIN (on the forest's scores of the arriving rows) fired in the "
        "window; with drift handling it starts again when trees are replaced, so it fires less "
        "than with fixed trees"
    )
    labels = np.mean([sum(len(w["queried"]) for w in run["windows"]) for run in runs])
    _out.print(
        f"found over the stream (mean): {summary['mean_found']:.1f} with drift handling, in {labels:,.0f} "
        "labels (a window may ask rows kept from the windows before it)"
    )
    _out.print(f"  with fixed trees: {summary['no_replacement_mean_found']:.1f}")
    _out.print(f"  batch AAD on the whole table, same budget: {summary['batch_mean_found']:.1f}")
    if timed:
        _out.print(f"median time per window: {summary['seconds_per_window_median'] * 1000:.1f} ms")
