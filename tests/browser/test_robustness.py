"""The workbench under stress in a real browser: two tabs on one session, every bad upload.

* Two tabs (two browser contexts, so two app sessions) label the same session, first one
  after the other on the same card, then both at once: no label is stored twice, a refused
  click says why, and both tabs end on the same state, the one rebuilt from the log.
* Every file of the bad-input corpus uploaded on the Data page shows the engine's message
  (naming the file as it was uploaded), or the repair it made; the tab keeps its session.
* The server listens on 127.0.0.1 only and refuses an upload without Streamlit's XSRF token.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from bad_inputs import BAD_INPUTS
from playwright.sync_api import Page, expect

import aad

from .conftest import AppServer, free_port
from .screen import current_card, metric

pytestmark = pytest.mark.browser


def _tab(browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1200}).new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    return page


def _label_rows(db: Path, session_id: str) -> list[int]:
    return [row for action in aad.Store(db).actions(session_id) for row in action.rows]


#: Records, in the page, the card on screen at each A pressed (the capture phase runs first).
_CARDS_AT_A = """() => { window.cardsAtA = [];
  window.addEventListener('keydown', (event) => { if (event.key === 'a') {
    const heading = document.querySelector('.st-key-card_current h3');
    window.cardsAtA.push(heading ? heading.textContent : ''); } }, true); }"""


def test_a_second_key_pressed_before_the_next_card_is_drawn_labels_no_unseen_row(server, browser):
    """N then A at once, on the card on screen. Either the N reaches the server first (it
    labels the card; the A, sent by a page still showing that card, is dropped and cannot
    label the next card, which the analyst has not seen), or both reach it in one run
    (neither is applied, the page says so, and N pressed alone then labels the card). An A
    may label only a card that was on screen when it was pressed: on a busy machine the next
    card can be drawn between the two keys, and then it is the analyst's to label."""
    session = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(server.db))
    page = _tab(browser, f"{server.url}/?session={session.id}")
    heading = page.locator(".st-key-card_current h3")
    merged = page.get_by_text("arrived at the same moment, and none was applied")
    page.evaluate(_CARDS_AT_A)
    try:
        for _ in range(3):
            shown = current_card(page)
            page.keyboard.press("n")
            page.keyboard.press("a")
            expect(heading.filter(has_not_text=re.compile(rf"^Row {shown}\b")).or_(merged)).to_be_visible()
            if merged.is_visible():  # the analyst reads the warning, then presses N alone
                assert current_card(page) == shown
                assert shown not in aad.Store(server.db).labels(session.id)
                page.keyboard.press("n")
            current_card(page, other_than=shown)  # the next card is drawn, and the page is idle
            stored = aad.Store(server.db).labels(session.id)
            assert stored[shown] == aad.NOMINAL
            on_screen = {int(text.split()[1]) for text in page.evaluate("window.cardsAtA") if text}
            unseen = {row for row, label in stored.items() if label == aad.ANOMALY and row not in on_screen}
            assert not unseen, f"labelled {unseen} anomaly, never on screen at an A (shown: {shown})"
        assert aad.NOMINAL in set(aad.Store(server.db).labels(session.id).values())
    finally:
        page.context.close()


def test_two_tabs_on_one_session_never_store_a_label_twice_and_converge(server, browser):
    session = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(server.db))
    url = f"{server.url}/?session={session.id}"
    one, two = _tab(browser, url), _tab(browser, url)
    try:
        card = current_card(one)
        assert current_card(two) == card
        one.keyboard.press("a")
        expect(metric(one, "Labels")).to_have_text("1")
        two.keyboard.press("n")  # the same card, still on this tab's screen
        expect(two.get_by_text(f"row {card} has been labelled anomaly in the meantime")).to_be_visible()
        expect(metric(two, "Labels")).to_have_text("1")
        assert current_card(two) == current_card(one) != card

        for count in range(2, 8):  # both tabs press at once, on the card both show
            one.keyboard.press("n")
            two.keyboard.press("n")
            for page in (one, two):  # one click labels the card, the other is refused: both catch up
                expect(metric(page, "Labels")).to_have_text(str(count))
            assert current_card(one) == current_card(two)

        rows = _label_rows(server.db, session.id)
        assert len(rows) == len(set(rows))  # no row stored twice
        assert len(rows) == 7  # one label per round: the other tab's click was refused
        stored = aad.Store(server.db).labels(session.id)
        rebuilt = aad.Session.open(session.id, store=aad.Store(server.db))
        for page in (one, two):
            page.reload()
            assert current_card(page) == int(rebuilt.batch()[0])
            expect(metric(page, "Labels")).to_have_text(str(len(stored)))
            expect(metric(page, "Model")).to_have_text(f"v{rebuilt.version}")
    finally:
        one.context.close()
        two.context.close()


