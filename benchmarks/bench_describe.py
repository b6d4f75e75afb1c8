"""How fast and how good compact descriptions are on the benchmark datasets.

Three settings, each with forest seeds 0..4:

* toy2 with its 35 ground-truth anomalies labelled (nothing else);
* ann_thyroid_1v3 and yeast after 100 simulated labels (top-1 queries, the same seed).

For each, ``aad.describe_anomalies`` runs ``--repeats`` times; the table reports the median
time of the integer program (``Description.seconds``) and of the whole description, the
number of rules, the share of labelled anomalies covered, the precision on the labels and
the precision against the ground truth (of the union of the rules). It writes
``results/describe.md`` and ``results/describe.json``.

    python benchmarks/bench_describe.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import aad
from aad.simulate import simulate_run

RESULTS = Path(__file__).with_name("results")
SETTINGS = [("toy2", "ground-truth anomalies"), ("ann_thyroid_1v3", "100 labels"), ("yeast", "100 labels")]


def labels_for(dataset: aad.Dataset, setting: str, seed: int) -> np.ndarray:
    """The labels of one setting: the ground-truth anomalies, or 100 simulated labels."""
    if setting == "ground-truth anomalies":
        return np.where(dataset.y, 1, -1)
    run = simulate_run(dataset.X, dataset.y, budget=100, seed=seed)
    labels = np.full(dataset.n_rows, -1)
    labels[run.queried] = dataset.y[run.queried]
    return labels


def measure(name: str, setting: str, seeds: range, repeats: int) -> dict:
    """Describe ``name`` once per seed, ``repeats`` times each, and summarise."""
    dataset = aad.load_dataset(name)
    solve, total, rows = [], [], []
    for seed in seeds:
        labels = labels_for(dataset, setting, seed)
        model = aad.AADForest(random_state=seed).fit(dataset.X, labels)
        for _ in range(repeats):
            start = time.perf_counter()
            description = aad.describe_anomalies(model, dataset)
            total.append(time.perf_counter() - start)
            solve.append(description.seconds)
        covered = description.mask(dataset.X)
        labelled = labels >= 0
        rows.append(
            {
                "seed": seed,
                "anomalies": int((labels == 1).sum()),
                "rules": len(description),
                "candidates": description.n_candidates,
                "coverage": float(covered[labels == 1].mean()),
                "label_precision": float((labels[covered & labelled] == 1).mean()),
                "true_precision": float(dataset.y[covered].mean()),
                "status": description.status,
            }
        )
    return {
        "dataset": name,
        "labels": setting,
        "solve_median_s": float(np.median(solve)),
        "solve_max_s": float(np.max(solve)),
        "describe_median_s": float(np.median(total)),
        "runs": rows,
    }


def table(results: list[dict]) -> str:
    """The summary as a Markdown table."""
    head = (
        "| dataset | labels | labelled anomalies | rules | covered | precision (labels) "
        "| precision (truth) | IP median / max (s) | describe median (s) |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in results:
        runs = r["runs"]

        def mean(key: str, runs=runs) -> float:
            return float(np.mean([run[key] for run in runs]))

        lines.append(
            f"| {r['dataset']} | {r['labels']} | {mean('anomalies'):.1f} | {mean('rules'):.1f} "
            f"({min(x['rules'] for x in runs)}-{max(x['rules'] for x in runs)}) | {mean('coverage'):.0%} "
            f"| {mean('label_precision'):.2f} | {mean('true_precision'):.2f} "
            f"| {r['solve_median_s']:.3f} / {r['solve_max_s']:.3f} | {r['describe_median_s']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Run every setting and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = [measure(name, setting, range(args.seeds), args.repeats) for name, setting in SETTINGS]
    text = table(results)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "describe.md").write_text(
        "# Compact descriptions: quality and integer-program time\n\n"
        f"Forest seeds 0..{args.seeds - 1}, {args.repeats} repeats each; "
        "`python benchmarks/bench_describe.py`.\n\n" + text + "\n"
    )
    (RESULTS / "describe.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
