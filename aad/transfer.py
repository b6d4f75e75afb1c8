"""A session in one file: its settings and its whole log, to load into another database.

:func:`dump_session` writes a ZIP file: ``session.json`` holds the session's record (data,
features, forest parameters, seed, queue, title) and every action of its log as it was taken
(its number, time, analyst and source: a card, a table, a labels file), and the file keeps
the tables the log needs beside it: the copy of each table rows were added from, and the
session's data when the workbench keeps it (an upload, a working set) or when asked.
:func:`load_session` writes that session into a database, action for action, after checking
that the data it will be reopened on is the data it was labelled on (its fingerprint), so
the session reopens there as it was and goes on: the same model, the same queue, the same
undo history. A labels CSV (``aad sessions export``, then ``import``) carries the labels
in effect only.

Loading reads the file as untrusted: the ZIP's members are read by the names this module
writes, never extracted by theirs, each member's size is checked before it is read, and
every field and action is checked as a new one would be.

Examples
--------
>>> import tempfile
>>> from aad import Session, load_dataset
>>> folder = Path(tempfile.mkdtemp())
>>> session = Session.create(load_dataset("toy2"), store=Store(folder / "mine.sqlite"), seed=0)
>>> action = session.label(int(session.batch()[0]), "anomaly", kind="ring")
>>> dumped = dump_session(session.store, session.id, folder / "ring.zip")
>>> dumped.n_actions, dumped.files
(1, ())
>>> loaded = load_session(Store(folder / "theirs.sqlite"), folder / "ring.zip")
>>> Session.open(loaded.id, store=Store(folder / "theirs.sqlite")).labels() == session.labels()
True
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path

from .data import Dataset, load_data
from .errors import AADError, DataError
from .session import _BEFORE_PARAMS, Session, _check_params, _check_settings, fit_model, reading
from .store import ADD_ROWS, KINDS, Action, Addition, SessionNotFoundError, SessionRecord, Store, replay
from .tables import file_limit, first_repeated, is_dataset_name

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Dumped",
    "dump_session",
    "load_session",
    "log_summary",
    "session_files",
]

#: What ``session.json`` says it is, and the version of its layout this aad writes and reads.
FORMAT, FORMAT_VERSION = "aad session", 1
_MANIFEST = "session.json"
#: The largest ``session.json`` read: about a million labelled rows (reading it takes up to about
#: fifteen times as much memory: 300,000 actions of 36 MB took 520 MB).
MAX_MANIFEST_BYTES = 32_000_000
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HASH = re.compile(r"[0-9a-f]{64}")
_SHIPPED = "shipped:"


@dataclass(frozen=True)
class Dumped:
    """What :func:`dump_session` wrote: the file, its actions and the tables it carries."""

    path: Path
    n_actions: int
    files: tuple[str, ...]
    n_bytes: int


def dump_session(store: Store, session_id: str, path, *, with_data: bool = False) -> Dumped:
    """Write session ``session_id`` of ``store`` (its record and whole log) to the ZIP file ``path``.

    The session's data goes in when the database keeps it in its uploads folder (an upload, a
    working set: another machine has no copy) or with ``with_data``; a shipped dataset never does. The copy of
    every table rows were added from always does: the log cannot be replayed without it.

    Raises
    ------
    SessionNotFoundError
        When the database holds no such session (a deleted one: restore it first).
    DataError
        When a table the file must carry cannot be read, or ``path`` cannot be written.

    Examples
    --------
    A session on a shipped dataset: the file holds its record and its two actions, and no
    table (every aad has the data):

    >>> import zipfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = Store(Path(folder.name) / "mine.sqlite")
    >>> session = Session.create(load_data("toy2"), store=store, params={"n_estimators": 20})
    >>> _ = session.label([3, 5], "anomaly", kind="ring")
    >>> _ = session.label(8, "nominal")
    >>> dumped = dump_session(store, session.id, Path(folder.name) / "ring.zip")
    >>> dumped.path.name, dumped.n_actions, dumped.files
    ('ring.zip', 2, ())
    >>> zipfile.ZipFile(dumped.path).namelist()
    ['session.json']
    >>> store.close()
    >>> folder.cleanup()
    """
    try:
        record, actions = store.get(session_id), store.actions(session_id)
    except SessionNotFoundError:
        if session_id in {s.id for s in store.archived()}:
            raise SessionNotFoundError(
                f"session {session_id} was deleted (it is in the archive of {store.path}); restore it first "
                f"(`aad sessions restore {session_id}`, or the Sessions page), then dump it"
            ) from None
        raise
    path = Path(path)
    if path.is_file() and not _is_session_file(path):
        raise DataError(
            f"{path} exists and is not a session file: writing there would replace it; name another file"
        )
    members: dict[str, Path] = {}
    data = _bundled_data(store, record, with_data)
    if data is not None:
        members[f"data/table{data.suffix.lower()}"] = data
    log = []
    for action in actions:
        entry = _action_entry(action)
        if action.addition is not None:
            kept = Path(action.addition.path)
            if not kept.is_file():
                raise DataError(
                    f"the rows session {record.id} added at version {action.number} were kept as {kept}, "
                    "which is gone: the log cannot be replayed without them, here or elsewhere"
                )
            name = f"added/{action.number}{kept.suffix.lower()}"
            members[name] = kept
            entry["addition"]["file"] = name
        log.append(entry)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "record": _record_entry(record),
        "data": next((name for name in members if name.startswith("data/")), None),
        "actions": log,
    }
    _write_zip(path, manifest, members)
    return Dumped(path, len(actions), tuple(members), path.stat().st_size)


def load_session(
    store: Store, path, *, data=None, new_id: bool = False, recorded_source: bool = True
) -> SessionRecord:
    """Write the session in the file ``path`` (from :func:`dump_session`) into ``store``.

    Everything is checked first, on a copy in a scratch folder: the file, its data (its
    fingerprint), every action's rows against the data, and that the session rebuilds there (its
    model refits with its parameters; a log that adds rows replays, so that the rows it adds are
    those it recorded); only then is anything written into ``store``, in one transaction, the
    tables it needs kept beside the database.

    Parameters
    ----------
    store : Store
    path : path
        The session file.
    data : path, optional
        The session's data on this machine (checked against the session's fingerprint). By
        default the data the file carries, else the file the session was started on, if it is
        at the same path here.
    new_id : bool, default=False
        Give the session a new id (to load it beside itself, or beside a session with its id).
    recorded_source : bool, default=True
        Whether the file the session was started on may be looked for at its recorded path. A
        server loading a file someone uploaded passes False: the path comes from the file, and
        reading it would tell the uploader what the server holds there.

    Returns
    -------
    SessionRecord
        The session as stored: reopen it with :meth:`aad.Session.open`.

    Raises
    ------
    DataError
        When the file is not a session file, is damaged, was written by a newer aad, holds a
        malformed field or a session that does not reopen; when no data is found, or the data
        is not the session's.
    AADError
        When the database already holds a session with its id (pass ``new_id``).

    Examples
    --------
    A session written to a file by :func:`dump_session`, loaded into another database,
    reopens there with its labels, its kinds and its scores; loaded a second time, beside
    itself, it needs a new id:

    >>> folder = tempfile.TemporaryDirectory()
    >>> mine, theirs = Store(Path(folder.name) / "mine.sqlite"), Store(Path(folder.name) / "theirs.sqlite")
    >>> session = Session.create(load_data("toy2"), store=mine, params={"n_estimators": 20})
    >>> _ = session.label([3, 5], "anomaly", kind="ring")
    >>> _ = dump_session(mine, session.id, Path(folder.name) / "ring.zip")
    >>> record = load_session(theirs, Path(folder.name) / "ring.zip")
    >>> record.id == session.id, record.source
    (True, 'shipped:toy2')
    >>> reopened = Session.open(record.id, store=theirs)
    >>> reopened.labels(), reopened.kinds(), bool((reopened.scores() == session.scores()).all())
    ({3: 1, 5: 1}, Counter({'ring': 2}), True)
    >>> load_session(theirs, Path(folder.name) / "ring.zip", new_id=True).id != session.id
    True
    >>> mine.close()
    >>> theirs.close()
    >>> folder.cleanup()
    """
    path = Path(path)
    with _open_zip(path) as bundle, tempfile.TemporaryDirectory(prefix="aad-load-") as scratch:
        manifest = _read_manifest(bundle, path)
        record = _record_from(manifest.get("record"), path)
        if new_id:
            record = replace(record, id=uuid.uuid4().hex[:12])
        _check_free(store, record.id)
        entries = _list(manifest, "actions", path)
        actions = [_action_from(entry, i, path) for i, entry in enumerate(entries, 1)]
        _check_members(bundle, manifest, actions, path)
        staged = Store(Path(scratch) / "staged.sqlite")
        try:
            source, dataset = _data_source(staged, bundle, manifest, record, data, path, recorded_source)
            record = replace(record, source=source)
            _check_fits(record, dataset, actions, path)
            kept = {name: _keep(staged, bundle, name, path) for name in _added_members(actions)}
            actions = [_with_path(action, kept) for action in actions]
            shown = {str(copy): f"{name} in {path.name}" for name, copy in kept.items()}
            _rebuilds(staged, record, dataset, actions, path, shown)
        finally:
            staged.close()
        final = {str(copy): store.keep_file(copy) for copy in kept.values()}
        if Path(source).parent == staged.uploads_dir:
            record = replace(record, source=str(store.keep_file(source)))
        return store.insert_session(record, [_with_path(action, final) for action in actions])


def session_files(store: Store, session_id: str) -> list[str]:
    """The files session ``session_id`` reads: its data (unless shipped) and the tables rows were
    added from, which a session file written over them would destroy."""
    record, actions = store.get(session_id), store.actions(session_id)
    data = [] if record.source.startswith(_SHIPPED) else [record.source]
    return data + [a.addition.path for a in actions if a.addition is not None]


def log_summary(store: Store, session_id: str) -> tuple[int, int, list[str]]:
    """What a loaded session holds, as the command line and the Sessions page say it: its labels in
    effect, its actions and its analysts (sorted)."""
    actions = store.actions(session_id)
    return len(replay(actions)), len(actions), sorted({a.analyst for a in actions if a.analyst})


# ---------------------------------------------------------------------- writing


def _is_session_file(path: Path) -> bool:
    """Whether ``path`` is a ZIP file holding a ``session.json`` (a session file, to replace)."""
    try:
        with zipfile.ZipFile(path) as bundle:
            return _MANIFEST in bundle.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _bundled_data(store: Store, record: SessionRecord, with_data: bool) -> Path | None:
    """The session's data file when the session file must carry it, else None."""
    if record.source.startswith(_SHIPPED):
        return None
    source = Path(record.source)
    kept = source.resolve().parent == store.uploads_dir.resolve()  # an upload, a copy, a working set
    if not (with_data or kept):
        return None
    if not source.is_file():
        if not with_data:  # a kept copy deleted: the log alone, loaded with --data
            return None
        raise DataError(
            f"session {record.id}'s data, {source}, is not there to go into the file; put it back, "
            f"or dump the session without --with-data (it is then loaded with --data)"
        )
    return source


