"""Pure plotly figure builders: arrays in, figures out, no Streamlit.

Shared by the workbench pages and ``aad simulate --plot``; tested without a browser.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

__all__ = ["discovery_figure"]

_FEEDBACK = "#d62728"
_BASELINE = "#7f7f7f"
_IFOREST = "#1f77b4"


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
    std = np.asarray(summary["std_found"], dtype=float)
    labels = np.arange(1, len(mean) + 1)
    runs = np.array([run["found"] for run in summary["runs"]], dtype=float)
    fig = go.Figure()
    _band(fig, labels, runs.min(axis=0), runs.max(axis=0), "min–max over runs", 0.10)
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
        title=title or f"{summary['dataset']}: anomalies found vs labels spent ({len(runs)} runs)",
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


def _ideal(fig: go.Figure, x: np.ndarray, n_anomalies: int) -> None:
    fig.add_trace(
        go.Scatter(
            x=x,
            y=np.minimum(x, n_anomalies),
            name="every label an anomaly",
            line={"color": "#2ca02c", "width": 1, "dash": "dot"},
            opacity=0.6,
        )
    )
