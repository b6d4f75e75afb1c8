"""Columns of every kind as features: numbers as people write them, categories and timestamps.

What the workbench and the command line make of a table's columns (``load_dataset(...,
non_numeric="encode")``, which :func:`aad.load_data` uses):

* **numbers**, also when written with thousands separators (``4,968.27``, ``1 234,5``), a
  decimal comma (``1,5``), a unit or a currency (``40.95 EUR``, ``$12.50``, ``12 kg``): read
  as numbers, with a note. A column's other cells decide whether ``70,933`` is 70933 or
  70.933; when none does, it is refused, naming both readings.
* **categories** (text with repeated values): each value becomes its *rarity*, the number
  of rows per row holding it (``rows / count``: 4 for a value in a quarter of the rows,
  2,500 for one in 20 of 50,000): frequency encoding, on the inverse scale. An isolation
  forest isolates extreme values in few splits, and a rare category gets the most extreme
  values there are, far from the common ones; on the share scale (``count / rows``) every
  rare value is squeezed into the narrow gap near 0, and a random split seldom lands
  there (``benchmarks/bench_categories.py`` measures both, and a logarithm between them).
  One-hot encoding would spread a column over one 0/1 feature per value, which dilutes
  every other column's chance to be split on.
* **timestamps** (ISO 8601, ``31.12.2024``, ``12/31/2024 11:30 PM``, or a Parquet
  timestamp): their hour, weekday (1 Monday to 7 Sunday, ISO 8601) and month, the parts
  that recur, as they are written (a time-zone offset is not applied). A part that is the
  same in every row is left out.
* **context**, never features unless chosen: identifiers (whole numbers named like an id;
  text unique, or nearly, to each row), columns that look like a ground truth (``is_fraud``),
  numbers with a stray cell of text, and dates whose day and month cannot be told apart.

Each feature is described by a :class:`FeatureSpec`, which :func:`encode` applies to new
rows exactly as it was learned: a category's rarity is the training table's (a value the
training table never had has share 0, and is encoded as rarer than any value it had), a
number is read with the training column's decimal separator.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .columns import (
    FLOAT32_MAX,
    NUMBER_WORDS,
    PLACEHOLDERS,
    TRUTH_WORDS,
    column_named,
    last_word,
    located,
    name_words,
    named_like_id,
)
from .errors import DataError
from .labels import ANOMALY_WORDS, ANSWER_WORDS, NOMINAL_WORDS
from .notes import Note
from .tables import is_text, zero_padded

__all__ = [
    "KINDS",
    "PARTS",
    "FeatureSpec",
    "NumberReading",
    "encode",
    "number_text",
    "parse_timestamps",
    "part_label",
    "read_numbers",
]

#: What a feature can be: a number, a whole number, a category's rarity, a timestamp's part, or
#: (read back from exported rules) whether a category is one of some values.
KINDS = ("number", "integer", "category", "part", "member")
#: The parts of a timestamp that become features, and the values each can take.
PARTS = {"hour": (0, 23), "weekday": (1, 7), "month": (1, 12)}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: A text column with more distinct values than this share of its cells is an identifier or free text.
MOSTLY_UNIQUE = 0.5


@dataclass(frozen=True)
class FeatureSpec:
    """How one feature is made from a table's column.

    Parameters
    ----------
    name : str
        The feature's name: the column's, or ``<column>.<part>`` for a timestamp's part.
    column : str
        The table column it is read from.
    kind : {"number", "integer", "category", "part"}
        ``integer``: a number column holding whole numbers only (rules on it say ``>= 2``,
        not ``> 1.544``); ``category``: text, encoded as each value's rarity (rows per row
        holding it); ``part``: a timestamp's ``part``; ``member``: 1 where the value is one
        of ``levels``, else 0 (a category test of exported rules).
    part : {"hour", "weekday", "month"}, optional
        For ``kind="part"``.
    levels : tuple of (str or None, int)
        For a category: each value (None: a missing cell) and how many training rows hold
        it, most frequent first.
    rows : int
        For a category: the training rows. A value not listed has share 0 and encodes as
        ``2 * rows``, rarer than a value seen once (``rows``).
    decimal : {".", ","}, optional
        The decimal separator the column's numbers were written with, when its cells showed it.
    order : {"dmy", "mdy"}, optional
        For a timestamp written with slashes: whether the day or the month comes first.
    zone : str, optional
        For a timestamp's part: the time zone its clock times were read in, when the column
        had one: a zone's name (a Parquet timestamp's, ``Europe/Berlin``), the one UTC offset
        its cells were written with (``+02:00``), or the several offsets they were written
        with (``+01:00, +02:00``). The SQL export reads the part in that zone.
    duration : bool
        For a number: the column holds durations (a timedelta, ``0 days 00:22:41``,
        ``26:03:10``), read as seconds; the exports compare them as durations.

    Examples
    --------
    >>> spec = FeatureSpec("merchant", "merchant", "category", levels=(("shop", 3), ("atm", 1)), rows=4)
    >>> encode(pd.Series(["atm", "shop", "crypto"]), spec).values.tolist()
    [4.0, 1.3333333333333333, 8.0]
    """

    name: str
    column: str
    kind: str = "number"
    part: str | None = None
    levels: tuple[tuple[str | None, int], ...] = field(default=(), repr=False)
    rows: int = 0
    decimal: str | None = None
    order: str | None = None
    zone: str | None = None
    duration: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a feature's kind is one of {', '.join(KINDS)}; got {self.kind!r}")
        if (self.kind == "part") != (self.part in PARTS):
            raise ValueError(f"a timestamp part is one of {', '.join(PARTS)}, for kind 'part' only")
        if self.duration and self.kind not in ("number", "integer"):
            raise ValueError(f"a duration is a number (kind 'number' or 'integer'); got kind {self.kind!r}")

    @property
    def whole(self) -> bool:
        """Whether the feature takes whole values only (its thresholds read as whole numbers)."""
        return self.kind in ("integer", "part")

    def count(self, value: str | None) -> int:
        """How many training rows hold a category value (0 for a value they never had)."""
        return dict(self.levels).get(value, 0)

    def rarity(self, value: str | None) -> float:
        """A category value's encoding: training rows per row holding it (``2 * rows`` if none)."""
        count = self.count(value)
        return self.rows / count if count else 2.0 * self.rows


def number_text(value: float) -> str:
    """A number as people write it: no exponent, no trailing zeros, at most 10 significant digits.

    Examples
    --------
    >>> number_text(1e6), number_text(70.933), number_text(-5.0), number_text(0.1 + 0.2)
    ('1000000', '70.933', '-5', '0.3')
    """
    if not np.isfinite(value):
        return str(value)
    if value != 0 and not 1e-6 <= abs(value) < 1e16:
        return f"{value:.10g}"
    return np.format_float_positional(float(f"{value:.10g}"), trim="-")


def part_label(part: str, value: float) -> str:
    """A timestamp part's value as people say it.

    Examples
    --------
    >>> part_label("weekday", 7), part_label("month", 3), part_label("hour", 4)
    ('Sun', 'Mar', '4')
    """
    names = {"weekday": _WEEKDAYS, "month": _MONTHS}.get(part)
    number = int(value)
    if names is not None and 1 <= number <= len(names):
        return names[number - 1]
    return str(number)


# ----------------------------------------------------------------------------- numbers


#: A number cell as people write it: a sign, a currency before or a unit after, separators.
_CELL = re.compile(
    r"^\s*(?P<s1>[-+\u2212]?)\s*(?P<pre>[$€£¥₹₩₽₺₪฿]|[A-Z]{3}(?=[\s\d+\-\u2212]))?\s*(?P<s2>[-+\u2212]?)\s*"
    r"(?P<num>\d(?:[\d.,'\u00a0\u202f ]*\d)?)(?P<s3>[-\u2212]?)"  # 41,21- : SAP's trailing minus
    r"\s*(?P<unit>[^\d\s.,+\-\u2212'][^\d]{0,11}?)?\s*$"
)
_SPACES = "'\u00a0\u202f "
#: A number written with a decimal comma and an exponent (``8,61e-05``, ``-1,5E+03``).
_COMMA_EXPONENT = re.compile(r"\s*(?P<sign>[-+\u2212]?)(?P<num>\d+,\d+)[eE](?P<exp>[-+]?\d+)\s*")
#: How the digits of a number cell are grouped, and what that says about its decimal separator:
#: "," a decimal comma, "." a decimal point, "?" either (70,933), "" nothing.
_SHAPES = (
    (r"\d+", ""),
    (r"[1-9]\d{0,2}\.\d{3}", "?."),  # 1.234: a decimal point, unless the column writes decimal commas
    (r"\d+\.\d+", "."),
    (r"[1-9]\d{0,2}(?:\.\d{3}){2,}", ","),
    (r"[1-9]\d{0,2},\d{3}", "?"),  # 70,933: thousands or decimals
    (r"\d+,\d+", ","),
    (r"[1-9]\d{0,2}(?:,\d{3}){2,}", "."),
    (r"[1-9]\d{0,2}(?:,\d{3})+\.\d+", "."),
    (r"[1-9]\d{0,2}(?:\.\d{3})+,\d+", ","),
    (r"[1-9]\d{0,2}(?:'\d{3})+|[1-9]\d{0,2}(?:[\u00a0\u202f ]\d{3})+", ""),  # 1 234, 1'234
    (r"[1-9]\d{0,2}(?:'\d{3})+\.\d+|[1-9]\d{0,2}(?:[\u00a0\u202f ]\d{3})+\.\d+", "."),
    (r"[1-9]\d{0,2}(?:[\u00a0\u202f ]\d{3})+,\d+", ","),
)


