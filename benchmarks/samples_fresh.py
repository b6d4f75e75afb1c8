"""Rows per tree (256, 384, 512) on fresh tables: neither the tuning tables nor the reported ones.

A check made after 512 rows per tree was chosen on the 26 tuning tables (``choose.py --only
samples``): two more draws of every generator of ``generated.py`` (seeds 3001 and 3002; the
tuning tables use 1001 and 1002, the held-out ones others) and three ``make_classification``
tables with a 3 % class and other settings. The default queue, 200 trees, budget 100 (a
quarter of the rows on small tables), top-1 queries, 10 runs. Writes
``results/samples_fresh.md`` and ``results/samples_fresh.json``.

    python benchmarks/samples_fresh.py [--workers 2]     # about 12 minutes on 2 cores
    python benchmarks/samples_fresh.py --first-seed 10 --samples 384,512   # more seeds: its own file
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
import choose
import generated

RESULTS = Path(__file__).with_name("results")
SAMPLES = (256, 384, 512)
RERUNS = 10


def tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Name -> (X, y), the same every time."""
    out = {}
    for seed in (3001, 3002):
        rng = np.random.default_rng(seed)
        for name in ("clusters", "shell", "noisy", "lowvar", "dense", "mixed"):
            out[f"{name}-{seed}"] = choose._xy(*generated.GENERATORS[name](rng))
        out[f"scattered-{seed}"] = choose._xy(*generated.scattered(rng, rows=10_000))
    for i, (sep, clusters, n_features) in enumerate([(1.1, 2, 9), (0.9, 1, 14), (1.3, 3, 10)]):
        out[f"classif-f{i}"] = choose.classification(sep, clusters, n_features, seed=900 + i)
    return out


TABLES = tables()


def run(job: tuple[str, int, int]) -> tuple[str, int, int, int]:
    """Anomalies found on one table with one number of rows per tree and one seed."""
    name, samples, seed = job
    X, y = TABLES[name]
    result = aad.simulate_run(
        X, y, budget=min(100, len(y) // 4), seed=seed, model_params={"max_samples": samples}
    )
    return name, samples, seed, int(result.found[-1])


def report(found: dict[str, dict[str, int]], samples=SAMPLES, seeds=range(RERUNS), command="") -> str:
    """The Markdown table of ``found`` (``"table|samples"`` -> seed -> found)."""
    get = lambda name, s: np.array([found[f"{name}|{s}"][str(k)] for k in seeds])  # noqa: E731
    lines = ["| table | " + " | ".join(f"{s} rows" for s in samples) + " |", "|---|" + "---|" * len(samples)]
    lines += [f"| {n} | " + " | ".join(f"{get(n, s).mean():.1f}" for s in samples) + " |" for n in TABLES]
    totals = {s: sum(get(n, s) for n in TABLES) for s in samples}
    lines.append("| **total** | " + " | ".join(f"**{totals[s].mean():.1f}**" for s in samples) + " |")
    pairs = [
        f"{b} against {a}: {(totals[b] - totals[a]).mean():+.1f} ± "
        f"{(totals[b] - totals[a]).std(ddof=1) / np.sqrt(len(seeds)):.1f}"
        for i, a in enumerate(samples)
        for b in samples[i + 1 :]
    ]
    head = f"Fresh tables, {len(seeds)} runs each (`python benchmarks/samples_fresh.py{command}`)"
    return head + "\n\n" + "\n".join(lines) + "\n\nPaired by seed (standard error): " + "; ".join(pairs) + "."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed of the runs")
    parser.add_argument("--reruns", type=int, default=RERUNS)
    parser.add_argument(
        "--samples", default=",".join(map(str, SAMPLES)), help="rows per tree, comma-separated"
    )
    args = parser.parse_args()
    try:
        samples = tuple(int(s) for s in args.samples.split(","))
    except ValueError:
        parser.error(f"--samples takes whole numbers separated by commas, like 384,512; got {args.samples!r}")
    seeds = range(args.first_seed, args.first_seed + args.reruns)
    jobs = [(n, s, k) for n in TABLES for s in samples for k in seeds]
    found: dict[str, dict[str, int]] = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for name, size, seed, n in pool.map(run, jobs, chunksize=4):
            found.setdefault(f"{name}|{size}", {})[str(seed)] = n
    RESULTS.mkdir(exist_ok=True)
    default = seeds == range(RERUNS) and samples == SAMPLES
    command = "" if default else f" --first-seed {seeds.start} --reruns {len(seeds)} --samples {args.samples}"
    text = report(found, samples, seeds, command)
    stem = "samples_fresh" if default else f"samples_fresh_seeds{seeds.start}-{seeds.stop - 1}"
    (RESULTS / f"{stem}.md").write_text(text + "\n")
    (RESULTS / f"{stem}.json").write_text(json.dumps(found))
    print(text)


if __name__ == "__main__":
    main()
