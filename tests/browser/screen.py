"""What the browser tests read off the workbench page: metrics and the current card."""

from __future__ import annotations

import re

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
