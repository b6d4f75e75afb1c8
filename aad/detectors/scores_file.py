"""Precomputed scores: a CSV of detectors' scores, one column per detector, one row per row.

An analyst who already runs PyOD, or a model of their own, brings its scores and labels
with aad: every column is one member of an ensemble (:class:`aad.AADEnsemble`), and the
labels learn how much to trust each.

The file: a header naming each detector, then one line per row of the data, in the same
order, each holding one number per detector, higher meaning more anomalous::

    lof,knn,my_model
    1.02,0.31,0.12
    3.75,2.90,0.98

The file is read as a data file is: comma-, semicolon-, tab- or bar-separated (the delimiter
found from the first lines; a decimal comma where the delimiter is not a comma), compressed
or not (gzip, bzip2, xz, ZIP of one file, Zstandard, told by the first bytes), in UTF-8,
UTF-16 or Windows-1252; or a Parquet file, one numeric column per detector.

Every problem is one :class:`~aad.errors.DataError` naming the file, the line and the
column: an empty file, a header without rows, a nameless or repeated column name, a line
with too few or too many fields, a cell that is not a number, a missing value (empty,
``""``, ``NaN``, or an empty line among the lines of scores; empty lines at the end are no
rows) or an infinity, a column whose every score is the same (it ranks nothing), a column
that numbers or names the rows (``row``, ``id``, or one that runs 0, 1, 2... or 1, 2, 3...:
it would rank the last rows as the most anomalous), and a row count other than the data's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ..compressed import compression_of
from ..errors import DataError
from ..tables import SNIFF_BYTES, decode, read_table, sniff_delimiter

__all__ = ["ScoreTable", "load_scores", "score_table_from"]

_MISSING = {"", "nan", "na", "n/a", "null", "none", "-", "?"}
#: A number written with a decimal comma (Excel in German, French...): ``0,63``, ``-1,5e-3``.
_DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?")
#: Column names (lower case, ``_`` for spaces and hyphens) that name or number the rows.
_ROW_NAMES = {"row", "rows", "id", "ids", "index", "idx", "row_id", "rowid", "row_number", "row_no", "line"}


@dataclass(frozen=True, eq=False)
class ScoreTable:
    """Checked precomputed scores.

    Attributes
    ----------
    names : tuple of str
        One name per detector (column).
    values : ndarray of float64, shape (n_rows, n_detectors)
    source : str
        Where they came from (a file's path, or ``"(array)"``).
    fingerprint : str
        SHA-256 of the file's bytes (of the values for an array), to check a session's file.

    Examples
    --------
    Scores of your own detectors (here two distances from the centre), one column each, read
    by :func:`load_scores` from a file or by :func:`score_table_from` from a table; an
    ensemble takes each column as a member beside its own:

    >>> from aad.detectors import AADEnsemble, score_table_from
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(200, 2)), [[5.0, 5.0]]])
    >>> mine = np.c_[np.linalg.norm(X, axis=1), np.abs(X).max(axis=1)]
    >>> table = score_table_from(mine, names=["distance", "largest"])
    >>> table.names, table.n_rows, table.source
    (('distance', 'largest'), 201, '(array)')
    >>> model = AADEnsemble(members=["iforest"], n_estimators=10, random_state=0).fit(X, scores=table)
    >>> model.member_names_, model.member_kinds_
    (('iforest', 'distance', 'largest'), ('forest', 'scores', 'scores'))
    >>> int(np.argmax(model.anomaly_score()))
    200
    """

    names: tuple[str, ...]
    values: np.ndarray
    source: str = "(array)"
    fingerprint: str = ""

    @property
    def n_rows(self) -> int:
        """Rows scored."""
        return int(self.values.shape[0])


def load_scores(path, n_rows: int | None = None) -> ScoreTable:
    """Read and check a scores file (see the module notes); ``n_rows``: the data's rows.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "scores.csv"
    >>> _ = path.write_text("lof,knn\\n1.0,0.5\\n3.0,2.5\\n2.0,0.1\\n")
    >>> table = load_scores(path, n_rows=3)
    >>> table.names, table.values[:, 1].tolist()
    (('lof', 'knn'), [0.5, 2.5, 0.1])
    >>> load_scores(path, n_rows=4)
    Traceback (most recent call last):
    ...
    aad.errors.DataError: ...scores.csv has 3 rows of scores but the data has 4 rows: it needs one line ...
    """
    file = Path(path)
    if not file.is_file():
        where = "is a folder" if file.is_dir() else "does not exist"
        raise DataError(f"the scores file {file} {where}; give a CSV file with one column per detector")
    raw = file.read_bytes()
    if raw.startswith(b"PAR1"):
        names, values = _parquet(file)
    else:  # as the data's CSVs are read: compressed or not, in the encodings Excel writes
        text, _ = decode(file, compression=compression_of(raw[:16]))
        names, values = _parse(text, str(file))
    table = ScoreTable(names, values, str(file), hashlib.sha256(raw).hexdigest())
    return _checked(table, n_rows)


def score_table_from(scores, n_rows: int | None = None, *, names=None) -> ScoreTable:
    """A :class:`ScoreTable` from a ScoreTable, a DataFrame (columns = detectors) or a 2-D array.

    Examples
    --------
    >>> score_table_from(np.array([[1.0, 2.0], [3.0, 1.0]])).names
    ('score0', 'score1')
    """
    if isinstance(scores, ScoreTable):
        return _checked(scores, n_rows)
    columns = getattr(scores, "columns", None)
    values = np.asarray(scores, dtype=object)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise DataError(f"scores must be a table: one column per detector; got {values.ndim} dimensions")
    given = names if names is not None else columns
    labels = (
        tuple(str(n) for n in given)
        if given is not None
        else tuple(f"score{j}" for j in range(values.shape[1]))
    )
    if len(labels) != values.shape[1]:
        raise DataError(
            f"got {len(labels)} names for {values.shape[1]} score columns; give one name per column"
        )
    try:
        numbers = values.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(
            "scores must be numbers, higher meaning more anomalous; a cell is not a number"
        ) from None
    _check_names(labels, "the scores")
    digest = hashlib.sha256(np.ascontiguousarray(numbers).tobytes()).hexdigest()
    return _checked(ScoreTable(labels, numbers, "(array)", digest), n_rows)


def _parquet(file: Path) -> tuple[tuple[str, ...], np.ndarray]:
    """A Parquet file's columns as scores: each must hold numbers."""
    frame = read_table(file, max_bytes=None)
    names = tuple(str(name).strip() for name in frame.columns)
    _check_names(names, str(file))
    for name, column in frame.items():
        if is_bool_dtype(column) or not is_numeric_dtype(column):
            raise DataError(
                f"{file}, column {name!r} holds {column.dtype} values, not numbers; every score must be a "
                "number, higher meaning more anomalous"
            )
    return names, frame.to_numpy(dtype=np.float64, na_value=np.nan)


