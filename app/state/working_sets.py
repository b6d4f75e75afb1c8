"""Tables too big to label whole: the working sets the workbench builds and labels.

A working set (:mod:`aad.scale.working_set`) is a uniform sample of a big table plus the rows
the unsupervised forest scores highest, written next to the database; a session labels it,
and its model is then applied to the whole table out of core.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pyarrow.parquet as pq
import streamlit as st

import aad
from aad.scale import working_set
from app import text
from app.state.caches import load, model_factory, store


def is_working_set(source: str) -> bool:
    """Whether ``source`` is a working set's file (written by the workbench for a table too big to hold)."""
    path = Path(source)
    return path.is_file() and aad.tables.parquet_metadata(path, aad.tables.WORKING_SET_KEY) is not None


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


def launch_big(data: str) -> str:
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
        params = {k: aad.session.DEFAULT_PARAMS[k] for k in ("n_estimators", "max_samples")}
        settings = {**working_set_settings(), "seed": 0, "params": params}
        built = build_working_set(table, settings, lambda step, done: bar.progress(done, text=step))
        bar.empty()
        dataset = load(str(built.path), name=f"{Path(table).name} (working set)")
        params = dict(built.spec["params"])  # the forest that chose its top rows
        return aad.Session.create(
            dataset, params=params, store=store(), seed=0, model_factory=model_factory
        ).id


def working_set_note(session: aad.Session) -> str:
    """What a session on a working set labels, and how its model reaches the whole table."""
    spec = session.record.working_set
    return (
        f"**Working set.** You label {text.md(working_set.describe(spec))}. Apply the model to the whole "
        f"table: `aad model export --session {session.id} --output model.json`, then "
        "`aad score --model model.json TABLE --output scores.parquet`."
    )