def _record_entry(record: SessionRecord) -> dict:
    entry = {f.name: getattr(record, f.name) for f in fields(SessionRecord)}
    return entry | {
        "features": list(record.features),
        "batch": list(record.batch),
        "notes": list(record.notes),
    }


def _action_entry(action: Action) -> dict:
    entry = {"number": action.number, "kind": action.kind, "created_at": action.created_at}
    entry |= {"analyst": action.analyst, "via": action.via}
    if action.addition is not None:
        a = action.addition
        entry["addition"] = {"content_hash": a.content_hash, "n_before": a.n_before, "n_rows": a.n_rows}
    elif action.kind == "label":
        entry["cells"] = [list(cell) for cell in action.cells()]
    else:
        entry["rows"] = list(action.rows)
    return entry


def _write_zip(path: Path, manifest: dict, members: dict[str, Path]) -> None:
    if path.is_dir():
        raise DataError(
            f"{path} is a folder; name the session file to write (such as {path / 'session.zip'})"
        )
    if not path.parent.is_dir():
        raise DataError(f"there is no folder {path.parent} to write {path.name} in; create it first")
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as out:
            out.writestr(_MANIFEST, json.dumps(manifest, ensure_ascii=False, separators=(",", ":")))
            for name, source in members.items():
                out.write(source, name)
        partial.replace(path)
    except OSError as err:
        raise DataError(f"cannot write the session file {path}: {err.strerror or err}") from None
    finally:
        partial.unlink(missing_ok=True)


