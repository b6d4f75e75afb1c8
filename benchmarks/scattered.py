"""Where feedback does not help: anomalies that share nothing, each in its own direction.

AAD assumes anomalies come in kinds, so that a labelled anomaly's leaves hold more of
them. This table breaks that assumption on purpose: standard-normal rows in 8-D and 50
anomalies at radius 5-7, each in its own random direction (seed 7). A labelled anomaly
then lifts its nominal neighbours, and the default update finds fewer anomalies than the
isolation forest's own order. The benchmark measures how many, against a smaller ``eta``
and the hinge loss (which stops pushing once a labelled anomaly ranks high), and against
coniferest when it is installed (``make bench``).

    python benchmarks/scattered.py               # 10,000 rows, about 2 minutes
    python benchmarks/scattered.py --rows 50000  # the gap grows with the table

Writes ``results/scattered.md`` and ``results/scattered.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from heldout import coniferest_found  # the same coniferest loop as the held-out tables

import aad

RESULTS = Path(__file__).with_name("results")
BUDGET, RERUNS, SEED = 100, 5, 7
VARIANTS = {"aad (defaults)": {}, "aad --eta 0.1": {"eta": 0.1}, "aad --loss hinge": {"loss": "hinge"}}


def scattered(rows: int, *, anomalies: int = 50, dim: int = 8) -> aad.Dataset:
    """``rows`` standard-normal rows and ``anomalies`` far points, each in its own direction."""
    rng = np.random.default_rng(SEED)
    nominal = rng.normal(size=(rows, dim))
    directions = rng.normal(size=(anomalies, dim))
    far = directions / np.linalg.norm(directions, axis=1, keepdims=True) * rng.uniform(5, 7, (anomalies, 1))
    frame = pd.DataFrame(np.vstack([nominal, far]), columns=[f"f{i}" for i in range(dim)])
    frame["label"] = np.r_[np.zeros(rows, int), np.ones(anomalies, int)]
    return aad.dataset_from_frame(frame, label_column="label", name=f"scattered-{rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--no-coniferest", action="store_true", help="skip coniferest (slow at 50k rows)")
    args = parser.parse_args()
    data = scattered(args.rows)
    rows, baseline = [], None
    for name, params in VARIANTS.items():
        result = aad.simulate(data, budget=BUDGET, reruns=RERUNS, model_params=params)
        baseline = float(result.baseline_mean_found[-1])
        found = [float(run.found[-1]) for run in result.runs]
        rows.append({"method": name, "found": found})
        print(f"{name:20s} {np.mean(found):5.1f} ± {np.std(found):.1f}", flush=True)
    theirs = None if args.no_coniferest else coniferest_found(data.X, data.y.astype(bool), reruns=RERUNS)
    if theirs is not None:
        rows.append({"method": "coniferest", "found": theirs})
        print(f"{'coniferest':20s} {np.mean(theirs):5.1f} ± {np.std(theirs):.1f}", flush=True)
    lines = [
        f"Scattered anomalies, {args.rows:,} rows, 50 anomalies, budget {BUDGET}, {RERUNS} runs "
        f"(`python benchmarks/scattered.py --rows {args.rows}`)\n",
        "| method | found at 100 |",
        "|---|---|",
        f"| no feedback (the isolation forest's order) | {baseline:.1f} |",
        *(f"| {r['method']} | {np.mean(r['found']):.1f} ± {np.std(r['found']):.1f} |" for r in rows),
    ]
    RESULTS.mkdir(exist_ok=True)
    stem = "scattered" if args.rows == 10_000 else f"scattered_{args.rows}"
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    (RESULTS / f"{stem}.json").write_text(json.dumps({"rows": args.rows, "baseline": baseline, "runs": rows}))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
