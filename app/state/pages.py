"""What every page shares: the empty state (or the choice of a session), the sidebar, the rules
of the session at its current version, and the Data page's uploads."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

import aad
from app import keys, text, views
from app.state import identity
from app.state.actions import return_focus
from app.state.caches import load, store
from app.state.messages import show_message
from app.state.session import current, resume_here

#: The workbench on a laptop screen (1280x720): less padding above the page, smaller page
#: titles and counts, so that the first card's values and its "why" show without scrolling; no
#: toolbar over the card's ten values (it covered the row's timestamp above them on hover).
COMPACT_CSS = """<style>
.stMainBlockContainer { padding-top: 3.25rem; padding-bottom: 3rem; }
.stMainBlockContainer h1 { font-size: 1.6rem; padding: 0; }
.stMainBlockContainer h3 { font-size: 1.2rem; padding: 0.1rem 0; }
.stMainBlockContainer h4 { font-size: 1.05rem; padding: 0; }
.st-key-label_counts { flex-wrap: nowrap; gap: 0.5rem; }
.st-key-label_counts > div { min-width: 0; flex: 1 1 auto; width: auto !important; }
.st-key-label_counts [data-testid="stMetric"] { padding: 0.1rem 0.6rem; }
.st-key-label_counts [data-testid="stMetric"] > div {
  display: flex; flex-direction: row; align-items: baseline; gap: 0.5rem;
}
.st-key-label_counts [data-testid="stMetricValue"] { font-size: 1.15rem; }
.st-key-label_counts [data-testid="stMetricLabel"] { min-height: 0; }
[data-testid="stSidebarContent"] [data-testid="stSidebarUserContent"] { padding-top: 1rem; }
[class*="st-key-card_"]:not(.st-key-card_current) button { min-height: 2rem; padding: 0.1rem 0.6rem; }
.st-key-card_current [data-testid="stElementToolbar"] { display: none; }
/* no grid's own "Download as CSV": it writes the cells as they are, so a cell from the data such
   as =cmd|' /C calc'!A0 opens in a spreadsheet as a formula; the pages' downloads escape them */
[data-testid="stElementToolbarButton"]:has(button[aria-label^="Download as CSV"]),
[data-testid="stElementToolbar"] button[aria-label^="Download as CSV"] { display: none !important; }
/* a style or a script alone (this sheet, the keyboard's return to the page) takes no room: it
   moved the Label page's buttons and card 16 px down whenever the page handed the keys back */
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > :is(style, script):only-child) {
  display: none;
}
/* a table's text cell (the Rules page's rules) wraps at the screen's width, not at 400 px */
[data-testid="stTable"] td > div { max-width: 45vw !important; }
/* the keyboard's place on a page link shows (it looked the same as no focus at all) */
a:focus-visible { outline: 2px solid currentColor !important; outline-offset: 2px; }
/* on a laptop (up to 1440 px wide) 1.5rem at the page's sides, not 5rem: 112 px more for the Label
   page's card, whose table at 1280x720 had no room left for its notes beside a 20-character
   feature and a 25-character value */
