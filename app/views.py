"""What the pages show: text and tables built from a session, and the rule exports.

Pure functions of an :class:`aad.Session` (and the engine's results): no session state,
no callbacks; :mod:`app.state` holds those. Cached where the answer depends on the forest
only (the region that isolates a row).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

import aad
from aad.columns import looks_like_truth
from aad.tables import csv_text
from aad.terms import SHOWN_CHARS
from app.text import code, count, cut, md, visible

#: Significant digits of the thresholds shown to people (exports stay exact).
DISPLAY_DIGITS = 4
#: A category test on screen lists at most this many values, then how many more (the exports
#: list them all): 148 shop names made a card's "why" 3,789 characters long.
DISPLAY_VALUES = 5
#: The same on a card's "why", beside its values: five values of 40 characters took six lines of
#: the why column at 1280x720, and pushed "Most unusual values" below the screen.
CARD_VALUES = 3


# --------------------------------------------------------------------------- the data


def suggested_truth(dataset: aad.Dataset) -> str | None:
    """A column that looks like a ground truth (``is_fraud``: 0/1 or label words, named like one),
    to take as one when the loader found none by its name; None if there is none."""
    for name in dataset.answers:
        try:
            aad.parse_labels(dataset.context[name], column=name)
        except aad.AADError:
            continue  # other words (fraud/legit): its anomaly value must be named first
        return name
    return None


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
            # a long category cut as in the why (a 3,000-character one took the notes' room)
            "value": [cut(value_text(dataset, row, j), SHOWN_CHARS) for j in range(dataset.n_features)],
            "percentile": session.percentiles(row),
        }
    )
    filled = dataset.filled
    notes = [_category_note(dataset, row, j) for j in range(dataset.n_features)]
    if filled is not None and filled[row].any():  # the value says it is missing, the note what was used
        notes = [
            f"{_MEDIAN}{value}" if gap else note
            for gap, note, value in zip(filled[row], notes, table["value"], strict=True)
        ]
        table["value"] = [cut(shown_value(dataset, row, j), SHOWN_CHARS) for j in range(dataset.n_features)]
    if any(notes):
        table["note"] = notes
    if len(table) > WIDE:  # the table scrolls: the most unusual values first
        order = np.lexsort((-np.abs(table["percentile"].to_numpy() - 50.0), -session.unusualness(row)))
        table = table.iloc[order].reset_index(drop=True)
    return table


#: The Label page's card table on a laptop (1280x720, the sidebar open), in pixels: what its
#: columns share there, its border and the lines between them left out (a wider screen spreads
#: the rest over them). The card gives it 3/5 of its width (524 px measured; 5/9 left 484), so
#: that a note shows whole beside a feature of about 20 characters.
LABEL_TABLE = 518
#: The percentile's bar, in pixels (Streamlit's ``"small"``).
PERCENTILE_WIDTH = 75
#: Pixels a character takes in the table's font: about 7 in a name or a value (letters and
#: underscores), 6 in a note (digits, lowercase and spaces: '16% of rows (480 of 3,000)' is 152 px).
NAME_PX, NOTE_PX = 7, 6
#: The narrowest note column: a share of eight characters (a category one row in 300,000 has,
#: '0.00033%'), or 'median'. A value of 25 characters gives up the few pixels it lacks.
NOTE_MIN = 16 + 8 * NOTE_PX
#: A missing value's note starts so; the median the model read in its place follows.
_MEDIAN = "read as the median "


def row_table_columns(table: pd.DataFrame, width: int | None = None) -> dict:
    """How a card's table (:func:`row_table`) shows its columns: the percentile a short bar, the
    feature and the value as wide as their texts up to a cap, so that on a laptop both show
    whole up to about 20 and 25 characters (at 1280x720 a 30-character category was cut to nine
    beside a bar twice its width), and the note as wide as its longest; or, given the table's
    ``width`` on a laptop, the rest of it, so that the table never scrolls sideways there
    (:func:`fit_notes` shortens the notes that would not fit; the column's help gives them whole).

    >>> table = pd.DataFrame({"feature": ["amount", "merchant_category"], "value": ["12.5", "crypto"]})
    >>> {k: v["width"] for k, v in row_table_columns(table).items()}
    {'feature': 135, 'value': 58, 'percentile': 75}
    >>> table["note"] = ["", "16% of rows (480 of 3,000)"]
    >>> row_table_columns(table)["note"]["width"], row_table_columns(table, LABEL_TABLE)["note"]["width"]
    (172, 250)
    """
    widths = _widths(table, width)
    columns = {
        "feature": st.column_config.TextColumn("feature", width=widths["feature"]),
        "value": st.column_config.TextColumn("value", width=widths["value"]),
        "percentile": st.column_config.ProgressColumn(
            "percentile",
            help="The value's percentile in its column: the share of rows with a lower value.",
            min_value=0,
            max_value=100,
            format="%.0f",
            width=PERCENTILE_WIDTH,
        ),
    }
    if "note" in table:
        room = widths["note"]
        columns["note"] = st.column_config.TextColumn("note", width=room, help=_note_help(table, room))
    return columns


def fit_notes(table: pd.DataFrame, width: int) -> pd.DataFrame:
    """The card's table (:func:`row_table`) with each note that would not fit its column in a
    table ``width`` pixels wide (:func:`row_table_columns`) shortened (:func:`short_note`). At
    1280x720 the Label page's note had 61 px whatever its length: '16% of rows (480 of 3,000)'
    showed as '16% of ro'.

    >>> table = pd.DataFrame({"feature": ["amount", "merchant_category"], "value": ["30", "crypto_exchange"],
    ...                       "percentile": [95.0, 0.1], "note": ["", "0.033% of rows (1 of 3,000)"]})
    >>> fit_notes(table, 478)["note"].tolist(), fit_notes(table, LABEL_TABLE)["note"].tolist()
    (['', '0.033% of rows'], ['', '0.033% of rows (1 of 3,000)'])
    """
    if "note" not in table:
        return table
    room = _widths(table, width)["note"]
    return table.assign(note=[short_note(note, room) for note in table["note"]])


def short_note(note: str, room: int) -> str:
    """``note`` whole if it fits in ``room`` pixels, else its longest shorter form that does: a
    category's share of rows, then the share alone; a missing value's median, then 'median'
    (a number is never cut); any other note cut with "…".

    Examples
    --------
    >>> [short_note("16% of rows (480 of 3,000)", px) for px in (200, 120, 60)]
    ['16% of rows (480 of 3,000)', '16% of rows', '16%']
    >>> [short_note("read as the median 27.07", px) for px in (200, 100, 60)]
    ['read as the median 27.07', 'median 27.07', 'median']
    """
    if note.startswith(_MEDIAN):
        forms = [note, f"median {note.removeprefix(_MEDIAN)}", "median"]
    else:
        share, _, counts = note.partition(" (")  # a category's: '16% of rows (480 of 3,000)'
        forms = [note, share, share.split()[0]] if counts else [note]
    for form in forms:
        if _note_px(form) <= room:
            return form
    return cut(forms[-1], max(1, (room - 16) // NOTE_PX))


def _name_room(table: pd.DataFrame, column: str, cap: int) -> int:
    """Pixels for a column of names or values: its longest text whole, its header's too (features
    named a, b, c cut the header to "featu"), and the cell's margins, at most ``cap``.

    >>> _name_room(pd.DataFrame({"feature": ["a", "b"]}), "feature", 160) == 16 + NAME_PX * len("feature")
    True
    """
    longest = int(table[column].astype(str).str.len().max()) if len(table) else 0
    return min(cap, 16 + NAME_PX * max(longest, len(column)))


def _note_px(note: str) -> int:
    return 16 + NOTE_PX * len(note)


def _widths(table: pd.DataFrame, width: int | None) -> dict[str, int]:
    """The pixels of a card's columns: the feature's and the value's texts (at most 160 and 190),
    the percentile's bar and the note's longest text; in a table ``width`` wide, the rest of it
    for the note, at least :data:`NOTE_MIN`.

    >>> table = pd.DataFrame({"feature": ["merchant_category_cd"], "value": ["crypto_exchange_withdrawa"],
    ...                       "note": ["0.00033% of rows (1 of 300,000)"]})
    >>> _widths(table, None)["note"], _widths(table, LABEL_TABLE)["note"], _widths(table, 478)
    (202, 97, {'feature': 156, 'value': 183, 'percentile': 75, 'note': 64})
    """
    feature = _name_room(table, "feature", 160)
    widths = {"feature": feature, "value": _name_room(table, "value", 190), "percentile": PERCENTILE_WIDTH}
    if "note" in table and width is None:
        widths["note"] = max(_note_px(note) for note in table["note"])
    elif "note" in table:
        widths["value"] = min(widths["value"], width - feature - PERCENTILE_WIDTH - NOTE_MIN)
        widths["note"] = width - sum(widths.values())
    return widths


def _note_help(table: pd.DataFrame, room: int) -> str:
    """The note column's help: what a note says, and whole each note that ``room`` pixels cut short."""
    text = "How many rows share a category's value; for a missing value, the median the model read instead."
    whole = [
        f"{code(feature)}: {md(note)}"
        for feature, note in zip(table["feature"], table["note"], strict=True)
        if short_note(note, room) != note
    ]
    return text + (f" In full: {'; '.join(whole)}." if whole else "")


