"""``aad rules``: describe the labelled anomalies of a table with a few exportable rules.

It fits the forest on DATA with the labels of LABELS.csv (columns ``row``, 0-based, and
``label``, anomaly or nominal), computes the compact description, and writes it in one of
the export formats (JSON by default) to stdout or a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

import aad
from aad.export import FORMATS
from app.cli import LabelCol, Output, _err, _label_column, _print_notes, _write_output, cli
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
    seed: Annotated[int, typer.Option(min=0, help="Seed of the forest.")] = 0,
    trees: Annotated[int, typer.Option(min=1, help="Isolation trees.")] = 100,
    time_limit: Annotated[float, typer.Option(min=0.01, help="Seconds the integer program may run.")] = 1.0,
) -> None:
    """Describe the labelled anomalies with a few rules, exported for other systems."""
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not a rule format; choose one of {', '.join(FORMATS)}",
            param_hint="'--format'",
        )
    dataset = aad.load_dataset(data, label_column=_label_column(label_col))
    _print_notes(dataset)
    known = read_labels(labels, dataset.n_rows)
    model = aad.AADForest(n_estimators=trees, random_state=seed).fit(dataset.X, known)
    description = aad.describe_anomalies(model, dataset, time_limit=time_limit)
    text = aad.export_rules(description, fmt)
    covered = int(description.mask(dataset.X)[description.rows].sum())
    _err.print(
        f"{count(len(description), 'rule')} cover{'s' if len(description) == 1 else ''} {covered} of "
        f"{count(len(description.rows), 'labelled anomaly')} "
        f"(solver: {description.status}, {description.seconds:.2f} s)"
    )
    _write_output(text, output)


def read_labels(path: Path, n_rows: int, *, need_anomaly: bool = True) -> np.ndarray:
    """Read a labels CSV into one label per data row (1 anomaly, 0 nominal, -1 unlabelled).

    With ``need_anomaly`` (describing anomalies needs one), a file labelling no row as
    anomaly is refused.

    Raises
    ------
    aad.DataError
        Naming the file line of the first bad row, and how to fix it.
    """
    aad.require_file(path, what="labels file", fix="pass a CSV with columns row and label")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise aad.DataError(
            f"{path.name} is not a readable CSV ({err}); expected columns row and label"
        ) from err
    missing = {"row", "label"} - set(frame.columns)
    if missing:
        raise aad.DataError(
            f"{path.name} must have the columns row and label; "
            f"it has {', '.join(map(str, frame.columns)) or 'none'}"
        )
    out = np.full(n_rows, aad.UNLABELLED, dtype=np.int8)
    first_line: dict[int, int] = {}
    for i, (row_text, label_text) in enumerate(zip(frame["row"], frame["label"], strict=True)):
        line = i + 2  # the header is line 1
        row = _row(row_text, n_rows, path.name, line)
        if row in first_line:
            raise aad.DataError(
                f"{path.name} labels row {row} twice (lines {first_line[row]} and {line}); "
                "keep one label per row"
            )
        first_line[row] = line
        try:
            out[row] = aad.to_label(label_text)
        except aad.LabelError as err:
            raise aad.DataError(f"{path.name} line {line}: {err}") from err
    if need_anomaly and not (out == aad.ANOMALY).any():
        raise aad.DataError(
            f"{path.name} labels no row as anomaly, so there is nothing to describe; "
            "label at least one anomaly"
        )
    return out


def _row(text: str, n_rows: int, name: str, line: int) -> int:
    try:
        row = int(text.strip())
    except ValueError:
        raise aad.DataError(
            f"{name} line {line}: row must be a whole number (0-based row index); got {text!r}"
        ) from None
    if not 0 <= row < n_rows:
        raise aad.DataError(
            f"{name} line {line}: row {row} is out of range; the data has {n_rows} rows (0 to {n_rows - 1})"
        )
    return row
