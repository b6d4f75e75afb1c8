"""The workbench's chart builders: arrays in, figures out, no Streamlit."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from hover import HOSTILE, hover_lines

from app import charts


@pytest.fixture
def plane():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 2))
    rows = np.arange(100, 150)
    scores = rng.random(50)
    labels = np.full(50, -1)
    labels[[3, 7]] = 1
    labels[[10]] = 0
    return points, rows, scores, labels


def _trace(fig: go.Figure, name: str):
    return next(t for t in fig.data if t.name == name)


def test_explore_figure_marks_labelled_rows_and_carries_row_numbers(plane):
    points, rows, scores, labels = plane
    fig = charts.explore_figure(points, rows, scores, labels, axis_titles=("amount", "hour"))
    assert [t.name for t in fig.data] == ["unlabelled", "nominal", "anomaly"]
    assert list(_trace(fig, "anomaly").customdata) == [103, 107]
    assert list(_trace(fig, "nominal").customdata) == [110]
    assert len(_trace(fig, "unlabelled").customdata) == 47
    assert list(_trace(fig, "anomaly").x) == points[[3, 7], 0].tolist()
    assert fig.layout.xaxis.title.text == "amount"
    assert fig.layout.dragmode == "select"
    assert list(_trace(fig, "unlabelled").marker.color) == scores[labels == -1].tolist()  # coloured by score


def test_explore_figure_draws_score_contours_underneath(plane):
    points, rows, scores, labels = plane
    xs, ys = np.linspace(-3, 3, 4), np.linspace(-2, 2, 5)
    z = np.arange(20.0).reshape(5, 4)
    fig = charts.explore_figure(points, rows, scores, labels, contour=(xs, ys, z))
    contour = fig.data[0]
    assert isinstance(contour, go.Contour)
    assert np.array_equal(np.asarray(contour.z), z)
    assert list(contour.x) == xs.tolist()


def test_the_contour_colours_span_the_unlabelled_rows_not_the_labelled_anomalies(plane):
    points, rows, scores, labels = plane
    scores = scores.copy()
    scores[[3, 7]] = 50.0  # labelled anomalies, pushed far up by feedback
    z = np.linspace(0.0, 50.0, 20).reshape(5, 4)
    fig = charts.explore_figure(points, rows, scores, labels, contour=(np.arange(4.0), np.arange(5.0), z))
    contour = fig.data[0]
    assert contour.zmax == pytest.approx(scores[labels == -1].max())
    assert contour.zmin == pytest.approx(0.0)


def test_one_far_unlabelled_row_does_not_flatten_the_colours_of_the_others(plane):
    points, rows, scores, labels = plane
    scores = scores.copy()
    scores[0] = 419.0  # one unlabelled row far above the rest (scores in [0, 1))
    z = np.linspace(0.0, 1.0, 20).reshape(5, 4)
    contour = charts.explore_figure(points, rows, scores, labels, contour=(np.arange(4.0), np.arange(5.0), z))
    assert contour.data[0].zmax < 1.0
    wide = charts.explore_figure(points, rows, scores, labels)
    assert _trace(wide, "unlabelled").marker.cmax < 1.0
    bars = charts.score_histogram(scores, labels).data[0]
    assert sum(bars.y) == (labels == -1).sum()  # the far row is counted, in the last bar
    assert max(bars.x) < 1.0


def test_explore_figure_uses_webgl_for_many_points(plane):
    fig = charts.explore_figure(*plane, webgl=True)
    assert all(isinstance(t, go.Scattergl) for t in fig.data)


def test_selected_rows_reads_row_numbers_from_any_selection_shape():
    event = {
        "selection": {
            "points": [
                {"point_index": 0, "customdata": [107]},
                {"point_index": 4, "customdata": 103},
                {"point_index": 5, "customdata": [103]},
                {"point_index": 9},
            ],
            "point_indices": [0, 4, 5, 9],
            "box": [],
            "lasso": [],
        }
    }
    assert charts.selected_rows(event) == [103, 107]
    assert charts.selected_rows({"selection": {"points": []}}) == []
    assert charts.selected_rows(None) == []


def test_plot_sample_keeps_everything_when_small():
    assert charts.plot_sample(np.zeros(10), np.full(10, -1), max_points=10).tolist() == list(range(10))


def test_plot_sample_keeps_labelled_rows_and_top_scores_and_is_stable():
    rng = np.random.default_rng(1)
    scores = rng.random(5000)
    labels = np.full(5000, -1)
    labels[[4, 40, 400]] = [1, 0, 1]
    drawn = charts.plot_sample(scores, labels, max_points=500)
    assert len(drawn) == 500
    assert np.all(np.diff(drawn) > 0)
    assert {4, 40, 400} <= set(drawn.tolist())
    assert set(np.argsort(-scores)[:25].tolist()) <= set(drawn.tolist())
    assert np.array_equal(drawn, charts.plot_sample(scores, labels, max_points=500))


def test_project_2d_finds_the_direction_of_most_spread():
    rng = np.random.default_rng(2)
    t = rng.normal(size=400)
    X = np.column_stack([t, t + 0.01 * rng.normal(size=400), rng.normal(scale=0.1, size=400), np.ones(400)])
    proj = charts.project_2d(X)
    assert proj.shape == (400, 2)
    assert proj[:, 0].var() > 1.5 * proj[:, 1].var()  # two of three scaled columns agree
    assert abs(np.corrcoef(proj[:, 0], t)[0, 1]) > 0.99


def test_project_2d_of_one_varying_column_is_that_column_scaled_in_its_order():
    X = np.column_stack([np.arange(5.0), np.ones(5)])
    proj = charts.project_2d(X)
    assert np.allclose(proj[:, 1], 0)
    assert np.allclose(proj[:, 0], np.arcsinh((X[:, 0] - 2) / (2 / 1.349)))  # median 2, IQR 2
    assert np.all(np.diff(proj[:, 0]) > 0)


def test_a_few_far_outliers_do_not_squash_every_other_row_into_a_strip():
    """An amount of 77,701 among amounts of about 100 stretched the first component so far that
    20,000 rows sat in a strip 20 pixels wide (helper-34); the outliers stay farthest out."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 4))
    X[:5] += 500.0  # five rows 500 standard deviations out
    proj = charts.project_2d(X)
    bulk = proj[5:, 0]
    q1, q3 = np.percentile(bulk, [25, 75])
    assert (q3 - q1) > 0.05 * np.ptp(proj[:, 0])  # 6.8 %; it was 0.3 % of the axis
    assert set(np.argsort(-np.abs(proj[:, 0]))[:5].tolist()) == set(range(5))


