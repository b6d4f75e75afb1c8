"""The one session accessor of the workbench, its caches, and the button callbacks.

* :func:`get_session` returns this tab's :class:`aad.Session`, held in
  ``st.session_state`` under :data:`app.keys.SESSION`. The session id lives in the URL
  (``?session=<id>``): a refresh, a second tab or a restarted server reopens the same
  session from the store. With ``AAD_DATA`` set (``aad app DATA``), a tab without an id
  gets the latest session on that data, or a new one the first time.
* ``st.cache_resource`` holds only immutable things: the store's path, loaded datasets,
  and fitted models *before any label*. A session gets a copy of the cached model,
  so no user's labels ever reach the shared cache.
* Callbacks call one session method each and turn an engine error into a message shown
  verbatim on the next run; the current session is kept. The Label page's buttons only
  queue their press, applied at the start of the run (:func:`apply_presses`), so that two
  presses merged into one run are seen together.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import streamlit as st

import aad
from aad.scale import working_set
from app import charts, keys, text

#: Largest file the Data page accepts, in MB, unless ``$AAD_MAX_UPLOAD_MB`` says otherwise.
MAX_UPLOAD_MB = 200
#: Most rows the Explore page labels in one go.
MAX_BULK = 2000


# --------------------------------------------------------------------------- caches


@st.cache_resource(show_spinner=False)
def _store(path: str) -> aad.Store:
    return aad.Store(path)


def store() -> aad.Store:
    """The session database (``$AAD_DB`` or the per-user default)."""
    return _store(str(aad.default_db_path()))


def _file_stamp(source: str) -> str:
    path = Path(source)
    if source.startswith("shipped:") or not path.is_file():
        return ""
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def max_upload_mb() -> int:
    """Largest file the workbench accepts, in MB: ``$AAD_MAX_UPLOAD_MB``, else :data:`MAX_UPLOAD_MB`.

    ``aad app`` sets the variable (``--max-upload-mb``) and gives Streamlit the same
    number as ``server.maxUploadSize``, so the browser and the loader refuse the same files.

    Raises
    ------
    aad.AADError
        When the variable is not a whole number of at least 1.
    """
    text = os.environ.get("AAD_MAX_UPLOAD_MB", "").strip()
    if not text:
        return MAX_UPLOAD_MB
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise aad.AADError(
            f"AAD_MAX_UPLOAD_MB must be a whole number of megabytes, at least 1; got {text!r}. "
            "Fix or unset it and restart the workbench"
        )
    return int(text)


@st.cache_resource(max_entries=8, show_spinner="Reading the table…")
def _load(
    source: str,
    features: tuple | None,
    label_column: str | None,
    name: str | None,
    stamp: str,
    max_bytes: int,
    anomaly_value: str | None,
) -> aad.Dataset:
    return aad.load_data(
        source,
        features=features,
        label_column=label_column,
        name=name,
        max_bytes=max_bytes,
        anomaly_value=anomaly_value,
    )


def load(
    source: str,
    features=None,
    label_column: str | None = aad.AUTO,
    name: str | None = None,
    anomaly_value: str | None = None,
) -> aad.Dataset:
    """Load (and cache) a dataset; a file is re-read when it changes on disk.

    Files over :func:`max_upload_mb` are refused with the loader's message.
    """
    features = None if features is None else tuple(features)
    limit = max_upload_mb() * 1_000_000  # the browser's megabytes (10^6 bytes), so both refuse alike
    if is_working_set(source):  # written by the workbench itself: the loader's own limit applies
        limit = aad.tables.file_limit(None)
    return _load(source, features, label_column, name, _file_stamp(source), limit, anomaly_value)


def is_working_set(source: str) -> bool:
    """Whether ``source`` is a working set's file (written by the workbench for a table too big to hold)."""
    path = Path(source)
    return path.is_file() and aad.tables.parquet_metadata(path, aad.tables.WORKING_SET_KEY) is not None


