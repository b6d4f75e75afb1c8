"""The workbench in a real browser: shortcuts, plot selection, downloads, reload, SIGKILL."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hover import write_hostile_table
from playwright.sync_api import Page, expect

import aad

from .conftest import AppServer, free_port
from .screen import current_card, metric

pytestmark = pytest.mark.browser


def _new_session(server: AppServer, **kwargs) -> aad.Session:
    """A fresh session in the server's database, as if started in another tab."""
    return aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(server.db), **kwargs)


def _open(page: Page, url: str) -> int:
    page.goto(url)
    return current_card(page)


def test_keyboard_shortcuts_label_skip_and_undo_but_not_while_typing(server, page):
    session = _new_session(server)
    first = _open(page, f"{server.url}/?session={session.id}")
    page.keyboard.press("a")
    expect(metric(page, "Labels")).to_have_text("1")
    second = current_card(page, other_than=first)
    page.keyboard.press("n")
    expect(metric(page, "Labels")).to_have_text("2")
    third = current_card(page, other_than=second)
    page.keyboard.press("s")
    expect(metric(page, "Skipped")).to_have_text("1")
    page.keyboard.press("u")
    expect(metric(page, "Skipped")).to_have_text("0")
    assert current_card(page) == third
    page.keyboard.press("u")
    expect(metric(page, "Labels")).to_have_text("1")
    assert current_card(page) == second

    page.get_by_label("Batch size").click()
    page.keyboard.type("nana")  # typed into an input: no shortcut fires
    page.get_by_role("heading", name="Label", exact=True).click()
    page.keyboard.press("s")  # keys are handled in order: once this lands, the typing did nothing
    expect(metric(page, "Skipped")).to_have_text("1")
    expect(metric(page, "Labels")).to_have_text("1")
    assert aad.Store(server.db).labels(session.id) == {first: aad.ANOMALY}


def test_shift_u_redoes_what_u_undid_and_neither_key_sets_off_the_other(server, page):
    """A shortcut fires only with exactly its modifiers: were U to fire on Shift+U too (or the other
    way round), both presses would reach the server together and neither would be applied."""
    session = _new_session(server)
    first = _open(page, f"{server.url}/?session={session.id}")
    redo = page.locator(".st-key-label_redo button")
    expect(redo).to_be_disabled()
    page.keyboard.press("a")
    expect(metric(page, "Labels")).to_have_text("1")
    second = current_card(page, other_than=first)
    page.keyboard.press("n")
    expect(metric(page, "Labels")).to_have_text("2")
    current_card(page, other_than=second)
    page.keyboard.press("u")
    expect(metric(page, "Labels")).to_have_text("1")
    page.keyboard.press("u")
    expect(metric(page, "Labels")).to_have_text("0")
    assert current_card(page) == first
    expect(redo).to_be_enabled()
    page.keyboard.press("Shift+U")
    expect(metric(page, "Labels")).to_have_text("1")
    assert current_card(page, other_than=first) == second
    page.keyboard.press("Shift+U")
    expect(metric(page, "Labels")).to_have_text("2")
    current_card(page, other_than=second)
    expect(redo).to_be_disabled()
    expect(page.get_by_text(f"Last: redo label row {second} → nominal")).to_be_visible()
    assert aad.Store(server.db).labels(session.id) == {first: aad.ANOMALY, second: aad.NOMINAL}


def test_a_held_key_labels_one_row_and_a_notice_does_not_move_the_card(server, page):
    """The browser repeats a held key about 30 times a second and the next card draws in about
    0.1 s: holding N labelled 7 rows the analyst barely saw (helper-34). And the script that
    hands the keys back after D (or a note) took a line of the page, moving everything 16 px."""
    session = _new_session(server)
    first = _open(page, f"{server.url}/?session={session.id}")
    actions = page.locator(".st-key-label_actions")
    top = actions.bounding_box()["y"]
    page.keyboard.down("n")
    current_card(page, other_than=first)
    for _ in range(10):  # the key still held: the browser's repeats, after the next card is drawn
        page.keyboard.down("n")
    page.keyboard.up("n")
    page.keyboard.press("s")  # keys are handled in order: once this lands, the repeats were handled
    expect(metric(page, "Skipped")).to_have_text("1")
    expect(metric(page, "Labels")).to_have_text("1")
    assert aad.Store(server.db).labels(session.id) == {first: aad.NOMINAL}
    page.keyboard.press("d")
    card = page.locator(".st-key-card_current")  # what Different showed is said on the card, no toast
    expect(card).to_contain_text(re.compile(r"Something different: |Nothing different to show"))
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()
    assert actions.bounding_box()["y"] == top


