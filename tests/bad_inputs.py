"""A corpus of bad input files and the message each must produce.

Shared by the loader tests, the command-line tests and the app tests: every file here
must give a clear one-line error (what is wrong, where, how to fix it), or, for the
repairable ones, load with a note saying what was repaired.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class BadInput:
    name: str
    filename: str
    content: bytes
    message: str  # a regular expression the error (or the note) must match
    repairable: bool = False
    env: tuple[tuple[str, str], ...] = ()

    def write(self, folder: Path) -> Path:
        path = folder / self.filename
        path.write_bytes(self.content)
        return path


def _wide(n_columns: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(n_columns))
    rows = "\n".join(",".join(str((i * j) % 7) for j in range(n_columns)) for i in range(3))
    return f"{header}\n{rows}\n".encode()


def _parquet_bomb(rows: int) -> bytes:
    """A few kilobytes of Parquet that decode to ``rows`` x 2 float64 cells (runs of one value)."""
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": np.zeros(rows), "b": np.ones(rows)}), buffer, compression="zstd")
    return buffer.getvalue()


BAD_INPUTS = [
    BadInput("empty file", "empty.csv", b"", "is empty"),
    BadInput("header only", "header.csv", b"a,b\n", r"has a header \('a', 'b'\) but no rows"),
    BadInput("every row empty", "blank_rows.csv", b"a,b\n,\n,\n", "every one of its 2 rows is empty"),
    BadInput(
        "bytes after a UTF-16 mark",
        "utf16_garbage.csv",
        b"\xff\xfe\x00garbage",
        r"read as UTF-16 text.* but no rows; if that is not its header, the file holds no CSV text",
    ),
    BadInput("one row", "one_row.csv", b"a,b\n1,2\n", "has 1 row; at least two rows"),
    BadInput(
        "non-numeric column",
        "text.csv",
        b"a,city\n1,Rome\n2,Paris\n",
        r"column 'city' is not numeric: row 0 \(file line 2\) holds 'Rome'",
    ),
    BadInput(
        "mixed types",
        "mixed.csv",
        b"a,b\n1,2\n3,x\n5,6\n",
        r"column 'b' is not numeric: row 1 \(file line 3\)",
    ),
    BadInput("infinite value", "inf.csv", b"a,b\n1,2\n3,inf\n4,5\n", r"column 'b' holds inf at row 1"),
    BadInput(
        "missing values",
        "nan.csv",
        b"a,b\n1,2\n,5\n4,\n7,8\n",
        r"2 columns had missing values, filled with each column's median: 'a' \(1, median 4\), 'b'",
        repairable=True,
    ),
    BadInput(
        "constant column", "constant.csv", b"a,b\n1,5\n2,5\n3,5\n", "column 'b' is constant", repairable=True
    ),
    BadInput(
        "all columns constant",
        "all_constant.csv",
        b"a,b\n1,2\n1,2\n1,2\n",
        "every feature column is constant",
    ),
    BadInput(
        "duplicate column names",
        "dup.csv",
        b"a,b,a\n1,2,3\n4,5,6\n",
        r"column name 'a' appears twice \(columns 1 and 3\)",
    ),
    BadInput(
        "a title line above the header",
        "report.csv",
        b"Report generated 2024-05-01\n\na,b\n1,2\n3,4\n",
        r"its first line \('Report generated 2024-05-01'\) holds one field and the rows more; if it is a "
        r"title above the header, delete the lines above the header",
    ),
    BadInput(
        "two column names the same but for spaces",
        "spaces.csv",
        b"amount,amount ,Amount\n1,2,3\n4,5,6\n",
        r"column name 'amount' and 'amount ', the same name but for spaces, appears twice \(columns 1 "
        r"and 2\)",
    ),
    BadInput(
        "thousands of columns", "wide.csv", _wide(3000), "3,000 columns, more than twice the limit of 1000"
    ),
    BadInput("wrong delimiter", "colon.csv", b"a:b:c\n1:2:3\n4:5:6\n", "seems to use ':' as its delimiter"),
    BadInput(
        "ragged rows", "ragged.csv", b"a,b\n1,2\n3,4,5\n6,7\n", "line 3 has 3 fields but the header has 2"
    ),
    BadInput(
        "short row",
        "short.csv",
        b"a,b,c\n1,2,3\n4,5\n7,8,9\n1,1,1\n",
        "line 3 has 2 fields but the header has 3; add the missing values",
    ),
    BadInput(
        "rows longer than the header",
        "long.csv",
        b"a,b\n1,2,3\n4,5,6\n7,8,9\n",
        "its rows have more fields than the header line names",
    ),
    BadInput(
        "trailing delimiter on every line",
        "trailing.csv",
        b"a,b,\n1,2,\n3,4,\n5,6,\n",
        "ends every line with a delimiter",
    ),
    BadInput("column without a name", "hole.csv", b"a,,c\n1,2,3\n4,5,6\n", "column 2 has no name"),
    BadInput(
        "a row index written by pandas",
        "index.csv",
        b",a,b\n0,1,2\n1,3,4\n2,5,7\n",
        r"dropped the first column: it has no name and numbers the rows",
        repairable=True,
    ),
    BadInput(
        "blank lines before a bad value",
        "blank_lines.csv",
        b"a,b\n1,2\n\n\n3,x\n4,5\n",
        r"column 'b' is not numeric: row 1 \(file line 5\) holds 'x'",
    ),
    BadInput(
        "a value beyond float32",
        "huge.csv",
        b"a,b\n1,2\n1e39,3\n4,5\n",
        r"column 'a' holds 1e\+39 at row 1 \(file line 3\), beyond .*float32",
    ),
    BadInput(
        "a comment line first", "comment.csv", b"# exported 2026\na,b\n1,2\n3,4\n", "starts with a comment"
    ),
    BadInput(
        "decimal commas",
        "euro.csv",
        b"a;b\n1,5;2\n2,25;3\n3,0;4\n",
        r"column 'a' holds '1,5' at row 0 \(file line 2\): a decimal comma",
    ),
    BadInput(
        "binary data named .parquet",
        "garbage.parquet",
        bytes([14, 200, 127, 250, 110]) * 20,
        "is not a Parquet file \\(it starts with bytes that are not Parquet's\\)",
    ),
    BadInput("binary garbage", "garbage.csv", bytes(range(256)) * 8, "does not look like a CSV file"),
    BadInput(
        "neither UTF-8 nor Windows-1252",
        "latin1.csv",
        b"a,b\n1,2\ncaf\x81,3\n",  # 0x81: no character in Windows-1252
        r"is not UTF-8 text \(byte 11, line 3\), nor Windows-1252; save it as \"CSV UTF-8\"",
    ),
    BadInput(
        "UTF-8, then another encoding",
        "mixed.csv",
        "a,b\nZ\u00fcrich,2\n".encode() + "Malm\u00f6,3\n".encode("cp1252"),
        r"is not UTF-8 text \(byte 18, line 3\), though what comes before is: it mixes two encodings",
    ),
    BadInput(
        "Windows-1252, then a row in UTF-8",
        "appended.csv",
        "a,b\nM\u00fcnchen,2\n".encode("cp1252") + "K\u00f6ln,3\n".encode(),
        r"appended.csv mixes two encodings: Windows-1252 \(byte 5\) and UTF-8 \(line 3, 'ö'\); re-save",
    ),
    BadInput(
        "a long line after Excel's sep= line",
        "sep_ragged.csv",
        b"sep=;\na;b\n" + b"".join(b"%d;%d\n" % (i, i) for i in range(10)) + b"5;6;extra\n",
        r"sep_ragged.csv is not a well-formed CSV: line 13 has 3 fields but the header has 2",
    ),
    BadInput(
        "unknown label value",
        "label.csv",
        b"a,label\n1,anomaly\n2,maybe\n3,nominal\n",
        r"label column 'label' holds 'maybe' at row 1 \(file line 3\); expected anomaly/nominal, 1/0, "
        r"true/false or yes/no\. Fix the value",  # label words and a typo: a file to fix, not other words
    ),
    BadInput("parquet that is really CSV", "fake.parquet", b"a,b\n1,2\n3,4\n", r"is not a Parquet file"),
    BadInput(
        "more columns than any table is read with",
        "names.csv",
        _wide(61),
        r"names\.csv has 61 columns, more than the limit of 60; keep the columns",
        env=(("AAD_MAX_COLUMNS", "60"),),
    ),
    BadInput(
        "columns far beyond the feature limit, refused before any is read",
        "wide20.csv",
        _wide(21),
        r"the table has 21 columns, more than twice the limit of 10 feature columns",
        env=(("AAD_MAX_FEATURES", "10"),),
    ),
    BadInput(
        "over the size limit",
        "big.csv",
        b"a,b\n" + b"1,2\n" * 400_000,
        "over the limit of 1.0 MB",
        env=(("AAD_MAX_FILE_MB", "1"),),
    ),
    BadInput(
        "empty rows at the end (as spreadsheets write them)",
        "trailing_empty.csv",
        b"a,b\n1,2\n3,4\n5,6\n,\n,\n",
        r"left out 2 empty rows at the end of the file",
        repairable=True,
    ),
    BadInput(
        "an empty row in the middle",
        "middle_empty.csv",
        b"a,b\n1,2\n,\n5,6\n",
        r"line 3 has no value in any column",
    ),
    BadInput(
        "Excel's sep= first line",
        "excel_sep.csv",
        b"sep=;\na;b\n1;2\n3;4\n5;7\n",
        r"skipped the first line, ';' as delimiter: Excel's 'sep=' hint",
        repairable=True,
    ),
    BadInput(
        "a row index and a trailing delimiter on every line",
        "index_trailing.csv",
        b",a,\n0,1,\n1,3,\n2,5,\n",
        "ends every line with a delimiter",
    ),
    BadInput(
        "two trailing delimiters on every line",
        "trailing_delimiters.csv",
        b"a,b,,\n1,2,,\n3,4,,\n",
        r"ends every line with 2 delimiters",
    ),
    BadInput(
        "thousands separators",
        "thousands.csv",
        b'a,b\n"1,234.5",2\n3,4\n',
        r"a number with thousands separators",
    ),
    BadInput(
        "thousands or a decimal comma",
        "ambiguous_comma.csv",
        b'a,b\n"70,933",2\n"1,250",4\n3,5\n',
        r"'70,933' at row 0 \(file line 2\): a thousands separator or a decimal comma",
    ),
    BadInput(
        "placeholders for missing values",
        "placeholders.csv",
        b"a,b\n1,-\n3,4\n5,?\n7,8\n9,n/a\n",
        r"column 'b': 3 missing values filled with the column median",
        repairable=True,
    ),
    BadInput(
        "a second ground-truth column",
        "two_truths.csv",
        b"label,is_anomaly,a\nanomaly,1,1\nnominal,0,3\nnominal,0,5\n",
        r"column 'is_anomaly' is named like a ground-truth column",
        repairable=True,
    ),
    BadInput(
        "a short line before a long one",
        "short_then_long.csv",
        b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n",
        r"line 3 has 2 fields but the header has 3; add the missing values",
    ),
    BadInput(
        "two exports joined into one file",
        "joined.csv",
        b"amount,hour\n1.5,3\n2.5,4\n3.5,5\namount,hour\n4.5,6\n5.5,7\n",
        r"joined\.csv line 5 repeats the header: two exports joined into one file\? Delete that line",
    ),
    BadInput(
        "a second export with its columns in another order",
        "joined_reordered.csv",
        b"amount,hour\n1.5,3\n2.5,4\n3.5,5\nhour,amount\n6,4.5\n7,5.5\n",
        r"line 5 repeats the header, its names in another order: two exports joined",
    ),
    BadInput(
        "a Parquet file that decodes far beyond its size",
        "bomb.parquet",
        _parquet_bomb(500_000),
        r"bomb\.parquet would take 8\.0 MB once decoded \(500,000 rows x 2 columns; 0\.0 MB on disk\), "
        r"over the limit of 1\.0 MB",
        env=(("AAD_MAX_FILE_MB", "1"),),
    ),
]
