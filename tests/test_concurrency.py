"""Several tabs, processes and analysts on one session database: nothing lost, nothing twice.

Two tabs (two :class:`aad.Session` objects, two AppTest runs, two processes) on the same
session act on what they last showed. A card's label is written only if nobody labelled
the row meanwhile, and an undo only if the session is still at the version shown: both
checked by the store in the transaction that writes. So no label is overwritten or given
twice without anyone seeing it, and every tab that catches up reaches the same state.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import aad
from app import keys

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
ROOT = Path(__file__).resolve().parents[1]


def _action(at, name: str):
    """The Label page's button ``name`` for the card on screen (its key names the card's row)."""
    return next(b for b in at.button if b.key and b.key.startswith(f"{name}-"))


@pytest.fixture(scope="module")
def factory():
    """A model factory fitting each (params, seed) once for the module; private copies, as the app's."""
    cache: dict = {}

    def fitted(dataset, params, seed):
        key = (dataset.fingerprint, json.dumps(params, sort_keys=True), seed)
        if key not in cache:
            cache[key] = aad.fit_model(dataset, params, seed)
        return copy.deepcopy(cache[key])

    return fitted


def _tabs(store, factory, n: int = 2, **kwargs) -> list[aad.Session]:
    first = aad.Session.create(aad.load_dataset("toy2"), store=store, model_factory=factory, **kwargs)
    others = [
        aad.Session.open(first.id, store=aad.Store(store.path), model_factory=factory) for _ in range(n - 1)
    ]
    return [first, *others]


def _state(session: aad.Session) -> dict:
    return {
        "version": session.version,
        "labels": session.labels(),
        "skipped": session.skipped,
        "batch": session.batch().tolist(),
        "can_undo": session.can_undo,
        "history": [(a.number, a.kind, a.rows, a.labels) for a in session.history()],
    }


def _assert_same(a: aad.Session, b: aad.Session) -> None:
    assert _state(a) == _state(b)
    assert np.array_equal(a.scores(), b.scores())


def _label_events(store: aad.Store, session_id: str) -> list[int]:
    """Rows of every label action in the log that was not undone later, in order."""
    live: list[list[int]] = []
    for action in store.actions(session_id):
        if action.kind == "undo":
            if live:
                live.pop()
        else:
            live.append(list(action.rows) if action.kind == "label" else [])
    return [row for rows in live for row in rows]


# --------------------------------------------------------------------------- two tabs, one process


def test_a_stale_tab_cannot_overwrite_or_repeat_a_label_just_given_in_another(store, factory):
    one, two = _tabs(store, factory)
    card = int(one.batch()[0])
    assert int(two.batch()[0]) == card  # both tabs show the same card
    one.label(card, "anomaly", only_open=True)
    with pytest.raises(aad.LabelError, match=rf"row {card} has been labelled anomaly in the meantime"):
        two.label(card, "nominal", only_open=True)  # what the stale tab's button does
    with pytest.raises(aad.LabelError, match=rf"row {card} has been labelled anomaly"):
        two.skip(card, only_open=True)
    assert store.labels(one.id) == {card: aad.ANOMALY}
    assert [a.kind for a in store.actions(one.id)] == ["label"]  # the refused writes left no trace
    _assert_same(one, two)  # the refused tab has caught up


def test_an_explicit_relabel_still_replaces_the_label(store, factory):
    one, two = _tabs(store, factory)
    card = int(one.batch()[0])
    one.label(card, "anomaly")
    two.label(card, "nominal")  # a deliberate change (the Explore page's bulk label), written after
    one.refresh()
    assert one.labels() == two.labels() == {card: aad.NOMINAL}


def test_an_undo_never_reverts_a_label_given_in_another_tab_since(store, factory):
    one, two = _tabs(store, factory)
    mine = int(two.batch()[0])
    two.label(mine, "nominal", only_open=True)
    one.refresh()
    shown = two.version
    theirs = int(one.batch()[0])
    one.label(theirs, "anomaly", only_open=True)
    with pytest.raises(aad.LabelError, match=r"moved on since this page was drawn .* nothing was undone"):
        two.undo(version=shown)
    assert store.labels(one.id) == {mine: aad.NOMINAL, theirs: aad.ANOMALY}
    undone = two.undo(version=two.version)  # pressed again, on the page that now shows the label
    assert undone.kind == "undo"
    assert store.labels(one.id) == {mine: aad.NOMINAL}
    one.refresh()
    _assert_same(one, two)


