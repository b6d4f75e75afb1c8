"""Score tables of any size with a model file, in bounded memory.

:class:`TableScorer` reads a source (CSV or Parquet files, folders of Parquet files) one
record batch at a time, fills each missing feature cell with the model's fill value,
scores the batch and hands it on: the memory it holds is a batch and, with ``top``, the
best rows so far, whatever the number of rows. :meth:`TableScorer.write` writes the scores
as Parquet (``.parquet``) or CSV (``.csv``): ``row`` (0-based, in the source's order),
``anomaly_score`` (higher is more anomalous), then the carried columns. With ``top=N``
only the N highest are written, best first, with their ``rank`` (ties: the lower row first).

The same piece scorer runs inside Dask's partitions (:mod:`aad.scale.dask`).
"""

from __future__ import annotations

import errno
import gzip
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .._files import partial_beside, writable_output
from ..encoding import no_time_of_day
from ..errors import DataError
from ..tables import csv_header, write_csv_rows
from .model_file import PortableModel, fill_and_check
from .read import Piece, TableFile, check_columns, find_files, mixed_carried, plan_pieces, read_batches

__all__ = [
    "OUTPUT_FORMATS",
    "ScoreReport",
    "TableScorer",
    "output_format",
    "score_piece",
    "top_rows",
    "unit_notes",
]

#: What the scores can be written as, by the output's suffix.
OUTPUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
_ROWS_PER_GROUP = 1 << 20  # rows per Parquet row group written (16 MB of row and score)
#: Most rows ``top`` may keep: they are held in memory until the last row is scored.
MAX_TOP = 10_000_000
#: Fewest values of a feature whose median is compared with the training median (a change of unit).
_MIN_CELLS = 20

Progress = Callable[[int, float], None]  # (rows scored, fraction done)


