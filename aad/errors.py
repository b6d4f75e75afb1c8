"""The exceptions :mod:`aad` raises on purpose.

Every error a user can cause (a bad file, a bad label, a bad parameter) is an
:class:`AADError`, so a caller (the command line, the app) catches one type and shows
its message verbatim. Each message says what was expected, what was given, and how to
fix it.
"""

from __future__ import annotations

import sklearn.exceptions

__all__ = [
    "AADError",
    "DataError",
    "DescriptionError",
    "LabelError",
    "NotFittedError",
    "UnknownStrategyError",
]


class AADError(ValueError):
    """Base class of every error raised on purpose by :mod:`aad`."""


class DataError(AADError):
    """The data cannot be used: unreadable, malformed, non-numeric, too small."""


class LabelError(AADError):
    """A label is invalid: unknown value, out-of-range row, nothing to undo."""


class NotFittedError(AADError, sklearn.exceptions.NotFittedError):
    """A model method that needs a fitted model was called before ``fit``.

    Also a :class:`sklearn.exceptions.NotFittedError` (and so an ``AttributeError``).
    """


class UnknownStrategyError(AADError):
    """A query strategy name that is not registered."""


class DescriptionError(AADError):
    """The compact-description integer program could not be solved."""
