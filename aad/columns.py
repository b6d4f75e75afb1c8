"""Which columns are features, and their values as numbers.

The rules that turn a table's columns into the model's features: which column is the
ground truth (found by its name, :data:`AUTO`), which columns are no measurement (text,
dates, identifiers, a 0/1 answer column; left out by the workbench), and how each feature
cell becomes a float (missing values filled with the column median; decimal commas,
thousands separators, infinities and magnitudes beyond float32 refused, naming the cell).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError
from .labels import ANOMALY_WORDS, ANSWER_WORDS, NOMINAL_WORDS
from .notes import Note
from .tables import env_int

__all__ = [
    "AUTO",
    "FLOAT32_MAX",
    "ID_NAME",
    "TRUTH_NAMES",
    "TRUTH_WORDS",
    "RowsInFile",
    "check_columns_to_read",
    "check_finite",
    "check_float32",
    "check_width",
    "column_named",
    "constant_notes",
    "drop_text_columns",
    "feature_frame",
    "fill_missing",
    "located",
    "looks_like_truth",
    "name_words",
    "numeric_column",
    "numeric_matrix",
    "other_truth_columns",
    "pick_label_column",
]

#: Pass as ``label_column`` to detect a ground-truth column by its name.
AUTO = "auto"


TRUTH_NAMES = ("label", "labels", "ground.truth", "ground_truth", "is_anomaly")


_DECIMAL_COMMA = re.compile(r"\s*[-+]?\d+,\d+\s*")


#: 70,933: one group of three digits after a comma, thousands or decimals alike.
_GROUP_OR_DECIMAL = re.compile(r"\s*[-+]?[1-9]\d{0,2},\d{3}\s*")


#: 1,234.5 / 1.234,5 / 1 234 567: digits grouped by thousands, with a decimal part or more groups.
_THOUSANDS = re.compile(
    r"\s*[-+]?\d{1,3}(?:([,. '])\d{3})(?:\1\d{3})*(?:[.,]\d+)\s*|\s*[-+]?\d{1,3}(?:([,. '])\d{3}){2,}\s*"
)


#: Cells that say "no value" (spreadsheets and reports write them; pandas already reads the
#: empty cell, NA, N/A, null and NaN as missing), and Excel's error values, English and German
#: (``#DIV/0!``, ``#NV``, ``#WERT!``): a formula that gave no value. Compared trimmed: the
#: empty string is a Parquet text column's empty cell (a CSV's is missing as read).
PLACEHOLDERS = frozenset(
    {"", "-", "--", "---", "?", ".", "n/a", "na", "null", "none", "nan", "#n/a"}
    | {
        "#nv",
        "#div/0!",
        "#value!",
        "#wert!",
        "#ref!",
        "#bezug!",
        "#name?",
        "#num!",
        "#zahl!",
        "#null!",
        "#leer!",
    }
)


def _without_placeholders(series: pd.Series) -> pd.Series:
    """``series`` with its placeholder cells (``-``, ``?``, ``n/a``...) made missing."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    return series.mask(series.astype(str).str.strip().str.lower().isin(PLACEHOLDERS) & series.notna())


#: Number formats of another locale, and what to say about a cell written in one.
_NUMBER_FORMATS = (
    (
        _THOUSANDS,
        "a number with thousands separators; aad reads plain numbers (1234.5). Save the file without them",
    ),
    (
        _GROUP_OR_DECIMAL,
        "a thousands separator or a decimal comma, which cannot be told apart here (70,933 is 70933 "
        "or 70.933); aad reads plain numbers with a decimal point. Save the file without thousands "
        "separators and with '.' as the decimal separator",
    ),
    (
        _DECIMAL_COMMA,
        "a decimal comma; aad reads decimal points. Save the file with '.' as the decimal separator "
        "(and ',' or ';' between fields)",
    ),
)


#: The largest magnitude the isolation forest can hold: scikit-learn's trees work in float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def pick_label_column(frame: pd.DataFrame, label_column: str | None) -> str | None:
    if label_column is None:
        return None
    if label_column != AUTO:
        label_column = column_named(frame, label_column)
        if label_column not in frame.columns:
            raise DataError(
                f"there is no label column {label_column!r}; the columns are "
                f"{', '.join(map(repr, frame.columns))}"
            )
        return label_column
    for col in frame.columns:
        if col.strip().lower() in TRUTH_NAMES:
            return col
    return None


def other_truth_columns(frame: pd.DataFrame, label_name: str | None) -> list[str]:
    """Besides the ground truth found by name, other columns named like one: kept out of the features."""
    if label_name is None:
        return []
    return [c for c in frame.columns if c != label_name and c.strip().lower() in TRUTH_NAMES]


