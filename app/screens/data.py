"""Data page: pick a shipped dataset or upload a table, choose columns and parameters, start.

An uploaded file is stored next to the session database, named by the hash of its bytes,
so a session on it can be resumed after a restart. A file the engine cannot use gets the
engine's message, word for word; the current session is untouched.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

import aad
from aad.session import DEFAULT_PARAMS
from app import keys, state, text, views

NONE = "(none)"
BIG = "The table given to `aad app` (a working set)"
state.show_message()
st.title("Data")


def pick_source() -> tuple[str, str] | None:
    big, launched = state.big_table(), state.launch_file()
    kinds = [
        *([state.LAUNCHED] if launched else []),
        "Shipped dataset",
        "Upload a file",
        *([BIG] if big else []),
    ]
    kind = st.radio("Source", kinds, horizontal=True, key=keys.DATA_SOURCE)
    if kind == BIG:
        return pick_working_set(big)
    if kind == state.LAUNCHED:
        st.caption(text.code(os.environ["AAD_DATA"]))
        return launched
    if kind == "Shipped dataset":
        names = aad.list_datasets()
        launch = os.environ.get("AAD_DATA", "toy2")
        name = st.selectbox(
            "Dataset", names, index=names.index(launch) if launch in names else 0, key=keys.DATA_SHIPPED
        )
        return f"shipped:{name}", name
    try:
        limit = state.max_upload_mb()
    except aad.AADError as err:
        st.error(text.md(err))
        return None
    upload = st.file_uploader(
        f"CSV or Parquet file, up to {limit} MB (a CSV may be compressed: gzip, bzip2, xz, Zstandard or a "
        "ZIP of one CSV): numbers, categories and timestamps become features "
        "(ids and free text are shown beside the rows), optionally a ground-truth column "
        "(anomaly/nominal, 1/0, true/false or yes/no)",
        help="A larger file is refused by the browser (a red mark beside its name; hover it for "
        "the reason). Raise the limit with `aad app --max-upload-mb N`, or start the workbench on the "
        "file with `aad app FILE --max-upload-mb N`, which reads it from disk instead of uploading it.",
        type=["csv", "tsv", "txt", "parquet", "pq", *COMPRESSED],
        key=keys.DATA_UPLOAD,
        max_upload_size=limit,
    )
    if upload is None:
        return None
    return state.save_upload(upload), upload_name(upload.name)


#: Endings of a compressed CSV the upload takes (the engine tells the format by the first bytes).
COMPRESSED = ("gz", "bz2", "xz", "zst", "zip")


def upload_name(file_name: str) -> str:
    """The dataset's name for an uploaded file: its name without the endings (``txn.csv.gz``: ``txn``)."""
    path = Path(file_name)
    if path.suffix.lower().lstrip(".") in COMPRESSED:
        path = path.with_suffix("")
    return path.stem


