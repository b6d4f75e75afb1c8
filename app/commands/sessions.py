"""``aad sessions``: list, export, name, delete and restore labelling sessions; dump one with its
whole log to a file and load it elsewhere; import labels; list, rename and merge kinds of anomaly.

Listing, exporting, naming, deleting and restoring read and write the session database
only (no model is fitted): the labels are the replay of the session's append-only log.
Deleting moves a session and its log to the database's archive; restoring brings it back.
Importing a labels file and renaming a kind open the session (its data, its model) and
write one action, recorded as the OS user's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shlex
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import aad
from aad.store import replay
from aad.tables import csv_text
from app.cli import _err, _out, _writable, _write_output, check_not_input, cli, emit, output_console
from app.text import count, printable

sessions = typer.Typer(
    name="sessions", help="List stored labelling sessions and export their labels.", no_args_is_help=True
)
cli.add_typer(sessions)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Session database (default: $AAD_DB or ~/.local/share/aad/sessions.sqlite)."),
]


def _store(db: Path | None) -> aad.Store:
    path = db if db is not None else aad.default_db_path()
    if path.is_dir():
        raise aad.DataError(f"--db {path} is a folder; pass the session database file (a .sqlite file)")
    if not path.is_file():
        raise aad.SessionNotFoundError(
            f"there is no session database at {path}; start a session with `aad app`, or pass --db"
        )
    return aad.Store(path)


@sessions.command("list")
def list_sessions(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of objects.")] = False,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="List the deleted sessions, kept in the archive.")
    ] = False,
) -> None:
    """List the sessions, most recently changed first (--deleted: the archive, last deleted first)."""
    path = db if db is not None else aad.default_db_path()
    if deleted:
        _list_deleted(_store(db).archived() if path.exists() else [], as_json)
        return
    summaries = []  # no database yet: no session yet
    if path.exists():
        store = _store(db)
        summaries = store.summaries()
        for sid, why in store.damaged.items():
            said = f"note: session {printable(sid)} cannot be read ({printable(why)}): left out"
            print(said, file=sys.stderr)
    if as_json:
        emit(json.dumps([s.to_dict() for s in summaries], indent=1) + "\n")
        return
    # The id and time never wrap: the id is what the other commands take. The dataset name,
    # the one long field, comes last; piped output is never wrapped at all.
    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold underline")
    table.add_column("id", no_wrap=True)
    table.add_column("updated (UTC)", no_wrap=True)
    for name in ("labels", "anomalies", "seed"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("strategy", no_wrap=True)
    table.add_column("dataset", overflow="fold", min_width=8)
    table.add_column("title", overflow="fold")
    for s in summaries:
        table.add_row(
            s.id,
            s.updated_at[:16].replace("T", " "),
            str(s.n_labels),
            str(s.n_anomalies),
            str(s.seed),
            printable(s.strategy),
            printable(s.dataset),
            printable(s.title),
        )
    console = _out if _out.is_terminal else output_console(width=10_000)
    none = "no sessions yet"
    if db is not None and not path.exists():  # a typo in --db must not read as "the sessions are gone"
        none += f" (there is no session database at {path})"
    console.print(table if summaries else none)


def _list_deleted(archived: list, as_json: bool) -> None:
    if as_json:
        emit(json.dumps([dataclasses.asdict(s) for s in archived], indent=1) + "\n")
        return
    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold underline")
    table.add_column("id", no_wrap=True)
    table.add_column("deleted (UTC)", no_wrap=True)
    table.add_column("by", no_wrap=True)
    table.add_column("labels", justify="right", no_wrap=True)
    table.add_column("dataset", overflow="fold", min_width=8)
    table.add_column("title", overflow="fold")
    for s in archived:
        table.add_row(
            s.id,
            s.archived_at[:16].replace("T", " "),
            printable(s.archived_by or ""),  # names and titles from users: no escape sequence reaches
            str(s.n_labels),  # the terminal (the live list does the same)
            printable(s.dataset),
            printable(s.title),
        )
    console = _out if _out.is_terminal else output_console(width=10_000)
    console.print(table if archived else "no deleted sessions")


@sessions.command("export")
def export_session(
    session_id: Annotated[str, typer.Argument(metavar="ID", help="Session id (see `aad sessions list`).")],
    db: DbOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="CSV file to write (default: standard output).", callback=_writable
        ),
    ] = None,
    context: Annotated[
        bool,
        typer.Option(
            "--context",
            help="Add each row's context columns (ids, free text, timestamps), as the app's download "
            "does: reads the session's data, which must be unchanged.",
        ),
    ] = False,
) -> None:
    """Export a session's labels as CSV: row, label (anomaly/nominal), kind, note, analyst, labelled_at.

    A deleted session's labels are exported from the archive, with a note on stderr.
    """
    check_not_input(output, db if db is not None else aad.default_db_path())
    store = _store(db)
    if context:
        session = aad.Session.open(session_id, store=store)  # its data, checked, and its labels
        _write_output(session.labels_csv(), output, f"{len(aad.labels_export(session.row_labels()))} labels")
        return
    try:
        store.get(session_id)
        actions = store.actions(session_id)
    except aad.SessionNotFoundError:
        if session_id not in {s.id for s in store.archived()}:
            raise
        _err.print(f"session {session_id} was deleted: its labels come from the archive")
        actions = store.actions(session_id, archived=True)
    table = aad.labels_export(replay(actions))
    _write_output(csv_text(_with_table_rows(table, store, session_id)), output, f"{len(table)} labels")


def _with_table_rows(table, store: aad.Store, session_id: str):
    """A working set's labels with ``table_row`` beside ``row``: the row's number in the bigger table
    (a working-set row means nothing outside the session), read from the working set's file."""
    try:
        record = store.get(session_id)
    except aad.SessionNotFoundError:
        return table
    if record.working_set is None or not len(table):
        return table
    import pyarrow.parquet as pq

    column = record.working_set.get("row_column", "table_row")
    try:
        numbers = pq.read_table(record.source, columns=[column]).column(column).to_numpy()
    except (OSError, KeyError, ValueError) as err:
        _err.print(f"no {column} column: the working set {printable(record.source)} cannot be read ({err})")
        return table
    table.insert(1, column, numbers[table["row"].to_numpy()])
    return table


