"""`Session`: one analyst's labelling session, durable and reproducible.

A session ties a :class:`~aad.data.Dataset`, a fitted :class:`~aad.model.AADForest` and
an :class:`~aad.learner.ActiveLearner` to a record in a :class:`~aad.store.Store`. Every
action (label, skip, undo, redo) is first appended to the store's log and committed; only then
does the in-memory model change, by replaying the log from where it last stopped. So the
model in memory is always a function of the log, a second tab on the same session catches
up on its next call, and :meth:`Session.open` rebuilds the same model (the same labels and
the same scores, exactly) from the dataset, the parameters, the seed and the log.

It is the one object the app and the command line use.
"""

from __future__ import annotations

import dataclasses
import getpass
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd

from ._validation import Interval, validate_params
from .data import (  # noqa: F401 (load_dataset: doctests)
    Dataset,
    load_data,
    load_dataset,
    load_rows,
    parse_labels,
    select_columns,
)
from .detectors import DETECTORS, AADEnsemble, load_scores, make_detector, weights_path
from .errors import AADError, DataError, LabelError, UnknownStrategyError
from .labelfile import read_label_table
from .labels import ANOMALY, DIRECTION_CONTROLS, UNLABELLED, label_name, to_label
from .learner import QUEUES, ActiveLearner
from .model import SAMPLES, AADForest, default_n_estimators
from .query import strategy_names, top_unlabelled
from .store import (
    ADD_ROWS,
    MAX_KIND,
    MAX_NOTE,
    Action,
    Addition,
    RowLabel,
    SessionRecord,
    StaleVersionError,
    Store,
    labels_export,
    next_row_label,
)
from .stream.grow import Growth, grow_model
from .stream.growth import content_hash, unseen_rows
from .tables import csv_text, resolve_source
from .weights import BALANCE, MAX_RATIO

__all__ = [
    "DEFAULT_PARAMS",
    "Change",
    "Edit",
    "NothingToChangeError",
    "Session",
    "UndoOfOthersError",
    "default_analyst",
    "fit_model",
    "load_data",
    "select_columns",
]

#: Parameters of a new session unless told otherwise: the forest's, and the queue the
#: learner follows (:data:`aad.learner.QUEUES`).
DEFAULT_PARAMS = {
    "n_estimators": None,  # by the table's size (aad.model.default_n_estimators), stored as a number
    "max_samples": SAMPLES,  # sessions store it: one saved before keeps its 256
    "eta": 1.0,
    "balance": BALANCE,
    "max_ratio": MAX_RATIO,
    "queue": "adaptive",
    "explores_early": True,
    "strong_ranking": True,
    "first_look": True,
    "beliefs_ranking": True,
    "detector": "iforest",
    "regrow_on": "table",  # added rows: drifted trees regrown on the whole table (aad.stream.grow)
    "match_as_read": True,  # a table's rows known by their cells as read, a missing one as missing
    "skips_aside": True,  # skipped rows are no ranking's proposal (aad.portfolio.Portfolio.set_aside)
}
#: What a session saved before a parameter existed was scored with: it keeps that on reopening
#: (a session from before the query portfolio keeps following the learned model alone; one from
#: before the detectors was an isolation forest's; one from before the queue asked a challenger
#: in a dry spell before the first anomaly keeps not asking; one from before the strong ranking
#: keeps the portfolio of three; one from before the forest's first look keeps the rule without it).
_BEFORE_PARAMS = {
    "balance": 1.0,
    "max_ratio": None,  # the class weights uncapped: one nominal among 108 anomalies weighed 42 of them
    "queue": "feedback",
    "explores_early": False,
    "strong_ranking": False,  # the portfolio of three rankings, before the strong one
    "first_look": False,  # no first look at the forest's order, the streak reset by a new champion
    "beliefs_ranking": False,  # the portfolio of four rankings, before the local leaf beliefs
    "detector": "iforest",
    "regrow_on": "new",  # drifted trees regrown on the added rows alone, as a stream does
    # rows known by their values as filled in, so a missing cell, filled with the median of a table
    # that each addition changes, made the row new again at the next one (601 rows added for 600)
    "match_as_read": False,
    "max_samples": 256,  # every session stored it; a record without it would be from before 512
    "skips_aside": False,  # a skipped row stayed every ranking's proposal: the records stood still
}
#: Session parameters that are not the model's own: the learner's queue, its rule before the
#: first anomaly, whether its portfolio has the strong ranking and gives the forest's order a
#: first look, which detector, and the precomputed scores file of an ensemble (its kept copy
#: and the SHA-256 of its bytes); and the columns its table was asked to read as categories
#: (``categories``: stored only when some were, so that a session without keeps its parameters).
_LEARNER_PARAMS = (
    "regrow_on",
    "match_as_read",
    "skips_aside",
    "queue",
    "explores_early",
    "strong_ranking",
    "first_look",
    "beliefs_ranking",
    "detector",
    "scores_file",
    "scores_sha256",
    "categories",
)
_SHIPPED = "shipped:"
_MAX_WRITE_TRIES = 100  # a conditional write retries only when another writer got in first
#: A redo is written as a copy of the action it gives back, whose ``via`` reads ``redo of v12``
#: (that action's number): the log's kinds stay label, skip, unskip and undo, so an aad from before
#: redo replays it to the same labels, and the copy is known for a redo only when it names the
#: latest action undone and matches it cell for cell.
REDO_VIA = "redo of v"
#: The source of a rename (or merge) of a kind (:meth:`Session.rename_kind`): a label action on
#: its rows, which the history and the Label page's last line call a rename.
RENAME_VIA = "rename kind"
#: Where the analyst, not the queue, picks the rows: a selection on the Explore page, a search on
#: the Rows page, a labels file (``file NAME``). Their labels are no part of :attr:`Session.streak`.
CHOSEN_VIA = ("explore", "rows", "file ")

ModelFactory = Callable[[Dataset, dict, int], AADForest]


def default_analyst() -> str | None:
    """Who takes the actions of a session used from Python or the command line: the OS user."""
    try:
        return getpass.getuser() or None
    except (OSError, KeyError):  # no user name in the environment nor the password database
        return None


@dataclasses.dataclass(frozen=True)
class Edit:
    """One row's change for :meth:`Session.edit`.

    ``label``: anomaly/nominal (1/0, True/False), or ``-1`` / ``""`` to remove the row's
    label; ``kind`` (of anomaly) and ``note``: text, ``""`` to clear. None leaves each as it is.
    A nominal row has no kind.

    Examples
    --------
    Three rows changed three ways in one action: one labelled anomaly with a kind, one nominal
    with a note, one label taken back; one undo reverts them all:

    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = Store(Path(folder.name) / "s.sqlite")
    >>> session = Session.create(load_dataset("toy2"), store=store, params={"n_estimators": 20})
    >>> _ = session.label(7, "anomaly")
    >>> action = session.edit([Edit(3, "anomaly", kind="card testing"), Edit(5, "nominal", note="a refund"),
    ...                        Edit(7, label=-1)])
    >>> action.rows, action.labels
    ((3, 5, 7), (1, 0, -1))
    >>> session.labels(), session.row_label(3).kind, session.row_label(5).note
    ({3: 1, 5: 0}, 'card testing', 'a refund')
    >>> _ = session.undo()
    >>> session.labels()
    {7: 1}
    >>> store.close()
    >>> folder.cleanup()
    """

    row: int
    label: Any = None
    kind: str | None = None
    note: str | None = None


def _action_text(action: Action) -> str:
    """An action as a message names it: ``label of row 6``, ``skip of rows 3, 4``, ``undo``.

    >>> _action_text(Action(4, "label", (6,), (1,), "", 4)), _action_text(Action(5, "undo", (), (), "", 5))
    ('label of row 6', 'undo')
    """
    rows = ", ".join(map(str, action.rows[:5])) + (", …" if len(action.rows) > 5 else "")
    return f"{action.kind} of {'rows' if len(action.rows) > 1 else 'row'} {rows}" if rows else action.kind


class UndoOfOthersError(LabelError):
    """An undo pressed on a page would take back another analyst's action: refused once, naming
    them; :meth:`Session.undo` with ``confirm=number`` then takes it back."""

    def __init__(self, message: str, number: int) -> None:
        super().__init__(message)
        #: The number of the other analyst's action the undo would take back.
        self.number = number


class NothingToChangeError(LabelError):
    """A labels file whose every row already carries its label, kind and note
    (:meth:`Session.import_labels`)."""


class _Undone(NamedTuple):
    """An action an undo took back, for :meth:`Session.redo`, and the kinds on offer before the undo."""

    action: Action
    kinds: frozenset[str]


@dataclasses.dataclass(frozen=True)
class Change:
    """What one action did to one row: its state before and after (None: unlabelled)."""

    row: int
    before: RowLabel | None
    after: RowLabel | None


