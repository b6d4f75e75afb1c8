"""Diverse query batches against top-k: anomalies found, and anomaly classes per batch.

For each dataset and budget, batches of 3, ``--reruns`` seeded runs per strategy (the same
seeds for every strategy, so differences are paired). Per strategy: anomalies found at
the budget (mean ± sd), the paired difference from ``top`` (± standard error), distinct
anomaly classes among each batch's anomalies (``mean_classes_per_batch`` of
``aad simulate``), distinct classes per batch counting the nominal class too (the
reference's measure), the mean found after a third and two thirds of the budget, and the
labels spent until every anomaly class had been found (the budget + 1 when not all were).
Class files: ``datasets/<name>_classes.csv``. Writes ``results/diverse.{json,md}``.

``--wide`` runs every shipped dataset at budget 100 instead (``top``, ``bal-d``,
``bal-e``): whether the two settings above generalise. Writes
``results/diverse_wide.{json,md}``.

    python benchmarks/bench_diverse.py [--reruns 10] [--wide]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from rich.progress import track

import aad
from aad.data import load_classes
from aad.simulate import simulate

RESULTS = Path(__file__).with_name("results")
SETTINGS = [("toy2", 45), ("yeast", 100)]  # toy2 at the reference's budget
STRATEGIES = ["top", "top-random", "bal-d", "bal-e"]
WIDE_BUDGET = 100
WIDE_STRATEGIES = ["top", "bal-d", "bal-e"]
BATCH = 3


def summarise(result, classes: np.ndarray, y: np.ndarray) -> dict:
    found = np.array([run.found for run in result.runs])
    n_classes = len(set(classes[y]))
    until = [
        int(np.argmax(run.classes_found >= n_classes)) + 1
        if run.classes_found[-1] >= n_classes
        else result.budget + 1
        for run in result.runs
    ]
    all_classes = [
        len(set(classes[run.queried[i : i + BATCH]]))
        for run in result.runs
        for i in range(0, result.budget, BATCH)
    ]
    third = result.budget // 3
    return {
        "found": found[:, -1].tolist(),
        "found_at_thirds": [float(found[:, third - 1].mean()), float(found[:, 2 * third - 1].mean())],
        "anomaly_classes_per_batch": result.to_dict()["mean_classes_per_batch"],
        "all_classes_per_batch": float(np.mean(all_classes)),
        "labels_until_every_class": float(np.mean(until)),
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| dataset | strategy | found (± sd) | vs `top`, paired (± se) | found at 1/3, 2/3 of the budget "
        "| anomaly classes / batch | all classes / batch | labels until every class is found |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        found = np.asarray(r["found"])
        diff = found - np.asarray(r["top_found"])
        versus = (
            ""
            if r["strategy"] == "top"
            else f"{diff.mean():+.1f} ± {diff.std(ddof=1) / np.sqrt(len(diff)):.1f}"
        )
        early, late = r["found_at_thirds"]
        lines.append(
            f"| {r['dataset']} @{r['budget']} | {r['strategy']} | {found.mean():.1f} ± {found.std():.1f} "
            f"| {versus} | {early:.1f}, {late:.1f} | {r['anomaly_classes_per_batch']:.2f} "
            f"| {r['all_classes_per_batch']:.2f} | {r['labels_until_every_class']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--wide", action="store_true", help=f"every shipped dataset at budget {WIDE_BUDGET}")
    args = parser.parse_args()
    if args.wide:
        settings = [(name, WIDE_BUDGET) for name in aad.list_datasets()]
        strategies, stem = WIDE_STRATEGIES, "diverse_wide"
    else:
        settings, strategies, stem = SETTINGS, STRATEGIES, "diverse"
    rows = []
    jobs = [(name, budget, strategy) for name, budget in settings for strategy in strategies]
    top_found: dict[str, list] = {}
    for name, budget, strategy in track(jobs, description="diverse batches"):
        data = aad.load_dataset(name)
        classes = load_classes(name)
        result = simulate(
            data, budget=budget, reruns=args.reruns, strategy=strategy, batch_size=BATCH, classes=classes
        )
        row = {"dataset": name, "budget": budget, "strategy": strategy, **summarise(result, classes, data.y)}
        top_found.setdefault(name, row["found"])
        rows.append({**row, "top_found": top_found[name]})
    text = table(rows)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(rows, indent=1))
    command = "python benchmarks/bench_diverse.py" + (" --wide" if args.wide else "")
    header = f"Batches of {BATCH}, {args.reruns} reruns (seeds 0..{args.reruns - 1}); `{command}`."
    (RESULTS / f"{stem}.md").write_text(f"{header}\n\n{text}\n")


if __name__ == "__main__":
    main()
