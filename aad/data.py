"""Tables in, validated numeric matrices out.

:func:`load_dataset` is the one boundary where user data enters the engine. It accepts
the name of a shipped dataset (``toy2``) or a path to a CSV or Parquet file, checks
everything once, repairs what can safely be repaired (missing values), and says what is
wrong, where, and how to fix it when it cannot. Everything downstream can then trust
:attr:`Dataset.X`: 2-D float64, finite, at least two rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .columns import (
    AUTO,
    FLOAT32_MAX,
    check_columns_to_read,
    check_finite,
    check_float32,
    check_width,
    column_named,
    constant_notes,
    drop_text_columns,
    feature_frame,
    fill_missing,
    located,
    numeric_column,
    numeric_matrix,
    other_truth_columns,
    pick_label_column,
)
from .encoding import FeatureSpec, encode, encode_table, no_time_of_day
from .errors import DataError
from .labels import ANOMALY_WORDS, NOMINAL_WORDS
from .notes import LEFT_OUT, Note, render
from .tables import (
    FILE_LINES,
    READ_NOTES,
    WORKING_SET_KEY,
    check_unique_columns,
    datasets_dir,
    file_limit,
    first_repeated,
    is_dataset_name,
    list_datasets,
    parquet_metadata,
    read_table,
    require_file,
    resolve_source,
    source_text,
)

_SHIPPED = "shipped:"

__all__ = [
    "AUTO",
    "Dataset",
    "dataset_from_frame",
    "datasets_dir",
    "detect_label_column",
    "label_values",
    "list_datasets",
    "load_classes",
    "load_data",
    "load_dataset",
    "load_rows",
    "parse_labels",
    "require_file",
    "select_columns",
    "validate_matrix",
]


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
    working_set : dict or None
        When the table is a working set drawn from a table too big to label whole
        (:mod:`aad.scale.working_set`): what defines it. Its first ``sample_rows`` rows are
        the uniform sample the forest is grown on (:func:`aad.fit_model`).
    encoding : tuple of FeatureSpec
        How each feature is made from the table's columns (a number, a whole number, a
        category's share, a timestamp's part); empty means plain numbers (see :attr:`specs`).
    sources : DataFrame or None
        The columns behind the features that are no plain number: categories and numbers
        written with a unit as written, timestamps as timestamps (the clock time as written):
        what people see of those features.
    written : DataFrame or None
        The timestamp columns of :attr:`sources` that the table held as text, as it wrote them
        (``2024-10-14T00:00:21+00:00``, its ``T`` and offset kept): what a file of scores writes
        (:meth:`table` with ``as_written=True``). None when no timestamp column was text.
    answers : tuple of str
        Context columns that look like a ground truth (``is_fraud``): never shown to the
        analyst while labelling, and offered as the ground truth.
    note_items : tuple of Note
        ``notes`` one by one (see :mod:`aad.notes`).
    categories : tuple of str
        The columns read as categories because they were asked to be (``categories=`` of
        :func:`load_data`): codes written as numbers, such as an HTTP status or a ZIP code.

    Examples
    --------
    A Dataset comes from :func:`load_dataset` or :func:`dataset_from_frame`: here the
    ``label`` column is read as the ground truth, and a missing amount is filled in for the
    model while :meth:`frame` can still show the gap:

    >>> frame = pd.DataFrame({"amount": [12.5, 14.0, None, 980.0], "items": [1, 2, 1, 30],
    ...                       "label": [0, 0, 0, 1]})
    >>> ds = dataset_from_frame(frame, name="orders")
    >>> ds.n_rows, ds.n_features, ds.feature_names, ds.n_anomalies
    (4, 2, ('amount', 'items'), 1)
    >>> ds.X[:, 0].tolist(), ds.notes
    ([12.5, 14.0, 14.0, 980.0], ("column 'amount': 1 missing value filled with the column median 14",))
    >>> ds.frame(with_gaps=True)["amount"].tolist()
    [12.5, 14.0, nan, 980.0]
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
    working_set: dict | None = None
    encoding: tuple[FeatureSpec, ...] = field(default_factory=tuple, repr=False)
    sources: pd.DataFrame | None = field(default=None, repr=False)
    answers: tuple[str, ...] = ()
    written: pd.DataFrame | None = field(default=None, repr=False)
    note_items: tuple[Note, ...] = field(default_factory=tuple, repr=False)
    categories: tuple[str, ...] = ()

    @property
    def grow_on(self) -> np.ndarray | None:
        """The rows the forest is grown on: a working set's uniform sample; None for every row."""
        return None if self.working_set is None else np.arange(int(self.working_set["sample_rows"]))

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
        if self.working_set is not None:  # the same rows, but a forest grown on the first of them only
            h.update(f"\x1egrown on the first {int(self.working_set['sample_rows'])} rows".encode())
        return h.hexdigest()

    @cached_property
    def X_as_read(self) -> np.ndarray:
        """The features as the table holds them: NaN where a cell was missing (``X`` holds the
        value filled in for the model). Exported rules evaluated on the table see these."""
        return self.X if self.filled is None else np.where(self.filled, np.nan, self.X)

    @cached_property
    def specs(self) -> tuple[FeatureSpec, ...]:
        """How each feature is made: :attr:`encoding`, or for plain numbers, each column as a
        number (``integer`` when it holds whole numbers only)."""
        if self.encoding:
            return self.encoding
        return tuple(
            FeatureSpec(name, name, "integer" if _whole(self.X_as_read[:, j]) else "number")
            for j, name in enumerate(self.feature_names)
        )

    def frame(self, *, with_gaps: bool = False) -> pd.DataFrame:
        """The features as a DataFrame with the original column names.

        ``with_gaps`` leaves the cells that were missing in the table empty (NaN) instead
        of showing the value filled in for the model.
        """
        return pd.DataFrame(self.X_as_read if with_gaps else self.X, columns=list(self.feature_names))

    def values_as_read(self) -> pd.DataFrame:
        """The feature columns as people know them, one per table column: numbers as read (a
        cell missing in the file stays empty), durations as durations (``Timedelta``),
        categories and timestamps as written."""
        numbers = _for_people(self.frame(with_gaps=True))
        parts, done = [], set()
        for j, spec in enumerate(self.specs):
            if spec.column in done:
                continue
            done.add(spec.column)
            if spec.duration:  # seconds as a duration, so the pandas export compares it as one
                seconds = pd.Series(self.X_as_read[:, j], name=spec.column)
                parts.append(pd.to_timedelta(seconds, unit="s"))
            elif spec.kind in ("number", "integer"):
                parts.append(numbers[spec.name].rename(spec.column))
            else:
                parts.append(self.sources[spec.column])
        return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=range(self.n_rows))

    def table(self, *, as_written: bool = False) -> pd.DataFrame:
        """What the analyst sees of each row: the context columns, then the features as read
        (a cell missing in the file stays empty; a category or a timestamp as written).

        A timestamp column is its timestamps (the clock time as written, as pandas and SQL compare
        dates); ``as_written`` gives a column the table held as text as that text instead, its
        ``T`` and UTC offset kept, as a file of scores writes it so it joins back to the table.
        """
        features = self.values_as_read()
        if as_written and self.written is not None:
            for name in self.written.columns:
                text = self.written[name]
                features[name] = text.astype(object).where(text.notna(), features[name].astype(object))
        return features if self.context is None else pd.concat([self.context, features], axis=1)


