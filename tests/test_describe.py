"""Compact descriptions: the set-cover program, the quality bar, per-row explanations."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import aad
from aad.cover import greedy_cover, run_cover
from aad.describe import solve_cover
from aad.simulate import simulate_run


@pytest.fixture(scope="module")
def toy2_described(toy2):
    labels = np.where(toy2.y, 1, -1)
    model = aad.AADForest(random_state=0).fit(toy2.X, labels)
    return model, aad.describe_anomalies(model, toy2)


# ----------------------------------------------------------------------------- the program


def test_hand_solvable_instance_has_the_known_optimum():
    # regions 0 and 1 each cover one anomaly (cost 1 each); region 2 covers both for 1.5
    membership = np.array([[1, 0, 1], [0, 1, 1]], dtype=bool)
    assert solve_cover(membership, np.array([1.0, 1.0, 1.5])).tolist() == [2]
    assert solve_cover(membership, np.array([1.0, 1.0, 2.5])).tolist() == [0, 1]


def test_an_anomaly_in_no_region_is_infeasible_and_raises():
    membership = np.array([[1, 0], [0, 0]], dtype=bool)
    with pytest.raises(aad.DescriptionError, match=r"item\(s\) \[1\] are in no candidate region"):
        solve_cover(membership, np.ones(2))


def test_a_solver_failure_is_a_description_error(monkeypatch):
    def fail(*args, **kwargs):
        raise cp.SolverError("boom")

    monkeypatch.setattr(cp.Problem, "solve", fail)
    with pytest.raises(aad.DescriptionError, match="set-cover program failed in HiGHS: boom"):
        solve_cover(np.ones((1, 1), bool), np.ones(1))


def test_an_unsolved_status_is_a_description_error(monkeypatch):
    def no_answer(self, *args, **kwargs):
        self._status = "infeasible"

    monkeypatch.setattr(cp.Problem, "solve", no_answer)
    monkeypatch.setattr(cp.Problem, "status", property(lambda self: self._status))
    with pytest.raises(aad.DescriptionError, match="solver status: infeasible"):
        solve_cover(np.ones((1, 1), bool), np.ones(1))


@pytest.mark.parametrize(
    ("solver_cover", "kept"),
    [(None, "greedy"), ([0, 1, 0, 0], "greedy"), ([1, 0, 1, 1], "greedy"), ([1, 0, 1, 0], "user_limit")],
    ids=["no cover", "a partial one", "a dearer one", "one as cheap"],
)
def test_a_solver_stopped_by_the_time_limit_gives_way_to_a_cheaper_greedy_cover(
    monkeypatch, solver_cover, kept
):
    """HiGHS stopped at the time limit with no cover, one that misses an item, or one dearer
    than the greedy one: the greedy cover is taken, never an empty or partial set; a cover as
    cheap as the greedy one is kept."""
    membership = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], bool)
    costs = np.array([1.0, 1.0, 1.0, 5.0])

    def stopped(self, *args, **kwargs):
        self.variables()[0].value = None if solver_cover is None else np.array(solver_cover, float)
        self._status = "user_limit"

    monkeypatch.setattr(cp.Problem, "solve", stopped)
    monkeypatch.setattr(cp.Problem, "status", property(lambda self: self._status))
    chosen, status = run_cover(membership, costs, time_limit=0.01)
    assert status == kept
    assert chosen.tolist() == ([1, 2] if kept == "greedy" else [0, 2])
    assert greedy_cover(membership, costs).tolist() == [1, 2]


def test_a_time_limit_keeps_a_feasible_cover():
    rng = np.random.default_rng(0)
    membership = rng.random((150, 400)) < 0.03
    membership[np.arange(150), rng.integers(400, size=150)] = True
    costs = rng.integers(1, 20, 400) + membership.sum(axis=0)
    chosen = solve_cover(membership, costs, time_limit=0.2)
    assert membership[:, chosen].any(axis=1).all()


# ----------------------------------------------------------------------------- descriptions


def test_toy2_description_covers_all_35_anomalies_with_few_precise_rules(toy2, toy2_described):
    _, description = toy2_described
    covered = description.mask(toy2.X)
    assert covered[toy2.y].all()
    assert 1 <= len(description) <= 4
    assert all(rule.precision >= 0.8 for rule in description.rules)
    assert description.status == "optimal"
    assert len(description.uncovered) == 0


def test_toy2_with_every_row_labelled_has_high_precision(toy2):
    model = aad.AADForest(random_state=1).fit(toy2.X, toy2.y.astype(int))
    description = aad.describe_anomalies(model, toy2)
    covered = description.mask(toy2.X)
    assert covered[toy2.y].all()
    assert toy2.y[covered].mean() >= 0.8
    assert all(rule.precision >= 0.5 for rule in description.rules)


def test_rule_statistics_agree_with_the_masks(toy2, toy2_described):
    model, description = toy2_described
    labels = model.labels_
    for described in description.rules:
        mask = described.mask(toy2.X)
        assert mask.sum() == described.support
        assert (mask & (labels == 1)).sum() == described.anomalies
        assert (mask & (labels == 0)).sum() == described.nominals
    anomalies = [d.anomalies for d in description.rules]
    assert anomalies == sorted(anomalies, reverse=True)


@pytest.mark.parametrize("name", ["ann_thyroid_1v3", "yeast"])
def test_after_100_simulated_labels_the_rules_cover_every_labelled_anomaly(name):
    ds = aad.load_dataset(name)
    run = simulate_run(ds.X, ds.y, budget=100, seed=0)
    labels = np.full(ds.n_rows, -1)
    labels[run.queried] = ds.y[run.queried]
    model = aad.AADForest(random_state=0).fit(ds.X, labels)
    description = aad.describe_anomalies(model, ds, time_limit=1.0)
    assert description.mask(ds.X)[labels == 1].all()
    assert np.nanmean([d.precision for d in description.rules]) >= 0.5


def test_same_seed_same_rules(toy2, toy2_described):
    _, description = toy2_described
    model = aad.AADForest(random_state=0).fit(toy2.X, np.where(toy2.y, 1, -1))
    again = aad.describe_anomalies(model, toy2)
    assert [d.rule for d in again.rules] == [d.rule for d in description.rules]


def test_labels_default_to_the_models_and_can_be_given(toy2, toy2_described):
    model, description = toy2_described
    explicit = aad.describe_anomalies(model, toy2.X, labels=model.labels_, feature_names=["x", "y"])
    assert [d.rule for d in explicit.rules] == [d.rule for d in description.rules]
    assert explicit.feature_names == ("x", "y")


def test_provenance_names_the_data_and_the_model(toy2, toy2_described):
    _, description = toy2_described
    prov = description.provenance
    assert prov["fingerprint"] == toy2.fingerprint
    assert prov["rows"] == 485
    assert prov["forest_seed"] == 0
    assert prov["n_labels"] == prov["n_anomalies"] == 35
    assert prov["tau"] == 0.03
    assert prov["version"] == aad.__version__
    assert prov["created"].endswith("+00:00")


def test_no_labelled_anomaly_gives_an_empty_description(planted):
    model = aad.AADForest(n_estimators=10, random_state=0).fit(planted)
    description = aad.describe_anomalies(model, planted)
    assert len(description) == 0
    assert description.status == "empty"
    assert not description.mask(planted).any()
    assert description.format() == "(no labelled anomaly to describe)"


def test_describe_rows_covers_any_rows(clustered):
    X, _ = clustered
    model = aad.AADForest(n_estimators=30, random_state=0).fit(X)
    description = aad.describe_rows(model, X, np.arange(400, 408))
    assert description.mask(X)[400:408].all()
    assert len(description) == 1  # the tight planted cluster is one region


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"min_precision": 1.5}, aad.AADError, r"'min_precision' parameter .* range \[0, 1\]. Got 1.5"),
        ({"time_limit": 0}, aad.AADError, "'time_limit' parameter"),
        ({"n_top": 0}, aad.AADError, "'n_top' parameter"),
        ({"speed": 1}, TypeError, r"unknown parameter\(s\) \['speed'\]"),
    ],
)
def test_bad_parameters_are_refused(toy2, toy2_described, params, error, message):
    model, _ = toy2_described
    with pytest.raises(error, match=message):
        aad.describe_anomalies(model, toy2, **params)


def test_wrong_data_or_labels_are_refused(toy2, toy2_described):
    model, _ = toy2_described
    with pytest.raises(aad.DescriptionError, match="the model was fitted on 485"):
        aad.describe_anomalies(model, toy2.X[:100])
    with pytest.raises(aad.LabelError, match="give one label"):
        aad.describe_anomalies(model, toy2, labels=np.ones(3))
    with pytest.raises(aad.DataError, match="columns but the model was fitted on 2"):
        aad.describe_anomalies(model, np.zeros((485, 3)))


# ----------------------------------------------------------------------------- explanations


def test_explain_row_isolates_a_planted_outlier_and_names_its_feature():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(300, 3)), [[0.0, 0.0, 9.0]]])
    model = aad.AADForest(random_state=0).fit(X)
    why = aad.explain_row(model, X, 300, feature_names=["a", "b", "c"])
    assert why.support == 1
    assert why.rule.mask(X)[300]
    assert why.top_features(1) == ["c"]
    assert why.importances[0][1] > 0.5
    assert sum(share for _, share in why.importances) == pytest.approx(1.0)
    assert why.format().startswith("row 300 is isolated by c > ")


def test_explain_row_lists_the_description_rules_that_cover_it(toy2, toy2_described):
    model, description = toy2_described
    row = int(np.flatnonzero(toy2.y)[0])
    why = aad.explain_row(model, toy2.X, row, feature_names=toy2.feature_names, description=description)
    assert why.covering_rules
    assert all(description.rules[i].mask(toy2.X)[row] for i in why.covering_rules)


def test_explain_row_refuses_a_row_outside_the_data(toy2, toy2_described):
    model, _ = toy2_described
    with pytest.raises(aad.LabelError, match="row 485 is not a training row"):
        aad.explain_row(model, toy2.X, 485)


def test_a_rule_over_mostly_unlabelled_rows_says_its_precision_is_on_its_labels_only():
    """Four anomalies labelled in a sparse cloud of 300 rows: the rules around them reach far
    into unlabelled rows, and none holds a labelled nominal; their precision of 1.00 means
    little, and a note says so. Labelling nominals inside them silences it."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(2000, 2)), np.c_[rng.uniform(4, 8, 300), rng.uniform(-3, 3, 300)]])
    model = aad.AADForest(n_estimators=100, random_state=0).fit(X)  # the regions the case was built on
    labels = np.full(len(X), -1)
    labels[[2000, 2001, 2002, 2003]] = 1
    description = aad.describe_anomalies(model, X, labels=labels)
    assert description.notes
    assert all("no labelled nominal" in note for note in description.notes)
    for rule in description.rules:
        labels[np.flatnonzero(rule.mask(X) & (labels == -1))] = 0
    assert not aad.describe_anomalies(model, X, labels=labels).notes


