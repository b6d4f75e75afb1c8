"""The one session accessor of the workbench, its caches, and the button callbacks.

* :func:`get_session` returns this tab's :class:`aad.Session`, held in
  ``st.session_state`` under :data:`app.keys.SESSION`. The session id lives in the URL
  (``?session=<id>``): a refresh, a second tab or a restarted server reopens the same
  session from the store. With ``AAD_DATA`` set (``aad app DATA``), a tab without an id
  gets the session this server started on that data.
* ``st.cache_resource`` holds only immutable things: the store's path, loaded datasets,
  and fitted models *before any label*. A session gets a copy of the cached model,
  so no user's labels ever reach the shared cache.
* Callbacks call one session method each and turn an engine error into a message shown
  verbatim on the next run; the current session is kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

import aad
from app import charts, keys

#: Largest file the Data page accepts, in MB (also Streamlit's ``server.maxUploadSize``).
MAX_UPLOAD_MB = 200
#: Most rows the Explore page labels in one go.
MAX_BULK = 2000
#: Significant digits of the thresholds shown to people (exports stay exact).
DISPLAY_DIGITS = 4


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


@st.cache_resource(max_entries=8, show_spinner=False)
def _load(
    source: str, features: tuple | None, label_column: str | None, name: str | None, stamp: str
) -> aad.Dataset:
    return aad.load_data(
        source, features=features, label_column=label_column, name=name, max_bytes=MAX_UPLOAD_MB * 10**6
    )


def load(
    source: str, features=None, label_column: str | None = aad.AUTO, name: str | None = None
) -> aad.Dataset:
    """Load (and cache) a dataset; a file is re-read when it changes on disk."""
    features = None if features is None else tuple(features)
    return _load(source, features, label_column, name, _file_stamp(source))


@st.cache_resource(max_entries=4, show_spinner=False)
def _fitted(fingerprint: str, params: str, seed: int, _dataset: aad.Dataset) -> aad.AADForest:
    return aad.fit_model(_dataset, json.loads(params), seed)


def model_factory(dataset: aad.Dataset, params: dict, seed: int) -> aad.AADForest:
    """A private copy of the model fitted on ``dataset`` with ``params`` and ``seed`` (cached)."""
    fitted = _fitted(dataset.fingerprint, json.dumps(params, sort_keys=True), seed, dataset)
    return fitted.copy()


@st.cache_data(max_entries=4, show_spinner=False)
def projection(fingerprint: str, _X: np.ndarray) -> np.ndarray:
    """2-D principal-component projection of the data (cached per dataset)."""
    return charts.project_2d(_X)


@st.cache_resource(show_spinner="Starting a session…")
def _launch_session(data: str, db: str) -> str:
    dataset = load(data if Path(data).is_file() else f"shipped:{data}")
    return aad.Session.create(dataset, store=store(), model_factory=model_factory).id


# --------------------------------------------------------------------------- the session


def get_session() -> aad.Session | None:
    """This tab's session: the one in the URL, the one held, or the launch session; or None."""
    held: aad.Session | None = st.session_state.get(keys.SESSION)
    wanted = st.query_params.get(keys.URL_SESSION)
    if held is not None and wanted in (None, held.id):
        _guard(held.refresh)
    elif wanted:
        held = _open(wanted) or held
    elif os.environ.get("AAD_DATA"):
        launch = _guard(lambda: _launch_session(os.environ["AAD_DATA"], str(store().path)))
        held = _open(launch) if launch else None
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
        record = store().get(session_id)
        dataset = load(record.source, record.features, record.label_column, record.dataset)
        return aad.Session.open(session_id, store=store(), dataset=dataset, model_factory=model_factory)

    return _guard(reopen)


def use(session: aad.Session) -> None:
    """Make ``session`` this tab's session (and put its id in the URL)."""
    st.session_state[keys.SESSION] = session
    st.query_params[keys.URL_SESSION] = session.id


def resume(session_id: str) -> None:
    """Callback: switch this tab to a stored session."""
    session = _open(session_id)
    if session is not None:
        use(session)
        notify(
            "success", f"Resumed session {session.id} ({session.record.dataset}, {session.n_labels} labels)"
        )


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
    except aad.AADError as err:
        notify("error", str(err))
        return None


# --------------------------------------------------------------------------- callbacks


def label(row: int, value: str) -> None:
    """Callback of the Anomaly/Nominal buttons: label ``row`` if it is still on screen."""
    session = current()
    if session is not None and row in session.batch():
        _guard(lambda: session.label(row, value))


def skip(row: int) -> None:
    """Callback of the Skip button."""
    session = current()
    if session is not None and row in session.batch():
        _guard(lambda: session.skip(row))


def undo() -> None:
    """Callback of the Undo button."""
    session = current()
    if session is not None:
        _guard(session.undo)


def unskip() -> None:
    """Callback: bring the skipped rows back."""
    session = current()
    if session is not None:
        _guard(session.unskip)