#: A card's table lists more features than this in a scroll box of this many lines, most unusual
#: first: with its header, the table then takes nine lines, and the card fits a 1280x720 screen.
WIDE = 8


def shown_value(dataset: aad.Dataset, row: int, j: int) -> str:
    """Feature ``j`` of ``row`` as the card shows it: ``(missing)`` where the file has no value
    (the model read the column's median there: an analyst took the median for the row's own
    value), else :func:`value_text`."""
    filled = dataset.filled
    if filled is not None and filled[row, j]:
        return "(missing)"
    return value_text(dataset, row, j)


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
        return "(missing)" if pd.isna(written) else visible(written)
    if spec.kind == "part":
        return aad.encoding.part_label(spec.part, value)
    return aad.encoding.number_text(value)


def _category_note(dataset: aad.Dataset, row: int, j: int) -> str:
    """How common the row's category is, its share first (what a narrow column still shows)."""
    spec = dataset.specs[j]
    if spec.kind != "category":
        return ""
    count = round(spec.rows / dataset.X[row, j])
    return f"{_share_text(100 * count / spec.rows)} of rows ({count:,} of {spec.rows:,})"


def rank_line(session: aad.Session, row: int, *, compact: bool = False) -> str:
    """``rank … of … · top …%`` with the move since the previous model version (``compact``: a
    batch card's, without the row count and the rank among unlabelled rows).

    Ranks, as people read a score: the raw score is a number only the model compares (it
    grows without bound as anomalies are labelled), so it is never shown on its own.
    """
    n = session.dataset.n_rows
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
    if compact:
        return f"rank **{now:,}** · **{top_share(now, n)}**{move.replace('rank unchanged', 'unchanged')}"
    return f"rank **{now:,}** of {n:,} · **{top_share(now, n)}**{unlabelled}{move}"


#: How the Label page names the model's rankings (:data:`aad.model.RANKINGS`).
RANKING_TITLES = {
    "feedback": "learned model",
    "strong": "strong model",
    "saturating": "saturating model",
    "forest": "forest's own order",
    "unsupervised": "ensemble's own order",
    "beliefs": "leaf beliefs",
}
#: Nominals in a row after which the Label page suggests something different.
STREAK_HINT = 8


def ranking_title(name: str) -> str:
    """A ranking as the page names it (its own name when the page has no title for it)."""
    return RANKING_TITLES.get(name, name)


def ranking_names(names) -> str:
    """Rankings as the page names them: ``the learned model and the forest's own order``.

    Examples
    --------
    >>> ranking_names(("feedback", "forest"))
    "the learned model and the forest's own order"
    >>> ranking_names(())
    ''
    """
    titles = [f"the {ranking_title(n)}" for n in names]
    return " and ".join([", ".join(titles[:-1]), titles[-1]]) if len(titles) > 1 else "".join(titles)


#: What each ranking is, for the queue's help on the Label page.
RANKING_HELP = {
    "feedback": "the **learned model** (the forest's leaves re-weighted by your labels)",
    "strong": "a **strong model** (the same, trusting your labels twice as much: asked only until "
    "the first anomaly)",
    "saturating": "a **saturating model** (the same, but a found anomaly lifts its neighbours less)",
    "forest": "the **forest's own order** (no feedback)",
    "unsupervised": "the **ensemble's own order** (no feedback)",
    "beliefs": "the **leaf beliefs** (each of the forest's leaves judged by your labels in it alone: "
    "a nominal sets its leaves aside, so rows in leaves nobody has labelled come up)",
}
#: An ensemble's learned model (its rankings have no "forest").
ENSEMBLE_FEEDBACK_HELP = "the **learned model** (the members re-weighted by your labels)"
_COUNTS = {1: "one way", 2: "two ways", 3: "three ways", 4: "four ways", 5: "five ways"}


def _rankings(session: aad.Session) -> tuple[str, ...]:
    """The rankings in the session's queue (the model's, for a queue that follows one)."""
    portfolio = session.learner.portfolio
    return portfolio.rankings if portfolio is not None else session.model.rankings_


