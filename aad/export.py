"""Exports of rules: canonical JSON, SQL, pandas query, CSV and Markdown, from the same objects.

A row is selected when **any** rule covers it, and a rule covers a row when **all** its
tests hold. Each rule is written as tests on the table's columns (:mod:`aad.terms`), which
select exactly the rows of the training table the rule object selects on its features:
``amount > 2.5`` for a number, ``failed_pin_attempts >= 2`` for a whole number,
``EXTRACT(HOUR FROM "timestamp") >= 1`` for a timestamp's part, ``"merchant_category" IN
('atm_withdrawal')`` for a category.

A test on a missing value is false, so a row with a missing value in a tested column is
not covered, unless a category test names ``(missing)`` (``null`` in JSON, ``IS NULL`` in
SQL). The formats keep this meaning exactly: NaN comparisons are false in numpy and pandas;
in SQL a comparison with NULL is unknown, which a ``WHERE`` clause does not select. (Load
missing values as NULL: DuckDB and PostgreSQL sort a floating-point NaN above every
number.)

Thresholds round-trip exactly: JSON, CSV and pandas carry ``repr(float)``; SQL carries
approximate-numeric literals with 17 significant digits (``2.5000000000000000e+00``),
which every engine reads as a double (some SQLite versions misread shortest-form literals,
and DuckDB reads plain decimals as DECIMAL). Whole-number bounds are written as integers.

SQL and pandas compare numbers as numbers and a timestamp's part as a date's: run them on
the table with a number column's numbers (``$1,234.50`` as 1234.5) and its timestamps as
dates, as a database stores them, or as aad reads them (``aad.load_data(FILE).table()``;
``pd.read_csv(FILE, parse_dates=[column])`` for a file of plain numbers). A timestamp's
part is ``EXTRACT(HOUR | ISODOW | MONTH FROM column)`` in SQL (DuckDB and PostgreSQL;
SQLite has no ``EXTRACT``), ``column.dt.hour`` in pandas, with the clock time as written.

SQL identifiers are always double-quoted with embedded quotes doubled, so any column name
is safe (names must not be empty or contain NUL; SQLite and DuckDB compare column names
case-insensitively); text values are single-quoted the same way. pandas names are
backtick-quoted; pandas cannot quote a name with a backtick, a control character or a
character that Python identifiers normalise away, and such a name raises
:class:`~aad.errors.DataError`.

JSON documents whose tests are all ``<=`` and ``>`` on plain columns are ``aad-rules/1``;
with whole-number bounds (``>=``), a timestamp's parts or categories (``in``, ``not in``),
``aad-rules/2``. Both are read back by :func:`read_rules`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from .describe import DescribedRule, Description
from .encoding import PARTS, FeatureSpec
from .errors import DataError
from .labels import DIRECTION_CONTROLS
from .rules import Predicate, Rule, default_feature_names
from .tables import first_repeated, from_spreadsheet_safe, spreadsheet_safe
from .terms import ColumnTest, rule_tests, rule_text

__all__ = [
    "FORMATS",
    "SCHEMA",
    "SCHEMAS",
    "export_notes",
    "export_rules",
    "numbers_from_text",
    "read_rules",
    "rule_columns",
    "rule_features",
]

SCHEMA = "aad-rules/1"
#: The schemas :func:`read_rules` reads: /1 (thresholds on plain columns), /2 (also whole
#: numbers, timestamp parts and categories).
SCHEMAS = ("aad-rules/1", "aad-rules/2")
FORMATS = ("json", "sql", "pandas", "csv", "markdown")
#: Per rule: rows it selects, labelled anomalies and nominals among them, rows nobody labelled
#: (where the rule is unproven), and precision on the labels (anomalies / labelled rows).
_STATS = ("support", "anomalies", "nominals", "unlabelled", "precision")
_CSV_COLUMNS = ("rule", "feature", "op", "value", *_STATS)
#: The operators of exported tests: thresholds, a whole-number lower bound, category lists.
_OPS = ("<=", ">", ">=", "in", "not in")
#: SQL's name for each timestamp part.
_SQL_PARTS = {"hour": "HOUR", "weekday": "ISODOW", "month": "MONTH"}
_PANDAS_PARTS = {"hour": "{}.dt.hour", "weekday": "({}.dt.day_of_week + 1)", "month": "{}.dt.month"}
#: The unit of a duration's bounds in exported tests.
_SECONDS = "seconds"


def export_rules(
    description_or_rules,
    fmt: str,
    *,
    feature_names: Sequence[str] | None = None,
    provenance: dict | None = None,
    encoding: Sequence[FeatureSpec] | None = None,
) -> str:
    """Write rules as text in one of :data:`FORMATS`.

    Parameters
    ----------
    description_or_rules : Description, a Rule, or a sequence of DescribedRule or Rule
    fmt : {"json", "sql", "pandas", "csv", "markdown"}
        ``json``: the canonical ``aad-rules`` document; ``sql``: a boolean expression for
        a ``WHERE`` clause; ``pandas``: a :meth:`pandas.DataFrame.query` string; ``csv``: one
        row per test; ``markdown``: a table for people.
    feature_names : sequence of str, optional
        Column names (default: the description's, else ``x0, x1, ...``).
    provenance : dict, optional
        Where the rules come from (default: the description's); in JSON and Markdown.
    encoding : sequence of FeatureSpec, optional
        How each feature is made from the table's columns (default: the description's, from
        its dataset; else every feature a plain number column): categories, timestamp parts
        and whole numbers are written as tests on their columns.

    Returns
    -------
    str

    Raises
    ------
    DataError
        For an unknown format, or a column name or value the format cannot quote.

    Examples
    --------
    >>> rules = [Rule([Predicate(0, ">", 2.5)]), Rule([Predicate(1, "<=", -1.0), Predicate(0, "<=", 0.0)])]
    >>> print(export_rules(rules, "sql", feature_names=["amount", "select"]))
    ("amount" > 2.5000000000000000e+00)
    OR ("amount" <= 0.0000000000000000e+00 AND "select" <= -1.0000000000000000e+00)
    >>> export_rules(rules, "pandas", feature_names=["amount", "select"])
    '(`amount` > 2.5) or (`amount` <= 0.0 and `select` <= -1.0)'

    A rule on a category's rarest values (the rows of ``atm``, seen once) takes a value the table
    never had, as the model does (it reads such a value as rarer than any): the export lists the
    values it leaves out, so a new merchant, or a missing one, is selected too:

    >>> category = FeatureSpec("merchant", "merchant", "category", levels=(("shop", 3), ("atm", 1)), rows=4)
    >>> print(export_rules([Rule([Predicate(0, ">", 2.0)])], "sql", encoding=[category]))
    (("merchant" NOT IN ('shop') OR "merchant" IS NULL))
    """
    items, specs, provenance = _normalise(description_or_rules, feature_names, provenance, encoding)
    writers = {"json": _json, "sql": _sql, "pandas": _pandas, "csv": _csv, "markdown": _markdown}
    if fmt not in writers:
        raise DataError(f"unknown rule format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](items, specs, provenance)


def export_notes(
    description_or_rules,
    fmt: str,
    *,
    feature_names: Sequence[str] | None = None,
    encoding: Sequence[FeatureSpec] | None = None,
) -> tuple[str, ...]:
    """What a reader of the rules exported as ``fmt`` should know that the text cannot say.

    For SQL: a tested timestamp column written with several UTC offsets, whose parts the SQL
    reads in the session's time zone (the SQL carries this as a comment too), and a tested
    duration, which the SQL compares with an ``INTERVAL``. The arguments are
    :func:`export_rules`'s.

    Examples
    --------
    >>> duration = FeatureSpec("call", "call", "integer", duration=True)
    >>> print(export_notes([Rule([Predicate(0, ">", 3030.5)])], "sql", encoding=[duration])[0])
    column 'call' is a duration, compared with an INTERVAL in the SQL: ...to_microseconds("call")...
    """
    items, specs, _ = _normalise(description_or_rules, feature_names, None, encoding)
    if fmt != "sql":
        return ()
    groups = _predicates(items, specs)
    zones = {spec.column: spec.zone for spec in specs if spec.kind == "part" and spec.zone is not None}
    durations = dict.fromkeys(entry["feature"] for group in groups for entry in group if "unit" in entry)
    return (*_zone_notes(groups, zones), *(_duration_text(column) for column in durations))


def _duration_text(column: str) -> str:
    name = _sql_name(column)
    return (
        f"column {column!r} is a duration, compared with an INTERVAL in the SQL: store it as one (DuckDB: "
        f"read_csv(..., types = {{{_sql_text(column)}: 'INTERVAL'}})); a Parquet file holds it as whole "
        f"microseconds, which DuckDB's read_parquet reads as BIGINT: make it an interval first "
        f"(SELECT * REPLACE (to_microseconds({name}) AS {name}) FROM read_parquet(...))"
    )


def read_rules(text: str | bytes, fmt: str, *, feature_names: Sequence[str] | None = None) -> list[Rule]:
    """Read rules back from their ``json`` or ``csv`` export.

    ``text`` may be bytes (UTF-8) and start with a byte-order mark; a CSV may use ``;``.
    The rules test the features :func:`rule_features` lists, in its order: evaluate them
    with ``load_rows(DATA, columns=rule_features(text, fmt))``, which makes those features
    from a table's columns. For rules testing plain columns only (``aad-rules/1``), feature
    ``j`` may instead be ``feature_names[j]``, so that ``rule.mask(df[names])`` evaluates
    them on a DataFrame by name.

    Examples
    --------
    >>> rules = [Rule([Predicate(1, ">", 0.1)])]
    >>> read_rules(export_rules(rules, "json", feature_names=["a", "b"]), "json", feature_names=["a", "b"])
    [Rule(predicates=(Predicate(feature=1, op='>', threshold=0.1),))]
    """
    groups = _groups(text, fmt)
    if feature_names is None:
        index = {spec.name: j for j, spec in enumerate(_features(groups))}
        return [Rule(_predicate(index, entry, by_spec=True) for entry in group) for group in groups]
    index = {str(name): j for j, name in enumerate(feature_names)}
    return [Rule(_predicate(index, entry, by_spec=False) for entry in group) for group in groups]


def rule_features(text: str | bytes, fmt: str) -> tuple[FeatureSpec, ...]:
    """The features the rules of a ``json`` or ``csv`` export test, in first-seen order.

    A number column is a ``number`` feature, a timestamp's part a ``part``, and each list of
    categories a ``member`` feature (1 where the column's value is listed).

    Examples
    --------
    >>> spec = FeatureSpec("c", "c", "category", levels=(("shop", 3), ("atm", 1)), rows=4)
    >>> [(f.name, f.kind) for f in rule_features(export_rules([Rule([Predicate(0, ">", 2.0)])], "json",
    ...     encoding=[spec]), "json")]
    [('c in ["shop"]', 'member')]
    """
    return _features(_groups(text, fmt))


def numbers_from_text(dataset, rules_json: str, formats: Sequence[str]) -> str | None:
    """What to say of the ``sql`` or ``pandas`` export (those of ``formats``) whose rules test
    columns the file writes as text with a unit, a currency or separators (``$2,119.40``,
    ``48.9%``, ``1.234,50 €``): the export compares numbers, which the raw file does not hold (a
    database or ``pd.read_csv`` reads text there, and the comparison fails); the table as aad
    reads it holds them. None when no tested column is such, or for the other formats.

    Parameters
    ----------
    dataset : aad.Dataset
        The table the rules were learned on (its loader's notes say how each column was read).
    rules_json : str
        The rules' ``json`` export.
    formats : sequence of str
        The formats exported.

    Examples
    --------
    The amounts of this table are written in dollars: a rule on them, exported to SQL, needs
    a word of warning; one on the plain column ``items`` does not:

    >>> from aad import dataset_from_frame
    >>> frame = pd.DataFrame({"amount": ["$12.50", "$1,980.00", "$14.00"], "items": [1, 30, 2]})
    >>> data = dataset_from_frame(frame, non_numeric="encode")
    >>> on_amount = export_rules([Rule([Predicate(0, ">", 100.0)])], "json", feature_names=data.feature_names)
    >>> numbers_from_text(data, on_amount, ["sql", "json"])
    "the SQL export compares numbers, which the file writes as text: 'amount' ('$12.50' is 12.5); run it ..."
    >>> on_items = export_rules([Rule([Predicate(1, ">", 10.0)])], "json", feature_names=data.feature_names)
    >>> numbers_from_text(data, on_items, ["sql"]) is None
    True
    """
    named = [{"sql": "SQL", "pandas": "pandas"}[fmt] for fmt in formats if fmt in ("sql", "pandas")]
    tested = set(rule_columns(rules_json, "json"))
    read = [
        n.item for n in getattr(dataset, "note_items", ()) if n.kind == "number_format" and n.column in tested
    ]
    if not named or not read:
        return None
    exports = f"the {' and '.join(named)} export{'s compare' if len(named) > 1 else ' compares'}"
    return (
        f"{exports} numbers, which the file writes as text: {', '.join(read)}; run "
        f"{'them' if len(named) > 1 else 'it'} on the table as aad reads it (aad.load_data(FILE).table(), "
        "or that table written to Parquet for a database), not on the raw file"
    )


def rule_columns(text: str, fmt: str) -> tuple[str, ...]:
    """The table columns the rules of a ``json`` or ``csv`` export test, in first-seen order.

    Examples
    --------
    >>> rules = [Rule([Predicate(1, ">", 0.1), Predicate(0, "<=", 2.0)])]
    >>> rule_columns(export_rules(rules, "json", feature_names=["a", "b"]), "json")
    ('a', 'b')
    """
    return tuple(dict.fromkeys(entry["feature"] for group in _groups(text, fmt) for entry in group))


def _groups(text: str | bytes, fmt: str) -> list[list[dict]]:
    if not isinstance(text, str | bytes):
        raise DataError(f"read_rules takes the rules' text (str or bytes); got {type(text).__name__}")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataError(f"the rules are not UTF-8 text ({err}); export them again") from err
    text = text.removeprefix("\ufeff")  # a byte-order mark, as Windows editors write
    if fmt == "json":
        return _json_groups(text)
    if fmt == "csv":
        return _csv_groups(text)
    raise DataError(f"rules can be read back from json or csv, not {fmt!r}")


# ----------------------------------------------------------------------------- normalising


def _normalise(source, feature_names, provenance, encoding):
    given = encoding
    if isinstance(source, Description):
        items = list(source.rules)
        names = feature_names or source.feature_names
        if given is None and source.encoding and tuple(names) == source.feature_names:
            given = source.encoding
        provenance = source.provenance if provenance is None else provenance
        if source.notes:  # a warning for the reader travels with the rules
            provenance = {**(provenance or {}), "notes": list(source.notes)}
    else:
        try:
            items = [source] if isinstance(source, Rule | DescribedRule) else list(source)
        except TypeError:
            raise DataError(
                f"export_rules takes rules or a description; got {type(source).__name__}"
            ) from None
        names = feature_names
    for item in items:
        if not isinstance(item, Rule | DescribedRule):
            raise DataError(f"export_rules takes rules or a description; got a {type(item).__name__}")
    width = max((max(_rule(i).features, default=-1) for i in items), default=-1) + 1
    if given is not None:
        specs = tuple(given)
    else:
        names = tuple(str(n) for n in (names if names is not None else default_feature_names(width)))
        specs = tuple(FeatureSpec(name, name) for name in names)
    if width > len(specs):
        raise DataError(
            f"the rules test feature {width - 1} but {len(specs)} feature name(s) were given; "
            "pass one name per column of the data"
        )
    twice = first_repeated(spec.name for spec in specs)
    if twice is not None:  # "a" > 5 AND "a" > 1 could not say which column each test is on
        raise DataError(f"feature name {twice!r} is given twice; name each column once")
    return items, specs, provenance


def _rule(item) -> Rule:
    return item.rule if isinstance(item, DescribedRule) else item


def _stats(item) -> dict:
    if not isinstance(item, DescribedRule):
        return {}
    precision = item.precision
    return {
        "support": item.support,
        "anomalies": item.anomalies,
        "nominals": item.nominals,
        "unlabelled": item.support - item.anomalies - item.nominals,
        "precision": None if math.isnan(precision) else precision,
    }


# ----------------------------------------------------------------------------- the tests as predicates


def _entries(test: ColumnTest) -> list[dict]:
    """A test as exported predicates: one per bound, or one listing categories."""
    if test.kind == "category":  # a value the table never had selected as the model scores it
        values, negate = test.for_new_rows()
        return [{"feature": test.column, "op": "not in" if negate else "in", "values": list(values)}]
    part = {} if test.part is None else {"part": test.part}
    unit = {"unit": _SECONDS} if test.duration else {}
    out = []
    if test.low is not None:
        op = ">=" if test.low_inclusive else ">"
        out.append({"feature": test.column, **part, "op": op, "value": _value(test, test.low), **unit})
    if test.high is not None:
        out.append({"feature": test.column, **part, "op": "<=", "value": _value(test, test.high), **unit})
    return out


def _value(test: ColumnTest, value: float):
    whole = test.kind in ("integer", "part") and value.is_integer() and abs(value) < 2.0**53
    return int(value) if whole else value


def _predicates(items, specs) -> list[list[dict]]:
    return [[entry for test in rule_tests(_rule(item), specs) for entry in _entries(test)] for item in items]


def _schema(groups: list[list[dict]]) -> str:
    entries = [entry for group in groups for entry in group]
    extended = any(entry["op"] not in ("<=", ">") or "part" in entry or "unit" in entry for entry in entries)
    return SCHEMAS[1] if extended else SCHEMAS[0]


# ----------------------------------------------------------------------------- formats


def _json(items, specs, provenance) -> str:
    groups = _predicates(items, specs)
    rules = [{"predicates": group, **_stats(item)} for item, group in zip(items, groups, strict=True)]
    document = {"schema": _schema(groups), "rules": rules, "provenance": provenance or {}}
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _sql(items, specs, provenance) -> str:
    if not items:
        return "(1 = 0)"
    zones = {spec.column: spec.zone for spec in specs if spec.kind == "part" and spec.zone is not None}
    terms, groups = [], _predicates(items, specs)
    for group in groups:
        tested = " AND ".join(_sql_entry(entry, zones) for entry in group)
        terms.append("(" + (tested if group else "1 = 1") + ")")
    comments = "".join(f"/* {_sql_comment(note)} */\n" for note in _zone_notes(groups, zones))
    return comments + "\nOR ".join(terms)


def _zone_notes(groups: list[list[dict]], zones: dict[str, str]) -> list[str]:
    """What the SQL cannot say about the tested timestamp columns written with several UTC offsets."""
    tested = dict.fromkeys(entry["feature"] for group in groups for entry in group if "part" in entry)
    return [_zone_text(column, zones[column]) for column in tested if "," in zones.get(column, "")]


def _sql_entry(entry: dict, zones: dict[str, str]) -> str:
    name = _sql_name(entry["feature"])
    if entry["op"] in ("in", "not in"):
        return _sql_categories(name, entry["op"] == "not in", entry["values"])
    if "part" in entry:
        name = f"EXTRACT({_SQL_PARTS[entry['part']]} FROM {_in_zone(name, zones.get(entry['feature']))})"
    value = entry["value"]
    literal = str(value) if isinstance(value, int) else f"{value:.16e}"
    if "unit" in entry:  # a duration: an interval, as the column is stored (PostgreSQL, DuckDB)
        literal = f"INTERVAL '{_seconds_text(value)} seconds'"
    return f"{name} {entry['op']} {literal}"


def _seconds_text(value: float) -> str:
    """Seconds as an interval's text: every digit of the float, no exponent (``1e-05`` is ``0.00001``)."""
    return str(value) if isinstance(value, int) else np.format_float_positional(value, trim="-")


#: One UTC offset, as :attr:`FeatureSpec.zone` writes it.
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


def _in_zone(name: str, zone: str | None) -> str:
    """A timestamp column at the clock time of the zone aad read it in: a zone's name, or one UTC
    offset (the column stored with its zone, ``TIMESTAMP WITH TIME ZONE``; DuckDB, PostgreSQL)."""
    if zone is None or "," in zone:  # none, or several offsets: the session's time zone (said in a comment)
        return name
    offset = _OFFSET.fullmatch(zone)
    if offset is None:
        return f"timezone({_sql_text(zone)}, {name})"
    sign, hours, minutes = offset.groups()
    shift = int(hours) * 60 + int(minutes)
    utc = f"timezone('UTC', {name})"
    return f"({utc} {sign} INTERVAL '{shift} minutes')" if shift else utc


def _zone_text(column: str, zone: str) -> str:
    """What the SQL cannot say about a column written with several UTC offsets."""
    return (
        f"column {column!r} holds times written with several UTC offsets ({zone}), whose parts aad read at "
        "the clock time as written; the SQL reads them in the session's time zone: set it to the zone "
        "they were written in (DuckDB: SET TimeZone = 'Area/City'; PostgreSQL: SET TIME ZONE 'Area/City'), "
        "or select the rows with aad select"
    )


def _sql_comment(text: str) -> str:
    return _one_line(text).replace("*/", "* /").replace("/*", "/ *")


def _sql_categories(name: str, negate: bool, values: list) -> str:
    named = [_sql_text(v) for v in values if v is not None]
    passes = (None in values) != negate  # whether a missing cell (NULL) passes
    if not named:  # only (missing) listed, or nothing
        if negate:
            return "1 = 1" if passes else f"{name} IS NOT NULL"
        return f"{name} IS NULL" if passes else "1 = 0"
    listed = f"{name} {'NOT IN' if negate else 'IN'} ({', '.join(named)})"  # NULL: unknown, not selected
    return f"({listed} OR {name} IS NULL)" if passes else listed


def _sql_text(value: str) -> str:
    if "\x00" in value:
        raise DataError(f"the category {value!r} cannot be written in SQL (it contains NUL); export as json")
    return "'" + value.replace("'", "''") + "'"


def _sql_name(name: str) -> str:
    if not name or "\x00" in name:
        raise DataError(
            f"column name {name!r} cannot be written in SQL (it is empty or contains NUL); rename the column"
        )
    return '"' + name.replace('"', '""') + '"'


def _pandas(items, specs, provenance) -> str:
    if not items:
        return "(index != index) and (index == index)"  # false for every row
    groups = _predicates(items, specs)
    used = {entry["feature"] for group in groups for entry in group}
    _check_pandas_names(used, list(dict.fromkeys(spec.column for spec in specs)))
    terms = []
    for group in groups:
        tested = " and ".join(_pandas_entry(entry) for entry in group)
        terms.append("(" + (tested if group else "(index == index) or (index != index)") + ")")
    return " or ".join(terms)


def _pandas_entry(entry: dict) -> str:
    name = _pandas_name(entry["feature"])
    if entry["op"] in ("in", "not in"):
        return _pandas_categories(name, entry["op"] == "not in", entry["values"])
    if "part" in entry:
        name = _PANDAS_PARTS[entry["part"]].format(name)
    if "unit" in entry:  # a duration (Timedelta) in seconds, as aad reads it
        name = f"{name}.dt.total_seconds()"
    return f"{name} {entry['op']} {entry['value']!r}"


#: The cells ``pd.read_csv`` reads as a bool: a category test on them lists the bool too.
_PANDAS_BOOLS = {
    **dict.fromkeys(("True", "TRUE", "true"), True),
    **dict.fromkeys(("False", "FALSE", "false"), False),
}


def _pandas_categories(name: str, negate: bool, values: list) -> str:
    """The test ``name in values`` (or ``not in``) for ``DataFrame.query``: on the table as aad
    reads it, which holds a flag's text as written (``true``), and on ``pd.read_csv``'s reading of
    the file, which holds a bool there (``True``); a code written as a number (an HTTP status read
    as a category) is listed as text and as the number ``pd.read_csv`` reads it as.

    >>> _pandas_categories("`paid`", False, ["true"])
    "`paid` in ['true', True]"
    >>> _pandas_categories("`status`", True, ["404", "500"])
    "`status` not in ['404', '500', 404, 500]"
    """
    named = [_pandas_text(v) for v in values if v is not None]
    named += [repr(b) for b in dict.fromkeys(_PANDAS_BOOLS[v] for v in values if v in _PANDAS_BOOLS)]
    named += [repr(n) for n in dict.fromkeys(_code_number(v) for v in values) if n is not None]
    missing = None in values
    listed = f"{name} {'not in' if negate else 'in'} [{', '.join(named)}]"
    never, always = f"({name} != {name} and {name} == {name})", f"({name} == {name} or {name} != {name})"
    if not negate:
        if not named:
            return f"{name} != {name}" if missing else never
        return f"({listed} or {name} != {name})" if missing else listed
    if not named:  # not in (missing) only: every known value
        return f"{name} == {name}" if missing else always
    return f"({listed} and {name} == {name})" if missing else listed  # NaN is "not in" any list


def _code_number(value: str | None) -> int | float | None:
    """The number ``pd.read_csv`` reads a category value written in digits as (``404``, ``2.5``,
    the ZIP code ``02134`` as 2134: helper-57's review found a rule on ZIP codes selecting every
    row of the commonest one); None for any other value.

    >>> _code_number("404"), _code_number("2.5"), _code_number("02134"), _code_number("nan")
    (404, 2.5, 2134, None)
    """
    if value is None or value in _PANDAS_BOOLS:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not np.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2.0**53 else number


def _pandas_text(value: str) -> str:
    if not _pandas_can_compare(value):
        raise DataError(
            f"the category {value!r} cannot be written in a pandas query (pandas cannot read it back); "
            "export as sql or json"
        )
    return repr(value)


@lru_cache(maxsize=4096)
def _pandas_can_compare(value: str) -> bool:
    """Whether ``DataFrame.query`` reads ``value`` written as a Python string as that value."""
    frame = pd.DataFrame({"c": [value, value + "x"]})
    try:
        return frame.query(f"c in [{value!r}]").index.tolist() == [0]
    except Exception:  # pandas raises several types for strings it cannot tokenise
        return False


def _pandas_name(name: str) -> str:
    if not _pandas_can_quote(name):
        raise DataError(
            f"column name {name!r} cannot be written in a pandas query (pandas cannot quote backticks, "
            "control characters or characters Python normalises); rename the column or export as sql or json"
        )
    return f"`{name}`"


def _check_pandas_names(used: set[str], names: Sequence[str]) -> None:
    """Refuse a tested column whose name pandas reads as the same identifier as another column's.

    ``DataFrame.query`` turns a backtick-quoted name into a Python identifier (``a b`` becomes
    ``BACKTICK_QUOTED_STRING_a_b``, and Python folds ``ｘ`` into ``x``); two columns that end up
    the same are one to the query, which then tests whichever pandas finds last.
    """
    seen: dict[str, str] = {}
    for name in names:
        key = _pandas_identifier(name)
        other = seen.setdefault(key, name)
        if other != name and (name in used or other in used):
            raise DataError(
                f"columns {other!r} and {name!r} are the same name to pandas (both read as {key!r}), so a "
                "DataFrame.query string cannot tell them apart; rename one, or export as sql or json"
            )


def _pandas_identifier(name: str) -> str:
    """The identifier ``DataFrame.query`` reads for a column name (pandas' cleaning, then Python's
    NFKC folding of identifiers)."""
    from pandas.core.computation.parsing import clean_column_name

    try:
        cleaned = clean_column_name(name)
    except Exception:  # names pandas cannot tokenise are refused by _pandas_name
        cleaned = name
    return unicodedata.normalize("NFKC", str(cleaned))


@lru_cache(maxsize=4096)
def _pandas_can_quote(name: str) -> bool:
    """Whether ``DataFrame.query`` reads the backtick-quoted ``name`` as that column (checked by pandas)."""
    if "`" in name or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return False
    frame = pd.DataFrame({name: [0.0, 1.0]})
    try:
        return frame.query(f"`{name}` > 0.5").index.tolist() == [1]
    except Exception:  # pandas raises several types for names it cannot tokenise
        return False


def _csv(items, specs, provenance) -> str:
    groups = _predicates(items, specs)
    parts = any("part" in entry for group in groups for entry in group)
    units = any("unit" in entry for group in groups for entry in group)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    part_column, unit_column = ["part"] if parts else [], ["unit"] if units else []
    writer.writerow([*_CSV_COLUMNS[:2], *part_column, *_CSV_COLUMNS[2:4], *unit_column, *_STATS])
    for number, (item, group) in enumerate(zip(items, groups, strict=True), start=1):
        stats = _stats(item)
        tail = [_csv_value(stats.get(key)) for key in _STATS]
        for entry in group:
            part = [entry.get("part", "")] if parts else []
            unit = [entry.get("unit", "")] if units else []
            feature = spreadsheet_safe(entry["feature"])
            writer.writerow([number, feature, *part, entry["op"], _csv_cell(entry), *unit, *tail])
        if not group:
            writer.writerow([number, "", *([""] if parts else []), "", "", *([""] if units else []), *tail])
    return out.getvalue()


def _csv_cell(entry: dict) -> str:
    if "values" in entry:
        return json.dumps(entry["values"], ensure_ascii=False)
    return repr(entry["value"])


def _csv_value(value) -> str:
    return "" if value is None else repr(value)


#: Significant digits of the thresholds in the Markdown export (for people, as the Rules page).
_MD_DIGITS = 4


def _markdown(items, specs, provenance) -> str:
    lines = [
        "# Anomaly rules",
        "",
        "A row is selected when any rule covers it; a test on a missing value is false. "
        f"Thresholds are rounded to {_MD_DIGITS} significant digits for reading; the JSON, SQL, "
        "pandas and CSV exports are exact.",
        "",
        "Precision on labels counts only the labelled rows a rule selects: a rule selecting many "
        "unlabelled rows is unproven there.",
        "",
        *[f"**Note:** {_md_text(note)}.\n" for note in (provenance or {}).get("notes", [])],
        "| # | rule | support | anomalies | nominals | unlabelled | precision on labels |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, item in enumerate(items, start=1):
        stats = _stats(item)
        cells = [_md_code(rule_text(_rule(item), specs, digits=_MD_DIGITS))]
        counts = ("support", "anomalies", "nominals", "unlabelled")
        cells += ["" if stats.get(k) is None else str(stats[k]) for k in counts]
        cells.append("" if stats.get("precision") is None else f"{stats['precision']:.3f}")
        lines.append(f"| {number} | " + " | ".join(cells) + " |")
    if not items:
        lines.append("| | (no rule: nothing is selected) | | | | | |")
    shown = {key: value for key, value in (provenance or {}).items() if key != "notes"}
    if shown:
        lines += ["", "## Provenance", ""]
        lines += [f"- {key}: {_md_text(_md_value(value))}" for key, value in shown.items()]
    return "\n".join(lines) + "\n"


def _md_value(value) -> str:
    """A provenance value for people: scalars as themselves, anything nested as JSON."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _md_code(text: str) -> str:
    text = _one_line(text).replace("|", "\\|")  # newlines and pipes would break the table
    ticks = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return f"{ticks} {text} {ticks}"


def _md_text(text: str) -> str:
    r"""Text from the data (a file name, a note quoting a cell) as Markdown that shows it literally:
    on one line, every character with a meaning escaped (CommonMark's backslash escapes), so raw
    HTML, links, emphasis and formulas stay text.

    >>> _md_text("<img src=x onerror=alert(1)> **f** [l](x.org) $x$ a|b")
    '\\<img src=x onerror=alert\\(1\\)\\> \\*\\*f\\*\\* \\[l\\]\\(x.org\\) \\$x\\$ a\\|b'
    """
    return re.sub(r"([\\`*_\[\]()<>|~$&])", r"\\\1", _one_line(text))


#: Control characters (C0, DEL, C1) and direction controls (U+202E and the like).
_UNSHOWN = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{''.join(sorted(DIRECTION_CONTROLS))}]")


def _one_line(text: str) -> str:
    r"""``text`` on one line, its control characters and direction controls written as their
    escapes: a column name holding ``ESC ]0;...BEL`` would set the window's title of a terminal
    showing the Markdown, one holding U+202E would show the rule's words backwards.

    >>> _one_line("amt\x1b]0;PWN\x07 a\nb\u202e")
    'amt\\x1b]0;PWN\\x07 a b\\u202e'
    """
    return _UNSHOWN.sub(lambda m: repr(m.group())[1:-1], " ".join(text.split()))


# ----------------------------------------------------------------------------- reading


#: Most bytes of rules read back: an exported rule set is a few kilobytes.
MAX_RULES_BYTES = 10_000_000


def _json_groups(text: str) -> list[list[dict]]:
    _check_rules_size(text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"the rules are not valid JSON ({err}); pass an aad-rules/1 document") from err
    except (ValueError, RecursionError) as err:  # a number of thousands of digits; nesting past any depth
        what = "nested too deeply" if isinstance(err, RecursionError) else str(err).split(";")[0]
        raise DataError(
            f"the rules JSON cannot be read ({what}); pass the aad-rules/1 document aad exported"
        ) from None
    if isinstance(document, dict) and str(document.get("schema", "")).startswith("aad-model/"):
        raise DataError(
            "the JSON document is an aad model file, not rules; score rows with it "
            "(`aad score --model FILE`), or export rules with `aad rules`"
        )
    if not isinstance(document, dict) or document.get("schema") not in SCHEMAS:
        raise DataError(
            f"the JSON document is not an {SCHEMA} document (its 'schema' must be {SCHEMAS[0]!r}, or "
            f"{SCHEMAS[1]!r} for rules on categories, timestamps and whole numbers)"
        )
    rules = document.get("rules")
    if not isinstance(rules, list):
        raise DataError(f"an {SCHEMA} document needs a list of rules under 'rules'; got {_kind(rules)}")
    return [_json_rule(number, rule) for number, rule in enumerate(rules, start=1)]


def _json_rule(number: int, rule) -> list[dict]:
    predicates = rule.get("predicates") if isinstance(rule, dict) else rule
    if not isinstance(rule, dict) or not isinstance(predicates, list):
        raise DataError(
            f"rule {number} of the {SCHEMA} document is malformed: it needs a list of predicates "
            f"(objects with feature, op and value); got {_kind(predicates)}"
        )
    if not predicates:
        raise _no_test(f"rule {number} of the {SCHEMA} document has no predicate")
    return [_json_predicate(number, p) for p in predicates]


def _json_predicate(number: int, p) -> dict:
    if not isinstance(p, dict) or not (
        {"feature", "op", "value"} <= p.keys() or {"feature", "op", "values"} <= p.keys()
    ):
        raise DataError(
            f"rule {number} of the {SCHEMA} document is malformed: each predicate needs feature, op "
            f"and value; got {_kind(p)}"
        )
    if not isinstance(p["feature"], str):
        raise DataError(
            f"rule {number} of the {SCHEMA} document tests a feature named by {_kind(p['feature'])}; "
            "a feature is a column name, a string"
        )
    if isinstance(p.get("value"), str):  # "1e3": a number only by accident of spelling
        raise DataError(
            f"rule {number} of the {SCHEMA} document is malformed: its threshold on {p['feature']!r} is "
            f"the text {_kind(p['value'])}, not a number; write the number without quotes"
        )
    return {key: p[key] for key in ("feature", "part", "op", "value", "values", "unit") if key in p}


def _no_test(what: str) -> DataError:
    """A rule with no test would select every row: a damaged or hand-edited file, not an export."""
    return DataError(
        f"{what}: it would select every row; remove the rule from the file, or export the rules "
        "again with `aad rules`"
    )


def _kind(value) -> str:
    """What a JSON value is, briefly, for a message (never the whole of a hostile value)."""
    if isinstance(value, dict | list):
        return f"a JSON {'object' if isinstance(value, dict) else 'list'}"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _check_rules_size(text: str) -> None:
    if len(text) > MAX_RULES_BYTES:
        raise DataError(
            f"the rules are {len(text) / 1e6:.1f} MB of text, over the {MAX_RULES_BYTES / 1e6:.0f} MB an "
            "export of rules ever takes; pass the JSON or CSV file aad exported"
        )


def _csv_groups(text: str) -> list[list[dict]]:
    _check_rules_size(text)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=first.count)  # Excel saves with ';' in many locales
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        return _csv_rows(reader)
    except csv.Error as err:  # a field over the csv module's limit, a NUL byte
        raise DataError(
            f"the rules CSV cannot be read (line {reader.line_num}: {err}); pass the CSV aad exported"
        ) from None


def _csv_rows(reader: csv.DictReader) -> list[list[dict]]:
    needed = {"rule", "feature", "op", "value"}
    if reader.fieldnames is None or not needed <= {name.strip() for name in reader.fieldnames}:
        found = ", ".join(reader.fieldnames or []) or "none"
        raise DataError(
            f"the rules CSV needs the columns rule, feature, op and value; its header has {found[:200]}"
        )
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    groups: dict[str, list[dict]] = {}
    for line in reader:
        if any(line.get(key) is None for key in needed):
            raise DataError(
                f"the rules CSV's line {reader.line_num} has fewer fields than its header; "
                "pass the CSV aad exported"
            )
        group = groups.setdefault(line["rule"], [])
        if line["op"] != "":
            group.append(_csv_entry(line, reader.line_num))
    for rule, group in groups.items():
        if not group:
            named = rule if rule.isdigit() and len(rule) < 10 else _kind(rule)
            raise _no_test(f"rule {named} of the rules CSV has no test (no line with an op)")
    return list(groups.values())


def _csv_entry(line: dict, number: int) -> dict:
    entry = {"feature": from_spreadsheet_safe(line["feature"]), "op": line["op"]}
    if line.get("part"):
        entry["part"] = line["part"]
    if line.get("unit"):
        entry["unit"] = line["unit"]
    if line["op"] not in ("in", "not in"):
        return {**entry, "value": line["value"]}
    try:
        values = json.loads(line["value"])
    except ValueError:
        values = None
    if not isinstance(values, list):
        raise DataError(
            f"the rules CSV's line {number} lists the categories of {entry['feature']!r} as "
            f"{_kind(line['value'])}; an 'in' test lists them as a JSON array, as aad exports it"
        )
    return {**entry, "values": values}


def _features(groups: list[list[dict]]) -> tuple[FeatureSpec, ...]:
    specs = {}
    for group in groups:
        for entry in group:
            spec = _entry_spec(entry)
            specs.setdefault(spec.name, spec)
    return tuple(specs.values())


def _entry_spec(entry: dict) -> FeatureSpec:
    """The feature an exported test compares: a number column, a timestamp's part, a category list."""
    column, op = entry["feature"], entry["op"]
    if op not in _OPS:
        raise DataError(
            f"a rule on column {column!r} is malformed: its op must be '<=', '>', '>=', 'in' or "
            f"'not in'; got {_kind(op)}"
        )
    part = entry.get("part")
    if part is not None:
        if part not in PARTS:
            raise DataError(
                f"a rule on column {column!r} tests its part {_kind(part)}; a timestamp's part is one of "
                f"{', '.join(PARTS)}"
            )
        return FeatureSpec(f"{column}.{part}", column, "part", part=part)
    if op in ("in", "not in"):
        values = entry["values"]
        if not isinstance(values, list) or not all(v is None or isinstance(v, str) for v in values):
            raise DataError(
                f"a rule on column {column!r} is malformed: an {op!r} test lists categories as strings "
                f"(null for a missing value); got {_kind(values)}"
            )
        names = sorted(dict.fromkeys(values), key=lambda v: (v is None, v or ""))
        return FeatureSpec(
            f"{column} in {json.dumps(names, ensure_ascii=False)}",
            column,
            "member",
            levels=tuple((v, 1) for v in names),
        )
    unit = entry.get("unit")
    if unit is not None and unit != _SECONDS:
        raise DataError(
            f"a rule on column {column!r} gives its unit as {_kind(unit)}; a duration's unit is {_SECONDS!r}"
        )
    return FeatureSpec(column, column, duration=unit is not None)


def _predicate(index: dict[str, int], entry: dict, *, by_spec: bool) -> Predicate:
    spec = _entry_spec(entry)
    name = spec.name if by_spec else entry["feature"]
    if not by_spec and spec.kind != "number":
        raise DataError(
            "these rules test categories or timestamp parts: read them without feature_names, and "
            "evaluate them with load_rows(DATA, columns=rule_features(text, fmt))"
        )
    if name not in index:
        raise DataError(
            f"a rule tests column {entry['feature']!r}, which the data does not have; check the column names"
        )
    if spec.kind == "member":
        return Predicate(index[name], "<=" if entry["op"] == "not in" else ">", 0.5)
    value = _number_value(entry)
    if entry["op"] == ">=":  # x >= v is x > the float just below v, for every float x
        return Predicate(index[name], ">", float(np.nextafter(value, -np.inf)))
    return Predicate(index[name], entry["op"], value)


def _number_value(entry: dict) -> float:
    name, value = entry["feature"], entry["value"]
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        number = float(value)
    except OverflowError as err:  # an integer of hundreds of digits
        raise DataError(
            f"a rule on column {name!r} is malformed: its value has {len(str(value)):,} digits, beyond "
            "any float; each predicate needs op '<=', '>' or '>=' and a number as its value"
        ) from err
    except (TypeError, ValueError) as err:  # TypeError: a JSON null or list as the value
        detail = str(err) if isinstance(err, ValueError) else f"its value {_kind(value)} is not a number"
        raise DataError(
            f"a rule on column {name!r} is malformed: {detail}; "
            "each predicate needs op '<=', '>' or '>=' and a number as its value"
        ) from err
    if not math.isfinite(number):
        raise DataError(
            f"a rule on column {name!r} is malformed: a predicate's threshold must be finite; got {number!r} "
            "(leave an unbounded side out)"
        )
    return number
