"""Run every benchmark in turn; each writes its table to ``benchmarks/results/``.

``make bench`` runs this after installing the optional benchmark dependencies
(the ``bench`` extra: coniferest, BALIF). The benchmarks run one after another, each in its
own process, so that their timings and memory figures do not disturb each other; run it on
an idle machine. ``targets.py`` runs last: it reads the others' results into the discovery
targets' verdicts.

    python benchmarks/run_all.py                      # all of them (hours: see the README)
    python benchmarks/run_all.py --only scale soak    # some of them
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Name -> script and its arguments, in the order they run (quickest first).
BENCHMARKS = {
    "optimisers": "bench_optimisers.py",
    "describe": "bench_describe.py",
    "diverse": "bench_diverse.py",
    "diverse-wide": "bench_diverse.py --wide",
    "scale": "bench_scale.py",
    "soak": "bench_soak.py",
    "browser": "bench_browser.py",
    "memory": "bench_memory.py",
    "discovery": "discovery.py",
    "heldout": "heldout.py",
    "unseen": "unseen.py",
    "scattered": "scattered.py",
    "kinds-small": "kinds.py --small",
    "kinds": "kinds.py",
    "between": "between.py",
    "detectors": "detectors.py",
    "balance": "balance.py",
    "beyond": "bench_beyond.py",
    "categories": "bench_categories.py",
    "stream": "stream.py",
    "stream-heldout": "stream_heldout.py",
    "targets": "targets.py",  # reads the results the others wrote: last
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    args = parser.parse_args(argv)
    failed = []
    for name in args.only or BENCHMARKS:
        print(f"== {name} ({BENCHMARKS[name]})", flush=True)
        start = time.perf_counter()
        script, *extra = BENCHMARKS[name].split()
        done = subprocess.run([sys.executable, str(HERE / script), *extra], cwd=HERE.parent)
        print(f"== {name}: exit {done.returncode} after {time.perf_counter() - start:.0f} s", flush=True)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
