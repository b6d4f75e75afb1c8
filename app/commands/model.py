"""``aad model``: write the learned model to a file (``aad-model/1`` JSON or ONNX), and read one.

``aad model export`` learns as ``aad score`` and ``aad rules`` do, from DATA with
LABELS.csv or from a stored session, and writes the model with its current leaf values:
``aad score --model FILE`` then scores tables of any size with it, in one process or on a
Dask cluster, and ``aad.load_model(FILE)`` in Python. ``aad model show`` checks a file and
prints what it holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import aad
from aad.scale._optional import require
from aad.scale.onnx_export import onnx_metadata, to_onnx
from app.cli import (
    AnomalyValue,
    Categories,
    Eta,
    Features,
    LabelCol,
    MaxSamples,
    Seed,
    Trees,
    _err,
    _out,
    _writable,
    check_not_input,
    cli,
    emit,
    write_file,
)
from app.commands._learn import LearnFrom
from app.commands.sessions import DbOption
from app.text import count, printable

model_app = typer.Typer(
    name="model", help="Write a learned model to a file (JSON or ONNX), and read one.", no_args_is_help=True
)
cli.add_typer(model_app)

FORMATS = ("json", "onnx")


@model_app.command("export")
def export(
    data: Annotated[
        str | None,
        typer.Argument(help="The table the model learns from: a shipped dataset or a CSV/Parquet file."),
    ] = None,
    output: Annotated[
        Path,
        typer.Option("--output", help="The model file to write (.json, or .onnx).", callback=_writable),
    ] = ...,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="CSV with columns row (0-based) and label (anomaly/nominal)."),
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Learn from a stored session (`aad sessions list`).")
    ] = None,
    db: DbOption = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="json (aad-model/1) or onnx; by default the output's extension decides."
        ),
    ] = "auto",
    label_col: LabelCol = "auto",
    anomaly_value: AnomalyValue = None,
    features: Features = None,
    categories: Categories = None,
    seed: Seed = None,
    trees: Trees = None,
    max_samples: MaxSamples = None,
    eta: Eta = None,
) -> None:
    """Write the learned model: the trees, the learned leaf values, the score normalisation,
    the missing-value fills and the provenance, as aad-model/1 JSON (or ONNX).

    `aad score --model FILE DATA...` scores tables of any size with it; in Python,
    `aad.load_model(FILE).anomaly_score(rows)`.
    """
    fmt = _format(fmt, output)
    if fmt == "onnx":
        require("onnx")  # before any work: the fit can take minutes
    check_not_input(output, data, labels, db if db is not None or session is None else aad.default_db_path())
    options = (seed, trees, max_samples, eta)
    learn = LearnFrom(
        data, labels, session, db, label_col, features, options, anomaly_value, categories=categories
    )
    with _err.status("fitting the forest and learning from the labels"):
        learned = learn.model()
    check_not_input(output, learned.dataset.source)
    model, dataset = learned.model, learned.dataset
    n_labels, n_anomalies = learned.counts
    extra = {} if learned.session is None else {"session": learned.session.id}
    if learned.session is not None and learned.session.record.working_set is not None:
        extra["working_set"] = learned.session.record.working_set  # the table it was drawn from
    seed_used = learned.session.seed if learned.session is not None else None
    portable = aad.export_model(
        model, dataset, n_labels=n_labels, n_anomalies=n_anomalies, seed=seed_used, extra=extra
    )
    write_file(output, portable.to_json() if fmt == "json" else to_onnx(portable))  # whole or not at all
    _err.print(
        f"wrote the model of {learned.origin} ({count(n_labels, 'label')}, {count(n_anomalies, 'anomaly')}; "
        f"{portable.n_estimators} trees, {count(portable.n_features_in_, 'feature')}) to {output} "
        f"({'aad-model/1' if fmt == 'json' else 'ONNX'})"
    )


def _format(fmt: str, output: Path) -> str:
    if fmt == "auto":
        return "onnx" if output.suffix.lower() == ".onnx" else "json"
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"expected one of {', '.join(FORMATS)}; got {fmt!r}", param_hint="'--format'"
        )
    named = output.suffix.lower().lstrip(".")
    if named in FORMATS and named != fmt:  # a .json file of ONNX bytes: a reader would be misled
        raise typer.BadParameter(
            f"writes {fmt}, but the output {output.name!r} is named .{named}; name it .{fmt}, or leave "
            "out --format (the ending decides)",
            param_hint="'--format'",
        )
    return fmt


@model_app.command("show")
def show(
    path: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="An aad-model/1 file or its ONNX export (aad model export)."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Check a model file and print what it holds: features, trees, provenance."""
    try:
        model = aad.load_model(path)
    except aad.ModelFileError:
        onnx = _onnx_summary(path)  # the ONNX file `model export` wrote: its metadata
        if onnx is None:
            raise
        _print_summary(path, onnx, as_json, nodes=None)
        return
    summary = {
        "schema": aad.scale.SCHEMA,
        "features": list(model.feature_names_in_),
        "fill": model.fill_values.tolist(),
        "n_estimators": model.n_estimators,
        "max_samples": model.max_samples,
        "nodes": sum(t.n_nodes for t in model.trees),
        "provenance": model.provenance,
    }
    _print_summary(path, summary, as_json, nodes=summary["nodes"])


def _onnx_summary(path: Path) -> dict | None:
    """An ONNX model file aad wrote, summarised from its metadata; None for any other file but
    one named ``.onnx``, which gets the ONNX reader's verdict (damaged, or not aad's)."""
    if not path.is_file():
        return None  # missing, or a folder: the model file's own message names it
    raw, named = path.read_bytes(), path.suffix.lower() == ".onnx"
    if not named and _is_text(raw):
        return None  # text: the JSON model file's own message says what is wrong with it
    summary = onnx_metadata(raw, name=f"model file {path.name}")
    if summary is None and named:
        raise aad.ModelFileError(
            f"model file {path.name} is named .onnx, but ONNX cannot read it as a model (truncated or "
            "damaged?), and it is no aad-model/1 JSON file either; export the model again with "
            "`aad model export --output MODEL.onnx`"
        )
    return summary


def _is_text(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _print_summary(path: Path, summary: dict, as_json: bool, *, nodes: int | None) -> None:
    if as_json:
        emit(json.dumps(summary, indent=1) + "\n")
        return
    size = f" ({nodes:,} nodes), max_samples {summary['max_samples']}" if nodes is not None else ""
    _out.print(f"{path}: {summary['schema']}, {summary['n_estimators']} trees{size}", soft_wrap=True)
    _out.print(
        "features: "
        + ", ".join(
            f"{printable(n)} (missing: {f:g})"
            for n, f in zip(summary["features"], summary["fill"], strict=True)
        ),
        soft_wrap=True,
    )
    _out.print("provenance: " + printable(json.dumps(summary["provenance"], sort_keys=True)), soft_wrap=True)
