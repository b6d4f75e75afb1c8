"""Anomalies that share nothing, each in its own direction: does feedback cost anything?

AAD assumes anomalies come in kinds, so that a labelled anomaly's leaves hold more of
them. This table breaks that assumption on purpose: standard-normal rows in 8-D and 50
anomalies at radius 5-7, each in its own random direction (seed 7; ``generated.scattered``).
A labelled anomaly then lifts its nominal neighbours: the learned model alone finds fewer
anomalies than the isolation forest's own order, and the gap grows with the table (the
forest's leaves, drawn from 512 rows, hold more data rows each). The adaptive queue keeps
a record of what each ranking's proposals turned out to be, and follows the forest's order
here (:mod:`aad.portfolio`).

Measured at 10,000 and 50,000 rows, 10 runs each, budget 100: the forest's order, aad
(adaptive queue), aad following the learned model alone, and the peers (``peers.py``;
their runs are cached in ``results/peer_runs.json``).

    python benchmarks/scattered.py                 # both sizes
    python benchmarks/scattered.py --rows 10000    # one

Writes ``results/scattered.md`` and ``results/scattered.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import aad

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generated
import peers
from heldout import frame

RESULTS = Path(__file__).with_name("results")
BUDGET, RERUNS, SEED = 100, 10, 7
QUEUES = {"aad": "adaptive", "aad, learned model alone": "feedback"}


def scattered(rows: int) -> aad.Dataset:
    """``rows`` standard-normal rows and 50 far points, each in its own direction."""
    nominal, far = generated.scattered(np.random.default_rng(SEED), rows=rows)
    return aad.dataset_from_frame(frame(nominal, far), name=f"scattered-{rows}")


def measure(rows: int) -> dict:
    data = scattered(rows)
    out: dict = {"rows": rows}
    for method, queue in QUEUES.items():
        result = aad.simulate(data, budget=BUDGET, reruns=RERUNS, queue=queue)
        out["no feedback"] = [float(r.iforest_found[-1]) for r in result.runs]
        out[method] = [float(r.found[-1]) for r in result.runs]
        print(f"{rows:>7,} {method:28s} {np.mean(out[method]):5.1f}", flush=True)
    for name in peers.PEERS:
        runs = peers.peer_runs(name, data.X, data.y.astype(bool), budget=BUDGET, seeds=range(RERUNS))
        out[name] = None if runs is None else [float(data.y[q].sum()) for q in runs]
    return out


def table(results: list[dict]) -> str:
    methods = ["no feedback", *QUEUES, *peers.PEERS]
    lines = [
        "| method | " + " | ".join(f"{r['rows']:,} rows" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for m in methods:
        cells = [
            "not installed" if r[m] is None else f"{np.mean(r[m]):.1f} ± {np.std(r[m]):.1f}" for r in results
        ]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return (
        f"Scattered anomalies (50), budget {BUDGET}, {RERUNS} runs (`python benchmarks/scattered.py`)\n\n"
        + "\n".join(lines)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000])
    args = parser.parse_args()
    results = [measure(rows) for rows in args.rows]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scattered.md").write_text(table(results) + "\n")
    (RESULTS / "scattered.json").write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
