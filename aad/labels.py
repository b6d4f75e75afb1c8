"""The one label encoding used everywhere: 1 anomaly, 0 nominal, -1 unlabelled.

One vocabulary, read the same way by the model, the learner, the description, label
files and a ground-truth column: :data:`ANOMALY_WORDS` and :data:`NOMINAL_WORDS` (any
case, surrounding spaces ignored), the numbers 1 and 0 (int or float) and True/False.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from .errors import LabelError

__all__ = [
    "ANOMALY",
    "ANOMALY_WORDS",
    "ANSWER_WORDS",
    "DIRECTION_CONTROLS",
    "NOMINAL",
    "NOMINAL_WORDS",
    "UNLABELLED",
    "label_array",
    "label_name",
    "to_label",
]

ANOMALY = 1
NOMINAL = 0
UNLABELLED = -1

#: Words (lower case) read as an anomaly / as nominal.
ANOMALY_WORDS = ("anomaly", "anomalous", "1", "1.0", "true", "yes", "ja", "oui", "wahr", "vrai")
NOMINAL_WORDS = ("nominal", "normal", "0", "0.0", "false", "no", "nein", "non", "falsch", "faux")
#: Of these, the answers a feature holds too (``card_present``: yes/no, German and French
#: spreadsheets' ja/nein, oui/non, WAHR/FALSCH, VRAI/FAUX): read in a column that is the ground
#: truth (``is_fraud``, ``Betrug``), never what makes a column look like one.
ANSWER_WORDS = ("yes", "no", "ja", "nein", "oui", "non", "wahr", "falsch", "vrai", "faux")

#: Direction controls (U+202A-U+202E, U+2066-U+2069, the marks U+200E, U+200F, U+061C): they
#: reorder how the text around them shows, so a kind could read as another, and a cell from the
#: data could turn the rule around it backwards. A kind may not hold them; shown data escapes them.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_WORDS = {word: ANOMALY for word in ANOMALY_WORDS} | {word: NOMINAL for word in NOMINAL_WORDS}
_EXPECTED = "anomaly or nominal (or 1/0, true/false, yes/no)"


def to_label(value: Any, *, allow_unlabelled: bool = False) -> int:
    """Read one label: True/1/1.0/"anomaly" -> 1, False/0/0.0/"nominal" -> 0.

    With ``allow_unlabelled``, -1, None, NaN and ``pd.NA`` read as -1 (no label).

    Raises
    ------
    LabelError
        For anything else.

    Examples
    --------
    >>> to_label("Anomaly"), to_label(0), to_label(True), to_label(1.0)
    (1, 0, 1, 1)
    >>> to_label(None, allow_unlabelled=True)
    -1
    """
    if allow_unlabelled and _is_unknown(value):
        return UNLABELLED
    if isinstance(value, bool | np.bool_):
        return ANOMALY if value else NOMINAL
    if isinstance(value, numbers.Real) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in _WORDS:
        return _WORDS[value.strip().lower()]
    if allow_unlabelled and isinstance(value, str) and value.strip() == "-1":  # as the message offers
        return UNLABELLED
    unknown = ", or -1/None for no label" if allow_unlabelled else ""
    raise LabelError(f"a label must be {_EXPECTED}{unknown}; got {value!r}")


def per_row(labels, n_rows: int) -> list:
    """``labels`` as one per row: a single label (``"anomaly"``, 1) repeated ``n_rows`` times, a
    sequence as it is (its length is the caller's to check).

    >>> per_row("anomaly", 2), per_row([1, 0], 2)
    (['anomaly', 'anomaly'], [1, 0])
    """
    return [labels] * n_rows if isinstance(labels, str) or np.ndim(labels) == 0 else list(labels)


def _is_unknown(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return math.isnan(value) or value == UNLABELLED
    return False


def label_array(values, n_rows: int, *, name: str = "labels") -> np.ndarray:
    """One label per row as int8 (1, 0, -1): what ``fit(X, labels)`` and descriptions take.

    Each value is read by :func:`to_label`; -1, None, NaN and ``pd.NA`` mean unlabelled.

    Raises
    ------
    LabelError
        When the shape is not ``(n_rows,)``, naming the first value it cannot read.

    Examples
    --------
    >>> label_array([1.0, 0.0, float("nan"), "anomaly", None, -1], 6).tolist()
    [1, 0, -1, 1, -1, -1]
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise LabelError(
            f"{name} must be one-dimensional (one label per row); got an array of shape {arr.shape}. "
            "Pass a single column, e.g. labels.ravel()"
        )
    if arr.shape[0] != n_rows:
        raise LabelError(
            f"{name} has {arr.shape[0]} entries but the data has {n_rows} rows; give one label "
            "(or -1/None for unknown) per row"
        )
    if arr.dtype.kind in "biuf":
        return _numeric_labels(arr, name)
    out = np.full(n_rows, UNLABELLED, dtype=np.int8)
    for i, value in enumerate(arr.tolist()):
        if _is_unknown(value):
            continue
        try:
            out[i] = to_label(value, allow_unlabelled=True)  # the text "-1" too, as the message offers
        except LabelError:
            raise LabelError(
                f"{name}[{i}] is {value!r}; expected {_EXPECTED}, or -1/None/NaN for unknown"
            ) from None
    return out


def _numeric_labels(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype.kind == "b":
        return arr.astype(np.int8)
    known = ~np.isnan(arr) if arr.dtype.kind == "f" else np.ones(arr.shape, dtype=bool)
    bad = known & ~np.isin(arr, (ANOMALY, NOMINAL, UNLABELLED))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LabelError(
            f"{name}[{i}] is {arr[i].item()!r}; expected 1 (anomaly), 0 (nominal) or -1/NaN (unknown)"
        )
    return np.where(known, arr, UNLABELLED).astype(np.int8)


def label_name(label: int) -> str:
    """``"anomaly"``, ``"nominal"`` or ``"unlabelled"``.

    Examples
    --------
    The labels a model holds (1, 0, -1), named for people:

    >>> [label_name(label) for label in label_array(["anomaly", 0, None], 3)]
    ['anomaly', 'nominal', 'unlabelled']
    """
    return {ANOMALY: "anomaly", NOMINAL: "nominal"}.get(int(label), "unlabelled")
