"""Kinds of anomaly in the workbench: the Label page's kind box (emptied for every card, or kept
for the next cards when the analyst asks).

The kind box is emptied for every new card unless **Keep this kind for the next cards** is on,
so that pressing A never saves a kind nobody picked for the card on screen. With it on, the
box keeps its value from card to card (after a label, a skip, an undo, a visit to another
page) until the analyst changes it or turns the box off. The choice and the kept kind live in
this tab's state only, never in the log; the kept kind belongs to the session it was picked in.
"""

from __future__ import annotations

import streamlit as st

import aad
from app import keys
from app.state.actions import return_focus


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
    keyboard back to the page (so A works at once)."""
    st.session_state[keys.LABEL_KEEP_KIND_ON] = bool(st.session_state.get(keys.LABEL_KEEP_KIND))
    return_focus()
