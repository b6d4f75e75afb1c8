"""SQLite persistence of labelling sessions: an append-only log per session.

One database file holds every session. The ``sessions`` table says how to rebuild a
session's model (dataset source and fingerprint, feature and ground-truth columns,
forest parameters, seed), how it queries (strategy, batch size, the batch on screen) and
what the analysts call it (a title and a description). The ``events`` table is the
session's history: every label, skip and undo is one *action* of one or more rows,
appended and committed before anything else changes (a redo is a copy of the action it gives
back, its ``via`` naming that action: see :data:`aad.session.REDO_VIA`). A label carries the anomaly's kind
(``account takeover``) and a note when the analyst gives them, and every action the
analyst who took it and where it came from (a card, a table, a labels file). Triggers
forbid updating an event, and deleting one unless an identical copy is in the archive:
deleting a session (:meth:`Store.archive`) moves its record and its log to the
``archived_sessions`` and ``archived_events`` tables, from which :meth:`Store.restore`
brings it back. Replaying the log (:func:`replay_labels`, :func:`replay`) gives the
labels in effect, with their kinds and notes.

The file runs in WAL mode with ``synchronous=FULL``: a committed action survives the
process being killed, and readers never block the writer. Nothing is pickled: rows are
plain SQL values and the parameters are JSON. Uploaded tables are stored next to the
database, named by the SHA-256 of their bytes, so a session on an upload can be resumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from .errors import AADError, DataError
from .labels import ANOMALY, UNLABELLED, label_name

__all__ = [
    "ADD_ROWS",
    "KINDS",
    "Action",
    "Addition",
    "ArchivedSession",
    "DatabaseError",
    "RowLabel",
    "SessionNotFoundError",
    "SessionRecord",
    "SessionSummary",
    "StaleVersionError",
    "Store",
    "default_db_path",
    "labels_csv",
    "labels_export",
    "replay",
    "replay_labels",
]

#: The kinds of action in the log: label rows, skip rows, bring skipped rows back, undo (a redo is
#: written as the action it gives back, so that every aad replays it).
KINDS = ("label", "skip", "unskip", "undo")
_SCHEMA_VERSION = 5
#: The action that appends rows to a session (schema 5): kept apart from the events, in ``additions``.
ADD_ROWS = "add_rows"
#: How long a write waits for another process holding the database.
_BUSY_SECONDS = 30.0
#: How long the file check waits for another process's checkpoint, seen half-way, to extend the
#: file to its header's page count (150-250 ms measured on a 300 MB database: helper-57's review).
_CHECKPOINT_SECONDS = 2.0
#: The tables aad makes: a database holding any other is another program's, never written to.
_AAD_TABLES = frozenset({"sessions", "events", "additions", "archived_sessions", "archived_events"})
#: The first bytes of every SQLite database file.
_SQLITE_MAGIC = b"SQLite format 3\x00"

_SESSION_COLUMNS_DDL = """
    id TEXT PRIMARY KEY,
    dataset TEXT NOT NULL,
    source TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    features TEXT NOT NULL,
    label_column TEXT,
    params TEXT NOT NULL,
    seed INTEGER NOT NULL,
    strategy TEXT NOT NULL,
    batch_size INTEGER NOT NULL,
    batch TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '[]',
    changed INTEGER NOT NULL DEFAULT 0,
    anomaly_value TEXT,
    working_set TEXT,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT ''"""
_EVENT_COLUMNS_DDL = """
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    action INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('label', 'skip', 'unskip', 'undo')),
    row INTEGER,
    label INTEGER CHECK (label IN (-1, 0, 1)),
    created_at TEXT NOT NULL,
    anomaly_kind TEXT,
    note TEXT,
    analyst TEXT,
    via TEXT"""
#: Every column of ``events`` (schema 4), in table order: what the archive copies.
_EVENT_COLUMNS = "session_id, seq, action, kind, row, label, created_at, anomaly_kind, note, analyst, via"
#: Every column of ``sessions`` (schema 4).
_SESSION_ALL = (
    "id, dataset, source, fingerprint, features, label_column, params, seed, strategy, batch_size, "
    "batch, created_at, updated_at, notes, changed, anomaly_value, working_set, title, description"
)
_SAME_EVENT = " AND ".join(f"a.{c} IS OLD.{c}" for c in _EVENT_COLUMNS.split(", "))

#: Schema 5: rows appended to a session (:class:`Addition`), numbered with its events.
_ADDITIONS_COLUMNS_DDL = """
    session_id TEXT NOT NULL,
    action INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    path TEXT NOT NULL,
    n_before INTEGER NOT NULL,
    n_rows INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    analyst TEXT,
    via TEXT"""

_LIVE_EVENTS_DDL = _EVENT_COLUMNS_DDL.replace("NOT NULL,", "NOT NULL REFERENCES sessions(id),", 1)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS sessions ({_SESSION_COLUMNS_DDL}
);
CREATE TABLE IF NOT EXISTS events ({_LIVE_EVENTS_DDL},
    PRIMARY KEY (session_id, seq)
);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TABLE IF NOT EXISTS additions ({_ADDITIONS_COLUMNS_DDL},
    PRIMARY KEY (session_id, action)
);
CREATE TRIGGER IF NOT EXISTS additions_append_only_update BEFORE UPDATE ON additions
BEGIN SELECT RAISE(ABORT, 'additions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS additions_append_only_delete BEFORE DELETE ON additions
BEGIN SELECT RAISE(ABORT, 'additions are append-only'); END;
"""
#: Created by the migration to schema 4, once the tables have every column (an old file's
#: ``events`` gains its columns there): the archive, and the delete triggers that check it.
_ARCHIVE = (
    f"CREATE TABLE IF NOT EXISTS archived_sessions ({_SESSION_COLUMNS_DDL},\n"
    "    archived_at TEXT NOT NULL,\n    archived_by TEXT\n)",
    f"CREATE TABLE IF NOT EXISTS archived_events ({_EVENT_COLUMNS_DDL},\n"
    "    PRIMARY KEY (session_id, seq)\n)",
    "DROP TRIGGER IF EXISTS events_append_only_delete",
    "CREATE TRIGGER IF NOT EXISTS events_delete_only_archived BEFORE DELETE ON events "
    f"WHEN NOT EXISTS (SELECT 1 FROM archived_events AS a WHERE {_SAME_EVENT}) "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: an event leaves the log only into the archive'); END",
    "CREATE TRIGGER IF NOT EXISTS sessions_delete_only_archived BEFORE DELETE ON sessions "
    "WHEN NOT EXISTS (SELECT 1 FROM archived_sessions AS a WHERE a.id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'a session leaves the database only into the archive'); END",
    "CREATE TRIGGER IF NOT EXISTS archived_events_no_update BEFORE UPDATE ON archived_events "
    "BEGIN SELECT RAISE(ABORT, 'the archive is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS archived_events_delete_only_restored BEFORE DELETE ON archived_events "
    f"WHEN NOT EXISTS (SELECT 1 FROM events AS a WHERE {_SAME_EVENT}) "
    "BEGIN SELECT RAISE(ABORT, 'the archive is append-only: an event leaves it only back into the log'); END",
    "CREATE TRIGGER IF NOT EXISTS archived_sessions_no_update BEFORE UPDATE ON archived_sessions "
    "BEGIN SELECT RAISE(ABORT, 'the archive is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS archived_sessions_delete_only_restored BEFORE DELETE ON archived_sessions "
    "WHEN NOT EXISTS (SELECT 1 FROM sessions AS a WHERE a.id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'the archive is append-only: a session leaves it only back into the "
    "database'); END",
)
#: The columns of ``sessions``, in :class:`SessionRecord` order (``notes`` came with version 2,
#: with ``changed``: a counter that orders sessions by their latest change, ties impossible).
_COLUMNS = (
    "id, dataset, source, fingerprint, features, label_column, params, seed, "
    "strategy, batch_size, batch, created_at, updated_at, notes, anomaly_value, working_set, title, "
    "description"
)
#: Longest anomaly kind, note, title and description, in characters.
MAX_KIND, MAX_NOTE, MAX_TITLE, MAX_DESCRIPTION = 80, 500, 120, 2000


