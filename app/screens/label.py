"""Label page: the current query batch as cards (or as a table), with Anomaly / Nominal / Skip / Undo /
Redo.

The buttons act on the first card and answer to the keys A, N, S, U and Shift+U (Streamlit's
own button shortcuts, which ignore keys typed into an input); Redo gives back what Undo took
back, until a new action is taken. Beside them, the first
card's kind of anomaly (picked or typed) and a note go with its label. Every click writes
the action to the session database before the model changes; the page then shows the new
ranks of the rows on screen and the updated counts. The labelling area is a fragment: a
label reruns and redraws only it, which keeps the next card quick to appear.

Sized for a laptop (1280x720): the first card's values and its "why" side by side under
the buttons, the other cards of a batch one line of values each. The table view lists
the batch and the next top rows with a label, kind and note column to edit.
"""

from __future__ import annotations

import streamlit as st

import aad
from aad.query import top_unlabelled
from app import keys, state, text, views

session = state.require_session()

CARDS, TABLE = keys.CARDS, keys.TABLE
#: The card's value rows, in pixels (Streamlit's default is 35): a few more rows on a laptop.
ROW_HEIGHT = 30
#: The kind box's width, in pixels: a kind of 24 characters shows whole once picked ("credential
#: stuffing" read "credential stuffir" at 170), and the box stays on the buttons' line at 1280x720.
KIND_WIDTH = 250
#: The note box's width in pixels, beside the last action's line and the keep-kind box.
NOTE_WIDTH = 300


def counts() -> None:
    with st.container(horizontal=True, key=keys.LABEL_COUNTS):
        st.metric("Labels", session.n_labels, border=True)
        st.metric("Anomalies", session.n_anomalies, border=True)
        st.metric("Skipped", len(session.skipped), border=True)
        st.metric("Unlabelled", f"{session.dataset.n_rows - session.n_labels:,}", border=True)
        st.metric("Model", f"v{session.version}", border=True)


STRATEGY_HELP = (
    "How a batch is chosen; with a batch size of 1 they all show the top row. "
    "**top**: the highest-scored unlabelled rows. "
    "**top-random**: drawn at random among the top few. "
    "**bal-d**: among the top few, rows whose describing rules overlap least. "
    "**bal-e**: among the top few, rows far apart in the data. "
    "The diverse ones spend a batch on different kinds of anomaly."
)


def settings() -> None:
    """The labelling settings, in the sidebar: the page keeps its height for the cards."""
    st.session_state[keys.LABEL_STRATEGY] = session.record.strategy
    st.session_state[keys.LABEL_BATCH_SIZE] = session.record.batch_size
    with st.sidebar:
        left, right = st.columns([3, 2])
        left.selectbox(
            "Query strategy",
            aad.strategy_names(),
            key=keys.LABEL_STRATEGY,
            on_change=state.configure,
            args=("strategy",),
            help=STRATEGY_HELP,
        )
        right.number_input(
            "Batch size",
            min_value=1,
            max_value=50,
            step=1,
            key=keys.LABEL_BATCH_SIZE,
            on_change=state.configure,
            args=("batch_size",),
        )
        state.label_view()  # the view this tab chose, or its URL remembers
        st.segmented_control(
            "View",
            [CARDS, TABLE],
            key=keys.LABEL_VIEW,
            on_change=state.change_view,
            help="Cards: one row at a time, with why it ranks high. Table: the batch and the next top "
            "rows in a grid, with a label, kind and note column to edit.",
        )


def action_bar(current: int | None, *, keys_on: bool = True) -> None:
    """The buttons acting on the first card, with their keys (off in the table view, where typing
    goes to the table's cells), and beside them the card's kind and note."""
    none = current is None

    def shortcut(name: str) -> str | None:
        return keys.SHORTCUTS[name] if keys_on else None

    with st.container(horizontal=True, key=keys.LABEL_ACTIONS, vertical_alignment="bottom"):
        st.button(
            "Anomaly",
            key=keys.for_card(keys.LABEL_ANOMALY, current),
            shortcut=shortcut(keys.LABEL_ANOMALY),
            type="primary",
            icon=":material/warning:",
            on_click=state.label,
            args=(current, "anomaly"),
            disabled=none,
        )
        st.button(
            "Nominal",
            key=keys.for_card(keys.LABEL_NOMINAL, current),
            shortcut=shortcut(keys.LABEL_NOMINAL),
            icon=":material/check_circle:",
            on_click=state.label,
            args=(current, "nominal"),
            disabled=none,
        )
        st.button(
            "Skip",
            key=keys.for_card(keys.LABEL_SKIP, current),
            shortcut=shortcut(keys.LABEL_SKIP),
            icon=":material/skip_next:",
            on_click=state.skip,
            args=(current,),
            disabled=none,
        )
        st.button(
            "Undo",
            key=keys.LABEL_UNDO,
            shortcut=shortcut(keys.LABEL_UNDO),
            icon=":material/undo:",
            on_click=state.undo,
            disabled=not session.can_undo,
        )
        st.button(
            "Redo",
            key=keys.LABEL_REDO,
            shortcut=shortcut(keys.LABEL_REDO),
            icon=":material/redo:",
            on_click=state.redo,
            disabled=not session.can_redo,
        )
        if not none:
            kind_box(current)
    with st.container(horizontal=True, wrap=False, vertical_alignment="center"):  # no extra line
        st.caption(views.last_action(session), width="stretch")
        if not none:  # the note beside the last action: a line of its own took the card's last lines
            note_box()
            keep_kind_box()