def drop_text_columns(frame: pd.DataFrame, label_name: str | None) -> tuple[pd.DataFrame, list[Note]]:
    """Leave out the columns (other than the label) that are no measurement: text, dates and
    times, identifiers, and 0/1 columns named like a ground truth; a note for each."""
    notes, keep = [], []
    for name in frame.columns:
        why = None if name == label_name else _not_a_feature(name, frame[name])
        if why is None:
            keep.append(name)
        else:
            kind, what, hint = why
            notes.append(Note(kind, f"column {name!r} {what}: left out of the features{hint}", name))
    if len(keep) == len(frame.columns):
        return frame, notes
    if not [c for c in keep if c != label_name]:
        raise DataError(
            "no column of the table is numeric, and the features must be numbers; "
            "add at least one numeric column"
        )
    return frame[keep], notes


#: A name that says "identifier": id, customer_id, txn-id, uuid, user key, row_number.
ID_NAME = re.compile(
    r"(^|.*[_\s.-])(id|uuid|guid|key)$|^id[_\s.-].*|^(index|row|table_row|row_?num(ber)?)$", re.IGNORECASE
)


#: Words that, in the name of a 0/1 column, say "this is the answer" (``Class`` is the answer
#: of the best-known card-fraud table; ``isFraud`` PaySim's).
TRUTH_WORDS = {
    "class",
    "fraud",
    "fraudulent",
    "label",
    "target",
    "anomaly",
    "anomalous",
    "outlier",
    "truth",
    "attack",
    # the same in the languages of the spreadsheets analysts export: German, French, Spanish,
    # Italian, Dutch (``Betrug``, ``fraude``, ``frode``, ``Anomalie``)
    "betrug",
    "fraude",
    "frode",
    "anomalie",
    "anomalia",
}


#: Last words of a name that make an identifier of whole numbers (``TransactionID``, ``userId``).
ID_WORDS = {"id", "uuid", "guid", "key"}
#: Last words of a name that make an identifier of whole numbers when nearly every row holds its
#: own (``account_number``, ``Order No.``): a count named ``..._number`` repeats its values.
NUMBER_WORDS = {"number", "num", "no", "nr"}


def named_like_id(name: str) -> bool:
    """Whether a column's name says it identifies rows: :data:`ID_NAME`, or a last word in
    :data:`ID_WORDS`, camelCase included.

    Examples
    --------
    >>> [named_like_id(n) for n in ("TransactionID", "userId", "customer_id", "paid", "Kid", "amount")]
    [True, True, True, False, False, False]
    """
    return bool(ID_NAME.fullmatch(name.strip())) or last_word(name) in ID_WORDS


def last_word(name: str) -> str:
    """The last lower-case word of a column name, camelCase split (``'Order No.'``: ``'no'``)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    words = re.split(r"[^a-z]+", spaced.lower())
    return next((w for w in reversed(words) if w), "")


def name_words(name: str) -> set[str]:
    """The lower-case words of a column name, split at every non-letter and at camelCase.

    Examples
    --------
    >>> sorted(name_words("isFlaggedFraud")), sorted(name_words("is_fraud")), sorted(name_words("Class"))
    (['flagged', 'fraud', 'is'], ['fraud', 'is'], ['class'])
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    return set(re.split(r"[^a-z]+", spaced.lower())) - {""}


def looks_like_truth(name: str, series: pd.Series) -> bool:
    """Whether a column would hand the analyst the answer: named like a ground truth (``label``,
    ``is_fraud``) and holding at most two values (0/1, yes/no, fraud/legit). The workbench keeps
    such columns off the cards it asks about.

    Examples
    --------
    >>> looks_like_truth("is_fraud", pd.Series([0, 1])), looks_like_truth("shop", pd.Series(["a", "b"]))
    (True, False)
    """
    if name.strip().lower() not in TRUTH_NAMES and not name_words(name) & TRUTH_WORDS:
        return False
    return series.dropna().astype(str).str.strip().str.lower().nunique() <= 2


