"""SQLite persistence of labelling sessions: an append-only log per session.

One database file holds every session. The ``sessions`` table says how to rebuild a
session's model (dataset source and fingerprint, feature and ground-truth columns,
forest parameters, seed) and how it queries (strategy, batch size, the batch on
screen). The ``events`` table is the session's history: every label, skip and undo is
one *action* of one or more rows, appended and committed before anything else changes.
Triggers forbid updating or deleting an event, so the log can only grow; replaying it
(:func:`replay_labels`) gives the labels in effect.

The file runs in WAL mode with ``synchronous=FULL``: a committed action survives the
process being killed, and readers never block the writer. Nothing is pickled: rows are
plain SQL values and the parameters are JSON. Uploaded tables are stored next to the
database, named by the SHA-256 of their bytes, so a session on an upload can be resumed.
"""

from __future__ import annotations

import hashlib
import json
import os
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
    "KINDS",
    "Action",
    "DatabaseError",
    "SessionNotFoundError",
    "SessionRecord",
    "SessionSummary",
    "StaleVersionError",
    "Store",
    "default_db_path",
    "labels_csv",
    "replay_labels",
]

#: The kinds of action in the log: label rows, skip rows, bring skipped rows back, undo.
KINDS = ("label", "skip", "unskip", "undo")
_SCHEMA_VERSION = 4
#: How long a write waits for another process holding the database.
_BUSY_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
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
    working_set TEXT
);
CREATE TABLE IF NOT EXISTS events (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL,
    action INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('label', 'skip', 'unskip', 'undo')),
    row INTEGER,
    label INTEGER CHECK (label IN (-1, 0, 1)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
"""
#: The columns of ``sessions``, in :class:`SessionRecord` order (``notes`` came with version 2,
#: with ``changed``: a counter that orders sessions by their latest change, ties impossible).
_COLUMNS = (
    "id, dataset, source, fingerprint, features, label_column, params, seed, "
    "strategy, batch_size, batch, created_at, updated_at, notes, anomaly_value, working_set"
)


_NEXT_CHANGE = "(SELECT COALESCE(MAX(changed), 0) + 1 FROM sessions)"


class SessionNotFoundError(AADError):
    """No session with the given id in the database."""


class DatabaseError(DataError):
    """The session database cannot be used as asked: damaged, full, read-only, or from a newer aad."""


#: SQLite's primary result codes this module names for people.
_SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_CANTOPEN, _SQLITE_FULL, _SQLITE_NOTADB = 8, 11, 14, 13, 26


def _failure(path: Path, err: sqlite3.DatabaseError, doing: str | None) -> AADError:
    """One line naming what went wrong with the database at ``path``, and the repair."""
    code = (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF
    lost = f"{doing} was not saved" if doing else "nothing was changed"
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
            f"recover what it holds with `sqlite3 {path} .recover | sqlite3 recovered.sqlite` and pass "
            "--db recovered.sqlite (keep the damaged file); otherwise pass the database `aad app` keeps "
            "its sessions in, or a new file name to start one"
        )
    return DatabaseError(f"the session database {path} failed: {lost} (SQLite: {err})")


class StaleVersionError(AADError):
    """A conditional append found newer actions in the log than the writer had seen."""


def default_db_path() -> Path:
    """Where sessions live: ``$AAD_DB``, else ``$XDG_DATA_HOME/aad/sessions.sqlite``.

    ``XDG_DATA_HOME`` defaults to ``~/.local/share``.
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
        its values are not anomaly/nominal, 1/0 or true/false.
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


@dataclass(frozen=True)
class Action:
    """One entry of the log: ``kind`` applied to ``rows`` (with ``labels`` for a label).

    ``number`` counts actions from 1; it is the model version after the action.
    """

    number: int
    kind: str
    rows: tuple[int, ...]
    labels: tuple[int, ...]
    created_at: str
    last_seq: int


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

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return asdict(self) | {"features": list(self.features)}


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
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
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
                    f"{self.path} is read-only: {doing} was not saved; make the file and its folder "
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
                yield self._conn
            except sqlite3.DatabaseError as err:
                raise _failure(self.path, err, doing) from err

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
    ) -> SessionRecord:
        """Insert a new session and return its record (with a fresh id)."""
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
        )
        with self._connect("the new session") as conn:
            conn.execute(
                f"INSERT INTO sessions ({_COLUMNS}, changed) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {_NEXT_CHANGE})",
                (
                    record.id,
                    record.dataset,
                    record.source,
                    record.fingerprint,
                    json.dumps(list(record.features)),
                    record.label_column,
                    json.dumps(record.params, sort_keys=True),
                    record.seed,
                    record.strategy,
                    record.batch_size,
                    "[]",
                    now,
                    now,
                    json.dumps(list(record.notes)),
                    record.anomaly_value,
                    None if working_set is None else json.dumps(record.working_set, sort_keys=True),
                ),
            )
        return record

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
    ) -> None:
        """Change how a session queries (its settings, or the batch on screen)."""
        sets, values = [], []
        for column, value in (("strategy", strategy), ("batch_size", batch_size)):
            if value is not None:
                sets.append(f"{column} = ?")
                values.append(value)
        if sets:
            sets.append(f"updated_at = ?, changed = {_NEXT_CHANGE}")
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
        labels: Sequence[int] | None = None,
        *,
        after: int | None = None,
    ) -> Action:
        """Append one action and commit it; returns it (its ``number`` is the new version).

        With ``after``, the action is written only if the latest action of the session is
        number ``after`` (the version the writer has seen), in the same transaction: a
        compare-and-append that lets a writer check the rows it acts on first.

        Raises
        ------
        StaleVersionError
            When ``after`` is given and another writer has appended since; nothing is written.
        AADError
            For an unknown kind, or labels that do not match the rows.
        """
        rows = [int(r) for r in rows]
        _check_action(kind, rows, labels)
        cells = (
            [(r, None) for r in rows] if labels is None else list(zip(rows, map(int, labels), strict=True))
        )
        now = _now()
        with self._connect(f"the {kind}") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                number, seq = self._next_numbers(conn, session_id)
                if after is not None and number != after + 1:
                    raise StaleVersionError(
                        f"session {session_id} is at version {number - 1}, not {after}: "
                        "catch up with its log and try again"
                    )
                conn.executemany(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (session_id, seq + i, number, kind, r, lab, now)
                        for i, (r, lab) in enumerate(cells or [(None, None)])
                    ],
                )
                touch = f"UPDATE sessions SET updated_at = ?, changed = {_NEXT_CHANGE} WHERE id = ?"
                conn.execute(touch, (now, session_id))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return Action(
            number,
            kind,
            tuple(rows),
            tuple(lab for _, lab in cells if lab is not None),
            now,
            seq + max(len(cells), 1) - 1,
        )

    def _next_numbers(self, conn: sqlite3.Connection, session_id: str) -> tuple[int, int]:
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
            raise SessionNotFoundError(f"there is no session {session_id!r} in {self.path}")
        number, seq = conn.execute(
            "SELECT COALESCE(MAX(action), 0) + 1, COALESCE(MAX(seq), 0) + 1 FROM events WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        return int(number), int(seq)

    def actions(self, session_id: str, *, after: int = 0) -> list[Action]:
        """The actions numbered above ``after``, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT action, kind, seq, row, label, created_at FROM events "
                "WHERE session_id = ? AND action > ? ORDER BY seq",
                (session_id, after),
            ).fetchall()
        grouped: dict[int, list] = {}
        kinds: dict[int, str] = {}
        for number, kind, seq, row, label, created in rows:
            if kind not in KINDS or label not in (None, -1, 0, 1):
                what = f"an action of kind {kind!r}" if kind not in KINDS else f"a label {label!r}"
                raise DatabaseError(
                    f"session {session_id}'s log in {self.path} holds {what} (action {number}), which this "
                    "aad does not know (a newer aad wrote it?); open it with the aad that wrote it. "
                    "Nothing was replayed or changed"
                )
            grouped.setdefault(number, []).append((seq, row, label, created))
            kinds[number] = kind
        return [_action(number, kinds[number], cells) for number, cells in grouped.items()]

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

    def summaries(self) -> list[SessionSummary]:
        """Every session, most recently changed first, with its label counts."""
        with self._connect() as conn:
            newest_first = f"SELECT {_COLUMNS} FROM sessions ORDER BY changed DESC, updated_at DESC, id"
            rows = conn.execute(newest_first).fetchall()
        out = []
        for row in rows:
            record = _record(row)
            actions = self.actions(record.id)
            labels = replay_labels(actions)
            out.append(
                SessionSummary(
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
                )
            )
        return out

    # ------------------------------------------------------------------ uploads

    @property
    def uploads_dir(self) -> Path:
        """Folder of uploaded tables, next to the database."""
        return self.path.parent / "uploads"

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
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        partial = self.uploads_dir / f"{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        with source.open("rb") as read, partial.open("wb") as write:
            for chunk in iter(lambda: read.read(1 << 20), b""):
                digest.update(chunk)
                write.write(chunk)
        path = self.uploads_dir / f"{digest.hexdigest()}{_table_suffix(source.suffix)}"
        if path.exists():
            partial.unlink()
        else:
            partial.replace(path)
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
    labels: dict[int, int] = {}
    undo: list[dict[int, int]] = []
    for action in actions:
        if action.kind == "undo":
            for row, previous in (undo.pop() if undo else {}).items():
                _set(labels, row, previous)
            continue
        previous = {}
        if action.kind == "label":
            for row, label in zip(action.rows, action.labels, strict=True):
                previous.setdefault(row, labels.get(row, UNLABELLED))
                _set(labels, row, label)
        undo.append(previous)
    return labels


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
}


def _read_older_schema(conn: sqlite3.Connection) -> None:
    """Let a read-only connection to a database of an older schema read it as the current one: a
    temporary view ``sessions`` (found before the file's own table) adds the missing columns."""
    present = [row[1] for row in conn.execute("PRAGMA main.table_info(sessions)")]
    missing = [name for name in _ADDED_COLUMNS if name not in present]
    if not missing:
        return
    quoted = ['o."' + name.replace('"', '""') + '"' for name in present]
    columns = quoted + [f"{_ADDED_COLUMNS[name]} AS {name}" for name in missing]
    conn.execute(f"CREATE TEMP VIEW sessions AS SELECT {', '.join(columns)} FROM main.sessions AS o")


def _initialise(conn: sqlite3.Connection, path: Path) -> None:
    """WAL mode, the tables, the migrations: safe when several processes open one file at once.

    Switching to WAL needs the file to itself and SQLite reports a competitor at once, without
    waiting, so it is retried; the tables are created in one write transaction, which waits.
    A database from a newer aad is refused before anything is written to it.
    """
    _check_version(conn, path)
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
        # Every append reads MAX(changed) and the session list sorts by it: an index keeps both
        # from scanning every session (created here, after the column exists in old files).
        conn.execute("CREATE INDEX IF NOT EXISTS sessions_by_change ON sessions(changed)")
        conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _record(row: tuple) -> SessionRecord:
    (sid, dataset, source, fingerprint, features, label_column, params, seed) = row[:8]
    strategy, batch_size, batch, created_at, updated_at, notes, anomaly_value, working_set = row[8:]
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
    )


def _action(number: int, kind: str, cells: list[tuple]) -> Action:
    rows = tuple(int(row) for _, row, _, _ in cells if row is not None)
    labels = tuple(int(lab) for _, _, lab, _ in cells if lab is not None)
    return Action(
        number=int(number),
        kind=kind,
        rows=rows,
        labels=labels,
        created_at=cells[0][3],
        last_seq=int(cells[-1][0]),
    )