def pick_working_set(table: str) -> tuple[str, str] | None:
    """A table too big to label whole: the working set's size and seed, then build it (once)."""
    try:
        files = state.working_set.check_table(table)
    except aad.AADError as err:  # changed or gone since `aad app` checked it
        st.error(text.md(err))
        return None
    counted = [f.rows for f in files]
    rows = f"{sum(counted):,} rows" if None not in counted else "rows counted when the working set is built"
    name = Path(table).name
    st.info(
        f"{text.code(name)} ({len(files)} file{'s' if len(files) > 1 else ''}, {rows}) is too big to label "
        f"whole (over {state.working_set.max_rows():,} rows, or a folder): you label a **working set**, a "
        "uniform sample of its rows plus the rows the unsupervised forest scores highest, found in one "
        "pass over the table. The session's model and rules then apply to the whole table (see the "
        "sidebar once it starts).",
        icon=":material/filter_alt:",
    )
    defaults = state.working_set_settings()
    c1, c2, c3 = st.columns(3)
    sample = c1.number_input(
        "Uniform sample (rows)", 2, 50_000_000, defaults["sample_rows"], step=10_000, key=keys.DATA_WS_SAMPLE
    )
    top = c2.number_input("Top rows kept beside it", 0, 1_000_000, defaults["top_rows"], key=keys.DATA_WS_TOP)
    seed = c3.number_input("Seed (sample and forest)", 0, 2**32 - 1, 0, key=keys.DATA_WS_SEED)
    settings = {
        "sample_rows": int(sample),
        "top_rows": int(top),
        "seed": int(seed),
        "params": {k: DEFAULT_PARAMS[k] for k in ("n_estimators", "max_samples")},
    }
    built = st.session_state.get(keys.DATA_WS_BUILT, {}).get(json.dumps([table, settings], sort_keys=True))
    if built is None:
        if not st.button("Build the working set", key=keys.DATA_WS_BUILD, type="primary"):
            return None
        bar = st.progress(0.0, text="counting the rows")
        try:
            made = state.build_working_set(table, settings, lambda step, done: bar.progress(done, text=step))
        except aad.AADError as err:
            bar.empty()
            st.error(text.md(err))
            return None
        bar.empty()
        built = str(made.path)
        done = st.session_state.setdefault(keys.DATA_WS_BUILT, {})
        done[json.dumps([table, settings], sort_keys=True)] = built
    st.success(
        f"Working set ready: {text.md(state.working_set.describe(state.working_set_spec(built)))}. "
        "Choose the columns and start labelling below.",
        icon=":material/check:",
    )
    return built, f"{name} (working set)"


def pick_columns(base: aad.Dataset) -> tuple[list[str], str | None, list[str]]:
    columns = list(base.feature_names) + ([base.label_column] if base.label_column else [])
    columns += _numeric_context(base)  # left out by default (ids, 0/1 answers): the analyst may add them
    worded = _worded_context(base)  # yes/no, fraud/legit: a ground truth once its anomaly value is named
    table = (base.fingerprint, base.label_column)
    if st.session_state.get(keys.DATA_COLUMNS_OF) != table:  # new table or truth: reset the choices
        st.session_state[keys.DATA_COLUMNS_OF] = table
        st.session_state[keys.DATA_FEATURES_KEPT] = list(base.feature_names)
        st.session_state[keys.DATA_TRUTH_KEPT] = base.label_column or views.suggested_truth(base) or NONE
        st.session_state.pop(keys.DATA_TRUTH_TAKEN, None)
        st.session_state[keys.DATA_CATEGORIES_KEPT] = list(state.launch_categories()) if _launched() else []
    # The widgets start every run from the choices kept apart: a run that drew no columns (a refused
    # upload) or another file of the same table had the browser draw them anew, empty, though the
    # server still held the choice, and Start then said "features is empty".
    st.session_state[keys.DATA_FEATURES] = list(st.session_state[keys.DATA_FEATURES_KEPT])
    st.session_state[keys.DATA_LABEL_COLUMN] = st.session_state[keys.DATA_TRUTH_KEPT]
    features = st.multiselect("Feature columns", columns, key=keys.DATA_FEATURES, on_change=_features_chosen)
    categories = pick_categories(base, [c for c in columns if c != base.label_column])
    truth = st.selectbox(
        "Ground-truth column (optional: for practice and evaluation, never shown to the model)",
        [NONE, *columns, *worded],
        key=keys.DATA_LABEL_COLUMN,
        on_change=_truth_is_no_feature,
        args=(tuple(worded),),
    )
    return features, None if truth == NONE else truth, [c for c in categories if c in features]


def _launched() -> bool:
    return st.session_state.get(keys.DATA_SOURCE) == state.LAUNCHED


