"""Rules page: the compact description of the anomalies found, and downloads.

The description (a few rules covering every labelled anomaly) is recomputed when the
labels change. It downloads in every export format; the labels, and every row's score
and rank, download as CSV.
"""

from __future__ import annotations

import streamlit as st

from app import keys, state, text, views

session = state.require_session()
state.show_message()
st.title("Rules")
with st.container(horizontal=True):
    st.download_button(
        f"Download labels (CSV, {session.n_labels} rows)",
        session.labels_csv(),
        file_name=f"labels-{session.id}.csv",
        mime="text/csv",
        key=keys.RULES_DOWNLOAD_LABELS,
        on_click="ignore",
        icon=":material/download:",
    )
    st.download_button(
        f"Download scores (CSV, all {session.dataset.n_rows:,} rows)",
        views.scores_csv(session),
        file_name=f"scores-{session.id}-v{session.version}.csv",
        mime="text/csv",
        key=keys.RULES_DOWNLOAD_SCORES,
        on_click="ignore",
        icon=":material/download:",
        help="Every row with its anomaly score, rank (1 = most anomalous), percentile (share of "
        "rows scoring lower), your label and its values.",
    )

if session.n_anomalies == 0:
    st.info(
        "No anomaly labelled yet: rules describe the labelled anomalies. Label some on the **Label** page."
    )
    st.stop()

description = state.describe(session)
if description is None:
    st.stop()
st.caption(
    f"{text.count(len(description.rules), 'rule')} covering "
    f"{text.count(session.n_anomalies, 'labelled anomaly')} "
    f"(model v{session.version}). Support counts every row a rule matches; precision on labels "
    "counts only the rows you labelled, so a rule matching many unlabelled rows is unproven there"
    + (
        "; true precision uses the ground-truth column, which the model never sees."
        if session.dataset.y is not None
        else "."
    )
)
for note in description.notes:
    st.warning(text.sentence(note), icon=":material/warning:")
st.table(views.rules_display(views.rules_frame(session, description)), hide_index=True)  # long rules wrap
X = session.dataset.X_as_read
against = text.rules_against_model(*description.agreement(X, session.scores()), len(X))
if against is not None:
    st.caption(text.sentence(against))
exported = {}
with st.container(horizontal=True):
    for fmt, (name, extension, mime) in views.EXPORT_FORMATS.items():
        data = exported[fmt] = views.export_rules(session, description, fmt)
        if data is not None:
            st.download_button(
                f"Rules as {name}",
                data,
                file_name=f"rules-{session.id}.{extension}",
                mime=mime,
                key=keys.rules_download(fmt),
                on_click="ignore",
                icon=":material/download:",
            )
for caution in views.export_cautions(session, description, exported["json"]):
    st.caption(text.sentence(caution))
