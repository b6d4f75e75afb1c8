"""Tables of any size, read a batch of rows at a time (Arrow record batches).

A *source* is a CSV file, a Parquet file or a folder of Parquet files (read in the natural
order of their paths: ``part.2`` before ``part.10``, as Dask and Spark number them). Its
rows are numbered from 0 in that order, across the files. Only the wanted columns are
read: a feature becomes float64 (a missing cell NaN), a column carried along keeps its
Arrow type (text, from a CSV). Everything that can be checked before reading is checked
first: every file exists, is CSV or Parquet, and holds every wanted column.

A feature cell is read as :func:`aad.load_rows` reads it: the placeholders ``-``, ``?``,
``NA``, ``null``... are missing values; a cell that is no number is refused, naming its
column, row and value (decimal commas and thousands separators are named as such).
"""

from __future__ import annotations

import codecs
import csv
import glob
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..columns import _NUMBER_FORMATS, PLACEHOLDERS, RowsInFile
from ..compressed import (
    DAMAGE,
    compression_of,
    damaged,
    decompressed_head,
    decompressed_tail,
    open_decompressed,
    refuse_inner,
)
from ..encoding import FeatureSpec, encode
from ..errors import DataError
from ..tables import (
    SNIFF_BYTES,
    check_text,
    check_unique_columns,
    is_text,
    is_total,
    require_file,
    sniff_delimiter,
    text_encoding,
)

__all__ = ["Piece", "TableFile", "find_files", "natural_key", "plan_pieces", "read_batches"]

#: Cells that mean "no value" in a feature column (compared trimmed and in lower case): aad's
#: placeholders and the words pandas' CSV reader takes as missing.
_MISSING = sorted(
    PLACEHOLDERS
    | {"", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan", "<na>", "nan", "n/a"}
)
_SKIPPED = re.compile(r"^(_|\.)|\.crc$")  # _SUCCESS, _metadata, .part files, checksums


def natural_key(text: str) -> list:
    """Sort key that orders the numbers inside names by value: ``part.2`` before ``part.10``.

    >>> sorted(["part.10.parquet", "part.2.parquet", "part.1.parquet"], key=natural_key)
    ['part.1.parquet', 'part.2.parquet', 'part.10.parquet']
    """
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)]


@dataclass(frozen=True)
class TableFile:
    """One file of a source: its path, kind (``csv`` or ``parquet``), size, and rows (Parquet)."""

    path: Path
    kind: str
    size: int
    rows: int | None = None
    row_groups: tuple[int, ...] = ()  # rows of each Parquet row group
    columns: tuple[str, ...] = ()
    delimiter: str = ","
    skip_rows: int = 0  # Excel's "sep=;" first line
    trailing: int = 0  # a CSV's rows at the end that are no data (",,,", a total): left out, as loaded
    encoding: str = "utf-8-sig"  # a CSV's, from its first bytes (aad.tables.text_encoding)
    total: str | None = None  # the first value of a total line among the trailing rows (Summe)
    compression: str | None = None  # a compressed CSV's (aad.compressed.compression_of): gzip, zip...
    types: tuple[str, ...] = ()  # a Parquet file's column types (_type_name), as its columns


@dataclass(frozen=True)
class Piece:
    """A part of a source read as one: a file, or some row groups of a Parquet file.

    ``first_row`` is the number of its first row in the whole source (None when the rows
    before it are not counted yet: CSV files are counted by reading them).
    """

    file: TableFile
    first_row: int | None
    row_groups: tuple[int, ...] | None = None  # None: every row group (or a CSV file)
    rows: int | None = None

    @property
    def name(self) -> str:
        """The file's name (for messages)."""
        return self.file.path.name