def _expected(bad, tmp_path, monkeypatch) -> str:
    """What the engine says about ``bad`` when the workbench loads it (a repaired file: its note).

    The workbench loads with ``aad.load_data``, which leaves a text column out of the
    features (with a note) where ``load_dataset`` refuses it.
    """
    folder = tmp_path / "expected"
    folder.mkdir(exist_ok=True)
    with monkeypatch.context() as env:
        for key, value in bad.env:
            env.setenv(key, value)
        try:
            dataset = aad.load_data(str(bad.write(folder)))
        except aad.DataError as err:
            return str(err)
    matching = [note for note in dataset.notes if re.search(bad.message, note)]
    return matching[0] if matching else dataset.notes[0]


def test_every_bad_upload_shows_the_engines_message_and_the_session_survives(browser, tmp_path, monkeypatch):
    monkeypatch.setenv("AAD_MAX_UPLOAD_MB", "1")  # `aad app` reads it: the corpus's big file is over it
    db = tmp_path / "sessions.sqlite"
    app = AppServer("toy2", db, free_port(), tmp_path / "server.log").start()
    page = _tab(browser, app.url)
    try:
        current_card(page)
        page.keyboard.press("a")
        expect(metric(page, "Labels")).to_have_text("1")
        session_id = re.search(r"session=([0-9a-f]+)", page.url).group(1)
        page.goto(f"{app.url}/data?session={session_id}")
        page.get_by_text("Upload a file").click()
        upload = page.locator("input[type=file]")
        folder = tmp_path / "corpus"
        folder.mkdir()
        alerts = page.get_by_test_id("stAlert")
        for bad in BAD_INPUTS:
            if {key for key, _ in bad.env} & {"AAD_MAX_COLUMNS", "AAD_MAX_FEATURES"}:
                continue  # a limit this server was not started with (the engine's tests cover them)
            upload.set_input_files(bad.write(folder))
            if len(bad.content) > 1_000_000:  # over the upload limit: refused by the uploader
                expect(page.get_by_text(re.compile(r"File must be 1(\.0)? ?MB or smaller"))).to_be_visible()
                continue
            expect(alerts.filter(has_text=_expected(bad, tmp_path, monkeypatch))).to_be_visible()

        assert f"session={session_id}" in page.url
        sidebar = page.get_by_test_id("stSidebarUserContent")
        expect(sidebar.get_by_text(f"Session {session_id}")).to_be_visible()
        assert [s.id for s in aad.Store(db).summaries()] == [session_id]  # no session started
        assert all(
            re.fullmatch(r"[0-9a-f]{64}\.(csv|parquet)", p.name) for p in (db.parent / "uploads").iterdir()
        )
        page.get_by_role("link", name="Label").click()
        expect(metric(page, "Labels")).to_have_text("1")
    finally:
        page.context.close()
        app.stop()


def test_the_features_chosen_stay_chosen_across_uploads_of_the_same_table(browser, tmp_path):
    """Another file of the same table (semicolons and decimal commas), or the same file after a
    refused one, showed no feature chosen, and Start then said "features is empty"."""
    rows = [f"T{i},{i % 7}.5,{(i * 3) % 11}.25" for i in range(300)]
    comma = tmp_path / "pay.csv"
    comma.write_text("txn_id,amount,hour\n" + "\n".join(rows) + "\n")
    semicolons = tmp_path / "pay_eu.csv"
    semicolons.write_text(
        "txn_id;amount;hour\n" + "\n".join(r.replace(",", ";").replace(".", ",") for r in rows) + "\n"
    )
    twice = tmp_path / "twice.csv"
    twice.write_text("a,a\n1,2\n")
    app = AppServer("toy2", tmp_path / "s.sqlite", free_port(), tmp_path / "server.log").start()
    page = _tab(browser, f"{app.url}/data")
    try:
        page.get_by_text("Upload a file").click()
        features = page.get_by_test_id("stMultiSelect").filter(has_text="Feature columns")
        for upload in (comma, semicolons, twice, comma):
            page.locator("input[type=file]").set_input_files(upload)
            if upload == twice:
                expect(page.get_by_test_id("stAlert").filter(has_text="twice")).to_be_visible()
                continue
            expect(page.get_by_text(re.compile(rf"{upload.stem}: 300 rows, 2 features"))).to_be_visible()
            expect(features.get_by_text("amount", exact=True)).to_be_visible()
            expect(features.get_by_text("hour", exact=True)).to_be_visible()
        page.get_by_role("button", name="Start labelling").click()
        current_card(page)
        session_id = re.search(r"session=([0-9a-f]+)", page.url).group(1)
        assert aad.Store(tmp_path / "s.sqlite").get(session_id).features == ("amount", "hour")
    finally:
        page.context.close()
        app.stop()


def test_the_server_listens_on_loopback_only_and_checks_xsrf(server):
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if int(port, 16) == server.port and state == "0A":  # 0A: LISTEN
                listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1, and no IPv6 or wildcard socket

    request = urllib.request.Request(
        f"{server.url}/_stcore/upload_file/any-session/any-file", data=b"a,b\n1,2\n", method="PUT"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403  # no XSRF token: refused before anything is read
    refused.value.close()