@media (max-width: 1440px) {
  .stMainBlockContainer { padding-left: 1.5rem; padding-right: 1.5rem; }
}
</style>"""


def key_guard() -> str:
    """A script that drops the browser's repeats of a held Label page key (outside text fields),
    and hands the keys back to the page on Escape in a text field.

    A key held down repeats about 30 times a second and the next card draws in about 0.1 s:
    holding N labelled 7 rows the analyst barely saw. One label per press; holding a key in the
    note box still types. A fixed script: the letters come from :data:`app.keys.SHORTCUTS`.
    """
    letters = sorted({shortcut[-1].lower() for shortcut in keys.SHORTCUTS.values()})
    return _KEY_GUARD.replace("LETTERS", json.dumps(letters))


_KEY_GUARD = """<script>
if (!window.aadKeyGuard) {
  window.aadKeyGuard = true;
  const held = new Set(LETTERS);
  window.addEventListener("keydown", (event) => {
    const typing = event.target.closest?.("input, textarea, select, [contenteditable='true']");
    if (event.repeat && !typing && held.has(String(event.key).toLowerCase())) {
      event.stopImmediatePropagation();
      event.preventDefault();
    }
    const field = "input[type=text]:not([role=combobox]), textarea";
    if (event.key === "Escape" && typing && event.target.matches(field)) {
      event.target.blur();  // Escape in the note or a search hands the keys back to the page
    }
  }, true);
}
</script>"""


#: The Rows page's filters, kept while the analyst visits another page (a card, the Label page).
ROWS_FILTERS = (keys.ROWS_SEARCH, keys.ROWS_LABELS, keys.ROWS_KINDS, keys.ROWS_TOP, keys.ROWS_RANGE_COLUMNS)
_KEPT_FOR = "aad_rows_filters_session"  # the session the kept filters were set on
#: The Label page's keys, as the sidebar lists them.
KEYS = (
    (keys.SHORTCUTS[keys.LABEL_ANOMALY], "anomaly"),
    (keys.SHORTCUTS[keys.LABEL_NOMINAL], "nominal"),
    (keys.SHORTCUTS[keys.LABEL_SKIP], "skip"),
    (keys.SHORTCUTS[keys.LABEL_UNDO], "undo"),
    (keys.SHORTCUTS[keys.LABEL_REDO], "redo"),
    (keys.SHORTCUTS[keys.LABEL_DIFFERENT], "different"),
)


def keep_rows_filters(session: aad.Session | None) -> None:
    """Keep the Rows page's search and filters across pages: Streamlit forgets a widget's value
    when its page is not shown, so "search, look at a row on another page, come back" meant
    typing it all again. Re-saving the keys on every run keeps them (Streamlit's documented
    way); kept for the session they were set on only, and a kind no row carries any more is
    dropped (a filter must hold choices its widget offers)."""
    if session is None or st.session_state.get(_KEPT_FOR, session.id) != session.id:
        for key in _filter_keys():
            del st.session_state[key]
    if session is None:
        return
    st.session_state[_KEPT_FOR] = session.id
    if keys.ROWS_KINDS in st.session_state:
        offered = {*session.kind_names(), views.NO_KIND}
        st.session_state[keys.ROWS_KINDS] = [k for k in st.session_state[keys.ROWS_KINDS] if k in offered]
    for key in _filter_keys():
        st.session_state[key] = st.session_state[key]


def _filter_keys() -> list[str]:
    """The Rows page's filter keys in the session state: the fixed ones and each value range's."""
    ranges = ("rows_low_", "rows_high_")
    return [k for k in st.session_state if k in ROWS_FILTERS or str(k).startswith(ranges)]


def require_session() -> aad.Session:
    """The current session; otherwise the sessions to choose from, or an empty state pointing to
    the Data page, and stop."""
    session = current()
    if session is None:
        show_message()
        choices = st.session_state.get(keys.LAUNCH_CHOICES)
        if choices:
            _choose_launch(choices)
        else:
            _empty_state()
        st.page_link("screens/data.py", label="Go to the Data page", icon=":material/table:")
        st.stop()
    return session


def _choose_launch(choices: list[str]) -> None:
    """Several sessions on the launched data, none clearly the one: the analyst picks."""
    on_data = {s.id: s for s in store().summaries()}
    shown = [on_data[c] for c in choices if c in on_data]
    st.info(
        f"{text.count(len(shown), 'session')} on {text.md(shown[0].dataset if shown else 'this data')} "
        "hold labels, and the one with the most labels is not the one labelled last: which one do you "
        "want to resume?"
    )
    for s in shown:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            st.markdown(_summary_line(s))
            st.button(
                f"Resume {s.id}",
                key=keys.resume_launch(s.id),
                on_click=resume_here,
                args=(s.id,),
                type="primary",
            )


def _summary_line(s: aad.SessionSummary) -> str:
    title = f"**{text.md(s.title)}** · " if s.title else ""
    who = f" · by {text.md(', '.join(s.analysts[:3]))}" if s.analysts else ""
    when = s.updated_at[:16].replace("T", " ")
    return (
        f"{title}`{s.id}` · {text.count(s.n_labels, 'label')} ({text.count(s.n_anomalies, 'anomaly')})"
        f"{who} · last change {when} UTC"
    )


def _empty_state() -> None:
    stored = store().summaries()
    if stored:  # a bare `aad app` the next day: offer the latest, do not pretend there is none
        latest = stored[0]
        st.info(
            f"No session is open in this tab; the database holds {text.count(len(stored), 'session')}. "
            f"The latest: `{latest.id}` ({text.md(latest.dataset)}, "
            f"{text.count(latest.n_labels, 'label')}). "
            "Resume it, pick another on the **Sessions** page, or start one on the **Data** page."
        )
        st.button(
            f"Resume {latest.id}",
            key=keys.RESUME_LATEST,
            on_click=resume_here,
            args=(latest.id,),
            type="primary",
        )
        st.page_link("screens/sessions.py", label="Go to the Sessions page", icon=":material/history:")
    else:
        st.info("No session yet. Pick a dataset or upload a file on the **Data** page to start labelling.")


def _max_samples(session: aad.Session) -> str:
    """The rows per tree the forest used: fewer than asked when the data had fewer rows (all of
    them, or all it had before rows were added to the session)."""
    asked = session.record.params["max_samples"]
    forest = getattr(session.model, "forest_member_", session.model)  # an ensemble's forest member
    if forest is None or not hasattr(forest, "forest_"):
        return "no forest"
    used = forest.forest_.max_samples
    if used == asked:
        return f"max_samples {used}"
    rows = "all rows" if used == session.dataset.n_rows else "all rows before the added ones"
    return f"max_samples {used} ({rows}; {asked} asked)"


def sidebar(session: aad.Session | None, *, labelling: bool = True) -> None:
    """The session panel: id, title, data, seed and parameters; who is labelling; on the Label
    page (``labelling``), the shortcuts (the other pages listed keys that do nothing there)."""
    with st.sidebar:
        analyst_field()
        if session is None:
            st.caption("No session")
            return
        rec = session.record
        title = f" · {text.md(rec.title)}" if rec.title else ""
        st.markdown(f"**Session** `{session.id}`{title}")
        st.caption(
            f"{text.md(rec.dataset)}: {session.dataset.n_rows:,} rows × "
            f"{session.dataset.n_features} features  \n"
            f"{views.detector_text(session)}  \n"
            f"seed **{rec.seed}** · {rec.params['n_estimators']} trees · "
            f"{_max_samples(session)} · eta {rec.params['eta']:g}  \n"
            + (
                f"ground truth {text.code(rec.label_column)} (never shown to the model)  \n"
                if rec.label_column
                else ""
            )
            + f"strategy {rec.strategy} · batch {rec.batch_size}"
        )
        if rec.working_set is not None:
            from app.state.working_sets import working_set_note

            st.info(working_set_note(session), icon=":material/filter_alt:")
        if rec.notes:
            with st.expander(f"How the table was read ({text.count(len(rec.notes), 'note')})"):
                st.markdown("".join(f"\n- {text.md(note)}" for note in rec.notes))
        if not labelling:
            return
        if label_view() == keys.TABLE:
            st.caption("Keys: off in the table view (its cells take the typing); **Cards** turns them on")
        else:
            st.caption("Keys: " + " · ".join(f"**{key}**\u00a0{what}" for key, what in KEYS))  # unbroken


def label_view() -> str | None:
    """The Label page's view (:data:`app.keys.CARDS` or ``TABLE``): as chosen in this tab, else as
    its URL remembers (a reload came back to the cards, where letters typed for the grid labelled
    rows)."""
    if keys.LABEL_VIEW not in st.session_state:
        table = st.query_params.get(keys.URL_VIEW) == "table"
        st.session_state[keys.LABEL_VIEW] = keys.TABLE if table else keys.CARDS
    return st.session_state[keys.LABEL_VIEW]


def analyst_field() -> None:
    """Who is labelling: the proxy's user (fixed), or a name typed once in this browser."""
    who = identity.analyst()
    if identity.from_header() is not None:
        st.caption(f"Labelling as **{text.md(who)}** (signed in)")
        return
    if keys.ANALYST_INPUT not in st.session_state:
        st.session_state[keys.ANALYST_INPUT] = st.session_state.get(keys.ANALYST, "")
    st.text_input(
        "Your name",
        key=keys.ANALYST_INPUT,
        on_change=_renamed,
        placeholder=f"{who} (this computer's user)" if who else "recorded with your labels",
        help="Recorded with every label, skip and undo you make, shown in the history and exported with "
        "the labels. Kept in this browser.",
        max_chars=identity.MAX_NAME,
    )
    identity.remember()


