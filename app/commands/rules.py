"""``aad rules``: describe the labelled anomalies of a table with a few exportable rules.

It fits the forest on DATA with the labels of LABELS.csv (columns ``row``, 0-based, and
``label``, anomaly or nominal), or reopens a stored session's model (``--session``),
computes the compact description, and writes it in one of the export formats (JSON by
default) to stdout or a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import aad
from aad.export import FORMATS
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
    Output,
    ScoresFile,
    Seed,
    Trees,
    _err,
    _write_output,
    check_not_input,
    check_packing,
    cli,
)
from app.commands._learn import LearnFrom
from app.commands.sessions import DbOption
from app.text import count, printable, rules_against_model


@cli.command()
def rules(
    data: Annotated[
        str | None, typer.Argument(help="A shipped dataset's name or a CSV/Parquet file (with --labels).")
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="CSV with columns row (0-based) and label (anomaly/nominal)."),
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Describe a stored session (`aad sessions list`).")
    ] = None,
    db: DbOption = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Output format: json, sql, pandas, csv or markdown.")
    ] = "json",
    output: Output = None,
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
    time_limit: Annotated[float, typer.Option(min=0.01, help="Seconds the integer program may run.")] = 1.0,
) -> None:
    """Describe the labelled anomalies with a few rules, exported for other systems.

    From DATA with --labels LABELS.csv, or from a session labelled in the workbench
    (--session ID: the same rules as its Rules page, with the session in the provenance).
    """
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not a rule format; choose one of {', '.join(FORMATS)}",
            param_hint="'--format'",
        )
    check_not_input(output, data, labels, db, scores)
    check_packing(output)  # before the forest and the solver, not after them
    learn = LearnFrom(
        data,
        labels,
        session,
        db,
        label_col,
        features,
        (seed, trees, max_samples, eta),
        anomaly_value,
        (detector, members, scores, ndim),
        categories,
    )
    with _err.status("fitting the forest and learning from the labels"):
        learned = learn.model(need_anomaly=True)
    check_not_input(output, learned.dataset.source)
    description = aad.describe_anomalies(learned.model, learned.dataset, time_limit=time_limit)
    provenance = None if learned.session is None else learned.session.provenance(description)
    text = aad.export_rules(description, fmt, provenance=provenance)
    covered = int(description.mask(learned.dataset.X_as_read)[description.rows].sum())
    _err.print(
        f"{count(len(description), 'rule')} cover{'s' if len(description) == 1 else ''} {covered} of "
        f"{count(len(description.rows), 'labelled anomaly')} "
        f"(solver: {description.status}, {description.seconds:.2f} s)"
    )
    data = learned.dataset  # the rules read the cells as the table holds them, the model as filled in
    shared = description.agreement(data.X_as_read, learned.model.anomaly_score(data.X))
    against = rules_against_model(*shared, data.n_rows)
    for note in (*description.notes, *aad.export_notes(description, fmt), *([against] if against else [])):
        _err.print(f"note: {printable(note)}")
    as_json = text if fmt == "json" else aad.export_rules(description, "json")
    as_text = aad.numbers_from_text(learned.dataset, as_json, [fmt])
    if as_text is not None:
        _err.print(f"note: {printable(as_text)}")
    _write_output(text, output)