def fit_model(
    dataset: Dataset, params: dict, seed: int, *, progress: Callable[[str, float], None] | None = None
) -> AADForest:
    """Fit the session model: the ``detector`` of ``params`` (``iforest`` when absent:
    ``AADForest(**params, random_state=seed).fit(dataset.X)``; ``eif``; ``ensemble``, with the
    precomputed scores of ``scores_file`` when given).

    ``params`` may hold the session's learner parameters (``queue``) too; they are not the
    model's and are left out. ``progress(step, fraction_done)`` is called as the fit goes
    (see :meth:`AADForest.fit`). A working set's forest is grown on its uniform sample
    (:attr:`Dataset.grow_on`).

    Examples
    --------
    A session's parameters and seed give the same model every time (the ``queue`` is the
    learner's, not the model's); ``detector`` picks another model:

    >>> data = load_dataset("toy2")
    >>> model = fit_model(data, {"n_estimators": 20, "queue": "adaptive"}, seed=0)
    >>> type(model).__name__, model.n_estimators, model.labels_.shape
    ('AADForest', 20, (485,))
    >>> again = fit_model(data, {"n_estimators": 20}, seed=0)
    >>> bool((again.anomaly_score() == model.anomaly_score()).all())
    True
    >>> fit_model(data, {"detector": "ensemble", "members": ["iforest", "lof"]}, seed=0).member_names_
    ('iforest', 'lof')
    """
    own = {key: value for key, value in params.items() if key not in _LEARNER_PARAMS}
    model = make_detector(params.get("detector", "iforest"), own, random_state=seed)
    scores = _session_scores(params, dataset.n_rows)
    extra = {} if scores is None else {"scores": scores}
    return model.fit(dataset.X, progress=progress, grow_on=dataset.grow_on, **extra)


def _session_scores(params: dict, n_rows: int):
    """The precomputed scores a session's ensemble learns from, checked against their SHA-256."""
    path = params.get("scores_file")
    if path is None:
        return None
    if not Path(path).is_file():
        raise DataError(
            f"the scores file of this session ({path}) is gone, so its ensemble cannot be rebuilt; "
            "restore the file, or start a new session"
        )
    table = load_scores(path, n_rows)
    expected = params.get("scores_sha256")
    if expected is not None and table.fingerprint != expected:
        raise DataError(
            f"the scores file of this session ({path}) has changed since the session started, so its "
            "labels would not apply to the same ensemble; restore the original file or start a new session"
        )
    return table


