"""Shared fixtures: small seeded data with known answers, and the app's environment."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

import aad

# Property tests draw the same examples on every run and machine (a failure CI found is the
# one a developer reruns), and keep no example database in the working tree.
settings.register_profile("seeded", derandomize=True, database=None)
settings.load_profile("seeded")


@pytest.fixture(autouse=True)
def _app_environment_restored():
    """``aad app`` hands its settings to Streamlit in ``AAD_*`` variables: whatever a test's
    ``aad app`` wrote is undone after it, so no later test reads another's database or file."""
    before = {key: value for key, value in os.environ.items() if key.startswith("AAD_")}
    yield
    for key in [key for key in os.environ if key.startswith("AAD_") and key not in before]:
        del os.environ[key]
    os.environ.update(before)


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


@pytest.fixture
def store(tmp_path) -> aad.Store:
    """A session store of its own for the test."""
    return aad.Store(tmp_path / "sessions.sqlite")


@pytest.fixture(scope="module")
def fitted_toy2():
    """toy2 and a model factory that fits each (params, seed) once for the whole module."""
    dataset = aad.load_dataset("toy2")
    cache: dict = {}

    def factory(ds, params, seed):
        key = (ds.fingerprint, tuple(sorted(params.items())), seed)
        if key not in cache:
            cache[key] = aad.fit_model(ds, params, seed)
        return pickle.loads(pickle.dumps(cache[key]))  # a private copy, as the app's cache gives

    return dataset, factory
