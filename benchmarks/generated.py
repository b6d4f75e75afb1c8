"""Seeded generators of tables with planted anomalies, of kinds the engine was not tuned on.

Every generator takes a ``numpy.random.Generator`` and returns ``(nominal, anomalous)``
arrays (or, for :func:`fraud`, a frame with a ``kind`` column), so the same kind of table
can be drawn again with other seeds: the benchmarks report one fixed seed, and any choice
of the engine's design is made on other seeds (``choose.py``) before it is reported.

* :func:`clusters`, :func:`shell`, :func:`noisy`: the first held-out kinds (see ``heldout.py``);
* :func:`scattered`: every anomaly its own kind, far out in its own direction;
* :func:`lowvar`: correlated features, anomalies off the data's thin direction while
  every feature on its own stays in its normal range (axis-aligned trees see them late);
* :func:`dense`: a small tight cluster inside every feature's normal range, at a corner of
  the modes without one (masking: the cluster isolates its own members slowly);
* :func:`mixed`: a tight cluster of anomalies beside anomalies scattered all around;
* :func:`fraud`: a card-transaction table with three kinds of fraud of different ease,
  over columns of mixed types (amounts, counts, hours, flags, a category by frequency).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "FRAUD_FEATURES",
    "GENERATORS",
    "clusters",
    "dense",
    "frame",
    "fraud",
    "lowvar",
    "mixed",
    "noisy",
    "scattered",
    "shell",
]


def _directions(rng: np.random.Generator, k: int, dim: int) -> np.ndarray:
    d = rng.normal(size=(k, dim))
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def clusters(rng: np.random.Generator):
    """Three Gaussian clusters in 10-D; two tight clusters of 20 anomalies between them and 30
    scattered ones."""
    centers = rng.normal(0, 4, (3, 10))
    middle = [centers.mean(axis=0) + rng.normal(0, 3, 10) for _ in range(2)]
    return (
        np.vstack([rng.normal(c, 1.0, (1000, 10)) for c in centers]),
        np.vstack([rng.normal(c, 0.3, (20, 10)) for c in middle] + [rng.uniform(-10, 10, (30, 10))]),
    )


def shell(rng: np.random.Generator):
    """A dense and a sparse cluster in 5-D; 40 anomalies on a shell just outside the dense one,
    inside the sparse cloud's range (local anomalies the forest alone does not see)."""
    directions = rng.normal(0, 1, (40, 5))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return (
        np.vstack([rng.normal(0, 0.5, (2000, 5)), rng.normal(5, 2.0, (1000, 5))]),
        directions * rng.uniform(2.2, 3.0, (40, 1)),
    )


def noisy(rng: np.random.Generator):
    """5 informative and 15 irrelevant features; 30 anomalies shifted in two informative ones."""
    nominal = rng.normal(0, 1, (3000, 20))
    shifted = rng.normal(0, 1, (30, 20))
    shifted[:, :2] += rng.choice([-1, 1], (30, 2)) * 2.5
    return nominal, shifted


def scattered(rng: np.random.Generator, *, rows: int = 10_000, anomalies: int = 50, dim: int = 8):
    """``rows`` standard-normal rows; ``anomalies`` points at radius 5-7, each its own direction."""
    nominal = rng.normal(size=(rows, dim))
    far = _directions(rng, anomalies, dim) * rng.uniform(5, 7, (anomalies, 1))
    return nominal, far


def lowvar(rng: np.random.Generator, *, rows: int = 3000, anomalies: int = 40, dim: int = 5):
    """Correlated Gaussian rows with one thin direction (sd 0.1); anomalies 1.0-1.5 off it.

    The thin direction mixes every feature, so no single feature is unusual: a row is
    anomalous only in how its features relate, and the isolation forest alone finds almost
    none of them.
    """
    basis, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    scale = np.r_[rng.uniform(1.0, 2.0, dim - 1), 0.1]
    nominal = (rng.normal(size=(rows, dim)) * scale) @ basis.T
    inner = rng.normal(size=(anomalies, dim)) * scale * 0.5
    inner[:, -1] = rng.choice([-1, 1], anomalies) * rng.uniform(1.0, 1.5, anomalies)
    return nominal, inner @ basis.T


