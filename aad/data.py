"""Tables in, validated numeric matrices out.

:func:`load_dataset` is the one boundary where user data enters the engine. It accepts
the name of a shipped dataset (``toy2``) or a path to a CSV or Parquet file, checks
everything once, repairs what can safely be repaired (missing values), and says what is
wrong, where, and how to fix it when it cannot. Everything downstream can then trust
:attr:`Dataset.X`: 2-D float64, finite, at least two rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .labels import ANOMALY_WORDS, NOMINAL_WORDS

__all__ = [
    "AUTO",
    "Dataset",
    "dataset_from_frame",
    "datasets_dir",
    "detect_label_column",
    "label_values",
    "list_datasets",
    "load_classes",
    "load_dataset",
    "load_rows",
    "parse_labels",
    "require_file",
    "validate_matrix",
]

#: Pass as ``label_column`` to detect a ground-truth column by its name.
AUTO = "auto"
_AUTO_LABEL_NAMES = ("label", "labels", "ground.truth", "ground_truth", "is_anomaly")
_TRUE, _FALSE = ANOMALY_WORDS, NOMINAL_WORDS
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SNIFF_BYTES = 64 * 1024
#: Keys of ``DataFrame.attrs`` where the CSV reader leaves each row's file line and its notes.
_LINES, _NOTES = "aad_file_lines", "aad_read_notes"
_DECIMAL_COMMA = re.compile(r"\s*[-+]?\d+,\d+\s*")
#: 1,234.5 / 1.234,5 / 1 234 567: digits grouped by thousands, with a decimal part or more groups.
_THOUSANDS = re.compile(
    r"\s*[-+]?\d{1,3}(?:([,. '])\d{3})(?:\1\d{3})*(?:[.,]\d+)\s*|\s*[-+]?\d{1,3}(?:([,. '])\d{3}){2,}\s*"
)
#: The largest magnitude the isolation forest can hold: scikit-learn's trees work in float32.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def datasets_dir() -> Path:
    """Folder of the shipped datasets (``$AAD_DATASETS`` overrides it)."""
    env = os.environ.get("AAD_DATASETS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "datasets"


def list_datasets() -> list[str]:
    """Names of the shipped datasets, sorted.

    Examples
    --------
    >>> "toy2" in list_datasets()
    True
    """
    folder = datasets_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.csv") if not p.stem.endswith("_classes"))


@dataclass(frozen=True, eq=False)
class Dataset:
    """A validated table: numeric features and, optionally, ground-truth labels.

    Attributes
    ----------
    name : str
        Short name (the shipped name or the file's stem).
    X : ndarray of shape (n_samples, n_features)
        Finite float64 features.
    feature_names : tuple of str
        Column names, in the order of ``X``'s columns.
    y : ndarray of shape (n_samples,) of bool, or None
        Ground truth (True = anomaly) when the table had a label column.
    label_column : str or None
        The name of that column.
    source : str
        Where the table came from (a path, or ``shipped:<name>``).
    notes : tuple of str
        What was repaired or noticed while loading (missing values filled, constant columns).
    filled : ndarray of shape (n_samples, n_features) of bool, or None
        The cells that were missing in the table and hold a filled-in value in ``X``
        (None when none was missing).
    context : DataFrame or None
        The table's other columns (ids, categories, columns left out of the features),
        one row per row: shown to the analyst, never to the model.
    anomaly_value : str or None
        The value of the label column that marked an anomaly, when it was given (a text
        ground truth such as fraud/legit).
    """

    name: str
    X: np.ndarray
    feature_names: tuple[str, ...]
    y: np.ndarray | None = None
    label_column: str | None = None
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    filled: np.ndarray | None = None
    context: pd.DataFrame | None = None
    anomaly_value: str | None = None

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return int(self.X.shape[1])

    @property
    def n_anomalies(self) -> int | None:
        """Number of ground-truth anomalies, or None without ground truth."""
        return None if self.y is None else int(self.y.sum())

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the feature names and values: the same table, the same fingerprint."""
        h = hashlib.sha256()
        h.update("\x1f".join(self.feature_names).encode())
        h.update(np.ascontiguousarray(self.X).tobytes())
        return h.hexdigest()

    @cached_property
    def X_as_read(self) -> np.ndarray:
        """The features as the table holds them: NaN where a cell was missing (``X`` holds the
        value filled in for the model). Exported rules evaluated on the table see these."""
        return self.X if self.filled is None else np.where(self.filled, np.nan, self.X)

    def frame(self, *, with_gaps: bool = False) -> pd.DataFrame:
        """The features as a DataFrame with the original column names.

        ``with_gaps`` leaves the cells that were missing in the table empty (NaN) instead
        of showing the value filled in for the model.
        """
        return pd.DataFrame(self.X_as_read if with_gaps else self.X, columns=list(self.feature_names))

    def table(self) -> pd.DataFrame:
        """What the analyst sees of each row: the context columns, then the features as read
        (a cell missing in the file stays empty)."""
        features = _for_people(self.frame(with_gaps=True))
        return features if self.context is None else pd.concat([self.context, features], axis=1)


def _for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers written as the table held them: whole numbers as integers (7, not 7.0), and
    values that came from float32 (Parquet) as float32 (15.38, not 15.380000114440918)."""
    out = frame.copy()
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=np.float64)
        known = values[~np.isnan(values)]
        if not len(known):
            continue
        if (known == np.round(known)).all() and np.abs(known).max() < 2**53:
            out[name] = frame[name].astype("Int64")
        elif (known.astype(np.float32).astype(np.float64) == known).all():
            out[name] = frame[name].astype(np.float32)
    return out


def load_dataset(
    source: str | os.PathLike,
    *,
    label_column: str | None = AUTO,
    features: Sequence[str] | None = None,
    max_bytes: int | None = None,
    max_features: int | None = None,
    non_numeric: str = "raise",
    anomaly_value: str | None = None,
) -> Dataset:
    """Load a shipped dataset by name, or a CSV or Parquet file by path, and validate it.

    Parameters
    ----------
    source : str or path
        A shipped dataset's name (see :func:`list_datasets`) or a file path.
    label_column : str, None or "auto", default="auto"
        The ground-truth column (values anomaly/nominal, 1/0 or true/false). ``"auto"``
        uses a column named ``label``, ``ground.truth``, ``ground_truth`` or
        ``is_anomaly`` if there is one; ``None`` means the table has no labels.
    features : sequence of str, optional
        The feature columns to use, in this order; all other columns but the label
        column by default.
    max_bytes : int, optional
        Refuse larger files (default: ``$AAD_MAX_FILE_MB`` megabytes, else 4096 MB).
    max_features : int, optional
        Refuse tables with more feature columns (default: ``$AAD_MAX_FEATURES``, else 1000).
    non_numeric : {"raise", "drop"}, default="raise"
        A column holding text (an id, a category) when ``features`` is not given: refused,
        naming the cell, or left out of the features with a note (what the workbench does,
        so that a table with an id column can be used as it is).
    anomaly_value : str, optional
        For a label column holding other words (fraud/legit, o/n): the value, any case,
        that marks an anomaly; every other value is nominal.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        With a message naming the problem, where it is, and how to fix it.

    Examples
    --------
    >>> ds = load_dataset("toy2")
    >>> ds.X.shape, ds.feature_names, ds.n_anomalies
    ((485, 2), ('x', 'y'), 35)
    """
    path, name, origin = _resolve(source)
    limit = _file_limit(max_bytes)
    frame = _read_table(path, max_bytes=limit)
    return dataset_from_frame(
        frame,
        name=name,
        label_column=label_column,
        source=origin,
        features=features,
        max_features=max_features,
        non_numeric=non_numeric,
        anomaly_value=anomaly_value,
    )


def dataset_from_frame(
    frame: pd.DataFrame,
    *,
    name: str = "table",
    label_column: str | None = AUTO,
    source: str = "frame",
    features: Sequence[str] | None = None,
    max_features: int | None = None,
    non_numeric: str = "raise",
    anomaly_value: str | None = None,
) -> Dataset:
    """Validate an in-memory table the same way :func:`load_dataset` validates a file.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1.0, 2.0, None], "b": [3, 3, 4], "label": ["0", "1", "0"]})
    >>> ds = dataset_from_frame(df)
    >>> ds.X[:, 0].tolist(), ds.y.tolist()
    ([1.0, 2.0, 1.5], [False, True, False])
    >>> ds.notes[0]
    "column 'a': 1 missing value filled with the column median 1.5"
    """
    _check_shape(frame)
    _check_unique_columns([str(c) for c in frame.columns])
    lines, read_notes = frame.attrs.get(_LINES), list(frame.attrs.get(_NOTES, []))
    frame = frame.rename(columns=str)
    label_name = _pick_label_column(frame, label_column)
    y = (
        None
        if label_name is None
        else parse_labels(frame[label_name], column=label_name, lines=lines, anomaly_value=anomaly_value)
    )
    if non_numeric not in ("raise", "drop"):
        raise DataError(f"non_numeric must be 'raise' or 'drop'; got {non_numeric!r}")
    context = None
    others = _other_truth_columns(frame, label_name) if label_column == AUTO and features is None else []
    read_notes += [
        f"column {name!r} is named like a ground-truth column (the ground truth is {label_name!r}): "
        "left out of the features; name it among the features to use it"
        for name in others
    ]
    if non_numeric == "raise":
        frame = frame.drop(columns=others)
    if non_numeric == "drop" and features is None:
        kept, dropped = _drop_text_columns(frame, label_name)
        kept = kept.drop(columns=[c for c in others if c in kept.columns])
        read_notes += dropped
        left_out = [c for c in frame.columns if c not in kept.columns]
        context = frame[left_out].reset_index(drop=True) if left_out else None
        frame = kept
    features = _feature_frame(frame, label_name, features)
    _check_width(features.shape[1], max_features)
    X, notes, filled = _numeric_matrix(features, lines)
    notes = read_notes + notes
    if y is not None and y.all():
        notes.append(
            f"every row of label column {label_name!r} is an anomaly: "
            "it cannot serve as ground truth for evaluation"
        )
    return Dataset(
        name=name,
        X=X,
        feature_names=tuple(features.columns),
        y=y,
        label_column=label_name,
        source=source,
        notes=tuple(notes),
        filled=filled,
        context=context,
        anomaly_value=anomaly_value if label_name is not None else None,
    )


def load_rows(
    source: str | os.PathLike,
    *,
    like: Dataset | None = None,
    columns: Sequence[str] | None = None,
    max_bytes: int | None = None,
) -> Dataset:
    """New rows, read for a model fitted on ``like`` or for rules testing ``columns``.

    The wanted columns are found by name: the file may hold them in any order and other
    columns besides (a label, an id), which the model ignores and the result keeps as
    :attr:`Dataset.context`; a single row is enough.
    With ``like``, the wanted columns are its features and a missing cell is filled with
    the median of its column in ``like`` (the data the model learned from, not the new
    rows), and reported in the notes. With ``columns``, a missing cell stays NaN: a rule
    testing it does not cover the row, as in SQL.

    Parameters
    ----------
    source : str or path
        A shipped dataset's name or a CSV or Parquet file.
    like : Dataset, optional
        The data a model was fitted on.
    columns : sequence of str, optional
        The columns to read, when there is no ``like``.
    max_bytes : int, optional
        As in :func:`load_dataset`.

    Raises
    ------
    DataError
        When a wanted column is missing, a cell is not a number, or there is no row.

    Examples
    --------
    A model fitted on columns ``y`` then ``x`` scores toy2's rows, whose file holds
    ``label, x, y``:

    >>> train = dataset_from_frame(pd.DataFrame({"y": [0.0, 1.0], "x": [1.0, 0.0]}))
    >>> rows = load_rows("toy2", like=train)
    >>> rows.feature_names, rows.X.shape
    (('y', 'x'), (485, 2))
    >>> load_rows("toy2", columns=["x"]).X.shape
    (485, 1)
    """
    if (like is None) == (columns is None):
        raise DataError("load_rows reads the columns of `like` or the given `columns`: pass exactly one")
    if isinstance(columns, str):
        raise DataError(
            f"columns must be a list of column names; got the string {columns!r} (use [{columns!r}])"
        )
    wanted = like.feature_names if like is not None else tuple(str(c) for c in columns)
    twice = sorted({c for c in wanted if wanted.count(c) > 1})
    if twice:
        raise DataError(f"the columns to read list {twice[0]!r} twice; list each column once")
    path, name, origin = _resolve(source)
    limit = _file_limit(max_bytes)
    frame = _read_table(path, max_bytes=limit).rename(columns=str)
    if frame.shape[0] == 0:
        raise DataError(f"{path.name} has a header but no rows; add at least one row")
    found = [_column_named(frame, c) for c in wanted]
    missing = [c for c in found if c not in frame.columns]
    if missing:
        needed = "the model was fitted on the columns" if like is not None else "the rules test the columns"
        has = ", ".join(map(repr, frame.columns[:20])) + (", ..." if frame.shape[1] > 20 else "")
        raise DataError(
            f"{path.name} has no column {missing[0]!r} (its columns: {has}); {needed} "
            f"{', '.join(wanted)}, so the rows need every one of them (other columns are ignored)"
        )
    lines = frame.attrs.get(_LINES)
    values = [_numeric_column(frame[c], c, lines, label_hint=False) for c in found]
    if like is not None:
        for column, column_name in zip(values, wanted, strict=True):
            _check_float32(column, column_name, lines)
    gaps = np.column_stack([np.isnan(v) for v in values]) if like is not None and values else None
    notes = _fill_like(values, like) if like is not None else []
    X = np.column_stack(values) if values else np.empty((frame.shape[0], 0))
    others = [c for c in frame.columns if c not in found]  # an id, a timestamp: kept beside the rows
    return Dataset(
        name=name,
        X=X.astype(np.float64, copy=False),
        feature_names=wanted,
        source=origin,
        notes=tuple(notes),
        filled=gaps if gaps is not None and gaps.any() else None,
        context=frame[others].reset_index(drop=True) if others else None,
    )


def _fill_like(values: list[np.ndarray], like: Dataset) -> list[str]:
    """Fill the gaps of each column in place with that column's median in ``like``; the notes."""
    notes = []
    for j, column in enumerate(like.feature_names):
        gaps = np.isnan(values[j])
        if gaps.any():
            median = float(np.median(like.X[:, j]))
            values[j] = np.where(gaps, median, values[j])
            notes.append(
                f"column {column!r}: {int(gaps.sum())} missing value(s) filled with the median "
                f"{median:g} of the data the model learned from"
            )
    return notes


