"""Server-wide caches: the store, loaded tables, fitted models, projections, kept copies.

``st.cache_resource`` holds only immutable things: the store's path, loaded datasets, and
fitted models *before any label*. A session gets a copy of the cached model, so no user's
labels ever reach the shared cache. Every cache is bounded (a few entries, most recent
kept), so that the memory of a session left is given back once others are opened.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st

import aad
from app import charts

#: Tables and fitted models kept besides those of the sessions open in tabs (which hold their
#: own): the latest two, so that going back to the session just left is quick, and opening
#: one session after another does not pile up every table read (a 500,000-row table with
#: text ids holds a few hundred MB). ``benchmarks/bench_memory.py`` measures it.
KEPT_TABLES = 2
KEPT_MODELS = 2

#: Largest file the Data page accepts, in MB, unless ``$AAD_MAX_UPLOAD_MB`` says otherwise.
MAX_UPLOAD_MB = 200
#: Most rows the Explore page labels in one go.
MAX_BULK = 2000


@st.cache_resource(show_spinner=False)
def _store(path: str) -> aad.Store:
    return aad.Store(path)


def store() -> aad.Store:
    """The session database (``$AAD_DB`` or the per-user default)."""
    return _store(str(aad.default_db_path()))


def file_stamp(source: str) -> str:
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


@st.cache_resource(max_entries=KEPT_TABLES, show_spinner="Reading the table…")
def _load(
    source: str,
    features: tuple | None,
    label_column: str | None,
    name: str | None,
    stamp: str,
    max_bytes: int,
    anomaly_value: str | None,
    categories: tuple = (),
) -> aad.Dataset:
    return aad.load_data(
        source,
        features=features,
        label_column=label_column,
        name=name,
        max_bytes=max_bytes,
        anomaly_value=anomaly_value,
        categories=categories,
    )


def load(
    source: str,
    features=None,
    label_column: str | None = aad.AUTO,
    name: str | None = None,
    anomaly_value: str | None = None,
    categories=(),
) -> aad.Dataset:
    """Load (and cache) a dataset; a file is re-read when it changes on disk.

    Files over :func:`max_upload_mb` are refused with the loader's message. ``categories``: the
    columns read as categories (:func:`aad.load_data`).
    """
    features = None if features is None else tuple(features)
    limit = max_upload_mb() * 1_000_000  # the browser's megabytes (10^6 bytes), so both refuse alike
    if _is_working_set(source):  # written by the workbench itself: the loader's own limit applies
        limit = aad.tables.file_limit(None)
    categories = tuple(categories or ())
    return _load(source, features, label_column, name, file_stamp(source), limit, anomaly_value, categories)


class _FittedModels:
    """Fitted models before any label, per dataset, parameters and seed (the most recent few).

    Not ``st.cache_resource`` on the fit itself: Streamlit would replay the progress bar's
    elements on a cache hit, outside the page that drew them. One lock per key, so two tabs
    starting the same session fit once, and different sessions fit side by side.
    """

    def __init__(self, size: int = KEPT_MODELS) -> None:
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


@st.cache_data(max_entries=KEPT_TABLES, show_spinner=False)
def projection(fingerprint: str, _X: np.ndarray) -> np.ndarray:
    """2-D principal-component projection of the data (cached per dataset)."""
    return charts.project_2d(_X)


@st.cache_data(max_entries=KEPT_TABLES, show_spinner=False)
def plane_features(fingerprint: str, _X: np.ndarray) -> list[int]:
    """The features the projection's plane shows most (:func:`app.charts.plane_features`; cached)."""
    return charts.plane_features(_X)


@st.cache_data(max_entries=16, show_spinner="Keeping a copy of the file…")
def _is_working_set(source: str) -> bool:
    from app.state.working_sets import is_working_set

    return is_working_set(source)


def kept_copy(path: str, stamp: str, db: str) -> str:
    """The kept copy of ``path`` as it is at ``stamp`` (size and time: copied once per version)."""
    return str(store().keep_file(path))


@st.cache_resource(show_spinner="Starting a session…")
def first_session(
    source: str, name: str | None, db: str, label_column: str = aad.AUTO, categories: tuple = ()
) -> str:
    """Create the first session on ``source`` (once per server, database and content: a
    kept copy's name is the hash of its bytes), evaluated against ``label_column``, with the
    columns ``categories`` read as categories."""
    dataset = load(source, name=name, label_column=label_column, categories=categories)
    return aad.Session.create(dataset, store=store(), model_factory=model_factory).id


@st.cache_data(max_entries=16, show_spinner=False)
def _label_values(source: str, column: str, stamp: str) -> list[str] | None:
    try:
        return aad.label_values(source, column)
    except aad.AADError:
        return None


def label_values(source: str, column: str) -> list[str] | None:
    """The distinct values of a column of ``source`` (None if too many, or no such column)."""
    return _label_values(source, column, file_stamp(source))


@st.cache_data(max_entries=16, show_spinner="Reading the table's columns…")
def _found_label_column(source: str, stamp: str) -> str | None:
    try:
        return aad.detect_label_column(source)
    except aad.AADError:
        return None


def found_label_column(source: str) -> str | None:
    """The ground-truth column the loader finds by its name in ``source`` (None if none)."""
    return _found_label_column(source, file_stamp(source))
