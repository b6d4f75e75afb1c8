"""The benchmarks' synthetic table: the same numbers for the same seed, whatever the build.

``make_benchmark_data`` is built in one array's memory (blocks of rows, shuffled a column at
a time) since issue 15; the digests below are those of the earlier build, which stacked and
shuffled whole arrays, so every figure measured on it stays comparable.
"""

from __future__ import annotations

import hashlib

import pytest

from aad.benchmark import make_benchmark_data


@pytest.mark.parametrize(
    ("rows", "features", "digest"),
    [
        (1000, 4, "19d5f0b80619059781b59ecb03de17003c2eb3c4c777d4483d22f97d2eb49fd6"),
        (300_000, 3, "ec401846936f1d4231d0872e2354879a3dcd7f2a5a3121b9646e95afc5018d50"),  # more than a block
    ],
)
def test_the_synthetic_table_is_the_one_every_benchmark_was_measured_on(rows, features, digest):
    X, y = make_benchmark_data(rows, features, random_state=0)
    assert hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest() == digest


@pytest.mark.parametrize("script", ["targets", "between", "bench_optimisers", "bench_categories"])
def test_help_on_a_benchmark_without_options_says_what_it_does_and_writes_nothing(script):
    """These scripts took no options: ``--help`` ran them, and they rewrote their results files."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    results = root / "benchmarks" / "results"
    before = {p.name: p.stat().st_mtime_ns for p in results.iterdir()}
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / f"{script}.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script}.py [-h]")
    assert {p.name: p.stat().st_mtime_ns for p in results.iterdir()} == before