@dataclass(frozen=True)
class NumberReading:
    """A column read as numbers.

    Attributes
    ----------
    values : ndarray of float64
        NaN where a cell is missing (or, with ``stray``, is no number).
    decimal : {".", ","} or None
        The decimal separator the cells showed.
    stray : int or None
        The first row whose cell is no number; ``values`` is then incomplete.
    written : tuple of str
        How cells were written beyond plain numbers ("thousands separators", ...).
    units : tuple of str
        The units and currencies written beside the numbers.
    example : tuple of (str, float) or None
        A cell that was not a plain number, and the number read from it.
    n_stray : int
        How many cells are no number.
    """

    values: np.ndarray
    decimal: str | None = None
    stray: int | None = None
    written: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    example: tuple[str, float] | None = None
    n_stray: int = 0
    undecided: bool = False  # cells such as 1.234 read with a decimal point for want of evidence
    bare: tuple[int, str] | None = None  # with a unit in some cells: how many have none, and one
    duration: bool = False  # durations (a timedelta, 0 days 00:22:41), read as seconds

    def note(self, name: str) -> Note | None:
        """What was read beyond plain numbers, or None."""
        if self.duration:
            return _duration_note(name, self.example)
        if not self.written:
            return None
        cell, value = self.example
        how = " and ".join(self.written)
        units = ""
        if len(self.units) > 1:
            units = f"; it mixes {', '.join(self.units)}, compared as written (not converted)"
        if self.bare is not None:
            n, plain = self.bare
            units += f"; {n:,} cell{'s have' if n > 1 else ' has'} no unit ({plain!r}), compared as written"
        shown = number_text(value)
        text = f"column {name!r} holds numbers written with {how} ({cell!r} is read as {shown}){units}"
        return Note("number_format", text, name, f"{name!r} ({cell!r} is {shown})")


def read_numbers(
    series: pd.Series, name: str, lines=None, *, decimal: str | None = None, raise_stray: bool = False
) -> NumberReading:
    """A column's cells as numbers, as people write them.

    Plain numbers, thousands separators (``4,968.27``, ``1.234,5``, ``1 234``, ``1'234``), a
    decimal comma (``1,5``), and a unit or a currency before or after (``$12.50``, ``40.95
    EUR``, ``12 kg``, ``5%``) are read; the placeholders of :data:`PLACEHOLDERS` and empty
    cells are missing. The column's cells decide which separator is the decimal one
    (``decimal`` gives it when they do not: the training column's, for new rows).

    Raises
    ------
    DataError
        For a cell that reads either way (``70,933``: 70933 or 70.933) when no other cell
        says which, a column mixing decimal commas and decimal points, and, with
        ``raise_stray``, a cell that is no number.

    Examples
    --------
    >>> read_numbers(pd.Series(["$1,234.50", "40.95 EUR", "-", "12"]), "amount").values.tolist()
    [1234.5, 40.95, nan, 12.0]
    >>> read_numbers(pd.Series(["1,5", "70,933"]), "w").values.tolist()
    [1.5, 70.933]
    >>> read_numbers(pd.Series(["70,933", "12"]), "w")
    Traceback (most recent call last):
    ...
    aad.errors.DataError: column 'w' holds '70,933' at row 0: a thousands separator ... or 70.933...
    """
    if pd.api.types.is_bool_dtype(series):
        return NumberReading(series.to_numpy(dtype=np.float64, na_value=np.nan))
    if pd.api.types.is_timedelta64_dtype(series):
        return _seconds(series, series.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan))
    if pd.api.types.is_numeric_dtype(series):
        return NumberReading(series.to_numpy(dtype=np.float64, na_value=np.nan))
    text = without_placeholders(series)
    rows = np.flatnonzero(text.notna().to_numpy())
    cells = text.iloc[rows].astype(str).str.strip().to_numpy(dtype=object)
    if not raise_stray and _mostly_text(cells):  # a column of text: not worth reading cell by cell
        return NumberReading(np.full(len(series), np.nan), stray=int(rows[0]), n_stray=len(rows))
    # pandas' hashing, not np.unique on a fixed-width array: that pads every cell to the longest
    # one (one 200 kB cell in 3,000 rows asked for 10 GB)
    inverse, unique = pd.factorize(pd.Series(cells, dtype=object).astype(str))
    unique = np.asarray(unique, dtype=object)
    read = [_read_cell(cell) for cell in unique]  # each distinct cell once
    bad = np.array([cell is None for cell in read], dtype=bool)[inverse]
    if bad.any():
        row = int(rows[np.argmax(bad)])
        if raise_stray:
            raise DataError(
                f"column {name!r} is not numeric: {_where(row, lines)} holds {str(series.iloc[row])[:40]!r}; "
                "every feature must be a number. Fix the value (or make it an empty cell), or leave the "
                "column out of the features"
            )
        values = np.full(len(series), np.nan)
        values[rows[~bad]] = [read[i].plain if read[i].plain is not None else np.nan for i in inverse[~bad]]
        return NumberReading(values, stray=row, n_stray=int(bad.sum()))
    found = _decimal(series, name, lines, rows, read, inverse, decimal)
    return _reading(len(series), rows, unique, read, inverse, found)


@dataclass(frozen=True)
class _Cell:
    """One distinct cell read as a number: as Python reads it (``plain``), or its parts."""

    plain: float | None
    negative: bool = False
    digits: str = ""
    marks: tuple[str, ...] = ()  # a unit or a currency written beside it
    evidence: str = ""  # what it says about the decimal separator (see _SHAPES)
    bracketed: bool = False  # an accountant's negative: (92.61)
    trailing: bool = False  # a minus after the number, as SAP writes it: 41,21-

    def number(self, decimal: str | None) -> float:
        if self.plain is not None and not (self.evidence == "?." and decimal == ","):
            return self.plain
        grouping = f"[{_SPACES}.]" if decimal == "," else f"[{_SPACES},]"
        value = float(re.sub(grouping, "", self.digits).replace(",", "."))
        return -value if self.negative else value

    def formatted(self, decimal: str | None) -> bool:
        """Whether the cell is more than a plain number under ``decimal``."""
        return self.plain is None or self.bracketed or (self.evidence == "?." and decimal == ",")

    def grouped(self, decimal: str | None) -> bool:
        return bool(re.search(f"[{_SPACES}.]" if decimal == "," else f"[{_SPACES},]", self.digits))


_SHAPE = re.compile("|".join(f"(?P<s{i}>{pattern})" for i, (pattern, _) in enumerate(_SHAPES)))


#: The longest cell read as a number (``-1,797,693,134,862,315,700,000.00 EUR`` is 38 characters).
_LONGEST_NUMBER = 100


_BRACKETED = re.compile(r"\s*\(\s*([^()]+?)\s*\)\s*")


def _as_python_reads(text: str) -> float | None:
    """``float(text)``, or None for a cell Python does not read as a number (or one with a comma)."""
    if "," in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _read_cell(text: str) -> _Cell | None:
    """A cell as a number (None when it is none): Python's reading, or a number with separators,
    a sign, a unit or a currency."""
    if len(text) > _LONGEST_NUMBER:  # no number is written this long: text (and no regex over it)
        return None
    bracketed = _BRACKETED.fullmatch(text)
    if bracketed is not None:  # (92.61), ($1,234.50): a negative number, as accounts write it
        inner = _read_cell(bracketed.group(1))
        if inner is None or inner.negative or inner.bracketed:
            return None
        if not inner.digits:  # (92), (1e3): as Python reads it, negated (no separators to read)
            finite = inner.plain is not None and math.isfinite(inner.plain) and inner.plain >= 0
            return _Cell(-inner.plain, bracketed=True) if finite else None
        return _Cell(None, True, inner.digits, inner.marks, inner.evidence, bracketed=True)
    exponent = _COMMA_EXPONENT.fullmatch(text)
    if exponent is not None:  # 8,61e-05: pandas' to_csv(decimal=",") writes small numbers so
        value = float(f"{exponent['num'].replace(',', '.')}e{exponent['exp']}")
        negative = exponent["sign"] in ("-", "\u2212")
        return _Cell(-value if negative else value, digits=exponent["num"], evidence=",")
    plain = _as_python_reads(text)
    match = _CELL.match(text)
    if plain is not None and ("." not in text or match is None):
        return _Cell(plain)  # 12, 1e-05, inf: as Python reads them
    shape = _SHAPE.fullmatch(match["num"]) if match is not None else None
    if shape is None:
        return None if plain is None else _Cell(plain)
    marks = tuple(mark.strip() for mark in (match["pre"], match["unit"]) if mark)
    signs = match["s1"] + match["s2"] + match["s3"]
    if len(signs) > 1:
        return None
    negative = signs in ("-", "\u2212")
    evidence = _SHAPES[int(shape.lastgroup[1:])][1]
    return _Cell(plain, negative, match["num"], marks, evidence, trailing=bool(match["s3"]))