def kind_box(current: int) -> None:
    """The first card's kind of anomaly: the same field for every card (drawn in place, not
    anew), emptied when the card changes unless the analyst keeps the kind for the next cards
    (:func:`app.state.prepare_kind_box`)."""
    offered = state.prepare_kind_box(session, current)
    st.selectbox(
        "Kind of anomaly",
        offered,
        index=None,
        key=keys.LABEL_KIND,
        placeholder="kind (optional)",
        accept_new_options=True,
        on_change=state.return_focus,
        label_visibility="collapsed",
        width=KIND_WIDTH,
        help="Goes with an Anomaly label: pick a kind used before or type a new one.",
    )


def note_box() -> None:
    """The first card's note, which goes with its label (emptied when the card changes)."""
    st.text_input(
        "Note",
        key=keys.LABEL_NOTE,
        placeholder="note (optional)",
        on_change=state.return_focus,
        label_visibility="collapsed",
        max_chars=aad.store.MAX_NOTE,
        width=NOTE_WIDTH,
    )


def keep_kind_box() -> None:
    """**Keep this kind for the next cards**: off by default, for this browser tab only."""
    st.checkbox(
        "Keep this kind for the next cards",
        key=keys.LABEL_KEEP_KIND,
        on_change=state.keep_kind,
        width="content",
        help="Off: the kind box is emptied for every new card, so A never saves a kind you did not pick "
        "for that card. On: the kind stays after a label, a skip or an undo until you change it or turn "
        "this off (a Nominal label never takes it). For this browser tab only.",
    )


MEMBERS_HELP = (
    "An ensemble's members: a member calls a row anomalous when it places the row in its top 5 % "
    "(calibrated score 0.95 or more; 0.5 is a typical row). Each weight is how much your labels trust "
    "that member: 1 at the start, higher when it ranks your anomalies in its top 3 % and your nominals "
    "below, 0 when it is ignored."
)


def card(row: int) -> None:
    """The card the keys act on: context, rank, values and why, side by side."""
    with st.container(border=True, key=keys.CARD_CURRENT):
        st.markdown(f"### Row {row} · now labelling")
        with st.container(horizontal=True, vertical_alignment="center", wrap=False):
            st.markdown(views.rank_line(session, row), help=views.SCORE_HELP, width="stretch")
            different_button()  # beside the rank: a line of its own pushed why below the screen
        context = views.context_line(session, row)
        if context:
            st.caption(context)
        wide = session.dataset.n_features > views.WIDE
        values, why = st.columns([3, 2], gap="medium")  # the table is views.LABEL_TABLE wide on a laptop
        table = views.row_table(session, row)
        values.dataframe(
            views.fit_notes(table, views.LABEL_TABLE),
            hide_index=True,
            column_config=views.row_table_columns(table, views.LABEL_TABLE),
            row_height=ROW_HEIGHT,
            height=(views.WIDE + 1) * ROW_HEIGHT + 3 if wide else "content",
        )
        if wide:
            values.caption(
                f"{session.dataset.n_features} features, the most unusual first (scroll for the rest)."
            )
        with why:  # beside the values: no extra line on a laptop
            line = views.queue_line(session, row)  # says what Different showed: no toast over the kind box
            if st.session_state.pop(keys.LABEL_NOTHING_DIFFERENT, -1) == row:
                line = f"Nothing different to show: every ranking proposes the rows already shown · {line}"
            st.caption(line, help=views.queue_help(session))
        why.markdown(f"**Why:** {views.why(session, row)}")
        why.caption(f"Most unusual values: {views.unusual_values(session, row)}")
        members = views.members_line(session, row)
        if members is not None:
            why.markdown(members, help=MEMBERS_HELP)


def different_button() -> None:
    """**Different** (D): a row the queue would not show next, outside the found anomalies' regions."""
    st.button(
        "Different",
        key=keys.LABEL_DIFFERENT,
        shortcut=keys.SHORTCUTS[keys.LABEL_DIFFERENT],
        icon=":material/shuffle:",
        on_click=state.different,
        help="Show a row high in the forest's own order outside the found anomalies' regions: in at "
        "least half of the trees its leaf holds none of them (it may still share some values with "
        "them; press again for another). For when you suspect a kind of anomaly is used up.",
    )