def _paths(sources) -> list:
    """``sources`` as a list of paths (one path alone too); a table in memory refused, saying how
    to score it there."""
    if isinstance(sources, str | os.PathLike):
        return [sources]
    listed = list(sources) if hasattr(sources, "__iter__") and not hasattr(sources, "columns") else [sources]
    if not listed:
        raise DataError("no table given; pass CSV or Parquet files, or a folder of Parquet files")
    stray = next((s for s in listed if not isinstance(s, str | os.PathLike)), None)
    if stray is not None:
        raise DataError(
            "the sources are files: paths of CSV or Parquet files, or folders; got a "
            f"{type(stray).__name__}. Rows already in memory are scored in memory: "
            "model.anomaly_score(frame), or on a Dask DataFrame ddf.map_partitions(model.anomaly_score)"
        )
    return listed


def find_files(sources: Sequence[str | os.PathLike]) -> list[TableFile]:
    """The files of ``sources``, in reading order, each checked to be CSV or Parquet.

    A folder stands for the Parquet files inside it, as Spark and Dask write a dataset (in
    subfolders too; files whose names start with ``_`` or ``.``, as ``_SUCCESS``, and ``.crc``
    checksums are not data). A pattern that names no file itself (``'big/part-*.parquet'``,
    quoted so that the shell leaves it) stands for the files it matches. The parts of one
    folder or pattern are one table: they must have the same columns, of the same types
    (a column with no value in a part, Parquet type null, agrees with any).

    Raises
    ------
    DataError
        For a missing path, an empty folder, a pattern matching no file, a file that is
        neither CSV nor Parquet, or parts of one table that differ (naming the first).

    Examples
    --------
    >>> from aad.tables import datasets_dir
    >>> [(f.path.name, f.kind, f.columns) for f in find_files([datasets_dir() / "toy2.csv"])]
    [('toy2.csv', 'csv', ('label', 'x', 'y'))]
    >>> find_files(["no/such/folder"])
    Traceback (most recent call last):
    ...
    aad.errors.DataError: there is no file or folder 'no/such/folder'; pass CSV or Parquet files, or a folder
    """
    sources = _paths(sources)
    found: list[TableFile] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            files = _folder_parts(path)
            if not files:
                raise DataError(
                    f"the folder {str(path)!r} holds no Parquet file; pass a folder of .parquet files, "
                    "or the files themselves"
                )
            found += check_parts(
                [_open_file(p, parquet_only=True) for p in files], f"the folder {str(path)!r}"
            )
        elif path.is_file():
            found.append(_open_file(path))
        elif path.exists():  # a pipe (the shell's <(...)), a device: said as the loader says it
            require_file(path, what="file", fix="pass CSV or Parquet files, or a folder")
        elif glob.has_magic(str(path)):
            found += check_parts([_open_file(p) for p in _matches(str(path))], f"the pattern {str(path)!r}")
        else:
            raise DataError(
                f"there is no file or folder {str(path)!r}; pass CSV or Parquet files, or a folder"
            )
    return found


def _folder_parts(folder: Path) -> list[Path]:
    """The Parquet parts of a folder (in subfolders too), in the natural order of their paths;
    a DataError naming the first other file (a CSV beside the parts would be left out of the
    table unseen), but those that are no data (``_SUCCESS``, ``.crc``, hidden files)."""
    files = [
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(_SKIPPED.search(part) for part in p.relative_to(folder).parts)
    ]
    others = sorted((p for p in files if p.suffix.lower() not in (".parquet", ".pq", "")), key=str)
    if others:
        raise DataError(
            f"the folder {str(folder)!r} holds {str(others[0].relative_to(folder))!r} beside its Parquet "
            f"parts ({len(others)} such file{'s' if len(others) > 1 else ''}); a folder is read as "
            "Parquet parts only: move the other files out, or pass the files themselves"
        )
    return sorted(files, key=lambda p: natural_key(str(p.relative_to(folder))))


def _matches(pattern: str) -> list[Path]:
    """The files a pattern matches (``**`` spans folders), but those that are no data
    (``_SUCCESS``, ``.crc``, hidden files), in the natural order of their paths."""
    paths = [Path(p) for p in glob.glob(pattern, recursive=True)]
    files = [p for p in paths if p.is_file() and not _SKIPPED.search(p.name)]
    if not files:
        raise DataError(
            f"no file matches the pattern {pattern!r}; check the folder and the name (a folder of "
            "Parquet files can be given as it is, without a pattern)"
        )
    return sorted(files, key=lambda p: natural_key(str(p)))


