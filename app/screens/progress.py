"""Progress page: the live discovery curve, the anomalies by kind, and the label history.

With a ground-truth column, the curve of the no-feedback ranking (the same forest before
any label) is drawn beside the analyst's, with the true anomalies among the rows labelled.
The history lists every action with who took it, where, and the kinds and notes it gave.
"""

from __future__ import annotations

import streamlit as st

from app import charts, keys, state, views

session = state.require_session()
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
    with kinds:
        st.subheader("Anomalies by kind")
        by_kind = views.kinds_frame(session)
        if by_kind.empty:
            st.caption("No anomaly labelled yet.")
        else:
            st.dataframe(by_kind, hide_index=True, key=keys.PROGRESS_KINDS)
            st.caption("Give a kind beside the Anomaly button, or in the tables of the Label and Rows pages.")

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
        column_config={"note": st.column_config.TextColumn("note", width="medium")},
    )
