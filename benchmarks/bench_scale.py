"""Per-label latency at 10k, 100k and 1M rows: aad against coniferest, in one run.

For each size, in separate processes (so each peak-memory figure is its own):

* ``aad bench --rows N --features 20 --labels 50 --json ...``, with the adaptive queue
  (the default) and with ``--queue feedback`` (the learned model alone, as before the
  portfolio: what the adaptive queue's bookkeeping costs is the ratio), on the engine's
  default trees for the size (200 up to 500,000 rows, 100 at 1M: ``--trees 100`` times
  100 at every size);
* coniferest's ``AADForest`` (100 trees, 256 samples; an optional benchmark dependency:
  ``make bench`` installs it) on the same synthetic data, timing the same loop: refit the
  weights on the labels (``fit_known``), rescore every row, pick the next query.

Writes ``results/scale.json`` and ``results/scale.md`` and prints the table with ratios.
Medians; the machine is shared, so run it when it is otherwise idle.

    python benchmarks/bench_scale.py [--sizes 10000 100000 1000000] [--trees 100]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).with_name("results")
CONIFEREST_LABELS = {10_000: 20, 100_000: 10, 1_000_000: 4}


def run_aad(rows: int, queue: str = "adaptive", *, trees: int | None = None) -> dict:
    """`aad bench` in its own process; ``trees`` None: the engine's default for the size."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "aad.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "app.cli",
                "bench",
                "--rows",
                str(rows),
                "--features",
                "20",
                *([] if trees is None else ["--trees", str(trees)]),
                "--labels",
                "50",
                "--queue",
                queue,
                "--json",
                str(out),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return json.loads(out.read_text())


def coniferest_child(rows: int, labels: int) -> dict:
    """Runs inside a fresh process."""
    from coniferest.aadforest import AADForest
    from coniferest.label import Label

    from aad.benchmark import make_benchmark_data, peak_rss_mb

    X, y = make_benchmark_data(rows, 20, random_state=0)
    X = np.ascontiguousarray(X)
    start = time.perf_counter()
    forest = AADForest(n_trees=100, n_subsamples=256, random_seed=0).fit(X)
    fit_seconds = time.perf_counter() - start
    known = np.full(rows, Label.UNKNOWN, dtype=int)
    scores = forest.score_samples(X)
    first = int(np.argmin(scores))  # coniferest: lower = more anomalous
    first_query_seconds = time.perf_counter() - start
    latencies = []
    for _ in range(labels):
        tick = time.perf_counter()
        row = int(np.argmin(np.where(known == Label.UNKNOWN, scores, np.inf)))
        known[row] = Label.ANOMALY if y[row] else Label.REGULAR
        mask = known != Label.UNKNOWN
        forest.fit_known(X, X[mask], known[mask])
        scores = forest.score_samples(X)
        latencies.append(time.perf_counter() - tick)
    ms = 1000 * np.asarray(latencies)
    return {
        "rows": rows,
        "fit_seconds": fit_seconds,
        "first_query_seconds": first_query_seconds,
        "first_query": first,
        "labels": labels,
        "label_latency_ms": {"p50": float(np.median(ms)), "p95": float(np.percentile(ms, 95))},
        "peak_rss_mb": peak_rss_mb(),
    }


def run_coniferest(rows: int) -> dict | None:
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks'); import bench_scale; "
        f"print(json.dumps(bench_scale.coniferest_child({rows}, {CONIFEREST_LABELS.get(rows, 5)})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"coniferest skipped at {rows} rows: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    lines = [
        "| rows | aad trees | aad fit + index | aad first query | aad per label p50 / p95 "
        "| learned model alone p50 (ratio) | aad peak RSS "
        "| coniferest fit / first query | coniferest per label p50 | aad speed-up per label |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        a, c, f = r["aad"], r["coniferest"], r["feedback"]
        lat = a["label_latency_ms"]
        alone = f"{f['label_latency_ms']['p50']:.1f} ms ({lat['p50'] / f['label_latency_ms']['p50']:.2f}x)"
        con = "n/a" if c is None else f"{c['fit_seconds']:.2f} / {c['first_query_seconds']:.2f} s"
        con_lat = "n/a" if c is None else f"{c['label_latency_ms']['p50']:.0f} ms"
        ratio = "n/a" if c is None else f"{c['label_latency_ms']['p50'] / lat['p50']:.0f}x"
        lines.append(
            f"| {a['rows']:,} | {a['trees']} | {a['fit_seconds']:.2f} s | {a['first_query_seconds']:.2f} s "
            f"| {lat['p50']:.1f} / {lat['p95']:.1f} ms | {alone} | {a['peak_rss_mb']:.0f} MB "
            f"| {con} | {con_lat} | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--trees", type=int, help="aad's trees at every size (default: the engine's)")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        aad, alone = run_aad(n, trees=args.trees), run_aad(n, "feedback", trees=args.trees)
        rows.append({"aad": aad, "feedback": alone, "coniferest": run_coniferest(n)})
        print(table(rows).splitlines()[-1], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(rows, indent=1))
    (RESULTS / "scale.md").write_text(table(rows) + "\n")
    print(table(rows))


if __name__ == "__main__":
    main()