def test_score_histogram_counts_the_unlabelled_rows_and_keeps_far_labelled_ones_at_the_edge():
    scores = np.array([0.1, 0.2, 0.3, 0.33, 7.0])
    labels = np.array([-1, 0, -1, 1, 1])
    fig = charts.score_histogram(scores, labels)
    assert sum(fig.data[0].y) == 2  # the two unlabelled rows, binned
    assert min(fig.data[0].x) >= 0.1
    assert max(fig.data[0].x) <= 0.3
    anomalies = _trace(fig, "labelled anomaly")
    assert list(anomalies.customdata) == [0.33, 7.0]  # the true scores, in the hover
    edge = 0.3 + 0.2 * 0.2
    assert list(anomalies.x) == pytest.approx([0.33, edge])  # 7.0 drawn at the axis' edge
    assert list(anomalies.marker.symbol) == ["x", "triangle-right"]
    assert fig.layout.xaxis.range[1] < 1.0
    assert list(_trace(fig, "labelled nominal").x) == [0.2]


def test_progress_figure_adds_the_no_feedback_curve_with_ground_truth():
    curves = {"labels": np.arange(1, 4), "found": np.array([1, 1, 2])}
    plain = charts.progress_figure(curves)
    assert [t.name for t in plain.data] == ["anomalies found (your labels)"]
    assert list(plain.data[0].y) == [1, 1, 2]
    assert plain.layout.xaxis.title.text == "rows labelled"
    truth = {**curves, "truth_found": np.array([1, 1, 1]), "baseline_found": np.array([0, 1, 1])}
    fig = charts.progress_figure(truth, n_anomalies=2)
    names = [t.name for t in fig.data]
    assert "no-feedback ranking (ground truth)" in names
    assert "every label an anomaly" in names
    assert list(_trace(fig, "no-feedback ranking (ground truth)").y) == [0, 1, 1]
    assert list(_trace(fig, "every label an anomaly").y) == [1, 2, 2]