def check_parts(files: list[TableFile], what: str) -> list[TableFile]:
    """``files``, the parts of one table, once checked to have the same columns (in any order)
    of the same types (Parquet's; a CSV's are text, and a column of no value, type null,
    agrees with any); a DataError naming the first part that differs, and how.

    Examples
    --------
    >>> a = TableFile(Path("part-0.parquet"), "parquet", 1, 1, columns=("x", "y"), types=("double", "string"))
    >>> b = TableFile(Path("part-1.parquet"), "parquet", 1, 1, columns=("y", "x"), types=("null", "double"))
    >>> [f.path.name for f in check_parts([a, b], "the folder 'big'")]
    ['part-0.parquet', 'part-1.parquet']
    >>> c = TableFile(Path("part-2.parquet"), "parquet", 1, 1, columns=("x", "y"), types=("string", "string"))
    >>> check_parts([a, b, c], "the folder 'big'")
    Traceback (most recent call last):
    ...
    aad.errors.DataError: the folder 'big' is one table, but its parts differ: part-2.parquet has ...
    """
    first = files[0]
    known = {name: (kind, first) for name, kind in _types(first).items()}  # each column's type, and whose
    for file in files[1:]:
        why = _difference(file, _types(file), first, known)
        if why is not None:
            raise DataError(
                f"{what} is one table, but its parts differ: {why}; write the parts again with one "
                "schema, or pass the parts that agree"
            )
    return files


def _types(file: TableFile) -> dict[str, str | None]:
    """A file's columns and their types (None where a column tells none: a CSV's, or null)."""
    if file.kind != "parquet":
        return dict.fromkeys(file.columns)
    return {
        name: None if kind == "null" else kind for name, kind in zip(file.columns, file.types, strict=True)
    }


def _difference(file: TableFile, have: dict, first: TableFile, known: dict) -> str | None:
    """How ``file`` differs from the parts before it, or None (``known`` learns the types it tells)."""
    missing = [c for c in known if c not in have]
    if missing:
        return f"{file.path.name} lacks the column {missing[0]!r} that {first.path.name} has"
    extra = [c for c in have if c not in known]
    if extra:
        return f"{file.path.name} has a column {extra[0]!r} that {first.path.name} has not"
    for name, kind in have.items():
        seen, where = known[name]
        if seen is None:
            known[name] = (kind, file)
        elif kind is not None and kind != seen:
            return (
                f"{file.path.name} has the column {name!r} as {kind} where {where.path.name} has it as {seen}"
            )
    return None


def _open_file(path: Path, *, parquet_only: bool = False) -> TableFile:
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path.name} is empty; expected a header line, then the rows")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return _open_parquet(path, size)
    if parquet_only or path.suffix.lower() in (".parquet", ".pq"):
        raise DataError(
            f"{path.name} is not a Parquet file (it does not start as one); re-export it as Parquet"
        )
    compression = compression_of(head)
    whole = size <= len(head)
    if compression is not None:  # its text is sniffed as a plain file's is
        head = decompressed_head(path, compression, SNIFF_BYTES)
        refuse_inner(path, head)
        if not head:
            raise DataError(f"{path.name} holds an empty file; expected a header line, then the rows")
        whole = len(head) < SNIFF_BYTES
    check_text(path, head)
    encoding = text_encoding(path, head, whole=whole)
    text = head.decode(encoding, errors="replace")
    skip = 1 if re.match(r"sep=.[ \t]*\r?\n", text, flags=re.IGNORECASE) else 0
    delimiter = text[4] if skip else sniff_delimiter(text)
    lines = text.splitlines()[skip:]
    if not lines:
        raise DataError(f"{path.name} has no header line; expected the column names first")
    header = next(csv.reader([lines[0]], delimiter=delimiter), [])
    _check_unique(path, header)
    trailing, total = trailing_rows(path, delimiter, encoding, compression=compression)
    return TableFile(
        path, "csv", size, None, (), tuple(header), delimiter, skip, trailing, encoding, total, compression
    )


