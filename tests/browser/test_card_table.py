"""The Label page's card table in a real browser, at 1280x720 and 1920x1080: beside a feature of
20 characters and a category value of 25, every line's note is in view and uncut (shortened to
fit, and whole in the note column's help), and on a card with shorter values the notes show
whole; the feature and the value show whole, the percentile stays a short bar, the table and
the window never scroll sideways, and the Anomaly and Nominal buttons stay on screen.
Screenshots go to ``$AAD_SCREENSHOTS`` (default ``/tmp/aad-screenshots``).

At 1280x720 the note column had 61 px left of the card's table, whatever its notes ('16% of rows
(480 of 3,000)' showed as '16% of ro'), and beside a 20-character feature and a 25-character
value none at all: the table scrolled sideways to show it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import aad

from .conftest import AppServer, free_port
from .screen import current_card, cut_cells, metric, table_grid

pytestmark = pytest.mark.browser

SIZES = [pytest.param((1280, 720), id="1280x720"), pytest.param((1920, 1080), id="1920x1080")]
SHOTS = Path(os.environ.get("AAD_SCREENSHOTS", "/tmp/aad-screenshots"))
FEATURE, VALUE = "merchant_category_cd", "crypto_exchange_withdrawa"  # 20 and 25 characters


def _transactions(path: Path, n: int = 1000) -> pd.DataFrame:
    """Card transactions with long names. Row 0, the top card, is a category of 25 characters
    seen once, a country of 24 seen once, a missing amount and a far distance; row 1, the next
    card once row 0 is labelled, an ordinary merchant and country with a huge amount."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            FEATURE: rng.choice(["grocery", "restaurant", "online_retail", "fuel"], n),
            "country_of_card_iss": rng.choice(["united_kingdom", "germany", "france"], n),
            "amount": np.round(rng.lognormal(3, 0.5, n), 2),
            "distance_from_home": np.round(rng.exponential(10, n), 1),
        }
    )
    frame.loc[0] = [VALUE, "saint_vincent_grenadines", np.nan, 4000.0]
    frame.loc[1, ["amount", "distance_from_home"]] = [9000.0, 2.0]
    frame.to_csv(path, index=False)
    return frame


@pytest.fixture(scope="module")
def transactions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("card_table")
    data = folder / "transactions.csv"
    frame = _transactions(data)
    app = AppServer(str(data), folder / "sessions.sqlite", free_port(), folder / "server.log").start()
    app.table, app.frame = data, frame
    yield app
    app.stop()


def _notes(page: Page) -> list[str]:
    """The notes the card's table shows, line by line (from the grid's accessible copy of its cells)."""
    cells = page.locator('.st-key-card_current [data-testid="stDataFrame"] [role="gridcell"]')
    expect(cells.first).to_have_text(re.compile(r"\S"))  # the copy comes after the canvas is drawn
    return cells.all_text_contents()[3::4]


def _check_table(page: Page, size) -> tuple[list[tuple[int, int]], dict]:
    """What holds on every card: the four columns in view, no text cut, a short percentile bar,
    the buttons on screen, no sideways scrolling. Returns the table's columns and box."""
    grid = page.locator(".st-key-card_current").get_by_test_id("stDataFrame")
    shot = grid.screenshot()
    columns, _ = table_grid(shot)
    widths = [right - left for left, right in columns]
    assert len(columns) == 4, widths  # feature, value, percentile and note, none scrolled away
    assert cut_cells(shot) == [], (cut_cells(shot), widths)
    box = grid.bounding_box()
    assert widths[2] <= box["width"] / 5, widths  # the percentile: a short bar
    scrolls = page.evaluate(
        """() => {
          const table = document.querySelector('.st-key-card_current .dvn-scroller');
          const root = document.documentElement;
          return [table.scrollWidth - table.clientWidth, root.scrollWidth - root.clientWidth];
        }"""
    )
    assert scrolls == [0, 0], scrolls  # neither the table nor the window scrolls sideways
    for name in ("Anomaly", "Nominal"):
        button = page.locator(".st-key-label_actions").get_by_role("button", name=name).bounding_box()
        assert _on_screen(button, size), (name, button)
    return columns, box


def _on_screen(box: dict, size) -> bool:
    return 0 <= box["x"] and box["x"] + box["width"] <= size[0] and 0 <= box["y"] <= size[1] - box["height"]


@pytest.mark.parametrize("size", SIZES)
def test_the_card_shows_every_note_beside_long_names_and_values(transactions, browser, size):
    session = aad.Session.create(aad.load_data(str(transactions.table)), store=aad.Store(transactions.db))
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{transactions.url}/?session={session.id}")
        assert current_card(page) == 0
        columns, box = _check_table(page, size)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"card-table-{size[0]}x{size[1]}.png")
        median = aad.encoding.number_text(np.median(transactions.frame["amount"].dropna()))
        assert _notes(page) == ["0.1% of rows", "0.1% of rows", f"median {median}", ""]

        note = columns[3]  # its help gives the notes shortened whole
        page.mouse.move(box["x"] + note[0] + 12, box["y"] + 18)
        tip = page.get_by_test_id("stDataFrameTooltipContent")
        expect(tip).to_contain_text(f"{FEATURE}: 0.1% of rows (1 of 1,000)")
        expect(tip).to_contain_text(f"amount: read as the median {median}")
        page.mouse.move(0, 0)

        page.keyboard.press("n")  # the next card: an ordinary merchant and country
        expect(metric(page, "Labels")).to_have_text("1")
        assert current_card(page, other_than=0) == 1
        _check_table(page, size)
        page.screenshot(path=SHOTS / f"card-table-whole-{size[0]}x{size[1]}.png")
        whole = re.compile(r"\d+% of rows \([\d,]+ of 1,000\)")
        assert [bool(whole.fullmatch(text)) for text in _notes(page)] == [True, True, False, False]
    finally:
        context.close()