def test_escape_in_the_note_hands_the_keys_back_to_the_page(server, page):
    session = _new_session(server)
    _open(page, f"{server.url}/?session={session.id}")
    note = page.get_by_placeholder("note (optional)")
    note.click()
    page.keyboard.type("sas")  # typed: no key fires
    page.keyboard.press("Escape")
    expect(note).not_to_be_focused()
    page.keyboard.press("s")
    expect(metric(page, "Skipped")).to_have_text("1")
    expect(metric(page, "Labels")).to_have_text("0")
    link = page.get_by_role("link", name="Rules")  # the keyboard's place on a page link shows
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by the keyboard: :focus-visible
    assert link.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"


def test_changing_the_batch_size_shows_the_batch_and_updates_the_sidebar_at_once(server, page):
    session = _new_session(server)
    _open(page, f"{server.url}/?session={session.id}")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(re.compile(r"batch 1$"))).to_be_visible()
    page.get_by_label("Batch size").fill("3")
    page.get_by_label("Batch size").press("Enter")
    expect(page.locator('[data-testid="stVerticalBlock"][class*="st-key-card_"]')).to_have_count(3)
    expect(sidebar.get_by_text(re.compile(r"batch 3$"))).to_be_visible()
    assert aad.Store(server.db).get(session.id).batch_size == 3


def test_selecting_points_on_the_plot_labels_them_in_bulk(server, page):
    session = _new_session(server)
    page.goto(f"{server.url}/explore?session={session.id}")
    area = page.locator(".js-plotly-plot .nsewdrag").first
    expect(area).to_be_visible(timeout=30_000)  # the page and its plot drawn (slow on a busy machine)
    expect(page.locator(".js-plotly-plot .scatterlayer .point").first).to_be_attached(timeout=30_000)
    box = area.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.80, box["y"] + 5)  # the right edge: toy2's outliers
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] - 5, steps=15)
    page.mouse.up()
    selected = page.get_by_text(re.compile(r"^\d+ rows selected"))
    expect(selected).to_be_visible(timeout=30_000)  # a rerun of the page, slow on a busy machine
    n = int(selected.inner_text().split()[0])
    assert n > 0
    page.get_by_role("button", name=f"Label {n} as anomaly").click()
    expect(page.get_by_text(f"Labelled {n} rows anomaly")).to_be_visible(timeout=30_000)
    labels = aad.Store(server.db).labels(session.id)
    assert len(labels) == n
    assert set(labels.values()) == {aad.ANOMALY}
    X = session.dataset.X
    assert X[list(labels), 0].min() > np.quantile(X[:, 0], 0.5)  # the rows under the box


def test_downloads_carry_the_rules_and_the_labels(server, page, tmp_path):
    session = _new_session(server)
    truth = np.flatnonzero(session.dataset.y)[:6].tolist()
    session.label(truth, "anomaly")
    session.label([0, 1], "nominal")
    page.goto(f"{server.url}/rules?session={session.id}")
    table = page.get_by_test_id("stTable")  # the rules, wrapped
    expect(table).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Rules as JSON").click()
    assert download.value.suggested_filename == f"rules-{session.id}.json"
    document = json.loads(Path(download.value.path()).read_text())
    assert document["schema"] == "aad-rules/1"
    assert document["provenance"]["session"] == session.id
    assert document["provenance"]["forest_seed"] == session.seed
    assert document["provenance"]["rows"] == session.dataset.n_rows
    assert {"fingerprint", "n_labels", "tau", "created", "version"} <= document["provenance"].keys()
    rules = aad.read_rules(json.dumps(document), "json", feature_names=session.dataset.feature_names)
    covered = np.zeros(session.dataset.n_rows, dtype=bool)
    for rule in rules:
        covered |= rule.mask(session.dataset.X)
    assert covered[truth].all()  # the description covers every labelled anomaly

    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"^Download labels")).click()
    labels = pd.read_csv(download.value.path(), keep_default_na=False)
    assert list(labels.columns) == ["row", "label", "kind", "note", "analyst", "labelled_at"]
    assert dict(zip(labels["row"], labels["label"], strict=True)) == {
        **dict.fromkeys(truth, "anomaly"),
        0: "nominal",
        1: "nominal",
    }
    assert set(labels["analyst"]) == {aad.session.default_analyst() or ""}

    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"^Download scores")).click()
    scores = pd.read_csv(download.value.path(), keep_default_na=False)
    assert download.value.suggested_filename == f"scores-{session.id}-v{session.version}.csv"
    np.testing.assert_allclose(scores["anomaly_score"], session.scores())
    assert scores.loc[truth, "label"].eq("anomaly").all()
    assert scores["rank"].sort_values().tolist() == list(range(1, session.dataset.n_rows + 1))


