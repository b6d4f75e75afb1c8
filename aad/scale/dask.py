"""The model file's scorer on a Dask cluster: one Dask DataFrame partition per piece of the table.

:func:`score_dask` cuts the source into pieces of about ``rows_per_partition`` rows (whole
Parquet row groups; a CSV file is one piece), makes them the partitions of a Dask
DataFrame (``dask.dataframe.from_map``), each scored on a worker by the same piece scorer
as ``aad score --model`` in one process (:func:`aad.scale.score.score_piece`), and writes
every partition as one Parquet file, ``part.00000.parquet``, ``part.00001.parquet``... in
row order: a partitioned Parquet dataset any engine reads (Dask, DuckDB, Spark, pyarrow).
With ``top``, each partition keeps its best rows and the client merges them into one file.

Rows are numbered as in one process: the row groups' sizes come from the Parquet footers,
and the rows of CSV files are counted on the cluster first.

The workers read the files themselves: the paths must mean the same files on every
worker (a shared file system, or the same copy everywhere), and aad must be installed
there, from its checkout, with the ``scale`` extra (``pip install -e ".[scale]"``). The model
travels as its JSON text; nothing is unpickled by aad (Dask's own messages between its
processes are its business).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._files import partial_folder_beside
from ..errors import DataError
from ._optional import require
from .model_file import PortableModel, read_model
from .read import Piece, TableFile, check_columns, count_csv_rows, find_files, mixed_carried, plan_pieces
from .score import ScoreReport, _Writer, check_top, free_name, output_format, score_piece, top_rows

__all__ = ["check_scheduler", "score_dask"]

_NOTES = "aad_notes"  # a partition frame's attrs: missing cells filled, unseen categories
_COUNTS = (
    "filled",
    "unseen",
    "outside",
    "dates",
    "timed",
    "known",
    "larger",
    "smaller",
)  # what a partition counts, per column
#: A scheduler's address as Dask takes it: an optional protocol, a host (an IPv6 one in
#: brackets) and a port; or a cluster in this process (``inproc://``, as Dask names it).
_ADDRESS = re.compile(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]@]+):(\d{1,5})")
_IN_PROCESS = re.compile(r"inproc://\S+")


def check_scheduler(address: str | None) -> None:
    """Refuse a scheduler address not of the form ``tcp://HOST:PORT`` (nothing is connected to).

    Examples
    --------
    >>> check_scheduler("tcp://10.0.0.5:8786"), check_scheduler("[::1]:8786")
    (None, None)
    >>> check_scheduler("http://10.0.0.5:8786")
    Traceback (most recent call last):
    ...
    aad.errors.DataError: the scheduler address 'http://10.0.0.5:8786' is not one Dask connects to; ...
    """
    if address is None or _IN_PROCESS.fullmatch(address):
        return
    match = _ADDRESS.fullmatch(address.strip())
    if match is None or not 0 < int(match.group(1)) < 65536:
        raise DataError(
            f"the scheduler address {address!r} is not one Dask connects to; give tcp://HOST:PORT "
            "(the address the scheduler prints, as tcp://10.0.0.5:8786), or leave --scheduler out "
            "for a local cluster"
        )


def score_dask(
    model: PortableModel,
    sources: Sequence[str | os.PathLike],
    output: str | os.PathLike,
    *,
    scheduler: str | None = None,
    client=None,
    columns: Sequence[str] = (),
    top: int | None = None,
    rows_per_partition: int = 1_000_000,
    n_workers: int | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> ScoreReport:
    """Score every row of the sources on a Dask cluster; write partitioned Parquet to ``output``.

    Parameters
    ----------
    model : PortableModel
    sources : sequence of str or path
        CSV files, Parquet files, folders of Parquet files, as :class:`~aad.scale.TableScorer`.
    output : str or path
        A folder (created; it must be new or empty) for ``part.NNNNN.parquet`` files; with
        ``top``, a ``.parquet`` or ``.csv`` file.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); without it (and without
        ``client``), a local cluster of ``n_workers`` processes is started and stopped.
    client : distributed.Client, optional
        A client to use as it is (its cluster is left running).
    columns : sequence of str, optional
        Columns copied beside the scores.
    top : int, optional
        Keep only the ``top`` highest-scored rows (best first, with ``rank``).
    rows_per_partition : int, default=1,000,000
        Rows per partition (whole Parquet row groups).
    n_workers : int, optional
        Workers of the local cluster (default: one per core).
    progress : callable, optional
        ``progress(rows_scored, fraction_done)`` as partitions finish.

    Returns
    -------
    ScoreReport

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd, aad
    >>> from distributed import Client, LocalCluster
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> model = PortableModel.from_forest(aad.AADForest(n_estimators=10, random_state=0).fit(X))
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame(X, columns=["x0", "x1"]).to_parquet(folder / "rows.parquet", row_group_size=100)
    >>> with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
    ...     with Client(cluster) as client:
    ...         report = score_dask(model, [folder / "rows.parquet"], folder / "scores", client=client,
    ...                             rows_per_partition=200)
    >>> report.rows, sorted(p.name for p in (folder / "scores").iterdir())
    (500, ['part.00000.parquet', 'part.00001.parquet', 'part.00002.parquet'])
    """
    distributed = require("distributed")
    dask = require("dask")
    require("dask.dataframe")
    check_top(top)
    check_scheduler(scheduler)
    if rows_per_partition < 1:
        raise DataError(f"rows_per_partition must be at least 1; got {rows_per_partition}")
    files = find_files(sources)
    check_columns(files, model.columns, columns)
    output = Path(output)
    _check_output(output, top)
    start = time.perf_counter()
    own = client is None
    if own:
        client = (
            distributed.Client(scheduler)
            if scheduler is not None
            else distributed.Client(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
        )
    try:
        with dask.config.set({"dataframe.convert-string": False}):  # the carried columns stay as read
            return _run(
                client, model, files, output, tuple(columns), top, rows_per_partition, progress, start
            )
    finally:
        if own:
            client.close()


def _check_output(output: Path, top: int | None) -> None:
    if top is not None:
        if output.is_dir():
            raise DataError(f"with --top the scores are one file; {output} is a folder: name a .parquet file")
        output_format(output)
        return
    if output.exists() and not output.is_dir():
        raise DataError(
            f"{output} is a file; the Dask engine writes a folder of Parquet files (one per partition): "
            "name a new or empty folder"
        )
    if output.is_dir() and any(output.iterdir()):
        raise DataError(
            f"the folder {output} is not empty; the Dask engine writes one file per partition there, and "
            "files of an earlier run would mix with them: name a new or empty folder"
        )
    if not output.parent.is_dir():
        raise DataError(f"the folder {output.parent} does not exist; create it, or write elsewhere")


def _run(client, model, files, output, columns, top, rows_per_partition, progress, start) -> ScoreReport:
    import dask
    import dask.dataframe as dd

    files = _count_rows(client, files)
    pieces = plan_pieces(files, rows_per_piece=rows_per_partition)
    text = model.to_json()
    meta = _meta(columns, top)
    frame = dd.from_map(
        _score_partition,
        pieces,
        model_text=text,
        carried=columns,  # not ``columns=``: from_map reads that as a projection of the output
        top=top,
        as_text=mixed_carried(files, columns),  # one type in every partition
        meta=meta,
        label="aad-score",
        enforce_metadata=False,
    )
    report = ScoreReport(files=len(files), output=str(output))
    parts = frame.to_delayed()
    folder = partial_folder_beside(output) if top is None else None  # renamed to output when whole
    if folder is not None:
        tasks = [
            dask.delayed(_write_partition)(part, str(folder / f"part.{i:05d}.parquet"))
            for i, part in enumerate(parts)
        ]
    else:
        tasks = [dask.delayed(_as_arrow)(part) for part in parts]
    futures = []
    try:
        futures = client.compute(tasks)
        results = _gather(futures, pieces, report, progress)
        if folder is not None:
            os.replace(folder, output)  # over an empty folder too
    except BaseException:
        client.cancel(futures)
        if folder is not None:
            _remove(folder)  # a failed run leaves no partial output
        raise
    if top is not None:
        best = top_rows((results[i] for i in sorted(results) if results[i].num_rows), top)
        _write_top(best, output, meta)
        report.written = 0 if best is None else best.num_rows
    else:
        report.written = sum(results.values())
    report.seconds = time.perf_counter() - start
    return report


def _remove(folder: Path) -> None:
    """Remove a failed run's folder; again if a partition still running wrote into it meanwhile
    (it is cancelled, but a task under way finishes)."""
    for _ in range(3):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return


def _gather(futures, pieces: list[Piece], report: ScoreReport, progress) -> dict[int, object]:
    """Each partition's result by its number, as they finish; their rows and notes into ``report``."""
    from distributed import as_completed

    index = {future.key: i for i, future in enumerate(futures)}
    total = sum(p.rows or 0 for p in pieces) or 1
    results: dict[int, object] = {}
    for future, (result, notes) in as_completed(futures, with_results=True):
        i = index[future.key]
        report.rows += pieces[i].rows or 0
        if pieces[i].file.trailing:
            report.trailing[pieces[i].name] = pieces[i].file.trailing
        if pieces[i].file.total is not None:
            report.totals[pieces[i].name] = pieces[i].file.total
        for kind in _COUNTS:
            into = getattr(report, kind)
            for name, n in notes.get(kind, {}).items():
                into[name] = into.get(name, 0) + n
        results[i] = result
        if progress is not None:
            progress(report.rows, report.rows / total)
    return results


