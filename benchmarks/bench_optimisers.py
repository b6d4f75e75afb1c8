"""Which optimiser reaches the lowest AAD hinge loss fastest?

The reference AAD minimises its hinge loss with RMSProp (lr 0.001, up to 1000 epochs).
Here the same loss (``aad.hinge``: hinges around the tau-quantile score and the
tau-ranked row, a prior towards the isolation forest that fades with the number of
labels) is minimised three ways on problems taken from real labelling runs:

* ``rmsprop``: the reference's optimiser (full batch, best iterate kept);
* ``lbfgs``: scipy's L-BFGS-B on the primal over the leaves the labels touch;
* ``dual``: the exact solution of the dual quadratic program (one variable per hinge
  term) by Clarabel, an interior-point solver that ships with cvxpy.

It reports, per problem size, the median wall time over repeats and how far each
method's final loss is above the lowest loss found. For the default linear update there
is nothing to optimise: the closed form is exact (its time is shown for reference).

    python benchmarks/bench_optimisers.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import aad
from aad import hinge

RESULTS = Path(__file__).with_name("results")
METHODS = ("rmsprop", "lbfgs", "dual")


def problems(name: str, checkpoints: tuple[int, ...], seed: int = 0):
    """Hinge problems after ``checkpoints`` labels of a simulated run (hinge loss, top-1)."""
    ds = aad.load_dataset(name)
    model = aad.AADForest(loss="hinge", random_state=seed).fit(ds.X)
    learner = aad.ActiveLearner(model, ds.X)
    for step in range(1, max(checkpoints) + 1):
        row = int(learner.next_queries(1)[0])
        learner.label(row, bool(ds.y[row]))
        if step in checkpoints:
            yield step, hinge.build_problem(model, model.raw_score())


def timed(fn, repeats: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def linear_update_seconds(name: str, n_labels: int) -> float:
    ds = aad.load_dataset(name)
    model = aad.AADForest(random_state=0).fit(ds.X)
    rows = np.flatnonzero(ds.y)[: n_labels // 2].tolist() + np.flatnonzero(~ds.y)[: n_labels // 2].tolist()
    model.set_labels(rows[:-1], ds.y[rows[:-1]].astype(int).tolist())
    seconds, _ = timed(lambda: (model.set_label(rows[-1], int(ds.y[rows[-1]])), model.unlabel(rows[-1])))
    return seconds / 2


def main() -> None:
    # no options; --help says what it does instead of running it (and rewriting the results)
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    rows = []
    for name in ("ann_thyroid_1v3", "mammography"):
        for labels, problem in problems(name, (10, 50, 100)):
            results = {m: timed(lambda m=m, p=problem: hinge.solve(p, method=m)) for m in METHODS}
            losses = {m: hinge.objective(problem, v)[0] for m, (_, v) in results.items()}
            best = min(losses.values())
            for m in METHODS:
                rows.append(
                    {
                        "dataset": name,
                        "labels": labels,
                        "terms": len(problem.a),
                        "leaves": len(problem.support),
                        "method": m,
                        "seconds": results[m][0],
                        "loss": losses[m],
                        "excess_loss": losses[m] - best,
                        "relative_excess": (losses[m] - best) / max(abs(best), 1e-12),
                    }
                )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "optimisers.json").write_text(json.dumps(rows, indent=1))
    lines = [
        "| dataset | labels | hinge terms | leaves | method | median time | loss above the best |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['labels']} | {r['terms']} | {r['leaves']} | {r['method']} "
            f"| {r['seconds'] * 1000:.1f} ms | {r['relative_excess']:.2%} |"
        )
    for name in ("ann_thyroid_1v3", "mammography"):
        ms = 1000 * linear_update_seconds(name, 100)
        lines.append(f"| {name} | 100 | - | - | linear (closed form, default) | {ms:.2f} ms | exact |")
    text = "\n".join(lines)
    (RESULTS / "optimisers.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