class _FittedModels:
    """Fitted models before any label, per dataset, parameters and seed (the most recent few).

    Not ``st.cache_resource`` on the fit itself: Streamlit would replay the progress bar's
    elements on a cache hit, outside the page that drew them. One lock per key, so two tabs
    starting the same session fit once, and different sessions fit side by side.
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._models: OrderedDict[tuple, aad.AADForest] = OrderedDict()
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, dataset: aad.Dataset, params: dict, seed: int, progress=None) -> aad.AADForest:
        key = (dataset.fingerprint, json.dumps(params, sort_keys=True), seed)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._models:
                    self._models.move_to_end(key)
                    return self._models[key]
            model = aad.fit_model(dataset, params, seed, progress=progress)
            with self._guard:
                self._models[key] = model
                while len(self._models) > self.size:
                    self._locks.pop(self._models.popitem(last=False)[0], None)
        return model


@st.cache_resource(show_spinner=False)
def _fitted_models() -> _FittedModels:
    return _FittedModels()


def model_factory(
    dataset: aad.Dataset, params: dict, seed: int, *, progress: Callable[[str, float], None] | None = None
) -> aad.AADForest:
    """A private copy of the model fitted on ``dataset`` with ``params`` and ``seed`` (cached).

    ``progress(step, fraction_done)`` reports a fit that is not cached yet.
    """
    return _fitted_models().get(dataset, params, seed, progress).copy()


@st.cache_data(max_entries=4, show_spinner=False)
def projection(fingerprint: str, _X: np.ndarray) -> np.ndarray:
    """2-D principal-component projection of the data (cached per dataset)."""
    return charts.project_2d(_X)


def _launch_session(data: str) -> tuple[str, bool, aad.SessionSummary | None]:
    """The session ``aad app DATA`` opens: the latest one on that data, else a new one.

    Returns its id; whether it was resumed (so a restart never looks like lost labels, nor
    leaves one more empty session behind); and, for a new one on a file whose content has
    changed since an earlier session on it (the next day's export), that session, which
    stays on its own copy of the file. Asked afresh for every new tab, so a session
    started on the Data page since is the one a new tab gets.
    """
    if working_set.is_too_big(data):
        return _launch_big(data), True, None
    source, name = _launch_source(data)
    try:
        dataset = load(source, name=name)
    except aad.AADError as err:  # name the file as the analyst gave it, not its kept copy
        raise type(err)(str(err).replace(source, data).replace(Path(source).name, Path(data).name)) from None
    latest = store().latest(fingerprint=dataset.fingerprint)
    if latest is not None:
        return latest, True, None
    earlier = next(
        (s for s in store().summaries() if s.dataset == dataset.name and s.n_labels and name is not None),
        None,
    )
    return _first_session(source, name, str(store().path)), False, earlier


def _launch_source(data: str) -> tuple[str, str | None]:
    """What ``aad app DATA`` reads: a shipped dataset, or a copy of the file kept next to the
    database (:meth:`aad.Store.keep_file`), so that overwriting the file later (the next
    day's export) does not strand the labels of a session on it; and the table's name."""
    if not Path(data).is_file():
        return f"shipped:{data}", None
    kept = _kept_copy(str(Path(data).resolve()), _file_stamp(data), str(store().path))
    if not Path(kept).is_file():  # deleted under the running server: copy the file again
        _kept_copy.clear()
        kept = _kept_copy(str(Path(data).resolve()), _file_stamp(data), str(store().path))
    return kept, Path(data).stem


@st.cache_data(max_entries=16, show_spinner="Keeping a copy of the file…")
def _kept_copy(path: str, stamp: str, db: str) -> str:
    """The kept copy of ``path`` as it is at ``stamp`` (size and time: copied once per version)."""
    return str(store().keep_file(path))


@st.cache_resource(show_spinner="Starting a session…")
def _first_session(source: str, name: str | None, db: str) -> str:
    """Create the first session on ``source`` (once per server, database and content: a
    kept copy's name is the hash of its bytes)."""
    dataset = load(source, name=name)
    return aad.Session.create(dataset, store=store(), model_factory=model_factory).id


# --------------------------------------------------------------------------- tables too big to hold


def working_set_settings() -> dict:
    """The working set's size: ``$AAD_SAMPLE_ROWS`` uniform rows and ``$AAD_TOP_ROWS`` top rows
    (``aad app --sample-rows --top-rows``), else the defaults (1,000,000 and 10,000)."""
    return {
        "sample_rows": aad.tables.env_int("AAD_SAMPLE_ROWS", working_set.DEFAULT_SAMPLE_ROWS),
        "top_rows": aad.tables.env_int("AAD_TOP_ROWS", working_set.DEFAULT_TOP_ROWS),
    }


def big_table() -> str | None:
    """The table ``aad app`` was started on when it is too big to label whole, else None."""
    data = os.environ.get("AAD_DATA")
    if not data or not Path(data).exists() or not working_set.is_too_big(data):
        return None
    return str(Path(data).resolve())


class _WorkingSets:
    """Working sets built by this server, per table, file stamp and settings; each built once
    (a lock per key: two tabs asking for the same one wait for one build)."""

    def __init__(self) -> None:
        self._built: dict[tuple, working_set.WorkingSet] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, key: tuple) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, table: str, settings: dict, progress=None) -> working_set.WorkingSet:
        stamp = working_set.table_stamp(working_set.check_table(table), Path(table))
        key = (table, stamp, json.dumps(settings, sort_keys=True))
        with self.lock(key):
            if key not in self._built:
                self._built[key] = working_set.build_working_set(
                    table, store().uploads_dir, **settings, progress=progress
                )
            return self._built[key]


@st.cache_resource(show_spinner=False)
def _working_sets() -> _WorkingSets:
    return _WorkingSets()


def build_working_set(table: str, settings: dict, progress=None) -> working_set.WorkingSet:
    """The working set of ``table`` with ``settings`` (sample_rows, top_rows, seed, params), built
    once per server (kept next to the database, named by its content)."""
    return _working_sets().get(table, settings, progress)


def working_set_spec(path: str) -> dict:
    """What defines the working set held by the file at ``path`` (its metadata)."""
    spec = aad.data.working_set_of(Path(path), pq.ParquetFile(path).metadata.num_rows)
    if spec is None:
        raise aad.DataError(f"{Path(path).name} is no working set; build it again on the Data page")
    return spec


def _launch_big(data: str) -> str:
    """``aad app TABLE`` on a table too big to hold: the latest session on a working set of the
    table as its files are now, else a new one on a working set built with the defaults."""
    table = str(Path(data).resolve())
    stamp = working_set.table_stamp(working_set.check_table(table), Path(table))
    with _working_sets().lock(("launch", table, stamp)):
        latest = store().latest_on_table(table, stamp)
        if latest is not None:
            return latest
        bar = st.progress(
            0.0, text=f"{text.md(Path(table).name)} is too big to label whole: building a working set"
        )
        settings = {**working_set_settings(), "seed": 0, "params": _forest_params(aad.session.DEFAULT_PARAMS)}
        built = build_working_set(table, settings, lambda step, done: bar.progress(done, text=step))
        bar.empty()
        dataset = load(str(built.path), name=f"{Path(table).name} (working set)")
        return aad.Session.create(dataset, store=store(), seed=0, model_factory=model_factory).id


def _forest_params(params: dict) -> dict:
    return {k: params[k] for k in ("n_estimators", "max_samples")}


# --------------------------------------------------------------------------- the session


def get_session() -> aad.Session | None:
    """This tab's session: the one in the URL, the one held, or the launch session; or None."""
    held: aad.Session | None = st.session_state.get(keys.SESSION)
    wanted = st.query_params.get(keys.URL_SESSION)
    if held is not None and wanted in (None, held.id):
        apply_presses(held)
        _guard(held.refresh)
    elif wanted:
        held = _open(wanted) or held
    elif os.environ.get("AAD_DATA"):
        launch = _guard(lambda: _launch_session(os.environ["AAD_DATA"]))
        held = _open(launch[0]) if launch else None
        if held is not None and launch[1]:
            notify(
                "info",
                f"Resumed session {held.id}, the latest on {text.md(held.record.dataset)} "
                f"({text.count(held.n_labels, 'label')}). To start afresh, use the **Data** page.",
            )
        elif held is not None and launch[2] is not None:
            earlier = launch[2]
            when = earlier.updated_at[:16].replace("T", " ")
            notify(
                "info",
                f"{text.md(Path(os.environ['AAD_DATA']).name)} has changed since session {earlier.id} "
                f"({text.count(earlier.n_labels, 'label')}, last {when}): "
                f"this is a new session on the file as it is now. Session {earlier.id} keeps the version "
                "it was labelled on; resume it from the **Sessions** page.",
            )
    if held is not None:
        st.session_state[keys.SESSION] = held
        if st.query_params.get(keys.URL_SESSION) != held.id:
            st.query_params[keys.URL_SESSION] = held.id
    return held


def sync(session: aad.Session) -> None:
    """Catch ``session`` up with the store (another tab may have labelled)."""
    _guard(session.refresh)


def current() -> aad.Session | None:
    """The session :func:`get_session` resolved on this run."""
    return st.session_state.get(keys.SESSION)


def _open(session_id: str) -> aad.Session | None:
    def reopen() -> aad.Session:
        try:
            record = store().get(session_id)
        except aad.SessionNotFoundError:
            missing = aad.SessionNotFoundError(
                f"there is no session {text.md(repr(session_id))} in this workbench's database; pick one "
                "on the **Sessions** page, or start one on the **Data** page"
            )
            missing.markdown = True  # written for the page: the id from the URL is escaped
            raise missing from None
        _restore_kept_copy(record)
        dataset = load(
            record.source, record.features, record.label_column, record.dataset, record.anomaly_value
        )
        return aad.Session.open(session_id, store=store(), dataset=dataset, model_factory=model_factory)

    # after a restart, reopening refits the forest and replays the labels: seconds at 1M rows
    shown = text.md(session_id)  # from the URL
    with st.spinner(f"Opening session {shown}: reading its data, refitting, replaying its labels…"):
        return _guard(reopen)


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


def use(session: aad.Session) -> None:
    """Make ``session`` this tab's session (and put its id in the URL)."""
    st.session_state[keys.SESSION] = session
    st.query_params[keys.URL_SESSION] = session.id


def resume(session_id: str) -> None:
    """Callback: switch this tab to a stored session."""
    session = _open(session_id)
    if session is not None:
        use(session)
        st.session_state[keys.SESSIONS_RESUMED] = True
        notify(
            "success",
            f"Resumed session {session.id} ({text.md(session.record.dataset)}, {session.n_labels} labels)",
        )


def _resume_here(session_id: str) -> None:
    """Callback: resume ``session_id`` and stay on this page (Resume on Sessions goes to Label)."""
    resume(session_id)
    st.session_state.pop(keys.SESSIONS_RESUMED, None)


# --------------------------------------------------------------------------- messages


def notify(level: str, text: str) -> None:
    """Queue a message (``error``, ``warning``, ``success`` or ``info``) for the next render."""
    st.session_state[keys.MESSAGE] = (level, text)


def show_message() -> None:
    """Show the queued message once."""
    message = st.session_state.pop(keys.MESSAGE, None)
    if message is not None:
        level, text = message
        getattr(st, level)(text)


def _guard(fn: Callable):
    """Run ``fn``; on an engine error queue its message verbatim and return None."""
    try:
        return fn()
    except aad.AADError as err:  # names from the data shown as they are; the app's own words as written
        notify("error", str(err) if getattr(err, "markdown", False) else text.md(err))
        return None


# --------------------------------------------------------------------------- callbacks


@dataclass(frozen=True)
class Press:
    """A press of a Label page button, queued by its callback for :func:`apply_presses`."""

    session_id: str
    action: str  # "anomaly", "nominal", "skip" or "undo"
    row: int | None  # the card's row (None for undo)
    version: int  # the model version the page was drawn at

    def __str__(self) -> str:
        name = self.action.capitalize()
        return name if self.row is None else f"{name} on row {self.row}"


def _press(action: str, row: int | None) -> None:
    session = current()
    if session is not None:
        press = Press(session.id, action, row, session.version)
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


def apply_presses(session: aad.Session) -> None:
    """Apply the Label page presses queued by this run's callbacks, or none if they disagree.

    * A press on a card that is no longer open is dropped: it came from a page still
      showing that card (and Streamlit may deliver a handled press again with the next).
    * Presses that reach the server before its next run starts (N then A within a tenth
      of a second) are merged into one run, whose callbacks come in no set order: which
      one the analyst meant cannot be known, so none is applied and the page says so.
    * A card another tab labelled meanwhile is refused with the engine's message (the
      store checks as it writes); an undo undoes the action shown when it was pressed.
    """
    open_rows = set(session.batch().tolist())
    presses = [
        p
        for p in dict.fromkeys(st.session_state.pop(keys.PRESSES, []))
        if p.session_id == session.id and (p.row is None or p.row in open_rows)
    ]
    if len(presses) > 1:
        notify(
            "warning",
            f"{text.join_and(sorted(str(p) for p in presses))} arrived at the same moment, and none was "
            "applied, so that no row gets a label you did not choose. Press the one you meant again.",
        )
    elif presses:
        _guard(lambda: _apply(session, presses[0]))


def _apply(session: aad.Session, press: Press) -> None:
    if press.action == "undo":
        session.undo(version=press.version)
    elif press.action == "skip":
        session.skip(press.row, only_open=True)
    else:
        session.label(press.row, press.action, only_open=True)


def unskip() -> None:
    """Callback: bring the skipped rows back."""
    session = current()
    if session is not None:
        _guard(session.unskip)


def label_many(rows: list[int], value: str) -> None:
    """Callback of the Explore page's bulk buttons."""
    session = current()
    if session is not None and rows:
        already = int((session.model.labels_[rows] == aad.to_label(value)).sum())
        if _guard(lambda: session.label(rows, value)) is not None:
            done = text.count(len(rows) - already, "row")
            note = f"; {already} already {'was' if already == 1 else 'were'}" if already else ""
            notify("success", f"Labelled {done} {value}{note} (model v{session.version})")


def configure(setting: str) -> None:
    """Callback of the strategy (``setting="strategy"``) and batch-size widgets.

    Only the setting changed is written: the other widget may show a value another tab has
    changed since this page was drawn.
    """
    session = current()
    # the widget keeps the focus, and the A/N/S/U keys with it; counted, so that each script differs
    st.session_state[keys.RETURN_FOCUS] = st.session_state.get(keys.RETURN_FOCUS_COUNT, 0) + 1
    st.session_state[keys.RETURN_FOCUS_COUNT] = st.session_state[keys.RETURN_FOCUS]
    if session is not None:
        if setting == "strategy":
            _guard(lambda: session.configure(strategy=st.session_state[keys.LABEL_STRATEGY]))
        else:
            _guard(lambda: session.configure(batch_size=int(st.session_state[keys.LABEL_BATCH_SIZE])))


# --------------------------------------------------------------------------- page helpers


def require_session() -> aad.Session:
    """The current session; otherwise an empty state pointing to the Data page, and stop."""
    session = current()
    if session is None:
        show_message()
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
                on_click=_resume_here,
                args=(latest.id,),
                type="primary",
            )
            st.page_link("screens/sessions.py", label="Go to the Sessions page", icon=":material/history:")
        else:
            st.info(
                "No session yet. Pick a dataset or upload a file on the **Data** page to start labelling."
            )
        st.page_link("screens/data.py", label="Go to the Data page", icon=":material/table:")
        st.stop()
    return session


