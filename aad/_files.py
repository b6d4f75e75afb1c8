"""Output files written whole or not at all: a temporary file beside the output, renamed over it.

The temporary file gets the mode the output would get from a plain ``open``: an existing
file's own mode, else ``0o666`` less the umask (``tempfile.mkstemp`` makes it ``0o600``, so
an export would be unreadable to the rest of a team's shared folder). A symbolic link is
written through to its target, and a file its owner made read-only is refused, as a shell's
``>`` would refuse it, instead of silently replaced.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
from pathlib import Path

__all__ = ["partial_beside", "partial_folder_beside", "writable_output"]

_UMASK_LOCK = threading.Lock()  # os.umask reads by writing: one thread at a time


def writable_output(output: Path) -> Path:
    """The file to write for ``output``: a symbolic link's target, else ``output``.

    Raises
    ------
    PermissionError
        When it is a file the user may not write, or one whose owner made it read-only (even
        for root, who may write anything): its message says how to go on.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "a.csv").write_text("x"); (folder / "link.csv").symlink_to(folder / "a.csv")
    1
    >>> writable_output(folder / "link.csv") == (folder / "a.csv").resolve()
    True
    """
    path = Path(os.path.realpath(output)) if output.is_symlink() else output
    if path.is_file() and not (os.access(path, os.W_OK) and path.stat().st_mode & stat.S_IWUSR):
        raise PermissionError(
            errno.EACCES, "it is read-only: make it writable (chmod u+w) or write to another path", str(path)
        )
    return path


def partial_beside(output: Path) -> tuple[int, Path]:
    """A new temporary file in ``output``'s folder, open for writing (its descriptor, its path),
    with the mode ``output`` has or would get. Rename it over ``output`` once written whole."""
    fd, partial = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent)
    try:
        os.fchmod(fd, _mode(output))
    except OSError:
        os.close(fd)
        Path(partial).unlink(missing_ok=True)
        raise
    return fd, Path(partial)


def partial_folder_beside(output: Path) -> Path:
    """A new temporary folder beside ``output`` (a folder to be), with the mode ``output`` has or
    would get. Fill it, then rename it over ``output``; on failure remove it."""
    partial = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent))
    try:
        partial.chmod(_mode(output, 0o777))
    except OSError:
        partial.rmdir()
        raise
    return partial


def _mode(output: Path, new: int = 0o666) -> int:
    """An existing file's permission bits, else those a new one gets: ``new`` (``0o666`` for a
    file, ``0o777`` for a folder) less the umask."""
    try:
        return stat.S_IMODE(output.stat().st_mode)
    except FileNotFoundError:
        return new & ~_umask()


def _umask() -> int:
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask
