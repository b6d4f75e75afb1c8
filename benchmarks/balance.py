"""The class-balance exponent: anomalies found at budget 100 for several values of ``balance``.

``AADForest(balance=b)`` weights one anomaly label by ``2 (|L| / (2 |A|)) ** b`` and one
nominal label likewise (:func:`aad.weights.class_weights`): ``b = 1`` is the fully balanced
update of the AAD papers, ``b = 0`` weighs every label the same. This benchmark is how the
default was chosen: every shipped dataset and every held-out table of ``heldout.py``,
``--reruns`` seeds each (0, 1, ...), top-1 queries, budget 100. It reports the mean found
per table and value, and each value's total against ``b = 1``. Writes
``results/balance.md`` and ``results/balance.json``.

    python benchmarks/balance.py [--reruns 20] [--values 0.5 0.75 0.8 0.85 1]
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import aad

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout  # the held-out tables, built the same way every time

RESULTS = Path(__file__).with_name("results")
BUDGET = 100


def _data(name: str) -> aad.Dataset:
    tables = heldout.tables()
    if name in tables:
        return aad.dataset_from_frame(heldout.frame(*tables[name]), name=name)
    return aad.load_dataset(name)


def run(job: tuple[str, float, int]) -> dict:
    name, balance, reruns = job
    result = aad.simulate(  # the learned model's own queue: the exponent weighs its update, nothing else
        _data(name), budget=BUDGET, reruns=reruns, queue="feedback", model_params={"balance": balance}
    )
    return {"dataset": name, "balance": balance, "found": [float(r.found[-1]) for r in result.runs]}


def table(rows: list[dict], values: list[float]) -> str:
    names = list(dict.fromkeys(r["dataset"] for r in rows))
    mean = {(r["dataset"], r["balance"]): float(np.mean(r["found"])) for r in rows}
    head = "| table | " + " | ".join(f"β = {v:g}" for v in values) + " |"
    lines = [head, "|---|" + "---|" * len(values)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{mean[(name, v)]:.1f}" for v in values) + " |")
    totals = [sum(mean[(n, v)] for n in names) for v in values]
    lines.append("| **total** | " + " | ".join(f"**{t:.1f}**" for t in totals) + " |")
    if 1.0 in values:
        ref = totals[values.index(1.0)]
        lines.append("| vs β = 1 | " + " | ".join(f"{t - ref:+.1f}" for t in totals) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=20)
    parser.add_argument("--values", type=float, nargs="+", default=[0.5, 0.75, 0.8, 0.85, 1.0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    names = aad.list_datasets() + list(heldout.tables())
    jobs = [(n, v, args.reruns) for n in names for v in args.values]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(run, jobs))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "balance.json").write_text(json.dumps(rows, indent=1))
    text = table(rows, args.values)
    (RESULTS / "balance.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
