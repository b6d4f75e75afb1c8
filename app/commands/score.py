"""``aad score``: apply a learned model to a table, or to new rows, and write the scores.

The model learns from the labels of LABELS.csv on DATA (the same forest as ``aad rules``
fits for the same seed and trees), or from a stored labelling session (``--session``, the
model the app built: same data, seed, parameters and labels). It scores DATA's rows, or
with ``--apply`` the rows of another file holding the same feature columns, and writes a
CSV with columns ``row`` (0-based, in the scored file), ``anomaly_score`` (higher is more
anomalous) and ``rank`` (1 is the most anomalous).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import aad
from app.cli import LabelCol, Output, _err, _label_column, _print_notes, _write_output, cli
from app.commands.sessions import DbOption, _store
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
    label_col: LabelCol = "auto",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the forest (with --labels).")] = 0,
    trees: Annotated[int, typer.Option(min=1, help="Isolation trees (with --labels).")] = 100,
) -> None:
    """Score rows with a model that learned from labels: DATA's own rows, or new ones (--apply)."""
    with _err.status("fitting the forest and learning from the labels"):
        model, dataset, origin = _learned_model(data, labels, session, db, label_col, seed, trees)
    if apply is None:
        target, scores = dataset, model.anomaly_score()
    else:
        target = aad.load_rows(apply, like=dataset)
        _print_notes(target)
        scores = model.anomaly_score(target.X)
    table = aad.score_table(scores, top=top)
    text = table.to_csv(index=False)
    _err.print(
        f"scored {count(len(scores), 'row')} of {target.name} with the model of {origin} "
        f"({count(model.n_labels_, 'label')}, {count(model.n_anomalies_, 'anomaly')})"
    )
    _write_output(text, output, count(len(table), "row"))


def _learned_model(data, labels, session, db, label_col, seed, trees):
    """(model with its labels set, the data it learned from, a description of where from)."""
    if session is not None:
        if data is not None or labels is not None:
            raise aad.DataError(
                "give either --session ID, or DATA with --labels LABELS.csv, not both: "
                "a session already holds its data and labels"
            )
        opened = aad.Session.open(session, store=_store(db))
        return opened.model, opened.dataset, f"session {opened.id}"
    if data is None or labels is None:
        raise aad.DataError(
            "say what the model learns from: DATA with --labels LABELS.csv (columns row, label), "
            "or --session ID for a session labelled in the app"
        )
    dataset = aad.load_dataset(data, label_column=_label_column(label_col))
    _print_notes(dataset)
    known = aad.read_labels(labels, dataset.n_rows)
    model = aad.AADForest(n_estimators=trees, random_state=seed).fit(dataset.X, known)
    return model, dataset, f"{dataset.name} and {labels.name}"
