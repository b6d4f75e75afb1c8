"""What ``aad rules`` and ``aad score`` learn from: DATA with LABELS.csv, or a stored session.

Both commands take the same sources and the same model options (``--seed``, ``--trees``,
``--max-samples``, ``--eta``, as ``aad simulate``); a session brings its own data, seed and
parameters, so the options are refused with it rather than silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aad
from app.cli import _categories, _features, _label_column, _print_notes, detector_setup, model_params
from app.commands.sessions import _store

_OPTION_FLAGS = ("--seed", "--trees", "--max-samples", "--eta")


@dataclass(frozen=True)
class Learned:
    """A model with its labels set, the data it learned from, and where both came from."""

    model: aad.AADForest  # or an ExtendedAADForest, an AADEnsemble
    dataset: aad.Dataset
    origin: str
    session: aad.Session | None = None
    counts: tuple[int, int] = (0, 0)  # labels, of which anomalies


@dataclass(frozen=True)
class LearnFrom:
    """DATA with LABELS.csv and the model options, or a session (``--session ID``)."""

    data: str | None
    labels: Path | None
    session: str | None
    db: Path | None
    label_col: str
    features: str | None
    options: tuple  # seed, trees, max_samples, eta; None where not given
    anomaly_value: str | None = None
    detector: tuple = (None, None, None, None)  # --detector, --members, --scores, --ndim
    categories: str | None = None  # --categories: columns of codes read as categories

    def model(self, *, need_anomaly: bool = False) -> Learned:
        """Fit (or reopen) the model; ``need_anomaly`` refuses labels without an anomaly."""
        learned = self._from_session() if self.session is not None else self._from_labels(need_anomaly)
        if need_anomaly and learned.model.n_anomalies_ == 0:
            raise aad.DataError(
                f"{learned.origin} labels no row as anomaly, so there is nothing to describe; "
                "label at least one anomaly"
            )
        return learned

    def _from_session(self) -> Learned:
        if self.data is not None or self.labels is not None:
            raise aad.DataError(
                "give either --session ID, or DATA with --labels LABELS.csv, not both: "
                "a session already holds its data and labels"
            )
        given = [flag for flag, value in zip(_OPTION_FLAGS, self.options, strict=True) if value is not None]
        given += ["--label-col"] if self.label_col != "auto" else []
        given += ["--features"] if self.features is not None else []
        given += ["--anomaly-value"] if self.anomaly_value is not None else []
        given += ["--categories"] if self.categories is not None else []
        flags = ("--detector", "--members", "--scores", "--ndim")
        given += [flag for flag, value in zip(flags, self.detector, strict=True) if value is not None]
        if given:
            raise aad.DataError(
                f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to DATA with --labels; "
                "a session keeps the data, seed and parameters it was labelled with "
                "(see `aad sessions list`)"
            )
        opened = aad.Session.open(self.session, store=_store(self.db))
        counts = (opened.n_labels, opened.n_anomalies)
        return Learned(opened.model, opened.dataset, f"session {opened.id}", opened, counts)

    def _from_labels(self, need_anomaly: bool) -> Learned:
        if self.data is None or self.labels is None:
            raise aad.DataError(
                "say what the model learns from: DATA with --labels LABELS.csv (columns row, label), "
                "or --session ID for a session labelled in the app"
            )
        dataset = aad.load_data(  # as the workbench reads it: categories, timestamps, ids left out
            self.data,
            label_column=_label_column(self.label_col),
            features=_features(self.features),
            anomaly_value=self.anomaly_value,
            categories=_categories(self.categories),
        )
        _print_notes(dataset, self.options[2])  # seed, trees, max_samples, eta
        known = aad.read_labels(self.labels, dataset.n_rows, need_anomaly=need_anomaly)
        detector, extra, scores = detector_setup(*self.detector, dataset.n_rows, dataset.n_features)
        params = model_params(*self.options)
        seed = params.pop("random_state")
        model = aad.make_detector(detector, params | extra, random_state=seed)
        model = model.fit(dataset.X, known) if scores is None else model.fit(dataset.X, known, scores=scores)
        counts = (int((known != aad.UNLABELLED).sum()), int((known == aad.ANOMALY).sum()))
        return Learned(model, dataset, f"{dataset.name} and {self.labels.name}", counts=counts)
