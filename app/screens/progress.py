"""Progress page: the live discovery curve, the anomalies by kind (a kind renamed or merged
there), and the label history.

With a ground-truth column, the curve of the no-feedback ranking (the same forest before
any label) is drawn beside the analyst's, with the true anomalies among the rows labelled.
The history lists every action with who took it, where, and the kinds and notes it gave.
"""

from __future__ import annotations

import streamlit as st

import aad
from app import charts, keys, state, views

session = state.require_session()


def rename_form() -> None:
    """Rename a kind, or merge it into another (a name already used): one action, one Undo."""
    counts = session.kinds()
    named = [kind for kind, _ in counts.most_common() if kind]
    outcome = st.session_state.pop(keys.KIND_RENAME_MESSAGE, None)
    if not named and outcome is None:
        return
    with st.expander("Rename or merge a kind", expanded=outcome is not None, key=keys.KIND_RENAME_EXPANDER):
        if outcome is not None:  # beside the form, where the analyst is looking
            level, message = outcome
            getattr(st, level)(message)
        if not named:
            return
        if st.session_state.get(keys.KIND_RENAME_OLD) not in named:
            st.session_state[keys.KIND_RENAME_OLD] = named[0]
        old = st.selectbox("Kind", named, key=keys.KIND_RENAME_OLD)
        new = st.text_input(
            "New name",
            key=keys.KIND_RENAME_NEW,
            max_chars=aad.store.MAX_KIND,
            help="A kind already used (in any case) merges the two. Press Enter to see what the button "
            "will do.",
        )
        st.button(
            views.rename_kind_text(counts, old, new),
            key=keys.KIND_RENAME,
            on_click=state.rename_kind,
            icon=":material/edit:",
            width="stretch",
            help="One action: **Undo** on the Label page takes it back. Labels, notes and scores stay.",
        )


state.show_message()
st.title("Progress")
if session.n_labels == 0:
    st.info("No labels yet: the discovery curve starts with the first label on the **Label** page.")
else:
    curve, kinds = st.columns([3, 1], gap="medium")
    curve.plotly_chart(
        charts.progress_figure(session.discovery(), n_anomalies=session.dataset.n_anomalies),
        key=keys.PROGRESS_CHART,
    )
    if session.dataset.y is None:
        curve.caption(
            "Choose a ground-truth column on the Data page to compare with the no-feedback ranking."
        )
    weights = session.member_weights()
    if weights is not None:
        curve.subheader("Member weights")
        curve.plotly_chart(charts.member_weights_figure(weights), key=keys.PROGRESS_WEIGHTS)
        curve.caption(
            "How much your labels trust each member of the ensemble after each label: 1 is the "
            "uniform start (the plain ensemble), 0 a member ignored."
        )
    with kinds:
        st.subheader("Anomalies by kind")
        by_kind = views.kinds_frame(session)
        if by_kind.empty:
            st.caption("No anomaly labelled yet.")
        else:
            st.dataframe(
                by_kind,
                hide_index=True,
                key=keys.PROGRESS_KINDS,
                column_config={"anomalies": st.column_config.NumberColumn("anomalies", width="small")},
            )
            st.caption("Give a kind beside the Anomaly button, or in the tables of the Label and Rows pages.")
        rename_form()

st.subheader("History")
history = views.history_frame(session)
if history.empty:
    st.caption(
        "Every label, skip and undo will be listed here, with its time, the model version after it and "
        "who made it."
    )
else:
    st.dataframe(
        history,
        hide_index=True,
        key=keys.PROGRESS_HISTORY,
        column_config={  # an action's name whole ("added 1,500 rows", "undo rename kind" were cut)
            "action": st.column_config.TextColumn("action", width="medium"),
            "note": st.column_config.TextColumn("note", width="medium"),
        },
    )


def add_rows() -> None:
    """Grow the session: upload the next export of the table; show what the last addition did."""
    outcome = st.session_state.pop(keys.GROW_MESSAGE, None)
    with st.expander(
        "More rows: add the next export of the table",
        expanded=outcome is not None or bool(session.growths),
        icon=":material/add_row_below:",
        key=keys.GROW_EXPANDER,
    ):
        if outcome is not None:
            level, message = outcome
            getattr(st, level)(message)
        cannot = session.cannot_grow()
        if cannot:  # said before a file is chosen, not after
            st.info(f"{cannot[0].upper()}{cannot[1:]}: to label a grown table, start a new session on it.")
            return
        st.caption(
            "A CSV or Parquet file with the session's columns. Rows the session already has are "
            "recognised by their values and left as they are; the others are appended, placed in the "
            "trees, and the trees whose leaves drifted are regrown on them (when at least as many new rows "
            "came as a tree is grown on). Every label is kept, and the "
            "addition is saved in the session's log before it takes effect."
        )
        key = f"{keys.GROW_UPLOAD}_{st.session_state.get(keys.UPLOAD_GENERATION, 0)}"
        st.file_uploader(
            "Rows to add", type=["csv", "parquet"], key=key, on_change=state.add_rows, args=(key,)
        )
        if session.growths:
            latest = session.growths[-1]
            added, replaced, alarm = st.columns(3)
            added.metric("Rows added", f"{latest.rows_added:,}")
            replaced.metric("Trees replaced", latest.trees_replaced)
            alarm.metric(
                "Drift alarm (ADWIN)", {None: "not checked", True: "yes", False: "no"}[latest.drift_alarm]
            )
            st.caption(views.growth_text(latest))
            n_before = len(latest.scores_before)
            st.plotly_chart(
                charts.growth_figure(latest.scores_before, latest.scores_after, n_before), key=keys.GROW_CHART
            )


add_rows()
