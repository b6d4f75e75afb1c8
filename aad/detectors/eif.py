"""`ExtendedAADForest`: AAD on an extended isolation forest (random hyperplane splits).

An axis-aligned isolation tree cuts one feature at a time, so on correlated features its
boxes leave "ghost" regions (rows along the diagonal of a cloud look isolated where the
cloud's bounding box is empty). The extended isolation forest (Hariri, Carrasco Kind and
Brunner, 2021) cuts on random hyperplanes, ``n · (x - p) <= 0`` over ``ndim`` features at
once, whose regions follow the data. isotree (Cortes) grows the trees here.

Everything else is :class:`aad.AADForest`'s: each leaf is one feature of the linear AAD
score, with the same closed-form update, class balance and prior
(:mod:`aad.weights`); every row keeps its leaf in every tree (one ``uint8``), an inverted
index finds the rows sharing a new label's leaves, and exact integer accumulators make an
undo restore the scores bit for bit; the rankings of the query portfolio
(feedback, strong, saturating, forest) work as they do on the axis-aligned forest.

How the trees are read: each tree is grown by isotree on its own uniform sample of
``max_samples`` rows (drawn with the seed), to depth ``ceil(log2(max_samples))``; the
sample's rows give each leaf its training count ``n_l`` (the prior's information
``log2(max_samples / n_l)``), and isotree's own per-tree isolation depth of a leaf (its depth
plus the expected depth of the ``n_l`` rows left in it) is the leaf's path length ``h_l``.
So with uniform weights the score is isotree's extended isolation forest score exactly,
``2 ** (-mean_t h / c(max_samples))``.

Its rules: a hyperplane is no box, so compact descriptions and the cards' *Why* come from
an axis-aligned surrogate (:mod:`aad.detectors.surrogate`), and say so.

References
----------
Hariri, Carrasco Kind, Brunner, "Extended Isolation Forest", IEEE TKDE 33(4), 2021.
Cortes, "isotree" (https://github.com/david-cortes/isotree).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._extras import install_extra
from .._validation import Interval
from ..data import validate_matrix
from ..errors import DataError
from ..forest import average_path_length, gather_leaves, n_workers
from ..model import AADForest
from ..weights import MAX_RATIO

__all__ = ["ExtendedAADForest", "HyperplaneForest", "isotree_available"]


def isotree_available() -> bool:
    """Whether isotree can be imported (the ``detectors`` extra)."""
    return importlib.util.find_spec("isotree") is not None


def _isotree():
    if not isotree_available():
        raise DataError(
            "the extended isolation forest needs isotree, which is not installed; "
            + install_extra("detectors")
        )
    from isotree import IsolationForest

    return IsolationForest


@dataclass(frozen=True, eq=False)
class HyperplaneForest:
    """A fitted isotree forest in AAD form: leaves numbered tree by tree, their path lengths
    and information, and each row's leaf in every tree (no boxes: its nodes are hyperplanes).

    Attributes
    ----------
    model : isotree.IsolationForest
        The trees (one isotree model holding all of them).
    leaf_offset : ndarray of int64, shape (n_estimators + 1,)
    path_length : ndarray of float64, shape (n_leaves,)
        isotree's isolation depth of each leaf (depth plus the expected depth of its rows).
    information : ndarray of float64, shape (n_leaves,)
        ``log2(max_samples / n_l)``.
    max_samples : int
    """

    model: object
    leaf_offset: np.ndarray
    path_length: np.ndarray
    information: np.ndarray
    max_samples: int
    _local_leaf: tuple[np.ndarray, ...]  # per tree: isotree's terminal number -> leaf number

    @property
    def n_estimators(self) -> int:
        """Number of trees."""
        return len(self._local_leaf)

    @property
    def n_leaves(self) -> int:
        """Number of leaves over all trees."""
        return int(self.leaf_offset[-1])

    @property
    def leaf_dtype(self) -> type:
        """``uint8`` when every tree has at most 256 leaves, else ``uint16``."""
        return np.uint8 if int(np.diff(self.leaf_offset).max()) <= 256 else np.uint16

    def apply(
        self, X: np.ndarray, *, n_jobs: int | None = None, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Leaf number of every row in every tree, shape (n_estimators, n_samples)."""
        terminal = _terminals(self.model, X, n_jobs)
        out = np.empty((self.n_estimators, X.shape[0]), dtype=self.leaf_dtype)
        for t in range(self.n_estimators):
            out[t] = self._local_leaf[t][terminal[:, t]]
        if progress is not None:
            progress(self.n_estimators)
        return out

    def gather(self, table: np.ndarray, leaf_index: np.ndarray) -> np.ndarray:
        """``sum_t table[leaf_offset[t] + leaf_index[t]]`` (as :meth:`aad.LeafForest.gather`)."""
        return gather_leaves(np.asarray(table, dtype=np.float64), self.leaf_offset, leaf_index)