def output_format(path: str | os.PathLike) -> str:
    """``parquet`` or ``csv``, from the output's suffix (``.csv.gz``: CSV, gzip-compressed).

    >>> output_format("scores.parquet"), output_format("top.csv"), output_format("top.csv.gz")
    ('parquet', 'csv', 'csv')
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".gz":
        inner = Path(Path(path).stem).suffix.lower()
        if inner == ".csv":
            return "csv"
        if inner in (".parquet", ".pq"):
            raise DataError(
                f"the output {Path(path).name!r} would be a Parquet file compressed whole, which Parquet "
                "readers do not read; Parquet compresses its columns itself: name it .parquet"
            )
    if suffix not in OUTPUT_FORMATS:
        raise DataError(
            f"cannot tell the format of the output {Path(path).name!r} from its name; end it with "
            ".parquet (Parquet) or .csv (CSV; .csv.gz: gzip-compressed)"
        )
    return OUTPUT_FORMATS[suffix]


@dataclass
class ScoreReport:
    """What a scoring run did: rows scored, rows written, missing cells filled per feature."""

    rows: int = 0
    written: int = 0
    files: int = 0
    seconds: float = 0.0
    filled: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, int] = field(default_factory=dict)
    respelled: dict[str, str] = field(default_factory=dict)  # a flag column written otherwise: its note
    dates: dict[str, int] = field(default_factory=dict)  # a column whose hour is read: cells with a date
    timed: dict[str, int] = field(default_factory=dict)  # ... and those with a time of day
    outside: dict[str, int] = field(default_factory=dict)  # rows far outside the trees' split range
    known: dict[str, int] = field(default_factory=dict)  # cells given, of a feature of one sign
    larger: dict[str, int] = field(default_factory=dict)  # ... ten times the training median or more
    smaller: dict[str, int] = field(default_factory=dict)  # ... a tenth of it or less
    output: str | None = None
    trailing: dict[str, int] = field(default_factory=dict)  # file -> rows at its end left out (no data)
    totals: dict[str, str] = field(default_factory=dict)  # file -> the first value of its total line

    def add_batch(self, batch, names: Sequence[str], outside: np.ndarray) -> None:
        """Count what a scored batch holds: its rows, missing cells, rows far outside the trees'
        split range (``outside``, per feature), unseen categories, respelled flags and dates."""
        self.rows += batch.rows
        self.add_gaps(names, batch.gaps)
        for name, n in zip(names, outside.tolist(), strict=True):
            if n:
                self.outside[name] = self.outside.get(name, 0) + int(n)
        for column, n in batch.unseen.items():
            self.unseen[column] = self.unseen.get(column, 0) + n
        for column, text in batch.respelled.items():
            self.respelled.setdefault(column, text)
        for column, (dates, timed) in batch.dated.items():
            self.dates[column] = self.dates.get(column, 0) + dates
            self.timed[column] = self.timed.get(column, 0) + timed

    def add_gaps(self, names: Sequence[str], gaps: np.ndarray) -> None:
        """Count the missing cells of a batch, per feature."""
        for name, n in zip(names, gaps.tolist(), strict=True):
            if n:
                self.filled[name] = self.filled.get(name, 0) + int(n)

    def _trailing_note(self, file: str, n: int) -> str:
        total = self.totals.get(file)
        empty = n - (total is not None)
        rows = f"{empty:,} empty row{'s' if empty > 1 else ''}"
        if total is None:
            return f"{file}: left out {rows} at the end of the file (no value in any column)"
        return f"{file}: left out a total line ({total!r}) at the end of the file" + (
            f" and {rows}" if empty else ""
        )

    def notes(self, model: PortableModel) -> list[str]:
        """One line per feature that had missing cells: how many, and the value they took."""
        fills = dict(zip(model.feature_names_in_, model.fill_values.tolist(), strict=True))
        notes = [self._trailing_note(file, n) for file, n in self.trailing.items()]
        if self.rows == 0:  # as --apply and select say it: a quiet day is no error, but say it
            notes.append("the input has a header but no rows: nothing to score")
        for name, n in self.filled.items():
            every = " (every row: is it the right file?)" if n == self.rows and n > 1 else ""
            notes.append(
                f"column {name!r}: {n:,} missing value{'s' if n > 1 else ''}{every} filled with "
                f"{fills[name]:g}, the median of the data the model learned from"
            )
        for column, n in self.unseen.items():
            notes.append(
                f"column {column!r}: {n:,} row{'s hold' if n > 1 else ' holds'} a category the model's "
                "data never had: scored as rarer than any value it had"
            )
        notes += list(self.respelled.values())
        hours = {spec.column: spec for spec in model.encoding if spec.part == "hour"}
        for column, n in self.dates.items():
            if n and not self.timed.get(column):
                notes.append(no_time_of_day(hours[column], n).text)
        return notes + self._unit_notes(model)

    def _unit_notes(self, model: PortableModel) -> list[str]:
        """Features whose values suggest a changed unit: a share of the rows far outside the trees'
        split range; most values ten times the training median or a tenth of it (a heavy tail's
        split range is wide: amounts in cents may stay within it)."""
        lo, hi = model.split_range()
        index = {name: j for j, name in enumerate(model.feature_names_in_)}
        notes = []
        for name, n in self.outside.items():
            if n >= max(10, 0.01 * self.rows):  # a share, not the odd outlier the scores are for
                j = index[name]
                notes.append(
                    f"feature {name!r}: {n:,} of {self.rows:,} rows lie far outside the values the model's "
                    f"trees split ({lo[j]:g} to {hi[j]:g}): has its unit or scale changed? Such rows score "
                    "as the most isolated"
                )
        for name, known in self.known.items():
            shifted = [
                (n, what)
                for n, what in (
                    (self.larger.get(name, 0), "ten times"),
                    (self.smaller.get(name, 0), "a tenth of"),
                )
                if 2 * n > known
            ]
            if known >= _MIN_CELLS and shifted:
                n, what = shifted[0]
                more = "or more" if what == "ten times" else "or less"
                notes.append(
                    f"feature {name!r}: {n:,} of its {known:,} values are {what} the median of the data the "
                    f"model learned from ({model.fill_values[index[name]]:g}) {more}: has its unit changed "
                    "(cents for euros)? Rows read in another unit score as anomalies"
                )
        return notes


def score_piece(
    model: PortableModel,
    piece: Piece,
    columns: Sequence[str] = (),
    *,
    first_row: int,
    batch_rows: int = 65_536,
    n_jobs: int | None = 1,
    report: ScoreReport | None = None,
    as_text: Sequence[str] = (),
) -> Iterator[pa.Table]:
    """The scores of one piece of a source, a batch at a time: ``row``, ``anomaly_score``, ``columns``.

    ``first_row`` is the number of the piece's first row in the whole source; the ``columns``
    named in ``as_text`` are carried as text (their type differs between the files).
    """
    names = list(model.feature_names_in_)
    row = first_row
    batches = read_batches(
        piece,
        names,
        columns,
        batch_rows=batch_rows,
        encoding=model.encoding,
        as_text=as_text,
    )
    for batch in batches:
        if report is not None:
            _add(report, names, model.off_median(batch.X), ("known", "larger", "smaller"))
        X = _filled(model, batch, names, piece)
        scores = model.score_matrix(X, n_jobs=n_jobs)
        table = pa.table(
            {"row": pa.array(np.arange(row, row + batch.rows, dtype=np.int64)), "anomaly_score": scores}
        )
        if batch.carried is not None:
            for name in batch.carried.column_names:
                table = table.append_column(free_name(name), batch.carried.column(name))
        if report is not None:
            report.add_batch(batch, names, model.far_outside(X))
        row += batch.rows
        yield table


def _filled(model: PortableModel, batch, names: Sequence[str], piece: Piece) -> np.ndarray:
    """The batch's features with missing cells filled (:func:`fill_and_check`); an infinite value
    is named by its file, its row there and its file line."""
    try:
        return fill_and_check(batch.X, model.fill_values, names, place=batch.place)
    except DataError as err:
        raise DataError(f"{piece.name}: {err}") from None


def unit_notes(model: PortableModel, X: np.ndarray, X_as_read: np.ndarray) -> list[str]:
    """For rows held in memory (``aad score --apply``), the notes a scoring pass over files gives on
    a changed unit (:meth:`ScoreReport.notes`): rows far outside the trees' split range, most values
    ten times the training median or a tenth of it. ``X`` as filled, ``X_as_read`` with its gaps.

    >>> from aad import AADForest
    >>> X = np.random.default_rng(0).uniform(10, 20, size=(500, 1))
    >>> model = PortableModel.from_forest(AADForest(n_estimators=10, random_state=0).fit(X),
    ...                                   fill_values=np.median(X, axis=0), feature_names=["euros"])
    >>> unit_notes(model, X, X), len(unit_notes(model, 100 * X, 100 * X))
    ([], 2)
    """
    report = ScoreReport(rows=len(X))
    names = list(model.feature_names_in_)
    _add(report, names, model.off_median(X_as_read), ("known", "larger", "smaller"))
    _add(report, names, model.far_outside(X)[None, :], ("outside",))
    return report._unit_notes(model)


def _add(report: ScoreReport, names: Sequence[str], counts: np.ndarray, kinds: Sequence[str]) -> None:
    """Add each row of ``counts`` (one per feature) to the report's count of that kind."""
    for kind, row in zip(kinds, counts.tolist(), strict=True):
        into = getattr(report, kind)
        for name, n in zip(names, row, strict=True):
            if n:
                into[name] = into.get(name, 0) + int(n)