def test_a_reload_finds_the_same_labels_and_the_same_card(server, page):
    session = _new_session(server)
    url = f"{server.url}/?session={session.id}"
    card = _open(page, url)
    labelled = []
    for key, count in (("a", "1"), ("n", "2"), ("n", "3")):
        labelled.append(card)
        page.keyboard.press(key)
        expect(metric(page, "Labels")).to_have_text(count)
        card = current_card(page, other_than=card)
    page.reload()
    expect(metric(page, "Labels")).to_have_text("3")
    assert current_card(page) == card
    assert f"session={session.id}" in page.url
    assert sorted(aad.Store(server.db).labels(session.id)) == sorted(labelled)


def test_sigkill_mid_session_loses_no_confirmed_label(browser, tmp_path):
    server = AppServer("toy2", tmp_path / "sessions.sqlite", free_port(), tmp_path / "server.log").start()
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.set_default_timeout(30_000)
    try:
        card = _open(page, server.url)  # the session `aad app toy2` opened
        session_id = re.search(r"session=([0-9a-f]+)", page.url).group(1)
        confirmed = {}
        for i, key in enumerate("nanna", start=1):
            page.keyboard.press(key)
            expect(metric(page, "Labels")).to_have_text(str(i))  # the UI confirms the label
            confirmed[card] = aad.ANOMALY if key == "a" else aad.NOMINAL
            card = current_card(page, other_than=card)
        page.keyboard.press("n")  # in flight while the server dies
        server.kill()
        server.start()
        page.goto(f"{server.url}/?session={session_id}")
        stored = aad.Store(server.db).labels(session_id)
        assert confirmed.items() <= stored.items()
        expect(metric(page, "Labels")).to_have_text(str(len(stored)))
    finally:
        page.close()
        server.stop()


@pytest.mark.parametrize("path", ["rules", "explore", "progress", "label"])
def test_a_deep_link_is_the_first_request_of_a_fresh_server(browser, tmp_path, path):
    """A bookmark, or a refresh after a restart, finds its page and its session.

    ``/label`` is not Label's address (Streamlit serves the default page at ``/``) but the
    one people guess: it leads there, session kept.
    """
    db = tmp_path / "sessions.sqlite"
    session = aad.Session.create(aad.load_dataset("toy2"), store=aad.Store(db))
    session.label([3, 4], "anomaly")
    server = AppServer("toy2", db, free_port(), tmp_path / "server.log").start()
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{server.url}/{path}?session={session.id}")
        expect(page.get_by_role("heading", name=path.capitalize(), exact=True)).to_be_visible()
        expect(page.get_by_test_id("stSidebar").get_by_text(session.id)).to_be_visible()
        expect(page.get_by_text("No session yet")).to_have_count(0)
        expect(page.get_by_text("Page not found")).to_have_count(0)
    finally:
        page.close()
        server.stop()


def test_the_keys_work_again_right_after_choosing_a_strategy(server, page):
    session = _new_session(server)
    first = _open(page, f"{server.url}/?session={session.id}")
    for n, strategy in enumerate(["bal-e", "top", "bal-d"], start=1):  # every time, not only the first
        page.get_by_role("combobox", name="Query strategy").click()
        page.get_by_role("option", name=strategy, exact=True).click()
        expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()
        expect(page.locator("body")).to_be_focused()  # the select box gave the keyboard back
        page.keyboard.press("a")
        expect(metric(page, "Labels")).to_have_text(str(n))
        assert aad.Store(server.db).get(session.id).strategy == strategy
    assert aad.Store(server.db).labels(session.id)[first] == aad.ANOMALY


#: Where a row's point of the Explore scatter is on the page (its trace found by name).
_POINT_XY = """([name, row]) => {
    const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
    const trace = plot._fullData.find((t) => t.name === name);
    const i = Array.from(trace.customdata).findIndex((point) => point[0] === row);
    const box = plot.getBoundingClientRect(), x = plot._fullLayout.xaxis, y = plot._fullLayout.yaxis;
    return [box.left + x._offset + x.l2p(trace.x[i]), box.top + y._offset + y.l2p(trace.y[i])];
}"""