def queue_help(session: aad.Session) -> str:
    """The queue's help: the session's rankings, and the rule its queue follows (the forest's
    first look named only where the queue gives it)."""
    portfolio, names = session.learner.portfolio, _rankings(session)
    helps = dict(RANKING_HELP)
    if "unsupervised" in names:  # an ensemble's
        helps["feedback"] = ENSEMBLE_FEEDBACK_HELP
    described = [helps.get(name, f"**{name}**") for name in names]
    listed = ", ".join(described[:-1]) + f" and {described[-1]}" if len(described) > 1 else described[0]
    text = f"The model ranks the rows {_COUNTS.get(len(names), f'{len(names)} ways')}: {listed}. "
    if portfolio is None:
        text += f"This session's queue follows the {ranking_title(session.following)} alone. "
    else:
        looked = " or ".join(f"the {ranking_title(portfolio.rankings[k])}" for k in portfolio.state.looks)
        looks = f", or {looked} after just one, when its record is ahead" if looked else ""
        text += (
            "The queue follows the one whose proposals have been anomalies most often; after a few "
            f"nominals in a row it tries another ranking's top row{looks}. "
        )
    return text + DIFFERENT_HELP


#: What **Different** (D) looks for, as the engine checks it (:meth:`aad.Session.outside_found`).
DIFFERENT_HELP = (
    "**Different** (D) shows a row high in the forest's own order outside the found anomalies' regions: "
    "in at least half of the trees its leaf holds none of them. It may still share some values with "
    "them (an IP, a user agent); pressed again, the next such row."
)


def queue_line(session: aad.Session, row: int) -> str:
    """Which ranking proposed the card's row, which the queue follows and with what record, and
    the nominals in a row; after :data:`STREAK_HINT` of them, a hint at **Different**."""
    following = ranking_title(session.following)
    line = proposed_line(session, row) or "Next in the queue"
    if row == session.different_row:
        line = f"Something different: {_different_what(session, row)}"
    record = session.queue_records().get(session.following)
    followed = f"the queue follows the {following}"
    if record and record[1]:
        found = "1 anomaly" if record[0] == 1 else f"{record[0]} anomalies"  # of the rows it proposed
        followed += f" ({found} among the {count(record[1], 'row')} it proposed)"
    line += f" · {followed}"
    streak = session.streak
    if streak:
        line += f" · {count(streak, 'nominal')} in a row"
    if streak >= STREAK_HINT:
        line += ". A kind may be used up: **Different** (D) shows a row outside the found anomalies' regions."
    return line


def proposed_line(session: aad.Session, row: int) -> str:
    """``Proposed by`` the rankings whose top row ``row`` is; empty when none proposed it (the
    next rows of the ranking the queue follows)."""
    proposers = session.proposed_by(row)
    by = "every ranking" if len(proposers) == len(_rankings(session)) else ranking_names(proposers)
    return f"Proposed by {by}" if by else ""


def _different_what(session: aad.Session, row: int) -> str:
    """What is true of the row **Different** showed: the top of a ranking, or high in the forest's
    own order (or in another ranking); and whether it lies outside the found anomalies' regions
    (in at least half of the trees its leaf holds none of them), as the engine checks it."""
    by = ranking_names(session.proposed_by(row))
    outside = session.outside_found(row)
    if by:
        head = f"the top of {by}"
    elif outside:  # Different's first choice: the forest's order among the rows outside
        head = "high in the forest's own order"
    else:  # no row outside is left to show: the next rows of another ranking
        head = "high in another ranking than the queue's"
    if not session.n_anomalies or outside is None:
        return head + (" (no anomaly found yet)" if not session.n_anomalies else "")
    if outside:
        return f"{head}, outside the found anomalies' regions"  # the help: it may still share values
    return f"{head}, inside the found anomalies' regions: in most trees its leaf holds one of them"


def all_ranks(session: aad.Session) -> np.ndarray:
    """Every row's rank (1 = most anomalous; tied rows share the best), as :meth:`aad.Session.ranks`
    gives them, in one sort."""
    scores = session.scores()
    return 1 + len(scores) - np.searchsorted(np.sort(scores), scores, side="right")


def written_values(session: aad.Session, rows, features) -> dict[str, list[str]]:
    """The values of the model's ``features`` (their indices) in ``rows``, as the data writes them,
    by column: a category as its text, a number as written (``$1,234.50``), a timestamp as written
    once for all its parts, ``(missing)`` where the file has no value. For the Explore page's hover.

    Examples
    --------
    >>> session = aad.Session.create(aad.load_data("toy2"), store=aad.Store(":memory:"))
    >>> written_values(session, [0, 1], [1]) == {"y": [value_text(session.dataset, r, 1) for r in (0, 1)]}
    True
    """
    dataset, rows = session.dataset, np.asarray(rows, dtype=np.int64)
    sources, out = dataset.sources, {}
    for j in features:
        spec = dataset.specs[j]
        if spec.column in out:  # another part of the same timestamp
            continue
        if sources is not None and spec.column in sources.columns:
            cells = sources[spec.column].iloc[rows]
            out[spec.column] = ["(missing)" if pd.isna(v) else str(v) for v in cells]
            continue
        gaps = np.zeros(len(rows), bool) if dataset.filled is None else dataset.filled[rows, j]
        numbers = dataset.X[rows, j]
        out[spec.column] = [
            "(missing)" if gap else aad.encoding.number_text(v) for v, gap in zip(numbers, gaps, strict=True)
        ]
    return out


def label_texts(session: aad.Session, rows) -> list[str]:
    """Each row's label in a few words for the Explore page's hover: ``anomaly · card testing``,
    ``nominal``, ``""`` when it has none."""
    states = session.row_labels()
    out = []
    for row in np.asarray(rows, dtype=np.int64).tolist():
        state = states.get(row)
        if state is None:
            out.append("")
        else:
            name = aad.label_name(state.label)
            out.append(f"{name} · {state.kind}" if state.kind else name)
    return out


def top_share(rank: int, n: int) -> str:
    """Where a rank sits among ``n`` rows, as people say it: ``top 0.002%``, ``top 3%``; in the
    lower half, from the bottom (rank 4,868 of 5,000 said "top 97%").

    Examples
    --------
    >>> top_share(1, 50_000), top_share(7, 485), top_share(120, 1000), top_share(500, 1000)
    ('top 0.002%', 'top 1.4%', 'top 12%', 'top 50%')
    >>> top_share(4868, 5000), top_share(1000, 1000)
    ('bottom 2.7%', 'bottom 0.1%')
    """
    if 2 * rank > n:
        return f"bottom {_percent(100.0 * (n - rank + 1) / n)}"
    return f"top {_percent(100.0 * rank / n)}"


def _percent(share: float) -> str:
    """A share in percent to two significant digits below 10 %, whole above."""
    return f"{share:.0f}%" if share >= 10 else f"{float(f'{share:.2g}'):g}%"


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st, ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


#: What the rank on a card means (its tooltip).
SCORE_HELP = (
    "Rank 1 is the row the model finds most anomalous; top 1% means 99% of rows rank below it. "
    "Each label moves the ranks of the rows that share leaves with the labelled row, up for an "
    "anomaly and down for a nominal. The raw scores are in the scores download."
)


