"""The query portfolio: the labels decide which ranking the queue follows."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import aad
from aad.model import RANKINGS
from aad.portfolio import PATIENCE, Portfolio, PortfolioState, step

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _card_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """6,000 card transactions with three kinds of fraud (the benchmarks' generator, small):
    account takeovers (easy), skimmed cards, card tests (ranked low among large amounts)."""
    spec = importlib.util.spec_from_file_location("generated", BENCHMARKS / "generated.py")
    generated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generated)
    frame = generated.fraud(np.random.default_rng(3), rows=6000, takeover=40, skimming=25, testing=15)
    return (
        frame[generated.FRAUD_FEATURES].to_numpy(float),
        frame["label"].to_numpy(bool),
        frame["kind"].to_numpy(),
    )


def test_before_the_first_anomaly_no_record_is_kept_but_a_dry_spell_asks_the_forest():
    state = PortfolioState.start(3)
    for row in range(PATIENCE):  # the learned model's (and the saturating ranking's) rows
        assert not state.exploring
        state = step(state, (row, row, 99), row, anomaly=False)
    assert (state.hits, state.misses, state.found) == ((0, 0, 0), (0, 0, 0), False)
    assert state.exploring
    assert state.challenger((10, 10, 99)) == 2  # the forest: the one ranking proposing another row
    state = step(state, (10, 10, 99), 99, anomaly=False)  # its row nominal too: the patience doubles
    assert (state.streak, state.backoff, state.exploring) == (0, 1, False)
    for row in range(20, 20 + 2 * PATIENCE):
        state = step(state, (row, row, 98), row, anomaly=False)
    assert state.exploring
    state = step(state, (30, 30, 98), 98, anomaly=True)  # the forest's row is the first anomaly
    assert state.found
    assert (state.hits, state.misses) == ((0, 0, 1), (0, 0, 0))  # records start at the first anomaly
    assert (state.champion, state.streak, state.backoff) == (0, 0, 0)  # the learned model leads


def test_a_dry_spell_asks_a_round_of_challengers_the_strong_ranking_then_the_forest():
    """Four rankings (learned, strong, saturating, forest): after a streak of nominals each
    ranking proposing another row is asked once, and only a round all nominal doubles the
    patience; a round's first anomaly starts the records with the learned model leading."""
    state = PortfolioState.start(4)
    for row in range(PATIENCE):
        state = step(state, (row, 50, row, 99), row, anomaly=False)
    assert state.challenger((10, 50, 10, 99)) == 1  # the strong ranking first
    state = step(state, (10, 50, 10, 99), 50, anomaly=False)
    assert (state.exploring, state.tried, state.backoff) == (True, (1,), 0)  # the round goes on
    assert state.challenger((10, 51, 10, 99)) == 3  # then the forest
    state = step(state, (10, 51, 10, 99), 99, anomaly=False)
    assert (state.exploring, state.tried, state.backoff, state.streak) == (False, (), 1, 0)
    for row in range(20, 20 + 2 * PATIENCE):
        state = step(state, (row, 52, row, 98), row, anomaly=False)
    assert state.challenger((30, 52, 30, 98)) == 1  # a new round
    state = step(state, (30, 52, 30, 98), 52, anomaly=True)
    assert (state.found, state.hits, state.champion, state.tried) == (True, (0, 1, 0, 0), 0, ())


def test_the_strong_ranking_proposes_rows_only_until_the_first_anomaly(clustered):
    """After the first anomaly the strong ranking proposes nothing: it keeps no record, is
    never asked (nor computed), and "show me something different" leaves it out; an undo of
    that anomaly brings it back."""
    X, y = clustered
    model = aad.AADForest(random_state=3).fit(X)
    learner = aad.ActiveLearner(model, X)
    model.set_label(0, "nominal")
    assert learner.portfolio.top("strong") >= 0
    learner.label(int(np.flatnonzero(y)[0]), "anomaly")
    assert learner.portfolio.top("strong") == -1
    for _ in range(30):
        row = int(learner.next_queries()[0])
        assert "strong" not in learner.portfolio.proposers(row)
        assert learner.portfolio.different() not in (None, learner.portfolio.top("feedback"))
        learner.label(row, bool(y[row]))
    assert learner.portfolio.records()["strong"][1] <= 1  # at most the first anomaly, if it proposed it
    assert learner.following != "strong"
    fresh = aad.ActiveLearner(aad.AADForest(random_state=3).fit(X), X)
    fresh.label(int(np.flatnonzero(y)[0]), "anomaly")
    fresh.undo()
    assert fresh.portfolio.top("strong") >= 0


def test_with_three_rankings_the_round_is_the_forest_alone_as_before():
    """Before the first anomaly the saturating ranking is the learned model itself (no lift
    yet), so a portfolio of three (sessions saved before the strong ranking) asks the forest
    alone in a dry spell: the round changes nothing for them."""
    X = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), [[7, 7], [7, -7]]])
    model = aad.AADForest(random_state=0).fit(X)
    model.set_labels([0, 1, 2], [0, 0, 0])
    np.testing.assert_array_equal(model.ranking("saturating"), model.ranking("feedback"))
    state = PortfolioState.start(3)
    for row in range(PATIENCE):
        state = step(state, (row, row, 99), row, anomaly=False)
    state = step(state, (10, 10, 99), 99, anomaly=False)
    assert (state.streak, state.backoff, state.tried) == (0, 1, ())