def _mostly_text(cells: np.ndarray) -> bool:
    """Whether a sample of ``cells`` is three quarters text or more (an id, a category)."""
    if len(cells) == 0:
        return False
    sample = cells[np.unique(np.linspace(0, len(cells) - 1, min(len(cells), 500)).astype(int))]
    return sum(_read_cell(str(cell)) is None for cell in sample) > 0.75 * len(sample)


def _decimal(series, name, lines, rows, read, inverse, decimal) -> str | None:
    """The column's decimal separator, from what its cells show (else ``decimal``)."""
    evidence = np.array([cell.evidence for cell in read], dtype=object)[inverse]
    comma, point = evidence == ",", evidence == "."
    if comma.any() and point.any():
        first, second = (int(rows[np.argmax(m)]) for m in (comma, point))
        raise DataError(
            f"column {name!r} mixes number formats: {str(series.iloc[first])!r} at {_where(first, lines)} "
            f"has a decimal comma, {str(series.iloc[second])!r} at {_where(second, lines)} a decimal point; "
            "save the column with one format ('.' as the decimal separator, no thousands separators)"
        )
    found = "," if comma.any() else "." if point.any() else decimal
    if decimal is not None and found != decimal:
        row = int(rows[np.argmax(comma if comma.any() else point)])
        said = {",": "a decimal comma", ".": "a decimal point"}
        raise DataError(
            f"column {name!r} holds {str(series.iloc[row])!r} at {_where(row, lines)}, written with "
            f"{said[found]}, where the data the model learned from writes {said[decimal]}; save the rows "
            "with the same number format"
        )
    if found is None and (evidence == "?.").any() and _grouped_by_dots(read, inverse):
        found = ","  # 20.972 beside 543: whole numbers, their thousands separated by dots
    either = evidence == "?"
    if either.any() and found is None:
        row = int(rows[np.argmax(either)])
        raise DataError(_ambiguous(name, str(series.iloc[row]), row, lines))
    return found


def _grouped_by_dots(read: list[_Cell], inverse: np.ndarray) -> bool:
    """Whether the dots of cells such as ``20.972`` separate thousands, by the column alone:
    whole numbers below 1,000 written without a dot (``543``) in 3 rows or more beside them,
    and no whole number of 1,000 or more written without one (a German export of whole
    euros). Decimals would show other shapes (``0.972``, ``20.5``), which decide first."""
    plain = [c.evidence == "" and c.number(None) == round(c.number(None)) for c in read]
    small = np.array([p and abs(c.number(None)) < 1000 for p, c in zip(plain, read, strict=True)], dtype=bool)
    if (np.array(plain, dtype=bool) & ~small).any():
        return False
    return int(small[inverse].sum()) >= 3


def _reading(n: int, rows, unique, read: list[_Cell], inverse, found: str | None) -> NumberReading:
    values = np.full(n, np.nan)
    values[rows] = np.array([cell.number(found) for cell in read], dtype=np.float64)[inverse]
    formatted = [cell.formatted(found) for cell in read]
    written = []
    if any(f and cell.grouped(found) for f, cell in zip(formatted, read, strict=True)):
        written.append("thousands separators")
    if found == "," and any(f and "," in cell.digits for f, cell in zip(formatted, read, strict=True)):
        written.append("a decimal comma")
    if any(cell.bracketed for cell in read):
        written.append("negative numbers in brackets")
    if any(cell.trailing for cell in read):
        written.append("a minus sign after negative numbers")
    units = tuple(dict.fromkeys(mark for cell in read for mark in cell.marks))
    if units:
        written.append(
            "a unit or currency (" + ", ".join(units[:4]) + ("..." if len(units) > 4 else "") + ")"
        )
    example = None
    shown = np.flatnonzero(np.array(formatted, dtype=bool)[inverse])
    if len(shown):
        first = int(shown[0])
        example = (str(unique[inverse[first]]), float(values[rows[first]]))
    undecided = found is None and any(cell.evidence == "?." for cell in read)
    bare = None
    if units:  # 21% beside 0.21: say how many cells lack the unit the others have
        no_mark = np.array([not cell.marks for cell in read], dtype=bool)[inverse]
        if no_mark.any():
            bare = (int(no_mark.sum()), str(unique[inverse[int(np.argmax(no_mark))]]))
    return NumberReading(
        values, found, written=tuple(written), units=units, example=example, undecided=undecided, bare=bare
    )


def _seconds(cells: pd.Series, values: np.ndarray) -> NumberReading:
    """Durations read as ``values`` seconds, with a cell of ``cells`` as the note's example."""
    known = np.flatnonzero(~np.isnan(values))
    example = None if not len(known) else (str(cells.iloc[known[0]]).strip(), float(values[known[0]]))
    return NumberReading(values, example=example, duration=True)


#: A duration as pandas and many databases write it: ``0 days 00:22:41``, ``1 day 02:00:00.5``,
#: ``-1 days +23:00:00`` (pandas' minus one hour).
_DAYS = re.compile(
    r"^\s*(?P<d>[-+]?\d+)\s+days?,?\s+(?P<sign>[-+]?)(?P<h>\d{1,2}):(?P<m>[0-5]\d):(?P<s>[0-5]\d(?:\.\d+)?)\s*$"
)
#: Hours, minutes and seconds (``26:03:10``): a duration when an hour reaches 24, else a time of day.
_HOURS = re.compile(r"^\s*(?P<sign>[-+]?)(?P<h>\d+):(?P<m>[0-5]\d):(?P<s>[0-5]\d(?:\.\d+)?)\s*$")


def read_durations(series: pd.Series, *, known: bool = False) -> np.ndarray | None:
    """A text column's cells as durations in seconds (NaN where missing), or None when it is no
    column of durations.

    Cells written ``[-]D days HH:MM:SS[.fff]`` (pandas, PostgreSQL) are durations; a column of
    ``H:MM:SS`` cells is one when an hour reaches 24 (``26:03:10``), or when it is ``known``
    to be one (the training column was); else its cells are times of day (``09:30:00``).

    Examples
    --------
    >>> read_durations(pd.Series(["0 days 00:22:41", "-1 days +23:00:00", None, "26:03:10"])).tolist()
    [1361.0, -3600.0, nan, 93790.0]
    >>> read_durations(pd.Series(["09:30:00", "17:45:10"])) is None  # times of day
    True
    >>> read_durations(pd.Series(["09:30:00"]), known=True).tolist()
    [34200.0]
    """
    if not is_text(series):
        return None
    text = without_placeholders(series).reset_index(drop=True)
    cells = text[text.notna()].astype(str)
    if cells.empty or not any(p.match(cells.iloc[0]) for p in (_DAYS, _HOURS)):  # the cheap no, first
        return None
    days, hours = cells.str.extract(_DAYS), cells.str.extract(_HOURS)
    days_form = days["h"].notna()
    columns = ["d", "sign", "h", "m", "s"]
    parts = days[columns].where(days_form, hours.assign(d="0")[columns], axis=0)
    if parts["h"].isna().any():
        return None
    h = parts["h"].astype(float)
    if not (known or days_form.any() or (h >= 24).any()):
        return None
    sign = np.where(parts["sign"] == "-", -1.0, 1.0)
    seconds = parts["d"].astype(float) * 86400 + sign * (h * 3600 + parts["m"].astype(float) * 60)
    seconds += sign * parts["s"].astype(float)
    values = np.full(len(text), np.nan)
    values[cells.index.to_numpy()] = seconds.to_numpy(dtype=np.float64)
    return values


def _duration_note(name: str, example: tuple[str, float] | None) -> Note:
    """The note on a column of durations read as seconds (``example``: a cell and its reading)."""
    shown = "" if example is None else f" ({example[0]!r} is {number_text(example[1])})"
    text = (
        f"column {name!r} is a duration: read as seconds{shown}; the rules compare it as a duration "
        "(an INTERVAL in SQL)"
    )
    return Note("duration", text, name, f"{name!r}{shown}")


def without_placeholders(series: pd.Series) -> pd.Series:
    """``series`` with its placeholder cells (``-``, ``?``, ``n/a``...) made missing.

    Examples
    --------
    >>> without_placeholders(pd.Series(["1", "-", " N/A ", "?"], dtype=object)).tolist()
    ['1', nan, nan, nan]
    """
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    return series.mask(series.astype(str).str.strip().str.lower().isin(PLACEHOLDERS) & series.notna())


def _ambiguous(name: str, cell: str, row: int, lines) -> str:
    digits = re.sub(r"[^\d,]", "", cell)
    thousands, decimals = digits.replace(",", ""), digits.replace(",", ".")
    return (
        f"column {name!r} holds {cell!r} at {_where(row, lines)}: a thousands separator or a decimal comma, "
        f"which no other cell of the column tells apart ({cell.strip()} is {int(thousands)} or "
        f"{float(decimals):g}); write one of its numbers with a decimal point (or save the file with '.' "
        "as the decimal separator and no thousands separators)"
    )