def _whole(values: np.ndarray) -> bool:
    known = values[~np.isnan(values)]
    return bool(len(known)) and bool((known == np.round(known)).all())


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
    categories: Sequence[str] = (),
) -> Dataset:
    """Load a shipped dataset by name, or a CSV or Parquet file by path, and validate it.

    Parameters
    ----------
    source : str or path
        A shipped dataset's name (see :func:`list_datasets`) or a file path.
    label_column : str, None or "auto", default="auto"
        The ground-truth column (values anomaly/nominal, 1/0, true/false or yes/no). ``"auto"``
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
    categories : sequence of str, optional
        Columns to read as categories whatever they hold (with ``non_numeric="encode"``); see
        :func:`load_data`.

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
    features = feature_list(features)
    path, name, origin = resolve_source(source)
    limit = file_limit(max_bytes)
    frame = read_table(path, max_bytes=limit)
    dataset = dataset_from_frame(
        frame,
        name=name,
        label_column=label_column,
        source=origin,
        features=features,
        max_features=max_features,
        non_numeric=non_numeric,
        anomaly_value=anomaly_value,
        categories=categories,
    )
    spec = working_set_of(path, dataset.n_rows)
    if spec is None:
        return dataset
    # the working set's own row column is no feature (the loader says so: no need); its fills are notes
    row_column = spec.get("row_column")
    items = tuple(n for n in dataset.note_items if n.column != row_column or n.column is None)
    items += tuple(Note("table", text) for text in spec.get("notes", ()))
    return dataclasses.replace(dataset, working_set=spec, notes=render(items), note_items=items)


def working_set_of(path: Path, n_rows: int) -> dict | None:
    """What defines the working set a Parquet file holds (its ``aad.working_set`` metadata), or None.

    Raises
    ------
    DataError
        When the metadata is there but does not describe these rows.
    """
    text = parquet_metadata(path, WORKING_SET_KEY)
    if text is None:
        return None
    try:
        spec = json.loads(text)
        sample = spec["sample_rows"]
    except (ValueError, TypeError, KeyError):
        spec, sample = None, None
    if (
        not isinstance(spec, dict)
        or isinstance(sample, bool)
        or not isinstance(sample, int)
        or not 2 <= sample <= n_rows
    ):
        raise DataError(
            f"{path.name} says it is an aad working set, but its description ({WORKING_SET_KEY}) is damaged; "
            "build the working set again (aad app TABLE)"
        )
    return spec


def load_data(
    source: str | os.PathLike,
    *,
    features: Sequence[str] | None = None,
    label_column: str | None = AUTO,
    name: str | None = None,
    max_bytes: int | None = None,
    anomaly_value: str | None = None,
    categories: Sequence[str] = (),
) -> Dataset:
    """Load a table as the workbench and the command line do: every kind of column a feature.

    :func:`load_dataset` with ``non_numeric="encode"``: numbers (also with thousands
    separators, a decimal comma, a unit or a currency), categories (each value's share of
    the rows) and timestamps (hour, weekday, month) are features; identifiers, free text and
    columns that look like a ground truth are context (see :mod:`aad.encoding`).

    Parameters
    ----------
    source : str or path
        A :attr:`Dataset.source` (``shipped:<name>`` or a path) or a shipped dataset's name.
    features : sequence of str, optional
        The features, in order: columns (a timestamp column gives its parts that vary) or
        a timestamp's parts (``ts.hour``); by default every column that can be one.
    label_column : str, None or "auto", default="auto"
        As in :func:`load_dataset`; ``None``: no ground truth (a column named like one is
        then context, never shown on a card).
    name : str, optional
        The dataset's name (default: the file's stem).
    max_bytes : int, optional
    anomaly_value : str, optional
        As in :func:`load_dataset`.
    categories : sequence of str, optional
        Columns to read as categories although they hold numbers: codes such as an HTTP
        status, a ZIP code, a port or a product code, whose order and size mean nothing. Each
        value, as written (``404``, not ``404.0``), becomes its rarity in these rows, and a
        value they never had reads as rarer than any (:attr:`Dataset.categories`); rules on it
        then say ``status in {401, 404}``, not ``status <= 300``.

    Raises
    ------
    DataError

    Examples
    --------
    >>> load_data("toy2", features=["y"]).feature_names
    ('y',)
    >>> load_data("toy2", categories=["x"]).specs[0].kind
    'category'
    """
    source = source_text(source)
    target = source[len(_SHIPPED) :] if source.startswith(_SHIPPED) else source
    dataset = load_dataset(
        target,
        label_column=label_column,
        features=features,
        max_bytes=max_bytes,
        non_numeric="encode",  # an id or a category column need not be removed from the file first
        anomaly_value=anomaly_value if label_column is not None else None,
        categories=categories,
    )
    return dataclasses.replace(dataset, name=name) if name else dataset


def select_columns(
    dataset: Dataset, *, features: Sequence[str] | None = None, label_column: str | None = AUTO
) -> Dataset:
    """The same table with only ``features`` as features and ``label_column`` as ground truth.

    The table is read again as :func:`load_data` reads it, from the columns as they were
    written (categories, timestamps and numbers with units included).

    Parameters
    ----------
    dataset : Dataset
    features : sequence of str, optional
        Feature columns (or timestamp parts), in order; all but the label column by default.
    label_column : str, None or "auto"
        The ground-truth column (any column of ``dataset``, its label column included);
        ``"auto"`` keeps ``dataset``'s; ``None`` drops the ground truth.

    Raises
    ------
    DataError

    Examples
    --------
    >>> ds = select_columns(load_dataset("toy2"), features=["y"], label_column=None)
    >>> ds.feature_names, ds.y is None
    (('y',), True)
    """
    label = dataset.label_column if label_column == AUTO else label_column
    features = feature_list(features)
    chosen = features if features is not None else [c for c in dataset.feature_names if c != label]
    if tuple(chosen) == dataset.feature_names and label == dataset.label_column:
        return dataset
    if not chosen:
        raise DataError("choose at least one feature column")
    if label is not None and label in chosen:
        raise DataError(f"column {label!r} cannot be both a feature and the ground truth; choose one")
    frame = _written(dataset)
    if label is not None and label not in frame.columns:
        raise DataError(f"there is no column {label!r}; the columns are {', '.join(frame.columns)}")
    out = dataset_from_frame(
        frame,
        name=dataset.name,
        label_column=label,
        source=dataset.source,
        features=chosen,
        non_numeric="encode",
        categories=[c for c in dataset.categories if c in chosen],  # still read as categories
    )
    kept = [  # what reading the file said: not said again by reading the columns
        n for n in dataset.note_items if n.kind in _READ_KINDS and not n.text.startswith("every row of label")
    ]
    items = tuple(dict.fromkeys(kept + list(out.note_items)))
    same_truth = label is not None and label == dataset.label_column
    return dataclasses.replace(
        out,
        notes=render(items),
        note_items=items,
        anomaly_value=dataset.anomaly_value if same_truth else None,
        working_set=dataset.working_set,
    )


#: Kinds of note that reading the file makes (the columns' own are made again on choosing them).
_READ_KINDS = ("table", "nested", "dropped", "unread_truth")


def _written(dataset: Dataset) -> pd.DataFrame:
    """The table's columns as they were written: context, features' columns, the ground truth."""
    numbers = dataset.frame(with_gaps=True)
    parts = [] if dataset.context is None else [dataset.context]
    done = set()
    for spec in dataset.specs:
        if spec.column in done:
            continue
        done.add(spec.column)
        if dataset.written is not None and spec.column in dataset.written.columns:
            parts.append(dataset.written[spec.column])  # the text read again as it was first read
        elif dataset.sources is not None and spec.column in dataset.sources.columns:
            parts.append(dataset.sources[spec.column])
        else:
            parts.append(numbers[spec.name].rename(spec.column))
    if dataset.y is not None:
        parts.append(pd.Series(np.where(dataset.y, "anomaly", "nominal"), name=dataset.label_column))
    return pd.concat(parts, axis=1)


def feature_list(features) -> list | None:
    """``features`` as a list of distinct column names (None: every column).

    Raises
    ------
    DataError
        For one text (its letters would be read as columns), or a column named twice.

    Examples
    --------
    >>> feature_list(("a", "b"))
    ['a', 'b']
    >>> feature_list("ab")
    Traceback (most recent call last):
    ...
    aad.errors.DataError: features must be a list of column names; got the text 'ab' ...
    """
    if features is None:
        return None
    if isinstance(features, str | bytes):
        raise DataError(
            f"features must be a list of column names; got the text {features!r} "
            f"(for one column: features=[{features!r}])"
        )
    try:
        chosen = list(features)
    except TypeError:
        raise DataError(
            f"features must be a list of column names; got {type(features).__name__} {features!r}"
        ) from None
    if not chosen:
        raise DataError("features is empty: choose at least one feature column (None: every column)")
    twice = first_repeated(chosen)
    if twice is not None:
        raise DataError(f"features names column {twice!r} twice; name each column once")
    return chosen


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
    categories: Sequence[str] = (),
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
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"dataset_from_frame takes a pandas DataFrame; got {type(frame).__name__} "
            "(for an array: pd.DataFrame(X, columns=[...]))"
        )
    _check_shape(frame)
    check_unique_columns([str(c) for c in frame.columns])
    features = feature_list(features)
    if features is None:  # every column is read to choose the features: not a million of them
        check_columns_to_read(frame.shape[1], max_features)
    lines = frame.attrs.get(FILE_LINES)
    read_notes = [
        n if isinstance(n, Note) else Note("table", str(n)) for n in frame.attrs.get(READ_NOTES, [])
    ]
    frame = frame.rename(columns=str)
    frame.attrs = {}  # the file lines are read above; pandas compares attrs when it joins columns
    label_name, y, unread = _ground_truth(frame, label_column, lines, anomaly_value)
    read_notes += unread
    if non_numeric not in ("raise", "drop", "encode"):
        raise DataError(f"non_numeric must be 'raise', 'drop' or 'encode'; got {non_numeric!r}")
    truth = _Truth(label_name, y, anomaly_value)
    kept_out = [note.column for note in unread]  # named like a truth, not readable as one: no feature
    asked = category_columns(categories, frame, label_name, features)
    if asked and non_numeric != "encode":
        raise DataError(
            f"categories= reads columns as categories, which only the workbench's reading does; got "
            f"non_numeric={non_numeric!r}: load the table with aad.load_data (or non_numeric='encode')"
        )
    if non_numeric == "encode":
        others = [c for c in other_truth_columns(frame, label_name) + kept_out if c not in asked]
        read = (frame, name, source, truth, features, max_features, lines, read_notes, others)
        return dataclasses.replace(_encoded(*read, asked), categories=tuple(asked))
    context = None
    others = other_truth_columns(frame, label_name) if label_column == AUTO and features is None else []
    read_notes += [
        Note(
            "other_truth",
            f"column {other!r} is named like a ground-truth column (the ground truth is {label_name!r}): "
            "left out of the features; name it among the features to use it",
            other,
        )
        for other in others
    ]
    others += kept_out if features is None else []
    if non_numeric == "raise":
        frame = frame.drop(columns=others)
    if non_numeric == "drop" and features is None:
        frame, empty = _without_empty_columns(frame, keep=[label_name])  # as load_data leaves them out
        read_notes += empty
        kept, dropped = drop_text_columns(frame, label_name)
        kept = kept.drop(columns=[c for c in others if c in kept.columns])
        read_notes += [n for n in dropped if n.column not in kept_out]  # their own note says why
        left_out = [c for c in frame.columns if c not in kept.columns]
        context = frame[left_out].reset_index(drop=True) if left_out else None
        frame = kept
    features = feature_frame(frame, label_name, features)
    check_width(features.shape[1], max_features)
    X, notes, filled = numeric_matrix(features, lines)
    items = tuple(read_notes + notes + truth.notes())
    return Dataset(
        name=name,
        X=X,
        feature_names=tuple(features.columns),
        y=y,
        label_column=label_name,
        source=source,
        notes=render(items),
        filled=filled,
        context=context,
        anomaly_value=anomaly_value if label_name is not None else None,
        note_items=items,
    )


@dataclass(frozen=True)
class _Truth:
    """The ground truth found in a table: its column, values and anomaly value."""

    column: str | None
    y: np.ndarray | None
    anomaly_value: str | None

    def notes(self) -> list[Note]:
        if self.y is None or not self.y.all():
            return []
        text = (
            f"every row of label column {self.column!r} is an anomaly: it cannot serve as ground truth "
            "for evaluation"
        )
        return [Note("table", text)]


def _even_categories(constant: list[Note], specs) -> list[Note]:
    """The constant columns' notes, a category's saying why: its values are equally common, so
    each has the same rarity (a yes/no column half yes, half no)."""
    categories = {spec.name: spec for spec in specs if spec.kind == "category"}
    out = []
    for note in constant:
        spec = categories.get(note.column)
        if spec is None or len(spec.levels) < 2:
            out.append(note)
            continue
        text = (
            f"column {note.column!r} holds its {len(spec.levels)} values equally often, so each has the "
            "same rarity in every row: it cannot separate rows"
        )
        out.append(Note("even_category", text, note.column, f"{note.column!r} ({len(spec.levels)} values)"))
    return out


def _without_empty_columns(frame: pd.DataFrame, *, keep) -> tuple[pd.DataFrame, list[Note]]:
    """The table without its columns that hold no value at all (an export's spare column), and
    a note for each; a column asked for by name stays (and is refused, naming it, if empty)."""
    if frame.shape[0] == 0:
        return frame, []
    empty = [c for c in frame.columns if c not in keep and frame[c].isna().all()]
    notes = [
        Note("dropped", f"column {c!r} is empty (every value is missing): left out", c, f"{c!r} (empty)")
        for c in empty
    ]
    return (frame.drop(columns=empty) if empty else frame), notes


def category_columns(categories, frame: pd.DataFrame, label: str | None, features) -> list[str]:
    """The columns ``categories`` names, as the table spells them, checked: each a column of the
    table, not the ground truth, and among ``features`` when those are named.

    Raises
    ------
    DataError
        Saying what was expected, what was given and how to fix it.

    Examples
    --------
    >>> frame = pd.DataFrame({"status": [200, 404], "bytes": [10, 20], "label": [0, 1]})
    >>> category_columns(["status"], frame, "label", None)
    ['status']
    >>> category_columns(["sttus"], frame, "label", None)
    Traceback (most recent call last):
    ...
    aad.errors.DataError: categories names column 'sttus', which the table does not have (its columns: ...
    """
    if categories is None:
        return []
    if isinstance(categories, str | bytes):
        raise DataError(
            f"categories must be a list of column names; got the text {categories!r} "
            f"(for one column: categories=[{categories!r}])"
        )
    names = [str(c) for c in categories]
    twice = first_repeated(names)
    if twice is not None:
        raise DataError(f"categories names column {twice!r} twice; name each column once")
    out = []
    for given in names:
        column = column_named(frame, given)
        if column not in frame.columns:
            has = ", ".join(map(repr, frame.columns[:20])) + (", ..." if frame.shape[1] > 20 else "")
            raise DataError(
                f"categories names column {given!r}, which the table does not have (its columns: {has}); "
                "name a column of the table, as its header spells it"
            )
        if column == label:
            raise DataError(
                f"categories names column {column!r}, the ground truth, which is no feature: a category is a "
                "feature read by its values; leave it out of the categories, or choose another ground truth "
                "(--label-col)"
            )
        if features is not None and column not in [column_named(frame, str(f)) for f in features]:
            raise DataError(
                f"categories names column {column!r}, which is not among the features "
                f"({', '.join(map(str, features))}); add it to the features, or leave it out of the "
                "categories"
            )
        out.append(column)
    return out


def _encoded(
    frame, name, source, truth: _Truth, features, max_features, lines, read_notes, others, categories=()
) -> Dataset:
    """The workbench's reading of a table: numbers, categories and timestamps as features."""
    if features is not None and len(features) == 0:
        raise DataError("choose at least one feature column")
    frame, empty = _without_empty_columns(frame, keep=[truth.column, *(features or ()), *categories])
    read_notes = [*read_notes, *empty]
    encoded = encode_table(
        frame, label=truth.column, features=features, lines=lines, others=others, categories=categories
    )
    if not encoded.specs:
        raise DataError(_no_feature(frame, truth.column, encoded))
    check_width(len(encoded.specs), max_features)
    names = [spec.name for spec in encoded.specs]
    columns, gaps, filling = [], [], []
    for spec, values in zip(encoded.specs, encoded.values, strict=True):
        if spec.kind in ("number", "integer"):
            check_finite(values, spec.name, lines)
            check_float32(values, spec.name, lines)
        gaps.append(np.isnan(values))
        values, note = fill_missing(values, spec.name)
        filling += [note] if note is not None else []
        columns.append(values)
    X = np.column_stack(columns).astype(np.float64, copy=False)
    constant = _even_categories(constant_notes(X, names), encoded.specs)
    evened = {note.column for note in constant if note.kind == "even_category"}
    category_notes = ("category", "asked_category")
    notes = [n for n in encoded.notes if not (n.kind in category_notes and n.column in evened)]
    items = tuple(read_notes + notes + filling + constant + truth.notes())
    filled = np.column_stack(gaps)
    return Dataset(
        name=name,
        X=X,
        feature_names=tuple(names),
        y=truth.y,
        label_column=truth.column,
        source=source,
        notes=render(items),
        filled=filled if filled.any() else None,
        context=_columns(frame, encoded.context),
        anomaly_value=truth.anomaly_value if truth.column is not None else None,
        encoding=tuple(encoded.specs),
        sources=_sources(frame, encoded.sources, encoded.times),
        answers=tuple(encoded.answers),
        written=_written_text(frame, encoded.times),
        note_items=items,
    )


def _columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame | None:
    return frame[names].reset_index(drop=True) if names else None


def _sources(frame: pd.DataFrame, names, times: dict[str, pd.Series]) -> pd.DataFrame | None:
    """The columns behind the features that are no plain number: as written, a timestamp
    column as its timestamps (the clock time as written, as dates pandas and SQL compare)."""
    if not names:
        return None
    columns = {name: times[name] if name in times else frame[name] for name in names}
    return pd.DataFrame({name: column.reset_index(drop=True) for name, column in columns.items()})


def _written_text(frame: pd.DataFrame, times: dict[str, pd.Series]) -> pd.DataFrame | None:
    """The timestamp columns (``times``) that ``frame`` holds as text, as it writes them; None
    when there is none (a Parquet timestamp is no text)."""
    text = [name for name in times if pd.api.types.infer_dtype(frame[name], skipna=True) == "string"]
    if not text:
        return None
    return pd.DataFrame({name: frame[name].reset_index(drop=True) for name in text})


def _no_feature(frame: pd.DataFrame, label: str | None, encoded) -> str:
    if frame.shape[1] == (label is not None):
        besides = "" if label is None else f" besides the label column {label!r}"
        return f"the table has no feature columns{besides}; add at least one numeric column"
    why = next((note.text for note in encoded.notes if note.kind in LEFT_OUT), "")
    return (
        "none of the table's columns can be a feature (a number, a category or a timestamp)"
        + (f": {why}" if why else "")
        + "; add a column of measurements, or name the features to use"
    )


def load_rows(
    source: str | os.PathLike | pd.DataFrame,
    *,
    like: Dataset | None = None,
    columns: Sequence[str] | None = None,
    max_bytes: int | None = None,
) -> Dataset:
    """New rows, read for a model fitted on ``like`` or for rules testing ``columns``.

    The wanted columns are found by name: the file may hold them in any order and other
    columns besides (a label, an id), which the model ignores and the result keeps as
    :attr:`Dataset.context`; a single row is enough, and a header with no rows gives an
    empty Dataset (with a note).
    With ``like``, the wanted columns are its features and a missing cell is filled with
    the median of its column in ``like`` (the data the model learned from, not the new
    rows), and reported in the notes. With ``columns``, a missing cell stays NaN: a rule
    testing it does not cover the row, as in SQL.

    Parameters
    ----------
    source : str, path or DataFrame
        A shipped dataset's name, a CSV or Parquet file, or rows already in a DataFrame (read
        as the file's would be: a category takes its rarity in ``like``, not in these rows).
    like : Dataset, optional
        The data a model was fitted on.
    columns : sequence of str, optional
        The columns to read, when there is no ``like``.
    max_bytes : int, optional
        As in :func:`load_dataset`.

    Raises
    ------
    DataError
        When a wanted column is missing or a cell is not a number.

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
    >>> load_rows(pd.DataFrame({"x": [0.5], "y": [2.0]}), like=train).X.tolist()
    [[2.0, 0.5]]
    """
    specs = wanted_specs(like, columns)
    if isinstance(source, pd.DataFrame):  # rows in memory: no file to read, the same reading
        frame, name, origin, file = source.rename(columns=str), "DataFrame", "a DataFrame", "the DataFrame"
    else:
        path, name, origin = resolve_source(source)
        frame = read_table(path, max_bytes=file_limit(max_bytes)).rename(columns=str)
        file = path.name
    strict = is_strict(like, columns)
    rows, _ = rows_of_frame(frame, specs, like=like, strict=strict, name=name, origin=origin, file=file)
    notes = list(rows.note_items)
    if like is None:
        notes += gap_notes(np.isnan(rows.X).sum(axis=0), [spec.name for spec in specs], rows.n_rows)
    if frame.shape[0] == 0:  # a scheduled job's quiet day: nothing to score, not an error
        notes.append(Note("table", f"{file} has a header but no rows: nothing to score or select"))
    return dataclasses.replace(rows, notes=render(notes), note_items=tuple(notes))


def wanted_specs(like: Dataset | None, columns: Sequence[str] | None) -> tuple[FeatureSpec, ...]:
    """The features new rows are read for: ``like``'s, or the rules' ``columns``, each once."""
    if (like is None) == (columns is None):
        raise DataError("load_rows reads the columns of `like` or the given `columns`: pass exactly one")
    if isinstance(columns, str):
        raise DataError(
            f"columns must be a list of column names; got the string {columns!r} (use [{columns!r}])"
        )
    specs = like.specs if like is not None else tuple(_spec(c) for c in columns)
    names = [spec.name for spec in specs]
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise DataError(f"the columns to read list {twice[0]!r} twice; list each column once")
    return specs


def is_strict(like: Dataset | None, columns: Sequence | None) -> bool:
    """Whether new rows are read strictly (plain numbers): for a table the strict loader read
    (no encoding), or for rules naming plain columns."""
    return (like is not None and not like.encoding) or (
        columns is not None and all(isinstance(c, str) for c in columns)
    )


def rows_of_frame(
    frame: pd.DataFrame,
    specs: Sequence[FeatureSpec],
    *,
    like: Dataset | None,
    strict: bool,
    name: str,
    origin: str,
    file: str,
    batch: bool = False,
) -> tuple[Dataset, dict[str, tuple[int, int]]]:
    """New rows from a table as read (:func:`load_rows` for a file, a batch of a bigger table):
    the Dataset, with the notes of the cells read (a model's fills too, not the rules' gaps),
    and per hour feature the cells holding a date and those with a time of day. A ``batch``'s
    notes leave out the hours read from dates alone (:func:`dated_notes`, once the batches'
    counts are summed)."""
    found = _find_columns(frame, specs, Path(file), for_model=like is not None)
    lines = frame.attrs.get(FILE_LINES)
    frame.attrs = {}
    values, notes, times, dated = _read_features(
        frame, found, specs, lines, strict=strict, for_model=like is not None
    )
    notes += [] if batch else dated_notes(dated, specs, for_model=like is not None)
    gaps = np.column_stack([np.isnan(v) for v in values]) if like is not None and values else None
    notes += _fill_like(values, like) if like is not None else []
    names = [spec.name for spec in specs]
    X = np.column_stack(values) if values else np.empty((frame.shape[0], 0))
    shown = dict.fromkeys(spec.column for spec in specs if spec.kind in ("category", "part", "member"))
    used = set(found.values())
    rows = Dataset(
        name=name,
        X=X.astype(np.float64, copy=False),
        feature_names=tuple(names),
        source=origin,
        notes=render(notes),
        filled=gaps if gaps is not None and gaps.any() else None,
        context=_columns(frame, [c for c in frame.columns if c not in used]),  # an id: kept beside the rows
        encoding=() if strict else tuple(specs),
        sources=_sources(frame.rename(columns={found[c]: c for c in shown}), list(shown), times),
        note_items=tuple(notes),
        written=_written_text(frame.rename(columns={found[c]: c for c in shown}), times),
    )
    return rows, dated


def _find_columns(frame: pd.DataFrame, specs, path: Path, *, for_model: bool) -> dict[str, str]:
    """Each wanted column's name in ``frame`` (spaces around names ignored); refuses a missing one."""
    wanted = list(dict.fromkeys(spec.column for spec in specs))
    found = {c: column_named(frame, c) for c in wanted}
    missing = [c for c in found.values() if c not in frame.columns]
    if missing:
        needed = "the model was fitted on the columns" if for_model else "the rules test the columns"
        has = ", ".join(map(repr, frame.columns[:20])) + (", ..." if frame.shape[1] > 20 else "")
        raise DataError(
            f"{path.name} has no column {missing[0]!r} (its columns: {has}); {needed} "
            f"{', '.join(wanted)}, so the rows need every one of them (other columns are ignored)"
        )
    return found


def _read_features(
    frame, found, specs, lines, *, strict: bool, for_model: bool
) -> tuple[list, list, dict, dict]:
    """Each feature's values from the new rows, what to say about them, the timestamps behind
    them, and per hour feature the cells holding a date and those with a time of day.

    A model's trees are refused infinities and magnitudes beyond float32; rules compare
    ±inf like any number (as SQL and pandas do).
    """
    values, notes, times, dated = [], [], {}, {}
    for spec in specs:
        column = frame[found[spec.column]]
        if strict:
            values.append(numeric_column(column, spec.name, lines, label_hint=False, allow_inf=not for_model))
        else:
            encoded = encode(column, spec, lines)
            values.append(encoded.values)
            notes += [encoded.note] if encoded.note is not None else []
            if encoded.dated is not None:
                dated[spec.name] = encoded.dated
            if encoded.times is not None:
                times[spec.column] = encoded.times
            if for_model and spec.kind in ("number", "integer"):
                check_finite(encoded.values, spec.name, lines)
        if for_model:
            check_float32(values[-1], spec.name, lines)
    return values, notes, times, dated


def dated_notes(dated: dict[str, tuple[int, int]], specs, *, for_model: bool) -> list[Note]:
    """For each hour feature read from dates alone (``dated``: its cells holding a date, and
    those with a time of day), the note that every row is read at hour 0."""
    reader = "the model" if for_model else "a rule"
    return [
        no_time_of_day(spec, dated[spec.name][0], reader)
        for spec in specs
        if spec.name in dated and dated[spec.name][0] and not dated[spec.name][1]
    ]


def _spec(column) -> FeatureSpec:
    """A column to read for rules: a name (a number column) or a :class:`FeatureSpec`."""
    if isinstance(column, FeatureSpec):
        return column
    return FeatureSpec(str(column), str(column))


def gap_notes(gaps: Sequence[int], columns: Sequence[str], n_rows: int) -> list[Note]:
    """For rules: each tested column's missing cells (``gaps``, of ``n_rows``), which no test
    covers (as in SQL)."""
    notes = []
    for missing, name in zip((int(g) for g in gaps), columns, strict=True):
        if missing:
            every = " (every row: is it the right file?)" if missing == n_rows else ""
            text = (
                f"column {name!r}: {missing} missing value{'s' if missing > 1 else ''}{every}; "
                "a rule testing it does not cover those rows"
            )
            notes.append(Note("gaps", text, name, f"{name!r} ({missing:,})"))
    return notes


def _fill_like(values: list[np.ndarray], like: Dataset) -> list[Note]:
    """Fill the gaps of each column in place with that column's median in ``like``; the notes."""
    notes = []
    for j, column in enumerate(like.feature_names):
        gaps = np.isnan(values[j])
        if len(gaps) > 1 and gaps.all():
            raise DataError(
                f"column {column!r} is empty in every row, and the model was fitted on it: a "
                "changed export? Fill the column in (filling every row with one value would "
                "score every row alike on it)"
            )
        if gaps.any():
            median = float(np.median(like.X[:, j]))
            values[j] = np.where(gaps, median, values[j])
            count = int(gaps.sum())
            text = (
                f"column {column!r}: {count} missing value(s) filled with the median "
                f"{median:g} of the data the model learned from"
            )
            notes.append(Note("filled_like", text, column, f"{column!r} ({count:,}, median {median:g})"))
    return notes


def _refuse_kind(X) -> None:
    """A DataError for what converts to numbers silently but wrongly: complex values (their
    imaginary part dropped), timestamps (read as nanoseconds), a sparse matrix."""
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise DataError("X is a sparse matrix; pass a dense array (X.toarray()): the trees need every value")
    dtypes = getattr(X, "dtypes", None)  # a DataFrame's, one per column; a Series' is one dtype
    if dtypes is None:
        kinds = [np.asarray(X).dtype]
    elif hasattr(dtypes, "__iter__") and not isinstance(dtypes, str):
        kinds = list(dtypes)
    else:
        kinds = [dtypes]
    for kind in kinds:
        if getattr(kind, "kind", "") == "c":
            raise DataError("X holds complex numbers; pass their real parts (X.real) or both as columns")
        if getattr(kind, "kind", "") in "mM" or "datetime" in str(kind):
            raise DataError(
                "X holds timestamps, which the trees would read as nanoseconds; load the table with "
                "aad.load_data (a timestamp gives its hour, weekday and month) or convert them first"
            )


def _text_hint(X) -> str:
    """For a DataFrame with a column that is no number: which one, and the reader that encodes it."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None:
        return ""
    text = [str(name) for name, dtype in dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)]
    if not text:
        return ""
    return (
        f" (column {text[0]!r} is no number); read the frame with aad.dataset_from_frame(frame, "
        "non_numeric='encode'), which encodes categories and timestamps, and fit on that Dataset"
    )


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
    _refuse_kind(X)
    try:
        if hasattr(X, "to_numpy"):  # pandas: a missing cell (NaN, None, pd.NA) becomes NaN
            X = X.to_numpy(dtype=np.float64, na_value=np.nan)
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise DataError(f"X must be a numeric 2-D array; converting it failed: {err}{_text_hint(X)}") from err
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            one_row = n_features is not None and n_features > 1 and arr.shape[0] == n_features
            hint = f"; for one {'row use X.reshape(1, -1)' if one_row else 'feature use X.reshape(-1, 1)'}"
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
    # two passes without temporaries (10M x 20 needs no 1.6 GB copy); NaN fails both comparisons
    if arr.size and not (-FLOAT32_MAX <= float(arr.min()) and float(arr.max()) <= FLOAT32_MAX):
        _refuse_values(arr)  # find the first bad value and say where it is
    return arr


def _refuse_values(arr: np.ndarray) -> None:
    """Raise for the first value of ``arr`` the forest cannot take (not finite, or beyond float32)."""
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"X holds {arr[row, col]} at row {row}, column {col}; every value must be a finite "
            "number. Fill missing values first: load_dataset fills a training file's with its "
            "column medians, load_rows(NEW, like=TRAINING) fills new rows' with the training medians"
        )
    huge = np.abs(arr) > FLOAT32_MAX
    if huge.any():
        row, col = (int(i) for i in np.argwhere(huge)[0])
        raise DataError(
            f"X holds {arr[row, col]:g} at row {row}, column {col}, beyond ±{FLOAT32_MAX:.3g}, the "
            "largest magnitude the isolation forest can hold (float32); rescale that column"
        )


def _ground_truth(
    frame: pd.DataFrame, label_column: str | None, lines, anomaly_value: str | None
) -> tuple[str | None, np.ndarray | None, list[Note]]:
    """The ground-truth column, its labels, and a note when a column found by its name (``auto``)
    does not hold labels aad can read: then the table has no ground truth and the column stays
    out of the features (a ``label`` column of fraud/ok/blank asks for its anomaly value, so
    it must not stop the table from loading)."""
    label_name = pick_label_column(frame, label_column)
    if label_name is None:
        return None, None, []
    try:
        y = parse_labels(frame[label_name], column=label_name, lines=lines, anomaly_value=anomaly_value)
        return label_name, y, _majority_note(label_name, y, frame[label_name])
    except DataError as err:
        if label_column != AUTO or anomaly_value is not None or _holds_label_words(frame[label_name]):
            raise  # named, or label words with a bad cell (a typo, a gap): a file to fix, said by row
        found = str(err).split(";")[0].removeprefix(f"label column {label_name!r} ")
        note = Note(
            "unread_truth",
            f"column {label_name!r} is named like a ground truth, but {found}, not anomaly/nominal, 1/0, "
            "true/false or yes/no: it is not used as the ground truth, nor as a feature. To use it, name the "
            "value that marks an anomaly (--anomaly-value, or the Data page) and fill any empty cell",
            label_name,
        )
        return None, None, [note]


def _majority_note(label_name: str, y: np.ndarray, cells: pd.Series) -> list[Note]:
    """A note when the ground truth marks most rows as anomalies: anomalies are the rare class,
    so the values are likely the other way round (1 for normal); it names the rarer value.

    >>> _majority_note("label", np.array([True, True, False]), pd.Series([1, 1, 0]))[0].text
    "column 'label' marks 2 of 3 rows (67%) as anomalies: anomalies are the rare class; if its values..."
    """
    n = int(y.sum())
    if n * 2 <= len(y):
        return []
    rarer = cells[~y].astype(str).str.strip().value_counts()
    value = f" {shlex.quote(str(rarer.index[0]))}" if len(rarer) == 1 else ""
    text = (
        f"column {label_name!r} marks {n:,} of {len(y):,} rows ({n / len(y):.0%}) as anomalies: anomalies "
        "are the rare class; if its values mean the other way round (1 for normal), name the value that "
        f"marks an anomaly (--anomaly-value{value}, or on the Data page)"
    )
    return [Note("majority_truth", text, label_name)]


def _holds_label_words(series: pd.Series) -> bool:
    """Whether any cell is a label word (anomaly/nominal, 1/0, true/false, yes/no): then a bad cell is a
    typo to fix, not a truth written in other words (fraud/ok)."""
    words = series.dropna().astype(str).str.strip().str.lower()
    return bool(words.isin(ANOMALY_WORDS + NOMINAL_WORDS).any())


def parse_labels(
    values: pd.Series | list, *, column: str = "label", lines=None, anomaly_value: str | None = None
) -> np.ndarray:
    """Turn anomaly/nominal, 1/0, true/false or yes/no (any case) into a bool array.

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
    is_true, is_false = text.isin(ANOMALY_WORDS), text.isin(NOMINAL_WORDS)
    bad = ~(is_true | is_false) | series.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        got = "an empty cell" if pd.isna(series.iloc[row]) else repr(str(series.iloc[row]))
        raise DataError(
            f"label column {column!r} holds {got} at {located(row, lines)}; "
            "expected anomaly/nominal, 1/0, true/false or yes/no. "
            + (
                "Fix the value"  # label words and a typo or gap: naming an anomaly value would hide it
                if _holds_label_words(series)
                else "Name the value that marks an anomaly (--anomaly-value)"
            )
            + ", or load the table without a ground truth (--label-col none; (none) on the Data page)"
        )
    return is_true.to_numpy(dtype=bool)


def _parse_by_value(series: pd.Series, text: pd.Series, column: str, lines, anomaly_value: str) -> np.ndarray:
    if series.isna().any():
        row = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise DataError(
            f"label column {column!r} holds an empty cell at {located(row, lines)}; fill it in, or load the "
            "table without a ground truth (--label-col none; (none) on the Data page)"
        )
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
    path, _, _ = resolve_source(source)
    frame = read_table(path, max_bytes=file_limit(None)).rename(columns=str)
    name = column_named(frame, column)
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
    path, _, _ = resolve_source(source)
    frame = read_table(path, max_bytes=file_limit(None)).rename(columns=str)
    return pick_label_column(frame, AUTO)


def classes_path(source: str | os.PathLike) -> Path:
    """The class file ``source`` names: a path, or a shipped dataset's ``<name>_classes.csv``.

    >>> classes_path("toy2").name
    'toy2_classes.csv'
    """
    text = str(source)
    if is_dataset_name(text) and not Path(text).exists():
        text = str(datasets_dir() / f"{text}_classes.csv")
    return require_file(text, what="class file", fix="pass a CSV with a 'class' column")


def load_classes(source: str | os.PathLike, *, y: np.ndarray | None = None) -> np.ndarray:
    """Read a class file (columns ``label``, ``class``) and return the ``class`` column.

    ``source`` is a path, or a shipped dataset's name (its ``<name>_classes.csv``). With the
    data's ground truth ``y``, the file must describe the same rows: as many, and when it
    has a ``label`` column, the same label on every row (a class file of another dataset
    would report classes that are not there). An anomaly without a class is refused.

    Examples
    --------
    >>> classes = load_classes("toy2", y=load_dataset("toy2").y)
    >>> sorted(set(classes))
    ['0', '1', '2']
    >>> load_classes("toy2", y=load_dataset("toy2").y[::-1])
    Traceback (most recent call last):
    ...
    aad.errors.DataError: class file 'toy2_classes.csv' says row 6 is anomaly but the data's ground truth ...
    """
    path = classes_path(source)
    frame = read_table(path, max_bytes=None)
    if "class" not in frame.columns:
        raise DataError(
            f"class file {path.name!r} has no 'class' column (it has {', '.join(map(str, frame.columns))})"
        )
    if y is not None:
        _check_classes(path.name, frame, np.asarray(y, dtype=bool))
    return frame["class"].astype(str).to_numpy()


def _check_classes(name: str, frame: pd.DataFrame, y: np.ndarray) -> None:
    fix = "pass the class file made for this data, one row per data row in the same order"
    if len(frame) != len(y):
        blank = frame.shape[1] == 1 and len(frame) < len(y)  # one column: its empty lines are no rows
        hint = " (a file of one column skips its empty lines: give every row a class, 'nominal' too)"
        counts = f"{len(frame)} rows but the data has {len(y)}{hint if blank else ''}"
        raise DataError(f"class file {name!r} has {counts}; {fix}")
    if "label" in frame.columns:
        said = parse_labels(frame["label"], column="label", lines=frame.attrs.get(FILE_LINES))
        wrong = np.flatnonzero(said != y)
        if len(wrong):
            row, word = int(wrong[0]), ("nominal", "anomaly")
            raise DataError(
                f"class file {name!r} says row {row} is {word[int(said[row])]} but the data's ground truth "
                f"says {word[int(y[row])]}; {fix}"
            )
    unnamed = np.flatnonzero(frame["class"].isna().to_numpy() & y)
    if len(unnamed):
        raise DataError(f"class file {name!r} gives anomaly row {int(unnamed[0])} no class; {fix}")
    normal = frame["class"].astype(str).to_numpy()[~y]
    if len(normal) and (normal == normal[0]).all():  # one class for every nominal row: no anomaly's
        as_nominal = np.flatnonzero((frame["class"].astype(str).to_numpy() == normal[0]) & y)
        if len(as_nominal):
            raise DataError(
                f"class file {name!r} gives anomaly row {int(as_nominal[0])} the class {normal[0]!r}, that "
                f"of every nominal row ({len(as_nominal)} anomaly rows have it), so it would count as a kind "
                f"of anomaly found; {fix}"
            )


def _check_shape(frame: pd.DataFrame) -> None:
    if frame.shape[1] == 0:
        raise DataError("the table has no columns; expected a header line with column names")
    if frame.shape[0] == 0:
        names = ", ".join(repr(str(c)[:40]) for c in frame.columns[:3])
        names += ", ..." if frame.shape[1] > 3 else ""
        read = [str(n.text if isinstance(n, Note) else n) for n in frame.attrs.get(READ_NOTES, [])]
        decoded = next((note for note in read if note.startswith("read as")), None)
        if decoded is not None:  # a header of what bytes decode to: it may be no text at all
            raise DataError(
                f"the table has a header ({names}, {decoded}) but no rows; if that is not its header, "
                "the file holds no CSV text: export the table as CSV (UTF-8) or Parquet"
            )
        raise DataError(f"the table has a header ({names}) but no rows; at least two rows are needed")
    if frame.shape[0] == 1:
        raise DataError("the table has 1 row; at least two rows are needed to rank anything")
