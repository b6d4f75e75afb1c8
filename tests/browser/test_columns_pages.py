"""A table of every kind of column in a real browser: the Data page after uploading it, a card,
and the Rules page once some frauds are labelled, at 1280x720 and 1920x1080 (screenshots in
``$AAD_SCREENSHOTS``, by default /tmp/aad-screenshots, to look at)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from cards import RARE, write_cards
from playwright.sync_api import expect

import aad

from .conftest import AppServer, free_port
from .screen import current_card

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("AAD_SCREENSHOTS", "/tmp/aad-screenshots"))
SIZES = ((1280, 720), (1920, 1080))


#: Resolves after two frames are painted: what reacts to a resize has drawn.
_TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function("w => window.innerWidth === w", arg=width)
        page.evaluate(_TWO_FRAMES)  # the layout's observers follow the new width before the shot
        page.screenshot(path=SHOTS / f"{name}-{width}x{height}.png")


def test_the_data_label_and_rules_pages_on_a_card_transaction_table(browser, tmp_path):
    path, table = write_cards(tmp_path, 3000, seed=2, frauds=12)
    db = tmp_path / "s.sqlite"
    app = AppServer("toy2", db, free_port(), tmp_path / "server.log").start()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{app.url}/data")
        page.get_by_text("Upload a file").click()
        page.locator("input[type=file]").set_input_files(path)
        expect(page.get_by_text("cards: 3,000 rows, 7 features")).to_be_visible()
        notes = page.get_by_test_id("stAlert").filter(has_text="How the table was read")
        expect(notes).to_contain_text("2 columns look like identifiers (named like one")
        expect(notes.locator("li")).to_have_count(len(aad.load_data(str(path)).notes))
        expect(page.get_by_text("looks like a ground truth, so it is chosen as one")).to_be_visible()
        _shoot(page, "columns-data")

        page.get_by_role("button", name="Start labelling").click()
        current_card(page)
        session_id = re.search(r"session=([0-9a-f]+)", page.url).group(1)
        card = page.locator(".st-key-card_current")
        expect(
            card.get_by_text(re.compile(r"txn_id T\d+ · card_id \d+ · timestamp 2024-03-"))
        ).to_be_visible()
        expect(card.get_by_text("is_fraud")).to_have_count(0)
        _shoot(page, "columns-label")

        session = aad.Session.open(session_id, store=aad.Store(db))
        session.label(np.flatnonzero(table["kind"] != "").tolist(), "anomaly")
        session.label(np.flatnonzero(table["kind"] == "")[:40].tolist(), "nominal")
        page.goto(f"{app.url}/rules?session={session_id}")
        expect(page.get_by_text(re.compile(r"\d+ rules? covering 36 labelled anomalies"))).to_be_visible()
        expect(page.get_by_test_id("stTable")).to_contain_text(f"merchant_category in {{{RARE}, (new)}}")
        _shoot(page, "columns-rules")
        with page.expect_download() as download:
            page.get_by_role("button", name="Rules as Markdown").click()
        markdown = Path(download.value.path()).read_text()
        assert f"` merchant_category in {{{RARE}, (new)}} `" in markdown
        assert not page.get_by_test_id("stException").count()
    finally:
        context.close()
        app.stop()