def _count_rows(client, files: list[TableFile]) -> list[TableFile]:
    """The files with their rows counted: Parquet from its footer, CSV by reading it on the cluster."""
    csv = [i for i, f in enumerate(files) if f.rows is None]
    if not csv:
        return files
    counts = client.gather(client.map(count_csv_rows, [files[i] for i in csv], pure=False))
    out = list(files)
    for i, n in zip(csv, counts, strict=True):
        out[i] = TableFile(**{**out[i].__dict__, "rows": int(n)})
    return out


def _meta(columns: Sequence[str], top: int | None) -> pd.DataFrame:
    meta = {"row": pd.Series([], dtype="int64"), "anomaly_score": pd.Series([], dtype="float64")}
    for name in columns:
        meta[free_name(name)] = pd.Series([], dtype="object")
    return pd.DataFrame(meta)


@functools.lru_cache(maxsize=4)
def _model(digest: str, text: str) -> PortableModel:
    return read_model(text)


def _score_partition(
    piece: Piece, *, model_text: str, carried: Sequence[str], top: int | None, as_text: Sequence[str] = ()
) -> pd.DataFrame:
    """One partition: the piece's scores (its best ``top`` with ``top``), as a pandas frame."""
    model = _model(hashlib.sha256(model_text.encode()).hexdigest(), model_text)
    report = ScoreReport()
    tables = score_piece(
        model, piece, carried, first_row=piece.first_row, n_jobs=1, report=report, as_text=as_text
    )
    if top is not None:
        best = top_rows(tables, top)
        table = best.drop_columns(["rank"]) if best is not None else None
    else:
        parts = list(tables)
        table = pa.concat_tables(parts) if parts else None
    frame = _meta(carried, top) if table is None else table.to_pandas()
    frame.attrs[_NOTES] = {kind: getattr(report, kind) for kind in _COUNTS}
    return frame


def _write_partition(frame: pd.DataFrame, path: str) -> tuple[int, dict]:
    """Write one partition's scores; returns its rows and its notes (cells filled, unseen categories)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    partial = path + ".part"
    pq.write_table(table, partial)
    os.replace(partial, path)
    return table.num_rows, frame.attrs.get(_NOTES, {})


def _as_arrow(frame: pd.DataFrame) -> tuple[pa.Table, dict]:
    return pa.Table.from_pandas(frame, preserve_index=False), frame.attrs.get(_NOTES, {})


def _write_top(best: pa.Table | None, output: Path, meta: pd.DataFrame) -> None:
    empty = pa.Table.from_pandas(meta, preserve_index=False).append_column("rank", pa.array([], pa.int64()))
    with _Writer(output, output_format(output), empty) as writer:
        if best is not None:
            writer.write(best)