def _where(row: int, lines) -> str:
    return located(row, lines)


# ----------------------------------------------------------------------------- timestamps

_TIME = (
    r"(?:[T ,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?\s*(?P<ap>[AaPp]\.?[Mm]\.?)?)?"
    r"\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
#: Dates as written: year first (ISO 8601), day first with dots (31.12.2024), or with slashes,
#: whose day and month the values must tell apart (12/31/2024 or 31/12/2024).
_DATES = {
    "ymd": re.compile(r"^\s*(?P<y>\d{4})[-/](?P<b>\d{1,2})[-/](?P<a>\d{1,2})" + _TIME),
    "dmy.": re.compile(r"^\s*(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{4})" + _TIME),
    "slash": re.compile(r"^\s*(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})" + _TIME),  # 23/06/24 too
    "mdy-name": re.compile(  # Jun 23, 2024 09:02 AM
        r"^\s*(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<a>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME
    ),
    "dmy-name": re.compile(r"^\s*(?P<a>\d{1,2})[\s-]+(?P<mon>[A-Za-z]{3,9})\.?[\s,-]+(?P<y>\d{4})" + _TIME),
    # a time of day alone (09:30, 2:15 PM, 23:59:59; not 25:10): its hour is the part that varies
    "clock": re.compile(
        r"^\s*(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d)(?:[.,]\d+)?)?\s*(?P<ap>[AaPp]\.?[Mm]\.?)?\s*$"
    ),
}
#: English month names by their first three letters (``Sept`` and ``September`` too).
_MONTH_NUMBERS = {name.lower(): i for i, name in enumerate(_MONTHS, start=1)}


@dataclass(frozen=True)
class TimeReading:
    """A column read as timestamps (naive, as written), or why its dates cannot be read."""

    times: pd.Series | None
    order: str | None = None  # "dmy" or "mdy" for dates written with slashes
    ambiguous: tuple[int, str] | None = None  # a row and cell whose day and month cannot be told apart
    clock: bool = False  # times of day alone (09:30), on one made-up day: shown as written, not as dates
    zone: str | None = None  # the zone the clock times are in, when the column had one (FeatureSpec.zone)


def parse_timestamps(series: pd.Series, *, order: str | None = None) -> TimeReading | None:
    """A column's cells as timestamps (the clock time as written), or None if they are not all dates.

    ``order`` ("dmy" or "mdy") reads dates written with slashes whose values do not say
    which comes first (the order the training table showed, for new rows).

    Examples
    --------
    >>> reading = parse_timestamps(pd.Series(["2024-03-01T02:15:00+01:00", None, "2024-03-03 23:00"]))
    >>> reading.times.dt.hour.tolist()
    [2.0, nan, 23.0]
    >>> parse_timestamps(pd.Series(["03/04/2024", "05/06/2024"])).ambiguous
    (0, '03/04/2024')
    >>> parse_timestamps(pd.Series(["Rome", "Paris"])) is None
    True
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        zone = getattr(series.dt, "tz", None)
        times = series.dt.tz_localize(None) if zone is not None else series
        return TimeReading(times.reset_index(drop=True), zone=_zone_name(zone))
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    text = without_placeholders(series).reset_index(drop=True)
    known = text.notna().to_numpy()
    if not known.any():
        return None
    cells = text[known].astype(str)
    style = next((style for style, pattern in _DATES.items() if pattern.match(cells.iloc[0])), None)
    times = _iso(cells) if style == "ymd" else None  # pandas' parser first: fast
    if style is None or times is None:
        reading = None if style is None else _by_parts(cells, style, order, int(np.flatnonzero(known)[0]))
        if reading is None and style not in (None, "clock"):
            reading = _mixed(cells.reset_index(drop=True), order)
            style = "slash" if reading is not None and reading.order is not None else style
        if reading is None or reading.times is None:
            return reading
        times, order = reading.times, reading.order
    out = pd.Series(pd.NaT, index=text.index, dtype=times.dtype)
    out[known] = times.to_numpy()
    zone = None if style == "clock" else written_offsets(cells)
    return TimeReading(out, order=order if style == "slash" else None, clock=style == "clock", zone=zone)


def _zone_name(zone) -> str | None:
    """A pandas timestamp's time zone as SQL names it: ``Europe/Berlin``, or a fixed offset ``+02:00``."""
    if zone is None:
        return None
    offset = zone.utcoffset(None) if isinstance(zone, datetime.timezone) else None
    return str(zone) if offset is None else _offset_text(offset.total_seconds() / 60)


def _offset_text(minutes: float) -> str:
    sign, minutes = ("-" if minutes < 0 else "+"), abs(int(minutes))
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


#: A UTC offset written after a time: ``Z``, ``UTC``, ``+02``, ``+0200``, ``+02:00``.
_WRITTEN_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)\s*$")


def written_offsets(cells: pd.Series) -> str | None:
    """The UTC offsets a column's timestamps were written with, as :attr:`FeatureSpec.zone` gives
    them (None when no cell has one).

    Examples
    --------
    >>> written_offsets(pd.Series(["2024-03-01T10:00:00+02:00", "2024-03-02T11:00+0200"]))
    '+02:00'
    >>> written_offsets(pd.Series(["2024-03-01T10:00:00+01:00", "2024-07-01 11:00Z", "2024-07-02 11:00"]))
    '+00:00, +01:00, none'
    """
    found = cells.astype(str).str.extract(_WRITTEN_OFFSET, expand=False)
    if found.isna().all():
        return None
    offsets = {_offset_written(mark) for mark in found.dropna().unique()}
    return ", ".join(sorted(offsets) + (["none"] if found.isna().any() else []))


def _offset_written(mark: str) -> str:
    if mark in ("Z", "UTC"):
        return "+00:00"
    digits = mark[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return _offset_text(-minutes if mark[0] == "-" else minutes)


def _mixed(cells: pd.Series, order: str | None) -> TimeReading | None:
    """Dates written in two styles or more (``31.12.2024`` and ``2024-12-31``, as a table pasted
    together from two systems holds them), each read in its own style; None unless every cell
    is a date of some style and each style's cells read.

    >>> _mixed(pd.Series(["31.12.2024", "2024-12-30", "29.12.2024"]), None).times.dt.day.tolist()
    [31, 30, 29]
    """
    styles = []
    for cell in cells:  # a cell of no style ends it: free text whose first cell looked like a date
        style = next((s for s, p in _DATES.items() if s != "clock" and p.match(cell)), None)
        if style is None:
            return None
        styles.append(style)
    if len(set(styles)) < 2:
        return None
    out = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns]")
    orders = set()
    for style in sorted(set(styles)):
        group = cells[[s == style for s in styles]]
        reading = parse_timestamps(group, order=order)
        if reading is None or reading.times is None:
            return None
        out[group.index] = reading.times.to_numpy()
        orders |= {reading.order} - {None}
    return TimeReading(out, order=orders.pop() if len(orders) == 1 else None)


def _stray_date(series: pd.Series) -> tuple[int, str] | None:
    """The first cell that is no date in a column of dates that pandas could not read whole
    (``not a date`` among 300 timestamps): its row and text; None when most cells are no dates.

    >>> _stray_date(pd.Series(["2024-03-01 10:00"] * 9 + ["soon"]))
    (9, 'soon')
    >>> _stray_date(pd.Series(["Rome", "2024-03-01"])) is None
    True
    """
    text = without_placeholders(series).reset_index(drop=True).dropna().astype(str)
    if len(text) < 2:
        return None
    for pattern in _DATES.values():
        dated = text.str.match(pattern).to_numpy()
        if dated.mean() >= 0.9 and not dated.all():
            row = int(text.index[np.flatnonzero(~dated)[0]])
            return row, str(text[row])[:40]
    return None


def _by_parts(cells: pd.Series, style: str, order: str | None, first_row: int) -> TimeReading | None:
    """Dates read from their parts; with slashes, the values say whether the day comes first."""
    parts = cells.str.extract(_DATES[style])
    if style == "clock":  # on one day, 2000-01-01: only the hour varies
        if parts[["H", "M"]].isna().any().any():
            return None
        ones = pd.Series(1, index=parts.index)
        times = _assemble(parts.assign(y="2000"), ones, ones)
        return None if times.isna().any() else TimeReading(times, clock=True)
    if style.endswith("-name"):  # the month by its name: nothing to tell apart
        month = parts["mon"].str[:3].str.lower().map(_MONTH_NUMBERS)
        if parts[["y", "a"]].isna().any().any() or month.isna().any():
            return None
        times = _assemble(parts, parts["a"].astype(int), month.astype(int))
        return None if times.isna().any() else TimeReading(times)
    if parts[["y", "a", "b"]].isna().any().any():
        return None
    first, second = parts["a"].astype(int), parts["b"].astype(int)
    day, month = first, second
    if style == "slash":
        days_first, months_first = bool((first > 12).any()), bool((second > 12).any())
        if days_first and months_first:
            return None
        if not (days_first or months_first) and order is None:
            return TimeReading(None, ambiguous=(first_row, str(cells.iloc[0])))
        order = "dmy" if days_first or (not months_first and order == "dmy") else "mdy"
        day, month = (first, second) if order == "dmy" else (second, first)
    times = _assemble(parts, day, month)
    return None if times.isna().any() else TimeReading(times, order=order)


