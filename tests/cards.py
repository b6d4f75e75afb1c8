"""A generated card-transaction table, as analysts get them: ids, timestamps, text categories
(one of them rare), amounts written with a currency and thousands separators, missing amounts.

Three kinds of fraud are planted (``is_fraud`` 1), each unusual in its own way:

* ``rare category``: a purchase at a crypto exchange, otherwise ordinary (amount, hour,
  channel, PIN attempts): only its category is rare;
* ``night ATM``: large ATM withdrawals between 1 and 4 at night after failed PIN attempts;
* ``far away``: purchases thousands of kilometres from home.

The table is the same for the same seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Ordinary merchant categories and their share of the ordinary transactions.
CATEGORIES = {
    "grocery": 0.27,
    "restaurant": 0.17,
    "online_retail": 0.16,
    "fuel": 0.13,
    "entertainment": 0.08,
    "pharmacy": 0.07,
    "atm_withdrawal": 0.06,
    "travel": 0.06,
}
RARE = "crypto_exchange"
KINDS = ("rare category", "night ATM", "far away")


def long_tail(n_extra: int = 16) -> dict[str, float]:
    """:data:`CATEGORIES` and ``n_extra`` more, each rarer than the last (1.2 % to 0.2 % of the
    rows), as merchant category codes are: a long tail of rare but ordinary categories."""
    tail = {f"mcc_{i}": float(w) for i, w in enumerate(np.geomspace(0.012, 0.002, n_extra))}
    scale = (1 - sum(tail.values())) / sum(CATEGORIES.values())
    return {**{name: share * scale for name, share in CATEGORIES.items()}, **tail}


def card_transactions(
    n: int = 5000, *, seed: int = 0, frauds: int = 20, categories: dict[str, float] | None = None
) -> pd.DataFrame:
    """``n`` transactions, ``frauds`` of each kind among them, as written in an export (text cells).

    ``categories`` are the ordinary merchant categories and their shares (:data:`CATEGORIES`)."""
    categories = CATEGORIES if categories is None else categories
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-03-01T00:00:00")
    hours = rng.choice(24, size=n, p=_day_profile())
    seconds = rng.integers(0, 31 * 86400 // 86400, size=n) * 86400 + hours * 3600 + rng.integers(0, 3600, n)
    table = pd.DataFrame(
        {
            "txn_id": [f"T{i:07d}" for i in rng.permutation(n)],
            "card_id": rng.integers(1000, 1000 + n // 5, size=n),
            "timestamp": start + seconds.astype("timedelta64[s]"),
            "merchant_category": rng.choice(list(categories), size=n, p=list(categories.values())),
            "channel": rng.choice(["in_store", "online", "contactless"], size=n, p=[0.5, 0.3, 0.2]),
            "amount": np.round(rng.lognormal(3.2, 0.8, size=n), 2),
            "failed_pin_attempts": rng.choice([0, 1], size=n, p=[0.97, 0.03]),
            "distance_km": np.round(rng.gamma(2.0, 6.0, size=n), 1),
            "kind": "",
        }
    )
    rows = rng.choice(n, size=3 * frauds, replace=False)
    for kind, chosen in zip(KINDS, np.split(rows, 3), strict=True):
        _plant(table, kind, chosen, rng)
    return _as_written(table, rng)


def _day_profile() -> np.ndarray:
    profile = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 5, 6, 7, 6, 5, 5, 6, 7, 8, 7, 5, 4, 3, 2])
    return profile / profile.sum()


def _plant(table: pd.DataFrame, kind: str, rows: np.ndarray, rng) -> None:
    table.loc[rows, "kind"] = kind
    if kind == "rare category":
        table.loc[rows, "merchant_category"] = RARE  # nothing else about these rows is unusual
    elif kind == "night ATM":
        day = table.loc[rows, "timestamp"].dt.floor("D")
        table.loc[rows, "timestamp"] = day + pd.to_timedelta(rng.integers(1, 5, len(rows)), unit="h")
        table.loc[rows, "merchant_category"] = "atm_withdrawal"
        table.loc[rows, "amount"] = np.round(rng.uniform(900, 2500, len(rows)), 2)
        table.loc[rows, "failed_pin_attempts"] = rng.integers(2, 5, len(rows))
    else:
        table.loc[rows, "distance_km"] = np.round(rng.uniform(3000, 9000, len(rows)), 1)


def _as_written(table: pd.DataFrame, rng) -> pd.DataFrame:
    """The columns as an export writes them: amounts as ``$1,234.50``, distances with their unit,
    timestamps as text, a few amounts missing, the fraud flag as 0/1."""
    out = table.copy()
    out["amount"] = [f"${value:,.2f}" for value in table["amount"]]
    out.loc[rng.choice(len(out), size=max(1, len(out) // 50), replace=False), "amount"] = ""
    out["distance_km"] = [f"{value} km" for value in table["distance_km"]]
    out["timestamp"] = table["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")
    out["is_fraud"] = (table["kind"] != "").astype(int)
    return out


def write_cards(
    folder: Path,
    n: int = 5000,
    *,
    seed: int = 0,
    frauds: int = 20,
    categories: dict[str, float] | None = None,
) -> tuple[Path, pd.DataFrame]:
    """The table written as CSV (without its ``kind`` column), and the table with it."""
    table = card_transactions(n, seed=seed, frauds=frauds, categories=categories)
    path = folder / "cards.csv"
    table.drop(columns=["kind"]).to_csv(path, index=False)
    return path, table
