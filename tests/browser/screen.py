"""What the browser tests read off the workbench page: metrics, the current card, and a table's
columns and cut text (a ``st.dataframe`` draws on a canvas: read from its screenshot)."""

from __future__ import annotations

import io
import re
from collections import Counter
from itertools import pairwise

from PIL import Image
from playwright.sync_api import Locator, Page, expect


def metric(page: Page, label: str) -> Locator:
    """The value of the metric named ``label`` (``Labels``, ``Skipped``, ...).

    Only a drawn metric counts: while a run redraws the page, a stale copy may still show.
    """
    fresh = page.locator('[data-testid="stElementContainer"]:not([data-stale="true"])')
    box = fresh.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue")


def current_card(page: Page, *, other_than: int | None = None) -> int:
    """Row number of the card the shortcuts act on, once the page is ready for the next key.

    Waits until the card differs from ``other_than``, the script run is over, and the card's
    table has drawn: on a fresh page the buttons' shortcuts are bound only once the lazily
    loaded table component has rendered. Pass ``other_than`` after a key press: the page
    reports its script run as started only about 0.1 s after the key, so "not running"
    alone would still match the old card.
    """
    heading = page.locator(".st-key-card_current h3")
    if other_than is not None:
        expect(heading).not_to_have_text(re.compile(rf"^Row {other_than} "))
    expect(heading).to_have_text(re.compile(r"^Row \d+ · now labelling"))
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()
    expect(page.locator(".st-key-card_current canvas").first).to_be_visible()
    return int(heading.inner_text().split()[1])


#: A pixel of text in a table's canvas: darker than this in every channel (the grid's lines, its
#: header's background and the percentile's red bars are lighter in one at least).
INK = 140


def table_grid(png: bytes) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The columns and lines of a ``st.dataframe`` in its screenshot: each ``(start, end)`` in
    pixels between the grid's 1 px lines (a light colour, the same down a whole column or across
    a whole line). A column scrolled out of view is not listed."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()

    def ruled(cells: list[tuple[int, int, int]]) -> bool:
        colour, n = Counter(cells).most_common(1)[0]
        return colour != (255, 255, 255) and min(colour) >= 200 and n >= 0.8 * len(cells)

    xs = [x for x in range(width) if ruled([pixels[x, y] for y in range(height)])]
    ys = [y for y in range(height) if ruled([pixels[x, y] for x in range(width)])]
    return _between(xs), _between(ys)


def cut_cells(png: bytes) -> list[tuple[int, int]]:
    """The cells of a ``st.dataframe`` (its screenshot) whose text is cut at their right edge,
    as (column, line) from 0: text that runs into its column's last 3 pixels (a cell keeps 8
    clear after text it shows whole)."""
    columns, lines = table_grid(png)
    pixels = Image.open(io.BytesIO(png)).convert("RGB").load()
    cut = []
    for i, (left, right) in enumerate(columns):
        for j, (top, bottom) in enumerate(lines):
            inked = [x for x in range(left, right) for y in range(top, bottom) if max(pixels[x, y]) < INK]
            if inked and max(inked) >= right - 3:
                cut.append((i, j))
    return cut


def _between(rules: list[int]) -> list[tuple[int, int]]:
    """The spans between consecutive 1 px rules wider than a letter (a band of rules, a header's
    background, is none)."""
    return [(a + 1, b) for a, b in pairwise(rules) if b - a > 8]