def pick_categories(base: aad.Dataset, columns: list[str]) -> list[str]:
    """The numeric columns to read as categories (codes: an HTTP status, a ZIP code, a port),
    those with few distinct whole numbers first; each offered with its number of values."""
    offered = code_columns(base, columns)
    kept = [c for c in st.session_state.get(keys.DATA_CATEGORIES_KEPT, []) if c in offered]
    st.session_state[keys.DATA_CATEGORIES] = kept
    if not offered:
        return []
    values = {name: n for name, n, _ in offered.values()}
    return st.multiselect(
        "Read as categories",
        list(offered),
        key=keys.DATA_CATEGORIES,
        on_change=_categories_chosen,
        format_func=functools.partial(text.with_values, values),  # picklable, as the session state is
        placeholder="none: every column of numbers is read as numbers",
        help="Numbers that are codes, such as an HTTP status, a ZIP code, a port or a product code: "
        "their order and size mean nothing. Read as a category, each value (as written: 404) is one of "
        "its own and the feature is its rarity; rules then say status in {401, 404}, not status <= 300. "
        "Kept with the session you start (on the command line: --categories).",
    )


def code_columns(base: aad.Dataset, columns: list[str]) -> dict[str, tuple[str, int, bool]]:
    """The numeric columns among ``columns`` that can be read as categories, most likely codes first
    (whole numbers only, then fewest distinct values): each with its name, its distinct values and
    whether they are whole numbers."""
    return {item[0]: item for item in _code_columns(base.fingerprint, tuple(columns), base)}


@st.cache_data(max_entries=8, show_spinner=False)
def _code_columns(fingerprint: str, columns: tuple, _base: aad.Dataset) -> list[tuple[str, int, bool]]:
    numbers = {
        spec.column: j
        for j, spec in enumerate(_base.specs)
        if spec.kind in ("number", "integer") and not spec.duration
    }
    found = []
    for name in columns:
        if name in numbers:
            values = _base.X_as_read[:, numbers[name]]
        elif name in _numeric_context(_base):
            values = _base.context[name].to_numpy(dtype=float, na_value=np.nan)
        else:
            continue
        values = values[~np.isnan(values)]
        whole = bool(len(values)) and bool((values == np.round(values)).all())
        found.append((name, len(np.unique(values)), whole))
    found.sort(key=lambda item: (not item[2], item[1]))
    return found


def _categories_chosen() -> None:
    """Callback: keep the columns chosen as categories (the widget starts from them on the next run)."""
    st.session_state[keys.DATA_CATEGORIES_KEPT] = list(st.session_state[keys.DATA_CATEGORIES])


def _numeric_context(base: aad.Dataset) -> list[str]:
    """Numeric columns the loader left out of the features (an id, a 0/1 column named like a truth)."""
    if base.context is None:
        return []
    numeric = [
        name
        for name in base.context.columns
        if pd.api.types.is_numeric_dtype(base.context[name])
        and not pd.api.types.is_datetime64_any_dtype(base.context[name])
    ]
    return numeric


def _other_words(values: list[str]) -> bool:
    """Whether none of these values is a label word (anomaly/nominal, 1/0, true/false, yes/no): a
    truth in other words (fraud/legit), whose anomaly value the analyst names. Some label words
    and a stray value ('maybe') are a file to fix, which the engine's message says."""
    return not any(_is_label(value) for value in values)


def _is_label(value: str) -> bool:
    try:
        aad.to_label(value)
    except aad.LabelError:
        return False
    return True


def _worded_context(base: aad.Dataset) -> list[str]:
    """Text columns left out of the features that hold a few distinct words (yes/no, fraud/legit)."""
    if base.context is None:
        return []
    return [
        name
        for name in base.context.columns
        if not pd.api.types.is_numeric_dtype(base.context[name])
        and not pd.api.types.is_datetime64_any_dtype(base.context[name])
        and 2 <= base.context[name].nunique() <= 20
    ]


def _features_chosen() -> None:
    """Callback: keep the features chosen (the widget starts from them on the next run)."""
    st.session_state[keys.DATA_FEATURES_KEPT] = list(st.session_state[keys.DATA_FEATURES])


