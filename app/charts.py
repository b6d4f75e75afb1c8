"""Pure plotly figure builders: arrays in, figures out, no Streamlit.

Shared by the workbench pages and ``aad simulate --plot``; tested without a browser.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from aad.simulate import settings_caption
from app.text import cut, visible

__all__ = [
    "discovery_figure",
    "explore_figure",
    "growth_figure",
    "member_weights_figure",
    "plane_features",
    "plot_sample",
    "progress_figure",
    "project_2d",
    "score_histogram",
    "selected_rows",
    "stream_figure",
]

_FEEDBACK = "#d62728"
_BASELINE = "#7f7f7f"
_IFOREST = "#1f77b4"
_ANOMALY = "#d62728"
_NOMINAL = "#1f77b4"
#: Above this many rows, the Explore page draws a sample with WebGL.
MAX_POINTS = 20_000
#: A hover shows a column's name and value cut to these many characters.
HOVER_NAME, HOVER_VALUE = 24, 40


def discovery_figure(summary: dict, *, title: str | None = None) -> go.Figure:
    """Discovery curves of a simulation: anomalies found against labels spent.

    Parameters
    ----------
    summary : dict
        ``SimulationResult.to_dict()``: uses ``mean_found``, ``std_found``,
        ``baseline_mean_found``, ``iforest_mean_found``, ``runs`` and ``n_anomalies``.

    Returns
    -------
    plotly.graph_objects.Figure
        The mean curve with feedback and its spread (min to max over runs, and
        mean ± one standard deviation), against both no-feedback baselines.
    """
    mean = np.asarray(summary["mean_found"], dtype=float)
    std = np.asarray(
        summary["std_found"] if summary["std_found"] is not None else np.zeros_like(mean), dtype=float
    )
    labels = np.arange(1, len(mean) + 1)
    runs = np.array([run["found"] for run in summary["runs"]], dtype=float)
    fig = go.Figure()
    _band(fig, labels, runs.min(axis=0), runs.max(axis=0), "min–max over runs", 0.10)
    if summary["std_found"] is not None:  # one run has no spread
        _band(fig, labels, mean - std, mean + std, "mean ± 1 sd", 0.22)
    fig.add_trace(
        go.Scatter(x=labels, y=mean, name="with feedback (AAD)", line={"color": _FEEDBACK, "width": 3})
    )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=summary["baseline_mean_found"],
            name="no feedback",
            line={"color": _BASELINE, "dash": "dash"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=summary["iforest_mean_found"],
            name="isolation forest",
            line={"color": _IFOREST, "dash": "dot"},
        )
    )
    _ideal(fig, labels, int(summary["n_anomalies"]))
    fig.update_layout(
        title=plain(title or _curves_title(summary, len(runs))),
        xaxis_title="labels spent",
        yaxis_title="anomalies found",
        hovermode="x unified",
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _band(
    fig: go.Figure, x: np.ndarray, low: Sequence[float], high: Sequence[float], name: str, alpha: float
) -> None:
    fig.add_trace(go.Scatter(x=x, y=high, line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=low,
            fill="tonexty",
            line={"width": 0},
            name=name,
            fillcolor=f"rgba(214,39,40,{alpha})",
            hoverinfo="skip",
        )
    )


def _curves_title(summary: dict, n_runs: int) -> str:
    """``yeast: anomalies found vs labels spent (10 runs; bal-e, batches of 3, linear loss)``."""
    how = [summary.get("strategy", "top")]
    if summary.get("batch_size", 1) > 1:
        how.append(f"batches of {summary['batch_size']}")
    loss = summary.get("params", {}).get("loss")
    if loss:
        how.append(f"{loss} loss")
    how.append(settings_caption(summary.get("params", {}), n_runs, summary.get("n_rows")))
    return f"{summary['dataset']}: anomalies found vs labels spent ({n_runs} runs; {', '.join(how)})"


def _ideal(fig: go.Figure, x: np.ndarray, n_anomalies: int) -> None:
    fig.add_trace(
        go.Scatter(
            x=x,
            y=np.minimum(x, n_anomalies),
            name="every label an anomaly",
            line={"color": "#2ca02c", "width": 1, "dash": "dot"},
            opacity=0.6,
            legendrank=4,
        )
    )


def literal(text: str, limit: int | None = None) -> str:
    """Data text for a plotly hover, shown as written: on one line, cut to ``limit`` characters
    (with an ellipsis), its direction controls as escapes (:func:`app.text.visible`), its markup
    written with HTML entities (plotly reads ``<b>`` and ``<br>``,
    and ``%{...}`` in a hover template) and ``%`` as ``&#37;``, which plotly shows as ``%``.

    Examples
    --------
    >>> literal("<b>x</b> %{y} **z**")
    '&lt;b&gt;x&lt;/b&gt; &#37;{y} **z**'
    >>> literal("a very long shop name", 10)
    'a very lo…'
    """
    text = " ".join(str(text).split()) if limit is None else cut(text, limit)
    return plain(text).replace("%", "&#37;")


def plain(text: str) -> str:
    """``text`` shown as it is in a plotly title: plotly reads ``<b>``, ``<a href>`` and ``<br>`` in
    titles, so a column or file name holding them is written with HTML entities, which it shows.

    Examples
    --------
    >>> plain("<b>x</b> & y")
    '&lt;b&gt;x&lt;/b&gt; &amp; y'
    """
    return html.escape(visible(text), quote=False)


# --------------------------------------------------------------------------- the workbench


def project_2d(X: np.ndarray) -> np.ndarray:
    """The first two principal components of the standardised columns of ``X``.

    Constant columns are ignored; one-feature data gets a zero second axis.
    """
    Z, _, axes, _ = _principal_axes(X)
    if axes is None:
        return np.column_stack([Z[:, 0] if Z.shape[1] else np.zeros(len(Z)), np.zeros(len(Z))])
    return Z @ axes


def plane_features(X: np.ndarray, k: int = 4) -> list[int]:
    """The columns of ``X`` that :func:`project_2d`'s plane shows most, at most ``k``, the most
    first: by the share of each standardised column's variance along the two axes (a constant
    column has none and is never listed).

    Examples
    --------
    Two pairs of closely related columns make the plane; two unrelated ones and a constant do not:

    >>> v, t, w, u, noise = np.random.default_rng(0).normal(size=(5, 500))
    >>> X = np.column_stack([v, t, t + noise / 10, w, u, u - noise / 10, np.ones(500)])
    >>> sorted(plane_features(X))
    [1, 2, 4, 5]
    """
    _, varying, axes, variances = _principal_axes(X)
    if axes is None:
        return np.flatnonzero(varying)[:k].tolist()
    shown = (axes**2 * variances[:2]).sum(axis=1)  # each standardised column's variance on the plane
    order = np.lexsort((np.arange(len(shown)), -shown))
    return np.flatnonzero(varying)[order][:k].tolist()


def _principal_axes(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """``X``'s varying columns scaled (:func:`_robust_scaled`), which they are, the first two
    principal axes (None with fewer than two such columns) and the variances along the axes,
    the largest first."""
    X = np.asarray(X, dtype=float)
    varying = X.std(axis=0) > 0
    Z = _robust_scaled(X[:, varying])
    if Z.shape[1] < 2:
        return Z, varying, None, np.zeros(0)
    sample = Z[:: max(1, len(Z) // 20_000)]
    # the eigenvectors of the features' covariance: a (features x features) problem, where an
    # SVD of the rows took 7.8 s on 20,000 x 300
    values, vectors = np.linalg.eigh(sample.T @ sample)
    axes = vectors[:, ::-1][:, :2]
    axes *= np.sign(axes[np.abs(axes).argmax(axis=0), [0, 1]])  # the same picture every time
    return Z, varying, axes, values[::-1] / len(sample)


def _robust_scaled(X: np.ndarray) -> np.ndarray:
    """Each column centred on its median, in units of its spread (the interquartile range, the
    standard deviation where that is 0), its tails drawn in (``asinh``: 50 spreads out becomes
    4.6): a few far outliers no longer stretch the plane so that every other row sits in a
    strip 20 pixels wide (an amount of 77,701 among amounts of about 100), and they still sit
    farthest out, in the same order.

    >>> _robust_scaled(np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])).round(2).ravel().tolist()
    [-1.11, -0.63, 0.0, 0.63, 7.2]
    """
    centre = np.median(X, axis=0)
    q1, q3 = np.percentile(X, [25, 75], axis=0)
    spread = (q3 - q1) / 1.349  # a normal column's standard deviation
    spread = np.where(spread > 0, spread, X.std(axis=0))
    return np.arcsinh((X - centre) / spread)


def plot_sample(scores: np.ndarray, labels: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Rows to draw: all of them, or at most ``max_points`` when there are more.

    A sample keeps every labelled row and the highest scores (a twentieth of the points),
    and fills the rest with a fixed random sample, so that it does not flicker between runs.
    """
    n = len(scores)
    if n <= max_points:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[labels != -1] = True
    keep[np.argpartition(-scores, max_points // 20)[: max_points // 20]] = True
    rest = np.flatnonzero(~keep)
    fill = max(0, max_points - int(keep.sum()))
    keep[np.random.default_rng(0).choice(rest, size=min(fill, len(rest)), replace=False)] = True
    return np.flatnonzero(keep)


def explore_figure(
    points: np.ndarray,
    rows: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    *,
    axis_titles: tuple[str, str] = ("x", "y"),
    contour: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    webgl: bool = False,
    ranks: np.ndarray | None = None,
    values: dict[str, Sequence[str]] | None = None,
    label_texts: Sequence[str] | None = None,
) -> go.Figure:
    """Rows on a plane, labelled rows marked, optionally over the model's score contours.

    Parameters
    ----------
    points : ndarray of shape (len(rows), 2)
        Plane coordinates of the rows drawn.
    rows : ndarray of int
        Their row numbers (each point carries its row in ``customdata``).
    scores, labels : ndarray of shape (len(rows),)
        Their scores and labels (1 anomaly, 0 nominal, -1 unlabelled).
    contour : (xs, ys, z), optional
        Score grid (``z[i, j]`` at ``(xs[j], ys[i])``), drawn underneath.
    webgl : bool
        Draw with ``Scattergl`` (for many points).
    ranks : ndarray of shape (len(rows),), optional
        Their ranks (1 = most anomalous), shown in the hover instead of the raw score; the
        colour bars then carry no numbers (a score is read by its rank, not its value).
    values : dict, optional
        A few columns' values as written, for the hover: column name -> one text per row.
    label_texts : sequence of str, optional
        What the hover says of each labelled row's label (``anomaly · card testing``).

    Data text (names, values, kinds) shows in the hover as written, cut to a sane length
    (:func:`literal`). With ``values`` or ``label_texts``, each point's ``customdata`` is its
    row followed by its hover texts.
    """
    scatter = go.Scattergl if webgl else go.Scatter
    fig = go.Figure()
    free = labels == -1
    if contour is not None:
        xs, ys, z = contour
        # The colours span the unlabelled rows' scores: labelled anomalies, pushed far up by
        # feedback, would otherwise own the scale and leave the rows still to find one shade.
        low, top = robust_range(scores[free] if free.any() else np.ravel(z))
        low = min(low, float(np.min(z)))
        fig.add_trace(
            go.Contour(
                x=xs,
                y=ys,
                z=z,
                zmin=low,
                zmax=max(top, low + 1e-12),
                colorscale="YlOrRd",
                ncontours=20,
                name="score",
                hoverinfo="skip",
                colorbar=_colorbar(ranks is not None),
                opacity=0.85,
            )
        )
    free_marker = (
        {"size": 5, "color": "#333333", "opacity": 0.6}
        if contour is not None
        else {
            "size": 5,
            "color": scores[free],
            **dict(zip(("cmin", "cmax"), robust_range(scores[free]), strict=True)),
            "colorscale": "Viridis",
            "showscale": True,
            "colorbar": _colorbar(ranks is not None),
        }
    )
    for name, mask, marker in (
        ("unlabelled", free, free_marker),
        (
            "nominal",
            labels == 0,
            {"size": 9, "color": _NOMINAL, "symbol": "circle-open", "line": {"width": 2}},
        ),
        (  # outlined in white: the highest scores under it are a dark red too
            "anomaly",
            labels == 1,
            {"size": 12, "color": _ANOMALY, "symbol": "x", "line": {"width": 1.5, "color": "white"}},
        ),
    ):
        fig.add_trace(
            scatter(
                x=points[mask, 0],
                y=points[mask, 1],
                mode="markers",
                name=name,
                marker=marker,
                text=[f"{s:.4f}" for s in scores[mask]] if ranks is None else [f"{r:,}" for r in ranks[mask]],
                **_hover(rows, mask, name, "score" if ranks is None else "rank", values, label_texts),
            )
        )
    fig.update_layout(
        xaxis_title=plain(axis_titles[0]),
        yaxis_title=plain(axis_titles[1]),
        dragmode="select",
        template="plotly_white",
        legend={"orientation": "h", "y": 1.08},
        margin={"t": 40, "r": 10},
        height=560,
        uirevision="explore",
    )
    return fig


def _hover(
    rows: np.ndarray,
    mask: np.ndarray,
    name: str,
    measure: str,
    values: dict[str, Sequence[str]] | None,
    label_texts: Sequence[str] | None,
) -> dict:
    """A trace's ``customdata`` and ``hovertemplate``: the row and its score or rank, then (given)
    its label and a few columns' values, every piece of data text made literal and cut."""
    if values is None and label_texts is None:
        return {
            "customdata": rows[mask],
            "hovertemplate": f"row %{{customdata}}<br>{measure} %{{text}}<extra>{name}</extra>",
        }
    at = np.flatnonzero(mask).tolist()
    made: dict[str, str] = {}  # each distinct text made literal once: a category repeats over many rows

    def cells(texts: Sequence[str]) -> list[str]:
        for text in {texts[i] for i in at} - made.keys():
            made[text] = literal(text, HOVER_VALUE)
        return [made[texts[i]] for i in at]

    pieces, template = [rows[at].tolist()], f"row %{{customdata[0]}} · {measure} %{{text}}"
    if label_texts is not None and name != "unlabelled":
        pieces.append(cells(label_texts))
        template += f"<br>%{{customdata[{len(pieces) - 1}]}}"
    for column, texts in (values or {}).items():
        pieces.append(cells(texts))
        template += f"<br>{literal(column, HOVER_NAME)}: %{{customdata[{len(pieces) - 1}]}}"
    data = np.empty((len(at), len(pieces)), dtype=object)  # an array: plotly checks a list cell by cell
    for k, piece in enumerate(pieces):
        data[:, k] = piece
    return {"customdata": data, "hovertemplate": f"{template}<extra>{name}</extra>"}


def _colorbar(by_rank: bool) -> dict:
    if not by_rank:
        return {"title": {"text": "score"}}
    return {"title": {"text": "more<br>anomalous", "side": "top"}, "showticklabels": False}


def selected_rows(event) -> list[int]:
    """Row numbers of the points selected on an :func:`explore_figure` (box, lasso or click).

    Accepts Streamlit's selection state or the same thing as a plain dict.
    """
    if not event:
        return []
    points = event["selection"]["points"] or []
    rows = []
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list | tuple):
            data = data[0] if data else None
        if data is not None:
            rows.append(int(data))
    return sorted(set(rows))


def robust_range(values: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` of ``values``, unless a few stretch far above the rest: when the top 1 %
    (at least one value) spans more than everything below it, the range ends below them, so
    that a handful of rows does not flatten the colours of all the others.

    >>> [round(v, 3) for v in robust_range(np.r_[np.linspace(0, 1, 200), 400.0])]
    [0.0, 0.995]
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return 0.0, 1.0
    ordered = np.sort(values)
    low, high = float(ordered[0]), float(ordered[-1])
    body = (
        float(ordered[-1 - max(1, len(ordered) // 100)]) if len(ordered) > 2 else high
    )  # without the top 1 %
    return (low, body) if body > low and high - body > body - low else (low, high)


def score_histogram(scores: np.ndarray, labels: np.ndarray, ranks: np.ndarray | None = None) -> go.Figure:
    """Histogram of the unlabelled rows' scores, with the labelled rows marked beneath it.

    Feedback lifts labelled anomalies far above every other row; the axis spans the
    unlabelled rows (and labelled ones near them), and labelled rows beyond it are drawn at
    its right edge as triangles, their score in the hover (with ``ranks``, every row's rank:
    their rank instead, and the axis carries no numbers).
    """
    open_scores = scores[labels == -1] if (labels == -1).any() else scores
    low, high = robust_range(open_scores)
    edge = high + 0.2 * max(high - low, 1e-9)
    # Binned here: the browser gets 60 bars, not one number per row (800 kB at 60k rows); the
    # few rows of a long tail beyond the range are counted in the last bar.
    counts, edges = np.histogram(np.minimum(open_scores, high), bins=60, range=(low, max(high, low + 1e-12)))
    fig = go.Figure(
        go.Bar(
            x=(edges[:-1] + edges[1:]) / 2,
            y=counts,
            width=np.diff(edges),
            name="unlabelled rows",
            marker={"color": "#9e9e9e"},
            customdata=np.column_stack([edges[:-1], edges[1:]]),
            hovertemplate="%{y:,} rows scored %{customdata[0]:.4f} to %{customdata[1]:.4f}<extra></extra>"
            if ranks is None
            else "%{y:,} rows<extra></extra>",
        )
    )
    for name, value, color, symbol in (
        ("nominal", 0, _NOMINAL, "circle-open"),
        ("anomaly", 1, _ANOMALY, "x"),
    ):
        marked = scores[labels == value]
        beyond = marked > edge
        fig.add_trace(
            go.Scatter(
                x=np.minimum(marked, edge),
                y=np.zeros(len(marked)),
                customdata=marked if ranks is None else ranks[labels == value],
                mode="markers",
                name=f"labelled {name}",
                marker={
                    "color": color,
                    "symbol": np.where(beyond, "triangle-right", symbol).tolist(),
                    "size": 9,
                },
                hovertemplate="score %{customdata:.4f}<extra></extra>"
                if ranks is None
                else "rank %{customdata:,}<extra></extra>",
            )
        )
    fig.update_layout(
        xaxis_title="anomaly score (higher = more anomalous); ▶ labelled rows beyond the axis",
        xaxis_showticklabels=ranks is None,
        xaxis_range=[low - 0.02 * (edge - low), edge + 0.03 * (edge - low)],
        yaxis_title="rows",
        template="plotly_white",
        bargap=0,
        height=320,
        margin={"t": 30},
        legend={"orientation": "h", "y": 1.15},
    )
    return fig


def progress_figure(curves: dict, *, n_anomalies: int | None = None) -> go.Figure:
    """The live discovery curve of a session: anomalies found against rows labelled.

    A corrected label is not a new row (see :meth:`aad.Session.discovery`).

    Parameters
    ----------
    curves : dict
        ``Session.discovery()``: ``labels`` and ``found``; with ground truth also
        ``truth_found`` and ``baseline_found`` (the no-feedback ranking).
    n_anomalies : int, optional
        True anomalies in the data, for the "every label an anomaly" line.
    """
    x = np.asarray(curves["labels"])
    fig = go.Figure()
    # Drawn from the back: the references first, the analyst's curve last, on top of them
    # (where they coincide it stays visible); ``legendrank`` keeps the analyst's first.
    if n_anomalies is not None and len(x):
        _ideal(fig, x, n_anomalies)
    if "truth_found" in curves:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=curves["baseline_found"],
                name="no-feedback ranking (ground truth)",
                line={"color": _BASELINE, "dash": "dash", "shape": "hv"},
                legendrank=3,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=curves["truth_found"],
                name="true anomalies among your labels",
                line={"color": _FEEDBACK, "dash": "dot", "shape": "hv", "width": 2},
                legendrank=2,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=curves["found"],
            name="anomalies found (your labels)",
            mode="lines+markers",
            line={"color": _FEEDBACK, "width": 3, "shape": "hv"},
            legendrank=1,
        )
    )
    whole = {"dtick": 1} if len(x) and x.max() < 10 else {}  # no tick at 1.5 labels
    fig.update_xaxes(title="rows labelled", **whole)
    fig.update_yaxes(title="anomalies found", rangemode="tozero", **whole)
    fig.update_layout(
        template="plotly_white",
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        margin={"t": 20},
        height=420,
    )
    return fig


def member_weights_figure(path: dict) -> go.Figure:
    """An ensemble's learned member weights against the labels applied.

    Parameters
    ----------
    path : dict
        ``Session.member_weights()``: ``members`` (names), ``labels`` (0, 1, ...) and
        ``weights`` of shape (len(labels), n_members), row 0 the uniform start.
    """
    x = np.asarray(path["labels"])
    weights = np.asarray(path["weights"], dtype=float)
    fig = go.Figure()
    fig.add_hline(y=1.0, line={"color": _BASELINE, "dash": "dot", "width": 1})
    for j, name in enumerate(path["members"]):
        fig.add_trace(
            go.Scatter(x=x, y=weights[:, j], name=plain(str(name)), mode="lines", line={"shape": "hv"})
        )
    fig.update_layout(
        xaxis_title="labels applied",
        yaxis_title="member weight (1 = the uniform start, 0 = ignored)",
        yaxis={"rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 30},
    )
    return fig


def stream_figure(summary: dict) -> go.Figure:
    """Anomalies found window by window in a replayed stream (``aad stream --plot``).

    Parameters
    ----------
    summary : dict
        ``StreamResult.to_dict()``: ``runs`` (each with ``windows``: ``found``,
        ``no_replacement_found``, ``trees_replaced``, ``drift_alarm``) and
        ``batch_mean_found``.

    Returns
    -------
    plotly.graph_objects.Figure
        The cumulative mean found with drift handling and with fixed trees, batch AAD's
        total as a line, and markers where trees were replaced or ADWIN alarmed (run 1).
    """
    runs = summary["runs"]
    found = np.array([[w["found"] for w in run["windows"]] for run in runs], dtype=float)
    fixed = np.array([[w["no_replacement_found"] for w in run["windows"]] for run in runs], dtype=float)
    x = np.arange(1, found.shape[1] + 1)
    with_drift, without = np.cumsum(found.mean(axis=0)), np.cumsum(fixed.mean(axis=0))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=x, y=with_drift, name="stream, drifted trees regrown", line={"color": _FEEDBACK})
    )
    fig.add_trace(
        go.Scatter(x=x, y=without, name="stream, fixed trees", line={"color": _BASELINE, "dash": "dash"})
    )
    if summary.get("batch_mean_found", -1) >= 0:
        fig.add_hline(
            y=summary["batch_mean_found"],
            line={"color": _IFOREST, "dash": "dot"},
            annotation_text="batch AAD",
        )
    first = runs[0]["windows"]
    replaced = [k for k, w in enumerate(first) if w["trees_replaced"]]
    alarms = [k for k, w in enumerate(first) if w["drift_alarm"]]
    fig.add_trace(
        go.Scatter(
            x=x[replaced],
            y=with_drift[replaced],
            mode="markers",
            name="trees replaced",
            marker={"symbol": "triangle-up", "size": 11},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x[alarms],
            y=with_drift[alarms],
            mode="markers",
            name="ADWIN alarm",
            marker={"symbol": "x", "size": 10},
        )
    )
    fig.update_layout(
        title=f"Stream: {summary['n_rows']:,} rows in windows of {summary['window']}, "
        f"{summary['budget_per_window']} labels per window",
        xaxis_title="window",
        yaxis_title="anomalies found (cumulative, mean over runs)",
        template="plotly_white",
    )
    return fig


def growth_figure(before: np.ndarray, after: np.ndarray, n_before: int) -> go.Figure:
    """The score distribution before and after rows were added to a session.

    Parameters
    ----------
    before : ndarray of shape (n_before,)
        The scores of the rows the session had, before the addition.
    after : ndarray of shape (n_before + n_added,)
        Every row's score after it (the new rows last).
    n_before : int

    Returns
    -------
    plotly.graph_objects.Figure
        Three overlaid histograms on one scale: the old rows before, the old rows after, the
        new rows.
    """
    after = np.asarray(after, dtype=float)
    fig = go.Figure()
    for values, name, color in (
        (np.asarray(before, dtype=float), "rows before, scored before", _BASELINE),
        (after[:n_before], "rows before, scored after", _IFOREST),
        (after[n_before:], "rows added", _FEEDBACK),
    ):
        fig.add_trace(
            go.Histogram(x=values, name=name, opacity=0.55, marker={"color": color}, histnorm="percent")
        )
    fig.update_layout(
        barmode="overlay",
        title="Scores before and after the latest rows were added",
        xaxis_title="anomaly score (higher: more anomalous)",
        yaxis_title="% of the rows",
        template="plotly_white",
    )
    return fig
