"""The ``aad`` command line: simulate discovery runs, launch the workbench.

Every command reports bad usage or bad input as one line on stderr with exit status 2,
never a traceback. Long work shows a progress bar on stderr.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import gzip
import hashlib
import importlib
import inspect
import json
import os
import pkgutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.status import Status
from rich.table import Table
from rich.text import Text

import aad
from aad._files import partial_beside, writable_output
from aad.scale import working_set
from aad.simulate import settings_caption
from app import hosts
from app.text import count, printable, terminal_text

if TYPE_CHECKING:
    import click

cli = typer.Typer(
    name="aad",
    help="Active Anomaly Discovery: find the anomalies in a table with as few labels as possible.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
# Names and paths come from files and users: Rich must not read "[bold]" or ":smile:" in them.
_PLAIN = {"markup": False, "emoji": False, "highlight": False}


class _PlainConsole(Console):
    r"""A Rich console printing text as it is (no markup, no emoji), with control characters and
    direction controls shown as their escapes (:func:`app.text.printable`): a file, dataset or
    column name in a progress or summary line (``wrote 5 rows to o\x1b]0;T\x07.csv``), a table's
    title or cell, is never run as an escape sequence (clear the screen, set the window's title),
    nor breaks its line in two (``\n``)."""

    def __init__(self, **options) -> None:
        super().__init__(**_PLAIN, **options)

    def render_str(self, text: str, **options) -> Text:
        """``text`` escaped (:func:`~app.text.printable`), then as Rich renders it."""
        return super().render_str(printable(text), **options)

    def status(self, status, **options) -> Status:
        """The spinner of long work, its text escaped (Rich would read it as markup)."""
        return super().status(Text(printable(status)) if isinstance(status, str) else status, **options)


_out = _PlainConsole()  # its file is the output stream while a command runs (see _stdout_for_output)
_err = _PlainConsole(stderr=True, soft_wrap=True)  # a message is one line, whatever the width


class OutputError(aad.AADError):
    """The output could not be written: standard output closed, a full disk, an input as the output."""


Features = Annotated[
    str | None,
    typer.Option(
        "--features",
        help="Comma-separated feature columns to use (default: all but the label); quote a name with a "
        "comma: '\"a, b\",c'.",
    ),
]
#: ``--categories``: columns of numbers that are codes, read as categories.
Categories = Annotated[
    str | None,
    typer.Option(
        "--categories",
        help="Comma-separated columns to read as categories although they hold numbers: codes such as an "
        "HTTP status, a ZIP code or a port, each value (as written: 404) a category of its own, whose "
        "rarity is the feature; rules then say status in {401, 404}, not status <= 300.",
    ),
]
LabelCol = Annotated[
    str,
    typer.Option(
        "--label-col",
        help="Ground-truth column (anomaly/nominal, 1/0, true/false, yes/no); 'auto' finds a column "
        "named label, labels, ground.truth, ground_truth or is_anomaly; 'none' means there is none.",
    ),
]


def _finite(value: float | None) -> float | None:
    """Option callback: a float option must be a finite number (Click accepts inf and nan)."""
    if value is not None and not np.isfinite(value):
        raise typer.BadParameter(f"expected a finite number; got {value}")
    return value


def _strength(value: float | None) -> float | None:
    """Option callback: a feedback strength, a finite number >= 0 (checked here, so that nan is
    called what it is before any range check)."""
    value = _finite(value)
    if value is not None and value < 0:
        raise typer.BadParameter(f"expected a number >= 0 (0: no feedback); got {value:g}")
    return value


#: The forest and feedback of ``aad rules`` and ``aad score``: ``None`` until given, so that a
#: command learning from a stored session can refuse them (a session has its own).
Seed = Annotated[int | None, typer.Option(min=0, max=aad.MAX_SEED, help="Seed of the forest, by default 0.")]
Trees = Annotated[
    int | None,
    typer.Option(min=1, max=10_000, help="Isolation trees, by default 200 (fewer above 500,000 rows)."),
]
MaxSamples = Annotated[
    int | None,
    typer.Option(min=2, help="Rows per tree; by default the detector's (512; eif, ensembles 256)."),
]
Eta = Annotated[float | None, typer.Option(callback=_strength, help="Feedback strength, by default 1.")]


def model_params(seed: int | None, trees: int | None, max_samples: int | None, eta: float | None) -> dict:
    """Detector parameters from the model options, with the engine's defaults for those not given
    (the rows per tree left to the detector: 512 for the isolation forest, 256 for eif and ensembles)."""
    given = {"random_state": seed, "n_estimators": trees, "eta": eta}
    defaults = {"random_state": 0, "n_estimators": None, "eta": 1.0}
    params = {name: defaults[name] if value is None else value for name, value in given.items()}
    return params | ({} if max_samples is None else {"max_samples": max_samples})


#: ``--detector``, ``--members``, ``--scores``, ``--ndim``: which model learns from the labels.
Detector = Annotated[
    str | None,
    typer.Option(
        "--detector",
        help="The model: iforest (isolation forest, the default), eif (extended isolation forest: "
        "hyperplane splits), ensemble (detectors whose weights learn from the labels; see --members, "
        "--scores). Default: ensemble with --members or --scores, else iforest.",
    ),
]
Members = Annotated[
    str | None,
    typer.Option(
        "--members",
        help="Ensemble members, comma-separated: iforest (its leaves learn too), lof, ocsvm, autoencoder, "
        "pyod:NAME (a PyOD detector, such as pyod:KNN). Default: iforest,lof,ocsvm,autoencoder; with "
        "--scores, the file's columns alone.",
    ),
]
ScoresFile = Annotated[
    Path | None,
    typer.Option(
        "--scores",
        help="CSV of precomputed scores: a header naming each detector, then one line per row of DATA in "
        "the same order, higher meaning more anomalous. Each column is an ensemble member.",
    ),
]
Ndim = Annotated[
    int | None, typer.Option("--ndim", min=1, max=64, help="eif: features combined per split (default 2).")
]


def detector_setup(
    detector: str | None,
    members: str | None,
    scores: Path | None,
    ndim: int | None,
    n_rows: int,
    n_features: int | None = None,
) -> tuple[str, dict, aad.ScoreTable | None]:
    """The detector's name, its extra parameters, and the checked precomputed scores, from the options."""
    if detector is None:
        detector = "ensemble" if members is not None or scores is not None else "iforest"
    if detector not in aad.DETECTORS:
        raise typer.BadParameter(
            f"unknown detector {detector!r}; choose one of {', '.join(aad.DETECTORS)}",
            param_hint="'--detector'",
        )
    if ndim is not None and detector != "eif":
        raise aad.DataError(f"--ndim applies to --detector eif (the hyperplanes); the detector is {detector}")
    if ndim is not None and n_features is not None and ndim > n_features:
        raise aad.DataError(
            f"--ndim {ndim} asks for hyperplanes over more features than the table's {n_features}; "
            f"choose --ndim {n_features} or fewer"
        )
    if detector != "ensemble" and (members is not None or scores is not None):
        flag = "--members" if members is not None else "--scores"
        raise aad.DataError(
            f"{flag} gives ensemble members; use --detector ensemble (or leave --detector out), "
            f"not {detector}"
        )
    params: dict = {} if ndim is None else {"ndim": ndim}
    table = None
    if detector == "ensemble":
        names = _member_names(members) if members is not None else None
        if names is None:
            names = [] if scores is not None else list(aad.detectors.DEFAULT_MEMBERS)
        params["members"] = [aad.detectors.check_member(name) for name in names]
        table = None if scores is None else aad.load_scores(scores, n_rows)
    return detector, params, table


def _member_names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if len(set(names)) < len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise typer.BadParameter(f"{twice!r} is named twice; name each member once", param_hint="'--members'")
    return names


#: ``--anomaly-value``: a label column of other words (fraud/legit): the one marking an anomaly.
AnomalyValue = Annotated[
    str | None,
    typer.Option(
        "--anomaly-value",
        help="For a label column of other words (fraud/legit): the value, any case, that marks an "
        "anomaly; every other value is nominal.",
    ),
]


def _writable(path: Path | None) -> Path | None:
    """Option callback: refuse an output path that cannot be written before any work starts."""
    if path is None:
        return None
    if str(path) == "-":  # Unix's standard output, which would be a file named '-' in the folder
        raise typer.BadParameter(
            "'-' would write a file named '-', not to standard output: name a file (without --output, "
            "a command writes to standard output)"
        )
    folder = path.parent
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a folder; name a file, in it or elsewhere")
    if not folder.is_dir():
        raise typer.BadParameter(f"the folder {folder} does not exist; create it, or write elsewhere")
    if not os.access(folder, os.W_OK):
        raise typer.BadParameter(f"the folder {folder} is not writable; write elsewhere")
    return path


def _writable_html(path: Path | None) -> Path | None:
    """Option callback for ``--plot``: a writable file named ``.html`` (a page, not JSON or CSV)."""
    path = _writable(path)  # a folder, a missing folder: said first
    if path is not None and path.suffix.lower() not in (".html", ".htm"):
        raise typer.BadParameter(f"--plot writes an HTML page: name a .html file (got {path.name})")
    return path


#: ``--no-timing``: leave the timings out, so that the same command and seed write the same bytes.
NoTiming = Annotated[
    bool,
    typer.Option(
        "--no-timing",
        help="Leave out the timings (seconds per label or window), so that the same seed gives "
        "byte-identical output.",
    ),
]


def without_timing(summary):
    """``summary`` (a JSON-ready dict) without the keys that hold a time (``seconds...``).

    >>> without_timing({"found": 3, "seconds_per_label": [0.1], "runs": [{"seconds": 2, "seed": 0}]})
    {'found': 3, 'runs': [{'seed': 0}]}
    """
    if isinstance(summary, dict):
        return {k: without_timing(v) for k, v in summary.items() if not str(k).startswith("seconds")}
    if isinstance(summary, list):
        return [without_timing(v) for v in summary]
    return summary


#: ``--output F``: where a command writes instead of standard output (checked up front).
Output = Annotated[
    Path | None, typer.Option("--output", help="Write here instead of stdout.", callback=_writable)
]


def _label_column(value: str) -> str | None:
    return None if value.lower() == "none" else value


def _categories(value: str | None) -> list[str]:
    """The columns ``--categories`` names (none when it is not given)."""
    return _features(value, "--categories") or []


def _features(value: str | None, option: str = "--features") -> list[str] | None:
    """The column names ``option`` (``--features``, ``--columns``) gives, read as one CSV line."""
    if value is None:
        return None
    try:  # read as one CSV line: a name holding a comma is quoted, "Amount (USD, incl. tax)"
        cells = next(csv.reader([value], skipinitialspace=True, strict=True), [])
    except csv.Error as err:
        raise typer.BadParameter(
            f"could not read {value!r} as comma-separated names ({err}); quote a name that holds a comma "
            f"with double quotes: {option} '\"a, b\",c'",
            param_hint=f"'{option}'",
        ) from None
    names = [name.strip() for name in cells if name.strip()]
    if not names:
        raise typer.BadParameter(f"name at least one column, as in {option} a,b,c", param_hint=f"'{option}'")
    if len(set(names)) < len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise typer.BadParameter(f"{twice!r} is named twice; name each column once", param_hint=f"'{option}'")
    return names


@cli.command()
def simulate(
    data: Annotated[str, typer.Argument(help="A shipped dataset's name or a CSV/Parquet file.")],
    label_col: LabelCol = "auto",
    anomaly_value: AnomalyValue = None,
    features: Features = None,
    categories: Categories = None,
    budget: Annotated[int, typer.Option(min=1, help="Labels per run.")] = 100,
    reruns: Annotated[int, typer.Option(min=1, help="Runs, with seeds SEED .. SEED+RERUNS-1.")] = 10,
    seed: Annotated[int, typer.Option(min=0, max=aad.MAX_SEED, help="Seed of the first run.")] = 0,
    strategy: Annotated[
        str, typer.Option(help=f"Query strategy: {', '.join(aad.strategy_names())}.")
    ] = "top",
    batch_size: Annotated[int, typer.Option(min=1, help="Rows labelled per batch.")] = 1,
    queue: Annotated[
        Literal["adaptive", "feedback", "strong", "saturating", "forest", "beliefs", "unsupervised"],
        typer.Option(
            help="Which ranking the queries follow: adaptive (the one the labels favour), "
            "feedback (the learned model alone, as before), strong (it at twice the strength), "
            "saturating, forest (no feedback), beliefs (local leaf beliefs, as BALIF learns them); "
            "an ensemble offers adaptive, feedback and unsupervised (the plain ensemble)."
        ),
    ] = "adaptive",
    class_file: Annotated[
        Path | None,
        typer.Option(
            help="CSV with a 'class' column, one row per data row (a shipped dataset's name "
            "reads its NAME_classes.csv); reports the distinct anomaly classes found."
        ),
    ] = None,
    loss: Annotated[Literal["linear", "hinge"], typer.Option(help="Feedback loss.")] = "linear",
    eta: Annotated[float, typer.Option(callback=_strength, help="Feedback strength (0: no feedback).")] = 1.0,
    balance: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="How far the rarer class of labels is weighted up: 1 as in the AAD papers "
            "(each class weighs half), 0 every label the same.",
        ),
    ] = aad.weights.BALANCE,
    trees: Trees = None,
    max_samples: MaxSamples = None,
    detector: Detector = None,
    members: Members = None,
    scores: ScoresFile = None,
    ndim: Ndim = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.", callback=_writable)
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Write the discovery curves as HTML.", callback=_writable_html)
    ] = None,
    no_timing: NoTiming = False,
) -> None:
    """Simulate discovery runs: a ground-truth oracle answers every query."""
    for written in (json_out, plot):
        check_not_input(
            written, data, class_file, scores, option="--json" if written is json_out else "--plot"
        )
    if json_out is not None and plot is not None and json_out.resolve() == plot.resolve():
        raise OutputError(f"--json and --plot both name {plot}; give each its own file")
    if strategy not in aad.strategy_names():
        raise aad.UnknownStrategyError(
            f"unknown query strategy {strategy!r}; choose one of {', '.join(aad.strategy_names())}"
        )
    dataset = aad.load_data(  # as the workbench reads it: categories, timestamps, ids left out
        data,
        label_column=_label_column(label_col),
        features=_features(features),
        anomaly_value=anomaly_value,
        categories=_categories(categories),
    )
    _print_notes(dataset, max_samples)
    classes = None if class_file is None else aad.load_classes(class_file, y=dataset.y)
    setup = (detector, members, scores, ndim, dataset.n_rows, dataset.n_features)
    detector, extra, table = detector_setup(*setup)
    params = {"loss": loss, "eta": eta, "balance": balance, "n_estimators": trees}
    params |= {} if max_samples is None else {"max_samples": max_samples}  # else the detector's own
    params |= extra
    with _progress() as bar:
        task = bar.add_task(f"simulating {printable(dataset.name)}", total=budget * reruns)
        result = aad.simulate(
            dataset,
            budget=budget,
            reruns=reruns,
            seed=seed,
            strategy=strategy,
            batch_size=batch_size,
            classes=classes,
            model_params=params,
            queue=queue,
            progress=lambda done, total: bar.update(task, completed=done),
            detector=detector,
            scores=table,
        )
    _print_summary(result, timing=not no_timing)
    summary = result.to_dict() | _provenance(dataset, class_file, scores)
    summary = without_timing(summary) if no_timing else summary
    if json_out is not None:
        _write_output(json.dumps(summary, indent=1), json_out)
    if plot is not None:
        from app.charts import discovery_figure

        _write_output(discovery_figure(summary).to_html(include_plotlyjs=True), plot)


