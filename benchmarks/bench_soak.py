"""Soak: 500 labels in a row at 100k rows. Does memory grow? Does a label get slower?

Labels the top query 500 times (ground truth from the synthetic data), recording the
wall time of every label (label -> weights -> every row rescored -> next query) and the
process's resident memory every 50 labels. Reports the median latency of each block of
100 labels, the ratio last/first block, and memory at the start and the end. Writes
``results/soak.json`` and ``results/soak.md``.

    python benchmarks/bench_soak.py [--rows 100000] [--labels 500]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import aad
from aad.benchmark import make_benchmark_data
from aad.query import QueryContext, select_queries

RESULTS = Path(__file__).with_name("results")


def rss_mb() -> float:
    """Current resident memory of this process (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--labels", type=int, default=500)
    args = parser.parse_args()
    X, y = make_benchmark_data(args.rows, 20, random_state=0)
    model = aad.AADForest(random_state=0).fit(X)
    learner = aad.ActiveLearner(model, X)
    memory = [(0, rss_mb())]
    leaf_sizes = [np.bincount(index) for index in model.leaf_index_]
    latencies, touched = [], []
    row = int(learner.next_queries(1)[0])
    for i in range(1, args.labels + 1):
        touched.append(sum(int(leaf_sizes[t][model.leaf_index_[t, row]]) for t in range(len(leaf_sizes))))
        tick = time.perf_counter()
        learner.label(row, bool(y[row]))
        row = int(select_queries(QueryContext(model.raw_score(), model.labels_ != aad.UNLABELLED), 1)[0])
        latencies.append(time.perf_counter() - tick)
        if i % 50 == 0:
            memory.append((i, rss_mb()))
    ms = 1000 * np.asarray(latencies)
    n_blocks = max(1, args.labels // 100)
    blocks = [float(np.median(b)) for b in np.array_split(ms, n_blocks)]
    per_million = [
        float(np.median(b / (t / 1e6)))
        for b, t in zip(
            np.array_split(ms, n_blocks), np.array_split(np.asarray(touched, float), n_blocks), strict=True
        )
    ]
    result = {
        "rows": args.rows,
        "labels": args.labels,
        "block_median_ms": blocks,
        "last_over_first": blocks[-1] / blocks[0],
        "block_ms_per_million_rows_touched": per_million,
        "rss_mb": memory,
        "rss_growth_mb": memory[-1][1] - memory[0][1],
        "anomalies_found": model.n_anomalies_,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=1))
    text = "\n".join(
        [
            f"| labels | {' | '.join(f'{100 * i + 1}-{100 * (i + 1)}' for i in range(len(blocks)))} |",
            f"|---|{'---|' * len(blocks)}",
            f"| median ms / label | {' | '.join(f'{b:.2f}' for b in blocks)} |",
            f"| median ms per million rows sharing a leaf with the label | "
            f"{' | '.join(f'{b:.2f}' for b in per_million)} |",
            "",
            f"Last block / first block: {result['last_over_first']:.2f}. Resident memory: "
            f"{memory[0][1]:.0f} MB after the fit, {memory[-1][1]:.0f} MB after {args.labels} labels "
            f"({result['rss_growth_mb']:+.1f} MB).",
        ]
    )
    (RESULTS / "soak.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
