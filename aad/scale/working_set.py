"""Labelling a table too big to hold: a working set, drawn in streaming passes.

A table with more rows than the workbench labels whole (a folder of Parquet files, or a
file of more than ``$AAD_MAX_ROWS`` rows, 10 million by default) is labelled through a
*working set*:

1. the rows are counted (Parquet: from the footers; CSV: read once);
2. a **uniform sample** of ``sample_rows`` rows is drawn with the seed
   (``numpy.random.default_rng(seed).choice(n_rows, sample_rows, replace=False)``) and read
   in one streaming pass;
3. the feature columns are chosen on the sample as the workbench chooses them for any table
   (ids, text and dates left out), and the isolation forest is **grown on the sample**;
4. one streaming pass scores **every row** of the table with that unsupervised forest and
   keeps the ``top_rows`` highest-scored rows outside the sample;
5. the working set, the sample then those top rows (each part in table order, the column
   ``table_row`` giving each row's number in the table), is written as one Parquet file
   next to the session database, its missing feature cells filled with the sample's column
   medians. Its metadata (``aad.working_set``) records what defines it: the table, its size,
   a fingerprint of its files and of its feature values, the seed, the sample and top rows
   asked and drawn, the forest's parameters, the features and the fill values.

A session on the working set is an ordinary session (durable log, exact replay): its
forest is grown on the sample rows (the first ``sample_rows`` rows of the file), so it is the
forest of step 4 and its first queries are the top rows the pass found. The session records
the working set's definition. Its model is then applied to the whole table by the
out-of-core or Dask scorer (``aad model export --session ID``, ``aad score --model``), its
rules by their SQL export in any engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..columns import AUTO
from ..compressed import compression_of, exceeds
from ..data import dataset_from_frame
from ..errors import DataError
from ..model import SAMPLES, AADForest, default_n_estimators
from ..tables import WORKING_SET_KEY, env_int, file_limit, is_text, parquet_decoded_bytes
from .model_file import PortableModel, fill_and_check
from .read import Piece, TableFile, _tables, count_csv_rows, find_files, plan_pieces, read_batches

__all__ = [
    "DEFAULT_SAMPLE_ROWS",
    "DEFAULT_TOP_ROWS",
    "TABLE_ROW",
    "WorkingSet",
    "build_working_set",
    "check_table",
    "describe",
    "is_too_big",
    "max_rows",
    "table_stamp",
]

#: Rows of the uniform sample the forest is grown on, and of the top rows kept beside it.
DEFAULT_SAMPLE_ROWS, DEFAULT_TOP_ROWS = 1_000_000, 10_000
#: Rows of a working set at most (its sample and its top rows): it is labelled in memory.
MAX_WORKING_ROWS = 50_000_000
#: The column of the working set holding each row's number in the table.
TABLE_ROW = "table_row"

Progress = Callable[[str, float], None]


def max_rows() -> int:
    """Most rows a table may have to be labelled whole: ``$AAD_MAX_ROWS``, else 10,000,000.

    >>> max_rows() >= 2
    True
    """
    return env_int("AAD_MAX_ROWS", 10_000_000)


def is_too_big(source: str | os.PathLike) -> bool:
    """Whether ``source`` is labelled through a working set: a folder, a file over the size limit
    (``$AAD_MAX_FILE_MB``), a Parquet file of more than :func:`max_rows` rows or that would take
    more than that limit once decoded (from its metadata), a CSV file that seems to hold more
    than :func:`max_rows` rows (estimated from its size and its first lines), or a compressed CSV
    that holds more than either limit once decompressed (counted, in bounded memory).

    >>> is_too_big("toy2")
    False
    """
    path = Path(source)
    if path.is_dir():
        return True
    if not path.is_file():
        return False
    size = path.stat().st_size
    if size > file_limit(None):
        return True
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    compression = compression_of(head)
    if compression is not None:  # its size on disk says little: count what it holds
        return exceeds(path, compression, size=file_limit(None), lines=max_rows() + 1)
    if head.startswith(b"PAR1"):
        try:
            metadata = pq.ParquetFile(path).metadata
        except Exception:  # a damaged file: the loader says what is wrong with it
            return False
        return metadata.num_rows > max_rows() or parquet_decoded_bytes(metadata) > file_limit(None)
    lines = max(head.count(b"\n"), 1)
    return size / (len(head) / lines) > max_rows()


def check_table(source: str | os.PathLike) -> list[TableFile]:
    """The files of a table to label through a working set, checked before any row is read
    (they exist, are CSV or Parquet, and share their columns).

    >>> from aad.tables import datasets_dir
    >>> [f.path.name for f in check_table(datasets_dir() / "toy2.csv")]
    ['toy2.csv']
    """
    files = find_files([Path(source)])
    _common_columns(files)
    return files


def table_stamp(files: Sequence[TableFile], root: Path) -> str:
    """A fingerprint of a table's files as they are on disk: names, sizes and modification times.

    >>> from aad.tables import datasets_dir
    >>> len(table_stamp(check_table(datasets_dir() / "toy2.csv"), datasets_dir() / "toy2.csv"))
    64
    """
    h = hashlib.sha256()
    for file in files:
        stat = file.path.stat()
        name = str(file.path.relative_to(root)) if root.is_dir() else file.path.name
        h.update(f"{name}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\x1e".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class WorkingSet:
    """A working set on disk: the Parquet file and what defines it (also in the file's metadata)."""

    path: Path
    spec: dict

    @property
    def summary(self) -> str:
        """One sentence for people."""
        return describe(self.spec)


def describe(spec: dict) -> str:
    """What a working set is, in one sentence (for the workbench and the command line).

    >>> print(describe({"table": "/d/big", "table_rows": 5_000_000, "sample_rows": 1_000, "top_rows": 10,
    ...                 "seed": 0}))
    a working set of 1,010 of the 5,000,000 rows of big: a uniform sample of 1,000 rows (seed 0)
    and the 10 rows outside it that the unsupervised forest scores highest
    """
    name = Path(spec["table"]).name
    total, sample, top = spec["table_rows"], spec["sample_rows"], spec["top_rows"]
    if sample >= total:
        return f"every row of {name} ({total:,} rows)"
    return (
        f"a working set of {sample + top:,} of the {total:,} rows of {name}: a uniform sample of "
        f"{sample:,} rows (seed {spec['seed']}) and the {top:,} rows outside it that the unsupervised "
        "forest scores highest"
    )


def build_working_set(
    source: str | os.PathLike,
    folder: str | os.PathLike,
    *,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    top_rows: int = DEFAULT_TOP_ROWS,
    seed: int = 0,
    params: dict | None = None,
    batch_rows: int = 65_536,
    n_jobs: int | None = None,
    progress: Progress | None = None,
) -> WorkingSet:
    """Draw the working set of a table too big to label whole, and write it into ``folder``.

    Parameters
    ----------
    source : str or path
        A CSV or Parquet file, or a folder of Parquet files.
    folder : str or path
        Where the working set's Parquet file is written (named by the SHA-256 of its bytes:
        the same table and settings give the same file).
    sample_rows : int, default=1,000,000
        Rows of the uniform sample (the whole table when it has no more rows).
    top_rows : int, default=10,000
        Highest-scored rows kept beside the sample.
    seed : int, default=0
        Seed of the sample and of the forest.
    params : dict, optional
        :class:`~aad.AADForest` parameters of the forest (``n_estimators``, ``max_samples``).
    progress : callable, optional
        ``progress(step, fraction_done)``.

    Returns
    -------
    WorkingSet

    Examples
    --------
    >>> import tempfile
    >>> X = np.random.default_rng(0).normal(size=(3000, 2))
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame(X, columns=["a", "b"]).to_parquet(folder / "big.parquet")
    >>> ws = build_working_set(folder / "big.parquet", folder, sample_rows=500, top_rows=20)
    >>> ws.spec["sample_rows"], ws.spec["top_rows"], pd.read_parquet(ws.path).shape
    (500, 20, (520, 3))
    """
    report = progress or (lambda step, fraction: None)
    _check_sizes(sample_rows, top_rows, seed)
    root = Path(source)
    files = find_files([root])
    columns = _common_columns(files)
    stamp = table_stamp(files, root)
    report("counting the rows", 0.0)
    files = [f if f.rows is not None else _counted(f) for f in files]
    n_rows = sum(f.rows for f in files)
    if n_rows < 2:
        raise DataError(f"{root.name} has {n_rows} row(s); at least two rows are needed to rank anything")
    chosen = np.sort(np.random.default_rng(seed).choice(n_rows, size=min(sample_rows, n_rows), replace=False))
    pieces = plan_pieces(files)
    sample = _read_rows(
        pieces, columns, chosen, batch_rows, lambda f: report("drawing a uniform sample", 0.05 + 0.25 * f)
    )
    sample_set = dataset_from_frame(
        sample, name=root.stem, label_column=AUTO, source=str(root), non_numeric="drop"
    )
    features = list(sample_set.feature_names)
    fills = [float(np.nanmedian(c)) if np.isfinite(c).any() else 0.0 for c in sample_set.X_as_read.T]
    params = {"n_estimators": None, "max_samples": SAMPLES, **(params or {})}
    if params["n_estimators"] is None:  # as a session on the working set would choose: by its rows
        params["n_estimators"] = default_n_estimators(len(chosen) + top_rows)
    report("growing the isolation forest on the sample", 0.3)
    forest = AADForest(**params, random_state=seed, n_jobs=n_jobs).fit(sample_set.X)
    model = PortableModel.from_forest(forest, fill_values=fills, feature_names=features)
    top, digest = _top_outside(model, pieces, columns, chosen, top_rows, batch_rows, n_jobs, n_rows, report)
    spec = {
        "table": str(root.resolve()),
        "stamp": stamp,
        "table_rows": int(n_rows),
        "table_fingerprint": digest,
        "seed": int(seed),
        "sample_rows": len(chosen),
        "top_rows": 0 if top is None else top.num_rows,
        "asked": {"sample_rows": int(sample_rows), "top_rows": int(top_rows)},
        "params": {k: params[k] for k in ("n_estimators", "max_samples") if k in params},
        "features": features,
        "fill": fills,
        "row_column": TABLE_ROW,
    }
    report("writing the working set", 0.98)
    frame, gaps = _working_frame(sample, chosen, top, columns, features, fills)
    spec["notes"] = [
        f"column {name!r}: {n:,} missing value{'s' if n > 1 else ''} in the working set filled with "
        f"{fill:g}, the median of the uniform sample"
        for name, n, fill in zip(features, gaps, fills, strict=True)
        if n
    ]
    path = _write(frame, spec, Path(folder))
    report("ready", 1.0)
    return WorkingSet(path, spec)


def _check_sizes(sample_rows: int, top_rows: int, seed: int) -> None:
    for name, value, low in (("sample_rows", sample_rows, 2), ("top_rows", top_rows, 0), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise DataError(f"{name} must be a whole number of at least {low}; got {value!r}")
    if sample_rows + top_rows > MAX_WORKING_ROWS:
        raise DataError(
            f"a working set of {sample_rows + top_rows:,} rows ({sample_rows:,} sampled and {top_rows:,} "
            f"top rows) would not fit in memory either; ask for at most {MAX_WORKING_ROWS:,} in all"
        )


def _counted(file: TableFile) -> TableFile:
    return TableFile(**{**file.__dict__, "rows": count_csv_rows(file)})


def _common_columns(files: Sequence[TableFile]) -> list[str]:
    """The first file's columns, which every file must hold (by name)."""
    columns = list(files[0].columns)
    for file in files[1:]:
        missing = [c for c in columns if c not in file.columns]
        if missing:
            raise DataError(
                f"{file.path.name} lacks the column {missing[0]!r} that {files[0].path.name} has; the files "
                "of one table need the same columns"
            )
    if TABLE_ROW in columns:
        raise DataError(
            f"the table has a column named {TABLE_ROW!r}, the name the working set gives each row's number "
            "in the table; rename that column"
        )
    return columns


def _read_rows(
    pieces: Sequence[Piece],
    columns: list[str],
    rows: np.ndarray,
    batch_rows: int,
    report: Callable[[float], None],
) -> pd.DataFrame:
    """The rows numbered ``rows`` (sorted), every column, in one pass."""
    parts, start, total = [], 0, sum(p.file.rows for p in pieces) or 1
    for piece in pieces:
        for table in _tables(piece, columns, batch_rows):
            lo, hi = np.searchsorted(rows, [start, start + table.num_rows])
            if hi > lo:
                parts.append(table.take(pa.array(rows[lo:hi] - start)))
            start += table.num_rows
            report(start / total)
    return _frame(parts, columns)


def _frame(parts: list[pa.Table], columns: list[str]) -> pd.DataFrame:
    """Arrow pieces as one DataFrame (text read from a CSV becomes numbers where every cell is one)."""
    frames = [p.to_pandas() for p in parts]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    for name in frame.columns:
        if is_text(frame[name]):
            numbers = pd.to_numeric(frame[name], errors="coerce")
            text = frame[name].astype("string").str.strip()
            if (numbers.notna() | text.isna() | (text == "")).all():
                frame[name] = numbers
    return frame


def _top_outside(model, pieces, columns, chosen, top_rows, batch_rows, n_jobs, n_rows, report):
    """The ``top_rows`` best rows outside the sample, every column, in one scoring pass; and the
    SHA-256 of the table's feature values (float64, row after row, NaN where missing)."""
    features = list(model.feature_names_in_)
    digest = hashlib.sha256("\x1f".join(features).encode())
    best: pa.Table | None = None
    start = 0
    for piece in pieces:
        for batch in read_batches(piece, features, columns, batch_rows=batch_rows):
            digest.update(np.ascontiguousarray(batch.X).tobytes())
            X = fill_and_check(batch.X, model.fill_values, features, first_row=start)
            scores = model.score_matrix(X, n_jobs=n_jobs)
            rows = np.arange(start, start + batch.rows)
            keep = ~_among(rows, chosen)
            if best is not None and best.num_rows >= top_rows:
                keep &= scores >= best.column("anomaly_score").to_numpy().min()
            idx = np.flatnonzero(keep)
            if top_rows and len(idx):
                found = batch.carried.take(pa.array(idx))
                found = found.append_column("anomaly_score", pa.array(scores[idx])).append_column(
                    "row", pa.array(rows[idx])
                )
                merged = found if best is None else pa.concat_tables([best, found])
                order = np.lexsort(
                    (merged.column("row").to_numpy(), -merged.column("anomaly_score").to_numpy())
                )
                best = merged.take(pa.array(order[:top_rows]))
            start += batch.rows
            report("scoring every row with the forest", 0.3 + 0.68 * start / n_rows)
    return best, digest.hexdigest()


def _among(rows: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Which of the consecutive ``rows`` are in the sorted ``chosen``."""
    mask = np.zeros(len(rows), dtype=bool)
    if len(rows):
        lo, hi = np.searchsorted(chosen, [rows[0], rows[-1] + 1])
        mask[chosen[lo:hi] - rows[0]] = True
    return mask


def _working_frame(sample: pd.DataFrame, chosen: np.ndarray, top: pa.Table | None, columns, features, fills):
    """The sample then the top rows (in table order), ``table_row`` first, feature gaps filled."""
    parts = [sample.assign(**{TABLE_ROW: chosen})]
    if top is not None and top.num_rows:
        order = np.argsort(top.column("row").to_numpy())
        top = top.take(pa.array(order))
        rows = top.column("row").to_numpy()
        parts.append(_frame([top.select(columns)], columns).assign(**{TABLE_ROW: rows}))
    frame = pd.concat(parts, ignore_index=True)[[TABLE_ROW, *columns]]
    gaps = []
    for name, fill in zip(features, fills, strict=True):
        values = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
        gaps.append(int(values.isna().sum()))
        frame[name] = values.fillna(fill)
    return frame, gaps


def _write(frame: pd.DataFrame, spec: dict, folder: Path) -> Path:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), WORKING_SET_KEY: json.dumps(spec, sort_keys=True)}
    )
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{uuid.uuid4().hex}.parquet.part"
    pq.write_table(table, partial)
    digest = hashlib.sha256()
    with partial.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    path = folder / f"{digest.hexdigest()}.parquet"
    if path.exists():
        partial.unlink()
    else:
        partial.replace(path)
    return path