def _open_parquet(path: Path, size: int) -> TableFile:
    try:
        meta = pq.ParquetFile(path).metadata
        schema = meta.schema.to_arrow_schema()
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise DataError(f"{path.name} could not be read as Parquet ({err}); re-export the file") from err
    groups = tuple(meta.row_group(i).num_rows for i in range(meta.num_row_groups))
    names = tuple(schema.names)
    _check_unique(path, names)
    types = tuple(_type_name(t) for t in schema.types)
    return TableFile(path, "parquet", size, meta.num_rows, groups, names, types=types)


def _type_name(kind: pa.DataType) -> str:
    """A column's type as the parts of a table are compared: what its values are, not how Arrow
    lays them out (pandas 3 writes text as ``large_string``, Spark as ``string``; a category is
    a dictionary of its values; a timestamp's unit is its precision).

    >>> _type_name(pa.large_string()), _type_name(pa.dictionary(pa.int32(), pa.string()))
    ('string', 'string')
    >>> _type_name(pa.timestamp("ns", tz="UTC")), _type_name(pa.int32())
    ('timestamp[tz=UTC]', 'int32')
    """
    if pa.types.is_dictionary(kind):
        return _type_name(kind.value_type)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return "string"
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
        return "binary"
    if pa.types.is_timestamp(kind):
        return f"timestamp[tz={kind.tz}]" if kind.tz else "timestamp"
    return str(kind)


def _check_unique(path: Path, names: Sequence[str]) -> None:
    """Refuse a file naming a column twice, as the loader does: which of the two to read?"""
    try:
        check_unique_columns(list(names))
    except DataError as err:
        raise DataError(f"{path.name}: {err}") from None


_TAIL_BYTES = 1 << 20


def trailing_rows(
    path: Path, delimiter: str, encoding: str = "utf-8-sig", *, compression: str | None = None
) -> tuple[int, str | None]:
    """The rows at the end of a CSV file that are no data, as the loader leaves them out: rows
    with no value in any column (``,,,`` lines, as a spreadsheet writes them) and a total line
    among them (``Summe;;;433.419,57 €``: the last row with a value, its first value a word such
    as *Total*, a column left empty); counted from its last megabyte; blank lines are no rows. A
    compressed file is decompressed once for it, in bounded memory (which also finds a
    damaged one before a row is read). Returns how many, and the total line's first value (None without one).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("a,b\\n1,2\\n,\\n\\n,\\n")
    >>> trailing_rows(path, ",")
    (2, None)
    >>> _ = path.write_text("a,b,c\\n1,2,3\\n,,\\nTotal,,6\\n,,\\n")
    >>> trailing_rows(path, ",")
    (3, 'Total')
    """
    if compression is not None:
        size, raw = decompressed_tail(path, compression, _TAIL_BYTES)
        first = decompressed_head(path, compression, 2) if encoding == "utf-16" else b""
    else:
        size = path.stat().st_size
        with path.open("rb") as fh:
            first = fh.read(2)
            fh.seek(max(0, size - _TAIL_BYTES))
            raw = fh.read()
    if encoding == "utf-16":  # the byte order mark says which, the tail does not
        encoding = "utf-16-le" if first == b"\xff\xfe" else "utf-16-be"
    raw = raw[(size - len(raw)) % 2 :] if encoding.startswith("utf-16") else raw  # whole code units
    tail = raw.decode(encoding, errors="replace")
    rows, total = 0, None
    for line in reversed(tail.splitlines()[1:]):  # the first: the header, or cut by the seek
        if not line:
            continue  # a blank line: the CSV reader skips it (a line of tabs is a row of a TSV)
        values = [v.strip() for v in next(csv.reader([line], delimiter=delimiter), [])]
        filled = [v for v in values if v]
        if filled and (total is not None or not is_total(filled[0]) or len(filled) == len(values)):
            break
        total = filled[0] if filled else total
        rows += 1
    return rows, total


