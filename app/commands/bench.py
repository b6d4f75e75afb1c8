"""``aad bench``: how fast the labelling loop is at a given size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import aad
from aad.benchmark import make_benchmark_data, run_benchmark
from app.cli import _err, _out, _progress, _writable, cli


@cli.command()
def bench(
    rows: Annotated[int, typer.Option(min=10, help="Rows of synthetic data.")] = 100_000,
    features: Annotated[int, typer.Option(min=1, help="Features of synthetic data.")] = 20,
    trees: Annotated[int, typer.Option(min=1, help="Isolation trees.")] = 100,
    labels: Annotated[int, typer.Option(min=0, help="Labels to time.")] = 50,
    seed: Annotated[int, typer.Option(min=0, max=aad.MAX_SEED)] = 0,
    data: Annotated[str | None, typer.Option(help="Time this dataset or file instead.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.", callback=_writable)
    ] = None,
) -> None:
    """Time fitting, the first query and every label (p50/p95), and peak memory.

    Synthetic data: 5 Gaussian clusters plus 1 % planted anomalies (half scattered, half
    in tight clusters); see aad.benchmark.make_benchmark_data.
    """
    if data is not None:
        dataset = aad.load_dataset(data)
        X, y, source = dataset.X, dataset.y, dataset.name
    else:
        X, y = make_benchmark_data(rows, features, random_state=seed)
        source = f"synthetic {rows} x {features}"
    with _progress() as bar:
        task = bar.add_task(f"labelling {source}", total=labels)
        result = run_benchmark(
            X,
            y,
            n_estimators=trees,
            n_labels=labels,
            random_state=seed,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    result["data"] = source
    _print(result)
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=1))
        _err.print(f"wrote {json_out}")


def _print(result: dict) -> None:
    table = Table(title=f"{result['data']}, {result['trees']} trees, {result['labels']} labels")
    table.add_column("measure")
    table.add_column("value", justify="right")
    latency = result["label_latency_ms"]
    for name, value in [
        ("grow the forest", f"{result['grow_seconds']:.2f} s"),
        ("leaf indices", f"{result['index_seconds']:.2f} s"),
        ("time to first query", f"{result['first_query_seconds']:.2f} s"),
        ("per label, p50", f"{latency['p50']:.2f} ms"),
        ("per label, p95", f"{latency['p95']:.2f} ms"),
        ("peak memory", f"{result['peak_rss_mb']:.0f} MB"),
    ]:
        table.add_row(name, value)
    _out.print(table)
