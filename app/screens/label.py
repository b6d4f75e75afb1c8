"""Label page: the current query batch as cards, with Anomaly / Nominal / Skip / Undo.

The four buttons act on the first card and answer to the keys A, N, S and U (Streamlit's
own button shortcuts, which ignore keys typed into an input). Every click writes the
action to the session database before the model changes; the page then shows the new
ranks of the rows on screen and the updated counts. The labelling area is a fragment: a
label reruns and redraws only it, which keeps the next card quick to appear.
"""

from __future__ import annotations

import streamlit as st

import aad
from app import keys, state, text, views

session = state.require_session()


def counts() -> None:
    with st.container(horizontal=True, key=keys.LABEL_COUNTS):
        st.metric("Labels", session.n_labels, border=True)
        st.metric("Anomalies found", session.n_anomalies, border=True)
        st.metric("Skipped", len(session.skipped), border=True)
        st.metric("Unlabelled", f"{session.dataset.n_rows - session.n_labels:,}", border=True)
        st.metric("Model version", f"v{session.version}", border=True)


STRATEGY_HELP = (
    "How a batch is chosen; with a batch size of 1 they all show the top row. "
    "**top**: the highest-scored unlabelled rows. "
    "**top-random**: drawn at random among the top few. "
    "**bal-d**: among the top few, rows whose describing rules overlap least. "
    "**bal-e**: among the top few, rows far apart in the data. "
    "The diverse ones spend a batch on different kinds of anomaly."
)


def settings() -> None:
    st.session_state[keys.LABEL_STRATEGY] = session.record.strategy
    st.session_state[keys.LABEL_BATCH_SIZE] = session.record.batch_size
    left, right, _ = st.columns([2, 1, 3])
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


def action_bar(current: int | None) -> None:
    none = current is None
    with st.container(horizontal=True):
        st.button(
            "Anomaly",
            key=keys.for_card(keys.LABEL_ANOMALY, current),
            shortcut=keys.SHORTCUTS[keys.LABEL_ANOMALY],
            type="primary",
            icon=":material/warning:",
            on_click=state.label,
            args=(current, "anomaly"),
            disabled=none,
        )
        st.button(
            "Nominal",
            key=keys.for_card(keys.LABEL_NOMINAL, current),
            shortcut=keys.SHORTCUTS[keys.LABEL_NOMINAL],
            icon=":material/check_circle:",
            on_click=state.label,
            args=(current, "nominal"),
            disabled=none,
        )
        st.button(
            "Skip",
            key=keys.for_card(keys.LABEL_SKIP, current),
            shortcut=keys.SHORTCUTS[keys.LABEL_SKIP],
            icon=":material/skip_next:",
            on_click=state.skip,
            args=(current,),
            disabled=none,
        )
        st.button(
            "Undo",
            key=keys.LABEL_UNDO,
            shortcut=keys.SHORTCUTS[keys.LABEL_UNDO],
            icon=":material/undo:",
            on_click=state.undo,
            disabled=not session.can_undo,
        )
    st.caption(views.last_action(session))


def card(row: int, *, is_current: bool) -> None:
    with st.container(border=True, key=keys.CARD_CURRENT if is_current else keys.card(row)):
        st.markdown(f"### Row {row}" + (" · now labelling" if is_current else ""))
        st.markdown(views.rank_line(session, row), help=views.SCORE_HELP)
        context = views.context_line(session, row)
        if context:
            st.caption(context)
        st.dataframe(
            views.row_table(session, row),
            hide_index=True,
            column_config={
                "percentile": st.column_config.ProgressColumn(
                    "percentile in its column", min_value=0, max_value=100, format="%.0f"
                )
            },
            height="content" if session.dataset.n_features <= views.WIDE else "auto",
        )
        if session.dataset.n_features > views.WIDE:
            st.caption(
                f"{session.dataset.n_features} features, the most unusual first (scroll for the rest)."
            )
        st.markdown(f"**Why:** {views.why(session, row)}")
        st.caption(f"Most unusual values: {views.unusual_values(session, row)}")
        if not is_current:
            card_buttons(row)


def card_buttons(row: int) -> None:
    with st.container(horizontal=True):
        for value in ("anomaly", "nominal"):
            st.button(
                value.capitalize(),
                key=keys.card_button(value, row),
                on_click=state.label,
                args=(row, value),
            )
        st.button("Skip", key=keys.card_button("skip", row), on_click=state.skip, args=(row,))


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
    shown = (session.record.strategy, session.record.batch_size)
    state.sync(session)  # then catch up with other tabs
    if (session.record.strategy, session.record.batch_size) != shown:
        st.rerun(scope="app")  # another tab changed the settings: redraw their widgets and the sidebar
    state.show_message()
    rows = [int(r) for r in session.batch()]
    counts()
    action_bar(rows[0] if rows else None)
    if not rows:
        st.success("Every row is labelled or skipped: there is nothing left to query.")
    for i, row in enumerate(rows):
        card(row, is_current=i == 0)
    unskip_button()


st.title("Label")
st.caption(f"Session `{session.id}` · {text.md(session.record.dataset)} · seed {session.seed}")
settings()  # outside the fragment: a change reruns the whole app, sidebar included
focus = st.session_state.pop(keys.RETURN_FOCUS, 0)
if focus:  # a fixed script (no user input in it); the count makes the browser run it again
    st.html(
        f"<script>/* {int(focus)} */ document.activeElement?.blur();</script>", unsafe_allow_javascript=True
    )
workspace()