def column_for(file: TableFile, name: str) -> str:
    """The file's column called ``name`` (or ``name`` with spaces around it); a DataError if none."""
    if name in file.columns:
        return name
    trimmed = [c for c in file.columns if c.strip() == name.strip()]
    if len(trimmed) == 1:
        return trimmed[0]
    has = ", ".join(map(_excerpt, file.columns[:20])) + (", ..." if len(file.columns) > 20 else "")
    raise DataError(f"{file.path.name} has no column {name!r} (its columns: {has})")


def _excerpt(text: str, limit: int = 40) -> str:
    """``text`` quoted, cut to its first ``limit`` characters (a line of megabytes read as one name).

    >>> _excerpt("amount"), _excerpt("x" * 50, 4)
    ("'amount'", "'xxxx'...")
    """
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}..."


def check_columns(files: Sequence[TableFile], features: Sequence[str], carried: Sequence[str]) -> None:
    """Every file holds every feature and carried column; no feature is empty in a whole Parquet file."""
    for file in files:
        for name in features:
            try:
                column_for(file, name)
            except DataError as err:
                raise DataError(
                    f"{err}; the model was learned on the columns {', '.join(features)}, so the rows need "
                    "every one of them (other columns are ignored)"
                ) from None
        for name in carried:
            try:
                column_for(file, name)
            except DataError as err:
                raise DataError(f"{err}; --columns names columns to copy beside the scores") from None
        if file.kind == "parquet" and file.rows and file.rows > 1:
            _check_not_empty(file, features)


def mixed_carried(files: Sequence[TableFile], carried: Sequence[str]) -> tuple[str, ...]:
    """The carried columns whose type differs between the files (a CSV's is text): carried as text
    from every file, so the batches, and a cluster's partitions, agree on one type."""
    types: dict[str, set[str]] = {name: set() for name in carried}
    for file in files:
        schema = pq.read_schema(file.path) if file.kind == "parquet" else None
        for name in carried:
            kind = pa.string() if schema is None else schema.field(column_for(file, name)).type
            types[name].add(str(kind))
    return tuple(name for name in carried if len(types[name]) > 1)


def _check_not_empty(file: TableFile, features: Sequence[str]) -> None:
    meta = pq.ParquetFile(file.path).metadata
    names = meta.schema.to_arrow_schema().names
    for name in features:
        index = names.index(column_for(file, name))
        nulls = 0
        for g in range(meta.num_row_groups):
            column = meta.row_group(g).column(index) if index < meta.row_group(g).num_columns else None
            stats = column.statistics if column is not None else None
            if stats is None or not stats.has_null_count:
                return
            nulls += stats.null_count
        if nulls == file.rows:
            raise DataError(
                f"column {name!r} is empty in every row of {file.path.name}, and the model was learned on "
                "it: a changed export? Fill the column in (rows taking one value would score alike on it)"
            )


def plan_pieces(files: Sequence[TableFile], *, rows_per_piece: int | None = None) -> list[Piece]:
    """Cut the files into pieces of about ``rows_per_piece`` rows (whole row groups; a CSV file
    is one piece). Without ``rows_per_piece``, one piece per file.

    Examples
    --------
    >>> f = TableFile(Path("a.parquet"), "parquet", 1, rows=300, row_groups=(100, 100, 100))
    >>> [(p.first_row, p.row_groups, p.rows) for p in plan_pieces([f, f], rows_per_piece=150)]
    [(0, (0, 1), 200), (200, (2,), 100), (300, (0, 1), 200), (500, (2,), 100)]
    """
    pieces: list[Piece] = []
    first: int | None = 0
    for file in files:
        if file.kind == "csv" or rows_per_piece is None:
            pieces.append(Piece(file, first, None, file.rows))
            first = None if first is None or file.rows is None else first + file.rows
            continue
        group, start, rows = [], first, 0
        for g, n in enumerate(file.row_groups):
            group.append(g)
            rows += n
            if rows >= rows_per_piece or g == len(file.row_groups) - 1:
                pieces.append(Piece(file, start, tuple(group), rows))
                start = None if start is None else start + rows
                group, rows = [], 0
        if not file.row_groups:
            pieces.append(Piece(file, first, (), 0))
        first = start
    return pieces