def small_card(row: int) -> None:
    """Another card of the batch, in a few lines: its rank and context, its most unusual values,
    why; its buttons."""
    with st.container(border=True, key=keys.card(row), gap="xsmall"):
        # no wrap: a long heading takes more lines beside the buttons, which stay on one line (they
        # wrapped under it at 1280x720, a line more a card)
        with st.container(horizontal=True, vertical_alignment="center", wrap=False):
            context = views.context_line(session, row)
            head = f"**Row {row}** · {views.rank_line(session, row, compact=True)}"
            st.markdown(head + (f" · {context}" if context else ""), width="stretch")
            with st.container(horizontal=True, wrap=False, width="content", gap="xsmall"):
                for value in ("anomaly", "nominal"):
                    st.button(
                        value.capitalize(),
                        key=keys.card_button(value, row),
                        on_click=state.label,
                        args=(row, value),
                    )
                st.button("Skip", key=keys.card_button("skip", row), on_click=state.skip, args=(row,))
        proposed = views.proposed_line(session, row)  # a row low in the learned model's ranks says why
        shown = f"{views.compact_values(session, row)}  \nWhy: {views.why(session, row)}"
        st.caption(f"{proposed} · {shown}" if proposed else shown)


def table(rows: list[int]) -> None:
    """The batch and the next top rows as a grid; edits go through the same checked writes."""
    with st.container(key=keys.LABEL_TABLE):
        size = int(st.session_state.get(keys.LABEL_TABLE_ROWS, 20))
        listed = rows + [r for r in _top_open(size) if r not in rows]
        listed = listed[: max(size, len(rows))]
        shown = [int(session.model.labels_[r]) for r in listed]
        generation = st.session_state.get(keys.TABLE_GENERATION, 0)
        key = keys.table_editor("label_table", session.id, session.version, generation)
        frame = views.rows_table(session, listed)
        st.caption(
            f"The batch and the next top unlabelled rows ({len(listed)}): set a row's **label** in the "
            "table, or type a **kind** to label it an anomaly of that kind; the buttons act on the first "
            "row. The keys "
            "A/N/S/U are off in this view (Shift+U too): what you type goes to the table."
        )
        st.data_editor(
            frame,
            key=key,
            hide_index=True,
            disabled=[c for c in frame.columns if c not in views.EDITABLE],
            column_config=table_columns(session),
            height=min(len(frame) + 1, 16) * 35 + 3,
        )
        state.remember_table("label", key, listed, shown, via="table")
        st.number_input("Rows in the table", 1, 500, size, key=keys.LABEL_TABLE_ROWS, width=160)


def table_columns(session: aad.Session) -> dict:
    return {
        "row": st.column_config.NumberColumn("row", format="%d", pinned=True),
        "rank": st.column_config.NumberColumn("rank", format="%d"),
        "label": st.column_config.SelectboxColumn("label", options=views.LABEL_CHOICES, required=True),
        "kind": st.column_config.TextColumn(
            "kind", max_chars=aad.store.MAX_KIND, help=_kind_help(session.kind_names())
        ),
        "note": st.column_config.TextColumn("note", max_chars=aad.store.MAX_NOTE, width="medium"),
    }


def _kind_help(names: list[str]) -> str:
    used = text.md(", ".join(names[:8])) if names else "none yet"
    return f"An anomaly's kind (a nominal has none). Written so far: {used}"


def _top_open(k: int) -> list[int]:
    """The ``k`` highest-ranked rows neither labelled nor skipped."""
    scores = session.scores()
    closed = session.model.labels_ != aad.UNLABELLED
    if session.skipped:
        closed = closed.copy()
        closed[list(session.skipped)] = True
    return [int(r) for r in top_unlabelled(scores, closed, k)]


def unskip_button() -> None:
    if session.skipped:
        st.button(
            f"Bring back {text.count(len(session.skipped), 'skipped row')}",
            key=keys.LABEL_UNSKIP,
            on_click=state.unskip,
        )


@st.fragment
def workspace() -> None:
    state.apply_presses(session)  # a fragment rerun skips the router: apply the presses here,
    state.apply_table_edits(session, "label")  # and the table's edits, on the rows it showed,
    shown = (session.record.strategy, session.record.batch_size)
    state.sync(session)  # then catch up with other tabs
    if (session.record.strategy, session.record.batch_size) != shown:
        st.rerun(scope="app")  # another tab changed the settings: redraw their widgets and the sidebar
    focus = st.session_state.pop(keys.RETURN_FOCUS, 0)
    if focus:  # a fixed script (no user input in it); the count makes the browser run it again
        st.html(
            f"<script>/* {int(focus)} */ document.activeElement?.blur();</script>",
            unsafe_allow_javascript=True,
        )
    state.show_message(aside=True)
    rows = [int(r) for r in session.batch()]
    counts()
    in_table = state.label_view() == TABLE
    action_bar(rows[0] if rows else None, keys_on=not in_table)
    if not rows:
        st.success("Every row is labelled or skipped: there is nothing left to query.")
    elif in_table:
        table(rows)
    else:
        card(rows[0])
        for row in rows[1:]:
            small_card(row)
    unskip_button()


st.title("Label")
settings()  # outside the fragment: a change reruns the whole app, sidebar included
workspace()
