"""Kinds of anomaly in the workbench: the Label page's kind box (emptied for every card, or kept
for the next cards when the analyst asks) and renaming or merging a kind (Progress page).

The kind box is emptied for every new card unless **Keep this kind for the next cards** is on,
so that pressing A never saves a kind nobody picked for the card on screen. With it on, the
box keeps its value from card to card (after a label, a skip, an undo, a visit to another
page) until the analyst changes it or turns the box off. The choice and the kept kind live in
this tab's state only, never in the log; the kept kind belongs to the session it was picked in.
"""

from __future__ import annotations

import streamlit as st

import aad
from app import keys, text
from app.state import identity
from app.state.actions import return_focus
from app.state.messages import error_markdown
from app.state.session import current


def prepare_kind_box(session: aad.Session, row: int) -> list[str]:
    """Set the Label page's kind and note fields for the card ``row`` before they are drawn, and
    return the kinds the box offers.

    Emptied when the card changes, and when Streamlit forgot them (a visit to another page drops
    a widget's state: the box would come back on its first kind); with **Keep this kind** on, the
    box takes the kind it held last instead (the note is always the card's own, so emptied).
    """
    forgotten = keys.LABEL_KIND not in st.session_state or keys.LABEL_NOTE not in st.session_state
    if not forgotten:  # what the box holds now: what the next card keeps
        st.session_state[keys.LABEL_KEPT_KIND] = (session.id, st.session_state[keys.LABEL_KIND])
    if forgotten or st.session_state.get(keys.LABEL_ANNOTATED_ROW) != row:
        st.session_state[keys.LABEL_ANNOTATED_ROW] = row
        st.session_state[keys.LABEL_KIND] = kept_kind(session) if keeps_kind() else None
        st.session_state[keys.LABEL_NOTE] = ""
    if keys.LABEL_KEEP_KIND not in st.session_state:  # the checkbox, forgotten on another page
        st.session_state[keys.LABEL_KEEP_KIND] = keeps_kind()
    offered = session.kind_names()
    typed = st.session_state[keys.LABEL_KIND]
    return offered if not typed or typed in offered else [*offered, typed]  # typed, not saved yet


def keeps_kind() -> bool:
    """Whether **Keep this kind for the next cards** is on in this tab (off until turned on)."""
    return bool(st.session_state.get(keys.LABEL_KEEP_KIND_ON, False))


def kept_kind(session: aad.Session) -> str | None:
    """The kind the box held last in this tab, if it was in ``session``."""
    kept = st.session_state.get(keys.LABEL_KEPT_KIND)
    return kept[1] if kept is not None and kept[0] == session.id else None


def keep_kind() -> None:
    """Callback of the **Keep this kind** checkbox: remember the choice for this tab, and give the
    keyboard back to the page (so A works at once). Turned off, it empties the box on the card too:
    the kind carried from the cards before was saved with the next A (the box still showed it, but
    an analyst who turned keeping off took it as gone)."""
    on = st.session_state[keys.LABEL_KEEP_KIND_ON] = bool(st.session_state.get(keys.LABEL_KEEP_KIND))
    if not on:
        st.session_state[keys.LABEL_KIND] = None
    return_focus()


def rename_kind() -> None:
    """Callback of the Progress page's Rename (or Merge) button: rename the kind picked, or merge it
    into the kind named, as one action (one Undo); say what it did beside the form.

    The kind kept for the next cards and the Rows page's kind filter follow the new name, so that
    neither brings the old one back.
    """
    session = current()
    if session is None:
        return
    old = st.session_state.get(keys.KIND_RENAME_OLD) or ""
    before = session.kinds()
    try:
        action = session.rename_kind(
            old,
            st.session_state.get(keys.KIND_RENAME_NEW) or "",
            analyst=identity.analyst(),
        )
    except aad.AADError as err:
        st.session_state[keys.KIND_RENAME_MESSAGE] = ("error", error_markdown(err))
        return
    new = session.changes(action)[0].after.kind
    _follow(session, old, new)
    st.session_state[keys.KIND_RENAME_OLD] = new
    st.session_state[keys.KIND_RENAME_NEW] = ""
    done = (
        f"Merged {text.md(old)} into {text.md(new)}: {text.count(session.kinds()[new], 'anomaly')} of it now"
        if before.get(new)
        else f"Renamed {text.md(old)} to {text.md(new)} on {text.count(len(action.rows), 'row')}"
    )
    st.session_state[keys.KIND_RENAME_MESSAGE] = (
        "success",
        f"{done} (one action, model v{session.version}: **Undo** on the Label page takes it back)",
    )


def _follow(session: aad.Session, old: str, new: str) -> None:
    """The kind kept for the next cards and the Rows page's kind filter, renamed as the rows were."""
    if (kept_kind(session) or "").casefold() == old.casefold():
        st.session_state[keys.LABEL_KEPT_KIND] = (session.id, new)
    chosen = st.session_state.get(keys.ROWS_KINDS)
    if chosen:
        renamed = [new if kind.casefold() == old.casefold() else kind for kind in chosen]
        st.session_state[keys.ROWS_KINDS] = list(dict.fromkeys(renamed))