@cli.command()
def datasets() -> None:
    """List the shipped datasets."""
    table = Table("name", "rows", "features", "anomalies")
    for name in aad.list_datasets():
        ds = aad.load_dataset(name)
        table.add_row(name, str(ds.n_rows), str(ds.n_features), str(ds.n_anomalies))
    _out.print(table)


@cli.command("app")
def app_command(
    data: Annotated[str | None, typer.Argument(help="Dataset name or file to open.")] = None,
    categories: Categories = None,
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8501,
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only).")] = "127.0.0.1",
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Another name the workbench is reached by (a proxy's, the machine's on the network); "
            "requests to any other name are refused. Repeat for several.",
        ),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            help="SQLite file for sessions and labels "
            "(default: $AAD_DB or ~/.local/share/aad/sessions.sqlite)."
        ),
    ] = None,
    max_upload_mb: Annotated[
        int | None,
        typer.Option(
            "--max-upload-mb",
            min=1,
            envvar="AAD_MAX_UPLOAD_MB",
            show_envvar=True,
            help="Largest file the Data page accepts, in MB (default: 200).",
        ),
    ] = None,
    sample_rows: Annotated[
        int | None,
        typer.Option(
            "--sample-rows",
            min=2,
            envvar="AAD_SAMPLE_ROWS",
            help="A table too big to label whole (over AAD_MAX_ROWS rows, or a folder): rows of the "
            "uniform sample of its working set (default: 1,000,000).",
        ),
    ] = None,
    top_rows: Annotated[
        int | None,
        typer.Option(
            "--top-rows",
            min=0,
            envvar="AAD_TOP_ROWS",
            help="...and rows the unsupervised forest scores highest, kept beside it (default: 10,000).",
        ),
    ] = None,
    user_header: Annotated[
        str | None,
        typer.Option(
            "--user-header",
            help="A request header naming the signed-in analyst, set by an authenticating reverse proxy "
            "(X-Forwarded-User): recorded with every action, and not changeable on the page. Trust it "
            "only when nothing but the proxy can reach this server (see the README).",
        ),
    ] = None,
) -> None:
    """Start the labelling workbench in the browser (Streamlit).

    With DATA, it opens on the Label page, on the session with the most labels on that data
    (a new one the first time; the page asks which when the sessions disagree; the Data page
    starts others). DATA may be a table too big
    to hold (a folder of Parquet files, or more than AAD_MAX_ROWS rows): the session then
    labels a working set, a uniform sample plus the rows the forest scores highest.

    The server runs in this process: stopping it stops the server. It listens on
    127.0.0.1 unless --host says otherwise, with Streamlit's XSRF protection on, and
    refuses requests sent to any other name than its own (DNS rebinding).
    """
    _check_host(host)
    asked = _launch_categories(data, categories)
    if data is not None:
        if working_set.is_too_big(data):
            working_set.check_table(data)  # fail fast on what can be checked before reading the rows
        else:  # fail fast, here, with the engine's message (as the workbench reads it)
            aad.load_data(data, categories=asked)
        os.environ["AAD_DATA"] = str(Path(data).resolve()) if Path(data).exists() else data
    os.environ.pop(CATEGORIES_ENV, None)
    if asked:  # checked with the table above
        os.environ[CATEGORIES_ENV] = json.dumps(asked)
    _check_working_set_size(sample_rows, top_rows)
    for name, value in (("AAD_SAMPLE_ROWS", sample_rows), ("AAD_TOP_ROWS", top_rows)):
        if value is not None:
            os.environ[name] = str(value)
    if db is not None:
        aad.Store(db).close()  # fail fast, here, on a file that is not a session database
        os.environ["AAD_DB"] = str(db.expanduser().resolve())
    upload_limit = MAX_UPLOAD_MB if max_upload_mb is None else max_upload_mb
    os.environ["AAD_MAX_UPLOAD_MB"] = str(upload_limit)  # the app reads it: app.state.max_upload_mb
    allowed = hosts.allowed_hosts(host, allow_host or ())
    os.environ[hosts.ENV] = ",".join(allowed)  # app.server's Host check reads it
    _trust_user_header(user_header, host, port)
    _err.print(f"aad workbench on http://{_url_host(host)}:{port} (sessions in {aad.default_db_path()})")
    if host.strip() in ("0.0.0.0", "::", ""):
        _err.print(
            f"listening on every interface: anyone who can reach port {port} can open and label the "
            f"sessions (there is no login); it answers to {', '.join(allowed)}"
        )
    from streamlit.web import cli as streamlit_cli

    sys.argv = [
        "streamlit",
        "run",
        str(Path(__file__).with_name("server.py")),  # streamlit_app.py behind the Host check
        *_streamlit_flags(port, host, upload_limit),
    ]
    try:
        streamlit_cli.main()
    except SystemExit as done:
        raise typer.Exit(done.code if isinstance(done.code, int) else 0) from None


