"""Real-browser fixtures: an ``aad app`` server on a free port and Debian's chromium.

The server is started the way users start it (``aad app DATA --port N --db PATH``), in
its own process, so a test can SIGKILL it. Chromium is the system one
(``/usr/bin/chromium``, or ``$AAD_CHROMIUM``); ``playwright install`` is never run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("AAD_CHROMIUM", "/usr/bin/chromium")
CHROME_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """``$AAD_E2E_PORT`` if set, else a port the OS says is free."""
    if os.environ.get("AAD_E2E_PORT"):
        return int(os.environ["AAD_E2E_PORT"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """``aad app DATA`` in a child process, with a helper to wait until it answers."""

    def __init__(self, data: str, db: Path, port: int, log: Path, extra: tuple[str, ...] = ()) -> None:
        self.data, self.db, self.port, self.log = data, db, port, log
        self.extra = list(extra)  # more `aad app` options (--user-header NAME)
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> AppServer:
        command = [
            sys.executable,
            "-m",
            "app.cli",
            "app",
            self.data,
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            *self.extra,
        ]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"aad app exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"aad app did not answer on {self.url}:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}; run `make system-deps`")
        pytest.skip(f"chromium not found at {CHROMIUM} (install Debian's chromium, or set AAD_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROME_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server on toy2 shared by the tests that do not kill it."""
    folder = tmp_path_factory.mktemp("server")
    app = AppServer("toy2", folder / "sessions.sqlite", free_port(), folder / "server.log").start()
    yield app
    app.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()
