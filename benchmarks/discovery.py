"""Discovery curves on the shipped benchmark datasets, against the published figures and the peers.

Runs ``aad.simulate`` (10 reruns, seeds 0..9, top-1 queries) at budget 100 on every
shipped dataset and at budget 300 on abalone, ann_thyroid_1v3, cardiotocography_1 and
yeast: with the adaptive queue (the default), with the learned model alone (the queue
before the portfolio) and with the reference hinge loss. At budget 100 the peers run in
the same run, on the same data with the same seeds (``peers.py``: coniferest and BALIF;
their runs are cached in ``results/peer_runs.json``). Writes a Markdown table
(``results/discovery.md``) and the raw numbers (``results/discovery.json``).

The reference AAD figures (and coniferest's at budget 300) are the ones measured on these
machines and published in ``../shared/reference.md`` (10 reruns, their own seeds).

    python benchmarks/discovery.py            # everything (about 22 minutes on 2 cores, peers cached)
    python benchmarks/discovery.py --quick    # budget 100 only, adaptive only
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import aad

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # the peers' runs, cached

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


#: name -> (queue, loss) of the aad variants measured.
VARIANTS = {
    "adaptive": ("adaptive", "linear"),
    "alone": ("feedback", "linear"),
    "hinge": ("feedback", "hinge"),
}


def run(job: tuple[str, int, str]) -> dict:
    name, budget, variant = job
    queue, loss = VARIANTS[variant]
    start = time.perf_counter()
    data = aad.load_dataset(name)
    result = aad.simulate(data, budget=budget, reruns=10, queue=queue, model_params={"loss": loss})
    final = np.array([r.found[-1] for r in result.runs])
    return {
        "dataset": name,
        "budget": budget,
        "variant": variant,
        "n_rows": result.n_rows,
        "n_anomalies": result.n_anomalies,
        "mean": float(final.mean()),
        "std": float(final.std()),
        "baseline": float(result.baseline_mean_found[-1]),
        "iforest": float(result.iforest_mean_found[-1]),
        "ms_per_label": 1000 * result.seconds_per_label_median,
        "seconds": time.perf_counter() - start,
        **({} if budget > 100 or variant != "adaptive" else _peers(data, budget)),
    }


def _peers(data: aad.Dataset, budget: int) -> dict:
    """Each peer's mean and sd found, same data, seeds (0..9) and budget; None if not installed."""
    out = {}
    for name in peers.PEERS:
        runs = peers.peer_runs(name, data.X, data.y.astype(bool), budget=budget, seeds=range(10))
        found = None if runs is None else np.array([data.y[r].sum() for r in runs], dtype=float)
        out[name] = None if found is None else {"mean": float(found.mean()), "std": float(found.std())}
    return out


def _fmt(row: dict | None) -> str:
    return "" if row is None else f"{row['mean']:.1f} ± {row['std']:.1f}"


def _peer(ours: dict, name: str, published: float) -> tuple[str, float]:
    """A peer's cell (measured here at budget 100, else the published figure) and its mean."""
    if name in ours and ours[name] is not None:
        return _fmt(ours[name]), ours[name]["mean"]
    if name == "coniferest":
        return f"{published} (published)", published
    return "", -np.inf


def table(rows: list[dict]) -> str:
    by = {(r["dataset"], r["budget"], r["variant"]): r for r in rows}
    lines = [
        "| dataset | rows | anomalies | budget | isolation forest | reference AAD | coniferest | BALIF "
        "| **aad** | aad, learned model alone | aad (hinge loss) | ms / label |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (name, budget), (ref, con) in PUBLISHED.items():
        ours = by.get((name, budget, "adaptive"))
        if ours is None:
            continue
        con_cell, con_mean = _peer(ours, "coniferest", con)
        bal_cell, bal_mean = _peer(ours, "BALIF", con)
        best = max(ref, con_mean, bal_mean, ours["iforest"])
        mark = "**" if ours["mean"] >= best - ours["std"] / np.sqrt(10) else ""  # within one standard error
        lines.append(
            f"| {name} | {ours['n_rows']} | {ours['n_anomalies']} | {budget} | {ours['iforest']:.1f} "
            f"| {ref} | {con_cell} | {bal_cell} | {mark}{_fmt(ours)}{mark} "
            f"| {_fmt(by.get((name, budget, 'alone')))} | {_fmt(by.get((name, budget, 'hinge')))} "
            f"| {ours['ms_per_label']:.2f} |"
        )
    for budget in (100, 300):
        keys = [(n, b) for (n, b) in PUBLISHED if b == budget and (n, b, "adaptive") in by]
        ours = sum(by[(n, b, "adaptive")]["mean"] for n, b in keys)
        alone = sum(by[(n, b, "alone")]["mean"] for n, b in keys if (n, b, "alone") in by)
        lines.append(
            f"\nTotal at budget {budget}: aad {ours:.1f}, learned model alone {alone:.1f}, "
            f"the better published figure per row {sum(max(PUBLISHED[k]) for k in keys):.1f}."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="budget 100, the adaptive queue only")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    variants = ("adaptive",) if args.quick else tuple(VARIANTS)
    jobs = [(n, b, v) for (n, b) in PUBLISHED if not (args.quick and b > 100) for v in variants]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(run, jobs))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "discovery.json").write_text(json.dumps(rows, indent=1))
    text = table(rows)
    (RESULTS / "discovery.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
