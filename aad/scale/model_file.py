"""The learned model as a file: ``aad-model/1``, plain JSON, scored without the training data.

A labelling session's model lives in memory and is rebuilt from the data, the seed and
the label log. :class:`PortableModel` is the same model written out: the feature names in
order, the value that fills a missing cell of each, every tree as node arrays, the learned
value of every leaf, the score normalisation, and where it all came from. It scores new
rows exactly as :meth:`aad.AADForest.anomaly_score` does (the same leaves, the same sums in
the same order), reads no pickle, and depends on numpy alone.

The format (``"schema": "aad-model/1"``), one JSON object:

``features``
    The feature names, in the order of the model's columns.
``fill``
    One number per feature: what a missing cell takes (the median of that column in the
    data the model learned from, as ``aad score --apply`` fills it).
``score``
    ``{"n_estimators": T, "max_samples": psi, "normaliser": c(psi)}``: the score of a row
    ``x`` is ``2 ** (sum_t value_t[leaf_t(x)] / T / c(psi))`` (``c`` is
    :func:`aad.average_path_length`), continued beyond an exponent of +-500 as
    :meth:`aad.AADForest.anomaly_score` says. Higher means more anomalous.
``trees``
    ``T`` objects of node arrays of one length; node 0 is the root. ``feature`` (-1 at a
    leaf), ``threshold`` (null at a leaf), ``left`` and ``right`` (child node numbers,
    larger than the node's own; -1 at a leaf), ``value`` (the learned leaf value; null
    inside). A row goes left when ``float32(x[feature]) <= threshold``: the trees route
    on float32, as scikit-learn's do. The thresholds are written so that comparing the
    float64 value, ``x[feature] <= threshold``, routes every row the same way.
``encoding`` (optional)
    How each feature is made from the table's columns, one object per feature, when the
    model learned on more than plain numbers (``aad.load_data`` encodes text and dates):
    ``{"name", "column", "kind"}`` with ``kind`` ``number``/``integer`` (``decimal``: the
    separator the column was written with), ``category`` (``levels``: ``[value, rows]``
    pairs, null for a missing cell; ``rows``: the training rows; a value becomes
    ``rows / its rows``, an unseen one ``2 * rows``) or ``part`` (``part``: hour, weekday or
    month of a timestamp; ``order``: ``dmy``/``mdy`` for dates with slashes). Without it,
    each feature is the column of its name, read as numbers.
``provenance``
    The data fingerprint and size, the seed, the model parameters, the label counts, the
    session id when there was one, the time and the aad version.

Examples
--------
>>> import numpy as np, aad
>>> X = np.random.default_rng(0).normal(size=(200, 2))
>>> forest = aad.AADForest(n_estimators=10, random_state=0).fit(X)
>>> portable = PortableModel.from_forest(forest, fill_values=np.median(X, axis=0))
>>> again = read_model(portable.to_json())
>>> bool(np.array_equal(again.anomaly_score(X[:5]), forest.anomaly_score(X[:5])))
True
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .._files import partial_beside, writable_output
from ..columns import FLOAT32_MAX, RowsInFile
from ..encoding import KINDS, PARTS, FeatureSpec, encode
from ..errors import DataError
from ..forest import average_path_length, n_workers
from ..labels import ANOMALY, UNLABELLED
from ..model import _score_from_raw
from ..tables import env_int

__all__ = ["SCHEMA", "ModelFileError", "PortableModel", "Tree", "export_model", "load_model", "read_model"]

#: The version tag of the model file this aad writes and reads.
SCHEMA = "aad-model/1"
#: Largest model file read, in megabytes, unless ``AAD_MAX_MODEL_MB`` says otherwise: parsing
#: takes about ten times the file's size in memory, and the default forest (200 trees of 512
#: rows) is about 1 MB (a forest of 2,000 trees of 4,096 rows about 150 MB).
MAX_MODEL_MB = 200
#: Deepest tree accepted: scikit-learn's isolation trees are ceil(log2(max_samples)) deep.
_MAX_DEPTH = 64
_ROWS_PER_CHUNK = 16_384  # rows routed together: the arrays of a chunk stay in the CPU's cache
_FIX = "export the model again with `aad model export`"
_FIX_SENTENCE = "Export the model again with `aad model export`"
_PASS = "pass the .json file `aad model export --output` wrote"


class ModelFileError(DataError):
    """A model file that cannot be read: malformed, truncated, of another version, inconsistent."""


@dataclass(frozen=True, eq=False)
class Tree:
    """One tree as node arrays (node 0 is the root).

    Attributes
    ----------
    feature : ndarray of int32
        Split feature; -1 at a leaf.
    threshold : ndarray of float64
        A row goes left when ``float32(x[feature]) <= threshold``; NaN at a leaf.
    left, right : ndarray of int32
        Children; -1 at a leaf.
    value : ndarray of float64
        The learned value of a leaf; NaN inside.
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.feature.shape[0])

    def to_dict(self) -> dict:
        """The tree as JSON-ready lists (null for NaN)."""
        leaf = self.feature < 0
        return {
            "feature": self.feature.tolist(),
            "threshold": [
                None if is_leaf else t for is_leaf, t in zip(leaf, self.threshold.tolist(), strict=True)
            ],
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "value": [v if is_leaf else None for is_leaf, v in zip(leaf, self.value.tolist(), strict=True)],
        }