#: The columns ``aad app DATA --categories`` reads as categories, for the session it opens (JSON).
CATEGORIES_ENV = "AAD_CATEGORIES"


def _launch_categories(data: str | None, categories: str | None) -> list[str]:
    """The columns ``--categories`` of ``aad app`` names, for DATA's session, which the workbench
    reads as the command line does; refused without DATA, or for a table too big to hold (its
    working set)."""
    if categories is None:
        return []
    if data is None:
        raise aad.DataError(
            "--categories names columns of DATA; give DATA (aad app FILE --categories a,b), or choose the "
            "columns read as categories on the Data page"
        )
    if working_set.is_too_big(data):
        raise aad.DataError(
            f"--categories applies to a table the workbench reads whole; {data} is too big to hold (a "
            "working set is drawn from it), and its columns are read as they are. Leave --categories out"
        )
    return _categories(categories)


def _check_host(host: str) -> None:
    """Refuse a ``--host`` that names no address here before the server starts (Streamlit would
    say ``[Errno -2] Name or service not known``, naming no option)."""
    if host.strip() in ("0.0.0.0", "::", ""):
        return
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError) as err:
        why = getattr(err, "strerror", None) or str(err)
        raise typer.BadParameter(
            f"{host!r} is no address or host name this machine resolves ({why}); give an address such as "
            "127.0.0.1 (this machine only) or 0.0.0.0 (every interface)",
            param_hint="'--host'",
        ) from None