# ---------------------------------------------------------------------- reading


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise DataError(f"there is no session file {path}; give the file `aad sessions dump` wrote")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        if _starts_a_zip(path):  # its directory, at the end, is missing: a copy cut short
            raise DataError(
                f"the session file {path} is truncated or damaged (a ZIP file without its end, where "
                "the list of its members is): copy it again from where it was dumped"
            ) from None
        raise DataError(
            f"{path} is not a session file (a ZIP file that `aad sessions dump` writes); to apply a labels "
            "CSV to a session use `aad sessions import`"
        ) from None


def _starts_a_zip(path: Path) -> bool:
    """Whether ``path`` starts as a ZIP file does (a local file header: ``PK\\x03\\x04``)."""
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _member(bundle: zipfile.ZipFile, name: str, path: Path, limit: int) -> zipfile.ZipInfo:
    """The member ``name``, its size checked before anything is read."""
    try:
        info = bundle.getinfo(name)
    except KeyError:
        raise DataError(
            f"the session file {path} has no {name}; it is damaged, or not a session file"
        ) from None
    if info.file_size > limit:
        more = "" if name == _MANIFEST else " (set AAD_MAX_FILE_MB to read more)"
        raise DataError(
            f"the session file {path} holds a {name} of {info.file_size:,} bytes, over the {limit:,} "
            f"this aad reads{more}"
        )
    return info