def _renamed() -> None:
    """The name field's callback: keep the name, and give the keys back to the page (after
    Enter the field kept them: N typed an "n" into the name instead of labelling the card)."""
    identity.rename()
    return_focus()


def describe(session: aad.Session):
    """The compact description at the current model version (computed once per version)."""
    cached = st.session_state.get(keys.RULES_CACHE)
    if cached is not None and cached[:2] == (session.id, session.version):
        return cached[2]
    try:
        with st.spinner("Finding a compact description of the labelled anomalies…"):
            description = aad.describe_anomalies(
                session.model, session.dataset, labels=session.model.labels_, time_limit=1.0
            )
    except aad.AADError as err:
        st.error(text.md(err))
        return None
    st.session_state[keys.RULES_CACHE] = (session.id, session.version, description)
    return description


# --------------------------------------------------------------------------- data page


def save_upload(upload) -> str:
    """Store an uploaded file next to the database (once per upload); returns its path.

    The stored file is named by the hash of its bytes; :func:`error_text` calls it by the
    name it was uploaded under.
    """
    saved = st.session_state.setdefault(keys.UPLOADS, {})
    if upload.file_id not in saved:
        path = store().save_upload(upload.getvalue(), Path(upload.name).suffix)
        saved[upload.file_id] = (str(path), Path(upload.name).name)
    return saved[upload.file_id][0]


def error_text(err: Exception, source: str) -> str:
    """The engine's message about ``source``, naming an uploaded file as the analyst named it."""
    message = str(err)
    for stored, uploaded in st.session_state.get(keys.UPLOADS, {}).values():
        if stored == source:
            message = message.replace(Path(stored).name, uploaded)
    return message


def try_load(source: str, *args, **kwargs) -> aad.Dataset | None:
    """:func:`load`, showing the engine's message on failure."""
    try:
        return load(source, *args, **kwargs)
    except aad.AADError as err:
        st.error(text.md(error_text(err, source)))
        return None