def _trust_user_header(header: str | None, host: str, port: int) -> None:
    """``--user-header``: the header the app reads the analyst from (``app.state.identity``)."""
    os.environ.pop(hosts.USER_HEADER_ENV, None)
    if header is None:
        return
    name = header.strip()
    if not name or not all(c.isalnum() or c == "-" for c in name):
        raise aad.AADError(f"--user-header must be a header name such as X-Forwarded-User; got {header!r}")
    os.environ[hosts.USER_HEADER_ENV] = name
    _err.print(f"the analyst's name is read from the {name} header, which the proxy in front must set")
    if host.strip() in ("0.0.0.0", "::", ""):
        _err.print(
            f"warning: listening on every interface, anyone who can reach port {port} directly can send "
            f"{name} with any name; let only the proxy reach it (a firewall), or listen on 127.0.0.1"
        )


def _url_host(host: str) -> str:
    """How ``host`` is written in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


#: Upload limit of the workbench in MB (the same as ``app.state.MAX_UPLOAD_MB``).
MAX_UPLOAD_MB = 200


def _streamlit_flags(port: int, host: str, max_upload_mb: int = MAX_UPLOAD_MB) -> list[str]:
    return [
        f"--server.port={port}",
        f"--server.address={host}",
        "--server.headless=true",
        "--server.fileWatcherType=none",
        f"--server.maxUploadSize={max_upload_mb}",
        "--server.enableXsrfProtection=true",
        "--browser.gatherUsageStats=false",
        "--runner.enforceSerializableSessionState=true",
        "--runner.magicEnabled=false",
        "--client.toolbarMode=minimal",
    ]


def _check_working_set_size(sample_rows: int | None, top_rows: int | None) -> None:
    """Refuse, before the server starts, a working set too big to label in memory (the page said
    so only once a table was opened, naming sample_rows + top_rows)."""
    sample = working_set.DEFAULT_SAMPLE_ROWS if sample_rows is None else sample_rows
    top = working_set.DEFAULT_TOP_ROWS if top_rows is None else top_rows
    if sample + top > working_set.MAX_WORKING_ROWS:
        raise typer.BadParameter(
            f"{sample:,} sampled rows and {top:,} top rows make a working set of {sample + top:,} rows, "
            f"more than the {working_set.MAX_WORKING_ROWS:,} that can be labelled in memory; ask for fewer",
            param_hint="'--sample-rows' / '--top-rows'",
        )


def output_console(width: int | None = None) -> Console:
    """A console writing to the command's output (standard output), plain text."""
    return _PlainConsole(file=_OutputFile(), width=width)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),  # a description holds a name: printable(...)
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_err,
        transient=True,
        disable=not _err.is_terminal,
    )


