"""``aad sessions``: list the stored labelling sessions and export their labels.

Both read the session database only (no model is fitted): the labels are the replay of
the session's append-only log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import aad
from aad.store import replay
from aad.tables import csv_text
from app.cli import _err, _out, _writable, _write_output, check_not_input, cli, emit, output_console

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
) -> None:
    """List the sessions, most recently changed first."""
    path = db if db is not None else aad.default_db_path()
    summaries = _store(db).summaries() if path.exists() else []  # no database yet: no session yet
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
    for s in summaries:
        table.add_row(
            s.id,
            s.updated_at[:16].replace("T", " "),
            str(s.n_labels),
            str(s.n_anomalies),
            str(s.seed),
            s.strategy,
            s.dataset,
        )
    console = _out if _out.is_terminal else output_console(width=10_000)
    console.print(table if summaries else "no sessions yet")


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
) -> None:
    """Export a session's labels as CSV: row, label (anomaly/nominal), kind, note, analyst, labelled_at.

    A deleted session's labels are exported from the archive, with a note on stderr.
    """
    check_not_input(output, db if db is not None else aad.default_db_path())
    store = _store(db)
    try:
        store.get(session_id)
        actions = store.actions(session_id)
    except aad.SessionNotFoundError:
        if session_id not in {s.id for s in store.archived()}:
            raise
        _err.print(f"session {session_id} was deleted: its labels come from the archive")
        actions = store.actions(session_id, archived=True)
    table = aad.labels_export(replay(actions))
    _write_output(csv_text(table), output, f"{len(table)} labels")
