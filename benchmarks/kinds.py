"""Several kinds of anomaly, of different ease: is every kind found, and how soon?

A generated card-transaction table (``generated.fraud``: 30,000 rows, columns of mixed
types, seed 2026) hides three kinds of fraud: 80 account takeovers (isolated in several
columns at once), 60 skimmed cards (failed PINs, cash at a moderate distance) and 40 card
tests (bursts of tiny payments at a rare merchant, ranked low among the many large
amounts). A queue that keeps exploiting the first kind it finds stops showing anomalies
once the takeovers are used up, and an analyst without a ground truth would stop there,
believing they had found them all.

Every method gets the same table, the same forests (seeds 0-9), top-1 queries and 250
labels: aad (the adaptive queue, the default), aad following the learned model alone (its
queue before the portfolio), the isolation forest's own order, coniferest and BALIF (the
peers, run as ``peers.py`` says; their runs are cached in ``results/peer_runs.json``).
Reported: anomalies found after 50, 100, ..., 250 labels, and the labels until each kind's
first anomaly (mean over the runs that found it; how many runs did) and until every kind
was found. Writes ``results/kinds.md`` and ``results/kinds.json``.

    python benchmarks/kinds.py              # about 20 minutes with the peers, on 2 cores
    python benchmarks/kinds.py --small      # the table of tests/test_portfolio.py: 6,000 rows,
                                            # 40/25/15 frauds, 110 labels (a few minutes)
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
import generated
import peers

RESULTS = Path(__file__).with_name("results")
BUDGET, RERUNS, SEED, ROWS = 250, 10, 2026, 30_000
MARKS = (50, 100, 150, 200, 250)
KINDS = ("takeover", "skimming", "testing")
#: --small: the table the portfolio's test uses (seed 3, 6,000 rows, 40/25/15 frauds), 110 labels.
SMALL = {"SEED": 3, "ROWS": 6000, "BUDGET": 110, "MARKS": (25, 50, 75, 110)}
FRAUDS: dict = {}  # the frauds of each kind (default: the generator's 80/60/40)


def table_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X, y and every row's kind ('nominal' for the rest), the same every time."""
    frame = generated.fraud(np.random.default_rng(SEED), rows=ROWS, **FRAUDS)
    return (
        frame[generated.FRAUD_FEATURES].to_numpy(float),
        frame["label"].to_numpy(bool),
        frame["kind"].to_numpy(),
    )


def aad_queries(job: tuple[str, int, bool]) -> tuple[str, int, list[int]]:
    """Rows aad queries in one run, with the adaptive queue or the learned model alone."""
    queue, seed, small = job
    if small:
        use_small()
    X, y, _ = table_data()
    run = aad.simulate_run(X, y, budget=BUDGET, seed=seed, queue=queue)
    return queue, seed, run.queried.tolist()


def forest_queries(seed: int) -> np.ndarray:
    X, _, _ = table_data()
    scores = aad.AADForest(random_state=seed).fit(X).anomaly_score()
    return np.argsort(-scores, kind="stable")[:BUDGET]


def summary(runs: list[np.ndarray], y: np.ndarray, kind: np.ndarray) -> dict:
    """Found at each mark; labels until each kind's first anomaly and until all were found."""
    found = np.array([np.cumsum(y[q]) for q in runs], dtype=float)
    first = {k: [int(np.argmax(kind[q] == k)) + 1 for q in runs if (kind[q] == k).any()] for k in KINDS}
    every = [
        max(int(np.argmax(kind[q] == k)) + 1 for k in KINDS)
        for q in runs
        if all((kind[q] == k).any() for k in KINDS)
    ]
    return {
        "found": {m: float(found[:, m - 1].mean()) for m in MARKS},
        "found_sd": float(found[:, -1].std()),
        "first": {k: (float(np.mean(v)) if v else None, len(v)) for k, v in first.items()},
        "every": (float(np.mean(every)) if every else None, len(every)),
        "runs": len(runs),
    }


def table(rows: dict[str, dict]) -> str:
    head = "| method | " + " | ".join(f"found @{m}" for m in MARKS)
    head += " | " + " | ".join(f"first {k}" for k in KINDS) + " | every kind |"
    lines = [head, "|---|" + "---|" * (len(MARKS) + len(KINDS) + 1)]
    for method, s in rows.items():
        if s is None:
            lines.append(f"| {method} | not installed |" + " |" * (len(MARKS) + len(KINDS)))
            continue
        cells = [f"{s['found'][m]:.1f}" for m in MARKS]
        for mean, n in [*(s["first"][k] for k in KINDS), s["every"]]:
            cells.append(
                "never"
                if mean is None
                else f"{mean:.0f}" + ("" if n == s["runs"] else f" ({n}/{s['runs']} runs)")
            )
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def use_small() -> None:
    """Switch to the small table (``--small``)."""
    global SEED, ROWS, BUDGET, MARKS
    SEED, ROWS, BUDGET, MARKS = SMALL["SEED"], SMALL["ROWS"], SMALL["BUDGET"], SMALL["MARKS"]
    FRAUDS.update(takeover=40, skimming=25, testing=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--small", action="store_true", help="the portfolio test's table, 110 labels")
    args = parser.parse_args()
    if args.small:
        use_small()
    X, y, kind = table_data()
    jobs = [(queue, seed, args.small) for queue in ("adaptive", "feedback") for seed in range(RERUNS)]
    ours: dict[str, list] = {"adaptive": [None] * RERUNS, "feedback": [None] * RERUNS}
    with ProcessPoolExecutor(args.workers) as pool:
        for queue, seed, queried in pool.map(aad_queries, jobs):
            ours[queue][seed] = np.asarray(queried)
    rows = {
        "**aad**": summary(ours["adaptive"], y, kind),
        "aad, learned model alone (before)": summary(ours["feedback"], y, kind),
        "isolation forest (no feedback)": summary([forest_queries(s) for s in range(RERUNS)], y, kind),
    }
    for name in ("coniferest", "BALIF"):
        runs = peers.peer_runs(name, X, y, budget=BUDGET, seeds=range(RERUNS))
        rows[name] = None if runs is None else summary(runs, y, kind)
    text = (
        f"{ROWS:,} card transactions, {int(y.sum())} frauds of three kinds "
        f"({', '.join(f'{k} {int((kind == k).sum())}' for k in KINDS)}), {RERUNS} runs, top-1 queries "
        f"(`python benchmarks/kinds.py{' --small' if args.small else ''}`)\n\n" + table(rows)
    )
    name = "kinds_small" if args.small else "kinds"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text + "\n")
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=1))
    print(text)


if __name__ == "__main__":
    main()