def _write_output(
    text: str, output: Path | None, what: str | None = None, *, gzip_by_name: bool = True
) -> None:
    """Print ``text`` to stdout, or write it to ``output`` and say so on stderr (``wrote WHAT to F``).

    A file is written whole or not at all (a temporary file beside it, renamed when complete), so a
    full disk leaves no truncated output behind and says so. A file whose name ends in ``.gz`` is
    written gzip-compressed (``gzip_by_name``), one named for another packing is refused.
    """
    text = text if text.endswith("\n") else text + "\n"  # a text file's last line ends too
    if output is None:  # on a terminal a cell's escape sequence shows as its escape, not run
        emit(terminal_text(text) if _on_terminal() else text)
        return
    write_file(output, text, gzip_by_name=gzip_by_name)
    _err.print(f"wrote {what} to {output}" if what else f"wrote {output}")


def is_gzip_name(output: Path | None) -> bool:
    """Whether an output's name asks for gzip (it ends in ``.gz``: ``rows.csv.gz``)."""
    return output is not None and output.name.lower().endswith(".gz")


#: Endings of a packing the outputs are not written in (gzip is: ``.gz``).
_OTHER_PACKINGS = (".bz2", ".xz", ".zst", ".zip")


def check_packing(output: Path | None) -> None:
    """An :class:`OutputError` for an output named for a packing other than gzip (``rows.csv.bz2``):
    it would be written as plain text under a name that says otherwise."""
    ending = output.suffix.lower() if output is not None else ""
    if ending in _OTHER_PACKINGS:
        raise OutputError(
            f"cannot write {output.name!r}: outputs are compressed as gzip only; end the name with .gz "
            f"({output.with_suffix('.gz').name}), or leave out {ending} for plain text"
        )