class PortableModel:
    """A learned AAD model as arrays: what an ``aad-model/1`` file holds, and its scorer.

    Build one with :meth:`from_forest` (from a fitted :class:`aad.AADForest`) or read one
    with :func:`load_model`; the constructor checks every array.

    Parameters
    ----------
    feature_names : sequence of str
        The model's columns, in order.
    fill_values : array-like of shape (n_features,)
        What a missing cell of each feature takes.
    trees : sequence of Tree
    max_samples : int
        Rows each tree was grown on: the score is normalised by ``c(max_samples)``.
    provenance : dict, optional
        Where the model came from (JSON-ready).
    encoding : sequence of FeatureSpec, optional
        How each feature is made from the table's columns (see :mod:`aad.encoding`); empty:
        each feature is the column of its name, read as numbers.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
    n_features_in_ : int
    n_estimators : int
    max_samples : int
    normaliser : float
        ``c(max_samples)``, the average path length the scores are normalised by.
    fill_values : ndarray of float64
    trees : tuple of Tree
    provenance : dict
    encoding : tuple of FeatureSpec
    columns : list of str
        The table columns a row needs: each feature's column, once.

    Examples
    --------
    One split on ``x`` at 0.5 and two leaves; a missing ``x`` takes the fill, 0:

    >>> tree = Tree(feature=np.array([0, -1, -1], np.int32), threshold=np.array([0.5, np.nan, np.nan]),
    ...             left=np.array([1, -1, -1], np.int32), right=np.array([2, -1, -1], np.int32),
    ...             value=np.array([np.nan, -4.0, -2.0]))
    >>> model = PortableModel(feature_names=["x"], fill_values=[0.0], trees=[tree], max_samples=4)
    >>> model.anomaly_score(np.array([[0.1], [0.9], [np.nan]])).round(4).tolist()
    [0.2237, 0.473, 0.2237]
    """

    def __init__(
        self,
        *,
        feature_names: Sequence[str],
        fill_values,
        trees: Sequence[Tree],
        max_samples: int,
        provenance: Mapping | None = None,
        encoding: Sequence[FeatureSpec] = (),
    ) -> None:
        names = _check_names(feature_names)
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.fill_values = _check_fills(fill_values, len(names))
        if isinstance(max_samples, bool) or not isinstance(max_samples, int | np.integer) or max_samples < 2:
            raise ModelFileError(f"max_samples must be a whole number of at least 2; got {max_samples!r}")
        self.max_samples = int(max_samples)
        self.normaliser = float(average_path_length(self.max_samples))
        if not trees:
            raise ModelFileError(f"the model has no tree; a model needs at least one. {_FIX_SENTENCE}")
        self.trees = tuple(trees)
        self.n_estimators = len(self.trees)
        self.provenance = dict(provenance or {})
        self.encoding = _check_encoding(encoding, names)
        self.columns = list(dict.fromkeys(spec.column for spec in self.encoding)) if self.encoding else names
        self._routes = [_compile(t, i, len(names)) for i, t in enumerate(self.trees)]

    def __repr__(self) -> str:
        return (
            f"PortableModel({self.n_estimators} trees, {self.n_features_in_} features, "
            f"max_samples={self.max_samples})"
        )

    # ------------------------------------------------------------------ building

    @classmethod
    def from_forest(
        cls,
        model,
        *,
        fill_values=None,
        feature_names: Sequence[str] | None = None,
        provenance: Mapping | None = None,
        encoding: Sequence[FeatureSpec] = (),
    ) -> PortableModel:
        """The learned model of a fitted :class:`aad.AADForest`, with its current leaf values.

        Parameters
        ----------
        model : AADForest
            Fitted, with its labels set.
        fill_values : array-like of shape (n_features,), optional
            What a missing cell takes (default: 0 for every feature; pass the training
            data's column medians, as :func:`aad.scale.export_model` does).
        feature_names : sequence of str, optional
            Default: ``model.feature_names_in_``, else ``x0, x1, ...``.
        provenance : dict, optional
        encoding : sequence of FeatureSpec, optional
            How each feature was made from the table (``Dataset.encoding``).
        """
        forest = model.forest_
        names = feature_names
        if names is None:
            fitted = getattr(model, "feature_names_in_", None)
            names = list(fitted) if fitted is not None else [f"x{j}" for j in range(model.n_features_in_)]
        if len(names) != model.n_features_in_:
            raise DataError(
                f"got {len(names)} feature names for a model of {model.n_features_in_} features; "
                "give one name per feature, in order"
            )
        fills = np.zeros(model.n_features_in_) if fill_values is None else fill_values
        values = np.full(len(forest.nodes), np.nan)
        values[forest.leaf_node] = np.asarray(model.leaf_values_, dtype=np.float64)
        nodes, offsets = forest.nodes, forest.nodes.tree_offset
        trees = []
        for t in range(forest.n_estimators):
            lo, hi = int(offsets[t]), int(offsets[t + 1])
            local = lambda ids, lo=lo: np.where(ids >= 0, ids - lo, -1).astype(np.int32)  # noqa: E731
            trees.append(
                Tree(
                    feature=nodes.feature[lo:hi].astype(np.int32),
                    threshold=nodes.threshold[lo:hi].astype(np.float64),
                    left=local(nodes.left[lo:hi]),
                    right=local(nodes.right[lo:hi]),
                    value=values[lo:hi].copy(),
                )
            )
        return cls(
            feature_names=[str(n) for n in names],
            fill_values=fills,
            trees=trees,
            max_samples=int(forest.max_samples),
            provenance=provenance,
            encoding=encoding,
        )

    # ------------------------------------------------------------------ scoring

    def anomaly_score(self, X, *, n_jobs: int | None = None) -> np.ndarray:
        """Anomaly score of every row (higher means more anomalous).

        Equal, bit for bit, to :meth:`aad.AADForest.anomaly_score` of the model this file
        was written from, for the same rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A DataFrame's columns are matched to the features by name (any order, other
            columns ignored); an array's columns must be the features, in order. A missing
            cell (NaN, None) takes the feature's fill value.
        n_jobs : int, optional
            Threads (default: all cores).

        Raises
        ------
        DataError
            For a missing column, a wrong number of columns, an infinite value or one beyond
            float32's range.
        """
        return self.score_matrix(self.matrix(X), n_jobs=n_jobs)

    def matrix(self, X) -> np.ndarray:
        """``X`` as the model's float64 columns, missing cells filled (see :meth:`anomaly_score`)."""
        if hasattr(X, "columns") and self.encoding:  # a table as written: each feature made from its column
            return self._encoded_matrix(X)
        if hasattr(X, "columns"):
            names = [str(c) for c in X.columns]
            missing = [n for n in self.feature_names_in_ if n not in set(names)]
            if missing:
                raise DataError(
                    f"the rows lack the column(s) {', '.join(map(repr, missing[:5]))} the model was "
                    f"learned on ({_listed(self.feature_names_in_)}); pass rows holding every one of them"
                )
            X = X[list(self.feature_names_in_)].to_numpy(dtype=np.float64, na_value=np.nan)
        try:
            arr = np.array(X, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise DataError(f"X must be a numeric 2-D array; converting it failed: {err}") from err
        if arr.ndim != 2 or arr.shape[1] != self.n_features_in_:
            shape = "x".join(map(str, arr.shape))
            raise DataError(
                f"X has shape {shape} but the model has {self.n_features_in_} features "
                f"({_listed(self.feature_names_in_)}); pass one column per feature, in that order, "
                "or a DataFrame with those column names"
            )
        return fill_and_check(arr, self.fill_values, self.feature_names_in_)

    def _encoded_matrix(self, frame) -> np.ndarray:
        names = {str(c): c for c in frame.columns}
        missing = [c for c in self.columns if c not in names]
        if missing:
            raise DataError(
                f"the rows lack the column(s) {', '.join(map(repr, missing[:5]))} the model was learned on "
                f"({_listed(self.columns)}); pass rows holding every one of them"
            )
        arr = np.column_stack(
            [encode(frame[names[spec.column]].reset_index(drop=True), spec).values for spec in self.encoding]
        ).astype(np.float64)
        return fill_and_check(arr, self.fill_values, self.feature_names_in_)

    def split_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Per feature, the lowest and highest split point of the trees (NaN: never split), about
        the range of the data the model learned from: rows far outside it suggest a change of
        unit or scale (:meth:`far_outside`)."""
        if getattr(self, "_split_range", None) is None:
            lo = np.full(self.n_features_in_, np.inf)
            hi = np.full(self.n_features_in_, -np.inf)
            for tree in self.trees:
                split = tree.feature >= 0
                np.minimum.at(lo, tree.feature[split], tree.threshold[split])
                np.maximum.at(hi, tree.feature[split], tree.threshold[split])
            never = ~np.isfinite(lo)
            lo[never], hi[never] = np.nan, np.nan
            self._split_range = (lo, hi)
        return self._split_range

    def far_outside(self, X: np.ndarray) -> np.ndarray:
        """Per feature, the rows of ``X`` farther outside the trees' split range than its width;
        measurements only (an unseen category is rarer than any by design, and a timestamp's
        month or hour has no unit to change: another season is no error)."""
        lo, hi = self.split_range()
        width = np.where(hi > lo, hi - lo, np.abs(hi) + 1.0)
        with np.errstate(invalid="ignore"):
            far = (X < lo - width) | (X > hi + width)
        kinds = [spec.kind for spec in self.encoding] if self.encoding else ["number"] * self.n_features_in_
        far[:, [k not in ("number", "integer") for k in kinds]] = False
        return far.sum(axis=0)

    def off_median(self, X: np.ndarray) -> np.ndarray:
        """Per feature, the cells of ``X`` (before filling: missing cells are not counted) that tell a
        change of unit from the training median, the fill value: shape (3, n_features), the known
        cells, those ten times the median or more, and those a tenth of it or less (nonzero, of
        its sign). When more than half are either, the new median is off by a factor of ten (cents
        for euros), however heavy the tail. Only for a measurement whose median and split range lie
        on one side of zero (near zero, a factor of ten is no change of unit); else zeros."""
        lo, hi = self.split_range()
        fill = self.fill_values
        kinds = [spec.kind for spec in self.encoding] if self.encoding else ["number"] * self.n_features_in_
        with np.errstate(invalid="ignore"):
            one_sign = ((fill > 0) & (lo >= 0)) | ((fill < 0) & (hi <= 0))
            ratio = X / np.where(fill != 0, fill, np.nan)
            counts = np.stack([~np.isnan(X), ratio >= 10, (ratio > 0) & (ratio <= 0.1)]).sum(axis=1)
        counts[:, ~(one_sign & np.isin(kinds, ["number", "integer"]))] = 0
        return counts

    def score_matrix(self, X: np.ndarray, *, n_jobs: int | None = None) -> np.ndarray:
        """Scores of a checked float64 matrix (:meth:`matrix`): no copy, no check."""
        raw = self.raw_sum(X, n_jobs=n_jobs) / self.n_estimators
        return _score_from_raw(raw / self.normaliser)

    def raw_sum(self, X: np.ndarray, *, n_jobs: int | None = 1) -> np.ndarray:
        """``sum_t value_t[leaf_t(x)]`` for every row, summed over the trees in order.

        Rows are routed a chunk at a time (the chunk's arrays stay in the CPU's cache), on
        ``n_jobs`` threads (numpy lets go of the interpreter while it gathers).
        """
        X32 = np.ascontiguousarray(X, dtype=np.float32)  # the trees route on float32
        n = X32.shape[0]
        total = np.empty(n, dtype=np.float64)
        spans = [(a, min(n, a + _ROWS_PER_CHUNK)) for a in range(0, n, _ROWS_PER_CHUNK)]

        def run(span: tuple[int, int]) -> None:
            total[span[0] : span[1]] = self._chunk_sum(X32[span[0] : span[1]])

        workers = min(n_workers(n_jobs), len(spans))
        if workers <= 1:
            for span in spans:
                run(span)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, spans))
        return total

    def _chunk_sum(self, X32: np.ndarray) -> np.ndarray:
        """Route a chunk of rows through every tree, in buffers allocated once per chunk.

        No array is allocated per tree and level (``out=``, and ``mode="clip"``, which lets
        numpy write straight into ``out``; every index is valid): fast wherever the allocator
        hands memory back eagerly, as in Dask's workers (``MALLOC_TRIM_THRESHOLD_``).
        """
        n, width = X32.shape
        flat = X32.ravel()
        base = np.arange(n, dtype=np.intp) * width
        total = np.zeros(n, dtype=np.float64)
        node, child, where = (np.empty(n, dtype=np.intp) for _ in range(3))
        value, threshold = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
        right, leaf = np.empty(n, dtype=bool), np.empty(n, dtype=np.float64)
        for route in self._routes:
            node.fill(0)
            for _ in range(route.depth):
                np.take(route.feature, node, out=where, mode="clip")
                np.add(where, base, out=where)
                np.take(flat, where, out=value, mode="clip")
                np.take(route.threshold, node, out=threshold, mode="clip")
                np.greater(value, threshold, out=right)
                np.take(route.left, node, out=child, mode="clip")
                np.add(child, right, out=node)
            np.take(route.value, node, out=leaf, mode="clip")
            total += leaf
        return total

    # ------------------------------------------------------------------ writing

    def to_dict(self) -> dict:
        """The ``aad-model/1`` document as a JSON-ready dict."""
        return {
            "schema": SCHEMA,
            "about": "An Active Anomaly Discovery model written by aad: see aad/scale/model_file.py "
            "or the README (The model file) for every field.",
            "features": [str(n) for n in self.feature_names_in_],
            "fill": self.fill_values.tolist(),
            "score": {
                "n_estimators": self.n_estimators,
                "max_samples": self.max_samples,
                "normaliser": self.normaliser,
            },
            "trees": [tree.to_dict() for tree in self.trees],
            "provenance": self.provenance,
        } | ({"encoding": [_spec_dict(spec) for spec in self.encoding]} if self.encoding else {})

    def to_json(self) -> str:
        """The model file's text (strict JSON: no NaN; floats in their shortest exact form)."""
        return json.dumps(self.to_dict(), allow_nan=False, separators=(",", ":"))

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model file (atomically: a reader never sees half of it); returns its path.

        Raises
        ------
        ModelFileError
            When ``path`` is a folder or its folder does not exist (nothing is written).
        """
        path = Path(path)
        if path.is_dir():
            raise ModelFileError(f"{path} is a folder; save the model to a file in it: {path / 'model.json'}")
        if not path.parent.is_dir():
            raise ModelFileError(f"there is no folder {path.parent} to save {path.name} in; create it first")
        path = writable_output(path)
        fd, partial = partial_beside(path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(self.to_json())
            Path(partial).replace(path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return path


@dataclass(frozen=True)
class _Route:
    """A tree compiled for routing: children side by side (``right = left + 1``), leaves looping
    on themselves behind a threshold of +inf, thresholds as float32 (compared with float32 rows)."""

    feature: np.ndarray  # intp
    threshold: np.ndarray  # float32
    left: np.ndarray  # intp
    value: np.ndarray  # float64
    depth: int


def _compile(tree: Tree, number: int, n_features: int) -> _Route:
    _check_tree(tree, number, n_features)
    order, depth = _breadth_first(tree, number)
    new = np.empty(tree.n_nodes, dtype=np.intp)
    new[order] = np.arange(tree.n_nodes)
    inside = tree.feature[order] >= 0
    left = np.where(inside, new[np.maximum(tree.left[order], 0)], np.arange(tree.n_nodes))
    if not np.array_equal(
        np.where(inside, new[np.maximum(tree.right[order], 0)], -1)[inside], left[inside] + 1
    ):
        raise AssertionError("children are numbered side by side")  # pragma: no cover - by construction
    threshold = np.where(inside, _float32_floor(tree.threshold[order]), np.float32(np.inf)).astype(np.float32)
    return _Route(
        feature=np.where(inside, tree.feature[order], 0).astype(np.intp),
        threshold=threshold,
        left=left.astype(np.intp),
        value=np.where(inside, 0.0, tree.value[order]),
        depth=depth,
    )


def _breadth_first(tree: Tree, number: int) -> tuple[np.ndarray, int]:
    """Nodes in breadth-first order, each node's two children next to each other; the depth."""
    order, level, depth = [0], [0], 0
    while True:
        inside = [n for n in level if tree.feature[n] >= 0]
        if not inside:
            break
        depth += 1
        if depth > _MAX_DEPTH:
            raise ModelFileError(f"tree {number} is deeper than {_MAX_DEPTH} levels; {_FIX}")
        level = [child for n in inside for child in (int(tree.left[n]), int(tree.right[n]))]
        order += level
    if len(order) != tree.n_nodes:
        raise ModelFileError(
            f"tree {number}: {tree.n_nodes - len(order)} of its {tree.n_nodes} nodes cannot be reached "
            f"from the root; {_FIX}"
        )
    return np.asarray(order, dtype=np.intp), depth


def _float32_floor(threshold: np.ndarray) -> np.ndarray:
    """The largest float32 ``f <= t``: ``float32(x) <= t`` exactly when ``float32(x) <= f``."""
    t = np.asarray(threshold, dtype=np.float64)
    with np.errstate(over="ignore"):
        f = t.astype(np.float32)
    return np.where(f.astype(np.float64) > t, np.nextafter(f, np.float32(-np.inf)), f)


def _check_tree(tree: Tree, number: int, n_features: int) -> None:
    n = tree.n_nodes
    where = f"tree {number}"
    if n == 0:
        raise ModelFileError(f"{where} has no node; {_FIX}")
    for name in ("threshold", "left", "right", "value"):
        if getattr(tree, name).shape != (n,):
            raise ModelFileError(
                f"{where}: {name} has {getattr(tree, name).shape[0]} entries, feature {n}; {_FIX}"
            )
    leaf = tree.feature < 0
    _first_bad(
        where,
        "feature",
        (tree.feature < -1) | (tree.feature >= n_features),
        tree.feature,
        f"a feature number from 0 to {n_features - 1} (-1 at a leaf)",
    )
    _first_bad(where, "threshold", ~leaf & ~np.isfinite(tree.threshold), tree.threshold, "a finite number")
    _first_bad(where, "value", leaf & ~np.isfinite(tree.value), tree.value, "a finite number at a leaf")
    nodes = np.arange(n)
    for side in ("left", "right"):
        child = getattr(tree, side)
        bad = np.where(leaf, child != -1, (child <= nodes) | (child >= n))
        _first_bad(where, side, bad, child, "a later node's number inside the tree (-1 at a leaf)")
    children = np.concatenate([tree.left[~leaf], tree.right[~leaf]])
    if len(np.unique(children)) != len(children):
        raise ModelFileError(f"{where}: a node is the child of two nodes, so it is no tree; {_FIX}")


def _first_bad(where: str, name: str, bad: np.ndarray, values: np.ndarray, expected: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = values[i].item()
        got = "null" if isinstance(value, float) and math.isnan(value) else repr(value)
        raise ModelFileError(f"{where}, node {i}: {name} is {got}; expected {expected}. {_FIX_SENTENCE}")


def _check_names(names) -> list[str]:
    if isinstance(names, str) or not isinstance(names, Sequence | np.ndarray):
        raise ModelFileError(f"features must be a list of column names; got {names!r}. {_FIX_SENTENCE}")
    names = list(names)
    if not names:
        raise ModelFileError(f"features is empty; a model needs at least one feature. {_FIX_SENTENCE}")
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise ModelFileError(
            f"features must be non-empty column names (text); got {bad[0]!r}. {_FIX_SENTENCE}"
        )
    twice = [n for n in names if names.count(n) > 1]
    if twice:
        raise ModelFileError(f"feature {twice[0]!r} is named twice; name each feature once. {_FIX_SENTENCE}")
    return names


def _check_fills(values, n_features: int) -> np.ndarray:
    items = list(values) if isinstance(values, Sequence | np.ndarray) else None
    if items is None or len(items) != n_features:
        got = "not a list" if items is None else f"{len(items)} values"
        raise ModelFileError(
            f"fill must hold one number per feature ({n_features}); got {got}. {_FIX_SENTENCE}"
        )
    for j, value in enumerate(items):
        if not _is_number(value) or not abs(float(value)) <= FLOAT32_MAX:
            raise ModelFileError(
                f"fill value {j} is {value!r}; expected a finite number within ±{FLOAT32_MAX:.3g}. "
                + _FIX_SENTENCE
            )
    return np.asarray(items, dtype=np.float64)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def fill_and_check(
    X: np.ndarray,
    fills: np.ndarray,
    names: Sequence[str],
    *,
    first_row: int = 0,
    place: RowsInFile | None = None,
) -> np.ndarray:
    """``X`` (float64, changed in place) with missing cells filled; refuses inf and float32 overflow.

    ``first_row`` numbers the rows in messages (the position of ``X``'s first row in its table);
    ``place``, where they are in their file instead (:class:`aad.columns.RowsInFile`).

    Examples
    --------
    >>> fill_and_check(np.array([[1.0, np.nan]]), np.array([0.0, 7.0]), ["a", "b"]).tolist()
    [[1.0, 7.0]]
    >>> fill_and_check(np.array([[1e39, 0.0]]), np.zeros(2), ["a", "b"], first_row=40)
    Traceback (most recent call last):
    ...
    aad.errors.DataError: column 'a' holds 1e+39, beyond ±3.4e+38 (float32) at row 40; ...
    """
    gaps = np.isnan(X)
    if gaps.any():
        X[gaps] = np.broadcast_to(fills, X.shape)[gaps]
    bad = ~(np.abs(X) <= FLOAT32_MAX)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        value = X[row, col]
        what = "an infinite value" if np.isinf(value) else f"{value:g}, beyond ±{FLOAT32_MAX:.3g} (float32)"
        at = f"row {first_row + row}" if place is None else place.where(row)
        raise DataError(
            f"column {names[col]!r} holds {what} at {at}; the model's trees need finite "
            "numbers within float32's range: replace it with a number, or leave the cell empty "
            "(a missing value takes the feature's fill value)"
        )
    return X


def _listed(names) -> str:
    names = list(names)
    return ", ".join(map(str, names[:10])) + (", ..." if len(names) > 10 else "")


# ---------------------------------------------------------------------- reading


def load_model(path: str | os.PathLike) -> PortableModel:
    """Read an ``aad-model/1`` file (JSON; nothing is unpickled or run).

    Parameters
    ----------
    path : str or path

    Returns
    -------
    PortableModel

    Raises
    ------
    ModelFileError
        For a missing, oversized, malformed or truncated file, another schema version, or
        arrays that do not make a model (a non-numeric threshold, a child outside its tree, a
        feature number beyond the features...), with a message naming what and where.

    Examples
    --------
    >>> load_model("no/such/model.json")
    Traceback (most recent call last):
    ...
    aad.scale.model_file.ModelFileError: model file 'no/such/model.json' does not exist; ...
    """
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"model file {str(path)!r} is a folder; {_PASS}")
    if not path.is_file():
        raise ModelFileError(f"model file {str(path)!r} does not exist; {_PASS}")
    size, limit = path.stat().st_size, env_int("AAD_MAX_MODEL_MB", MAX_MODEL_MB)
    if size > limit * 1_000_000:
        raise ModelFileError(
            f"model file {path.name} is {size / 1e6:,.0f} MB, over the limit of {limit:,} MB for a model "
            "(reading it takes about ten times that in memory); is it the right file? Raise the limit "
            "with AAD_MAX_MODEL_MB"
        )
    if size == 0:
        raise ModelFileError(f"model file {path.name} is empty; {_FIX}")
    raw = path.read_bytes()
    if f"{SCHEMA}+onnx".encode() in raw[:1_000_000] and not raw.lstrip().startswith(b"{"):
        raise ModelFileError(
            f"model file {path.name} is the ONNX export of an aad model, for ONNX Runtime; aad reads the "
            f"JSON model file: {_PASS}, or export the model again as JSON (`aad model export --format json`)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ModelFileError(
            f"model file {path.name} is not UTF-8 text (byte {err.start}): not a model file; {_FIX}"
        ) from err
    return read_model(text, name=path.name)


#: What a file cut off in the middle leaves where the JSON parser stops: nothing, or the start of
#: a number, a string or a literal (a file cut inside ``-0.5`` stops at its ``-``).
_PARTIAL_TOKEN = re.compile(
    r'[-+0-9.eE]*|"(?:[^"\\]|\\.)*\\?|t(?:r(?:ue?)?)?|f(?:a(?:l(?:se?)?)?)?|n(?:u(?:ll?)?)?'
)


def read_model(text: str, *, name: str = "the model file") -> PortableModel:
    """Read the text of an ``aad-model/1`` file; see :func:`load_model`.

    Examples
    --------
    >>> read_model('{"schema": "aad-model/2"}')
    Traceback (most recent call last):
    ...
    aad.scale.model_file.ModelFileError: the model file is an aad-model/2 file; this aad reads aad-model/1...
    """
    try:
        doc = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        ends = _PARTIAL_TOKEN.fullmatch(text[err.pos :].rstrip()) is not None  # cut off, not broken
        why = (
            "it ends before the JSON does (truncated?)"
            if ends
            else f"line {err.lineno}, column {err.colno}: {err.msg}"
        )
        raise ModelFileError(f"{name} is not valid JSON ({why}); {_FIX}") from None
    except ValueError as err:
        if "digits" in str(err):  # Python's guard against huge integers: no model holds one
            raise ModelFileError(
                f"{name} holds a whole number of thousands of digits, which no model holds; {_FIX}"
            ) from None
        raise ModelFileError(f"{name} holds {err}, which strict JSON has not; {_FIX}") from None
    if not isinstance(doc, dict):
        raise ModelFileError(f"{name} holds a JSON {type(doc).__name__}, not a model (an object); {_FIX}")
    _check_schema(doc.get("schema"), name)
    score = _field(doc, "score", dict, name)
    n_estimators = score.get("n_estimators")
    trees = _field(doc, "trees", list, name)
    if isinstance(n_estimators, bool) or not isinstance(n_estimators, int) or n_estimators != len(trees):
        raise ModelFileError(
            f"{name}: score.n_estimators is {n_estimators!r} but the file holds {len(trees)} trees; {_FIX}"
        )
    features = _field(doc, "features", list, name)
    model = PortableModel(
        feature_names=features,
        fill_values=_field(doc, "fill", list, name),
        trees=[_tree(item, t, name) for t, item in enumerate(trees)],
        max_samples=score.get("max_samples"),
        provenance=_field(doc, "provenance", dict, name),
        encoding=_read_encoding(doc.get("encoding"), name),
    )
    normaliser = score.get("normaliser")
    if not _is_number(normaliser) or not math.isclose(float(normaliser), model.normaliser, rel_tol=1e-12):
        raise ModelFileError(
            f"{name}: score.normaliser is {normaliser!r}, but max_samples {model.max_samples} gives "
            f"c({model.max_samples}) = {model.normaliser!r}; {_FIX}"
        )
    _check_reach(model, name)
    return model


def _check_reach(model: PortableModel, name: str) -> None:
    """Refuse leaf values so large that a row's score would overflow (finite values each, a
    hand-edited 1e308 say): a learned leaf value is of the order of the trees' depth."""
    leaves = [np.abs(np.where(t.feature < 0, t.value, 0.0)) for t in model.trees]
    largest = np.array([leaf.max() for leaf in leaves])
    with np.errstate(over="ignore", invalid="ignore"):
        z = largest.sum() / model.n_estimators / model.normaliser
        reach = _score_from_raw(np.array([z, -z]))
    if np.isfinite(reach).all() and reach[1] > 0:
        return
    t = int(np.argmax(largest))
    node = int(np.argmax(leaves[t]))
    raise ModelFileError(
        f"{name}: tree {t}, node {node}: value is {model.trees[t].value[node].item()!r}, so large that "
        f"scores overflow; a learned leaf value is of the order of the trees' depth. {_FIX_SENTENCE}"
    )


def _spec_dict(spec: FeatureSpec) -> dict:
    doc: dict[str, Any] = {"name": spec.name, "column": spec.column, "kind": spec.kind}
    if spec.part is not None:
        doc["part"] = spec.part
    if spec.kind in ("category", "member"):
        doc["levels"] = [[value, count] for value, count in spec.levels]
        doc["rows"] = spec.rows
    for key in ("decimal", "order"):
        if getattr(spec, key) is not None:
            doc[key] = getattr(spec, key)
    if spec.duration:
        doc["duration"] = True
    return doc


def _read_encoding(items, name: str) -> tuple[FeatureSpec, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ModelFileError(f"{name}: 'encoding' must be a list, one object per feature; {_FIX}")
    return tuple(_read_spec(item, j, name) for j, item in enumerate(items))


def _read_spec(item, j: int, name: str) -> FeatureSpec:
    where = f"{name}: encoding of feature {j}"
    if not isinstance(item, dict):
        raise ModelFileError(f"{where} is a {type(item).__name__}, not an object; {_FIX}")
    text = {k: item.get(k) for k in ("name", "column", "kind")}
    if not all(isinstance(v, str) and v for v in text.values()) or text["kind"] not in KINDS:
        raise ModelFileError(
            f"{where} needs a name, a column and a kind (one of {', '.join(KINDS)}); got {text}. "
            + _FIX_SENTENCE
        )
    levels = item.get("levels", [])
    pairs_ok = isinstance(levels, list) and all(
        isinstance(p, list)
        and len(p) == 2
        and (p[0] is None or isinstance(p[0], str))
        and isinstance(p[1], int)
        and not isinstance(p[1], bool)
        and p[1] > 0
        for p in levels
    )
    rows = item.get("rows", 0)
    if not pairs_ok or isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ModelFileError(f"{where}: levels must be [value, rows] pairs and rows a count; {_FIX}")
    extra = {k: item.get(k) for k in ("part", "decimal", "order")}
    allowed = {"part": set(PARTS), "decimal": {".", ","}, "order": {"dmy", "mdy"}}
    for key, value in extra.items():
        if value is not None and value not in allowed[key]:
            raise ModelFileError(f"{where}: {key} is {value!r}, not one of {sorted(allowed[key])}; {_FIX}")
    duration = item.get("duration", False)
    if not isinstance(duration, bool):
        raise ModelFileError(f"{where}: duration is {duration!r}, not true or false; {_FIX}")
    try:
        return FeatureSpec(
            **text, levels=tuple((v, c) for v, c in levels), rows=rows, duration=duration, **extra
        )
    except ValueError as err:
        raise ModelFileError(f"{where}: {err}; {_FIX}") from None


def _check_encoding(encoding: Sequence[FeatureSpec], names: list[str]) -> tuple[FeatureSpec, ...]:
    specs = tuple(encoding)
    if specs and [spec.name for spec in specs] != names:
        raise ModelFileError(
            f"the encoding names the features {_listed(s.name for s in specs)}, but the model's features are "
            f"{_listed(names)}: one encoding per feature, in order. {_FIX_SENTENCE}"
        )
    return specs


def _refuse_constant(word: str):
    raise ValueError(word)


def _check_schema(schema, name: str) -> None:
    if schema == SCHEMA:
        return
    if schema is None:
        raise ModelFileError(f'{name} has no "schema" field, so it is no aad model file; {_FIX}')
    if isinstance(schema, str) and schema.startswith("aad-rules/"):
        raise ModelFileError(f"{name} holds rules ({schema}), not a model: apply rules with `aad select`")
    if isinstance(schema, str) and schema.startswith("aad-model/"):
        raise ModelFileError(
            f"{name} is an {schema} file; this aad reads {SCHEMA}. Export the model again with this "
            "version of aad, or use the version of aad that wrote it"
        )
    raise ModelFileError(f"{name} has schema {schema!r}, not {SCHEMA!r}: it is no aad model file; {_FIX}")


def _field(doc: dict, key: str, kind: type, name: str):
    value = doc.get(key)
    if not isinstance(value, kind):
        noun = {"dict": "an object", "list": "a list"}[kind.__name__]
        got = "missing" if key not in doc else f"a {type(value).__name__}"
        raise ModelFileError(f"{name}: {key!r} must be {noun}; it is {got}. {_FIX_SENTENCE}")
    return value


def _tree(item, number: int, name: str) -> Tree:
    if not isinstance(item, dict):
        raise ModelFileError(
            f"{name}: tree {number} is a {type(item).__name__}, not an object of arrays; {_FIX}"
        )
    arrays = {}
    for key in ("feature", "left", "right"):
        arrays[key] = _int_array(item.get(key), f"{name}: tree {number}, {key}")
    for key in ("threshold", "value"):
        arrays[key] = _float_array(item.get(key), f"{name}: tree {number}, {key}")
    return Tree(**arrays)


def _int_array(values, where: str) -> np.ndarray:
    if not isinstance(values, list):
        raise ModelFileError(
            f"{where} must be a list of whole numbers; got {type(values).__name__}. {_FIX_SENTENCE}"
        )
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) or abs(v) >= 2**31:
            raise ModelFileError(f"{where}, node {i}: {v!r} is not a node or feature number; {_FIX}")
    return np.asarray(values, dtype=np.int32)


def _float_array(values, where: str) -> np.ndarray:
    if not isinstance(values, list):
        raise ModelFileError(
            f"{where} must be a list of numbers (null where unused); got {type(values).__name__}. "
            + _FIX_SENTENCE
        )
    for i, v in enumerate(values):
        if v is not None and not _is_number(v):
            raise ModelFileError(f"{where}, node {i}: {v!r} is not a number; {_FIX}")
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)