def _max_samples(session: aad.Session) -> str:
    """The rows per tree the forest used: fewer than asked when the data has fewer rows."""
    asked = session.record.params["max_samples"]
    used = session.learner.model.forest_.max_samples
    return f"max_samples {used}" if used == asked else f"max_samples {used} (all rows; {asked} asked)"


def sidebar(session: aad.Session | None) -> None:
    """The session panel: id, data, seed and parameters; the shortcuts."""
    with st.sidebar:
        if session is None:
            st.caption("No session")
            return
        rec = session.record
        st.markdown(f"**Session** `{session.id}`")
        st.caption(
            f"{text.md(rec.dataset)}: {session.dataset.n_rows:,} rows × "
            f"{session.dataset.n_features} features  \n"
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
            st.info(working_set_note(session), icon=":material/filter_alt:")
        if rec.notes:
            with st.expander(f"How the table was read ({text.count(len(rec.notes), 'note')})"):
                st.markdown("".join(f"\n- {text.md(note)}" for note in rec.notes))
        st.caption("Keys: **A** anomaly · **N** nominal · **S** skip · **U** undo")


def working_set_note(session: aad.Session) -> str:
    """What a session on a working set labels, and how its model reaches the whole table."""
    spec = session.record.working_set
    return (
        f"**Working set.** You label {text.md(working_set.describe(spec))}. Apply the model to the whole "
        f"table: `aad model export --session {session.id} --output model.json`, then "
        "`aad score --model model.json TABLE --output scores.parquet`."
    )


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
    text = str(err)
    for stored, uploaded in st.session_state.get(keys.UPLOADS, {}).values():
        if stored == source:
            text = text.replace(Path(stored).name, uploaded)
    return text


@st.cache_data(max_entries=16, show_spinner=False)
def _label_values(source: str, column: str, stamp: str) -> list[str] | None:
    try:
        return aad.label_values(source, column)
    except aad.AADError:
        return None


def label_values(source: str, column: str) -> list[str] | None:
    """The distinct values of a column of ``source`` (None if too many, or no such column)."""
    return _label_values(source, column, _file_stamp(source))


@st.cache_data(max_entries=16, show_spinner="Reading the table's columns…")
def _found_label_column(source: str, stamp: str) -> str | None:
    try:
        return aad.detect_label_column(source)
    except aad.AADError:
        return None


def found_label_column(source: str) -> str | None:
    """The ground-truth column the loader finds by its name in ``source`` (None if none)."""
    return _found_label_column(source, _file_stamp(source))


def try_load(source: str, *args, **kwargs) -> aad.Dataset | None:
    """:func:`load`, showing the engine's message on failure."""
    try:
        return load(source, *args, **kwargs)
    except aad.AADError as err:
        st.error(text.md(error_text(err, source)))
        return None


# --------------------------------------------------------------------------- rules


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