def test_member_weights_figure_draws_one_line_per_member_from_the_uniform_start():
    path = {
        "members": ("iforest", "<b>lof</b>"),
        "labels": np.arange(3),
        "weights": np.array([[1.0, 1.0], [1.2, 0.9], [1.3, 0.0]]),
    }
    fig = charts.member_weights_figure(path)
    assert [trace.name for trace in fig.data] == ["iforest", charts.plain("<b>lof</b>")]
    assert fig.data[1].y.tolist() == [1.0, 0.9, 0.0]
    assert fig.data[0].x.tolist() == [0, 1, 2]


def _json_trace(fig: go.Figure, name: str) -> dict:
    return next(t for t in json.loads(fig.to_json())["data"] if t.get("name") == name)


def test_the_hover_says_the_label_and_kind_and_shows_data_text_as_written(plane):
    points, rows, scores, labels = plane
    shops = [HOSTILE[i % len(HOSTILE)] for i in range(50)]
    values = {"shop": shops, "<i>%{x}</i>": list(map(str, range(50)))}
    said = {1: "anomaly · <b>card</b> %{y} **z**", 0: "nominal", -1: ""}
    texts = [said[v] for v in labels]
    ranks = np.arange(1, 51)
    fig = charts.explore_figure(points, rows, scores, labels, ranks=ranks, values=values, label_texts=texts)
    assert hover_lines(_json_trace(fig, "anomaly"), 1) == [  # the anomaly at position 7: row 107
        "row 107 · rank 8",
        "anomaly · <b>card</b> %{y} **z**",
        "shop: **x**",
        "<i>%{x}</i>: 7",
    ]
    assert hover_lines(_json_trace(fig, "anomaly"), 0)[2] == "shop: <br>x"  # one line, as written
    assert hover_lines(_json_trace(fig, "nominal"), 0)[:2] == ["row 110 · rank 11", "nominal"]
    unlabelled = _json_trace(fig, "unlabelled")
    assert hover_lines(unlabelled, 0) == ["row 100 · rank 1", "shop: <b>x</b>", "<i>%{x}</i>: 0"]
    assert hover_lines(unlabelled, 1)[1] == "shop: %{y}"
    assert hover_lines(unlabelled, 3)[1] == f"shop: {'A' * (charts.HOVER_VALUE - 1)}…"  # row 104: cut
    clicked = {"selection": {"points": [{"customdata": unlabelled["customdata"][3]}]}}
    assert charts.selected_rows(clicked) == [104]  # the row first, as before


def test_the_hover_cuts_a_long_column_name():
    one = (np.zeros((1, 2)), np.array([5]), np.zeros(1), np.full(1, -1))
    fig = charts.explore_figure(*one, values={"n" * 60: ["1"]}, label_texts=[""])
    assert hover_lines(_json_trace(fig, "unlabelled"), 0)[1] == f"{'n' * (charts.HOVER_NAME - 1)}…: 1"


def test_plane_features_lists_the_plotted_columns_of_a_projection_first(plane):
    rng = np.random.default_rng(3)
    t, u = rng.normal(size=(2, 400))
    X = np.column_stack([rng.normal(size=400), 3 * t, np.full(400, 2.0), t + rng.normal(size=400) / 20, u])
    assert sorted(charts.plane_features(X, 2)) == [1, 3]  # the pair that makes the first component
    assert 2 not in charts.plane_features(X, 5)  # a constant column is never shown
    assert charts.plane_features(X[:, [2, 4]]) == [1]  # one varying column: that one