def _truth_is_no_feature(worded: tuple[str, ...] = ()) -> None:
    """Callback: the column chosen as ground truth leaves the features (the model never sees it),
    and the one an earlier choice took out comes back. A column of words is named, so that the
    page asks which of its values marks an anomaly."""
    truth = st.session_state[keys.DATA_TRUTH_KEPT] = st.session_state[keys.DATA_LABEL_COLUMN]
    features = list(st.session_state[keys.DATA_FEATURES_KEPT])
    taken = st.session_state.pop(keys.DATA_TRUTH_TAKEN, None)
    if taken is not None and taken != truth and taken not in features:
        features.append(taken)
    if truth in features:
        st.session_state[keys.DATA_TRUTH_TAKEN] = truth
    st.session_state[keys.DATA_FEATURES_KEPT] = [c for c in features if c != truth]
    if truth in worded:
        st.session_state[keys.DATA_LABEL_NAME] = truth


def pick_settings(fixed: dict | None = None, *, n_rows: int) -> dict:
    """The model's settings; ``fixed`` (a working set's seed and forest) leaves only eta to choose.
    The trees offered are the engine's choice for a table of ``n_rows`` rows."""
    st.subheader("Model")
    c1, c2, c3, c4 = st.columns(4)
    if fixed is not None:
        out = {"n_estimators": fixed["params"]["n_estimators"], "max_samples": fixed["params"]["max_samples"]}
        out["seed"] = fixed["seed"]
        c1.caption(
            f"The working set's forest: {out['n_estimators']} trees, {out['max_samples']} rows per tree, "
            f"seed {out['seed']}, grown on its uniform sample (the forest that chose its top rows)."
        )
        out["eta"] = c3.number_input(
            "Feedback strength (eta)", 0.0, 100.0, float(DEFAULT_PARAMS["eta"]), 0.1, key=keys.DATA_ETA
        )
    else:
        out = {
            "n_estimators": c1.number_input(
                "Trees",
                1,
                2000,
                aad.model.default_n_estimators(n_rows),
                key=keys.DATA_N_ESTIMATORS,
                help=f"{aad.model.TREES} by default; fewer above 500,000 rows, so that a label stays quick.",
            ),
            "max_samples": c2.number_input(
                "Rows per tree (max_samples)",
                2,
                100_000,
                DEFAULT_PARAMS["max_samples"],
                key=keys.DATA_MAX_SAMPLES,
                help=(
                    f"{aad.model.SAMPLES} by default (all rows on a smaller table): finer leaves, so a "
                    "label moves the rows really like it. 256 is the isolation forest's own default."
                ),
            ),
            "eta": c3.number_input(
                "Feedback strength (eta)", 0.0, 100.0, float(DEFAULT_PARAMS["eta"]), 0.1, key=keys.DATA_ETA
            ),
            "seed": c4.number_input("Seed", 0, 2**32 - 1, 0, key=keys.DATA_SEED),
        }
    out |= pick_detector() if fixed is None else {"detector": "iforest"}  # a working set's forest is fixed
    c1, c2, _, _ = st.columns(4)
    strategies = aad.strategy_names()
    out["strategy"] = c1.selectbox(
        "Query strategy", strategies, index=strategies.index("top"), key=keys.DATA_STRATEGY
    )
    out["batch_size"] = c2.number_input("Batch size", 1, 50, 1, key=keys.DATA_BATCH_SIZE)
    return out


#: Built-in members offered for an ensemble; PyOD's when it is installed.
MEMBERS = ("iforest", "lof", "ocsvm", "autoencoder")
PYOD_MEMBERS = ("pyod:ECOD", "pyod:COPOD", "pyod:HBOS", "pyod:KNN")


