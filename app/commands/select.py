"""``aad select``: apply exported rules to a table, new data included, and list the rows they cover.

The rules are an ``aad-rules/1`` JSON document or the rules CSV, as ``aad rules`` and the
workbench's Rules page export them. Only the columns the rules test are read (by name;
other columns, text ones included, are ignored). A missing value does not satisfy a test,
as in the SQL export, so these are the rows the SQL and pandas exports select.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

import aad
from aad.tables import csv_text
from app.cli import Output, _err, _print_notes, _write_output, check_csv_output, check_not_input, cli
from app.text import count


@cli.command()
def select(
    rules_file: Annotated[
        Path, typer.Argument(metavar="RULES", help="Rules exported as JSON (aad-rules/1) or as CSV.")
    ],
    data: Annotated[str, typer.Argument(help="The rows to select from: a CSV/Parquet file or dataset name.")],
    fmt: Annotated[
        str, typer.Option("--format", help="json or csv; by default the file's extension decides.")
    ] = "auto",
    output: Output = None,
) -> None:
    """Apply exported rules to a table: the rows any rule covers, and the first rule that does."""
    check_not_input(output, rules_file, data)
    check_csv_output(output, "select", "run the rules' SQL export in DuckDB (`aad rules --format sql`)")
    aad.require_file(rules_file, what="rules file", fix="export rules with `aad rules`")
    suffix = rules_file.suffix.lower().lstrip(".")
    if fmt == "auto" and suffix in ("sql", "py", "md", "txt", "pandas", "markdown"):
        raise aad.DataError(
            f"{rules_file.name} looks like a {suffix} export, which is for other tools; `aad select` "
            "reads the JSON or CSV export (aad rules --format json, or --format csv)"
        )
    fmt = ("csv" if suffix == "csv" else "json") if fmt == "auto" else fmt
    try:
        text = rules_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise aad.DataError(
            f"rules file {str(rules_file)!r} is not UTF-8 text (byte {err.start}); "
            "pass the JSON or CSV that `aad rules` or the Rules page exported, saved as UTF-8"
        ) from err
    features = aad.rule_features(text, fmt)  # columns, timestamp parts, lists of categories
    rules = aad.read_rules(text, fmt)
    rows = aad.load_rows(data, columns=features)
    _print_notes(rows)
    table = covered_rows(rules, rows)
    selected = count(len(table), "row")
    verb = "selects" if len(rules) == 1 else "select"
    _err.print(f"{count(len(rules), 'rule')} {verb} {selected} of {rows.n_rows:,} in {rows.name}")
    _write_output(csv_text(table), output, selected)


def covered_rows(rules: list[aad.Rule], rows: aad.Dataset) -> pd.DataFrame:
    """``row``, ``rule`` (1-based number of the first rule covering it) and the tested columns'
    values as written (a category as its text, a timestamp as it is)."""
    masks = np.array([rule.mask(rows.X) for rule in rules], dtype=bool).reshape(len(rules), rows.n_rows)
    covered = np.flatnonzero(masks.any(axis=0))
    first = masks[:, covered].argmax(axis=0) + 1 if len(covered) else np.zeros(0, dtype=np.int64)
    table = pd.DataFrame({"row": covered, "rule": first})
    values = rows.values_as_read().iloc[covered].reset_index(drop=True)
    values = values.rename(columns={c: f"{c} (data)" for c in ("row", "rule") if c in values.columns})
    return pd.concat([table, values], axis=1)
