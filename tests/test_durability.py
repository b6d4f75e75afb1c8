"""SIGKILL at random moments: every label the page acknowledged survives, and the model with it.

The real workbench (``aad app toy2``, its own process) is driven by a real browser through
50 labels, pressing the A and N shortcuts the way an analyst does. At 10 seeded random
label counts, the server is killed with SIGKILL a seeded random 0-80 ms after the key press
starts: before the key reaches it, after the label is committed but before the page shows
it, or after (a label commits about 15 ms after the press and shows about 30 ms later). A
label counts as acknowledged once the page shows the new label count. After each restart
the page reopens the session from its URL, and the test checks that

* every acknowledged label is stored with its value, and the only other label that may be
  stored is the one whose key was in flight (committed, but killed before the page heard);
* what the restarted page shows (counts, model version, the next card and its rank)
  is what a session rebuilt from the log in this process shows.

A last kill after the 50th label checks the whole run once more.

The other tests here check what is kept with a session besides its labels (the repairs the
loader made to its data) and that a database written before those were kept still opens
with every label.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from browser.conftest import CHROME_ARGS, CHROMIUM, AppServer, free_port
from playwright.sync_api import expect, sync_playwright
from streamlit.testing.v1 import AppTest

import aad
from app import keys

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")

SEED = 20240611
N_LABELS = 50
N_KILLS = 10  # at random moments, plus one after the last label
MAX_KILL_DELAY = 0.08  # s from the key press: the label commits after ~0.015 s, shows ~0.03 s later


@pytest.fixture
def chromium() -> str:
    """Path of the system chromium (skips without one, fails in CI)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}; run `make system-deps`")
        pytest.skip(f"chromium not found at {CHROMIUM} (install Debian's chromium, or set AAD_CHROMIUM)")
    return CHROMIUM


def _in_own_thread(fn, *args):
    """Run ``fn`` in a new thread and return its result (or raise its error).

    Playwright's sync API runs one event loop per thread: tests/browser keeps one open for
    the whole session, so a test outside that folder drives its own browser elsewhere.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def _metric(page, label: str):
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue")


def _card(page, *, other_than: int | None = None) -> int:
    """Row of the card the shortcuts act on, once the page is ready for the next key."""
    heading = page.locator(".st-key-card_current h3")
    if other_than is not None:
        expect(heading).not_to_have_text(re.compile(rf"^Row {other_than} "))
    expect(heading).to_have_text(re.compile(r"^Row \d+ · now labelling"))
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()
    expect(page.locator(".st-key-card_current canvas").first).to_be_visible()  # shortcuts are bound
    return int(heading.inner_text().split()[1])


def _shown_labels(page) -> int:
    """The label count on the page right now (after a kill: what the analyst last saw)."""
    return int(_metric(page, "Labels").inner_text(timeout=5_000))


class Rebuilt:
    """Sessions rebuilt from the log in this process (the forest is fitted once, then copied)."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self._fitted: dict = {}

    def open(self, session_id: str) -> aad.Session:
        return aad.Session.open(session_id, store=aad.Store(self.db), model_factory=self._factory)

    def _factory(self, dataset, params, seed):
        key = (dataset.fingerprint, seed)
        if key not in self._fitted:
            self._fitted[key] = aad.fit_model(dataset, params, seed)
        return copy.deepcopy(self._fitted[key])


def _check_restarted(page, url: str, rebuilt: Rebuilt, session_id: str, acked: dict, in_flight) -> dict:
    """Reopen the page after a restart; check the stored labels and the page against the log."""
    stored = aad.Store(rebuilt.db).labels(session_id)
    assert acked.items() <= stored.items(), "an acknowledged label was lost"
    extra = {row: label for row, label in stored.items() if row not in acked}
    assert extra in ({}, dict([in_flight] if in_flight else [])), f"stored labels nobody gave: {extra}"

    page.goto(url)
    card = _card(page)
    reference = rebuilt.open(session_id)
    assert reference.labels() == stored
    expect(_metric(page, "Labels")).to_have_text(str(len(stored)))
    expect(_metric(page, "Anomalies")).to_have_text(str(reference.n_anomalies))
    expect(_metric(page, "Model")).to_have_text(f"v{reference.version}")
    assert card == int(reference.batch()[0])
    rank = int(reference.ranks([card])[0])
    score_line = f"rank {rank:,} of {reference.dataset.n_rows:,} · "
    expect(page.locator(".st-key-card_current")).to_contain_text(score_line)
    return {**acked, **extra}  # the in-flight label is on screen now: acknowledged


@pytest.mark.browser
def test_sigkill_at_random_moments_loses_no_acknowledged_label(chromium, tmp_path):
    kills = _in_own_thread(_labelling_run_with_kills, chromium, tmp_path)
    print(f"kills: {len(kills) + 1}; the label in flight at each random kill was: {kills}")