def test_the_rule_before_asks_no_challenger_before_the_first_anomaly():
    state = PortfolioState.start(3, explores_early=False)
    for row in range(10):
        state = step(state, (row, row, 99), row, anomaly=False)
    assert state == PortfolioState.start(3, explores_early=False)
    assert not state.exploring


def test_a_cluster_between_two_modes_is_found_though_the_first_nominals_bury_it():
    """The forest ranks the cluster in its top 20; the learned model alone, pushed down by the
    nominals labelled first, never reaches it in 100 labels (``benchmarks/between.py``). The
    adaptive queue asks the forest in the dry spell's round and finds the whole cluster. (Trees of 256
    rows: with the default 512 the learned model alone finds this draw's cluster too.)"""
    rng = np.random.default_rng(12)
    modes = np.vstack([rng.normal(-3, 1, (2500, 4)), rng.normal(3, 1, (2500, 4))])
    X = np.vstack([modes, rng.normal(0, 0.4, (30, 4))])
    y = np.r_[np.zeros(5000, bool), np.ones(30, bool)]
    coarse = {"max_samples": 256}
    found = {
        q: aad.simulate_run(X, y, budget=100, seed=1, queue=q, model_params=coarse).found
        for q in ("adaptive", "feedback")
    }
    assert found["feedback"][-1] == 0
    assert found["adaptive"][-1] == 30
    assert np.argmax(found["adaptive"] > 0) < 20


def test_a_streak_of_nominals_asks_a_challenger_and_a_hit_makes_it_champion():
    state = step(PortfolioState.start(3), (1, 1, 1), 1, anomaly=True)
    for row in range(2, 2 + PATIENCE - 1):
        state = step(state, (row, row, 50), row, anomaly=False)
    assert state.streak == PATIENCE - 1
    assert not state.exploring
    state = step(state, (9, 9, 50), 9, anomaly=False)
    assert state.exploring
    assert state.challenger((10, 10, 50)) == 2
    assert state.follows((10, 10, 50), 50) == 2
    state = step(state, (10, 10, 50), 50, anomaly=True)
    assert state.champion == 2
    assert state.streak == 0
    assert state.asked == (True, False, True)


def test_the_forest_gets_a_first_look_once_its_record_beats_the_champions():
    """After the first anomaly the rankings share every row until they part; one nominal from
    the champion that the forest did not propose puts the forest's record ahead, and the
    forest is asked at once (the rule before waited for a streak of PATIENCE)."""
    looked = step(PortfolioState.start(3, looks=(2,), keeps_streak=True), (1, 1, 1), 1, anomaly=True)
    before = step(PortfolioState.start(3), (1, 1, 1), 1, anomaly=True)
    looked, before = (step(s, (2, 2, 50), 2, anomaly=False) for s in (looked, before))
    assert looked.means[2] > looked.means[0]
    assert not before.exploring
    assert looked.exploring
    assert looked.challenger((3, 3, 3)) is None  # the forest proposes the champion's row: no look
    assert looked.challenger((3, 3, 50)) == 2
    missed = step(looked, (3, 3, 50), 50, anomaly=False)  # a first look that misses
    assert (missed.asked, missed.champion, missed.streak, missed.backoff) == ((True, False, True), 0, 0, 0)
    assert not missed.exploring  # asked once: from now on only a streak of PATIENCE asks it
    hit = step(looked, (3, 3, 50), 50, anomaly=True)
    assert (hit.champion, hit.streak) == (2, 0)


