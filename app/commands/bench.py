"""``aad bench``: how fast the labelling loop is at a given size."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

import aad
from aad.benchmark import make_benchmark_data, run_benchmark
from app.cli import OutputError, _out, _progress, _writable, _write_output, check_not_input, cli
from app.text import printable


@cli.command()
def bench(
    rows: Annotated[int | None, typer.Option(min=10, help="Rows of synthetic data (100,000).")] = None,
    features: Annotated[int | None, typer.Option(min=1, help="Features of synthetic data (20).")] = None,
    trees: Annotated[
        int | None,
        typer.Option(min=1, max=10_000, help="Isolation trees, by default the engine's for the rows."),
    ] = None,
    labels: Annotated[int, typer.Option(min=0, help="Labels to time.")] = 50,
    seed: Annotated[int, typer.Option(min=0, max=aad.MAX_SEED)] = 0,
    data: Annotated[str | None, typer.Option(help="Time this dataset or file instead.")] = None,
    queue: Annotated[
        Literal["adaptive", "feedback", "strong", "saturating", "forest", "beliefs"],
        typer.Option(help="Which ranking the queries follow (adaptive: the workbench's default)."),
    ] = "adaptive",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.", callback=_writable)
    ] = None,
) -> None:
    """Time fitting, the first query and every label (p50/p95), and peak memory.

    Synthetic data: 5 Gaussian clusters plus 1 % planted anomalies (half scattered, half
    in tight clusters); see aad.benchmark.make_benchmark_data.
    """
    check_not_input(json_out, data, option="--json")
    sized = [flag for flag, value in (("--rows", rows), ("--features", features)) if value is not None]
    if data is not None and sized:
        raise aad.DataError(
            f"{', '.join(sized)} {'sizes' if len(sized) == 1 else 'size'} the synthetic data; with --data "
            "the table is timed at its own size: leave them out, or leave out --data"
        )
    rows, features = rows or 100_000, features or 20
    if data is None:
        _check_size(rows, features, trees or aad.model.default_n_estimators(rows), labels)
    if data is not None:
        dataset = aad.load_data(data)  # as the workbench reads it
        X, y, source = dataset.X, dataset.y, dataset.name
    else:
        X, y = make_benchmark_data(rows, features, random_state=seed)
        source = f"synthetic {rows} x {features}"
    with _progress() as bar:
        task = bar.add_task(f"labelling {printable(source)}", total=labels)
        result = run_benchmark(
            X,
            y,
            n_estimators=trees,
            n_labels=labels,
            random_state=seed,
            queue=queue,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    result["data"] = source
    _print(result)
    if json_out is not None:
        _write_output(json.dumps(result, indent=1), json_out)


#: Bytes a row of synthetic data takes per feature while benchmarking, at least: the data
#: (float64), its float32 copy in the trees, and the scaled copies the generator makes.
_BYTES_PER_CELL = 32


def _check_size(rows: int, features: int, trees: int, labels: int) -> None:
    """Refuse sizes this machine cannot hold before generating anything."""
    need = rows * (features * _BYTES_PER_CELL + trees)  # + one uint8 leaf per tree per row
    memory = _memory_bytes()
    if memory is not None and need > memory // 2:
        most = (memory // 2) // (features * _BYTES_PER_CELL + trees)
        if most >= 10:
            fix = f"use at most --rows {most:,} here"
        else:  # the rows are not what is too big: even the fewest do not fit
            features_most = ((memory // 2) // rows - trees) // _BYTES_PER_CELL
            fix = (
                f"use at most --features {features_most:,} with these rows"
                if features_most >= 1
                else "use fewer --trees and --features"
            )
        raise OutputError(
            f"--rows {rows:,} with --features {features:,} and --trees {trees:,} needs about "
            f"{need / 1e9:,.1f} GB of memory, more than half of this machine's {memory / 1e9:.1f} GB; {fix}"
        )
    if labels > rows:
        raise OutputError(f"--labels {labels:,} is more than the {rows:,} rows; label at most every row")


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not POSIX: no check
        return None


def _print(result: dict) -> None:
    table = Table(
        title=f"{result['data']}, {result['trees']} trees, {result['labels']} labels, {result['queue']} queue"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    latency = result["label_latency_ms"]
    for name, value in [
        ("grow the forest", f"{result['grow_seconds']:.2f} s"),
        ("leaf indices", f"{result['index_seconds']:.2f} s"),
        ("time to first query", f"{result['first_query_seconds']:.2f} s"),
        ("per label, p50", f"{latency['p50']:.2f} ms" if result["labels"] else "n/a (no label)"),
        ("per label, p95", f"{latency['p95']:.2f} ms" if result["labels"] else "n/a (no label)"),
        ("peak memory", f"{result['peak_rss_mb']:.0f} MB"),
    ]:
        table.add_row(name, value)
    _out.print(table)
