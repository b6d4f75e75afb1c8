"""Sessions page: every stored session, to resume one."""

from __future__ import annotations

import streamlit as st

from app import keys, state, text, views

if st.session_state.pop(keys.SESSIONS_RESUMED, False):  # Resume was pressed: go and label
    st.switch_page("screens/label.py")
state.show_message()
st.title("Sessions")
store = state.store()
st.caption(f"Database: {text.code(store.path)}")
summaries = store.summaries()
if not summaries:
    st.info("No sessions yet: start one on the **Data** page.")
    st.stop()

st.dataframe(views.sessions_frame(summaries), hide_index=True, key=keys.SESSIONS_TABLE)
held = state.current()
ids = [s.id for s in summaries]
names = {
    s.id: f"{s.id} · {s.dataset} · {s.n_labels} labels · {s.updated_at[:19].replace('T', ' ')}"
    for s in summaries
}
with st.container(horizontal=True, vertical_alignment="bottom"):
    pick = st.selectbox(
        "Session",
        ids,
        index=ids.index(held.id) if held is not None and held.id in ids else 0,
        format_func=names.get,
        key=keys.SESSIONS_PICK,
    )
    st.button(
        "Resume",
        key=keys.SESSIONS_RESUME,
        type="primary",
        on_click=state.resume,
        args=(pick,),
        disabled=held is not None and pick == held.id,
    )
if held is not None:
    st.caption(f"This tab is on session `{held.id}`.")
