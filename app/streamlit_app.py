"""The aad workbench: router and frame (Streamlit entry point).

Started by ``aad app [DATA]``: ``AAD_DATA`` names the data to open a new session on,
``AAD_DB`` the session database. Every page is a thin script over :mod:`aad`'s public
API; the session comes from :func:`app.state.get_session`.

The page scripts live in ``screens/``, not ``pages/``: Streamlit treats a ``pages/``
folder beside the entry point as an old-style multipage app, and a fresh server then
answers a deep link (``/rules?session=ID``, a bookmark or a refresh after a restart) by
running that page alone, without this router, as if there were no session.
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

# an emoji, drawn by the browser: a Material icon as the favicon was fetched from fonts.gstatic.com
st.set_page_config(page_title="aad workbench", page_icon="🔎", layout="wide")
st.html(state.COMPACT_CSS)  # sized for a laptop screen: less padding, smaller headings and counts
st.html(state.key_guard(), unsafe_allow_javascript=True)  # a held key labels one row, not seven

session = state.get_session()
# The default page is served at ``/`` but reserves a pathname of its own ("index" here);
# ``/label``, the address people guess for it, leads there through a hidden page.
label = st.Page("screens/label.py", title="Label", icon=":material/label:", default=True, url_path="index")


def _to_label() -> None:
    """``/label``: switch to the Label page, keeping the query (the session)."""
    st.switch_page(label, query_params=st.query_params.to_dict())


page = st.navigation(
    [
        label,
        st.Page("screens/rows.py", title="Rows", icon=":material/manage_search:"),
        st.Page("screens/explore.py", title="Explore", icon=":material/scatter_plot:"),
        st.Page("screens/rules.py", title="Rules", icon=":material/rule:"),
        st.Page("screens/progress.py", title="Progress", icon=":material/trending_up:"),
        st.Page("screens/data.py", title="Data", icon=":material/table:"),
        st.Page("screens/sessions.py", title="Sessions", icon=":material/history:"),
        st.Page(_to_label, title="Label", url_path="label", visibility="hidden"),
    ],
    position="top",
)
state.sidebar(session, labelling=page.url_path in (label.url_path, "label"))
state.keep_rows_filters(session)
page.run()
