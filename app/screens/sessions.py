"""Sessions page: every stored session, to resume, name, describe, download or delete one, and
a session file (downloaded here, or ``aad sessions dump``) to load.

Deleting asks for the session's id to be typed, then moves the session and its whole log
to the database's archive (nothing is erased); deleted sessions are listed below, each
with a Restore button.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from app import keys, state, text, views
from app.state import transfer

if st.session_state.pop(keys.SESSIONS_RESUMED, False):  # Resume was pressed: go and label
    st.switch_page("screens/label.py")
state.show_message()
st.title("Sessions")
store = state.store()
st.caption(f"Database: {text.code(store.path)}")
summaries = store.summaries()
archived = store.archived()
for sid, why in store.damaged.items():
    st.warning(f"Session {text.code(sid)} cannot be read ({text.md(why)}): left out of the list.")
if not summaries:
    st.info("No sessions yet: start one on the **Data** page.")

if summaries:
    st.dataframe(
        views.sessions_frame(summaries),
        hide_index=True,
        key=keys.SESSIONS_TABLE,
        column_config={"title": st.column_config.TextColumn("title", width="medium")},
    )
    held = state.current()
    ids = [s.id for s in summaries]
    by_id = {s.id: s for s in summaries}

    names = {  # a dict's get as the format function: the widget's state stays picklable
        s.id: f"{text.visible(text.cut(s.title, 40)) + ' · ' if s.title else ''}{s.id} · "
        f"{text.visible(text.cut(s.dataset, 40))} · {text.count(s.n_labels, 'label')} · "
        f"{s.updated_at[:19].replace('T', ' ')}"  # a long title no longer hides the id; U+202E shown
        for s in summaries  # as its escape, not turning the id and the count around
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
        carried = transfer.data_here(store.get(pick))
        st.download_button(
            "Session file",
            data=partial(transfer.session_file, str(store.path), pick),
            file_name=f"{pick}.aad.zip",
            mime="application/zip",
            on_click="ignore",
            icon=":material/download:",
            key=keys.SESSIONS_DOWNLOAD,
            help="The session and its whole log (every label, skip and undo, who took it and when)"
            + (", with its data," if carried else " (its data is not on this server),")
            + " in one file: load it on another workbench below, or with `aad sessions load`.",
        )
    if held is not None:
        st.caption(f"This tab is on session `{held.id}`.")

    chosen = by_id[pick]
    # keyed: it stays open when a message above it comes or goes
    with st.expander(
        f"Name, describe or delete session {pick}", icon=":material/edit:", key=keys.SESSIONS_EDIT
    ):
        # the fields follow the session picked (a new pick shows its own title and description)
        if st.session_state.get(keys.SESSIONS_TITLE + "_of") != pick:
            st.session_state[keys.SESSIONS_TITLE + "_of"] = pick
            st.session_state[keys.SESSIONS_TITLE] = chosen.title
            st.session_state[keys.SESSIONS_DESCRIPTION] = chosen.description
            st.session_state[keys.SESSIONS_SHOWN] = {"title": chosen.title, "description": chosen.description}
            st.session_state.pop(keys.SESSIONS_CONFIRM, None)
        st.text_input("Title", key=keys.SESSIONS_TITLE, max_chars=120, placeholder="e.g. March card fraud")
        st.text_area(
            "Description",
            key=keys.SESSIONS_DESCRIPTION,
            max_chars=2000,
            height=90,
            placeholder="what this session is for, what was agreed, …",
        )
        st.button("Save", key=keys.SESSIONS_SAVE, on_click=state.rename, args=(pick,))
        st.divider()
        st.markdown(
            f"**Delete** session `{pick}` ({text.count(chosen.n_labels, 'label')}): it leaves this list; its "
            "record and its whole log are kept in the database's archive, from which it can be restored."
        )
        typed = st.text_input(f"Type {pick} to confirm", key=keys.SESSIONS_CONFIRM)
        st.button(
            "Delete",
            key=keys.SESSIONS_DELETE,
            icon=":material/delete:",
            on_click=state.delete,
            args=(pick,),
            disabled=(typed or "").strip() != pick,
        )

loaded = st.session_state.pop(keys.SESSIONS_LOAD_MESSAGE, None)
with st.expander(
    "Load a session file", expanded=loaded is not None, icon=":material/upload_file:", key=keys.SESSIONS_LOAD
):
    if loaded is not None:  # beside the uploader, where the analyst is looking
        getattr(st, loaded[0])(loaded[1])
    st.caption(
        "A file from another workbench's **Session file** button (or `aad sessions dump`): the session "
        "goes on here as it was, with its whole log, its analysts and its undo history. Its data must "
        "come in the file (the Session file button puts it in) or be a shipped dataset."
    )
    st.checkbox("As a new session (a new id), beside one with its id", key=keys.SESSIONS_NEW_ID)
    upload_key = f"{keys.SESSIONS_UPLOAD}_{st.session_state.get(keys.UPLOAD_GENERATION, 0)}"
    st.file_uploader(
        "Session file", type=["zip"], key=upload_key, on_change=transfer.load_file, args=(upload_key,)
    )

if archived:
    st.subheader("Deleted sessions")
    st.caption("Kept in the archive with their whole log; restoring one puts it back in the list as it was.")
    for s in archived:
        with st.container(
            horizontal=True, vertical_alignment="center", key=f"{keys.SESSIONS_ARCHIVE}_{s.id}"
        ):
            by = f" by {text.md(s.archived_by)}" if s.archived_by else ""
            title = f"{text.md(s.title)} · " if s.title else ""
            st.markdown(
                f"{title}`{s.id}` · {text.md(s.dataset)} · {text.count(s.n_labels, 'label')} · deleted{by} "
                f"{s.archived_at[:16].replace('T', ' ')} UTC"
            )
            st.button("Restore", key=keys.restore_button(s.id), on_click=state.restore, args=(s.id,))
