"""Rules in the analyst's terms: a category's values, a timestamp's hours, whole numbers.

A :class:`~aad.rules.Rule` is a box on the features. Where a feature is made from a table
column (:mod:`aad.encoding`), each side of the box becomes a :class:`ColumnTest` on that column,
which selects exactly the rows of the training table the box selects:

* a number: ``3.2 < amount <= 5.0``, the thresholds as they are;
* a whole number: ``failed_pin_attempts >= 2`` for the box side ``> 1.544`` (the same
  whole numbers), ``2 <= x <= 4`` as ``x in 2..4``, ``x = 2``;
* a timestamp's part: ``timestamp.hour in 1..4``, ``timestamp.weekday in Sat..Sun``;
* a category: the values whose rarity lies in the box, ``merchant_category =
  atm_withdrawal``, ``merchant_category in {atm_withdrawal, crypto}``, or, when fewer
  values are left out than kept, ``channel not in {in_store}``; a missing cell is listed
  as ``(missing)``. A value the training table never had is in no ``in`` list and passes
  every ``not in`` test.

The exports (:mod:`aad.export`) write these tests, and the Rules page, the cards and the
Markdown export show them with :func:`rule_text`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .encoding import PARTS, FeatureSpec, number_text, part_label
from .rules import Rule, threshold_text

__all__ = ["SHOWN_CHARS", "ColumnTest", "rule_tests", "rule_text"]

#: Whole-number bounds are exact below this magnitude; beyond it every float is whole already.
_WHOLE_LIMIT = 2.0**52
MISSING = "(missing)"
#: How a category test names the values the table never had, when its list would read otherwise.
NEW = "(new)"
#: A category's value in a screen's text (``values`` given) is cut to this many characters.
SHOWN_CHARS = 40


@dataclass(frozen=True)
class ColumnTest:
    """One test of a rule on one table column.

    Attributes
    ----------
    column : str
        The table column tested.
    kind : {"number", "integer", "part", "category"}
    part : str or None
        The timestamp part tested (``kind="part"``).
    low, high : float or None
        The bounds: ``value > low`` (or ``>= low`` with ``low_inclusive``) and ``value <= high``;
        None when open.
    low_inclusive : bool
        Whole numbers and parts: ``>= low``.
    values : tuple of (str or None)
        A category's values named (None: a missing cell).
    negate : bool
        A category test is ``not in values``.
    duration : bool
        A number test on a column of durations, its bounds in seconds (``call_duration >= 3031 s``).
    unseen : bool or None
        A category test: whether a value the table never had passes it, as the model reads such
        a value (rarer than any seen: a test on the rarest merchants also takes a merchant first
        seen tomorrow, and reads ``merchant in {atm, (new)}``); None when not known.
    others : tuple of (str or None)
        A category test: the table's other values, those on the other side of ``values``.

    Examples
    --------
    A rule on a table's features, as tests on its columns (:func:`rule_tests`): the category
    ``merchant`` (its feature is a value's rarity), the whole number ``pins``, the number ``amount``:

    >>> import pandas as pd
    >>> from aad import dataset_from_frame
    >>> from aad.rules import Predicate
    >>> frame = pd.DataFrame({"merchant": ["shop"] * 6 + ["atm"], "pins": [0, 0, 1, 0, 0, 1, 3],
    ...                       "amount": [12.5, 30, 8, 15, 22, 9, 400]})
    >>> data = dataset_from_frame(frame, non_numeric="encode")
    >>> rule = Rule([Predicate(0, ">", 2.0), Predicate(1, ">", 1.5), Predicate(2, ">", 100.0)])
    >>> merchant, pins, amount = rule_tests(rule, data.specs)
    >>> pins
    ColumnTest(column='pins', kind='integer', part=None, low=2.0, high=None, low_inclusive=True, values=(),
               negate=False, duration=False)
    >>> merchant.kind, merchant.values, [test.text() for test in (merchant, pins, amount)]
    ('category', ('atm',), ['merchant in {atm, (new)}', 'pins >= 2', 'amount > 100.0'])
    """

    column: str
    kind: str
    part: str | None = None
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = False
    values: tuple[str | None, ...] = ()
    negate: bool = False
    duration: bool = False
    unseen: bool | None = field(default=None, repr=False)
    others: tuple[str | None, ...] = field(default=(), repr=False)

    def for_new_rows(self) -> tuple[tuple[str | None, ...], bool]:
        """A category test's ``(values, negate)`` as the exports write it: the list that treats a
        value the table never had as the model does. A test on the rarest merchants, ``merchant
        in {atm, (new)}``, is exported as ``merchant not in {shop}``: a merchant first seen
        tomorrow is selected, as the model reads it (rarer than any).

        Examples
        --------
        >>> rare = ColumnTest("merchant", "category", values=("atm",), unseen=True, others=("shop",))
        >>> rare.text(), rare.for_new_rows()
        ('merchant in {atm, (new)}', (('shop',), True))
        >>> common = ColumnTest("merchant", "category", values=("shop",), others=("atm",))
        >>> common.for_new_rows()
        (('shop',), False)
        """
        if self.unseen is None or self.unseen == self.negate:  # `not in` takes a new value; `in` does not
            return self.values, self.negate
        return self.others, not self.negate

    @property
    def name(self) -> str:
        """The feature's name as people read it: the column, or ``column.part``."""
        return self.column if self.part is None else f"{self.column}.{self.part}"

    def text(self, digits: int | None = None, *, values: int | None = None) -> str:
        """The test for people (``digits`` rounds a number's thresholds for display; ``values``
        lists at most that many of a category's values, then how many more, each cut to
        :data:`SHOWN_CHARS` characters: a screen's text, where 148 shop names, or one user agent
        of 5,000 characters, would fill the card).

        Examples
        --------
        >>> ColumnTest("hour_of", "part", "hour", low=1, high=4, low_inclusive=True).text()
        'hour_of.hour in 1..4'
        >>> ColumnTest("c", "category", values=("atm",)).text()
        'c = atm'
        >>> ColumnTest("n", "integer", low=2, low_inclusive=True).text()
        'n >= 2'
        >>> ColumnTest("c", "category", values=("a", None), negate=True).text()
        'c not in {a, (missing)}'
        >>> ColumnTest("n", "integer", low=2.0, high=4.0, low_inclusive=True).text()
        'n in 2..4'
        >>> ColumnTest("shop", "category", values=("a", "b", "c", "d"), negate=True).text(values=2)
        'shop not in {a, b, +2 more}'
        >>> ColumnTest("shop", "category", values=("Smith, Jones", "atm")).text()
        "shop in {'Smith, Jones', atm}"
        >>> ColumnTest("agent", "category", values=("A" * 5000,)).text(values=5)
        'agent = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…'
        >>> ColumnTest("call", "integer", low=3031, low_inclusive=True, duration=True).text()
        'call >= 3031 s'
        """
        if self.kind == "category":
            return self._category_text(values)
        if self.kind == "part":
            return self._part_text()
        low = None if self.low is None else self._bound(self.low, digits)
        high = None if self.high is None else self._bound(self.high, digits)
        if low is not None and high is not None:
            if self.low_inclusive and self.low == self.high:
                return f"{self.name} = {low}"
            if self.low_inclusive:
                return f"{self.name} in {low}..{high}"
            return f"{low} < {self.name} <= {high}"
        if low is not None:
            return f"{self.name} {'>=' if self.low_inclusive else '>'} {low}"
        return f"{self.name} <= {high}"

    def _bound(self, value: float, digits: int | None) -> str:
        shown = number_text(value) if self.kind == "integer" else threshold_text(value, digits)
        return f"{shown} s" if self.duration else shown

    def _part_text(self) -> str:
        first, last = PARTS[self.part]
        low = first if self.low is None else self.low
        high = last if self.high is None else self.high
        if low == high:
            return f"{self.name} = {part_label(self.part, low)}"
        return f"{self.name} in {part_label(self.part, low)}..{part_label(self.part, high)}"

    def _category_text(self, shown: int | None = None) -> str:
        names = [MISSING if v is None else str(v) for v in self.values]
        names += [NEW] if self.unseen not in (None, self.negate) else []  # as the model reads new values
        if shown is not None:
            names = [_cut(name, SHOWN_CHARS) for name in names]
        if len(names) == 1:
            return f"{self.column} {'!=' if self.negate else '='} {names[0]}"
        names = [repr(n) if any(mark in n for mark in (", ", "{", "}")) else n for n in names]  # read as one
        if shown is not None and len(names) > shown + 1:
            names = [*names[:shown], f"+{len(names) - shown} more"]
        return f"{self.column} {'not in' if self.negate else 'in'} {{{', '.join(names)}}}"


def rule_tests(rule: Rule, specs: Sequence[FeatureSpec]) -> list[ColumnTest]:
    """The rule as tests on the table's columns, one per feature it tests, in the rule's order.

    A category test that keeps every value of the training table says nothing and is left
    out (on the training table it selects every row).

    Examples
    --------
    >>> from aad.rules import Predicate
    >>> specs = [FeatureSpec("pins", "pins", "integer"), FeatureSpec("c", "c", "category",
    ...          levels=(("shop", 3), ("atm", 1)), rows=4)]
    >>> [t.text() for t in rule_tests(Rule([Predicate(0, ">", 1.544), Predicate(1, ">", 2.0)]), specs)]
    ['pins >= 2', 'c in {atm, (new)}']
    """
    lower, upper = rule.bounds(len(specs)) if rule.predicates else (None, None)
    tests = []
    for feature in rule.features:
        spec = specs[feature]
        low = float(lower[feature]) if np.isfinite(lower[feature]) else None
        high = float(upper[feature]) if np.isfinite(upper[feature]) else None
        test = _test(spec, low, high)
        if test is not None:
            tests.append(test)
    return tests


def rule_text(
    rule: Rule, specs: Sequence[FeatureSpec], digits: int | None = None, *, values: int | None = None
) -> str:
    """The rule for people: its tests joined by ``and`` (``true`` for the empty rule); ``values``
    lists at most that many of a category's values (:meth:`ColumnTest.text`).

    Examples
    --------
    >>> from aad.rules import Predicate
    >>> specs = [FeatureSpec("ts.hour", "ts", "part", part="hour"), FeatureSpec("amount", "amount")]
    >>> rule = Rule([Predicate(0, ">", 0.5), Predicate(0, "<=", 4.2), Predicate(1, ">", 900.123456)])
    >>> rule_text(rule, specs, 4)
    'ts.hour in 1..4 and amount > 900.1'
    """
    tests = rule_tests(rule, specs)
    return " and ".join(test.text(digits, values=values) for test in tests) if tests else "true"


def _test(spec: FeatureSpec, low: float | None, high: float | None) -> ColumnTest | None:
    if spec.kind == "category":
        return _category(spec, low, high)
    if spec.whole:
        inclusive = low is not None and abs(low) < _WHOLE_LIMIT
        if inclusive:
            low = float(math.floor(low) + 1)  # x > 1.544 is x >= 2 on whole numbers
        if high is not None and abs(high) < _WHOLE_LIMIT:
            high = float(math.floor(high))
        kind = "part" if spec.kind == "part" else "integer"
        duration = spec.duration
        return ColumnTest(spec.column, kind, spec.part, low, high, low_inclusive=inclusive, duration=duration)
    return ColumnTest(spec.column, "number", None, low, high, duration=spec.duration)


def _category(spec: FeatureSpec, low: float | None, high: float | None) -> ColumnTest | None:
    def passes(rarity: float) -> bool:
        return (low is None or rarity > low) and (high is None or rarity <= high)

    inside = tuple(value for value, _ in spec.levels if passes(spec.rarity(value)))
    outside = tuple(value for value, _ in spec.levels if value not in inside)
    if not outside:
        return None
    negate = len(outside) < len(inside)  # the shorter list for people; the exports: for_new_rows
    values, others = (outside, inside) if negate else (inside, outside)
    unseen = passes(2.0 * spec.rows)  # FeatureSpec.rarity of a value the table never had
    return ColumnTest(spec.column, "category", values=values, negate=negate, unseen=unseen, others=others)


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
