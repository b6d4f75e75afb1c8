"""Rows page: find any row, fix its label, and bring in labels known beforehand.

* **Find**: by row number, an id or any text of a context column (a value in double quotes: a
  whole cell, ``"10.45.218.15"`` not ``10.45.218.157``), by label (and skipped),
  by kind, by rank, and by value ranges of any feature or numeric column; the matches,
  most anomalous first, in a table whose label, kind and note can be edited (each edit is
  written only if the row still has the label the table showed, as a card's buttons are).
  Every match can be labelled at once. A relabel says what it changed.
* **Go to a row**: its card (rank, context, values, why) with its own buttons, kind and note.
* **Labels known beforehand**: a labels file (rows by number or by an id column, a label,
  optionally a kind and a note) applied as one action: one Undo takes it all back; every bad
  line is listed and nothing is applied from such a file.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import aad
from app import keys, state, text, views

session = state.require_session()
state.apply_table_edits(session, "rows")  # edits of the table as drawn on the run before
state.show_message()
dataset = session.dataset
#: Matches listed in the table (all of them can still be labelled at once, up to MAX_BULK).
SHOWN = 200

st.title("Rows")


def filters() -> tuple[str, tuple, tuple, int, dict]:
    left, middle, right, last = st.columns([4, 3, 3, 2])
    context = views.searchable(session)
    named = ", ".join(map(str, context.columns[:3])) if context is not None else "row numbers"
    query = left.text_input(
        "Find",
        key=keys.ROWS_SEARCH,
        on_change=_forget_goto,  # a new search's one row shows, not the row gone to before
        placeholder=f'a row number, or text of {named}… ("…": a whole value)',
        help="A row number, or any text found (in any case) in the rows' ids, other columns that are "
        "not features, categories and times as written; several words must all be found. A value in "
        'double quotes finds only the cells that are that whole value: "10.45.218.15" finds that '
        "address, not 10.45.218.157 (which 10.45.218.15 alone finds too). A date as your file writes "
        "it (28.10.2024, Oct 28, 2024) finds the rows of that day.",
    )
    labels = middle.multiselect(
        "Label", ["unlabelled", "anomaly", "nominal", "skipped"], key=keys.ROWS_LABELS, placeholder="any"
    )
    kinds = right.multiselect(
        "Kind", [*session.kind_names(), views.NO_KIND], key=keys.ROWS_KINDS, placeholder="any"
    )
    top = last.number_input(  # no value given: it starts at its minimum, 0, or as kept from a visit before
        "Top ranks only",
        0,
        dataset.n_rows,
        key=keys.ROWS_TOP,
        help="Only the rows ranked this or better; 0: any",
    )
    chosen = st.multiselect(
        "Value ranges",
        views.range_columns(session),
        key=keys.ROWS_RANGE_COLUMNS,
        placeholder="filter on the values of a column…",
    )
    ranges = {}
    if chosen:
        boxes = st.columns(min(len(chosen), 4))
        for i, column in enumerate(chosen):
            values = views.column_values(session, column)
            low, high = float(_nan_min(values)), float(_nan_max(values))
            box = boxes[i % len(boxes)]
            shown = text.md(column)  # a column name comes from the data: a label is Markdown
            low_in = box.number_input(f"{shown} from", value=low, key=f"rows_low_{column}", format="%g")
            high_in = box.number_input(f"{shown} to", value=high, key=f"rows_high_{column}", format="%g")
            ranges[column] = (low_in, high_in)
        gaps = views.range_gaps(session, chosen)
        if gaps:
            st.caption(gaps)
    return query or "", tuple(labels), tuple(kinds), int(top), ranges


def _nan_min(values: np.ndarray) -> float:
    return float(np.nanmin(values)) if np.isfinite(values).any() else 0.0


def _nan_max(values: np.ndarray) -> float:
    return float(np.nanmax(values)) if np.isfinite(values).any() else 0.0


def results(found, filtered: bool) -> None:
    listed = [int(r) for r in found[:SHOWN]]
    more = f"; the {SHOWN} most anomalous are listed" if len(found) > SHOWN else ""
    st.markdown(f"**{text.count(len(found), 'row')} found**{more}")
    if not listed:
        return
    frame = views.rows_table(session, listed)
    shown = [int(session.model.labels_[r]) for r in listed]
    generation = st.session_state.get(keys.TABLE_GENERATION, 0)
    key = keys.table_editor("rows_table", session.id, session.version, generation)
    with st.container(key=keys.ROWS_RESULTS):
        st.data_editor(
            frame,
            key=key,
            hide_index=True,
            disabled=[c for c in frame.columns if c not in views.EDITABLE],
            column_config={
                "row": st.column_config.NumberColumn("row", format="%d", pinned=True),
                "rank": st.column_config.NumberColumn("rank", format="%d"),
                "label": st.column_config.SelectboxColumn(
                    "label", options=views.LABEL_CHOICES, required=True
                ),
                "kind": st.column_config.TextColumn("kind", max_chars=aad.store.MAX_KIND),
                "note": st.column_config.TextColumn("note", max_chars=aad.store.MAX_NOTE, width="medium"),
            },
            height=min(len(frame) + 1, 11) * 35 + 3,
        )
    state.remember_table("rows", key, listed, shown, via="rows")
    bulk(found, filtered)


def bulk(found, filtered: bool) -> None:
    if not filtered:  # every row of the table, one click from labelling them all: search first
        st.caption("Search or filter to label the rows found together.")
        return
    if len(found) > state.MAX_BULK:
        st.caption(f"Narrow the search to {state.MAX_BULK:,} rows or fewer to label them all at once.")
        return
    rows = [int(r) for r in found]
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.button(
            f"Label all {len(rows):,} as anomaly",
            key=keys.ROWS_BULK_ANOMALY,
            type="primary",
            on_click=state.label_many,
            args=(rows, "anomaly", "rows", keys.ROWS_BULK_KIND),
        )
        st.selectbox(
            "Kind for the rows found",  # its own name: the filter beside the search is "Kind"
            session.kind_names(),
            index=None,
            key=keys.ROWS_BULK_KIND,
            placeholder="kind (optional)",
            accept_new_options=True,
            label_visibility="collapsed",
            width=200,
        )
        st.button(
            f"Label all {len(rows):,} as nominal",
            key=keys.ROWS_BULK_NOMINAL,
            on_click=state.label_many,
            args=(rows, "nominal", "rows"),
        )


def _forget_goto() -> None:
    st.session_state[keys.ROWS_GOTO] = None


#: The Rows page's card has no keys: the grid above takes what is typed into it (the Label page's
#: table view turns its keys off for that), and a key could reach a card not yet drawn.
ROWS_CARD_KEYS = "The keys A and N label on the Label page only: here, Tab to the buttons below."


def row_card(row: int) -> None:
    """One row, as the Label page shows it, with its own buttons, kind and note."""
    now = int(session.model.labels_[row])
    current = session.row_label(row)
    with st.container(border=True, key=keys.ROWS_CARD):
        status = aad.label_name(now) if now != aad.UNLABELLED else "unlabelled"
        if row in session.skipped:
            status += ", skipped"
        st.markdown(f"### Row {row} · {status}")
        st.markdown(views.rank_line(session, row), help=views.SCORE_HELP)
        context = views.context_line(session, row)
        if context:
            st.caption(context)
        values, why = st.columns([3, 2], gap="medium")  # as the Label page's card: the table fits a laptop
        table = views.row_table(session, row)
        values.dataframe(
            views.fit_notes(table, views.LABEL_TABLE),
            hide_index=True,
            column_config=views.row_table_columns(table, views.LABEL_TABLE),
            height="content" if dataset.n_features <= views.WIDE else 300,
        )
        why.markdown(f"**Why:** {views.why(session, row)}")
        why.caption(f"Most unusual values: {views.unusual_values(session, row)}")
        why.caption(ROWS_CARD_KEYS)
        if current is not None and current.analyst:
            why.caption(
                f"Labelled {aad.label_name(current.label)} by {text.md(current.analyst)} "
                f"({current.created_at[:16].replace('T', ' ')} UTC, model v{current.action})"
            )
        kind_key, note_key = keys.for_card(keys.ROWS_KIND, row), keys.for_card(keys.ROWS_NOTE, row)
        if kind_key not in st.session_state:
            st.session_state[kind_key] = current.kind if current is not None else None
        if note_key not in st.session_state:
            st.session_state[note_key] = (current.note or "") if current is not None else ""
        with st.container(horizontal=True, vertical_alignment="bottom"):
            for value, name, kind in (("anomaly", "Anomaly", "primary"), ("nominal", "Nominal", "secondary")):
                same = now == aad.to_label(value)
                st.button(
                    name if now == aad.UNLABELLED else (f"Save as {value}" if same else f"Change to {value}"),
                    key=keys.for_card(f"rows_{value}", row),
                    type=kind,
                    on_click=state.label_row,
                    args=(row, value, now),
                )
            if now != aad.UNLABELLED:
                st.button(
                    "Remove the label",
                    key=keys.for_card("rows_unlabel", row),
                    on_click=state.label_row,
                    args=(row, "", now),
                )
            options = session.kind_names()
            if current is not None and current.kind and current.kind not in options:
                options = [current.kind, *options]
            st.selectbox(
                "Kind of anomaly",
                options,
                key=kind_key,
                placeholder="kind (optional)",
                accept_new_options=True,
                width=220,
            )
            st.text_input("Note", key=note_key, max_chars=aad.store.MAX_NOTE, width=320)


def import_labels() -> None:
    outcome = st.session_state.pop(keys.IMPORT_MESSAGE, None)
    with st.expander(
        "Labels known beforehand: upload a labels file",
        expanded=outcome is not None,
        icon=":material/upload_file:",
        key=keys.ROWS_IMPORT,
    ):
        if outcome is not None:  # beside the uploader, where the analyst is looking
            level, message = outcome
            getattr(st, level)(message)
        context = views.shown_context(session)
        named = text.md(", ".join(map(str, context.columns[:4]))) if context is not None else ""
        ids = f" or an id column of the data ({named})" if named else ""
        st.caption(
            "A CSV with a **label** column (anomaly/nominal, 1/0, true/false, yes/no), the rows named by a "
            f"**row** column (0-based){ids}, and optionally a **kind** and a **note** column; other columns "
            "are ignored, so the labels download reads back as it is. It is applied as one action: one "
            "**Undo** takes it all back. A file with a bad line applies nothing and lists every bad line."
        )
        key = f"{keys.ROWS_UPLOAD}_{st.session_state.get(keys.UPLOAD_GENERATION, 0)}"
        st.file_uploader(
            "Labels file", type=["csv", "tsv", "txt"], key=key, on_change=state.import_labels, args=(key,)
        )


query, labels, kinds, top, ranges = filters()
found = views.find_rows(session, query, labels=labels, kinds=kinds, top=top, ranges=ranges)
results(found, filtered=bool(query.strip() or labels or kinds or top or ranges))
goto = st.number_input(
    "Go to row",
    min_value=0,
    max_value=dataset.n_rows - 1,
    value=None,
    key=keys.ROWS_GOTO,
    placeholder="a row number",
    width=200,
    help="Its card, with its own buttons, kind and note. A search that finds one row shows its card too.",
)
picked = goto if goto is not None else (int(found[0]) if len(found) == 1 and query else None)
if picked is not None:
    row_card(int(picked))
    if st.session_state.get(keys.ROWS_PICKED) != int(picked):  # a row newly picked: bring its card in view
        st.session_state[keys.ROWS_PICKED] = int(picked)  # (at 1280x720 it opens below the screen's edge)
        st.html(
            f"<script>/* {int(picked)} */ requestAnimationFrame(() => document.querySelector("
            f"'.st-key-{keys.ROWS_CARD}')?.scrollIntoView({{block: 'nearest'}}));</script>",
            unsafe_allow_javascript=True,
        )
else:
    st.session_state.pop(keys.ROWS_PICKED, None)
import_labels()