def check_top(top: int | None) -> None:
    """``top`` is None or a whole number from 1 to :data:`MAX_TOP` (the best rows are held in memory).

    >>> check_top(0)
    Traceback (most recent call last):
    ...
    aad.errors.DataError: top must be a whole number of rows, at least 1; got 0
    """
    if top is None:
        return
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise DataError(f"top must be a whole number of rows, at least 1; got {top!r}")
    if top > MAX_TOP:
        raise DataError(
            f"--top {top:,} would hold that many rows in memory until the last row is scored; keep it "
            f"within {MAX_TOP:,}, or write every score and sort them (DuckDB, Spark)"
        )


#: The output's own columns (``rank`` with ``top``): a carried column of one of these names is
#: written as ``rank (data)``, whether or not ``top`` adds it.
OUTPUT_NAMES = ("row", "anomaly_score", "rank")


def free_name(name: str) -> str:
    """The name a carried column is written under: its own, or ``NAME (data)`` for one of
    :data:`OUTPUT_NAMES`.

    >>> free_name("rank"), free_name("id")
    ('rank (data)', 'id')
    """
    return f"{name} (data)" if name in OUTPUT_NAMES else name


def top_rows(tables: Iterator[pa.Table], n: int) -> pa.Table | None:
    """The ``n`` highest-scored rows of ``tables``, best first (ties: the lower row first),
    with their ``rank``; holding no more than ``n`` rows and one table at a time.

    Examples
    --------
    >>> parts = [pa.table({"row": [0, 1], "anomaly_score": [0.5, 0.9]}),
    ...          pa.table({"row": [2, 3], "anomaly_score": [0.9, 0.1]})]
    >>> top_rows(iter(parts), 3).to_pydict()
    {'row': [1, 2, 0], 'anomaly_score': [0.9, 0.9, 0.5], 'rank': [1, 2, 3]}
    """
    best: pa.Table | None = None
    for table in tables:
        merged = table if best is None else pa.concat_tables([best, table])
        best = merged.take(_best(merged, n))
    if best is None:
        return None
    return best.append_column("rank", pa.array(np.arange(1, best.num_rows + 1, dtype=np.int64)))