@dataclass
class Batch:
    """Rows read together: the features (float64, NaN where missing) and the carried columns."""

    X: np.ndarray
    carried: pa.Table | None
    rows: int
    gaps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per feature
    unseen: dict[str, int] = field(default_factory=dict)  # category column: rows of an unseen value
    dated: dict[str, tuple[int, int]] = field(default_factory=dict)  # an hour's column: dates, times of day
    place: RowsInFile = field(default_factory=lambda: RowsInFile(0))  # where its rows are in their file
    respelled: dict[str, str] = field(default_factory=dict)  # a flag column written otherwise: its note


def read_batches(
    piece: Piece,
    features: Sequence[str],
    carried: Sequence[str] = (),
    *,
    batch_rows: int = 65_536,
    encoding: Sequence[FeatureSpec] = (),
    as_text: Sequence[str] = (),
) -> Iterator[Batch]:
    """The rows of ``piece``, ``batch_rows`` at a time (Parquet: at most one row group at a time).

    A bad cell is named by its file, its row in the file and, in a CSV, its file line
    (:class:`Batch`'s ``place``). ``encoding`` (one :class:`aad.encoding.FeatureSpec`
    per feature, from the model) makes each feature from its column as the model's data made it:
    a category's rarity, a timestamp's part, numbers written with units or separators; without
    it every feature is a column of plain numbers. The carried columns named in ``as_text`` are
    carried as text (:func:`mixed_carried`).
    """
    file = piece.file
    specs = list(encoding) or [FeatureSpec(name, name) for name in features]
    if len(specs) != len(features):
        raise DataError(f"got {len(specs)} feature encodings for {len(features)} features; give one each")
    names = [column_for(file, spec.column) for spec in specs]
    kept = [column_for(file, c) for c in carried]
    wanted = list(dict.fromkeys(names + kept))
    row = _first_in_file(piece)
    line = (lambda number: csv_line(file, number)) if file.kind == "csv" else None
    for table in _without_trailing(_tables(piece, wanted, batch_rows), file.trailing):
        X = np.empty((table.num_rows, len(names)), dtype=np.float64)
        unseen: dict[str, int] = {}
        dated: dict[str, tuple[int, int]] = {}
        respelled: dict[str, str] = {}
        place = RowsInFile(row, line)
        for j, (name, spec) in enumerate(zip(names, specs, strict=True)):
            counts = (unseen, dated, respelled)
            X[:, j] = _feature(table.column(name), spec, file, place, counts, plain=not encoding)
        carried_table = table.select(kept).rename_columns(list(carried)) if kept else None
        for name in as_text:
            at = carried_table.column_names.index(name)
            carried_table = carried_table.set_column(at, name, pc.cast(carried_table.column(at), pa.string()))
        yield Batch(
            X, carried_table, table.num_rows, np.isnan(X).sum(axis=0), unseen, dated, place, respelled
        )
        row += table.num_rows


def _first_in_file(piece: Piece) -> int:
    """The file's number of the piece's first row: the rows of the row groups before it."""
    if not piece.row_groups:
        return 0
    return int(sum(piece.file.row_groups[: piece.row_groups[0]]))


def csv_line(file: TableFile, row: int) -> int | None:
    """The file line (1-based) the CSV's data row ``row`` is on, as Arrow reads the file: after
    the lines skipped and the header, a row a line, empty lines left out. Reads the file up to
    that line (for a message: only when a cell is bad); None past its end."""
    wanted, number, records = file.skip_rows + row + 2, 0, 0
    decoder = codecs.getincrementaldecoder(file.encoding)(errors="replace")
    rest = ""
    with _csv_stream(file) as stream:
        while chunk := stream.read(1 << 20):
            text = rest + decoder.decode(chunk)
            *lines, rest = _LINE_END.split(text[:-1] if text.endswith("\r") else text)
            rest += "\r" if text.endswith("\r") else ""  # a line end split across two reads
            for found in lines:
                number += 1
                records += found != ""
                if records == wanted:
                    return number
    return number + 1 if rest.rstrip("\r") and records + 1 == wanted else None


