"""``aad score``: apply a learned model to a table, or to new rows, and write the scores.

With ``--model FILE`` (an ``aad-model/1`` file from ``aad model export``) it scores tables of
any size instead: CSV files, Parquet files or folders of Parquet files, a record batch at
a time, in bounded memory (``--engine dask``: in the partitions of a Dask DataFrame, on a
cluster), and writes ``row`` and ``anomaly_score`` as Parquet or CSV
(:mod:`app.commands.score_model`).

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

import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

import aad
from aad.scale.model_file import export_model
from aad.scale.score import unit_notes
from aad.tables import csv_text
from app.cli import (
    AnomalyValue,
    Categories,
    Detector,
    Eta,
    Features,
    LabelCol,
    MaxSamples,
    Members,
    Ndim,
    ScoresFile,
    Seed,
    Trees,
    _err,
    _print_notes,
    _write_output,
    check_csv_output,
    check_not_input,
    check_packing,
    cli,
)
from app.commands._learn import LearnFrom
from app.commands.score_model import (
    PARTITION_ROWS,
    BatchRows,
    Columns,
    Engine,
    PartitionRows,
    Scheduler,
    Workers,
    check_model_options,
    score_with_model,
    writable,
)
from app.commands.sessions import DbOption
from app.text import count, printable


@cli.command()
def score(
    data: Annotated[
        list[str] | None,
        typer.Argument(
            help="The table the model learns from (a shipped dataset or a CSV/Parquet file); with "
            "--model, the tables to score: CSV/Parquet files or folders of Parquet files.",
            show_default=False,
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="CSV with columns row (0-based) and label (anomaly/nominal)."),
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Learn from a stored session (`aad sessions list`).")
    ] = None,
    db: DbOption = None,
    model_file: Annotated[
        Path | None,
        typer.Option(
            "--model", help="Score with this model file (aad model export) instead of learning one."
        ),
    ] = None,
    apply: Annotated[
        Path | None,
        typer.Option("--apply", help="Score this CSV/Parquet file's rows (same feature columns) instead."),
    ] = None,
    top: Annotated[int | None, typer.Option(min=1, help="Write only the N most anomalous rows.")] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Write here instead of stdout (a name ending in .csv.gz: gzip-compressed CSV; with "
            "--model: .parquet, .csv or .csv.gz; with --engine dask, a folder).",
        ),
    ] = None,
    values: Annotated[
        bool | None,
        typer.Option("--values/--no-values", help="Append the label and the feature values (default: on)."),
    ] = None,
    engine: Engine = "inprocess",
    scheduler: Scheduler = None,
    workers: Workers = None,
    columns: Columns = None,
    batch_rows: BatchRows = 65_536,
    partition_rows: PartitionRows = PARTITION_ROWS,
    label_col: LabelCol = "auto",
    anomaly_value: AnomalyValue = None,
    features: Features = None,
    categories: Categories = None,
    seed: Seed = None,
    trees: Trees = None,
    max_samples: MaxSamples = None,
    eta: Eta = None,
    detector: Detector = None,
    members: Members = None,
    scores: ScoresFile = None,
    ndim: Ndim = None,
) -> None:
    """Score rows with a model that learned from labels: DATA's own rows, or new ones (--apply);
    or, with --model FILE, every row of tables of any size.

    Writes a CSV: row, anomaly_score (higher is more anomalous), rank (1 is the most
    anomalous), percentile (share of DATA's rows scoring lower), then, unless --no-values,
    the row's label (DATA's rows), its other columns and its values. With --model: row and
    anomaly_score (and --columns), as Parquet or CSV, in bounded memory; --engine dask runs
    on a Dask cluster (--scheduler ADDRESS; a local one without it).
    """
    scale = {
        "--engine": engine != "inprocess",
        "--scheduler": scheduler is not None,
        "--workers": workers is not None,
        "--columns": columns is not None,
        "--batch-rows": batch_rows != 65_536,
        "--partition-rows": partition_rows != PARTITION_ROWS,
    }
    if model_file is not None:
        given = {
            "--labels": labels is not None,
            "--session": session is not None,
            "--db": db is not None,
            "--apply": apply is not None,
            "--values/--no-values": values is not None,
            "--label-col": label_col != "auto",
            "--anomaly-value": anomaly_value is not None,
            "--features": features is not None,
            "--categories": categories is not None,
            "--seed": seed is not None,
            "--trees": trees is not None,
            "--max-samples": max_samples is not None,
            "--eta": eta is not None,
            "--detector": detector is not None,
            "--members": members is not None,
            "--scores": scores is not None,
            "--ndim": ndim is not None,
        }
        check_model_options([flag for flag, on in given.items() if on])
        score_with_model(
            model_file,
            data or [],
            output,
            top=top,
            engine=engine,
            scheduler=scheduler,
            workers=workers,
            columns=columns,
            batch_rows=batch_rows,
            partition_rows=partition_rows,
        )
        return
    refused = [flag for flag, on in scale.items() if on]
    if refused:
        raise aad.DataError(
            f"{', '.join(refused)} {'applies' if len(refused) == 1 else 'apply'} to scoring with a model "
            "file (--model FILE, from `aad model export`)"
        )
    if data is not None and len(data) > 1:
        raise aad.DataError(
            f"got {len(data)} tables ({', '.join(data[:3])}); the model learns from one table. To score "
            "several tables, export the model (`aad model export`) and use --model FILE"
        )
    check_not_input(output, *(data or []), labels, apply, db, scores)
    check_csv_output(output, "score", "export the model (`aad model export`) and score with --model FILE")
    check_packing(output)  # before the scoring, not after it
    _score_learned(
        data[0] if data else None,
        labels,
        session,
        db,
        apply,
        top,
        writable(output),
        True if values is None else values,
        (label_col, anomaly_value, features, categories),
        (seed, trees, max_samples, eta),
        (detector, members, scores, ndim),
    )


def _values(target: aad.Dataset) -> pd.DataFrame:
    """The row's columns beside its scores, its ground truth too (``label``, the analyst's label,
    comes before them: a data column of that name is written as ``label (data)``); a timestamp
    as the file wrote it, as ``--model --columns`` writes it."""
    table = target.table(as_written=True)
    if target.y is None:
        return table
    truth = pd.Series(np.where(target.y, "anomaly", "nominal"), name=target.label_column or "ground truth")
    return pd.concat([truth, table], axis=1)


def _print_unit_notes(model, dataset: aad.Dataset, target: aad.Dataset) -> None:
    """What ``score --model`` says of new rows read in another unit (cents for euros), said by
    ``--apply`` too: it scored the same file without a word. For an isolation forest's model."""
    try:
        portable = export_model(model, dataset)
    except aad.AADError:  # an extended forest or an ensemble has no model file to read it from
        return
    for note in unit_notes(portable, target.X, target.X_as_read):
        print(f"note: {printable(note)}", file=sys.stderr)


def _score_learned(data, labels, session, db, apply, top, output, values, columns, options, chosen) -> None:
    label_col, anomaly_value, features, categories = columns
    learn = LearnFrom(
        data, labels, session, db, label_col, features, options, anomaly_value, chosen, categories
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
        _print_unit_notes(model, dataset, target)
        scores = model.anomaly_score(target.X) if target.n_rows else np.zeros(0)
        known = np.full(len(scores), aad.UNLABELLED)  # no analyst's label on new rows
    table = aad.score_table(
        scores,
        top=top,
        labels=known if values else None,
        features=_values(target) if values else None,
        reference=model.anomaly_score(),  # new rows' percentile: among the rows the model learned from
    )
    text = csv_text(table)
    _err.print(
        f"scored {count(len(scores), 'row')} of {target.name} with the model of {origin} "
        f"({count(model.n_labels_, 'label')}, {count(model.n_anomalies_, 'anomaly')})"
    )
    _write_output(text, output, count(len(table), "row"), gzip_by_name=True)  # rows.csv.gz: gzip
