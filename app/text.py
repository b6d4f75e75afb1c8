"""English for counts, shared by the pages and the command line."""

from __future__ import annotations

import re

from aad.labels import DIRECTION_CONTROLS

__all__ = [
    "code",
    "count",
    "cut",
    "join_and",
    "md",
    "printable",
    "rules_against_model",
    "sentence",
    "visible",
]


def printable(value: object) -> str:
    r"""``value`` as text safe to print on a terminal: control characters (an escape sequence
    from a cell, a column name, a model or session file, which would clear the screen or set
    the window's title) and direction controls (:func:`visible`) shown as their escapes.

    >>> printable("amt\x1b[2J\x1b]0;PWNED\x07"), printable("a\tb")
    ('amt\\x1b[2J\\x1b]0;PWNED\\x07', 'a\\tb')
    """
    return visible(_CONTROL.sub(lambda m: repr(m.group())[1:-1], str(value)))


def terminal_text(text: str) -> str:
    r"""A command's output (CSV, JSON) as a terminal should show it: control characters other than
    line ends and tabs, and direction controls, written as their escapes (:func:`printable`); a
    file or a pipe gets the text as it is.

    >>> terminal_text("row,kind\n3,ring\x1b[2J\n")
    'row,kind\n3,ring\\x1b[2J\n'
    """
    return visible(_CONTROL_IN_LINES.sub(lambda m: repr(m.group())[1:-1], text))


#: Control characters but line ends (a line feed, a carriage return before one) and tabs.
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")
#: C0 and C1 control characters and DEL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DIRECTION = re.compile(f"[{''.join(sorted(DIRECTION_CONTROLS))}]")


def visible(value: object) -> str:
    r"""``value`` with its direction controls (U+202E and the like,
    :data:`aad.labels.DIRECTION_CONTROLS`) written as their escapes: one in a cell would show the
    text after it, a rule's own words included, backwards.

    >>> print(visible("agent = x\u202e < 5 and y"), visible("ok"))
    agent = x\u202e < 5 and y ok
    """
    return _DIRECTION.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))


def cut(value: object, limit: int) -> str:
    r"""``value`` on one line, cut to ``limit`` characters (the last an ellipsis when it was longer).

    >>> cut("a very long shop name", 10), cut("short", 10), cut("two\nlines", 10)
    ('a very lo…', 'short', 'two lines')
    """
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def with_values(values: dict, name: str) -> str:
    """A column's name with its number of distinct values (``values[name]``), as a choice shows it.

    >>> with_values({"status": 5}, "status")
    'status (5 values)'
    """
    return f"{name} ({count(values[name], 'value')})"


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
    r"|((?<![^\W_])_|_(?![^\W_]))"  # _ that can open or close emphasis (not in txn_id)
)
#: What Streamlit turns into a link or an emoji even when escaped (it runs after the escapes):
#: http://, www., a@b and :name: are broken with an invisible zero-width space.
_LINKIFIED = re.compile(r"(:)(?=[\w/])|(@)|(www)(?=\.)", re.IGNORECASE)
_ZWSP = "\u200b"
#: At the start of a line: a heading, a list item, a quote, a rule; a number ending a list marker
#: (``1.``, ``2)``), whose punctuation is what can be escaped (``\2`` would show its backslash).
_LINE_START = re.compile(r"^(\s*)([#>+\-=])")
_LIST_NUMBER = re.compile(r"^(\s*\d+)([.)])")


def md(value: object) -> str:
    """``value`` as text that Streamlit's Markdown shows literally: every character with a
    meaning escaped, and line breaks (which would start a new block) shown as spaces. Streamlit
    makes links of URLs, e-mail addresses and ``www.`` names, and emoji of ``:name:``, even
    when escaped: a zero-width space, which shows nothing, breaks them.

    For anything that comes from data, a file or the URL (a column name, a cell, a file name,
    a message quoting them) inside ``st.markdown``, ``st.caption``, ``st.info`` and the like.

    Examples
    --------
    >>> print(md("**bold** [link](x) <img src=x>"), md("a\\nb"), md("$y$"), md("# 1. a"), md("id_2: _x_"))
    \\*\\*bold\\*\\* \\[link\\](x) \\<img src=x\\> a b \\$y\\$ \\# 1. a id_2: \\_x\\_
    >>> print(md("2160.52"), md("1) one"))
    2160\\.52 1\\) one
    >>> md("http://x :smile: a@b.org www.x.org").replace("\\u200b", "|")
    'http:|//x :|smile: a@|b.org www|.x.org'
    """
    text = " ".join(visible(value).replace("\r", " ").split("\n"))
    text = _MARKDOWN.sub(lambda m: "\\" + m.group(0), text)
    text = _LINKIFIED.sub(lambda m: m.group(0) + _ZWSP, text)
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return _LIST_NUMBER.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def sentence(clause: str) -> str:
    """A clause of the engine's (lower-case, no full stop) as a sentence of the page, as Markdown.

    >>> sentence("rule 2 covers 3 rows")
    'Rule 2 covers 3 rows.'
    """
    return md(clause[0].upper() + clause[1:] + ".")


def code(value: object) -> str:
    """``value`` as inline code that Streamlit shows literally, whatever backticks it holds.

    Examples
    --------
    >>> code("amount"), code("a`b")
    ('`amount`', '`` a`b ``')
    """
    text = " ".join(visible(value).replace("\r", " ").split("\n"))
    if "`" not in text:
        return f"`{text}`"
    ticks = "`" * (max(len(run) for run in re.findall("`+", text)) + 1)
    return f"{ticks} {text} {ticks}"


def rules_against_model(selected: int, shared: int, n_rows: int) -> str | None:
    """How the rules compare with the model's ranking (:meth:`aad.Description.agreement`), for
    the Rules page and ``aad rules``; None when the rules select no row.

    >>> rules_against_model(159, 120, 20000)
    "the rules select 159 of 20,000 rows, and 120 of them (75%) are among the model's top 159: ..."
    >>> rules_against_model(400, 399, 20000)[:68]  # never rounded up to 100%
    'the rules select 400 of 20,000 rows, and 399 of them (99%) are among'
    >>> rules_against_model(30, 30, 2000)
    "the rules select 30 of 2,000 rows, and all of them are the model's top 30"
    """
    if selected == 0:
        return None
    said = f"the rules select {selected:,} of {n_rows:,} rows, and "
    if shared == selected:
        return said + f"all of them are the model's top {selected:,}"
    return said + (
        f"{shared:,} of them ({shared * 100 // selected}%) are among the model's top {selected:,}: the "
        "rules describe the anomalies labelled, and the model's ranking (its scores) also reaches "
        "rows they do not cover"
    )