def test_a_first_look_waits_for_a_nominal_from_the_champion_and_a_record_ahead():
    ahead = PortfolioState((5, 0, 6), (1, 0, 0), (True, False, False), found=True, looks=(2,))
    assert ahead.means[2] > ahead.means[0]
    assert not ahead.exploring  # the forest leads, but the champion has no nominal in a row
    assert replace(ahead, streak=1).challenger((3, 3, 50)) == 2
    state = step(PortfolioState.start(3, looks=(2,)), (2, 2, 2), 2, anomaly=True)
    state = step(state, (3, 3, 3), 3, anomaly=False)  # the forest shares the nominal: no record ahead
    assert state.streak == 1
    assert not state.exploring


def test_a_missed_first_look_can_still_leave_the_forest_in_the_lead():
    """Asked once, the forest competes on its record like any ranking asked: a look that
    misses but leaves its record the best makes it the champion."""
    state = PortfolioState((9, 0, 9), (3, 0, 0), (True, False, False), streak=1, found=True, looks=(2,))
    after = step(state, (4, 4, 60), 60, anomaly=False)
    assert (after.champion, after.streak, after.backoff) == (2, 0, 0)


def test_the_portfolio_plans_the_forests_row_when_its_first_look_is_due(clustered):
    X, _ = clustered
    model = aad.AADForest(random_state=0).fit(X)
    model.set_labels([400, 408, 409, 410, 411, 412], [1, 0, 0, 0, 0, 0])  # the forest's top rows nominal
    portfolio = Portfolio(model, rankings=("feedback", "strong", "saturating", "forest"))
    forest = RANKINGS.index("forest")
    hits, misses, asked = (5, 0, 5, 6), (1, 0, 1, 0), (True, False, False, False)
    portfolio.state = replace(portfolio.state, hits=hits, misses=misses, asked=asked, found=True, streak=1)
    tops = portfolio.tops()
    assert tops[forest] != tops[0]
    assert portfolio.plan() == ("feedback", tops[forest])
    assert portfolio.state.follows(tops, tops[forest]) == forest


def test_the_engine_is_the_rule_measured_in_the_benchmarks(monkeypatch):
    """The engine's first look and kept streak behave as ``benchmarks/tried.py``'s rule that was
    measured on the tuning tables (``first_look("beats", only=(forest,))`` with ``kept_streak``
    over the rule before): over random runs of labels (the queue's rows, now and then a row
    no ranking proposed), the same rows are planned and the same records kept."""
    spec = importlib.util.spec_from_file_location("tried", BENCHMARKS / "tried.py")
    tried = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "tried", tried)  # its dataclasses look their module up
    spec.loader.exec_module(tried)
    rng = np.random.default_rng(0)
    hit_rate = np.array([0.8, 0.6, 0.4, 0.15, 0.1, 0.05, 0.3])  # per row; row 6: a row no ranking proposed
    runs = []
    for _ in range(300):
        labels = []  # per label: the rankings' tops, whether the queue's row is taken, a draw
        for _ in range(60):
            own = rng.integers(0, 6, 4)
            tops = tuple(int(t) for t in np.where(rng.random(4) < 0.5, own[0], own))  # often shared
            labels.append((tops, rng.random() < 0.9, rng.random()))
        runs.append(labels)

    def replay(state, rule_step):
        trail = []
        for tops, queued, draw in labels:
            k = state.challenger(tops) if state.exploring else None
            row = (tops[state.champion] if k is None else tops[k]) if queued else 6
            state = rule_step(state, tops, row, anomaly=bool(draw < hit_rate[row]))
            trail.append((row, state.hits, state.misses, state.champion, state.streak, state.backoff))
        return trail

    engine = [replay(PortfolioState.start(4, looks=(3,), keeps_streak=True), step) for labels in runs]
    exploring, challenger, looked_step = tried.first_look("beats", only=(3,))
    monkeypatch.setattr(PortfolioState, "exploring", exploring)
    monkeypatch.setattr(PortfolioState, "challenger", challenger)
    harness = [replay(PortfolioState.start(4), tried.kept_streak(looked_step)) for labels in runs]
    assert engine == harness
    assert sum(len({t[3] for t in trail}) > 1 for trail in engine) > 50  # champions did change


