"""The one label encoding used everywhere: 1 anomaly, 0 nominal, -1 unlabelled."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import LabelError

__all__ = ["ANOMALY", "NOMINAL", "UNLABELLED", "label_name", "to_label"]

ANOMALY = 1
NOMINAL = 0
UNLABELLED = -1

_WORDS = {
    "anomaly": ANOMALY,
    "anomalous": ANOMALY,
    "1": ANOMALY,
    "true": ANOMALY,
    "nominal": NOMINAL,
    "normal": NOMINAL,
    "0": NOMINAL,
    "false": NOMINAL,
}


def to_label(value: Any) -> int:
    """Read one label: True/1/"anomaly" -> 1, False/0/"nominal" -> 0.

    Raises
    ------
    LabelError
        For anything else.

    Examples
    --------
    >>> to_label("Anomaly"), to_label(0), to_label(True)
    (1, 0, 1)
    """
    if isinstance(value, bool | np.bool_):
        return ANOMALY if value else NOMINAL
    if isinstance(value, int | np.integer) and value in (0, 1):
        return int(value)
    word = str(value).strip().lower()
    if word in _WORDS:
        return _WORDS[word]
    raise LabelError(f"a label must be anomaly or nominal (or 1/0, true/false); got {value!r}")


def label_name(label: int) -> str:
    """``"anomaly"``, ``"nominal"`` or ``"unlabelled"``."""
    return {ANOMALY: "anomaly", NOMINAL: "nominal"}.get(int(label), "unlabelled")