def _not_a_feature(name: str, series: pd.Series) -> tuple[str, str, str] | None:
    """Why a column is no measurement the model should see: the kind of note, why, and a hint;
    None if it is one."""
    words = name_words(name)
    truth_hint = "; it looks like a ground truth: choose it as the ground-truth column to evaluate with it"
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        return "dates", "holds dates or times", ""
    row = _text_row(series)
    if row is not None:
        words = set(ANOMALY_WORDS + NOMINAL_WORDS) - set(ANSWER_WORDS)  # yes/no: a feature's answers too
        holds_labels = series.astype(str).str.strip().str.lower().isin(words).all()
        two_values = series.dropna().astype(str).str.strip().str.lower().nunique() == 2
        hint = truth_hint if holds_labels or (two_values and words & TRUTH_WORDS) else ""
        return "text", f"is not numeric (row {row} holds {str(series.iloc[row])[:40]!r})", hint
    row = _stray_text_row(series)
    if row is not None:
        return (
            "stray",
            f"is numeric but row {row} holds {str(series.iloc[row])[:40]!r}",
            "; fix that value (or make it an empty cell) to use the column",
        )
    values = pd.to_numeric(series, errors="coerce").dropna()
    if named_like_id(name) and len(values) and (values == values.round()).all():
        return (
            "identifier",
            "looks like an identifier (named like one, whole numbers)",
            "; choose it among the features to use it",
        )
    if words & TRUTH_WORDS and len(values) and values.isin((0, 1)).all():
        return (
            "answer",
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
    series = _without_placeholders(series)
    bad = (pd.to_numeric(series, errors="coerce").isna() & series.notna()).to_numpy()
    if bad.sum() * 2 <= series.notna().sum():
        return None
    row = int(np.flatnonzero(bad)[0])
    return None if _DECIMAL_COMMA.fullmatch(str(series.iloc[row])) else row


def _stray_text_row(series: pd.Series) -> int | None:
    """The first cell that is no number in a column of numbers (``(16.93)``, ``12 kg``); None if
    there is none, or if it is a decimal comma or thousands separator (a file-wide format,
    reported as such by :func:`numeric_column`)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    series = _without_placeholders(series)
    bad = np.flatnonzero((pd.to_numeric(series, errors="coerce").isna() & series.notna()).to_numpy())
    if len(bad) == 0:
        return None
    cell = str(series.iloc[int(bad[0])])
    return None if any(pattern.fullmatch(cell) for pattern, _ in _NUMBER_FORMATS) else int(bad[0])


def column_named(frame: pd.DataFrame, name: str) -> str:
    """``name``, or the one column whose name is ``name`` once spaces around both are trimmed."""
    if name in frame.columns or not isinstance(name, str):
        return name  # a name that is no text is found as given, or named as missing
    matches = [c for c in frame.columns if isinstance(c, str) and c.strip() == name.strip()]
    return matches[0] if len(matches) == 1 else name


def feature_frame(frame: pd.DataFrame, label_name: str | None, features) -> pd.DataFrame:
    if features is None:
        chosen = frame.drop(columns=[label_name]) if label_name is not None else frame
    else:
        features = [column_named(frame, f) for f in features]
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
        besides = "" if label_name is None else f" besides the label column {label_name!r}"
        raise DataError(f"the table has no feature columns{besides}; add at least one numeric column")
    return chosen


def _feature_limit(max_features: int | None) -> int:
    return max_features if max_features is not None else env_int("AAD_MAX_FEATURES", 1000)


def check_columns_to_read(n_columns: int, max_features: int | None) -> None:
    """Refuse, before any column is read, a table of more than twice the feature limit (ids and
    text beside the features are many, but not that many)."""
    limit = _feature_limit(max_features)
    if n_columns > 2 * limit:
        raise DataError(
            f"the table has {n_columns:,} columns, more than twice the limit of {limit} feature columns; "
            "keep the columns that matter (--features a,b,c on the command line) or raise the limit "
            "with AAD_MAX_FEATURES"
        )


def check_width(n_features: int, max_features: int | None) -> None:
    limit = _feature_limit(max_features)
    if n_features > limit:
        raise DataError(
            f"the table has {n_features} feature columns, more than the limit of {limit}; keep the "
            "columns that matter (--features a,b,c on the command line) or raise the limit with "
            "AAD_MAX_FEATURES"
        )


def numeric_matrix(features: pd.DataFrame, lines) -> tuple[np.ndarray, list[Note], np.ndarray | None]:
    """The features as floats, the notes, and the mask of the cells filled in (None if none)."""
    notes: list[Note] = []
    columns, gaps = [], []
    for name in features.columns:
        values = numeric_column(features[name], name, lines)
        check_float32(values, name, lines)
        gaps.append(np.isnan(values))
        values, note = fill_missing(values, name)
        if note:
            notes.append(note)
        columns.append(values)
    X = np.column_stack(columns).astype(np.float64, copy=False)
    notes.extend(constant_notes(X, list(features.columns)))
    filled = np.column_stack(gaps)
    return X, notes, filled if filled.any() else None


def numeric_column(
    series: pd.Series, name: str, lines, *, label_hint: bool = True, allow_inf: bool = False
) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        raise DataError(
            f"column {name!r} holds dates or times, not numbers; leave it out of the features, or "
            "turn it into a number that means something for anomalies (an hour of the day, an age)"
        )
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64)
    if not pd.api.types.is_numeric_dtype(series):
        series = _without_placeholders(series)
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            cell = str(series.iloc[row])
            for pattern, what in _NUMBER_FORMATS:
                if pattern.fullmatch(cell):
                    raise DataError(f"column {name!r} holds {cell!r} at {located(row, lines)}: {what}")
            raise DataError(
                f"column {name!r} is not numeric: {located(row, lines)} holds "
                f"{str(series.iloc[row])!r}; every feature must be a number. "
                + (
                    "Fix the value, or remove or encode the column, leave it out of the features, "
                    "or name it as the label column"
                    if label_hint
                    else "Fix the value"
                )
            )
        series = converted
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if not allow_inf:
        check_finite(values, name, lines)
    return values


def check_finite(values: np.ndarray, name: str, lines) -> None:
    """Refuse an infinite value, naming the cell."""
    inf = np.isinf(values)
    if inf.any():
        row = int(np.flatnonzero(inf)[0])
        raise DataError(
            f"column {name!r} holds {values[row]} at {located(row, lines)}; "
            "replace infinite values with numbers, or leave the cell empty (a missing value)"
        )


def check_float32(values: np.ndarray, name: str, lines) -> None:
    """Refuse magnitudes the forest's float32 trees would turn into infinity."""
    huge = np.abs(values) > FLOAT32_MAX
    if huge.any():
        row = int(np.flatnonzero(huge)[0])
        raise DataError(
            f"column {name!r} holds {values[row]:g} at {located(row, lines)}, beyond ±{FLOAT32_MAX:.3g}, "
            "the largest magnitude the isolation forest can hold (it works in float32); "
            "rescale the column (divide it by a power of ten) or take its logarithm"
        )


def located(row: int, lines) -> str:
    """``row 7 (file line 9)``, or ``row 7`` for data that did not come from a CSV file; ``lines``
    holds each row's file line, or is a :class:`RowsInFile` for a batch of a bigger file."""
    if isinstance(lines, RowsInFile):
        return lines.where(row)
    return f"row {row}" if lines is None else f"row {row} (file line {int(lines[row])})"


@dataclass(frozen=True)
class RowsInFile:
    """Where a batch of rows lies in its file, for messages: the ``lines`` of :func:`located` (and
    of :func:`aad.encoding.encode`) for a batch of a file read a batch at a time.

    Attributes
    ----------
    first : int
        The file's number of the batch's first row (0: the file's first row).
    line : callable, optional
        The file line of a row of the file, from its number (None: the file has no lines, as Parquet).

    Examples
    --------
    >>> RowsInFile(100, lambda row: row + 2).where(7), RowsInFile(100).where(7)
    ('row 107 (file line 109)', 'row 107')
    """

    first: int
    line: Callable[[int], int | None] | None = None

    def where(self, row: int) -> str:
        """The batch's ``row`` as the file numbers it: ``row 107 (file line 109)``."""
        number = self.first + row
        line = None if self.line is None else self.line(number)
        return f"row {number}" if line is None else f"row {number} (file line {line})"


def fill_missing(values: np.ndarray, name: str) -> tuple[np.ndarray, Note | None]:
    """``values`` with its gaps filled with the column median, and the note saying so."""
    missing = np.isnan(values)
    count = int(missing.sum())
    if count == 0:
        return values, None
    if count == len(values):
        raise DataError(f"column {name!r} is empty (every value is missing); leave it out of the features")
    median = float(np.median(values[~missing]))
    values = np.where(missing, median, values)
    if count > 0.9 * len(values):  # mostly empty: the few rows with a value stand apart for that alone
        n, share = len(values), count / len(values)
        text = (
            f"column {name!r}: {count:,} of {n:,} cells missing ({share:.0%}), filled with the column "
            f"median {median:g}; the {n - count:,} rows with a value may stand apart for having one: "
            "leave the column out of the features if that is no news"
        )
        return values, Note("table", text, name)
    plural = "value" if count == 1 else "values"
    text = f"column {name!r}: {count:,} missing {plural} filled with the column median {median:g}"
    return values, Note("filled", text, name, f"{name!r} ({count:,}, median {median:g})")


def constant_notes(X: np.ndarray, names: list[str]) -> list[Note]:
    """A note for each constant column; refuses a table whose every column is constant."""
    constant = np.all(X == X[0], axis=0)
    if constant.all():
        raise DataError(
            "every feature column is constant, so no row differs from another; "
            "the table needs at least one column whose values vary"
        )
    return [
        Note(
            "constant",
            f"column {names[j]!r} is constant ({X[0, j]:g} in every row): it cannot separate rows",
            names[j],
            f"{names[j]!r} ({X[0, j]:g})",
        )
        for j in np.flatnonzero(constant)
    ]