_NEXT_CHANGE = "(SELECT COALESCE(MAX(changed), 0) + 1 FROM sessions)"


class SessionNotFoundError(AADError):
    """No session with the given id in the database."""


class DatabaseError(DataError):
    """The session database cannot be used as asked: damaged, full, read-only, or from a newer aad."""


#: SQLite's primary result codes this module names for people.
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_CANTOPEN, _SQLITE_FULL, _SQLITE_NOTADB = 8, 11, 14, 13, 26


def _not_saved(doing: str | None) -> str:
    """``the label was not saved``; ``the session's settings were not saved``; ``nothing was changed``."""
    if not doing:
        return "nothing was changed"
    return f"{doing} {'were' if doing.endswith(('settings', 'rows added')) else 'was'} not saved"


def _failure(path: Path, err: sqlite3.DatabaseError, doing: str | None) -> AADError:
    """One line naming what went wrong with the database at ``path``, and the repair."""
    code = (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF
    lost = _not_saved(doing)
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return DatabaseError(
            f"another program is writing to the session database {path} and kept it locked for "
            f"{_BUSY_SECONDS:g} seconds: {lost}; try again when it finishes, or close it (a sqlite3 "
            "shell or another aad holding a transaction open)"
        )
    if code == _SQLITE_FULL:
        return DatabaseError(
            f"disk full: {lost} ({path}: {err}); free some space on that disk and try again "
            "(the session and its labels so far are intact)"
        )
    if code == _SQLITE_READONLY:
        return DatabaseError(
            f"{path} is read-only: {lost}; make the file and its folder writable, or pass --db with a "
            "writable copy (listing and exporting work as it is)"
        )
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return DatabaseError(
            f"{path} is not an aad session database, or it is damaged (SQLite: {err}); if it was one, "
            f"recover what it holds with `sqlite3 {shlex.quote(str(path))} .recover | sqlite3 "
            "recovered.sqlite` and pass --db recovered.sqlite (keep the damaged file); otherwise pass the "
            "database `aad app` keeps its sessions in, or a new file name to start one"
        )
    return DatabaseError(f"the session database {path} failed: {lost} (SQLite: {err})")


class StaleVersionError(AADError):
    """A conditional append found newer actions in the log than the writer had seen."""


def default_db_path() -> Path:
    """Where sessions live: ``$AAD_DB``, else ``$XDG_DATA_HOME/aad/sessions.sqlite``.

    ``XDG_DATA_HOME`` defaults to ``~/.local/share``.

    Examples
    --------
    ``Store()`` opens this file. ``AAD_DB`` names another (``~`` is expanded), here set for the
    example and then restored:

    >>> saved = os.environ.pop("AAD_DB", None)
    >>> default_db_path().parts[-2:]
    ('aad', 'sessions.sqlite')
    >>> os.environ["AAD_DB"] = "~/cases/fraud.sqlite"
    >>> default_db_path() == Path.home() / "cases" / "fraud.sqlite"
    True
    >>> del os.environ["AAD_DB"]
    >>> if saved is not None:
    ...     os.environ["AAD_DB"] = saved
    """
    if os.environ.get("AAD_DB"):
        return Path(os.environ["AAD_DB"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "aad" / "sessions.sqlite"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class SessionRecord:
    """How to rebuild one session, and how it queries.

    Attributes
    ----------
    id : str
    dataset : str
        Display name of the data.
    source : str
        ``shipped:<name>`` or the path of the file the data was read from.
    fingerprint : str
        :attr:`aad.Dataset.fingerprint` of the data the model was fitted on.
    features : tuple of str
        The feature columns, in order.
    label_column : str or None
        The ground-truth column, if one was chosen.
    params : dict
        Forest parameters (``n_estimators``, ``max_samples``, ``eta``).
    seed : int
        ``random_state`` of the forest and of random query strategies.
    strategy : str
    batch_size : int
    batch : tuple of int
        The rows of the query batch last shown.
    created_at, updated_at : str
        ISO 8601 times, UTC.
    notes : tuple of str
        What the loader repaired or noticed in the data (missing values filled, constant
        columns), as it said when the session started.
    anomaly_value : str or None
        The value of a text ground-truth column that marks an anomaly (``fraud``), when
        its values are not anomaly/nominal, 1/0, true/false or yes/no.
    working_set : dict or None
        For a session on a table too big to label whole: what defines its working set (the
        table, its size and fingerprint, the seed, the uniform sample and the top rows; see
        :mod:`aad.scale.working_set`). None for a session on a whole table.
    """

    id: str
    dataset: str
    source: str
    fingerprint: str
    features: tuple[str, ...]
    label_column: str | None
    params: dict
    seed: int
    strategy: str
    batch_size: int
    batch: tuple[int, ...]
    created_at: str
    updated_at: str
    notes: tuple[str, ...] = ()
    anomaly_value: str | None = None
    working_set: dict | None = None
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class Action:
    """One entry of the log: ``kind`` applied to ``rows`` (with ``labels`` for a label).

    ``number`` counts actions from 1; it is the model version after the action.

    A label action gives, for each of its rows, the new label (1 anomaly, 0 nominal, -1 the
    label removed; None when only the row's kind or note changes) and the row's anomaly
    kind and note after the action (None: none). ``analyst`` names who took the action,
    ``via`` where (``card``, ``table``, ``explore``, ``file NAME``); None when not recorded
    (actions stored before aad recorded them).
    """

    number: int
    kind: str
    rows: tuple[int, ...]
    labels: tuple[int | None, ...]
    created_at: str
    last_seq: int
    anomaly_kinds: tuple[str | None, ...] = ()
    notes: tuple[str | None, ...] = ()
    analyst: str | None = None
    via: str | None = None
    addition: Addition | None = None

    def cells(self) -> list[tuple[int, int | None, str | None, str | None]]:
        """``(row, label, anomaly kind, note)`` for each row of a label action."""
        n = len(self.rows)
        kinds = self.anomaly_kinds or (None,) * n
        notes = self.notes or (None,) * n
        return list(zip(self.rows, self.labels or (None,) * n, kinds, notes, strict=True))


@dataclass(frozen=True)
class Addition:
    """Rows appended to a session (an ``add_rows`` action, schema 5).

    ``path`` is the kept copy of the table they came from (:meth:`Store.keep_file`); the rows
    are those of it the session did not hold when it had ``n_before`` rows (recognised by
    content, :func:`aad.stream.growth.unseen_rows`); ``content_hash`` is their
    :func:`aad.stream.growth.content_hash`, checked when the log is replayed.
    """

    content_hash: str
    path: str
    n_before: int
    n_rows: int


@dataclass(frozen=True)
class RowLabel:
    """A row's label in effect, with its anomaly kind and note, and the action that set it."""

    label: int
    kind: str | None = None
    note: str | None = None
    analyst: str | None = None
    action: int = 0
    created_at: str = ""


@dataclass(frozen=True)
class ArchivedSession:
    """A deleted session, kept in the archive with its whole log (:meth:`Store.restore` brings it back)."""

    id: str
    dataset: str
    title: str
    n_labels: int
    n_actions: int
    created_at: str
    archived_at: str
    archived_by: str | None


@dataclass(frozen=True)
class SessionSummary:
    """A line of the session list."""

    id: str
    dataset: str
    source: str
    seed: int
    strategy: str
    n_labels: int
    n_anomalies: int
    n_actions: int
    created_at: str
    updated_at: str
    features: tuple[str, ...] = ()
    label_column: str | None = None
    title: str = ""
    description: str = ""
    analysts: tuple[str, ...] = ()
    fingerprint: str = ""

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return asdict(self) | {"features": list(self.features), "analysts": list(self.analysts)}


def _identity(path: str) -> tuple[int, int] | None:
    """``(st_dev, st_ino)`` of the file at ``path`` (None when there is none)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _held_descriptor(identity: tuple[int, int]) -> int | None:
    """A descriptor this process already holds on the file ``identity``: SQLite's own (Linux's
    ``/proc/self/fd``; None elsewhere, or when there is none).

    The header is read through it, never through a descriptor opened for the purpose: closing any
    descriptor of a file drops every POSIX lock the process holds on it, SQLite's included (SQLite's
    *How To Corrupt An SQLite Database File*, 2.2). Another process then took the workbench's
    database for unused, checkpointed it and removed its WAL index, and the workbench read the
    file without the sessions written since (the browser tests: "there is no session ...").
    """
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for name in names:
        try:
            st = os.fstat(int(name))
        except (OSError, ValueError):
            continue
        if (st.st_dev, st.st_ino) == identity:
            return int(name)
    return None


def _what_became(path: str, identity: tuple[int, int], least: int) -> tuple[str | None, int]:
    """What happened to the database file ``identity`` that ``path`` named (None: still it, a
    SQLite database no shorter than the ``least`` bytes it was seen to hold), and its size now.

    The header is read when this process holds the file open, as SQLite does
    (:func:`_held_descriptor`). A file shorter than it was is a truncation (SQLite in WAL mode
    only grows a database); so is one shorter than its header's page count, unless another
    process's checkpoint is half-way: it writes the larger count before it extends the file, for
    150-250 ms (helper-57's review), which :meth:`Store._check_file` waits out.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "it is gone", 0
    except OSError as err:
        return f"it cannot be looked at: {err.strerror}", 0
    if (st.st_dev, st.st_ino) != identity:
        return "another file now has its name", st.st_size
    if st.st_size < least:
        return f"it was truncated: {st.st_size:,} bytes of the {least:,} it held", st.st_size
    held = _held_descriptor(identity)
    if held is None:
        return None, st.st_size
    try:
        header = os.pread(held, 100, 0)
    except OSError as err:
        return f"it cannot be read: {err.strerror}", st.st_size
    if 0 < len(header) < 100:
        return f"it was truncated to {st.st_size:,} bytes", st.st_size
    if header and not header.startswith(_SQLITE_MAGIC):
        return "it was overwritten: it is no SQLite database any more", st.st_size
    page = int.from_bytes(header[16:18], "big")
    pages = int.from_bytes(header[28:32], "big") * (65536 if page == 1 else page)
    if header[24:28] == header[92:96] and st.st_size < pages:  # or another process's checkpoint, half-way
        return f"it was truncated: {st.st_size:,} bytes of the {pages:,} it held", st.st_size
    return None, st.st_size


class Store:
    """The session database.

    Parameters
    ----------
    path : str or path, optional
        SQLite file (created with its folder when missing); :func:`default_db_path` by default.

    Examples
    --------
    >>> import tempfile
    >>> store = Store(Path(tempfile.mkdtemp()) / "s.sqlite")
    >>> rec = store.create_session(dataset="toy2", source="shipped:toy2", fingerprint="f",
    ...                            features=("x", "y"), label_column=None, params={}, seed=0)
    >>> store.append(rec.id, "label", [4, 9], [1, 0]).number
    1
    >>> store.append(rec.id, "undo").number, store.labels(rec.id)
    (2, {})
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        if self.path.is_dir():  # before SQLite's "unable to open database file"
            raise DatabaseError(
                f"the session database {self.path} is a folder; pass the database file (a .sqlite file), "
                f"such as {self.path / 'sessions.sqlite'}"
            )
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        #: The file opened (``st_dev``, ``st_ino``), and its absolute path: every write checks that
        #: the path still names it, a database (:meth:`_check_file`).
        self._where = os.path.abspath(self.path)
        self._identity: tuple[int, int] | None = None
        #: The most bytes the file was seen to hold: a shorter file was truncated under us.
        self._least = 0
        #: The sessions :meth:`summaries` last left out as unreadable: id -> what was wrong.
        self.damaged: dict[str, str] = {}
        #: Opened read-only (the file or its folder cannot be written): sessions can be listed and
        #: exported, and every write is refused with a message.
        self.read_only = False
        if self.path.is_file() and not _writable(self.path):
            self._open_read_only()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect():
                _initialise(self._conn, self.path)
                self._identity = _identity(self._where)
        except DatabaseError as err:
            self.close()
            if "read-only" not in str(err) or not self.path.is_file():
                raise
            self._open_read_only()  # the permissions said writable (root), the file system did not

    def _open_read_only(self) -> None:
        """Open for reading only: the file as it is, or, when SQLite cannot keep its shared-memory
        file beside it (a read-only folder), as an immutable file."""
        self.close()
        self.read_only = True
        for mode in ("ro", "ro&immutable=1"):
            try:
                uri = f"file:{quote(str(self.path.resolve()))}?mode={mode}"
                self._conn = sqlite3.connect(uri, uri=True, timeout=_BUSY_SECONDS, check_same_thread=False)
                _check_version(self._conn, self.path)
                _check_ours(self._conn, self.path)
                self._conn.execute("SELECT 1 FROM sessions LIMIT 1").fetchall()
                _read_older_schema(self._conn)
                return
            except sqlite3.DatabaseError as err:
                self.close()
                code = (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF
                if code == _SQLITE_CANTOPEN and mode == "ro":
                    continue
                raise _failure(self.path, err, None) from err

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def __getstate__(self) -> dict:
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    def close(self) -> None:
        """Close the connection (the next call opens a new one)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _connect(self, doing: str | None = None) -> Iterator[sqlite3.Connection]:
        """The connection; a SQLite failure inside becomes a :class:`DatabaseError` saying what
        ``doing`` (``"the label"``) lost and how to repair it."""
        # One connection per store, shared by threads under a lock: opening and closing a
        # connection per call would checkpoint the WAL on every close.
        with self._lock:
            if doing is not None and self.read_only:
                raise DatabaseError(
                    f"{self.path} is read-only: {_not_saved(doing)}; make the file and its folder "
                    "writable, or pass --db with a writable copy (listing and exporting work as it is)"
                )
            try:
                if self._conn is None:
                    conn = sqlite3.connect(
                        self.path, timeout=_BUSY_SECONDS, isolation_level=None, check_same_thread=False
                    )
                    self._conn = conn
                    conn.execute("PRAGMA synchronous=FULL")
                    conn.execute("PRAGMA foreign_keys=ON")
                if doing is not None:
                    self._check_file(doing)  # never write into a file that replaced ours
                yield self._conn
            except sqlite3.DatabaseError as err:
                raise _failure(self.path, err, doing) from err
            if doing is not None:
                self._check_file(doing)  # nor confirm a write the file lost while it was made

    def _check_file(self, doing: str) -> None:
        """Refuse to confirm a write when the path no longer names the database file opened: it
        was deleted, another file was renamed onto it, or it was overwritten or truncated in place
        (the connection would go on writing to a file no one will open again, or into the wreck).

        A ``stat`` and a read of the file's first 100 bytes: a few microseconds a write.
        """
        if self._identity is None:
            return
        deadline = time.monotonic() + _CHECKPOINT_SECONDS
        while True:
            what, size = _what_became(self._where, self._identity, self._least)
            checkpoint = what is not None and what.startswith("it was truncated") and size >= self._least
            if not checkpoint or time.monotonic() > deadline:  # a checkpoint half-way: wait it out
                break
            time.sleep(0.02)
        self._least = max(self._least, size)
        if what is None:
            return
        raise DatabaseError(
            f"the session database {self.path} was deleted or replaced while the workbench ran ({what}); "
            f"{_not_saved(doing)}: restart the workbench (it will make or reopen {self.path}), or restore "
            "the file from a backup. What this workbench still shows may be read out first: export the "
            "labels or download the session on the Sessions page"
        )

    # ------------------------------------------------------------------ sessions

    def create_session(
        self,
        *,
        dataset: str,
        source: str,
        fingerprint: str,
        features: Sequence[str],
        label_column: str | None,
        params: dict,
        seed: int,
        strategy: str = "top",
        batch_size: int = 1,
        notes: Sequence[str] = (),
        anomaly_value: str | None = None,
        working_set: dict | None = None,
        title: str = "",
        description: str = "",
    ) -> SessionRecord:
        """Insert a new session and return its record (with a fresh id)."""
        title, description = _checked_title(title), _checked_description(description)
        now = _now()
        record = SessionRecord(
            id=uuid.uuid4().hex[:12],
            dataset=dataset,
            source=source,
            fingerprint=fingerprint,
            features=tuple(features),
            label_column=label_column,
            params=dict(params),
            seed=int(seed),
            strategy=strategy,
            batch_size=int(batch_size),
            batch=(),
            created_at=now,
            updated_at=now,
            notes=tuple(str(note) for note in notes),
            anomaly_value=anomaly_value,
            working_set=None if working_set is None else dict(working_set),
            title=title,
            description=description,
        )
        with self._connect("the new session") as conn:
            conn.execute(
                f"INSERT INTO sessions ({_COLUMNS}, changed) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {_NEXT_CHANGE})",
                _record_values(record),
            )
        return record

    def insert_session(self, record: SessionRecord, actions: Sequence[Action]) -> SessionRecord:
        """Write a whole session, its record and its log as they were elsewhere, in one transaction
        (:func:`aad.transfer.load_session`): each action keeps its number, time, analyst and source,
        checked as :meth:`append` and :meth:`append_rows` check a new one. Returns the record as
        stored (the session is the one changed last).

        Raises
        ------
        AADError
            When a session with ``record.id`` is in the database or its archive, or an action is
            malformed (numbers not increasing from 1, an unknown kind, a kind or note too long);
            nothing is written.
        """
        rows, added = _log_rows(record.id, actions)
        with self._connect("the session loaded") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for table, what in (("sessions", "database"), ("archived_sessions", "database's archive")):
                    if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (record.id,)).fetchone():
                        raise AADError(
                            f"a session {record.id} is already in the {what} ({self.path}); load it as a "
                            "new session (a new id), or into another database"
                        )
                conn.execute(
                    f"INSERT INTO sessions ({_COLUMNS}, changed) "
                    f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {_NEXT_CHANGE})",
                    _record_values(record),
                )
                conn.executemany(
                    f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({', '.join('?' * 11)})", rows
                )
                conn.executemany(
                    "INSERT INTO additions (session_id, action, content_hash, path, n_before, n_rows, "
                    "created_at, analyst, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    added,
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return self.get(record.id)

    def get(self, session_id: str) -> SessionRecord:
        """The record of ``session_id``.

        Raises
        ------
        SessionNotFoundError
        """
        with self._connect() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise SessionNotFoundError(
                f"there is no session {session_id!r} in {self.path}; "
                "list the sessions with `aad sessions list`, or start a new one"
            )
        return _record(row)

    def update(
        self,
        session_id: str,
        *,
        strategy: str | None = None,
        batch_size: int | None = None,
        batch: Iterable[int] | None = None,
        title: str | None = None,
        description: str | None = None,
    ) -> None:
        """Change how a session queries (its settings, or the batch on screen), or its title
        and description.

        Raises
        ------
        SessionNotFoundError
            For a title or description of a session that is not in the database (archived).
        AADError
            For a title or description over :data:`MAX_TITLE` / :data:`MAX_DESCRIPTION` characters.
        """
        sets, values = [], []
        if title is not None or description is not None:
            self.get(session_id)
        if title is not None:
            sets.append("title = ?")
            values.append(_checked_title(title))
        if description is not None:
            sets.append("description = ?")
            values.append(_checked_description(description))
        for column, value in (("strategy", strategy), ("batch_size", batch_size)):
            if value is not None:
                sets.append(f"{column} = ?")
                values.append(value)
        if sets:  # a title or a description alone is no work on the labels: it does not make the
            # session the one "changed last", which `aad app DATA` resumes (a rename made it so)
            labelling = strategy is not None or batch_size is not None
            sets.append(f"updated_at = ?, changed = {_NEXT_CHANGE}" if labelling else "updated_at = ?")
            values.append(_now())
        if batch is not None:
            sets.append("batch = ?")
            values.append(json.dumps([int(r) for r in batch]))
        if sets:
            with self._connect("the session's settings") as conn:
                conn.execute(f"UPDATE sessions SET {', '.join(sets)} WHERE id = ?", (*values, session_id))

    # ------------------------------------------------------------------ the log

    def append(
        self,
        session_id: str,
        kind: str,
        rows: Sequence[int] = (),
        labels: Sequence[int | None] | None = None,
        *,
        after: int | None = None,
        anomaly_kinds: Sequence[str | None] | None = None,
        notes: Sequence[str | None] | None = None,
        analyst: str | None = None,
        via: str | None = None,
    ) -> Action:
        """Append one action and commit it; returns it (its ``number`` is the new version).

        With ``after``, the action is written only if the latest action of the session is
        number ``after`` (the version the writer has seen), in the same transaction: a
        compare-and-append that lets a writer check the rows it acts on first.

        A label action may give each row's anomaly kind and note after it (``anomaly_kinds``,
        ``notes``: one per row, None for none) and, as a row's label, None: the row keeps its
        label and only its kind and note change. ``analyst`` and ``via`` say who took the
        action and where (a card, a table, a labels file).

        Raises
        ------
        StaleVersionError
            When ``after`` is given and another writer has appended since; nothing is written.
        AADError
            For an unknown kind, labels that do not match the rows, a kind or note too long.
        """
        rows = [int(r) for r in rows]
        _check_action(kind, rows, labels)
        n = len(rows)
        kinds = _per_row(anomaly_kinds, n, "anomaly kinds", kind, MAX_KIND)
        texts = _per_row(notes, n, "notes", kind, MAX_NOTE)
        analyst = _short(analyst, "analyst name", 200)
        via = _short(via, "action source", 300)
        marks = [None] * n if labels is None else [None if lab is None else int(lab) for lab in labels]
        cells = list(zip(rows, marks, kinds, texts, strict=True)) or [(None, None, None, None)]
        now = _now()
        with self._connect(f"the {kind}") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                number, seq = self._next_numbers(conn, session_id)
                _check_after(session_id, number, after)
                conn.executemany(
                    f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (session_id, seq + i, number, kind, r, lab, now, tag, note, analyst, via)
                        for i, (r, lab, tag, note) in enumerate(cells)
                    ],
                )
                touch = f"UPDATE sessions SET updated_at = ?, changed = {_NEXT_CHANGE} WHERE id = ?"
                conn.execute(touch, (now, session_id))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        label_action = kind == "label"
        return Action(
            number,
            kind,
            tuple(rows),
            tuple(marks) if label_action else (),
            now,
            seq + len(cells) - 1,
            tuple(kinds) if label_action else (),
            tuple(texts) if label_action else (),
            analyst,
            via,
        )

    def _next_numbers(self, conn: sqlite3.Connection, session_id: str) -> tuple[int, int]:
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
            raise SessionNotFoundError(f"there is no session {session_id!r} in {self.path}")
        number, seq = conn.execute(
            "SELECT COALESCE(MAX(action), 0) + 1, COALESCE(MAX(seq), 0) + 1 FROM events WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        (added,) = conn.execute(
            "SELECT COALESCE(MAX(action), 0) + 1 FROM additions WHERE session_id = ?", (session_id,)
        ).fetchone()
        return max(int(number), int(added)), int(seq)

    def append_rows(
        self,
        session_id: str,
        addition: Addition,
        *,
        after: int | None = None,
        analyst: str | None = None,
        via: str | None = None,
    ) -> Action:
        """Append an ``add_rows`` action and commit it (``after``: as in :meth:`append`).

        Raises
        ------
        StaleVersionError
            When ``after`` is given and another writer has appended since; nothing is written.
        """
        analyst = _short(analyst, "analyst name", 200)
        via = _short(via, "action source", 300)
        if addition.n_rows < 1 or addition.n_before < 0 or len(addition.content_hash) != 64:
            raise AADError(f"an addition needs at least one row and a SHA-256 content hash; got {addition}")
        now = _now()
        with self._connect("the rows added") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                number, seq = self._next_numbers(conn, session_id)
                _check_after(session_id, number, after)
                conn.execute(
                    "INSERT INTO additions (session_id, action, content_hash, path, n_before, n_rows, "
                    "created_at, analyst, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        number,
                        addition.content_hash,
                        addition.path,
                        addition.n_before,
                        addition.n_rows,
                        now,
                        analyst,
                        via,
                    ),
                )
                touch = f"UPDATE sessions SET updated_at = ?, changed = {_NEXT_CHANGE} WHERE id = ?"
                conn.execute(touch, (now, session_id))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return Action(number, ADD_ROWS, (), (), now, seq - 1, analyst=analyst, via=via, addition=addition)

    def actions(self, session_id: str, *, after: int = 0, archived: bool = False) -> list[Action]:
        """The actions numbered above ``after``, oldest first (``archived``: of an archived session)."""
        table = "archived_events" if archived else "events"
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT action, kind, seq, row, label, created_at, anomaly_kind, note, analyst, via "
                f"FROM {table} WHERE session_id = ? AND action > ? ORDER BY seq",
                (session_id, after),
            ).fetchall()
        grouped: dict[int, list] = {}
        kinds: dict[int, str] = {}
        for number, kind, seq, row, label, created, *extra in rows:
            if kind not in KINDS or label not in (None, -1, 0, 1):
                what = f"an action of kind {kind!r}" if kind not in KINDS else f"a label {label!r}"
                raise DatabaseError(
                    f"session {session_id}'s log in {self.path} holds {what} (action {number}), which this "
                    "aad does not know (a newer aad wrote it?); open it with the aad that wrote it. "
                    "Nothing was replayed or changed"
                )
            grouped.setdefault(number, []).append((seq, row, label, created, *extra))
            kinds[number] = kind
        out = [_action(number, kinds[number], cells) for number, cells in grouped.items()]
        return sorted(out + self._additions(session_id, after), key=lambda a: a.number)

    def _additions(self, session_id: str, after: int) -> list[Action]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT action, content_hash, path, n_before, n_rows, created_at, analyst, via "
                "FROM additions WHERE session_id = ? AND action > ? ORDER BY action",
                (session_id, after),
            ).fetchall()
        return [
            Action(
                int(number),
                ADD_ROWS,
                (),
                (),
                created,
                0,
                analyst=analyst,
                via=via,
                addition=Addition(digest, path, int(before), int(n)),
            )
            for number, digest, path, before, n, created, analyst, via in rows
        ]

    def labels(self, session_id: str) -> dict[int, int]:
        """The labels in effect after replaying the log: row -> 1 (anomaly) or 0 (nominal)."""
        self.get(session_id)
        return replay_labels(self.actions(session_id))

    def latest(self, *, fingerprint: str) -> str | None:
        """The id of the most recently changed session on data with this fingerprint, if any."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT id FROM sessions WHERE fingerprint = ? "
                "ORDER BY changed DESC, updated_at DESC LIMIT 1",
                (fingerprint,),
            ).fetchone()
        return None if row is None else row[0]

    def latest_on_table(self, table: str, stamp: str) -> str | None:
        """The most recently changed session on a working set of ``table`` whose files were as
        ``stamp`` says (see :mod:`aad.scale.working_set`), if any."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, working_set FROM sessions WHERE working_set IS NOT NULL "
                "ORDER BY changed DESC, updated_at DESC"
            ).fetchall()
        for sid, text in rows:
            spec = json.loads(text)
            if spec.get("table") == table and spec.get("stamp") == stamp:
                return sid
        return None

    def summaries(self, *, fingerprint: str | None = None) -> list[SessionSummary]:
        """Every session (on data with ``fingerprint``, if given), most recently changed first,
        with its label counts and the analysts who acted on it. A session whose record or log
        cannot be read (a damaged or forged row) is left out, and :attr:`damaged` names it and why,
        so that one bad row does not hide the others."""
        where, args = ("WHERE fingerprint = ? ", (fingerprint,)) if fingerprint is not None else ("", ())
        with self._connect() as conn:
            order = "ORDER BY changed DESC, updated_at DESC, id"
            newest_first = f"SELECT {_COLUMNS}, fingerprint FROM sessions {where}{order}"
            rows = conn.execute(newest_first, args).fetchall()
        out, self.damaged = [], {}
        for row in rows:
            try:
                out.append(self._summary(row))
            except (
                ValueError,
                TypeError,
                OverflowError,
                KeyError,
                IndexError,
            ) as err:  # a forged or broken row
                self.damaged[str(row[0])] = f"{type(err).__name__}: {str(err)[:120]}"
        return out

    def _summary(self, row: tuple) -> SessionSummary:
        record = _record(row[:-1])
        actions = self.actions(record.id)
        labels = replay_labels(actions)
        return SessionSummary(
            id=record.id,
            dataset=record.dataset,
            source=record.source,
            seed=record.seed,
            strategy=record.strategy,
            n_labels=len(labels),
            n_anomalies=sum(v == ANOMALY for v in labels.values()),
            n_actions=len(actions),
            created_at=record.created_at,
            updated_at=record.updated_at,
            features=record.features,
            label_column=record.label_column,
            title=record.title,
            description=record.description,
            analysts=tuple(dict.fromkeys(a.analyst for a in actions if a.analyst)),
            fingerprint=record.fingerprint,
        )

    # ------------------------------------------------------------------ the archive

    def archive(self, session_id: str, *, by: str | None = None) -> int:
        """Delete a session from the list: its record and its whole log move to the archive.

        In one transaction: the copies are written first, and the triggers let a row leave the
        live tables only when its identical copy is in the archive, so nothing is lost on the
        way. :meth:`restore` brings the session back. Returns the number of actions archived.

        Raises
        ------
        SessionNotFoundError
        """
        self.get(session_id)
        by = _short(by, "analyst name", 200)
        with self._connect("the deletion") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("SELECT 1 FROM archived_sessions WHERE id = ?", (session_id,)).fetchone():
                    raise AADError(  # ids are random: only a restored session whose copy was kept
                        f"session {session_id} is already in the archive; restore it first"
                    )
                conn.execute(
                    f"INSERT INTO archived_events ({_EVENT_COLUMNS}) "
                    f"SELECT {_EVENT_COLUMNS} FROM events WHERE session_id = ?",
                    (session_id,),
                )
                conn.execute(
                    f"INSERT INTO archived_sessions ({_SESSION_ALL}, archived_at, archived_by) "
                    f"SELECT {_SESSION_ALL}, ?, ? FROM sessions WHERE id = ?",
                    (_now(), by, session_id),
                )
                n = conn.execute(
                    "SELECT COUNT(DISTINCT action) FROM events WHERE session_id = ?", (session_id,)
                ).fetchone()[0]
                conn.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
                conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return int(n)

    def restore(self, session_id: str) -> SessionRecord:
        """Bring an archived session back into the list, with its whole log; returns its record.

        Raises
        ------
        SessionNotFoundError
            When the archive holds no session ``session_id``.
        """
        with self._connect("the restore") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if not conn.execute("SELECT 1 FROM archived_sessions WHERE id = ?", (session_id,)).fetchone():
                    raise SessionNotFoundError(
                        f"there is no deleted session {session_id!r} in the archive of {self.path}; "
                        "`aad sessions list --deleted` lists them"
                    )
                conn.execute(
                    f"INSERT INTO sessions ({_SESSION_ALL}) SELECT {_SESSION_ALL} FROM archived_sessions "
                    "WHERE id = ?",
                    (session_id,),
                )
                conn.execute(f"UPDATE sessions SET changed = {_NEXT_CHANGE} WHERE id = ?", (session_id,))
                conn.execute(
                    f"INSERT INTO events ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS} FROM archived_events "
                    "WHERE session_id = ?",
                    (session_id,),
                )
                conn.execute("DELETE FROM archived_events WHERE session_id = ?", (session_id,))
                conn.execute("DELETE FROM archived_sessions WHERE id = ?", (session_id,))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return self.get(session_id)

    def archived(self) -> list[ArchivedSession]:
        """The deleted sessions, most recently deleted first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, dataset, title, created_at, archived_at, archived_by FROM archived_sessions "
                "ORDER BY archived_at DESC, id"
            ).fetchall()
        out = []
        for sid, dataset, title, created_at, archived_at, archived_by in rows:
            actions = self.actions(sid, archived=True)
            out.append(
                ArchivedSession(
                    id=sid,
                    dataset=dataset,
                    title=title,
                    n_labels=len(replay_labels(actions)),
                    n_actions=len(actions),
                    created_at=created_at,
                    archived_at=archived_at,
                    archived_by=archived_by,
                )
            )
        return out

    # ------------------------------------------------------------------ uploads

    @property
    def uploads_dir(self) -> Path:
        """Folder of uploaded tables, next to the database (an absolute path: a session records its
        tables by their paths, which must hold from any working directory)."""
        return self.path.parent.resolve() / "uploads"

    def save_upload(self, data: bytes, suffix: str) -> Path:
        """Keep an uploaded table on disk, named by the SHA-256 of its bytes; returns its path."""
        path = self.uploads_dir / f"{hashlib.sha256(data).hexdigest()}{_table_suffix(suffix)}"
        if not path.exists():
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + ".part")
            partial.write_bytes(data)
            partial.replace(path)
        return path

    def keep_file(self, source: str | os.PathLike) -> Path:
        """Keep a copy of a table file, as :meth:`save_upload` does, streamed; returns its path.

        A session started on the copy can be reopened after the file is overwritten (the next
        day's export of the same table), as a session on an upload can.
        """
        source = Path(source)
        with source.open("rb") as read:
            return self.keep_stream(read, source.suffix)

    def keep_stream(self, read, suffix: str) -> Path:
        """Keep the bytes of the binary file object ``read`` as :meth:`keep_file` keeps a file's.

        When the uploads folder cannot be written (a read-only file system, a full disk), the copy
        kept before is used if there is one (a labelled session reopens read-only); otherwise a
        :class:`DatabaseError` says why no copy was made.
        """
        digest = hashlib.sha256()
        chunks = iter(lambda: read.read(1 << 20), b"")
        partial = self.uploads_dir / f"{uuid.uuid4().hex}.part"
        try:
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            try:
                with partial.open("wb") as write:
                    for chunk in chunks:
                        digest.update(chunk)
                        write.write(chunk)
                path = self.uploads_dir / f"{digest.hexdigest()}{_table_suffix(suffix)}"
                if not path.exists():
                    partial.replace(path)
            finally:
                partial.unlink(missing_ok=True)
        except OSError as err:
            for chunk in chunks:  # the rest of the bytes: the copy kept before is named by them all
                digest.update(chunk)
            path = self.uploads_dir / f"{digest.hexdigest()}{_table_suffix(suffix)}"
            if path.is_file():
                return path
            raise DatabaseError(
                f"the copy of the table aad keeps beside the session database cannot be written in "
                f"{self.uploads_dir} ({err.strerror or err}): no session can be started on it there; "
                "make that folder writable (or free some space), or pass --db with a database on a "
                "writable disk. Sessions kept there can still be opened and exported"
            ) from err
        return path


def _table_suffix(suffix: str) -> str:
    return suffix.lower() if suffix.lower() in (".csv", ".parquet", ".pq", ".txt", ".tsv") else ".csv"


def replay_labels(actions: Iterable[Action]) -> dict[int, int]:
    """The labels in effect after ``actions``: an undo reverts the latest action not yet undone.

    Examples
    --------
    >>> acts = [Action(1, "label", (3,), (1,), "", 1), Action(2, "skip", (5,), (), "", 2),
    ...         Action(3, "label", (4,), (0,), "", 3), Action(4, "undo", (), (), "", 4)]
    >>> replay_labels(acts)
    {3: 1}
    """
    return {row: state.label for row, state in replay(actions).items()}


def replay(actions: Iterable[Action]) -> dict[int, RowLabel]:
    """Each labelled row's label in effect after ``actions``, with its kind, note, the analyst
    and the action that set them; an undo reverts the latest action not yet undone.

    Examples
    --------
    >>> acts = [Action(1, "label", (3, 4), (1, 0), "t1", 1, ("fraud", None), (None, "ok"), "ann"),
    ...         Action(2, "label", (3,), (None,), "t2", 2, ("takeover",), ("seen",), "bob"),
    ...         Action(3, "undo", (), (), "t3", 3)]
    >>> replay(acts)[3]
    RowLabel(label=1, kind='fraud', note=None, analyst='ann', action=1, created_at='t1')
    >>> replay(acts[:2])[3].kind, replay(acts[:2])[4].note
    ('takeover', 'ok')
    """
    states: dict[int, RowLabel] = {}
    undo: list[dict[int, RowLabel | None]] = []
    for action in actions:
        if action.kind == ADD_ROWS:  # rows appended: outside the undo history, no label changed
            continue
        if action.kind == "undo":
            for row, previous in (undo.pop() if undo else {}).items():
                if previous is None:
                    states.pop(row, None)
                else:
                    states[row] = previous
            continue
        previous: dict[int, RowLabel | None] = {}
        if action.kind == "label":
            for row, label, kind, note in action.cells():
                current = states.get(row)
                previous.setdefault(row, current)
                state = next_row_label(current, label, kind, note, action)
                if state is None:
                    states.pop(row, None)
                else:
                    states[row] = state
        undo.append(previous)
    return states


def next_row_label(
    current: RowLabel | None, label: int | None, kind, note, action: Action
) -> RowLabel | None:
    """A row's state after one cell ``(label, kind, note)`` of a label action (None: unlabelled)."""
    if label is None:  # the kind or the note alone
        if current is None:
            return None
        label = current.label
    if label == UNLABELLED:
        return None
    return RowLabel(
        label=label,
        kind=kind if label == ANOMALY else None,
        note=note,
        analyst=action.analyst,
        action=action.number,
        created_at=action.created_at,
    )


#: The columns of a labels export, before the row's context columns.
EXPORT_COLUMNS = ("row", "label", "kind", "note", "analyst", "labelled_at")


def labels_export(states: dict[int, RowLabel]):
    """The labels in effect as a table for people and for ``aad rules --labels``: ``row``,
    ``label`` (anomaly/nominal), ``kind``, ``note``, ``analyst`` and ``labelled_at`` (UTC, the
    time of the action that last set the row's label, kind or note), by row.

    Examples
    --------
    >>> state = RowLabel(0, None, "ok", "ann", 2, "2024-01-01T10:00:00.000+00:00")
    >>> labels_export({7: state}).astype(str).iloc[0].tolist()
    ['7', 'nominal', '', 'ok', 'ann', '2024-01-01 10:00:00']
    """
    import pandas as pd  # the store needs no pandas otherwise

    rows = sorted(states)
    return pd.DataFrame(
        {
            "row": pd.Series(rows, dtype="int64"),
            "label": [label_name(states[r].label) for r in rows],
            "kind": [states[r].kind or "" for r in rows],
            "note": [states[r].note or "" for r in rows],
            "analyst": [states[r].analyst or "" for r in rows],
            "labelled_at": [states[r].created_at[:19].replace("T", " ") for r in rows],
        },
        columns=list(EXPORT_COLUMNS),
    )


def labels_csv(labels: dict[int, int]) -> str:
    """The labels as CSV text with columns ``row`` and ``label`` (anomaly/nominal), by row.

    Examples
    --------
    >>> print(labels_csv({7: 0, 2: 1}), end="")
    row,label
    2,anomaly
    7,nominal
    """
    lines = ["row,label"] + [f"{row},{label_name(labels[row])}" for row in sorted(labels)]
    return "\n".join(lines) + "\n"


def _set(labels: dict[int, int], row: int, label: int) -> None:
    if label == UNLABELLED:
        labels.pop(row, None)
    else:
        labels[row] = label


def _check_action(kind: str, rows: list[int], labels: Sequence[int] | None) -> None:
    if kind not in KINDS:
        raise AADError(f"unknown action kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == "undo" and rows:
        raise AADError("an undo takes no rows: it reverts the latest action")
    if kind != "undo" and not rows:
        raise AADError(f"a {kind} action needs at least one row")
    if (kind == "label") != (labels is not None):
        raise AADError("labels go with label actions only, one per row")
    if labels is not None and len(labels) != len(rows):
        raise AADError(f"got {len(rows)} rows but {len(labels)} labels; give one label per row")


def _short(text: str | None, what: str, limit: int) -> str | None:
    """``text`` on one line, stripped (None when empty); over ``limit`` characters is refused."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    if len(text) > limit:
        raise AADError(f"the {what} is {len(text):,} characters long; keep it to {limit:,}")
    return text or None


def _per_row(values: Sequence[str | None] | None, n: int, what: str, kind: str, limit: int) -> list:
    """One anomaly kind or note per row of a label action (None for none)."""
    if values is None:
        return [None] * n
    if kind != "label":
        raise AADError(f"{what} go with label actions only, one per row")
    if len(values) != n:
        raise AADError(f"got {n} rows but {len(values)} {what}; give one per row (None for none)")
    return [_short(v, what[:-1] if what.endswith("s") else what, limit) for v in values]


def _checked_title(title: str) -> str:
    return _short(title, "session title", MAX_TITLE) or ""


def _checked_description(text: str) -> str:
    text = str(text).replace("\r\n", "\n").strip()
    if len(text) > MAX_DESCRIPTION:
        raise AADError(
            f"the session description is {len(text):,} characters long; keep it to {MAX_DESCRIPTION:,}"
        )
    return text


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _check_version(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a database from a newer aad (its schema version above ours): never downgrade it."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > _SCHEMA_VERSION:
        raise DatabaseError(
            f"{path} was written by a newer aad (session database schema {version}; this aad reads up "
            f"to {_SCHEMA_VERSION}); open it with that aad (upgrade this one), or pass another --db. "
            "It was not changed"
        )


#: The columns of ``sessions`` later versions added, as an older database that cannot be upgraded
#: (opened read-only) reads them: what :func:`_migrate` gives them.
_ADDED_COLUMNS = {
    "notes": "'[]'",  # version 2
    "changed": (  # version 2: sessions numbered by updated_at
        "(SELECT COUNT(*) FROM main.sessions AS s WHERE s.updated_at < o.updated_at "
        "OR (s.updated_at = o.updated_at AND s.id >= o.id))"
    ),
    "anomaly_value": "NULL",  # version 3
    "working_set": "NULL",  # version 4
    "title": "''",  # version 4
    "description": "''",  # version 4
}
#: The same for ``events``: each label's kind and note, each action's analyst and source.
_ADDED_EVENT_COLUMNS = ("anomaly_kind", "note", "analyst", "via")  # version 4


def _read_older_schema(conn: sqlite3.Connection) -> None:
    """Let a read-only connection to a database of an older schema read it as the current one:
    temporary views ``sessions`` and ``events`` (found before the file's own tables) add the
    missing columns, and an empty archive stands in for the one it has not."""
    present = [row[1] for row in conn.execute("PRAGMA main.table_info(sessions)")]
    missing = [name for name in _ADDED_COLUMNS if name not in present]
    if missing:
        quoted = ['o."' + name.replace('"', '""') + '"' for name in present]
        columns = quoted + [f"{_ADDED_COLUMNS[name]} AS {name}" for name in missing]
        conn.execute(f"CREATE TEMP VIEW sessions AS SELECT {', '.join(columns)} FROM main.sessions AS o")
    logged = [row[1] for row in conn.execute("PRAGMA main.table_info(events)")]
    if logged and any(name not in logged for name in _ADDED_EVENT_COLUMNS):
        columns = [f'o."{name}"' for name in logged] + [
            f"NULL AS {name}" for name in _ADDED_EVENT_COLUMNS if name not in logged
        ]
        conn.execute(f"CREATE TEMP VIEW events AS SELECT {', '.join(columns)} FROM main.events AS o")
    tables = {row[0] for row in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    if "archived_sessions" not in tables:
        conn.execute(
            f"CREATE TEMP TABLE archived_sessions ({_SESSION_COLUMNS_DDL},\n"
            "    archived_at TEXT NOT NULL,\n    archived_by TEXT\n)"
        )
        conn.execute(f"CREATE TEMP TABLE archived_events ({_EVENT_COLUMNS_DDL})")
    if "additions" not in tables:  # schema 5: no row was ever added
        conn.execute(f"CREATE TEMP TABLE additions ({_ADDITIONS_COLUMNS_DDL})")


def _check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse another program's SQLite database (one holding tables aad does not make): aad must
    not add its tables to it, nor switch it to WAL. An empty database is aad's to make."""
    names = conn.execute(
        "SELECT name FROM main.sqlite_master "
        "WHERE type IN ('table', 'view') AND substr(name, 1, 7) != 'sqlite_'"
    ).fetchall()
    foreign = sorted(name for (name,) in names if name not in _AAD_TABLES)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise DatabaseError(
            f"{path} is not an aad session database (it holds {shown}, which aad does not make); it was "
            "not changed. Name aad's session database with --db or $AAD_DB (a new file name starts one)"
        )


def _is_current(conn: sqlite3.Connection) -> bool:
    """The database is at this aad's schema, in WAL mode: opening it has nothing to write."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    return version == _SCHEMA_VERSION and conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _initialise(conn: sqlite3.Connection, path: Path) -> None:
    """WAL mode, the tables, the migrations: safe when several processes open one file at once.

    Switching to WAL needs the file to itself and SQLite reports a competitor at once, without
    waiting, so it is retried; the tables are created in one write transaction, which waits.
    A database from a newer aad is refused before anything is written to it.
    """
    _check_version(conn, path)
    _check_ours(conn, path)
    if _is_current(conn):  # nothing to write: opens on a full disk, or while another process writes
        return
    deadline = time.monotonic() + _BUSY_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    try:
        conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    _migrate(conn, path)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring a database written by an older version up to :data:`_SCHEMA_VERSION`.

    In one write transaction, so two processes opening an old file do not both migrate it.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        _check_version(conn, path)  # again, inside the transaction: a newer aad may have migrated it
        columns = {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
        if "notes" not in columns:  # version 1 had no repair notes
            conn.execute("ALTER TABLE sessions ADD COLUMN notes TEXT NOT NULL DEFAULT '[]'")
        if "changed" not in columns:  # nor a change counter: number the sessions by updated_at
            conn.execute("ALTER TABLE sessions ADD COLUMN changed INTEGER NOT NULL DEFAULT 0")
            conn.execute(
                "UPDATE sessions SET changed = (SELECT COUNT(*) FROM sessions AS s WHERE s.updated_at < "
                "sessions.updated_at OR (s.updated_at = sessions.updated_at AND s.id >= sessions.id))"
            )
        if "anomaly_value" not in columns:  # version 3: a text ground truth's anomaly value
            conn.execute("ALTER TABLE sessions ADD COLUMN anomaly_value TEXT")
        if "working_set" not in columns:  # version 4: sessions on a working set of a bigger table
            conn.execute("ALTER TABLE sessions ADD COLUMN working_set TEXT")
        _migrate_to_4(conn, columns)
        # Every append reads MAX(changed) and the session list sorts by it: an index keeps both
        # from scanning every session (created here, after the column exists in old files).
        conn.execute("CREATE INDEX IF NOT EXISTS sessions_by_change ON sessions(changed)")
        conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _migrate_to_4(conn: sqlite3.Connection, columns: set[str]) -> None:
    """Version 4 (besides the working set): a session's title and description; each label's kind
    and note, each action's analyst and source; the archive of deleted sessions. Adding a column
    rewrites no event."""
    for column in ("title", "description"):
        if column not in columns:
            conn.execute(f"ALTER TABLE sessions ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    logged = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    for column in ("anomaly_kind", "note", "analyst", "via"):
        if column not in logged:
            conn.execute(f"ALTER TABLE events ADD COLUMN {column} TEXT")
    for statement in _ARCHIVE:
        conn.execute(statement)


def _check_after(session_id: str, number: int, after: int | None) -> None:
    """Compare-and-append: the action about to be numbered ``number`` follows version ``after``."""
    if after is not None and number != after + 1:
        raise StaleVersionError(
            f"session {session_id} is at version {number - 1}, not {after}: "
            "catch up with its log and try again"
        )


def _record_values(record: SessionRecord) -> tuple:
    """A record as the ``sessions`` table's columns (:data:`_COLUMNS`), checked as a new one is."""
    return (
        record.id,
        record.dataset,
        record.source,
        record.fingerprint,
        json.dumps(list(record.features)),
        record.label_column,
        json.dumps(record.params, sort_keys=True),
        int(record.seed),
        record.strategy,
        int(record.batch_size),
        json.dumps([int(r) for r in record.batch]),
        record.created_at,
        record.updated_at,
        json.dumps(list(record.notes)),
        record.anomaly_value,
        None if record.working_set is None else json.dumps(record.working_set, sort_keys=True),
        _checked_title(record.title),
        _checked_description(record.description),
    )


def _log_rows(session_id: str, actions: Sequence[Action]) -> tuple[list[tuple], list[tuple]]:
    """The ``events`` and ``additions`` rows of a whole log, each action checked as
    :meth:`Store.append` checks a new one; numbers must run 1, 2, 3, ..."""
    events, added, seq = [], [], 1
    for expected, action in enumerate(actions, start=1):
        if action.number != expected:
            raise AADError(
                f"the log's action {expected} is numbered {action.number}; the numbers run 1, 2, 3, ..."
            )
        analyst = _short(action.analyst, "analyst name", 200)
        via = _short(action.via, "action source", 300)
        if action.kind == ADD_ROWS:
            a = action.addition
            if a is None or a.n_rows < 1 or a.n_before < 0 or len(a.content_hash) != 64:
                raise AADError(f"action {expected} adds rows but does not say which; got {a}")
            added.append(
                (
                    session_id,
                    expected,
                    a.content_hash,
                    a.path,
                    a.n_before,
                    a.n_rows,
                    action.created_at,
                    analyst,
                    via,
                )
            )
            continue
        rows = [int(r) for r in action.rows]
        labels = list(action.labels) if action.kind == "label" else None
        _check_action(action.kind, rows, labels)
        if any(r < 0 for r in rows):
            raise AADError(f"action {expected} names row {min(rows)}; rows are numbered from 0")
        n = len(rows)
        kinds = _per_row(action.anomaly_kinds or None, n, "anomaly kinds", action.kind, MAX_KIND)
        notes = _per_row(action.notes or None, n, "notes", action.kind, MAX_NOTE)
        marks = [None] * n if labels is None else [None if lab is None else int(lab) for lab in labels]
        if any(m not in (None, -1, 0, 1) for m in marks):
            raise AADError(f"action {expected} holds a label other than 1, 0 or -1 (none)")
        cells = list(zip(rows, marks, kinds, notes, strict=True)) or [(None, None, None, None)]
        for r, lab, tag, note in cells:
            events.append(
                (session_id, seq, expected, action.kind, r, lab, action.created_at, tag, note, analyst, via)
            )
            seq += 1
    return events, added


def _record(row: tuple) -> SessionRecord:
    (sid, dataset, source, fingerprint, features, label_column, params, seed) = row[:8]
    strategy, batch_size, batch, created_at, updated_at, notes, anomaly_value = row[8:15]
    working_set, title, description = row[15:]
    return SessionRecord(
        id=sid,
        dataset=dataset,
        source=source,
        fingerprint=fingerprint,
        features=tuple(json.loads(features)),
        label_column=label_column,
        params=json.loads(params),
        seed=int(seed),
        strategy=strategy,
        batch_size=int(batch_size),
        batch=tuple(int(r) for r in json.loads(batch)),
        created_at=created_at,
        updated_at=updated_at,
        notes=tuple(json.loads(notes)),
        anomaly_value=anomaly_value,
        working_set=None if working_set is None else json.loads(working_set),
        title=title or "",
        description=description or "",
    )


def _action(number: int, kind: str, cells: list[tuple]) -> Action:
    """An action from its cells ``(seq, row, label, created_at, anomaly_kind, note, analyst, via)``."""
    rows = tuple(int(cell[1]) for cell in cells if cell[1] is not None)
    label_action = kind == "label"
    return Action(
        number=int(number),
        kind=kind,
        rows=rows,
        labels=tuple(None if cell[2] is None else int(cell[2]) for cell in cells) if label_action else (),
        created_at=cells[0][3],
        last_seq=int(cells[-1][0]),
        anomaly_kinds=tuple(cell[4] for cell in cells) if label_action else (),
        notes=tuple(cell[5] for cell in cells) if label_action else (),
        analyst=cells[0][6],
        via=cells[0][7],
    )