def write_file(output: Path, text: str | bytes, *, gzip_by_name: bool = False) -> None:
    """Write ``text`` (or bytes) to ``output`` atomically; an :class:`OutputError` naming a full disk.
    With ``gzip_by_name``, gzip-compressed when the name ends in ``.gz``."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if gzip_by_name:
        check_packing(output)
    if gzip_by_name and is_gzip_name(output):
        data = gzip.compress(data, mtime=0)
    if output.exists() and not output.is_file():  # /dev/stdout, a pipe: written in place
        _write_in_place(output, data)
        return
    try:  # a folder that takes no new file (/proc, a read-only mount) fails here, named as the output
        target = writable_output(output)  # a link's target; a read-only file is refused
        fd, partial = partial_beside(target)  # the mode a plain open would give, not mkstemp's 0600
    except OSError as err:
        raise _output_failed(err, str(output), len(data)) from err
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise _output_failed(err, str(output), len(data)) from err


def _write_in_place(output: Path, data: bytes) -> None:
    try:
        with output.open("wb") as fh:
            fh.write(data)
    except OSError as err:
        raise _output_failed(err, str(output), len(data)) from err


def _output_failed(err: OSError, where: str, size: int | None) -> OutputError:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        written = "" if size is None else f" ({size:,} bytes)"
        return OutputError(
            f"disk full: {where} was not written{written}; free some space, or write elsewhere"
        )
    return OutputError(f"{where} could not be written ({err.strerror or err}); nothing was written there")


class StreamedOutput:
    """An output written a part at a time (a table of any size): standard output, or a temporary
    file beside ``output`` renamed over it once whole (gzip-compressed when its name ends in
    ``.gz``), so that a failure leaves nothing half-written. Use it as a context manager: the
    file is kept when the block ends without an error, removed otherwise."""

    def __init__(self, output: Path | None) -> None:
        self.output = output
        self._partial: Path | None = None
        self._target: Path | None = None
        self._raw = None
        self._sink = None

    def __enter__(self) -> StreamedOutput:
        check_packing(self.output)
        if self.output is None:
            output_bytes()  # refused at once when standard output is closed
            return self
        try:
            if self.output.exists() and not self.output.is_file():  # /dev/stdout, a pipe: in place
                self._raw = self.output.open("wb")
            else:
                self._target = writable_output(self.output)  # a link's target; a read-only file refused
                fd, self._partial = partial_beside(self._target)
                self._raw = os.fdopen(fd, "wb")
        except OSError as err:
            raise _output_failed(err, str(self.output), None) from err
        inner = self.output.name[: -len(".gz")]  # the name gunzip -N gives back, not the temporary file's
        self._sink = (
            gzip.GzipFile(filename=inner, fileobj=self._raw, mode="wb", mtime=0)
            if is_gzip_name(self.output)
            else self._raw
        )
        return self

    def write(self, text: str) -> None:
        """Write ``text`` (UTF-8); an :class:`OutputError` naming a full disk."""
        if self.output is None:
            emit(text)
            return
        try:
            self._sink.write(text.encode("utf-8"))
        except OSError as err:
            raise _output_failed(err, str(self.output), None) from err

    def __exit__(self, kind, value, traceback) -> None:
        if self.output is None:
            return
        try:
            if kind is None:
                self._keep()
        finally:
            with contextlib.suppress(OSError):
                self._sink.close()
                self._raw.close()
            if self._partial is not None:
                self._partial.unlink(missing_ok=True)

    def _keep(self) -> None:
        try:
            if self._sink is not self._raw:
                self._sink.close()  # the gzip trailer
            self._raw.flush()
            if self._partial is not None:
                os.fsync(self._raw.fileno())
                self._raw.close()
                os.replace(self._partial, self._target)
                self._partial = None
        except OSError as err:
            raise _output_failed(err, str(self.output), None) from err


# --------------------------------------------------------------------------- stdout is the output


class _Output:
    """Where a command's output goes: the process's standard output, kept apart from fd 1."""

    stream = None  # set by _stdout_for_output; None: standard output is closed


def emit(text: str) -> None:
    """Write ``text`` to standard output, the command's output; an :class:`OutputError` if it cannot."""
    stream = _Output.stream
    if stream is None:
        raise _closed()
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError) as err:  # EPIPE (the reader left), ENOSPC (> onto a full disk)
        _silence(stream)
        if getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
            raise OutputError(
                "disk full: standard output was not written whole; free some space, or pass --output F "
                "on another disk"
            ) from err
        what = getattr(err, "strerror", None) or str(err)
        raise OutputError(
            f"standard output could not be written ({what}): the output is incomplete; pass --output F"
        ) from err


def _on_terminal() -> bool:
    stream = _Output.stream
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _closed() -> OutputError:
    return OutputError(
        "standard output is closed, so the output would be lost; pass --output F, or run the "
        "command with its output going to a file or a pipe"
    )


def output_bytes() -> _EmittedBytes:
    """A binary file writing to standard output through :func:`emit`, for writers that stream
    bytes (Arrow's); an :class:`OutputError` at once when standard output is closed."""
    if _Output.stream is None:
        raise _closed()
    return _EmittedBytes()


class _EmittedBytes:
    """Bytes (UTF-8) written to standard output through :func:`emit`, a character never split."""

    closed = False

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def write(self, data) -> int:
        text = self._decoder.decode(bytes(data))
        if text:
            emit(text)
        return len(data)

    def flush(self) -> None:
        emit("")  # flushes standard output (a character split across writes waits for its rest)

    def writable(self) -> bool:
        return True


def _silence(stream) -> None:
    """After a failed write, the unwritten rest must not fail again when Python exits."""
    _Output.stream = open(os.devnull, "w")
    with contextlib.suppress(OSError, ValueError):
        os.dup2(_Output.stream.fileno(), stream.fileno())