def validate_matrix(X, *, n_features: int | None = None, min_rows: int = 2) -> np.ndarray:
    """Check an array given directly to the engine: 2-D, numeric, finite, enough rows.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_features : int, optional
        The number of columns a fitted model expects.
    min_rows : int, default=2

    Returns
    -------
    ndarray of float64

    Raises
    ------
    DataError

    Examples
    --------
    >>> validate_matrix([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> validate_matrix([[1, 2]], n_features=3, min_rows=1)
    Traceback (most recent call last):
    ...
    aad.errors.DataError: X has 2 columns but the model was fitted on 3; pass the same feature ...
    """
    if isinstance(X, Dataset):
        X = X.X
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise DataError(f"X must be a numeric 2-D array; converting it failed: {err}") from err
    if arr.ndim != 2:
        hint = "; for one feature use X.reshape(-1, 1)" if arr.ndim == 1 else ""
        raise DataError(f"X must be 2-D (rows x features); got an array with {arr.ndim} dimension(s){hint}")
    if n_features is not None and arr.shape[1] != n_features:
        raise DataError(
            f"X has {arr.shape[1]} columns but the model was fitted on {n_features}; "
            "pass the same feature columns, in the same order"
        )
    if arr.shape[0] < min_rows:
        raise DataError(f"X has {arr.shape[0]} row(s); at least {min_rows} are needed")
    if arr.shape[1] == 0:
        raise DataError("X has no columns; at least one feature is needed")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"X holds {arr[row, col]} at row {row}, column {col}; every value must be a finite "
            "number (load files with load_dataset, which fills missing values)"
        )
    huge = np.abs(arr) > _FLOAT32_MAX
    if huge.any():
        row, col = (int(i) for i in np.argwhere(huge)[0])
        raise DataError(
            f"X holds {arr[row, col]:g} at row {row}, column {col}, beyond ±{_FLOAT32_MAX:.3g}, the "
            "largest magnitude the isolation forest can hold (float32); rescale that column"
        )
    return arr