SessionId = Annotated[str, typer.Argument(metavar="ID", help="Session id (see `aad sessions list`).")]


@sessions.command("rename")
def rename_session(
    session_id: SessionId,
    title: Annotated[str | None, typer.Option("--title", help="The session's title.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="What the session is for.")] = None,
    db: DbOption = None,
) -> None:
    """Give a session a title or a description (as the Sessions page does)."""
    if title is None and description is None:
        raise aad.AADError("give --title or --description (or both)")
    _store(db).update(session_id, title=title, description=description)
    _err.print(f"session {session_id}: saved")


@sessions.command("delete")
def delete_session(
    session_id: SessionId,
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking (scripts).")] = False,
    db: DbOption = None,
) -> None:
    """Delete a session from the list: it moves, with its whole log, to the database's archive."""
    store = _store(db)
    record = store.get(session_id)
    if not yes:
        if not sys.stdin.isatty():
            raise aad.AADError(f"deleting session {session_id} needs a confirmation: pass --yes")
        n = len(store.labels(session_id))
        if not typer.confirm(
            f"delete session {session_id} ({printable(record.dataset)}, {count(n, 'label')})? It is kept in "
            "the archive"
        ):
            raise typer.Exit(1)
    n = store.archive(session_id, by=aad.session.default_analyst())
    _err.print(
        f"deleted session {session_id}: its {count(n, 'action')} {'is' if n == 1 else 'are'} kept in the "
        f"archive (`aad sessions restore {session_id}` brings it back)"
    )


@sessions.command("restore")
def restore_session(session_id: SessionId, db: DbOption = None) -> None:
    """Bring a deleted session back from the archive, with its whole log."""
    record = _store(db).restore(session_id)
    _err.print(f"restored session {session_id} ({printable(record.dataset)})")


@sessions.command("import")
def import_labels(
    session_id: SessionId,
    labels: Annotated[
        Path,
        typer.Argument(
            metavar="LABELS",
            help="CSV: a label column, rows by a row column (0-based) or an id column of the data, "
            "optionally kind and note.",
        ),
    ],
    db: DbOption = None,
) -> None:
    """Apply a labels file to a session as one action (one undo in the workbench takes it all back)."""
    store = _store(db)
    with _progress_note(f"opening session {session_id} (its data, its model, its log)"):
        session = aad.Session.open(session_id, store=store)
    try:
        action = session.import_labels(labels)
    except aad.session.NothingToChangeError as err:  # a re-sync that finds nothing new succeeds
        _err.print(f"nothing to change: {err}")
        return
    changes = session.changes(action)
    moved = sum(_label(c.before) != _label(c.after) for c in changes)
    _err.print(
        f"applied {labels.name} to session {session_id}: {count(len(changes), 'row')} changed "
        f"({count(moved, 'label')}), "
        f"as one action (model v{session.version}, by {action.analyst or 'unknown'})"
    )


@sessions.command("dump")
def dump_session(
    session_id: SessionId,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="The file to write (default: ID.aad.zip here).", callback=_writable
        ),
    ] = None,
    with_data: Annotated[
        bool,
        typer.Option(
            "--with-data",
            help="Put the session's data in the file too (an uploaded table or a working set always is).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Write a session to one file, its settings and its whole log (every label, skip and undo, who
    took it and when), for another machine or database to go on with (`aad sessions load`).

    A labels CSV (`aad sessions export`) carries the labels in effect only.
    """
    store = _store(db)
    output = output if output is not None else Path(f"{session_id}.aad.zip")
    try:  # not over the database, the session's data or a table rows were added from
        check_not_input(output, store.path, *aad.transfer.session_files(store, session_id))
    except aad.SessionNotFoundError:
        pass  # said by the dump, which names a deleted session
    with _progress_note(f"writing session {session_id}"):
        dumped = aad.dump_session(store, session_id, output, with_data=with_data)
    record = store.get(session_id)
    carried = any(f.startswith("data/") for f in dumped.files)
    elsewhere = not (carried or record.source.startswith("shipped:"))
    load = f"`aad sessions load {shlex.quote(str(output))}`"
    if elsewhere and not Path(record.source).is_file():
        load = (
            f"`aad sessions load {shlex.quote(str(output))} --data PATH`, PATH the table it was labelled "
            f"on: its data, {printable(record.source)}, is not there any more, and the file holds the log "
            "alone"
        )
    elif elsewhere:
        load += (
            f" (its data, {printable(record.source)}, is not in the file: where that path does not hold it, "
            "add --data PATH, or dump with --with-data)"
        )
    _err.print(
        f"wrote session {session_id} ({printable(record.dataset)}, {count(dumped.n_actions, 'action')}"
        f"{', with its data' if carried else ''}) to {output} ({dumped.n_bytes:,} bytes); load it with {load}"
    )


@sessions.command("load")
def load_session(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A session file (`aad sessions dump`).")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="The session's data on this machine (default: the copy in FILE, else the file the session "
            "was started on, at the same path).",
        ),
    ] = None,
    new_id: Annotated[
        bool, typer.Option("--new-id", help="Give the session a new id (the database holds one with its id).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Load a session file into the session database (created if there is none): the session goes
    on there as it was, with its whole log, its analysts and its times."""
    path = db if db is not None else aad.default_db_path()
    check_not_input(path, file, data, option="--db")
    if not file.is_file():  # before a new database is made for it
        raise aad.DataError(f"there is no session file {file}; give the file `aad sessions dump` wrote")
    made = [p for p in (path, *path.parents) if not p.exists()]  # the file and the folders made for it
    store = aad.Store(path)
    try:
        with _progress_note(f"loading {file.name} (checking its data, and that the session rebuilds)"):
            record = aad.load_session(store, file, data=data, new_id=new_id)
    except BaseException:
        if made:  # a refusal leaves no empty database behind, nor the folders made for it
            store.close()
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
            for folder in made[1:]:
                with contextlib.suppress(OSError):  # not empty: something else is in it
                    folder.rmdir()
        raise
    n_labels, n_actions, analysts = aad.transfer.log_summary(store, record.id)
    _err.print(
        f"loaded session {record.id} ({printable(record.dataset)}: {count(n_labels, 'label')} "
        f"in {count(n_actions, 'action')}"
        + (f", by {', '.join(printable(a) for a in analysts)}" if analysts else "")
        + f") into {store.path}; open it on the workbench's Sessions page (`aad app`)"
    )


@sessions.command("kinds")
def kinds(
    session_id: SessionId,
    rename: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--rename",
            metavar="OLD NEW",
            help="Rename kind OLD to NEW on every row that carries it, as one action (one undo in the "
            "workbench); NEW an existing kind (in any case) merges OLD into it.",
        ),
    ] = None,
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print a JSON list of {"kind", "anomalies"} objects.')
    ] = False,
) -> None:
    """List a session's kinds of anomaly (rows, tab, kind; most rows first), or rename or merge one
    (as the Progress page does)."""
    store = _store(db)
    if rename is None:  # the log alone: no model is fitted
        store.get(session_id)
        counts = Counter(s.kind for s in replay(store.actions(session_id)).values() if s.kind)
        if as_json:  # the kinds as written: JSON escapes what a terminal must not run
            listed = [{"kind": kind, "anomalies": n} for kind, n in counts.most_common()]
            emit(json.dumps(listed, indent=1) + "\n")
            return
        emit("".join(f"{n}\t{printable(kind)}\n" for kind, n in counts.most_common()))
        return
    with _progress_note(f"opening session {session_id} (its data, its model, its log)"):
        session = aad.Session.open(session_id, store=store)
    before = session.kinds()
    old, new = rename
    action = session.rename_kind(old, new, via="rename kind")
    renamed = session.changes(action)[0].after.kind
    what = "merged" if before.get(renamed) else "renamed"
    _err.print(
        f"session {session_id}: {what} kind '{printable(old)}' {'into' if what == 'merged' else 'to'} "
        f"'{printable(renamed)}' on {count(len(action.rows), 'row')} "
        f"({count(session.kinds()[renamed], 'anomaly')} of that kind now), as one action "
        f"(model v{session.version}, by {action.analyst or 'unknown'})"
    )


def _label(state) -> int:
    return aad.UNLABELLED if state is None else state.label


def _progress_note(text: str):
    return _err.status(text) if _err.is_terminal else contextlib.nullcontext()