@contextlib.contextmanager
def _stdout_for_output() -> Iterator[None]:
    """Standard output carries the command's output alone while the command runs.

    C libraries (a solver's banner: HiGHS 1.16 prints one) write to file descriptor 1 behind
    Python's back: fd 1 points at stderr meanwhile, and the output goes to a duplicate of the
    real standard output; ``print`` goes to stderr too. Writes to stdout go through :func:`emit`.
    """
    real = sys.stdout
    if real is None:  # started with stdout closed (`aad ... >&-`)
        _Output.stream, _out.file = None, _OutputFile()
        yield
        return
    real.flush()
    saved = _redirect_fd1_to_stderr()
    if saved is not None and _fileno(real) == 1:  # the real stdout: write to its duplicate
        stream = os.fdopen(os.dup(saved), "w", encoding=real.encoding or "utf-8", errors="replace")
    else:  # an in-memory stream (tests capture it), or no descriptor to guard
        stream = real
    errors = sys.stderr
    _Output.stream, _out.file = stream, _OutputFile()
    sys.stdout = sys.stderr = _Stderr(errors)
    try:
        yield
    finally:
        sys.stdout, sys.stderr, _out.file, _Output.stream = real, errors, None, None
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
        if stream is not real:
            with contextlib.suppress(OSError, ValueError):
                stream.close()


