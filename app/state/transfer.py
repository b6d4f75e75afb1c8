"""A session in one file, on the Sessions page: its download, and loading one uploaded.

The file is :func:`aad.dump_session`'s (``aad sessions dump``): the session and its whole log,
with its data when the server has it, so that a colleague's workbench (or ``aad sessions
load``) goes on with it as it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

import aad
from app import keys, text
from app.state.caches import store
from app.state.messages import error_markdown


def data_here(record: aad.SessionRecord) -> bool:
    """Whether the server has the session's data, so that its file can carry it."""
    return record.source.startswith("shipped:") or Path(record.source).is_file()


def session_file(db: str, session_id: str) -> bytes:
    """The session file of ``session_id`` (with its data, where the server has it), as bytes:
    the Sessions page's download, made when the button is pressed (on Streamlit's thread for
    it, so with a store of its own)."""
    with tempfile.TemporaryDirectory() as folder:
        own = aad.Store(db)
        try:
            with_data = data_here(own.get(session_id))
            return aad.dump_session(
                own, session_id, Path(folder) / "s.zip", with_data=with_data
            ).path.read_bytes()
        finally:
            own.close()


def load_file(upload_key: str) -> None:
    """Callback of the Sessions page's upload: load the session file into the database, then pick
    it in the list; the outcome is kept under :data:`app.keys.SESSIONS_LOAD_MESSAGE`, shown beside
    the uploader (which the next run draws empty, under a new key)."""
    st.session_state[keys.UPLOAD_GENERATION] = st.session_state.get(keys.UPLOAD_GENERATION, 0) + 1
    upload = st.session_state.get(upload_key)
    if upload is None or st.session_state.get(keys.SESSIONS_LOADED_UPLOAD) == upload.file_id:
        return  # one upload loads once, though a rerun cut short hands its change on again
    st.session_state[keys.SESSIONS_LOADED_UPLOAD] = upload.file_id
    name = Path(upload.name).name or "the session file"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.zip"
        path.write_bytes(upload.getvalue())
        try:
            new_id = bool(st.session_state.get(keys.SESSIONS_NEW_ID))
            # the data comes in the file: a path the uploaded file names is never looked at here
            with st.spinner(f"Loading {text.md(name)}: checking its data, and that the session rebuilds…"):
                record = aad.load_session(store(), path, new_id=new_id, recorded_source=False)
        except aad.AADError as err:  # the file named as the analyst named it, not by its temporary copy
            message = error_markdown(aad.AADError(str(err).replace(str(path), name).replace(path.name, name)))
            st.session_state[keys.SESSIONS_LOAD_MESSAGE] = ("error", message)
            return
    n_labels, n_actions, analysts = aad.transfer.log_summary(store(), record.id)
    by = f", by {text.md(', '.join(analysts))}" if analysts else ""
    st.session_state[keys.SESSIONS_PICK] = record.id
    st.session_state[keys.SESSIONS_LOAD_MESSAGE] = (
        "success",
        f"Loaded session `{record.id}` from {text.md(name)} ({text.md(record.dataset)}: "
        f"{text.count(n_labels, 'label')} in {text.count(n_actions, 'action')}{by}): it is "
        "picked above; **Resume** goes on with it.",
    )
