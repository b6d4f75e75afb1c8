"""More detectors under the same feedback: each detector alone, with feedback, and the ensemble.

On the 7 shipped datasets and the held-out tables of ``heldout.py``, budget 100, 10 runs
(seeds 0..9), top-1 queries, the adaptive queue (the default), anomalies found:

* ``iforest``: the isolation forest without feedback, and ``AADForest`` (the default);
* ``eif``: the extended isolation forest (isotree, ``ndim=2``) without feedback, and
  ``ExtendedAADForest``;
* ``lof``, ``ocsvm``, ``autoencoder``: each member alone, without feedback (one score can
  only be rescaled by a weight, so feedback cannot change its order);
* ``ensemble``: ``AADEnsemble`` with its default members (the forest's leaves, LOF,
  one-class SVM, autoencoder): the plain ensemble (no feedback) and with feedback;
* ``scores``: the same three scikit-learn members given as precomputed scores (a scores
  file's path: ``AADEnsemble(members=()).fit(X, scores=...)``), with feedback: what an
  analyst bringing their own detectors' scores gets.

Also the ensemble's ``PRIOR`` (the prior variance of a member's weight), measured on the
tuning tables of ``choose.py`` (never on these): ``--tune``.

Writes ``results/detectors.md`` and ``results/detectors.json``.

    python benchmarks/detectors.py [--workers 2]      # about 12 minutes on 2 cores
    python benchmarks/detectors.py --tune             # PRIOR on the tuning tables
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import aad
from aad.detectors import ensemble as ensemble_module
from aad.query import top_unlabelled

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout

RESULTS = Path(__file__).with_name("results")
BUDGET, RERUNS = 100, 10
COLUMNS = (
    "iforest, no feedback",
    "**iforest (AADForest)**",
    "eif, no feedback",
    "eif (ExtendedAADForest)",
    "lof",
    "ocsvm",
    "autoencoder",
    "ensemble, no feedback",
    "ensemble (AADEnsemble)",
    "lof+ocsvm+autoencoder as scores, feedback",
)
MEMBERS = ("lof", "ocsvm", "autoencoder")


@functools.cache
def all_tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Name -> (X, y): the shipped datasets, then the held-out tables."""
    out = {}
    for name in aad.list_datasets():
        data = aad.load_dataset(name)
        out[name] = (data.X, data.y.astype(bool))
    for name, (nominal, anomalous) in heldout.tables().items():
        X = np.vstack([nominal, anomalous]).astype(np.float64)
        out[name] = (X, np.r_[np.zeros(len(nominal), bool), np.ones(len(anomalous), bool)])
    return out


def discover(model, X: np.ndarray, y: np.ndarray, budget: int, seed: int) -> int:
    """Anomalies found in ``budget`` labels by the adaptive queue over a fitted model."""
    learner = aad.ActiveLearner(model, X, random_state=seed)
    for _ in range(budget):
        row = int(learner.next_queries(1)[0])
        learner.label(row, int(y[row]))
    return int(y[model.labels_ == aad.ANOMALY].sum())


def top(scores: np.ndarray, y: np.ndarray, budget: int) -> int:
    return int(y[top_unlabelled(scores, np.zeros(len(y), bool), budget)].sum())