def test_interleaved_tabs_give_no_label_twice_and_converge(store, factory):
    """Three tabs act in a seeded random order, each on what it showed at its last render."""
    tabs = _tabs(store, factory, n=3, batch_size=2)
    rng = np.random.default_rng(2024)
    shown = [tab.version for tab in tabs]
    undos = []
    for _ in range(120):
        i = int(rng.integers(len(tabs)))
        tab, kind = tabs[i], rng.choice(["anomaly", "nominal", "nominal", "skip", "undo"])
        card = int(tab.batch()[0])
        try:
            if kind == "undo":
                undos.append((shown[i], tab.undo(version=shown[i]).number))
            elif kind == "skip":
                tab.skip(card, only_open=True)
            else:
                tab.label(card, str(kind), only_open=True)
        except aad.LabelError:
            pass  # the page shows why; the tab has caught up
        if rng.random() < 0.5:  # the page reruns: it catches up and shows the new state
            tab.refresh()
            shown[i] = tab.version
    rows = _label_events(store, tabs[0].id)
    assert len(rows) == len(set(rows))  # no row labelled twice by a card button
    assert rows  # and the run did label something
    assert all(number == seen + 1 for seen, number in undos)  # each undo reverted what its tab showed
    for tab in tabs:
        tab.refresh()
    fresh = aad.Session.open(tabs[0].id, store=store, model_factory=factory)
    for tab in tabs:
        _assert_same(tab, fresh)
    assert fresh.labels() == store.labels(fresh.id)


# --------------------------------------------------------------------------- truly concurrent processes

_WORKER = textwrap.dedent(
    """
    import hashlib, json, sys
    import numpy as np
    import aad

    db, session_id, seed, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    session = aad.Session.open(session_id, store=aad.Store(db))
    rng = np.random.default_rng(seed)
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    acks, refused = [], 0
    while len(acks) < wanted:
        row = int(session.batch()[0])  # the card this process shows, maybe stale
        value = "anomaly" if rng.random() < 0.25 else "nominal"
        try:
            action = session.label(row, value, only_open=True)
        except aad.LabelError:
            refused += 1
            continue
        acks.append([row, action.labels[0], action.number])
    print(json.dumps({"acks": acks, "refused": refused}), flush=True)
    sys.stdin.readline()  # report once every process is done
    session.refresh()
    print(json.dumps({
        "labels": sorted(session.labels().items()),
        "scores": hashlib.sha256(session.scores().tobytes()).hexdigest(),
        "batch": session.batch().tolist(),
        "version": session.version,
    }), flush=True)
    """
)


def test_two_processes_labelling_at_once_lose_nothing_repeat_nothing_and_agree(store, factory):
    session = aad.Session.create(aad.load_dataset("toy2"), store=store, model_factory=factory)
    per_process = 25
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(store.path), session.id, str(seed), str(per_process)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    try:
        assert [w.stdout.readline().strip() for w in workers] == ["ready", "ready"]
        for w in workers:
            w.stdin.write("go\n")
            w.stdin.flush()
        runs = [json.loads(w.stdout.readline()) for w in workers]
        for w in workers:
            w.stdin.write("report\n")
            w.stdin.flush()
        finals = [json.loads(w.stdout.readline()) for w in workers]
    finally:
        for w in workers:
            w.stdin.close()
            w.wait(30)
            w.stdout.close()
    assert [w.returncode for w in workers] == [0, 0]

    acks = sorted((tuple(ack) for run in runs for ack in run["acks"]), key=lambda ack: ack[2])
    assert len(acks) == 2 * per_process
    assert len({row for row, _, _ in acks}) == len(acks)  # no row labelled twice
    assert [number for _, _, number in acks] == list(range(1, 2 * per_process + 1))  # only these writes
    assert {row: label for row, label, _ in acks} == store.labels(session.id)  # every one acknowledged
    assert finals[0] == finals[1]  # both processes converge
    fresh = aad.Session.open(session.id, store=store, model_factory=factory)
    assert finals[0]["labels"] == [list(item) for item in sorted(fresh.labels().items())]
    assert finals[0]["batch"] == fresh.batch().tolist()
    assert finals[0]["version"] == fresh.version == 2 * per_process


