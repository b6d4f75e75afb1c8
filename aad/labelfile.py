"""Labels files: a CSV with columns ``row`` (0-based row index in the data) and ``label``.

The format ``aad sessions export`` and :func:`aad.labels_csv` write, and ``aad rules`` and
``aad score`` read. It is read like a data file (UTF-8 with or without a byte-order mark;
``,`` ``;`` tab or ``|`` delimited; blank lines skipped; spaces around the column names
ignored), and every problem is reported with the file line it is on.

A workbench session also reads labels known beforehand from such a file
(:func:`read_label_table`): rows may be named by an id column of the data instead of
``row`` (``txn_id``), and a ``kind`` and a ``note`` column are taken along. Every bad line
is reported, each with its file line, and nothing is read from a file with one.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, LabelError
from .labels import ANOMALY, UNLABELLED, to_label
from .tables import SNIFF_BYTES, decode, file_lines, from_spreadsheet_safe, require_file, sniff_delimiter

__all__ = ["LabelFileError", "LabelTable", "read_label_table", "read_labels"]

_FIX = "pass a CSV with columns row (0-based) and label (anomaly or nominal)"
#: Bad lines named one by one in a message; the rest are counted.
_SHOWN = 20


class LabelFileError(DataError):
    """A labels file with bad lines: ``problems`` lists each as ``(file line, what is wrong)``."""

    def __init__(self, message: str, problems: list[tuple[int, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class LabelTable:
    """The labels of a labels file, one entry per line, in file order.

    Attributes
    ----------
    rows : ndarray of int64
        The data row each line labels.
    labels : ndarray of int8
        1 anomaly, 0 nominal.
    kinds, notes : list of str or None, or None
        Each line's anomaly kind and note (None for an empty cell); None without that column.
    lines : ndarray of int64
        Each entry's file line (the header is line 1).
    key : str
        The column that named the rows: ``row``, or the data's id column.
    """

    rows: np.ndarray
    labels: np.ndarray
    kinds: list[str | None] | None
    notes: list[str | None] | None
    lines: np.ndarray
    key: str


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
        Naming the file line of every bad row (up to 20), and how to fix it.

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
    aad.labelfile.LabelFileError: labels.csv line 4: row 9 is out of range; the data has 5 rows (0 to 4)
    """
    table = read_label_table(path, n_rows)
    out = np.full(n_rows, UNLABELLED, dtype=np.int8)
    out[table.rows] = table.labels
    if need_anomaly and not (out == ANOMALY).any():
        raise DataError(
            f"{require_file(path, what='labels file', fix=_FIX).name} labels no row as anomaly, so there is "
            "nothing to describe; label at least one anomaly"
        )
    return out


def read_label_table(
    path: str | os.PathLike, n_rows: int, *, ids: pd.DataFrame | None = None, name: str | None = None
) -> LabelTable:
    """The labels of a labels file, with their kinds and notes, checked line by line.

    Parameters
    ----------
    path : str or path
        A CSV with a ``label`` column (anomaly/nominal, 1/0, true/false, yes/no), the rows named by
        a ``row`` column (0-based) or, with ``ids``, by a column of the same name as one of
        ``ids``' (an id of the data: each value must name exactly one row), and optionally a
        ``kind`` (of anomaly) and a ``note`` column. Other columns are ignored, so a labels
        export reads back as it is.
    n_rows : int
        Rows of the data.
    ids : DataFrame, optional
        The data's id and other context columns, one row per data row.
    name : str, optional
        The file's name in messages (an uploaded file's own name); its file name by default.

    Raises
    ------
    LabelFileError
        Listing every bad line (a row out of range or unknown, labelled twice, a bad label,
        a kind given to a nominal row), with its file line; nothing is read then.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "known.csv"
    >>> _ = path.write_text("txn,label,kind\\nT2,anomaly,takeover\\nT0,nominal,\\n")
    >>> table = read_label_table(path, 3, ids=pd.DataFrame({"txn": ["T0", "T1", "T2"]}))
    >>> table.rows.tolist(), table.labels.tolist(), table.kinds, table.key
    ([2, 0], [1, 0], ['takeover', None], 'txn')
    >>> _ = path.write_text("row,label\\n7,anomaly\\n1,maybe\\n")
    >>> read_label_table(path, 3)
    Traceback (most recent call last):
    ...
    aad.labelfile.LabelFileError: known.csv has 2 bad lines, so no label was read: line 2: row 7 is out of range; the data has 3 rows (0 to 2); line 3: a label must be anomaly or nominal (or 1/0, true/false, yes/no); got 'maybe'
    """  # noqa: E501
    path = require_file(path, what="labels file", fix=_FIX)
    shown = name or path.name
    frame, lines = _read(path, shown, ids)
    key = "row" if "row" in frame.columns else next(c for c in frame.columns if ids is not None and c in ids)
    locate = _row_reader(key, n_rows, ids)
    problems: list[tuple[int, str]] = []
    rows, labels, first_line = [], [], {}
    kinds = _optional_text(frame, "kind")
    notes = _optional_text(frame, "note")
    for i, (row_text, label_text) in enumerate(zip(frame[key], frame["label"], strict=True)):
        line = int(lines[i])
        try:
            row = locate(row_text)
            if row in first_line:
                raise DataError(
                    f"labels row {row} twice (lines {first_line[row]} and {line}); keep one label per row"
                )
            first_line[row] = line
            label = to_label(label_text)
            if kinds is not None and kinds[i] is not None and label != ANOMALY:
                raise DataError(
                    f"a kind ({kinds[i]!r}) goes with an anomaly; this line labels row {row} nominal"
                )
            _check_lengths(kinds, notes, i)
        except (DataError, LabelError) as err:
            problems.append((line, str(err)))
            continue
        rows.append(row)
        labels.append(label)
    if problems:
        raise _bad_lines(shown, problems)
    return LabelTable(
        rows=np.asarray(rows, dtype=np.int64),
        labels=np.asarray(labels, dtype=np.int8),
        kinds=kinds,
        notes=notes,
        lines=np.asarray(lines, dtype=np.int64),
        key=key,
    )