def _best(table: pa.Table, n: int) -> np.ndarray:
    scores = table.column("anomaly_score").to_numpy()
    rows = table.column("row").to_numpy()
    if len(scores) > n:
        cut = np.partition(scores, len(scores) - n)[len(scores) - n]  # the n-th highest score
        keep = np.flatnonzero(scores >= cut)  # ties at the cut are all kept, then ordered by row
        order = keep[np.lexsort((rows[keep], -scores[keep]))]
        return order[:n]
    return np.lexsort((rows, -scores))


class TableScorer:
    """Scores every row of CSV/Parquet files or folders of Parquet files with a model file.

    Everything that can be checked is checked when it is made (files, formats, columns),
    before any row is scored.

    Parameters
    ----------
    model : PortableModel
    sources : sequence of str or path
        CSV files, Parquet files, folders of Parquet files; their rows are numbered from 0,
        file after file (a folder's files in the natural order of their paths).
    columns : sequence of str, optional
        Columns of the sources copied beside the scores (an id, a timestamp).
    batch_rows : int, default=65536
        Rows read and scored together.
    n_jobs : int, optional
        Threads scoring a batch (default: all cores).

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd, aad
    >>> from aad.scale import PortableModel
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> forest = aad.AADForest(n_estimators=10, random_state=0).fit(X)
    >>> model = PortableModel.from_forest(forest, feature_names=["a", "b"])
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame(X, columns=["a", "b"]).to_csv(folder / "rows.csv", index=False)
    >>> report = TableScorer(model, [folder / "rows.csv"]).write(folder / "scores.parquet", top=3)
    >>> report.rows, pd.read_parquet(folder / "scores.parquet").columns.tolist()
    (300, ['row', 'anomaly_score', 'rank'])
    """

    def __init__(
        self,
        model: PortableModel,
        sources: Sequence[str | os.PathLike],
        *,
        columns: Sequence[str] = (),
        batch_rows: int = 65_536,
        n_jobs: int | None = None,
    ) -> None:
        if batch_rows < 1:
            raise DataError(f"batch_rows must be at least 1; got {batch_rows}")
        self.model = model
        self.columns = tuple(columns)
        self.files: list[TableFile] = find_files(sources)
        check_columns(self.files, model.columns, self.columns)
        self.as_text = mixed_carried(self.files, self.columns)
        self.batch_rows = int(batch_rows)
        self.n_jobs = n_jobs

    @property
    def total_rows(self) -> int | None:
        """Rows in the sources, when known before reading (Parquet only)."""
        counts = [f.rows for f in self.files]
        return None if any(c is None for c in counts) else int(sum(counts))

    def tables(self, report: ScoreReport, progress: Progress | None = None) -> Iterator[pa.Table]:
        """The scores, a batch at a time (see :func:`score_piece`)."""
        total_bytes = sum(f.size for f in self.files) or 1
        done_bytes = 0
        for piece in plan_pieces(self.files):
            size, rows_before = piece.file.size, report.rows
            scored = score_piece(
                self.model,
                piece,
                self.columns,
                first_row=report.rows,
                batch_rows=self.batch_rows,
                n_jobs=self.n_jobs,
                report=report,
                as_text=self.as_text,
            )
            for table in scored:
                if progress is not None:
                    within = _within(piece, report.rows - rows_before)
                    progress(report.rows, (done_bytes + within * size) / total_bytes)
                yield table
            done_bytes += size
            report.files += 1
            if piece.file.trailing:
                report.trailing[piece.file.path.name] = piece.file.trailing
            if piece.file.total is not None:
                report.totals[piece.file.path.name] = piece.file.total

    def write(
        self,
        output: str | os.PathLike | None,
        *,
        top: int | None = None,
        progress: Progress | None = None,
        stream: BinaryIO | None = None,
    ) -> ScoreReport:
        """Score every row and write the scores to ``output`` (``.parquet`` or ``.csv``; None:
        CSV on ``stream``, a binary file, by default standard output); with ``top``, only the
        ``top`` best, best first, with ``rank``. CSV is spreadsheet-safe, as every CSV aad writes."""
        check_top(top)
        fmt = "csv" if output is None else output_format(output)
        report = ScoreReport(output=None if output is None else str(output))
        start = time.perf_counter()
        tables = self.tables(report, progress)
        if top is not None:
            best = top_rows(tables, top)
            tables = iter([best]) if best is not None else iter(())
        with _Writer(output, fmt, self._empty(ranked=top is not None), stream) as writer:
            for table in tables:
                writer.write(table)
            report.written = writer.rows
        report.seconds = time.perf_counter() - start
        return report

    def _empty(self, *, ranked: bool) -> pa.Table:
        """The output's columns without a row (what is written when the sources hold none)."""
        columns = {"row": pa.array([], pa.int64()), "anomaly_score": pa.array([], pa.float64())}
        for name in self.columns:
            columns[free_name(name)] = pa.array([], pa.string())
        if ranked:
            columns["rank"] = pa.array([], pa.int64())
        return pa.table(columns)


