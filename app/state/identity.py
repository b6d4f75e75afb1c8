"""Who is labelling: the analyst's name, recorded with every action of this tab.

Where the name comes from, first found first:

1. A header set by an authenticating reverse proxy, when ``aad app --user-header NAME`` says
   which header to trust (``$AAD_USER_HEADER``). It then cannot be changed on the page. The
   header is trusted because only the proxy can reach the server: ``aad app`` listens on
   127.0.0.1 (or a private address only the proxy reaches) and the proxy sets the header on
   every request, replacing whatever the browser sent (README: *A team behind a proxy*).
2. The name typed in the sidebar, kept in this tab and in a cookie of this browser
   (``aad_analyst``, a year), so it is given once per browser.
3. The user the server runs as (``aad app`` on one's own machine: the analyst).
"""

from __future__ import annotations

import json
import os
import unicodedata
from urllib.parse import quote, unquote

import streamlit as st

import aad
from aad.labels import DIRECTION_CONTROLS
from app import keys
from app.hosts import USER_HEADER_ENV as HEADER_ENV

#: The cookie that keeps the name typed in this browser.
COOKIE = "aad_analyst"
MAX_NAME = 80


def trusted_header() -> str | None:
    """The name of the header the proxy sets (``X-Forwarded-User``), or None when none is trusted."""
    name = os.environ.get(HEADER_ENV, "").strip()
    return name or None


def from_header() -> str | None:
    """The analyst named by the trusted header on this tab's connection (None without one)."""
    header = trusted_header()
    if header is None:
        return None
    try:
        value = st.context.headers.get(header)
    except (AttributeError, RuntimeError):  # no connection (a test runner)
        return None
    return _clean(value) if isinstance(value, str) else None


def analyst() -> str | None:
    """The analyst of this tab: the proxy's header, the name given in this browser, or the server's user."""
    named = from_header()
    if named is not None:
        return named
    if keys.ANALYST in st.session_state:
        return st.session_state[keys.ANALYST] or aad.session.default_analyst()
    try:
        cookie = st.context.cookies.get(COOKIE)
    except (AttributeError, RuntimeError):  # no connection (a test runner)
        cookie = None
    remembered = _clean(unquote(cookie)) if isinstance(cookie, str) else None
    st.session_state[keys.ANALYST] = remembered or ""
    return remembered or aad.session.default_analyst()


def name_given() -> bool:
    """Whether the analyst's name comes from the proxy or was given in this browser."""
    return from_header() is not None or bool(st.session_state.get(keys.ANALYST))


def rename() -> None:
    """Callback of the name field: keep the name for this tab, and in this browser's cookie."""
    typed = _clean(st.session_state.get(keys.ANALYST_INPUT)) or ""
    st.session_state[keys.ANALYST] = typed
    st.session_state[keys.ANALYST_COOKIE] = typed  # written by remember() on this run


def remember() -> None:
    """Write the name just given into this browser's cookie (a fixed script with the name as JSON)."""
    if keys.ANALYST_COOKIE not in st.session_state:
        return
    name = st.session_state.pop(keys.ANALYST_COOKIE)
    value = json.dumps(quote(name, safe=""))  # percent-encoded: nothing in it can end the script
    age = 365 * 24 * 3600 if name else 0
    cookie = f"'{COOKIE}=' + {value} + '; path=/; max-age={age}; SameSite=Strict'"
    st.html(f"<script>document.cookie = {cookie};</script>", unsafe_allow_javascript=True)


def _clean(value) -> str | None:
    """A name as recorded: on one line, without control or direction characters (a name typed as
    U+202E and "yrrah" showed as "harry" in every table), at most ``MAX_NAME`` characters."""
    if value is None:
        return None
    kept = "".join(
        ch for ch in str(value) if ch not in DIRECTION_CONTROLS and unicodedata.category(ch) != "Cc"
    )
    text = " ".join(kept.split())[:MAX_NAME]
    return text or None