def _read_manifest(bundle: zipfile.ZipFile, path: Path) -> dict:
    info = _member(bundle, _MANIFEST, path, MAX_MANIFEST_BYTES)
    try:
        manifest = json.loads(bundle.read(info).decode("utf-8"))
    except RecursionError:
        raise DataError(f"the session file {path} is damaged ({_MANIFEST} is nested too deeply)") from None
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError, OSError) as err:
        raise DataError(f"the session file {path} is damaged ({_MANIFEST}: {err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"{path} is not a session file: its {_MANIFEST} does not say format {FORMAT!r}")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DataError(f"the session file {path} gives no format version (a whole number)")
    if version > FORMAT_VERSION:
        raise DataError(
            f"the session file {path} is of format version {version}, newer than this aad reads "
            f"({FORMAT_VERSION}); load it with a newer aad"
        )
    return manifest


def _list(entry: dict, key: str, path: Path) -> list:
    value = entry.get(key)
    if not isinstance(value, list):
        raise DataError(
            f"the session file {path} holds no list {key!r}; it is damaged, or not a session file"
        )
    return value


#: The record's fields and the JSON types each takes (None where it may be null).
_RECORD_TYPES = {
    "id": (str,),
    "dataset": (str,),
    "source": (str,),
    "fingerprint": (str,),
    "features": (list,),
    "label_column": (str, type(None)),
    "params": (dict,),
    "seed": (int,),
    "strategy": (str,),
    "batch_size": (int,),
    "batch": (list,),
    "created_at": (str,),
    "updated_at": (str,),
    "notes": (list,),
    "anomaly_value": (str, type(None)),
    "working_set": (dict, type(None)),
    "title": (str,),
    "description": (str,),
}


def _record_from(entry, path: Path) -> SessionRecord:
    """The session's record, each field's type checked, and its settings as a new session's are."""
    if not isinstance(entry, dict):
        raise DataError(
            f"the session file {path} holds no session record; it is damaged, or not a session file"
        )
    values = {name: _typed(entry.get(name), types, name, path) for name, types in _RECORD_TYPES.items()}
    for name in ("features", "notes"):
        if not all(isinstance(v, str) for v in values[name]):
            raise DataError(f"the session file {path}'s record lists a {name[:-1]} that is not text")
    if not all(_whole(r) and r >= 0 for r in values["batch"]):
        raise DataError(f"the session file {path}'s record gives a batch row that is not a row number")
    if not _ID.fullmatch(values["id"]):
        raise DataError(
            f"the session file {path} gives the session id {values['id']!r:.80}; ids are letters and digits"
        )
    record = SessionRecord(**values)
    record = replace(
        record, features=tuple(record.features), batch=tuple(record.batch), notes=tuple(record.notes)
    )
    _check_record(record, path)
    return record


def _typed(value, types: tuple, name: str, path: Path):
    if not isinstance(value, types) or isinstance(value, bool):
        wanted = " or ".join("null" if t is type(None) else t.__name__ for t in types)
        raise DataError(f"the session file {path}'s record gives {name} as {value!r:.80}; expected {wanted}")
    return value


def _check_record(record: SessionRecord, path: Path) -> None:
    """A record's data name, times, settings and parameters, as a new session's are checked."""
    shipped = record.source.removeprefix(_SHIPPED)
    if record.source.startswith(_SHIPPED) and not is_dataset_name(shipped):
        raise DataError(
            f"the session file {path} gives the data {record.source!r:.80}, which names no shipped dataset"
        )
    for name in ("created_at", "updated_at"):
        _check_time(getattr(record, name), f"the session file {path}'s record's {name}")
    try:
        _check_settings(record.strategy, record.batch_size, record.seed)
        _check_params(record)
    except AADError as err:
        raise DataError(f"the session file {path} holds a session this aad cannot rebuild: {err}") from None


def _check_time(value: str, what: str) -> None:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise DataError(f"{what} is {value!r:.40}, not a time (ISO 8601, as aad writes them)") from None


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value) -> bool:
    return value is None or isinstance(value, str)