class Session:
    """A labelling session whose every action is durable before it takes effect.

    Use :meth:`create` or :meth:`open`, not the constructor.

    Attributes
    ----------
    record : SessionRecord
        Its row in the store (settings, data source, seed).
    dataset : Dataset
    model : AADForest
        Never change it directly: go through :meth:`label`, :meth:`skip`, :meth:`undo` and
        :meth:`redo`.
    learner : ActiveLearner
    store : Store

    Examples
    --------
    >>> import tempfile
    >>> store = Store(Path(tempfile.mkdtemp()) / "s.sqlite")
    >>> session = Session.create(load_dataset("toy2"), store=store, seed=0)
    >>> row = int(session.batch()[0])
    >>> _ = session.label(row, "anomaly")
    >>> again = Session.open(session.id, store=store)
    >>> again.n_labels, bool((again.scores() == session.scores()).all())
    (1, True)
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "seed": [Interval("int", 0, 2**32 - 1)],
        "batch_size": [Interval("int", 1, 1000)],
    }

    def __init__(self, record: SessionRecord, dataset: Dataset, model: AADForest, store: Store) -> None:
        self.record = record
        self.dataset = dataset
        self.model = model
        self.store = store
        params = {**_BEFORE_PARAMS, **record.params}
        self.learner = ActiveLearner(
            model,
            dataset.X,
            strategy=record.strategy,
            batch_size=record.batch_size,
            random_state=record.seed,
            queue=params["queue"],
            explores_early=params["explores_early"],
            strong_ranking=params["strong_ranking"],
            first_look=params["first_look"],
            beliefs_ranking=params["beliefs_ranking"],
        )
        self._initial = model.anomaly_score()
        self._version = 0
        self._history: list[Action] = []
        #: Per action not undone, oldest first: the action, and what its undo reverts.
        self._undo: list[tuple[Action, str, list[int], dict[int, RowLabel | None]]] = []
        self._redo: list[_Undone] = []  # the actions undone since the latest new action, oldest first
        self._redone: dict[int, Action] = {}  # a redo's number -> the action it gave back (the first taken)
        self._skipped: set[int] = set()
        self._skips_aside = bool(params["skips_aside"])
        self._states: dict[int, RowLabel] = {}  # the labelled rows, with their kinds and notes
        self._changes: dict[int, list[Change]] = {}  # per label action: what it did to each row
        self._spelling: dict[str, str] = {}  # a kind as first written, by its lower case
        self._undone_kinds: set[str] = set()  # kinds of labels an undo took back (lower case)
        self._chosen: set[int] = set()  # rows the analyst labelled from a selection, a search, a file
        #: Who takes this session's actions unless an action names someone: the OS user.
        self.analyst: str | None = default_analyst()
        self._batch: list[int] = list(record.batch)
        #: The row **Different** last put first in the batch (None before any).
        self.different_row: int | None = None
        self._scores: tuple[int, np.ndarray] | None = None
        self._previous: np.ndarray | None = None
        self._sorted: np.ndarray | None = None
        #: What each addition of rows did (:meth:`add_rows`), oldest first.
        self.growths: list[Growth] = []

    # ------------------------------------------------------------------ creating, opening

    @classmethod
    def create(
        cls,
        dataset: Dataset,
        *,
        store: Store,
        params: dict | None = None,
        seed: int = 0,
        strategy: str = "top",
        batch_size: int = 1,
        model_factory: ModelFactory | None = None,
        title: str = "",
        description: str = "",
    ) -> Session:
        """Fit a model on ``dataset`` and start a new session on it.

        Parameters
        ----------
        dataset : Dataset
            Loaded from a shipped dataset or a file (``dataset.source``), so it can be reloaded.
        store : Store
        params : dict, optional
            :class:`~aad.model.AADForest` parameters and the ``queue``
            (:class:`~aad.learner.ActiveLearner`); :data:`DEFAULT_PARAMS` fill the rest.
        seed : int, default=0
            Seed of the forest and of random query strategies.
        strategy : str, default="top"
        batch_size : int, default=1
        model_factory : callable, optional
            ``(dataset, params, seed) -> fitted AADForest`` (default :func:`fit_model`); a
            cache may return a copy of a model fitted before, never one in use.
        title, description : str, optional
            What the analysts call the session (changed later with :meth:`rename`).

        Raises
        ------
        AADError
            For a bad parameter, strategy or source; nothing is stored then.
        """
        source = _reloadable_source(dataset.source)
        _check_settings(strategy, batch_size, seed)
        params = {**DEFAULT_PARAMS, **(params or {})}
        if params["n_estimators"] is None:  # the session keeps the number: a grown table keeps its trees
            params["n_estimators"] = default_n_estimators(dataset.n_rows)
        _check_queue(params["queue"])
        params = _keep_scores(params, store, dataset.n_rows)
        params.pop("categories", None)  # how the table was read is the dataset's to say
        params |= {"categories": list(dataset.categories)} if dataset.categories else {}
        model = (model_factory or fit_model)(dataset, params, seed)
        if params["queue"] != "adaptive" and params["queue"] not in model.rankings_:  # before storing
            raise UnknownStrategyError(
                f"this {type(model).__name__} offers no {params['queue']!r} ranking; choose the queue among "
                f"adaptive, {', '.join(model.rankings_)}"
            )
        record = store.create_session(
            dataset=dataset.name,
            source=source,
            fingerprint=dataset.fingerprint,
            features=dataset.feature_names,
            label_column=dataset.label_column,
            params=params,
            seed=seed,
            strategy=strategy,
            batch_size=batch_size,
            notes=dataset.notes,
            anomaly_value=dataset.anomaly_value,
            working_set=dataset.working_set,
            title=title,
            description=description,
        )
        return cls(record, dataset, model, store)

    @classmethod
    def open(
        cls,
        session_id: str,
        *,
        store: Store,
        dataset: Dataset | None = None,
        model_factory: ModelFactory | None = None,
    ) -> Session:
        """Reopen a session: reload its data, refit with its seed, replay its log.

        Parameters
        ----------
        session_id : str
        store : Store
        dataset : Dataset, optional
            The session's data, if already loaded (it must have the recorded fingerprint).
        model_factory : callable, optional
            As in :meth:`create`.

        Raises
        ------
        SessionNotFoundError
        DataError
            When the data cannot be read or is no longer the data the session was fitted on.
        """
        record = store.get(session_id)
        if dataset is None:
            try:
                dataset = load_data(record.source, **reading(record))
            except AADError as err:  # say whose file it is: the analyst passed another one, or none
                raise DataError(
                    f"session {record.id}'s data, {record.source}, cannot be read ({err}); put the file "
                    "back at that path, unchanged (the session's labels are kept meanwhile)"
                ) from None
        if dataset.fingerprint != record.fingerprint:
            raise DataError(_changed_data(record, dataset))
        _check_params(record)
        params = {**_BEFORE_PARAMS, **record.params}
        session = cls(record, dataset, (model_factory or fit_model)(dataset, params, record.seed), store)
        actions = store.actions(session.id, after=session._version)
        for action in actions[:-1]:
            session._apply(action)
        if actions:  # the scores before the latest action: the rank moves a reload still shows
            session._previous = session.scores()
            session._apply(actions[-1])
        session._batch = list(record.batch)
        return session

    def __reduce__(self):
        # A session serializes as its address: unpickling reopens it from the store.
        return (_reopen, (str(self.store.path), self.id))

    # ------------------------------------------------------------------ identity and state

    @property
    def id(self) -> str:
        """The session id (as in URLs and ``aad sessions list``)."""
        return self.record.id

    @property
    def version(self) -> int:
        """Model version: the number of actions applied (labels, skips, undos and redos)."""
        return self._version

    @property
    def seed(self) -> int:
        """Seed of the forest and of random query strategies."""
        return self.record.seed

    @property
    def n_labels(self) -> int:
        """Rows that carry a label."""
        return self.learner.n_labels

    @property
    def n_anomalies(self) -> int:
        """Rows labelled anomaly."""
        return self.learner.n_anomalies

    @property
    def skipped(self) -> frozenset[int]:
        """Rows skipped and not brought back."""
        return frozenset(self._skipped)

    @property
    def can_undo(self) -> bool:
        """Whether there is an action to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an action to redo: one or more undos came last (:meth:`redo`)."""
        return bool(self._redo)

    def redo_of(self, action: Action | int) -> Action | None:
        """The action a redo gave back, as first taken (None when ``action`` is no redo)."""
        return self._redone.get(action if isinstance(action, int) else action.number)

    def labels(self) -> dict[int, int]:
        """The labels in effect: row -> 1 (anomaly) or 0 (nominal)."""
        rows = np.flatnonzero(self.model.labels_ != UNLABELLED)
        return {int(r): int(self.model.labels_[r]) for r in rows}

    def labels_csv(self) -> str:
        """The labels as CSV: ``row``, ``label``, ``kind``, ``note``, ``analyst`` and
        ``labelled_at``, as ``aad sessions export`` writes them, then the row's context columns
        (an id, a timestamp), to join them back to the source. ``aad rules --labels`` and a
        session's labels upload read the file as it is; it is safe to open in a spreadsheet."""
        table, context = labels_export(self._states), self.dataset.context
        if context is not None and len(table):
            taken = set(table.columns)
            context = context.rename(columns={c: f"{c} (data)" for c in context.columns if c in taken})
            table = pd.concat([table, context.iloc[table["row"]].reset_index(drop=True)], axis=1)
        return csv_text(table)

    def row_labels(self) -> dict[int, RowLabel]:
        """Every labelled row's label, kind, note, analyst and the action that set them."""
        return dict(self._states)

    def row_label(self, row: int) -> RowLabel | None:
        """``row``'s label, kind and note (None when it has no label)."""
        return self._states.get(int(row))

    def kinds(self) -> Counter:
        """The labelled anomalies counted by kind (``""`` for those without one), most common first."""
        return Counter(s.kind or "" for s in self._states.values() if s.label == ANOMALY)

    def kind_names(self) -> list[str]:
        """The anomaly kinds on offer (as first spelled), in order of first use: those some labelled
        anomaly carries now, and those of labels an undo took back (to pick again). A kind
        mistyped and then corrected on its rows (``acard testing``), or renamed
        (:meth:`rename_kind`), is no longer offered."""
        carried = {s.kind.casefold() for s in self._states.values() if s.label == ANOMALY and s.kind}
        offered = carried | self._undone_kinds
        return [name for folded, name in self._spelling.items() if folded in offered]

    def changes(self, action: Action | int) -> list[Change]:
        """What a label action did to each of its rows (empty for other actions)."""
        number = action if isinstance(action, int) else action.number
        return list(self._changes.get(number, ()))

    def provenance(self, description) -> dict:
        """Where rules described on this session come from, flat, for their exports.

        The description's provenance (data fingerprint, rows, forest seed, labels, tau,
        time, version), the session's other model parameters, its id, data source and
        model version: what the Rules page and ``aad rules --session`` write.
        """
        extra = {key: value for key, value in self.record.params.items() if key not in description.provenance}
        return {
            **description.provenance,
            **extra,
            "session": self.id,
            "source": self.record.source,
            "model_version": self.version,
        }

    def history(self) -> tuple[Action, ...]:
        """Every action applied, oldest first; ``action.number`` is the model version after it."""
        return tuple(self._history)

    # ------------------------------------------------------------------ actions

    def label(
        self,
        rows: int | Sequence[int],
        label,
        *,
        only_open: bool = False,
        kind: str | None = None,
        note: str | None = None,
        expect: dict[int, int] | None = None,
        analyst: str | None = None,
        via: str | None = None,
    ) -> Action:
        """Label one row or several (anomaly/nominal, 1/0, True/False); durable before it applies.

        Parameters
        ----------
        rows : int or sequence of int
        label : str, int or bool
        only_open : bool, default=False
            Write only if every row is still unlabelled and not skipped, checked against
            the log in the same transaction as the write: what a card's buttons mean when
            another tab may have labelled the card meanwhile. Without it a label replaces
            any label the rows had, and rows that already carry it (with the same kind and
            note) are left out (they cost no label).
        kind : str, optional
            The anomalies' kind (``account takeover``; ``""`` clears it). A kind written
            before in the session, in another case, keeps its first spelling. Nominal rows
            have none. The model learns from the label alone.
        note : str, optional
            A short note on every row (``""`` clears it). None keeps the rows' kind and note.
        expect : dict, optional
            ``row -> label`` (-1 for unlabelled) the caller saw: the write happens only if the
            rows still carry them, checked in the same transaction (a table drawn before
            another tab labelled a row never overwrites that label).
        analyst : str, optional
            Who labels (:attr:`analyst` by default, the OS user).
        via : str, optional
            Where the label was given (``card``, ``table``, ``explore``), for the history.

        Raises
        ------
        LabelError
            For a row out of range or an unknown label, or (``only_open``, ``expect``) a row
            labelled or skipped meanwhile; nothing is stored then, and the session has caught up.
        """
        rows = self._check_rows(rows)
        value = to_label(label)
        edits = [Edit(r, value, kind, note) for r in rows]
        return self.edit(edits, only_open=only_open, expect=expect, analyst=analyst, via=via)

    def annotate(
        self,
        rows: int | Sequence[int],
        *,
        kind: str | None = None,
        note: str | None = None,
        expect: dict[int, int] | None = None,
        analyst: str | None = None,
        via: str | None = None,
    ) -> Action:
        """Give labelled rows a kind (anomalies) or a note, or change them; the labels stay.

        One undoable action; the model does not change. Raises :class:`LabelError` for an
        unlabelled row, or when nothing would change.
        """
        edits = [Edit(r, None, kind, note) for r in self._check_rows(rows)]
        return self.edit(edits, expect=expect, analyst=analyst, via=via)

    def rename_kind(
        self, old: str, new: str, *, analyst: str | None = None, via: str | None = RENAME_VIA
    ) -> Action:
        """Rename a kind of anomaly on every row that carries it, as one action (one undo).

        When ``new`` is a kind already written in the session (in any case, as kinds are
        compared), the two are merged: the rows of ``old`` take that kind as first spelled.
        The rows are those carrying ``old`` when the action is written (a label given in
        another tab meanwhile is included); their labels and notes stay, and the model does
        not change.

        Parameters
        ----------
        old : str
            A kind some labelled anomaly carries (in any case).
        new : str
            Its new name (spaces collapsed), at most :data:`aad.store.MAX_KIND` characters.
        analyst, via : str, optional
            As in :meth:`label` (``via`` by default :data:`RENAME_VIA`, which the history names).

        Returns
        -------
        Action
            The action written; :meth:`changes` tells each row's kind before and after.

        Raises
        ------
        LabelError
            When ``new`` is empty, too long or ``old`` itself (in any case), or no labelled
            anomaly carries ``old``; nothing is stored then.

        Examples
        --------
        >>> import tempfile
        >>> store = Store(Path(tempfile.mkdtemp()) / "s.sqlite")
        >>> session = Session.create(load_dataset("toy2"), store=store, seed=0)
        >>> _ = session.label([3, 5], "anomaly", kind="card test")
        >>> _ = session.label(7, "anomaly", kind="card testing")
        >>> _ = session.rename_kind("card test", "Card Testing")  # a merge: one spelling stays
        >>> session.kinds(), session.kind_names()
        (Counter({'card testing': 3}), ['card testing'])
        >>> _ = session.undo()
        >>> sorted(session.kinds().items())
        [('card test', 2), ('card testing', 1)]
        """
        old, new = " ".join(str(old or "").split()), " ".join(str(new or "").split())
        _check_kind_rename(old, new)

        def cells() -> list[tuple[int, int | None, str | None, str | None]]:
            rows = [
                row
                for row, state in sorted(self._states.items())
                if state.label == ANOMALY and state.kind and state.kind.casefold() == old.casefold()
            ]
            if not rows:
                carried = ", ".join(self.kind_names()) or "none yet"
                raise LabelError(
                    f"no labelled anomaly has the kind {old!r}, so there is nothing to rename; the "
                    f"session's kinds: {carried}"
                )
            kind = self._spelled(new)
            return [(row, None, kind, self._states[row].note) for row in rows]

        self._sync()
        return self._write("label", cells=cells, analyst=analyst, via=via)

    def edit(
        self,
        edits: Iterable[Edit],
        *,
        only_open: bool = False,
        expect: dict[int, int] | None = None,
        analyst: str | None = None,
        via: str | None = None,
    ) -> Action:
        """Change rows' labels, kinds and notes, each its own way, as one action (one undo).

        A row whose label, kind and note would not change is left out; ``only_open``,
        ``expect``, ``analyst`` and ``via`` as in :meth:`label`.

        Raises
        ------
        LabelError
            For a row out of range or given twice, an unknown label, a kind or note too
            long, a kind or note for an unlabelled row, nothing to change, or (``only_open``,
            ``expect``) a row changed meanwhile; nothing is stored then.
        """
        edits = list(edits)
        rows = self._check_rows([e.row for e in edits]) if edits else []
        if len(rows) != len(edits):
            twice = next(r for r in rows if sum(int(e.row) == r for e in edits) > 1)
            raise LabelError(f"row {twice} is given twice; give each row once")
        edits = [
            dataclasses.replace(e, row=r, label=_edit_label(e.label))
            for e, r in zip(edits, rows, strict=True)
        ]
        for e in edits:
            _check_text(e.kind, "kind", MAX_KIND)
            _check_shown(e.kind)
            _check_text(e.note, "note", MAX_NOTE)

        who = self.analyst if analyst is None else analyst

        def check() -> None:
            if only_open:
                self._check_open(rows, who)
            if expect:
                self._check_expected(expect, who)

        def cells() -> list[tuple[int, int | None, str | None, str | None]]:
            out = [cell for cell in map(self._cell, edits) if cell is not None]
            if not out:
                raise LabelError(_nothing_to_change(edits))
            return out

        action = self._write("label", check=check, cells=cells, analyst=analyst, via=via)
        if not self._batch:  # labelled elsewhere than on the cards: the next batch is drawn afresh
            self._save_batch(self._batch)
        return action

    def import_labels(
        self, path: str | Path, *, name: str | None = None, analyst: str | None = None
    ) -> Action:
        """Apply a labels file to this session as one action (one undo reverts it all).

        The file names rows by ``row`` (0-based) or by an id column of the data, labels them
        anomaly/nominal, and may give a ``kind`` and a ``note`` per row
        (:func:`aad.labelfile.read_label_table`).
        Rows that already carry the file's label, kind and note are left out. ``name``: the
        file's name as the analyst knows it (an upload's), in messages and the history.

        Raises
        ------
        LabelFileError
            Listing every bad line; nothing is applied then.
        LabelError
            When the file changes nothing.
        """
        shown = name or Path(path).name
        table = read_label_table(path, self.dataset.n_rows, ids=self.dataset.context, name=shown)
        if not len(table.rows):
            raise LabelError(f"{shown} labels no row; nothing was applied")
        n = len(table.rows)
        kinds = table.kinds or [None] * n
        notes = table.notes or [None] * n
        edits = [
            Edit(
                int(row),
                int(label),
                (kinds[i] or "") if table.kinds is not None else None,
                (notes[i] or "") if table.notes is not None else None,
            )
            for i, (row, label) in enumerate(zip(table.rows, table.labels, strict=True))
        ]
        try:
            return self.edit(edits, analyst=analyst, via=f"file {shown}")
        except LabelError as err:
            if "nothing to change" in str(err):
                raise NothingToChangeError(
                    f"every row of {shown} already carries its label (and kind and note): nothing to change"
                ) from None
            raise

    def skip(
        self,
        rows: int | Sequence[int],
        *,
        only_open: bool = False,
        analyst: str | None = None,
        via: str | None = None,
    ) -> Action:
        """Set rows aside: they leave the batch and are not queried until :meth:`unskip`.

        ``only_open``, ``analyst`` and ``via`` as in :meth:`label`.
        """
        rows = self._check_rows(rows)
        who = self.analyst if analyst is None else analyst
        check = (lambda: self._check_open(rows, who)) if only_open else None
        return self._write("skip", rows, check=check, analyst=analyst, via=via)

    def unskip(self, *, analyst: str | None = None) -> Action:
        """Bring every skipped row back into the query pool."""
        self._sync()
        if not self._skipped:
            raise LabelError("there are no skipped rows to bring back")
        return self._write("unskip", sorted(self._skipped), analyst=analyst)

    def undo(
        self, *, version: int | None = None, analyst: str | None = None, confirm: int | None = None
    ) -> Action:
        """Revert the latest action.

        The rows of a card-sized action (no more rows than the batch size) come back to the
        front of the batch; after undoing a bulk action (many rows labelled at once, as on
        the Explore page) the next batch is drawn afresh.

        Parameters
        ----------
        version : int, optional
            The model version the caller is looking at: the undo is written only if no
            action came after it (checked in the same transaction as the write), so an undo
            pressed in one tab never reverts a label just given in another. An undo pressed on
            a page that would take back another analyst's action is refused once, naming them
            (:class:`UndoOfOthersError`, with that action's number).
        analyst : str, optional
            Who undoes (:attr:`analyst` by default).
        confirm : int, optional
            The number of another analyst's action the caller was told this undo takes back
            (``UndoOfOthersError.number``): with ``version``, only then is it undone.

        Raises
        ------
        LabelError
            When there is nothing to undo, or (``version``) the session has moved on or the
            action to undo is another analyst's, not confirmed; nothing is stored then, and
            the session has caught up.
        """
        if version is None:
            self._sync()
        who = self.analyst if analyst is None else analyst
        action = self._write("undo", check=lambda: self._check_undo(version, who, confirm), analyst=analyst)
        self._save_batch(self._batch)
        return action

    def redo(self, *, version: int | None = None, analyst: str | None = None) -> Action:
        """Give back the action the latest undo took back: its labels, kinds, notes or skips.

        Possible only directly after one or more undos: any new action (a label, a skip, an
        edit, a kind renamed, rows added) ends what can be redone. Several undos are redone
        in turn, the latest undone first. The redo is appended to the log as a copy of that
        action (:data:`REDO_VIA`), so the model ends exactly as it was before the undo (the
        same labels, scores and queue) and a reopened session replays to the same state.

        Parameters
        ----------
        version : int, optional
            The model version the caller is looking at: the redo is written only if no
            action came after it (checked in the same transaction as the write), so a redo
            pressed in one tab never gives back a label after another tab moved on.
        analyst : str, optional
            Who redoes (:attr:`analyst` by default); the rows' labels are then theirs.

        Returns
        -------
        Action
            The action written; :meth:`redo_of` names the action it gave back.

        Raises
        ------
        LabelError
            When there is nothing to redo, or (``version``) the session has moved on; nothing
            is stored then, and the session has caught up.

        Examples
        --------
        >>> import tempfile
        >>> store = Store(Path(tempfile.mkdtemp()) / "s.sqlite")
        >>> session = Session.create(load_dataset("toy2"), store=store, seed=0)
        >>> row = int(session.batch()[0])
        >>> _ = session.label(row, "anomaly", kind="card testing", note="seen twice")
        >>> scores = session.scores().copy()
        >>> _ = session.undo()
        >>> session.row_label(row), session.can_redo
        (None, True)
        >>> action = session.redo()
        >>> session.row_label(row).kind, session.row_label(row).note, bool((session.scores() == scores).all())
        ('card testing', 'seen twice', True)
        >>> session.redo_of(action).number, session.can_redo, [a.kind for a in session.history()]
        (1, False, ['label', 'undo', 'label'])
        """
        if version is None:
            self._sync()

        def fields() -> dict:
            self._check_redo(version)
            undone = self._redo[-1].action
            out = {"kind": undone.kind, "rows": list(undone.rows), "via": f"{REDO_VIA}{undone.number}"}
            if undone.kind == "label":
                _, labels, kinds, notes = zip(*undone.cells(), strict=True)
                out.update(labels=list(labels), anomaly_kinds=list(kinds), notes=list(notes))
            return out

        action = self._append(fields, analyst=analyst, doing="redo")
        self._save_batch(self._batch)
        return action

    def configure(self, *, strategy: str | None = None, batch_size: int | None = None) -> None:
        """Change the query strategy or batch size; the next batch is drawn with them.

        The one not given keeps its stored value (another tab may have changed it since).
        """
        stored = self.store.get(self.id)
        strategy = stored.strategy if strategy is None else strategy
        batch_size = stored.batch_size if batch_size is None else int(batch_size)
        _check_settings(strategy, batch_size, self.seed)
        self.store.update(self.id, strategy=strategy, batch_size=batch_size, batch=[])
        self.record = dataclasses.replace(self.record, strategy=strategy, batch_size=batch_size, batch=())
        self.learner.strategy, self.learner.batch_size = strategy, batch_size
        self._batch = []

    def rename(self, *, title: str | None = None, description: str | None = None) -> None:
        """Change the session's title or description (None keeps it)."""
        self.store.update(self.id, title=title, description=description)
        self.record = dataclasses.replace(
            self.record, title=self.store.get(self.id).title, description=self.store.get(self.id).description
        )

    def refresh(self) -> bool:
        """Catch up with the store (actions and settings from another tab); True if anything changed."""
        changed = bool(self._sync())
        record = self.store.get(self.id)
        changed |= _settings(record) != _settings(self.record)
        self.record = record
        self.learner.strategy, self.learner.batch_size = record.strategy, record.batch_size
        self._batch = list(record.batch)
        return changed

    # ------------------------------------------------------------------ queries

    def batch(self) -> np.ndarray:
        """The rows to show now: the current batch minus labelled or skipped rows.

        When none is left, the next batch is drawn with the query strategy and recorded.
        Empty only when every row is labelled or skipped.
        """
        rows = [r for r in self._batch if self._is_open(r)]
        if not rows:
            rows = self._draw()
            self._save_batch(rows)
        self._batch = rows
        return np.asarray(rows, dtype=np.int64)

    def different(self) -> np.ndarray:
        """Replace the batch by one that starts with a row the queue would not show next
        ("show me something different"): high in the forest's own order and outside the found
        anomalies' regions (:meth:`outside_found`; :meth:`aad.portfolio.Portfolio.different`),
        for an analyst who suspects a kind is used up before the queue does. Asked again,
        another such row: the rows on screen are not offered twice."""
        on_screen = [r for r in self._batch if self._is_open(r)]
        rows = self._draw(explore=True, exclude=on_screen)
        self._save_batch(rows)
        self._batch = rows
        self.different_row = rows[0] if rows else None
        return np.asarray(rows, dtype=np.int64)

    @property
    def following(self) -> str:
        """The ranking the queue follows now (see :data:`aad.model.RANKINGS`)."""
        return self.learner.following

    def proposed_by(self, row: int) -> tuple[str, ...]:
        """The rankings whose highest unlabelled row is ``row`` (see :data:`aad.model.RANKINGS`)."""
        return self.learner.proposed_by(row)

    def outside_found(self, row: int) -> bool | None:
        """Whether ``row`` lies outside the regions of the anomalies labelled so far: in at least
        half of the trees its leaf holds none of them (every row, before the first). What
        :meth:`different` looks for; a row outside may still share some values with them. None
        for a model without a forest's leaves."""
        return self.learner.outside_found(row)

    def queue_records(self) -> dict[str, tuple[int, int]]:
        """With the adaptive queue, each ranking's record: (anomalies among its proposals labelled,
        proposals labelled); empty for a fixed queue."""
        portfolio = self.learner.portfolio
        return {} if portfolio is None else portfolio.records()

    @property
    def streak(self) -> int:
        """Nominals in a row: the latest labels of rows the queue showed, counted back to the last
        anomaly. Rows the analyst picked (:data:`CHOSEN_VIA`: twenty nominals selected on a plot)
        neither count nor end it, as the queue's own record of its streak ignores them."""
        count = 0
        for event in reversed(self.learner.history):
            if event.row in self._chosen:
                continue
            if event.label == ANOMALY:
                break
            if event.label != UNLABELLED and event.previous == UNLABELLED:
                count += 1
        return count

    def scores(self) -> np.ndarray:
        """Anomaly score of every row under the current model (read-only; higher = more anomalous)."""
        if self._scores is None or self._scores[0] != self._version:
            scores = self.model.anomaly_score()
            scores.flags.writeable = False
            self._scores = (self._version, scores)
        return self._scores[1]

    def initial_scores(self) -> np.ndarray:
        """Scores before any feedback (the plain forest's ranking)."""
        return self._initial

    def ranks(self, rows: Sequence[int], *, previous: bool = False) -> np.ndarray | None:
        """Rank of ``rows`` among all rows (1 = most anomalous).

        With ``previous=True``, the ranks before the latest change (None when unknown).
        """
        scores = self._previous if previous else self.scores()
        if scores is None:
            return None
        rows = np.asarray(rows, dtype=np.int64)
        return 1 + (scores[None, :] > scores[rows, None]).sum(axis=1)

    def percentiles(self, row: int) -> np.ndarray:
        """Where each value of ``row`` sits in its column, as a percentile rank in [0, 100].

        The percent of rows below the value, counting ties as half below (the median of a
        column is at 50, its unique minimum at ``50 / n_rows``).
        """
        below, above = self.value_shares(row)
        return (below + (100.0 - above)) / 2

    def value_shares(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """The percent of rows whose value is strictly below, and strictly above, each value of
        ``row`` in its column (the rows that share the value are in neither): what a sentence such
        as "higher than 82% of rows" may say when many rows hold the same value."""
        if self._sorted is None:
            self._sorted = np.sort(self.dataset.X, axis=0)
        values = self.dataset.X[int(row)]
        below = np.array([np.searchsorted(self._sorted[:, j], v, "left") for j, v in enumerate(values)])
        at_most = np.array([np.searchsorted(self._sorted[:, j], v, "right") for j, v in enumerate(values)])
        n = self.dataset.n_rows
        return 100.0 * below / n, 100.0 * (n - at_most) / n

    def unusualness(self, row: int) -> np.ndarray:
        """How far each value of ``row`` is from its column's median, in interquartile ranges
        (the column's full range when its middle half is one value): comparable across columns
        of any unit, and not fooled, as percentiles are, when several rows share one extreme."""
        if self._sorted is None:
            self._sorted = np.sort(self.dataset.X, axis=0)
        n = self.dataset.n_rows
        q1, median, q3 = (self._sorted[min(n - 1, int(q * (n - 1)))] for q in (0.25, 0.5, 0.75))
        spread = np.where(q3 > q1, q3 - q1, self._sorted[-1] - self._sorted[0])
        distance = np.abs(self.dataset.X[int(row)] - median)
        return np.divide(distance, spread, out=np.zeros_like(distance), where=spread > 0)

    def score_grid(self, resolution: int = 80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact scores on a ``resolution`` x ``resolution`` grid over 2-D data.

        Returns
        -------
        xs, ys : ndarray of shape (resolution,)
        scores : ndarray of shape (resolution, resolution)
            ``scores[i, j]`` is the model's score at ``(xs[j], ys[i])``.
        """
        if self.dataset.n_features != 2:
            raise DataError(f"score contours need 2 features; this data has {self.dataset.n_features}")
        low, high = self.dataset.X.min(axis=0), self.dataset.X.max(axis=0)
        pad = 0.05 * np.where(high > low, high - low, 1.0)
        xs, ys = (np.linspace(low[j] - pad[j], high[j] + pad[j], resolution) for j in (0, 1))
        gx, gy = np.meshgrid(xs, ys)
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        return xs, ys, self.model.anomaly_score(grid).reshape(resolution, resolution)

    def discovery(self) -> dict[str, np.ndarray]:
        """Discovery curves against rows labelled (1, 2, ...).

        A row labelled again (a correction) is not a new point: its change joins the point
        of the row labelled before it, so the curves count each row once.

        Returns
        -------
        dict
            ``labels``; ``found``: anomalies among the analyst's labels. With ground truth
            also ``truth_found`` (true anomalies among the rows labelled, in order) and
            ``baseline_found`` (true anomalies in the same number of top rows of the
            no-feedback ranking).
        """
        events = self.learner.history
        gain = [int(e.label == ANOMALY) - int(e.previous == ANOMALY) for e in events]
        seen: set[int] = set()
        first = [e.row not in seen and not seen.add(e.row) for e in events]  # a row's first label
        starts = np.flatnonzero(first)
        ends = np.r_[starts[1:] - 1, len(events) - 1].astype(np.int64)  # a correction joins the point before
        found = np.cumsum(gain, dtype=np.int64)[ends] if len(events) else np.zeros(0, np.int64)
        out = {"labels": np.arange(1, len(starts) + 1), "found": found}
        if self.dataset.y is not None:
            y = self.dataset.y
            out["truth_found"] = np.cumsum(y[[events[i].row for i in starts]], dtype=np.int64)
            top = top_unlabelled(self._initial, np.zeros(len(y), dtype=bool), len(starts))
            out["baseline_found"] = np.cumsum(y[top], dtype=np.int64)
        return out

    @property
    def detector(self) -> str:
        """The session's detector: ``iforest``, ``eif`` or ``ensemble`` (:data:`aad.DETECTORS`)."""
        return {**_BEFORE_PARAMS, **self.record.params}["detector"]

    def members(self, row: int) -> list[dict] | None:
        """For an ensemble, each member's view of ``row``: its calibrated score, whether it
        calls the row anomalous (its top 5 %) and its learned weight
        (:meth:`aad.AADEnsemble.member_view`); None for a forest, which has no members."""
        if not isinstance(self.model, AADEnsemble):
            return None
        return self.model.member_view(row)

    def member_weights(self) -> dict | None:
        """For an ensemble, its members' learned weights after each label so far (None for a forest).

        Returns
        -------
        dict
            ``members``: the names; ``labels``: 0, 1, ... (labels applied, undone ones left
            out); ``weights``: array of shape (len(labels), n_members), row 0 the uniform start.
        """
        if not isinstance(self.model, AADEnsemble):
            return None
        path = weights_path(self.model, self.learner.history)
        return {"members": self.model.member_names_, "labels": np.arange(len(path)), "weights": path}

    # ------------------------------------------------------------------ internals

    def _check_rows(self, rows: int | Sequence[int]) -> list[int]:
        values = np.atleast_1d(np.asarray(rows))
        if values.size == 0:
            raise LabelError("no rows given; select at least one row")
        if not np.issubdtype(values.dtype, np.integer):
            raise LabelError(f"rows must be integer row numbers; got {rows!r}")
        n = self.dataset.n_rows
        bad = values[(values < 0) | (values >= n)]
        if bad.size:
            raise LabelError(f"row {int(bad[0])} is out of range: the data has {n} rows (0 to {n - 1})")
        return list(dict.fromkeys(int(r) for r in values))

    def _write(
        self,
        kind: str,
        rows: Sequence[int] = (),
        *,
        check: Callable[[], None] | None = None,
        cells: Callable[[], list[tuple]] | None = None,
        analyst: str | None = None,
        via: str | None = None,
    ) -> Action:
        """Append an action if ``check`` passes on the log's latest version; apply it; return it.

        The append is conditional on the version this session has applied: when another
        writer got in first, catch up and check again, so ``check`` always judges the state
        the action is written on. A label action's ``cells()`` (``(row, label, kind, note)``
        each) are worked out then too, from that state.
        """

        def fields() -> dict:
            if check is not None:
                check()
            if cells is None:
                return {"kind": kind, "rows": list(rows), "via": via}
            written = cells()
            return {
                "kind": kind,
                "rows": [c[0] for c in written],
                "labels": [c[1] for c in written],
                "anomaly_kinds": [c[2] for c in written],
                "notes": [c[3] for c in written],
                "via": via,
            }

        return self._append(fields, analyst=analyst, doing=kind)

    def _append(self, fields: Callable[[], dict], *, analyst: str | None, doing: str) -> Action:
        """Append the action ``fields()`` gives (:meth:`Store.append`'s arguments, worked out on
        the log's latest version) after the version this session has applied; apply it."""
        analyst = self.analyst if analyst is None else analyst
        for _ in range(_MAX_WRITE_TRIES):
            try:
                action = self.store.append(self.id, after=self._version, analyst=analyst, **fields())
            except StaleVersionError:
                self._sync()
                continue
            return next(a for a in self._sync() if a.number == action.number)
        raise LabelError(
            f"session {self.id} kept changing while this {doing} was being saved; nothing was saved, "
            "try again"
        )

    def add_rows(self, source: str | Path, *, name: str | None = None, analyst: str | None = None) -> Growth:
        """Grow the session by the rows of ``source`` it does not hold yet; every label stays.

        ``source`` (a CSV or Parquet file, or a shipped dataset's name) must hold the
        session's feature columns (by name, in any order; other columns are kept as
        context) and its ground-truth column if it has one. Its rows are recognised by
        content, as a multiset (the next day's export holds yesterday's rows and more:
        :func:`aad.stream.growth.unseen_rows`); the others are appended in the table's order
        and the model grows by :func:`aad.stream.grow.grow_model` (the trees whose leaf
        distribution drifted are regrown on the whole table when at least 10 % did, on the new
        rows for a session saved before that rule, and every label is re-applied). The table
        is kept in the store's uploads (named by its SHA-256) and the log records the addition,
        with the content hash of the rows added, before the model changes: a reload or a
        restart replays it exactly.

        ``name`` is what the log calls the table (``file NAME``; default: its file name).

        Returns
        -------
        Growth
            Rows added, trees replaced, ADWIN's alarm, the scores before and after.

        Raises
        ------
        DataError
            When the table lacks a column, holds no row the session lacks, or the session
            labels a working set of a bigger table.

        Examples
        --------
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> data = load_dataset("toy2")
        >>> first = folder / "first.csv"
        >>> head = pd.DataFrame({"x": data.X[:300, 0], "y": data.X[:300, 1], "label": data.y[:300]})
        >>> head.to_csv(first, index=False)
        >>> session = Session.create(load_data(str(first)), store=Store(folder / "s.sqlite"), seed=0)
        >>> _ = session.label(int(session.batch()[0]), "anomaly")
        >>> growth = session.add_rows("toy2")
        >>> growth.rows_added, session.dataset.n_rows, session.n_labels
        (185, 485, 1)
        >>> again = Session.open(session.id, store=session.store)
        >>> again.dataset.n_rows, bool((again.scores() == session.scores()).all())
        (485, True)
        """
        self._sync()
        if self.dataset.working_set is not None:
            raise DataError(
                "this session labels a working set of a bigger table, which rows cannot be added to; "
                "start a new session on the grown table"
            )
        cannot = self.cannot_grow()
        if cannot:
            raise DataError(f"{cannot}; start a new session on the grown table. Nothing was added")
        kept = str(self.store.keep_file(resolve_source(source)[0]))
        name = name or Path(str(source)).name
        for _ in range(_MAX_WRITE_TRIES):
            new, fresh, truth = self._new_rows(kept, name)
            if not len(fresh):
                raise DataError(
                    f"every row of {name} is already in the session ({self.dataset.n_rows:,} rows): "
                    "nothing was added"
                )
            digest = content_hash(new.X[fresh], None if truth is None else truth[fresh])
            addition = Addition(digest, kept, self.dataset.n_rows, len(fresh))
            try:
                who = self.analyst if analyst is None else analyst
                self.store.append_rows(
                    self.id, addition, after=self._version, analyst=who, via=f"file {name}"
                )
            except StaleVersionError:
                self._sync()
                continue
            self._sync()
            return self.growths[-1]
        raise LabelError(
            f"session {self.id} kept changing while the rows were being added; nothing was added"
        )

    def cannot_grow(self) -> str:
        """Why this session's model cannot take new rows (:meth:`add_rows`), or ``""``: only an
        isolation forest's trees grow (:func:`aad.stream.grow.grow_model`); an extended forest's
        or an ensemble's rows were added to the log and then failed, at every reopening after."""
        if self.record.params.get("scores_file"):
            return "this session's scores come from a scores file, which has no score for new rows"
        if self.detector != "iforest":
            what = {"eif": "an extended isolation forest", "ensemble": "an ensemble"}.get(self.detector)
            return f"this session's detector is {what or self.detector}, whose model cannot take new rows"
        return ""

    def _new_rows(self, path: str, name: str) -> tuple[Dataset, np.ndarray, np.ndarray | None]:
        """The table at ``path`` read as the session's rows are, the rows the session lacks, and
        their ground truth (None when the session has none)."""
        try:
            new = load_rows(path, like=self.dataset)
        except AADError as err:  # name the table as the analyst gave it, not its kept copy
            raise type(err)(str(err).replace(path, name).replace(Path(path).name, name)) from None
        truth = None
        if self.dataset.y is not None:
            column = self.dataset.label_column
            if new.context is None or column not in new.context.columns:
                raise DataError(
                    f"{name} has no column {column!r}, the session's ground truth; add rows with it"
                )
            truth = parse_labels(new.context[column], column=column, anomaly_value=self.dataset.anomaly_value)
        if {**_BEFORE_PARAMS, **self.record.params}["match_as_read"]:
            fresh = unseen_rows(self.dataset.X_as_read, new.X_as_read, known_y=self.dataset.y, y=truth)
        else:
            fresh = unseen_rows(self.dataset.X, new.X, known_y=self.dataset.y, y=truth)
        return new, fresh, truth

    def _grow(self, action: Action) -> None:
        """Replay an addition: the same rows, checked by their content hash, the same growth."""
        added = action.addition
        given = (action.via or "").removeprefix("file ") or Path(added.path).name  # as the analyst named it
        what = (
            f"the rows session {self.id} added at version {action.number} from {given} (kept as {added.path})"
        )
        cannot = self.cannot_grow()
        if cannot:  # logged by an aad that let it through, and failed there too
            raise DataError(
                f"{what} cannot be replayed: {cannot}. Its labels are kept: export them "
                f"(aad sessions export {self.id}) and start a new session on the grown table"
            )
        try:
            new, fresh, truth = self._new_rows(added.path, Path(added.path).name)
        except AADError as err:  # the kept copy, damaged or gone: say which addition it holds
            raise DataError(
                f"{what} cannot be read ({err}); nothing after that version was replayed"
            ) from None
        got = content_hash(new.X[fresh], None if truth is None else truth[fresh])
        if self.dataset.n_rows != added.n_before or len(fresh) != added.n_rows or got != added.content_hash:
            raise DataError(
                f"{what} are not the rows read from that file now; it was changed. Nothing after that "
                "version was replayed"
            )
        growth = grow_model(
            self.model,
            self.dataset.X,
            new.X[fresh],
            random_state=np.random.default_rng([self.record.seed, action.number]),
            regrow_on={**_BEFORE_PARAMS, **self.record.params}["regrow_on"],
        )
        self.dataset = _grown(self.dataset, new, fresh, truth)
        if self.learner.X is not None:
            self.learner.X = self.dataset.X
        self._initial = np.concatenate([self._initial, growth.scores_after[added.n_before :]])
        self._previous = self._sorted = None
        self.growths.append(growth)

    def _cell(self, edit: Edit) -> tuple[int, int | None, str | None, str | None] | None:
        """The log cell of ``edit`` on the row's state now, or None when nothing would change."""
        row, current = edit.row, self._states.get(edit.row)
        now_label = UNLABELLED if current is None else current.label
        label = now_label if edit.label is None else edit.label
        if label == UNLABELLED:
            if edit.label is None and (edit.kind or edit.note):
                raise LabelError(f"row {row} has no label: label it before giving it a kind or a note")
            return None if current is None else (row, UNLABELLED, None, None)
        kind = (current.kind if current is not None else None) if edit.kind is None else edit.kind
        kind = self._spelled(kind) if label == ANOMALY else None
        note = (current.note if current is not None else None) if edit.note is None else edit.note
        note = (" ".join(note.split()) or None) if note else None
        if current is not None and (label, kind, note) == (current.label, current.kind, current.note):
            return None
        return (row, None if label == now_label else label, kind, note)

    def _spelled(self, kind: str | None) -> str | None:
        """A kind as first written in this session (``Account takeover`` for ``account takeover``)."""
        kind = " ".join(kind.split()) if kind else ""
        return self._spelling.get(kind.casefold(), kind) or None

    def _changed_by(self, row: int, analyst: str | None) -> str:
        """``by ann``, the analyst whose action set ``row``'s label (or skipped it); ``by you (bob),
        perhaps in another tab`` when it was ``analyst`` (the one pressing); ``""`` when the log does
        not say."""
        state, who = self._states.get(row), None
        if state is not None:
            who = state.analyst
        elif row in self._skipped:
            skips = (a for a in reversed(self._history) if a.kind == "skip" and row in a.rows)
            who = next((a.analyst for a in skips), None)
        if who and who == analyst:
            return f"by you ({who}), perhaps in another tab"
        return f"by {who}" if who else ""

    def _check_expected(self, expect: dict[int, int], analyst: str | None) -> None:
        for row, label in expect.items():
            now = int(self.model.labels_[int(row)])
            if now != int(label):
                by = self._changed_by(int(row), analyst)
                changed = f"changed {by}" if by else "perhaps changed in another tab"
                raise LabelError(
                    f"row {row} was {label_name(label) if label != UNLABELLED else 'unlabelled'} when this "
                    f"page was drawn and is now {label_name(now) if now != UNLABELLED else 'unlabelled'} "
                    f"(model v{self._version}), {changed}; nothing was saved. "
                    "The page now shows the session as stored: look at the row again"
                )

    def _check_open(self, rows: Sequence[int], analyst: str | None) -> None:
        for row in rows:
            label = int(self.model.labels_[row])
            if label != UNLABELLED or row in self._skipped:
                state = f"labelled {label_name(label)}" if label != UNLABELLED else "skipped"
                by = self._changed_by(row, analyst) or "perhaps in another tab"
                raise LabelError(
                    f"row {row} has been {state} in the meantime (model v{self._version}), {by}; nothing "
                    "was saved. The page now shows the session as stored: look at the card again"
                )

    def _check_undo(self, version: int | None, analyst: str | None, confirm: int | None) -> None:
        latest = self._undo[-1][0] if self._undo else None
        theirs = latest if latest is not None and latest.analyst and latest.analyst != analyst else None
        again = "Undo again to undo the latest action"
        if latest is not None:  # name what the next press takes back: the top of the undo stack
            by = f"{theirs.analyst}'s " if theirs is not None else ""
            again = f"Undo again to take back {by}{_action_text(latest)} (model v{latest.number})"
        try:
            self._check_version(version, "undone", again)
        except LabelError as err:  # it names the analyst and the action: pressing again confirms
            if theirs is None:
                raise
            raise UndoOfOthersError(str(err), theirs.number) from None
        if latest is None:
            raise LabelError("there is nothing to undo: no label or skip has been given yet")
        if version is not None and theirs is not None and confirm != theirs.number:
            raise UndoOfOthersError(
                f"the latest action is {theirs.analyst}'s, not yours: {_action_text(theirs)} (model "
                f"v{theirs.number}); nothing was undone. Press Undo again to take back {theirs.analyst}'s "
                f"{theirs.kind}",
                theirs.number,
            )

    def _check_redo(self, version: int | None) -> None:
        self._check_version(version, "redone", "Redo again to redo the latest action undone, if any")
        if not self._redo:
            raise LabelError(
                "there is nothing to redo: Redo gives back what Undo took back, until a new action "
                "(a label, a skip, an edit) is taken"
            )

    def _check_version(self, version: int | None, done: str, again: str) -> None:
        if version is not None and version != self._version:
            latest = self._history[-1] if self._history else None
            who = f" by {latest.analyst}" if latest is not None and latest.analyst else ""
            what = f"; latest: {_action_text(latest)}{who}" if latest else ""
            raise LabelError(
                f"the session has moved on since this page was drawn (model v{version} is now "
                f"v{self._version}{what}), perhaps in another tab; nothing was {done}. Press {again}"
            )

    def _save_batch(self, rows: list[int]) -> None:
        self.store.update(self.id, batch=rows)
        self.record = dataclasses.replace(self.record, batch=tuple(rows))

    def _set_aside(self) -> None:
        """The skipped rows are no ranking's proposal, so the labels after a skip still count
        for the rankings that proposed the rows labelled (a session saved before keeps the rule
        it was labelled under: the skipped row stayed the proposal, and the records stood still)."""
        if self._skips_aside and self.learner.portfolio is not None:
            self.learner.portfolio.set_aside(self._skipped)

    def _is_open(self, row: int) -> bool:
        return self.model.labels_[row] == UNLABELLED and row not in self._skipped

    def _draw(self, *, explore: bool = False, exclude=()) -> list[int]:
        k = self.record.batch_size
        rows = self.learner.next_queries(k + len(self._skipped), explore=explore, exclude=exclude)
        return [int(r) for r in rows if int(r) not in self._skipped][:k]

    def _sync(self) -> list[Action]:
        actions = self.store.actions(self.id, after=self._version)
        if actions:
            self._previous = self.scores()
        for action in actions:
            self._apply(action)
        return actions

    def _apply(self, action: Action) -> None:
        if action.kind == "undo":
            if self._undo:
                undone, *taken = self._undo.pop()
                kinds = frozenset(self._undone_kinds)
                self._revert(*taken)
                self._redo.append(_Undone(undone, kinds))
        elif action.kind == ADD_ROWS:  # outside the undo history: an undo takes back the label before
            self._redo.clear()
            self._grow(action)
        else:
            redone = self._redo.pop() if self._gives_back(action) else None
            if redone is None:
                self._redo.clear()  # a new action: what was undone before it stays undone
            if action.kind == "label":  # a redo's rows are picked where the action it gives back picked them
                origin = action if redone is None else self._redone.get(redone.action.number, redone.action)
                self._apply_label(action, chosen=origin.via is not None and origin.via.startswith(CHOSEN_VIA))
            else:
                self._apply_skip(action)
            if redone is not None:
                self._redone[action.number] = self._redone.get(redone.action.number, redone.action)
                self._undone_kinds = set(redone.kinds)  # the kinds on offer as before the undo
        self._version = action.number
        self._history.append(action)

    def _gives_back(self, action: Action) -> bool:
        """Whether ``action`` is a redo of the latest action undone: marked so, and its copy."""
        if not self._redo or action.via != f"{REDO_VIA}{self._redo[-1].action.number}":
            return False
        undone = self._redo[-1].action
        return (action.kind, action.cells()) == (undone.kind, undone.cells())

    def _apply_skip(self, action: Action) -> None:
        if action.kind == "skip":
            changed = [r for r in action.rows if r not in self._skipped]
            self._skipped.update(changed)
        else:
            changed = [r for r in action.rows if r in self._skipped]
            self._skipped.difference_update(changed)
        self._set_aside()
        self._undo.append((action, action.kind, changed, {}))

    def _apply_label(self, action: Action, *, chosen: bool = False) -> None:
        done, previous, changes = [], {}, []
        for row, label, kind, note in action.cells():
            before = self._states.get(row)
            previous.setdefault(row, before)
            if label is not None and self._set(row, label):
                done.append(row)
            after = next_row_label(before, label, kind, note, action)
            if after is None:
                self._states.pop(row, None)
            else:
                self._states[row] = after
            if kind:
                self._spelling.setdefault(kind.casefold(), kind)
            if before is not None and before.kind and after is not None and after.kind:
                if before.kind.casefold() != after.kind.casefold():  # corrected or renamed away:
                    self._undone_kinds.discard(before.kind.casefold())  # offered only while carried
            changes.append(Change(row, before, after))
        self._changes[action.number] = changes
        self._undo.append((action, "label", done, previous))
        (self._chosen.update if chosen else self._chosen.difference_update)(done)
        if done and not set(done) & set(self._batch):  # not a card (Explore): the cards are stale
            self._batch = []

    def _set(self, row: int, label: int) -> bool:
        if label == UNLABELLED:
            if self.model.labels_[row] == UNLABELLED:
                return False
            self.learner.retract(row)
        else:
            self.learner.label(row, label)
        return True

    def _revert(self, kind: str, rows: list[int], previous: dict[int, RowLabel | None]) -> None:
        for row, state in previous.items():
            taken_back = self._states.get(row)
            if taken_back is not None and taken_back.kind:  # an undone label's kind stays on offer
                self._undone_kinds.add(taken_back.kind.casefold())
            if state is None:
                self._states.pop(row, None)
            else:
                self._states[row] = state
        if kind == "label":
            for _ in rows:
                self.learner.undo()
        elif kind == "skip":
            self._skipped.difference_update(rows)
            self._set_aside()
        else:
            self._skipped.update(rows)
            self._set_aside()
            return
        back = list(dict.fromkeys(rows))
        if len(back) > self.record.batch_size:  # a bulk action (Explore): not cards to bring back
            self._batch = []  # the next batch is drawn afresh
            return
        self._batch = (back + [r for r in self._batch if r not in back])[: self.record.batch_size]


def _grown(dataset: Dataset, new: Dataset, fresh: np.ndarray, truth: np.ndarray | None) -> Dataset:
    """``dataset`` with the rows ``fresh`` of ``new`` appended (features, truth, filled cells, context)."""

    def stacked(old, more):
        if old is None and more is None:
            return None
        if isinstance(old, pd.DataFrame) or isinstance(more, pd.DataFrame):  # a side without one: empty cells
            old = pd.DataFrame(index=range(len(dataset.X))) if old is None else old
            more = pd.DataFrame(index=range(len(new.X))) if more is None else more
            return pd.concat([old, more.iloc[fresh]], ignore_index=True)
        old = np.zeros(dataset.X.shape, dtype=bool) if old is None else old
        more = np.zeros((len(new.X), dataset.X.shape[1]), dtype=bool) if more is None else more
        return np.vstack([old, more[fresh]])

    return dataclasses.replace(
        dataset,
        X=np.vstack([dataset.X, new.X[fresh]]),
        y=None if truth is None else np.concatenate([dataset.y, truth[fresh]]),
        filled=stacked(dataset.filled, new.filled),
        context=stacked(dataset.context, _without(new.context, dataset.label_column)),
        sources=stacked(dataset.sources, new.sources),
        written=stacked(dataset.written, new.written),
    )


def _without(context: pd.DataFrame | None, column: str | None) -> pd.DataFrame | None:
    """New rows' context without the session's ground-truth column (its rows hold it in ``y``)."""
    if context is None or column is None or column not in context.columns:
        return context
    rest = context.drop(columns=[column])
    return rest if len(rest.columns) else None


def _edit_label(value) -> int | None:
    """An :class:`Edit`'s label: None (unchanged), 1, 0, or -1 (remove the label)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in ("", "unlabelled", "none"):
        return UNLABELLED
    return to_label(value, allow_unlabelled=True)


def _check_text(text: str | None, what: str, limit: int) -> None:
    if text is not None and not isinstance(text, str):
        raise LabelError(f"a {what} is text; got {type(text).__name__} {text!r}; nothing was saved")
    if text is not None and len(" ".join(str(text).split())) > limit:
        raise LabelError(f"the {what} is {len(text):,} characters long; keep it to {limit:,}")


def _check_shown(kind: str | None) -> None:
    """A LabelError for a kind that would not show as written: nothing visible in it (a zero-width
    space), or a direction control. ``""`` and None (clear, keep) pass."""
    if not kind:
        return
    if any(ch in DIRECTION_CONTROLS for ch in kind):
        raise LabelError(
            f"the kind {kind!r} holds a direction control (such as U+202E), which reorders how it shows; "
            "type it without; nothing was saved"
        )
    if not any(unicodedata.category(ch)[0] not in "CZ" for ch in kind):
        raise LabelError(
            f"the kind {kind!r} has no visible character; type a name, or leave the kind empty; "
            "nothing was saved"
        )


def _check_kind_rename(old: str, new: str) -> None:
    """One clear message for a rename of kind ``old`` to ``new`` that cannot be (spaces collapsed)."""
    if not old:
        raise LabelError("name the kind to rename; nothing was changed")
    if not new:
        raise LabelError(f"the new name of the kind {old!r} is empty: type a name; nothing was changed")
    _check_shown(new)
    if len(new) > MAX_KIND:
        raise LabelError(
            f"the new name is {len(new):,} characters long; keep it to {MAX_KIND:,}; nothing was changed"
        )
    if new == old:
        raise LabelError(f"{old!r} is already the kind's name: type another name; nothing was changed")
    if new.casefold() == old.casefold():
        raise LabelError(
            f"{new!r} differs from {old!r} only in case, and kinds are compared ignoring case, so it names "
            "the same kind; nothing was changed"
        )


def _nothing_to_change(edits: list[Edit]) -> str:
    labels = {e.label for e in edits}
    if len(labels) == 1 and None not in labels and all(e.kind is None and e.note is None for e in edits):
        (label,) = labels
        if label == UNLABELLED:
            return "no given row has a label to remove: nothing to change"
        return f"every given row is already labelled {label_name(label)}: nothing to change"
    return "every given row already carries that label, kind and note: nothing to change"


def _settings(record: SessionRecord) -> tuple:
    return record.strategy, record.batch_size, record.batch


def _reopen(db_path: str, session_id: str) -> Session:
    return Session.open(session_id, store=Store(db_path))


def _reloadable_source(source: str) -> str:
    if source.startswith(_SHIPPED):
        return source
    path = Path(source)
    if not path.is_file():
        raise DataError(
            f"a session's data must come from a shipped dataset or a file, so that the session can "
            f"be reopened; this data comes from {source!r}. Save the table as CSV or Parquet and "
            "load it with load_dataset"
        )
    return str(path.resolve())


def _keep_scores(params: dict, store: Store, n_rows: int) -> dict:
    """A new session's scores file, checked and kept next to the database (named by its
    SHA-256, as uploads are), so that the session reopens on the same scores."""
    path = params.get("scores_file")
    if path is None:
        return params
    if params.get("detector", "iforest") != "ensemble":
        raise DataError(
            "precomputed scores are members of an ensemble; choose the detector 'ensemble' to use them"
        )
    table = load_scores(path, n_rows)  # one clear message for a bad file, before anything is stored
    kept = store.keep_file(path)
    return {**params, "scores_file": str(kept), "scores_sha256": table.fingerprint}


def _changed_data(record: SessionRecord, dataset: Dataset) -> str:
    """Why a session's data no longer has its fingerprint: the file changed, or (the loader's notes
    differ, naming how a column was read then and now) this aad reads the same file otherwise."""
    then = [note for note in record.notes if note not in dataset.notes]
    now = [note for note in dataset.notes if note not in record.notes]
    if not then and not now:
        return (
            f"the data of session {record.id} ({record.source}) has changed since the session started, so "
            "its labels would not apply; restore the original file or start a new session"
        )
    said = "; ".join([f"then: {note}" for note in then[:2]] + [f"now: {note}" for note in now[:2]])
    return (
        f"the data of session {record.id} ({record.source}) no longer reads as it did when the session "
        f"started ({said}), so its labels would not apply. If the file is unchanged, this aad reads it "
        f"otherwise: export the labels (aad sessions export {record.id} --output labels.csv) and give them "
        "to a new session (the Rows page's Labels known beforehand, or --labels); else restore the original "
        "file"
    )


def reading(record: SessionRecord) -> dict:
    """How a session's table is read again (:func:`load_data`'s arguments besides the source): its
    features, ground truth and its anomaly value, name, and the columns read as categories (none
    for a session stored before they could be).

    >>> from aad.store import SessionRecord
    >>> record = SessionRecord("s1", "web", "web.csv", "f", ("status",), None, {"categories": ["status"]},
    ...                        0, "top", 1, (), "", "")
    >>> reading(record)["categories"]
    ('status',)
    """
    return {
        "features": record.features,
        "label_column": record.label_column,
        "name": record.dataset,
        "anomaly_value": record.anomaly_value,
        "categories": tuple(record.params.get("categories") or ()),
    }


def _check_params(record: SessionRecord) -> None:
    """Refuse stored parameters this aad does not know (a newer aad's): never refit without them."""
    known = set().union(*(cls().get_params() for cls in DETECTORS.values())) - {"random_state", "n_jobs"}
    known |= set(_LEARNER_PARAMS)
    unknown = sorted(set(record.params) - known)
    if unknown:
        raise DataError(
            f"session {record.id} was started with {', '.join(map(repr, unknown))}, a parameter this aad "
            f"does not know (a newer aad's?), so its model cannot be rebuilt as it was; open it with the "
            f"aad that started it. Known parameters: {', '.join(sorted(known))}"
        )


def _check_queue(queue) -> None:
    if queue not in QUEUES:
        raise UnknownStrategyError(f"unknown queue {queue!r}; choose one of {', '.join(QUEUES)}")


def _check_settings(strategy: str, batch_size: int, seed: int) -> None:
    validate_params("Session", Session._parameter_constraints, {"seed": seed, "batch_size": batch_size})
    if strategy not in strategy_names():
        raise UnknownStrategyError(
            f"unknown query strategy {strategy!r}; choose one of {', '.join(strategy_names())}"
        )
