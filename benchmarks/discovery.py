"""Discovery curves on the shipped benchmark datasets, against the published figures.

Runs ``aad.simulate`` (10 reruns, seeds 0..9, top-1 queries) at budget 100 on every
shipped dataset and at budget 300 on abalone, ann_thyroid_1v3, cardiotocography_1 and
yeast, with the default linear feedback and with the reference hinge loss, and writes a
Markdown table (``results/discovery.md``) and the raw numbers (``results/discovery.json``).

The reference AAD and coniferest figures are the ones measured on these machines and
published in ``../shared/reference.md`` (10 reruns, their own seeds).

    python benchmarks/discovery.py            # everything (about 10 minutes on 2 cores)
    python benchmarks/discovery.py --quick    # budget 100 only, linear only
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import aad

RESULTS = Path(__file__).with_name("results")
# (reference AAD, coniferest) anomalies found, from ../shared/reference.md
PUBLISHED = {
    ("toy2", 100): (30.8, 33.2),
    ("abalone", 100): (19.9, 22.3),
    ("ann_thyroid_1v3", 100): (63.8, 68.5),
    ("cardiotocography_1", 100): (42.8, 42.7),
    ("yeast", 100): (26.8, 26.9),
    ("mammography", 100): (86.5, 88.4),
    ("shuttle_1v23567", 100): (97.5, 99.1),
    ("abalone", 300): (24.3, 24.6),
    ("ann_thyroid_1v3", 300): (73.0, 72.6),
    ("cardiotocography_1", 300): (45.0, 44.6),
    ("yeast", 300): (35.2, 33.1),
}


def run(job: tuple[str, int, str]) -> dict:
    name, budget, loss = job
    start = time.perf_counter()
    result = aad.simulate(aad.load_dataset(name), budget=budget, reruns=10, model_params={"loss": loss})
    final = np.array([r.found[-1] for r in result.runs])
    return {
        "dataset": name,
        "budget": budget,
        "loss": loss,
        "n_rows": result.n_rows,
        "n_anomalies": result.n_anomalies,
        "mean": float(final.mean()),
        "std": float(final.std()),
        "baseline": float(result.baseline_mean_found[-1]),
        "iforest": float(result.iforest_mean_found[-1]),
        "ms_per_label": 1000 * result.seconds_per_label_median,
        "seconds": time.perf_counter() - start,
    }


def _fmt(row: dict | None) -> str:
    return "" if row is None else f"{row['mean']:.1f} ± {row['std']:.1f}"


def table(rows: list[dict]) -> str:
    by = {(r["dataset"], r["budget"], r["loss"]): r for r in rows}
    lines = [
        "| dataset | rows | anomalies | budget | isolation forest | reference AAD | coniferest "
        "| **aad** (linear) | aad (hinge loss) | ms / label |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (name, budget), (ref, con) in PUBLISHED.items():
        ours = by.get((name, budget, "linear"))
        if ours is None:
            continue
        hinge = by.get((name, budget, "hinge"))
        mark = "**" if ours["mean"] >= max(ref, con) else ""
        lines.append(
            f"| {name} | {ours['n_rows']} | {ours['n_anomalies']} | {budget} | {ours['iforest']:.1f} "
            f"| {ref} | {con} | {mark}{ours['mean']:.1f} ± {ours['std']:.1f}{mark} "
            f"| {_fmt(hinge)} "
            f"| {ours['ms_per_label']:.2f} |"
        )
    ours = [by[(n, b, "linear")]["mean"] for (n, b) in PUBLISHED if (n, b, "linear") in by]
    best = [max(PUBLISHED[(n, b)]) for (n, b) in PUBLISHED if (n, b, "linear") in by]
    lines.append(
        f"\nTotal over these settings: aad {sum(ours):.1f}, "
        f"the better published figure per row {sum(best):.1f}."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="budget 100, linear loss only")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    losses = ("linear",) if args.quick else ("linear", "hinge")
    jobs = [(n, b, loss) for (n, b) in PUBLISHED if not (args.quick and b > 100) for loss in losses]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(run, jobs))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "discovery.json").write_text(json.dumps(rows, indent=1))
    text = table(rows)
    (RESULTS / "discovery.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