def _action_from(entry, number: int, path: Path) -> Action:
    """One action of the log, its fields' types checked (:meth:`Store.insert_session` checks the rest)."""
    where = f"the session file {path}'s action {number}"
    if not isinstance(entry, dict) or entry.get("kind") not in (*KINDS, ADD_ROWS):
        raise DataError(
            f"{where} is not an action of a kind this aad knows ({', '.join((*KINDS, ADD_ROWS))})"
        )
    if entry.get("number") != number:
        raise DataError(f"{where} is numbered {entry.get('number')!r:.40}; the numbers run 1, 2, 3, ...")
    if not isinstance(entry.get("created_at"), str) or not all(
        _text(entry.get(k)) for k in ("analyst", "via")
    ):
        raise DataError(f"{where} needs created_at as text, and analyst and via as text or null")
    _check_time(entry["created_at"], f"{where}'s created_at")
    common = {"number": number, "kind": entry["kind"], "created_at": entry["created_at"], "last_seq": 0}
    common |= {"analyst": entry.get("analyst"), "via": entry.get("via")}
    if entry["kind"] == ADD_ROWS:
        return Action(rows=(), labels=(), addition=_addition_from(entry.get("addition"), where), **common)
    if entry["kind"] != "label":
        rows = entry.get("rows")
        if not isinstance(rows, list) or not all(_whole(r) for r in rows):
            raise DataError(f"{where} needs its rows as a list of row numbers")
        return Action(rows=tuple(rows), labels=(), **common)
    rows, labels, kinds, notes = _label_cells(entry.get("cells"), where)
    return Action(rows=rows, labels=labels, anomaly_kinds=kinds, notes=notes, **common)