@st.cache_data(max_entries=2000, show_spinner=False)
def _explain(fingerprint: str, params: str, seed: int, row: int, _session: aad.Session) -> str:
    names = _session.dataset.feature_names
    why = aad.explain_row(_session.model, _session.dataset, row)
    shares = ", ".join(f"{code(names[f])} {share:.0%}" for f, share in why.importances[:3])
    rule = why.rule_text(DISPLAY_DIGITS, values=CARD_VALUES)
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
    out = f"{where}; across all trees, the splits that isolate it are on {shares}"
    if why.by_surrogate:
        detector = DETECTOR_NAMES[_session.detector].lower()
        out += (
            f" (the boxes of an axis-aligned surrogate forest: the {detector} has no boxes of its own, "
            "and its own scores rank the rows)"
        )
    return out


#: The detectors as the Data page and the sidebar name them (:data:`aad.DETECTORS`).
DETECTOR_NAMES = {
    "iforest": "Isolation forest",
    "eif": "Extended isolation forest",
    "ensemble": "Ensemble",
}


def detector_text(session: aad.Session) -> str:
    """The session's detector in a few words: an ensemble names its members.

    >>> class Fake:
    ...     detector = "eif"
    ...     record = type("R", (), {"params": {"ndim": 3}})()
    >>> detector_text(Fake())
    'Extended isolation forest (3 features per split)'
    """
    detector = session.detector
    if detector == "eif":
        return f"{DETECTOR_NAMES[detector]} ({session.record.params.get('ndim', 2)} features per split)"
    if detector == "ensemble":
        return f"Ensemble of {', '.join(code(name) for name in session.model.member_names_)}"
    return DETECTOR_NAMES[detector]


def members_line(session: aad.Session, row: int) -> str | None:
    """For an ensemble, which members call ``row`` anomalous (their top 5 %) and the weight each
    has learned; None for a forest."""
    members = session.members(row)
    if members is None:
        return None

    def one(member: dict) -> str:
        weight, calibrated = member["weight"], member["calibrated"]
        return f"{code(member['member'])} (weight {weight:.2f}, calibrated {calibrated:.2f})"

    calling = [one(m) for m in members if m["calls"]]
    others = [one(m) for m in members if not m["calls"]]
    line = f"**Members calling it anomalous:** {', '.join(calling) if calling else 'none'}"
    return line + (f"; not: {', '.join(others)}" if others else "")


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
    below, above = session.value_shares(row)
    dataset = session.dataset
    names = dataset.feature_names
    parts = []
    for j in sorted(range(len(names)), key=lambda j: (-far[j], -abs(pct[j] - 50), j))[:3]:
        value = f"{code(names[j])} = {md(cut(shown_value(dataset, row, j), SHOWN_CHARS))}"
        if dataset.specs[j].kind in ("category", "part"):
            parts.append(f"{value}, as in {_share_text(_same_share(dataset, row, j))} of rows")
        else:
            parts.append(f"{value} {_place_in_column(below[j], above[j])}")
    return "; ".join(parts)


def _place_in_column(below: float, above: float) -> str:
    """Where a number sits in its column, from the percent of rows strictly below and above it:
    the rows that share it are counted on neither side, so the sentence holds for ties.

    Examples
    --------
    >>> _place_in_column(82.1, 0.0), _place_in_column(82.1, 0.2), _place_in_column(0.5, 75.8)
    ('is the highest in its column', 'is higher than 82% of rows', 'is lower than 76% of rows')
    >>> _place_in_column(0.0, 0.0)
    'as in every row'
    """
    if below == 0 and above == 0:
        return "as in every row"
    if above == 0 or below == 0:
        return f"is the {'highest' if above == 0 else 'lowest'} in its column"
    if below >= above:
        return f"is higher than {_share_below_100(below)}% of rows"
    return f"is lower than {_share_below_100(above)}% of rows"


def _same_share(dataset: aad.Dataset, row: int, j: int) -> float:
    """The percent of rows whose feature ``j`` has the value ``row`` has: for a category, the
    value as written (two categories as rare share their encoded rarity, not their rows)."""
    spec = dataset.specs[j]
    if spec.kind != "category":
        return 100.0 * float((dataset.X[:, j] == dataset.X[row, j]).mean())
    written = dataset.sources[spec.column]
    value = written.iloc[row]
    same = written.isna() if pd.isna(value) else written == value
    return 100.0 * float(same.mean())


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
    """One line on the latest action (an undo: what it undid; a redo: what it gave back), or how
    to start."""
    described = _described(session)
    if not described:
        return "No labels yet: press **A** (anomaly) or **N** (nominal) on the first card, **S** to skip it."
    action, kind, shown = described[-1]
    if kind.endswith("rename kind"):  # its rows' kinds changed, their labels not
        before = cut(
            _one_or_many(c.before.kind for c in session.changes(shown) if c.before is not None), SHOWN_CHARS
        )
        after = cut(_one_or_many(c[2] for c in shown.cells()), SHOWN_CHARS)
        what = f"{kind} {md(before)} → {md(after)} on {count(len(shown.rows), 'row')}"
        return f"Last: {what} · model v{action.number} · {action.created_at[11:19]} UTC · saved"
    rows = ", ".join(map(str, shown.rows[:5])) + ("…" if len(shown.rows) > 5 else "")
    label = f" → {_labels_text(session, shown)}" if shown.kind == "label" else ""
    kinds = _one_or_many(c[2] for c in shown.cells()) if shown.kind == "label" else ""
    label += f" ({md(cut(kinds, SHOWN_CHARS))})" if kinds else ""  # a long kind wrapped the line thrice
    what = f"{kind} row{'s' if len(shown.rows) > 1 else ''} {rows}{label}" if shown.rows else kind
    return f"Last: {what} · model v{action.number} · {action.created_at[11:19]} UTC · saved"


def growth_text(growth) -> str:
    """What an addition of rows did, in one sentence (:class:`aad.stream.grow.Growth`)."""
    alarm = {None: "not checked (river is not installed)", True: "raised", False: "none"}[growth.drift_alarm]
    drifted = f"{count(growth.drifted_trees, 'tree')} of the forest drifted"
    if growth.trees_replaced:
        on = "the whole table" if getattr(growth, "regrown_on", "new") == "table" else "the new rows"
        replaced = f"{count(growth.trees_replaced, 'tree')} regrown on {on} (their leaves drifted)"
    elif growth.drifted_trees and growth.rows_added < growth.regrow_rows:
        replaced = (
            f"no tree replaced ({drifted}; a tree is regrown on at least {growth.regrow_rows:,} new rows)"
        )
    else:
        replaced = f"no tree replaced ({drifted})"
    return (
        f"{count(growth.rows_added, 'row')} added; {replaced}; drift alarm (ADWIN): {alarm}; every label kept"
    )