def parse_labels(
    values: pd.Series | list, *, column: str = "label", lines=None, anomaly_value: str | None = None
) -> np.ndarray:
    """Turn anomaly/nominal, 1/0 or true/false (any case) into a bool array.

    ``lines``, when the values come from a file, holds the file line of each value. With
    ``anomaly_value``, that value (any case) marks an anomaly and every other one is nominal.

    Raises
    ------
    DataError
        Naming the first row with a missing or unknown value.

    Examples
    --------
    >>> parse_labels(["Anomaly", "nominal", "1", "false"]).tolist()
    [True, False, True, False]
    """
    series = pd.Series(values)
    text = series.astype(str).str.strip().str.lower()
    if anomaly_value is not None:
        return _parse_by_value(series, text, column, lines, anomaly_value)
    is_true, is_false = text.isin(_TRUE), text.isin(_FALSE)
    bad = ~(is_true | is_false) | series.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        got = "an empty cell" if pd.isna(series.iloc[row]) else repr(str(series.iloc[row]))
        raise DataError(
            f"label column {column!r} holds {got} at {_where(row, lines)}; "
            "expected anomaly/nominal, 1/0 or true/false. Fix the value, or load the "
            "table without a label column"
        )
    return is_true.to_numpy(dtype=bool)


def _parse_by_value(series: pd.Series, text: pd.Series, column: str, lines, anomaly_value: str) -> np.ndarray:
    if series.isna().any():
        row = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise DataError(f"label column {column!r} holds an empty cell at {_where(row, lines)}; fill it in")
    wanted = str(anomaly_value).strip().lower()
    y = (text == wanted).to_numpy(dtype=bool)
    if not y.any():
        values = ", ".join(repr(v) for v in pd.unique(series.astype(str))[:10])
        raise DataError(
            f"no row of label column {column!r} holds {anomaly_value!r}; its values include {values}. "
            "Name the value that marks an anomaly"
        )
    return y