def _labelling_run_with_kills(chromium: str, tmp_path: Path) -> list[str]:
    """The run the module docstring describes; returns what became of the label in flight at each kill."""
    rng = np.random.default_rng(SEED)
    kill_at = {
        int(n): float(d)
        for n, d in zip(
            rng.choice(np.arange(1, N_LABELS), size=N_KILLS, replace=False),
            rng.uniform(0.0, MAX_KILL_DELAY, size=N_KILLS),
            strict=True,
        )
    }  # label count on the page when the key is pressed -> delay before the kill
    db = tmp_path / "sessions.sqlite"
    server = AppServer("toy2", db, free_port(), tmp_path / "server.log").start()
    rebuilt = Rebuilt(db)
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROME_ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.set_default_timeout(30_000)
    outcomes = []
    try:
        page.goto(server.url)
        card = _card(page)
        session_id = re.search(r"session=([0-9a-f]+)", page.url).group(1)
        url = f"{server.url}/?session={session_id}"
        acked: dict[int, int] = {}
        shown = 0
        while shown < N_LABELS:
            label = aad.ANOMALY if rng.random() < 0.2 else aad.NOMINAL
            key = "a" if label == aad.ANOMALY else "n"
            if shown not in kill_at:
                page.keyboard.press(key)
                expect(_metric(page, "Labels")).to_have_text(str(shown + 1))  # the page acknowledges
                acked[card] = label
                shown += 1
                card = _card(page, other_than=card)
                continue
            killer = threading.Timer(kill_at.pop(shown), server.kill)  # the random moment
            killer.start()
            page.keyboard.press(key)
            killer.join()
            if _shown_labels(page) == shown + 1:
                acked[card] = label
            server.start()
            before = len(acked)
            acked = _check_restarted(page, url, rebuilt, session_id, acked, (card, label))
            outcomes.append("acknowledged" if before > shown else "stored" if len(acked) > shown else "lost")
            shown = len(acked)
            card = _card(page)
        server.kill()  # once more, with everything acknowledged
        server.start()
        acked = _check_restarted(page, url, rebuilt, session_id, acked, None)
        assert len(acked) == N_LABELS
        assert len(outcomes) == N_KILLS
        return outcomes
    finally:
        browser.close()
        playwright.stop()
        server.stop()


# --------------------------------------------------------------------------- what else a session keeps

_REPAIRABLE = b"amount,fee,hour\n" + b"".join(
    f"{i * 1.5},{'' if i % 9 == 0 else i % 5},3\n".encode() for i in range(60)
)
_NOTES = [
    "column 'fee': 7 missing values filled with the column median 2",
    "column 'hour' is constant (3 in every row): it cannot separate rows",
]


def _sidebar_notes(at: AppTest) -> str:
    box = next(e for e in at.sidebar.expander if e.label.startswith("How the table was read"))
    return " ".join(m.value for m in box.markdown)


def test_repairs_are_recorded_with_the_session_and_shown_after_a_restart(tmp_path, monkeypatch):
    db = tmp_path / "sessions.sqlite"
    monkeypatch.setenv("AAD_DB", str(db))
    monkeypatch.delenv("AAD_DATA", raising=False)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("screens/data.py").run()
    at.radio(key=keys.DATA_SOURCE).set_value("Upload a file").run()
    at.file_uploader(key=keys.DATA_UPLOAD).set_value(("payments.csv", _REPAIRABLE, "text/csv")).run()
    shown = next(box.value for box in at.info if box.value.startswith("**How the table was read**"))
    assert all(note in shown for note in _NOTES)  # said before the session starts
    at.button(key=keys.DATA_START).click().run()
    session = at.session_state[keys.SESSION]
    assert at.title[0].value == "Label"
    assert list(aad.Store(db).get(session.id).notes) == _NOTES  # kept in the database

    # (AppTest shows no sidebar after a page switch: look at the session in a new tab instead)
    again = AppTest.from_file(APP, default_timeout=30)  # a restarted server, a new tab
    again.query_params[keys.URL_SESSION] = session.id
    again.run()
    assert again.title[0].value == "Label"
    assert all(note in _sidebar_notes(again) for note in _NOTES)  # the Label page shows them
    assert not again.exception


_SCHEMA_V1 = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, dataset TEXT NOT NULL, source TEXT NOT NULL, fingerprint TEXT NOT NULL,
    features TEXT NOT NULL, label_column TEXT, params TEXT NOT NULL, seed INTEGER NOT NULL,
    strategy TEXT NOT NULL, batch_size INTEGER NOT NULL, batch TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE events (
    session_id TEXT NOT NULL REFERENCES sessions(id), seq INTEGER NOT NULL, action INTEGER NOT NULL,
    kind TEXT NOT NULL, row INTEGER, label INTEGER, created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
PRAGMA user_version=1;
"""


def test_a_database_from_before_repair_notes_opens_with_every_label(tmp_path):
    toy2 = aad.load_dataset("toy2")
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(_SCHEMA_V1)
        now = "2024-01-01T00:00:00.000+00:00"
        params = json.dumps(aad.session.DEFAULT_PARAMS, sort_keys=True)
        conn.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "old1",
                "toy2",
                "shipped:toy2",
                toy2.fingerprint,
                '["x", "y"]',
                "label",
                params,
                0,
                "top",
                1,
                "[]",
                now,
                now,
            ),
        )
        events = [
            ("old1", 1, 1, "label", 7, 1, now),
            ("old1", 2, 2, "label", 9, 0, now),
            ("old1", 3, 3, "undo", None, None, now),
        ]
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", events)
    conn.close()

    stores = []
    threads = [threading.Thread(target=lambda: stores.append(aad.Store(path))) for _ in range(4)]
    for thread in threads:  # several processes or tabs opening the old file at once
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stores) == 4
    assert stores[0].labels("old1") == {7: aad.ANOMALY}
    session = aad.Session.open("old1", store=stores[1])
    assert session.labels() == {7: aad.ANOMALY}
    assert session.record.notes == ()
    session.label(int(session.batch()[0]), "nominal")
    assert len(stores[2].labels("old1")) == 2
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the triggers came with the upgrade
        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM events")
