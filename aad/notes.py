"""What the loader repaired or noticed, one line per kind: 37 constant columns make one note.

A :class:`Note` is one thing said about one column (or about the whole table). Notes of the
same kind are grouped by :func:`render` into one line listing the columns, so a wide table
with many constant or gappy columns gets a few readable lines instead of hundreds. A
:class:`~aad.data.Dataset` keeps the notes both ways: ``notes`` (the lines, as shown and
stored with a session) and ``note_items`` (the notes one by one, so that choosing other
columns can drop the ones that no longer apply).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LEFT_OUT", "Note", "name_list", "render"]

#: Columns listed by name in a grouped note; the rest are counted ("and 29 more").
LISTED = 8


@dataclass(frozen=True)
class Note:
    """One thing the loader did or noticed.

    Parameters
    ----------
    kind : str
        Notes of one kind are grouped into one line (see :data:`_GROUPED`); a kind without a
        grouped form (``"table"``, the default) is never grouped.
    text : str
        The note on its own, when it is the only one of its kind.
    column : str, optional
        The column it is about.
    item : str
        How the column is listed in the grouped line (by default its quoted name).
    """

    kind: str
    text: str
    column: str | None = None
    item: str = ""

    @property
    def listed(self) -> str:
        """The column as the grouped line lists it."""
        return self.item or repr(self.column)


#: Kinds of note that say a column was left out of the features (dropped when it is chosen).
LEFT_OUT = frozenset(
    {
        "identifier",
        "answer",
        "stray",
        "stray_date",
        "text",
        "dates",
        "unique_text",
        "same_text",
        "other_truth",
        "ambiguous_dates",
        "out_of_range",
    }
)

#: The grouped line of each kind: ``{n}`` columns, listed as ``{items}``.
_GROUPED = {
    "filled": "{n} columns had missing values, filled with each column's median: {items}",
    "filled_like": "{n} columns had missing values, filled with the median of the data the model learned "
    "from: {items}",
    "gaps": "{n} tested columns have missing values, which no rule's test covers: {items}",
    "constant": "{n} columns are constant (the same value in every row), so they cannot separate rows: "
    "{items}",
    "even_category": "{n} categories hold their values equally often, so each value has the same rarity "
    "in every row and they cannot separate rows: {items}",
    "identifier": "{n} columns look like identifiers (named like one, or a whole number of their own in "
    "nearly every row): left out of the features, shown beside the rows; choose them among the features "
    "to use them: {items}",
    "answer": "{n} columns look like a ground truth (0/1 or label words, named like one): left out of the "
    "features and never shown on the cards; choose one as the ground-truth column to evaluate with it: "
    "{items}",
    "other_truth": "{n} columns are named like a ground-truth column: left out of the features: {items}",
    "stray": "{n} columns of numbers hold a cell that is no number: left out of the features; fix those "
    "values (or make them empty cells) to use the columns: {items}",
    "stray_date": "{n} columns of dates hold a cell that is no date: left out of the features; fix those "
    "values (or make them empty cells) to use the columns: {items}",
    "text": "{n} columns are not numeric: left out of the features: {items}",
    "dates": "{n} columns hold dates or times: left out of the features: {items}",
    "unique_text": "{n} text columns hold a different value in (almost) every row, as identifiers and free "
    "text do: left out of the features, shown beside the rows: {items}",
    "same_text": "{n} text columns hold the same text in every row: left out of the features, shown beside "
    "the rows: {items}",
    "category": "{n} text columns are categories, each value encoded as its rarity (one row in how many "
    "holds it), so a rare value is an extreme one: {items}",
    "asked_category": "{n} columns of numbers are read as categories, as asked (their values as written, "
    "not as numbers), each value encoded as its rarity: {items}",
    "timestamp": "{n} columns hold timestamps, whose parts are features: {items}",
    "number_format": "{n} columns hold numbers written with separators, a unit or a currency, read as "
    "numbers: {items}",
    "duration": "{n} columns hold durations, read as seconds and compared as durations: {items}",
    "unseen": "{n} columns hold categories the model's data never had (share 0), encoded as rarer than "
    "any value it had: {items}",
    "nested": "{n} columns hold nested values, read as JSON text: {items}",
    "dropped": "{n} columns hold no usable values (binary data, or no values at all): left out: {items}",
    "ambiguous_dates": "{n} columns hold dates whose day and month cannot be told apart: left out of "
    "the features: {items}",
    "out_of_range": "{n} columns of numbers hold an infinite value or a magnitude beyond the isolation "
    "forest's float32: left out of the features, shown beside the rows; rescale them (divide by a power of "
    "ten, or take the logarithm) or replace the infinite values to use them: {items}",
}


def name_list(items: list[str], limit: int = LISTED) -> str:
    """``items`` joined for a sentence, the first ``limit`` of them, then how many more.

    Examples
    --------
    >>> name_list(["'a'", "'b'"]), name_list([f"c{i}" for i in range(10)], limit=3)
    ("'a', 'b'", 'c0, c1, c2 and 7 more')
    """
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def render(notes: Iterable[Note]) -> tuple[str, ...]:
    """The notes as lines: one per kind that can be grouped, in the order kinds first appear.

    Examples
    --------
    >>> notes = [Note("constant", f"column {c!r} is constant", c, f"{c!r} (0)") for c in "abcdefghijk"]
    >>> for line in render([Note("table", "dropped the index"), *notes]):
    ...     print(line)
    dropped the index
    11 columns are constant (the same value in every row), so they cannot separate rows: 'a' (0), ...
    'h' (0) and 3 more
    >>> render(notes[:1])
    ("column 'a' is constant",)
    """
    groups: dict[str, list[Note]] = {}
    for note in dict.fromkeys(notes):  # the same note twice is said once
        key = note.kind if note.kind in _GROUPED else f"\x00{note.text}"
        groups.setdefault(key, []).append(note)
    lines = []
    for key, members in groups.items():
        if len(members) == 1 or key not in _GROUPED:
            lines.append(members[0].text)
        else:
            items = name_list([note.listed for note in members])
            lines.append(_GROUPED[key].format(n=len(members), items=items))
    return tuple(lines)