def label_values(source: str | os.PathLike, column: str, *, limit: int = 20) -> list[str] | None:
    """The distinct values of a file's column (at most ``limit``; None if it has more, or no
    such column): the choices for the value that marks an anomaly.

    Examples
    --------
    >>> label_values("toy2", "label")
    ['anomaly', 'nominal']
    """
    path, _, _ = _resolve(source)
    frame = _read_table(path, max_bytes=_file_limit(None)).rename(columns=str)
    name = _column_named(frame, column)
    if name not in frame.columns:
        return None
    values = sorted(frame[name].dropna().astype(str).str.strip().unique())
    return values if len(values) <= limit else None


def detect_label_column(source: str | os.PathLike) -> str | None:
    """The column ``label_column="auto"`` takes as the ground truth (found by its name), or None.

    Examples
    --------
    >>> detect_label_column("toy2")
    'label'
    """
    path, _, _ = _resolve(source)
    frame = _read_table(path, max_bytes=_file_limit(None)).rename(columns=str)
    return _pick_label_column(frame, AUTO)


def load_classes(source: str | os.PathLike) -> np.ndarray:
    """Read a class file (columns ``label``, ``class``) and return the ``class`` column.

    ``source`` is a path, or a shipped dataset's name (its ``<name>_classes.csv``).
    """
    text = str(source)
    if _NAME_RE.match(text) and "." not in text and not Path(text).exists():
        text = str(datasets_dir() / f"{text}_classes.csv")
    path = require_file(text, what="class file", fix="pass a CSV with a 'class' column")
    frame = _read_table(path, max_bytes=None)
    if "class" not in frame.columns:
        raise DataError(
            f"class file {path.name!r} has no 'class' column (it has {', '.join(map(str, frame.columns))})"
        )
    return frame["class"].astype(str).to_numpy()


# --------------------------------------------------------------------------- resolving


