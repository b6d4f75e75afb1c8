"""``aad score --model FILE DATA...``: a model file applied to tables of any size.

In one process (``--engine inprocess``, the default) the tables are read a record batch at
a time (:class:`aad.scale.TableScorer`), so memory stays flat however many rows there are;
``--engine dask`` runs the same scorer in the partitions of a Dask DataFrame on a cluster
(``--scheduler tcp://HOST:8786``; a local cluster of ``--workers`` processes without it)
and writes one Parquet file per partition into the ``--output`` folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

import aad
from aad.scale import TableScorer
from aad.scale._optional import require
from aad.scale.dask import check_scheduler
from aad.scale.score import check_top, output_format
from app.cli import OutputError, _err, _features, _writable, check_not_input, output_bytes
from app.text import count, printable

Engine = Annotated[
    Literal["inprocess", "dask"],
    typer.Option(help="With --model: score in this process, or on a Dask cluster (the 'scale' extra)."),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        help="With --engine dask: the scheduler's address (tcp://HOST:8786); a local cluster without it."
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(
        min=1, max=1024, help="With --engine dask and no --scheduler: workers of the local cluster."
    ),
]
Columns = Annotated[
    str | None,
    typer.Option(help="With --model: comma-separated columns of DATA to copy beside the scores (an id)."),
]
BatchRows = Annotated[
    int, typer.Option(min=1, max=10_000_000, help="With --model: rows read and scored together.")
]
#: ``--partition-rows`` unless given.
PARTITION_ROWS = 1_000_000
PartitionRows = Annotated[
    int, typer.Option(min=1, help="With --engine dask: rows per partition (whole Parquet row groups).")
]


def check_model_options(given: list[str]) -> None:
    """Refuse the options that make or feed a learned model, next to a model file that has one."""
    if given:
        raise aad.DataError(
            f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not go with --model: a model file "
            "holds its learned model and fill values; give --model FILE and the tables to score"
        )


def _check_engine(
    engine: str, output: Path | None, *, scheduler: str | None, workers: int | None, partition_rows: int
):
    """Refuse what the engine cannot do with the output, and the Dask options without Dask (they
    would be ignored: the run would not be the one asked for); returns standard output's stream
    when the scores go there."""
    dask_only = {"--scheduler": scheduler is not None, "--workers": workers is not None}
    dask_only["--partition-rows"] = partition_rows != PARTITION_ROWS
    given = [flag for flag, on in dask_only.items() if on]
    if engine != "dask" and given:
        raise aad.DataError(
            f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to --engine dask; add "
            "--engine dask to score on a Dask cluster, or leave them out to score in this process"
        )
    if engine != "dask":
        if output is None:
            return output_bytes()  # standard output, refused at once when it is closed
        writable(output)
        output_format(output)
        return None
    require("distributed")
    require("dask.dataframe")
    check_scheduler(scheduler)
    cores = os.cpu_count() or 1
    if scheduler is None and workers is not None and workers > cores:
        _err.print(
            f"note: --workers {workers} is more than the {cores} cores here: the local cluster runs a "
            "process, with its own memory, per worker"
        )
    if output is None:
        raise aad.DataError(
            "--engine dask writes a folder of Parquet files: name it with --output (new or empty)"
        )
    return None


def score_with_model(
    model_file: Path,
    data: list[str],
    output: Path | None,
    *,
    top: int | None,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    columns: str | None,
    batch_rows: int,
    partition_rows: int,
) -> None:
    """Check everything (the model, the tables, the output), then score every row."""
    if not data:
        raise aad.DataError(
            "name the tables to score after --model FILE: CSV or Parquet files, or folders of Parquet files"
        )
    check_top(top)  # before anything is read
    carried = _features(columns, "--columns") or []
    _check_not_inside(output, data, model_file)
    stream = _check_engine(
        engine, output, scheduler=scheduler, workers=workers, partition_rows=partition_rows
    )
    model = aad.load_model(model_file)
    scorer = TableScorer(model, data, columns=carried, batch_rows=batch_rows)  # checks every file first
    with _fraction_progress() as bar:
        task = bar.add_task("scoring", total=1.0)

        def progress(rows: int, fraction: float) -> None:
            bar.update(task, completed=fraction, description=f"scored {rows:,} rows")

        if engine == "dask":
            from aad.scale.dask import score_dask

            with _quiet_dask():
                report = score_dask(
                    model,
                    data,
                    output,
                    scheduler=scheduler,
                    n_workers=workers,
                    columns=carried,
                    top=top,
                    rows_per_partition=partition_rows,
                    progress=progress,
                )
        else:
            report = scorer.write(output, top=top, progress=progress, stream=stream)
    for note in report.notes(model):
        _err.print(f"note: {printable(note)}")
    rate = report.rows / report.seconds if report.seconds > 0 else 0.0
    _err.print(
        f"scored {count(report.rows, 'row')} of {count(len(scorer.files), 'file')} with {model_file.name} "
        f"in {report.seconds:.1f} s ({rate:,.0f} rows/s)"
    )
    if output is not None:
        _err.print(f"wrote {count(report.written, 'row')} to {output}")


@contextlib.contextmanager
def _quiet_dask():
    """Dask's own log lines off while it scores: a failed task is reported once, as aad's one
    line, not also as the worker's ``Compute Failed`` and the nanny's warnings. The local
    cluster's worker processes read the level from the environment when they start."""
    logger = logging.getLogger("distributed")
    level, before = logger.level, os.environ.get(_DASK_LOG_LEVEL)
    os.environ[_DASK_LOG_LEVEL] = "critical"
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
        if before is None:
            os.environ.pop(_DASK_LOG_LEVEL, None)
        else:
            os.environ[_DASK_LOG_LEVEL] = before


#: The environment variable Dask reads its ``logging.distributed`` level from.
_DASK_LOG_LEVEL = "DASK_LOGGING__DISTRIBUTED"


def _check_not_inside(output: Path | None, data: list[str], model_file: Path) -> None:
    """Refuse an output that is one of the inputs (by any path: main's check), or that lies
    inside a folder being scored (the next run would read the scores as part of the table)."""
    check_not_input(output, *data, model_file)
    if output is None:
        return
    where = output.resolve()
    for given in data:
        folder = Path(given)
        if folder.is_dir() and folder.resolve() in where.parents:
            raise OutputError(
                f"--output {output} is inside the input {given}, a folder being scored: the scores would "
                "become part of the table; write the output elsewhere"
            )


def writable(output: Path | None) -> Path | None:
    """``--output`` checked as its callback would (the option has none: with --engine dask it is a folder)."""
    try:
        return _writable(output)
    except typer.BadParameter as err:
        err.param_hint = "'--output'"
        raise


def _fraction_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=_err,
        transient=True,
        disable=not _err.is_terminal,
    )
