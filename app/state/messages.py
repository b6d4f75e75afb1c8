"""Messages shown once at the top of the next page, and the guard that turns engine errors into one."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

import aad
from app import keys, text


def notify(level: str, message: str) -> None:
    """Queue a message (``error``, ``warning``, ``success`` or ``info``) for the next render."""
    st.session_state[keys.MESSAGE] = (level, message)


def show_message(*, aside: bool = False) -> None:
    """Show the queued message once; with ``aside``, news (``info``, ``success``) as a toast in the
    corner, which takes no line from the page (the Label page: its first card fits a laptop
    screen), and warnings and errors in the page."""
    message = st.session_state.pop(keys.MESSAGE, None)
    if message is None:
        return
    level, body = message
    if aside and level in ("info", "success"):
        st.toast(
            body, icon=":material/info:" if level == "info" else ":material/check_circle:", duration="long"
        )
    else:
        getattr(st, level)(body)


def guard(fn: Callable):
    """Run ``fn``; on an engine error queue its message verbatim and return None.

    A labels file's bad lines are listed one per line (the message names each with its line).
    """
    try:
        return fn()
    except aad.SessionNotFoundError as err:  # this tab's session deleted in another: say so as the page does
        from app.state.session import current, not_found

        held = current()
        here = held is not None and repr(held.id) in str(err)
        notify("error", error_markdown(not_found(held.id) if here else err))
        return None
    except aad.AADError as err:  # names from the data shown as they are; the app's own words as written
        notify("error", error_markdown(err))
        return None


def error_markdown(err: aad.AADError) -> str:
    """An engine error for the page: its text escaped (it quotes data), a labels file's bad lines listed."""
    if getattr(err, "markdown", False):
        return str(err)
    problems = getattr(err, "problems", None)
    if problems and len(problems) > 1:
        head = str(err).split(":", 1)[0]
        lines = "".join(
            f"\n- {text.md(p if p.startswith('labels row') else f'line {line}: {p}')}" for line, p in problems
        )
        return f"{text.md(head)}:{lines}"
    return text.md(err)
