"""What the workbench's buttons, tables and uploads do to the session: the callbacks.

Every change goes through one :class:`aad.Session` method that appends to the log before
the model changes, with the analyst of this tab (:func:`app.state.identity.analyst`) and
where it was made (``card``, ``table``, ``explore``, ``rows``, ``file NAME``). An engine
error becomes a message shown verbatim on the next run; the session is kept.

* The Label page's buttons only queue their press, applied at the start of the run
  (:func:`apply_presses`), so that two presses merged into one run are seen together.
* A table of rows (:func:`apply_table_edits`) writes only if each edited row still has
  the label the table showed (a compare-and-append, as a card's buttons do), so two tabs
  never label a row twice.
* A relabel says what it changed ("1 row changed from nominal to anomaly").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import aad
from aad.session import UndoOfOthersError
from app import keys, text, views
from app.state import identity
from app.state.caches import store
from app.state.messages import error_markdown, guard, notify
from app.state.session import current, leave

#: Most rows the Explore and Rows pages label in one go.
MAX_BULK = 2000


@dataclass(frozen=True)
class Press:
    """A press of a Label page button, queued by its callback for :func:`apply_presses`."""

    session_id: str
    action: str  # "anomaly", "nominal", "skip", "undo" or "redo"
    row: int | None  # the card's row (None for undo and redo)
    version: int  # the model version the page was drawn at
    kind: str | None = None  # the kind of anomaly typed or picked on the card
    note: str | None = None  # the note typed on the card

    def __str__(self) -> str:
        name = self.action.capitalize()
        return name if self.row is None else f"{name} on row {self.row}"


def _press(action: str, row: int | None) -> None:
    session = current()
    if session is not None:
        kind = note = None
        if (
            row is not None
            and action in ("anomaly", "nominal")
            and st.session_state.get(keys.LABEL_ANNOTATED_ROW) == row
        ):  # what was typed beside the buttons, for this card; a nominal has no kind (one kept
            # for the next cards stays in the box for the next anomaly)
            if action == "anomaly":
                kind = (st.session_state.get(keys.LABEL_KIND) or "").strip() or None
            note = (st.session_state.get(keys.LABEL_NOTE) or "").strip() or None
        press = Press(session.id, action, row, session.version, kind, note)
        st.session_state[keys.PRESSES] = [*st.session_state.get(keys.PRESSES, []), press]


def label(row: int, value: str) -> None:
    """Callback of the Anomaly/Nominal buttons: queue the label (see :func:`apply_presses`)."""
    _press(value, row)


def skip(row: int) -> None:
    """Callback of the Skip button: queue the skip (see :func:`apply_presses`)."""
    _press("skip", row)


def undo() -> None:
    """Callback of the Undo button: queue the undo (see :func:`apply_presses`)."""
    _press("undo", None)


def redo() -> None:
    """Callback of the Redo button: queue the redo (see :func:`apply_presses`)."""
    _press("redo", None)


def apply_presses(session: aad.Session) -> None:
    """Apply the Label page presses queued by this run's callbacks, or none if they disagree.

    * A press on a card that is no longer open is dropped: it came from a page still
      showing that card (and Streamlit may deliver a handled press again with the next).
    * Presses that reach the server before its next run starts (N then A within a tenth
      of a second) are merged into one run, whose callbacks come in no set order: which
      one the analyst meant cannot be known, so none is applied and the page says so.
    * A card another tab labelled meanwhile is refused with the engine's message (the
      store checks as it writes); an undo undoes the action shown when it was pressed, a redo
      redoes only if no action came since the page was drawn.
    * A press that came just after another was applied to the same card (A then N within a
      few hundredths of a second, two runs) is not applied either, and the page says so: the
      analyst meant one of them, and **U** takes the first back.
    """
    queued = st.session_state.pop(keys.PRESSES, [])
    if not queued:
        return
    open_rows = set(session.batch().tolist())
    mine = [p for p in dict.fromkeys(queued) if p.session_id == session.id]
    presses = [p for p in mine if p.row is None or p.row in open_rows]
    if len(presses) > 1:
        notify(
            "warning",
            f"{text.join_and(sorted(str(p) for p in presses))} arrived at the same moment, and none was "
            "applied, so that no row gets a label you did not choose. Press the one you meant again.",
        )
    elif presses:
        st.session_state[keys.LAST_PRESS] = presses[0]
        guard(lambda: _apply(session, presses[0]))
    else:
        _late(mine, st.session_state.get(keys.LAST_PRESS))


def _late(dropped: list[Press], last: Press | None) -> None:
    """Say so when a dropped press was another action on the card the last press labelled (a
    press Streamlit delivers again is the same action: dropped silently)."""
    if last is None or last.row is None:
        return
    card = (last.session_id, last.row)
    late = [p for p in dropped if (p.session_id, p.row) == card and p.action != last.action]
    if late:
        notify(
            "warning",
            f"{late[0]} came just after {last} was applied, and was not applied: row {last.row} keeps "
            f"what {last.action.capitalize()} gave it. If you meant {late[0].action.capitalize()}, press "
            "**U** (undo) and then the key you meant.",
        )


def _apply(session: aad.Session, press: Press) -> None:
    who = identity.analyst()
    if press.action == "undo":
        _undo(session, press, who)
    elif press.action == "redo":
        session.redo(version=press.version, analyst=who)
    elif press.action == "skip":
        session.skip(press.row, only_open=True, analyst=who, via="card")
    else:
        session.label(
            press.row, press.action, only_open=True, kind=press.kind, note=press.note, analyst=who, via="card"
        )


def _undo(session: aad.Session, press: Press, who: str | None) -> None:
    """Undo; an undo that would take back another analyst's action is refused once, naming them,
    and the next press takes it back (the page named it: that is the confirmation)."""
    named = st.session_state.pop(keys.UNDO_CONFIRMED, None)
    confirm = named[1] if named is not None and named[0] == session.id else None
    try:
        session.undo(version=press.version, analyst=who, confirm=confirm)
    except UndoOfOthersError as err:
        st.session_state[keys.UNDO_CONFIRMED] = (session.id, err.number)
        raise


def unskip() -> None:
    """Callback: bring the skipped rows back."""
    session = current()
    if session is not None:
        guard(lambda: session.unskip(analyst=identity.analyst()))


def label_many(rows: list[int], value: str, via: str = "explore", kind_key: str | None = None) -> None:
    """Callback of the bulk buttons (Explore's selection, the Rows page's matches): label every
    row ``value``, with the kind picked beside the buttons, and say what changed."""
    session = current()
    if session is None or not rows:
        return
    kind = None
    if kind_key is not None and value == "anomaly":
        kind = (st.session_state.get(kind_key) or "").strip() or None
    action = guard(lambda: session.label(rows, value, kind=kind, analyst=identity.analyst(), via=via))
    if action is not None:
        changes = session.changes(action)
        summary = views.change_text(changes, unchanged=len(rows) - len(changes))
        notify("success", f"{summary} (model v{session.version})")


def label_row(row: int, value: str, shown: int, via: str = "rows") -> None:
    """Callback of a row's own buttons on the Rows page: label (or, with ``value`` ``""``, unlabel)
    ``row``, with the kind and note typed beside them, if it still has the label ``shown``."""
    session = current()
    if session is None:
        return
    kind = st.session_state.get(keys.for_card(keys.ROWS_KIND, row))
    note = st.session_state.get(keys.for_card(keys.ROWS_NOTE, row))
    edit = aad.Edit(row, value if value else "", (kind or "") if value == "anomaly" else None, note or "")
    _edit(session, [edit], {row: shown}, via)


def remember_table(name: str, key: str, rows: list[int], shown: list[int], via: str) -> None:
    """Note the editable table ``name`` as drawn: its editor ``key``, each line's row and the label
    it showed. Its edits are applied at the start of the next run (:func:`apply_table_edits`),
    against the table the analyst saw, whatever has changed since."""
    st.session_state[keys.drawn_table(name)] = (key, list(rows), list(shown), via)


def apply_table_edits(session: aad.Session, name: str) -> bool:
    """Apply the cells edited in the table ``name`` as drawn on the run before (label, kind, note),
    as one action; call it before drawing the table again.

    The action is written only if every edited row still has the label the table showed (the
    compare-and-append of a card's buttons: a row another tab labelled meanwhile is refused,
    and the page says so). Returns whether there were edits; the next table gets a new editor,
    which starts from the stored labels again.
    """
    drawn = st.session_state.pop(keys.drawn_table(name), None)
    if drawn is None:
        return False
    key, rows, shown, via = drawn
    edited = (st.session_state.get(key) or {}).get("edited_rows") or {}
    if not edited:
        st.session_state[keys.drawn_table(name)] = drawn  # the same table, still on screen
        return False
    edits, expect = [], {}
    for position, cells in sorted(edited.items(), key=lambda item: int(item[0])):
        i = int(position)
        edits.append(_table_edit(rows[i], cells, unlabelled=shown[i] == aad.UNLABELLED))
        expect[rows[i]] = shown[i]
    st.session_state[keys.TABLE_GENERATION] = st.session_state.get(keys.TABLE_GENERATION, 0) + 1
    _edit(session, edits, expect, via)
    return True


def _table_edit(row: int, cells: dict, *, unlabelled: bool) -> aad.Edit:
    """The edit of one table line: its label, kind and note cells as edited (None: not edited).

    A kind typed on an unlabelled row labels it an anomaly of that kind: a label set first made
    the row leave the table (it lists unlabelled rows), so its kind could not follow.
    """
    label = None if "label" not in cells else views.label_from_table(cells["label"])
    kind = None if "kind" not in cells else (cells["kind"] or "")
    if label is None and kind and unlabelled:
        label = "anomaly"
    return aad.Edit(row, label, kind, None if "note" not in cells else (cells["note"] or ""))


def _edit(session: aad.Session, edits: list[aad.Edit], expect: dict[int, int], via: str) -> None:
    action = guard(lambda: session.edit(edits, expect=expect, analyst=identity.analyst(), via=via))
    if action is not None:
        notify("success", f"{views.change_text(session.changes(action))} (model v{session.version})")


def import_labels(upload_key: str) -> None:
    """Callback of the labels upload: apply the file as one action (one undo), or list its bad lines.

    The outcome is kept under :data:`app.keys.IMPORT_MESSAGE`, for the page to show beside the
    uploader (which the next run draws empty, under a new key).
    """
    st.session_state[keys.UPLOAD_GENERATION] = st.session_state.get(keys.UPLOAD_GENERATION, 0) + 1
    session, upload = current(), st.session_state.get(upload_key)
    if session is None or upload is None:
        return
    name = Path(upload.name).name
    try:
        saved = store().save_upload(upload.getvalue(), ".csv")
        action = session.import_labels(saved, name=name, analyst=identity.analyst())
    except aad.AADError as err:
        st.session_state[keys.IMPORT_MESSAGE] = ("error", error_markdown(err))
        return
    summary = views.change_text(session.changes(action))
    st.session_state[keys.IMPORT_MESSAGE] = (
        "success",
        f"{text.md(name)}: {summary[0].lower()}{summary[1:]} (one action, model v{session.version}: "
        "**Undo** takes it all back)",
    )


def add_rows(upload_key: str) -> None:
    """Callback of the rows upload (Progress page): grow the session by the rows it lacks.

    The outcome is kept under :data:`app.keys.GROW_MESSAGE` for the page to show beside the
    uploader (which the next run draws empty, under a new key).
    """
    st.session_state[keys.UPLOAD_GENERATION] = st.session_state.get(keys.UPLOAD_GENERATION, 0) + 1
    session, upload = current(), st.session_state.get(upload_key)
    if session is None or upload is None:
        return
    name = Path(upload.name).name
    try:
        saved = store().save_upload(upload.getvalue(), Path(name).suffix or ".csv")
        growth = session.add_rows(saved, name=name, analyst=identity.analyst())
    except aad.AADError as err:
        st.session_state[keys.GROW_MESSAGE] = ("error", error_markdown(err))
        return
    st.session_state[keys.GROW_MESSAGE] = ("success", f"{text.md(name)}: {views.growth_text(growth)}")


def configure(setting: str) -> None:
    """Callback of the strategy (``setting="strategy"``) and batch-size widgets.

    Only the setting changed is written: the other widget may show a value another tab has
    changed since this page was drawn.
    """
    session = current()
    return_focus()
    if session is not None:
        if setting == "strategy":
            guard(lambda: session.configure(strategy=st.session_state[keys.LABEL_STRATEGY]))
        else:
            guard(lambda: session.configure(batch_size=int(st.session_state[keys.LABEL_BATCH_SIZE])))


def different() -> None:
    """Callback of **Different** ("show me something different"): a batch that starts with a row
    the queue would not show next, outside the found anomalies' regions (:meth:`aad.Session.different`).
    The card says what is true of it, in the line beside the button (a toast in the corner covered
    the kind box and the counts for seconds at 1280x720); that there is nothing different, there too."""
    session = current()
    return_focus()
    if session is None:
        return
    before = [int(r) for r in session.batch()]
    rows = guard(lambda: [int(r) for r in session.different()])
    if rows is None:
        return
    if not rows or rows[: len(before)] == before:
        st.session_state[keys.LABEL_NOTHING_DIFFERENT] = rows[0] if rows else None


def return_focus() -> None:
    """Give the keyboard back to the page after a widget took it (so A/N/S/U work at once).

    Counted, so that each script differs and the browser runs it again.
    """
    st.session_state[keys.RETURN_FOCUS] = st.session_state.get(keys.RETURN_FOCUS_COUNT, 0) + 1
    st.session_state[keys.RETURN_FOCUS_COUNT] = st.session_state[keys.RETURN_FOCUS]


def change_view() -> None:
    """Callback of the Label page's view: the URL remembers the table, so that a reload keeps it
    (it came back as the cards, where the letters typed for the grid labelled rows)."""
    if st.session_state.get(keys.LABEL_VIEW) == keys.TABLE:
        st.query_params[keys.URL_VIEW] = "table"
    else:
        st.query_params.pop(keys.URL_VIEW, None)
    return_focus()


# --------------------------------------------------------------------------- sessions


def rename(session_id: str) -> None:
    """Callback of the Sessions page's title and description fields.

    Only a field changed on the page is written, and only if nobody changed it elsewhere since the
    page showed it: two analysts' forms, the second changing the title only, wiped the first's
    description (last save won).
    """
    shown = st.session_state.get(keys.SESSIONS_SHOWN, {})
    typed = {
        "title": st.session_state.get(keys.SESSIONS_TITLE, ""),
        "description": st.session_state.get(keys.SESSIONS_DESCRIPTION, ""),
    }
    changed = {field: value for field, value in typed.items() if value != shown.get(field)}
    if not changed:
        notify("info", f"Nothing to save: the title and description of session {session_id} are as shown")
        return
    stored = guard(lambda: store().get(session_id))
    if stored is None:
        return
    moved = [field for field in changed if getattr(stored, field) != shown.get(field)]
    if moved:  # the next Save replaces it knowingly: the form now counts as showing what is stored
        st.session_state[keys.SESSIONS_SHOWN] = {"title": stored.title, "description": stored.description}
        now = "; ".join(
            f"{field} now: {text.md(text.cut(getattr(stored, field), 80)) or '(empty)'}" for field in moved
        )
        notify(
            "warning",
            f"The {text.join_and(moved)} of session {session_id} changed elsewhere since this page showed "
            f"it ({now}), so nothing was saved. Press Save again to replace it with what you typed.",
        )
        return
    held = current()
    if held is not None and held.id == session_id:
        done = guard(lambda: held.rename(**changed) or True)
    else:
        done = guard(lambda: store().update(session_id, **changed) or True)
    if done:
        st.session_state[keys.SESSIONS_SHOWN] = {**shown, **changed}
        # set again, the picker sends its option's new name to the page (Streamlit shows the name it
        # had while the value stays the same: streamlit/streamlit#13788)
        st.session_state[keys.SESSIONS_PICK] = session_id
        notify("success", f"Saved the title and description of session {session_id}")


def delete(session_id: str) -> None:
    """Callback of the confirmed Delete: the session and its log move to the archive."""
    n = guard(lambda: store().archive(session_id, by=identity.analyst()))
    if n is None:
        return
    held = current()
    if held is not None and held.id == session_id:
        leave()
    notify(
        "success",
        f"Deleted session {session_id}: its {text.count(n, 'action')} {'is' if n == 1 else 'are'} kept in "
        "the archive of the "
        "database (restore it below, or `aad sessions restore " + session_id + "`)",
    )


def restore(session_id: str) -> None:
    """Callback: bring a deleted session back from the archive."""
    record = guard(lambda: store().restore(session_id))
    if record is not None:
        notify("success", f"Restored session {session_id} ({text.md(record.dataset)}) with its whole log")
