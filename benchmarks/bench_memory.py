"""Server memory while one browser tab opens session after session (the cache is bounded).

Writes ``--tables`` synthetic tables of ``--rows`` rows (8 numeric features, a text id, a
category and a timestamp, as exported card transactions are; seed 0, 1, ...), starts one
session on each through the Python API (``--same-table``: ``--sessions`` sessions with
seeds 0, 1, ... on one table), then starts ``aad app --db DB`` on a free port, opens it in
Debian's chromium (Playwright, headless) and, in one tab, resumes every session in turn
from the Sessions page, waiting each time for its first card. After each it reads the
server's resident memory (VmRSS of the ``aad app`` process) and its peak (VmHWM).

Usage::

    .venv/bin/python benchmarks/bench_memory.py                         # 10 tables of 500,000 rows
    .venv/bin/python benchmarks/bench_memory.py --rows 50000 --tables 3

Writes ``results/memory.json`` and ``results/memory.md`` (or ``--json`` and its ``.md``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
sys.path.insert(0, str(ROOT))

import aad  # noqa: E402
from tests.browser.conftest import CHROME_ARGS, CHROMIUM, AppServer, free_port  # noqa: E402


def make_table(path: Path, n_rows: int, seed: int) -> Path:
    """A card-transaction-like table: 8 numeric features (1% of rows shifted), an id, a category, a time."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 8))
    shifted = rng.random(n_rows) < 0.01
    X[shifted] += rng.uniform(3, 6, size=(shifted.sum(), 8))
    frame = pd.DataFrame(X.round(5), columns=[f"f{j}" for j in range(8)])
    frame.insert(0, "txn_id", [f"T{seed:02d}{i:08d}" for i in range(n_rows)])
    frame.insert(1, "merchant", rng.choice(["grocery", "fuel", "online", "travel", "cafe"], n_rows))
    frame.insert(
        2, "ts", pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 2_592_000, n_rows), "s")
    )
    frame.to_csv(path, index=False)
    return path


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of process ``pid`` in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def prepare(folder: Path, rows: int, tables: int, sessions: int, same_table: bool) -> tuple[Path, list[str]]:
    db = folder / "sessions.sqlite"
    store = aad.Store(db)
    count = sessions if same_table else tables
    stored = sorted(store.summaries(), key=lambda s: s.created_at)
    if len(stored) >= count:  # --folder given again: the same tables and sessions
        return db, [s.id for s in stored[:count]]
    ids = []
    for i in range(count):
        path = folder / f"cards_{0 if same_table else i}.csv"
        if not path.exists():
            make_table(path, rows, i)
        dataset = aad.load_data(str(store.keep_file(path)), name=path.stem)
        session = aad.Session.create(dataset, store=store, seed=i)
        session.label(int(session.batch()[0]), "anomaly")  # a label, so that reopening replays a log
        ids.append(session.id)
        print(f"session {i + 1}/{count}: {session.id} on {path.name}", flush=True)
    return db, ids


def resume(page, session_id: str) -> None:
    """Resume ``session_id`` from the Sessions page, in the same tab, and wait for its first card."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    page.get_by_role("combobox", name="Session").click()
    page.get_by_role("option", name=re.compile(session_id)).click()
    page.get_by_role("button", name="Resume", exact=True).click()
    expect(page.get_by_test_id("stSidebar").get_by_text(session_id)).to_be_visible(timeout=600_000)
    expect(page.locator(".st-key-card_current h3")).to_have_text(re.compile(r"^Row \d+"), timeout=600_000)
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()


def measure(db: Path, ids: list[str], folder: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    server = AppServer("", db, free_port(), folder / "server.log")  # started without DATA below
    steps = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROME_ARGS)
        _start_without_data(server)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.set_default_timeout(600_000)
            page.goto(server.url + "/sessions")
            rss, peak = memory_mb(server.proc.pid)
            steps.append({"step": "server started", "rss_mb": rss, "peak_mb": peak, "seconds": 0.0})
            for i, session_id in enumerate(ids, start=1):
                start = time.perf_counter()
                resume(page, session_id)
                seconds = time.perf_counter() - start
                rss, peak = memory_mb(server.proc.pid)
                steps.append(
                    {"step": f"session {i} open", "rss_mb": rss, "peak_mb": peak, "seconds": seconds}
                )
                print(
                    f"{steps[-1]['step']}: {rss:.0f} MB resident, peak {peak:.0f} MB, {seconds:.1f} s",
                    flush=True,
                )
        finally:
            server.stop()
            browser.close()
    return steps


def _start_without_data(server: AppServer) -> None:
    """``aad app --db DB`` (no DATA): the sessions are opened from the Sessions page."""
    import subprocess
    import urllib.request

    command = [sys.executable, "-m", "app.cli", "app", "--port", str(server.port), "--db", str(server.db)]
    with server.log.open("ab") as log:
        server.proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server.url + "/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(server.log.read_text())


def table(steps: list[dict], args) -> str:
    what = (
        f"{args.sessions} sessions on one table"
        if args.same_table
        else f"{args.tables} tables, one session each"
    )
    lines = [
        f"{what} of {args.rows:,} rows, opened one after another in one tab",
        "",
        "| step | resident MB | peak MB | seconds to the first card |",
        "|---|---|---|---|",
    ]
    lines += [f"| {s['step']} | {s['rss_mb']:.0f} | {s['peak_mb']:.0f} | {s['seconds']:.1f} |" for s in steps]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--tables", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=10, help="with --same-table")
    parser.add_argument("--same-table", action="store_true")
    parser.add_argument("--folder", type=Path, help="keep the tables and the database here (reused)")
    parser.add_argument("--json", type=Path, default=RESULTS / "memory.json", help="where to write results")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db, ids = prepare(folder, args.rows, args.tables, args.sessions, args.same_table)
        steps = measure(db, ids, folder)
    text = table(steps, args)
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "steps": steps}, indent=1)
    )
    args.json.with_suffix(".md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