def test_the_explore_hover_shows_the_label_kind_and_values_as_written(browser, tmp_path):
    """Plotly reads <b>, <br> and %{...} in a hover: data text must show as written (AppTest sees the
    figure, not what plotly.js makes of it)."""
    path = write_hostile_table(tmp_path / "cards.csv", wide=False)
    db = tmp_path / "s.sqlite"
    session = aad.Session.create(aad.load_data(str(path)), store=aad.Store(db))
    session.label([0, 1], "anomaly", kind="<b>card</b> %{y} **z**")
    app = AppServer(str(path), db, free_port(), tmp_path / "server.log").start()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{app.url}/explore?session={session.id}")
        expect(page.locator(".js-plotly-plot .scatterlayer .trace").first).to_be_attached()
        expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()
        hover = page.locator(".js-plotly-plot .hoverlayer .hovertext").first
        for row, shop in ((0, "<b>x</b>"), (1, "%{y}")):
            x, y = page.evaluate(_POINT_XY, ["anomaly", row])
            page.mouse.move(x, y)
            expect(hover).to_contain_text(f"row {row} · rank")
            text = hover.text_content()
            assert "anomaly · <b>card</b> %{y} **z**" in text
            assert f"shop: {shop}amount: {pd.read_csv(path).amount[row]}" in text  # two lines, as written
            assert hover.locator("tspan[style*='bold']").count() == 0  # no markup read
            page.mouse.move(5, 5)
            expect(hover).to_have_count(0)
    finally:
        context.close()
        app.stop()


def test_a_session_file_downloaded_on_one_workbench_loads_on_another(server, browser, tmp_path):
    """The Sessions page's Session file carries the whole log; another server's page loads it
    (its upload), refuses it a second time under the same id, and loads it as a new session."""
    session = _new_session(server, title="Q3 rings")
    session.label(int(session.batch()[0]), "anomaly", kind="ring", note="two cards", analyst="ana")
    session.label(int(session.batch()[0]), "nominal", analyst="ben")
    session.skip(int(session.batch()[0]), analyst="ana")
    page = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True).new_page()
    page.set_default_timeout(30_000)
    other = AppServer("toy2", tmp_path / "theirs.sqlite", free_port(), tmp_path / "theirs.log").start()
    try:
        page.goto(f"{server.url}/sessions?session={session.id}")
        with page.expect_download() as download:
            page.get_by_role("button", name="Session file").click()
        assert download.value.suggested_filename == f"{session.id}.aad.zip"
        file = tmp_path / download.value.suggested_filename
        download.value.save_as(file)

        page.goto(f"{other.url}/sessions")  # a workbench launched on toy2: its own session is open
        page.get_by_text("Load a session file").click()
        page.locator(".st-key-sessions_load input[type=file]").set_input_files(str(file))
        expect(page.get_by_text(f"Loaded session {session.id} from {file.name}")).to_be_visible()
        theirs = aad.Store(other.db)
        assert [(a.kind, a.rows, a.analyst) for a in theirs.actions(session.id)] == [
            (a.kind, a.rows, a.analyst) for a in session.store.actions(session.id)
        ]
        picker = page.get_by_role("combobox", name="Session")
        expect(picker).to_have_value(re.compile(f"^Q3 rings · {session.id}"))  # picked, to resume

        page.locator(".st-key-sessions_load input[type=file]").set_input_files(str(file))
        expect(page.get_by_text(f"a session {session.id} is already in")).to_be_visible()
        page.get_by_text("As a new session (a new id)").click()
        expect(page.get_by_role("checkbox", name=re.compile("^As a new session"))).to_be_checked()
        expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()
        page.locator(".st-key-sessions_load input[type=file]").set_input_files(str(file))
        expect(page.get_by_text("Loaded session")).to_be_visible()
        loaded = [s for s in theirs.summaries() if s.dataset == "toy2" and s.n_labels]
        assert len(loaded) == 2
        assert {s.n_labels for s in loaded} == {2}

        secret = tmp_path / "secret.csv"  # a file on the server that an uploaded session names as its data
        secret.write_text("ssn,salary\n123-45-6789,99000\n")
        leak = tmp_path / "leak.aad.zip"
        with zipfile.ZipFile(file) as src, zipfile.ZipFile(leak, "w") as dst:
            manifest = json.loads(src.read("session.json"))
            manifest["record"]["source"] = str(secret)
            dst.writestr("session.json", json.dumps(manifest))
        page.locator(".st-key-sessions_load input[type=file]").set_input_files(str(leak))
        expect(page.get_by_text("leak.aad.zip does not carry the session's data")).to_be_visible()
        assert page.get_by_text("ssn").count() == 0  # the server never read the path it names
    finally:
        page.context.close()
        other.stop()
