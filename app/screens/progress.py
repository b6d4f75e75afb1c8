"""Progress page: the live discovery curve and the label history.

With a ground-truth column, the curve of the no-feedback ranking (the same forest before
any label) is drawn beside the analyst's, with the true anomalies among the rows labelled.
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
    st.plotly_chart(
        charts.progress_figure(session.discovery(), n_anomalies=session.dataset.n_anomalies),
        key=keys.PROGRESS_CHART,
    )
    if session.dataset.y is None:
        st.caption("Choose a ground-truth column on the Data page to compare with the no-feedback ranking.")

st.subheader("History")
history = views.history_frame(session)
if history.empty:
    st.caption(
        "Every label, skip and undo will be listed here, with its time and the model version after it."
    )
else:
    st.dataframe(history, hide_index=True, key=keys.PROGRESS_HISTORY)