def _described(session: aad.Session) -> list[tuple]:
    """Every action with its name and the action it shows: an undo shows what it undid, a redo
    the action it gave back (``redo label``, with that action's rows, label and source).

    Found by replaying the log as the session does: each undo takes back the latest action
    not yet undone.
    """
    out, undoable = [], []
    for action in session.history():
        shown, kind = action, action.kind
        if action.addition is not None:  # rows added: outside the undo history
            kind = f"added {count(action.addition.n_rows, 'row')}"
        elif action.kind != "undo":
            original = session.redo_of(action)
            if original is not None:
                shown, kind = original, f"redo {_action_name(original)}"
            else:
                kind = _action_name(action)
            undoable.append(shown)
        elif undoable:
            shown = undoable.pop()
            kind = f"undo {_action_name(shown)}"
        out.append((action, kind, shown))
    return out


#: The source of a rename (or merge) of a kind: a label action on its rows.
RENAME_VIA = aad.session.RENAME_VIA


def _action_name(action) -> str:
    """``label``, ``skip``, ``unskip``, or ``rename kind`` for a label action that renamed one."""
    return "rename kind" if action.kind == "label" and action.via == RENAME_VIA else action.kind


# --------------------------------------------------------------------------- tables


def context_line(session: aad.Session, row: int) -> str | None:
    """The row's context (an id, free text: not features) and its timestamps (the clock time as
    written, without an offset), for its card; None if none.

    A column that looks like the answer (``is_fraud``: named like a ground truth, two values)
    is left out: it would be a hint, not context.
    """
    dataset = session.dataset
    context = shown_context(session)
    cells = [] if context is None else list(context.iloc[row].items())
    times = list(dict.fromkeys(spec.column for spec in dataset.specs if spec.kind == "part"))
    cells += [(name, dataset.sources[name].iloc[row]) for name in times]
    shown = [f"{md(name)} {code(cut(value, SHOWN_CHARS))}" for name, value in cells if pd.notna(value)][:8]
    return " · ".join(shown) if shown else None


def shown_context(session: aad.Session) -> pd.DataFrame | None:
    """The context columns shown beside a row while labelling it: all but those that look like
    the answer (:func:`aad.columns.looks_like_truth`). None when there are none."""
    context = session.dataset.context
    if context is None:
        return None
    hidden = _hint_columns(session.dataset.fingerprint, tuple(context.columns), context)
    kept = [c for c in context.columns if c not in hidden and c not in session.dataset.answers]
    return context[kept] if kept else None


@st.cache_data(max_entries=16, show_spinner=False)
def _hint_columns(fingerprint: str, columns: tuple, _context: pd.DataFrame) -> frozenset:
    return frozenset(c for c in columns if looks_like_truth(str(c), _context[c]))


def scores_csv(session: aad.Session) -> Callable[[], str]:
    """A function writing every row's score, rank, label and values as CSV, as they are now (a
    timestamp as the file wrote it, its ``T`` and offset kept, as ``aad score`` writes it).

    The arrays are copied at once, so a download started later still matches the page
    it was clicked on; the CSV itself is only built when the download is asked for.
    """
    scores, labels, dataset = session.scores().copy(), session.model.labels_.copy(), session.dataset

    def write() -> str:
        return csv_text(aad.score_table(scores, labels=labels, features=dataset.table(as_written=True)))

    return write


def history_frame(session: aad.Session) -> pd.DataFrame:
    """The session's actions, newest first: model version, time, action, label, kind, note,
    analyst, where the action was taken, and its rows.

    An undo names what it undid ("undo label", with that action's rows and label); a relabel
    shows the change (``nominal → anomaly``).
    """
    records = []
    for action, kind, shown in _described(session):
        cells = shown.cells() if shown.kind == "label" else []
        records.append(
            {
                "model version": action.number,
                "time (UTC)": action.created_at[:19].replace("T", " "),
                "action": kind,
                "label": _labels_text(session, shown),
                "kind": _one_or_many(c[2] for c in cells),
                "note": _one_or_many(c[3] for c in cells),
                "analyst": action.analyst or "",
                "via": shown.via or "",
                "rows": _rows_text(shown.rows),
            }
        )
    columns = ["model version", "time (UTC)", "action", "label", "kind", "note", "analyst", "via", "rows"]
    return grid_text(pd.DataFrame(records[::-1], columns=columns))


def _rows_text(rows: tuple[int, ...]) -> str:
    """An action's rows for the history: all of a few, the first eight of many and their count.

    >>> _rows_text((3, 5)), _rows_text(tuple(range(12)))
    ('3, 5', '0, 1, 2, 3, 4, 5, 6, 7 … (12 rows)')
    """
    if len(rows) <= 8:
        return ", ".join(map(str, rows))
    return ", ".join(map(str, rows[:8])) + f" … ({count(len(rows), 'row')})"


def _labels_text(session: aad.Session, action) -> str:
    """A label action's labels: ``anomaly``; a relabel ``nominal → anomaly``; mixed, counted."""
    if action.kind != "label":
        return ""
    changes = session.changes(action)
    names = Counter(_transition(c) for c in changes)
    if not names:
        names = Counter(aad.label_name(lab) for lab in action.labels if lab is not None and lab >= 0)
    if len(names) == 1:
        return next(iter(names))
    return ", ".join(f"{n} {name}" for name, n in names.most_common())


def _transition(change) -> str:
    before = change.before.label if change.before else aad.UNLABELLED
    after = change.after.label if change.after else aad.UNLABELLED
    if before == after:
        return "kind or note"
    if after == aad.UNLABELLED:
        return f"{aad.label_name(before)} → unlabelled"
    if before == aad.UNLABELLED:
        return aad.label_name(after)
    return f"{aad.label_name(before)} → {aad.label_name(after)}"


def _one_or_many(values) -> str:
    kept = list(dict.fromkeys(v for v in values if v))
    return kept[0] if len(kept) == 1 else ", ".join(kept[:3]) + (" …" if len(kept) > 3 else "")


def change_text(changes: list, *, unchanged: int = 0) -> str:
    """What an action did, in words: ``Labelled 2 rows anomaly; 1 row changed from nominal to anomaly``.

    ``unchanged``: rows asked for that already carried the label (``1 already was``).

    Examples
    --------
    >>> from aad.session import Change
    >>> from aad.store import RowLabel
    >>> change_text([Change(3, RowLabel(0), RowLabel(1))])
    '1 row changed from nominal to anomaly'
    >>> change_text([Change(1, None, RowLabel(1)), Change(2, None, RowLabel(1))], unchanged=1)
    'Labelled 2 rows anomaly; 1 already was'
    """
    moves = Counter()
    annotated = 0
    for c in changes:
        before = c.before.label if c.before else aad.UNLABELLED
        after = c.after.label if c.after else aad.UNLABELLED
        if before == after:
            annotated += 1
        else:
            moves[(before, after)] += 1
    parts = []

    def order(item) -> tuple:  # new labels first (anomalies, then nominals), then changes, then removals
        (before, after), _ = item
        return (before != aad.UNLABELLED) + (after == aad.UNLABELLED), -after, before

    for (before, after), n in sorted(moves.items(), key=order):
        if before == aad.UNLABELLED:
            parts.append(f"labelled {count(n, 'row')} {aad.label_name(after)}")
        elif after == aad.UNLABELLED:
            parts.append(f"removed the label of {count(n, 'row')} (was {aad.label_name(before)})")
        else:
            parts.append(
                f"{count(n, 'row')} changed from {aad.label_name(before)} to {aad.label_name(after)}"
            )
    if annotated:
        parts.append(f"changed the kind or note of {count(annotated, 'row')}")
    if unchanged:
        parts.append(f"{unchanged} already {'was' if unchanged == 1 else 'were'}")
    out = "; ".join(parts) or "nothing changed"
    return out[0].upper() + out[1:]


