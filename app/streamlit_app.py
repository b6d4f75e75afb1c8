"""The aad workbench (Streamlit entry point).

Started by ``aad app [DATA]``; ``AAD_DATA`` names the dataset to open.
"""

from __future__ import annotations

import os

import streamlit as st

import aad

st.set_page_config(page_title="aad workbench", layout="wide")
st.title("aad: active anomaly discovery")


@st.cache_resource(show_spinner="Growing the isolation forest…")
def _model(source: str, seed: int) -> tuple[aad.Dataset, aad.AADForest]:
    dataset = aad.load_dataset(source)
    return dataset, aad.AADForest(random_state=seed).fit(dataset.X)


source = os.environ.get("AAD_DATA", "toy2")
try:
    dataset, model = _model(source, 0)
except aad.AADError as err:
    st.error(str(err))
    st.stop()
st.caption(f"{dataset.name}: {dataset.n_rows} rows, {dataset.n_features} features")
scores = model.anomaly_score()
top = aad.select_queries(aad.QueryContext(scores, model.labels_ != aad.UNLABELLED), 10)
frame = dataset.frame().iloc[top]
frame.insert(0, "anomaly score", scores[top].round(4))
st.subheader("Most anomalous rows")
st.dataframe(frame, key="top_rows")