# ---------------------------------------------------------------------- exporting


def _label_counts(model, dataset, n_labels: int | None, n_anomalies: int | None) -> tuple[int, int]:
    """The model's label counts, checked against those given, and ``dataset`` checked to be the
    table the model was fitted on (its fill values and provenance come from it)."""
    labels = model.labels_
    if not hasattr(dataset, "n_rows") or not hasattr(dataset, "feature_names"):
        raise ModelFileError(
            "export_model takes the Dataset the model was fitted on (aad.load_data(FILE), or "
            "aad.dataset_from_frame(frame) for a DataFrame); got " + type(dataset).__name__
        )
    if (dataset.n_rows, dataset.n_features) != (labels.shape[0], model.n_features_in_):
        raise ModelFileError(
            f"dataset {dataset.name!r} has {dataset.n_rows:,} rows of {dataset.n_features} features, but the "
            f"model was fitted on {labels.shape[0]:,} rows of {model.n_features_in_}: pass the table the "
            "model was fitted on"
        )
    counted = (int((labels != UNLABELLED).sum()), int((labels == ANOMALY).sum()))
    given = (counted[0] if n_labels is None else n_labels, counted[1] if n_anomalies is None else n_anomalies)
    if given != counted:
        raise ModelFileError(
            f"n_labels={given[0]} and n_anomalies={given[1]}, but the model holds {counted[0]} labels, "
            f"{counted[1]} of them anomalies; leave them out to have them counted"
        )
    return counted


