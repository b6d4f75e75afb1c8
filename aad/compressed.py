"""Compressed tables: gzip, bzip2, xz, ZIP (of one file) and Zstandard, read in bounded memory.

A compressed file is told by its first bytes, not by its name (an upload is kept under a
name of its own), and read through a decompressing stream: gzip, bzip2 and Zstandard by
Arrow's codecs (no new dependency: pandas reads Zstandard only with the ``zstandard``
package), xz and ZIP by the standard library. Its size on disk says little of what it
holds (a megabyte of gzip can inflate to gigabytes), so a reader that keeps the text
stops at a limit (:func:`read_decompressed`) and one that streams keeps a bounded tail
(:func:`decompressed_tail`). A damaged or truncated file is one :class:`DataError`.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from .errors import DataError

__all__ = [
    "DAMAGE",
    "LABELS",
    "compression_of",
    "damaged",
    "decompressed_head",
    "decompressed_tail",
    "exceeds",
    "open_decompressed",
    "read_decompressed",
    "refuse_inner",
]

#: How each kind of compression is called in messages.
LABELS = {"gzip": "gzip", "bz2": "bzip2", "xz": "xz", "zip": "ZIP", "zstd": "Zstandard"}
#: Arrow's codec for the kinds Arrow decompresses itself (in C, without the GIL).
_ARROW = {"gzip": "gzip", "bz2": "bz2", "zstd": "zstd"}
#: The command that decompresses each kind, for messages.
_TOOLS = {"gzip": "gunzip", "bz2": "bunzip2", "xz": "unxz", "zip": "unzip", "zstd": "unzstd"}
_CHUNK = 1 << 20
#: What a decompressing stream raises on a damaged file (Arrow: OSError; gzip.BadGzipFile is one too).
DAMAGE = (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile, zlib.error, pa.ArrowInvalid)


def compression_of(head: bytes) -> str | None:
    """The compression a file's first bytes show (``gzip``, ``bz2``, ``xz``, ``zip``, ``zstd``), or None.

    Examples
    --------
    >>> import gzip
    >>> compression_of(gzip.compress(b"a,b\\n1,2\\n")), compression_of(b"a,b\\n1,2\\n")
    ('gzip', None)
    >>> compression_of(b"BZh text, not bzip2")  # a CSV may start with these letters
    """
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a ZIP (the second: an empty one)
        return "zip"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    return None


def damaged(path: Path, kind: str, err: BaseException) -> DataError:
    """The error for a compressed file that cannot be decompressed whole."""
    reason = " ".join(str(err).split()) or type(err).__name__
    return DataError(
        f"{path.name} cannot be decompressed whole as {LABELS[kind]} ({reason}): it is truncated or "
        f"damaged; copy or download it again (`{_TOOLS[kind]} -t FILE` tests one)"
    )


@contextmanager
def open_decompressed(path: Path, kind: str) -> Iterator[BinaryIO]:
    """A binary stream of ``path``'s decompressed bytes; a DataError if it cannot be opened.

    A ZIP must hold one file (folders, ``__MACOSX/`` and hidden entries aside).
    """
    if kind in _ARROW:
        try:
            stream = pa.input_stream(str(path), compression=_ARROW[kind])
        except DAMAGE as err:
            raise damaged(path, kind, err) from None
        with stream:
            yield stream
        return
    if kind == "xz":
        with lzma.open(path, "rb") as stream:
            yield stream
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise damaged(path, kind, err) from None
    with archive:
        member = _only_member(path, archive)
        try:
            stream = archive.open(member)
        except (
            RuntimeError,
            NotImplementedError,
            zipfile.BadZipFile,
            OSError,
        ) as err:  # encrypted, deflate64
            raise DataError(
                f"{path.name}: {member.filename!r} inside cannot be read ({err}); extract it and pass "
                "the file itself"
            ) from None
        with stream:
            yield stream


def _only_member(path: Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    def hidden(name: str) -> bool:
        return name.startswith("__MACOSX/") or any(p.startswith(".") for p in name.split("/") if p)

    members = [m for m in archive.infolist() if not m.is_dir() and not hidden(m.filename)]
    if len(members) == 1:
        return members[0]
    if not members:
        raise DataError(f"{path.name} is a ZIP that holds no file; pass a ZIP of one CSV file, or the CSV")
    names = ", ".join(repr(m.filename) for m in members[:5]) + (", ..." if len(members) > 5 else "")
    raise DataError(
        f"{path.name} is a ZIP of {len(members)} files ({names}); aad reads a ZIP of one CSV file: "
        "extract the one to read, or zip it alone"
    )


def read_decompressed(path: Path, kind: str, *, limit: int) -> bytearray:
    """``path``'s decompressed bytes, refused (a DataError) when they pass ``limit`` bytes.

    They are counted first, in a pass that holds a chunk at a time (and finds a damaged file):
    a file that would inflate beyond the limit is refused before anything is held, as a Parquet
    file is from its metadata; then they are read.
    """
    total = 0
    for chunk in _chunks(path, kind):
        total += len(chunk)
        if total > limit:
            raise _too_big(path, kind, limit)
    data = bytearray()
    for chunk in _chunks(path, kind):
        data += chunk
        if len(data) > limit:  # the file grew in between
            raise _too_big(path, kind, limit)
    return data


def _chunks(path: Path, kind: str) -> Iterator[bytes]:
    """The decompressed bytes a chunk at a time; a damaged file is a DataError."""
    with open_decompressed(path, kind) as stream:
        try:
            while chunk := stream.read(_CHUNK):
                yield chunk
        except DAMAGE as err:
            raise damaged(path, kind, err) from None


def _too_big(path: Path, kind: str, limit: int) -> DataError:
    on_disk = path.stat().st_size / 1e6
    return DataError(
        f"{path.name} holds more than {limit / 1e6:,.1f} MB once decompressed ({on_disk:,.1f} MB of "
        f"{LABELS[kind]} on disk), over the file-size limit; use a sample of the rows or raise the limit "
        "(AAD_MAX_FILE_MB)"
    )


def decompressed_head(path: Path, kind: str, size: int) -> bytes:
    """The first ``size`` bytes of ``path`` decompressed (fewer when it holds fewer)."""
    with open_decompressed(path, kind) as stream:
        try:
            parts, got = [], 0
            while got < size and (chunk := stream.read(size - got)):
                parts.append(chunk)
                got += len(chunk)
        except DAMAGE as err:
            raise damaged(path, kind, err) from None
    return b"".join(parts)


def decompressed_tail(path: Path, kind: str, size: int) -> tuple[int, bytes]:
    """How many bytes ``path`` holds decompressed, and its last ``size`` (or fewer) of them:
    one pass over the whole file, holding two chunks at most, which checks it is whole."""
    tail, total = b"", 0
    with open_decompressed(path, kind) as stream:
        try:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                tail = (tail + chunk)[-size:]
        except DAMAGE as err:
            raise damaged(path, kind, err) from None
    return total, tail


def exceeds(path: Path, kind: str, *, size: int, lines: int) -> bool:
    """Whether ``path`` holds more than ``size`` bytes or ``lines`` lines once decompressed:
    counted in one pass that stops as soon as it knows (False for a damaged file, whose
    reader says what is wrong with it)."""
    total = newlines = 0
    try:
        with open_decompressed(path, kind) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                newlines += chunk.count(b"\n")
                if total > size or newlines > lines:
                    return True
    except (DataError, *DAMAGE):
        return False
    return False


def refuse_inner(path: Path, head: bytes) -> None:
    """Refuse what a compressed file holds when it is no CSV aad reads: a Parquet file
    compressed whole, or a file compressed twice."""
    if head.startswith(b"PAR1"):
        raise DataError(
            f"{path.name} holds a Parquet file compressed whole; Parquet compresses its columns itself: "
            "decompress the file and pass the .parquet"
        )
    inner = compression_of(head)
    if inner is not None:
        raise DataError(
            f"{path.name} is compressed twice (it holds a {LABELS[inner]} file); decompress it once and "
            "pass the result"
        )
