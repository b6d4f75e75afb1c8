"""``aad score``: apply a learned model to a table, or to new rows, and write the scores.

The model learns from the labels of LABELS.csv on DATA (the same forest as ``aad rules``
fits for the same seed and trees), or from a stored labelling session (``--session``, the
model the app built: same data, seed, parameters and labels). It scores DATA's rows, or
with ``--apply`` the rows of another file holding the same feature columns, and writes a
CSV with columns ``row`` (0-based, in the scored file), ``anomaly_score`` (higher is more
anomalous), ``rank`` (1 is the most anomalous), and unless ``--no-values`` the row's label
(for DATA's rows: anomaly, nominal or empty) and its feature values, as the workbench's
scores download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

import aad
from aad.tables import csv_text
from app.cli import (
    AnomalyValue,
    Eta,
    Features,
    LabelCol,
    MaxSamples,
    Output,
    Seed,
    Trees,
    _err,
    _print_notes,
    _write_output,
    check_not_input,
    cli,
)
from app.commands._learn import LearnFrom
from app.commands.sessions import DbOption
from app.text import count


@cli.command()
def score(
    data: Annotated[
        str | None,
        typer.Argument(help="The table the model learns from: a shipped dataset or a CSV/Parquet file."),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="CSV with columns row (0-based) and label (anomaly/nominal)."),
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Learn from a stored session (`aad sessions list`).")
    ] = None,
    db: DbOption = None,
    apply: Annotated[
        Path | None,
        typer.Option("--apply", help="Score this CSV/Parquet file's rows (same feature columns) instead."),
    ] = None,
    top: Annotated[int | None, typer.Option(min=1, help="Write only the N most anomalous rows.")] = None,
    output: Output = None,
    values: Annotated[
        bool, typer.Option("--values/--no-values", help="Append the label and the feature values.")
    ] = True,
    label_col: LabelCol = "auto",
    anomaly_value: AnomalyValue = None,
    features: Features = None,
    seed: Seed = None,
    trees: Trees = None,
    max_samples: MaxSamples = None,
    eta: Eta = None,
) -> None:
    """Score rows with a model that learned from labels: DATA's own rows, or new ones (--apply).

    Writes a CSV: row, anomaly_score (higher is more anomalous), rank (1 is the most
    anomalous), percentile (share of DATA's rows scoring lower), then, unless --no-values,
    the row's label (DATA's rows), its other columns and its values.
    """
    check_not_input(output, data, labels, apply, db)
    learn = LearnFrom(
        data, labels, session, db, label_col, features, (seed, trees, max_samples, eta), anomaly_value
    )
    with _err.status("fitting the forest and learning from the labels"):
        learned = learn.model()
    check_not_input(output, learned.dataset.source)
    model, dataset, origin = learned.model, learned.dataset, learned.origin
    if apply is None:
        target, scores, known = dataset, model.anomaly_score(), model.labels_
    else:
        target = aad.load_rows(apply, like=dataset)
        _print_notes(target)
        scores = model.anomaly_score(target.X) if target.n_rows else np.zeros(0)
        known = None
    table = aad.score_table(
        scores,
        top=top,
        labels=known if values else None,
        features=target.table() if values else None,
        reference=model.anomaly_score(),  # new rows' percentile: among the rows the model learned from
    )
    text = csv_text(table)
    _err.print(
        f"scored {count(len(scores), 'row')} of {target.name} with the model of {origin} "
        f"({count(model.n_labels_, 'label')}, {count(model.n_anomalies_, 'anomaly')})"
    )
    _write_output(text, output, count(len(table), "row"))