def label_many(rows: list[int], value: str) -> None:
    """Callback of the Explore page's bulk buttons."""
    session = current()
    if session is not None and rows:
        if _guard(lambda: session.label(rows, value)) is not None:
            notify("success", f"Labelled {len(rows)} rows {value} (model v{session.version})")


def configure() -> None:
    """Callback of the strategy and batch-size widgets."""
    session = current()
    if session is not None:
        _guard(
            lambda: session.configure(
                strategy=st.session_state[keys.LABEL_STRATEGY],
                batch_size=int(st.session_state[keys.LABEL_BATCH_SIZE]),
            )
        )


# --------------------------------------------------------------------------- page helpers


def require_session() -> aad.Session:
    """The current session; otherwise an empty state pointing to the Data page, and stop."""
    session = current()
    if session is None:
        show_message()
        st.info("No session yet. Pick a dataset or upload a file on the **Data** page to start labelling.")
        st.page_link("pages/data.py", label="Go to the Data page", icon=":material/table:")
        st.stop()
    return session


def sidebar(session: aad.Session | None) -> None:
    """The session panel: id, data, seed and parameters; the shortcuts."""
    with st.sidebar:
        if session is None:
            st.caption("No session")
            return
        rec = session.record
        st.markdown(f"**Session** `{session.id}`")
        st.caption(
            f"{rec.dataset}: {session.dataset.n_rows:,} rows × {session.dataset.n_features} features  \n"
            f"seed **{rec.seed}** · {rec.params['n_estimators']} trees · "
            f"max_samples {rec.params['max_samples']} · eta {rec.params['eta']:g}  \n"
            f"strategy {rec.strategy} · batch {rec.batch_size}"
        )
        st.caption("Keys: **A** anomaly · **N** nominal · **S** skip · **U** undo")


# --------------------------------------------------------------------------- card text


def row_table(session: aad.Session, row: int) -> pd.DataFrame:
    """The row's values with their percentile in their column."""
    return pd.DataFrame(
        {
            "feature": list(session.dataset.feature_names),
            "value": session.dataset.X[row],
            "percentile": session.percentiles(row),
        }
    )


def rank_line(session: aad.Session, row: int) -> str:
    """``score … · rank … of …`` with the move since the previous model version."""
    now = int(session.ranks([row])[0])
    before = session.ranks([row], previous=True)
    move = ""
    if before is not None:
        was = int(before[0])
        move = " · rank unchanged" if was == now else f" · {'▲' if now < was else '▼'} from {was:,}"
    return f"score **{session.scores()[row]:.4f}** · rank **{now:,}** of {session.dataset.n_rows:,}{move}"


@st.cache_data(max_entries=2000, show_spinner=False)
def _explain(fingerprint: str, params: str, seed: int, row: int, _session: aad.Session) -> str:
    names = _session.dataset.feature_names
    why = aad.explain_row(_session.model, _session.dataset.X, row, feature_names=names)
    shares = ", ".join(f"`{names[f]}` {share:.0%}" for f, share in why.importances[:3])
    rows = f"{why.support:,} row{'s' if why.support != 1 else ''}"
    rule = why.rule.format(names, digits=DISPLAY_DIGITS)
    return f"isolated by `{rule}` ({rows}); the splits that isolate it most: {shares}"


def explanation(session: aad.Session, row: int) -> str:
    """The region that isolates ``row`` (the same for every label: it depends on the forest only)."""
    rec = session.record
    return _explain(rec.fingerprint, json.dumps(rec.params, sort_keys=True), rec.seed, row, session)


def why(session: aad.Session, row: int) -> str | None:
    """Why the row ranks high: the region that isolates it and the features that do it."""
    return _guard(lambda: explanation(session, row))


def unusual_values(session: aad.Session, row: int) -> str:
    """The row's three values furthest from their column's median, with their percentile rank."""
    pct = session.percentiles(row)
    names = session.dataset.feature_names
    parts = []
    edge = 100 / session.dataset.n_rows  # within this of 0 or 100: the extreme of its column
    for j in sorted(range(len(names)), key=lambda j: -abs(pct[j] - 50))[:3]:
        value = f"`{names[j]}` = {session.dataset.X[row, j]:.6g}"
        if pct[j] >= 100 - edge or pct[j] <= edge:
            parts.append(f"{value} is the {'highest' if pct[j] >= 50 else 'lowest'} in its column")
            continue
        share = pct[j] if pct[j] >= 50 else 100 - pct[j]
        side = "higher" if pct[j] >= 50 else "lower"
        parts.append(f"{value} is {side} than {share:.{1 if share > 99 else 0}f}% of rows")
    return "; ".join(parts)


def last_action(session: aad.Session) -> str:
    """One line on the latest action, or how to start."""
    history = session.history()
    if not history:
        return "No labels yet: press **A** (anomaly) or **N** (nominal) on the first card, **S** to skip it."
    action = history[-1]
    time = action.created_at[11:19]
    if action.kind == "undo":
        what = "undo"
    elif action.kind == "label":
        rows = ", ".join(map(str, action.rows[:5])) + ("…" if len(action.rows) > 5 else "")
        what = f"row {rows} → {aad.label_name(action.labels[0])}"
    else:
        what = f"{action.kind} row {', '.join(map(str, action.rows[:5]))}"
    return f"Last: {what} · model v{action.number} · {time} UTC · saved"


