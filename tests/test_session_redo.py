"""Redo: an action taken back by undo given back exactly, as a new action in the log.

* what a redo gives back: the labels with their kinds and notes, skips, a kind renamed; the
  model as it was before the undo (the same scores bit for bit, with either loss), the same
  queue (the portfolio's records, the ranking followed, the next batch);
* several undos are redone in turn; any new action ends what can be redone;
* the log: a redo is a copy of the action it gives back, so a reopened session replays to the
  same state (and can still redo what it could); a log written before redo opens unchanged;
* two tabs: a redo pressed on a page another tab has moved past writes nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

import aad
from aad.session import REDO_VIA


def _new(store, fitted_toy2, **kwargs) -> aad.Session:
    dataset, factory = fitted_toy2
    return aad.Session.create(dataset, store=store, model_factory=factory, **kwargs)


def _reopen(session, fitted_toy2) -> aad.Session:
    return aad.Session.open(session.id, store=session.store, model_factory=fitted_toy2[1])


def _state(session: aad.Session) -> dict:
    """What an undo takes back and a redo must give back: labels, kinds, notes, skips, the model
    (its scores, exactly, and the learner's events), the queue and the kinds on offer."""
    portfolio = session.learner.portfolio
    return {
        "labels": {row: (s.label, s.kind, s.note) for row, s in session.row_labels().items()},
        "skipped": session.skipped,
        "scores": session.scores().tobytes(),
        "events": session.learner.history,
        "portfolio": None if portfolio is None else (portfolio.state, portfolio.aside),
        "following": session.following,
        "records": session.queue_records(),
        "streak": session.streak,
        "kinds": session.kind_names(),
        "batch": session.batch().tolist(),
    }


def _without_kinds(state: dict) -> dict:
    return {key: value for key, value in state.items() if key != "kinds"}


def _script(session: aad.Session) -> list[dict]:
    """A session's worth of actions (cards from the queue with kinds and notes, a skip, a bulk
    label, a note changed, a kind renamed); the state after each, the start first."""
    y = session.dataset.y
    states = [_state(session)]
    for i in range(8):
        row = int(session.batch()[0])
        if y[row]:
            session.label(row, "anomaly", kind=("card test", "Card Test", "takeover")[i % 3], note=f"n{i}")
        else:
            session.label(row, "nominal", note="looked fine" if i % 2 else None)
        states.append(_state(session))
    session.skip(int(session.batch()[0]))
    states.append(_state(session))
    session.label([1, 2, 3, 4, 5], "nominal", via="explore")
    states.append(_state(session))
    session.annotate(1, note="checked again")
    states.append(_state(session))
    if "card test" in {k.casefold() for k in session.kind_names()}:
        session.rename_kind("card test", "card testing")
        states.append(_state(session))
    return states


@pytest.mark.parametrize("loss", ["linear", "hinge"])
def test_every_undo_is_redone_in_turn_and_gives_the_state_before_it_back_exactly(store, fitted_toy2, loss):
    session = _new(store, fitted_toy2, params={"loss": loss})
    states = _script(session)
    assert len(states[-1]["labels"]) > 8  # the script labelled rows
    assert states[-1]["kinds"]  # and named kinds
    n, undone = len(states) - 1, []
    for back in range(1, n + 1):  # undo every action: each undo gives the state before the action
        undone.append(_state(session))
        session.undo()
        assert session.can_redo
        assert _without_kinds(_state(session)) == _without_kinds(states[n - back])  # a kind taken
    assert not session.can_undo  # back stays on offer: the kinds offered are all but the same
    for forward in range(1, n + 1):  # redo them all, the first undone last: each gives back the
        action = session.redo()  # state before its undo, the kinds on offer included
        assert _state(session) == undone[n - forward]
        assert _without_kinds(_state(session)) == _without_kinds(states[forward])
        assert session.redo_of(action) is not None
        assert session.can_redo == (forward < n)
    assert _state(session) == states[-1]
    with pytest.raises(aad.LabelError, match="there is nothing to redo"):
        session.redo()
    again = _reopen(session, fitted_toy2)
    assert _state(again) == states[-1]
    assert again.history() == session.history()


def test_a_redo_gives_back_the_kind_and_note_and_says_what_it_gave_back(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    row = int(session.batch()[0])
    first = session.label(row, "anomaly", kind="account takeover", note="two cards, one hour", via="card")
    session.undo()
    assert session.row_label(row) is None
    redo = session.redo(analyst="bob")
    state = session.row_label(row)
    assert (state.label, state.kind, state.note) == (aad.ANOMALY, "account takeover", "two cards, one hour")
    assert (state.analyst, state.action) == ("bob", redo.number)  # given back by bob, at the redo
    assert session.redo_of(redo) == first
    assert session.redo_of(first) is None
    assert (redo.kind, redo.via) == ("label", f"{REDO_VIA}{first.number}")
    assert store.labels(session.id) == {row: aad.ANOMALY}  # the log alone says so: it replays anywhere
    session.undo()  # a redo is undone as any action, and redone again
    again = session.redo()
    assert session.redo_of(again) == first  # the action first taken, not the redo it copies
    assert session.row_label(row).kind == "account takeover"


def test_after_a_redo_the_kinds_on_offer_are_as_if_there_had_been_no_undo(store, fitted_toy2):
    """A kind an undo took back stays on offer (to pick again); once redone, it is offered only
    while some row carries it, as before the undo."""
    plain, redone = _new(store, fitted_toy2), _new(store, fitted_toy2)
    for session in (plain, redone):
        session.label(3, "anomaly", kind="fraud")
    redone.undo()
    assert redone.kind_names() == ["fraud"]  # taken back, still on offer
    redone.redo()
    for session in (plain, redone):
        session.label(3, "nominal")  # no row carries the kind any more
    assert redone.kind_names() == plain.kind_names() == []


def test_redo_gives_back_a_skip_and_a_bring_back(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    row = int(session.batch()[0])
    session.skip(row)
    session.undo()
    assert session.batch().tolist() == [row]
    session.redo()
    assert session.skipped == {row}
    assert row not in session.batch()
    assert session.learner.portfolio.aside == {row}  # set aside from the queue's rankings again
    session.unskip()
    session.undo()
    session.redo()
    assert session.skipped == frozenset()
    assert session.learner.portfolio.aside == frozenset()


@pytest.mark.parametrize(
    "new_action",
    [
        lambda s: s.label(int(s.batch()[0]), "nominal"),
        lambda s: s.skip(int(s.batch()[0])),
        lambda s: s.annotate(7, note="a new note"),
        lambda s: s.edit([aad.Edit(7, kind="other")]),
        lambda s: s.rename_kind("fraud", "card fraud"),
        lambda s: s.label([30, 31], "nominal", via="explore"),
    ],
    ids=["label", "skip", "note", "edit", "rename kind", "bulk label"],
)
def test_any_new_action_ends_what_can_be_redone(store, fitted_toy2, new_action):
    session = _new(store, fitted_toy2)
    session.label(7, "anomaly", kind="fraud")
    session.label(8, "anomaly", kind="fraud")
    session.undo()
    assert session.can_redo
    new_action(session)
    assert not session.can_redo
    with pytest.raises(aad.LabelError, match="there is nothing to redo: Redo gives back what Undo took"):
        session.redo()
    assert not _reopen(session, fitted_toy2).can_redo  # the log says so too
    session.undo()  # the new action undone: what was undone before it stays undone
    assert session.row_label(8) is None
    assert session.can_redo
    session.redo()
    assert not session.can_redo


def test_nothing_to_redo_before_any_undo_and_nothing_stored(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    with pytest.raises(aad.LabelError, match="there is nothing to redo"):
        session.redo()
    session.label(3, "anomaly")
    with pytest.raises(aad.LabelError, match="there is nothing to redo"):
        session.redo()
    assert [a.kind for a in store.actions(session.id)] == ["label"]


def test_a_reopened_session_can_still_redo_what_it_could(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    session.label(3, "anomaly", kind="fraud")
    session.label(4, "nominal", note="fine")
    after = _state(session)
    session.undo()
    session.undo()
    session.redo()
    again = _reopen(session, fitted_toy2)  # a reload, a restart: the redo stack comes from the log
    assert again.can_redo
    assert again.redo_of(again.history()[-1]) == again.history()[0]
    again.redo()
    assert _state(again) == after
    assert not again.can_redo


def test_a_log_written_before_redo_opens_unchanged(store, fitted_toy2):
    """An older aad wrote undos and labels, never a redo: a label given again by hand after an
    undo is a new action (nothing left to redo), and the labels and scores are those of the log."""
    session = _new(store, fitted_toy2)
    store.append(session.id, "label", [3], [1], anomaly_kinds=["fraud"], via="card")
    store.append(session.id, "label", [4], [0], via="card")
    store.append(session.id, "undo")
    store.append(session.id, "label", [4], [0], via="card")  # the same label, given again by hand
    store.append(session.id, "label", [5], [1], anomaly_kinds=["fraud"], via="card")
    store.append(session.id, "undo")
    old = _reopen(session, fitted_toy2)
    assert old.labels() == store.labels(session.id) == {3: 1, 4: 0}
    assert [a.kind for a in old.history()] == ["label", "label", "undo", "label", "label", "undo"]
    assert all(old.redo_of(a) is None for a in old.history())
    fresh = aad.fit_model(old.dataset, old.record.params, old.seed)
    fresh.set_labels([3, 4], [1, 0])
    assert np.array_equal(fresh.anomaly_score(), old.scores())
    old.redo()  # the trailing undo can be redone: row 5 back, with its kind
    assert old.labels() == {3: 1, 4: 0, 5: 1}
    assert old.row_label(5).kind == "fraud"
    assert not old.can_redo  # the earlier undo was followed by a new action


def test_a_copy_is_a_redo_only_when_it_names_the_action_undone_and_matches_it(store, fitted_toy2):
    session = _new(store, fitted_toy2)
    first = store.append(session.id, "label", [3], [1], anomaly_kinds=["fraud"], via="card")
    store.append(session.id, "undo")
    store.append(session.id, "label", [3], [1], anomaly_kinds=["other"], via=f"{REDO_VIA}{first.number}")
    opened = _reopen(session, fitted_toy2)  # marked, but not the action undone: a new action
    assert opened.row_label(3).kind == "other"
    assert opened.redo_of(3) is None
    assert not opened.can_redo


def test_a_redo_from_a_page_another_tab_moved_past_writes_nothing(store, fitted_toy2):
    one = _new(store, fitted_toy2)
    one.label(3, "anomaly")
    one.undo()
    seen = one.version
    two = _reopen(one, fitted_toy2)
    assert two.can_redo  # the other tab may redo too
    two.label(9, "nominal", analyst="bob")  # ... but it labels: nothing is left to redo
    with pytest.raises(
        aad.LabelError, match=r"model v2 is now v3; latest: label of row 9 by bob\), perhaps in"
    ):
        one.redo(version=seen)
    assert one.labels() == {9: 0}  # caught up, nothing redone
    with pytest.raises(aad.LabelError, match="there is nothing to redo"):
        one.redo()
    assert [a.kind for a in store.actions(one.id)] == ["label", "undo", "label"]


def test_a_redo_in_one_tab_is_not_redone_twice_by_the_other(store, fitted_toy2):
    one = _new(store, fitted_toy2)
    one.label(3, "anomaly")
    one.label(4, "anomaly")
    one.undo()
    two = _reopen(one, fitted_toy2)
    seen = two.version
    one.redo()
    with pytest.raises(aad.LabelError, match="nothing was redone"):
        two.redo(version=seen)
    assert two.labels() == one.labels() == {3: 1, 4: 1}
    assert np.array_equal(two.scores(), one.scores())
    assert not two.can_redo
