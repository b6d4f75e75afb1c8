"""Explore page: the rows on a plane, coloured by score, labelled rows marked.

2-D data is drawn over the model's exact score contours; wider data on its first two
principal components. A point's hover says its row, rank and label (with the kind), and the
values, as written, of the columns plotted (or those the components show most). Selecting
points (box or lasso, the default drag) offers to label them in bulk. Large data is drawn as
a sample with WebGL, and the page says so.
"""

from __future__ import annotations

import streamlit as st

import aad
from app import charts, keys, state, text, views

session = state.require_session()
state.show_message()
dataset = session.dataset
scores, labels = session.scores(), session.model.labels_
drawn = charts.plot_sample(scores, labels)
sampled = len(drawn) < dataset.n_rows

st.title("Explore")
if dataset.n_features == 2:
    points, titles, shown = dataset.X[drawn], dataset.feature_names, [0, 1]
    try:
        contour = session.score_grid()
        st.caption("Score contours are the model's exact scores on a grid; they move as you label.")
    except aad.DataError as err:  # an ensemble over precomputed scores has none for new points
        contour = None
        st.caption(f"No score contours: {text.md(err)}")
else:
    points, titles = state.projection(dataset.fingerprint, dataset.X)[drawn], ("PC 1", "PC 2")
    shown = state.plane_features(dataset.fingerprint, dataset.X)
    contour = None
    st.caption(
        f"{dataset.n_features} features, shown on their first two principal components "
        "(each centred on its median, its far tail drawn in); colour is the current score."
    )
if sampled:
    st.caption(
        f"Showing {len(drawn):,} of {dataset.n_rows:,} rows (every labelled row and the highest scores "
        "included, the rest a fixed random sample), drawn with WebGL."
    )
ranks = views.all_ranks(session)
figure = charts.explore_figure(
    points,
    drawn,
    scores[drawn],
    labels[drawn],
    axis_titles=titles,
    contour=contour,
    webgl=len(drawn) > 5000,
    ranks=ranks[drawn],
    values=views.written_values(session, drawn, shown),
    label_texts=views.label_texts(session, drawn),
)
event = st.plotly_chart(
    figure,
    key=keys.explore_chart(session.version),
    on_select="rerun",
    selection_mode=("points", "box", "lasso"),
)
selected = charts.selected_rows(event)

if not selected:
    st.info("Drag on the plot to select rows (box; lasso in the toolbar), then label them together.")
elif len(selected) > state.MAX_BULK:
    st.warning(
        f"{len(selected):,} rows selected: select at most {state.MAX_BULK:,} rows to label them together."
    )
else:
    fresh = int((labels[selected] == -1).sum())
    st.markdown(
        f"**{len(selected):,} rows selected** ({fresh:,} unlabelled, {len(selected) - fresh:,} labelled)"
        + (
            f": drawn rows only; the plot shows {len(drawn):,} of {dataset.n_rows:,} rows, and rows not "
            "drawn in the same area are not selected"
            if sampled
            else ""
        )
    )
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.button(
            f"Label {len(selected):,} as anomaly",
            key=keys.EXPLORE_BULK_ANOMALY,
            type="primary",
            on_click=state.label_many,
            args=(selected, "anomaly", "explore", keys.EXPLORE_KIND),
        )
        st.selectbox(
            "Kind",
            session.kind_names(),
            index=None,
            key=keys.EXPLORE_KIND,
            placeholder="kind (optional)",
            accept_new_options=True,
            label_visibility="collapsed",
            width=200,
        )
        st.button(
            f"Label {len(selected):,} as nominal",
            key=keys.EXPLORE_BULK_NOMINAL,
            on_click=state.label_many,
            args=(selected, "nominal"),
        )
    st.dataframe(views.rows_table(session, selected[:500]), hide_index=True, height=220)

st.subheader("Scores")
st.plotly_chart(charts.score_histogram(scores, labels, ranks), key=keys.EXPLORE_HISTOGRAM)