def _label_cells(cells, where: str) -> tuple[tuple, tuple, tuple, tuple]:
    """A label action's cells, checked: its rows, labels, kinds and notes."""
    if not isinstance(cells, list) or not all(_cell(c) for c in cells):
        raise DataError(f"{where} needs its cells as [row, label (1, 0, -1 or null), kind, note] lists")
    if any(cell[1] in (0, -1) and cell[2] is not None for cell in cells):
        raise DataError(
            f"{where} gives a kind of anomaly to a row it labels nominal or unlabels; "
            "only an anomaly has a kind"
        )
    twice = first_repeated(cell[0] for cell in cells)
    if twice is not None:  # which of the two would count: the file was edited or damaged
        raise DataError(
            f"{where} lists row {twice} twice in its cells, and an action labels each row once; "
            "the file was edited or damaged: dump the session again (or keep one of the two cells)"
        )
    return tuple(tuple(column) for column in zip(*cells, strict=True)) if cells else ((), (), (), ())


def _addition_from(a, where: str) -> Addition:
    ok = (
        isinstance(a, dict) and isinstance(a.get("file"), str) and _HASH.fullmatch(str(a.get("content_hash")))
    )
    if not (
        ok
        and _whole(a.get("n_before"))
        and _whole(a.get("n_rows"))
        and a["n_before"] >= 0
        and a["n_rows"] >= 1
    ):
        raise DataError(
            f"{where} adds rows but does not say which: it needs content_hash (64 hex digits), file, "
            "n_before (0 or more) and n_rows (1 or more)"
        )
    return Addition(a["content_hash"], a["file"], a["n_before"], a["n_rows"])


def _cell(cell) -> bool:
    return (
        isinstance(cell, list)
        and len(cell) == 4
        and _whole(cell[0])
        and (cell[1] is None or (_whole(cell[1]) and cell[1] in (-1, 0, 1)))
        and _text(cell[2])
        and _text(cell[3])
    )


def _added_members(actions: list[Action]) -> list[str]:
    """The members the log's additions read, each once, in order."""
    return list(dict.fromkeys(a.addition.path for a in actions if a.addition is not None))


def _check_members(bundle: zipfile.ZipFile, manifest: dict, actions: list[Action], path: Path) -> None:
    """Every member the file needs is there, once, and all of them together within the size limit:
    checked before any is read."""
    names = bundle.namelist()
    if len(names) != len(set(names)):
        twice = next(n for n in names if names.count(n) > 1)
        raise DataError(f"the session file {path} holds {twice!r:.80} twice; it is damaged, or not aad's")
    carried = manifest.get("data")
    if carried is not None and not isinstance(carried, str):
        raise DataError(f"the session file {path} gives its data member as {carried!r:.40}; expected a name")
    needed = [*_added_members(actions), *([carried] if carried else [])]
    limit = file_limit(None)
    total = sum(_member(bundle, name, path, limit).file_size for name in dict.fromkeys(needed))
    if total > limit:
        raise DataError(
            f"the session file {path} holds tables of {total:,} bytes in all, over the {limit:,} this aad "
            "reads (set AAD_MAX_FILE_MB to read more)"
        )


def _check_free(store: Store, session_id: str) -> None:
    """Refuse an id the database holds, before any work (:meth:`Store.insert_session` checks again)."""
    taken = session_id in {s.id for s in store.archived()}
    try:
        store.get(session_id)
        taken = True
    except AADError:
        pass
    if taken:
        raise AADError(
            f"a session {session_id} is already in {store.path} (in its list or its archive); load the file "
            "as a new session (a new id: --new-id, or the Sessions page's box), or into another database"
        )


def _data_source(
    staged: Store, bundle, manifest, record, data, path: Path, recorded: bool
) -> tuple[str, Dataset]:
    """Where the loaded session reads its data, and the data: ``data``, the file's own copy (kept in
    ``staged``), or the recorded source, whichever comes first; checked to be the data the session
    was labelled on."""
    carried = manifest.get("data")
    if data is not None:
        source = str(Path(data).expanduser().resolve())
    elif carried:
        source = str(_keep(staged, bundle, carried, path))
    elif record.source.startswith(_SHIPPED):
        source = record.source
    elif recorded and Path(record.source).is_file():
        source = str(Path(record.source).resolve())
    elif recorded:
        raise DataError(
            f"session {record.id} was labelled on {record.source}, which is not there, and {path.name} does "
            "not carry it; pass the file with --data, or load a session file that carries it (`aad sessions "
            "dump --with-data`, or the Sessions page's Session file)"
        )
    else:
        raise DataError(
            f"{path.name} does not carry the session's data ({record.dataset}); download the session file "
            "from a workbench that has the data (its Session file carries it), or load it on the command "
            "line with `aad sessions load FILE --data PATH`"
        )
    shown = f"{carried} in {path.name}" if carried and data is None else source
    return source, _check_data(source, record, shown)