def require_file(path: str | os.PathLike, *, what: str, fix: str) -> Path:
    """``path`` as a :class:`~pathlib.Path` when it is a readable file; a :class:`DataError` otherwise.

    ``what`` names the file in the message ("labels file") and ``fix`` says what to pass.

    Examples
    --------
    >>> require_file("/", what="labels file", fix="pass a CSV with columns row and label")
    Traceback (most recent call last):
    ...
    aad.errors.DataError: labels file '/' is a folder, not a file; pass a CSV with columns row and label
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{what} {str(path)!r} is a folder, not a file; {fix}")
    if not path.is_file():
        raise DataError(f"{what} {str(path)!r} does not exist; {fix}")
    return path


def _resolve(source: str | os.PathLike) -> tuple[Path, str, str]:
    text = os.fspath(source)
    path = Path(text)
    if path.is_file():
        return path, path.stem, str(path)
    if _NAME_RE.match(text) and "." not in text:
        folder = datasets_dir().resolve()
        candidate = (folder / f"{text}.csv").resolve()
        if candidate.parent == folder and candidate.is_file():
            return candidate, text, f"shipped:{text}"
    if path.suffix or os.sep in text or path.is_dir():
        require_file(path, what="file", fix="pass a CSV or Parquet file")
    shipped = ", ".join(list_datasets()) or "none"
    raise DataError(
        f"no shipped dataset or file named {text!r}; shipped datasets: {shipped}; "
        "or pass a path to a CSV or Parquet file"
    )


# --------------------------------------------------------------------------- reading


def _read_table(path: Path, *, max_bytes: int | None) -> pd.DataFrame:
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise DataError(
            f"{path.name} is {_mb(size)}, over the limit of {_mb(max_bytes)}; "
            "use a sample of the rows or raise the limit"
        )
    if size == 0:
        raise DataError(f"{path.name} is empty; expected a header line, then the rows")
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return _read_parquet(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        preview = head[:40].decode("utf-8", "replace").splitlines()[0] if head else ""
        readable = preview.isprintable() and "\ufffd" not in preview
        start = f"it starts with {preview!r}" if readable else "it starts with bytes that are not Parquet's"
        raise DataError(
            f"{path.name} is not a Parquet file ({start}); if it is a CSV, rename it to .csv, "
            "otherwise re-export it as Parquet"
        )
    return _read_csv(path, head)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise DataError(f"{path.name} could not be read as Parquet ({err}); re-export the file") from err
    # pandas writes its index too: a named one (df.set_index("id")) is a column of the table,
    # an unnamed one only numbers the rows.
    named = [name for name in frame.index.names if name is not None]
    if named:
        frame = frame.reset_index(level=named)
    return frame.reset_index(drop=True)


def _read_csv(path: Path, head: bytes) -> pd.DataFrame:
    if b"\x00" in head:
        raise DataError(
            f"{path.name} does not look like a CSV file (it contains binary data); "
            "export the table as CSV (UTF-8) or Parquet"
        )
    text = _decode(path)
    text, delimiter, skipped = _excel_separator_line(text)
    delimiter = delimiter or _sniff_delimiter(text[:_SNIFF_BYTES])
    first_line = text.splitlines()[0] if text.strip() else ""
    if first_line.lstrip().startswith("#"):
        raise DataError(
            f"{path.name} starts with a comment line ({first_line[:40]!r}); aad reads no comments: "
            "remove the lines starting with # so that the first line is the header"
        )
    try:
        header = next(csv.reader([first_line], delimiter=delimiter), [])
    except csv.Error as err:
        raise DataError(f"{path.name} has a malformed header line ({err}); fix the first line") from err
    _check_unique_columns(header)
    try:
        with warnings.catch_warnings():  # rows longer than the header: an error, not a warning
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, low_memory=False, index_col=False)
    except pd.errors.ParserWarning as err:
        raise DataError(
            f"{path.name} is not a well-formed CSV: its rows have more fields than the header line "
            "names; name every column in the header (a delimiter ending every row but not the "
            "header does this too)"
        ) from err
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{path.name} has no columns; expected a header line") from err
    except pd.errors.ParserError as err:
        _check_ragged_lines(path, text, delimiter, len(header))  # the first bad line, of any kind
        raise DataError(f"{path.name} is not a well-formed CSV: {_parser_hint(err)}") from err
    _check_delimiter(path, frame, first_line)
    _check_short_rows(path, frame, text, delimiter)
    frame, notes = _unnamed_columns(path, frame, header)
    lines = _file_lines(text, delimiter, frame.shape[0]) + skipped
    frame, lines, empty_note = _empty_rows(path, frame, lines)
    if skipped:
        notes.insert(0, f"skipped the first line, {delimiter!r} as delimiter: Excel's 'sep=' hint")
    frame.attrs[_LINES] = lines
    frame.attrs[_NOTES] = notes + empty_note
    return frame


def _excel_separator_line(text: str) -> tuple[str, str | None, int]:
    """Excel's ``sep=;`` first line: the text without it, its delimiter and 1 (else text, None, 0)."""
    match = re.match(r"\ufeff?sep=(.)[ \t]*\r?\n", text, flags=re.IGNORECASE)
    if match is None:
        return text, None, 0
    return text[match.end() :], match.group(1), 1


