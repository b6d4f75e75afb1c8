"""English for counts, shared by the pages and the command line."""

from __future__ import annotations

import re

__all__ = ["code", "count", "join_and", "md"]


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


#: Characters Streamlit's Markdown gives a meaning: CommonMark's, its LaTeX ($), colours and
#: icons (:red[...], :material/x:), and raw HTML (<...>).
_MARKDOWN = re.compile(
    r"([\\`*\[\]<>$~|&])"  # anywhere
    r"|(:(?=[\w/]))"  # :red[x], :smile:, :material/x:, http://
    r"|((?<![^\W_])_|_(?![^\W_]))"  # _ that can open or close emphasis (not in txn_id)
)
#: At the start of a line: a heading, a list item, a quote, a rule.
_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])")


def md(value: object) -> str:
    """``value`` as text that Streamlit's Markdown shows literally: every character with a
    meaning escaped, and line breaks (which would start a new block) shown as spaces.

    For anything that comes from data, a file or the URL (a column name, a cell, a file name,
    a message quoting them) inside ``st.markdown``, ``st.caption``, ``st.info`` and the like.

    Examples
    --------
    >>> print(md("**bold** [link](http://x) <img src=x>"))
    \\*\\*bold\\*\\* \\[link\\](http\\://x) \\<img src=x\\>
    >>> print(md("a\\nb"), md(":red[x] $y$"), md("# 1. a.csv"), md("txn_id: _x_"))
    a b \\:red\\[x\\] \\$y\\$ \\# 1. a.csv txn_id: \\_x\\_
    """
    text = " ".join(str(value).replace("\r", " ").split("\n"))
    # GFM makes a link of a bare www. name
    text = _MARKDOWN.sub(lambda m: "\\" + m.group(0), text).replace("www.", "www\\.")
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def code(value: object) -> str:
    """``value`` as inline code that Streamlit shows literally, whatever backticks it holds.

    Examples
    --------
    >>> code("amount"), code("a`b")
    ('`amount`', '`` a`b ``')
    """
    text = " ".join(str(value).replace("\r", " ").split("\n"))
    if "`" not in text:
        return f"`{text}`"
    ticks = "`" * (max(len(run) for run in re.findall("`+", text)) + 1)
    return f"{ticks} {text} {ticks}"