@pytest.mark.parametrize("time_limit", [1e-4, 0.05, 1.0])
def test_a_cover_cut_short_by_the_time_limit_still_covers_every_item(time_limit):
    """HiGHS stopped before it has a cover: the greedy one is taken, never an empty set."""
    rng = np.random.default_rng(0)
    membership = sparse.random(2000, 3000, density=0.004, random_state=0, format="lil").astype(bool)
    membership[np.arange(2000), rng.integers(3000, size=2000)] = True
    costs = 1 + rng.random(3000)
    chosen, status = run_cover(membership, costs, time_limit=time_limit)
    assert status in ("optimal", "user_limit", "greedy")
    assert (sparse.csr_matrix(membership)[:, chosen].sum(axis=1) >= 1).all()
    assert costs[chosen].sum() <= costs[greedy_cover(membership, costs)].sum() + 1e-9


def test_a_described_rule_reads_in_its_descriptions_names(tmp_path):
    """description.rules[0].format() printed x0 > 1669.06 though the description held the names."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"amount": rng.gamma(2, 20, 400), "items": rng.integers(1, 5, 400)})
    frame.loc[:9, "amount"] = rng.uniform(900, 1000, 10)
    data = aad.dataset_from_frame(frame)
    labels = np.full(400, -1)
    labels[:10], labels[10:40] = 1, 0
    model = aad.AADForest(n_estimators=50, random_state=0).fit(data.X, labels)
    description = aad.describe_anomalies(model, data)
    assert description.rules[0].format().startswith("amount ")
    assert description.rules[0].format(["a", "b"]).startswith("a ")  # names given: those
