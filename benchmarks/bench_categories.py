"""How a category column should be encoded for an isolation forest: found by its rare value?

A card-transaction table (``tests/cards.py``) where 20 purchases at a crypto exchange are
ordinary in every way but their merchant category; the isolation forest's rank of those 20
rows (no feedback: the first ranking an analyst sees) under four encodings of the text
columns (merchant category, channel):

* ``rarity`` (aad's): ``rows / count``, one row in how many holds the value;
* ``share``: ``count / rows``, the usual frequency encoding (the same order, reversed);
* ``log rarity``: ``log2(rows / count)``, between the two;
* ``one-hot``: one 0/1 column per value.

With and without a long tail of rare but ordinary categories (16 more, 1.2 % to 0.2 % of
the rows each), at 5,000 and 50,000 rows, forest seeds and table seeds 0-4, default forest
(100 trees of 256 rows).

    python benchmarks/bench_categories.py      # about 5 minutes

Writes ``results/categories.md`` and ``results/categories.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cards import long_tail, write_cards

import aad

RESULTS = Path(__file__).with_name("results")
SEEDS = range(5)
ENCODINGS = ("rarity", "share", "log rarity", "one-hot")
TEXT = ("merchant_category", "channel")


def encoded(data: aad.Dataset, how: str) -> np.ndarray:
    """``data``'s features with its category columns encoded ``how``."""
    columns = []
    for j, spec in enumerate(data.specs):
        rarity = data.X[:, j]
        if spec.kind != "category":
            columns.append(rarity[:, None])
        elif how == "rarity":
            columns.append(rarity[:, None])
        elif how == "share":
            columns.append(1.0 / rarity[:, None])
        elif how == "log rarity":
            columns.append(np.log2(rarity)[:, None])
        else:
            values = data.sources[spec.column].astype(str).to_numpy()
            columns.append((values[:, None] == np.unique(values)[None, :]).astype(float))
    return np.hstack(columns)


def ranks_of_rare(n: int, seed: int, tail: bool, folder: Path) -> dict[str, np.ndarray]:
    path, table = write_cards(folder, n, seed=seed, categories=long_tail() if tail else None)
    data = aad.load_data(str(path))
    rare = np.flatnonzero(table["kind"] == "rare category")
    out = {}
    for how in ENCODINGS:
        scores = aad.AADForest(random_state=seed).fit(encoded(data, how)).anomaly_score()
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(-scores)] = np.arange(1, n + 1)
        out[how] = rank[rare]
    return out


def main() -> None:
    # no options; --help says what it does instead of running it (and rewriting the results)
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in (5000, 50_000):
            for tail in (False, True):
                runs = [ranks_of_rare(n, seed, tail, Path(folder)) for seed in SEEDS]
                for how in ENCODINGS:
                    ranks = np.concatenate([run[how] for run in runs])
                    medians = [float(np.median(run[how])) for run in runs]
                    row = {
                        "rows": n,
                        "long tail": tail,
                        "encoding": how,
                        "median rank": float(np.median(medians)),
                        "median rank per seed": medians,
                        "in top 1 %": float((ranks <= n / 100).mean()),
                        "in top 5 %": float((ranks <= n / 20).mean()),
                    }
                    rows.append(row)
                    print(n, tail, how, row["median rank"], row["in top 5 %"], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "categories.json").write_text(json.dumps(rows, indent=1))
    lines = [
        "# A fraud unusual only by its rare category: its rank in the isolation forest",
        "",
        "20 purchases at a crypto exchange, ordinary otherwise (`tests/cards.py`); median over",
        "seeds 0-4 of the median rank of those 20 rows, and the share of them in the top 1 % / 5 %.",
        "",
        "| rows | long tail of categories | encoding | median rank | in top 1 % | in top 5 % |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['rows']:,} | {'yes' if row['long tail'] else 'no'} | {row['encoding']} | "
            f"{row['median rank']:,.0f} | {row['in top 1 %']:.0%} | {row['in top 5 %']:.0%} |"
        )
    (RESULTS / "categories.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
