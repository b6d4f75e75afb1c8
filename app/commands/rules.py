"""``aad rules``: describe the labelled anomalies of a table with a few exportable rules.

It fits the forest on DATA with the labels of LABELS.csv (columns ``row``, 0-based, and
``label``, anomaly or nominal), computes the compact description, and writes it in one of
the export formats (JSON by default) to stdout or a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import aad
from aad.export import FORMATS
from app.cli import (
    Eta,
    Features,
    LabelCol,
    MaxSamples,
    Output,
    Seed,
    Trees,
    _err,
    _features,
    _label_column,
    _print_notes,
    _write_output,
    cli,
    model_params,
)
from app.text import count


@cli.command()
def rules(
    data: Annotated[str, typer.Argument(help="A shipped dataset's name or a CSV/Parquet file.")],
    labels: Annotated[
        Path, typer.Option("--labels", help="CSV with columns row (0-based) and label (anomaly/nominal).")
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="Output format: json, sql, pandas, csv or markdown.")
    ] = "json",
    output: Output = None,
    label_col: LabelCol = "auto",
    features: Features = None,
    seed: Seed = None,
    trees: Trees = None,
    max_samples: MaxSamples = None,
    eta: Eta = None,
    time_limit: Annotated[float, typer.Option(min=0.01, help="Seconds the integer program may run.")] = 1.0,
) -> None:
    """Describe the labelled anomalies with a few rules, exported for other systems."""
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not a rule format; choose one of {', '.join(FORMATS)}",
            param_hint="'--format'",
        )
    dataset = aad.load_dataset(data, label_column=_label_column(label_col), features=_features(features))
    _print_notes(dataset)
    known = aad.read_labels(labels, dataset.n_rows, need_anomaly=True)
    model = aad.AADForest(**model_params(seed, trees, max_samples, eta)).fit(dataset.X, known)
    description = aad.describe_anomalies(model, dataset, time_limit=time_limit)
    text = aad.export_rules(description, fmt)
    covered = int(description.mask(dataset.X)[description.rows].sum())
    _err.print(
        f"{count(len(description), 'rule')} cover{'s' if len(description) == 1 else ''} {covered} of "
        f"{count(len(description.rows), 'labelled anomaly')} "
        f"(solver: {description.status}, {description.seconds:.2f} s)"
    )
    _write_output(text, output)