def _check_lengths(kinds, notes, i: int) -> None:
    """A kind or note longer than the session keeps, named on its line (the store refused it later,
    with no file and no line)."""
    from .store import MAX_KIND, MAX_NOTE

    for what, texts, limit in (("kind", kinds, MAX_KIND), ("note", notes, MAX_NOTE)):
        text = None if texts is None else texts[i]
        if text is not None and len(" ".join(text.split())) > limit:
            raise DataError(f"the {what} is {len(text):,} characters long; keep it to {limit:,}")


def _bad_lines(name: str, problems: list[tuple[int, str]]) -> LabelFileError:
    """One message for every bad line: a single one as before (``F line 4: ...``), several listed."""
    if len(problems) == 1:
        line, text = problems[0]
        message = f"{name} {text}" if text.startswith("labels row") else f"{name} line {line}: {text}"
        return LabelFileError(message, problems)
    listed = "; ".join(
        text if text.startswith("labels row") else f"line {line}: {text}" for line, text in problems[:_SHOWN]
    )
    more = f"; and {len(problems) - _SHOWN:,} more" if len(problems) > _SHOWN else ""
    return LabelFileError(
        f"{name} has {len(problems):,} bad lines, so no label was read: {listed}{more}", problems
    )


def _read(path, name: str, ids: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray]:
    text, _ = decode(path)
    if not text.strip():
        raise DataError(f"{name} is empty; {_FIX}, starting with the header line row,label")
    excel = re.match(r"sep=(.)[ \t]*\r?\n", text, flags=re.IGNORECASE)  # Excel's "sep=;" first line
    body = text[excel.end() :] if excel else text
    delimiter = excel.group(1) if excel else sniff_delimiter(body[:SNIFF_BYTES])
    try:
        frame = pd.read_csv(io.StringIO(body), sep=delimiter, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{name} is not a readable CSV ({err}); {_FIX}") from err
    frame = _named(frame.rename(columns=lambda column: str(column).strip()), ids)
    frame = _without_empty_end(frame)
    has_key = "row" in frame.columns or (ids is not None and any(c in ids.columns for c in frame.columns))
    if "label" not in frame.columns or not has_key:
        found = ", ".join(repr(c) for c in frame.columns) or "none"
        if ids is None or not len(ids.columns):
            raise DataError(f"{name} must have the columns row and label; it has {found}")
        named = ", ".join(repr(c) for c in ids.columns[:8])
        raise DataError(
            f"{name} must have a label column and a row column (0-based) or an id column of the data "
            f"({named}); it has {found}"
        )
    return frame, file_lines(body, delimiter, frame.shape[0]) + (1 if excel else 0)


def _named(frame: pd.DataFrame, ids: pd.DataFrame | None) -> pd.DataFrame:
    """``Row``, ``LABEL``, ``Kind``: the file's own columns in any case (an id column of the data
    keeps its own name)."""
    taken = set(frame.columns) | (set(ids.columns) if ids is not None else set())
    lower = {str(c).lower(): c for c in frame.columns}
    renames = {lower[w]: w for w in ("row", "label", "kind", "note") if w not in taken and w in lower}
    return frame.rename(columns=renames) if renames else frame


def _without_empty_end(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows but those at the end with no value in any column (a spreadsheet writes ``,``)."""
    if not len(frame):
        return frame
    empty = (frame.apply(lambda column: column.str.strip()) == "").all(axis=1).to_numpy()
    kept = len(empty) - int(np.argmin(empty[::-1])) if not empty.all() else 0
    return frame.iloc[:kept]


def _optional_text(frame: pd.DataFrame, column: str) -> list[str | None] | None:
    """A column of text (a kind, a note) as written by a person or by a spreadsheet-safe export."""
    if column not in frame.columns:
        return None
    return [from_spreadsheet_safe(" ".join(str(v).split())) or None for v in frame[column]]


def _row_reader(key: str, n_rows: int, ids: pd.DataFrame | None):
    """A function from a file's cell to the data row it names (``DataError`` when it names none)."""
    if key == "row":
        return lambda text: _row(text, n_rows)
    column = ids[key]
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    index: dict[str, list[int]] = {}
    for row, value in enumerate(column.tolist()):
        if not pd.isna(value):
            index.setdefault(_id_text(value, numeric), []).append(row)

    def locate(text: str) -> int:
        found = index.get(_id_text(text, numeric), [])
        if not found:
            raise DataError(f"no row of the data has {key} {text.strip()!r}")
        if len(found) > 1:
            shown = ", ".join(map(str, found[:5])) + (", …" if len(found) > 5 else "")
            raise DataError(
                f"{key} {text.strip()!r} names {len(found):,} rows of the data ({shown}); name them by "
                "their row column instead"
            )
        return found[0]

    return locate


def _id_text(value, numeric: bool) -> str:
    """An id as text to compare: a number's value (``7``, ``7.0`` and ``007`` alike), else the text."""
    text = str(value).strip()
    if not numeric:
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else repr(number)


def _row(text: str, n_rows: int) -> int:
    try:
        row = int(text.strip())
    except ValueError:
        raise DataError(f"row must be a whole number (0-based row index); got {text!r}") from None
    if not 0 <= row < n_rows:
        raise DataError(f"row {row} is out of range; the data has {n_rows} rows (0 to {n_rows - 1})")
    return row