def pick_detector() -> dict:
    """Which detector learns from the labels, and its own settings (see the README's *More detectors*)."""
    c1, c2, c3 = st.columns([1, 1, 2])
    detector = c1.selectbox(
        "Detector",
        list(aad.DETECTORS),
        format_func=views.DETECTOR_NAMES.get,
        key=keys.DATA_DETECTOR,
        help="Isolation forest: the default. Extended isolation forest: splits on several features at "
        "once, for correlated features (needs the detectors extra). Ensemble: several detectors whose "
        "weights learn from your labels; its rules come from an axis-aligned surrogate, with its "
        "agreement shown on the Rules page.",
    )
    out: dict = {"detector": detector}
    if detector == "eif":
        out["ndim"] = c2.number_input("Features per split (ndim)", 1, 64, 2, key=keys.DATA_NDIM)
    elif detector == "ensemble":
        offered = MEMBERS + (PYOD_MEMBERS if aad.detectors.pyod_available() else ())
        out["members"] = c2.multiselect(
            "Members",
            offered,
            default=list(aad.detectors.DEFAULT_MEMBERS),
            key=keys.DATA_MEMBERS,
            accept_new_options=aad.detectors.pyod_available(),  # any of PyOD's, as on the command line
            help="Pick from the list, or type pyod:NAME for any PyOD detector (pyod:IForest, pyod:LODA...)."
            if aad.detectors.pyod_available()
            else None,
        )
        scores = c3.file_uploader(
            "Scores file (optional): your detectors' scores",
            type=["csv", "tsv", "txt", "gz", "parquet"],  # read as a table is: delimiter, packing, Parquet
            key=keys.DATA_SCORES,
            help="A CSV with a header naming each detector, then one line per row of the data in the same "
            "order, higher meaning more anomalous. Each column becomes a member of the ensemble.",
        )
        if scores is not None:
            out["scores"] = (scores.name, scores.getvalue())
    return out


def detector_params(settings: dict) -> dict:
    """The session parameters of the chosen detector (an uploaded scores file kept in the store)."""
    params = {"detector": settings["detector"]}
    params |= {key: settings[key] for key in ("ndim", "members") if key in settings}
    if "scores" in settings:
        params["scores_file"] = str(state.store().save_upload(settings["scores"][1], ".csv"))
    return params


def scores_named(message: str, settings: dict) -> str:
    """The engine's message about an uploaded scores file, naming it as the analyst did."""
    if "scores" not in settings:
        return message
    name, data = settings["scores"]
    kept = state.store().save_upload(data, ".csv")  # the same bytes: the same kept copy
    return message.replace(str(kept), name)


def start(
    source: str, name: str, features: list[str], truth: str | None, settings: dict, categories=()
) -> None:
    with st.status("Starting a session…", expanded=True) as status:
        try:
            status.write("Reading the data and the chosen columns…")
            marks = base.anomaly_value if truth == base.label_column else None
            dataset = state.load(source, features, truth, name, marks, categories)
            params = {k: settings[k] for k in ("n_estimators", "max_samples", "eta")} | detector_params(
                settings
            )
            detector = views.DETECTOR_NAMES[settings["detector"]].lower()
            status.write(
                f"Fitting the {detector} on {dataset.n_rows:,} rows (seed {settings['seed']}) "
                "and scoring every row…"
            )
            bar = status.progress(0.0, text="growing the isolation trees")
            session = aad.Session.create(
                dataset,
                store=state.store(),
                params=params,
                seed=int(settings["seed"]),
                strategy=settings["strategy"],
                batch_size=int(settings["batch_size"]),
                model_factory=functools.partial(
                    state.model_factory, progress=lambda step, done: bar.progress(done, text=step)
                ),
            )
        except aad.AADError as err:
            status.update(label="Could not start the session", state="error", expanded=True)
            st.error(text.md(scores_named(state.error_text(err, source), settings)))
            return
        status.update(label=f"Session {session.id} ready", state="complete")
    state.use(session)
    st.switch_page("screens/label.py")