def _check_data(source: str, record: SessionRecord, shown: str) -> Dataset:
    """The data at ``source`` (named ``shown`` in messages), if it is the session's."""
    try:
        dataset = load_data(source, **reading(record))
    except AADError as err:
        raise DataError(f"session {record.id}'s data cannot be read from {shown}: {err}") from None
    if dataset.fingerprint != record.fingerprint:
        raise DataError(
            f"{shown} is not the data session {record.id} was labelled on (it was {record.dataset}): its "
            "labels would fall on other rows; pass the file the session was labelled on, unchanged"
        )
    return dataset


def _check_fits(record: SessionRecord, dataset: Dataset, actions: list[Action], path: Path) -> None:
    """The log's rows within the data (and the rows it adds), the batch too, and the working set
    the data's own."""
    n = dataset.n_rows
    for action in actions:
        if action.addition is not None:
            if action.addition.n_before != n:
                raise DataError(
                    f"the session file {path}'s action {action.number} adds rows to "
                    f"{action.addition.n_before:,} rows, but the session has {n:,} then"
                )
            n += action.addition.n_rows
        elif action.rows and max(action.rows) >= n:
            raise DataError(
                f"the session file {path}'s action {action.number} names row {max(action.rows):,}, but the "
                f"session has {n:,} rows then"
            )
    if record.batch and max(record.batch) >= n:
        raise DataError(f"the session file {path}'s batch names row {max(record.batch):,} of {n:,}")
    if _normal(record.working_set) != _normal(dataset.working_set):
        raise DataError(f"the session file {path} describes a working set that is not its data's")


def _normal(value):
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _with_path(action: Action, paths: dict) -> Action:
    """``action`` with its addition's table at ``paths[old]`` (other actions as they are)."""
    if action.addition is None:
        return action
    return replace(action, addition=replace(action.addition, path=str(paths[action.addition.path])))


def _rebuilds(
    staged: Store, record: SessionRecord, dataset: Dataset, actions: list[Action], path: Path, shown: dict
) -> None:
    """Write the session into the scratch database ``staged`` and rebuild it there: its model refits
    with its parameters and its queue is made; a log that adds rows replays too, so that the rows
    added are those it recorded (their hashes; a replay costs what opening the session costs: 32 s
    for 2,000 actions on 50,000 rows, where the rows of every other action are checked against the
    data already). A message names a table by its member in the file (``shown``), not by its
    scratch copy."""
    try:
        staged.insert_session(record, actions)
        if any(action.addition is not None for action in actions):
            Session.open(record.id, store=staged, dataset=dataset)
        else:
            Session(
                record, dataset, fit_model(dataset, {**_BEFORE_PARAMS, **record.params}, record.seed), staged
            )
    except (AADError, ValueError, TypeError, OverflowError) as err:
        text = str(err)
        for copy, name in shown.items():
            text = text.replace(copy, name)
        raise DataError(f"the session in {path.name} does not reopen, so it was not loaded: {text}") from None


def _keep(store: Store, bundle: zipfile.ZipFile, name: str, path: Path) -> Path:
    """Keep the member ``name`` beside the database (:meth:`Store.keep_stream`), its size checked
    first and its checksum as it is read."""
    info = _member(bundle, name, path, file_limit(None))
    try:
        with bundle.open(info) as read:
            return store.keep_stream(read, Path(name).suffix)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise DataError(f"the session file {path} is damaged ({name}: {err})") from None