_LINE_END = re.compile("\r\n|\r|\n")


def _without_trailing(tables: Iterator[pa.Table], trailing: int) -> Iterator[pa.Table]:
    """The tables but the last ``trailing`` rows of the last ones (known only at the end: the
    tables are held back until ``trailing`` more rows follow them)."""
    if trailing == 0:
        yield from tables
        return
    held: list[pa.Table] = []
    for table in tables:
        held.append(table)
        while len(held) > 1 and sum(t.num_rows for t in held[1:]) >= trailing:
            yield held.pop(0)
    rest = pa.concat_tables(held) if held else None
    if rest is not None and rest.num_rows > trailing:
        yield rest.slice(0, rest.num_rows - trailing)


def _feature(
    column: pa.ChunkedArray, spec: FeatureSpec, file: TableFile, place: RowsInFile, counts, *, plain: bool
):
    """One feature's values: plain numbers the fast way (Arrow's cast); anything else as the
    model's encoding makes it (a category's rarity, a timestamp's part, ``$1,250.00``).
    ``counts`` are the batch's dicts of unseen categories, dates and respelled flags (:class:`Batch`)."""
    if plain:
        return _as_float(column, spec.column, file, place)
    if spec.kind in ("number", "integer") and spec.decimal != ",":
        try:
            return _as_float(column, spec.column, file, place)
        except DataError:  # a unit, a currency, thousands separators: read as the loader reads them
            pass
    return _encoded(column, spec, file, place, *counts)


def _encoded(
    column: pa.ChunkedArray, spec: FeatureSpec, file: TableFile, place: RowsInFile, unseen, dated, respelled
) -> np.ndarray:
    """One feature made from its column by the model's encoding; counts unseen category values,
    and for an hour, the dates and those with a time of day; keeps the note of a flag written
    with other words than the model's data (``yes`` for ``True``)."""
    series = column.to_pandas().reset_index(drop=True)
    if is_text(series):  # a CSV's empty cell is an empty string here, a missing value to the loader
        series = series.where(series != "", None)
    try:
        made = encode(series, spec, place)
    except DataError as err:
        raise DataError(f"{file.path.name}: {err}") from None
    if made.note is not None and made.note.kind == "unseen":  # an unseen value encodes as 2 * rows
        count = int(np.count_nonzero(made.values == 2.0 * spec.rows))
        unseen[spec.column] = unseen.get(spec.column, 0) + count
    elif made.note is not None and spec.kind == "category":
        respelled.setdefault(spec.column, made.note.text)
    if made.dated is not None:
        dated[spec.column] = made.dated
    return np.asarray(made.values, dtype=np.float64)


def _tables(piece: Piece, columns: list[str], batch_rows: int) -> Iterator[pa.Table]:
    file = piece.file
    if file.kind == "parquet":
        reader = pq.ParquetFile(file.path)
        groups = piece.row_groups if piece.row_groups is not None else range(reader.num_row_groups)
        if not len(groups):
            return
        for batch in reader.iter_batches(batch_size=batch_rows, row_groups=list(groups), columns=columns):
            yield pa.Table.from_batches([batch])
        return
    yield from _csv_tables(file, columns, batch_rows)


