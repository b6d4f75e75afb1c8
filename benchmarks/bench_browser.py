"""Responsiveness of the labelling app in a real browser: key press to the next card.

For each size (10k, 100k and 1M rows by default) the script writes a synthetic CSV, starts
``aad app FILE --db TMP`` on a free port, opens the Label page in Debian's chromium
(Playwright, headless), and presses ``N`` (nominal) repeatedly. Each press is timed in
the browser's own clock: from the ``keydown`` event to the first animation frame after
the card's heading shows a new row (the next card is on screen). Between presses it
waits for the script run to end, so the presses do not overlap. It prints the median,
the 90th percentile and the range per size.

Synthetic data (seed 0): ``n`` rows of 8 features; 99% are standard normal, 1% are
uniform on [-6, 6]^8 (the anomalies); a ``label`` column holds the ground truth.

Usage::

    .venv/bin/python benchmarks/bench_browser.py             # 10k, 100k and 1M rows, 30 presses
    .venv/bin/python benchmarks/bench_browser.py --rows 10000 --presses 50 --json out.json

Writes ``results/browser.json`` and ``results/browser.md`` (or ``--json`` and its ``.md``).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROME_ARGS, CHROMIUM, AppServer, free_port  # noqa: E402

_RECORDER = """
window.__presses = [];
document.addEventListener('keydown', (e) => {
  if (e.key !== 'n') return;
  const start = performance.now();
  const heading = () => document.querySelector('.st-key-card_current h3')?.innerText ?? '';
  const before = heading();
  const poll = () => {
    if (heading() !== before) {
      requestAnimationFrame(() => window.__presses.push(performance.now() - start));
    } else {
      requestAnimationFrame(poll);
    }
  };
  requestAnimationFrame(poll);
}, true);
"""


def make_csv(path: Path, n_rows: int, seed: int = 0) -> Path:
    """Write the synthetic table described in the module docstring."""
    rng = np.random.default_rng(seed)
    n_anomalies = max(1, n_rows // 100)
    X = np.vstack([rng.normal(size=(n_rows - n_anomalies, 8)), rng.uniform(-6, 6, size=(n_anomalies, 8))])
    labels = np.r_[np.zeros(n_rows - n_anomalies, int), np.ones(n_anomalies, int)]
    order = rng.permutation(n_rows)
    header = ",".join([f"f{j}" for j in range(8)] + ["label"])
    rows = (",".join(f"{v:.6f}" for v in X[i]) + f",{labels[i]}" for i in order)
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def measure(browser, n_rows: int, presses: int, folder: Path) -> dict:
    """Start the app on ``n_rows`` synthetic rows and time ``presses`` presses of N."""
    from playwright.sync_api import expect

    data = make_csv(folder / f"synthetic_{n_rows}.csv", n_rows)
    server = AppServer(
        str(data), folder / f"s{n_rows}.sqlite", free_port(), folder / f"s{n_rows}.log"
    ).start()
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.set_default_timeout(120_000)
    page.add_init_script(_RECORDER)
    try:
        start = time.perf_counter()
        page.goto(server.url)
        heading = page.locator(".st-key-card_current h3")
        idle = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
        expect(heading).to_have_text(re.compile(r"^Row \d+"), timeout=600_000)  # loads, fits, scores
        expect(idle).to_be_attached(timeout=600_000)
        expect(page.locator(".st-key-card_current canvas").first).to_be_visible()
        first_card_seconds = time.perf_counter() - start
        for i in range(presses):
            before = heading.inner_text()
            page.keyboard.press("n")
            expect(heading).not_to_have_text(before)
            page.wait_for_function(f"() => window.__presses.length >= {i + 1}")
            expect(idle).to_be_attached()
        times = page.evaluate("() => window.__presses")
    finally:
        page.close()
        server.stop()
    return {
        "rows": n_rows,
        "first_card_seconds": first_card_seconds,
        "presses": len(times),
        "median_ms": statistics.median(times),
        "p90_ms": float(np.percentile(times, 90)),
        "min_ms": min(times),
        "max_ms": max(times),
    }


def table(results: list[dict]) -> str:
    lines = [
        "| rows | first card (load, fit, score) | presses | median ms | p90 ms | min ms | max ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['first_card_seconds']:.1f} s | {r['presses']} | {r['median_ms']:.0f} "
            f"| {r['p90_ms']:.0f} "
            f"| {r['min_ms']:.0f} | {r['max_ms']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print a table and write it to ``results/browser.{json,md}``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--json", type=Path, default=RESULTS / "browser.json", help="where to write results")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    results = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROME_ARGS)
        for n_rows in args.rows:
            results.append(measure(browser, n_rows, args.presses, Path(tmp)))
        browser.close()
    text = table(results)
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    args.json.with_suffix(".md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