def test_two_rankings_trading_the_lead_still_reach_the_patience():
    """A champion demoted by its own nominal hands its streak on: two asked rankings with close
    records trade the lead at every nominal, yet the streak reaches PATIENCE and a third
    ranking is asked (the rule before started the streak again at each change)."""
    records = {"hits": (2, 2, 1), "misses": (0, 1, 0), "asked": (True, True, False)}
    kept = PortfolioState(**records, found=True, keeps_streak=True)
    before = PortfolioState(**records, found=True)
    for row, tops in [(2, (2, 9, 8)), (3, (3, 9, 8)), (9, (4, 9, 8)), (4, (4, 10, 8))]:
        kept, before = (step(s, tops, row, anomaly=False) for s in (kept, before))
    assert (before.champion, before.streak, before.exploring) == (1, 0, False)
    assert (kept.champion, kept.streak) == (1, PATIENCE)
    assert kept.challenger((11, 12, 8)) == 2


def test_the_portfolio_gives_the_no_feedback_ranking_its_first_look(clustered):
    X, _ = clustered
    model = aad.AADForest(random_state=0).fit(X)
    state = Portfolio(model).state
    assert (state.looks, state.keeps_streak) == ((RANKINGS.index("forest"), RANKINGS.index("beliefs")), True)
    state = Portfolio(model, first_look=False).state
    assert (state.looks, state.keeps_streak) == ((), False)
    assert Portfolio(model, rankings=("feedback", "saturating")).state.looks == ()
    ensemble = aad.detectors.AADEnsemble(members=("iforest", "lof"), random_state=0).fit(X)
    assert Portfolio(ensemble).state.looks == (1,)  # its no-feedback order, "unsupervised"


def test_a_challenger_with_a_worse_record_gives_the_queue_back():
    state = PortfolioState((10, 1), (4, 3), (True, True), champion=0, streak=PATIENCE, found=True)
    state = step(state, (7, 40), 40, anomaly=False)  # the challenger's row: nominal too
    assert state.champion == 0
    assert state.streak == 0
    assert not state.exploring
    assert state.misses == (4, 4)


def test_rows_no_ranking_proposed_leave_the_record_alone():
    state = step(PortfolioState.start(3), (1, 1, 1), 1, anomaly=True)
    after = step(state, (2, 2, 3), 77, anomaly=False)  # labelled from a search or a bulk selection
    assert (after.hits, after.misses, after.streak, after.champion) == (
        state.hits,
        state.misses,
        state.streak,
        state.champion,
    )


def test_the_adaptive_queue_finds_the_kind_the_learned_model_tunnels_past():
    """Once the takeovers are used up, the learned model keeps showing their nominal
    neighbours and never reaches the card tests; the adaptive queue turns to other rows.
    On trees of 256 rows; on the default 512 the learned model reaches every kind too, and so
    does the adaptive queue."""
    X, y, kind = _card_table()
    kinds, found = {}, {}
    for name, queue, params in (
        ("adaptive", "adaptive", {"max_samples": 256}),
        ("feedback", "feedback", {"max_samples": 256}),
        ("default", "adaptive", {}),
    ):
        runs = [
            aad.simulate_run(X, y, budget=110, seed=s, queue=queue, model_params=params) for s in range(3)
        ]
        kinds[name] = [set(kind[r.queried[y[r.queried]]]) for r in runs]
        found[name] = sum(int(r.found[-1]) for r in runs)
    every = {"takeover", "skimming", "testing"}
    assert all(k == every for k in kinds["adaptive"]), kinds
    assert all("testing" not in k for k in kinds["feedback"]), kinds
    assert found["adaptive"] > found["feedback"] + 20, found
    assert all(k == every for k in kinds["default"]), kinds


def test_undo_restores_the_record_and_the_queue(clustered):
    X, y = clustered
    learner = aad.ActiveLearner(aad.AADForest(random_state=4).fit(X), X)
    for _ in range(12):
        row = int(learner.next_queries()[0])
        learner.label(row, bool(y[row]))
    state, queue = learner.portfolio.state, learner.next_queries(3).tolist()
    for _ in range(5):
        row = int(learner.next_queries()[0])
        learner.label(row, bool(y[row]))
    learner.retract(row)
    for _ in range(6):
        learner.undo()
    assert learner.portfolio.state == state
    assert learner.next_queries(3).tolist() == queue


