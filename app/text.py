"""English for counts, shared by the pages and the command line."""

from __future__ import annotations

__all__ = ["count", "join_and"]


def count(n: int, noun: str) -> str:
    """``n`` and the noun (its last word made plural unless ``n`` is 1).

    Examples
    --------
    >>> count(1, "rule"), count(3, "rule"), count(2, "labelled anomaly"), count(1200, "row")
    ('1 rule', '3 rules', '2 labelled anomalies', '1,200 rows')
    """
    if n == 1:
        return f"1 {noun}"
    consonant_y = noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u")
    return f"{n:,} {noun[:-1] + 'ies' if consonant_y else noun + 's'}"


def join_and(items: list[str]) -> str:
    """``items`` as an English list.

    Examples
    --------
    >>> join_and(["Nominal on row 3"]), join_and(["a", "b"]), join_and(["a", "b", "c"])
    ('Nominal on row 3', 'a and b', 'a, b and c')
    """
    return items[-1] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