def dense(rng: np.random.Generator, *, rows: int = 3000, anomalies: int = 20, dim: int = 6, modes: int = 8):
    """Eight Gaussian modes at corners ``3 * (+-1, ..., +-1)``; the anomalies a tight cluster
    (sd 0.1) at a corner without a mode: every feature within its normal range, the cluster
    masking its own members from the forest."""
    signs = rng.choice([-1, 1], (modes + 1, dim))
    while len({tuple(s) for s in signs}) < modes + 1:
        signs = rng.choice([-1, 1], (modes + 1, dim))
    nominal = np.vstack([rng.normal(3 * s, 1.0, (rows // modes, dim)) for s in signs[:-1]])
    return nominal, rng.normal(3 * signs[-1], 0.1, (anomalies, dim))


def mixed(rng: np.random.Generator, *, rows: int = 3000, clustered: int = 25, spread: int = 25, dim: int = 8):
    """A tight anomaly cluster at radius 3.5, and anomalies scattered at radius 4.5-6."""
    nominal = rng.normal(size=(rows, dim))
    spot = _directions(rng, 1, dim)[0] * 3.5
    cluster = rng.normal(spot, 0.15, (clustered, dim))
    far = _directions(rng, spread, dim) * rng.uniform(4.5, 6.0, (spread, 1))
    return nominal, np.vstack([cluster, far])


#: The fraud table's feature columns, in order.
FRAUD_FEATURES = [
    "amount",
    "hour",
    "tx_24h",
    "km_home",
    "card_present",
    "new_device",
    "failed_pin",
    "merchant_freq",
    "account_days",
]
#: The fraud table's category frequencies: common everyday merchants and rare ones.
_MERCHANTS = np.array([0.30, 0.22, 0.15, 0.12, 0.08, 0.06, 0.04, 0.02, 0.007, 0.003])


def fraud(
    rng: np.random.Generator,
    *,
    rows: int = 30_000,
    takeover: int = 80,
    skimming: int = 60,
    testing: int = 40,
) -> pd.DataFrame:
    """Card transactions with three kinds of fraud, of decreasing ease for the forest.

    Columns of mixed types: ``amount`` (heavy-tailed), ``hour`` (0-23), ``tx_24h`` (a count), ``km_home``
    (a distance), ``card_present`` and ``new_device`` (0/1 flags), ``failed_pin`` (a
    small count), ``merchant_freq`` (the merchant category as its frequency) and
    ``account_days``. The kinds:

    * ``takeover``: a new device far from home at night spending a lot: isolated in
      several columns at once, found first by any forest;
    * ``skimming``: a card present with failed PINs, a cash withdrawal at a moderate
      distance: unusual in two or three columns;
    * ``testing``: bursts of tiny card-not-present payments at a rare merchant: unusual
      in the count and the amount, ranked low among the table's many large amounts.

    Returns a frame with the feature columns, ``label`` (1 fraud) and ``kind``.
    """
    n = rows
    category = rng.choice(len(_MERCHANTS), n, p=_MERCHANTS / _MERCHANTS.sum())
    base = pd.DataFrame(
        {
            "amount": np.round(rng.lognormal(3.3, 1.1, n), 2),
            "hour": np.clip(np.round(rng.normal(14, 4, n)), 0, 23),
            "tx_24h": rng.poisson(3, n),
            "km_home": np.round(rng.exponential(8, n), 1),
            "card_present": (rng.random(n) < 0.7).astype(int),
            "new_device": (rng.random(n) < 0.03).astype(int),
            "failed_pin": rng.poisson(0.03, n),
            "merchant_freq": _MERCHANTS[category],
            "account_days": np.round(rng.exponential(900, n)),
        }
    )
    kinds = {
        "takeover": {
            "amount": lambda k: np.round(rng.lognormal(6.5, 0.5, k), 2),
            "hour": lambda k: rng.integers(0, 5, k),
            "km_home": lambda k: np.round(rng.uniform(300, 3000, k), 1),
            "new_device": lambda k: np.ones(k, int),
            "card_present": lambda k: np.zeros(k, int),
        },
        "skimming": {
            "failed_pin": lambda k: rng.integers(2, 5, k),
            "card_present": lambda k: np.ones(k, int),
            "km_home": lambda k: np.round(rng.uniform(30, 90, k), 1),
            "amount": lambda k: np.round(rng.choice([200, 300, 400, 500], k) + 0.0, 2),
        },
        "testing": {
            "amount": lambda k: np.round(rng.uniform(0.5, 2.0, k), 2),
            "tx_24h": lambda k: rng.integers(12, 25, k),
            "card_present": lambda k: np.zeros(k, int),
            "merchant_freq": lambda k: np.full(k, _MERCHANTS[-1]),
        },
    }
    parts, names = [base.assign(label=0, kind="nominal")], []
    for name, k in (("takeover", takeover), ("skimming", skimming), ("testing", testing)):
        rowsk = base.sample(k, random_state=int(rng.integers(2**31))).reset_index(drop=True)
        for column, draw in kinds[name].items():
            rowsk[column] = draw(k)
        parts.append(rowsk.assign(label=1, kind=name))
        names.append(name)
    table = pd.concat(parts, ignore_index=True)
    return table.sample(frac=1.0, random_state=int(rng.integers(2**31))).reset_index(drop=True)


def frame(nominal: np.ndarray, anomalous: np.ndarray) -> pd.DataFrame:
    """A table with a ``label`` column first (anomaly / nominal) and features ``f0, f1, ...``."""
    X = np.vstack([nominal, anomalous])
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    df.insert(0, "label", ["nominal"] * len(nominal) + ["anomaly"] * len(anomalous))
    return df


GENERATORS = {
    "clusters": clusters,
    "shell": shell,
    "noisy": noisy,
    "scattered": scattered,
    "lowvar": lowvar,
    "dense": dense,
    "mixed": mixed,
}