def _parse(text: str, where: str) -> tuple[tuple[str, ...], np.ndarray]:
    delimiter = sniff_delimiter(text[:SNIFF_BYTES])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):  # blank lines before it
            header = next(reader, None)
        if header is None:
            raise DataError(
                f"{where} is empty; a scores file needs a header naming each detector, then one line of "
                "scores per row of the data"
            )
        names = tuple(cell.strip() for cell in header)
        _check_names(names, where)
        rows = _rows(reader, names, where, decimal_comma=delimiter != ",")
    except csv.Error as err:
        raise DataError(f"{where} line {reader.line_num} is not valid CSV ({err}); fix that line") from None
    if not rows:
        raise DataError(
            f"{where} has a header ({', '.join(names[:5])}) but no rows of scores; it needs one line per "
            "row of the data"
        )
    return names, np.array(rows, dtype=np.float64)


def _rows(reader, names: tuple[str, ...], where: str, *, decimal_comma: bool) -> list[list[float]]:
    """The lines of scores after the header. An empty line is no row only at the end of the file:
    before a line of scores it is a row without one (pandas writes a one-column file's missing
    value as ``""``, which is refused as a missing score like any empty cell)."""
    rows: list[list[float]] = []
    empty = None  # the first empty line since the last line of scores
    for row in reader:
        if not row:
            empty = empty or reader.line_num
            continue
        if empty is not None:
            raise DataError(
                f"{where} line {empty} is empty, but lines of scores follow it: a row without a score; "
                "every row of the data needs its line of scores: fill it in (or delete the line if it "
                "stands for no row)"
            )
        rows.append(_numbers(row, names, where, reader.line_num, decimal_comma))
    return rows


