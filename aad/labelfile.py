"""Labels files: a CSV with columns ``row`` (0-based row index in the data) and ``label``.

The format ``aad sessions export`` and :func:`aad.labels_csv` write, and ``aad rules`` and
``aad score`` read. It is read like a data file (UTF-8 with or without a byte-order mark;
``,`` ``;`` tab or ``|`` delimited; blank lines skipped; spaces around the column names
ignored), and every problem is reported with the file line it is on.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd

from .errors import DataError, LabelError
from .labels import ANOMALY, UNLABELLED, to_label
from .tables import SNIFF_BYTES, decode, file_lines, require_file, sniff_delimiter

__all__ = ["read_labels"]

_FIX = "pass a CSV with columns row (0-based) and label (anomaly or nominal)"


def read_labels(path: str | os.PathLike, n_rows: int, *, need_anomaly: bool = False) -> np.ndarray:
    """One label per data row (1 anomaly, 0 nominal, -1 unlabelled) from a labels file.

    Parameters
    ----------
    path : str or path
        The labels CSV.
    n_rows : int
        Rows of the data the labels refer to.
    need_anomaly : bool, default=False
        Refuse a file that labels no row as anomaly (describing anomalies needs one).

    Raises
    ------
    DataError
        Naming the file line of the first bad row, and how to fix it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = path.write_text("row;label\\n3;anomaly\\n\\n0;nominal\\n")
    >>> read_labels(path, 5).tolist()
    [0, -1, -1, 1, -1]
    >>> _ = path.write_text("row,label\\n3,anomaly\\n\\n9,nominal\\n")
    >>> read_labels(path, 5)
    Traceback (most recent call last):
    ...
    aad.errors.DataError: labels.csv line 4: row 9 is out of range; the data has 5 rows (0 to 4)
    """
    path = require_file(path, what="labels file", fix=_FIX)
    frame, lines = _read(path)
    out = np.full(n_rows, UNLABELLED, dtype=np.int8)
    first_line: dict[int, int] = {}
    for i, (row_text, label_text) in enumerate(zip(frame["row"], frame["label"], strict=True)):
        line = int(lines[i])
        row = _row(row_text, n_rows, path.name, line)
        if row in first_line:
            raise DataError(
                f"{path.name} labels row {row} twice (lines {first_line[row]} and {line}); "
                "keep one label per row"
            )
        first_line[row] = line
        try:
            out[row] = to_label(label_text)
        except LabelError as err:
            raise DataError(f"{path.name} line {line}: {err}") from err
    if need_anomaly and not (out == ANOMALY).any():
        raise DataError(
            f"{path.name} labels no row as anomaly, so there is nothing to describe; "
            "label at least one anomaly"
        )
    return out


def _read(path) -> tuple[pd.DataFrame, np.ndarray]:
    text = decode(path)
    if not text.strip():
        raise DataError(f"{path.name} is empty; {_FIX}, starting with the header line row,label")
    delimiter = sniff_delimiter(text[:SNIFF_BYTES])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{path.name} is not a readable CSV ({err}); {_FIX}") from err
    frame = frame.rename(columns=lambda name: str(name).strip())
    missing = {"row", "label"} - set(frame.columns)
    if missing:
        found = ", ".join(repr(c) for c in frame.columns) or "none"
        raise DataError(f"{path.name} must have the columns row and label; it has {found}")
    return frame, file_lines(text, delimiter, frame.shape[0])


def _row(text: str, n_rows: int, name: str, line: int) -> int:
    try:
        row = int(text.strip())
    except ValueError:
        raise DataError(
            f"{name} line {line}: row must be a whole number (0-based row index); got {text!r}"
        ) from None
    if not 0 <= row < n_rows:
        raise DataError(
            f"{name} line {line}: row {row} is out of range; the data has {n_rows} rows (0 to {n_rows - 1})"
        )
    return row