def _csv_tables(file: TableFile, columns: list[str], batch_rows: int) -> Iterator[pa.Table]:
    read = pacsv.ReadOptions(
        block_size=max(1 << 20, batch_rows * 16 * len(columns)),
        skip_rows=file.skip_rows,
        encoding="utf8" if file.encoding == "utf-8-sig" else file.encoding,
    )
    parse = pacsv.ParseOptions(delimiter=file.delimiter)
    convert = pacsv.ConvertOptions(
        include_columns=columns, column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False
    )
    with _csv_stream(file) as stream:
        try:
            reader = pacsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
            for batch in reader:
                yield pa.Table.from_batches([batch])
        except pa.ArrowInvalid as err:
            raise DataError(f"{file.path.name} is not a well-formed CSV: {_arrow_csv_hint(err)}") from None
        except UnicodeDecodeError as err:  # transcoded from UTF-16 or Windows-1252 as it is read
            name = {"utf-16": "UTF-16", "cp1252": "Windows-1252"}.get(file.encoding, file.encoding)
            raise DataError(
                f"{file.path.name} is not well-formed {name} text ({err.reason}); re-save it with UTF-8 "
                "encoding"
            ) from None
        except DAMAGE as err:  # a compressed file damaged after its first pass (read.py's _open_file)
            if file.compression is None:
                raise
            raise damaged(file.path, file.compression, err) from None


@contextmanager
def _csv_stream(file: TableFile) -> Iterator:
    """The CSV's bytes: the file's, or a compressed file's decompressed (by its first bytes,
    never by its name's suffix, which Arrow would follow for ``.gz``)."""
    if file.compression is None:
        with pa.input_stream(str(file.path), compression=None) as stream:
            yield stream
        return
    with open_decompressed(file.path, file.compression) as stream:
        yield stream


def _arrow_csv_hint(err: Exception) -> str:
    text = str(err).strip()
    match = re.search(r"Expected (\d+) columns, got (\d+)", text)
    if match:
        want, got = match.groups()
        return (
            f"a line has {got} fields but the header has {want}; check for a stray delimiter, an unquoted "
            "text field or a line break inside quotes"
        )
    if "UTF8" in text or "utf-8" in text.lower():
        return "it is not UTF-8 text; re-save it with UTF-8 encoding"
    return text


def _as_float(column: pa.ChunkedArray, name: str, file: TableFile, place: RowsInFile) -> np.ndarray:
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if pa.types.is_null(kind):
        return np.full(len(column), np.nan)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return _to_numpy(pc.cast(column, pa.float64()))
    if pa.types.is_decimal(kind):
        return _to_numpy(pc.cast(column, pa.float64(), safe=False))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _text_as_float(column, name, file, place)
    if pa.types.is_temporal(kind):
        raise DataError(
            f"column {name!r} of {file.path.name} holds dates or times ({kind}), not numbers; the model "
            "was learned on numbers: is it the right file?"
        )
    raise DataError(f"column {name!r} of {file.path.name} holds {kind}, not numbers; is it the right file?")


def _to_numpy(column: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(column, np.nan).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def _text_as_float(column: pa.ChunkedArray, name: str, file: TableFile, place: RowsInFile) -> np.ndarray:
    key = pc.utf8_lower(pc.utf8_trim_whitespace(column))
    missing = pc.is_in(key, value_set=pa.array(_MISSING))
    cleared = pc.if_else(pc.or_kleene(missing, pc.is_null(column)), pa.scalar(None, pa.string()), column)
    try:
        return _to_numpy(pc.cast(cleared, pa.float64()))
    except pa.ArrowInvalid:  # a cell Arrow does not read (spaces around it, a typo): read as pandas does
        return _pandas_float(cleared, name, file, place)


def _pandas_float(column: pa.ChunkedArray, name: str, file: TableFile, place: RowsInFile) -> np.ndarray:
    series = pd.Series(column.to_pylist(), dtype=object)
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna().to_numpy() & series.notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        cell = str(series.iloc[i])
        where = f"column {name!r} of {file.path.name} holds {cell[:40]!r} at {place.where(i)}"
        for pattern, what in _NUMBER_FORMATS:
            if pattern.fullmatch(cell):
                raise DataError(f"{where}: {what}")
        raise DataError(f"{where}; every feature must be a number. Fix the value, or make the cell empty")
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def count_csv_rows(file: TableFile) -> int:
    """The data rows of a CSV file (read with Arrow, one column, nothing kept)."""
    total = 0
    first = file.columns[0] if file.columns else None
    for table in _csv_tables(file, [first] if first is not None else [], 1 << 16):
        total += table.num_rows
    return total - file.trailing
