"""Chart builders: pure functions from results to plotly figures."""

from __future__ import annotations

import aad
from app.charts import discovery_figure


def test_discovery_figure_shows_feedback_against_both_baselines(toy2):
    summary = aad.simulate(toy2, budget=15, reruns=2).to_dict()
    fig = discovery_figure(summary)
    names = [trace.name for trace in fig.data]
    assert {"with feedback (AAD)", "no feedback", "isolation forest", "every label an anomaly"} <= set(names)
    mean = next(t for t in fig.data if t.name == "with feedback (AAD)")
    assert list(mean.y) == summary["mean_found"]
    assert list(mean.x) == list(range(1, 16))
    assert fig.layout.xaxis.title.text == "labels spent"
