"""Exports of rules: canonical JSON, SQL, pandas query, CSV and Markdown, from the same objects.

A row is selected when **any** rule covers it, and a rule covers a row when **all** its
predicates hold. A predicate on a missing value is false, so a row with a missing value in
one of a rule's features is not covered by that rule. The formats keep this meaning
exactly: NaN comparisons are false in numpy and pandas; in SQL a comparison with NULL is
unknown, which a ``WHERE`` clause does not select. (Load missing values as NULL: DuckDB and
PostgreSQL sort a floating-point NaN above every number.)

Thresholds round-trip exactly: JSON, CSV and pandas carry ``repr(float)``; SQL carries
approximate-numeric literals with 17 significant digits (``2.5000000000000000e+00``),
which every engine reads as a double (some SQLite versions misread shortest-form literals,
and DuckDB reads plain decimals as DECIMAL).

SQL identifiers are always double-quoted with embedded quotes doubled, so any column name
is safe (names must not be empty or contain NUL; SQLite and DuckDB compare column names
case-insensitively). pandas names are backtick-quoted; pandas cannot quote a name with a
backtick, a control character or a character that Python identifiers normalise away, and
such a name raises :class:`~aad.errors.DataError`.
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

import pandas as pd

from .describe import DescribedRule, Description
from .errors import DataError
from .rules import Predicate, Rule, default_feature_names
from .tables import from_spreadsheet_safe, spreadsheet_safe

__all__ = ["FORMATS", "SCHEMA", "export_rules", "read_rules", "rule_columns"]

SCHEMA = "aad-rules/1"
FORMATS = ("json", "sql", "pandas", "csv", "markdown")
#: Per rule: rows it selects, labelled anomalies and nominals among them, rows nobody labelled
#: (where the rule is unproven), and precision on the labels (anomalies / labelled rows).
_STATS = ("support", "anomalies", "nominals", "unlabelled", "precision")
_CSV_COLUMNS = ("rule", "feature", "op", "value", *_STATS)


def export_rules(
    description_or_rules,
    fmt: str,
    *,
    feature_names: Sequence[str] | None = None,
    provenance: dict | None = None,
) -> str:
    """Write rules as text in one of :data:`FORMATS`.

    Parameters
    ----------
    description_or_rules : Description, a Rule, or a sequence of DescribedRule or Rule
    fmt : {"json", "sql", "pandas", "csv", "markdown"}
        ``json``: the canonical ``aad-rules/1`` document; ``sql``: a boolean expression for
        a ``WHERE`` clause; ``pandas``: a :meth:`pandas.DataFrame.query` string; ``csv``: one
        row per predicate; ``markdown``: a table for people.
    feature_names : sequence of str, optional
        Column names (default: the description's, else ``x0, x1, ...``).
    provenance : dict, optional
        Where the rules come from (default: the description's); in JSON and Markdown.

    Returns
    -------
    str

    Raises
    ------
    DataError
        For an unknown format, or a column name the format cannot quote.

    Examples
    --------
    >>> rules = [Rule([Predicate(0, ">", 2.5)]), Rule([Predicate(1, "<=", -1.0), Predicate(0, "<=", 0.0)])]
    >>> print(export_rules(rules, "sql", feature_names=["amount", "select"]))
    ("amount" > 2.5000000000000000e+00)
    OR ("amount" <= 0.0000000000000000e+00 AND "select" <= -1.0000000000000000e+00)
    >>> export_rules(rules, "pandas", feature_names=["amount", "select"])
    '(`amount` > 2.5) or (`amount` <= 0.0 and `select` <= -1.0)'
    """
    items, names, provenance = _normalise(description_or_rules, feature_names, provenance)
    writers = {"json": _json, "sql": _sql, "pandas": _pandas, "csv": _csv, "markdown": _markdown}
    if fmt not in writers:
        raise DataError(f"unknown rule format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](items, names, provenance)


def read_rules(text: str | bytes, fmt: str, *, feature_names: Sequence[str] | None = None) -> list[Rule]:
    """Read rules back from their ``json`` or ``csv`` export, mapping names to columns.

    ``text`` may be bytes (UTF-8) and start with a byte-order mark; a CSV may use ``;``.
    Rules test columns by position: feature ``j`` is ``feature_names[j]``, by default the
    columns the rules test, in first-seen order (:func:`rule_columns`), so that
    ``rule.mask(df[rule_columns(text, fmt)])`` evaluates them on a DataFrame by name.

    Examples
    --------
    >>> rules = [Rule([Predicate(1, ">", 0.1)])]
    >>> read_rules(export_rules(rules, "json", feature_names=["a", "b"]), "json", feature_names=["a", "b"])
    [Rule(predicates=(Predicate(feature=1, op='>', threshold=0.1),))]
    """
    if feature_names is None:
        as_text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        feature_names = rule_columns(as_text, fmt)
    column = {str(name): i for i, name in enumerate(feature_names)}
    return [Rule(_predicate(column, *entry) for entry in group) for group in _groups(text, fmt)]


def _groups(text: str | bytes, fmt: str) -> list[list[tuple]]:
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


def rule_columns(text: str, fmt: str) -> tuple[str, ...]:
    """The column names the rules of a ``json`` or ``csv`` export test, in first-seen order.

    Examples
    --------
    >>> rules = [Rule([Predicate(1, ">", 0.1), Predicate(0, "<=", 2.0)])]
    >>> rule_columns(export_rules(rules, "json", feature_names=["a", "b"]), "json")
    ('a', 'b')
    """
    groups = _groups(text, fmt)
    return tuple(dict.fromkeys(str(name) for group in groups for name, _, _ in group))


# ----------------------------------------------------------------------------- normalising


def _normalise(source, feature_names, provenance):
    if isinstance(source, Description):
        items = list(source.rules)
        names = feature_names or source.feature_names
        provenance = source.provenance if provenance is None else provenance
        if source.notes:  # a warning for the reader travels with the rules
            provenance = {**(provenance or {}), "notes": list(source.notes)}
    else:
        items = [source] if isinstance(source, Rule | DescribedRule) else list(source)
        names = feature_names
    for item in items:
        if not isinstance(item, Rule | DescribedRule):
            raise DataError(f"export_rules takes rules or a description; got a {type(item).__name__}")
    width = max((max(_rule(i).features, default=-1) for i in items), default=-1) + 1
    names = tuple(str(n) for n in (names if names is not None else default_feature_names(width)))
    if width > len(names):
        raise DataError(
            f"the rules test feature {width - 1} but {len(names)} feature name(s) were given; "
            "pass one name per column of the data"
        )
    return items, names, provenance


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


# ----------------------------------------------------------------------------- formats


def _json(items, names, provenance) -> str:
    rules = [
        {
            "predicates": [
                {"feature": names[p.feature], "op": p.op, "value": p.threshold}
                for p in _rule(item).predicates
            ],
            **_stats(item),
        }
        for item in items
    ]
    document = {"schema": SCHEMA, "rules": rules, "provenance": provenance or {}}
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _sql(items, names, provenance) -> str:
    if not items:
        return "(1 = 0)"
    terms = []
    for item in items:
        preds = [f"{_sql_name(names[p.feature])} {p.op} {p.threshold:.16e}" for p in _rule(item).predicates]
        terms.append("(" + (" AND ".join(preds) if preds else "1 = 1") + ")")
    return "\nOR ".join(terms)


def _sql_name(name: str) -> str:
    if not name or "\x00" in name:
        raise DataError(
            f"column name {name!r} cannot be written in SQL (it is empty or contains NUL); rename the column"
        )
    return '"' + name.replace('"', '""') + '"'


def _pandas(items, names, provenance) -> str:
    if not items:
        return "(index != index) and (index == index)"  # false for every row
    _check_pandas_names({names[p.feature] for item in items for p in _rule(item).predicates}, names)
    terms = []
    for item in items:
        preds = [f"{_pandas_name(names[p.feature])} {p.op} {p.threshold!r}" for p in _rule(item).predicates]
        terms.append("(" + (" and ".join(preds) if preds else "(index == index) or (index != index)") + ")")
    return " or ".join(terms)


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


def _csv(items, names, provenance) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for number, item in enumerate(items, start=1):
        stats = _stats(item)
        tail = [_csv_value(stats.get(key)) for key in _STATS]
        preds = _rule(item).predicates
        for p in preds:
            writer.writerow([number, spreadsheet_safe(names[p.feature]), p.op, repr(p.threshold), *tail])
        if not preds:
            writer.writerow([number, "", "", "", *tail])
    return out.getvalue()


def _csv_value(value) -> str:
    return "" if value is None else repr(value)


#: Significant digits of the thresholds in the Markdown export (for people, as the Rules page).
_MD_DIGITS = 4


def _markdown(items, names, provenance) -> str:
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
        cells = [_md_code(_rule(item).format(names, digits=_MD_DIGITS))]
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
    text = " ".join(text.split()).replace("|", "\\|")  # newlines and pipes would break the table
    ticks = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return f"{ticks} {text} {ticks}"


def _md_text(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# ----------------------------------------------------------------------------- reading


#: Most bytes of rules read back: an exported rule set is a few kilobytes.
MAX_RULES_BYTES = 10_000_000


def _json_groups(text: str) -> list[list[tuple]]:
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
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise DataError(f"the JSON document is not an {SCHEMA} document (its 'schema' must be {SCHEMA!r})")
    rules = document.get("rules")
    if not isinstance(rules, list):
        raise DataError(f"an {SCHEMA} document needs a list of rules under 'rules'; got {_kind(rules)}")
    return [_json_rule(number, rule) for number, rule in enumerate(rules, start=1)]


def _json_rule(number: int, rule) -> list[tuple]:
    predicates = rule.get("predicates") if isinstance(rule, dict) else rule
    if not isinstance(rule, dict) or not isinstance(predicates, list):
        raise DataError(
            f"rule {number} of the {SCHEMA} document is malformed: it needs a list of predicates "
            f"(objects with feature, op and value); got {_kind(predicates)}"
        )
    out = []
    for p in predicates:
        if not isinstance(p, dict) or not {"feature", "op", "value"} <= p.keys():
            raise DataError(
                f"rule {number} of the {SCHEMA} document is malformed: each predicate needs feature, op "
                f"and value; got {_kind(p)}"
            )
        if not isinstance(p["feature"], str):
            raise DataError(
                f"rule {number} of the {SCHEMA} document tests a feature named by {_kind(p['feature'])}; "
                "a feature is a column name, a string"
            )
        out.append((p["feature"], p["op"], p["value"]))
    return out


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


def _csv_groups(text: str) -> list[list[tuple]]:
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


def _csv_rows(reader: csv.DictReader) -> list[list[tuple]]:
    needed = {"rule", "feature", "op", "value"}
    if reader.fieldnames is None or not needed <= {name.strip() for name in reader.fieldnames}:
        found = ", ".join(reader.fieldnames or []) or "none"
        raise DataError(
            f"the rules CSV needs the columns rule, feature, op and value; its header has {found[:200]}"
        )
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    groups: dict[str, list[tuple]] = {}
    for line in reader:
        if any(line.get(key) is None for key in needed):
            raise DataError(
                f"the rules CSV's line {reader.line_num} has fewer fields than its header; "
                "pass the CSV aad exported"
            )
        group = groups.setdefault(line["rule"], [])
        if line["op"] != "":
            group.append((from_spreadsheet_safe(line["feature"]), line["op"], line["value"]))
    return list(groups.values())


def _predicate(column: dict[str, int], name, op, value) -> Predicate:
    if name not in column:
        raise DataError(f"a rule tests column {name!r}, which the data does not have; check the column names")
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        return Predicate(column[name], op, float(value))
    except OverflowError as err:  # an integer of hundreds of digits
        raise DataError(
            f"a rule on column {name!r} is malformed: its value has {len(str(value)):,} digits, beyond "
            "any float; each predicate needs op '<=' or '>' and a number as its value"
        ) from err
    except (TypeError, ValueError) as err:  # TypeError: a JSON null or list as the value
        detail = str(err) if isinstance(err, ValueError) else f"its value {_kind(value)} is not a number"
        raise DataError(
            f"a rule on column {name!r} is malformed: {detail}; "
            "each predicate needs op '<=' or '>' and a number as its value"
        ) from err