# --------------------------------------------------------------------------- a second analyst


def test_a_second_analysts_session_on_the_same_data_is_independent(store, factory):
    dataset = aad.load_dataset("toy2")
    mine = aad.Session.create(dataset, store=store, model_factory=factory)
    theirs = aad.Session.create(dataset, store=aad.Store(store.path), model_factory=factory)
    assert mine.id != theirs.id
    before = theirs.scores().copy()

    def label(session: aad.Session, value: str) -> None:
        for _ in range(15):
            session.label(int(session.batch()[0]), value, only_open=True)

    threads = [threading.Thread(target=label, args=args) for args in ((mine, "anomaly"), (theirs, "nominal"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(store.labels(mine.id).values()) == {aad.ANOMALY}
    assert set(store.labels(theirs.id).values()) == {aad.NOMINAL}
    assert [a.number for a in store.actions(mine.id)] == list(range(1, 16))
    assert [a.number for a in store.actions(theirs.id)] == list(range(1, 16))
    other = aad.Session.create(dataset, store=store, model_factory=factory)
    assert other.refresh() is False
    assert np.array_equal(other.scores(), before)  # a new session starts from the plain forest
    for session in (mine, theirs):
        _assert_same(session, aad.Session.open(session.id, store=store, model_factory=factory))


# --------------------------------------------------------------------------- two app tabs


def _tab(session_id: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if session_id:
        at.query_params[keys.URL_SESSION] = session_id
    return at.run()


def _top_card(at: AppTest) -> int:
    return next(
        int(m.value.split()[2])
        for m in at.markdown
        if m.value.startswith("### Row ") and "now labelling" in m.value
    )


def _me() -> str | None:
    return aad.session.default_analyst()


def _counts(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def test_two_app_tabs_on_one_session_never_label_a_card_twice_and_converge(db):
    one = _tab()
    session_id = one.session_state[keys.SESSION].id
    two = _tab(session_id)
    card = _top_card(one)
    assert _top_card(two) == card

    _action(one, keys.LABEL_ANOMALY).click().run()
    _action(two, keys.LABEL_NOMINAL).click().run()  # the same card, still on this tab's screen
    assert [e.value for e in two.error] == [
        f"row {card} has been labelled anomaly in the meantime (model v1), by you ({_me()}), perhaps in "
        "another tab; nothing was saved. The page now shows the session as stored: look at the card again"
    ]
    assert aad.Store(db).labels(session_id) == {card: aad.ANOMALY}
    assert _top_card(two) == _top_card(one) != card
    assert _counts(two) == _counts(one)

    _action(two, keys.LABEL_NOMINAL).click().run()  # the next card, now seen by both
    mine = _top_card(one)
    one.button(key=keys.LABEL_UNDO).click().run()  # tab one still shows v1: its undo is refused
    assert "nothing was undone" in one.error[0].value
    assert len(aad.Store(db).labels(session_id)) == 2
    one.button(key=keys.LABEL_UNDO).click().run()  # pressed again on the page that shows v2
    assert not one.error
    assert aad.Store(db).labels(session_id) == {card: aad.ANOMALY}
    assert _top_card(one) == mine
    two.run()
    assert _top_card(two) == mine
    assert _counts(two) == _counts(one)
    assert not one.exception
    assert not two.exception


def _named(at: AppTest, name: str) -> AppTest:
    at.session_state[keys.ANALYST] = name
    return at.run()


def test_a_stale_press_names_the_analyst_and_undoing_their_label_asks_first(db):
    """Review24 #5: ann labels the card bob sees; bob's N is refused naming ann, and his next U
    asks before it takes back ann's label (the next U does)."""
    ann = _named(_tab(), "ann")
    session_id = ann.session_state[keys.SESSION].id
    bob = _named(_tab(session_id), "bob")
    card = _top_card(ann)
    assert _top_card(bob) == card
    _action(ann, keys.LABEL_ANOMALY).click().run()
    _action(bob, keys.LABEL_NOMINAL).click().run()
    assert [e.value for e in bob.error] == [
        f"row {card} has been labelled anomaly in the meantime (model v1), by ann; nothing was saved. "
        "The page now shows the session as stored: look at the card again"
    ]
    bob.button(key=keys.LABEL_UNDO).click().run()
    assert [e.value for e in bob.error] == [
        f"the latest action is ann's, not yours: label of row {card} (model v1); nothing was undone. "
        "Press Undo again to take back ann's label"
    ]
    assert aad.Store(db).labels(session_id) == {card: aad.ANOMALY}
    bob.button(key=keys.LABEL_UNDO).click().run()
    assert not bob.error
    assert aad.Store(db).labels(session_id) == {}
    assert [a.analyst for a in aad.Store(db).actions(session_id)] == ["ann", "bob"]


def test_a_stale_undo_naming_another_analyst_asks_once(db):
    """The s16 case: bob's page was drawn before ann's label; his U is refused naming ann, and
    the next U takes her label back without asking again."""
    ann = _named(_tab(), "ann")
    session_id = ann.session_state[keys.SESSION].id
    bob = _named(_tab(session_id), "bob")
    _action(bob, keys.LABEL_NOMINAL).click().run()
    mine = aad.Store(db).labels(session_id)
    ann.run()
    _action(ann, keys.LABEL_ANOMALY).click().run()
    bob.button(key=keys.LABEL_UNDO).click().run()  # drawn at v1, bob's own label the latest there
    assert "latest: label" in bob.error[0].value
    assert "by ann), perhaps in another tab; nothing was undone" in bob.error[0].value
    bob.button(key=keys.LABEL_UNDO).click().run()
    assert not bob.error
    assert aad.Store(db).labels(session_id) == mine


def test_a_setting_changed_in_one_tab_is_not_undone_by_a_stale_widget_in_the_other(db):
    one = _tab()
    session_id = one.session_state[keys.SESSION].id
    two = _tab(session_id)
    two.selectbox(key=keys.LABEL_STRATEGY).set_value("bal-e").run()
    two.number_input(key=keys.LABEL_BATCH_SIZE).set_value(4).run()
    one.number_input(key=keys.LABEL_BATCH_SIZE).set_value(2).run()  # its strategy box still says top
    record = aad.Store(db).get(session_id)
    assert (record.strategy, record.batch_size) == ("bal-e", 2)
    assert one.selectbox(key=keys.LABEL_STRATEGY).value == "bal-e"  # redrawn from the store
    assert not one.exception


def test_a_redo_from_a_tab_another_tab_moved_past_is_refused_and_the_button_turns_off(db):
    one = _tab()
    session_id = one.session_state[keys.SESSION].id
    card = _top_card(one)
    _action(one, keys.LABEL_ANOMALY).click().run()
    one.button(key=keys.LABEL_UNDO).click().run()
    two = _tab(session_id)
    assert not two.button(key=keys.LABEL_REDO).disabled  # the other tab may redo it too
    _action(two, keys.LABEL_NOMINAL).click().run()  # ... but labels the card instead
    one.button(key=keys.LABEL_REDO).click().run()  # tab one still shows v2, and Redo on
    assert "nothing was redone" in one.error[0].value
    assert aad.Store(db).labels(session_id) == {card: aad.NOMINAL}
    assert one.button(key=keys.LABEL_REDO).disabled
    assert not one.exception
    assert not two.exception


def test_a_stale_undo_names_the_action_the_next_press_takes_back(tmp_path):
    """Ann labels row 6; Bob's page is drawn; Carol labels row 7 and undoes it. Bob's Undo was
    refused naming Carol's undo ("latest: undo  by carol") and his second press took back Ann's
    label of row 6, never named (helper-57's review)."""
    store = aad.Store(tmp_path / "s.sqlite")
    ann = aad.Session.create(aad.load_dataset("toy2"), store=store, params={"n_estimators": 10})
    ann.label(6, "anomaly", analyst="ann")
    drawn = ann.version  # Bob's page
    carol = aad.Session.open(ann.id, store=aad.Store(store.path))
    carol.label(7, "anomaly", analyst="carol")
    carol.undo(analyst="carol")
    bob = aad.Session.open(ann.id, store=aad.Store(store.path))  # the workbench's session, caught up
    with pytest.raises(aad.LabelError) as refused:
        bob.undo(version=drawn, analyst="bob")
    assert "Press Undo again to take back ann's label of row 6" in str(refused.value)
    assert "latest: undo by carol" in str(refused.value)  # an undo names no rows, and no double space