def _check_names(names: tuple[str, ...], where: str) -> None:
    for j, name in enumerate(names, start=1):
        if not name:
            raise DataError(f"column {j} of {where} has no name in the header; name every detector")
    seen: dict[str, int] = {}
    for j, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(
                f"{where} names the column {name!r} twice (columns {seen[name]} and {j}); give each detector "
                "its own name"
            )
        seen[name] = j


def _numbers(
    row: list[str], names: tuple[str, ...], where: str, line: int, decimal_comma: bool
) -> list[float]:
    if len(row) != len(names):
        raise DataError(
            f"{where} line {line} has {len(row)} fields but the header names {len(names)} detectors; "
            "every line needs one score per detector"
        )
    out = []
    for name, cell in zip(names, row, strict=True):
        text = cell.strip()
        if text.lower() in _MISSING:
            raise DataError(
                f"{where} line {line}, column {name!r}: a missing score ({text!r}); every row needs a score "
                "from every detector: fill it, or leave that detector out"
            )
        if decimal_comma and _DECIMAL_COMMA.fullmatch(text):  # 0,63 in a semicolon-separated file
            text = text.replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            raise DataError(
                f"{where} line {line}, column {name!r}: {text[:40]!r} is not a number; every score must be "
                "a number, higher meaning more anomalous"
            ) from None
        if not np.isfinite(value):
            raise DataError(
                f"{where} line {line}, column {name!r}: {text!r} is not a finite number; give every row a "
                "finite score (cap the extreme ones)"
            )
        out.append(value)
    return out


def _checked(table: ScoreTable, n_rows: int | None) -> ScoreTable:
    values = table.values
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise DataError(f"{table.source} holds no scores; give one column per detector, one row per row")
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(
            f"{table.source}: row {i}, column {table.names[j]!r} is {values[i, j]}, not a finite score; "
            "every row needs a finite score from every detector"
        )
    if n_rows is not None and values.shape[0] != n_rows:
        raise DataError(
            f"{table.source} has {values.shape[0]} rows of scores but the data has {n_rows} rows: it needs "
            "one line of scores per row of the data, in the same order"
        )
    for j, name in enumerate(table.names):
        if np.all(values[:, j] == values[0, j]):
            raise DataError(
                f"every row of {table.source} scores {values[0, j]:g} in column {name!r}: a constant score "
                "ranks nothing; leave that column out"
            )
    _refuse_row_numbers(table)
    return table


def _refuse_row_numbers(table: ScoreTable) -> None:
    """Refuse a column that numbers or names the rows: written beside the scores (``row``, ``id``,
    a DataFrame's index saved under a name), it would be read as a detector ranking the last rows
    highest. A detector's scores never run 0, 1, 2... (or 1, 2, 3...) in the rows' order."""
    n = table.values.shape[0]
    for j, name in enumerate(table.names):
        column = table.values[:, j]
        numbers = n >= 3 and any(np.array_equal(column, np.arange(first, first + n)) for first in (0, 1))
        if numbers:
            what = f"runs {column[0]:g}, {column[1]:g}, {column[2]:g} ... {column[-1]:g}: it numbers the rows"
        elif name.strip().lower().replace(" ", "_").replace("-", "_") in _ROW_NAMES:
            what = "is named as the rows' number or identifier"
        else:
            continue
        raise DataError(
            f"column {name!r} of {table.source} {what}, and is not a detector's scores (read as one, it "
            "would rank the last rows as the most anomalous); remove that column: every column of a "
            "scores file is one detector's scores, its lines in the data's order"
        )
