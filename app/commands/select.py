"""``aad select``: apply exported rules to a table, new data included, and list the rows they cover.

The rules are an ``aad-rules/1`` JSON document or the rules CSV, as ``aad rules`` and the
workbench's Rules page export them. Only the columns the rules test are read (by name;
other columns, text ones included, are ignored). A missing value does not satisfy a test,
as in the SQL export, so these are the rows the SQL and pandas exports select.

A table bigger than memory, a folder of Parquet files as Spark or Dask write one (or a
pattern, or several files), is read a record batch at a time (:class:`aad.scale.RowBatches`)
and the rows covered are written as they are found.
"""

from __future__ import annotations

import glob
import gzip
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

import aad
from aad.compressed import DAMAGE, LABELS, compression_of, damaged
from aad.export import MAX_RULES_BYTES
from aad.scale import RowBatches
from aad.tables import csv_header, csv_text
from app.cli import (
    Output,
    StreamedOutput,
    _err,
    _print_notes,
    check_csv_output,
    check_not_input,
    cli,
    is_gzip_name,
)
from app.text import count, printable


@cli.command()
def select(
    rules_file: Annotated[
        Path, typer.Argument(metavar="RULES", help="Rules exported as JSON (aad-rules/1) or as CSV.")
    ],
    data: Annotated[
        list[str],
        typer.Argument(
            metavar="DATA...",
            help="The rows to select from: a CSV (also .gz, .bz2, .xz, .zip, .zst) or Parquet file, a "
            "dataset name, a folder of Parquet files (read a batch at a time), a quoted pattern "
            "('big/part-*.parquet'), or several files.",
        ),
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="json or csv; by default the file's extension decides.")
    ] = "auto",
    output: Output = None,
) -> None:
    """Apply exported rules to a table: the rows any rule covers, and the first rule that does."""
    check_not_input(output, rules_file, *data)
    check_csv_output(output, "select", "run the rules' SQL export in DuckDB (`aad rules --format sql`)")
    aad.require_file(rules_file, what="rules file", fix="export rules with `aad rules`")
    name = rules_file.name[:-3] if is_gzip_name(rules_file) else rules_file.name  # r.json.gz: JSON
    suffix = Path(name).suffix.lower().lstrip(".")
    if fmt == "auto" and suffix in ("sql", "py", "md", "txt", "pandas", "markdown"):
        raise aad.DataError(
            f"{rules_file.name} looks like a {suffix} export, which is for other tools; `aad select` "
            "reads the JSON or CSV export (aad rules --format json, or --format csv)"
        )
    fmt = ("csv" if suffix == "csv" else "json") if fmt == "auto" else fmt
    text = rules_text(rules_file)
    features = aad.rule_features(text, fmt)  # columns, timestamp parts, lists of categories
    rules = aad.read_rules(text, fmt)
    if _one_file(data):
        rows = aad.load_rows(data[0], columns=features)
        _print_notes(rows)
        table = covered_rows(rules, rows)
        with StreamedOutput(output) as out:
            out.write(csv_text(table))
        n_rows, name, selected = rows.n_rows, rows.name, len(table)
    else:
        n_rows, name, selected = _select_in_batches(rules, features, data, output)
    verb = "selects" if len(rules) == 1 else "select"
    _err.print(f"{count(len(rules), 'rule')} {verb} {count(selected, 'row')} of {n_rows:,} in {name}")
    if output is not None:
        _err.print(f"wrote {count(selected, 'row')} to {output}")


def rules_text(path: Path) -> str:
    """The rules file's text: UTF-8, or gzip-compressed UTF-8 (as `aad rules --output r.json.gz`
    writes it); a DataError for other bytes, naming what they are."""
    data = path.read_bytes()
    packing = compression_of(data[:16])
    if packing == "gzip":
        data = _gunzipped(path)
    elif packing is not None:
        raise aad.DataError(
            f"rules file {path.name!r} is compressed as {LABELS[packing]}; `aad select` reads the rules "
            "as JSON or CSV text, or gzip-compressed (.gz): decompress it, or export the rules again"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise aad.DataError(
            f"rules file {str(path)!r} is not UTF-8 text (byte {err.start}); "
            "pass the JSON or CSV that `aad rules` or the Rules page exported, saved as UTF-8"
        ) from err


def _gunzipped(path: Path) -> bytes:
    """A gzip rules file decompressed, up to the size an export of rules ever takes."""
    try:
        with gzip.open(path, "rb") as stream:
            data = stream.read(MAX_RULES_BYTES + 1)
    except DAMAGE as err:
        raise damaged(path, "gzip", err) from None
    if len(data) > MAX_RULES_BYTES:
        raise aad.DataError(
            f"rules file {path.name!r} holds more than {MAX_RULES_BYTES / 1e6:.0f} MB once decompressed, "
            "over what an export of rules ever takes; pass the file `aad rules` exported"
        )
    return data


def _one_file(data: list[str]) -> bool:
    """Whether DATA is one file or shipped dataset, read whole as the loader reads it (not a
    folder, a pattern or several files, read a batch at a time)."""
    if len(data) != 1:
        return False
    path = Path(data[0])
    return not path.is_dir() and (path.exists() or not glob.has_magic(data[0]))


def _select_in_batches(
    rules: list[aad.Rule], features, data: list[str], output: Path | None
) -> tuple[int, str, int]:
    """The rows covered, written batch after batch; the rows read, the table's name, the rows written."""
    batches = RowBatches(data, features)  # every file checked before a row is read
    selected = 0
    with StreamedOutput(output) as out:
        header = None
        for first, rows in batches:
            table = covered_rows(rules, rows, first_row=first)
            text = csv_text(table)
            if header is None:
                header = csv_header(table.columns)
                out.write(text)
            elif len(table):
                out.write(text[len(header) :])
            selected += len(table)
        if header is None:  # no row at all: the columns
            out.write(csv_header(["row", "rule", *_value_columns(features)]))
    for note in batches.notes():
        print(f"note: {printable(note)}", file=sys.stderr)
    return batches.n_rows, batches.name, selected


def _value_columns(features) -> list[str]:
    columns = dict.fromkeys(f.column if isinstance(f, aad.FeatureSpec) else f for f in features)
    return [f"{c} (data)" if c in ("row", "rule") else c for c in columns]


def covered_rows(rules: list[aad.Rule], rows: aad.Dataset, *, first_row: int = 0) -> pd.DataFrame:
    """``row`` (numbered from ``first_row``), ``rule`` (1-based number of the first rule covering
    it) and the tested columns' values (a category as its text, a timestamp as it is, a number as read)."""
    masks = np.array([rule.mask(rows.X) for rule in rules], dtype=bool).reshape(len(rules), rows.n_rows)
    covered = np.flatnonzero(masks.any(axis=0))
    first = masks[:, covered].argmax(axis=0) + 1 if len(covered) else np.zeros(0, dtype=np.int64)
    table = pd.DataFrame({"row": covered + first_row, "rule": first})
    values = rows.values_as_read().iloc[covered].reset_index(drop=True)
    values = values.rename(columns={c: f"{c} (data)" for c in ("row", "rule") if c in values.columns})
    return pd.concat([table, values], axis=1)
