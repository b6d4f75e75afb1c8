"""The aad workbench: router and frame (Streamlit entry point).

Started by ``aad app [DATA]``: ``AAD_DATA`` names the data to open a new session on,
``AAD_DB`` the session database. Every page is a thin script over :mod:`aad`'s public
API; the session comes from :func:`app.state.get_session`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

try:
    from app import state
except ImportError:  # app/ not installed: run from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from app import state

st.set_page_config(page_title="aad workbench", page_icon=":material/travel_explore:", layout="wide")

session = state.get_session()
page = st.navigation(
    [
        st.Page("pages/label.py", title="Label", icon=":material/label:", default=True),
        st.Page("pages/explore.py", title="Explore", icon=":material/scatter_plot:"),
        st.Page("pages/rules.py", title="Rules", icon=":material/rule:"),
        st.Page("pages/progress.py", title="Progress", icon=":material/trending_up:"),
        st.Page("pages/data.py", title="Data", icon=":material/table:"),
        st.Page("pages/sessions.py", title="Sessions", icon=":material/history:"),
    ],
    position="top",
)
state.sidebar(session)
page.run()