#: The label column of the editable tables: what each value means.
LABEL_CHOICES = ("anomaly", "nominal", "—")
#: The columns of the editable tables the analyst may change (the rest are shown only).
EDITABLE = ("label", "kind", "note")


def label_for_table(label: int) -> str:
    """A label as the editable tables show it (``—``: unlabelled)."""
    return aad.label_name(label) if label != aad.UNLABELLED else LABEL_CHOICES[-1]


def label_from_table(value) -> str:
    """A label cell edited in a table, for :class:`aad.Edit` (``""``: remove the label)."""
    return "" if value in (None, "", LABEL_CHOICES[-1]) else str(value)


def rows_table(session: aad.Session, rows) -> pd.DataFrame:
    """Rows as the editable tables list them: row, rank, top share, label, kind, note (the three
    the analyst may edit), their context (not the columns that look like the answer) and values."""
    rows = np.asarray(rows, dtype=np.int64)
    n = session.dataset.n_rows
    ranks = all_ranks(session)[rows]
    states = session.row_labels()
    frame = pd.DataFrame(
        {
            "row": rows,
            "rank": ranks,
            "top": [_percent(100.0 * int(r) / n) for r in ranks],
            "label": [label_for_table(int(session.model.labels_[r])) for r in rows],
            "kind": [(states[r].kind or "") if r in states else "" for r in rows.tolist()],
            "note": [(states[r].note or "") if r in states else "" for r in rows.tolist()],
        }
    )
    context = shown_context(session)
    parts = [frame]
    if context is not None:
        taken = set(frame.columns)
        shown = context.iloc[rows].reset_index(drop=True)
        parts.append(shown.rename(columns={c: f"{c} (data)" for c in shown.columns if c in taken}))
    values = session.dataset.values_as_read().iloc[rows].reset_index(drop=True)  # categories as written
    taken = {c for part in parts for c in part.columns}
    parts.append(values.rename(columns={c: f"{c} (value)" for c in values.columns if c in taken}))
    return grid_text(pd.concat(parts, axis=1), editable=EDITABLE)


def grid_text(frame: pd.DataFrame, *, editable: tuple[str, ...] = ()) -> pd.DataFrame:
    r"""``frame`` as a grid shows it: the direction controls in its text cells and column names
    written as their escapes (:func:`app.text.visible`), as on the cards. The grids draw text
    as it is, so a cell holding U+202E showed the text after it backwards ("Shop\u202eevil"
    read "Shoplive"). The ``editable`` columns keep their text: an edit starts from it.

    >>> grid_text(pd.DataFrame({"shop\u202e": ["Shop\u202eevil", "ok"], "n": [1, 2]})).to_dict("list")
    {'shop\\u202e': ['Shop\\u202eevil', 'ok'], 'n': [1, 2]}
    """
    shown = frame.copy()
    for column in shown.columns:
        if column in editable or not _is_text(shown[column]):
            continue
        shown[column] = pd.Series(
            [visible(v) if isinstance(v, str) else v for v in shown[column]], index=shown.index, dtype=object
        )
    return shown.rename(columns={c: visible(c) for c in shown.columns if c not in editable})


def _is_text(column: pd.Series) -> bool:
    return column.dtype == object or isinstance(column.dtype, (pd.StringDtype, pd.CategoricalDtype))


def kinds_frame(session: aad.Session) -> pd.DataFrame:
    """The labelled anomalies counted by kind, most common first (``(no kind)`` last): the count
    first, so a long kind in a narrow column never hides it."""
    counts = session.kinds()
    named = [(n, k) for k, n in counts.most_common() if k]
    if counts.get(""):
        named.append((counts[""], NO_KIND))
    return pd.DataFrame(named, columns=["anomalies", "kind"])


def rename_kind_text(counts: Counter, old: str | None, new: str | None) -> str:
    """The Rename button's label for kind ``old`` and the name typed, ``counts`` the anomalies by
    kind (:meth:`aad.Session.kinds`): a merge when the name is another kind (in any case), as the
    engine compares them. Kinds are the analyst's text: shown literally.

    Examples
    --------
    >>> counts = Counter({"card testing": 40, "card test": 12, "<b>x</b>": 1})
    >>> rename_kind_text(counts, "card test", " CARD  testing")
    'Merge into card testing (12 + 40 rows)'
    >>> print(rename_kind_text(counts, "<b>x</b>", "**y**"), "|", rename_kind_text(counts, "card test", ""))
    Rename \\<b\\>x\\</b\\> to \\*\\*y\\*\\* (1 row) | Rename
    """
    old, new = old or "", " ".join((new or "").split())
    if not old or not new or new.casefold() == old.casefold():
        return "Rename"
    into = next((kind for kind in counts if kind and kind != old and kind.casefold() == new.casefold()), None)
    if into is not None:
        return f"Merge into {md(into)} ({counts[old]:,} + {counts[into]:,} rows)"
    return f"Rename {md(old)} to {md(new)} ({count(counts[old], 'row')})"


def compact_values(session: aad.Session, row: int, limit: int = 4) -> str:
    """A batch card's values on one line, the most unusual first: ``amount 4210 (highest)``."""
    pct, far = session.percentiles(row), session.unusualness(row)
    below, above = session.value_shares(row)
    names = session.dataset.feature_names
    order = sorted(range(len(names)), key=lambda j: (-far[j], -abs(pct[j] - 50), j))[:limit]
    parts = []
    for j in order:
        spec = session.dataset.specs[j]
        side = _place(pct[j], below[j], above[j])
        if spec.kind == "category":  # its text, and how many rows share it (not its rarity)
            side = f"{round(spec.rows / session.dataset.X[row, j]):,} of {spec.rows:,} rows"
        parts.append(
            f"{code(names[j])} {md(cut(shown_value(session.dataset, row, j), SHOWN_CHARS))} ({side})"
        )
    more = f" · {len(names) - limit} more" if len(names) > limit else ""
    return " · ".join(parts) + more