def test_the_record_replays_from_the_labels_alone(clustered):
    """A session rebuilt from its log must follow the same ranking: the record is a fold of
    the labels in order, nothing else."""
    X, y = clustered
    first = aad.ActiveLearner(aad.AADForest(random_state=2).fit(X), X)
    for _ in range(25):
        row = int(first.next_queries()[0])
        first.label(row, bool(y[row]))
    again = aad.ActiveLearner(aad.AADForest(random_state=2).fit(X), X)
    for event in first.history:
        again.label(event.row, event.label)
    assert again.portfolio.state == first.portfolio.state
    assert again.next_queries(2).tolist() == first.next_queries(2).tolist()


def test_fixed_queues_follow_one_ranking(clustered):
    X, _ = clustered
    model = aad.AADForest(random_state=1).fit(X)
    model.set_labels([400, 401, 0], ["anomaly", "anomaly", "nominal"])
    for name in RANKINGS:
        learner = aad.ActiveLearner(model, X, queue=name)
        best = np.argsort(-np.where(model.labels_ == -1, model.ranking(name), -np.inf), kind="stable")[:3]
        assert learner.next_queries(3).tolist() == best.tolist()
        assert learner.portfolio is None
        assert learner.following == name


def test_something_different_is_a_row_the_queue_would_not_show(clustered):
    X, y = clustered
    for queue in ("adaptive", "feedback"):
        learner = aad.ActiveLearner(aad.AADForest(random_state=3).fit(X), X, queue=queue)
        for _ in range(6):
            row = int(learner.next_queries()[0])
            learner.label(row, bool(y[row]))
        usual = learner.next_queries(2).tolist()
        different = learner.next_queries(2, explore=True).tolist()
        assert different[0] not in usual
        assert different[1:] == usual[:1]


def test_something_different_after_one_kind_is_another_kind_and_asked_again_another_row():
    """An analyst's review: after the account takeovers, **Different** showed the next
    takeover (every ranking agreed on it), and pressed again the same row. It now shows the
    forest's highest row outside the found anomalies' regions (in at least half of the trees its
    leaf holds none of them), and never a row already on screen."""
    X, y, kind = _card_table()
    learner = aad.ActiveLearner(aad.AADForest(random_state=0).fit(X), X)
    for _ in range(30):
        row = int(learner.next_queries()[0])
        learner.label(row, bool(y[row]))
    assert {kind[e.row] for e in learner.history if y[e.row]} == {"takeover"}
    shown: list[int] = []
    for _ in range(3):
        shown.append(int(learner.next_queries(1, explore=True, exclude=shown)[0]))
    assert len(set(shown)) == 3
    assert [kind[r] if y[r] else "nominal" for r in shown] == ["skimming"] * 3
    assert all(learner.outside_found(r) for r in shown)  # what Different checks, and the card says
    closed = learner.model.labels_ != aad.UNLABELLED
    takeovers = [r for r in np.flatnonzero((kind == "takeover") & ~closed)]
    assert takeovers  # a takeover not labelled yet lies inside the found ones' regions
    assert not any(learner.outside_found(int(r)) for r in takeovers[:5])


def test_the_saturating_ranking_lifts_by_log2_of_the_anomalies_in_a_leaf(clustered):
    """Its accumulator is exact integers: one by one, in bulk, or undone, the same numbers."""
    X, y = clustered
    rows = np.random.default_rng(5).choice(len(X), 80, replace=False)
    stepwise = aad.AADForest(random_state=8).fit(X)
    for row in rows:
        stepwise.set_label(int(row), int(y[row]))
    bulk = aad.AADForest(random_state=8).fit(X)
    bulk.set_labels(rows, y[rows].astype(int).tolist())  # over 5 % of the rows: recounted from scratch
    np.testing.assert_array_equal(stepwise.ranking("saturating"), bulk.ranking("saturating"))
    model = stepwise
    counts = model._counts[1].astype(float)
    information = model._info_q / 2**24  # the bits the model accumulates, exactly
    lift = information * np.rint(np.log2(1 + counts) * 2**16) / 2**16
    n_a = model.n_anomalies_
    w_a, w_n = aad.weights.class_weights(n_a, model.n_labels_ - n_a, balance=model.balance)
    table = w_a * lift - w_n * information * model._counts[0]
    expected = model.ranking("forest") + model.forest_.gather(table, model.leaf_index_) / model.n_estimators_
    np.testing.assert_allclose(model.ranking("saturating"), expected, rtol=1e-9, atol=1e-9)
    for row in rows[::-1]:
        model.unlabel(int(row))
    np.testing.assert_array_equal(model.ranking("saturating"), model.ranking("forest"))