def export_model(
    model,
    dataset,
    *,
    n_labels: int | None = None,
    n_anomalies: int | None = None,
    seed: int | None = None,
    extra: Mapping | None = None,
) -> PortableModel:
    """The learned model of ``model``, fitted on ``dataset``, ready to write or score with.

    A missing cell takes the median of its column in ``dataset`` (as ``aad score --apply``
    fills new rows); the provenance records the data's fingerprint, name, source and size,
    the seed, the model's parameters, the label counts, the time and the versions.

    Parameters
    ----------
    model : AADForest
        Fitted on ``dataset.X``, with its labels set.
    dataset : Dataset
    n_labels, n_anomalies : int, optional
        The labels the model learned from (default: counted on ``model.labels_``; given, they
        must be those counts).
    seed : int, optional
        The forest's seed (default: the model's ``random_state`` when it is a number).
    extra : dict, optional
        More provenance (a session id).

    Examples
    --------
    >>> import aad
    >>> data = aad.load_dataset("toy2")
    >>> forest = aad.AADForest(n_estimators=10, random_state=0).fit(data.X)
    >>> portable = export_model(forest, data, n_labels=0, n_anomalies=0)
    >>> portable.provenance["data"]["rows"], list(portable.feature_names_in_), portable.provenance["seed"]
    (485, ['x', 'y'], 0)
    """
    import sklearn

    from .. import __version__

    if not hasattr(model, "_check_fitted"):
        raise ModelFileError(f"export_model takes a fitted aad model; got {type(model).__name__}")
    model._check_fitted()
    if not getattr(model, "axis_aligned", False):
        raise ModelFileError(
            f"the model file ({SCHEMA}) holds axis-aligned isolation trees; this "
            f"{type(model).__name__} (hyperplane splits or an ensemble of detectors) cannot be written "
            "as one. Export its rules (aad rules --session ID; in Python aad.describe_anomalies and "
            "aad.export_rules), or score new rows with the model itself (aad score --session ID; in "
            "Python model.anomaly_score, and pickle to keep it)"
        )
    n_labels, n_anomalies = _label_counts(model, dataset, n_labels, n_anomalies)
    params = {k: v for k, v in model.get_params(deep=False).items() if k not in ("random_state", "n_jobs")}
    params["n_estimators"] = model.n_estimators_  # the trees grown (None asks for the default)
    if seed is None and isinstance(model.random_state, int | np.integer):
        seed = int(model.random_state)
    provenance = {
        "data": {
            "name": dataset.name,
            "source": dataset.source,
            "fingerprint": dataset.fingerprint,
            "rows": dataset.n_rows,
            "features": dataset.n_features,
        },
        "seed": seed,
        "params": {k: v for k, v in params.items() if isinstance(v, str | int | float | bool) or v is None},
        "labels": {
            "count": int(n_labels),
            "anomalies": int(n_anomalies),
            "nominals": int(n_labels - n_anomalies),
        },
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {"aad": __version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__},
        **dict(extra or {}),
    }
    return PortableModel.from_forest(
        model,
        fill_values=np.median(dataset.X, axis=0),
        feature_names=list(dataset.feature_names),
        provenance=provenance,
        encoding=dataset.encoding,
    )
