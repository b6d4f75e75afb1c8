"""New rows of a table of any size, a batch at a time, read as :func:`aad.load_rows` reads a file.

What ``aad select`` applies rules to when the table is a folder of Parquet files (a dataset
as Spark or Dask write it), a pattern or several files: each Parquet file a record batch at
a time, only the columns the rules test, and each CSV file whole, as the loader reads it
(compressed or not, within the file-size limit). Everything that can be checked is checked
before a row is read: the files exist, the parts of a folder agree, and every file holds
every tested column. The rows are numbered from 0 across the files, as ``aad score --model``
numbers them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..columns import RowsInFile
from ..data import Dataset, dated_notes, gap_notes, is_strict, rows_of_frame, wanted_specs
from ..errors import DataError
from ..notes import Note, render
from ..tables import FILE_LINES, _plain_columns, file_limit, read_table
from .read import TableFile, column_for, find_files

__all__ = ["RowBatches"]


class RowBatches:
    """The rows of ``sources`` for rules testing ``columns``, as ``(first_row, Dataset)`` batches.

    Parameters
    ----------
    sources : sequence of str or path
        CSV files (compressed too), Parquet files, folders of Parquet files, patterns.
    columns : sequence of str or FeatureSpec
        The columns the rules test (:func:`aad.rule_features`), as :func:`aad.load_rows` takes them.
    batch_rows : int, default=65536
        Rows of a Parquet file read together.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = Path(tempfile.mkdtemp())
    >>> for i in range(3):
    ...     pd.DataFrame({"a": [i, i + 0.5]}).to_parquet(folder / f"part-{i}.parquet")
    >>> batches = RowBatches([folder], ["a"], batch_rows=1)
    >>> [(first, rows.X[:, 0].tolist()) for first, rows in batches][:3]
    [(0, [0.0]), (1, [0.5]), (2, [1.0])]
    >>> batches.n_rows, len(batches.files)
    (6, 3)
    """

    def __init__(
        self, sources: Sequence[str | os.PathLike], columns: Sequence, *, batch_rows: int = 65_536
    ) -> None:
        if batch_rows < 1:
            raise DataError(f"batch_rows must be at least 1; got {batch_rows}")
        self.specs = wanted_specs(None, columns)
        self.strict = is_strict(None, columns)
        self.files: list[TableFile] = find_files(sources)
        for file in self.files:  # before a row is read
            for spec in self.specs:
                try:
                    column_for(file, spec.column)
                except DataError as err:
                    tested = ", ".join(dict.fromkeys(s.column for s in self.specs))
                    raise DataError(
                        f"{err}; the rules test the columns {tested}, so every file needs them"
                    ) from None
        self.name = ", ".join(Path(s).name or str(s) for s in sources)
        self.batch_rows = int(batch_rows)
        self.n_rows = 0
        self._gaps = np.zeros(len(self.specs), dtype=np.int64)
        self._dated: dict[str, tuple[int, int]] = {}
        self._notes: dict[str, Note] = {}  # by text: a batch says what the one before it said

    def __iter__(self) -> Iterator[tuple[int, Dataset]]:
        for file in self.files:
            for frame in self._frames(file):
                try:
                    rows, dated = rows_of_frame(
                        frame,
                        self.specs,
                        like=None,
                        strict=self.strict,
                        name=file.path.stem,
                        origin=str(file.path),
                        file=file.path.name,
                        batch=True,
                    )
                except DataError as err:  # its row in the file (a Parquet batch's: RowsInFile)
                    raise DataError(f"{file.path.name}: {err}") from None
                first, self.n_rows = self.n_rows, self.n_rows + rows.n_rows
                self._add(rows, dated)
                yield first, rows

    def _frames(self, file: TableFile):
        if file.kind == "csv":  # whole, as the loader reads it (its encodings, separators, notes)
            yield read_table(file.path, max_bytes=file_limit(None)).rename(columns=str)
            return
        wanted = list(dict.fromkeys(column_for(file, spec.column) for spec in self.specs))
        reader = pq.ParquetFile(file.path)
        first = 0
        for batch in reader.iter_batches(batch_size=self.batch_rows, columns=wanted):
            table = pa.Table.from_batches([batch]).replace_schema_metadata(None)  # no pandas index
            table = _typed_nulls(table)
            table, notes = _plain_columns(table)
            self._notes.update({note.text: note for note in notes})
            frame = table.to_pandas().rename(columns=str)
            frame.attrs[FILE_LINES] = RowsInFile(first)  # a bad cell's row in the file, in messages
            first += table.num_rows
            yield frame

    def _add(self, rows: Dataset, dated: dict[str, tuple[int, int]]) -> None:
        self._gaps += np.isnan(rows.X).sum(axis=0)
        for name, (dates, timed) in dated.items():
            before = self._dated.get(name, (0, 0))
            self._dated[name] = (before[0] + dates, before[1] + timed)
        for note in rows.note_items:
            self._notes.setdefault(note.text, note)

    def note_items(self) -> list[Note]:
        """What the rows read so far gave to say: each note once, the missing cells summed."""
        notes = list(self._notes.values()) + dated_notes(self._dated, self.specs, for_model=False)
        notes += gap_notes(self._gaps, [spec.name for spec in self.specs], self.n_rows)
        if self.n_rows == 0:
            notes.append(Note("table", f"{self.name} has no rows: nothing to select"))
        return notes

    def notes(self) -> tuple[str, ...]:
        """:meth:`note_items` as lines, grouped by kind as the loader's notes are."""
        return render(tuple(self.note_items()))


def _typed_nulls(table: pa.Table) -> pa.Table:
    """A column of no value in this part (Parquet type null) as missing numbers, as it reads in the
    parts where it has a type: the loader would leave such a column out."""
    for i, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(i, field.name, pa.nulls(table.num_rows, pa.float64()))
    return table
