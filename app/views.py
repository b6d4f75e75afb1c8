"""What the pages show: text and tables built from a session, and the rule exports.

Pure functions of an :class:`aad.Session` (and the engine's results): no session state,
no callbacks; :mod:`app.state` holds those. Cached where the answer depends on the forest
only (the region that isolates a row).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

import aad
from aad.tables import csv_text
from app.text import code, md

#: Significant digits of the thresholds shown to people (exports stay exact).
DISPLAY_DIGITS = 4


# --------------------------------------------------------------------------- card text


def row_table(session: aad.Session, row: int) -> pd.DataFrame:
    """The row's values as people know them (a category as its text, a weekday as its name)
    with their percentile in their column; a cell missing in the file says so (the model saw
    the column median there), a category how many rows share it. Wide data: most unusual
    values first."""
    dataset = session.dataset
    table = pd.DataFrame(
        {
            "feature": list(dataset.feature_names),
            "value": [value_text(dataset, row, j) for j in range(dataset.n_features)],
            "percentile": session.percentiles(row),
        }
    )
    filled = dataset.filled
    notes = [_category_note(dataset, row, j) for j in range(dataset.n_features)]
    if filled is not None and filled[row].any():
        notes = [
            "missing in the file: the model used the column median" if gap else note
            for gap, note in zip(filled[row], notes, strict=True)
        ]
    if any(notes):
        table["note"] = notes
    if len(table) > WIDE:  # the table scrolls: the most unusual values first
        order = np.lexsort((-np.abs(table["percentile"].to_numpy() - 50.0), -session.unusualness(row)))
        table = table.iloc[order].reset_index(drop=True)
    return table


#: A card's table lists more features than this in a scroll box, most unusual first.
WIDE = 12


def value_text(dataset: aad.Dataset, row: int, j: int) -> str:
    """Feature ``j`` of ``row`` as people know it: a category as written, a weekday or a month
    by its name, a number in plain digits (the value the model saw where the cell was missing).

    Examples
    --------
    >>> import pandas as pd
    >>> data = aad.load_data("toy2")
    >>> value_text(data, 0, 0) == aad.encoding.number_text(data.X[0, 0])
    True
    """
    spec, value = dataset.specs[j], dataset.X[row, j]
    if spec.kind == "category":
        written = dataset.sources[spec.column].iloc[row]
        return "(missing)" if pd.isna(written) else str(written)
    if spec.kind == "part":
        return aad.encoding.part_label(spec.part, value)
    return aad.encoding.number_text(value)


def _category_note(dataset: aad.Dataset, row: int, j: int) -> str:
    spec = dataset.specs[j]
    if spec.kind != "category":
        return ""
    count = round(spec.rows / dataset.X[row, j])
    return f"{count:,} of {spec.rows:,} rows have it ({count / spec.rows:.2%})"


def rank_line(session: aad.Session, row: int) -> str:
    """``score … · rank … of …`` with the move since the previous model version."""
    now = int(session.ranks([row])[0])
    before = session.ranks([row], previous=True)
    move = ""
    if before is not None:
        was = int(before[0])
        move = " · rank unchanged" if was == now else f" · {'▲' if now < was else '▼'} from {was:,}"
    scores = session.scores()
    open_rows = session.model.labels_ == aad.UNLABELLED
    among = int((scores[open_rows] > scores[row]).sum()) + 1 if open_rows[row] else None
    unlabelled = f" ({_ordinal(among)} among unlabelled rows)" if among is not None and among != now else ""
    return f"score **{scores[row]:.4f}** · rank **{now:,}** of {session.dataset.n_rows:,}{unlabelled}{move}"


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st, ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


#: What the score on a card means (its tooltip).
SCORE_HELP = (
    "Higher means more anomalous. Before any label it is the isolation-forest score "
    "(between 0 and 1; about 0.5 and below is ordinary). Each label moves the scores of the "
    "rows that share leaves with the labelled row, up for an anomaly and down for a nominal, "
    "so after feedback a score can exceed 1: compare ranks, not values."
)


@st.cache_data(max_entries=2000, show_spinner=False)
def _explain(fingerprint: str, params: str, seed: int, row: int, _session: aad.Session) -> str:
    names = _session.dataset.feature_names
    why = aad.explain_row(_session.model, _session.dataset, row)
    shares = ", ".join(f"{code(names[f])} {share:.0%}" for f, share in why.importances[:3])
    rule = why.rule_text(DISPLAY_DIGITS)
    where = (
        f"alone in the region {code(rule)}"
        if why.support == 1
        else f"in the small region {code(rule)} ({why.support:,} rows)"
    )
    filled = _session.dataset.filled
    missing = [names[f] for f in why.rule.features if filled is not None and filled[row, f]]
    if missing:
        columns = ", ".join(code(name) for name in missing)
        where += f" (its {columns} is missing in the file: the forest placed it by the column median)"
    return f"{where}; across all trees, the splits that isolate it are on {shares}"


def explanation(session: aad.Session, row: int) -> str:
    """The region that isolates ``row`` (the same for every label: it depends on the forest only)."""
    rec = session.record
    return _explain(rec.fingerprint, json.dumps(rec.params, sort_keys=True), rec.seed, row, session)


def why(session: aad.Session, row: int) -> str:
    """Why the row ranks high: the region that isolates it and the features that do it."""
    try:
        return explanation(session, row)
    except aad.AADError as err:
        return f"no explanation for this row: {md(err)}"


def unusual_values(session: aad.Session, row: int) -> str:
    """The row's three values furthest from their column's median (in interquartile ranges),
    with their percentile rank."""
    pct, far = session.percentiles(row), session.unusualness(row)
    dataset = session.dataset
    names = dataset.feature_names
    parts = []
    edge = 100 / dataset.n_rows  # within this of 0 or 100: the extreme of its column
    for j in sorted(range(len(names)), key=lambda j: (-far[j], -abs(pct[j] - 50), j))[:3]:
        value = f"{code(names[j])} = {md(value_text(dataset, row, j))}"
        if dataset.specs[j].kind in ("category", "part"):
            parts.append(f"{value}, as in {_share_text(_same_share(dataset, row, j))} of rows")
            continue
        if pct[j] >= 100 - edge or pct[j] <= edge:
            parts.append(f"{value} is the {'highest' if pct[j] >= 50 else 'lowest'} in its column")
            continue
        share = pct[j] if pct[j] >= 50 else 100 - pct[j]
        side = "higher" if pct[j] >= 50 else "lower"
        parts.append(f"{value} is {side} than {_share_below_100(share)}% of rows")
    return "; ".join(parts)


def _same_share(dataset: aad.Dataset, row: int, j: int) -> float:
    """The percent of rows whose feature ``j`` has the value ``row`` has."""
    return 100.0 * float((dataset.X[:, j] == dataset.X[row, j]).mean())


def _share_text(share: float) -> str:
    """A percent for a sentence: ``0.4%``, ``12%``, ``0.02%``.

    Examples
    --------
    >>> _share_text(0.4), _share_text(12.3), _share_text(0.0213)
    ('0.4%', '12%', '0.021%')
    """
    return f"{share:.2g}%" if share < 1 else f"{share:.0f}%"


def _share_below_100(share: float) -> str:
    """``share`` (a percent under 100) with enough decimals never to print as 100.

    Examples
    --------
    >>> _share_below_100(97.4), _share_below_100(99.4), _share_below_100(99.9975)
    ('97', '99.4', '99.998')
    """
    gap = 100.0 - share
    decimals = 0 if gap >= 1 else min(6, int(np.ceil(-np.log10(gap))) if gap > 0 else 6)
    return f"{share:.{decimals}f}"


def last_action(session: aad.Session) -> str:
    """One line on the latest action (an undo: what it undid), or how to start."""
    described = _described(session)
    if not described:
        return "No labels yet: press **A** (anomaly) or **N** (nominal) on the first card, **S** to skip it."
    action, kind, shown = described[-1]
    rows = ", ".join(map(str, shown.rows[:5])) + ("…" if len(shown.rows) > 5 else "")
    label = f" → {aad.label_name(shown.labels[0])}" if shown.labels else ""
    what = f"{kind} row{'s' if len(shown.rows) > 1 else ''} {rows}{label}" if shown.rows else kind
    return f"Last: {what} · model v{action.number} · {action.created_at[11:19]} UTC · saved"


def _described(session: aad.Session) -> list[tuple]:
    """Every action with its name and the action it shows: an undo shows what it undid.

    Found by replaying the log as the session does: each undo takes back the latest action
    not yet undone.
    """
    out, undoable = [], []
    for action in session.history():
        shown, kind = action, action.kind
        if action.kind != "undo":
            undoable.append(action)
        elif undoable:
            shown = undoable.pop()
            kind = f"undo {shown.kind}"
        out.append((action, kind, shown))
    return out


# --------------------------------------------------------------------------- tables


def rows_frame(session: aad.Session, rows: list[int]) -> pd.DataFrame:
    """Selected rows: their number, label, score and values (never a column that looks like
    the ground truth, which would answer for the analyst)."""
    labels = session.model.labels_[rows]
    table = session.dataset.table()
    frame = table.drop(columns=[c for c in session.dataset.answers if c in table.columns])
    frame = frame.iloc[rows].reset_index(drop=True)
    frame.insert(0, "score", session.scores()[rows])
    frame.insert(0, "label", [aad.label_name(v) for v in labels])
    frame.insert(0, "row", rows)
    return frame


def context_line(session: aad.Session, row: int) -> str | None:
    """The row's context (an id, free text: not features) and its timestamps as written, for its
    card; None if none. A column that looks like the ground truth (``is_fraud``) is never shown:
    it would answer for the analyst."""
    dataset = session.dataset
    cells = []
    if dataset.context is not None:
        cells += [
            (name, value) for name, value in dataset.context.iloc[row].items() if name not in dataset.answers
        ]
    times = list(dict.fromkeys(spec.column for spec in dataset.specs if spec.kind == "part"))
    cells += [(name, dataset.sources[name].iloc[row]) for name in times]
    shown = [f"{md(name)} {code(value)}" for name, value in cells if pd.notna(value)][:8]
    return " · ".join(shown) if shown else None


def scores_csv(session: aad.Session) -> Callable[[], str]:
    """A function writing every row's score, rank, label and values as CSV, as they are now.

    The arrays are copied at once, so a download started later still matches the page
    it was clicked on; the CSV itself is only built when the download is asked for.
    """
    scores, labels, dataset = session.scores().copy(), session.model.labels_.copy(), session.dataset

    def write() -> str:
        return csv_text(aad.score_table(scores, labels=labels, features=dataset.table()))

    return write


def history_frame(session: aad.Session) -> pd.DataFrame:
    """The session's actions, newest first: model version, time, action, rows, label.

    An undo names what it undid ("undo label", with that action's rows and label).
    """
    records = [
        {
            "model version": action.number,
            "time (UTC)": action.created_at[:19].replace("T", " "),
            "action": kind,
            "rows": ", ".join(map(str, shown.rows[:20])) + (" …" if len(shown.rows) > 20 else ""),
            "label": aad.label_name(shown.labels[0]) if shown.labels else "",
        }
        for action, kind, shown in _described(session)
    ]
    columns = ["model version", "time (UTC)", "action", "rows", "label"]
    return pd.DataFrame(records[::-1], columns=columns)


def sessions_frame(summaries: list[aad.SessionSummary]) -> pd.DataFrame:
    """The session list as a table."""
    return pd.DataFrame(
        [
            {
                "id": s.id,
                "dataset": s.dataset,
                "features": _shorten(", ".join(s.features), 60),
                "ground truth": s.label_column or "",
                "labels": s.n_labels,
                "anomalies": s.n_anomalies,
                "actions": s.n_actions,
                "seed": s.seed,
                "strategy": s.strategy,
                "created (UTC)": s.created_at[:19].replace("T", " "),
                "updated (UTC)": s.updated_at[:19].replace("T", " "),
            }
            for s in summaries
        ]
    )


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------- rules

#: Export format -> (file extension, MIME type).
EXPORT_FORMATS = {  # format: (button name, file extension, MIME type)
    "json": ("JSON", "json", "application/json"),
    "sql": ("SQL", "sql", "application/sql"),
    "pandas": ("pandas", "txt", "text/plain"),  # a DataFrame.query string, not a script
    "csv": ("CSV", "csv", "text/csv"),
    "markdown": ("Markdown", "md", "text/markdown"),
}


def rules_frame(session: aad.Session, description) -> pd.DataFrame:
    """One line per rule: the rule, its support, the labelled and unlabelled rows it covers,
    its precision on the labels, and (with a ground-truth column) its true precision."""
    specs, X, y = session.dataset.specs, session.dataset.X_as_read, session.dataset.y
    lines = []
    for rule in description.rules:
        line = {
            "rule": rule.format(digits=DISPLAY_DIGITS, encoding=specs),
            "support": rule.support,
            "anomalies": rule.anomalies,
            "nominals": rule.nominals,
            "unlabelled": rule.support - rule.anomalies - rule.nominals,
            "precision on labels": rule.precision,
        }
        if y is not None:
            line["true precision"] = float(y[rule.mask(X)].mean()) if rule.support else float("nan")
        lines.append(line)
    columns = ["rule", "support", "anomalies", "nominals", "unlabelled", "precision on labels"]
    return pd.DataFrame(lines, columns=columns + (["true precision"] if y is not None else []))


def export_rules(session: aad.Session, description, fmt: str) -> str | None:
    """The rules in format ``fmt``; None (with the engine's message shown) if that fails."""
    try:
        return aad.export_rules(
            description,
            fmt,
            feature_names=session.dataset.feature_names,
            provenance=session.provenance(description),
        )
    except aad.AADError as err:
        st.error(md(err))
        return None