def run(job: tuple[str, int]) -> dict:
    """Every column for one table and one seed."""
    name, seed = job
    X, y = all_tables()[name]
    budget = min(BUDGET, len(y) // 4)
    out: dict[str, float] = {}
    timing: dict[str, float] = {}
    start = time.perf_counter()
    forest = aad.AADForest(random_state=seed).fit(X)
    out[COLUMNS[0]] = top(forest.anomaly_score(), y, budget)
    out[COLUMNS[1]] = discover(forest, X, y, budget, seed)
    timing["iforest"] = time.perf_counter() - start
    start = time.perf_counter()
    eif = aad.ExtendedAADForest(random_state=seed).fit(X)
    timing["eif fit"] = time.perf_counter() - start
    out[COLUMNS[2]] = top(eif.anomaly_score(), y, budget)
    out[COLUMNS[3]] = discover(eif, X, y, budget, seed)
    timing["eif"] = time.perf_counter() - start
    start = time.perf_counter()
    ensemble = aad.AADEnsemble(random_state=seed).fit(X)
    timing["ensemble fit"] = time.perf_counter() - start
    for k, member in enumerate(MEMBERS):
        out[COLUMNS[4 + k]] = top(ensemble.members_[member].train_scores, y, budget)
    out[COLUMNS[7]] = top(ensemble.anomaly_score(), y, budget)
    out[COLUMNS[8]] = discover(ensemble, X, y, budget, seed)
    timing["ensemble"] = time.perf_counter() - start
    scores = np.column_stack([ensemble.members_[m].train_scores for m in MEMBERS])
    given = aad.AADEnsemble(members=(), random_state=seed).fit(X, scores=aad.ScoreTable(MEMBERS, scores))
    out[COLUMNS[9]] = discover(given, X, y, budget, seed)
    return {"table": name, "seed": seed, "budget": budget, "found": out, "seconds": timing}


def markdown(rows: list[dict], tables: dict) -> str:
    names = list(dict.fromkeys(r["table"] for r in rows))
    head = "| table | rows | anomalies | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|" + "---|" * (3 + len(COLUMNS))]
    totals = dict.fromkeys(COLUMNS, 0.0)
    for name in names:
        y = tables[name][1]
        runs = [r for r in rows if r["table"] == name]
        cells = []
        for column in COLUMNS:
            found = [r["found"][column] for r in runs]
            totals[column] += float(np.mean(found))
            cells.append(f"{np.mean(found):.1f} ± {np.std(found):.1f}")
        lines.append(f"| {name} | {len(y)} | {int(y.sum())} | " + " | ".join(cells) + " |")
    lines.append("| **total** | | | " + " | ".join(f"**{totals[c]:.1f}**" for c in COLUMNS) + " |")
    seconds = {key: float(np.median([r["seconds"][key] for r in rows])) for key in rows[0]["seconds"]}
    lines.append(
        "\nMedian seconds per run (fit + 100 labels): "
        + ", ".join(f"{key} {value:.2f}" for key, value in seconds.items())
        + "."
    )
    best = max(COLUMNS, key=lambda c: totals[c])
    lines.append(f"\nMost anomalies found over all {len(names)} tables: {best} ({totals[best]:.1f}).")
    return "\n".join(lines)


PRIORS = (0.05, 0.25, 1.0)  # a first round; --priors 0 0.01 0.02 0.05 the second (see results)


def tune(workers: int, reruns: int, priors: tuple[float, ...] = PRIORS) -> None:
    """The ensemble's PRIOR on the tuning tables of choose.py (never the reported tables)."""
    import choose

    names = [n for n in choose.tables() if not n.startswith(("fraud", "scattered"))]
    jobs = [(name, seed, priors) for name in names for seed in range(reruns)]
    totals = dict.fromkeys(priors, 0.0)
    with ProcessPoolExecutor(workers) as pool:
        for done, found in enumerate(pool.map(_tune_one, jobs), start=1):
            for prior, value in found.items():
                totals[prior] += value / reruns
            print(f"[{done}/{len(jobs)}] tuning", file=sys.stderr, flush=True)
    text = "\n".join(
        f"PRIOR {p}: {t:.1f} anomalies found over {len(names)} tuning tables ({reruns} runs each, mean)"
        for p, t in totals.items()
    )
    with (RESULTS / "detectors_prior.md").open("a") as out:
        out.write(text + "\n")
    print(text)


def _tune_one(job: tuple[str, int, tuple[float, ...]]) -> dict[float, int]:
    """One fit of the default ensemble, then one discovery run per PRIOR (on a copy)."""
    import choose

    name, seed, priors = job
    X, y = choose.tables()[name]
    model = aad.AADEnsemble(random_state=seed).fit(X)
    found = {}
    for prior in priors:
        ensemble_module.PRIOR = prior  # a module constant, read at every update
        found[prior] = discover(model.copy(), X, y, choose.budget(name, len(y)), seed)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reruns", type=int, default=RERUNS)
    parser.add_argument("--tune", action="store_true", help="measure PRIOR on the tuning tables instead")
    parser.add_argument("--priors", type=float, nargs="+", default=PRIORS, help="the PRIORs --tune compares")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.tune:
        tune(args.workers, args.reruns, tuple(args.priors))
        return
    tables = all_tables()
    jobs = [(name, seed) for name in tables for seed in range(args.reruns)]
    rows = []
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        for row in pool.map(run, jobs):
            rows.append(row)
            print(
                f"[{len(rows)}/{len(jobs)}] {row['table']} seed {row['seed']} "
                f"({time.perf_counter() - start:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    (RESULTS / "detectors.json").write_text(json.dumps(rows, indent=1))
    text = markdown(rows, tables)
    (RESULTS / "detectors.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