def test_bad_queues_are_refused(clustered):
    X, _ = clustered
    model = aad.AADForest(random_state=1).fit(X)
    with pytest.raises(aad.UnknownStrategyError, match="unknown queue 'best'"):
        aad.ActiveLearner(model, X, queue="best")
    hinge = aad.AADForest(loss="hinge", random_state=1).fit(X)
    with pytest.raises(aad.UnknownStrategyError, match="saturating queue needs the linear loss"):
        aad.ActiveLearner(hinge, X, queue="saturating")
    assert aad.ActiveLearner(hinge, X).portfolio.rankings == ("feedback", "forest")
    with pytest.raises(aad.UnknownStrategyError, match="unknown rankings 'magic'"):
        Portfolio(model, rankings=("feedback", "magic"))


def test_each_rankings_proposal_is_found_once_per_label_and_never_served_stale(clustered, monkeypatch):
    """The row the queue shows is the proposal the record reads at the next label: one search
    of each changing ranking per label, not two; and after labels and undos the proposals are
    those of a fresh portfolio on the same labels."""
    X, y = clustered
    learner = aad.ActiveLearner(aad.AADForest(random_state=4).fit(X), X)
    searched = []
    real = aad.AADForest.best_unlabelled

    def counted(model, names, closed):
        searched.extend(names)
        return real(model, names, closed)

    monkeypatch.setattr(aad.AADForest, "best_unlabelled", counted)
    for _ in range(15):
        before, dry = len(searched), not learner.model.n_anomalies_
        row = int(learner.next_queries()[0])
        learner.label(row, bool(y[row]))
        # the learned, saturating and beliefs rankings once each (and the strong one in a dry
        # spell before the first anomaly); the forest: a fixed order
        assert len(searched) - before == (4 if dry else 3)
    for _ in range(3):
        learner.undo()
        assert learner.portfolio.tops() == Portfolio(learner.model).tops()
        row = int(learner.next_queries()[0])
        assert row == Portfolio(learner.model).tops()[RANKINGS.index(learner.portfolio.following)]


def test_the_strong_ranking_is_the_learned_model_at_twice_the_strength(clustered):
    """One pass over the learned model's score, no second model: the same scores as a model
    fitted with eta 2 on the same labels (nominals only, then anomalies too, then an undo)."""
    X, y = clustered
    model, twice = aad.AADForest(random_state=6).fit(X), aad.AADForest(random_state=6, eta=2.0).fit(X)
    np.testing.assert_array_equal(model.ranking("strong"), model.ranking("forest"))
    for m in (model, twice):
        m.set_labels([0, 1, 2], [0, 0, 0])
    np.testing.assert_allclose(model.ranking("strong"), twice.raw_score(), rtol=1e-9, atol=1e-9)
    assert not np.allclose(model.ranking("strong"), model.ranking("feedback"))
    rows = np.r_[np.random.default_rng(2).choice(np.arange(3, 400), 25, replace=False), 400, 401, 402]
    for m in (model, twice):
        m.set_labels(rows, y[rows].astype(int).tolist())
    np.testing.assert_allclose(model.ranking("strong"), twice.raw_score(), rtol=1e-9, atol=1e-9)
    model.unlabel(int(rows[0]))
    twice.unlabel(int(rows[0]))
    np.testing.assert_allclose(model.ranking("strong"), twice.raw_score(), rtol=1e-9, atol=1e-9)
    hinge = aad.AADForest(loss="hinge", random_state=1).fit(X)
    with pytest.raises(aad.UnknownStrategyError, match="strong ranking needs the linear loss"):
        hinge.ranking("strong")


def test_the_forests_order_follows_the_rows_when_rows_are_added_or_dropped():
    """The portfolio's cached order of the forest is for the rows it was sorted on: after
    ``add_rows`` an outlier among the new rows is the forest's proposal; after ``keep_rows``
    the proposals are those of a fresh portfolio (the stale order raised IndexError)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    model = aad.AADForest(n_estimators=30, random_state=0).fit(X)
    portfolio = Portfolio(model)
    portfolio.tops()
    forest = portfolio.rankings.index("forest")
    (new,) = model.add_rows([[9.0, 9.0]])
    assert portfolio.tops()[forest] == new
    model.keep_rows(np.arange(0, 301, 2))
    assert portfolio.tops() == Portfolio(model).tops()