# --------------------------------------------------------------------------- tables


def rows_frame(session: aad.Session, rows: list[int]) -> pd.DataFrame:
    """Selected rows: their number, label, score and values."""
    labels = session.model.labels_[rows]
    frame = pd.DataFrame(session.dataset.X[rows], columns=list(session.dataset.feature_names))
    frame.insert(0, "score", session.scores()[rows])
    frame.insert(0, "label", [aad.label_name(v) for v in labels])
    frame.insert(0, "row", rows)
    return frame


def history_frame(session: aad.Session) -> pd.DataFrame:
    """The session's actions, newest first: model version, time, action, rows, label."""
    records = [
        {
            "model version": action.number,
            "time (UTC)": action.created_at[:19].replace("T", " "),
            "action": action.kind,
            "rows": ", ".join(map(str, action.rows[:20])) + (" …" if len(action.rows) > 20 else ""),
            "label": aad.label_name(action.labels[0]) if action.labels else "",
        }
        for action in reversed(session.history())
    ]
    return pd.DataFrame(records, columns=["model version", "time (UTC)", "action", "rows", "label"])


def sessions_frame(summaries: list[aad.SessionSummary]) -> pd.DataFrame:
    """The session list as a table."""
    return pd.DataFrame(
        [
            {
                "id": s.id,
                "dataset": s.dataset,
                "labels": s.n_labels,
                "anomalies": s.n_anomalies,
                "actions": s.n_actions,
                "seed": s.seed,
                "strategy": s.strategy,
                "created (UTC)": s.created_at[:19].replace("T", " "),
                "updated (UTC)": s.updated_at[:19].replace("T", " "),
            }
            for s in summaries
        ]
    )


# --------------------------------------------------------------------------- data page


def save_upload(upload) -> str:
    """Store an uploaded file next to the database (once per upload); returns its path."""
    saved = st.session_state.setdefault(keys.UPLOADS, {})
    if upload.file_id not in saved:
        saved[upload.file_id] = str(store().save_upload(upload.getvalue(), Path(upload.name).suffix))
    return saved[upload.file_id]


def try_load(*args, **kwargs) -> aad.Dataset | None:
    """:func:`load`, showing the engine's message on failure."""
    try:
        return load(*args, **kwargs)
    except aad.AADError as err:
        st.error(str(err))
        return None


# --------------------------------------------------------------------------- rules

#: Export format -> (file extension, MIME type).
EXPORT_FORMATS = {
    "json": ("json", "application/json"),
    "sql": ("sql", "application/sql"),
    "pandas": ("py", "text/x-python"),
    "csv": ("csv", "text/csv"),
    "markdown": ("md", "text/markdown"),
}


def has_rules() -> bool:
    """Whether the engine can describe anomalies with rules."""
    return hasattr(aad, "describe_anomalies") and hasattr(aad, "export_rules")


def describe(session: aad.Session):
    """The compact description at the current model version (computed once per version)."""
    cached = st.session_state.get(keys.RULES_CACHE)
    if cached is not None and cached[:2] == (session.id, session.version):
        return cached[2]
    try:
        with st.spinner("Finding a compact description of the labelled anomalies…"):
            description = aad.describe_anomalies(
                session.model,
                session.dataset.X,
                labels=session.model.labels_,
                feature_names=session.dataset.feature_names,
                time_limit=1.0,
            )
    except aad.AADError as err:
        st.error(str(err))
        return None
    st.session_state[keys.RULES_CACHE] = (session.id, session.version, description)
    return description


def rules_frame(session: aad.Session, description) -> pd.DataFrame:
    """One line per rule: the rule, its support, anomalies and nominals covered, precision."""
    names = session.dataset.feature_names
    return pd.DataFrame(
        [
            {
                "rule": rule.format(names, digits=DISPLAY_DIGITS),
                "support": rule.support,
                "anomalies": rule.anomalies,
                "nominals": rule.nominals,
                "precision": rule.precision,
            }
            for rule in description.rules
        ],
        columns=["rule", "support", "anomalies", "nominals", "precision"],
    )


def provenance(session: aad.Session) -> dict:
    """Where rules come from: session, data, model version, seed and parameters."""
    rec = session.record
    return {
        "session": rec.id,
        "dataset": rec.dataset,
        "source": rec.source,
        "fingerprint": rec.fingerprint,
        "model_version": session.version,
        "seed": rec.seed,
        "params": rec.params,
        "n_labels": session.n_labels,
        "n_anomalies": session.n_anomalies,
    }


def export_rules(session: aad.Session, description, fmt: str) -> str | None:
    """The rules in format ``fmt``; None (with the engine's message shown) if that fails."""
    try:
        return aad.export_rules(
            description, fmt, feature_names=session.dataset.feature_names, provenance=provenance(session)
        )
    except aad.AADError as err:
        st.error(str(err))
        return None
