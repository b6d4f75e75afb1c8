"""The Explore page's hover, for the tests: a table whose text means something to plotly, and the
hover's lines as plotly shows them.

Plotly reads a hover template once, replacing each ``%{...}`` by the point's value, and then
reads the result as its small HTML (``<b>``, ``<br>``, entities). Data text must come through
both steps as written.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

#: Shop names that plotly would read as markup or a template, and one too long for a hover.
HOSTILE = ("<b>x</b>", "%{y}", "**x**", "<br>x", "A" * 120)
#: Plotly's template field (plotly.js ``TEMPLATE_STRING_REGEX``).
_FIELD = re.compile(r"%{([^\s%{}:]*)([:|][^}]*)?}")


def write_hostile_table(path: Path, n: int = 300, *, wide: bool = True) -> Path:
    """A card table of ``n`` rows: ids, a shop category (the :data:`HOSTILE` names among its
    values), amounts written ``$1,234.50``, and (``wide``) timestamps and a count with a missing
    cell (row 11). Row 7 is the most unusual amount; rows 0 to 4 hold the hostile shop names, and
    amounts far apart ($2,000.00 to $6,000.00), so that each has its own point on a plot."""
    rng = np.random.default_rng(0)
    shops = rng.choice(["grocery", "fuel", "cafe"], n).astype(object)
    shops[: len(HOSTILE)] = HOSTILE
    frame = pd.DataFrame(
        {
            "txn_id": [f"T{i:04d}" for i in range(n)],
            "shop": shops,
            "amount": [f"${v:,.2f}" for v in rng.gamma(2, 40, n)],
            "when": pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 43_200, n), unit="min"),
            "qty": rng.integers(1, 6, n).astype(float),
        }
    )
    frame.loc[7, "amount"] = "$9,999.99"
    frame.loc[: len(HOSTILE) - 1, "amount"] = [f"${1000 * (i + 2):,}.00" for i in range(len(HOSTILE))]
    frame.loc[11, "qty"] = np.nan
    (frame if wide else frame[["txn_id", "shop", "amount"]]).to_csv(path, index=False)
    return path


def hover_lines(trace: dict, point: int) -> list[str]:
    """The lines plotly shows when ``point`` of ``trace`` (a figure's JSON) is hovered: its
    template's fields replaced in one pass, split at its ``<br>``, entities read; the part in
    ``<extra>`` left out."""

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key == "text":
            return str(trace["text"][point])
        index = re.fullmatch(r"customdata(?:\[(\d+)\])?", key)
        assert index is not None, f"unexpected template field {key!r}"
        data = trace["customdata"][point]
        return str(data if index.group(1) is None else data[int(index.group(1))])

    shown = _FIELD.sub(value, trace["hovertemplate"]).split("<extra>")[0]
    assert not re.search(r"<(?!br>)", shown), f"markup in the hover: {shown!r}"
    return [html.unescape(line) for line in shown.split("<br>")]