def _terminals(model, X: np.ndarray, n_jobs: int | None) -> np.ndarray:
    model.nthreads = n_workers(n_jobs)
    return np.asarray(
        model.predict(np.ascontiguousarray(X, dtype=np.float64), output="tree_num"), dtype=np.int64
    )


def grow_hyperplane_forest(
    X: np.ndarray, *, n_estimators: int, max_samples: int, ndim: int, random_state, n_jobs: int | None = None
) -> HyperplaneForest:
    """Grow ``n_estimators`` extended isolation trees on ``X`` (each on its own sample).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(300, 3))
    >>> forest = grow_hyperplane_forest(X, n_estimators=5, max_samples=64, ndim=2, random_state=0)
    >>> forest.n_estimators, forest.apply(X).shape, bool((forest.information >= 0).all())
    (5, (5, 300), True)
    """
    IsolationForest = _isotree()
    rng = np.random.default_rng(_seed(random_state))
    n = X.shape[0]
    if n < 3:  # isotree grows no tree on fewer
        raise DataError(f"the extended isolation forest needs at least 3 rows; X has {n}")
    psi = int(min(max_samples, n))
    samples = [np.sort(rng.choice(n, psi, replace=False)) for _ in range(n_estimators)]
    seeds = rng.integers(1, 2**31 - 1, size=n_estimators)
    combined = None
    for t in range(n_estimators):
        tree = IsolationForest(
            ntrees=1,
            sample_size=None,
            ndim=int(min(ndim, X.shape[1])),
            max_depth="auto",
            missing_action="fail",
            coefs="normal",
            penalize_range=False,
            scoring_metric="depth",
            random_seed=int(seeds[t]),
            nthreads=1,
        ).fit(np.ascontiguousarray(X[samples[t]], dtype=np.float64))
        if combined is None:
            combined = tree
        else:
            combined.append_trees(tree)
    return _read(combined, X, samples, psi, n_jobs)


def _read(model, X: np.ndarray, samples: list[np.ndarray], psi: int, n_jobs: int | None) -> HyperplaneForest:
    """Leaves from isotree's terminal numbers: the ones the sample's rows (or any training row) reach."""
    terminal = _terminals(model, X, n_jobs)
    model.nthreads = n_workers(n_jobs)
    depth = np.asarray(model.predict(np.ascontiguousarray(X, dtype=np.float64), output="tree_depths"))
    local, lengths, information = [], [], []
    for t, sample in enumerate(samples):
        ids = terminal[:, t]
        reached = np.unique(ids)
        lookup = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=np.int64)
        lookup[reached] = np.arange(len(reached))
        leaf = lookup[ids]
        counts = np.bincount(leaf[sample], minlength=len(reached)).astype(np.float64)
        first = np.zeros(len(reached), dtype=np.int64)
        first[leaf[::-1]] = np.arange(len(leaf))[::-1]  # a row reaching each leaf
        local.append(_complete(lookup, reached))
        lengths.append(depth[first, t])
        information.append(np.log2(psi / np.maximum(counts, 1.0)))
    sizes = np.array([len(x) for x in lengths])
    if sizes.max() > 65536:
        raise DataError("an extended isolation tree has more than 65,536 leaves; use a smaller max_samples")
    return HyperplaneForest(
        model=model,
        leaf_offset=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        path_length=np.concatenate(lengths).astype(np.float64),
        information=np.concatenate(information),
        max_samples=psi,
        _local_leaf=tuple(local),
    )