def _within(piece: Piece, rows_done: int) -> float:
    """How far through its file a piece is: by rows for Parquet; CSV files count when done."""
    rows = piece.file.rows
    return min(1.0, rows_done / rows) if rows else 0.0


class _Writer:
    """Parquet (row groups of about a million rows) or CSV for people (spreadsheet-safe, as
    every CSV aad writes: :func:`aad.tables.write_csv_rows`), to a file or a binary stream.

    A file is written under a temporary name beside it (``.NAME.XXXX.part``) and renamed when
    complete, so that a failed run leaves no half-written output behind; what is no regular
    file (``/dev/stdout``, a named pipe) is written in place. A failed write (a full disk) is
    a :class:`DataError` naming the output.
    """

    def __init__(
        self, output: str | os.PathLike | None, fmt: str, empty: pa.Table, stream: BinaryIO | None = None
    ) -> None:
        self.output = None if output is None else Path(output)
        self.where = "standard output" if self.output is None else str(self.output)
        self.partial: Path | None = None
        self.fmt = fmt
        self.rows = 0
        self._writer = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._empty = empty
        self._stream = stream
        self._file = None
        self._raw = None  # under a gzip-compressed file: the file itself
        self._own_file = False

    def __enter__(self) -> _Writer:
        return self

    def write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        if self._pending_rows >= _ROWS_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        table = pa.concat_tables(self._pending, promote_options="permissive")
        self._pending, self._pending_rows = [], 0
        with self._failing():
            if self._writer is None:
                self._writer = self._open(table.schema)
            if self.fmt == "parquet":
                self._writer.write_table(table.cast(self._writer.schema))
            else:
                write_csv_rows(table, self._file)

    def _target(self) -> Path | None:
        """The path to write: a temporary file beside the output, or the output itself when it is
        no regular file; None for the stream."""
        if self.output is None:
            return None
        if self.output.exists() and not self.output.is_file():
            return self.output
        with self._failing():  # a folder that takes no new file fails here, named as the output
            self.output = writable_output(self.output)  # a link's target; a read-only file is refused
            fd, self.partial = partial_beside(self.output)  # the mode a plain open would give
        os.close(fd)
        return self.partial

    def _open(self, schema: pa.Schema):
        target = self._target()
        if self.fmt == "parquet":
            return pq.ParquetWriter(self._sink() if target is None else target, schema)
        if target is not None:
            self._file, self._own_file = target.open("wb"), True
            if self.output.name.lower().endswith(".gz"):  # rows.csv.gz, named so in its header (gunzip -N)
                inner = self.output.name[: -len(".gz")]
                packed = gzip.GzipFile(filename=inner, fileobj=self._file, mode="wb", mtime=0)
                self._raw, self._file = self._file, packed
        else:
            self._file = self._sink()
        self._file.write(csv_header(schema.names).encode("utf-8"))
        return "csv"

    def _sink(self) -> BinaryIO:
        return self._stream if self._stream is not None else sys.stdout.buffer

    @contextmanager
    def _failing(self) -> Iterator[None]:
        """An OSError while writing (a full disk) as one line naming the output."""
        try:
            yield
        except OSError as err:
            raise _write_failed(err, self.where) from err

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self._finish()
        finally:
            self._discard()

    def _finish(self) -> None:
        """Write what is pending, close, and give the file its name."""
        self._flush()
        with self._failing():
            if self._writer is None:  # no row at all: the columns, and no row
                self._writer = self._open(self._empty.schema)
                if self.fmt == "parquet":
                    self._writer.write_table(self._empty)
            if self.fmt == "parquet":
                self._writer.close()
            if self._own_file:
                if self._raw is not None:
                    self._file.close()  # the gzip trailer; the file itself stays open
                    self._file = self._raw
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
            elif self._file is not None:
                self._file.flush()
            if self.partial is not None:
                self.partial.replace(self.output)
                self.partial = None

    def _discard(self) -> None:
        """After a failure: close quietly and leave no partial file behind."""
        with suppress(Exception):
            if self.fmt == "parquet" and self._writer is not None and self._writer.is_open:
                self._writer.close()
        with suppress(Exception):
            if self._own_file and not self._file.closed:
                self._file.close()
        with suppress(Exception):
            if self._raw is not None and not self._raw.closed:
                self._raw.close()
        if self.partial is not None:
            self.partial.unlink(missing_ok=True)


def _write_failed(err: OSError, where: str) -> DataError:
    """A failed write as one line: a full disk by name, else what the system said."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return DataError(f"disk full: {where} was not written whole; free some space, or write elsewhere")
    return DataError(f"{where} could not be written ({err.strerror or err}); nothing was written there")