def _empty_rows(
    path: Path, frame: pd.DataFrame, lines: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Rows with no value at all: dropped at the end of the file (spreadsheets write them), else refused."""
    empty = frame.isna().all(axis=1).to_numpy()
    if not empty.any():
        return frame, lines, []
    n_data = len(empty) - int(np.argmin(empty[::-1])) if not empty.all() else 0
    if empty[:n_data].any():
        line = int(lines[np.flatnonzero(empty[:n_data])[0]])
        raise DataError(
            f"{path.name}: line {line} has no value in any column; delete the empty rows (or fill them in)"
        )
    dropped = len(empty) - n_data
    rows = f"{dropped} empty row{'s' if dropped > 1 else ''}"
    note = f"left out {rows} at the end of the file (no value in any column)"
    return frame.iloc[:n_data], lines[:n_data], [note]


def _file_lines(text: str, delimiter: str, n_rows: int) -> np.ndarray:
    """The file line each data row starts on (1-based; the header is line 1).

    Blank lines (which pandas skips) and quoted fields spanning lines shift rows off ``row + 2``.
    """
    if text.count("\n") + text.count("\r") - text.count("\r\n") <= n_rows + 1:
        return np.arange(n_rows) + 2
    lines, start = [], 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for fields in reader:
            if len(fields) > 1 or (fields and fields[0].strip()):
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error:
        return np.arange(n_rows) + 2
    lines = lines[1 : n_rows + 1]  # the first record is the header
    return np.asarray(lines) if len(lines) == n_rows else np.arange(n_rows) + 2


def _unnamed_columns(path: Path, frame: pd.DataFrame, header: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Columns without a name in the header: a row index is dropped, anything else refused."""
    if len(header) != frame.shape[1]:
        return frame, []
    unnamed = [i for i, name in enumerate(header) if not name.strip()]
    notes = []
    if unnamed and unnamed[0] == 0 and _is_row_index(frame.iloc[:, 0]):
        notes.append(
            "dropped the first column: it has no name and numbers the rows 0, 1, 2, ... "
            "(a row index, as pandas' to_csv writes)"
        )
        frame, unnamed = frame.iloc[:, 1:], unnamed[1:]
    if not unnamed:
        return frame, notes
    trailing = list(range(len(header) - len(unnamed), len(header)))
    if unnamed == trailing and frame.iloc[:, trailing].isna().all().all():
        extra = "a delimiter" if len(unnamed) == 1 else f"{len(unnamed)} delimiters"
        raise DataError(
            f"{path.name} ends every line with {extra}, which adds empty columns without a "
            "name; remove the trailing delimiters (or give the columns a name and values)"
        )
    raise DataError(
        f"{path.name}: column {unnamed[0] + 1} has no name in the header line; name it, or remove the column"
    )


def _is_row_index(column: pd.Series) -> bool:
    if not pd.api.types.is_integer_dtype(column):
        return False
    values = column.to_numpy()
    return bool(values[0] in (0, 1) and np.array_equal(values - values[0], np.arange(len(values))))


def _check_short_rows(path: Path, frame: pd.DataFrame, text: str, delimiter: str) -> None:
    """A line with fewer fields than the header: pandas would pad it with missing values.

    Only read again when the last column has a gap, which every short line leaves (a long
    line has been refused already, so any ragged line is a short one).
    """
    if frame.shape[1] >= 2 and frame.iloc[:, -1].isna().any():
        _check_ragged_lines(path, text, delimiter, frame.shape[1])


def _check_ragged_lines(path: Path, text: str, delimiter: str, width: int) -> None:
    """Name the first line whose number of fields differs from the header's (pandas names
    only the first line with too many)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for fields in reader:
            if fields and len(fields) != width:
                fix = (
                    "add the missing values (an empty field, as in 1,,3, marks a missing one)"
                    if len(fields) < width
                    else "check for a stray delimiter or an unquoted text field"
                )
                raise DataError(
                    f"{path.name} is not a well-formed CSV: line {reader.line_num} has {len(fields)} "
                    f"field{'s' if len(fields) > 1 else ''} but the header has {width}; {fix}"
                )
    except csv.Error:  # the csv module is stricter than pandas: let pandas' message stand
        return


def _check_delimiter(path: Path, frame: pd.DataFrame, header: str) -> None:
    """One column whose name holds an unusual separator: the file uses another delimiter."""
    if frame.shape[1] != 1:
        return
    for sep in (":", " ", "/", "~", "^", "#"):
        if header.count(sep) >= 1 and len(header.split(sep)) > 1 and all(header.split(sep)):
            raise DataError(
                f"{path.name} has a single column {header[:40]!r}: it seems to use {sep!r} as its "
                "delimiter; save it with commas (aad reads , ; tab and | delimited files)"
            )


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(
            f"{path.name} is not UTF-8 text (byte {err.start}, line {line}); re-save it with UTF-8 encoding"
        ) from err


def _sniff_delimiter(sample: str) -> str:
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    if len(lines) > 1 and not sample.endswith("\n"):
        lines = lines[:-1]  # the last line may be cut mid-way
    best, best_cols = ",", 1
    for delim in (",", ";", "\t", "|"):
        counts = {len(row) for row in csv.reader(lines, delimiter=delim)}
        if len(counts) == 1 and (cols := counts.pop()) > best_cols:
            best, best_cols = delim, cols
    return best


def _parser_hint(err: Exception) -> str:
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
    if match:
        want, line, got = match.groups()
        return (
            f"line {line} has {got} fields but the header has {want}; "
            "check for a stray delimiter or an unquoted text field"
        )
    return str(err).strip()


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


# --------------------------------------------------------------------------- validating


def _check_shape(frame: pd.DataFrame) -> None:
    if frame.shape[1] == 0:
        raise DataError("the table has no columns; expected a header line with column names")
    if frame.shape[0] == 0:
        raise DataError("the table has a header but no rows; at least two rows are needed")
    if frame.shape[0] == 1:
        raise DataError("the table has 1 row; at least two rows are needed to rank anything")


def _check_unique_columns(names: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen and name.strip():  # columns without a name: see _unnamed_columns
            raise DataError(
                f"column name {name!r} appears twice (columns {seen[name] + 1} and {i + 1}); "
                "rename one of them"
            )
        seen[name] = i


def _pick_label_column(frame: pd.DataFrame, label_column: str | None) -> str | None:
    if label_column is None:
        return None
    if label_column != AUTO:
        label_column = _column_named(frame, label_column)
        if label_column not in frame.columns:
            raise DataError(
                f"there is no label column {label_column!r}; the columns are "
                f"{', '.join(map(repr, frame.columns))}"
            )
        return label_column
    for col in frame.columns:
        if col.strip().lower() in _AUTO_LABEL_NAMES:
            return col
    return None


def _other_truth_columns(frame: pd.DataFrame, label_name: str | None) -> list[str]:
    """Besides the ground truth found by name, other columns named like one: kept out of the features."""
    if label_name is None:
        return []
    return [c for c in frame.columns if c != label_name and c.strip().lower() in _AUTO_LABEL_NAMES]


def _drop_text_columns(frame: pd.DataFrame, label_name: str | None) -> tuple[pd.DataFrame, list[str]]:
    """Leave out the columns (other than the label) that are no measurement: text, dates and
    times, identifiers, and 0/1 columns named like a ground truth; a note for each."""
    notes, keep = [], []
    for name in frame.columns:
        why = None if name == label_name else _not_a_feature(name, frame[name])
        if why is None:
            keep.append(name)
        else:
            notes.append(f"column {name!r} {why[0]}: left out of the features{why[1]}")
    if len(keep) == len(frame.columns):
        return frame, notes
    if not [c for c in keep if c != label_name]:
        raise DataError(
            "no column of the table is numeric, and the features must be numbers; "
            "add at least one numeric column"
        )
    return frame[keep], notes


#: A name that says "identifier": id, customer_id, txn-id, uuid, user key, row_number.
_ID_NAME = re.compile(
    r"(^|.*[_\s.-])(id|uuid|guid|key)$|^id[_\s.-].*|^(index|row|row_?num(ber)?)$", re.IGNORECASE
)
#: Words that, in the name of a 0/1 column, say "this is the answer".
_TRUTH_WORDS = {
    "fraud",
    "fraudulent",
    "label",
    "target",
    "anomaly",
    "anomalous",
    "outlier",
    "truth",
    "attack",
}


def _not_a_feature(name: str, series: pd.Series) -> tuple[str, str] | None:
    """Why a column is no measurement the model should see (for the workbench), and a hint;
    None if it is one."""
    words = set(re.split(r"[^a-z]+", name.lower()))
    truth_hint = "; it looks like a ground truth: choose it as the ground-truth column to evaluate with it"
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        return "holds dates or times", ""
    row = _text_row(series)
    if row is not None:
        holds_labels = series.astype(str).str.strip().str.lower().isin(_TRUE + _FALSE).all()
        two_values = series.dropna().astype(str).str.strip().str.lower().nunique() == 2
        hint = truth_hint if holds_labels or (two_values and words & _TRUTH_WORDS) else ""
        return f"is not numeric (row {row} holds {str(series.iloc[row])[:40]!r})", hint
    values = pd.to_numeric(series, errors="coerce").dropna()
    if _ID_NAME.fullmatch(name.strip()) and len(values) and (values == values.round()).all():
        return (
            "looks like an identifier (named like one, whole numbers)",
            "; choose it among the features to use it",
        )
    if words & _TRUTH_WORDS and len(values) and values.isin((0, 1)).all():
        return (
            "looks like a ground truth (two values, 0/1, named like one)",
            "; choose it as the ground-truth column to evaluate with it, or among the features to use it",
        )
    return None


def _text_row(series: pd.Series) -> int | None:
    """The first text cell of a column holding mostly text (an id, a category); else None.

    Mostly numbers with a few bad cells, or numbers with decimal commas, are no text column
    but a data error, which the numeric check then reports cell by cell.
    """
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    bad = (pd.to_numeric(series, errors="coerce").isna() & series.notna()).to_numpy()
    if bad.sum() * 2 <= series.notna().sum():
        return None
    row = int(np.flatnonzero(bad)[0])
    return None if _DECIMAL_COMMA.fullmatch(str(series.iloc[row])) else row


def _column_named(frame: pd.DataFrame, name: str) -> str:
    """``name``, or the one column whose name is ``name`` once spaces around both are trimmed."""
    if name in frame.columns:
        return name
    matches = [c for c in frame.columns if c.strip() == name.strip()]
    return matches[0] if len(matches) == 1 else name


def _feature_frame(frame: pd.DataFrame, label_name: str | None, features) -> pd.DataFrame:
    if features is None:
        chosen = frame.drop(columns=[label_name]) if label_name is not None else frame
    else:
        features = [_column_named(frame, f) for f in features]
        missing = [f for f in features if f not in frame.columns]
        if missing:
            raise DataError(
                f"there is no column {missing[0]!r} to use as a feature; the columns are "
                f"{', '.join(map(repr, frame.columns))}"
            )
        if label_name in features:
            raise DataError(f"column {label_name!r} cannot be both the label column and a feature")
        chosen = frame[list(features)]
    if chosen.shape[1] == 0:
        raise DataError(
            f"the table has no feature columns besides the label column {label_name!r}; "
            "add at least one numeric column"
        )
    return chosen


def _check_width(n_features: int, max_features: int | None) -> None:
    limit = max_features if max_features is not None else _env_int("AAD_MAX_FEATURES", 1000)
    if n_features > limit:
        raise DataError(
            f"the table has {n_features} feature columns, more than the limit of {limit}; keep the "
            "columns that matter (--features a,b,c on the command line) or raise the limit with "
            "AAD_MAX_FEATURES"
        )


def _file_limit(max_bytes: int | None) -> int:
    """``max_bytes``, or by default ``$AAD_MAX_FILE_MB`` megabytes (4096 without it)."""
    return max_bytes if max_bytes is not None else _env_int("AAD_MAX_FILE_MB", 4096) * 1_000_000


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as err:
        raise DataError(f"the environment variable {name} must be a whole number; got {value!r}") from err


def _numeric_matrix(features: pd.DataFrame, lines) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """The features as floats, the notes, and the mask of the cells filled in (None if none)."""
    notes: list[str] = []
    columns, gaps = [], []
    for name in features.columns:
        values = _numeric_column(features[name], name, lines)
        _check_float32(values, name, lines)
        gaps.append(np.isnan(values))
        values, note = _fill_missing(values, name)
        if note:
            notes.append(note)
        columns.append(values)
    X = np.column_stack(columns).astype(np.float64, copy=False)
    notes.extend(_constant_notes(X, list(features.columns)))
    filled = np.column_stack(gaps)
    return X, notes, filled if filled.any() else None


def _numeric_column(series: pd.Series, name: str, lines, *, label_hint: bool = True) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        raise DataError(
            f"column {name!r} holds dates or times, not numbers; leave it out of the features, or "
            "turn it into a number that means something for anomalies (an hour of the day, an age)"
        )
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64)
    if not pd.api.types.is_numeric_dtype(series):
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            if _THOUSANDS.fullmatch(str(series.iloc[row])):
                raise DataError(
                    f"column {name!r} holds {str(series.iloc[row])!r} at {_where(row, lines)}: a number "
                    "with thousands separators; aad reads plain numbers (1234.5). Save the file "
                    "without them"
                )
            if _DECIMAL_COMMA.fullmatch(str(series.iloc[row])):
                raise DataError(
                    f"column {name!r} holds {str(series.iloc[row])!r} at {_where(row, lines)}: a decimal "
                    "comma; aad reads decimal points. Save the file with '.' as the decimal separator "
                    "(and ',' or ';' between fields)"
                )
            raise DataError(
                f"column {name!r} is not numeric: {_where(row, lines)} holds "
                f"{str(series.iloc[row])!r}; every feature must be a number. "
                + (
                    "Remove or encode the column, leave it out of the features (--features on the "
                    "command line), "
                    "or name it as the label column"
                    if label_hint
                    else "Fix the value"
                )
            )
        series = converted
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(values)
    if inf.any():
        row = int(np.flatnonzero(inf)[0])
        raise DataError(
            f"column {name!r} holds {values[row]} at {_where(row, lines)}; "
            "replace infinite values with numbers, or leave the cell empty (a missing value)"
        )
    return values


def _check_float32(values: np.ndarray, name: str, lines) -> None:
    """Refuse magnitudes the forest's float32 trees would turn into infinity."""
    huge = np.abs(values) > _FLOAT32_MAX
    if huge.any():
        row = int(np.flatnonzero(huge)[0])
        raise DataError(
            f"column {name!r} holds {values[row]:g} at {_where(row, lines)}, beyond ±{_FLOAT32_MAX:.3g}, "
            "the largest magnitude the isolation forest can hold (it works in float32); "
            "rescale the column (divide it by a power of ten) or take its logarithm"
        )


def _where(row: int, lines) -> str:
    """``row 7 (file line 9)``, or ``row 7`` for data that did not come from a CSV file."""
    return f"row {row}" if lines is None else f"row {row} (file line {int(lines[row])})"


def _fill_missing(values: np.ndarray, name: str) -> tuple[np.ndarray, str | None]:
    missing = np.isnan(values)
    count = int(missing.sum())
    if count == 0:
        return values, None
    if count == len(values):
        raise DataError(f"column {name!r} is empty (every value is missing); remove the column")
    median = float(np.median(values[~missing]))
    values = np.where(missing, median, values)
    plural = "value" if count == 1 else "values"
    return values, f"column {name!r}: {count} missing {plural} filled with the column median {median:g}"


def _constant_notes(X: np.ndarray, names: list[str]) -> list[str]:
    constant = np.all(X == X[0], axis=0)
    if constant.all():
        raise DataError(
            "every feature column is constant, so no row differs from another; "
            "the table needs at least one column whose values vary"
        )
    return [
        f"column {names[j]!r} is constant ({X[0, j]:g} in every row): it cannot separate rows"
        for j in np.flatnonzero(constant)
    ]
