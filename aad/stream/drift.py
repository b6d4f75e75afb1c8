"""Which trees drifted: KL divergence of each tree's leaf distribution between two windows.

A tree splits the space into leaves; a window of rows is a distribution over them. When
the data drifts, the rows of a new window fall in a tree's leaves in other proportions than
the rows of the reference window did. Per tree, the divergence ``KL(reference || new)`` is
compared with that tree's own threshold: the ``quantile`` (95 %) of the divergence between
two random halves of the reference window, over ``n_splits`` seeded splits, the divergence
a tree shows without drift (Das et al., the AAD streaming mode). Counts are smoothed by
half a row per leaf (the Jeffreys prior), so that an empty leaf does not make the
divergence infinite.

References
----------
Das, Islam, Doppa, Fern, "Active Anomaly Detection via Ensembles: Insights, Algorithms, and
Interpretability", arXiv:1901.08930 (section on streaming data and tree replacement).
"""

from __future__ import annotations

import copy

import numpy as np

from ..forest import LeafForest, fit_forest

__all__ = ["kl_divergence", "kl_thresholds", "regrow_trees"]

_PRIOR = 0.5  # pseudo-rows per leaf (Jeffreys)


def _histograms(forest: LeafForest, leaf_index: np.ndarray) -> list[np.ndarray]:
    sizes = np.diff(forest.leaf_offset)
    return [np.bincount(leaf_index[t], minlength=int(sizes[t])).astype(np.float64) for t in range(len(sizes))]


def _kl(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    p = (p_counts + _PRIOR) / (p_counts.sum() + _PRIOR * len(p_counts))
    q = (q_counts + _PRIOR) / (q_counts.sum() + _PRIOR * len(q_counts))
    return float(np.sum(p * np.log(p / q)))


def kl_divergence(forest: LeafForest, reference: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Per tree, ``KL(reference || new)`` of the two windows' distributions over its leaves.

    Parameters
    ----------
    forest : LeafForest
    reference, new : ndarray of shape (n_estimators, n_rows)
        Leaf index of each window's rows (:meth:`LeafForest.apply`); either may also be a
        sequence of one leaf array per tree (trees whose references are different windows).

    Returns
    -------
    ndarray of shape (n_estimators,)

    Examples
    --------
    >>> from aad.forest import fit_forest
    >>> rng = np.random.default_rng(0)
    >>> X, moved = rng.normal(size=(512, 2)), rng.normal(3.0, 1.0, size=(512, 2))
    >>> forest = fit_forest(X, n_estimators=5, random_state=0)
    >>> same = kl_divergence(forest, forest.apply(X[:256]), forest.apply(X[256:]))
    >>> drifted = kl_divergence(forest, forest.apply(X[:256]), forest.apply(moved[:256]))
    >>> bool((drifted > same).all())
    True
    """
    ref, cur = _histograms(forest, reference), _histograms(forest, new)
    return np.array([_kl(p, q) for p, q in zip(ref, cur, strict=True)])


def kl_thresholds(
    forest: LeafForest,
    reference: np.ndarray,
    *,
    quantile: float = 0.95,
    n_splits: int = 20,
    sample_size: int | None = None,
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Per tree, the ``quantile`` of the KL divergence between random halves of the reference.

    With ``sample_size=m``, between the rest of the reference and ``m`` of its rows: the
    divergence a window of ``m`` rows shows by chance (halves when ``m`` is half the rows).

    Parameters
    ----------
    forest : LeafForest
    reference : ndarray of shape (n_estimators, n_rows)
        Leaf index of the reference window's rows.
    quantile : float, default=0.95
        Share of half-versus-half divergences below the threshold: the false-alarm rate of
        one tree's test is about ``1 - quantile``.
    n_splits : int, default=20
        Random splits of the reference window.
    sample_size : int, optional
        Rows of the second part of each split (default: half the reference).
    random_state : int, Generator or None
        Seed of the splits.

    Returns
    -------
    ndarray of shape (n_estimators,)
    """
    rng = np.random.default_rng(random_state)
    n = reference.shape[1]
    values = np.empty((n_splits, reference.shape[0]))
    m = n // 2 if sample_size is None else int(np.clip(sample_size, 1, n - 1))
    first = n - m if sample_size is not None else m  # halves: two equal parts, as in the papers
    for k in range(n_splits):
        order = rng.permutation(n)
        values[k] = kl_divergence(forest, reference[:, order[:first]], reference[:, order[first : first + m]])
    return np.quantile(values, quantile, axis=0)


def regrow_trees(
    forest: LeafForest, trees: np.ndarray, X: np.ndarray, *, random_state: int | np.random.Generator | None
) -> LeafForest:
    """The forest with the isolation trees ``trees`` regrown on ``X`` (the others kept as they are).

    ``X`` must hold at least ``forest.max_samples`` rows, so that every tree is grown on
    the same number of rows and the leaves' information stays comparable.
    """
    trees = np.asarray(trees, dtype=int)
    grown = fit_forest(X, n_estimators=len(trees), max_samples=forest.max_samples, random_state=random_state)
    old, new = forest.iforest, grown.iforest
    spliced = copy.copy(old)
    estimators, features = list(old.estimators_), list(old.estimators_features_)
    seeds = np.array(old._seeds, copy=True)
    per_tree = list(old._average_path_length_per_tree)
    paths = list(old._decision_path_lengths)
    for k, t in enumerate(trees.tolist()):
        estimators[t], features[t], seeds[t] = new.estimators_[k], new.estimators_features_[k], new._seeds[k]
        per_tree[t], paths[t] = new._average_path_length_per_tree[k], new._decision_path_lengths[k]
    spliced.estimators_, spliced.estimators_features_, spliced._seeds = estimators, features, seeds
    spliced._average_path_length_per_tree, spliced._decision_path_lengths = tuple(per_tree), tuple(paths)
    from ..forest import _read_forest

    return _read_forest(spliced, forest.max_samples, forest.nodes.n_features)
