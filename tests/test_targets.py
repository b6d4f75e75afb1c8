"""``benchmarks/targets.py``: the discovery targets read off the results files the benchmarks write.

The check runs nothing, so what it must get right is reading: every file it names, in the
shape its benchmark writes it, and a verdict that follows the numbers.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import targets  # noqa: E402

FILES = ("discovery.json", "heldout.json", "scattered.json", "kinds.json", "kinds_small.json")
FILES += ("diverse.json", "diverse_wide.json")


def test_the_committed_results_give_one_verdict_per_target():
    text = targets.report(BENCHMARKS / "results")
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| target")]
    shipped = [
        r for r in json.loads((BENCHMARKS / "results" / "discovery.json").read_text()) if r["budget"] == 100
    ]
    total = sum(r["mean"] for r in shipped if r["variant"] == "adaptive")
    assert f"| shipped total | {total:.1f} | target 395 |" in text
    assert all(row.endswith(("| yes |", "| **no** |")) for row in rows)
    failing = sum(row.endswith("**no** |") for row in rows)
    assert text.rstrip().endswith(f"{failing} of {len(rows)} targets do not hold.")


def test_a_table_where_aad_moves_ahead_of_every_peer_turns_its_target_to_yes(tmp_path):
    for name in FILES:
        shutil.copy(BENCHMARKS / "results" / name, tmp_path / name)
    rows = json.loads((tmp_path / "discovery.json").read_text())
    row = next(r for r in rows if r["budget"] == 100 and r["variant"] == "adaptive")
    best = max(row["iforest"], *(row[p]["mean"] for p in targets.PEERS if row.get(p)))
    for mean, verdict in ((best - 5.0, "**no**"), (best + 0.5, "yes")):
        row["mean"], row["std"] = mean, 0.0
        (tmp_path / "discovery.json").write_text(json.dumps(rows))
        line = next(x for x in targets.report(tmp_path).splitlines() if f"`{row['dataset']}`" in x)
        assert line.endswith(f"| {verdict} |")


@pytest.mark.parametrize(
    ("ours", "best", "within"),
    [
        ((19.0, 0.0, 10), (19.1, 0.3, 10), False),
        ((37.9, 1.9, 10), (38.3, 1.8, 10), True),
        ((40, 1, 10), (38, 1, 10), True),
    ],
)
def test_within_one_standard_error_of_the_difference(ours, best, within):
    assert targets.holds(ours, best)[1] is within
