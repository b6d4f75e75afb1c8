"""Hostile pages in a real browser and over real HTTP (issue 17).

* The server refuses requests sent to a name it was not started on (DNS rebinding): pages,
  Streamlit's API and the websocket, with real HTTP requests carrying a bad ``Host`` header.
* Names and cells holding Markdown, HTML, colours or LaTeX show as text on every page: no
  link, image or formatting comes through them.
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from .conftest import AppServer, free_port
from .screen import current_card

pytestmark = pytest.mark.browser

HOSTILE = "**bold** [link](http://x) <img src=x> :red[red] $x$"
SHOTS = Path(os.environ.get("AAD_SCREENSHOTS", "/tmp/aad-screenshots"))


def _status(url: str, host: str) -> int:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as refused:
        refused.close()
        return refused.code


def _websocket_status(port: int, host: str) -> str:
    """The status line of a websocket handshake on Streamlit's stream, sent with ``Host: host``."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            (
                f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            ).encode()
        )
        return sock.recv(200).decode("latin-1").split("\r\n")[0]


def test_requests_to_another_name_are_refused_pages_api_and_websocket(server):
    port = server.port
    for path in ("/", "/_stcore/health", "/_stcore/host-config", "/label?session=x"):
        url = f"{server.url}{path}"
        for good in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            assert _status(url, good) == 200, (path, good)
        for bad in (f"evil.example:{port}", "rebind.attacker.example", f"127.0.0.1.evil.example:{port}"):
            assert _status(url, bad) == 403, (path, bad)
    assert _websocket_status(port, f"localhost:{port}") == "HTTP/1.1 101 Switching Protocols"
    assert _websocket_status(port, f"evil.example:{port}").startswith("HTTP/1.1 403")


def test_the_pages_ask_nothing_of_any_server_but_their_own(server, browser):
    """A local tool: its favicon (a Material icon) was fetched from fonts.gstatic.com at every page,
    telling Google the workbench was in use, and failing offline."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(30_000)
    elsewhere = []
    page.on("request", lambda r: None if r.url.startswith(("data:", server.url)) else elsewhere.append(r.url))
    try:
        page.goto(server.url)
        current_card(page)
        for link in ("Rows", "Explore", "Rules", "Progress", "Data", "Sessions"):
            page.get_by_role("link", name=link).click()
            expect(
                page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
            ).to_be_attached()
            expect(page.get_by_role("heading").first).to_be_visible()
        assert elsewhere == []
    finally:
        context.close()


def test_markup_in_column_names_cells_and_file_names_shows_as_text(browser, tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({HOSTILE: rng.normal(size=60), "b": rng.normal(size=60)})
    frame["note"] = ["[click](http://evil.example) <b>loud</b>"] * 60
    data = tmp_path / "<i>table<i> [x](http:y).csv"
    frame.to_csv(data, index=False)
    app = AppServer(str(data), tmp_path / "s.sqlite", free_port(), tmp_path / "server.log").start()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(app.url)
        current_card(page)
        card = page.locator(".st-key-card_current")
        why = card.get_by_test_id("stMarkdownContainer").filter(has_text="Why:")
        expect(why).to_contain_text("splits that isolate it are on")
        expect(why).to_contain_text(HOSTILE)  # the name, literally, whichever column leads
        expect(card.get_by_text("[click](http://evil.example) <b>loud</b>")).to_be_visible()
        sidebar = page.get_by_test_id("stSidebarUserContent")
        expect(sidebar.get_by_text("<i>table<i> [x](http:y):", exact=False)).to_be_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "hostile-label.png")
        for selector in ('a[href="http://x"]', 'a[href^="http://evil"]', 'img[src="x"]', "i:text('table')"):
            assert page.locator(selector).count() == 0, selector
        page.get_by_role("link", name="Explore").click()
        expect(page.locator(".xtitle").first).to_have_text(HOSTILE)  # the axis: the column's name
        page.screenshot(path=SHOTS / "hostile-explore.png")
        page.get_by_role("link", name="Sessions").click()
        expect(page.get_by_text("Database:")).to_be_visible()
        page.screenshot(path=SHOTS / "hostile-sessions.png")
        assert page.locator('a[href="http://x"], a[href^="http://evil"], img[src="x"]').count() == 0
    finally:
        context.close()
        app.stop()