class _Stderr:
    """Standard error while a command runs: a write its reader refused (EPIPE, as after
    ``2>&1 | head -1``) is an :class:`OutputError`, exit status 2 as for standard output, where
    Click would exit with status 1."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._guarded(self._stream.write, text)

    def flush(self) -> None:
        self._guarded(self._stream.flush)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)

    @staticmethod
    def _guarded(call, *args):
        try:
            return call(*args)
        except BrokenPipeError as err:
            raise OutputError("standard error could not be written (Broken pipe): its reader left") from err


def _redirect_fd1_to_stderr() -> int | None:
    """Point file descriptor 1 at stderr; a duplicate of what it was (None if there is none)."""
    try:
        saved = os.dup(1)
    except OSError:
        return None
    try:
        os.dup2(2, 1)
    except OSError:
        os.close(saved)
        return None
    return saved


def _fileno(stream) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


class _OutputFile:
    """The file of the output consoles (Rich): everything goes through :func:`emit`, so a closed
    or full standard output is an :class:`OutputError` as for any other output; a terminal when
    standard output is one."""

    @property
    def encoding(self) -> str:
        return getattr(_Output.stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        emit(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        stream = _Output.stream
        try:
            return stream is not None and stream.isatty()
        except (OSError, ValueError):
            return False


def check_csv_output(output: Path | None, command: str, parquet: str) -> None:
    """Refuse a Parquet name for an output written as CSV text (it would be CSV under a Parquet
    name, which no Parquet reader, aad's included, would take); ``parquet`` says how to get one."""
    if output is not None and output.suffix.lower() in (".parquet", ".pq"):
        raise OutputError(
            f"--output {output} names a Parquet file, but `aad {command}` writes CSV; end the name "
            f"with .csv, or {parquet}"
        )


def check_not_input(output: Path | None, *inputs, option: str = "--output") -> None:
    """Refuse an output file that is one of the inputs (by any path: a symlink, a hard link), or
    a read-only file, before any work.

    ``inputs`` are paths, shipped dataset names or None.
    """
    if output is None or not output.exists():
        return
    try:
        writable_output(output)
    except OSError as err:
        raise _output_failed(err, str(output), 0) from err
    for given in inputs:
        path = _input_path(given)
        if path is not None and path.exists() and os.path.samefile(output, path):
            raise OutputError(
                f"{option} {output} is the input {given}"
                + ("" if str(given) == str(output) else " (the same file)")
                + ": writing there would destroy it; write the output elsewhere"
            )


def _input_path(given) -> Path | None:
    if given is None:
        return None
    text = os.fspath(given)
    if Path(text).exists():
        return Path(text)
    if text.startswith("shipped:"):
        text = text[len("shipped:") :]
    try:
        return aad.tables.resolve_source(text)[0]
    except aad.AADError:
        return None


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _file_digest(path: Path | None) -> str | None:
    """SHA-256 of a file's bytes, read a megabyte at a time (None without a file)."""
    if path is None:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _provenance(dataset: aad.Dataset, class_file: Path | None, scores: Path | None = None) -> dict:
    """What a simulation ran on, to rerun it: the columns, the file, and the versions."""
    import numpy
    import sklearn

    return {
        "data": {
            "source": dataset.source,
            "fingerprint": dataset.fingerprint,
            "truth_fingerprint": _digest(None if dataset.y is None else np.packbits(dataset.y).tobytes()),
            "features": list(dataset.feature_names),
            "label_column": dataset.label_column,
            "anomaly_value": dataset.anomaly_value,
            "categories": list(dataset.categories),
            "class_file": None if class_file is None else str(class_file),
            "class_file_sha256": None
            if class_file is None
            else _file_digest(aad.data.classes_path(class_file)),
            "scores": None if scores is None else str(scores),
            "scores_sha256": _file_digest(scores),
        },
        "versions": {"aad": aad.__version__, "scikit-learn": sklearn.__version__, "numpy": numpy.__version__},
    }


def _print_notes(dataset: aad.Dataset, max_samples: int | None = None) -> None:
    """The loader's notes on stderr, and one for ``--max-samples`` beyond the table's rows."""
    notes = list(dataset.notes)
    if max_samples is not None and max_samples > dataset.n_rows:
        notes.append(
            f"--max-samples {max_samples:,} is more than the {dataset.n_rows:,} rows: each tree is grown on "
            f"all {dataset.n_rows:,}"
        )
    for note in notes:
        print(f"note: {printable(note)}", file=sys.stderr)


def _print_summary(result: aad.SimulationResult, *, timing: bool = True) -> None:
    table = Table(
        title=f"{result.dataset}: {result.n_rows:,} rows, {count(result.n_anomalies, 'anomaly')}, "
        f"{count(len(result.runs), 'run')} ({result.strategy}, batch {result.batch_size}, "
        f"{result.params.get('queue', 'adaptive')} queue" + _detector_title(result.params) + "; "
        f"{settings_caption(result.params, len(result.runs), result.n_rows)})"
    )
    # Uniform weights score rows as the isolation forest does, so the two no-feedback
    # orders agree unless a tie broke differently: one column then, two otherwise.
    same = np.allclose(result.baseline_mean_found, result.iforest_mean_found)
    baselines = (
        {"no feedback (= isolation forest)": result.baseline_mean_found}
        if same
        else {
            "no feedback": result.baseline_mean_found,
            "isolation forest": result.iforest_mean_found,
        }
    )
    summary = result.to_dict()
    classes = summary.get("classes_found")  # with a class file: distinct anomaly classes found
    spread = "found (mean ± sd)" if result.std_found is not None else "found"  # sd: the sample's (ddof 1)
    for column in ("labels", spread, *baselines, *(["classes found"] if classes else [])):
        table.add_column(column, justify="right")
    marks = sorted({max(1, int(result.budget * f + 0.5)) for f in (0.1, 0.25, 0.5, 0.75, 1.0)})  # halves up
    for m in marks:
        i = m - 1
        spread = result.std_found
        found = f"{result.mean_found[i]:.1f}" + ("" if spread is None else f" ± {spread[i]:.1f}")
        extra = [f"{classes[i]:.1f}"] if classes else []
        table.add_row(str(m), found, *(f"{curve[i]:.1f}" for curve in baselines.values()), *extra)
    _out.print(table)
    if classes:
        _out.print(f"distinct anomaly classes per batch: {summary['mean_classes_per_batch']:.2f} (mean)")
    if timing:
        _out.print(f"median time per label: {result.seconds_per_label_median * 1000:.2f} ms")


def _detector_title(params: dict) -> str:
    detector = params.get("detector", "iforest")
    if detector == "iforest":
        return ""
    if detector == "eif":
        return f", extended isolation forest (ndim {params.get('ndim')})"
    members = [*params.get("members", []), *params.get("scores", [])]
    return f", ensemble of {', '.join(members)}"


def _register_commands() -> None:
    from app import commands

    for module in sorted(m.name for m in pkgutil.iter_modules(commands.__path__)):
        importlib.import_module(f"app.commands.{module}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``aad`` console script; returns the exit status."""
    _register_commands()
    command = typer.main.get_command(cli)
    _prepare_help(command)
    try:
        with _stdout_for_output():
            result = command.main(args=argv, prog_name="aad", standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        return 130
    except typer.TyperException as err:  # usage errors: bad option, missing argument
        if type(err).__name__ == "NoArgsIsHelpError":  # `aad` alone: the help was printed
            return 0
        return _fail(getattr(err, "format_message", err.__str__)())
    except (aad.AADError, OSError) as err:
        return _fail(str(err))
    except RecursionError:  # a hostile file nested beyond what any reader follows
        return _fail("the input is nested too deeply to read; pass the file aad wrote, not an edited one")
    return result if isinstance(result, int) else 0


def _prepare_help(command: click.Command) -> None:
    """Every command's help, as a reader expects it: on standard output, each paragraph one line.

    Typer prints the help with ``print``'s stream, which is standard error while a command runs
    (:func:`_stdout_for_output`), so ``aad score --help | less`` showed nothing: the help goes
    to the command's output instead. And Typer keeps a docstring's line breaks inside a
    paragraph; a terminal narrower than the docstring's lines then breaks them again, leaving a
    word or two alone on a line: each paragraph is one line for the terminal to wrap (one with
    an indented line, an example, is kept as written).
    """
    if command.help:
        paragraphs = inspect.cleandoc(command.help).split("\n\n")
        command.help = "\n\n".join(p if _laid_out(p) else " ".join(p.split()) for p in paragraphs)
    command.format_help = _on_stdout(command.format_help)
    shown = command.get_help_option(typer.Context(command))  # made once, kept by the command
    if shown is not None:
        shown.metavar = ""  # a flag taking no value: no '<bool>' beside --help
    for sub in getattr(command, "commands", {}).values():
        _prepare_help(sub)


def _laid_out(paragraph: str) -> bool:
    return any(line[:1].isspace() or line.startswith("\b") for line in paragraph.splitlines())


def _on_stdout(format_help):
    """``format_help`` writing to the command's output (standard output), not to ``print``'s."""

    def on_stdout(ctx, formatter) -> None:
        shown = sys.stdout
        sys.stdout = _Output.stream or shown
        try:
            format_help(ctx, formatter)
        finally:
            sys.stdout = shown

    return on_stdout


def _fail(message: str) -> int:
    """Say ``message`` on stderr; status 2, also when stderr is closed too (``2>&1 | head -1``)."""
    try:
        print(f"aad: error: {printable(' '.join(message.split()))}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # the message is lost; the status still says it, and exiting
        with contextlib.suppress(OSError, ValueError):  # must not fail again flushing stderr
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
    return 2


if __name__ == "__main__":  # pragma: no cover - `python -m app.cli`: use the importable module
    from app.cli import main as _main

    sys.exit(_main())
