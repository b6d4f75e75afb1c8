"""The one session accessor of the workbench: this tab's :class:`aad.Session`.

It is held in ``st.session_state`` under :data:`app.keys.SESSION`. The session id lives in
the URL (``?session=<id>``): a refresh, a second tab or a restarted server reopens the same
session from the store. With ``AAD_DATA`` set (``aad app DATA``), a tab without an id
gets the session with the most labels on that data when that is also the one labelled
last; when sessions on the data disagree (another one labelled since, or a tie), the page
asks which one to resume; a new session only when there is none on the data.

A tab holds one session: leaving it (another session resumed, or one deleted) drops the
tab's references to it, and what the server keeps of its data is bounded
(:mod:`app.state.caches`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import aad
from aad.scale import working_set
from aad.session import reading
from aad.stream.growth import unseen_rows
from app import keys, memory, text, views
from app.state.caches import file_stamp, first_session, kept_copy, load, model_factory, store
from app.state.messages import guard, notify


@dataclass(frozen=True)
class Launch:
    """What ``aad app DATA`` opens in a new tab.

    ``session``: the id to open, or None to ask among ``choices``; ``resumed``: an existing
    session (not a new one); ``others``: labelled sessions on the same data left aside;
    ``earlier``: for a new session on a file changed since, the session on its earlier version;
    ``truth``: for a new session, a column taken as its ground truth by its look (``is_fraud``).
    """

    session: str | None
    resumed: bool
    choices: tuple[aad.SessionSummary, ...] = ()
    others: tuple[aad.SessionSummary, ...] = ()
    earlier: aad.SessionSummary | None = None
    grown: str | None = None  # what adding the file's new rows to the resumed session did
    truth: str | None = None


def choose(on_data: list[aad.SessionSummary]) -> tuple[aad.SessionSummary | None, list[aad.SessionSummary]]:
    """Among the sessions on one table (most recently changed first): the one to resume, and the
    labelled ones to offer besides it. None (and the labelled ones) when the page must ask.

    The session with the most labels, when it is also the labelled one changed last; an empty
    session only when none has a label. Otherwise (a tie, or another session labelled since)
    the analyst chooses.
    """
    labelled = [s for s in on_data if s.n_labels]
    if not labelled:
        return (on_data[0] if on_data else None), []
    most = max(s.n_labels for s in labelled)
    top = [s for s in labelled if s.n_labels == most]
    if len(top) == 1 and top[0] is labelled[0]:
        return top[0], labelled[1:]
    return None, labelled


#: The Data page's source for the file ``aad app FILE`` opened.
LAUNCHED = "The file given to `aad app`"


def _launch_session(data: str) -> Launch:
    """The session ``aad app DATA`` opens in a new tab (asked afresh for every new tab, so a
    session started on the Data page since is seen)."""
    if working_set.is_too_big(data):  # a table too big to hold: its working set's session
        from app.state.working_sets import launch_big

        return Launch(launch_big(data), True)
    source, name = _launch_source(data)
    try:
        dataset = load(source, name=name, categories=launch_categories())
    except aad.AADError as err:  # name the file as the analyst gave it, not its kept copy
        raise type(err)(str(err).replace(source, data).replace(Path(source).name, Path(data).name)) from None
    truth = views.suggested_truth(dataset) if dataset.label_column is None else None
    on_data = store().summaries(fingerprint=dataset.fingerprint)
    chosen, others = choose(on_data) if on_data else (None, [])
    if on_data and chosen is None:
        return Launch(None, True, choices=tuple(others))
    if chosen is not None and (chosen.n_labels or launch_categories()):
        return Launch(chosen.id, True, others=tuple(others))
    earlier = next(  # a labelled session on the file, grown since or read otherwise (categories)
        (s for s in store().summaries() if s.dataset == dataset.name and s.n_labels and name is not None),
        None,
    )
    if earlier is not None:
        grown = _grow_earlier(earlier, source, dataset, Path(data).name)
        if grown is not None:
            return Launch(earlier.id, True, grown=grown)
    if chosen is not None:  # no labels yet, on the file as read: that session
        return Launch(chosen.id, True, others=tuple(others))
    session = first_session(source, name, str(store().path), truth or aad.AUTO, launch_categories())
    return Launch(session, False, earlier=earlier, truth=truth)


def _grow_earlier(earlier: aad.SessionSummary, source: str, dataset: aad.Dataset, name: str) -> str | None:
    """The file grew since ``earlier`` was labelled (it holds every row the session has, and
    more): add its new rows to that session and say what they did; None when the file is no
    growth of it (rows changed or gone, other columns): a new session then, as before."""
    try:
        session = aad.Session.open(earlier.id, store=store(), model_factory=model_factory)
        if tuple(session.dataset.feature_names) != tuple(dataset.feature_names):
            return None
        if launch_categories() and tuple(session.dataset.categories) != tuple(dataset.categories):
            return None  # --categories asks for another reading than the session's: a new session
        # read as the session's rows are: a category's code is its rarity in the session's
        # table, which the new rows change when the file is read on its own
        grown = aad.load_rows(source, like=session.dataset)
        if len(unseen_rows(grown.X_as_read, session.dataset.X_as_read)):  # rows changed or gone
            return None
        if session.dataset.n_rows == dataset.n_rows:
            return ""  # grown before, in another tab: resumed as it is
        return views.growth_text(session.add_rows(source, name=name))
    except aad.AADError:
        return None


def launch_categories() -> tuple[str, ...]:
    """The columns ``aad app FILE --categories`` reads as categories (none without)."""
    text = os.environ.get("AAD_CATEGORIES")
    return tuple(json.loads(text)) if text else ()


def launch_file() -> tuple[str, str] | None:
    """The file ``aad app FILE`` opened, as the Data page offers it (the kept copy, the table's
    name); None for a shipped dataset, a table too big to hold, or no file."""
    data = os.environ.get("AAD_DATA")
    if not data or not Path(data).is_file() or working_set.is_too_big(data):
        return None
    source, name = _launch_source(data)
    return source, name or Path(data).stem


def _launch_source(data: str) -> tuple[str, str | None]:
    """What ``aad app DATA`` reads: a shipped dataset, or a copy of the file kept next to the
    database (:meth:`aad.Store.keep_file`), so that overwriting the file later (the next
    day's export) does not strand the labels of a session on it; and the table's name."""
    if not Path(data).is_file():
        return f"shipped:{data}", None
    kept = kept_copy(str(Path(data).resolve()), file_stamp(data), str(store().path))
    if not Path(kept).is_file():  # deleted under the running server: copy the file again
        kept_copy.clear()
        kept = kept_copy(str(Path(data).resolve()), file_stamp(data), str(store().path))
    return kept, Path(data).stem


def get_session() -> aad.Session | None:
    """This tab's session: the one in the URL, the one held, or the launch session; or None."""
    from app.state.actions import apply_presses

    if st.session_state.pop(keys.LEFT_SESSION, False):  # a session was let go on the run before
        memory.give_back()
    held: aad.Session | None = st.session_state.get(keys.SESSION)
    wanted = st.query_params.get(keys.URL_SESSION)
    if held is not None and wanted in (None, held.id):
        apply_presses(held)
        guard(held.refresh)
    elif wanted:
        held = _open(wanted) or held
    elif os.environ.get("AAD_DATA") and not st.session_state.get(keys.LAUNCH_ASKED):
        held = _launch()
    if held is not None:
        use(held)
    return held


def _launch() -> aad.Session | None:
    launch = guard(lambda: _launch_session(os.environ["AAD_DATA"]))
    if launch is None:
        return None
    if launch.session is None:  # the analyst chooses (require_session shows the choice)
        st.session_state[keys.LAUNCH_CHOICES] = [s.id for s in launch.choices]
        return None
    held = _open(launch.session)
    if held is None:
        return None
    if launch.grown:
        notify(
            "info",
            f"{text.md(Path(os.environ['AAD_DATA']).name)} grew since session {held.id} was labelled: "
            f"{launch.grown}. See the **Progress** page.",
        )
    elif launch.resumed:
        others = ""
        if launch.others:
            named = ", ".join(f"{s.id} ({text.count(s.n_labels, 'label')})" for s in launch.others[:3])
            others = f" Other labelled sessions on this data: {named}, on the **Sessions** page."
        data, labels = text.md(held.record.dataset), text.count(held.n_labels, "label")
        which = f"the one with the most labels on {data} ({labels})"
        which = which if held.n_labels else f"on {data}, no labels yet"
        notify(
            "info",
            f"Resumed session {held.id}{_titled(held.record.title)}, {which}.{others} "
            "To start afresh, use the **Data** page.",
        )
    elif launch.earlier is not None or launch.truth is not None:
        notify("info", _new_launch_note(launch))
    return held


def _new_launch_note(launch: Launch) -> str:
    """What a new session on the launched file should say: the earlier version's session, the
    column taken as the ground truth."""
    parts = []
    if launch.earlier is not None:
        earlier = launch.earlier
        when = earlier.updated_at[:16].replace("T", " ")
        parts.append(
            f"{text.md(Path(os.environ['AAD_DATA']).name)} has changed since session {earlier.id} "
            f"({text.count(earlier.n_labels, 'label')}, last {when}): "
            f"this is a new session on the file as it is now. Session {earlier.id} keeps the version "
            "it was labelled on; resume it from the **Sessions** page."
        )
    if launch.truth is not None:
        parts.append(
            f"{text.code(launch.truth)} looks like a ground truth, so this session is evaluated with it "
            "(the **Progress** page); the model never sees it and the cards never show it. To label "
            "without it, start a session on the **Data** page with the ground-truth column (none)."
        )
    return " ".join(parts)


def _titled(title: str) -> str:
    return f" ({text.md(title)})" if title else ""


def sync(session: aad.Session) -> None:
    """Catch ``session`` up with the store (another tab may have labelled)."""
    guard(session.refresh)


def current() -> aad.Session | None:
    """The session :func:`get_session` resolved on this run."""
    return st.session_state.get(keys.SESSION)


def _open(session_id: str) -> aad.Session | None:
    def reopen() -> aad.Session:
        try:
            record = store().get(session_id)
        except aad.SessionNotFoundError:
            raise not_found(session_id) from None
        _restore_kept_copy(record)
        dataset = load(record.source, **reading(record))
        return aad.Session.open(session_id, store=store(), dataset=dataset, model_factory=model_factory)

    # after a restart, reopening refits the forest and replays the labels: seconds at 1M rows
    shown = text.md(session_id)  # from the URL
    with st.spinner(f"Opening session {shown}: reading its data, refitting, replaying its labels…"):
        return guard(reopen)


def not_found(session_id: str) -> aad.SessionNotFoundError:
    """The page's words for a session not in the database: deleted (by whom, when, how to restore it),
    or never there."""
    deleted = next((s for s in store().archived() if s.id == session_id), None)
    if deleted is not None:
        by = f" by {text.md(deleted.archived_by)}" if deleted.archived_by else ""
        message = (
            f"session {text.md(session_id)} was deleted{by} on {deleted.archived_at[:16].replace('T', ' ')} "
            f"UTC ({text.count(deleted.n_labels, 'label')} kept in the archive); restore it on the "
            "**Sessions** page"
        )
    else:
        message = (
            f"there is no session {text.md(repr(session_id))} in this workbench's database; pick one "
            "on the **Sessions** page, or start one on the **Data** page"
        )
    missing = aad.SessionNotFoundError(message)
    missing.markdown = True  # written for the page: the id from the URL is escaped
    return missing


def _restore_kept_copy(record: aad.SessionRecord) -> None:
    """A session's kept copy of its file (``uploads/<sha256>``), deleted meanwhile: copied again
    from the launched file when that still holds the same bytes; otherwise an error naming it."""
    kept = Path(record.source)
    if record.source.startswith("shipped:") or kept.is_file() or kept.parent != store().uploads_dir:
        return
    original = os.environ.get("AAD_DATA", "")
    if Path(original).is_file() and _sha256(original) == kept.stem:
        store().keep_file(original)
        return
    raise aad.DataError(
        f"session {record.id} was labelled on a copy of {record.dataset} kept at {kept}, and that copy "
        "has been deleted; `aad app FILE` on the original file, unchanged, copies it again (or restore "
        "the copy from a backup)"
    )


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: What a tab keeps about its session besides the session itself: dropped when it leaves it.
_PER_SESSION = (keys.RULES_CACHE, keys.LAUNCH_CHOICES, keys.ROWS_PICKED)


def use(session: aad.Session) -> None:
    """Make ``session`` this tab's session (and put its id in the URL); a session left is let go."""
    held = st.session_state.get(keys.SESSION)
    if held is not session:
        for key in _PER_SESSION:
            st.session_state.pop(key, None)
        if held is not None:  # freed once this run's state is the old one: give it back then
            st.session_state[keys.LEFT_SESSION] = True
    st.session_state[keys.SESSION] = session
    st.session_state[keys.LAUNCH_ASKED] = True  # this tab has chosen: never ask again
    if st.query_params.get(keys.URL_SESSION) != session.id:
        st.query_params[keys.URL_SESSION] = session.id


def leave() -> None:
    """This tab holds no session any more (it was deleted): its memory can be given back."""
    for key in (keys.SESSION, *_PER_SESSION):
        st.session_state.pop(key, None)
    st.session_state[keys.LEFT_SESSION] = True
    st.query_params.pop(keys.URL_SESSION, None)


def resume(session_id: str) -> None:
    """Callback: switch this tab to a stored session (then the Label page)."""
    session = _open(session_id)
    if session is not None:
        use(session)
        st.session_state[keys.SESSIONS_RESUMED] = True
        notify(
            "success",
            f"Resumed session {session.id}{_titled(session.record.title)} "
            f"({text.md(session.record.dataset)}, {session.n_labels} labels)",
        )


def resume_here(session_id: str) -> None:
    """Callback: resume ``session_id`` and stay on this page (Resume on Sessions goes to Label)."""
    resume(session_id)
    st.session_state.pop(keys.SESSIONS_RESUMED, None)
