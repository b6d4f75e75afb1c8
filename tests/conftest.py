"""Shared fixtures: small seeded data with known answers, and the app's environment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import aad


@pytest.fixture(scope="session")
def planted() -> np.ndarray:
    """300 standard-normal rows, then two isolated outliers (rows 300 and 301)."""
    rng = np.random.default_rng(7)
    return np.vstack([rng.normal(size=(300, 2)), [[7.0, 7.0], [-7.0, 6.0]]])


@pytest.fixture(scope="session")
def clustered() -> tuple[np.ndarray, np.ndarray]:
    """400 nominal rows, a tight cluster of 8 anomalies (rows 400..407) and 8 scattered outliers."""
    rng = np.random.default_rng(11)
    nominal = rng.normal(size=(400, 3))
    cluster = rng.normal(loc=[4.0, -4.0, 4.0], scale=0.05, size=(8, 3))
    scattered = rng.uniform(-6, 6, size=(8, 3)) + np.sign(rng.normal(size=(8, 3))) * 3
    X = np.vstack([nominal, cluster, scattered])
    y = np.r_[np.zeros(400, bool), np.ones(8, bool), np.zeros(8, bool)]
    return X, y


@pytest.fixture(scope="session")
def toy2() -> aad.Dataset:
    return aad.load_dataset("toy2")


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    """A fresh session database for the app (``$AAD_DB``), launched on toy2 (``$AAD_DATA``)."""
    path = tmp_path / "sessions.sqlite"
    monkeypatch.setenv("AAD_DB", str(path))
    monkeypatch.setenv("AAD_DATA", "toy2")
    return path