#: A time-zone offset after a time (not the day of a date): the clock time is read as written.
_OFFSET = re.compile(r"(\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)\s*$")


def _iso(cells: pd.Series) -> pd.Series | None:
    """ISO 8601 cells as naive timestamps by pandas' own parser (fast); None if any is not one."""
    written = cells.str.strip().str.replace(_OFFSET, r"\1", regex=True)
    try:
        times = pd.to_datetime(written, format="ISO8601", errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return None
    if times.isna().any() or getattr(times.dt, "tz", None) is not None:
        return None
    return times.reset_index(drop=True)


def _assemble(parts: pd.DataFrame, day: pd.Series, month: pd.Series) -> pd.Series:
    hour = pd.to_numeric(parts["H"], errors="coerce").fillna(0).to_numpy()
    meridiem = parts["ap"].fillna("").str.lower().str[:1].to_numpy()
    twelve = meridiem != ""
    hour = np.where(twelve & ((hour < 1) | (hour > 12)), np.nan, hour)  # 0 PM, 13 AM: no time
    hour = np.where(twelve, hour % 12 + np.where(meridiem == "p", 12, 0), hour)
    year = parts["y"].astype(int).to_numpy()
    year = np.where(year < 100, np.where(year < 69, 2000, 1900) + year, year)  # 24: 2024, 99: 1999 (as %y)
    columns = {
        "year": year,
        "month": month.to_numpy(),
        "day": day.to_numpy(),
        "hour": hour,
        "minute": pd.to_numeric(parts["M"], errors="coerce").fillna(0).to_numpy(),
        "second": pd.to_numeric(parts["S"], errors="coerce").fillna(0).to_numpy(),
    }
    return pd.Series(pd.to_datetime(pd.DataFrame(columns), errors="coerce").to_numpy())


def timestamp_part(times: pd.Series, part: str) -> np.ndarray:
    """One part of each timestamp (NaN where there is none): hour 0-23, weekday 1 (Monday) to
    7, month 1-12.

    Examples
    --------
    >>> times = pd.Series(pd.to_datetime(["2024-03-03 01:30", None]))
    >>> timestamp_part(times, "hour").tolist(), timestamp_part(times, "weekday").tolist()
    ([1.0, nan], [7.0, nan])
    """
    values = {"hour": times.dt.hour, "weekday": times.dt.day_of_week + 1, "month": times.dt.month}[part]
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


# ----------------------------------------------------------------------------- categories


def category_values(series: pd.Series) -> pd.Series:
    """A column's cells as category values: text as written (``-`` and ``?`` too: in a text
    column they may be values), whole numbers without ``.0``, None where a cell is missing.

    Examples
    --------
    >>> category_values(pd.Series(["atm", None, "-"])).tolist()
    ['atm', None, '-']
    >>> category_values(pd.Series([3.0, 2.5])).tolist()
    ['3', '2.5']
    >>> category_values(pd.Series([True, None], dtype="boolean")).tolist()
    ['True', None]
    """
    if pd.api.types.is_bool_dtype(series):  # a Parquet boolean where a CSV wrote text: as Python writes it
        return pd.Series([None if pd.isna(v) else str(bool(v)) for v in series.tolist()], dtype=object)
    if pd.api.types.is_numeric_dtype(series):
        cells = [_number_category(v) for v in series.tolist()]
    else:
        cells = [None if pd.isna(v) else str(v) for v in series.tolist()]
    return pd.Series(cells, dtype=object)


def _number_category(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def learn_levels(values: pd.Series) -> tuple[tuple[str | None, int], ...]:
    """Each value (None: missing) and the rows holding it, most frequent first.

    Examples
    --------
    >>> learn_levels(pd.Series(["a", "b", "a", None]))
    (('a', 2), (None, 1), ('b', 1))
    """
    pairs = list(Counter(None if v is None or v != v else v for v in values.tolist()).items())  # NaN: missing
    pairs.sort(key=lambda kv: (-kv[1], kv[0] is not None, "" if kv[0] is None else kv[0]))
    return tuple(pairs)


# ----------------------------------------------------------------------------- applying a spec


def encode(series: pd.Series, spec: FeatureSpec, lines=None) -> Encoded:
    """The feature ``spec`` describes, made from ``series`` as it was from the training column.

    Numbers are read as :func:`read_numbers` reads them (with the training column's decimal
    separator); a category becomes its rarity in the training rows (``2 * rows`` for a value
    the training table never had, share 0, with a note); a timestamp's part is read from the
    column's timestamps. Missing cells are NaN (the caller fills them).

    Raises
    ------
    DataError
        When a cell cannot be read as the feature needs it.

    Examples
    --------
    >>> hour = FeatureSpec("ts.hour", "ts", "part", part="hour")
    >>> encode(pd.Series(["2024-03-01 02:15", "2024-03-01 23:59"]), hour).values.tolist()
    [2.0, 23.0]
    >>> encode(pd.Series(["$1,250.00", "n/a"]), FeatureSpec("amount", "amount")).values.tolist()
    [1250.0, nan]
    """
    if spec.kind in ("number", "integer"):
        if spec.duration and is_text(series):
            return Encoded(_durations(series, spec, lines))
        flags = _bools_as_numbers(series)
        if flags is not None:  # true/false: a bool column, which the training table read as 1/0
            return Encoded(flags)
        return Encoded(
            read_numbers(series, spec.column, lines, decimal=spec.decimal, raise_stray=True).values
        )
    if spec.kind in ("category", "member"):
        counts = dict(spec.levels)
        values, respelled = by_truth(category_values(series), counts)
        known = values.map(lambda v: v in counts).to_numpy(dtype=bool)
        if spec.kind == "member":
            return Encoded(known.astype(np.float64), _respelled_note(spec, respelled))
        encoded = values.map(spec.rarity).to_numpy(dtype=np.float64)
        return Encoded(encoded, _unseen_note(spec, values[~known]) or _respelled_note(spec, respelled))
    if series.isna().all():  # no rows, or every cell empty: missing values, filled as any other
        times = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
        return Encoded(np.full(len(series), np.nan), times=times)
    reading = parse_timestamps(series, order=spec.order)
    if reading is None or reading.times is None:
        raise DataError(_not_timestamps(series, spec, reading, lines))
    shown = None if reading.clock else reading.times  # a time of day alone: its source as written
    dated = _time_of_day(series, reading) if spec.part == "hour" else None
    return Encoded(timestamp_part(reading.times, spec.part), times=shown, dated=dated)


#: The words a flag is written with, by its truth (compared stripped, in any case).
FLAG_WORDS = {
    **dict.fromkeys(("true", "t", "yes", "y", "1"), True),
    **dict.fromkeys(("false", "f", "no", "n", "0"), False),
}


def flag_truth(value: str | None) -> bool | None:
    """The truth a flag word says (``True`` for ``yes``, ``TRUE``, ``Y``, ``1``), None for any other value.

    >>> flag_truth(" Yes"), flag_truth("F"), flag_truth("maybe"), flag_truth(None)
    (True, False, None, None)
    """
    return None if value is None else FLAG_WORDS.get(str(value).strip().casefold())


def by_truth(values: pd.Series, levels) -> tuple[pd.Series, dict[str, str]]:
    """``values`` (category values) with every flag word ``levels`` lack written as the level that
    says the same truth, when every value and every level is a flag word, one level a truth: a
    flag's spelling is the exporting system's (``True``/``False``, ``yes``/``no``, ``Y``/``N``,
    ``1``/``0``), not the data's. Also the values so respelled, each with its level.

    >>> by_truth(pd.Series(["yes", "no", None], dtype=object), {"True": 5, "False": 9, None: 1})[0].tolist()
    ['True', 'False', None]
    >>> by_truth(pd.Series(["yes", "maybe"]), {"True": 5, "False": 9})[1]
    {}
    """
    distinct = set(pd.unique(values.dropna()).tolist())  # each value once: a batch may hold millions
    unknown = [v for v in distinct if v not in levels]
    truths = {v: flag_truth(v) for v in distinct}
    named = [(flag_truth(level), level) for level in levels if level is not None]
    said = dict(named)
    if not unknown or None in truths.values() or None in said or len(said) < len(named):
        return values, {}
    respelled = {v: said[truths[v]] for v in unknown if truths[v] in said}
    return pd.Series([respelled.get(v, v) for v in values.tolist()], dtype=object), respelled


def _respelled_note(spec: FeatureSpec, respelled: dict[str, str]) -> Note | None:
    if not respelled:
        return None
    pairs = ", ".join(f"{value!r} as {level!r}" for value, level in sorted(respelled.items()))
    other = "the rules name its values" if spec.kind == "member" else "the model's data wrote it"
    text = f"column {spec.column!r} writes its flag in other words than {other}: read {pairs}, the same truth"
    return Note("table", text, spec.column)


def _bools_as_numbers(series: pd.Series) -> np.ndarray | None:
    """1 and 0 for a text column of ``true`` and ``false`` (in any case), as pandas reads a bool
    column; None for any other column."""
    if not is_text(series):
        return None
    known = series.dropna()
    if not len(known) or str(known.iloc[0]).strip().casefold() not in ("true", "false"):
        return None  # the first cell says no: a column of numbers is not read twice
    words = known.astype(str).str.strip().str.casefold()
    if not len(words) or not words.isin(("true", "false")).all():
        return None
    out = np.full(len(series), np.nan)
    out[series.notna().to_numpy()] = (words == "true").to_numpy(dtype=np.float64)
    return out


def _durations(series: pd.Series, spec: FeatureSpec, lines=None) -> np.ndarray:
    """A column of durations in seconds, as the training column's (any hour, 09:30:00 too)."""
    seconds = read_durations(series, known=True)
    if seconds is not None:
        return seconds
    cells = without_placeholders(series).reset_index(drop=True).dropna()
    row = next(
        (i for i, cell in cells.items() if read_durations(pd.Series([str(cell)]), known=True) is None),
        int(cells.index[0]) if len(cells) else 0,
    )
    raise DataError(
        f"column {spec.column!r} holds {str(series.iloc[row])[:40]!r} at {_where(row, lines)}, which is no "
        "duration; the model reads it as a duration in seconds: write it as 0 days 00:22:41 or 26:03:10, "
        "or leave the cell empty (filled as a missing value)"
    )


@dataclass(frozen=True)
class Encoded:
    """One feature's values (NaN where missing), what to say about them, and for a timestamp's
    part, the column's timestamps."""

    values: np.ndarray
    note: Note | None = None
    times: pd.Series | None = None
    dated: tuple[int, int] | None = None  # an hour: the cells holding a date, and those with a time of day


#: A time of day as written after a date (``14:05``, ``2:15 PM``).
_CLOCK = re.compile(r"\d:\d\d")


def _time_of_day(series: pd.Series, reading: TimeReading) -> tuple[int, int]:
    """The cells holding a date, and those of them with a time of day: written (text), or
    other than midnight (timestamps); a date alone (``2024-03-08``, Parquet's date) has none.

    >>> cells = pd.Series(["2024-03-08", "2024-03-09 00:00", None])
    >>> _time_of_day(cells, parse_timestamps(cells)), _time_of_day(cells[:1], parse_timestamps(cells[:1]))
    ((2, 1), (1, 0))
    """
    known = reading.times.notna().to_numpy()
    if reading.clock:
        return int(known.sum()), int(known.sum())
    if pd.api.types.is_datetime64_any_dtype(series):
        timed = (reading.times != reading.times.dt.normalize()).to_numpy()
    else:
        timed = series.reset_index(drop=True).astype(str).str.contains(_CLOCK).to_numpy()
    return int(known.sum()), int((known & timed).sum())


def no_time_of_day(spec: FeatureSpec, dates: int, reader: str = "the model") -> Note:
    """The note for a column of dates alone whose hour ``reader`` reads: every row is at hour 0.

    >>> no_time_of_day(FeatureSpec("ts.hour", "ts", "part", part="hour"), 3).text
    "column 'ts' holds dates without a time of day (3 of them), while the model reads their hour..."
    """
    text = (
        f"column {spec.column!r} holds dates without a time of day ({dates:,} of them), while {reader} "
        f"reads their hour ({spec.name}): every row is read at hour 0, which shifts its score. Give the "
        "time of day too (as 2024-03-08 14:05)"
    )
    return Note("table", text, spec.column)


def _unseen_note(spec: FeatureSpec, unseen: pd.Series) -> Note | None:
    if unseen.empty:
        return None
    names = ["(missing)" if v is None else repr(v) for v in dict.fromkeys(unseen.tolist())]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    rows = f"{len(unseen):,} row{'s' if len(unseen) > 1 else ''}"
    text = (
        f"column {spec.column!r}: {rows} hold a category the model's data never had ({shown}): "
        "share 0, encoded as rarer than any value it had"
    )
    return Note("unseen", text, spec.column, f"{spec.column!r} ({shown})")


def _not_timestamps(series: pd.Series, spec: FeatureSpec, reading: TimeReading | None, lines=None) -> str:
    if reading is not None and reading.ambiguous is not None:
        row, cell = reading.ambiguous
        return (
            f"column {spec.column!r} holds {cell!r} at row {row}, whose day and month cannot be told apart; "
            "write the dates as 2024-04-03 (year, month, day)"
        )
    row = _first_not_time(series, spec.order)
    if row is None:  # no single cell to blame
        cell = next((str(v) for v in series.dropna().head(1)), "nothing")
        return (
            f"column {spec.column!r} does not hold timestamps throughout (it starts with {cell[:40]!r}); "
            "the model "
            f"reads its {spec.part} ({spec.name}): give the rows a column of dates and times, such as "
            "2024-03-01 14:05"
        )
    return (
        f"column {spec.column!r} holds {str(series.iloc[row])[:40]!r} at {_where(row, lines)}, which is "
        f"no date and time; the model reads its {spec.part} ({spec.name}): write a date and time there, "
        "such as 2024-03-01 14:05, or leave the cell empty (filled as a missing value)"
    )


def _first_not_time(series: pd.Series, order: str | None) -> int | None:
    """The position of the first cell that is no timestamp when the column as a whole is not,
    found by halving (parsing about twice the cells in all); None when every cell alone is one.

    >>> _first_not_time(pd.Series(["2024-03-01", None, "2024-03-02", "garbage", "x"]), None)
    3
    """
    cells = series.reset_index(drop=True).dropna()
    lo, hi = 0, len(cells)
    if hi == 0 or _times(cells, order):
        return None
    while hi - lo > 1:  # a cell that is no timestamp lies in cells[lo:hi]
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if not _times(cells.iloc[lo:mid], order) else (mid, hi)
    return None if _times(cells.iloc[lo : lo + 1], order) else int(cells.index[lo])


def _times(cells: pd.Series, order: str | None) -> bool:
    reading = parse_timestamps(cells, order=order)
    return reading is not None and reading.times is not None


# ----------------------------------------------------------------------------- what a column is


@dataclass(frozen=True)
class Column:
    """What a table column is, read once.

    ``role`` is ``number``, ``category``, ``timestamp`` (features by default) or ``context``
    (shown beside the rows: ``note`` says why); ``answer`` marks a column that looks like a
    ground truth, which a card never shows.
    """

    name: str
    role: str
    note: Note | None = None
    numbers: NumberReading | None = None
    times: TimeReading | None = None
    answer: bool = False


def classify(name: str, series: pd.Series, lines=None, *, decimal: str | None = None) -> Column:
    """What the column ``name`` is (see the module notes); reads its cells once. ``decimal``: the
    decimal separator when the column's cells do not show it (the table's).

    Raises
    ------
    DataError
        For a column of numbers a cell of which reads two ways (``70,933``).

    Examples
    --------
    >>> [classify(name, pd.Series(cells)).role for name, cells in [("amount", ["$3.50", "$12"]),
    ...  ("shop", ["atm", "atm", "fuel", "atm"]), ("txn", ["T1", "T2", "T3"]), ("at", ["2024-03-01 10:00"])]]
    ['number', 'category', 'context', 'timestamp']
    >>> classify("is_fraud", pd.Series([0, 1, 0])).answer
    True
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        return Column(name, "timestamp", times=parse_timestamps(series))
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        return _numeric(name, read_numbers(series, name, lines))
    seconds = read_durations(series)
    if seconds is not None:  # 0 days 00:22:41, 26:03:10
        return _numeric(name, _seconds(series.reset_index(drop=True), seconds))
    if zero_padded(without_placeholders(series)) is not None:  # codes (a ZIP code 02134): text
        return _text(name, series, int(without_placeholders(series).notna().sum()), lines)
    numbers = read_numbers(series, name, lines, decimal=decimal)
    if numbers.stray is None:
        return _numeric(name, numbers)
    known = int(without_placeholders(series).notna().sum())
    if numbers.n_stray * 2 <= known:  # mostly numbers: a cell to fix, not a text column
        cell = str(series.iloc[numbers.stray])[:40]
        text = (
            f"column {name!r} is numeric but row {numbers.stray} holds {cell!r}: left out of the features; "
            "fix that value (or make it an empty cell) to use the column"
        )
        return Column(
            name, "context", Note("stray", text, name, f"{name!r} (row {numbers.stray} holds {cell!r})")
        )
    return _text(name, series, known, lines)


def _numeric(name: str, numbers: NumberReading) -> Column:
    known = numbers.values[~np.isnan(numbers.values)]
    whole = bool(len(known)) and bool((known == np.round(known)).all())
    why = _identifies(name, known) if whole else None
    if why is not None:
        text = (
            f"column {name!r} looks like an identifier ({why}): left out of the features, shown beside the "
            "rows; choose it among the features to use it"
        )
        return Column(name, "context", Note("identifier", text, name), numbers)
    if _truth_words(name) and len(known) and bool(np.isin(known, (0, 1)).all()):
        return Column(name, "context", _answer_note(name, "0/1, named like one"), numbers, answer=True)
    beyond = _out_of_range(name, numbers.values)
    if beyond is not None:
        return Column(name, "context", beyond, numbers)
    return Column(name, "number", numbers.note(name), numbers)


def _out_of_range(name: str, values: np.ndarray) -> Note | None:
    """The note that leaves out a column the forest cannot hold (an infinite value, or a magnitude
    beyond float32, which its trees would make infinite), or None; named among the features, the
    column is refused instead, naming the cell.

    >>> print(_out_of_range("huge", np.array([1.0, -1e300])).text)
    column 'huge' holds -1e+300 at row 1, beyond ±3.4e+38, the largest magnitude the isolation forest \
can hold: left out of the features, shown beside the rows; rescale it (divide it by a power of ten, \
or take its logarithm) to use it
    >>> _out_of_range("amount", np.array([1.0, np.nan])) is None
    True
    """
    bad = np.isinf(values) | (np.abs(values) > FLOAT32_MAX)
    if not bad.any():
        return None
    row = int(np.flatnonzero(bad)[0])
    fix = (
        "replace the infinite values"
        if np.isinf(values[row])
        else "rescale it (divide it by a power of ten, or take its logarithm)"
    )
    text = (
        f"column {name!r} holds {values[row]:g} at row {row}, beyond ±{FLOAT32_MAX:.3g}, the largest "
        f"magnitude the isolation forest can hold: left out of the features, shown beside the rows; {fix} "
        "to use it"
    )
    return Note("out_of_range", text, name, f"{name!r} (row {row} holds {values[row]:g})")


def _identifies(name: str, known: np.ndarray) -> str | None:
    """Why a column of whole numbers identifies rows rather than measures them, or None.

    Named like an identifier; named like a number (``invoice_number``) with nearly every value
    its own; a different value in every row, in a run as row numbers are (``2987000 + i``: its
    ends would look isolated); or numbers of 16 digits and more (a card number), which no
    measurement holds and a float cannot hold exactly.
    """
    if named_like_id(name):
        return "named like one, whole numbers"
    n, distinct = len(known), len(np.unique(known))
    if last_word(name) in NUMBER_WORDS and distinct > 0.9 * n:
        return "named like one, nearly every row its own whole number"
    if n >= 100 and distinct == n and known.max() - known.min() < 2 * n:  # a year in 30 rows: a measure
        return "a different whole number in every row, in a run as row numbers are"
    if n >= 20 and distinct > 0.9 * n and np.median(np.abs(known)) >= 1e15:
        return "whole numbers of 16 digits or more, nearly every row its own"
    return None


def _text(name: str, series: pd.Series, known: int, lines) -> Column:
    times = parse_timestamps(series)
    if times is not None and times.times is not None:
        return Column(name, "timestamp", times=times)
    if times is not None:
        _, cell = times.ambiguous
        text = (
            f"column {name!r} holds dates such as {cell!r}, whose day and month cannot be told apart: left "
            "out of the features; write them as 2024-04-03 (year, month, day) to use their hour, weekday "
            "and month"
        )
        return Column(name, "context", Note("ambiguous_dates", text, name, f"{name!r} ({cell!r})"))
    stray = _stray_date(series)
    if stray is not None:
        row, cell = stray
        text = (
            f"column {name!r} holds dates, but {located(row, lines)} holds {cell!r}: left out of the "
            "features; fix that value (or make it an empty cell) to use its hour, weekday and month"
        )
        return Column(name, "context", Note("stray_date", text, name, f"{name!r} (row {row} holds {cell!r})"))
    values = category_values(series)
    different = int(values.nunique())
    distinct = set(values.dropna().str.strip().str.lower()) if different <= len(_LABEL_WORDS) else set()
    if distinct and distinct <= _LABEL_WORDS:
        return Column(
            name,
            "context",
            _answer_note(name, "its values are " + " and ".join(sorted(distinct))),
            answer=True,
        )
    if _truth_words(name) and len(distinct) == 2:
        return Column(name, "context", _answer_note(name, "two values, named like one"), answer=True)
    if named_like_id(name):
        text = (
            f"column {name!r} looks like an identifier (named like one): left out of the features, shown "
            "beside the rows"
        )
        return Column(name, "context", Note("identifier", text, name))
    if different == 1 and known > 1:
        cell = str(values.dropna().iloc[0])[:40]
        text = (
            f"column {name!r} holds the same text in every row ({cell!r}): left out of the features, "
            "shown beside the rows"
        )
        return Column(name, "context", Note("same_text", text, name))
    if known > 1 and different > MOSTLY_UNIQUE * known:
        how = (
            "a different value in every row"
            if different == known
            else f"{different:,} different values in {known:,} rows"
        )
        text = (
            f"column {name!r} holds {how}, as an identifier or free text does: left out of the features, "
            "shown beside the rows; choose it among the features to use it as a category"
        )
        return Column(name, "context", Note("unique_text", text, name, f"{name!r} ({different:,} values)"))
    return Column(name, "category")


#: Label words that name a ground truth's values whatever the column's name (not 0/1, true/false or
#: yes/no, which many measurements and answers hold too).
_LABEL_WORDS = {word for word in ANOMALY_WORDS + NOMINAL_WORDS if word.isalpha()} - {
    "true",
    "false",
    *ANSWER_WORDS,
}


def _truth_words(name: str) -> bool:
    return bool(name_words(name) & TRUTH_WORDS)


def _answer_note(name: str, why: str) -> Note:
    text = (
        f"column {name!r} looks like a ground truth ({why}): left out of the features "
        "and never shown on the cards; choose it as the ground-truth column to evaluate with it, or among "
        "the features to use it"
    )
    return Note("answer", text, name)


# ----------------------------------------------------------------------------- a whole table


@dataclass
class EncodedTable:
    """A table's features (values with NaN where missing, filled later), and where the rest went.

    ``sources`` are the columns behind features that are not plain numbers (categories,
    timestamps, numbers written with units...), kept as written to show to people (a
    timestamp column as its timestamps, in ``times``);
    ``context`` the columns that are no feature; ``answers`` those of them that look like a
    ground truth.
    """

    specs: list[FeatureSpec] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    times: dict[str, pd.Series] = field(default_factory=dict)
    answers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Feature:
    """A feature chosen from a column: its spec, values, the note on it, and whether its column is
    kept as written."""

    spec: FeatureSpec
    values: np.ndarray
    note: Note | None = None
    source: bool = False


class _Reader:
    """Reads each column of a table once, on demand."""

    def __init__(self, frame: pd.DataFrame, label: str | None, lines, others: Sequence[str]) -> None:
        self.frame, self.label, self.lines, self.others = frame, label, lines, set(others)
        self.read: dict[str, Column] = {}
        self.categories: set[str] = set()  # columns read as categories, as asked
        self._own: dict[str, Column | None] = {}  # each column read on its own (None: unreadable)

    def __call__(self, name: str) -> Column:
        if name not in self.read:
            self.read[name] = _other_truth(name, self.label) if name in self.others else self._column(name)
        return self.read[name]

    def _column(self, name: str) -> Column:
        """The column, its dots read as thousands separators when its cells cannot tell (1.234)
        and the table's other number columns write decimal commas only (a German export); when
        they write both, a note says the dots were read as decimal points."""
        column = self._own.get(name) or classify(name, self.frame[name], self.lines)
        self._own[name] = column
        if column.role != "number" or not column.numbers.undecided:
            return column
        shown = self._decimals()
        commas = [c for c, mark in shown.items() if mark == ","]
        if not commas:  # nothing in the table says: read as written, and said
            cell = self._dotted(name)
            text = (
                f"column {name!r} holds cells such as {cell!r}, read with a decimal point "
                f"({float(re.sub(r'[^0-9.]', '', cell)):g}): nothing in the table says whether its dots "
                "separate thousands; if they do, save the column without them"
            )
            said = text if column.note is None else f"{column.note.text}; {text.split(': ', 1)[1]}"
            return replace(column, note=Note("table", said, name))
        listed = ", ".join(map(repr, commas[:2]))
        if len(commas) < len(shown):  # decimal points elsewhere too: read as written, and said
            cell = self._dotted(name)
            text = (
                f"column {name!r} holds cells such as {cell!r}, read with a decimal point, in a "
                f"table that also writes decimal commas ({listed}); if its dots separate thousands, save "
                "the table with one number format"
            )
            return replace(column, note=Note("table", text, name))
        column = classify(name, self.frame[name], self.lines, decimal=",")
        why = f"; the table writes decimal commas ({listed}), so its dots separate thousands"
        if column.note is None:
            return column
        return replace(column, note=replace(column.note, text=column.note.text + why))

    def _dotted(self, name: str) -> str:
        """A cell of column ``name`` such as ``1.234``, as written."""
        cells = self.frame[name].dropna().astype(str)
        return next((c for c in cells if re.search(r"\d\.\d{3}(?!\d)", c)), cells.iloc[0]).strip()

    def _decimals(self) -> dict[str, str]:
        """The decimal separator each other text column's cells show, where they show one."""
        shown: dict[str, str] = {}
        for other in self.frame.columns:
            if other == self.label or other in self.others or not is_text(self.frame[other]):
                continue
            if other not in self._own:
                try:
                    self._own[other] = classify(other, self.frame[other], self.lines)
                except DataError:
                    self._own[other] = None
            read = self._own[other]
            if read is not None and read.numbers is not None and read.numbers.decimal is not None:
                shown[other] = read.numbers.decimal
        return shown


def encode_table(
    frame: pd.DataFrame,
    *,
    label: str | None,
    features: Sequence[str] | None = None,
    lines=None,
    others: Sequence[str] = (),
    categories: Sequence[str] = (),
) -> EncodedTable:
    """Every column of ``frame`` but ``label`` as features or context (see the module notes).

    ``features`` names the features instead, in order: columns (a timestamp column gives its
    parts that vary) or parts (``ts.hour``). ``others`` are further columns named like a
    ground truth. ``categories`` are columns read as categories whatever they hold (codes
    written as numbers: an HTTP status, a ZIP code, a port), each value as written (``404``).

    Raises
    ------
    DataError
        For a feature that does not exist or cannot be read, or a column of numbers a cell of
        which reads two ways.

    Examples
    --------
    >>> at = ["2024-03-01 10:00", "2024-03-02 11:00", "2024-03-03 12:00", "2024-03-04 09:00"]
    >>> table = pd.DataFrame(
    ...     {"id": [1, 2, 3, 4], "shop": ["atm", "atm", "fuel", "atm"], "is_fraud": [0, 0, 1, 0], "at": at}
    ... )
    >>> encoded = encode_table(table, label=None)
    >>> [spec.name for spec in encoded.specs], encoded.context, encoded.answers
    (['shop', 'at.hour', 'at.weekday'], ['id', 'is_fraud'], ['is_fraud'])
    >>> [spec.name for spec in encode_table(table, label=None, features=["at.hour", "id"]).specs]
    ['at.hour', 'id']
    """
    reader = _Reader(frame, label, lines, others)
    reader.categories = set(categories)
    columns = [name for name in frame.columns if name != label]
    chosen = _auto(reader, columns) if features is None else _forced(reader, features)
    out = EncodedTable(specs=[f.spec for f in chosen], values=[f.values for f in chosen])
    per_column: dict[str, list[_Feature]] = {}
    for f in chosen:
        per_column.setdefault(f.spec.column, []).append(f)
    for name in columns:
        mine = per_column.get(name, [])
        if mine:
            out.notes += [note for note in dict.fromkeys(f.note for f in mine) if note is not None]
            out.sources += [name] if any(f.source for f in mine) else []
            if mine[0].spec.kind == "part":
                if not reader(name).times.clock:  # a time of day alone: its source is as written
                    out.times[name] = reader(name).times.times
            continue
        out.context.append(name)
        described = reader(name)
        if described.role == "context" and described.note is not None:
            out.notes.append(described.note)
        if described.answer:
            out.answers.append(name)
    return out


def _other_truth(name: str, label: str | None) -> Column:
    if label is None:  # the column named like a truth that could not be read as one: its own note says so
        return Column(name, "context", None, answer=True)
    text = (
        f"column {name!r} is named like a ground-truth column (the ground truth is {label!r}): left out of "
        "the features; name it among the features to use it"
    )
    return Column(name, "context", Note("other_truth", text, name), answer=True)


def _auto(reader: _Reader, columns: list[str]) -> list[_Feature]:
    chosen: list[_Feature] = []
    for name in columns:
        if name in reader.categories:
            chosen.append(_category(name, reader.frame[name], asked=True))
            continue
        described = reader(name)
        if described.role == "number":
            chosen.append(_number(described))
        elif described.role == "category":
            chosen.append(_category(name, reader.frame[name]))
        elif described.role == "timestamp":
            parts = _parts(described, reader.frame.columns, vary=True)
            if not parts:  # one moment in every row: nothing recurs
                text = (
                    f"column {name!r} holds timestamps whose hour, weekday and month are the same in every "
                    "row: left out of the features"
                )
                reader.read[name] = Column(name, "context", Note("dates", text, name))
            chosen += parts
    return chosen


def _forced(reader: _Reader, features: Sequence[str]) -> list[_Feature]:
    chosen: list[_Feature] = []
    frame = reader.frame
    for given in features:
        name = column_named(frame, str(given))
        if name == reader.label:
            raise DataError(f"column {name!r} cannot be both the label column and a feature")
        if name in reader.categories:
            picked = [_category(name, frame[name], asked=True)]
        elif name in frame.columns:
            picked = _as_feature(reader(name), frame[name], frame.columns, reader.lines)
        else:
            picked = [_part(reader, str(given))]
        twice = {f.spec.name for f in picked} & {f.spec.name for f in chosen}
        if twice:
            raise DataError(f"feature {sorted(twice)[0]!r} is named twice; name each feature once")
        chosen += picked
    return chosen


def _as_feature(described: Column, series: pd.Series, columns, lines) -> list[_Feature]:
    """A column chosen as a feature, whatever it is by default."""
    name = described.name
    if described.role == "timestamp":
        return _parts(described, columns, vary=True) or _parts(described, columns, vary=False)
    if described.note is not None and described.note.kind == "ambiguous_dates":
        raise DataError(described.note.text.split(": left out")[0] + "; write them as 2024-04-03 to use them")
    if described.note is not None and described.note.kind == "stray":
        read_numbers(series, name, lines, raise_stray=True)  # raises, naming the cell
    if described.note is not None and described.note.kind == "stray_date":
        raise DataError(
            described.note.text.split(": left out")[0] + "; fix that value (or empty it) to use it"
        )
    if described.numbers is not None and described.numbers.stray is None:
        return [_number(described)]
    return [_category(name, series)]


def _part(reader: _Reader, given: str) -> _Feature:
    base, _, part = given.rpartition(".")
    column = column_named(reader.frame, base) if base else base
    if part not in PARTS or column not in reader.frame.columns:
        columns = ", ".join(map(repr, reader.frame.columns[:20])) + (
            ", ..." if reader.frame.shape[1] > 20 else ""
        )
        raise DataError(f"there is no column {given!r} to use as a feature; the columns are {columns}")
    described = reader(column)
    if described.role != "timestamp":
        raise DataError(
            f"column {column!r} does not hold timestamps, so it has no {part}; choose {column!r} itself, "
            "or write its values as dates and times (2024-03-01 14:05)"
        )
    return next(f for f in _parts(described, reader.frame.columns, vary=False) if f.spec.part == part)


def _number(described: Column) -> _Feature:
    values = described.numbers.values
    known = values[~np.isnan(values)]
    whole = bool(len(known)) and bool((known == np.round(known)).all())
    spec = FeatureSpec(
        described.name,
        described.name,
        "integer" if whole else "number",
        decimal=described.numbers.decimal,
        duration=described.numbers.duration,
    )
    format_note = described.numbers.note(described.name)
    note = described.note if described.role == "number" else format_note  # chosen: no "left out" note
    return _Feature(spec, values, note, format_note is not None)


def _category(name: str, series: pd.Series, *, asked: bool = False) -> _Feature:
    values = category_values(series)
    levels = learn_levels(values)
    spec = FeatureSpec(name, name, "category", levels=levels, rows=len(values))
    rarest, count = levels[-1]
    # a note is read on a screen: a 300-character value cut as the rules cut it (aad.terms)
    shown = "(missing)" if rarest is None else repr(rarest if len(rarest) <= 40 else rarest[:39] + "…")
    code = zero_padded(without_placeholders(series))
    written = f"holds codes written with leading zeros ({code!r}), read as text: it " if code else ""
    if asked:
        written = "is read as a category, as asked (its values as written, not as numbers): it "
    text = (
        f"column {name!r} {written}is a category of {len(levels):,} values (the rarest, {shown}, in "
        f"{count:,} row{'s' if count != 1 else ''}): each value encoded as its rarity (one row in how "
        "many holds it), so a rare value is an extreme one"
    )
    kind = "asked_category" if asked else "category"  # grouped apart: these are numbers, not text
    note = Note(kind, text, name, f"{name!r} ({len(levels):,} values)")
    return _Feature(spec, encode(series, spec).values, note, True)


def _parts(described: Column, columns, *, vary: bool) -> list[_Feature]:
    """A timestamp column's parts as features (with ``vary``, those that vary)."""
    name, times = described.name, described.times.times
    picked = []
    for part in PARTS:
        derived = f"{name}.{part}"
        if derived in columns:
            raise DataError(
                f"column {derived!r} has the name aad gives the {part} of timestamp column {name!r}; "
                "rename one of the two columns"
            )
        values = timestamp_part(times, part)
        known = values[~np.isnan(values)]
        if not vary or (len(known) and known.min() < known.max()):
            zone = described.times.zone
            spec = FeatureSpec(derived, name, "part", part=part, order=described.times.order, zone=zone)
            picked.append((spec, values))
    if not picked:
        return []
    parts = [spec.part for spec, _ in picked]
    text = (
        f"column {name!r} holds timestamps: its {_joined(parts)} "
        f"{'is a feature' if len(picked) == 1 else 'are features'} "
        f"({', '.join(spec.name for spec, _ in picked)})"
    )
    note = Note("timestamp", text, name, f"{name!r} ({', '.join(spec.part for spec, _ in picked)})")
    return [_Feature(spec, values, note, True) for spec, values in picked]


def _joined(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[-1] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