def _complete(lookup: np.ndarray, reached: np.ndarray) -> np.ndarray:
    """The terminal-number map, extended so that a new row reaching a terminal node no
    training row reached goes to the nearest-numbered leaf (isotree numbers terminal
    nodes in tree order, so neighbours are siblings or cousins)."""
    size = max(int(lookup.shape[0]), 1) + 4096
    out = np.empty(size, dtype=np.int64)
    positions = np.searchsorted(reached, np.arange(size), side="right") - 1
    out[:] = np.clip(positions, 0, len(reached) - 1)
    out[reached] = np.arange(len(reached))
    return out


def _seed(random_state) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    return int(random_state)


class ExtendedAADForest(AADForest):
    """Active Anomaly Discovery on an extended isolation forest (hyperplane splits).

    The parameters, attributes and methods of :class:`aad.AADForest`, and:

    Parameters
    ----------
    ndim : int, default=2
        Features combined in each split (capped at the number of features); 1 would be the
        axis-aligned forest. 2 is isotree's and the extended forest's authors' advice.

    Notes
    -----
    ``forest_`` is a :class:`HyperplaneForest`; ``node_rows_`` is None (its nodes are no
    boxes), so rules come from an axis-aligned surrogate (:mod:`aad.detectors.surrogate`).
    The hinge loss works as on the axis-aligned forest. The model file
    (``aad model export``) holds axis-aligned trees only and refuses this model.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = rng.normal(size=300)
    >>> X = np.vstack([np.c_[t, t + 0.1 * rng.normal(size=300)], [[2.0, -2.0]]])  # off the diagonal
    >>> model = ExtendedAADForest(random_state=0).fit(X)
    >>> int(np.argmax(model.anomaly_score()))
    300
    >>> from aad import AADForest  # axis-aligned boxes: the diagonal's ends look as isolated
    >>> int(np.argmax(AADForest(random_state=0).fit(X).anomaly_score()))
    238
    >>> model.set_label(300, "anomaly")
    >>> model.unlabel(300)
    >>> bool((model.anomaly_score() == ExtendedAADForest(random_state=0).fit(X).anomaly_score()).all())
    True
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **AADForest._parameter_constraints,
        "ndim": [Interval("int", 1, 64)],
    }
    axis_aligned: ClassVar[bool] = False

    def __init__(
        self,
        *,
        n_estimators: int | None = None,
        max_samples: int = 256,
        ndim: int = 2,
        eta: float = 1.0,
        balance: float = 0.8,
        max_ratio: float | None = MAX_RATIO,
        loss: str = "linear",
        tau: float = 0.03,
        random_state: int | np.random.Generator | None = None,
        n_jobs: int | None = None,
    ) -> None:
        super().__init__(
            n_estimators=n_estimators,
            max_samples=max_samples,
            eta=eta,
            balance=balance,
            max_ratio=max_ratio,
            loss=loss,
            tau=tau,
            random_state=random_state,
            n_jobs=n_jobs,
        )
        self.ndim = ndim

    def _grow_forest(self, X: np.ndarray) -> HyperplaneForest:
        return grow_hyperplane_forest(
            X,
            n_estimators=self.n_estimators_,
            max_samples=self.max_samples,
            ndim=self.ndim,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )

    def unsupervised_score(self, X) -> np.ndarray:
        """The plain extended forest's score of ``X``: ``2 ** (-mean_t h / c(max_samples))``."""
        self._check_fitted()
        X = validate_matrix(self._by_name(X), n_features=self.n_features_in_, min_rows=0)
        if X.shape[0] == 0:
            return np.empty(0)
        index = self.forest_.apply(X, n_jobs=self.n_jobs)
        mean = self.forest_.gather(self.forest_.path_length, index) / self.n_estimators_
        return np.exp2(-mean / float(average_path_length(self.forest_.max_samples)))
