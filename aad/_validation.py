"""Declared parameter constraints, checked once, worded the same way everywhere.

A public function or class declares its constraints in a dict, in the manner of
scikit-learn's ``_parameter_constraints``; :func:`validate_params` checks a call
against it and raises with the message
``The 'tau' parameter of update_weights must be a float in the range (0, 1). Got 1.5 instead.``
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import AADError

__all__ = ["Interval", "Options", "StrSequence", "validate_params"]


@dataclass(frozen=True)
class Interval:
    """A numeric range; ``kind`` is ``"int"`` or ``"float"``; bounds may be None."""

    kind: str
    low: float | None
    high: float | None
    closed: str = "both"  # "both", "left", "right", "neither"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind == "int" and not isinstance(value, numbers.Integral):
            return False
        if not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            return False
        lo_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        hi_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return lo_ok and hi_ok

    def describe(self) -> str:
        noun = "an int" if self.kind == "int" else "a float"
        low, high = (_bound(self.kind, v) for v in (self.low, self.high))
        if self.low is None and self.high is None:
            return noun
        if self.high is None:
            op = ">=" if self.closed in ("both", "left") else ">"
            return f"{noun} {op} {low}"
        if self.low is None:
            op = "<=" if self.closed in ("both", "right") else "<"
            return f"{noun} {op} {high}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"{noun} in the range {left}{low}, {high}{right}"


def _bound(kind: str, value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if kind == "int" else f"{value:g}"


@dataclass(frozen=True)
class Options:
    """A closed set of allowed values (strings, or None)."""

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class StrSequence:
    """A list or tuple of strings (not one string)."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)

    def describe(self) -> str:
        return "a list of str"


#: The largest seed: scikit-learn (and numpy's legacy seeding) take seeds below 2**32.
MAX_SEED = 2**32 - 1


class _RandomState:
    def accepts(self, value: Any) -> bool:
        if value is None or isinstance(value, np.random.Generator | np.random.RandomState):
            return True
        return isinstance(value, numbers.Integral) and not isinstance(value, bool) and 0 <= value <= MAX_SEED

    def describe(self) -> str:
        return f"None, an int from 0 to {MAX_SEED}, a numpy Generator or RandomState"


RANDOM_STATE = _RandomState()


def validate_params(owner: str, constraints: dict[str, list], params: dict[str, Any]) -> None:
    """Check ``params`` against ``constraints`` and raise :class:`AADError` on the first miss.

    Parameters
    ----------
    owner : str
        The name of the function or class, used in the message.
    constraints : dict
        Parameter name -> list of accepted constraints (any one suffices).
    params : dict
        Parameter name -> the value given.

    Raises
    ------
    AADError
        When a value satisfies none of its constraints.

    Examples
    --------
    >>> validate_params("f", {"tau": [Interval("float", 0, 1, "neither")]}, {"tau": 1.5})
    Traceback (most recent call last):
    ...
    aad.errors.AADError: The 'tau' parameter of f must be a float in the range (0, 1). Got 1.5 instead.
    """
    for name, value in params.items():
        allowed = constraints[name]
        if any(c.accepts(value) for c in allowed):
            continue
        wanted = " or ".join(c.describe() for c in allowed)
        raise AADError(f"The {name!r} parameter of {owner} must be {wanted}. Got {value!r} instead.")


def check_param_names(owner: str, constraints: dict[str, list], params: dict[str, Any]) -> None:
    """Raise :class:`AADError` for a name in ``params`` that ``constraints`` does not hold
    (``set_params`` with a typo), listing the names there are.

    >>> check_param_names("f", {"tau": []}, {"tua": 0.1})
    Traceback (most recent call last):
    ...
    aad.errors.AADError: f has no parameter 'tua'; its parameters are tau
    """
    unknown = sorted(set(params) - set(constraints))
    if unknown:
        raise AADError(
            f"{owner} has no parameter {unknown[0]!r}; its parameters are {', '.join(sorted(constraints))}"
        )