picked = pick_source()
if picked is None:
    if st.session_state.get(keys.DATA_SOURCE) != BIG:  # the working set's panel says what to do
        st.info("Upload a file, or pick a shipped dataset, to start a session.")
    st.stop()
source, name = picked
if st.session_state.get(keys.DATA_SOURCE_OF) != source:  # another file: what was typed was for the last one
    st.session_state[keys.DATA_SOURCE_OF] = source
    st.session_state.pop(keys.DATA_LABEL_NAME, None)
    st.session_state.pop(keys.DATA_ANOMALY_VALUE, None)
named = (st.session_state.get(keys.DATA_LABEL_NAME) or "").strip() or None
column = named or state.found_label_column(source)  # named, or found by its name
values = state.label_values(source, column) if column else None
words = bool(values) and _other_words(values)  # fraud/legit, yes/no: which one is the anomaly?
two = bool(values) and len(values) == 2 and not words  # 0/1 read as written, or the other way round
marks = (st.session_state.get(keys.DATA_ANOMALY_VALUE) or None) if words or two else None
waiting = words and marks is None
label_column = column if words or marks else (named or aad.AUTO)
base = None if waiting else state.try_load(source, label_column=label_column, name=name, anomaly_value=marks)
if base is None and words and not named:  # found by its name; no anomaly value yet, or an empty cell
    base = state.try_load(source, label_column=aad.AUTO, name=name)  # without it: no truth, no feature
if not source.startswith("shipped:"):
    turned = base is not None and any(n.kind == "majority_truth" for n in base.note_items)
    with st.expander(
        "The ground truth not read as you meant?",
        # open when a label column is named or found (an empty or broken file has none to name), or
        # when it marks most rows as anomalies (1 for normal?)
        expanded=(base is None and column is not None) or named is not None or words or turned or bool(marks),
    ):
        st.text_input(
            "Name the ground-truth column",
            key=keys.DATA_LABEL_NAME,
            help="Columns named label, labels, ground_truth or is_anomaly, holding anomaly/nominal, "
            "1/0, true/false or yes/no, are found without this.",
        )
        if words or two:
            st.selectbox(
                f"Which value of {text.code(column)} marks an anomaly? (every other value is nominal"
                + ("" if words else "; empty: as read, 1, anomaly, true or yes")
                + ")",
                ["", *values],
                key=keys.DATA_ANOMALY_VALUE,
            )
if waiting:
    st.info(
        f"{text.code(column)} holds {text.md(', '.join(map(repr, values[:6])))}: "
        "choose above which value marks an anomaly, or label without a ground truth."
    )
if base is None:
    st.stop()
st.caption(
    f"**{text.md(name)}**: {base.n_rows:,} rows, {text.count(base.n_features, 'feature')}"
    + (
        f", ground truth in {text.code(base.label_column)} ({text.count(base.n_anomalies, 'anomaly')})"
        if base.y is not None
        else ""
    )
)
if base.notes:  # what the loader read, repaired or noticed; Session.create records the same notes
    st.info(
        "**How the table was read** (kept with the session you start):\n"
        + "".join(f"\n- {text.md(note)}" for note in base.notes),
        icon=":material/build:",
    )
chosen, truth, categories = pick_columns(base)
if truth is not None and truth == views.suggested_truth(base) and base.label_column is None:
    st.caption(
        f"{text.code(truth)} looks like a ground truth, so it is chosen as one: the model never sees it "
        "and the cards never show it. Choose (none) to label without it."
    )
settings = pick_settings(
    state.working_set_spec(source) if state.is_working_set(source) else None, n_rows=base.n_rows
)
if st.button("Start labelling", key=keys.DATA_START, type="primary", icon=":material/play_arrow:"):
    start(source, name, chosen, truth, settings, categories)
held = state.current()
if held is not None:
    st.caption(f"Starting a new session leaves session `{held.id}` as it is; resume it from **Sessions**.")