def _place(percentile: float, below: float, above: float) -> str:
    """Where a value sits in its column, for a batch card: its percentile, ``highest`` or
    ``lowest`` only when no row is above or below it (``below``, ``above``: the percent of rows
    strictly on each side), and ``top 1%`` or ``bottom 1%`` past the 99th percentile (it said
    "highest" for a value two rows exceeded).

    >>> _place(1.2, 1.1, 98.8), _place(42, 41.9, 58.0), _place(99.6, 99.5, 0.04), _place(99.9, 99.8, 0.0)
    ('1st pct', '42nd pct', 'top 1%', 'highest')
    >>> _place(0.3, 0.2, 99.7), _place(0.1, 0.0, 99.9)
    ('bottom 1%', 'lowest')
    """
    if above == 0 or below == 0:
        return "as every row" if above == below else "highest" if above == 0 else "lowest"
    if 1 <= percentile <= 99:
        return f"{_ordinal(round(percentile))} pct"
    return "top 1%" if percentile > 50 else "bottom 1%"


def sessions_frame(summaries: list[aad.SessionSummary]) -> pd.DataFrame:
    """The session list as a table."""
    return pd.DataFrame(
        [
            {  # the texts users typed with their direction controls as escapes (U+202E turned a title around)
                "id": s.id,
                "title": visible(s.title),
                "dataset": visible(s.dataset),
                "labels": s.n_labels,
                "anomalies": s.n_anomalies,
                "analysts": visible(_shorten(", ".join(s.analysts), 40)),
                "features": _shorten(", ".join(s.features), 60),
                "ground truth": s.label_column or "",
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
            "rule": rule.format(digits=DISPLAY_DIGITS, encoding=specs, values=DISPLAY_VALUES),
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


def rules_display(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`rules_frame` for ``st.table``, which wraps long rules and so shows every column on a
    laptop screen: each rule numbered as the warnings above it name it ("Rule 2 covers ..."), as
    literal code (``st.table`` reads its cells as Markdown, and a rule names columns of the data),
    the precisions with two decimals.

    Examples
    --------
    >>> rules_display(pd.DataFrame({"rule": ["a*b > 1"], "support": [3], "precision on labels": [0.5]}))
    ... # doctest: +NORMALIZE_WHITESPACE
       no.       rule  support precision on labels
    0    1  `a*b > 1`        3                0.50
    """
    out = frame.copy()
    out.insert(0, "no.", range(1, len(out) + 1))  # "#" would be read as a Markdown heading: blank
    out["rule"] = out["rule"].map(code)
    for column in ("precision on labels", "true precision"):
        if column in out:
            out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    return out


def export_cautions(session: aad.Session, description, rules: str | None) -> list[str]:
    """What a reader of the SQL and pandas exports should know that their text cannot say: a
    tested column the file writes as text with a unit or separators
    (:func:`aad.numbers_from_text`, from the rules' JSON export ``rules``), a duration or a
    timestamp with time zones in the SQL (:func:`aad.export_notes`)."""
    if rules is None:  # the export failed, and said so
        return []
    as_text = aad.numbers_from_text(session.dataset, rules, ("sql", "pandas"))
    sql = aad.export_notes(description, "sql", feature_names=session.dataset.feature_names)
    return ([] if as_text is None else [as_text]) + list(sql)


def export_rules(session: aad.Session, description, fmt: str) -> str | None:
    """The rules in format ``fmt`` as a file's text (ending with a line break); None (with the
    engine's message shown) if that fails."""
    try:
        text = aad.export_rules(
            description,
            fmt,
            feature_names=session.dataset.feature_names,
            provenance=session.provenance(description),
        )
    except aad.AADError as err:
        st.error(md(err))
        return None
    return text if text.endswith("\n") else text + "\n"


# --------------------------------------------------------------------------- finding rows


#: Characters that show nothing (zero-width spaces and joiners, the byte order mark): the cards
#: put a zero-width space into ``http://`` and ``a@b`` so that no link is made of them, and a value
#: copied off a card into a search carried it (``+SUM(A1:A9)`` found 0 rows, typed 51).
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def find_rows(
    session: aad.Session,
    query: str = "",
    *,
    labels: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (),
    top: int = 0,
    ranges: dict[str, tuple[float | None, float | None]] | None = None,
) -> np.ndarray:
    """The rows matching every filter given, most anomalous first.

    Parameters
    ----------
    query : str
        A row number (that row first), or text found (any case) in an id or another context column
        (``T0042``, ``grocery``); several words must all be found, each in some column. A date as the
        file writes it finds the rows on that day (:func:`_on_date`). A value in double quotes must be
        a whole cell (any case), not part of one: ``"10.45.218.15"`` finds that address, not
        ``10.45.218.157`` (:func:`search_terms`).
    labels : tuple of str
        Any of ``unlabelled``, ``anomaly``, ``nominal``, ``skipped`` (empty: any).
    kinds : tuple of str
        Anomalies of these kinds (``(no kind)``: those without one).
    top : int
        Only rows ranked ``top`` or better (0: any rank).
    ranges : dict
        ``column -> (low, high)``: a feature's value as read (missing values never match), or a
        numeric context column's, within the bounds (None: open).
    """
    query = _ZERO_WIDTH.sub("", query)  # text copied off a card: its links broken by zero-width spaces
    n = session.dataset.n_rows
    keep = _text_mask(session, query)
    if labels:
        keep &= _label_mask(session, labels)
    if kinds:
        keep &= _kind_mask(session, kinds)
    for column, bounds in (ranges or {}).items():
        keep &= _within(column_values(session, column), *bounds)
    order = _rank_order(session)
    if top:
        keep[order[top:]] = False
    found = order[keep[order]]
    named = int(query) if query.strip().isdecimal() and int(query) < n else -1
    if named >= 0 and keep[named]:  # a row number: that row first, then the text it is found in
        found = np.concatenate([[named], found[found != named]])
    return found


#: A value in double quotes, a whole cell to find (its spaces its own), or a word to find in a cell.
_TERM = re.compile(r'"([^"]*)"|(\S+)')


def search_terms(query: str) -> tuple[list[str], list[str]]:
    """A search's words, each to be found in some cell, and its quoted values, each to be some
    whole cell; an empty pair of quotes is no value, and an unmatched quote is text.

    Examples
    --------
    >>> search_terms('10.45.218.15 "185.220.101.47" "Mozilla/5.0 (X11)" ""')
    (['10.45.218.15'], ['185.220.101.47', 'Mozilla/5.0 (X11)'])
    >>> search_terms('j.müller "10.45')
    (['j.müller', '"10.45'], [])
    """
    words, whole = [], []
    for quoted, word in _TERM.findall(query):
        if word:
            words.append(word)
        elif quoted.strip():
            whole.append(quoted.strip())
    return words, whole


def _text_mask(session: aad.Session, query: str) -> np.ndarray:
    """The rows a search's text finds: every word in some cell, every quoted value some whole cell;
    several words that name a date (``Oct 28, 2024``), the rows of that day."""
    words, whole = search_terms(query)
    keep = np.ones(session.dataset.n_rows, dtype=bool)
    on_date = _on_date(session.dataset, query) if len(words) > 1 and not whole else None  # Oct 28, 2024
    if on_date is not None and on_date.any():
        return keep & on_date
    for word in words:
        keep &= _matches(session, word)
    for value in whole:
        keep &= _matches(session, value, whole=True)
    return keep


def _within(values: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    """Values within the bounds (None: open); a missing value (NaN) never is."""
    low = -np.inf if low is None else low
    high = np.inf if high is None else high
    with np.errstate(invalid="ignore"):
        return (values >= low) & (values <= high)


def _label_mask(session: aad.Session, labels: tuple[str, ...]) -> np.ndarray:
    now = session.model.labels_
    wanted = np.zeros(len(now), dtype=bool)
    for name in labels:
        if name == "skipped":
            wanted[list(session.skipped)] = True
        elif name == "unlabelled":
            wanted |= now == aad.UNLABELLED
        else:
            wanted |= now == aad.to_label(name)
    return wanted


def _kind_mask(session: aad.Session, kinds: tuple[str, ...]) -> np.ndarray:
    chosen = set(kinds)
    of_kind = np.zeros(session.dataset.n_rows, dtype=bool)
    rows = [
        r for r, s in session.row_labels().items() if s.label == aad.ANOMALY and (s.kind or NO_KIND) in chosen
    ]
    of_kind[rows] = True
    return of_kind


#: How the kind filter and the Progress page name the anomalies without a kind.
NO_KIND = "(no kind)"


def _rank_order(session: aad.Session) -> np.ndarray:
    """Every row, most anomalous first (ties in row order)."""
    return np.argsort(-session.scores(), kind="stable")


def range_columns(session: aad.Session) -> list[str]:
    """The columns a value range can filter on: the numeric features (a timestamp's hour too, not
    a category's rarity), then the numeric context columns."""
    context = shown_context(session)
    numeric = [] if context is None else [c for c in context.columns if _is_number(context[c])]
    features = [s.name for s in session.dataset.specs if s.kind in ("number", "integer", "part")]
    return features + [c for c in numeric if c not in session.dataset.feature_names]


def column_values(session: aad.Session, column: str) -> np.ndarray:
    """A feature's values as read (NaN where missing in the file), or a numeric context column's."""
    names = session.dataset.feature_names
    if column in names:
        return session.dataset.X_as_read[:, names.index(column)]
    return session.dataset.context[column].to_numpy(dtype=float, na_value=np.nan)


def range_gaps(session: aad.Session, columns) -> str | None:
    """Which of the range-filtered columns have rows with no value (a missing cell, shown on a
    card as the value filled in): no range matches them, so the page says how many it leaves out.
    None when every row has a value."""
    missing = [(c, int(np.isnan(column_values(session, c)).sum())) for c in columns]
    said = [f"{md(str(c))}: {count(n, 'row')}" for c, n in missing if n]
    if not said:
        return None
    return "Rows with no value match no range, so these are left out: " + ", ".join(said) + "."


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _matches(session: aad.Session, word: str, *, whole: bool = False) -> np.ndarray:
    """The rows with ``word`` in some cell (any case), or its row number, or a date it names; with
    ``whole``, the rows with a cell that is ``word`` (any case) and nothing else."""
    n = session.dataset.n_rows
    found = np.zeros(n, dtype=bool)
    if word.isdecimal() and int(word) < n and not whole:
        found[int(word)] = True
    context = searchable(session)
    if context is not None:
        texts = _search_texts(session.dataset.fingerprint, tuple(context.columns), context)
        needle = word.casefold()
        for column in texts.values():
            hits = column == needle if whole else column.str.contains(needle, regex=False)
            found |= hits.to_numpy(dtype=bool)
    return found if whole else found | _on_date(session.dataset, word)


def _on_date(dataset: aad.Dataset, word: str) -> np.ndarray:
    """The rows whose timestamp falls on the day ``word`` names, written in any style the
    loader reads (``28.10.2024``, ``10/28/2024``, ``Oct 28, 2024``), or in the minute when it
    names a time too (``28.10.2024 14:30``): the card shows ``2024-10-28 14:30:00``, the
    analyst knows the date as the file writes it. Dates with slashes take the column's own
    order of day and month; a time of day alone is found as text.

    Examples
    --------
    >>> frame = pd.DataFrame({"at": ["28.10.2024 14:30", "29.10.2024 09:00"], "amount": [1.0, 2.0]})
    >>> data = aad.dataset_from_frame(frame, non_numeric="encode")
    >>> _on_date(data, "28.10.2024").tolist(), _on_date(data, "Oct 29, 2024").tolist()
    ([True, False], [False, True])
    >>> _on_date(data, "28.10.2024 14:31").tolist(), _on_date(data, "2024").tolist()
    ([False, False], [False, False])
    """
    found = np.zeros(dataset.n_rows, dtype=bool)
    if not any(ch.isdigit() for ch in word):
        return found
    orders = {spec.column: spec.order for spec in dataset.specs if spec.kind == "part"}
    for column, order in orders.items():
        times = dataset.sources[column]
        if not pd.api.types.is_datetime64_any_dtype(times):
            continue
        reading = aad.encoding.parse_timestamps(pd.Series([word]), order=order)
        if reading is None or reading.times is None or reading.clock:
            continue
        when = reading.times.iloc[0]
        unit = "min" if ":" in word else "D"
        found |= (times.dt.floor(unit) == when.floor(unit)).to_numpy(dtype=bool)
    return found


def searchable(session: aad.Session) -> pd.DataFrame | None:
    """The text a search reads: the context shown (ids, free text) and the category and time
    columns as written (``grocery``, ``2024-03-01``); None when there is none."""
    dataset = session.dataset
    written = list(dict.fromkeys(s.column for s in dataset.specs if s.kind in ("category", "part")))
    parts = [shown_context(session)] + [dataset.sources[c].rename(c).reset_index(drop=True) for c in written]
    written_text = () if dataset.written is None else dataset.written.columns
    if len(written_text):  # a timestamp as the file writes it too: 2024-10-14T02:00:21+00:00
        parts += [dataset.written[c].rename(f"{c} as written").reset_index(drop=True) for c in written_text]
    parts = [p for p in parts if p is not None]
    return pd.concat(parts, axis=1) if parts else None


@st.cache_resource(max_entries=2, show_spinner="Indexing the rows' ids and text…")
def _search_texts(fingerprint: str, columns: tuple, _context: pd.DataFrame) -> dict[str, pd.Series]:
    """Each context column as lower-case text (Arrow strings), once per dataset: what the search reads."""
    return {name: _search_text(_context[name]) for name in columns}


def _search_text(column: pd.Series) -> pd.Series:
    """A column as the search reads it: lower-case text, a number as written (``1021`` and
    ``404``, not ``1021.0``, where an empty cell made the column floats: helper-57's review),
    empty where a cell is missing."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        column = aad.encoding.category_values(column).set_axis(column.index)
    return column.astype(str).str.casefold().where(column.notna(), "").astype("string[pyarrow]")
